package instrument

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/jackcode/igmon/internal/checkstest"
)

// pspServer is a loopback stand-in for a payment provider.
func pspServer(t *testing.T) (*httptest.Server, string, int) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad", http.StatusBadRequest) })
	mux.HandleFunc("/declined", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "declined", http.StatusPaymentRequired) })
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())
	return srv, u.Hostname(), port
}

func clientAttrs(method, host string, port, status int, errType string) attribute.Set {
	kvs := []attribute.KeyValue{
		attribute.String("http.request.method", method),
		attribute.String("server.address", host),
	}
	if port > 0 {
		kvs = append(kvs, attribute.Int("server.port", port))
	}
	if status > 0 {
		kvs = append(kvs, attribute.Int("http.response.status_code", status), attribute.String("network.protocol.version", "1.1"))
	}
	if errType != "" {
		kvs = append(kvs, attribute.String("error.type", errType))
	}
	return attribute.NewSet(kvs...)
}

func TestTransportRecordsSemconvAndDependencyMetrics(t *testing.T) {
	srv, host, port := pspServer(t)
	m, reader := newRig(t)
	d := mustDep(t, m, KindPayment, "psp", WithDefaultOperation("charge"))
	client := &http.Client{Transport: d.Transport(srv.Client().Transport)}

	// A closed port on loopback: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + ln.Addr().String() + "/ok"
	refusedPort := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()

	do := func(ctx context.Context, method, u string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	}
	ctx := context.Background()
	do(WithOperation(ctx, "deposit"), http.MethodPost, srv.URL+"/ok?player=123&amount=50")
	do(WithOperation(ctx, "deposit"), http.MethodPost, srv.URL+"/ok?player=456&amount=70")
	do(ctx, http.MethodGet, srv.URL+"/bad")
	do(ctx, http.MethodGet, srv.URL+"/down")
	do(ctx, "BREW", srv.URL+"/ok")
	do(ctx, http.MethodGet, refusedURL)
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	do(WithOperation(tctx, "withdraw"), http.MethodPost, srv.URL+"/slow")
	cancel()

	sm := scope(t, reader)
	want := metricdata.Metrics{
		Name: metricHTTPClientDuration, Unit: "s", Description: "Duration of HTTP client requests.",
		Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
			{Attributes: clientAttrs("POST", host, port, 200, ""), Count: 2},
			{Attributes: clientAttrs("GET", host, port, 400, "400"), Count: 1},
			{Attributes: clientAttrs("GET", host, port, 503, "503"), Count: 1},
			{Attributes: clientAttrs("_OTHER", host, port, 200, ""), Count: 1},
			{Attributes: clientAttrs("GET", "127.0.0.1", refusedPort, 0, errorTypeConnectionRefused), Count: 1},
			{Attributes: clientAttrs("POST", host, port, 0, errorTypeTimeout), Count: 1},
		}},
	}
	got := metricNamed(t, sm, metricHTTPClientDuration)
	metricdatatest.AssertEqual(t, want, got, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue())
	for _, dp := range got.Data.(metricdata.Histogram[float64]).DataPoints {
		if fmt.Sprint(dp.Bounds) != fmt.Sprint(httpDurationBuckets) {
			t.Fatalf("bounds %v", dp.Bounds)
		}
		if c := want.Data.(metricdata.Histogram[float64]).DataPoints; true {
			for _, w := range c {
				if w.Attributes.Equals(&dp.Attributes) && w.Count != dp.Count {
					t.Errorf("%v: count %d, want %d", dp.Attributes, dp.Count, w.Count)
				}
			}
		}
	}

	calls := sumValues(t, metricNamed(t, sm, metricDependencyCalls))
	wantCalls := map[attribute.Distinct]int64{
		depAttrs(KindPayment, "psp", "deposit", "success", ""):                      2,
		depAttrs(KindPayment, "psp", "charge", "rejected", "400"):                   1,
		depAttrs(KindPayment, "psp", "charge", "error", "503"):                      1,
		depAttrs(KindPayment, "psp", "charge", "success", ""):                       1,
		depAttrs(KindPayment, "psp", "charge", "error", errorTypeConnectionRefused): 1,
		depAttrs(KindPayment, "psp", "withdraw", "timeout", errorTypeTimeout):       1,
	}
	if len(calls) != len(wantCalls) {
		t.Errorf("got %d call series, want %d", len(calls), len(wantCalls))
	}
	for k, v := range wantCalls {
		if calls[k] != v {
			t.Errorf("calls %v = %d, want %d", k, calls[k], v)
		}
	}
	st := statsNow(t, m, d)
	if st.Calls != 7 || st.Failures != 3 || st.Rejected != 1 || st.Timeouts != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTransportClassifierMakesDeclinesTheirOwnSeries(t *testing.T) {
	srv, _, _ := pspServer(t)
	m, reader := newRig(t)
	d := mustDep(t, m, KindPayment, "psp", WithDefaultOperation("deposit"),
		WithClassifier(func(resp *http.Response, err error) Outcome {
			if resp != nil && resp.StatusCode == http.StatusPaymentRequired {
				return OutcomeDeclined
			}
			return OutcomeUnset
		}))
	client := &http.Client{Transport: d.Transport(nil)}
	for range 30 {
		resp, err := client.Get(srv.URL + "/declined")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	calls := sumValues(t, metricNamed(t, scope(t, reader), metricDependencyCalls))
	if calls[depAttrs(KindPayment, "psp", "deposit", "declined", "402")] != 30 {
		t.Fatalf("declines: %v", calls)
	}
	st := statsNow(t, m, d)
	if st.Declined != 30 || st.Failures != 0 || st.ErrorRate != 0 {
		t.Fatalf("declines counted against the provider: %+v", st)
	}
	c, err := d.HealthCheck(WithMinCalls(10))
	if err != nil {
		t.Fatal(err)
	}
	if o := checkstest.Run(context.Background(), c); o.Err != nil {
		t.Fatalf("passive check failed on declines: %v", o.Err)
	}
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

func TestTransportHostsAreBounded(t *testing.T) {
	m, reader := newRig(t)
	var mu sync.Mutex
	fixed := mustDep(t, m, KindGameProvider, "agg", WithHosts("api.agg.test"))
	free := mustDep(t, m, KindGameProvider, "free")
	ok := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		return &http.Response{StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody, Request: r}, nil
	})
	for i := range 100 {
		for _, d := range []*Dependency{fixed, free} {
			req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("https://h%d.agg.test/launch?session=%d", i, i), nil)
			if _, err := d.Transport(ok).RoundTrip(req); err != nil {
				t.Fatal(err)
			}
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "https://api.agg.test/x", nil)
	_, _ = fixed.Transport(ok).RoundTrip(req)
	h := histCounts(t, metricNamed(t, scope(t, reader), metricHTTPClientDuration))
	// api.agg.test, the first maxHosts hosts of free, and one _OTHER
	// shared by both (http.client.* carries no dependency name).
	if len(h) != 1+maxHosts+1 {
		t.Fatalf("%d client series, want %d", len(h), maxHosts+2)
	}
	other := attribute.NewSet(attribute.String("http.request.method", "GET"), attribute.String("server.address", "_OTHER"),
		attribute.Int("http.response.status_code", 200), attribute.String("network.protocol.version", "1.1"))
	if h[other.Equivalent()] != 100+100-maxHosts {
		t.Fatalf("_OTHER host count %d", h[other.Equivalent()])
	}
	api := attribute.NewSet(attribute.String("http.request.method", "GET"), attribute.String("server.address", "api.agg.test"),
		attribute.Int("server.port", 443), attribute.Int("http.response.status_code", 200), attribute.String("network.protocol.version", "1.1"))
	if h[api.Equivalent()] != 1 {
		t.Fatalf("configured host not recorded: %v", h)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTransportPanicInNextIsRecorded(t *testing.T) {
	m, reader := newRig(t)
	d := mustDep(t, m, KindInternal, "wallet")
	rt := d.Transport(roundTripFunc(func(*http.Request) (*http.Response, error) { panic("bad transport") }))
	func() {
		defer func() { _ = recover() }()
		req, _ := http.NewRequest(http.MethodGet, "http://wallet.internal/x", nil)
		_, _ = rt.RoundTrip(req)
	}()
	calls := sumValues(t, metricNamed(t, scope(t, reader), metricDependencyCalls))
	if calls[depAttrs(KindInternal, "wallet", "_OTHER", "error", "panic")] != 1 {
		t.Fatalf("calls %v", calls)
	}
}

func TestTransportConcurrent(t *testing.T) {
	srv, _, _ := pspServer(t)
	m, reader := newRig(t)
	d := mustDep(t, m, KindPayment, "psp")
	client := &http.Client{Transport: d.Transport(srv.Client().Transport)}
	const goroutines, reqs = 8, 50
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range reqs {
				path := "/ok"
				if (g+i)%5 == 0 {
					path = "/down"
				}
				ctx := WithOperation(context.Background(), fmt.Sprintf("op%d", i%4))
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
		})
	}
	wg.Wait()
	var total int64
	for _, v := range sumValues(t, metricNamed(t, scope(t, reader), metricDependencyCalls)) {
		total += v
	}
	if total != goroutines*reqs {
		t.Fatalf("recorded %d calls, want %d", total, goroutines*reqs)
	}
	if st := statsNow(t, m, d); st.Errors != goroutines*reqs/5 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTransportAllocations(t *testing.T) {
	m, _ := newRig(t)
	d := mustDep(t, m, KindPayment, "psp")
	resp := &http.Response{StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, Body: http.NoBody}
	next := roundTripFunc(func(*http.Request) (*http.Response, error) { return resp, nil })
	rt := d.Transport(next)
	req, _ := http.NewRequest(http.MethodGet, "https://api.psp.test/v1/charges", nil)
	_, _ = rt.RoundTrip(req)
	if a := testing.AllocsPerRun(1000, func() { _, _ = rt.RoundTrip(req) }); a > 0 {
		t.Fatalf("RoundTrip adds %v allocations per request", a)
	}
	fail := roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, context.DeadlineExceeded })
	rt = d.Transport(fail)
	_, _ = rt.RoundTrip(req)
	if a := testing.AllocsPerRun(1000, func() { _, _ = rt.RoundTrip(req) }); a > 0 {
		t.Fatalf("a failing RoundTrip adds %v allocations per request", a)
	}
}

// bodyServer serves the ways a response body can end after its headers.
func bodyServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	// Promises 100 bytes, sends 10, then drops the connection.
	mux.HandleFunc("/truncated", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "0123456789")
		w.(http.Flusher).Flush()
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = c.Close()
		}
	})
	// Sends the headers and a first chunk, then stalls until the client
	// gives up.
	mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "{")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"ok"}`+strings.Repeat(" ", 4096))
	})
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/json", http.StatusFound) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	// A minimal protocol upgrade: 101, then echo one line.
	mux.HandleFunc("/upgrade", func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString(line)
		_ = brw.Flush()
	})
	srv := httptest.NewServer(mux)
	srv.Config.ErrorLog = discardLogger()
	t.Cleanup(srv.Close)
	return srv
}

func inFlight(t *testing.T, reader *sdkmetric.ManualReader, kind, name, op string) int64 {
	t.Helper()
	s := attribute.NewSet(attribute.String(attrDependencyKind, kind), attribute.String(attrDependencyName, name),
		attribute.String(attrDependencyOperation, op))
	return sumValues(t, metricNamed(t, scope(t, reader), metricDependencyInFlight))[s.Equivalent()]
}

// TestTransportBodyErrorsAfterHeaders: a 200 whose body breaks is a failed
// call to the provider, and the call stays in flight until its body ends.
func TestTransportBodyErrorsAfterHeaders(t *testing.T) {
	srv := bodyServer(t)
	m, reader := newRig(t)
	d := mustDep(t, m, KindPayment, "psp", WithDefaultOperation("deposit"))
	client := &http.Client{Transport: d.Transport(srv.Client().Transport)}
	ctx := context.Background()

	// Truncated body: headers say 200, the read fails.
	resp, err := client.Get(srv.URL + "/truncated")
	if err != nil {
		t.Fatal(err)
	}
	if n := inFlight(t, reader, KindPayment, "psp", "deposit"); n != 1 {
		t.Fatalf("in flight before the body ended = %d, want 1", n)
	}
	if st := statsNow(t, m, d); st.Calls != 0 {
		t.Fatalf("call recorded at the headers, before its body ended: %+v", st)
	}
	_, rerr := io.ReadAll(resp.Body)
	if !errors.Is(rerr, io.ErrUnexpectedEOF) {
		t.Fatalf("read error %v, want ErrUnexpectedEOF", rerr)
	}
	_ = resp.Body.Close()

	// Deadline while the body streams: a timeout.
	tctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	req, _ := http.NewRequestWithContext(tctx, http.MethodGet, srv.URL+"/stall", nil)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, rerr = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	cancel()
	if !errors.Is(rerr, context.DeadlineExceeded) {
		t.Fatalf("stalled body read error %v, want DeadlineExceeded", rerr)
	}

	// The caller gives up while the body streams: canceled, which says
	// nothing about the provider.
	cctx, cancelCall := context.WithCancel(ctx)
	req, _ = http.NewRequestWithContext(cctx, http.MethodGet, srv.URL+"/stall", nil)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	_, _ = resp.Body.Read(buf)
	cancelCall()
	_, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()

	// A decoder that stops at the end of its value and closes early is a
	// success; reads after Close are the caller's mistake, not the
	// provider's.
	resp, err = client.Get(srv.URL + "/json")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = resp.Body.Read(make([]byte, 8))
	_ = resp.Body.Close()
	if _, err := resp.Body.Read(buf); err == nil {
		t.Fatal("read after Close succeeded")
	}
	_ = resp.Body.Close() // a second Close records nothing more

	calls := sumValues(t, metricNamed(t, scope(t, reader), metricDependencyCalls))
	want := map[attribute.Distinct]int64{
		depAttrs(KindPayment, "psp", "deposit", "error", errorTypeEOF):         1,
		depAttrs(KindPayment, "psp", "deposit", "timeout", errorTypeTimeout):   1,
		depAttrs(KindPayment, "psp", "deposit", "canceled", errorTypeCanceled): 1,
		depAttrs(KindPayment, "psp", "deposit", "success", ""):                 1,
	}
	if len(calls) != len(want) {
		t.Errorf("%d call series, want %d: %v", len(calls), len(want), calls)
	}
	for k, v := range want {
		if calls[k] != v {
			t.Errorf("calls %v = %d, want %d", k, calls[k], v)
		}
	}
	if st := statsNow(t, m, d); st.Calls != 3 || st.Errors != 1 || st.Timeouts != 1 || st.Success != 1 {
		t.Fatalf("window %+v: want the truncated body as an error, the stall as a timeout, the cancel left out", st)
	}
	if n := inFlight(t, reader, KindPayment, "psp", "deposit"); n != 0 {
		t.Fatalf("in flight after every body ended = %d", n)
	}
	// The semantic-convention metric ends at the headers, as otelhttp's:
	// four 200s without error.type.
	var n200 uint64
	for _, dp := range metricNamed(t, scope(t, reader), metricHTTPClientDuration).Data.(metricdata.Histogram[float64]).DataPoints {
		v, _ := dp.Attributes.Value("http.response.status_code")
		if _, hasErr := dp.Attributes.Value("error.type"); v.AsInt64() != 200 || hasErr {
			t.Errorf("client series %v: want status 200 without error.type", dp.Attributes)
		}
		n200 += dp.Count
	}
	if n200 != 4 {
		t.Fatalf("http.client.request.duration count %d, want 4", n200)
	}
}

// TestTransportBodylessAndUpgradedResponses: responses without a body to
// read are recorded at once; a 101's body stays the writable connection.
func TestTransportBodylessAndUpgradedResponses(t *testing.T) {
	srv := bodyServer(t)
	m, reader := newRig(t)
	d := mustDep(t, m, KindGameProvider, "agg", WithDefaultOperation("launch"))
	client := &http.Client{Transport: d.Transport(srv.Client().Transport)}

	// HEAD and 204: nothing to read, recorded without touching the body.
	for _, tc := range []struct{ method, path string }{{"HEAD", "/json"}, {"GET", "/empty"}} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if n := inFlight(t, reader, KindGameProvider, "agg", "launch"); n != 0 {
			t.Fatalf("%s %s: in flight %d without a body to read", tc.method, tc.path, n)
		}
		_ = resp.Body.Close()
	}

	// 101: the body is the upgraded connection and must stay writable.
	req, _ := http.NewRequest("GET", srv.URL+"/upgrade", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if !ok {
		t.Fatalf("101 body is %T, not an io.ReadWriteCloser", resp.Body)
	}
	if _, err := io.WriteString(rwc, "ping\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(rwc).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo %q %v", line, err)
	}
	_ = rwc.Close()

	if st := statsNow(t, m, d); st.Calls != 3 || st.Success != 3 {
		t.Fatalf("stats %+v, want HEAD, 204 and 101 as successes", st)
	}
}

// TestTransportRedirectHops: http.Client calls RoundTrip once per hop; each
// hop is its own request with its own status, as the conventions say.
func TestTransportRedirectHops(t *testing.T) {
	srv := bodyServer(t)
	m, reader := newRig(t)
	d := mustDep(t, m, KindKYC, "kyc", WithDefaultOperation("verify"))
	client := &http.Client{Transport: d.Transport(srv.Client().Transport)}
	resp, err := client.Get(srv.URL + "/old")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	statuses := map[int64]uint64{}
	for _, dp := range metricNamed(t, scope(t, reader), metricHTTPClientDuration).Data.(metricdata.Histogram[float64]).DataPoints {
		v, _ := dp.Attributes.Value("http.response.status_code")
		statuses[v.AsInt64()] += dp.Count
		if _, ok := dp.Attributes.Value("error.type"); ok {
			t.Errorf("redirect hop has error.type: %v", dp.Attributes)
		}
	}
	if statuses[302] != 1 || statuses[200] != 1 || len(statuses) != 2 {
		t.Fatalf("hops %v, want one 302 and one 200", statuses)
	}
	if st := statsNow(t, m, d); st.Calls != 2 || st.Success != 2 || st.Failures != 0 {
		t.Fatalf("stats %+v", st)
	}
	if n := inFlight(t, reader, KindKYC, "kyc", "verify"); n != 0 {
		t.Fatalf("the redirect's body, closed by http.Client, left %d in flight", n)
	}
}

// TestTransportBodyReadCloseRace: a body read in one goroutine and closed
// in another records its call exactly once (run with -race).
func TestTransportBodyReadCloseRace(t *testing.T) {
	m, _ := newRig(t)
	d := mustDep(t, m, KindInternal, "wallet")
	next := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write([]byte("chunk"))
			_ = pw.CloseWithError(errors.New("stream broke"))
		}()
		return &http.Response{StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, ContentLength: -1, Body: pr, Request: r}, nil
	})
	rt := d.Transport(next)
	const n = 50
	for range n {
		req, _ := http.NewRequest(http.MethodGet, "http://wallet.internal/balance", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = io.ReadAll(resp.Body) })
		wg.Go(func() { _ = resp.Body.Close() })
		wg.Wait()
	}
	if st := statsNow(t, m, d); st.Calls != n {
		t.Fatalf("%d calls recorded for %d requests", st.Calls, n)
	}
}

// TestTransportBodyAllocations: watching a body costs one allocation (the
// wrapper), within the budget of two above the bare transport.
func TestTransportBodyAllocations(t *testing.T) {
	m, _ := newRig(t)
	d := mustDep(t, m, KindPayment, "psp")
	body := &rewindBody{data: []byte(`{"ok":true}`)}
	resp := &http.Response{StatusCode: 200, ProtoMajor: 1, ProtoMinor: 1, ContentLength: -1}
	next := roundTripFunc(func(*http.Request) (*http.Response, error) {
		body.off = 0
		resp.Body = body
		return resp, nil
	})
	req, _ := http.NewRequest(http.MethodGet, "https://api.psp.test/v1/charges", nil)
	buf := make([]byte, 64)
	use := func(rt http.RoundTripper) func() {
		return func() {
			r, _ := rt.RoundTrip(req)
			for {
				if _, err := r.Body.Read(buf); err != nil {
					break
				}
			}
			_ = r.Body.Close()
		}
	}
	rt := d.Transport(next)
	use(rt)()
	bare := testing.AllocsPerRun(1000, use(next))
	wrapped := testing.AllocsPerRun(1000, use(rt))
	if wrapped-bare > 1 {
		t.Fatalf("a response with a body costs %v allocations above bare (%v), want at most 1", wrapped-bare, bare)
	}
}

type rewindBody struct {
	data []byte
	off  int
}

func (b *rewindBody) Read(p []byte) (int, error) {
	if b.off >= len(b.data) {
		return 0, io.EOF
	}
	n := copy(p, b.data[b.off:])
	b.off += n
	return n, nil
}

func (b *rewindBody) Close() error { return nil }
