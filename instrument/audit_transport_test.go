package instrument

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

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
