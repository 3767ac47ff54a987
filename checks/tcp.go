package checks

import (
	"context"
	"fmt"
	"net"
	"time"
)

// Dialer dials network connections; *net.Dialer implements it, and so do
// proxy dialers. [TCP] and [TLSCert] use it.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

type tcpConfig struct{ builtin }

// WithDialer sets the dialer [TCP] and [TLSCert] connect with (default a
// zero net.Dialer), e.g. one bound to a source address or going through a
// proxy.
func WithDialer(d Dialer) Option {
	return sharedOption{name: "WithDialer", fn: func(b *builtin) {
		b.dialer = d
		if d == nil {
			b.fail("dialer", "must not be nil")
		}
	}}
}

// TCP checks that a TCP connection to addr ("host:port") can be opened,
// and closes it at once. The connect time is observed as "responseTime" in
// ms.
//
// The default name is "tcp-<host>-<port>" and the component type
// component.
func TCP(addr string, opts ...Option) (*Check, error) {
	cfg := tcpConfig{builtin: newBuiltin("TCP", defaultName("tcp", addr), ComponentComponent, "responseTime")}
	cfg.latencyOK, cfg.dialerOK = true, true
	configure(&cfg, &cfg.builtin, opts)
	if _, err := splitHostPort(addr); err != nil {
		cfg.fail("addr", "%v", err)
	}
	d := cfg.dialer
	if d == nil {
		d = &net.Dialer{}
	}
	warn := cfg.latencyWarn
	return cfg.build(func(ctx context.Context) error {
		start := time.Now()
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("tcp: %w", err)
		}
		err = latency(ctx, start, warn)
		conn.Close()
		return err
	})
}
