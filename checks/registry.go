package checks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/redact"
)

// ErrUnknownCheck is returned for an operation on a name that is not
// registered.
var ErrUnknownCheck = errors.New("unknown check")

// errDuplicateCheck is returned when a name is registered twice.
var errDuplicateCheck = errors.New("duplicate check")

// defaultMargin is how much longer than the largest timeout of its checks a
// request may wait, for scheduling and bookkeeping.
const defaultMargin = 50 * time.Millisecond

// Registry holds checks, runs them and remembers their results. It is safe
// for concurrent use; checks may be added and removed at any time, also
// after Start.
type Registry struct {
	clock      clock.Clock
	logger     *slog.Logger
	limit      int
	margin     time.Duration
	liveGrace  time.Duration
	drainDelay time.Duration
	created    time.Time
	inst       instruments

	mu      sync.Mutex // guards entries and the lifecycle fields; never held while a check runs
	entries map[string]*entry
	snap    atomic.Pointer[snapshot]
	started bool
	stopped bool
	// scheduling is set between Start and Stop, while scheduled checks
	// run in their loops. Outside that window the endpoints refresh
	// scheduled results once they are an interval old.
	scheduling atomic.Bool
	bgCtx      context.Context
	bgStop     context.CancelFunc
	loops      sync.WaitGroup

	// runCtx parents the runs an endpoint starts (on-request checks, and
	// scheduled checks without a result or after Stop). It is not bgCtx:
	// Stop (and so Drain) must leave them working, because /livez is
	// still probed while the service drains; Shutdown cancels it.
	runCtx  context.Context
	runStop context.CancelFunc

	inflight inflight

	startTime   atomic.Int64 // unix nanos of Start (or creation)
	draining    atomic.Bool
	drainOnce   sync.Once
	drainNotify chan struct{}

	events     dispatcher
	overrideLs []func(OverrideChange) // audit listeners, fixed at construction
}

// snapshot is an immutable view of the registered checks, swapped on every
// change, so the request path reads it without a lock.
type snapshot struct {
	all []*entry // sorted by name
	// byEndpoint is indexed by Endpoint value (1..7).
	byEndpoint [allEndpoints + 1][]*entry
	byName     map[string]*entry
}

// entry is one registered check and its state.
type entry struct {
	c     *Check
	state atomic.Pointer[state]
	ovr   atomic.Pointer[Override]
	mu    sync.Mutex // serialises record; never held while the check runs
	busy  atomic.Bool
	stop  context.CancelFunc // background loop; nil for on-request checks and before Start
	done  chan struct{}      // closed when the background loop exits
	attrs entryAttrs

	// flight is the refresh under way, closed when it ends (nil when
	// none): concurrent callers wait for it instead of running the check
	// again.
	flightMu sync.Mutex
	flight   chan struct{}
}

// state is the immutable result of the thresholds after a run.
type state struct {
	status     Status // pass, warn or fail after thresholds; never unknown
	last       outcome
	ranAt      time.Time // clock time the run finished
	since      time.Time
	consecFail int
	consecOK   int
}

// RegistryOption configures a Registry.
type RegistryOption interface {
	applyRegistry(*registryConfig)
}

type registryConfig struct {
	clock      clock.Clock
	logger     *slog.Logger
	mp         metric.MeterProvider
	limit      int
	margin     time.Duration
	liveGrace  time.Duration
	drainDelay time.Duration
	listeners  []func(Transition)
	overrideLs []func(OverrideChange)
	seen       map[string]bool // single-valued options already given
	err        error
}

// registryOption is one named option. A single-valued option may be
// given once: a second one (say checks.WithDrainDelay inside
// monitor.WithRegistryOptions next to monitor.WithDrainDelay) would
// silently replace the first, so NewRegistry refuses it.
type registryOption struct {
	name   string
	single bool
	fn     func(*registryConfig) error
}

func (o registryOption) applyRegistry(c *registryConfig) {
	if c.err != nil {
		return
	}
	if o.single {
		if c.seen[o.name] {
			c.err = fmt.Errorf("%s: given twice; the second would silently replace the first", o.name)
			return
		}
		if c.seen == nil {
			c.seen = map[string]bool{}
		}
		c.seen[o.name] = true
	}
	if err := o.fn(c); err != nil {
		c.err = fmt.Errorf("%s: %w", o.name, err)
	}
}

// WithLogger sets the logger for transitions, overrides, panics and drain.
// The default is slog.Default().
func WithLogger(l *slog.Logger) RegistryOption {
	return registryOption{name: "WithLogger", single: true, fn: func(c *registryConfig) error {
		if l == nil {
			return errors.New("logger must not be nil")
		}
		c.logger = l
		return nil
	}}
}

// WithMeterProvider sets where the registry's metrics go. The default
// records nothing.
func WithMeterProvider(mp metric.MeterProvider) RegistryOption {
	return registryOption{name: "WithMeterProvider", single: true, fn: func(c *registryConfig) error {
		if mp == nil {
			return errors.New("meter provider must not be nil")
		}
		c.mp = mp
		return nil
	}}
}

// WithConcurrency bounds how many checks of one request run at once. The
// default is 4 × GOMAXPROCS.
func WithConcurrency(n int) RegistryOption {
	return registryOption{name: "WithConcurrency", single: true, fn: func(c *registryConfig) error {
		if n < 1 {
			return fmt.Errorf("concurrency %d must be at least 1", n)
		}
		c.limit = n
		return nil
	}}
}

// withMargin sets how much longer than the largest timeout of its checks a
// request may wait (default 50ms).
func withMargin(d time.Duration) RegistryOption {
	return registryOption{name: "withMargin", single: true, fn: func(c *registryConfig) error {
		if d < 0 {
			return fmt.Errorf("margin %v must not be negative", d)
		}
		c.margin = d
		return nil
	}}
}

// WithLivenessGracePeriod makes liveness pass for d after Start whatever
// its checks say, so a slow boot is not mistaken for a dead process.
func WithLivenessGracePeriod(d time.Duration) RegistryOption {
	return registryOption{name: "WithLivenessGracePeriod", single: true, fn: func(c *registryConfig) error {
		if d < 0 {
			return fmt.Errorf("liveness grace period %v must not be negative", d)
		}
		c.liveGrace = d
		return nil
	}}
}

// WithDrainDelay sets how long Drain keeps serving after readiness turns
// fail, so load balancers notice before the server stops (default 0).
func WithDrainDelay(d time.Duration) RegistryOption {
	return registryOption{name: "WithDrainDelay", single: true, fn: func(c *registryConfig) error {
		if d < 0 {
			return fmt.Errorf("drain delay %v must not be negative", d)
		}
		c.drainDelay = d
		return nil
	}}
}

// withListener adds a function called on every status transition. It runs
// outside any lock and may call back into the registry.
func withListener(fn func(Transition)) RegistryOption {
	return registryOption{name: "withListener", fn: func(c *registryConfig) error {
		if fn == nil {
			return errors.New("listener must not be nil")
		}
		c.listeners = append(c.listeners, fn)
		return nil
	}}
}

// WithOverrideListener adds a function called whenever an operator sets or
// clears an override, whether or not the check's status changes: every
// override leaves an audit record (the Monitor writes it to its event
// log). It runs outside any lock, in the order the options were given.
func WithOverrideListener(fn func(OverrideChange)) RegistryOption {
	return registryOption{name: "WithOverrideListener", fn: func(c *registryConfig) error {
		if fn == nil {
			return errors.New("override listener must not be nil")
		}
		c.overrideLs = append(c.overrideLs, fn)
		return nil
	}}
}

// withClock sets the clock used for TTLs, staleness and grace periods. It
// exists for tests.
func withClock(c clock.Clock) RegistryOption {
	return registryOption{name: "withClock", single: true, fn: func(rc *registryConfig) error {
		if c == nil {
			return errors.New("clock must not be nil")
		}
		rc.clock = c
		return nil
	}}
}

// NewRegistry returns an empty registry. Invalid options return an error
// naming the option.
func NewRegistry(opts ...RegistryOption) (*Registry, error) {
	cfg := registryConfig{
		clock:  clock.Real{},
		logger: slog.Default(),
		mp:     noop.NewMeterProvider(),
		limit:  4 * runtime.GOMAXPROCS(0),
		margin: defaultMargin,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		o.applyRegistry(&cfg)
		if cfg.err != nil {
			return nil, fmt.Errorf("checks: %w", cfg.err)
		}
	}
	r := &Registry{
		clock:       cfg.clock,
		logger:      cfg.logger,
		limit:       cfg.limit,
		margin:      cfg.margin,
		liveGrace:   cfg.liveGrace,
		drainDelay:  cfg.drainDelay,
		entries:     make(map[string]*entry),
		drainNotify: make(chan struct{}),
	}
	r.created = r.clock.Now()
	r.startTime.Store(r.created.UnixNano())
	r.bgCtx, r.bgStop = context.WithCancel(context.Background())
	r.runCtx, r.runStop = context.WithCancel(context.Background())
	r.events.logger = cfg.logger
	r.snap.Store(&snapshot{byName: map[string]*entry{}})
	for _, l := range cfg.listeners {
		r.events.subscribe(l)
	}
	r.overrideLs = cfg.overrideLs
	if err := r.inst.init(cfg.mp, r); err != nil {
		return nil, fmt.Errorf("checks: metrics: %w", err)
	}
	return r, nil
}

// Register builds a check with NewCheck and adds it.
func (r *Registry) Register(name string, fn func(ctx context.Context) error, opts ...Option) error {
	c, err := NewCheck(name, fn, opts...)
	if err != nil {
		return err
	}
	return r.Add(c)
}

// Add adds checks built by NewCheck or a built-in constructor. A name that
// is already registered is an error wrapping errDuplicateCheck; nothing is
// added then. Adding after Start starts the scheduled checks at once.
func (r *Registry) Add(cs ...*Check) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if c == nil {
			return fmt.Errorf("%w: nil *Check", ErrInvalidCheck)
		}
		if _, dup := r.entries[c.name]; dup || seen[c.name] {
			return fmt.Errorf("%w %q: name: already registered", errDuplicateCheck, c.name)
		}
		seen[c.name] = true
	}
	for _, c := range cs {
		e := &entry{c: c, attrs: newEntryAttrs(c)}
		r.entries[c.name] = e
		if r.started && !r.stopped && !c.s.onRequest {
			r.startLoop(e)
		}
	}
	r.rebuild()
	return nil
}

// Remove unregisters a check and stops its background loop. It reports
// whether the name was registered.
func (r *Registry) Remove(name string) bool {
	r.mu.Lock()
	e, ok := r.entries[name]
	if ok {
		delete(r.entries, name)
		r.rebuild()
	}
	r.mu.Unlock()
	if ok && e.stop != nil {
		e.stop()
		<-e.done
	}
	return ok
}

// rebuild publishes a new snapshot. Callers hold r.mu.
func (r *Registry) rebuild() {
	s := &snapshot{byName: make(map[string]*entry, len(r.entries))}
	for _, e := range r.entries {
		s.all = append(s.all, e)
		s.byName[e.c.name] = e
	}
	slices.SortFunc(s.all, func(a, b *entry) int {
		switch {
		case a.c.name < b.c.name:
			return -1
		case a.c.name > b.c.name:
			return 1
		}
		return 0
	})
	for ep := Endpoint(1); ep <= allEndpoints; ep++ {
		for _, e := range s.all {
			if e.c.s.endpoints&ep != 0 || ep == allEndpoints {
				s.byEndpoint[ep] = append(s.byEndpoint[ep], e)
			}
		}
	}
	r.snap.Store(s)
}

// Start starts the background checks: every check not declared
// [WithOnRequest] runs on its own schedule from now on, whether or not
// anyone calls an endpoint. Checks added later start at once. Start after
// Shutdown or Drain is an error.
func (r *Registry) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return errors.New("checks: Start after Drain or Shutdown")
	}
	if r.started {
		return nil
	}
	r.started = true
	r.startTime.Store(r.clock.Now().UnixNano())
	r.scheduling.Store(true)
	for _, e := range r.snap.Load().all {
		if !e.c.s.onRequest {
			r.startLoop(e)
		}
	}
	return nil
}

// stop stops the background checks and waits for their loops to exit. A run
// that ignores its context is abandoned, not waited for; Shutdown waits
// for those too. From then on the endpoints run a scheduled check
// themselves when its result is an interval old, so /livez keeps telling
// the truth while the service drains.
func (r *Registry) stop() {
	r.mu.Lock()
	r.stopped = true
	r.scheduling.Store(false)
	r.bgStop()
	r.mu.Unlock()
	r.loops.Wait()
}

// Shutdown stops the background checks, cancels the context of every check
// run still in progress (runs started by endpoints included) and waits,
// until ctx is done, for them to return. A check that respects its
// context therefore
// ends at once instead of at its timeout. Runs started after Shutdown are
// cancelled at once and leave the last results in place. It does not drain;
// call Drain first.
func (r *Registry) Shutdown(ctx context.Context) error {
	r.stop()
	r.runStop()
	return r.inflight.wait(ctx)
}

// Drain turns readiness to fail at once (liveness is unaffected), waits for
// the drain delay or until ctx is done so that load balancers notice, then
// stops the background checks. It returns ctx's error if ctx ended first.
func (r *Registry) Drain(ctx context.Context) error {
	r.drainOnce.Do(func() {
		r.draining.Store(true)
		close(r.drainNotify)
		r.logger.LogAttrs(ctx, slog.LevelWarn, "igmon: draining: readiness now fails",
			slog.Duration("delay", r.drainDelay))
	})
	var err error
	if r.drainDelay > 0 {
		t := time.NewTimer(r.drainDelay)
		select {
		case <-t.C:
		case <-ctx.Done():
			err = ctx.Err()
		}
		t.Stop()
	}
	r.stop()
	return err
}

// draining reports whether Drain has been called.
func (r *Registry) isDraining() bool { return r.draining.Load() }

// DrainStarted returns a channel closed when Drain is first called.
func (r *Registry) DrainStarted() <-chan struct{} { return r.drainNotify }

// startLoop starts e's background loop. Callers hold r.mu.
func (r *Registry) startLoop(e *entry) {
	ctx, cancel := context.WithCancel(r.bgCtx)
	e.stop = cancel
	e.done = make(chan struct{})
	r.loops.Add(1)
	go func() {
		defer r.loops.Done()
		defer close(e.done)
		s := e.c.s
		t := time.NewTimer(firstDelay(s))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			r.refresh(ctx, e, true)
			t.Reset(jittered(s.interval, s.jitter))
		}
	}()
}

// maxFirstSpread bounds the random delay of a scheduled check's first run.
const maxFirstSpread = time.Second

// firstDelay is how long after Start (or Add) a scheduled check first
// runs: the jittered WithInitialDelay if given, else a random moment in
// the first min(jitter × interval, 1s), so a fresh process has results
// within a second and its checks do not all fire at once.
func firstDelay(s settings) time.Duration {
	if s.initialDelaySet {
		return jittered(s.initialDelay, s.jitter)
	}
	spread := min(time.Duration(s.jitter*float64(s.interval)), maxFirstSpread)
	if spread <= 0 {
		return 0
	}
	return rand.N(spread)
}

func jittered(d time.Duration, f float64) time.Duration {
	if d <= 0 || f == 0 {
		return d
	}
	return d + time.Duration((rand.Float64()*2-1)*f*float64(d))
}

// refresh runs e once, sharing the run with concurrent callers. scheduled
// is set for the background loop, which runs whatever the last result's
// age; an endpoint runs the check only if it still needs a run.
func (r *Registry) refresh(ctx context.Context, e *entry, scheduled bool) {
	e.flightMu.Lock()
	if ch := e.flight; ch != nil {
		e.flightMu.Unlock()
		<-ch
		return
	}
	ch := make(chan struct{})
	e.flight = ch
	e.flightMu.Unlock()
	defer func() {
		e.flightMu.Lock()
		e.flight = nil
		e.flightMu.Unlock()
		close(ch)
	}()
	// A caller that decided to run just before another run finished
	// would run the check twice in one TTL: look again.
	if !scheduled && !r.needsRun(e, r.clock.Now()) {
		return
	}
	r.runAndRecord(ctx, e)
}

func (r *Registry) runAndRecord(ctx context.Context, e *entry) {
	if !e.busy.CompareAndSwap(false, true) {
		// The previous run ignored its timeout and is still going: do not
		// pile another goroutine on top of it.
		now := r.clock.Now()
		r.record(e, outcome{Status: StatusFail, Err: errStillRunning, Start: now})
		return
	}
	r.inflight.add()
	o := runCheck(ctx, e.c, func() {
		e.busy.Store(false)
		r.inflight.done()
	})
	if ctx.Err() != nil && (r.bgCtx.Err() != nil || r.runCtx.Err() != nil) {
		return // stopping: a cancelled run says nothing about the component
	}
	var pe *panicError
	if errors.As(o.Err, &pe) {
		r.logPanic(e, pe)
	}
	r.inst.recordRun(e, o)
	r.record(e, o)
}

// logPanic logs a check's panic, its value redacted. The stack is logged
// with the first panic after a run that did not panic; a check that keeps
// panicking repeats only a debug line, not the stack on every run.
func (r *Registry) logPanic(e *entry, pe *panicError) {
	var prev *panicError
	if st := e.state.Load(); st != nil && errors.As(st.last.Err, &prev) {
		r.logger.LogAttrs(context.Background(), slog.LevelDebug, "igmon: check panicked again",
			slog.String("check", e.c.name), slog.String("panic", pe.redactedValue()),
			slog.Int("consecutive_failures", st.consecFail+1))
		return
	}
	r.logger.LogAttrs(context.Background(), slog.LevelError, "igmon: check panicked",
		slog.String("check", e.c.name), slog.String("panic", pe.redactedValue()), slog.String("stack", string(pe.Stack)))
}

// record applies the thresholds to an outcome and publishes the new state.
func (r *Registry) record(e *entry, o outcome) {
	now := r.clock.Now()
	before := r.decided(e, now)
	e.mu.Lock()
	prev := e.state.Load()
	ns := &state{last: o, ranAt: now, status: StatusUnknown}
	if prev != nil {
		ns.status, ns.since, ns.consecFail, ns.consecOK = prev.status, prev.since, prev.consecFail, prev.consecOK
	}
	if o.Status == StatusFail {
		ns.consecFail++
		ns.consecOK = 0
		if ns.status == StatusUnknown || ns.consecFail >= e.c.s.failureThreshold {
			ns.status = StatusFail
		}
	} else {
		ns.consecOK++
		ns.consecFail = 0
		if ns.status == StatusPass || ns.status == StatusWarn || ns.consecOK >= e.c.s.successThreshold {
			ns.status = o.Status
		}
	}
	if prev == nil || ns.status != prev.status {
		ns.since = now
	}
	e.state.Store(ns)
	e.mu.Unlock()
	// Until its thresholds first decide a status, a check is in the state
	// it started in.
	r.emitIfChanged(e, before, now, o.Duration, prev == nil || prev.status == StatusUnknown)
}

// emitIfChanged logs, counts and publishes a transition when e's effective
// status differs from before. Both sides are decided statuses: a stale
// result never decides a status, so going stale is no transition, and a
// fresh result after a stale one is compared with the status before it.
func (r *Registry) emitIfChanged(e *entry, before Result, now time.Time, d time.Duration, first bool) {
	after := r.decided(e, now)
	if after.Status == before.Status {
		return
	}
	tr := Transition{
		Name: e.c.name, From: before.Status, To: after.Status, Err: after.Err,
		Time: now, Duration: d, ConsecutiveFailures: after.ConsecutiveFailures,
		ComponentType: e.c.s.componentType, First: first,
	}
	if !before.Since.IsZero() {
		tr.PreviousFor = now.Sub(before.Since)
	}
	level := slog.LevelInfo
	switch after.Status {
	case StatusWarn:
		level = slog.LevelWarn
	case StatusFail, StatusUnknown:
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("check", tr.Name), slog.String("from", tr.From.String()),
		slog.String("to", tr.To.String()), slog.Duration("duration", d),
	}
	if tr.Err != nil {
		attrs = append(attrs, slog.String("error", redact.Error(tr.Err)))
	}
	r.logger.LogAttrs(context.Background(), level, "igmon: check status changed", attrs...)
	r.inst.recordTransition(e, tr.To)
	r.events.publish(tr)
}

// view computes e's current Result: thresholds, staleness, override and
// criticality applied. It does not allocate on the success path.
func (r *Registry) view(e *entry, now time.Time) Result {
	return r.result(e, now, true)
}

// decided is view without staleness: the status the last result decided.
func (r *Registry) decided(e *entry, now time.Time) Result {
	return r.result(e, now, false)
}

func (r *Registry) result(e *entry, now time.Time, staleness bool) Result {
	c := e.c
	res := Result{
		Name: c.name, ComponentType: c.s.componentType, Endpoints: c.s.endpoints,
		Critical: c.s.critical, Status: StatusUnknown, Err: errNotRun,
	}
	if st := e.state.Load(); st != nil {
		res.Status, res.Err = st.status, st.last.Err
		res.Observation, res.Details = st.last.Observation, st.last.Details
		res.Time, res.Duration, res.Since = st.ranAt, st.last.Duration, st.since
		res.ConsecutiveFailures, res.ConsecutiveSuccesses = st.consecFail, st.consecOK
		if res.Status == StatusUnknown && res.Err == nil {
			// Passed, but fewer times in a row than the success
			// threshold: say so rather than show an unknown (or, for a
			// non-critical check, a warning) without a reason.
			res.Err = errUndecided
		}
		if staleness && now.Sub(st.ranAt) > c.s.staleAfter {
			// Too old to say anything about the component: not its
			// last status, and not a failure of it either.
			res.Status, res.Err, res.Stale = StatusUnknown, errStale, true
		}
	}
	if ov := e.ovr.Load(); ov != nil {
		res.Override = ov
		res.Status = ov.Status
		if ov.Status == StatusFail {
			res.Err = errOutOfService
		} else {
			res.Err = nil
		}
	}
	if !c.s.critical && (res.Status == StatusFail || res.Status == StatusUnknown) {
		res.Status = StatusWarn
	}
	return res
}

// needsRun reports whether an endpoint must run e before answering: its
// result is missing, or it is an on-request check whose result is at least
// its TTL old. A scheduled check is left to its loop while the loops run
// (running it per request would defeat the schedule and add latency);
// before Start and after Stop its result is refreshed once it is an
// interval old.
func (r *Registry) needsRun(e *entry, now time.Time) bool {
	st := e.state.Load()
	switch {
	case st == nil:
		return true
	case e.c.s.onRequest:
		return now.Sub(st.ranAt) >= e.c.s.ttl
	case r.scheduling.Load():
		return false
	default:
		return now.Sub(st.ranAt) >= e.c.s.interval
	}
}

// Transition is a change of a check's effective status.
type Transition struct {
	// Name is the check's name.
	Name string
	// ComponentType is the check's component type.
	ComponentType string
	// From is the status before the change, To the status after it.
	From, To Status
	// Err is the error behind the new status (unredacted), if any.
	Err error
	// Time is when the change happened (the registry's clock).
	Time time.Time
	// Duration is how long the run that caused the transition took.
	Duration time.Duration
	// PreviousFor is how long the check was in From: the outage length on
	// recovery.
	PreviousFor time.Duration
	// ConsecutiveFailures counts the failed runs in a row behind To.
	ConsecutiveFailures int
	// First is set on the transition that gives the check its first
	// decided status (its first run, or the run that meets its success or
	// failure threshold): From is then the state a check starts in
	// (unknown, shown as warn for a non-critical check), not a state the
	// component was in.
	First bool
}

// Subscribe adds a transition listener and returns a function that removes
// it. Listeners run outside any lock, one transition at a time, in order,
// and may call back into the registry.
func (r *Registry) Subscribe(fn func(Transition)) (unsubscribe func()) {
	return r.events.subscribe(fn)
}

// Override forces a check out of service (StatusFail) or into service
// (StatusPass) until ClearOverride, with a reason and the operator who
// asked (by), both logged, passed to [WithOverrideListener] listeners and
// shown to authorized callers.
func (r *Registry) Override(name string, status Status, reason, by string) error {
	if status != StatusFail && status != StatusPass {
		return fmt.Errorf("checks: override %q: status: must be StatusFail or StatusPass, got %v", name, status)
	}
	return r.setOverride(name, &Override{Status: status, Reason: reason, By: by, Time: r.clock.Now()}, reason, by)
}

// ClearOverride removes an operator override; the check reports its own
// results again. reason and by are audited as for Override.
func (r *Registry) ClearOverride(name, reason, by string) error {
	return r.setOverride(name, nil, reason, by)
}

// OverrideChange is an operator override being set or cleared, as
// [WithOverrideListener] listeners receive it.
type OverrideChange struct {
	// Name is the check's name.
	Name string
	// Override is the new override, nil when it was cleared.
	Override *Override
	// Reason and By are the operator's explanation and identity.
	Reason, By string
	// Time is when the change was made (the registry's clock).
	Time time.Time
}

func (r *Registry) setOverride(name string, ov *Override, reason, by string) error {
	e := r.snap.Load().byName[name]
	if e == nil {
		return fmt.Errorf("checks: override %q: %w", name, ErrUnknownCheck)
	}
	now := r.clock.Now()
	before := r.decided(e, now)
	e.ovr.Store(ov)
	action := "cleared"
	if ov != nil {
		action = "set to " + ov.Status.String()
	}
	r.logger.LogAttrs(context.Background(), slog.LevelWarn, "igmon: check override "+action,
		slog.String("check", name), slog.String("reason", redact.String(reason)), slog.String("by", redact.String(by)))
	r.emitIfChanged(e, before, now, 0, false)
	change := OverrideChange{Name: name, Override: ov, Reason: reason, By: by, Time: now}
	for _, fn := range r.overrideLs {
		r.events.call(func(Transition) { fn(change) }, Transition{Name: name})
	}
	return nil
}

// Result returns the current result of one check, without running it.
func (r *Registry) Result(name string) (Result, bool) {
	e := r.snap.Load().byName[name]
	if e == nil {
		return Result{}, false
	}
	return r.view(e, r.clock.Now()), true
}

// Results returns the current results of every check, without running any.
func (r *Registry) Results() []Result {
	s := r.snap.Load()
	now := r.clock.Now()
	out := make([]Result, len(s.all))
	for i, e := range s.all {
		out[i] = r.view(e, now)
	}
	return out
}

// Report is the evaluation of one endpoint.
type Report struct {
	// Endpoint is the endpoint evaluated.
	Endpoint Endpoint
	// Status is the aggregate: the worst result, unknown counted as fail,
	// fail while draining (readiness).
	Status Status
	// Results are the evaluated checks, sorted by name.
	Results []Result
	// Excluded lists the names skipped with ?exclude; Unknown the excluded
	// names that matched no check.
	Excluded, UnknownExcluded []string
	// Draining is set while readiness fails because of Drain.
	Draining bool
}

// Evaluate returns the latest result of every check of an endpoint with the
// aggregate. It first runs the checks that need it (sharing runs with
// concurrent callers): those that never ran and the on-request checks whose
// result is older than their TTL; a scheduled check's loop keeps its result
// fresh (before Start and after Stop, when no loop runs, a scheduled result
// an interval old is refreshed too). Excluded names are skipped.
func (r *Registry) Evaluate(ctx context.Context, ep Endpoint, exclude ...string) Report {
	s := r.snap.Load()
	list := s.byEndpoint[ep&allEndpoints]
	rep := Report{Endpoint: ep}
	if len(exclude) > 0 {
		kept := make([]*entry, 0, len(list))
		for _, e := range list {
			if slices.Contains(exclude, e.c.name) {
				rep.Excluded = append(rep.Excluded, e.c.name)
				continue
			}
			kept = append(kept, e)
		}
		for _, x := range exclude {
			if s.byName[x] == nil {
				rep.UnknownExcluded = append(rep.UnknownExcluded, x)
			}
		}
		list = kept
	}
	r.ensureFresh(ctx, list)
	now := r.clock.Now()
	rep.Results = make([]Result, len(list))
	for i, e := range list {
		rep.Results[i] = r.view(e, now)
	}
	rep.Status, rep.Draining = r.aggregate(ep, rep.Results, now)
	return rep
}

// Status is Evaluate without the per-check results: the cheap path the
// plain /livez and /readyz answers use. It does not allocate when every
// result is fresh. StatusUnknown (a check that never ran, or a stale
// result) must be treated as failing.
func (r *Registry) Status(ctx context.Context, ep Endpoint) Status {
	list := r.snap.Load().byEndpoint[ep&allEndpoints]
	r.ensureFresh(ctx, list)
	now := r.clock.Now()
	agg := StatusPass
	grace := r.inGrace(ep, now)
	for _, e := range list {
		st := r.view(e, now).Status
		if grace && e.c.s.endpoints&Liveness != 0 {
			continue
		}
		agg = worse(agg, st)
	}
	if ep&Readiness != 0 && ep != allEndpoints && r.draining.Load() {
		agg = StatusFail
	}
	return agg
}

func (r *Registry) aggregate(ep Endpoint, results []Result, now time.Time) (Status, bool) {
	agg := StatusPass
	grace := r.inGrace(ep, now)
	for _, res := range results {
		if grace && res.Endpoints&Liveness != 0 {
			continue
		}
		agg = worse(agg, res.Status)
	}
	draining := ep&Readiness != 0 && ep != allEndpoints && r.draining.Load()
	if draining {
		agg = StatusFail
	}
	if agg == StatusUnknown {
		agg = StatusFail
	}
	return agg, draining
}

// inGrace reports whether liveness failures are forgiven at now.
func (r *Registry) inGrace(ep Endpoint, now time.Time) bool {
	return ep == Liveness && r.liveGrace > 0 && now.Sub(time.Unix(0, r.startTime.Load())) < r.liveGrace
}

// ensureFresh runs the checks in list that need a run (see needsRun), a
// bounded number at a time, and waits for them at most the largest timeout
// plus the margin (or until ctx ends).
func (r *Registry) ensureFresh(ctx context.Context, list []*entry) {
	now := r.clock.Now()
	n := 0
	for _, e := range list {
		if r.needsRun(e, now) {
			n++
		}
	}
	if n == 0 {
		return
	}
	todo := make([]*entry, 0, n)
	var maxTimeout time.Duration
	for _, e := range list {
		if r.needsRun(e, now) {
			todo = append(todo, e)
			maxTimeout = max(maxTimeout, e.c.s.timeout)
		}
	}
	if len(todo) == 1 && ctx.Done() == nil {
		// One check and a caller that cannot give up: run it here, no
		// goroutine hand-off needed. runCheck itself returns at the
		// timeout. A caller with a deadline (a probe's HTTP request, a
		// gRPC Check) takes the path below, which stops waiting when
		// its context ends.
		r.refresh(r.runCtx, todo[0], false)
		return
	}
	done := make(chan struct{})
	r.inflight.add()
	go func() {
		defer r.inflight.done()
		// At most r.limit checks of this request run at once.
		var wg sync.WaitGroup
		sem := make(chan struct{}, r.limit)
		for _, e := range todo {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				r.refresh(r.runCtx, e, false)
			})
		}
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(maxTimeout + r.margin)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
}

// inflight counts goroutines running checks so Shutdown can wait for them.
type inflight struct {
	mu   sync.Mutex
	n    int
	zero chan struct{}
}

func (f *inflight) add() {
	f.mu.Lock()
	if f.n == 0 {
		f.zero = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
}

func (f *inflight) done() {
	f.mu.Lock()
	f.n--
	if f.n == 0 {
		close(f.zero)
	}
	f.mu.Unlock()
}

func (f *inflight) wait(ctx context.Context) error {
	f.mu.Lock()
	if f.n == 0 {
		f.mu.Unlock()
		return nil
	}
	z := f.zero
	f.mu.Unlock()
	select {
	case <-z:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		n := f.n
		f.mu.Unlock()
		return fmt.Errorf("checks: %d check runs still in progress: %w", n, ctx.Err())
	}
}
