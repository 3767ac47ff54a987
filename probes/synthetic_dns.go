package probes

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/metric"
)

// maxAddresses bounds the addresses kept in a DNS result.
const maxAddresses = 8

// DNS returns a probe that resolves host and succeeds when at least one
// address comes back. [WithResolver] selects the DNS server to ask (for
// example the provider's authoritative server, or a public resolver to
// tell "their DNS is down" from "ours is"); [WithIPNetwork] selects A,
// AAAA or both. Each lookup is also recorded as dns.lookup.duration.
func DNS(mp metric.MeterProvider, name, host string, opts ...DNSOption) (*Probe, error) {
	p, cfg, err := newProbe(mp, kindDNS, name, host, optionsOf(opts, DNSOption.dnsOption))
	if err != nil {
		return nil, err
	}
	h := strings.TrimSuffix(host, ".")
	if h == "" || len(h) > 253 || strings.ContainsAny(h, " /:@\t\r\n") {
		return nil, fmt.Errorf("%w %q (dns): host: %q is not a DNS name", errInvalidProbe, name, host)
	}
	p.inst.setDNSQuestion(host)
	p.impl = &dnsProbe{p: p, host: host, network: cfg.network, res: resolverFor(cfg.resolverAddr)}
	return p, nil
}

type dnsProbe struct {
	p       *Probe
	host    string
	network string
	res     *net.Resolver
}

func (d *dnsProbe) run(ctx context.Context, r *Result) error {
	ips, err := lookup(ctx, d.p, d.res, d.network, d.host, r)
	if err != nil {
		return err
	}
	if len(ips) > maxAddresses {
		ips = ips[:maxAddresses]
	}
	r.Addresses = ips
	for _, want := range d.p.cfg.expectAddrs {
		if !slices.ContainsFunc(ips, func(got netip.Addr) bool { return got.Unmap() == want }) {
			return failf(reasonAssertion, "%s is not in the answer %v", want, ips)
		}
	}
	return nil
}

func (d *dnsProbe) close() error { return nil }
