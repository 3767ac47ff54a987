package failover

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/buildinfo"
)

// Metric names and attribute keys; no semantic convention covers
// failover, so they are igmon.* names (see the README's metrics list).
const (
	metricCalls       = "igmon.failover.calls"
	metricTransitions = "igmon.failover.breaker.transitions"
	metricState       = "igmon.failover.breaker.state"
	metricRoutes      = "igmon.failover.route.changes"

	attrGroup    = "igmon.failover.group"
	attrProvider = "igmon.failover.provider"
	attrRoute    = "igmon.failover.route"
	attrState    = "igmon.failover.breaker.state"
)

// scopeName is the instrumentation scope of the group's metrics.
const scopeName = "github.com/jackcode/igmon/failover"

// instruments holds the group's instruments and the attribute sets of
// every provider, built once so that a routed call builds none.
type instruments struct {
	transitions, routes metric.Int64Counter
	// calls are counted with an atomic add per call and observed at
	// collection: a synchronous counter cost more than the routing.
	calls metric.Int64ObservableCounter
	state metric.Int64ObservableGauge
}

// memberOpts are a provider's attribute sets, built once.
type memberOpts struct {
	route    [numRoutes]metric.ObserveOption
	state    [3][]metric.AddOption
	provider []metric.AddOption
}

func newInstruments(mp metric.MeterProvider, g *Group) (*instruments, error) {
	meter := mp.Meter(scopeName, buildinfo.MeterOptions()...)
	in := &instruments{}
	var err error
	if in.calls, err = meter.Int64ObservableCounter(metricCalls, metric.WithUnit("{call}"),
		metric.WithDescription("Calls routed by a failover group, by provider and route (primary, fallback, trial, exhausted).")); err != nil {
		return nil, err
	}
	if in.transitions, err = meter.Int64Counter(metricTransitions, metric.WithUnit("{transition}"),
		metric.WithDescription("Circuit-breaker transitions, by provider and the state entered.")); err != nil {
		return nil, err
	}
	if in.routes, err = meter.Int64Counter(metricRoutes, metric.WithUnit("{change}"),
		metric.WithDescription("Changes of the provider serving a failover group, by the provider that serves after it.")); err != nil {
		return nil, err
	}
	if in.state, err = meter.Int64ObservableGauge(metricState, metric.WithUnit("1"),
		metric.WithDescription("Circuit-breaker state per provider: 0 closed, 1 half-open, 2 open.")); err != nil {
		return nil, err
	}
	obs := map[*member]metric.ObserveOption{}
	for _, m := range g.members {
		base := []attribute.KeyValue{attribute.String(attrGroup, g.name), attribute.String(attrProvider, m.name)}
		m.opts.provider = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(base...))}
		obs[m] = metric.WithAttributeSet(attribute.NewSet(base...))
		for i, n := range routeNames {
			m.opts.route[i] = metric.WithAttributeSet(attribute.NewSet(append(base[:2:2], attribute.String(attrRoute, n))...))
		}
		for i := range m.opts.state {
			m.opts.state[i] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(append(base[:2:2], attribute.String(attrState, bstate(i).String()))...))}
		}
	}
	members := g.members
	if _, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, m := range members {
			o.ObserveInt64(in.state, int64(m.br.state.Load()), obs[m])
			for r := range m.calls {
				if n := m.calls[r].Load(); n > 0 {
					o.ObserveInt64(in.calls, n, m.opts.route[r])
				}
			}
		}
		return nil
	}, in.state, in.calls); err != nil {
		return nil, err
	}
	return in, nil
}

func (in *instruments) transition(m *member, s bstate) {
	in.transitions.Add(context.Background(), 1, m.opts.state[s]...)
}

func (in *instruments) routeChanged(m *member) {
	in.routes.Add(context.Background(), 1, m.opts.provider...)
}
