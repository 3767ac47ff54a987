package checks

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CheckFunc is the body of a check. It returns nil when the component is
// healthy, an error wrapped by [Warn] when it is degraded, and any other
// error when it has failed. It must respect ctx: ctx is cancelled at the
// check's timeout, and the check is reported failed if it has not returned
// by then.
type CheckFunc func(ctx context.Context) error

// Check implements [Checker].
func (f CheckFunc) Check(ctx context.Context) error { return f(ctx) }

// Checker is anything that can check itself. Pass its method value to
// [NewCheck]: checks.NewCheck("psp", client.Check).
type Checker interface {
	Check(ctx context.Context) error
}

// Defaults applied when an option is not given.
const (
	DefaultTimeout     = 2 * time.Second
	DefaultTTL         = time.Second
	DefaultStaleFactor = 3
	// MinTimeout is the smallest timeout accepted: smaller values are
	// almost always a unit mistake (WithTimeout(10) is 10ns).
	MinTimeout = time.Millisecond
	// MaxNameLen bounds check names, which become metric attributes.
	MaxNameLen = 128
)

// ErrInvalidCheck is wrapped by every error about a bad check definition.
var ErrInvalidCheck = errors.New("invalid check")

// Check is a validated check definition, ready to add to a [Registry]. Build
// it with [NewCheck] or one of the built-in constructors.
type Check struct {
	name string
	fn   CheckFunc
	s    settings
}

// settings are the per-check options. Zero values mean "use the default".
type settings struct {
	endpoints        Endpoint
	endpointsSet     bool
	timeout          time.Duration
	critical         bool
	componentType    string
	ttl              time.Duration
	interval         time.Duration
	initialDelay     time.Duration
	jitter           float64
	failureThreshold int
	successThreshold int
	staleFactor      int
	measurement      string
	err              error
}

func defaultSettings() settings {
	return settings{
		endpoints:        Readiness,
		timeout:          DefaultTimeout,
		critical:         true,
		componentType:    ComponentComponent,
		ttl:              DefaultTTL,
		jitter:           0.1,
		failureThreshold: 1,
		successThreshold: 1,
		staleFactor:      DefaultStaleFactor,
	}
}

// Option configures a check. The same options are accepted by [NewCheck] and
// by every built-in check constructor.
type Option interface {
	apply(*settings)
}

// optionFunc is the single Option implementation. Built-in checks with
// options of their own declare an interface that optionFunc also satisfies,
// so common options can be passed to them directly.
type optionFunc func(*settings)

func (f optionFunc) apply(s *settings) { f(s) }

// WithEndpoints sets which endpoints the check affects. The default is
// Readiness. /healthz always includes every check.
func WithEndpoints(e Endpoint) Option {
	return optionFunc(func(s *settings) {
		s.endpoints = e
		s.endpointsSet = true
		if e == 0 || e&^AllEndpoints != 0 {
			s.err = fmt.Errorf("endpoints: %d is not a combination of Liveness, Readiness and Startup", e)
		}
	})
}

// WithTimeout sets how long one run may take (default 2s, minimum 1ms). The
// check's context is cancelled at the timeout and the run reported failed.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(s *settings) { s.timeout = d })
}

// WithCritical sets whether a failure of the check fails its endpoints
// (true, the default) or only degrades them to warn (false).
func WithCritical(critical bool) Option {
	return optionFunc(func(s *settings) { s.critical = critical })
}

// NonCritical is WithCritical(false): a failure is reported as warn.
func NonCritical() Option { return WithCritical(false) }

// WithComponentType sets the IETF componentType (datastore,
// payment-provider, game-provider, kyc, http, system, or your own).
func WithComponentType(t string) Option {
	return optionFunc(func(s *settings) {
		s.componentType = t
		if t == "" {
			s.err = errors.New("component type: must not be empty")
		}
	})
}

// WithTTL sets how long an on-request result is reused (default 1s). A
// zero TTL is invalid; use a tiny one to run on every request.
func WithTTL(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		s.ttl = d
		if d <= 0 {
			s.err = fmt.Errorf("ttl: %v must be positive", d)
		}
	})
}

// WithInterval runs the check in the background every d instead of on
// request. The interval must be at least the timeout.
func WithInterval(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		s.interval = d
		if d <= 0 {
			s.err = fmt.Errorf("interval: %v must be positive", d)
		}
	})
}

// WithInitialDelay delays the first background run by d.
func WithInitialDelay(d time.Duration) Option {
	return optionFunc(func(s *settings) {
		s.initialDelay = d
		if d < 0 {
			s.err = fmt.Errorf("initial delay: %v must not be negative", d)
		}
	})
}

// WithJitter spreads background runs by up to ±f of the interval (default
// 0.1) so that replicas do not probe a dependency in lock step.
func WithJitter(f float64) Option {
	return optionFunc(func(s *settings) {
		s.jitter = f
		if f < 0 || f >= 1 {
			s.err = fmt.Errorf("jitter: %v must be in [0, 1)", f)
		}
	})
}

// WithThresholds damps flapping: the check turns fail only after failures
// consecutive failed runs, and back to pass only after successes consecutive
// passing runs. Both default to 1.
func WithThresholds(failures, successes int) Option {
	return optionFunc(func(s *settings) {
		s.failureThreshold, s.successThreshold = failures, successes
		if failures < 1 {
			s.err = fmt.Errorf("failure threshold: %d must be at least 1", failures)
		} else if successes < 1 {
			s.err = fmt.Errorf("success threshold: %d must be at least 1", successes)
		}
	})
}

// WithStaleFactor sets k: a background result older than k intervals counts
// as failed ("stale"). The default is 3.
func WithStaleFactor(k int) Option {
	return optionFunc(func(s *settings) {
		s.staleFactor = k
		if k < 1 {
			s.err = fmt.Errorf("stale factor: %d must be at least 1", k)
		}
	})
}

// WithMeasurement names what the check measures, the second half of the
// IETF "component:measurement" key (e.g. "responseTime", "utilization").
// The default is "responseTime", or the measurement passed to [Observe].
func WithMeasurement(m string) Option {
	return optionFunc(func(s *settings) { s.measurement = m })
}

// NewCheck validates and returns a check. The error wraps ErrInvalidCheck
// and names the check and the offending field.
func NewCheck(name string, fn CheckFunc, opts ...Option) (*Check, error) {
	s := defaultSettings()
	for _, o := range opts {
		if o != nil {
			o.apply(&s)
		}
	}
	return newCheck(name, fn, s)
}

func newCheck(name string, fn CheckFunc, s settings) (*Check, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("%w %q: name: %v", ErrInvalidCheck, name, err)
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %q: "+format, append([]any{ErrInvalidCheck, name}, a...)...)
	}
	switch {
	case fn == nil:
		return nil, bad("func: must not be nil")
	case s.err != nil:
		return nil, bad("%v", s.err)
	case s.timeout < MinTimeout:
		return nil, bad("timeout: %v is below the minimum of %v", s.timeout, MinTimeout)
	case s.interval != 0 && s.interval < s.timeout:
		return nil, bad("interval: %v is shorter than the timeout %v", s.interval, s.timeout)
	}
	return &Check{name: name, fn: fn, s: s}, nil
}

// ValidateName accepts names that are safe as URL path segments, metric
// attribute values and IETF keys: letters, digits and ._- up to
// MaxNameLen, with no ':', and neither "." nor "..". Anything that becomes a check (synthetic probes
// too) is named by this rule.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("must not be empty")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("longer than %d bytes", MaxNameLen)
	}
	if name == "." || name == ".." {
		// Path dot-segments: /readyz/.. is cleaned away before it could
		// reach the check.
		return fmt.Errorf("%q is a path dot-segment", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return fmt.Errorf("byte %q at %d is not one of [A-Za-z0-9._-]", c, i)
		}
	}
	return nil
}

// Name returns the check's name.
func (c *Check) Name() string { return c.name }

// Endpoints returns the endpoints the check affects.
func (c *Check) Endpoints() Endpoint { return c.s.endpoints }

// Timeout returns the check's timeout.
func (c *Check) Timeout() time.Duration { return c.s.timeout }

// Interval returns the background interval, or 0 for an on-request check.
func (c *Check) Interval() time.Duration { return c.s.interval }

// ComponentType returns the check's component type.
func (c *Check) ComponentType() string { return c.s.componentType }

// Critical reports whether a failure fails the check's endpoints.
func (c *Check) Critical() bool { return c.s.critical }

// Run runs the check once, outside any registry, with its timeout, panic
// recovery and observation capture. It is what the registry calls; it is
// exported for tests and for callers that want a check's verdict directly.
func (c *Check) Run(ctx context.Context) Outcome {
	return runCheck(ctx, c, nil)
}
