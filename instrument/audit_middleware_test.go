package instrument

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// serverSeries returns each http.server.request.duration series as
// "route status error.type" with its count.
func serverSeries(t *testing.T, sm metricdata.ScopeMetrics) map[[3]string]uint64 {
	t.Helper()
	out := map[[3]string]uint64{}
	for _, dp := range metricNamed(t, sm, metricHTTPServerDuration).Data.(metricdata.Histogram[float64]).DataPoints {
		route, _ := dp.Attributes.Value("http.route")
		status, _ := dp.Attributes.Value("http.response.status_code")
		et, _ := dp.Attributes.Value("error.type")
		st := ""
		if status.Type() != attribute.INVALID {
			st = status.Emit()
		}
		out[[3]string{route.AsString(), st, et.AsString()}] += dp.Count
	}
	return out
}

// TestMiddlewareGo122Patterns: http.route is the ServeMux pattern without
// its method and host, for every pattern form; requests the mux answers
// without a match carry none, and a CONNECT redirect's raw path never
// becomes a route.
func TestMiddlewareGo122Patterns(t *testing.T) {
	mux := http.NewServeMux()
	ok := func(w http.ResponseWriter, r *http.Request) {}
	mux.HandleFunc("GET /games/{id}", ok)
	mux.HandleFunc("GET casino.example/lobby", ok)
	mux.HandleFunc("/static/", ok)
	mux.HandleFunc("GET /files/{path...}", ok)
	mux.HandleFunc("GET /{$}", ok)
	mux.HandleFunc("/tables/{id}/", ok)
	m, reader := newRig(t)
	h, err := m.Middleware(mux)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, host, path string }{
		{"GET", "", "/games/42"},
		{"HEAD", "", "/games/43"}, // GET patterns match HEAD too
		{"GET", "casino.example", "/lobby"},
		{"GET", "", "/static/css/site.css"},
		{"GET", "", "/files/a/b/c.txt"},
		{"GET", "", "/"},
		{"POST", "", "/games/42"},    // 405 from the mux: no route
		{"GET", "", "/nope"},         // 404: no route
		{"GET", "", "/tables/7"},     // redirect to /tables/7/: the pattern
		{"CONNECT", "", "/tables/8"}, // redirect with the raw path as Pattern
		{"CONNECT", "", "/tables/9"},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.host != "" {
			req.Host = tc.host
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	got := serverSeries(t, scope(t, reader))
	want := map[[3]string]uint64{
		{"/games/{id}", "200", ""}:      2,
		{"/lobby", "200", ""}:           1,
		{"/static/", "200", ""}:         1,
		{"/files/{path...}", "200", ""}: 1,
		{"/{$}", "200", ""}:             1,
		{"", "405", ""}:                 1,
		{"", "404", ""}:                 1,
		{"/tables/{id}/", "307", ""}:    1,
		{"", "307", ""}:                 2,
	}
	if len(got) != len(want) {
		t.Errorf("series %v\nwant %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("series %q = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

// TestMiddlewareStreamingHijackAndAbort covers responses that are not a
// simple write: a flushed stream that fails half way, a hijacked
// connection, and http.ErrAbortHandler, which net/http uses to abort a
// response silently and which must reach net/http unchanged.
func TestMiddlewareStreamingHijackAndAbort(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "data: 1\n\n")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the upstream broke mid-stream
	})
	mux.HandleFunc("/flush-first", func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // headers go out with an implicit 200
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
		_ = brw.Flush()
		_ = c.Close()
	})
	mux.HandleFunc("/deadline", func(w http.ResponseWriter, r *http.Request) {
		// ResponseController reaches the real writer through Unwrap.
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := rc.EnableFullDuplex(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	m, reader := newRig(t)
	h, _ := m.Middleware(mux)
	// The server goroutine's recover may run after the client has seen the
	// aborted stream: hand the value over, do not share a variable.
	abortedCh := make(chan any, 1)
	// Every handler has returned, and so recorded its request, once it
	// said so here: a client may see a hijacked or aborted response end
	// before the server side is done with it.
	finished := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { finished <- struct{}{} }()
		defer func() {
			if p := recover(); p != nil {
				abortedCh <- p
				panic(p)
			}
		}()
		h.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = discardLogger()
	defer srv.Close()
	for _, p := range []string{"/stream", "/flush-first", "/ws", "/deadline"} {
		req, _ := http.NewRequest("GET", srv.URL+p, nil)
		if p == "/ws" {
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "x")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	for range 4 {
		select {
		case <-finished:
		case <-time.After(30 * time.Second):
			t.Fatal("a handler never returned")
		}
	}
	var aborted any
	select {
	case aborted = <-abortedCh:
	default:
	}
	if !errors.Is(asError(aborted), http.ErrAbortHandler) {
		t.Fatalf("re-panicked with %v, want http.ErrAbortHandler itself", aborted)
	}
	got := serverSeries(t, scope(t, reader))
	want := map[[3]string]uint64{
		{"/stream", "200", "panic"}: 1, // status already sent, then the abort
		{"/flush-first", "200", ""}: 1, // the implicit 200 is what went out
		{"/ws", "", ""}:             1, // hijacked: no status known
		{"/deadline", "202", ""}:    1,
	}
	if len(got) != len(want) {
		t.Errorf("series %v\nwant %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("series %q = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	for k, v := range sumValues(t, metricNamed(t, scope(t, reader), metricHTTPServerActive)) {
		if v != 0 {
			t.Errorf("active requests %v = %d after every handler returned", k, v)
		}
	}
}

func asError(v any) error {
	err, _ := v.(error)
	return err
}
