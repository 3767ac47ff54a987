package probes

import (
	"context"
	"crypto/tls"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// TLS returns a probe that connects to addr ("host:port"), completes a TLS
// handshake and verifies the certificate chain. It reports the dns,
// connect and tls phases and the earliest certificate expiry; combine it
// with [WithMinCertValidity] to fail (or alert) weeks before expiry.
func TLS(mp metric.MeterProvider, name, addr string, opts ...TLSOption) (*Probe, error) {
	p, cfg, err := newProbe(mp, kindTLS, name, addr, optionsOf(opts, TLSOption.tlsOption))
	if err != nil {
		return nil, err
	}
	d, err := newDialer(p, cfg, addr)
	if err != nil {
		return nil, err
	}
	p.impl = &tlsProbe{d: d, cfg: tlsClientConfig(cfg.tlsConfig, d.host)}
	return p, nil
}

type tlsProbe struct {
	d   *dialer
	cfg *tls.Config
}

func (t *tlsProbe) run(ctx context.Context, r *Result) error {
	c, err := t.d.dial(ctx, r)
	if err != nil {
		return err
	}
	defer c.Close()
	tc := tls.Client(c, t.cfg)
	start := time.Now()
	err = tc.HandshakeContext(ctx)
	r.Phases.TLS = time.Since(start)
	if err != nil {
		if ctx.Err() == nil {
			return &reasonError{reason: reasonTLS, err: err}
		}
		return err
	}
	cs := tc.ConnectionState()
	r.CertExpiry = earliestExpiry(cs)
	r.TLSResumed = cs.DidResume
	return nil
}

func (t *tlsProbe) close() error { return nil }
