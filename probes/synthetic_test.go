package probes

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"go.opentelemetry.io/otel/attribute"
)

// selfSigned returns a TLS certificate for 127.0.0.1 that expires after
// validFor, and a pool that trusts it.
func selfSigned(t testing.TB, validFor time.Duration) (tls.Certificate, *x509.CertPool, time.Time) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := time.Now().Add(validFor).Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "igmon test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, notAfter
}

func tlsServer(t testing.TB, h http.Handler, validFor time.Duration) (*httptest.Server, *x509.CertPool, time.Time) {
	t.Helper()
	cert, pool, notAfter := selfSigned(t, validFor)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, pool, notAfter
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func testServer(t testing.TB) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","checks":[{"name":"db","up":true}],"latency":12}`))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("X-Api-Key") != "k1" {
			http.Error(w, "bad request shape", http.StatusBadRequest)
			return
		}
		var b strings.Builder
		buf := make([]byte, 64)
		for {
			n, err := r.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		w.Write([]byte(b.String()))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // hang until the client gives up
	})
	mux.HandleFunc("/slowbody", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 32<<10))
		for i := 0; i < 1<<15; i++ { // 1 GiB if nobody stops reading
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPProbeOutcomes(t *testing.T) {
	srv := testServer(t)
	tests := []struct {
		name       string
		path       string
		opts       []HTTPOption
		wantReason failureReason
		wantStatus int
	}{
		{"ok", "/ok", nil, reasonNone, 200},
		{"json field", "/ok", []HTTPOption{WithJSONField("status", "ok"), WithJSONField("checks.0.up", "true"), WithJSONField("latency", "12")}, reasonNone, 200},
		{"json field mismatch", "/ok", []HTTPOption{WithJSONField("checks.0.name", "redis")}, reasonAssertion, 200},
		{"json path missing", "/ok", []HTTPOption{WithJSONField("nope", "x")}, reasonAssertion, 200},
		{"body contains", "/ok", []HTTPOption{WithBodyContains(`"ok"`)}, reasonNone, 200},
		{"body lacks", "/ok", []HTTPOption{WithBodyContains("maintenance")}, reasonAssertion, 200},
		{"unexpected status", "/fail", nil, reasonHTTPStatus, 503},
		{"expected 503", "/fail", []HTTPOption{WithExpectStatus(503)}, reasonNone, 503},
		{"method headers body", "/echo", []HTTPOption{WithMethod("POST"), WithHeader("X-Api-Key", "k1"), WithBody([]byte("ping")), WithBodyContains("ping")}, reasonNone, 200},
		{"missing header", "/echo", []HTTPOption{WithMethod("POST")}, reasonHTTPStatus, 400},
		{"latency threshold", "/ok", []HTTPOption{WithMaxLatency(time.Nanosecond)}, reasonAssertion, 200},
		{"slow server", "/slow", []HTTPOption{WithTimeout(300 * time.Millisecond)}, reasonTimeout, 0},
		{"slow body", "/slowbody", []HTTPOption{WithTimeout(300 * time.Millisecond)}, reasonTimeout, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp, rd := testMeter(t)
			p, err := HTTP(mp, "psp", srv.URL+tt.path, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r := p.Run(context.Background())
			if r.Reason != tt.wantReason || r.Success != (tt.wantReason == reasonNone) {
				t.Fatalf("reason %q success %v (error %q), want reason %q", r.Reason, r.Success, r.Error, tt.wantReason)
			}
			if r.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", r.StatusCode, tt.wantStatus)
			}
			if r.Phases.Connect <= 0 {
				t.Errorf("connect phase not measured: %+v", r.Phases)
			}
			rm := collect(t, rd)
			name := attribute.String(igsemconv.AttrProbeName, "psp")
			wantOK := 0.0
			if r.Success {
				wantOK = 1
			}
			if v := mustValue(t, rm, igsemconv.MetricProbeSuccess, name, attribute.String(igsemconv.AttrProbeKind, "http")); v != wantOK {
				t.Errorf("%s = %v, want %v", igsemconv.MetricProbeSuccess, v, wantOK)
			}
			if tt.wantReason != reasonNone {
				pt, ok := value(rm, igsemconv.MetricProbeDuration, name, attribute.String(igsemconv.AttrFailureReason, string(tt.wantReason)))
				if !ok || pt.count != 1 {
					t.Errorf("duration histogram has no run with reason %q: %v", tt.wantReason, points(rm, igsemconv.MetricProbeDuration))
				}
			}
		})
	}
}

func TestHTTPProbePhasesAndHistory(t *testing.T) {
	srv := testServer(t)
	mp, rd := testMeter(t)
	p, err := HTTP(mp, "game-launch", srv.URL+"/ok", withHistory(2))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 3 {
		if r := p.Run(context.Background()); !r.Success {
			t.Fatalf("run failed: %s", r.Error)
		}
	}
	if got := len(p.results()); got != 2 {
		t.Errorf("history holds %d results, want the last 2", got)
	}
	last, ok := p.Last()
	if !ok || last.Phases.Processing <= 0 || last.Phases.Connect <= 0 {
		t.Errorf("last result phases %+v", last.Phases)
	}
	if last.Duration < last.Phases.Connect+last.Phases.Processing {
		t.Errorf("total %v shorter than its phases %+v", last.Duration, last.Phases)
	}
	rm := collect(t, rd)
	for _, ph := range []string{"connect", "processing", "transfer"} {
		pt, ok := value(rm, igsemconv.MetricProbePhaseDuration, attribute.String(igsemconv.AttrProbePhase, ph))
		if !ok || pt.count != 3 {
			t.Errorf("phase %s: %v", ph, points(rm, igsemconv.MetricProbePhaseDuration))
		}
	}
	if _, ok := value(rm, igsemconv.MetricProbePhaseDuration, attribute.String(igsemconv.AttrProbePhase, "tls")); ok {
		t.Error("tls phase recorded for plain http")
	}
}

func TestHTTPProbeHugeBodyReadOnlyToLimit(t *testing.T) {
	srv := testServer(t)
	p, err := HTTP(nil, "huge", srv.URL+"/huge", WithMaxBodyBytes(64<<10), WithBodyContains("xxx"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	if !r.Success {
		t.Fatalf("huge body: %s %s", r.Reason, r.Error)
	}
	if !r.BodyTruncated || r.BodyBytes != 64<<10 {
		t.Errorf("read %d bytes, truncated %v; want exactly the 64 KiB limit", r.BodyBytes, r.BodyTruncated)
	}
}

func TestHTTPProbeTLSCertExpiry(t *testing.T) {
	srv, pool, notAfter := tlsServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), 3*24*time.Hour)
	mp, rd := testMeter(t)
	p, err := HTTP(mp, "psp-tls", srv.URL, WithTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	if !r.Success {
		t.Fatalf("%s: %s", r.Reason, r.Error)
	}
	if !r.CertExpiry.Equal(notAfter) {
		t.Errorf("cert expiry %v, want %v", r.CertExpiry, notAfter)
	}
	if r.Phases.TLS <= 0 {
		t.Errorf("tls phase not measured: %+v", r.Phases)
	}
	left := mustValue(t, collect(t, rd), igsemconv.MetricProbeCertExpiry, attribute.String(igsemconv.AttrProbeName, "psp-tls"))
	if left < 2.9*86400 || left > 3*86400 {
		t.Errorf("%s = %v s, want about 3 days", igsemconv.MetricProbeCertExpiry, left)
	}

	// Requiring two weeks of validity turns the same answer into a failure.
	p2, err := HTTP(nil, "psp-tls-2w", srv.URL, WithTLSConfig(&tls.Config{RootCAs: pool}), WithMinCertValidity(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if r := p2.Run(context.Background()); r.Reason != reasonCertExpiry {
		t.Errorf("cert expiring in 3 days with 14 days required: reason %q", r.Reason)
	}

	// Without the test CA the handshake fails verification.
	p3, err := HTTP(nil, "psp-untrusted", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p3.Close()
	if r := p3.Run(context.Background()); r.Reason != reasonTLS {
		t.Errorf("untrusted certificate: reason %q (%s)", r.Reason, r.Error)
	}
}

// runMade builds a probe with build, runs it once and closes it.
func runMade(t *testing.T, build func() (*Probe, error)) Result {
	t.Helper()
	p, err := build()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	return p.Run(context.Background())
}

func TestNetworkFailureReasons(t *testing.T) {
	closed := closedAddr(t)
	mk := func(f func() (*Probe, error)) func() (*Probe, error) { return f }
	tests := []struct {
		name string
		make func() (*Probe, error)
		want failureReason
	}{
		{"http closed port", mk(func() (*Probe, error) { return HTTP(nil, "p", "http://"+closed+"/") }), reasonConnect},
		{"http invalid name", mk(func() (*Probe, error) { return HTTP(nil, "p", "http://provider.invalid/") }), reasonDNS},
		{"tcp closed port", mk(func() (*Probe, error) { return TCP(nil, "p", closed) }), reasonConnect},
		{"tcp invalid name", mk(func() (*Probe, error) { return TCP(nil, "p", "provider.invalid:443") }), reasonDNS},
		{"tls closed port", mk(func() (*Probe, error) { return TLS(nil, "p", closed) }), reasonConnect},
		{"dns invalid name", mk(func() (*Probe, error) { return DNS(nil, "p", "provider.invalid") }), reasonDNS},
		{"dns resolver down", mk(func() (*Probe, error) { return DNS(nil, "p", "example.com", WithResolver(closed)) }), reasonDNS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runMade(t, tt.make)
			if r.Success || r.Reason != tt.want {
				t.Errorf("reason %q (error %q), want %q", r.Reason, r.Error, tt.want)
			}
		})
	}
}

func TestTCPAndTLSProbes(t *testing.T) {
	srv, pool, notAfter := tlsServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), 5*24*time.Hour)
	addr := srv.Listener.Addr().String()
	tcp, err := TCP(nil, "kyc-tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if r := tcp.Run(context.Background()); !r.Success || r.Phases.Connect <= 0 || r.Phases.DNS != 0 {
		t.Errorf("tcp: %+v", r)
	}
	tp, err := TLS(nil, "kyc-tls", addr, WithTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatal(err)
	}
	r := tp.Run(context.Background())
	if !r.Success || !r.CertExpiry.Equal(notAfter) || r.Phases.TLS <= 0 {
		t.Errorf("tls: %+v", r)
	}
	// localhost goes through the resolver: a dns phase and a lookup metric.
	mp, rd := testMeter(t)
	_, port, _ := net.SplitHostPort(addr)
	lp, err := TLS(mp, "kyc-tls-name", "localhost:"+port, WithTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatal(err)
	}
	if r := lp.Run(context.Background()); !r.Success || r.Phases.DNS <= 0 {
		t.Errorf("tls by name: %+v", r)
	}
	pt, ok := value(collect(t, rd), igsemconv.MetricDNSLookupDuration, attribute.String("dns.question.name", "localhost"))
	if !ok || pt.count != 1 {
		t.Errorf("dns.lookup.duration: %v", pt)
	}
	untrusted, err := TLS(nil, "kyc-tls-untrusted", addr)
	if err != nil {
		t.Fatal(err)
	}
	if r := untrusted.Run(context.Background()); r.Reason != reasonTLS {
		t.Errorf("untrusted: reason %q", r.Reason)
	}
}

func TestDNSProbeResolves(t *testing.T) {
	mp, rd := testMeter(t)
	p, err := DNS(mp, "local", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	r := p.Run(context.Background())
	if !r.Success || len(r.Addresses) == 0 || !r.Addresses[0].IsLoopback() {
		t.Fatalf("localhost: %+v", r)
	}
	if _, ok := value(collect(t, rd), igsemconv.MetricDNSLookupDuration, attribute.String("dns.question.name", "localhost")); !ok {
		t.Error("no dns.lookup.duration point")
	}
	// A failed lookup carries a bounded error.type.
	mp2, rd2 := testMeter(t)
	bad, _ := DNS(mp2, "nx", "provider.invalid")
	bad.Run(context.Background())
	if _, ok := value(collect(t, rd2), igsemconv.MetricDNSLookupDuration, attribute.String("error.type", "host_not_found")); !ok {
		t.Error("NXDOMAIN not recorded as error.type=host_not_found")
	}
}

func TestDNSProbeExpectAddrs(t *testing.T) {
	tests := []struct {
		name   string
		expect string
		ok     bool
	}{
		{"expected address answered", "127.0.0.1", true},
		{"expected address missing", "192.0.2.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DNS(nil, "local", "localhost", WithIPNetwork("ip4"), WithExpectAddrs(tt.expect))
			if err != nil {
				t.Fatal(err)
			}
			r := p.Run(context.Background())
			if r.Success != tt.ok {
				t.Fatalf("success %v, want %v (%s: %s)", r.Success, tt.ok, r.Reason, r.Error)
			}
			if !tt.ok && (r.Reason != reasonAssertion || !strings.Contains(r.Error, tt.expect)) {
				t.Errorf("reason %q error %q, want assertion naming %s", r.Reason, r.Error, tt.expect)
			}
		})
	}
	if _, err := DNS(nil, "local", "localhost", WithExpectAddrs("not-an-ip")); err == nil || !strings.Contains(err.Error(), "expect addrs") {
		t.Errorf("a bad address: %v, want an error naming expect addrs", err)
	}
	// WithExpectAddrs given to TCP does not compile: it is a DNSOption.
}

// A certificate inside the warn window makes the probe's check warn while
// the run itself still succeeds; inside WithMinCertValidity it fails.
func TestProbeCheckWarnsBeforeCertExpiry(t *testing.T) {
	srv, pool, _ := tlsServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), 3*24*time.Hour)
	tests := []struct {
		name string
		opts []HTTPOption
		want checks.Status
	}{
		{"outside the warn window", []HTTPOption{WithCertWarn(24 * time.Hour)}, checks.StatusPass},
		{"inside the warn window", []HTTPOption{WithCertWarn(21 * 24 * time.Hour)}, checks.StatusWarn},
		{"below the minimum validity", []HTTPOption{WithCertWarn(21 * 24 * time.Hour), WithMinCertValidity(7 * 24 * time.Hour)}, checks.StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]HTTPOption{WithTLSConfig(&tls.Config{RootCAs: pool})}, tt.opts...)
			p, err := HTTP(nil, "psp-cert", srv.URL, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			c, err := p.Check(checks.WithThresholds(1, 1), checks.WithCritical(true))
			if err != nil {
				t.Fatal(err)
			}
			reg, err := checks.NewRegistry()
			if err != nil {
				t.Fatal(err)
			}
			if err := reg.Add(c); err != nil {
				t.Fatal(err)
			}
			if got := reg.Evaluate(context.Background(), checks.Readiness).Status; got != tt.want {
				t.Fatalf("status %v, want %v", got, tt.want)
			}
		})
	}
}

// TestRunCancelledIsNotRecorded: a run whose caller cancels it while the
// endpoint is still answering reports "canceled" and leaves no result: it
// says nothing about the endpoint.
func TestRunCancelledIsNotRecorded(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The caller gives up once the request has reached the endpoint, which
	// then hangs until the client goes away.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	}))
	defer srv.Close()
	p, err := HTTP(nil, "c", srv.URL+"/slow")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Run(ctx)
	if r.Reason != reasonCanceled {
		t.Errorf("reason %q, want canceled", r.Reason)
	}
	if _, ok := p.Last(); ok {
		t.Error("a cancelled run was kept in the history")
	}
}

// TestRepeatableOptionsAdd: options that add to the config may be given
// more than once; each one counts.
func TestRepeatableOptionsAdd(t *testing.T) {
	p, err := HTTP(nil, "psp-a", "http://x/",
		WithHeader("X-A", "1"), WithHeader("X-A", "2"), WithBodyContains("a"), WithBodyContains("b"),
		WithJSONField("s", "ok"), WithJSONField("n", "1"), WithoutRedirects(), WithoutRedirects())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if h := p.cfg.header.Values("X-A"); len(h) != 2 || len(p.cfg.bodyContains) != 2 || len(p.cfg.jsonFields) != 2 {
		t.Fatalf("header %v, body contains %v, json fields %v: want two of each", h, p.cfg.bodyContains, p.cfg.jsonFields)
	}
	d, err := DNS(nil, "dns-a", "example.com", WithExpectAddrs("192.0.2.1"), WithExpectAddrs("192.0.2.2"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if len(d.cfg.expectAddrs) != 2 {
		t.Fatalf("expect addrs %v, want both", d.cfg.expectAddrs)
	}
}

// TestConstructorErrorsNameProbeAndField: every invalid argument or option
// fails the constructor with an error naming the probe and the field; a
// single-valued option given twice is one of them.
func TestConstructorErrorsNameProbeAndField(t *testing.T) {
	tests := []struct {
		name  string
		make  func() (*Probe, error)
		field string
	}{
		{"bad url", func() (*Probe, error) { return HTTP(nil, "psp-a", "://nope") }, "url"},
		{"ftp url", func() (*Probe, error) { return HTTP(nil, "psp-a", "ftp://x/") }, "url"},
		{"no host", func() (*Probe, error) { return HTTP(nil, "psp-a", "http:///path") }, "url"},
		{"zero interval", func() (*Probe, error) { return HTTP(nil, "psp-a", "http://x/", WithInterval(0)) }, "interval"},
		{"timeout over interval", func() (*Probe, error) {
			return HTTP(nil, "psp-a", "http://x/", WithInterval(time.Second), WithTimeout(2*time.Second))
		}, "timeout"},
		{"bad jitter", func() (*Probe, error) { return TCP(nil, "psp-a", "x:1", withJitter(1)) }, "jitter"},
		{"tcp no port", func() (*Probe, error) { return TCP(nil, "psp-a", "example.com") }, "address"},
		{"tcp port 0", func() (*Probe, error) { return TCP(nil, "psp-a", "example.com:0") }, "address"},
		{"tls no host", func() (*Probe, error) { return TLS(nil, "psp-a", ":443") }, "address"},
		{"dns bad host", func() (*Probe, error) { return DNS(nil, "psp-a", "a b") }, "host"},
		{"bad resolver", func() (*Probe, error) { return DNS(nil, "psp-a", "x.com", WithResolver("8.8.8.8")) }, "resolver"},
		{"bad status", func() (*Probe, error) { return HTTP(nil, "psp-a", "http://x/", WithExpectStatus(99)) }, "expect status"},
		{"grpc no target", func() (*Probe, error) { return GRPCHealth(nil, "psp-a", "") }, "target"},
		{"bad name", func() (*Probe, error) { return HTTP(nil, "psp a", "http://x/") }, "name"},
		{"timeout twice", func() (*Probe, error) {
			return HTTP(nil, "psp-a", "http://x/", WithTimeout(time.Second), WithTimeout(2*time.Second))
		}, "timeout: given twice"},
		{"method twice", func() (*Probe, error) {
			return HTTP(nil, "psp-a", "http://x/", WithMethod("POST"), WithMethod("GET"))
		}, "method: given twice"},
		{"tls config twice", func() (*Probe, error) {
			return TLS(nil, "psp-a", "x:443", WithTLSConfig(&tls.Config{}), WithTLSConfig(&tls.Config{}))
		}, "tls config: given twice"},
		{"resolver twice", func() (*Probe, error) {
			return DNS(nil, "psp-a", "x.com", WithResolver("10.0.0.1:53"), WithResolver("10.0.0.2:53"))
		}, "resolver: given twice"},
		{"grpc service twice", func() (*Probe, error) {
			return GRPCHealth(nil, "psp-a", "x:1", WithGRPCService("a"), WithGRPCService("b"))
		}, "grpc service: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.make()
			if err == nil {
				p.Close()
				t.Fatal("constructor accepted invalid input")
			}
			if !errors.Is(err, errInvalidProbe) || !strings.Contains(err.Error(), `"psp`) || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q: want errInvalidProbe naming the probe and %q", err, tt.field)
			}
		})
	}
}

func TestURLCredentialsAreRedacted(t *testing.T) {
	p, err := HTTP(nil, "psp", "http://user:s3cret@"+closedAddr(t)+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	if strings.Contains(r.Error, "s3cret") || strings.Contains(p.target, "s3cret") {
		t.Errorf("secret leaked: error %q target %q", r.Error, p.target)
	}
}

// TestProbeCheckCallerOptionsWinByConstruction: Probe.Check's defaults
// fill in only what the caller does not set, so checks.WithCritical(true)
// is not a repeat of the default; the interval and timeout are the
// probe's own (see TestProbeCheckTakesNoCheckInterval).
func TestProbeCheckCallerOptionsWinByConstruction(t *testing.T) {
	p, err := TCP(nil, "psp-tcp", "127.0.0.1:1", WithInterval(time.Minute), WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := p.Check(checks.WithCritical(true), checks.WithThresholds(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	if s := checkstest.SettingsOf(c); !s.Critical || s.Interval != time.Minute || s.ComponentType != "component" {
		t.Errorf("settings %+v: want the caller's critical, the probe's interval, the default component type", s)
	}
	if _, err := p.Check(checks.WithCritical(true), checks.WithCritical(false)); err == nil || !strings.Contains(err.Error(), "WithCritical: given twice") {
		t.Errorf("repeated option: err = %v, want it named", err)
	}
}

// TestProbeCheckTakesNoCheckInterval proves, through the real signature,
// that checks.WithInterval and checks.WithTimeout given to Probe.Check do
// not compile (the probe's own interval and timeout rule), while every
// other common check option does, and no built-in's own option does.
func TestProbeCheckTakesNoCheckInterval(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  any
		want bool
	}{
		{"WithInterval", checks.WithInterval, false},
		{"WithTimeout", checks.WithTimeout, false},
		{"WithName", checks.WithName, false},
		{"WithLatencyWarn", checks.WithLatencyWarn, false},
		{"WithCritical", checks.WithCritical, true},
		{"WithThresholds", checks.WithThresholds, true},
		{"WithJitter", checks.WithJitter, true},
		{"WithEndpoints", checks.WithEndpoints, true},
		{"WithComponentType", checks.WithComponentType, true},
		{"WithInitialDelay", checks.WithInitialDelay, true},
		{"WithStaleAfter", checks.WithStaleAfter, true},
		{"WithOnRequest", checks.WithOnRequest, false},
	} {
		static, dynamic := checkstest.OptionCompiles((*Probe).Check, tt.opt)
		if static != tt.want || dynamic != tt.want {
			t.Errorf("Probe.Check(checks.%s(...)) compiles: %v (its value implements the option type: %v), want %v", tt.name, static, dynamic, tt.want)
		}
	}
}
