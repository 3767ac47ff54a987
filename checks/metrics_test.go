package checks

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/jackcode/igmon/internal/igsemconv"
)

// TestMetricAttributes pins the attribute sets of the registry's metrics,
// which dashboards and alert rules select on: name, component type and
// state, nothing unbounded.
func TestMetricAttributes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())
		r := newTestRegistry(t, WithMeterProvider(mp))
		fail := make(chan struct{})
		mustRegister(t, r, "psp", func(context.Context) error {
			select {
			case <-fail:
				return errors.New("503 for player 4711")
			default:
				return nil
			}
		}, WithOnRequest(time.Nanosecond), WithComponentType(componentPaymentProvider))
		r.Evaluate(context.Background(), Readiness)
		close(fail)
		time.Sleep(time.Nanosecond) // the 1ns TTL expires on the bubble's clock
		r.Evaluate(context.Background(), Readiness)

		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		attrs := func(state string) attribute.Set {
			kv := []attribute.KeyValue{attribute.String(igsemconv.AttrCheckName, "psp"), attribute.String(igsemconv.AttrComponentType, componentPaymentProvider)}
			if state != "" {
				kv = append(kv, attribute.String(igsemconv.AttrCheckState, state))
			}
			return attribute.NewSet(kv...)
		}
		var sm metricdata.ScopeMetrics
		for _, s := range rm.ScopeMetrics {
			if s.Scope.Name == scopeName {
				sm = s
			}
		}
		byName := map[string]metricdata.Metrics{}
		for _, m := range sm.Metrics {
			byName[m.Name] = m
		}
		opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue()}
		metricdatatest.AssertEqual(t, metricdata.Metrics{
			Name: igsemconv.MetricCheckDuration, Unit: "s", Description: "Duration of health check runs, by outcome.",
			Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{
				{Attributes: attrs("pass"), Count: 1}, {Attributes: attrs("fail"), Count: 1},
			}},
		}, byName[igsemconv.MetricCheckDuration], opts...)
		metricdatatest.AssertEqual(t, metricdata.Metrics{
			Name: igsemconv.MetricCheckTransitions, Unit: "{transition}", Description: "Health check status changes, by the new state.",
			Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: []metricdata.DataPoint[int64]{
				{Attributes: attrs("pass"), Value: 1}, {Attributes: attrs("fail"), Value: 1},
			}},
		}, byName[igsemconv.MetricCheckTransitions], metricdatatest.IgnoreTimestamp())
		metricdatatest.AssertEqual(t, metricdata.Metrics{
			Name: igsemconv.MetricCheckStatus, Unit: "1", Description: "1 for the current state of each health check, 0 for the other states.",
			Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{
				{Attributes: attrs("unknown"), Value: 0}, {Attributes: attrs("pass"), Value: 0},
				{Attributes: attrs("warn"), Value: 0}, {Attributes: attrs("fail"), Value: 1},
			}},
		}, byName[igsemconv.MetricCheckStatus], metricdatatest.IgnoreTimestamp())
		metricdatatest.AssertEqual(t, metricdata.Metrics{
			Name: igsemconv.MetricCheckAge, Unit: "s", Description: "Age of each health check's last result.",
			Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: attrs("")}}},
		}, byName[igsemconv.MetricCheckAge], opts...)
	})
}

func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())
		r := newTestRegistry(t, WithMeterProvider(mp))
		var fail atomic.Bool
		mustRegister(t, r, "psp", func(context.Context) error {
			if fail.Load() {
				return errors.New("503")
			}
			return nil
		}, WithOnRequest(time.Nanosecond), WithComponentType(componentPaymentProvider))
		r.Evaluate(context.Background(), Readiness)
		fail.Store(true)
		time.Sleep(time.Nanosecond) // the 1ns TTL expires on the bubble's clock
		r.Evaluate(context.Background(), Readiness)

		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, sm := range rm.ScopeMetrics {
			if sm.Scope.Name != scopeName {
				continue
			}
			for _, m := range sm.Metrics {
				found[m.Name] = true
				switch d := m.Data.(type) {
				case metricdata.Gauge[int64]: // status
					for _, dp := range d.DataPoints {
						state, _ := dp.Attributes.Value(igsemconv.AttrCheckState)
						want := int64(0)
						if state.AsString() == "fail" {
							want = 1
						}
						if dp.Value != want {
							t.Errorf("status{%s} = %d, want %d", state.AsString(), dp.Value, want)
						}
					}
					if len(d.DataPoints) != 4 {
						t.Errorf("status has %d series, want 4 states", len(d.DataPoints))
					}
				case metricdata.Histogram[float64]:
					var n uint64
					for _, dp := range d.DataPoints {
						n += dp.Count
					}
					if n != 2 || m.Unit != "s" {
						t.Errorf("duration: %d runs unit %q, want 2 runs in s", n, m.Unit)
					}
				case metricdata.Sum[int64]: // transitions: unknown>pass, pass>fail
					var n int64
					for _, dp := range d.DataPoints {
						n += dp.Value
					}
					if n != 2 {
						t.Errorf("transitions = %d, want 2", n)
					}
				}
			}
		}
		for _, name := range []string{igsemconv.MetricCheckStatus, igsemconv.MetricCheckDuration, igsemconv.MetricCheckTransitions, igsemconv.MetricCheckAge} {
			if !found[name] {
				t.Errorf("metric %s missing; have %v", name, found)
			}
		}
	})
}
