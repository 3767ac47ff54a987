package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/jackcode/igmon/exporters"
)

// lockedBuffer is an io.Writer the demo's logger and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// demo is the casino demo running in this process for one test.
type demo struct {
	ep     endpoints
	banner string
	dir    string        // the data directory the SQLite file goes in
	logs   *lockedBuffer // everything the demo logged, at debug level
	stop   func() error  // cancels the demo and returns run's error
}

// startDemo runs the demo on free ports (without traffic unless cfg.rps is
// set; with 1 s evaluation unless cfg.evalInterval is), its log captured
// at debug level, and returns once it listens. The test's cleanup stops it.
func startDemo(t *testing.T, cfg config) *demo {
	t.Helper()
	d := &demo{dir: t.TempDir(), logs: &lockedBuffer{}}
	cfg.addr = "127.0.0.1:0"
	if cfg.grpcAddr == "" {
		cfg.grpcAddr = "127.0.0.1:0"
	}
	cfg.dataDir = d.dir
	if cfg.evalInterval == 0 {
		cfg.evalInterval, cfg.groupWait = time.Second, time.Second
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.NewTextHandler(d.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}

	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan endpoints, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, cfg, func(ep endpoints) { started <- ep })
	}()
	var once sync.Once
	var runErr error
	d.stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Errorf("demo stopped with %v", err)
		}
	})
	select {
	case d.ep = <-started:
	case err := <-done:
		done <- err // for the cleanup's stop
		t.Fatalf("demo did not start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not start within 60s")
	}
	var b strings.Builder
	printBanner(&b, d.ep)
	d.banner = b.String()
	return d
}

// httpDo sends a request and returns the status and body.
func httpDo(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

var bannerURL = regexp.MustCompile(`http://[^\s'"]+`)

// TestBannerListsEveryEndpoint: the banner names the dashboard, health,
// events, alerts API, Prometheus scrape, fault API, gRPC health address
// and operator token, and every URL in it answers with what it claims to
// be.
func TestBannerListsEveryEndpoint(t *testing.T) {
	d := startDemo(t, config{})
	u := d.ep.baseURL
	// What each URL must answer: a status and a piece of the body.
	want := map[string]struct {
		code int
		body string
	}{
		u + "/":                             {200, "<html"},
		u + "/readyz?verbose":               {0, "readyz check"}, // 200 or 503 while checks settle
		u + "/livez":                        {0, "ok"},
		u + eventsPath:                      {200, `"events"`},
		u + alertsPrefix + "/":              {200, `"alerts"`},
		u + alertsPrefix + "/api/v2/alerts": {200, "["},
		u + faultsEndpoint:                  {200, `"providers"`},
		u + metricsPath:                     {200, "# TYPE go_goroutine_count gauge"},
	}
	found := map[string]bool{}
	for _, m := range bannerURL.FindAllString(d.banner, -1) {
		found[m] = true
	}
	for url, w := range want {
		if !found[url] {
			t.Errorf("banner lacks %s:\n%s", url, d.banner)
			continue
		}
		code, body := httpDo(t, http.MethodGet, url, "", "")
		if (w.code != 0 && code != w.code) || (w.code == 0 && code != 200 && code != 503) || !strings.Contains(body, w.body) {
			t.Errorf("GET %s: %d %.200q, want %d with %q", url, code, body, w.code, w.body)
		}
	}
	for url := range found {
		if _, ok := want[url]; !ok {
			t.Errorf("banner names %s, which this test does not check", url)
		}
	}
	for _, label := range []string{"gRPC health:", "operator token:", "metrics:", "wallet db:"} {
		if !strings.Contains(d.banner, "  "+label) {
			t.Errorf("banner lacks %q:\n%s", label, d.banner)
		}
	}

	// The gRPC address in the banner serves grpc.health.v1.
	if d.ep.grpcAddr == "" || !strings.Contains(d.banner, "gRPC health:    "+d.ep.grpcAddr+" ") {
		t.Fatalf("banner lacks the gRPC address %q:\n%s", d.ep.grpcAddr, d.banner)
	}
	conn, err := grpc.NewClient(d.ep.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "liveness"})
	if err != nil {
		t.Fatalf("grpc.health.v1 Check at %s: %v", d.ep.grpcAddr, err)
	}
	if resp.Status == healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
		t.Fatalf("grpc.health.v1 at %s does not know the liveness service", d.ep.grpcAddr)
	}
}

// tokenLine returns the banner's token line and how many lines carry the
// token.
func tokenLine(banner, token string) (string, int) {
	var line string
	n := 0
	for l := range strings.Lines(banner) {
		if strings.Contains(l, token) {
			line = l
			n++
		}
	}
	return line, n
}

// operatorActions tries the operator actions the token unlocks (an alerts
// API silence, a dashboard silence and verbose health) and returns the
// HTTP status of each.
func operatorActions(t *testing.T, base, token string) map[string]int {
	t.Helper()
	got := map[string]int{}
	got["alerts API silence"], _ = httpDo(t, http.MethodPost, base+alertsPrefix+"/silences", token,
		`{"matchers":["alertname=\"PSPErrors\""],"duration":"1h","createdBy":"test","comment":"maintenance"}`)
	got["dashboard silence"], _ = httpDo(t, http.MethodPost, base+"/api/silences", token,
		`{"matchers":[{"name":"alertname","op":"=","value":"PSPErrors"}],"duration":"1h","author":"test","comment":"maintenance"}`)
	return got
}

// TestGeneratedTokenUnlocksOperatorActions: with no -token, the demo makes
// one, prints it on the banner's one token line, and that token (and only
// it) is accepted for operator actions.
func TestGeneratedTokenUnlocksOperatorActions(t *testing.T) {
	d := startDemo(t, config{})
	token := d.ep.token
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(token) {
		t.Fatalf("generated token %q is not 16 random bytes in hex", token)
	}
	line, n := tokenLine(d.banner, token)
	if n != 1 || !strings.HasPrefix(line, "  operator token: "+token) {
		t.Fatalf("token on %d banner lines (want 1, the operator token line):\n%s", n, d.banner)
	}
	for _, hint := range []string{"Operator", "Authorization: Bearer"} {
		if !strings.Contains(d.banner, hint) {
			t.Errorf("banner does not say how to use the token (%q):\n%s", hint, d.banner)
		}
	}

	for name, code := range operatorActions(t, d.ep.baseURL, "") {
		if code != http.StatusUnauthorized && code != http.StatusForbidden {
			t.Errorf("%s without a token: %d, want 401/403", name, code)
		}
	}
	for name, code := range operatorActions(t, d.ep.baseURL, token+"0") {
		if code != http.StatusUnauthorized && code != http.StatusForbidden {
			t.Errorf("%s with a wrong token: %d, want 401/403", name, code)
		}
	}
	for name, code := range operatorActions(t, d.ep.baseURL, token) {
		if code/100 != 2 {
			t.Errorf("%s with the banner's token: %d, want 2xx", name, code)
		}
	}

	// A second demo makes another token.
	if other := startDemo(t, config{}); other.ep.token == token {
		t.Errorf("two runs generated the same token %q", token)
	}
}

// TestGeneratedTokenUnlocksHealthDetails: with the database taken down
// through the demo's fault API, /readyz?verbose withholds the reason from
// everyone but the holder of the banner's token.
func TestGeneratedTokenUnlocksHealthDetails(t *testing.T) {
	d := startDemo(t, config{})
	if code, body := httpDo(t, http.MethodPost, d.ep.baseURL+faultsEndpoint, "", `{"db_down":true}`); code != 200 {
		t.Fatalf("POST db_down: %d %s", code, body)
	}
	// wallet-db runs on request: this very request sees the fault.
	for _, tt := range []struct {
		name, token, want string
	}{
		{"no token", "", "[-]wallet-db failed: reason withheld"},
		{"wrong token", "not-" + d.ep.token, "[-]wallet-db failed: reason withheld"},
		{"banner token", d.ep.token, "[-]wallet-db failed: " + errDBDown.Error()},
	} {
		code, body := httpDo(t, http.MethodGet, d.ep.baseURL+"/readyz?verbose", tt.token, "")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, tt.want) {
			t.Errorf("%s: GET /readyz?verbose = %d\n%s\nwant 503 with %q", tt.name, code, body, tt.want)
		}
	}
}

// TestTokenNeverLogged: the generated token appears in no log record, at
// any level, however it is used: accepted, refused or mangled.
func TestTokenNeverLogged(t *testing.T) {
	d := startDemo(t, config{})
	token := d.ep.token
	operatorActions(t, d.ep.baseURL, token)
	operatorActions(t, d.ep.baseURL, token+"x")
	httpDo(t, http.MethodGet, d.ep.baseURL+"/readyz?verbose", token, "")
	httpDo(t, http.MethodGet, d.ep.baseURL+"/status.json", token, "")
	httpDo(t, http.MethodGet, d.ep.baseURL+eventsPath, token, "")
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	logs := d.logs.String()
	if !strings.Contains(logs, "dashboard action") {
		t.Fatalf("the actions were not logged at all, so this test proves nothing:\n%s", logs)
	}
	if strings.Contains(logs, token) {
		t.Fatalf("the token is in the log:\n%s", logs)
	}
}

// TestGivenTokenIsUsedAndNotPrinted: a token from -token (or the
// environment) is the one accepted, and the banner does not print it.
func TestGivenTokenIsUsedAndNotPrinted(t *testing.T) {
	const secret = "operator-secret-from-the-environment"
	d := startDemo(t, config{token: secret})
	if d.ep.token != "" || strings.Contains(d.banner, secret) {
		t.Fatalf("banner prints a token the operator supplied:\n%s", d.banner)
	}
	if !strings.Contains(d.banner, "operator token: the one from -token") {
		t.Errorf("banner does not say which token applies:\n%s", d.banner)
	}
	for name, code := range operatorActions(t, d.ep.baseURL, secret) {
		if code/100 != 2 {
			t.Errorf("%s with the given token: %d, want 2xx", name, code)
		}
	}
}

// TestFlags: -token and its older name -health-token set the operator
// token, the environment is the default, and the flags that name
// providers or shares refuse values the fault API would refuse.
func TestFlags(t *testing.T) {
	env := func(token string) func(string) string {
		return func(k string) string {
			if k == tokenEnv {
				return token
			}
			return ""
		}
	}
	tests := []struct {
		name      string
		args      []string
		env       string
		wantToken string
		wantGRPC  string
		wantErr   string
	}{
		{"defaults", nil, "", "", "127.0.0.1:9090", ""},
		{"-token", []string{"-token", "t1"}, "", "t1", "127.0.0.1:9090", ""},
		{"-health-token is the same flag", []string{"-health-token", "t2"}, "", "t2", "127.0.0.1:9090", ""},
		{"environment is the default", nil, "t3", "t3", "127.0.0.1:9090", ""},
		{"-token beats the environment", []string{"-token=t4"}, "t3", "t4", "127.0.0.1:9090", ""},
		{"-health-token beats the environment", []string{"-health-token=t5"}, "t3", "t5", "127.0.0.1:9090", ""},
		{"an empty -token beats the environment", []string{"-token="}, "t3", "", "127.0.0.1:9090", ""},
		{"-grpc-addr moves gRPC", []string{"-grpc-addr", ":9191"}, "", "", ":9191", ""},
		{"-grpc-addr empty turns gRPC off", []string{"-grpc-addr="}, "", "", "", ""},
		{"unknown -slow-provider", []string{"-slow-provider", "paypal"}, "", "", "", `-slow-provider: unknown provider "paypal"`},
		{"unknown -failing-provider", []string{"-failing-provider", "x"}, "", "", "", `-failing-provider: unknown provider "x"`},
		{"-declines above 1", []string{"-declines", "1.5"}, "", "", "", "-declines: 1.5 is outside [0, 1]"},
		{"stray argument", []string{"stripe"}, "", "", "", `unexpected argument "stripe"`},
		{"-alertmanager takes URLs", []string{"-alertmanager", "http://am-0:9093, http://am-1:9093", "-instance", "pod-1"}, "", "", "127.0.0.1:9090", ""},
		{"-alertmanager without a scheme", []string{"-alertmanager", "http://am-0:9093,am-1:9093"}, "", "", "", `-alertmanager: "am-1:9093" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags(%q) = %v, want an error with %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.token != tt.wantToken || cfg.grpcAddr != tt.wantGRPC || cfg.addr != "127.0.0.1:8080" {
				t.Fatalf("parseFlags(%q): token %q, grpc %q, addr %q; want %q, %q, 127.0.0.1:8080",
					tt.args, cfg.token, cfg.grpcAddr, cfg.addr, tt.wantToken, tt.wantGRPC)
			}
		})
	}
}

// TestHelpPrintsNoSecretFromTheEnvironment: -h lists -token and
// -health-token but not the token, webhook URL or database URL the
// environment holds.
func TestHelpPrintsNoSecretFromTheEnvironment(t *testing.T) {
	secrets := map[string]string{
		tokenEnv:            "env-token-secret",
		"IGMON_WEBHOOK_URL": "https://hooks.example/secret-path",
		"DATABASE_URL":      "postgres://u:db-password@db/wallet",
	}
	var out strings.Builder
	code := realMain([]string{"-h"}, func(k string) string { return secrets[k] }, io.Discard, &out)
	if code != 0 {
		t.Fatalf("-h exited %d", code)
	}
	for _, want := range []string{"-token", "-health-token", "-addr", "-grpc-addr"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h does not list %s:\n%s", want, out.String())
		}
	}
	for env, secret := range secrets {
		if strings.Contains(out.String(), secret) {
			t.Errorf("-h prints $%s:\n%s", env, out.String())
		}
	}
}

// entries lists a directory, failing the test on error.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestRunRemovesSQLiteFileOnExit: the wallet file lives in the data
// directory while the demo runs, and nothing of it (WAL files included)
// is left once run returns.
func TestRunRemovesSQLiteFileOnExit(t *testing.T) {
	d := startDemo(t, config{})
	if !strings.HasPrefix(d.ep.dbPath, d.dir+string(filepath.Separator)) {
		t.Fatalf("SQLite file %q is not in the data directory %q", d.ep.dbPath, d.dir)
	}
	if _, err := os.Stat(d.ep.dbPath); err != nil {
		t.Fatalf("SQLite file while the demo runs: %v", err)
	}
	if !strings.Contains(d.banner, d.ep.dbPath) {
		t.Errorf("banner does not name the SQLite file:\n%s", d.banner)
	}
	// A write, so the WAL files exist too.
	if code, body := httpDo(t, http.MethodGet, d.ep.baseURL+"/api/players/p1/balance", "", ""); code != 200 {
		t.Fatalf("balance: %d %s", code, body)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	if left := entries(t, d.dir); len(left) > 0 {
		t.Fatalf("left in the data directory after exit: %v", left)
	}
}

// TestPortInUseNamesTheFlag: when a port is taken the demo fails saying
// which flag moves it, and leaves no SQLite file behind.
func TestPortInUseNamesTheFlag(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tt := range []struct{ flag, addr, grpcAddr string }{
		{"-addr", taken.Addr().String(), "127.0.0.1:0"},
		{"-grpc-addr", "127.0.0.1:0", taken.Addr().String()},
	} {
		t.Run(tt.flag, func(t *testing.T) {
			dir := t.TempDir()
			err := run(context.Background(), config{addr: tt.addr, grpcAddr: tt.grpcAddr, dataDir: dir,
				evalInterval: time.Second, logger: slog.New(slog.DiscardHandler)}, func(endpoints) {
				t.Error("the demo started on a taken port")
			})
			if err == nil || !strings.HasPrefix(err.Error(), tt.flag+" "+taken.Addr().String()+":") {
				t.Fatalf("run = %v, want an error naming %s", err, tt.flag)
			}
			if left := entries(t, dir); len(left) > 0 {
				t.Fatalf("left in the data directory after a failed start: %v", left)
			}
		})
	}
}

// runMainEnv makes the test binary run the demo's main instead of the
// tests (see TestMain), so a test can signal a real process.
const runMainEnv = "IGMON_CASINO_TEST_RUN_MAIN"

// demoProcess is the demo running as its own process (the test binary
// with runMainEnv set), its banner out.
type demoProcess struct {
	cmd    *exec.Cmd
	tmp    string // its TMPDIR
	banner string
	stderr *lockedBuffer
	exited chan error
}

// startDemoProcess starts the demo as a process with the given extra
// environment (no OTEL_, token or DATABASE_URL variables of the test's
// own) and waits for its banner.
func startDemoProcess(t *testing.T, env ...string) *demoProcess {
	t.Helper()
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0", "-grpc-addr", "127.0.0.1:0", "-rps", "2")
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, tokenEnv+"=") || strings.HasPrefix(kv, "OTEL_") || strings.HasPrefix(kv, "DATABASE_URL=")
	}), append([]string{runMainEnv + "=1", "TMPDIR=" + tmp}, env...)...)
	d := &demoProcess{cmd: cmd, tmp: tmp, stderr: &lockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = d.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var banner strings.Builder
	bannerDone := make(chan struct{})
	go func() {
		defer close(bannerDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			banner.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "Ctrl-C stops the demo") {
				return
			}
		}
	}()
	select {
	case <-bannerDone:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("no banner within 60s; log:\n%s", d.stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout); d.exited <- cmd.Wait() }()
	d.banner = banner.String()
	return d
}

// stop sends sig and waits up to 60s for the demo to exit; it returns how
// it exited.
func (d *demoProcess) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		return err
	case <-time.After(60 * time.Second):
		_ = d.cmd.Process.Kill()
		t.Fatalf("demo still running 60s after %v; log:\n%s", sig, d.stderr.String())
		return nil
	}
}

// TestSignalStopsDemoAndRemovesSQLiteFile runs the demo as its own process,
// sends it SIGINT or SIGTERM once the banner is out, and expects a clean
// exit with the SQLite file gone and the generated token nowhere in its
// log.
func TestSignalStopsDemoAndRemovesSQLiteFile(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startDemoProcess(t)
			m := regexp.MustCompile(`operator token: ([0-9a-f]{32}) `).FindStringSubmatch(d.banner)
			if m == nil {
				_ = d.cmd.Process.Kill()
				t.Fatalf("banner has no generated token:\n%s", d.banner)
			}
			if left := entries(t, d.tmp); len(left) != 1 || !strings.Contains(d.banner, filepath.Join(d.tmp, left[0], "wallet.db")) {
				_ = d.cmd.Process.Kill()
				t.Fatalf("while running, %s holds %v; want the wallet.db the banner names:\n%s", d.tmp, left, d.banner)
			}

			if err := d.stop(t, sig); err != nil {
				t.Fatalf("demo exited with %v after %v; log:\n%s", err, sig, d.stderr.String())
			}
			if left := entries(t, d.tmp); len(left) > 0 {
				t.Fatalf("left in TMPDIR after %v: %v", sig, left)
			}
			if strings.Contains(d.stderr.String(), m[1]) {
				t.Fatalf("the token is in the demo's log:\n%s", d.stderr.String())
			}
		})
	}
}

// TestShutdownWithCollectorGoneExitsZero runs the demo exporting over OTLP
// to a port nothing listens on, with periodic exports retrying against it
// when SIGTERM comes. The demo exits 0: the lost final export is one
// warning naming the collector, not a failure; and every line of its log
// is the demo's logger's (OpenTelemetry's global error handler would print
// a plain line).
func TestShutdownWithCollectorGoneExitsZero(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	d := startDemoProcess(t,
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+closed,
		// Export often and give up each request after 2s (retries on),
		// so that one is in progress at the signal and the test is quick.
		"OTEL_METRIC_EXPORT_INTERVAL=200", "OTEL_EXPORTER_OTLP_TIMEOUT=2000")
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	err = d.stop(t, syscall.SIGTERM)
	log := d.stderr.String()
	if err != nil {
		t.Fatalf("demo exited with %v after %v; log:\n%s", err, time.Since(start), log)
	}
	if strings.Contains(log, "casino demo failed") {
		t.Errorf("the demo reported a failure:\n%s", log)
	}
	final := 0
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		if !strings.HasPrefix(l, "time=") {
			t.Errorf("a line not from the demo's logger: %q", l)
		}
		if strings.Contains(l, "final metrics export failed") {
			final++
			if !strings.Contains(l, "level=WARN") || !strings.Contains(l, "collector unreachable at "+closed+"; ") {
				t.Errorf("final-export line %q: want a warning naming %s", l, closed)
			}
		}
	}
	if final != 1 {
		t.Errorf("%d final-export warnings, want 1; log:\n%s", final, log)
	}
	if left := entries(t, d.tmp); len(left) > 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}

// TestShutdownFailure: lost final exports are dropped from the shutdown
// error, wherever they are in its tree; every other error stays.
func TestShutdownFailure(t *testing.T) {
	lost := fmt.Errorf("metrics: %w", fmt.Errorf("exporters: %w: collector unreachable", exporters.ErrFinalExportFailed))
	drain := errors.New("drain: context deadline exceeded")
	serve := errors.New("serve: accept failed")
	for _, tt := range []struct {
		name string
		err  error
		keep []error
	}{
		{"nil", nil, nil},
		{"a lost export", errors.Join(lost), nil},
		{"lost exports of two exporters", errors.Join(lost, lost), nil},
		{"a failure and a lost export", errors.Join(drain, lost), []error{drain}},
		{"nested", errors.Join(serve, errors.Join(lost, drain)), []error{serve, drain}},
		{"no lost export", drain, []error{drain}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := shutdownFailure(tt.err)
			if (got == nil) != (len(tt.keep) == 0) || errors.Is(got, exporters.ErrFinalExportFailed) {
				t.Fatalf("shutdownFailure = %v, want %v", got, tt.keep)
			}
			for _, k := range tt.keep {
				if !errors.Is(got, k) {
					t.Fatalf("shutdownFailure = %v lost %v", got, k)
				}
			}
		})
	}
}

// readFile reads a file of the package, failing the test on error.
func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns a markdown section from its heading to the next heading
// of the same level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("no %q section", heading)
	}
	rest := doc[i+1+len(heading):]
	level := heading[:strings.IndexByte(heading, ' ')+1]
	if j := strings.Index(rest, "\n"+level); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestReadmeTwoCommandsNamesFlagsAndPorts: the README's Two commands
// section names the ports the demo takes and the flags that move them,
// the token flag, and agrees with the flags' defaults.
func TestReadmeTwoCommandsNamesFlagsAndPorts(t *testing.T) {
	readme := section(t, readFile(t, "../../README.md"), "## Two commands")
	cfg, err := parseFlags(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`-addr`", "`-grpc-addr`", "`-token`", tokenEnv, cfg.addr, cfg.grpcAddr, "/control/faults", "/readyz?verbose", "/livez", eventsPath, alertsPrefix + "/"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README's Two commands section lacks %q", want)
		}
	}
}
