package probes

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// testChain is root → intermediate → leaf, the shape public CAs serve, with
// the leaf valid for 127.0.0.1, ::1 and localhost.
type testChain struct {
	cert       tls.Certificate // leaf + intermediate, as a server sends them
	pool       *x509.CertPool  // trusts the root only
	leafExpiry time.Time
	intExpiry  time.Time
}

func newChain(t testing.TB, leafFor, intermediateFor time.Duration) testChain {
	t.Helper()
	now := time.Now()
	mk := func(tmpl, parent *x509.Certificate, pub, signer any) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	rootKey, intKey, leafKey := key(), key(), key()
	ca := func(serial int64, cn string, notAfter time.Time) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
	}
	rootTmpl := ca(1, "igmon test root", now.Add(365*24*time.Hour))
	root := mk(rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	intExpiry := now.Add(intermediateFor).Truncate(time.Second)
	inter := mk(ca(2, "igmon test intermediate", intExpiry), root, &intKey.PublicKey, rootKey)
	leafExpiry := now.Add(leafFor).Truncate(time.Second)
	leaf := mk(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "psp.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: leafExpiry,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		inter, &leafKey.PublicKey, intKey)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return testChain{
		cert:       tls.Certificate{Certificate: [][]byte{leaf.Raw, inter.Raw}, PrivateKey: leafKey, Leaf: leaf},
		pool:       pool,
		leafExpiry: leafExpiry,
		intExpiry:  intExpiry,
	}
}

func (c testChain) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.cert}, MinVersion: tls.VersionTLS12}
}

// TestCertExpiryCoversIntermediates: an intermediate that expires before
// the leaf breaks the chain on that day, so the reported expiry (and
// WithMinCertValidity) follow it, as blackbox_exporter's
// probe_ssl_earliest_cert_expiry does.
func TestCertExpiryCoversIntermediates(t *testing.T) {
	chain := newChain(t, 90*24*time.Hour, 5*24*time.Hour)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = chain.serverConfig()
	srv.StartTLS()
	defer srv.Close()

	// The options below are tlsKinds: valid for both constructors.
	mk := map[string]func(opts ...tlsKinds) (*Probe, error){
		"https": func(opts ...tlsKinds) (*Probe, error) {
			return HTTP(nil, "psp-https", srv.URL, optionsAs[HTTPOption](opts)...)
		},
		"tls": func(opts ...tlsKinds) (*Probe, error) {
			return TLS(nil, "psp-tls", srv.Listener.Addr().String(), optionsAs[TLSOption](opts)...)
		},
	}
	for kind, newProbe := range mk {
		t.Run(kind, func(t *testing.T) {
			p, err := newProbe(WithTLSConfig(&tls.Config{RootCAs: chain.pool}))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r := p.Run(context.Background())
			if !r.Success {
				t.Fatalf("%s: %s", r.Reason, r.Error)
			}
			if !r.CertExpiry.Equal(chain.intExpiry) {
				t.Errorf("cert expiry %v, want the intermediate's %v (leaf %v)", r.CertExpiry, chain.intExpiry, chain.leafExpiry)
			}
			// The leaf has 90 days; the chain has 5: two weeks required fails.
			strict, err := newProbe(WithTLSConfig(&tls.Config{RootCAs: chain.pool}), WithMinCertValidity(14*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			defer strict.Close()
			if r := strict.Run(context.Background()); r.Reason != reasonCertExpiry {
				t.Errorf("intermediate expiring in 5 days, 14 required: reason %q (%s)", r.Reason, r.Error)
			}
		})
	}
}

// TestHTTPProbeRedirectPhasesSumEveryHop: a provider endpoint that
// redirects (http → http → https) is timed over all hops, not just the
// last, and the certificate is the final endpoint's.
func TestHTTPProbeRedirectPhasesSumEveryHop(t *testing.T) {
	const hopDelay = 40 * time.Millisecond
	chain := newChain(t, 30*24*time.Hour, 60*24*time.Hour)
	final := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(hopDelay)
		fmt.Fprint(w, "launched")
	}))
	final.TLS = chain.serverConfig()
	final.StartTLS()
	defer final.Close()
	_, finalPort, _ := net.SplitHostPort(final.Listener.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("/launch", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(hopDelay)
		http.Redirect(w, r, "/launch/v2", http.StatusFound)
	})
	mux.HandleFunc("/launch/v2", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(hopDelay)
		http.Redirect(w, r, "https://localhost:"+finalPort+"/game", http.StatusMovedPermanently)
	})
	first := httptest.NewServer(mux)
	defer first.Close()
	_, firstPort, _ := net.SplitHostPort(first.Listener.Addr().String())

	p, err := HTTP(nil, "game-launch", "http://localhost:"+firstPort+"/launch",
		WithTLSConfig(&tls.Config{RootCAs: chain.pool}), WithBodyContains("launched"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	if !r.Success || r.StatusCode != 200 {
		t.Fatalf("%s: %s (status %d)", r.Reason, r.Error, r.StatusCode)
	}
	if r.Redirects != 2 {
		t.Errorf("redirects %d, want 2", r.Redirects)
	}
	// Each hop's server waits hopDelay before answering: processing over
	// three hops is at least three delays (a lower bound only: robust
	// under load). Before, only the last hop's was reported.
	if r.Phases.Processing < 3*hopDelay {
		t.Errorf("processing %v over 3 hops of at least %v each", r.Phases.Processing, hopDelay)
	}
	if r.Phases.DNS <= 0 || r.Phases.Connect <= 0 || r.Phases.TLS <= 0 {
		t.Errorf("phases %+v: dns, connect and tls must all be measured", r.Phases)
	}
	sum := r.Phases.DNS + r.Phases.Connect + r.Phases.TLS + r.Phases.Processing + r.Phases.Transfer
	if sum > r.Duration {
		t.Errorf("phases add up to %v, more than the run's %v", sum, r.Duration)
	}
	if !r.CertExpiry.Equal(chain.leafExpiry) {
		t.Errorf("cert expiry %v, want the final endpoint's %v", r.CertExpiry, chain.leafExpiry)
	}

	// WithoutRedirects reports the first answer and follows nothing.
	nr, err := HTTP(nil, "game-launch-raw", "http://localhost:"+firstPort+"/launch", WithoutRedirects(), WithExpectStatus(302))
	if err != nil {
		t.Fatal(err)
	}
	defer nr.Close()
	if r := nr.Run(context.Background()); !r.Success || r.Redirects != 0 || r.StatusCode != 302 {
		t.Errorf("without redirects: %+v", r)
	}
}

// TestTLSProbeSessionResumption: with a session cache in the caller's
// tls.Config the second handshake resumes, is reported as resumed and
// still carries the certificate expiry (the alert must not go blind on
// resumed sessions). Without a cache every run is a full handshake.
func TestTLSProbeSessionResumption(t *testing.T) {
	chain := newChain(t, 20*24*time.Hour, 60*24*time.Hour)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			sc := chain.serverConfig()
			sc.MaxVersion = version
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			srv.TLS = sc
			srv.StartTLS()
			defer srv.Close()
			// One cache per probe: a shared one would hand the HTTPS
			// probe's tickets to the TLS probe.
			cache := func() *tls.Config {
				return &tls.Config{RootCAs: chain.pool, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
			}
			probes := map[string]*Probe{}
			for kind, mk := range map[string]func() (*Probe, error){
				"tls": func() (*Probe, error) {
					return TLS(nil, "kyc-tls", srv.Listener.Addr().String(), WithTLSConfig(cache()))
				},
				"https": func() (*Probe, error) { return HTTP(nil, "kyc-https", srv.URL, WithTLSConfig(cache())) },
			} {
				p, err := mk()
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				probes[kind] = p
			}
			for kind, p := range probes {
				// TLS 1.3 tickets arrive after the handshake; a few runs
				// give the client time to store one.
				var resumed Result
				for range 5 {
					if r := p.Run(context.Background()); r.TLSResumed {
						resumed = r
						break
					} else if !r.Success {
						t.Fatalf("%s: %s %s", kind, r.Reason, r.Error)
					}
				}
				if kind == "tls" && version == tls.VersionTLS13 {
					// TLS 1.3 sends tickets after the handshake and the
					// TLS probe hangs up right after it, before reading
					// one: it always measures a full handshake.
					if resumed.TLSResumed {
						t.Errorf("tls probe resumed a TLS 1.3 session it never got a ticket for")
					}
					continue
				}
				if !resumed.TLSResumed {
					t.Fatalf("%s: no run resumed the session", kind)
				}
				if !resumed.Success || !resumed.CertExpiry.Equal(chain.leafExpiry) {
					t.Errorf("%s resumed run: success %v, cert expiry %v, want %v", kind, resumed.Success, resumed.CertExpiry, chain.leafExpiry)
				}
			}
			fresh, err := TLS(nil, "kyc-fresh", srv.Listener.Addr().String(), WithTLSConfig(&tls.Config{RootCAs: chain.pool}))
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if r := fresh.Run(context.Background()); r.TLSResumed || !r.Success {
					t.Errorf("without a session cache: %+v", r)
				}
			}
		})
	}
}

// TestProbesReachIPv6Targets: bracketed IPv6 literals work in every
// address-taking probe.
func TestProbesReachIPv6Targets(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback on this host: %v", err)
	}
	chain := newChain(t, 30*24*time.Hour, 60*24*time.Hour)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = chain.serverConfig()
	srv.StartTLS()
	defer srv.Close()
	addr := ln.Addr().String() // [::1]:port
	tc := &tls.Config{RootCAs: chain.pool}
	tests := []struct {
		name string
		make func() (*Probe, error)
	}{
		{"https", func() (*Probe, error) { return HTTP(nil, "v6-https", "https://"+addr+"/", WithTLSConfig(tc)) }},
		{"tcp", func() (*Probe, error) { return TCP(nil, "v6-tcp", addr) }},
		{"tls", func() (*Probe, error) { return TLS(nil, "v6-tls", addr, WithTLSConfig(tc)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runMade(t, tt.make)
			if !r.Success || r.Phases.Connect <= 0 || r.Phases.DNS != 0 {
				t.Errorf("%+v", r)
			}
			if tt.name != "tcp" && !r.CertExpiry.Equal(chain.leafExpiry) {
				t.Errorf("cert expiry %v, want %v", r.CertExpiry, chain.leafExpiry)
			}
		})
	}
	// A closed IPv6 port is a connect failure, like IPv4.
	_, port, _ := net.SplitHostPort(closedAddr(t))
	p, err := TCP(nil, "v6-closed", net.JoinHostPort("::1", port))
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Run(context.Background()); r.Reason != reasonConnect {
		t.Errorf("closed [::1] port: reason %q (%s)", r.Reason, r.Error)
	}
}

// truncatingDNS is a real DNS server on loopback, on UDP and TCP at the
// same port. Over UDP it answers with the TC (truncated) bit and no
// records, as a server does when the answer does not fit in 512 bytes;
// over TCP it answers in full. A resolver that does not retry over TCP
// sees no addresses.
type truncatingDNS struct {
	addr     string
	udp      net.PacketConn
	tcp      net.Listener
	udpCount atomic.Int32
	tcpCount atomic.Int32
	done     chan struct{}
}

func startTruncatingDNS(t *testing.T, answers []netip.Addr) *truncatingDNS {
	t.Helper()
	var d *truncatingDNS
	for range 10 { // the UDP port may be taken on TCP: retry
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		tl, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			continue
		}
		d = &truncatingDNS{addr: pc.LocalAddr().String(), udp: pc, tcp: tl, done: make(chan struct{})}
		break
	}
	if d == nil {
		t.Fatal("no port free for both UDP and TCP")
	}
	answer := func(q []byte, truncated bool) []byte {
		var msg dnsmessage.Message
		if err := msg.Unpack(q); err != nil || len(msg.Questions) != 1 {
			return nil
		}
		resp := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: msg.ID, Response: true, Authoritative: true, RecursionAvailable: true, Truncated: truncated},
			Questions: msg.Questions,
		}
		if !truncated {
			qq := msg.Questions[0]
			for _, a := range answers {
				h := dnsmessage.ResourceHeader{Name: qq.Name, Class: dnsmessage.ClassINET, TTL: 60}
				switch {
				case qq.Type == dnsmessage.TypeA && a.Is4():
					h.Type = dnsmessage.TypeA
					resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: h, Body: &dnsmessage.AResource{A: a.As4()}})
				case qq.Type == dnsmessage.TypeAAAA && a.Is6():
					h.Type = dnsmessage.TypeAAAA
					resp.Answers = append(resp.Answers, dnsmessage.Resource{Header: h, Body: &dnsmessage.AAAAResource{AAAA: a.As16()}})
				}
			}
		}
		b, _ := resp.Pack()
		return b
	}
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := d.udp.ReadFrom(buf)
			if err != nil {
				return
			}
			d.udpCount.Add(1)
			if b := answer(buf[:n], true); b != nil {
				d.udp.WriteTo(b, from)
			}
		}
	}()
	go func() {
		defer close(d.done)
		for {
			c, err := d.tcp.Accept()
			if err != nil {
				return
			}
			func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				for {
					var l [2]byte
					if _, err := io.ReadFull(c, l[:]); err != nil {
						return
					}
					q := make([]byte, binary.BigEndian.Uint16(l[:]))
					if _, err := io.ReadFull(c, q); err != nil {
						return
					}
					d.tcpCount.Add(1)
					b := answer(q, false)
					out := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
					if _, err := c.Write(append(out, b...)); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { d.udp.Close(); d.tcp.Close(); <-d.done })
	return d
}

// TestDNSProbeFallsBackToTCPOnTruncation: a provider zone whose answer is
// too big for UDP still resolves, over TCP, as a real client's would.
func TestDNSProbeFallsBackToTCPOnTruncation(t *testing.T) {
	want := netip.MustParseAddr("127.0.0.1")
	dns := startTruncatingDNS(t, []netip.Addr{want})
	p, err := DNS(nil, "psp-dns", "api.psp.test", WithResolver(dns.addr), WithIPNetwork("ip4"), WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	r := p.Run(context.Background())
	if !r.Success || len(r.Addresses) != 1 || r.Addresses[0] != want {
		t.Fatalf("%+v", r)
	}
	if dns.udpCount.Load() == 0 || dns.tcpCount.Load() == 0 {
		t.Errorf("queries: %d over UDP, %d over TCP; want the UDP try and the TCP retry", dns.udpCount.Load(), dns.tcpCount.Load())
	}
	// The same resolver serves a TCP probe's own lookup, which then
	// connects to the loopback address the TCP answer gave.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	tp, err := TCP(nil, "psp-tcp-by-name", "api.psp.test:"+port, WithResolver(dns.addr), WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if r := tp.Run(context.Background()); !r.Success || r.Phases.DNS <= 0 {
		t.Errorf("tcp probe by name over the truncating server: %+v", r)
	}
}

// TestGRPCHealthProbeTLSCertExpiry: gRPC over TLS reports the server's
// certificate expiry and honours WithMinCertValidity like HTTPS does.
func TestGRPCHealthProbeTLSCertExpiry(t *testing.T) {
	chain := newChain(t, 3*24*time.Hour, 60*24*time.Hour)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(chain.serverConfig())))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	defer func() { srv.Stop(); <-done }()

	p, err := GRPCHealth(nil, "games-grpc", ln.Addr().String(), WithTLSConfig(&tls.Config{RootCAs: chain.pool}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	if !r.Success || !r.CertExpiry.Equal(chain.leafExpiry) {
		t.Fatalf("success %v (%s), cert expiry %v, want %v", r.Success, r.Error, r.CertExpiry, chain.leafExpiry)
	}
	strict, err := GRPCHealth(nil, "games-grpc-2w", ln.Addr().String(),
		WithTLSConfig(&tls.Config{RootCAs: chain.pool}), WithMinCertValidity(14*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	if r := strict.Run(context.Background()); r.Reason != reasonCertExpiry {
		t.Errorf("certificate expiring in 3 days, 14 required: reason %q (%s)", r.Reason, r.Error)
	}
}

// TestHTTPProbeBodyReadFailure: a server that promises a body and hangs
// up half-way fails with reasonBodyRead, not a timeout or "other".
func TestHTTPProbeBodyReadFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"status":`)
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	p, err := HTTP(nil, "psp-cut", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.Run(context.Background())
	if r.Reason != reasonBodyRead || r.StatusCode != 200 || r.BodyBytes != int64(len(`{"status":`)) {
		t.Errorf("reason %q (%s), status %d, %d body bytes", r.Reason, r.Error, r.StatusCode, r.BodyBytes)
	}
}
