package probes

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	igname "github.com/jackcode/igmon/internal/name"

	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/redact"
)

// probeKind is the kind of a synthetic probe, one of the constants
// below; [Probe.Kind] and [Result.Kind] return it as a plain string.
type probeKind = string

// The synthetic probe kinds.
const (
	kindHTTP probeKind = "http"
	kindTCP  probeKind = "tcp"
	kindDNS  probeKind = "dns"
	kindTLS  probeKind = "tls"
	kindGRPC probeKind = "grpc"
)

// failureReason is the bounded cause of a failed probe run. It is a metric
// attribute (igmon.probe.failure_reason) and an alert field, so it never
// carries free text: the detail is in [Result.Error].
type failureReason = string

// The failure reasons. The set is closed: a new reason is a new release.
const (
	reasonNone failureReason = ""
	// reasonDNS: the name did not resolve (NXDOMAIN, no addresses, resolver error).
	reasonDNS failureReason = "dns"
	// reasonConnect: the TCP connection was refused or unreachable.
	reasonConnect failureReason = "connect"
	// reasonTLS: the TLS handshake or certificate verification failed.
	reasonTLS failureReason = "tls"
	// reasonTimeout: the probe's timeout expired.
	reasonTimeout failureReason = "timeout"
	// reasonHTTPStatus: the HTTP status was not one of the expected ones.
	reasonHTTPStatus failureReason = "http_status"
	// reasonAssertion: a body, JSON or latency assertion failed.
	reasonAssertion failureReason = "assertion"
	// reasonBodyRead: the response body could not be read.
	reasonBodyRead failureReason = "body_read"
	// reasonGRPCStatus: the health RPC failed or the service is not SERVING.
	reasonGRPCStatus failureReason = "grpc_status"
	// reasonCertExpiry: the certificate expires sooner than allowed by
	// [WithMinCertValidity].
	reasonCertExpiry failureReason = "cert_expiry"
	// reasonOther: any other error.
	reasonOther failureReason = "other"
	// reasonCanceled: the caller cancelled the run (e.g. the runner
	// stopped). Such runs are not recorded.
	reasonCanceled failureReason = "canceled"
)

var recordedReasons = [...]failureReason{reasonNone, reasonDNS, reasonConnect, reasonTLS, reasonTimeout,
	reasonHTTPStatus, reasonAssertion, reasonBodyRead, reasonGRPCStatus, reasonCertExpiry, reasonOther}

// Phases are the durations of the steps of one run. A step that did not
// happen (no DNS lookup for an IP address, no TLS for http://) is zero.
type Phases struct {
	DNS     time.Duration
	Connect time.Duration
	TLS     time.Duration
	// Processing is from the request being written to the first response
	// byte (HTTP) or the whole RPC (gRPC).
	Processing time.Duration
	// Transfer is from the first response byte to the end of the body read.
	Transfer time.Duration
}

// When an HTTP probe follows redirects, DNS, Connect, TLS and Processing
// are summed over every hop and Transfer is the final body's, so the
// phases add up to (nearly) the run's Duration, as in blackbox_exporter.

// Result is the outcome of one probe run.
type Result struct {
	Probe    string        // the probe's name
	Kind     string        // the probe's kind: "http", "tcp", "dns", "tls" or "grpc"
	Start    time.Time     // when the run began
	Duration time.Duration // the whole run, every phase and redirect included
	Success  bool          // the endpoint answered and every assertion held
	// Reason is the bounded cause of a failure, empty on success; it is
	// also the igmon.probe.failure_reason attribute. One of "dns" (the
	// name did not resolve), "connect" (refused or unreachable), "tls"
	// (handshake or verification failed), "timeout", "http_status" (not an
	// expected status), "assertion" (a body, JSON or latency assertion
	// failed), "body_read", "grpc_status" (the health RPC failed or the
	// service is not SERVING), "cert_expiry" (sooner than
	// [WithMinCertValidity] allows) or "other". The set is closed: a new
	// reason is a new release.
	Reason string
	// Error is the redacted error text; empty on success.
	Error string
	// Phases are the durations of the run's steps.
	Phases Phases
	// StatusCode is the HTTP status, or the gRPC health status
	// (grpc_health_v1.HealthCheckResponse_ServingStatus) for gRPC probes.
	StatusCode int
	// CertExpiry is the earliest NotAfter of the certificates the peer
	// sent (leaf and intermediates: an intermediate that expires first
	// breaks the chain just the same), for TLS, HTTPS and gRPC-over-TLS
	// probes. After redirects it is the final endpoint's.
	CertExpiry time.Time
	// TLSResumed is set when the handshake resumed an earlier session
	// (only with a tls.Config that has a ClientSessionCache); the TLS
	// phase is then shorter than a new client's.
	TLSResumed bool
	// Redirects is how many redirects an HTTP probe followed.
	Redirects int
	// BodyBytes is how much of the body was read; BodyTruncated is set when
	// the body was longer than the read limit.
	BodyBytes     int64
	BodyTruncated bool
	// Addresses are the resolved addresses, in the order the resolver
	// returned them (at most 8): for DNS probes, and for TCP and TLS
	// probes whose target is a name.
	Addresses []netip.Addr
	// PeerAddr is the address and port the connection was made to (TCP,
	// TLS and HTTP probes; after redirects the final hop's; the proxy's
	// when the request went through one). When a name has several
	// addresses it tells which one answered, for example the IPv4
	// address after the IPv6 one did not. Zero when no connection was
	// made.
	PeerAddr netip.AddrPort
}

// probeError is the error a probe's check returns for a failed run.
type probeError struct {
	Probe  string
	Reason failureReason
	Err    error
}

// Error names the probe and the reason, with the cause redacted.
func (e *probeError) Error() string {
	return fmt.Sprintf("probe %q: %s: %s", e.Probe, e.Reason, redact.Error(e.Err))
}

// Unwrap returns the underlying error.
func (e *probeError) Unwrap() error { return e.Err }

// ErrorType returns the failure reason, so the OTel error.type helpers
// report the bounded reason rather than a Go type name.
func (e *probeError) ErrorType() string { return string(e.Reason) }

// Errors returned by probe constructors.
var (
	// errInvalidProbe is wrapped by every error about a bad probe
	// definition; the message names the probe and the field.
	errInvalidProbe = errors.New("probes: invalid probe")
)

// errAssertion, errStatus and friends carry the reason of failures that
// are not Go network errors.
type reasonError struct {
	reason failureReason
	err    error
}

func (e *reasonError) Error() string { return e.err.Error() }
func (e *reasonError) Unwrap() error { return e.err }

func failf(reason failureReason, format string, a ...any) error {
	return &reasonError{reason: reason, err: fmt.Errorf(format, a...)}
}

// Defaults for synthetic probes.
const (
	defaultProbeInterval = 30 * time.Second
	defaultProbeTimeout  = 10 * time.Second
	defaultProbeJitter   = 0.1
	defaultHistory       = 1 // Last needs one; tests keep more with withHistory
	defaultMaxBodyBytes  = 1 << 20
)

// prober is one kind of probe.
type prober interface {
	// run performs one probe, filling r, and returns the error that made
	// it fail (classified later) or nil.
	run(ctx context.Context, r *Result) error
	close() error
}

// Probe is a synthetic probe of one endpoint. Build it with [HTTP], [TCP],
// [DNS], [TLS] or [GRPCHealth]; schedule it with [Probe.Check] in a checks
// registry (the one scheduler igmon has), or run it once with [Probe.Run].
type Probe struct {
	name   string
	kind   probeKind
	target string // redacted, for display
	cfg    config
	impl   prober
	inst   *probeInstruments

	mu      sync.Mutex
	history []Result // ring buffer
	next    int
	full    bool
}

// Name returns the probe's name.
func (p *Probe) Name() string { return p.name }

// Kind returns the probe's kind.
func (p *Probe) Kind() string { return p.kind }

// Interval returns how often the probe runs when scheduled.
func (p *Probe) Interval() time.Duration { return p.cfg.interval }

// Close releases the probe's connections (idle HTTP connections, a gRPC
// connection it dialled itself). The registry must have stopped
// running it first.
func (p *Probe) Close() error { return p.impl.close() }

func newProbe(mp metric.MeterProvider, kind probeKind, name, target string, opts []option) (*Probe, config, error) {
	cfg := defaultConfig(kind)
	if err := igname.Validate(name); err != nil {
		return nil, cfg, fmt.Errorf("%w %q: name: %v", errInvalidProbe, name, err)
	}
	for _, o := range opts {
		o.apply(&cfg)
	}
	bad := func(err error) error { return fmt.Errorf("%w %q (%s): %v", errInvalidProbe, name, kind, err) }
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, cfg, bad(err)
	}
	switch {
	case cfg.interval <= 0:
		return nil, cfg, bad(fmt.Errorf("interval: %v must be positive", cfg.interval))
	case cfg.timeout <= 0:
		return nil, cfg, bad(fmt.Errorf("timeout: %v must be positive", cfg.timeout))
	case cfg.timeout > cfg.interval:
		return nil, cfg, bad(fmt.Errorf("timeout: %v is longer than the interval %v", cfg.timeout, cfg.interval))
	}
	p := &Probe{name: name, kind: kind, target: redact.String(target), cfg: cfg}
	p.history = make([]Result, cfg.history)
	inst, err := newProbeInstruments(meterFrom(mp), p)
	if err != nil {
		return nil, cfg, fmt.Errorf("probe %q: %w", name, err)
	}
	p.inst = inst
	return p, cfg, nil
}

// Run probes the endpoint once, under the probe's timeout, records the
// result in the metrics and the history, and returns it. A run cancelled
// by ctx (rather than timed out) is returned with reasonCanceled and not
// recorded: it says nothing about the endpoint.
func (p *Probe) Run(ctx context.Context) Result {
	rctx, cancel := context.WithTimeout(ctx, p.cfg.timeout)
	defer cancel()
	r := Result{Probe: p.name, Kind: p.kind, Start: time.Now()}
	err := p.impl.run(rctx, &r)
	r.Duration = time.Since(r.Start)
	if err == nil && p.cfg.maxLatency > 0 && r.Duration > p.cfg.maxLatency {
		err = failf(reasonAssertion, "latency %v exceeds %v", r.Duration.Round(time.Microsecond), p.cfg.maxLatency)
	}
	if err == nil && p.cfg.minCertValidity > 0 && !r.CertExpiry.IsZero() {
		if left := time.Until(r.CertExpiry); left < p.cfg.minCertValidity {
			err = failf(reasonCertExpiry, "certificate expires in %v, less than %v", left.Round(time.Second), p.cfg.minCertValidity)
		}
	}
	if err != nil {
		r.Error = redact.Error(err)
		switch {
		case ctx.Err() != nil:
			r.Reason = reasonCanceled
			return r
		case errors.Is(rctx.Err(), context.DeadlineExceeded):
			r.Reason = reasonTimeout
		default:
			r.Reason = classify(err)
		}
	} else {
		r.Success = true
	}
	p.inst.record(ctx, p, &r)
	p.mu.Lock()
	if len(p.history) > 0 {
		p.history[p.next] = r
		p.next = (p.next + 1) % len(p.history)
		p.full = p.full || p.next == 0
	}
	p.mu.Unlock()
	return r
}

// results returns the kept results, oldest first.
func (p *Probe) results() []Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.full {
		return append([]Result(nil), p.history[:p.next]...)
	}
	out := make([]Result, 0, len(p.history))
	out = append(out, p.history[p.next:]...)
	return append(out, p.history[:p.next]...)
}

// Last returns the most recent result, if any.
func (p *Probe) Last() (Result, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.history) == 0 || (!p.full && p.next == 0) {
		return Result{}, false
	}
	return p.history[(p.next-1+len(p.history))%len(p.history)], true
}

// errFor returns the error a check reports for r.
func (p *Probe) errFor(r *Result) error {
	if r.Success {
		return nil
	}
	return &probeError{Probe: p.name, Reason: r.Reason, Err: errors.New(r.Error)}
}

// tlsClientConfig returns a copy of c for dialling host, or a default
// config.
func tlsClientConfig(c *tls.Config, host string) *tls.Config {
	var out *tls.Config
	if c != nil {
		out = c.Clone()
	} else {
		out = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if out.ServerName == "" {
		out.ServerName = host
	}
	return out
}

// earliestExpiry returns the earliest NotAfter of the peer certificates.
func earliestExpiry(cs tls.ConnectionState) time.Time {
	var t time.Time
	for _, c := range cs.PeerCertificates {
		if t.IsZero() || c.NotAfter.Before(t) {
			t = c.NotAfter
		}
	}
	return t
}
