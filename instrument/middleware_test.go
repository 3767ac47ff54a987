package instrument

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

func serverAttrs(method string, status int, route, errType string) attribute.Set {
	kvs := []attribute.KeyValue{
		attribute.String("http.request.method", method),
		attribute.String("url.scheme", "http"),
		attribute.String("network.protocol.version", "1.1"),
	}
	if status > 0 {
		kvs = append(kvs, attribute.Int("http.response.status_code", status))
	}
	if route != "" {
		kvs = append(kvs, attribute.String("http.route", route))
	}
	if errType != "" {
		kvs = append(kvs, attribute.String("error.type", errType))
	}
	return attribute.NewSet(kvs...)
}

func apiMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /games/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.PathValue("id")) })
	mux.HandleFunc("POST /bets", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.HandleFunc("/wallet/", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("handler bug") })
	return mux
}

func TestMiddlewareRecordsSemconvServerMetrics(t *testing.T) {
	m, reader := newRig(t)
	h, err := m.Middleware(apiMux())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	srv.Config.ErrorLog = discardLogger()
	get := func(method, path string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return // the panic test closes the connection
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	get("GET", "/games/1?player=42")
	get("GET", "/games/2?player=43")
	get("POST", "/bets")
	get("GET", "/wallet/balance/123")
	get("GET", "/nope/4711")
	get("GET", "/empty")
	get("GET", "/panic")

	sm := scope(t, reader)
	want := metricdata.Metrics{
		Name: metricHTTPServerDuration, Unit: "s", Description: "Duration of HTTP server requests.",
		Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
			{Attributes: serverAttrs("GET", 200, "/games/{id}", ""), Count: 2},
			{Attributes: serverAttrs("POST", 201, "/bets", ""), Count: 1},
			{Attributes: serverAttrs("GET", 502, "/wallet/", "502"), Count: 1},
			{Attributes: serverAttrs("GET", 404, "", ""), Count: 1},
			{Attributes: serverAttrs("GET", 200, "/empty", ""), Count: 1},
			{Attributes: serverAttrs("GET", 0, "/panic", "panic"), Count: 1},
		}},
	}
	got := metricNamed(t, sm, metricHTTPServerDuration)
	metricdatatest.AssertEqual(t, want, got, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue())
	counts := histCounts(t, got)
	if counts[eq(serverAttrs("GET", 200, "/games/{id}", ""))] != 2 {
		t.Fatalf("counts %v", counts)
	}
	active := metricdata.Metrics{
		Name: metricHTTPServerActive, Unit: "{request}", Description: "Number of active HTTP server requests.",
		Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.DataPoint[int64]{
			{Attributes: attribute.NewSet(attribute.String("http.request.method", "GET"), attribute.String("url.scheme", "http")), Value: 0},
			{Attributes: attribute.NewSet(attribute.String("http.request.method", "POST"), attribute.String("url.scheme", "http")), Value: 0},
		}},
	}
	metricdatatest.AssertEqual(t, active, metricNamed(t, sm, metricHTTPServerActive), metricdatatest.IgnoreTimestamp())
}

func TestMiddlewarePanicIsRecordedThenRepanicked(t *testing.T) {
	m, reader := newRig(t)
	h, _ := m.Middleware(apiMux())
	func() {
		defer func() {
			if r := recover(); r != "handler bug" {
				t.Fatalf("recovered %v, want the handler's panic", r)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panic", nil))
	}()
	counts := histCounts(t, metricNamed(t, scope(t, reader), metricHTTPServerDuration))
	if counts[eq(serverAttrs("GET", 0, "/panic", "panic"))] != 1 {
		t.Fatalf("panic not recorded: %v", counts)
	}
}

func TestMiddlewareActiveRequests(t *testing.T) {
	m, reader := newRig(t)
	entered, release := make(chan struct{}), make(chan struct{})
	h, _ := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PUT", "/x", nil))
	}()
	<-entered
	activeSet := attribute.NewSet(attribute.String("http.request.method", "PUT"), attribute.String("url.scheme", "http"))
	if v := sumValues(t, metricNamed(t, scope(t, reader), metricHTTPServerActive))[activeSet.Equivalent()]; v != 1 {
		t.Fatalf("active during the request = %d, want 1", v)
	}
	close(release)
	<-done
	if v := sumValues(t, metricNamed(t, scope(t, reader), metricHTTPServerActive))[activeSet.Equivalent()]; v != 0 {
		t.Fatalf("active after the request = %d, want 0", v)
	}
}

// TestMiddleware10000RawPaths: distinct raw paths (IDs in the path) must not
// become distinct series, whether the route comes from ServeMux or from a
// route function that (wrongly) returns raw paths.
func TestMiddleware10000RawPaths(t *testing.T) {
	m, reader := newRig(t)
	mux, _ := m.Middleware(apiMux())
	raw, err := m.Middleware(http.NotFoundHandler(), WithRouteFunc(func(r *http.Request) string { return r.URL.Path }), withMaxRoutes(50))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10000 {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/games/%d", i), nil))
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/unknown/%d", i), nil))
		raw.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", fmt.Sprintf("/raw/%d", i), nil))
	}
	h := metricNamed(t, scope(t, reader), metricHTTPServerDuration).Data.(metricdata.Histogram[float64])
	// /games/{id}, the unmatched 404 series, 50 raw routes and _OTHER.
	if n := len(h.DataPoints); n != 2+50+1 {
		t.Fatalf("%d series from 30,000 requests, want %d", n, 53)
	}
	for _, dp := range h.DataPoints {
		if r, ok := dp.Attributes.Value("http.route"); ok && r.AsString() == "_OTHER" && dp.Count != 10000-50 {
			t.Fatalf("_OTHER route count %d", dp.Count)
		}
	}
}

func TestMiddlewareKeepsOptionalInterfaces(t *testing.T) {
	m, _ := newRig(t)
	var sawFlusher, sawHijacker, rcFlush bool
	mux := http.NewServeMux()
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		_, sawFlusher = w.(http.Flusher)
		_, sawHijacker = w.(http.Hijacker)
		_, _ = io.WriteString(w, "a")
		rcFlush = http.NewResponseController(w).Flush() == nil
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		_ = brw.Flush()
	})
	h, _ := m.Middleware(mux)
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, p := range []string{"/stream", "/hijack"} {
		resp, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if p == "/hijack" && string(b) != "hi" {
			t.Fatalf("hijacked response %q", b)
		}
	}
	if !sawFlusher || !sawHijacker || !rcFlush {
		t.Fatalf("flusher %v hijacker %v ResponseController.Flush %v", sawFlusher, sawHijacker, rcFlush)
	}
	// A writer without optional interfaces gets none.
	var plain bool
	h2, _ := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, f := w.(http.Flusher)
		_, hj := w.(http.Hijacker)
		_, p := w.(http.Pusher)
		plain = !f && !hj && !p
	}))
	h2.ServeHTTP(struct{ http.ResponseWriter }{httptest.NewRecorder()}, httptest.NewRequest("GET", "/", nil))
	if !plain {
		t.Fatal("wrapper invented optional interfaces")
	}
}

func TestResponseWriterWrappers(t *testing.T) {
	type caps struct{ f, h, p bool }
	for _, c := range []caps{{}, {f: true}, {h: true}, {p: true}, {f: true, h: true}, {f: true, p: true}, {h: true, p: true}, {true, true, true}} {
		w := fakeWriter(c.f, c.h, c.p)
		rw := &respWriter{ResponseWriter: w}
		got := rw.wrapped()
		_, f := got.(http.Flusher)
		_, h := got.(http.Hijacker)
		_, p := got.(http.Pusher)
		if (caps{f, h, p}) != c {
			t.Errorf("underlying %+v, wrapper %+v", c, caps{f, h, p})
		}
		if f {
			got.(http.Flusher).Flush()
			if rw.status != 200 || !rw.wrote {
				t.Errorf("Flush did not record 200")
			}
		}
		if p {
			if err := got.(http.Pusher).Push("/x", nil); err != nil {
				t.Error(err)
			}
		}
		if h {
			if _, _, err := got.(http.Hijacker).Hijack(); err != nil || !rw.hijacked {
				t.Errorf("Hijack: %v", err)
			}
		}
	}
	rw := &respWriter{ResponseWriter: httptest.NewRecorder()}
	rw.WriteHeader(http.StatusEarlyHints)
	rw.WriteHeader(http.StatusAccepted)
	rw.WriteHeader(http.StatusTeapot)
	if rw.status != http.StatusAccepted {
		t.Fatalf("status %d: 1xx must not count and the first final status wins", rw.status)
	}
	rw2 := &respWriter{ResponseWriter: httptest.NewRecorder()}
	if n, err := rw2.ReadFrom(strings.NewReader("body")); n != 4 || err != nil || rw2.status != 200 {
		t.Fatalf("ReadFrom %d %v status %d", n, err, rw2.status)
	}
}

func fakeWriter(f, h, p bool) http.ResponseWriter {
	return (&capWriter{ResponseRecorder: httptest.NewRecorder(), f: f, h: h, p: p}).as()
}

func TestMiddlewareOptionsValidated(t *testing.T) {
	m, _ := newRig(t)
	for _, tc := range []struct {
		next  http.Handler
		opts  []MiddlewareOption
		field string
	}{
		{nil, nil, "next"},
		{http.NotFoundHandler(), []MiddlewareOption{WithRouteFunc(nil)}, "WithRouteFunc"},
		{http.NotFoundHandler(), []MiddlewareOption{withMaxRoutes(0)}, "withMaxRoutes"},
		{http.NotFoundHandler(), []MiddlewareOption{WithRouteFunc(routeOf), WithRouteFunc(routeOf)}, "WithRouteFunc: given twice"},
	} {
		if _, err := m.Middleware(tc.next, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("error %v does not name %s", err, tc.field)
		}
	}
}

func TestMiddlewareConcurrent(t *testing.T) {
	m, reader := newRig(t)
	h, _ := m.Middleware(apiMux())
	const goroutines, reqs = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range reqs {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(context.Background(), "GET", fmt.Sprintf("/games/%d", g*reqs+i), nil))
			}
		})
	}
	wg.Wait()
	counts := histCounts(t, metricNamed(t, scope(t, reader), metricHTTPServerDuration))
	if counts[eq(serverAttrs("GET", 200, "/games/{id}", ""))] != goroutines*reqs {
		t.Fatalf("counts %v", counts)
	}
}

func TestMiddlewareAllocations(t *testing.T) {
	m, _ := newRig(t)
	mux := apiMux()
	h, _ := m.Middleware(mux)
	req := httptest.NewRequest("GET", "/games/7", nil)
	w := httptest.NewRecorder()
	bare := testing.AllocsPerRun(500, func() { w.Body.Reset(); mux.ServeHTTP(w, req) })
	h.ServeHTTP(w, req)
	wrapped := testing.AllocsPerRun(500, func() { w.Body.Reset(); h.ServeHTTP(w, req) })
	if wrapped-bare > 1 {
		t.Fatalf("middleware adds %v allocations (bare %v), want at most 1 (the ResponseWriter wrapper)", wrapped-bare, bare)
	}
}

func routeOf(*http.Request) string { return "/" }

// TestStandaloneOptionGivenTwiceRefused: WithMeterProvider, WithRouteFunc
// and the single-valued dependency options given twice fail, naming the
// option, rather than the last one silently winning.
func TestStandaloneOptionGivenTwiceRefused(t *testing.T) {
	mp := noop.NewMeterProvider()
	if _, err := Middleware(http.NotFoundHandler(), WithMeterProvider(mp), WithMeterProvider(mp)); err == nil ||
		!strings.Contains(err.Error(), "WithMeterProvider: given twice") {
		t.Errorf("Middleware: err = %v, want WithMeterProvider named", err)
	}
	for _, tc := range []struct {
		opts []DependencyOption
		want string
	}{
		{[]DependencyOption{WithMeterProvider(mp), WithMeterProvider(mp)}, "WithMeterProvider: given twice"},
		{[]DependencyOption{WithDefaultOperation("a"), WithDefaultOperation("b")}, "WithDefaultOperation: given twice"},
		{[]DependencyOption{WithErrorClassifier(func(error) Outcome { return OutcomeUnset }), WithErrorClassifier(func(error) Outcome { return OutcomeUnset })}, "WithErrorClassifier: given twice"},
	} {
		if _, err := NewDependency(KindPayment, "psp", tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewDependency: err = %v, want %q", err, tc.want)
		}
	}
}

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
