package probes

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// TCP returns a probe that succeeds when a TCP connection to addr
// ("host:port") is established. It reports the dns and connect phases.
func TCP(mp metric.MeterProvider, name, addr string, opts ...Option) (*Probe, error) {
	p, cfg, err := newProbe(mp, KindTCP, name, addr, opts)
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
// separately, which net.Dial would blur together.
type dialer struct {
	p        *Probe
	host     string
	port     string
	ip       netip.Addr // set when host is an IP literal
	resolver *net.Resolver
}

func newDialer(p *Probe, cfg config, addr string) (*dialer, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w %q (%s): address: %q: %v", ErrInvalidProbe, p.name, p.kind, addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return nil, fmt.Errorf("%w %q (%s): address: port %q is not in 1-65535", ErrInvalidProbe, p.name, p.kind, port)
	}
	if host == "" {
		return nil, fmt.Errorf("%w %q (%s): address: %q has no host", ErrInvalidProbe, p.name, p.kind, addr)
	}
	d := &dialer{p: p, host: host, port: port, resolver: resolverFor(cfg.resolverAddr)}
	if ip, err := netip.ParseAddr(host); err == nil {
		d.ip = ip
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
		return nil, failf(ReasonDNS, "lookup %s: no addresses", host)
	}
	return ips, nil
}

func (d *dialer) dial(ctx context.Context, r *Result) (net.Conn, error) {
	ips := []netip.Addr{d.ip}
	if !d.ip.IsValid() {
		var err error
		if ips, err = lookup(ctx, d.p, d.resolver, "ip", d.host, r); err != nil {
			return nil, err
		}
	}
	var nd net.Dialer
	start := time.Now()
	var err error
	for _, ip := range ips {
		var c net.Conn
		c, err = nd.DialContext(ctx, "tcp", net.JoinHostPort(ip.Unmap().String(), d.port))
		if err == nil {
			r.Phases.Connect = time.Since(start)
			return c, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	r.Phases.Connect = time.Since(start)
	return nil, err
}
