package probes

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkhook"
)

// Default check thresholds of a probe: a provider is reported failing
// after three failed runs in a row and recovered after two passing ones
// (the values Gatus users have settled on).
const (
	defaultFailureThreshold = 3
	defaultSuccessThreshold = 2
)

// Check returns a background health check that runs the probe: the
// registry schedules it every probe interval (jittered by ±10%, or
// checks.WithJitter) and
// applies failure and success thresholds (default 3 and 2) to its runs.
// The check is non-critical by default, so a failing endpoint shows as
// warn without failing /readyz; pass checks.WithCritical(true) to make it
// gate readiness. The defaults fill in only what opts do not set, so the
// caller's options win without replacing anything. The interval and the
// timeout are the probe's own (probes.WithInterval, probes.WithTimeout):
// checks.WithInterval and checks.WithTimeout are not checks.ProbeOptions,
// so giving them here does not compile.
func (p *Probe) Check(opts ...checks.ProbeOption) (*checks.Check, error) {
	// The probe cuts itself at its timeout and classifies that as
	// reasonTimeout; the check's own timeout is a safety net behind it.
	margin := min(time.Second, p.cfg.interval-p.cfg.timeout)
	ct := "component"
	if p.kind == kindHTTP {
		ct = "http"
	}
	defaults := []checks.Option{
		checks.WithInterval(p.cfg.interval),
		checks.WithTimeout(p.cfg.timeout + margin),
		checks.WithJitter(p.cfg.jitter),
		checks.WithThresholds(defaultFailureThreshold, defaultSuccessThreshold),
		checks.WithCritical(false),
		checks.WithComponentType(ct),
	}
	return checkhook.Build[*checks.Check](p.name, p.checkFunc, opts, defaults)
}

func (p *Probe) checkFunc(ctx context.Context) error {
	r := p.Run(ctx)
	checks.Observe(ctx, "responseTime", float64(r.Duration.Microseconds())/1000, "ms")
	checks.Detail(ctx, "kind", string(p.kind))
	checks.Detail(ctx, "target", p.target)
	if r.StatusCode != 0 {
		checks.Detail(ctx, "statusCode", strconv.Itoa(r.StatusCode))
	}
	if !r.CertExpiry.IsZero() {
		checks.Detail(ctx, "certExpiry", r.CertExpiry.UTC().Format(time.RFC3339))
	}
	if r.Reason != reasonNone {
		checks.Detail(ctx, "failureReason", string(r.Reason))
	}
	if r.Reason == reasonCanceled {
		return ctx.Err()
	}
	if err := p.errFor(&r); err != nil {
		return err
	}
	if p.cfg.certWarn > 0 && !r.CertExpiry.IsZero() {
		if left := r.CertExpiry.Sub(r.Start); left < p.cfg.certWarn {
			return checks.Warn(fmt.Errorf("certificate expires in %v, less than %v", left.Round(time.Second), p.cfg.certWarn))
		}
	}
	return nil
}
