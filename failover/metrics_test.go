package failover

import (
	"context"
	"testing"
	"testing/synctest"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestMetricsShowRoutesAndBreakers: routed calls by route, transitions by
// state entered, the serving changes and the state gauge.
func TestMetricsShowRoutesAndBreakers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		rd := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
		defer mp.Shutdown(ctx)
		g := deposits(t, &recorder{}, nil, WithMeterProvider(mp))
		for range 8 {
			call(g, map[string]error{"stripe": errDown})
		}
		var rm metricdata.ResourceMetrics
		if err := rd.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				switch d := m.Data.(type) {
				case metricdata.Sum[int64]:
					for _, p := range d.DataPoints {
						got[m.Name+" "+key(p.Attributes)] = p.Value
					}
				case metricdata.Gauge[int64]:
					for _, p := range d.DataPoints {
						got[m.Name+" "+key(p.Attributes)] = p.Value
					}
				}
			}
		}
		want := map[string]int64{
			"igmon.failover.calls stripe primary":            5,
			"igmon.failover.calls adyen fallback":            3,
			"igmon.failover.breaker.transitions stripe open": 1,
			"igmon.failover.route.changes adyen":             1,
			"igmon.failover.breaker.state stripe":            2,
			"igmon.failover.breaker.state adyen":             0,
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
			}
		}
	})
}

// key writes a point's provider and its route or state.
func key(s attribute.Set) string {
	k := ""
	for _, a := range []attribute.Key{attrProvider, attrRoute, attrState} {
		if v, ok := s.Value(a); ok {
			if k != "" {
				k += " "
			}
			k += v.AsString()
		}
	}
	if v, ok := s.Value(attrGroup); !ok || v.AsString() != "deposits" {
		return "no group: " + k
	}
	return k
}
