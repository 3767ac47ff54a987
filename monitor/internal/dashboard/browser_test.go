//go:build linux

package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/browsertest"
)

// requireChromium, chromium and runChromium are the shared browser
// runner's (internal/browsertest).
func requireChromium(t *testing.T) { t.Helper(); browsertest.Require(t) }

func chromium(t *testing.T, args ...string) []byte { t.Helper(); return browsertest.Page(t, args...) }

func runChromium(t *testing.T, args ...string) ([]byte, string) {
	t.Helper()
	return browsertest.Run(t, args...)
}

func consoleLines(stderr string) []string { return browsertest.ConsoleLines(stderr) }

// outageSource serves a healthy platform on its first snapshot and a
// Stripe outage with a firing alert from then on, so the failure can only
// reach the page through a live update.
type outageSource struct {
	*platformSource
	served atomic.Int64
}

func (o *outageSource) Snapshot(ctx context.Context, detailed bool) (Snapshot, error) {
	s, err := o.platformSource.Snapshot(ctx, detailed)
	if o.served.Add(1) == 1 {
		o.fail()
	}
	return s, err
}

func TestBrowserShowsLiveFailure(t *testing.T) {
	requireChromium(t)
	src := &outageSource{platformSource: newPlatformSource()}
	src.now = time.Now
	h := mustNew(t, src, WithRefresh(MinRefresh), WithTitle("Casino platform"))
	// Headless Chromium's virtual time stands still while a response is
	// open, so each stream ends after one event and the page's
	// EventSource reconnects; every reconnect asks the Source afresh.
	h.cfg.streamEvents = 1
	h.cache.ttl = 0
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	// The HTML the server sends knows nothing of the platform.
	initial := do(h, "GET", "/", "").Body.String()
	if strings.Contains(initial, "stripe") || strings.Contains(initial, "status-fail") {
		t.Fatal("initial HTML already contains component data")
	}

	dom := string(chromium(t, "--dump-dom", srv.URL+"/"))
	if !strings.Contains(dom, `data-state="live"`) {
		t.Fatalf("the page never received live data:\n%s", dom)
	}
	if m := regexp.MustCompile(`data-transport="([a-z]+)"`).FindStringSubmatch(dom); m == nil || m[1] != "sse" {
		t.Errorf("transport %v, want sse", m)
	}
	m := regexp.MustCompile(`data-updates="(\d+)"`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatal("no data-updates on the body")
	}
	if n, _ := strconv.Atoi(m[1]); n < 2 {
		t.Errorf("updates %v: the failure must arrive after the first render", m)
	}
	for _, g := range []string{GroupServers, GroupAPI, GroupDatabases, GroupPayments, GroupGames, GroupKYC, GroupNetwork} {
		if !strings.Contains(dom, `data-group="`+g+`"`) {
			t.Errorf("group %q missing", g)
		}
	}
	for _, id := range []string{"host", "process", "route-bet", "postgres", "stripe", "adyen", "evolution", "sumsub", "dns-psp"} {
		if !strings.Contains(dom, `data-component-id="`+id+`"`) {
			t.Errorf("component %q missing", id)
		}
	}
	for _, want := range []string{
		`<article class="card status-fail" data-component-id="stripe" data-status="fail">`,
		`<article class="card status-pass" data-component-id="postgres" data-status="pass">`,
		`data-alert="PaymentProviderErrors" data-state="firing"`,
		`stripe error rate 42% over 5m`,
		`class="spark spark-latency"`, // no history here: the sparklines stay
		`<nav class="rangebar" aria-label="Time range of the charts" hidden="">`,
		`Failing`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %s", want)
		}
	}
	if strings.Contains(dom, "s3cr3t") || strings.Contains(dom, "PSP migration window") {
		t.Error("public page shows details")
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	// IGMON_DASHBOARD_SCREENSHOT=/tmp/igmon-dashboard.png keeps a picture
	// of the page for a person to look at.
	if out := os.Getenv("IGMON_DASHBOARD_SCREENSHOT"); out != "" {
		chromium(t, "--hide-scrollbars", "--window-size=1400,1700", "--screenshot="+out, srv.URL+"/")
		if _, err := os.Stat(out); err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
	}
}

// TestBrowserAuthorizedView signs in the way an operator does (a token in
// sessionStorage) and checks that the page switches to polling with the
// Authorization header and shows details and action buttons.
// operatorServer serves the dashboard over src with an authorizer and
// actions, plus a test-only sign-in page that stores the token as the
// page's form does and then opens the dashboard in the same tab.
func operatorServer(t *testing.T, src Source) *httptest.Server {
	t.Helper()
	h := mustNew(t, src, WithRefresh(MinRefresh), WithAuthorizer(bearer), WithActions(&fakeActions{}))
	mux := http.NewServeMux()
	mux.Handle("/", h)
	mux.HandleFunc("/test-signin", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<script>sessionStorage.setItem("igmon.dashboard.token", %q); location.replace("/");</script>`, testToken)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); h.Close() })
	return srv
}

func TestBrowserAuthorizedView(t *testing.T) {
	requireChromium(t)
	src := newPlatformSource()
	src.now = time.Now
	src.fail()
	srv := operatorServer(t, src)

	dom := string(chromium(t, "--dump-dom", srv.URL+"/test-signin"))
	for _, want := range []string{
		`data-transport="poll"`,
		`postgres://REDACTED@db.internal`, // last error, redacted
		`PSP migration window`,            // override reason
		`postgres began failing 20s before stripe errors rose`,
		`vendor maintenance, ticket OPS-12`,
		`>Silence</button>`,
		`>Maintenance</button>`,
		`>Clear override</button>`,
		`>Expire</button>`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("authorized DOM lacks %s", want)
		}
	}
	if strings.Contains(dom, "s3cr3t") || strings.Contains(dom, "abc123") {
		t.Error("authorized view shows an unredacted secret")
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
	if out := os.Getenv("IGMON_DASHBOARD_SCREENSHOT"); out != "" {
		out = strings.TrimSuffix(out, ".png") + "-operator.png"
		chromium(t, "--hide-scrollbars", "--window-size=1400,1700", "--screenshot="+out, srv.URL+"/test-signin")
	}
}

// TestBrowserConsoleIsWatched proves the console check can fail: a page
// that throws is caught, so a clean run of the dashboard means something.
func TestBrowserConsoleIsWatched(t *testing.T) {
	requireChromium(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>x</title><script>null.boom;</script>`)
	}))
	defer srv.Close()
	_, stderr := runChromium(t, "--dump-dom", srv.URL+"/")
	lines := consoleLines(stderr)
	if len(lines) == 0 || !strings.Contains(strings.Join(lines, "\n"), "Uncaught TypeError") {
		t.Fatalf("an uncaught exception did not reach the console check; stderr:\n%s", stderr)
	}
}
