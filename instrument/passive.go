package instrument

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkhook"
	"github.com/jackcode/igmon/internal/passive"
)

// Defaults of HealthCheck.
const (
	defaultMinCalls      = passive.DefaultMinCalls
	defaultErrorRateWarn = passive.DefaultErrorRateWarn
	defaultErrorRateFail = passive.DefaultErrorRateFail
)

// errHighErrorRate is wrapped by a passive health check's error when too
// many calls in the window failed.
var errHighErrorRate = errors.New("error rate above threshold")

// errSlowCalls is wrapped by a passive health check's error when the p95
// latency in the window is above its threshold.
var errSlowCalls = errors.New("p95 latency above threshold")

// HealthOption configures Dependency.HealthCheck.
type HealthOption interface {
	applyHealth(*healthConfig)
}

type healthOptionFunc func(*healthConfig)

func (f healthOptionFunc) applyHealth(c *healthConfig) { f(c) }

type healthConfig struct {
	name               string
	minCalls           uint64
	rateWarn, rateFail float64
	p95Warn, p95Fail   time.Duration
	checkOpts          []checks.Option
	errs               []error
	seen               given // single-valued options already given
}

// WithErrorRateThresholds sets the error rates (failures / calls, in
// [0, 1]) at which the check warns and fails; 0 disables a level. The
// default is 5% / 25%.
func WithErrorRateThresholds(warn, fail float64) HealthOption {
	return healthOptionFunc(func(c *healthConfig) {
		if !c.seen.once("WithErrorRateThresholds", &c.errs) {
			return
		}
		switch {
		case !(warn >= 0 && warn <= 1), !(fail >= 0 && fail <= 1):
			c.errs = append(c.errs, fmt.Errorf("option WithErrorRateThresholds: %v and %v must be in [0, 1]", warn, fail))
		case warn > 0 && fail > 0 && warn > fail:
			c.errs = append(c.errs, fmt.Errorf("option WithErrorRateThresholds: warn %v is above fail %v", warn, fail))
		}
		c.rateWarn, c.rateFail = warn, fail
	})
}

// WithLatencyThresholds sets the p95 latencies at which the check warns and
// fails; 0 disables a level. By default latency is not judged.
func WithLatencyThresholds(warnP95, failP95 time.Duration) HealthOption {
	return healthOptionFunc(func(c *healthConfig) {
		if !c.seen.once("WithLatencyThresholds", &c.errs) {
			return
		}
		switch {
		case warnP95 < 0 || failP95 < 0:
			c.errs = append(c.errs, fmt.Errorf("option WithLatencyThresholds: %v and %v must not be negative", warnP95, failP95))
		case warnP95 > 0 && failP95 > 0 && warnP95 > failP95:
			c.errs = append(c.errs, fmt.Errorf("option WithLatencyThresholds: warn %v is above fail %v", warnP95, failP95))
		}
		c.p95Warn, c.p95Fail = warnP95, failP95
	})
}

// WithMinCalls sets how many calls the window must hold before thresholds
// apply (default 20), so that one failure at low volume does
// not page. With fewer calls the check passes and says so.
func WithMinCalls(n int) HealthOption {
	return healthOptionFunc(func(c *healthConfig) {
		if !c.seen.once("WithMinCalls", &c.errs) {
			return
		}
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("option WithMinCalls: %d must be at least 1", n))
		}
		c.minCalls = uint64(max(n, 1))
	})
}

// WithCheckOptions passes options to the check. The defaults (not
// critical, the component type matching the dependency's kind) fill in only
// what these options do not set, so they win without replacing anything.
func WithCheckOptions(opts ...checks.Option) HealthOption {
	return healthOptionFunc(func(c *healthConfig) { c.checkOpts = append(c.checkOpts, opts...) })
}

// HealthCheck returns a check that judges the dependency from its real
// traffic (passive health): it warns or fails when the error rate or the
// p95 latency in the window crosses the thresholds, provided the window
// holds at least the minimum number of calls. It observes the error rate
// (percent) and attaches calls, p50/p95/p99 as details. It costs no call to
// the provider, which matters for PSPs and aggregators that rate-limit or
// charge per call. Register it with monitor.Monitor.Add (or a
// checks.Registry). Its figures are those of Stats.
//
// The check is not critical by default: when a provider fails, taking this
// service out of the load balancer does not help; pass
// WithCheckOptions(checks.WithCritical(true)) to change that.
func (d *Dependency) HealthCheck(opts ...HealthOption) (*checks.Check, error) {
	cfg := healthConfig{name: d.name, minCalls: defaultMinCalls, rateWarn: defaultErrorRateWarn, rateFail: defaultErrorRateFail}
	for _, o := range opts {
		if o != nil {
			o.applyHealth(&cfg)
		}
	}
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("instrument: dependency %q: HealthCheck: %w", d.name, errors.Join(cfg.errs...))
	}
	defaults := []checks.Option{checks.WithCritical(false), checks.WithComponentType(componentType(d.kind))}
	return checkhook.Build[*checks.Check](cfg.name, func(ctx context.Context) error { return d.judge(ctx, &cfg) }, cfg.checkOpts, defaults)
}

func (d *Dependency) judge(ctx context.Context, cfg *healthConfig) error {
	st := d.Stats()
	checks.Detail(ctx, "calls", strconv.FormatUint(st.Calls, 10))
	checks.Detail(ctx, "window", st.Window.String())
	if st.Calls < cfg.minCalls {
		checks.Observe(ctx, "calls", float64(st.Calls), "{call}")
		checks.Detail(ctx, "reason", fmt.Sprintf("%d calls in the last %v, below the minimum of %d: not judged", st.Calls, st.Window, cfg.minCalls))
		return nil
	}
	checks.Observe(ctx, "errorRate", math.Round(st.ErrorRate*10000)/100, "%")
	checks.Detail(ctx, "failures", strconv.FormatUint(st.Failures, 10))
	checks.Detail(ctx, "p50", st.P50.String())
	checks.Detail(ctx, "p95", st.P95.String())
	checks.Detail(ctx, "p99", st.P99.String())

	var fails, warns []error
	rate := func(level string, th float64) error {
		return fmt.Errorf("%w: %.1f%% of %d calls failed in the last %v (%s threshold %.1f%%)",
			errHighErrorRate, st.ErrorRate*100, st.Calls, st.Window, level, th*100)
	}
	slow := func(level string, th time.Duration) error {
		return fmt.Errorf("%w: p95 %v over %d calls in the last %v (%s threshold %v)",
			errSlowCalls, st.P95, st.Calls, st.Window, level, th)
	}
	switch {
	case cfg.rateFail > 0 && st.ErrorRate >= cfg.rateFail:
		fails = append(fails, rate("fail", cfg.rateFail))
	case cfg.rateWarn > 0 && st.ErrorRate >= cfg.rateWarn:
		warns = append(warns, rate("warn", cfg.rateWarn))
	}
	switch {
	case cfg.p95Fail > 0 && st.P95 >= cfg.p95Fail:
		fails = append(fails, slow("fail", cfg.p95Fail))
	case cfg.p95Warn > 0 && st.P95 >= cfg.p95Warn:
		warns = append(warns, slow("warn", cfg.p95Warn))
	}
	if len(fails) > 0 {
		return errors.Join(append(fails, warns...)...)
	}
	return checks.Warn(errors.Join(warns...))
}

// componentType maps a dependency kind to the checks component type.
func componentType(kind string) string {
	switch kind {
	case KindPayment:
		return "payment-provider"
	case KindGameProvider:
		return "game-provider"
	case KindKYC:
		return "kyc"
	case KindDatabase, KindCache:
		return "datastore"
	case KindInternal:
		return "http"
	}
	return kind
}
