package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/internal/failoverhook"
)

// Provider is one member of a group.
type Provider struct {
	// Name identifies the provider in metrics, events and Status; 1 to 64
	// bytes, unique in the group.
	Name string
	// Health, when set, says whether the provider is failing by an outside
	// judgement (igmon's status rule: checks, traffic, alerts). It is read
	// on every routed call, so it must be cheap and must not block. A turn
	// to failing opens a closed breaker; the breaker's trials, not Health,
	// decide when it closes, because a windowed verdict lags a recovery.
	Health func() (failing bool, reason string)
	// Failure reports whether a call's non-nil error counts against the
	// provider. Nil means every error but a cancellation does. Give one
	// that leaves business declines out.
	Failure func(err error) bool
}

// Breaker sets when a provider's breaker opens and how it recovers. Zero
// fields take the defaults in brackets.
type Breaker struct {
	ConsecutiveFailures int           // open after this many failures in a row [5]
	ErrorRatio          float64       // open at this share of failed calls in the window [0.5] ...
	MinCalls            int           // ... once it holds at least this many calls [10]
	SlowCall            time.Duration // a call this slow counts as slow [0: latency is not judged]
	SlowRatio           float64       // open at this share of slow calls in the window [0.5]
	Window              int           // the ratios judge the last Window calls [20]
	OpenFor             time.Duration // the first open period [5s] ...
	MaxOpenFor          time.Duration // ... doubling after a failed trial up to this [30s]
	Trials              int           // successful trials in a row that close it [3]
}

func (b *Breaker) defaults() error {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&b.ConsecutiveFailures, 5)
	def(&b.MinCalls, 10)
	def(&b.Trials, 3)
	if b.ErrorRatio == 0 {
		b.ErrorRatio = 0.5
	}
	if b.SlowRatio == 0 {
		b.SlowRatio = 0.5
	}
	def(&b.Window, 20)
	defD(&b.OpenFor, 5*time.Second)
	defD(&b.MaxOpenFor, 30*time.Second)
	var errs []error
	bad := func(field string, format string, a ...any) {
		errs = append(errs, fmt.Errorf("Breaker.%s: "+format, append([]any{field}, a...)...))
	}
	if b.ConsecutiveFailures < 0 {
		bad("ConsecutiveFailures", "%d is negative", b.ConsecutiveFailures)
	}
	if b.MinCalls < 0 {
		bad("MinCalls", "%d is negative", b.MinCalls)
	}
	if b.Trials < 0 || b.Trials > 1000 {
		bad("Trials", "%d is not in 1..1000", b.Trials)
	}
	if !(b.ErrorRatio > 0 && b.ErrorRatio <= 1) {
		bad("ErrorRatio", "%v is not in (0, 1]", b.ErrorRatio)
	}
	if !(b.SlowRatio > 0 && b.SlowRatio <= 1) {
		bad("SlowRatio", "%v is not in (0, 1]", b.SlowRatio)
	}
	if b.SlowCall < 0 {
		bad("SlowCall", "%v is negative", b.SlowCall)
	}
	if b.Window < 1 || b.Window > 1000 {
		bad("Window", "%d is not in 1..1000", b.Window)
	}
	if b.MinCalls > b.Window {
		bad("MinCalls", "%d is more than Window, %d", b.MinCalls, b.Window)
	}
	if b.OpenFor < 0 || b.OpenFor > time.Hour {
		bad("OpenFor", "%v is not in 0..1h", b.OpenFor)
	}
	if b.MaxOpenFor < b.OpenFor || b.MaxOpenFor > 24*time.Hour {
		bad("MaxOpenFor", "%v is not in OpenFor..24h", b.MaxOpenFor)
	}
	return errors.Join(errs...)
}

// Option configures a Group.
type Option interface{ apply(*config) }

// optionFunc is one named option. Every option sets one value, so one
// given twice would silently replace the first: New refuses it, naming it.
type optionFunc struct {
	name string
	fn   func(*config)
}

func (o optionFunc) apply(c *config) {
	if why, ok := c.reserved[o.name]; ok {
		c.errs = append(c.errs, fmt.Errorf("option %s: %s", o.name, why))
		return
	}
	if c.given[o.name] {
		c.errs = append(c.errs, fmt.Errorf("option %s: given twice; the second would silently replace the first", o.name))
		return
	}
	if c.given == nil {
		c.given = map[string]bool{}
	}
	c.given[o.name] = true
	o.fn(c)
}

type config struct {
	breaker  Breaker
	mp       metric.MeterProvider
	listener func(Change)
	given    map[string]bool   // options already given
	reserved map[string]string // options the caller may not give, and why
	errs     []error
}

// reserveOption is internal/failoverhook.Reserve's option.
type reserveOption struct {
	why   string
	names []string
}

func (o reserveOption) apply(c *config) {
	if c.reserved == nil {
		c.reserved = map[string]string{}
	}
	for _, n := range o.names {
		c.reserved[n] = o.why
	}
}

func init() {
	failoverhook.Reserve = func(why string, names ...string) any {
		return Option(reserveOption{why: why, names: names})
	}
}

// WithBreaker sets the breakers' thresholds; see Breaker for defaults.
func WithBreaker(b Breaker) Option {
	return optionFunc{"WithBreaker", func(c *config) { c.breaker = b }}
}

// WithMeterProvider records the group's metrics (see the README's metrics
// list) with mp. Without it nothing is recorded.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc{"WithMeterProvider", func(c *config) { c.mp = mp }}
}

// WithListener calls fn on every breaker transition and every change of
// the serving provider, on the goroutine of the call that caused it,
// after the group's locks are released. fn must not block. One listener
// per group: a second WithListener is refused.
func WithListener(fn func(Change)) Option {
	return optionFunc{"WithListener", func(c *config) { c.listener = fn }}
}

// Change kinds.
const (
	kindBreaker = "breaker" // a provider's breaker changed state
	kindRoute   = "route"   // another provider serves the group's calls
)

// Change is a breaker transition or a change of the serving provider.
type Change struct {
	Time     time.Time
	Group    string
	Provider string // the breaker's provider, or the one that serves now
	Kind     string // "breaker" (a breaker changed state) or "route" (another provider serves)
	From, To string // breaker states, or provider names
	Reason   string // why, in one line
}

// Group routes calls over an ordered list of equivalent providers. It is
// safe for concurrent use.
type Group struct {
	name    string
	members []*member
	cfg     config
	now     func() time.Time
	inst    *instruments

	serving atomic.Int32 // index of the provider closed calls go to
	mu      sync.Mutex   // serializes route changes
	route   atomic.Pointer[routeState]
}

type routeState struct {
	provider string
	reason   string
	since    time.Time
}

// New returns a group over providers, the preferred one first.
func New(name string, providers []Provider, opts ...Option) (*Group, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("failover: group %q: "+format, append([]any{name}, a...)...)
	}
	if err := validName(name); err != nil {
		return nil, bad("name: %v", err)
	}
	if len(cfg.errs) > 0 {
		return nil, bad("%w", errors.Join(cfg.errs...))
	}
	if len(providers) == 0 || len(providers) > 16 {
		return nil, bad("%d providers: want 1 to 16", len(providers))
	}
	if err := cfg.breaker.defaults(); err != nil {
		return nil, bad("option WithBreaker: %w", err)
	}
	g := &Group{name: name, cfg: cfg, now: time.Now}
	seen := map[string]bool{}
	for i, p := range providers {
		if err := validName(p.Name); err != nil {
			return nil, bad("provider %d: name: %v", i, err)
		}
		if seen[p.Name] {
			return nil, bad("provider %q is listed twice", p.Name)
		}
		seen[p.Name] = true
		m := &member{name: p.Name, index: i, health: p.Health, failure: p.Failure}
		m.br.cfg = &g.cfg.breaker
		m.br.openFor = g.cfg.breaker.OpenFor
		m.br.ring = make([]verdict, g.cfg.breaker.Window)
		g.members = append(g.members, m)
	}
	mp := cfg.mp
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	var err error
	if g.inst, err = newInstruments(mp, g); err != nil {
		return nil, bad("instruments: %w", err)
	}
	g.route.Store(&routeState{provider: g.members[0].name, reason: "preferred provider", since: g.now()})
	return g, nil
}

func validName(s string) error {
	if s == "" || len(s) > 64 {
		return fmt.Errorf("%q is not 1 to 64 bytes", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("byte %q at %d is not one of [A-Za-z0-9._-]", c, i)
		}
	}
	return nil
}

// Name returns the group's name.
func (g *Group) Name() string { return g.name }

// route kinds of a routed call, recorded as igmon.failover.route.
const (
	routePrimary   = iota // the preferred provider, breaker closed
	routeFallback         // a later provider, breaker closed
	routeTrial            // a half-open trial
	routeExhausted        // every breaker open: the preferred provider anyway
	numRoutes
)

var routeNames = [numRoutes]string{"primary", "fallback", "trial", "exhausted"}

// routedCall is one routed call; its result is reported with done exactly once.
type routedCall struct {
	m     *member
	g     *Group
	route uint8
	start time.Time
}

// pick chooses the provider of the next call: the first whose breaker
// admits it.
func (g *Group) pick() routedCall {
	// The clock is read only where it is needed: for a breaker that is not
	// closed, for a route change and to time a call when latency is judged.
	var now time.Time
	clock := func() time.Time {
		if now.IsZero() {
			now = g.now()
		}
		return now
	}
	for _, m := range g.members {
		switch m.br.admit(g, m, clock) {
		case admitted:
			r := uint8(routePrimary)
			if m.index > 0 {
				r = routeFallback
			}
			if int(g.serving.Load()) != m.index {
				g.changeRoute(m.index, clock())
			}
			return g.call(m, r, clock)
		case admittedTrial:
			return g.call(m, routeTrial, clock)
		}
	}
	// Every breaker is open: a call to the preferred provider may still
	// succeed, no call at all cannot.
	if g.serving.Load() != 0 {
		g.changeRoute(0, clock())
	}
	return g.call(g.members[0], routeExhausted, clock)
}

func (g *Group) call(m *member, r uint8, clock func() time.Time) routedCall {
	m.calls[r].Add(1)
	c := routedCall{m: m, g: g, route: r}
	if g.cfg.breaker.SlowCall > 0 {
		c.start = clock()
	}
	return c
}

// provider returns the name of the chosen provider.
func (c routedCall) provider() string { return c.m.name }

// done reports the call's result: nil, or the error the provider's call
// returned. A canceled call counts neither way.
func (c routedCall) done(err error) {
	if c.m == nil {
		return
	}
	g := c.g
	var now time.Time
	v := verdictSuccess
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		v = verdictNeutral
	case c.m.failure == nil || c.m.failure(err):
		v = verdictFailure
	}
	if g.cfg.breaker.SlowCall > 0 {
		now = g.now()
		if v == verdictSuccess && now.Sub(c.start) >= g.cfg.breaker.SlowCall {
			v = verdictSlow
		}
	}
	c.m.br.done(g, c.m, c.route == routeTrial, v, now)
}

// Do calls fn with the chosen provider's name and reports its result.
// It returns fn's error unchanged; it does not retry on another provider,
// since a payment call that failed may still have been carried out.
func (g *Group) Do(ctx context.Context, fn func(ctx context.Context, provider string) error) error {
	c := g.pick()
	done := false
	defer func() {
		if !done {
			c.done(errPanic)
		}
	}()
	err := fn(ctx, c.provider())
	done = true
	c.done(err)
	return err
}

var errPanic = errors.New("failover: call panicked")

// changeRoute records that closed calls now go to members[i].
func (g *Group) changeRoute(i int, now time.Time) {
	g.mu.Lock()
	from := g.serving.Load()
	if int(from) == i {
		g.mu.Unlock()
		return
	}
	g.serving.Store(int32(i))
	var why []string
	for _, m := range g.members[:i] {
		why = append(why, m.name+" "+m.br.describe())
	}
	reason := "preferred provider"
	switch {
	case i == 0 && len(g.members) > 0 && g.members[0].br.state.Load() != int32(stClosed):
		reason = "every breaker open: " + strings.Join(g.openReasons(), "; ")
	case i == 0:
		reason = "preferred provider " + g.members[0].br.describe()
	default:
		reason = strings.Join(why, "; ")
	}
	g.route.Store(&routeState{provider: g.members[i].name, reason: reason, since: now})
	g.mu.Unlock()
	g.inst.routeChanged(g.members[i])
	if g.cfg.listener != nil {
		g.cfg.listener(Change{Time: now, Group: g.name, Provider: g.members[i].name, Kind: kindRoute,
			From: g.members[from].name, To: g.members[i].name, Reason: reason})
	}
}

func (g *Group) openReasons() []string {
	out := make([]string, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m.name+" "+m.br.describe())
	}
	return out
}

// Status is what a group does now, for a dashboard.
type Status struct {
	Group     string           `json:"group"`
	Serving   string           `json:"serving"` // the provider closed calls go to
	Reason    string           `json:"reason"`  // why it serves
	Since     time.Time        `json:"since"`
	Providers []ProviderStatus `json:"providers"`
}

// ProviderStatus is one provider's breaker, in the group's order.
type ProviderStatus struct {
	Name   string    `json:"name"`
	State  string    `json:"state"`  // closed, half_open or open
	Reason string    `json:"reason"` // why it took that state
	Since  time.Time `json:"since"`
}

// Status returns the serving provider, why, and every breaker's state.
func (g *Group) Status() Status {
	r := g.route.Load()
	s := Status{Group: g.name, Serving: r.provider, Reason: r.reason, Since: r.since}
	for _, m := range g.members {
		m.br.mu.Lock()
		s.Providers = append(s.Providers, ProviderStatus{Name: m.name, State: bstate(m.br.state.Load()).String(), Reason: m.br.reason, Since: m.br.since})
		m.br.mu.Unlock()
	}
	return s
}
