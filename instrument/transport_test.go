package instrument

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
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
