package instrument

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	igname "github.com/jackcode/igmon/internal/name"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

// Dependency kinds. Any other name that passes validation is allowed too.
const (
	KindPayment      = "payment"
	KindGameProvider = "game_provider"
	KindKYC          = "kyc"
	KindDatabase     = "database"
	KindCache        = "cache"
	KindInternal     = "internal"
)

// Limits on names that become attribute values.
const (
	// maxOperations bounds the distinct operations recorded per dependency
	// when WithOperations is not given; later ones are recorded as _OTHER.
	maxOperations = 64
	// maxHosts bounds the distinct server addresses recorded per dependency
	// when WithHosts is not given.
	maxHosts = 16
	// maxErrorTypes bounds error.type values that come from ErrorType()
	// methods, per dependency.
	maxErrorTypes = 32
)

// operationOther is the operation recorded for a call whose operation is
// unknown, invalid or beyond the bound.
const operationOther = "_OTHER"

// errInvalidDependency is wrapped by every error about a bad dependency
// definition.
var errInvalidDependency = errors.New("invalid dependency")

// Dependency is something the service calls: a payment provider, a game
// aggregator, a KYC vendor, a database, an internal service. It records
// every call (through Transport, Track or TrackValue) as OpenTelemetry
// metrics on its MeterProvider and keeps the windowed figures behind
// Stats, HealthCheck and Health (see the package doc).
//
// Create each dependency once (NewDependency, or monitor.Monitor.Dependency
// to have a Monitor watch it) and share it; all methods are safe for
// concurrent use. A nil *Dependency records nothing and passes calls
// through.
type Dependency struct {
	kind, name string
	inst       *instruments
	stats      instrumenthook.Source  // the figures behind Stats: the Monitor's engine, or win's
	win        *window                // the status window of a standalone dependency; nil under a Monitor
	health     atomic.Pointer[Health] // the status rule's last verdict; see health.go
	now        func() time.Time
	cfg        depConfig

	base      []attribute.KeyValue // kind, name
	ops       cowMap[string, *opState]
	otherOp   *opState
	defaultOp *opState
	errTypes  bounded
	hosts     hostTable
	httpAttrs cowMap[httpKey, []metric.RecordOption]
}

// DependencyOption configures NewDependency (and monitor.Monitor.Dependency).
type DependencyOption interface {
	applyDependency(*depConfig)
}

type depOptionFunc func(*depConfig)

func (f depOptionFunc) applyDependency(c *depConfig) { f(c) }

type depConfig struct {
	defaultOp     string
	operations    []string
	classifier    func(*http.Response, error) Outcome
	errClassifier func(error) Outcome
	hosts         []string
	clock         clock.Clock
	provider      providerConfig
	errs          []error
	seen          given // single-valued options already given
}

func (c *depConfig) fail(option, format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf("option %s: "+format, append([]any{option}, a...)...))
}

// WithDefaultOperation sets the operation recorded for calls that name
// none (Transport requests without WithOperation, Track with op ""). The
// default is _OTHER.
func WithDefaultOperation(op string) DependencyOption {
	return depOptionFunc(func(c *depConfig) {
		if !c.seen.once("WithDefaultOperation", &c.errs) {
			return
		}
		if err := igname.Validate(op); err != nil {
			c.fail("WithDefaultOperation", "%v", err)
		}
		c.defaultOp = op
	})
}

// WithOperations fixes the set of operations recorded; any other operation
// is recorded as _OTHER. Without it the first 64 distinct valid
// operation names are recorded as given.
func WithOperations(ops ...string) DependencyOption {
	return depOptionFunc(func(c *depConfig) {
		if len(ops) == 0 {
			c.fail("WithOperations", "no operations given")
		}
		if len(ops) > maxOperations {
			c.fail("WithOperations", "%d operations exceed the maximum of %d", len(ops), maxOperations)
		}
		for _, op := range ops {
			if err := igname.Validate(op); err != nil {
				c.fail("WithOperations", "operation %q: %v", op, err)
			}
		}
		c.operations = append(c.operations, ops...)
	})
}

// WithClassifier sets how Transport classifies a request's result. fn sees
// the response (status and headers; it must not read the body) or the
// transport error, and returns the outcome, or OutcomeUnset for the default:
// transport errors are OutcomeError (OutcomeTimeout for timeouts,
// OutcomeCanceled for cancellations), 5xx OutcomeError, 4xx OutcomeRejected,
// anything else OutcomeSuccess. Use it to make, say, HTTP 402 a
// OutcomeDeclined that does not count against the provider.
func WithClassifier(fn func(resp *http.Response, err error) Outcome) DependencyOption {
	return depOptionFunc(func(c *depConfig) {
		if !c.seen.once("WithClassifier", &c.errs) {
			return
		}
		if fn == nil {
			c.fail("WithClassifier", "func must not be nil")
		}
		c.classifier = fn
	})
}

// WithErrorClassifier sets how Track and TrackValue classify a non-nil
// error; fn returns OutcomeUnset for the default: errors marked by Declined
// are OutcomeDeclined, deadline errors OutcomeTimeout, cancellations
// OutcomeCanceled and all others OutcomeError.
func WithErrorClassifier(fn func(err error) Outcome) DependencyOption {
	return depOptionFunc(func(c *depConfig) {
		if !c.seen.once("WithErrorClassifier", &c.errs) {
			return
		}
		if fn == nil {
			c.fail("WithErrorClassifier", "func must not be nil")
		}
		c.errClassifier = fn
	})
}

// WithHosts fixes the server addresses (host names, without port) that
// Transport records as server.address; requests to other hosts are recorded
// as _OTHER. Without it the first 16 distinct hosts are recorded.
func WithHosts(hosts ...string) DependencyOption {
	return depOptionFunc(func(c *depConfig) {
		if len(hosts) == 0 {
			c.fail("WithHosts", "no hosts given")
		}
		for _, h := range hosts {
			if h == "" || strings.ContainsAny(h, ":/ ") {
				c.fail("WithHosts", "%q is not a host name", h)
			}
		}
		c.hosts = append(c.hosts, hosts...)
	})
}

// withClock sets the clock for latencies (tests).
func withClock(c clock.Clock) DependencyOption {
	return depOptionFunc(func(cfg *depConfig) { cfg.clock = c })
}

// NewDependency returns a dependency of the given kind (KindPayment,
// KindGameProvider, ... or your own) and name ("stripe",
// "pragmatic-play") that records into the MeterProvider of
// WithMeterProvider, by default otel.GetMeterProvider(). Kind and name must
// be 1 to 64 bytes of [A-Za-z0-9._-]. The error names the field or the
// option.
//
// Its calls are recorded as metrics and counted in its own 30 s window,
// so Stats, HealthCheck and Health work without a Monitor. To have a
// Monitor watch it (its checks and alerts join the verdict, the dashboard
// shows it), declare it with monitor.Monitor.Dependency instead.
func NewDependency(kind, name string, opts ...DependencyOption) (*Dependency, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("instrument: %w %q: "+format, append([]any{errInvalidDependency, name}, a...)...)
	}
	if err := igname.Validate(name); err != nil {
		return nil, bad("name: %v", err)
	}
	if err := igname.Validate(kind); err != nil {
		return nil, bad("kind: %v", err)
	}
	cfg := depConfig{}
	for _, o := range opts {
		if o != nil {
			o.applyDependency(&cfg)
		}
	}
	cfg.provider.validate(cfg.fail)
	if len(cfg.errs) > 0 {
		return nil, bad("%w", errors.Join(cfg.errs...))
	}
	if cfg.defaultOp != "" && len(cfg.operations) > 0 && !slices.Contains(cfg.operations, cfg.defaultOp) {
		return nil, bad("option WithDefaultOperation: %q is not one of WithOperations", cfg.defaultOp)
	}
	inst, err := newInstruments(cfg.provider.meterProvider())
	if err != nil {
		return nil, fmt.Errorf("instrument: dependency %q: instruments: %w", name, err)
	}
	d := newDependency(inst, kind, name, cfg)
	d.stats = cfg.provider.stats
	if d.stats == nil {
		d.win = new(window)
		d.stats = func(string, string) instrumenthook.Figures { return d.win.figures(d.now()) }
	}
	return d, nil
}

func newDependency(inst *instruments, kind, name string, cfg depConfig) *Dependency {
	d := &Dependency{
		kind: kind, name: name, inst: inst, cfg: cfg,
		now:  time.Now,
		base: []attribute.KeyValue{attribute.String(attrDependencyKind, kind), attribute.String(attrDependencyName, name)},
	}
	if cfg.clock != nil {
		d.now = cfg.clock.Now
	}
	d.errTypes.limit = maxErrorTypes
	d.hosts.init(cfg.hosts)
	d.otherOp = d.newOpState(operationOther)
	for _, op := range cfg.operations {
		d.ops.loadOrStore(op, func() *opState { return d.newOpState(op) })
	}
	d.defaultOp = d.otherOp
	if cfg.defaultOp != "" {
		d.defaultOp = d.ops.loadOrStore(cfg.defaultOp, func() *opState { return d.newOpState(cfg.defaultOp) })
	}
	return d
}

// Kind returns the dependency's kind.
func (d *Dependency) Kind() string { return d.kind }

// Name returns the dependency's name.
func (d *Dependency) Name() string { return d.name }

// opState holds the precomputed attribute sets of one operation, so that
// recording a call builds none.
type opState struct {
	name     string
	attrs    []attribute.KeyValue // kind, name, operation
	inFlight []metric.AddOption
	plain    [numOutcomes]outcomeOpts // outcome without error.type
	withErr  cowMap[errKey, outcomeOpts]
}

type errKey struct {
	outcome Outcome
	errType string
}

type outcomeOpts struct {
	rec []metric.RecordOption
	add []metric.AddOption
}

func newOutcomeOpts(set attribute.Set) outcomeOpts {
	o := metric.WithAttributeSet(set)
	return outcomeOpts{rec: []metric.RecordOption{o}, add: []metric.AddOption{o}}
}

func (d *Dependency) newOpState(op string) *opState {
	s := &opState{name: op}
	s.attrs = append(slices.Clone(d.base), attribute.String(attrDependencyOperation, op))
	s.inFlight = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(s.attrs...))}
	for o := OutcomeSuccess; o < numOutcomes; o++ {
		s.plain[o] = newOutcomeOpts(attribute.NewSet(append(slices.Clone(s.attrs),
			attribute.String(attrDependencyOutcome, o.String()))...))
	}
	return s
}

// opts returns the measurement options for an outcome and error.type.
func (s *opState) opts(o Outcome, errType string) outcomeOpts {
	if errType == "" {
		return s.plain[o]
	}
	k := errKey{o, errType}
	return s.withErr.loadOrStore(k, func() outcomeOpts {
		return newOutcomeOpts(attribute.NewSet(append(slices.Clone(s.attrs),
			attribute.String(attrDependencyOutcome, o.String()),
			attribute.String(attrErrorType, errType))...))
	})
}

// operation resolves an operation name to its state: "" is the default,
// names outside WithOperations, invalid names and names beyond
// maxOperations are _OTHER.
func (d *Dependency) operation(op string) *opState {
	if op == "" {
		return d.defaultOp
	}
	if s, ok := d.ops.load(op); ok {
		return s
	}
	if len(d.cfg.operations) > 0 || igname.Validate(op) != nil || d.ops.len() >= maxOperations {
		return d.otherOp
	}
	op = strings.Clone(op) // the caller's string may alias a larger buffer
	if s, ok := d.ops.loadOrStoreLimit(op, maxOperations, func() *opState { return d.newOpState(op) }); ok {
		return s
	}
	return d.otherOp
}

// errorType returns the bounded error.type of err.
func (d *Dependency) errorType(err error) string {
	info := inspect(err)
	return d.boundErrorType(info.errorType())
}

func (d *Dependency) boundErrorType(t string, fixed bool) string {
	if fixed {
		return t
	}
	if igname.Validate(t) != nil {
		return errorTypeOther
	}
	return d.errTypes.get(t)
}
