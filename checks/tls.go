package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"
)

// Default thresholds of [TLSCert], in days before the earliest certificate
// of the served chain expires.
const (
	DefaultCertWarnDays = 21
	DefaultCertFailDays = 7
)

type tlsConfig struct {
	builtin
	config             *tls.Config
	warnDays, failDays int
}

func tlsOption(name string, fn func(*tlsConfig)) Option {
	return specificOption[tlsConfig]{name: name, owner: "TLSCert", fn: fn}
}

// WithTLSConfig sets the TLS configuration [TLSCert] handshakes with: root
// CAs, client certificates for mTLS, the server name. It is cloned; a
// ServerName left empty is taken from the address.
func WithTLSConfig(cfg *tls.Config) Option {
	return tlsOption("WithTLSConfig", func(c *tlsConfig) {
		if cfg == nil {
			c.fail("tls config", "must not be nil")
			return
		}
		c.config = cfg.Clone()
	})
}

// WithCertExpiry sets when [TLSCert] warns (fewer than warnDays left) and
// fails (fewer than failDays left). The defaults are DefaultCertWarnDays and
// DefaultCertFailDays; warnDays must not be below failDays.
func WithCertExpiry(warnDays, failDays int) Option {
	return tlsOption("WithCertExpiry", func(c *tlsConfig) {
		c.warnDays, c.failDays = warnDays, failDays
		switch {
		case failDays < 0:
			c.fail("cert expiry", "fail days %d must not be negative", failDays)
		case warnDays < failDays:
			c.fail("cert expiry", "warn days %d is below fail days %d: thresholds in the wrong order", warnDays, failDays)
		}
	})
}

// TLSCert connects to addr ("host:port"), verifies the served chain
// against the system roots (or WithTLSConfig's) and reports the days until
// the earliest certificate in the chain expires, observed as "daysLeft". It
// warns and fails below the WithCertExpiry thresholds and fails on a chain
// that does not verify, including an expired one. The certificate that
// expires first is named in the "subject" detail with its "notAfter".
//
// The default name is "tls-<host>" and the component type component.
func TLSCert(addr string, opts ...Option) (*Check, error) {
	host, herr := splitHostPort(addr)
	cfg := tlsConfig{
		builtin:  newBuiltin("TLSCert", defaultName("tls", host), ComponentComponent, "daysLeft"),
		warnDays: DefaultCertWarnDays, failDays: DefaultCertFailDays,
	}
	cfg.latencyOK, cfg.dialerOK = true, true
	configure(&cfg, &cfg.builtin, opts)
	if herr != nil {
		cfg.fail("addr", "%v", herr)
	}
	tc := cfg.config
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tc.ServerName == "" {
		tc.ServerName = host
	}
	var nd *net.Dialer
	if d, ok := cfg.dialer.(*net.Dialer); ok {
		nd = d
	}
	dialer := cfg.dialer
	if dialer == nil || nd != nil {
		// tls.Dialer handles the handshake deadline itself.
		dialer = &tls.Dialer{NetDialer: nd, Config: tc}
	}
	warnAt := time.Duration(cfg.warnDays) * 24 * time.Hour
	failAt := time.Duration(cfg.failDays) * 24 * time.Hour
	latencyWarn, warnDays, failDays := cfg.latencyWarn, cfg.warnDays, cfg.failDays
	return cfg.build(func(ctx context.Context) error {
		start := time.Now()
		certs, err := handshake(ctx, dialer, addr, tc)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		slow := latency(ctx, start, latencyWarn)
		if len(certs) == 0 {
			return fmt.Errorf("tls: %s served no certificate", addr)
		}
		first := certs[0]
		for _, c := range certs[1:] {
			if c.NotAfter.Before(first.NotAfter) {
				first = c
			}
		}
		left := time.Until(first.NotAfter)
		days := left.Hours() / 24
		Observe(ctx, "daysLeft", days, "days")
		Detail(ctx, "subject", first.Subject.String())
		Detail(ctx, "notAfter", first.NotAfter.UTC().Format(time.RFC3339))
		switch {
		case left < failAt:
			return fmt.Errorf("%w: %q expires in %.1f days, below %d", ErrCertExpiry, first.Subject.String(), days, failDays)
		case left < warnAt:
			return Warn(fmt.Errorf("%w: %q expires in %.1f days, below %d", ErrCertExpiry, first.Subject.String(), days, warnDays))
		}
		return slow
	})
}

// handshake dials addr and returns the verified chain the peer served.
func handshake(ctx context.Context, d Dialer, addr string, tc *tls.Config) ([]*x509.Certificate, error) {
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tconn, ok := conn.(*tls.Conn)
	if !ok {
		// A custom dialer returned a plain connection: handshake on it.
		tconn = tls.Client(conn, tc)
		if err := tconn.HandshakeContext(ctx); err != nil {
			return nil, err
		}
	}
	return tconn.ConnectionState().PeerCertificates, nil
}
