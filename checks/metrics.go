package checks

import (
	"context"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/buildinfo"
)

// scopeName is the instrumentation scope of the registry's metrics.
const scopeName = "github.com/jackcode/igmon/checks"

// durationBuckets suit checks: a millisecond ping to a multi-second timeout.
var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

var allStates = [...]Status{StatusUnknown, StatusPass, StatusWarn, StatusFail}

// entryAttrs are built once per check so that recording never allocates
// attribute sets.
type entryAttrs struct {
	base       metric.MeasurementOption
	state      [StatusFail + 1]metric.MeasurementOption // status gauge / transitions by state
	stateSet   [StatusFail + 1]attribute.Set
	runByState [StatusFail + 1]metric.MeasurementOption // duration by outcome
}

func newEntryAttrs(c *Check) entryAttrs {
	var a entryAttrs
	name := attribute.String(igsemconv.AttrCheckName, c.name)
	ct := attribute.String(igsemconv.AttrComponentType, c.s.componentType)
	a.base = metric.WithAttributeSet(attribute.NewSet(name, ct))
	for _, s := range allStates {
		a.stateSet[s] = attribute.NewSet(name, ct, attribute.String(igsemconv.AttrCheckState, s.String()))
		a.state[s] = metric.WithAttributeSet(a.stateSet[s])
		a.runByState[s] = a.state[s]
	}
	return a
}

type instruments struct {
	duration    metric.Float64Histogram
	transitions metric.Int64Counter
	status      metric.Int64ObservableGauge
	age         metric.Float64ObservableGauge
}

func (in *instruments) init(mp metric.MeterProvider, r *Registry) error {
	m := mp.Meter(scopeName, buildinfo.MeterOptions()...)
	var err error
	if in.duration, err = m.Float64Histogram(igsemconv.MetricCheckDuration,
		metric.WithUnit("s"), metric.WithDescription("Duration of health check runs, by outcome."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		return err
	}
	if in.transitions, err = m.Int64Counter(igsemconv.MetricCheckTransitions,
		metric.WithUnit("{transition}"), metric.WithDescription("Health check status changes, by the new state.")); err != nil {
		return err
	}
	if in.status, err = m.Int64ObservableGauge(igsemconv.MetricCheckStatus,
		metric.WithUnit("1"), metric.WithDescription("1 for the current state of each health check, 0 for the other states.")); err != nil {
		return err
	}
	if in.age, err = m.Float64ObservableGauge(igsemconv.MetricCheckAge,
		metric.WithUnit("s"), metric.WithDescription("Age of each health check's last result.")); err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		now := r.clock.Now()
		for _, e := range r.snap.Load().all {
			v := r.view(e, now)
			for _, s := range allStates {
				var x int64
				if s == v.Status {
					x = 1
				}
				o.ObserveInt64(in.status, x, e.attrs.state[s])
			}
			if !v.Time.IsZero() {
				o.ObserveFloat64(in.age, now.Sub(v.Time).Seconds(), e.attrs.base)
			}
		}
		return nil
	}, in.status, in.age)
	return err
}

func (in *instruments) recordRun(e *entry, o outcome) {
	in.duration.Record(context.Background(), o.Duration.Seconds(), e.attrs.runByState[o.Status])
}

func (in *instruments) recordTransition(e *entry, to Status) {
	in.transitions.Add(context.Background(), 1, e.attrs.state[to])
}
