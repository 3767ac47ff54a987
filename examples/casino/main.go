// Command casino is igmon's full demo: a small casino platform service
// that needs nothing external. It runs a wallet and betting API behind
// igmon's middleware; local payment (stripe), game-provider
// (pragmatic-play) and KYC (sumsub) servers on loopback, called through
// instrumented clients; a wallet database (PostgreSQL when DATABASE_URL is
// set, else an embedded SQLite file, removed on exit); host metrics and
// synthetic probes; alert rules with a log notifier (and a webhook with
// -webhook-url); a traffic generator; and fault injection, so you can
// watch detection → alert → diagnostics → recovery on the dashboard.
//
//	go -C examples run ./casino
//	open http://127.0.0.1:8080/
//	curl -XPOST localhost:8080/control/faults -d '{"provider":"stripe","fault":{"error_rate":0.6}}'
//	curl -XPOST localhost:8080/control/faults -d '{"reset":true}'
//
// It listens on 127.0.0.1:8080 (-addr: dashboard, API, health, alerts API,
// event log and fault API) and 127.0.0.1:9090 (-grpc-addr:
// grpc.health.v1), and prints every URL at start. -token (older name
// -health-token, default $IGMON_HEALTH_TOKEN) is the bearer token for
// details and operator actions; without one the demo generates a token
// and prints it in that banner only. faults.go documents the fault API.
//
// Prometheus scrapes the metrics at /metrics (the nested module
// github.com/jackcode/igmon/exporters/prometheus; OpenMetrics with
// exemplars when the scraper asks for it), and they also go out by OTLP
// when OTEL_EXPORTER_OTLP_ENDPOINT is set.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL when DATABASE_URL is set
	_ "modernc.org/sqlite"             // pure-Go SQLite otherwise

	"google.golang.org/grpc"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/notify"
	"github.com/jackcode/igmon/alerting/rulefile"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/grpchealth"
	"github.com/jackcode/igmon/exporters"
	promexp "github.com/jackcode/igmon/exporters/prometheus"
	"github.com/jackcode/igmon/failover"
	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/monitor"
	"github.com/jackcode/igmon/probes"
)

//go:embed rules.yaml
var rulesYAML []byte

type config struct {
	addr        string
	grpcAddr    string
	rps         int
	token       string
	webhookURL  string
	databaseURL string
	dataDir     string // where the SQLite file goes; "": os.TempDir()
	// stateDir (-data-dir) is where igmon keeps silences, alert states,
	// the notification log and the event log across restarts; "": memory
	// only.
	stateDir string
	// evalInterval and groupWait are short so a person watching the
	// dashboard sees an alert within a minute of a fault.
	evalInterval time.Duration
	groupWait    time.Duration
	drainDelay   time.Duration
	rules        []alerting.Rule // nil: the embedded rules.yaml; -rules FILE
	// Fleet mode: -alertmanager peers and this replica's -instance id.
	alertmanagers []string
	instanceID    string
	// amResend and amSilenceRefresh are the Alertmanager client's
	// intervals (0: its defaults); tests shorten them.
	amResend, amSilenceRefresh time.Duration

	slow, failing string
	declines      float64
	dbDown        bool
	cpuBurn       time.Duration
	noFailover    bool // -failover=false: deposits go to stripe only

	logger *slog.Logger
}

// tokenEnv is the environment variable -token defaults to (the deployment
// manifests set it from a Secret).
const tokenEnv = "IGMON_HEALTH_TOKEN"

// usageError is a command line the flag package has already reported.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// parseFlags reads the command line; getenv supplies the defaults that
// come from the environment. Those defaults are applied after parsing, so
// -h never prints them: they may be secrets (the token, a database URL
// with a password).
func parseFlags(args []string, getenv func(string) string, output io.Writer) (config, error) {
	cfg := config{groupWait: 5 * time.Second, drainDelay: time.Second}
	fs := flag.NewFlagSet("casino", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address of the API, dashboard, health endpoints and fault API (port 0: any free port)")
	fs.StringVar(&cfg.grpcAddr, "grpc-addr", "127.0.0.1:9090", "listen address of the grpc.health.v1 service (empty: off; port 0: any free port)")
	fs.IntVar(&cfg.rps, "rps", 25, "synthetic player requests per second (0: none)")
	fs.StringVar(&cfg.token, "token", "", "bearer token that unlocks details and operator actions (default $"+tokenEnv+"; empty: a random one, printed at start)")
	fs.StringVar(&cfg.token, "health-token", "", "the same as -token (older name)")
	fs.StringVar(&cfg.webhookURL, "webhook-url", "", "Alertmanager-style webhook that receives alerts besides the log (default $IGMON_WEBHOOK_URL)")
	fs.StringVar(&cfg.databaseURL, "database-url", "", "PostgreSQL URL (default $DATABASE_URL; empty: an embedded SQLite file, removed on exit)")
	fs.DurationVar(&cfg.evalInterval, "eval-interval", 5*time.Second, "alert evaluation interval")
	fs.StringVar(&cfg.slow, "slow-provider", "", "start with this provider slow, 1500 ms a call ("+strings.Join(providerNames, ", ")+")")
	fs.StringVar(&cfg.failing, "failing-provider", "", "start with this provider answering 503 to half its calls")
	fs.Float64Var(&cfg.declines, "declines", 0, "start with this share (0 to 1) of card payments declined by "+providerPSP)
	fs.BoolVar(&cfg.dbDown, "db-down", false, "start with the wallet database down")
	fs.DurationVar(&cfg.cpuBurn, "cpu-burn", 0, "burn every CPU for this long at start")
	fs.StringVar(&cfg.stateDir, "data-dir", "", "directory where igmon keeps silences, alert states, the notification log and the event log across restarts (empty: memory only)")
	failoverOn := fs.Bool("failover", true, "route deposits to "+providerPSP2+" while "+providerPSP+"'s breaker is open (false: "+providerPSP+" only)")
	amURLs := fs.String("alertmanager", "", "fleet mode: comma-separated Alertmanager peer URLs; every alert goes to each peer and silences are stored in the cluster")
	fs.StringVar(&cfg.instanceID, "instance", "", "service.instance.id of this replica (default: a random UUID); replicas of a fleet differ only in it")
	rulesFile := fs.String("rules", "", "alert rules file, YAML or JSON (default: the embedded examples/casino/rules.yaml)")
	if err := fs.Parse(args); err != nil {
		return cfg, usageError{err}
	}
	cfg.noFailover = !*failoverOn
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, d := range []struct {
		flags []string
		env   string
		dst   *string
	}{
		{[]string{"token", "health-token"}, tokenEnv, &cfg.token},
		{[]string{"webhook-url"}, "IGMON_WEBHOOK_URL", &cfg.webhookURL},
		{[]string{"database-url"}, "DATABASE_URL", &cfg.databaseURL},
	} {
		if !slices.ContainsFunc(d.flags, func(f string) bool { return set[f] }) {
			*d.dst = getenv(d.env)
		}
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (flags start with -; -h lists them)", fs.Arg(0))
	}
	for _, p := range []struct{ flag, value string }{{"-slow-provider", cfg.slow}, {"-failing-provider", cfg.failing}} {
		if p.value != "" && !slices.Contains(providerNames, p.value) {
			return cfg, fmt.Errorf("%s: unknown provider %q (known: %s)", p.flag, p.value, strings.Join(providerNames, ", "))
		}
	}
	if !(cfg.declines >= 0 && cfg.declines <= 1) {
		return cfg, fmt.Errorf("-declines: %v is outside [0, 1]", cfg.declines)
	}
	if cfg.cpuBurn < 0 {
		return cfg, fmt.Errorf("-cpu-burn: %v is negative", cfg.cpuBurn)
	}
	if *amURLs != "" {
		for _, u := range strings.Split(*amURLs, ",") {
			u = strings.TrimSpace(u)
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return cfg, fmt.Errorf("-alertmanager: %q is not an http(s) URL", u)
			}
			cfg.alertmanagers = append(cfg.alertmanagers, u)
		}
	}
	if *rulesFile != "" {
		// Loaded here, so a bad file stops the demo before it opens a
		// port or a database, with the loader's error (rule, field, line).
		rules, err := rulefile.LoadFile(*rulesFile)
		if err != nil {
			return cfg, fmt.Errorf("-rules: %w", err)
		}
		if rules == nil {
			rules = []alerting.Rule{} // a file without rules: no alert rules, not the embedded ones
		}
		cfg.rules = rules
	}
	return cfg, nil
}

func main() {
	os.Exit(realMain(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// realMain is the command: it returns the exit code instead of exiting, so
// every deferred cleanup (the SQLite file among them) has run before the
// process ends. SIGINT and SIGTERM end the demo the same way.
func realMain(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.As(err, new(usageError)) {
		return 2 // the flag package has said what is wrong
	}
	if err != nil {
		fmt.Fprintln(stderr, "casino:", err)
		return 2
	}
	cfg.logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = run(ctx, cfg, func(ep endpoints) { printBanner(stdout, ep) })
	if err != nil {
		cfg.logger.Error("casino demo failed", "error", err)
		return 1
	}
	return 0
}

// endpoints is what a running demo serves, for the banner.
type endpoints struct {
	baseURL  string // http://127.0.0.1:8080
	grpcAddr string // 127.0.0.1:9090; "" when off
	// token is the operator token when the demo generated it; "" when it
	// came from -token or the environment (a secret the banner must not
	// print).
	token   string
	dbPath  string   // the SQLite file; "" for PostgreSQL
	exports []string // push exporters (such as otlp); empty: none
	webhook bool     // alerts also go to -webhook-url
}

// newToken returns 16 random bytes in hex.
func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// listen opens a listener, naming the flag that chose the address when the
// port is taken.
func listen(flagName, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w (choose another address with %s, or port 0 for any free one)", flagName, addr, err, flagName)
	}
	return ln, nil
}

// run starts the demo and blocks until ctx ends, then shuts everything down
// and removes the SQLite file. started receives what the demo serves once
// it listens. When cfg.token is empty, run generates one and passes it to
// started (only there).
func run(ctx context.Context, cfg config, started func(endpoints)) (err error) {
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	var ep endpoints
	if cfg.token == "" {
		if cfg.token, err = newToken(); err != nil {
			return fmt.Errorf("operator token: %w", err)
		}
		ep.token = cfg.token
	}
	faults := newFaults(providerNames...)
	provs, err := startProviders(faults)
	if err != nil {
		return err
	}
	defer provs.close(context.Background())

	wdb, err := openDB(cfg)
	if err != nil {
		return err
	}
	// Registered before every user of the database, so it runs after all
	// of them stopped.
	defer func() { err = errors.Join(err, wdb.close()) }()
	ep.dbPath = wdb.path
	st := &store{db: wdb.db, postgres: wdb.postgres, faults: faults}
	if err := st.migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	ln, err := listen("-addr", cfg.addr)
	if err != nil {
		return err
	}
	ep.baseURL = browseURL(ln.Addr())
	var glis net.Listener
	if cfg.grpcAddr != "" {
		if glis, err = listen("-grpc-addr", cfg.grpcAddr); err != nil {
			ln.Close()
			return err
		}
		ep.grpcAddr = hostPort(glis.Addr())
	}
	closeListeners := func() {
		ln.Close()
		if glis != nil {
			glis.Close()
		}
	}

	m, metrics, err := newMonitor(ctx, cfg, ep.baseURL)
	if err != nil {
		closeListeners()
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err = errors.Join(err, shutdownFailure(m.Shutdown(sctx)))
	}()
	// Push exporters only: the scrape is /metrics; newMonitor adds the
	// OTLP exporter when the environment configures one.
	if exporters.OTLPConfigured() {
		ep.exports = append(ep.exports, "otlp")
	}
	ep.webhook = cfg.webhookURL != ""

	a, err := wire(ctx, m, cfg, provs, st, wdb.db)
	if err != nil {
		closeListeners()
		return err
	}

	mux := http.NewServeMux()
	apiMux := http.NewServeMux()
	a.routes(apiMux)
	api, err := m.Middleware(apiMux)
	if err != nil {
		closeListeners()
		return err
	}
	mux.Handle("/api/players/", api)
	mux.Handle("/api/games/", api)
	health := m.Handler()
	for _, p := range []string{"/livez", "/readyz", "/startupz", "/healthz"} {
		mux.Handle(p, health)
		mux.Handle(p+"/", health)
	}
	mux.Handle(alertsPrefix+"/", http.StripPrefix(alertsPrefix, m.AlertsHandler()))
	mux.Handle(eventsPath, m.EventsHandler())
	mux.Handle(faultsEndpoint, faults.handler(ctx))
	mux.Handle(metricsPath, metrics)
	dash, err := m.Dashboard()
	if err != nil {
		closeListeners()
		return err
	}
	mux.Handle("/", dash)

	applyStartFaults(ctx, cfg, faults)

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := m.Start(ctx); err != nil {
		closeListeners()
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	// The same registry as grpc.health.v1, for gRPC clients and Kubernetes
	// grpc probes ("", "readiness", "liveness", "startup", each check).
	if glis != nil {
		gsrv := grpc.NewServer()
		stopHealth, err := grpchealth.Register(gsrv, m.Checks())
		if err != nil {
			_ = srv.Close()
			return errors.Join(err, glis.Close())
		}
		go func() { _ = gsrv.Serve(glis) }()
		defer func() {
			stopHealth()
			gsrv.Stop()
		}()
	}

	var wg sync.WaitGroup
	tctx, stopTraffic := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		traffic(tctx, ep.baseURL, cfg.rps, &http.Client{Timeout: 10 * time.Second})
	}()
	if started != nil {
		started(ep)
	}

	select {
	case err = <-serveErr:
	case <-ctx.Done():
	}
	stopTraffic()
	wg.Wait()
	// Readiness fails first (Monitor.Shutdown drains), then the server
	// stops accepting.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = m.Checks().Drain(sctx)
	if e := srv.Shutdown(sctx); e != nil && err == nil {
		err = e
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Where the demo mounts the alerts API, the event log and the Prometheus
// scrape.
const (
	alertsPrefix = "/alerts"
	eventsPath   = "/eventlog"
	metricsPath  = "/metrics"
)

// walletDB is the wallet database: PostgreSQL, or an SQLite file in a
// directory of its own that close removes.
type walletDB struct {
	db       *sql.DB
	postgres bool
	dir      string // the SQLite file's directory; "" for PostgreSQL
	path     string // the SQLite file
}

func (w *walletDB) close() error {
	err := w.db.Close()
	if w.dir != "" {
		// The file, its -wal and -shm companions and the directory.
		err = errors.Join(err, os.RemoveAll(w.dir))
	}
	return err
}

func openDB(cfg config) (*walletDB, error) {
	if cfg.databaseURL != "" {
		db, err := sql.Open("pgx", cfg.databaseURL)
		if err != nil {
			return nil, err
		}
		return &walletDB{db: db, postgres: true}, nil
	}
	parent := cfg.dataDir
	if parent == "" {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "igmon-casino-")
	if err != nil {
		return nil, fmt.Errorf("wallet database: %w", err)
	}
	path := filepath.Join(dir, "wallet.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	return &walletDB{db: db, dir: dir, path: path}, nil
}

// newMonitor builds the Monitor and the handler of its Prometheus scrape.
func newMonitor(ctx context.Context, cfg config, baseURL string) (*monitor.Monitor, http.Handler, error) {
	rules := cfg.rules
	if rules == nil {
		var err error
		if rules, err = rulefile.Load(bytes.NewReader(rulesYAML)); err != nil {
			return nil, nil, fmt.Errorf("rules.yaml: %w", err)
		}
	}
	receivers := []string{"log"}
	aopts := []alerting.Option{
		alerting.WithInterval(cfg.evalInterval),
		dispatch.WithExternalURL(baseURL + "/"),
		dispatch.WithReceiver(dispatch.Receiver{Name: "log", Notifier: notify.NewSlog(cfg.logger)}),
	}
	if cfg.webhookURL != "" {
		wh, err := notify.NewWebhook(notify.WebhookConfig{URL: cfg.webhookURL})
		if err != nil {
			return nil, nil, err
		}
		aopts = append(aopts, dispatch.WithReceiver(dispatch.Receiver{Name: "webhook", Notifier: wh}))
		receivers = append(receivers, "webhook")
	}
	if len(cfg.alertmanagers) > 0 {
		// The fleet's notifications come from the Alertmanager cluster,
		// which dedups the replicas' identical alerts; igmon's own
		// receivers stay per replica (the log here).
		aopts = append(aopts, dispatch.WithAlertmanagers(dispatch.Alertmanagers{URLs: cfg.alertmanagers,
			ResendInterval: cfg.amResend, Silences: true, SilenceRefresh: cfg.amSilenceRefresh}))
	}
	aopts = append(aopts, dispatch.WithRoute(dispatch.Route{
		Receivers: receivers, GroupBy: []string{alerting.LabelAlertName},
		GroupWait: cfg.groupWait, GroupInterval: 30 * time.Second, RepeatInterval: time.Hour,
	}))
	opts := []monitor.Option{
		monitor.WithServiceName("casino"),
		monitor.WithServiceVersion("1.4.2"),
		monitor.WithEnvironment("demo"),
		monitor.WithLogger(cfg.logger),
		monitor.WithRegistryOptions(checks.WithDrainDelay(cfg.drainDelay)),
		monitor.WithAlerting(rules, aopts...),
	}
	if cfg.instanceID != "" {
		opts = append(opts, monitor.WithInstanceID(cfg.instanceID))
	}
	if cfg.token != "" {
		opts = append(opts, monitor.WithAuthorizer(checks.BearerToken(cfg.token)))
	}
	if cfg.stateDir != "" {
		opts = append(opts, monitor.WithDataDir(cfg.stateDir))
	}
	// The scrape brings its own reader: the runtime producer
	// (go.schedule.duration) goes on it, as the Monitor puts it on the
	// readers it builds. WithExporters replaces the OTLP exporter the
	// Monitor would build from OTEL_EXPORTER_OTLP_ENDPOINT, so it is built
	// here in that case.
	prom, err := promexp.New(promexp.WithProducers(probes.RuntimeProducer()))
	if err != nil {
		return nil, nil, err
	}
	exps := []*exporters.Exporter{prom.Exporter()}
	if exporters.OTLPConfigured() {
		otlp, err := exporters.OTLP(ctx)
		if err != nil {
			_ = prom.Exporter().Shutdown(ctx)
			return nil, nil, err
		}
		exps = append(exps, otlp)
	}
	m, err := monitor.New(append(opts, monitor.WithExporters(exps...))...)
	if err != nil {
		return nil, nil, err
	}
	return m, prom.Handler(), nil
}

// wire declares the dependencies, checks and probes.
func wire(ctx context.Context, m *monitor.Monitor, cfg config, provs *providers, st *store, db *sql.DB) (*api, error) {
	declined := instrument.WithClassifier(func(resp *http.Response, err error) instrument.Outcome {
		if resp != nil && resp.StatusCode == http.StatusPaymentRequired {
			return instrument.OutcomeDeclined // the PSP worked; the card did not
		}
		return instrument.OutcomeUnset
	})
	deps := []struct {
		kind, name string
		opts       []instrument.DependencyOption
	}{
		{instrument.KindPayment, providerPSP, []instrument.DependencyOption{instrument.WithOperations("deposit", "withdraw"), declined}},
		{instrument.KindPayment, providerPSP2, []instrument.DependencyOption{instrument.WithOperations("deposit", "withdraw"), declined}},
		{instrument.KindGameProvider, providerGame, []instrument.DependencyOption{instrument.WithOperations("launch_game", "place_bet")}},
		{instrument.KindKYC, providerKYC, []instrument.DependencyOption{instrument.WithOperations("verify")}},
	}
	clients := map[string]*providerClient{}
	declared := map[string]*instrument.Dependency{}
	for _, d := range deps {
		dep, err := m.Dependency(d.kind, d.name, d.opts...)
		if err != nil {
			return nil, err
		}
		declared[d.name] = dep
		clients[d.name] = &providerClient{base: provs.urls[d.name], client: &http.Client{
			Transport: dep.Transport(nil), Timeout: 5 * time.Second,
		}}
		// Passive health from real traffic: no extra calls to the PSP.
		hc, err := dep.HealthCheck(instrument.WithMinCalls(20), instrument.WithLatencyThresholds(800*time.Millisecond, 3*time.Second))
		if err != nil {
			return nil, err
		}
		if err := m.Add(hc); err != nil {
			return nil, err
		}
		// Synthetic probe of the provider's health endpoint.
		p, err := probes.HTTP(m.MeterProvider(), d.name+"-health", provs.urls[d.name]+"/health",
			probes.WithInterval(5*time.Second), probes.WithTimeout(2*time.Second), probes.WithMaxLatency(time.Second))
		if err != nil {
			return nil, err
		}
		if err := m.AddProbe(p); err != nil {
			return nil, err
		}
	}
	if err := m.DBPool("wallet", db, probes.WithIdleMax(2)); err != nil {
		return nil, err
	}
	// The wallet database is pinged every 5 s in the background: an
	// outage shows within seconds, whether or not anyone polls /readyz.
	dbc, err := checks.Func("wallet-db", st.PingContext, checks.WithComponentType("datastore"), checks.WithTimeout(time.Second),
		checks.WithInterval(5*time.Second))
	if err != nil {
		return nil, err
	}
	gor, err := checks.Goroutines(0, 20000, checks.WithEndpoints(checks.Liveness), checks.WithInterval(10*time.Second), checks.WithTimeout(time.Second))
	if err != nil {
		return nil, err
	}
	if err := m.Add(dbc, gor); err != nil {
		return nil, err
	}
	a := &api{store: st, psp: clients[providerPSP], games: clients[providerGame], kyc: clients[providerKYC],
		psps: map[string]*providerClient{providerPSP: clients[providerPSP], providerPSP2: clients[providerPSP2]}}
	if !cfg.noFailover {
		// Deposits: stripe, then adyen. The breaker's first open period
		// is 15 s, doubling after a failed trial up to 30 s: during a
		// long outage one deposit in that span tries stripe again, and
		// after the outage deposits return within 30 s and 3 trials.
		g, err := m.Failover("deposits", []*instrument.Dependency{declared[providerPSP], declared[providerPSP2]},
			failover.WithBreaker(failover.Breaker{OpenFor: 15 * time.Second, MaxOpenFor: 30 * time.Second, SlowCall: 3 * time.Second}))
		if err != nil {
			return nil, err
		}
		a.deposits = g
	}
	return a, nil
}

// applyStartFaults sets the faults the flags ask for, as the same requests
// the fault API takes (parseFlags has checked the values).
func applyStartFaults(ctx context.Context, cfg config, f *Faults) {
	if cfg.slow != "" {
		f.apply(ctx, FaultRequest{Provider: cfg.slow, Fault: &FaultPatch{LatencyMS: ptr(1500)}})
	}
	if cfg.failing != "" {
		f.apply(ctx, FaultRequest{Provider: cfg.failing, Fault: &FaultPatch{ErrorRate: ptr(0.5)}})
	}
	if cfg.declines > 0 {
		f.apply(ctx, FaultRequest{Provider: providerPSP, Fault: &FaultPatch{DeclineRate: ptr(cfg.declines)}})
	}
	if cfg.dbDown {
		f.apply(ctx, FaultRequest{DBDown: ptr(true)})
	}
	if cfg.cpuBurn > 0 {
		f.mu.Lock()
		f.burnCPULocked(ctx, cfg.cpuBurn)
		f.mu.Unlock()
	}
}

func ptr[T any](v T) *T { return &v }
