package alerting

import (
	"github.com/jackcode/igmon/internal/buildinfo"
	"github.com/jackcode/igmon/internal/series"

	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// scopeName is the instrumentation scope of alerting's metrics.
const scopeName = "github.com/jackcode/igmon/alerting"

// Metric and attribute names. No OTel semantic convention covers alerting,
// so they are igmon names.
const (
	metricAlerts             = "igmon.alerts"
	metricEvaluationDuration = "igmon.alert.evaluation.duration"
	metricSeries             = "igmon.alert.series"

	attrAlertRule  = "igmon.alert.rule"
	attrAlertState = "igmon.alert.state"
)

var listedStates = [...]State{StatePending, StateFiring, StateResolved}

type evalInstruments struct {
	duration metric.Float64Histogram
	mu       sync.Mutex
	counts   [][len(listedStates)]int64 // per rule
	attrs    [][len(listedStates)]metric.ObserveOption
	series   int64
}

func newEvalInstruments(mp metric.MeterProvider, e *Evaluator) (*evalInstruments, error) {
	m := mp.Meter(scopeName, buildinfo.MeterOptions()...)
	in := &evalInstruments{
		counts: make([][len(listedStates)]int64, len(e.rules)),
		attrs:  make([][len(listedStates)]metric.ObserveOption, len(e.rules)),
	}
	for i, r := range e.rules {
		for j, s := range listedStates {
			in.attrs[i][j] = metric.WithAttributeSet(attribute.NewSet(
				attribute.String(attrAlertRule, r.rule.Name), attribute.String(attrAlertState, s.String())))
		}
	}
	var err error
	if in.duration, err = m.Float64Histogram(metricEvaluationDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of one alert evaluation cycle."),
		metric.WithExplicitBucketBoundaries(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)); err != nil {
		return nil, err
	}
	alerts, err := m.Int64ObservableGauge(metricAlerts, metric.WithUnit("{alert}"),
		metric.WithDescription("Alerts by rule and state (pending, firing, resolved)."))
	if err != nil {
		return nil, err
	}
	series, err := m.Int64ObservableGauge(metricSeries, metric.WithUnit("{series}"),
		metric.WithDescription("Metric series the alert evaluator tracks windows for."))
	if err != nil {
		return nil, err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		in.mu.Lock()
		defer in.mu.Unlock()
		for i := range in.counts {
			for j := range listedStates {
				o.ObserveInt64(alerts, in.counts[i][j], in.attrs[i][j])
			}
		}
		o.ObserveInt64(series, in.series)
		return nil
	}, alerts, series)
	return in, err
}

func (in *evalInstruments) recordCycle(ctx context.Context, d time.Duration, series int) {
	in.duration.Record(ctx, d.Seconds())
}

func (in *evalInstruments) setCounts(e *Evaluator, st *series.Store) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.series = int64(st.Tracked())
	for i, r := range e.rules {
		in.counts[i] = [len(listedStates)]int64{}
		for _, x := range r.instances {
			if x == nil {
				continue
			}
			switch x.state {
			case StatePending:
				in.counts[i][0]++
			case StateFiring:
				in.counts[i][1]++
			case StateResolved:
				in.counts[i][2]++
			}
		}
	}
}
