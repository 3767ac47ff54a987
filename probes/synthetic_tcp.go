package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// TCP returns a probe that succeeds when a TCP connection to addr
// ("host:port") is established. It reports the dns and connect phases,
// the resolved addresses and the one connected to ([Result.PeerAddr]).
//
// A name with several addresses is dialled as net.Dialer dials one under
// a deadline: when it has both IPv4 and IPv6 addresses, the family of the first address is tried
// first and the other joins the race 300 ms later (RFC 6555/8305 "Happy
// Eyeballs"); addresses of one family are tried in turn, each with an
// equal share of the time left but at least 2 s, so an unreachable
// address does not use up the whole timeout. The connect phase runs from
// the first attempt to the connection. TLS and HTTP probes dial the same
// way.
func TCP(mp metric.MeterProvider, name, addr string, opts ...TCPOption) (*Probe, error) {
	p, cfg, err := newProbe(mp, kindTCP, name, addr, optionsOf(opts, TCPOption.tcpOption))
	if err != nil {
		return nil, err
	}
	d, err := newDialer(p, cfg, addr)
	if err != nil {
		return nil, err
	}
	p.impl = &tcpProbe{d: d}
	return p, nil
}

type tcpProbe struct{ d *dialer }

func (t *tcpProbe) run(ctx context.Context, r *Result) error {
	c, err := t.d.dial(ctx, r)
	if err != nil {
		return err
	}
	return c.Close()
}

func (t *tcpProbe) close() error { return nil }

// dialer resolves and connects with the dns and connect phases timed
// separately, which net.Dial would blur together. Connecting to the
// resolved addresses follows net.Dialer (see dialAddrs), whose behaviour
// Go programs and Go-based monitors (Gatus) share.
type dialer struct {
	p        *Probe
	host     string
	port     uint16
	ip       netip.Addr // set when host is an IP literal
	network  string     // "ip", "ip4" or "ip6": which addresses to look up and dial
	resolver *net.Resolver
}

func newDialer(p *Probe, cfg config, addr string) (*dialer, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w %q (%s): address: %q: %v", errInvalidProbe, p.name, p.kind, addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return nil, fmt.Errorf("%w %q (%s): address: port %q is not in 1-65535", errInvalidProbe, p.name, p.kind, port)
	}
	if host == "" {
		return nil, fmt.Errorf("%w %q (%s): address: %q has no host", errInvalidProbe, p.name, p.kind, addr)
	}
	network := cfg.network
	if network == "" {
		network = "ip"
	}
	d := &dialer{p: p, host: host, port: uint16(n), network: network, resolver: resolverFor(cfg.resolverAddr)}
	if ip, err := netip.ParseAddr(host); err == nil {
		d.ip = ip.Unmap()
		if (network == "ip4" && !d.ip.Is4()) || (network == "ip6" && !d.ip.Is6()) {
			return nil, fmt.Errorf("%w %q (%s): address: %s is not an %s address", errInvalidProbe, p.name, p.kind, host, network)
		}
	} else {
		p.inst.setDNSQuestion(host)
	}
	return d, nil
}

// resolverFor returns the system resolver, or a Go resolver that sends
// every query to addr.
func resolverFor(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

// tcpNetwork maps an IP network ("ip", "ip4", "ip6") to the TCP one.
func tcpNetwork(ipNetwork string) string {
	switch ipNetwork {
	case "ip4":
		return "tcp4"
	case "ip6":
		return "tcp6"
	}
	return "tcp"
}

// lookup resolves host, timing the dns phase and recording
// dns.lookup.duration.
func lookup(ctx context.Context, p *Probe, res *net.Resolver, network, host string, r *Result) ([]netip.Addr, error) {
	start := time.Now()
	ips, err := res.LookupNetIP(ctx, network, host)
	r.Phases.DNS = time.Since(start)
	p.inst.recordLookup(ctx, r.Phases.DNS, err)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, failf(reasonDNS, "lookup %s: no addresses", host)
	}
	return ips, nil
}

func (d *dialer) dial(ctx context.Context, r *Result) (net.Conn, error) {
	var ips []netip.Addr
	if d.ip.IsValid() {
		ips = []netip.Addr{d.ip}
	} else {
		var err error
		if ips, err = lookup(ctx, d.p, d.resolver, d.network, d.host, r); err != nil {
			return nil, err
		}
		for i, ip := range ips {
			ips[i] = ip.Unmap()
		}
		r.Addresses = ips[:min(len(ips), maxAddresses):min(len(ips), maxAddresses)]
	}
	start := time.Now()
	c, err := dialAddrs(ctx, tcpNetwork(d.network), ips, d.port)
	r.Phases.Connect = time.Since(start)
	if err != nil {
		if ctx.Err() == nil {
			// Every address failed before the probe's timeout: a connect
			// failure, even when an address ran out of its share of the
			// time (that is a timeout of the address, not of the probe).
			return nil, &reasonError{reason: reasonConnect, err: err}
		}
		return nil, err
	}
	r.PeerAddr = peerAddr(c)
	return c, nil
}

// peerAddr returns the remote address of a TCP connection, or the zero
// AddrPort.
func peerAddr(c net.Conn) netip.AddrPort {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// The values net.Dialer uses, so a probe behaves like the Go clients of
// the endpoint it watches.
const (
	// fallbackDelay is how long the first address family gets before
	// the other one is raced against it (net.Dialer.FallbackDelay's
	// default; RFC 6555 "Happy Eyeballs" and RFC 8305 recommend 150-300 ms).
	fallbackDelay = 300 * time.Millisecond
	// minAttemptTime is the least time one address gets while others are
	// left: enough for a SYN lost once (Linux retransmits after 1 s).
	minAttemptTime = 2 * time.Second
)

// dialAddrs connects to port on the first of addrs that accepts, as
// net.Dialer does with the addresses of a name: when both IPv4 and IPv6
// addresses are present, the family of the first address is tried first
// and the other family joins the race after fallbackDelay (or at once
// when the first family has failed); within a family the addresses are
// tried in order, each with an equal share of the time left (at least
// minAttemptTime), so one black-holed address cannot use up the whole
// timeout. The returned error is the first address's, the most telling
// one, with a note of how many others failed.
func dialAddrs(ctx context.Context, network string, addrs []netip.Addr, port uint16) (net.Conn, error) {
	if len(addrs) == 0 {
		return nil, errors.New("no address to dial")
	}
	primary, fallback := splitFamily(addrs)
	if len(fallback) == 0 {
		var errs attemptErrors
		c := dialSerial(ctx, network, primary, port, &errs)
		if c != nil {
			return c, nil
		}
		return nil, errs.err()
	}
	return dialRace(ctx, network, primary, fallback, port, fallbackDelay)
}

// splitFamily splits addrs into those of the first address's family and
// the others, keeping the order within each.
func splitFamily(addrs []netip.Addr) (primary, fallback []netip.Addr) {
	first4 := addrs[0].Is4()
	for i, a := range addrs {
		if a.Is4() != first4 {
			primary = make([]netip.Addr, 0, len(addrs))
			fallback = make([]netip.Addr, 0, len(addrs)-i)
			for _, b := range addrs {
				if b.Is4() == first4 {
					primary = append(primary, b)
				} else {
					fallback = append(fallback, b)
				}
			}
			return primary, fallback
		}
	}
	return addrs, nil
}

// attemptDeadline is the deadline of the attempt on the next of
// remaining addresses at now, when the whole dial must end by deadline:
// an equal share of the time left, but at least minAttemptTime (taken
// from the addresses at the end of the list) and never past deadline.
// ok is false when no time is left.
func attemptDeadline(now, deadline time.Time, remaining int) (t time.Time, ok bool) {
	left := deadline.Sub(now)
	if left <= 0 {
		return time.Time{}, false
	}
	share := left / time.Duration(max(remaining, 1))
	share = max(share, min(minAttemptTime, left))
	return now.Add(share), true
}

// attemptErrors keeps what a dial needs to report about failed attempts.
type attemptErrors struct {
	first, last error
	n           int
}

func (e *attemptErrors) add(err error) {
	if e.first == nil {
		e.first = err
	}
	e.last = err
	e.n++
}

func (e *attemptErrors) merge(o attemptErrors) {
	if o.n == 0 {
		return
	}
	if e.first == nil {
		e.first = o.first
	}
	e.last = o.last
	e.n += o.n
}

func (e *attemptErrors) err() error {
	switch e.n {
	case 0:
		return errors.New("no address to dial")
	case 1:
		return e.first
	case 2:
		return fmt.Errorf("%w (1 more address failed: %v)", e.first, e.last)
	}
	return fmt.Errorf("%w (%d more addresses failed, the last: %v)", e.first, e.n-1, e.last)
}

// dialSerial tries addrs in order until one connects, giving each its
// share of the time left (attemptDeadline). Failures are added to errs.
func dialSerial(ctx context.Context, network string, addrs []netip.Addr, port uint16, errs *attemptErrors) net.Conn {
	var nd net.Dialer
	deadline, hasDeadline := ctx.Deadline()
	for i, a := range addrs {
		if err := ctx.Err(); err != nil {
			if errs.n == 0 {
				errs.add(err)
			}
			return nil
		}
		actx, cancel := ctx, context.CancelFunc(nil)
		if hasDeadline {
			t, ok := attemptDeadline(time.Now(), deadline, len(addrs)-i)
			if !ok {
				if errs.n == 0 {
					errs.add(context.DeadlineExceeded)
				}
				return nil
			}
			if t.Before(deadline) {
				actx, cancel = context.WithDeadline(ctx, t)
			}
		}
		c, err := nd.DialContext(actx, network, netip.AddrPortFrom(a, port).String())
		if cancel != nil {
			cancel()
		}
		if err == nil {
			return c
		}
		errs.add(err)
	}
	return nil
}

// dialRace runs dialSerial over both families, the fallback family
// starting delay after the primary one (or as soon as the primary family
// has failed). The first connection wins; the other racer is
// cancelled and waited for, and a connection it made anyway is closed.
func dialRace(ctx context.Context, network string, primary, fallback []netip.Addr, port uint16, delay time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type outcome struct {
		c       net.Conn
		errs    attemptErrors
		primary bool
	}
	// Buffered for both racers: neither ever blocks on sending, so each
	// exits once its dial returns.
	results := make(chan outcome, 2)
	race := func(addrs []netip.Addr, primary bool) {
		o := outcome{primary: primary}
		o.c = dialSerial(ctx, network, addrs, port, &o.errs)
		results <- o
	}
	go race(primary, true)
	running := 1
	timer := time.NewTimer(delay)
	defer timer.Stop()
	startFallback := timer.C
	var won net.Conn
	var primaryErrs, fallbackErrs attemptErrors
	for running > 0 && won == nil {
		select {
		case <-startFallback:
			startFallback = nil
			go race(fallback, false)
			running++
		case o := <-results:
			running--
			switch {
			case o.c != nil:
				won = o.c
			case o.primary:
				primaryErrs = o.errs
				if startFallback != nil { // the primary family failed early: race no longer
					timer.Stop()
					startFallback = nil
					go race(fallback, false)
					running++
				}
			default:
				fallbackErrs = o.errs
			}
		}
	}
	cancel()
	for ; running > 0; running-- {
		if o := <-results; o.c != nil {
			o.c.Close()
		}
	}
	if won != nil {
		return won, nil
	}
	primaryErrs.merge(fallbackErrs)
	return nil, primaryErrs.err()
}
