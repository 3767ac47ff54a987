package probes

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestAttemptDeadline: each remaining address gets an equal share of the
// time left, at least minAttemptTime, never past the deadline (as net's
// partialDeadline).
func TestAttemptDeadline(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name      string
		left      time.Duration
		remaining int
		want      time.Duration // from now
		ok        bool
	}{
		{"one address gets everything", 10 * time.Second, 1, 10 * time.Second, true},
		{"two addresses share", 10 * time.Second, 2, 5 * time.Second, true},
		{"three addresses share", 9 * time.Second, 3, 3 * time.Second, true},
		{"share below the minimum is raised", 10 * time.Second, 10, minAttemptTime, true},
		{"minimum capped by the deadline", 3 * time.Second, 2, minAttemptTime, true},
		{"less than the minimum left", time.Second, 3, time.Second, true},
		{"no address count is one", 4 * time.Second, 0, 4 * time.Second, true},
		{"deadline reached", 0, 2, 0, false},
		{"deadline passed", -time.Second, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := attemptDeadline(now, now.Add(tt.left), tt.remaining)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && !got.Equal(now.Add(tt.want)) {
				t.Errorf("deadline now+%v, want now+%v", got.Sub(now), tt.want)
			}
		})
	}
}

func TestSplitFamily(t *testing.T) {
	a := netip.MustParseAddr
	v4a, v4b, v6a, v6b := a("192.0.2.1"), a("192.0.2.2"), a("2001:db8::1"), a("2001:db8::2")
	tests := []struct {
		name              string
		in                []netip.Addr
		primary, fallback []netip.Addr
	}{
		{"v4 only", []netip.Addr{v4a, v4b}, []netip.Addr{v4a, v4b}, nil},
		{"v6 only", []netip.Addr{v6a}, []netip.Addr{v6a}, nil},
		{"v6 first", []netip.Addr{v6a, v4a, v6b, v4b}, []netip.Addr{v6a, v6b}, []netip.Addr{v4a, v4b}},
		{"v4 first", []netip.Addr{v4a, v6a, v4b}, []netip.Addr{v4a, v4b}, []netip.Addr{v6a}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f := splitFamily(tt.in)
			if !slices.Equal(p, tt.primary) || !slices.Equal(f, tt.fallback) {
				t.Errorf("got %v / %v, want %v / %v", p, f, tt.primary, tt.fallback)
			}
		})
	}
}

// blackHole makes hole:port a TCP address whose SYNs are dropped, so that
// a connect to it hangs as one to a filtered address or a missing route
// does: a listener with a backlog of 0 whose accept queue is full (Linux
// then drops new SYNs). It fails with EADDRINUSE when the port is taken.
func blackHole(t *testing.T, hole netip.Addr, port uint16) error {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the black hole relies on Linux dropping SYNs to a full accept queue")
	}
	family := syscall.AF_INET6
	var sa syscall.Sockaddr = &syscall.SockaddrInet6{Port: int(port), Addr: hole.As16()}
	if hole.Is4() {
		family = syscall.AF_INET
		sa = &syscall.SockaddrInet4{Port: int(port), Addr: hole.As4()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		t.Fatalf("listen: %v", err)
	}
	var fillers []net.Conn
	t.Cleanup(func() {
		for _, c := range fillers {
			c.Close()
		}
		syscall.Close(fd)
	})
	addr := netip.AddrPortFrom(hole, port).String()
	for range 4 {
		c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
		if err == nil {
			fillers = append(fillers, c) // queued, never accepted
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil // the queue is full: SYNs are dropped
		}
		t.Fatalf("filling the accept queue of %s: %v", addr, err)
	}
	t.Fatalf("%s still accepts connections after %d queued: no black hole", addr, len(fillers))
	return nil
}

// holeAndListener returns a listener on 127.0.0.1:P and black-holes
// hole:P, the same port, as the A and AAAA (or two A) records of one
// endpoint would be.
func holeAndListener(t *testing.T, hole netip.Addr) (net.Listener, uint16) {
	t.Helper()
	if hole.Is6() {
		if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
			t.Skipf("no IPv6 loopback on this host: %v", err)
		} else {
			ln.Close()
		}
	}
	for range 20 {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := uint16(ln.Addr().(*net.TCPAddr).Port)
		if err := blackHole(t, hole, port); err != nil {
			ln.Close() // the port is taken at the hole address: try another
			continue
		}
		t.Cleanup(func() { ln.Close() })
		return ln, port
	}
	t.Fatal("no port free on both addresses")
	return nil, 0
}

var (
	v4Healthy = netip.MustParseAddr("127.0.0.1")
	v4Hole    = netip.MustParseAddr("127.0.0.2")
	v6Hole    = netip.MustParseAddr("::1")
)

// serve accepts and closes connections on ln until it is closed.
func serve(t *testing.T, ln net.Listener) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
}

// TestDialAddrsSkipsBlackHoledAddress: the dialer, handed the address
// list directly, reaches the healthy address listed after a black-holed
// one within the timeout, serially within a family (the hole gets its
// share of the time) and by racing the families (the other family joins
// after the fallback delay).
func TestDialAddrsSkipsBlackHoledAddress(t *testing.T) {
	t.Parallel() // waits on black holes: overlap them with the rest
	tests := []struct {
		name    string
		hole    netip.Addr
		timeout time.Duration
		order   func(hole, ok netip.Addr) []netip.Addr
	}{
		// 4 s for two addresses: the hole gets 2 s, the listener the rest.
		{"same family, hole first", v4Hole, 4 * time.Second, func(h, ok netip.Addr) []netip.Addr { return []netip.Addr{h, ok} }},
		{"same family, hole last", v4Hole, 4 * time.Second, func(h, ok netip.Addr) []netip.Addr { return []netip.Addr{ok, h} }},
		{"ipv6 hole first", v6Hole, 10 * time.Second, func(h, ok netip.Addr) []netip.Addr { return []netip.Addr{h, ok} }},
		{"ipv6 hole last", v6Hole, 10 * time.Second, func(h, ok netip.Addr) []netip.Addr { return []netip.Addr{ok, h} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, port := holeAndListener(t, tt.hole)
			serve(t, ln)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			c, err := dialAddrs(ctx, "tcp", tt.order(tt.hole, v4Healthy), port)
			if err != nil {
				t.Fatalf("dial: %v (the whole %v timeout went to the black hole?)", err, tt.timeout)
			}
			defer c.Close()
			if got, want := peerAddr(c), netip.AddrPortFrom(v4Healthy, port); got != want {
				t.Errorf("connected to %v, want %v", got, want)
			}
		})
	}
}

// TestDialAddrsFailures: when every address fails the error is the first
// address's and tells how many others failed; a refused primary family
// starts the fallback at once; a cancelled context stops the dial.
func TestDialAddrsFailures(t *testing.T) {
	_, p, _ := net.SplitHostPort(closedAddr(t))
	var port uint16
	fmt.Sscan(p, &port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := dialAddrs(ctx, "tcp", []netip.Addr{v4Healthy, netip.MustParseAddr("127.0.0.3"), v4Hole}, port)
	var op *net.OpError
	if err == nil || !errors.As(err, &op) || op.Op != "dial" {
		t.Fatalf("all refused: %v, want the first address's *net.OpError", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1:"+p) || !strings.Contains(msg, "2 more addresses failed") || !strings.Contains(msg, "127.0.0.2:"+p) {
		t.Errorf("all refused: %q should name the first and last address and the count", msg)
	}

	if _, err := dialAddrs(ctx, "tcp", []netip.Addr{netip.MustParseAddr("::1"), v4Healthy}, port); err == nil ||
		!strings.Contains(err.Error(), "1 more address failed") {
		t.Errorf("both families refused: %v", err)
	}

	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, err := dialAddrs(cctx, "tcp", []netip.Addr{v4Healthy}, port); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v, want context.Canceled", err)
	}
	if _, err := dialAddrs(ctx, "tcp", nil, port); err == nil {
		t.Error("no addresses: no error")
	}
}

// TestDialRaceRefusedPrimaryFallsBackAtOnce: an IPv6 address that
// refuses does not hold the IPv4 one back until the fallback delay (here
// an hour, far past the test's deadline).
func TestDialRaceRefusedPrimaryFallsBackAtOnce(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback on this host: %v", err)
	} else {
		ln.Close()
	}
	var ln net.Listener
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		// Keep the port only if nothing listens on [::1] at it.
		if c, err := net.Dial("tcp6", fmt.Sprintf("[::1]:%d", l.Addr().(*net.TCPAddr).Port)); err == nil {
			c.Close()
			l.Close()
			continue
		}
		ln = l
		break
	}
	if ln == nil {
		t.Fatal("no port free on [::1]")
	}
	serve(t, ln)
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dialRace(ctx, "tcp", []netip.Addr{netip.MustParseAddr("::1")}, []netip.Addr{v4Healthy}, port, time.Hour)
	if err != nil {
		t.Fatalf("dial: %v (the fallback waited for the delay?)", err)
	}
	defer c.Close()
	if got := peerAddr(c); got.Addr() != v4Healthy {
		t.Errorf("connected to %v", got)
	}
}

// TestProbesSkipBlackHoledAddress: TCP, TLS and HTTP probes of a name
// whose first address black-holes connect to the second one well within
// their timeout, and report which address answered. The name is
// resolved by a real DNS server on loopback.
func TestProbesSkipBlackHoledAddress(t *testing.T) {
	t.Parallel() // waits on black holes: overlap them with the rest
	chain := newChain(t, 30*24*time.Hour, 60*24*time.Hour)
	clientTLS := &tls.Config{RootCAs: chain.pool, ServerName: "localhost"}
	const timeout = 10 * time.Second
	kinds := []struct {
		kind  probeKind
		serve func(t *testing.T, ln net.Listener)
		make  func(name, hostport, resolver string) (*Probe, error)
	}{
		{kindTCP, serve, func(name, hostport, res string) (*Probe, error) {
			return TCP(nil, name, hostport, WithResolver(res), WithTimeout(timeout))
		}},
		{kindTLS, func(t *testing.T, ln net.Listener) { serveHTTP(t, ln, chain.serverConfig()) },
			func(name, hostport, res string) (*Probe, error) {
				return TLS(nil, name, hostport, WithResolver(res), WithTimeout(timeout), WithTLSConfig(clientTLS))
			}},
		{kindHTTP, func(t *testing.T, ln net.Listener) { serveHTTP(t, ln, nil) },
			func(name, hostport, res string) (*Probe, error) {
				return HTTP(nil, name, "http://"+hostport+"/", WithResolver(res), WithTimeout(timeout))
			}},
	}
	layouts := []struct {
		name string
		hole netip.Addr
	}{
		{"two A records, first black-holed", v4Hole},
		{"AAAA black-holed, A healthy", v6Hole},
	}
	// Every case waits on its black hole (5 s for two A records), so the
	// probes run at once, not one after another (nor limited by
	// -parallel), and the results are checked afterwards.
	type run struct {
		name    string
		kind    probeKind
		port    uint16
		answers []netip.Addr
		p       *Probe
		r       Result
	}
	var runs []*run
	for _, k := range kinds {
		for _, l := range layouts {
			ln, port := holeAndListener(t, l.hole)
			k.serve(t, ln)
			answers := []netip.Addr{l.hole, v4Healthy}
			dns := startTruncatingDNS(t, answers)
			// The test means something only if the resolver keeps the
			// hole first.
			got, err := resolverFor(dns.addr).LookupNetIP(context.Background(), "ip", "api.psp.test")
			if err != nil || !slices.Equal(got, answers) {
				t.Fatalf("resolver order %v (%v), want %v", got, err, answers)
			}
			p, err := k.make("multi-"+string(k.kind), fmt.Sprintf("api.psp.test:%d", port), dns.addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			runs = append(runs, &run{name: string(k.kind) + "/" + l.name, kind: k.kind, port: port, answers: answers, p: p})
		}
	}
	var wg sync.WaitGroup
	for _, rn := range runs {
		wg.Go(func() { rn.r = rn.p.Run(context.Background()) })
	}
	wg.Wait()
	for _, rn := range runs {
		t.Run(rn.name, func(t *testing.T) {
			r := rn.r
			if !r.Success {
				t.Fatalf("probe failed: %s (%s)", r.Reason, r.Error)
			}
			if want := netip.AddrPortFrom(v4Healthy, rn.port); r.PeerAddr != want {
				t.Errorf("PeerAddr %v, want %v", r.PeerAddr, want)
			}
			if r.Phases.Connect <= 0 || r.Phases.Connect >= timeout {
				t.Errorf("connect phase %v, want within the %v timeout", r.Phases.Connect, timeout)
			}
			if rn.kind != kindHTTP && !slices.Equal(r.Addresses, rn.answers) {
				t.Errorf("Addresses %v, want %v", r.Addresses, rn.answers)
			}
		})
	}
}

// serveHTTP serves "ok" on ln, over TLS when tc is set.
func serveHTTP(t *testing.T, ln net.Listener, tc *tls.Config) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	srv.Listener.Close()
	srv.Listener = ln
	if tc != nil {
		srv.TLS = tc
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
}

// TestProbesAllAddressesFailIsConnect: when the black-holed address uses
// up its share of the time and the other refuses, the probe fails with
// reasonConnect before its timeout, not reasonTimeout.
func TestProbesAllAddressesFailIsConnect(t *testing.T) {
	t.Parallel()                    // waits on black holes: overlap them with the rest
	const timeout = 4 * time.Second // the hole gets 2 s
	kinds := []struct {
		kind probeKind
		make func(hostport, res string) (*Probe, error)
	}{
		{kindTCP, func(hp, res string) (*Probe, error) {
			return TCP(nil, "refused-tcp", hp, WithResolver(res), WithTimeout(timeout))
		}},
		{kindHTTP, func(hp, res string) (*Probe, error) {
			return HTTP(nil, "refused-http", "http://"+hp+"/", WithResolver(res), WithTimeout(timeout))
		}},
	}
	for _, k := range kinds {
		t.Run(string(k.kind), func(t *testing.T) {
			t.Parallel()
			ln, port := holeAndListener(t, v4Hole)
			ln.Close() // 127.0.0.1:port now refuses
			dns := startTruncatingDNS(t, []netip.Addr{v4Hole, v4Healthy})
			p, err := k.make(fmt.Sprintf("api.psp.test:%d", port), dns.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			r := p.Run(context.Background())
			if r.Success || r.Reason != reasonConnect {
				t.Fatalf("reason %q (%s), want %q", r.Reason, r.Error, reasonConnect)
			}
			if r.PeerAddr.IsValid() {
				t.Errorf("PeerAddr %v set without a connection", r.PeerAddr)
			}
		})
	}
}

// TestDialerIPNetwork: with "ip4" or "ip6" (WithIPNetwork's values) the
// dialer looks up and dials that family only.
func TestDialerIPNetwork(t *testing.T) {
	t.Parallel() // waits on black holes: overlap them with the rest
	ln, port := holeAndListener(t, v6Hole)
	serve(t, ln)
	dns := startTruncatingDNS(t, []netip.Addr{v6Hole, v4Healthy})
	target := fmt.Sprintf("api.psp.test:%d", port)
	mk := func(network, addr string) (*dialer, error) {
		// Through the public option: TCP probes accept it.
		p, cfg, err := newProbe(nil, kindTCP, "net-"+network, addr, optionsOf([]TCPOption{WithResolver(dns.addr), WithIPNetwork(network)}, TCPOption.tcpOption))
		if err != nil {
			return nil, err
		}
		return newDialer(p, cfg, addr)
	}
	run := func(d *dialer, timeout time.Duration) (Result, error) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var r Result
		c, err := d.dial(ctx, &r)
		if err == nil {
			c.Close()
		}
		return r, err
	}

	d4, err := mk("ip4", target)
	if err != nil {
		t.Fatal(err)
	}
	r, err := run(d4, 10*time.Second)
	if err != nil || r.PeerAddr.Addr() != v4Healthy || !slices.Equal(r.Addresses, []netip.Addr{v4Healthy}) {
		t.Errorf("ip4: %v, peer %v, addresses %v", err, r.PeerAddr, r.Addresses)
	}

	d6, err := mk("ip6", target)
	if err != nil {
		t.Fatal(err)
	}
	// Only the black-holed ::1 is tried, so the dial runs into the deadline.
	r, err = run(d6, 500*time.Millisecond)
	if err == nil || r.PeerAddr.IsValid() || !slices.Equal(r.Addresses, []netip.Addr{v6Hole}) {
		t.Errorf("ip6: %v, peer %v, addresses %v; want a failure after trying ::1 only", err, r.PeerAddr, r.Addresses)
	}

	if _, err := mk("ip4", "[::1]:443"); !errors.Is(err, errInvalidProbe) || !strings.Contains(err.Error(), "address") {
		t.Errorf("IPv6 literal with ip4: %v, want errInvalidProbe naming the address", err)
	}
	if _, err := mk("ip6", "127.0.0.1:443"); !errors.Is(err, errInvalidProbe) {
		t.Errorf("IPv4 literal with ip6: %v, want errInvalidProbe", err)
	}
}

// TestPeerAddrOfLiteralTargets: PeerAddr is set for IP-literal targets
// too, and Addresses stays empty when nothing was resolved.
func TestPeerAddrOfLiteralTargets(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveHTTP(t, ln, nil)
	addr := ln.Addr().String()
	want := netip.MustParseAddrPort(addr)
	tests := []struct {
		name string
		make func() (*Probe, error)
	}{
		{"tcp", func() (*Probe, error) { return TCP(nil, "lit-tcp", addr) }},
		{"http", func() (*Probe, error) { return HTTP(nil, "lit-http", "http://"+addr+"/") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runMade(t, tt.make)
			if !r.Success || r.PeerAddr != want || len(r.Addresses) != 0 {
				t.Errorf("success %v, PeerAddr %v (want %v), Addresses %v (%s)", r.Success, r.PeerAddr, want, r.Addresses, r.Error)
			}
		})
	}
}
