package exporters

import (
	"context"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
)

// ExemplarView returns a View for every instrument that keeps the SDK's
// default exemplar reservoirs and filter, but makes collecting a reservoir
// that was offered nothing since the last collection free.
//
// Why: the SDK re-draws its reservoir sampling state (a log and an exp per
// histogram bucket) and allocates a fresh exemplar slice for every series
// on every Collect of every reader, even when no measurement was ever
// offered (the trace-based filter offers only measurements inside sampled
// spans). With several readers (OTLP plus the in-process reader alert
// rules read every 15 s) and thousands of series, that was ~80% of a
// collection. Exemplars themselves are unchanged: an untouched reservoir
// returns exactly what it returned last time.
//
// The Monitor installs it on the MeterProvider it builds; add it with
// sdkmetric.WithView when you build your own provider. Register no other
// catch-all view next to it: every matching view makes its own stream.
func ExemplarView() sdkmetric.View {
	return func(i sdkmetric.Instrument) (sdkmetric.Stream, bool) {
		return sdkmetric.Stream{
			Name:                              i.Name,
			Description:                       i.Description,
			Unit:                              i.Unit,
			ExemplarReservoirProviderSelector: idleSelector,
		}, true
	}
}

func idleSelector(agg sdkmetric.Aggregation) exemplar.ReservoirProvider {
	inner := sdkmetric.DefaultExemplarReservoirProviderSelector(agg)
	return func(attrs attribute.Set) exemplar.Reservoir {
		return &idleReservoir{inner: inner(attrs)}
	}
}

// idleReservoir remembers whether anything was offered since the last
// Collect; when nothing was, it hands back the previous exemplars instead
// of asking the inner reservoir (which would reset its sampling state and
// allocate).
//
// It holds no lock of its own: the SDK serializes Offer and Collect on a
// reservoir that does not declare itself concurrency-safe (which only
// SDK-internal types can), and dirty is atomic so that an Offer racing a
// Collect is, at worst, collected again next cycle.
type idleReservoir struct {
	inner exemplar.Reservoir
	dirty atomic.Bool
	last  []exemplar.Exemplar
}

func (r *idleReservoir) Offer(ctx context.Context, t time.Time, v exemplar.Value, a []attribute.KeyValue) {
	r.inner.Offer(ctx, t, v, a)
	// After the Offer: a Collect that clears dirty between the two still
	// sees dirty set again and collects this measurement next time.
	r.dirty.Store(true)
}

func (r *idleReservoir) Collect(dest *[]exemplar.Exemplar) {
	if !r.dirty.Swap(false) {
		if len(r.last) == 0 {
			// A zero-capacity slice, not (*dest)[:0]: the SDK sizes the
			// data point's exemplar slice by this capacity, and a
			// never-sampled series should cost nothing.
			*dest = (*dest)[:0:0]
			return
		}
		*dest = append((*dest)[:0], r.last...)
		return
	}
	r.inner.Collect(dest)
	r.last = append(r.last[:0], *dest...)
}
