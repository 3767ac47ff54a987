package checks

import (
	"context"
	"errors"
	"fmt"
	"time"

	igname "github.com/jackcode/igmon/internal/name"
)

// checkFunc is the body of a check; see [NewCheck].
type checkFunc func(ctx context.Context) error

// Defaults applied when an option is not given.
const (
	defaultTimeout = 2 * time.Second
	// defaultInterval is how often a check runs in the background when
	// neither [WithInterval] nor [WithOnRequest] is given. A check whose
	// timeout is longer runs every timeout instead.
	defaultInterval = 10 * time.Second
	// defaultStaleFactor is k in "a scheduled result older than k
	// intervals is stale".
	defaultStaleFactor = 3
	// defaultOnRequestStaleAfter is when the result of an on-request check
	// goes stale, unless [WithStaleAfter] says otherwise (or its TTL is
	// longer).
	defaultOnRequestStaleAfter = time.Minute
	// minTimeout is the smallest timeout accepted: smaller values are
	// almost always a unit mistake (WithTimeout(10) is 10ns).
	minTimeout = time.Millisecond
)

// ErrInvalidCheck is wrapped by every error about a bad check definition.
var ErrInvalidCheck = errors.New("invalid check")

// Check is a validated check definition, ready to add to a [Registry]. Build
// it with [NewCheck] or one of the built-in constructors.
type Check struct {
	name string
	fn   checkFunc
	s    settings
}

// settings are the per-check options. Zero values mean "use the default".
type settings struct {
	endpoints        Endpoint
	endpointsSet     bool
	timeout          time.Duration
	critical         bool
	componentType    string
	onRequest        bool
	ttl              time.Duration // on-request checks only
	interval         time.Duration // effective after newCheck; 0 for on-request checks
	intervalSet      bool
	initialDelay     time.Duration
	initialDelaySet  bool
	jitter           float64
	failureThreshold int
	successThreshold int
	staleFactor      int
	staleFactorSet   bool
	staleAfter       time.Duration // effective after newCheck
	measurement      string
	seen             map[string]bool // options already given
	err              error
}

func defaultSettings() settings {
	return settings{
		endpoints:        Readiness,
		timeout:          defaultTimeout,
		critical:         true,
		componentType:    componentComponent,
		jitter:           0.1,
		failureThreshold: 1,
		successThreshold: 1,
		staleFactor:      defaultStaleFactor,
	}
}

// Option configures a check. The common options (WithEndpoints,
// WithCritical, WithTimeout, WithInterval, ...) are Options: [NewCheck] and
// [Registry.Register] take them and nothing else. Every other constructor
// takes an option type of its own, which says what it accepts, so an
// option given where it does not apply does not compile:
//
//	constructor                   option type      accepts
//	NewCheck, Registry.Register   Option           the common options
//	probes.Probe.Check            ProbeOption      the common options but WithInterval, WithTimeout and WithOnRequest
//	Func                          FuncOption       an Option or WithLatencyWarn
//	SQL, grpccheck.Health         RoundTripOption  an Option, WithName or WithLatencyWarn
//	Goroutines                    BuiltinOption    an Option or WithName
//	hostcheck.Memory              MemoryOption     an Option, WithName or hostcheck's memory limits
//	hostcheck.DiskFree            DiskOption       an Option, WithName or hostcheck's free-space thresholds
//
// Each option function returns a type that implements the option types
// of the constructors accepting it, and no other: [WithCritical] a
// [ProbeOption], [WithTimeout] an Option,
// [WithName] a [BuiltinOption], [WithLatencyWarn] a [FuncOption]. The types
// nest accordingly: a ProbeOption is also an Option; an Option is also a
// FuncOption and a BuiltinOption; a FuncOption is also a [RoundTripOption];
// a BuiltinOption is also a RoundTripOption, a [MemoryOption] and a
// [DiskOption].
type Option interface {
	BuiltinOption
	FuncOption
	apply(*settings)
}

// ProbeOption configures probes.Probe.Check (and monitor.Monitor.AddProbe):
// every common option except [WithInterval], [WithTimeout] and
// [WithOnRequest], which are plain Options: a probe's check runs on the
// probe's own interval and timeout (probes.WithInterval,
// probes.WithTimeout), so giving one of them to it does not compile. A ProbeOption is also an [Option], accepted by
// every constructor.
type ProbeOption interface {
	Option
	probeOption()
}

// BuiltinOption configures [Goroutines]: any [Option], or [WithName],
// which every constructor with a default name accepts: WithName is a
// BuiltinOption, and a BuiltinOption is also a [RoundTripOption], a
// [MemoryOption] and a [DiskOption]. [WithLatencyWarn] is not one, so
// giving it to Goroutines does not compile.
type BuiltinOption interface {
	RoundTripOption
	MemoryOption
	DiskOption
	builtinOption()
}

// FuncOption configures [Func]: any [Option], or [WithLatencyWarn]. Func
// takes the check's name as an argument: [WithName] is not a FuncOption,
// so giving it to Func does not compile. A FuncOption is also a
// [RoundTripOption].
type FuncOption interface {
	RoundTripOption
	funcOption()
}

// RoundTripOption configures [SQL] and grpccheck.Health, the checks that
// time a round trip to a dependency under a default name: any [Option],
// [WithName] or [WithLatencyWarn].
type RoundTripOption interface{ roundTripOption() }

// MemoryOption configures hostcheck.Memory: any [Option], [WithName],
// hostcheck.WithRSSLimit or hostcheck.WithHeapLimit. It is declared here,
// not in hostcheck, because the common options must implement it.
type MemoryOption interface{ memoryOption() }

// DiskOption configures hostcheck.DiskFree: any [Option], [WithName],
// hostcheck.WithFreeBytes or hostcheck.WithFreePercent; see [MemoryOption].
type DiskOption interface{ diskOption() }

// optionFunc is the implementation of the common options. It has the
// marker method of every option type but ProbeOption's, so it is accepted
// by every constructor but probes.Probe.Check; [WithInterval] and
// [WithTimeout] return it as it is.
type optionFunc struct {
	name string // the option's function name, for errors
	fn   func(*settings)
}

func (o optionFunc) apply(s *settings) {
	if s.once(o.name) {
		o.fn(s)
	}
}

func (optionFunc) builtinOption()   {}
func (optionFunc) funcOption()      {}
func (optionFunc) roundTripOption() {}
func (optionFunc) memoryOption()    {}
func (optionFunc) diskOption()      {}

// anywhere is a common option that probes.Probe.Check accepts too: every
// common option but WithInterval and WithTimeout.
type anywhere struct{ optionFunc }

func (anywhere) probeOption() {}

// common returns the common option called name that applies fn.
func common(name string, fn func(*settings)) ProbeOption {
	return anywhere{optionFunc{name: name, fn: fn}}
}

// base returns the implementation of a common option.
func base(o Option) optionFunc {
	if a, ok := o.(anywhere); ok {
		return a.optionFunc
	}
	return o.(optionFunc)
}

// once records that the option called name was given and reports whether
// it is the first time: every check option sets one value, so a second
// one would silently replace the first and is refused, naming it.
func (s *settings) once(name string) bool {
	if s.seen[name] {
		s.fail(fmt.Errorf("%s: given twice; the second would silently replace the first", name))
		return false
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	s.seen[name] = true
	return true
}

// fail records the first option error; later ones are usually
// consequences.
func (s *settings) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// WithEndpoints sets which endpoints the check affects. The default is
// Readiness. /healthz always includes every check.
func WithEndpoints(e Endpoint) ProbeOption {
	return common("WithEndpoints", func(s *settings) {
		s.endpoints = e
		s.endpointsSet = true
		if e == 0 || e&^allEndpoints != 0 {
			s.fail(fmt.Errorf("endpoints: %d is not a combination of Liveness, Readiness and Startup", e))
		}
	})
}

// WithTimeout sets how long one run may take (default 2s, minimum 1ms). The
// check's context is cancelled at the timeout and the run reported failed.
// It is not a [ProbeOption]: a probe's check is cut at the probe's own
// timeout (probes.WithTimeout).
func WithTimeout(d time.Duration) Option {
	return optionFunc{name: "WithTimeout", fn: func(s *settings) { s.timeout = d }}
}

// WithCritical sets whether a failure of the check fails its endpoints
// (true, the default) or only degrades them to warn (false).
func WithCritical(critical bool) ProbeOption {
	return common("WithCritical", func(s *settings) { s.critical = critical })
}

// WithComponentType sets the IETF componentType: "datastore",
// "payment-provider", "game-provider", "kyc", "http", "system" (the
// dashboard groups these) or your own; the default is "component".
func WithComponentType(t string) ProbeOption {
	return common("WithComponentType", func(s *settings) {
		s.componentType = t
		if t == "" {
			s.fail(errors.New("component type: must not be empty"))
		}
	})
}

// WithInterval sets how often the check runs in the background after
// [Registry.Start] (default 10s, jittered by [WithJitter]).
// The interval must be at least the timeout. Every check runs on a schedule
// unless [WithOnRequest] is given. It is not a [ProbeOption]: a probe's
// check runs every probe interval (probes.WithInterval).
func WithInterval(d time.Duration) Option {
	return optionFunc{name: "WithInterval", fn: func(s *settings) {
		s.interval, s.intervalSet = d, true
		if d <= 0 {
			s.fail(fmt.Errorf("interval: %v must be positive", d))
		}
	}}
}

// WithOnRequest makes the check on-request only: it never runs in the
// background, only when an endpoint ([Registry.Evaluate], [Registry.Status],
// the HTTP and gRPC handlers) needs it and its last result is at least ttl
// old. Use it for checks that cost money or rate limit per call and whose
// health only matters while someone asks. A service nobody polls never runs
// such a check, so an outage is only noticed when someone asks: its result
// ages and, past [WithStaleAfter] (default 1 min), is
// reported stale. It cannot be combined with [WithInterval],
// [WithInitialDelay]; a zero ttl is invalid, use a
// tiny one to run on every request. It is not a [ProbeOption]: a probe's
// check runs on the probe's interval.
func WithOnRequest(ttl time.Duration) Option {
	return optionFunc{name: "WithOnRequest", fn: func(s *settings) {
		s.onRequest, s.ttl = true, ttl
		if ttl <= 0 {
			s.fail(fmt.Errorf("on-request ttl: %v must be positive", ttl))
		}
	}}
}

// WithInitialDelay delays the first background run by d (jittered like the
// interval). Without it the first run comes at a random moment within
// min(jitter × interval, 1s) after Start (at once with WithJitter(0)), so a
// fresh process has results within a second while its checks, and those of
// replicas restarted together, do not all fire in the same instant.
func WithInitialDelay(d time.Duration) ProbeOption {
	return common("WithInitialDelay", func(s *settings) {
		s.initialDelay, s.initialDelaySet = d, true
		if d < 0 {
			s.fail(fmt.Errorf("initial delay: %v must not be negative", d))
		}
	})
}

// WithJitter spreads background runs by up to ±f of the interval (default
// 0.1) so that replicas do not probe a dependency in lock step.
func WithJitter(f float64) ProbeOption {
	return common("WithJitter", func(s *settings) {
		s.jitter = f
		if f < 0 || f >= 1 {
			s.fail(fmt.Errorf("jitter: %v must be in [0, 1)", f))
		}
	})
}

// WithThresholds damps flapping: the check turns fail only after failures
// consecutive failed runs, and back to pass only after successes consecutive
// passing runs. Both default to 1.
func WithThresholds(failures, successes int) ProbeOption {
	return common("WithThresholds", func(s *settings) {
		s.failureThreshold, s.successThreshold = failures, successes
		if failures < 1 {
			s.fail(fmt.Errorf("failure threshold: %d must be at least 1", failures))
		} else if successes < 1 {
			s.fail(fmt.Errorf("success threshold: %d must be at least 1", successes))
		}
	})
}

// withStaleFactor sets k: a scheduled result older than k intervals is
// stale (default 3). A stale result never decides a component's status; see
// [Result.Stale]. For a bound in time rather than in intervals use
// [WithStaleAfter].
func withStaleFactor(k int) Option {
	return optionFunc{name: "withStaleFactor", fn: func(s *settings) {
		s.staleFactor, s.staleFactorSet = k, true
		if k < 1 {
			s.fail(fmt.Errorf("stale factor: %d must be at least 1", k))
		}
	}}
}

// WithStaleAfter sets the age past which the check's result is stale. The
// default is 3 intervals for a scheduled check and
// max(1 min, ttl) for an on-request one. A stale
// result never decides a component's status: it reports StatusUnknown with
// [Result.Stale] set and an error saying "result is stale" (readiness, being conservative, treats
// it as failing). For a scheduled check d must exceed one jittered interval
// plus the timeout, for an on-request one it must be at least the ttl:
// shorter bounds would call every result stale before the next one could
// replace it.
func WithStaleAfter(d time.Duration) ProbeOption {
	return common("WithStaleAfter", func(s *settings) {
		s.staleAfter = d
		if d <= 0 {
			s.fail(fmt.Errorf("stale after: %v must be positive", d))
		}
	})
}

// withMeasurement names what the check measures, the second half of the
// IETF "component:measurement" key (e.g. "responseTime", "utilization").
// The default is "responseTime", or the measurement passed to [Observe].
func withMeasurement(m string) Option {
	return optionFunc{name: "withMeasurement", fn: func(s *settings) { s.measurement = m }}
}

// NewCheck validates and returns a check. The error wraps ErrInvalidCheck
// and names the check and the offending field.
//
// fn is the body of the check. It returns nil when the component is
// healthy, an error wrapped by [Warn] when it is degraded, and any other
// error when it has failed. It must respect ctx: ctx is cancelled at the
// check's timeout, and the check is reported failed if it has not returned
// by then.
func NewCheck(name string, fn func(ctx context.Context) error, opts ...Option) (*Check, error) {
	s := defaultSettings()
	for _, o := range opts {
		if o != nil {
			o.apply(&s)
		}
	}
	return newCheck(name, fn, s)
}

func newCheck(name string, fn checkFunc, s settings) (*Check, error) {
	if err := igname.Validate(name); err != nil {
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
	case s.timeout < minTimeout:
		return nil, bad("timeout: %v is below the minimum of %v", s.timeout, minTimeout)
	case s.onRequest && s.intervalSet:
		return nil, bad("interval: WithInterval and WithOnRequest exclude each other")
	case s.onRequest && s.initialDelaySet:
		return nil, bad("initial delay: an on-request check has no background runs to delay")
	case s.onRequest && s.staleFactorSet:
		return nil, bad("stale factor: an on-request check has no interval; use WithStaleAfter")
	case s.staleFactorSet && s.staleAfter != 0:
		return nil, bad("stale after: WithStaleAfter and withStaleFactor exclude each other")
	case s.intervalSet && s.interval < s.timeout:
		return nil, bad("interval: %v is shorter than the timeout %v", s.interval, s.timeout)
	}
	if s.onRequest {
		s.interval = 0
		if s.staleAfter == 0 {
			s.staleAfter = max(defaultOnRequestStaleAfter, s.ttl)
		} else if s.staleAfter < s.ttl {
			return nil, bad("stale after: %v is shorter than the on-request ttl %v", s.staleAfter, s.ttl)
		}
		return &Check{name: name, fn: fn, s: s}, nil
	}
	s.ttl = 0
	if !s.intervalSet {
		// A long timeout stretches the default interval instead of
		// making the check invalid.
		s.interval = max(defaultInterval, s.timeout)
	}
	if s.staleAfter == 0 {
		s.staleAfter = time.Duration(s.staleFactor) * s.interval
	} else if gap := maxRunGap(s); s.staleAfter <= gap {
		return nil, bad("stale after: %v does not exceed one jittered interval plus the timeout (%v)", s.staleAfter, gap)
	}
	return &Check{name: name, fn: fn, s: s}, nil
}

// maxRunGap is the longest time between two results of a scheduled check
// that runs on time: the next run starts a jittered interval after the
// previous one ended and may take up to the timeout.
func maxRunGap(s settings) time.Duration {
	return time.Duration(float64(s.interval)*(1+s.jitter)) + s.timeout
}

// Name returns the check's name.
func (c *Check) Name() string { return c.name }

// run runs the check once, outside any registry, with its timeout, panic
// recovery and observation capture: what the registry calls.
func (c *Check) run(ctx context.Context) outcome {
	return runCheck(ctx, c, nil)
}
