package checks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Resolver looks up a host's addresses; *net.Resolver implements it.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

type dnsConfig struct {
	builtin
	resolver Resolver
	expected []netip.Addr
	min      int
}

func dnsOption(name string, fn func(*dnsConfig)) Option {
	return specificOption[dnsConfig]{name: name, owner: "DNS", fn: fn}
}

// WithResolver sets the resolver [DNS] asks (default net.DefaultResolver),
// e.g. a *net.Resolver whose Dial targets a specific name server.
func WithResolver(r Resolver) Option {
	return dnsOption("WithResolver", func(c *dnsConfig) {
		c.resolver = r
		if r == nil {
			c.fail("resolver", "must not be nil")
		}
	})
}

// WithExpectedAddrs makes [DNS] fail unless every given IP address is in
// the answer.
func WithExpectedAddrs(addrs ...string) Option {
	return dnsOption("WithExpectedAddrs", func(c *dnsConfig) {
		if len(addrs) == 0 {
			c.fail("expected addrs", "at least one address is required")
		}
		for _, a := range addrs {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				c.fail("expected addrs", "%q is not an IP address", a)
				return
			}
			c.expected = append(c.expected, ip.Unmap())
		}
	})
}

// WithMinAddrs makes [DNS] fail when the answer has fewer than n addresses
// (default 1).
func WithMinAddrs(n int) Option {
	return dnsOption("WithMinAddrs", func(c *dnsConfig) {
		c.min = n
		if n < 1 {
			c.fail("min addrs", "%d must be at least 1", n)
		}
	})
}

// DNS checks that host resolves, through the resolver the service uses. The
// lookup time is observed as "responseTime" in ms and the answer (up to 8
// addresses) attached as the "addrs" detail.
//
// The default name is "dns-<host>" and the component type component.
func DNS(host string, opts ...Option) (*Check, error) {
	cfg := dnsConfig{builtin: newBuiltin("DNS", defaultName("dns", host), ComponentComponent, "responseTime"), min: 1}
	cfg.latencyOK = true
	configure(&cfg, &cfg.builtin, opts)
	if err := validHost(host); err != nil {
		cfg.fail("host", "%v", err)
	}
	r := cfg.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	expected, minN, warn := cfg.expected, cfg.min, cfg.latencyWarn
	return cfg.build(func(ctx context.Context) error {
		start := time.Now()
		addrs, err := r.LookupHost(ctx, host)
		if err != nil {
			return fmt.Errorf("dns: %w", err)
		}
		shown := addrs
		if len(shown) > 8 {
			shown = shown[:8]
		}
		Detail(ctx, "addrs", strings.Join(shown, ","))
		if len(addrs) < minN {
			return fmt.Errorf("%w: %d addresses, want at least %d", ErrUnexpectedAddrs, len(addrs), minN)
		}
		for _, want := range expected {
			if !containsAddr(addrs, want) {
				return fmt.Errorf("%w: %s not in the answer", ErrUnexpectedAddrs, want)
			}
		}
		return latency(ctx, start, warn)
	})
}

func containsAddr(addrs []string, want netip.Addr) bool {
	for _, a := range addrs {
		if ip, err := netip.ParseAddr(a); err == nil && ip.Unmap().WithZone("") == want.WithZone("") {
			return true
		}
	}
	return false
}

// validHost accepts a DNS name (RFC 1123 labels, '_' allowed for service
// records) or an IP literal; never a port.
func validHost(host string) error {
	if host == "" {
		return fmt.Errorf("must not be empty")
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	name := strings.TrimSuffix(host, ".")
	if len(name) > 253 {
		return fmt.Errorf("%d bytes is longer than 253", len(name))
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q has an empty or over-long label", host)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
			if !ok {
				return fmt.Errorf("%q: byte %s is not allowed in a host name", host, strconv.QuoteRune(rune(c)))
			}
		}
	}
	return nil
}
