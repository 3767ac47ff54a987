package series

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Source yields the current metric data; *sdkmetric.ManualReader and
// alerting.MetricSource have this method.
type Source interface {
	Collect(ctx context.Context, rm *metricdata.ResourceMetrics) error
}

// Cycle is what a reader sees of one engine cycle. Readers run inside the
// cycle, one after another in registration order, and may read the Store
// and RM only until they return.
type Cycle struct {
	// Now is the time the collection is filed under.
	Now time.Time
	// Started is the wall-clock time the cycle began (for its duration).
	Started time.Time
	// Err is the collection's error; the store then saw no data.
	Err error
	// Store holds the series; Seq is the collection readers must read.
	Store *Store
	Seq   uint64
	// RM is the collection itself.
	RM *metricdata.ResourceMetrics
}

// Engine is the one place windowed rates, ratios and quantiles are
// computed: it collects its source once per cycle, folds the collection
// into its Store, then runs every reader (alert rules, component status,
// evidence) on the same numbers.
type Engine struct {
	src Source
	now func() time.Time

	mu      sync.Mutex // serialises cycles and registration
	st      *Store
	rm      metricdata.ResourceMetrics
	readers []func(*Cycle)

	runMu    sync.Mutex
	interval time.Duration
	reset    chan time.Duration
	cancel   context.CancelFunc
	done     chan struct{}
}

// NewEngine returns an engine over src that keeps snapshots snapshots per
// window and at most maxSeries series. now is its clock (nil: time.Now).
func NewEngine(src Source, snapshots, maxSeries int, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{src: src, now: now, st: NewStore(snapshots, maxSeries)}
}

// Collect implements Source by collecting the engine's own source, so an
// engine can be passed where a source is expected.
func (e *Engine) Collect(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	return e.src.Collect(ctx, rm)
}

// Now returns the time on the engine's clock.
func (e *Engine) Now() time.Time { return e.now() }

// Register runs fn with the store, under the engine's lock, for readers
// that create their selections and groupings. Registration happens before
// the first cycle (Store.Select refuses later windows).
func (e *Engine) Register(fn func(*Store) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fn(e.st)
}

// OnCycle adds a reader run inside every cycle, after the readers added
// before it.
func (e *Engine) OnCycle(fn func(*Cycle)) {
	e.mu.Lock()
	e.readers = append(e.readers, fn)
	e.mu.Unlock()
}

// Cycle collects once, folds the collection into the store and runs the
// readers. A failed collection still runs them on no data (gauges turn
// stale, counters see no increase: the honest reading of "no data") and
// is returned.
func (e *Engine) Cycle(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := Cycle{Started: time.Now(), Now: e.now(), Store: e.st, RM: &e.rm}
	if e.src != nil {
		if err := e.src.Collect(ctx, &e.rm); err != nil {
			c.Err = err
			e.rm.ScopeMetrics = e.rm.ScopeMetrics[:0]
		}
	}
	e.st.Ingest(&e.rm, c.Now.UnixNano())
	c.Seq = e.st.Seq()
	for _, fn := range e.readers {
		fn(&c)
	}
	return c.Err
}

// Start runs a cycle every interval in a goroutine until Stop. Started
// again while running, it only shortens the interval, so that the most
// demanding reader sets the pace.
func (e *Engine) Start(interval time.Duration) error {
	if interval <= 0 {
		return errors.New("series: engine interval must be positive")
	}
	e.runMu.Lock()
	defer e.runMu.Unlock()
	if e.cancel != nil {
		if interval < e.interval {
			e.interval = interval
			select { // keep only the newest interval; the loop only receives
			case <-e.reset:
			default:
			}
			e.reset <- interval
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.interval, e.cancel, e.done, e.reset = interval, cancel, make(chan struct{}), make(chan time.Duration, 1)
	go e.loop(ctx, interval, e.reset, e.done)
	return nil
}

func (e *Engine) loop(ctx context.Context, interval time.Duration, reset <-chan time.Duration, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, interval)
		_ = e.Cycle(cctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case d := <-reset:
			interval = d
			t.Reset(d)
		case <-t.C:
		}
	}
}

// Stop ends the loop started by Start and waits for it.
func (e *Engine) Stop() {
	e.runMu.Lock()
	cancel, done := e.cancel, e.done
	e.cancel, e.done = nil, nil
	e.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
