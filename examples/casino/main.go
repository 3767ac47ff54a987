// Command casino is igmon's full demo: a small casino platform service
// that needs nothing external. It runs a wallet and betting API behind
// igmon's middleware; local payment (stripe), game-provider
// (pragmatic-play) and KYC (sumsub) servers on loopback, called through
// instrumented clients; a wallet database (PostgreSQL when DATABASE_URL is
// set, else an embedded SQLite file); host metrics and synthetic probes;
// alert rules with a log notifier (and a webhook with -webhook-url); a
// traffic generator; and fault injection, so you can watch detection →
// alert → diagnostics → recovery on the dashboard.
//
//	go -C examples run ./casino
//	open http://127.0.0.1:8080/
//	curl -XPOST localhost:8080/control/faults -d '{"provider":"stripe","fault":{"error_rate":0.6}}'
//	curl -XPOST localhost:8080/control/faults -d '{"reset":true}'
//
// Metrics go out by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
package main

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL when DATABASE_URL is set
	_ "modernc.org/sqlite"             // pure-Go SQLite otherwise

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/notify"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/monitor"
	"github.com/jackcode/igmon/probes"
	"google.golang.org/grpc"
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
	dataDir     string
	// evalInterval and groupWait are short so a person watching the
	// dashboard sees an alert within a minute of a fault.
	evalInterval time.Duration
	groupWait    time.Duration
	drainDelay   time.Duration
	rules        []alerting.Rule // nil: the embedded rules.yaml

	slow, failing string
	declines      float64
	dbDown        bool
	cpuBurn       time.Duration

	logger *slog.Logger
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address of the API, dashboard and health endpoints")
	flag.StringVar(&cfg.grpcAddr, "grpc-addr", "127.0.0.1:9090", "listen address of the grpc.health.v1 service (empty: off)")
	flag.IntVar(&cfg.rps, "rps", 25, "synthetic player requests per second (0: none)")
	flag.StringVar(&cfg.token, "health-token", os.Getenv("IGMON_HEALTH_TOKEN"), "bearer token that unlocks details and operator actions")
	flag.StringVar(&cfg.webhookURL, "webhook-url", os.Getenv("IGMON_WEBHOOK_URL"), "Alertmanager-style webhook that receives alerts (besides the log)")
	flag.StringVar(&cfg.databaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL; empty: embedded SQLite")
	flag.DurationVar(&cfg.evalInterval, "eval-interval", 5*time.Second, "alert evaluation interval")
	flag.StringVar(&cfg.slow, "slow-provider", "", "start with this provider slow (stripe, pragmatic-play, sumsub)")
	flag.StringVar(&cfg.failing, "failing-provider", "", "start with this provider answering 503 to half its calls")
	flag.Float64Var(&cfg.declines, "declines", 0, "start with this share of card payments declined")
	flag.BoolVar(&cfg.dbDown, "db-down", false, "start with the wallet database down")
	flag.DurationVar(&cfg.cpuBurn, "cpu-burn", 0, "burn every CPU for this long at start")
	flag.Parse()
	cfg.groupWait = 5 * time.Second
	cfg.drainDelay = time.Second
	cfg.logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, cfg, func(url string) {
		fmt.Printf("\n  igmon casino demo\n  dashboard:   %s/\n  health:      %s/readyz?verbose\n  faults:      curl -XPOST %s/control/faults -d '{\"provider\":\"stripe\",\"fault\":{\"error_rate\":0.6}}'\n  reset:       curl -XPOST %s/control/faults -d '{\"reset\":true}'\n\n", url, url, url, url)
	})
	if err != nil {
		cfg.logger.Error("casino demo failed", "error", err)
		os.Exit(1)
	}
}

// run starts the demo and blocks until ctx ends, then shuts everything down.
// started receives the base URL once the server listens.
func run(ctx context.Context, cfg config, started func(baseURL string)) (err error) {
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	faults := newFaults()
	provs, err := startProviders(faults)
	if err != nil {
		return err
	}
	defer provs.close(context.Background())

	db, isPG, err := openDB(cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	st := &store{db: db, postgres: isPG, faults: faults}
	if err := st.migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	baseURL := browseURL(ln.Addr())

	m, err := newMonitor(cfg, baseURL)
	if err != nil {
		ln.Close()
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err = errors.Join(err, m.Shutdown(sctx))
	}()

	a, err := wire(ctx, m, cfg, provs, st, db)
	if err != nil {
		ln.Close()
		return err
	}

	mux := http.NewServeMux()
	apiMux := http.NewServeMux()
	a.routes(apiMux)
	api, err := m.Middleware(apiMux)
	if err != nil {
		ln.Close()
		return err
	}
	mux.Handle("/api/players/", api)
	mux.Handle("/api/games/", api)
	health := m.Handler()
	for _, p := range []string{"/livez", "/readyz", "/startupz", "/healthz"} {
		mux.Handle(p, health)
		mux.Handle(p+"/", health)
	}
	mux.Handle("/alerts/", http.StripPrefix("/alerts", m.AlertsHandler()))
	mux.Handle("/eventlog", m.EventsHandler())
	mux.Handle("/control/faults", faults.handler(ctx, map[string]bool{providerPSP: true, providerGame: true, providerKYC: true}))
	dash, err := m.Dashboard()
	if err != nil {
		ln.Close()
		return err
	}
	mux.Handle("/", dash)

	applyStartFaults(ctx, cfg, faults)

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := m.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	// The same registry as grpc.health.v1, for gRPC clients and Kubernetes
	// grpc probes ("", "readiness", "liveness", "startup", each check).
	var gsrv *grpc.Server
	var ghs *checks.GRPCHealthServer
	if cfg.grpcAddr != "" {
		glis, err := net.Listen("tcp", cfg.grpcAddr)
		if err != nil {
			_ = srv.Close()
			return err
		}
		if ghs, err = checks.NewGRPCHealthServer(m.Checks()); err != nil {
			_ = srv.Close()
			return errors.Join(err, glis.Close())
		}
		gsrv = grpc.NewServer()
		ghs.Register(gsrv)
		go func() { _ = gsrv.Serve(glis) }()
		defer func() {
			ghs.Shutdown()
			gsrv.Stop()
		}()
	}

	var wg sync.WaitGroup
	tctx, stopTraffic := context.WithCancel(ctx)
	wg.Add(1)
	go func() {
		defer wg.Done()
		traffic(tctx, baseURL, cfg.rps, &http.Client{Timeout: 10 * time.Second})
	}()
	if started != nil {
		started(baseURL)
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

func openDB(cfg config) (*sql.DB, bool, error) {
	if cfg.databaseURL != "" {
		db, err := sql.Open("pgx", cfg.databaseURL)
		return db, true, err
	}
	dir := cfg.dataDir
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("igmon-casino-%d.db", os.Getpid()))
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, false, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(2)
	return db, false, nil
}

func newMonitor(cfg config, baseURL string) (*monitor.Monitor, error) {
	rules := cfg.rules
	if rules == nil {
		var err error
		if rules, err = alerting.ParseRules(rulesYAML); err != nil {
			return nil, fmt.Errorf("rules.yaml: %w", err)
		}
	}
	receivers := []string{"log"}
	aopts := []alerting.Option{
		alerting.WithInterval(cfg.evalInterval),
		alerting.WithExternalURL(baseURL + "/"),
		alerting.WithReceiver(alerting.Receiver{Name: "log", Notifier: notify.NewSlog(cfg.logger)}),
	}
	if cfg.webhookURL != "" {
		wh, err := notify.NewWebhook(notify.WebhookConfig{URL: cfg.webhookURL})
		if err != nil {
			return nil, err
		}
		aopts = append(aopts, alerting.WithReceiver(alerting.Receiver{Name: "webhook", Notifier: wh}))
		receivers = append(receivers, "webhook")
	}
	aopts = append(aopts, alerting.WithRoute(alerting.Route{
		Receivers: receivers, GroupBy: []string{alerting.LabelAlertName},
		GroupWait: cfg.groupWait, GroupInterval: 30 * time.Second, RepeatInterval: time.Hour,
	}))
	opts := []monitor.Option{
		monitor.WithServiceName("casino"),
		monitor.WithServiceVersion("1.4.2"),
		monitor.WithEnvironment("demo"),
		monitor.WithDescription("casino wallet and betting API (igmon demo)"),
		monitor.WithLogger(cfg.logger),
		monitor.WithDrainDelay(cfg.drainDelay),
		monitor.WithAlerting(rules, aopts...),
	}
	if cfg.token != "" {
		opts = append(opts, monitor.WithAuthorizer(checks.BearerToken(cfg.token)))
	}
	return monitor.New(opts...)
}

// wire declares the dependencies, checks and probes.
func wire(ctx context.Context, m *monitor.Monitor, cfg config, provs *providers, st *store, db *sql.DB) (*api, error) {
	declined := monitor.WithClassifier(func(resp *http.Response, err error) monitor.Outcome {
		if resp != nil && resp.StatusCode == http.StatusPaymentRequired {
			return monitor.OutcomeDeclined // the PSP worked; the card did not
		}
		return monitor.OutcomeUnset
	})
	deps := []struct {
		kind, name string
		opts       []monitor.DependencyOption
	}{
		{monitor.KindPayment, providerPSP, []monitor.DependencyOption{monitor.WithOperations("deposit", "withdraw"), declined}},
		{monitor.KindGameProvider, providerGame, []monitor.DependencyOption{monitor.WithOperations("launch_game", "place_bet")}},
		{monitor.KindKYC, providerKYC, []monitor.DependencyOption{monitor.WithOperations("verify")}},
	}
	clients := map[string]*providerClient{}
	for _, d := range deps {
		dep, err := m.Dependency(d.kind, d.name, d.opts...)
		if err != nil {
			return nil, err
		}
		clients[d.name] = &providerClient{base: provs.urls[d.name], client: &http.Client{
			Transport: dep.Transport(nil), Timeout: 5 * time.Second,
		}}
		// Passive health from real traffic: no extra calls to the PSP.
		hc, err := dep.HealthCheck(monitor.WithMinCalls(20), monitor.WithLatencyThresholds(800*time.Millisecond, 3*time.Second))
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
	dbc, err := checks.Pinger("wallet-db", st, checks.WithComponentType(checks.ComponentDatastore), checks.WithTimeout(time.Second))
	if err != nil {
		return nil, err
	}
	gor, err := checks.Goroutines(20000, checks.WithEndpoints(checks.Liveness), checks.WithInterval(10*time.Second), checks.WithTimeout(time.Second))
	if err != nil {
		return nil, err
	}
	if err := m.Add(dbc, gor); err != nil {
		return nil, err
	}
	return &api{store: st, psp: clients[providerPSP], games: clients[providerGame], kyc: clients[providerKYC]}, nil
}

func applyStartFaults(ctx context.Context, cfg config, f *Faults) {
	if cfg.slow != "" {
		pf := f.provider(cfg.slow)
		pf.LatencyMS = 1500
		f.setProvider(cfg.slow, pf)
	}
	if cfg.failing != "" {
		pf := f.provider(cfg.failing)
		pf.ErrorRate = 0.5
		f.setProvider(cfg.failing, pf)
	}
	if cfg.declines > 0 {
		pf := f.provider(providerPSP)
		pf.DeclineRate = cfg.declines
		f.setProvider(providerPSP, pf)
	}
	f.dbDown.Store(cfg.dbDown)
	if cfg.cpuBurn > 0 {
		f.burnCPU(ctx, cfg.cpuBurn)
	}
}
