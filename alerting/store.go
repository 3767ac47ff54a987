package alerting

import (
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

type seriesKind uint8

const (
	kindGauge seriesKind = iota + 1
	kindCounter
	kindHistogram
)

// series is one tracked stream (metric name + attribute set). Counters and
// histograms keep reset-adjusted running totals in cur, so a window's
// increase is cur minus the snapshot one window ago, whatever the
// temporality and however often the counter restarted.
type series struct {
	attrs    attribute.Set
	tracked  bool // false: matches no selector; remembered so matchers run once
	dead     bool
	kind     seriesKind
	seq      uint64 // collection in which the series was last seen
	lastSeen int64
	zeroAt   int64 // the adjusted totals were 0 at this time (0: unknown)
	started  bool
	rawStart int64
	cur      []float64 // gauge: [v]; counter: [total]; histogram: [count, sum, buckets...]
	raw      []float64 // last raw cumulative point, for reset detection
	bounds   []float64
	rings    []ring // one per window of the metric (step 0: none)

	// Increases over every window, computed once per collection while the
	// series is hot in cache (at ingest); rules only read these.
	incSeq  uint64
	incFull []bool
	incVec  []float64 // len(windows)*width: increase of every element
}

// ensureInc recomputes the window increases if this collection has not
// (a delta series without points in this collection is not folded).
func (s *series) ensureInc(windows []time.Duration, now int64, seq uint64) {
	if s.incSeq == seq && len(s.incFull) == len(windows) {
		return
	}
	w := len(s.cur)
	if len(s.incFull) != len(windows) || len(s.incVec) != len(windows)*w {
		s.incFull = make([]bool, len(windows))
		s.incVec = make([]float64, len(windows)*w)
	}
	for i, d := range windows {
		if s.rings[i].times == nil {
			continue
		}
		s.incFull[i] = s.increase(i, d, now, s.incVec[i*w:(i+1)*w])
	}
	s.incSeq = seq
}

// inc returns the increase of every element over window wi.
func (s *series) inc(wi int, windows []time.Duration, now int64, seq uint64) ([]float64, bool) {
	s.ensureInc(windows, now, seq)
	w := len(s.cur)
	return s.incVec[wi*w : (wi+1)*w], s.incFull[wi]
}

type member struct {
	s     *series
	group int32
}

type selState struct {
	sel     Selector
	metric  *metricState
	rule    *ruleState
	members []member
}

type metricState struct {
	name    string
	windows []time.Duration
	sels    []*selState
	byHash  map[attribute.Distinct][]*series
	all     []*series
}

func (m *metricState) windowIndex(w time.Duration) int { return slices.Index(m.windows, w) }

type store struct {
	metrics    map[string]*metricState
	seq        uint64
	prevNow    int64
	ringCap    int
	maxSeries  int
	tracked    int
	overflowed int64 // series ignored because of maxSeries
	staleAfter time.Duration
	lastGC     int64
	point      []float64
}

func newStore(ringCap, maxSeries int) *store {
	return &store{metrics: map[string]*metricState{}, ringCap: ringCap, maxSeries: maxSeries}
}

func (st *store) metric(name string) *metricState {
	m := st.metrics[name]
	if m == nil {
		m = &metricState{name: name, byHash: map[attribute.Distinct][]*series{}}
		st.metrics[name] = m
	}
	return m
}

func (st *store) addSelector(r *ruleState, sel Selector, windows ...time.Duration) *selState {
	m := st.metric(sel.Metric)
	for _, w := range windows {
		if w > 0 && !slices.Contains(m.windows, w) {
			m.windows = append(m.windows, w)
		}
		if w > st.staleAfter {
			st.staleAfter = w
		}
	}
	s := &selState{sel: sel, metric: m, rule: r}
	m.sels = append(m.sels, s)
	return s
}

// ingest folds one collection into the tracked series.
func (st *store) ingest(rm *metricdata.ResourceMetrics, now int64) {
	st.seq++
	for i := range rm.ScopeMetrics {
		for j := range rm.ScopeMetrics[i].Metrics {
			md := &rm.ScopeMetrics[i].Metrics[j]
			m := st.metrics[md.Name]
			if m == nil {
				continue
			}
			switch d := md.Data.(type) {
			case metricdata.Gauge[float64]:
				for k := range d.DataPoints {
					st.gauge(m, &d.DataPoints[k].Attributes, d.DataPoints[k].Value, now)
				}
			case metricdata.Gauge[int64]:
				for k := range d.DataPoints {
					st.gauge(m, &d.DataPoints[k].Attributes, float64(d.DataPoints[k].Value), now)
				}
			case metricdata.Sum[float64]:
				for k := range d.DataPoints {
					dp := &d.DataPoints[k]
					if d.IsMonotonic {
						st.counter(m, &dp.Attributes, dp.Value, dp.StartTime, d.Temporality, now)
					} else {
						st.gauge(m, &dp.Attributes, dp.Value, now)
					}
				}
			case metricdata.Sum[int64]:
				for k := range d.DataPoints {
					dp := &d.DataPoints[k]
					if d.IsMonotonic {
						st.counter(m, &dp.Attributes, float64(dp.Value), dp.StartTime, d.Temporality, now)
					} else {
						st.gauge(m, &dp.Attributes, float64(dp.Value), now)
					}
				}
			case metricdata.Histogram[float64]:
				for k := range d.DataPoints {
					dp := &d.DataPoints[k]
					st.histogram(m, &dp.Attributes, dp.Count, dp.Sum, dp.Bounds, dp.BucketCounts, dp.StartTime, d.Temporality, now)
				}
			case metricdata.Histogram[int64]:
				for k := range d.DataPoints {
					dp := &d.DataPoints[k]
					st.histogram(m, &dp.Attributes, dp.Count, float64(dp.Sum), dp.Bounds, dp.BucketCounts, dp.StartTime, d.Temporality, now)
				}
			}
		}
	}
	st.gc(now)
	st.prevNow = now
}

// lookup finds or creates the series for attrs. It returns nil for series
// no selector wants and for new series beyond maxSeries.
func (st *store) lookup(m *metricState, attrs *attribute.Set, kind seriesKind, width int, now int64) *series {
	d := attrs.Equivalent()
	for _, s := range m.byHash[d] {
		if s.attrs.Equals(attrs) {
			s.lastSeen = now
			if !s.tracked {
				return nil
			}
			if s.kind != kind || len(s.cur) != width {
				st.reshape(s, kind, width)
			}
			return s
		}
	}
	s := &series{attrs: *attrs, lastSeen: now}
	m.byHash[d] = append(m.byHash[d], s)
	for _, sel := range m.sels {
		if sel.sel.Matchers.MatchSet(attrs) {
			if !s.tracked {
				if st.tracked >= st.maxSeries {
					st.overflowed++
					return nil
				}
				s.tracked = true
			}
			sel.members = append(sel.members, member{s: s, group: sel.rule.groupFor(attrs)})
		}
	}
	if !s.tracked {
		return nil
	}
	st.tracked++
	m.all = append(m.all, s)
	if st.seq > 1 {
		// The series was absent from the previous collection, so whatever
		// it counts now arrived since then.
		s.zeroAt = st.prevNow
	}
	s.rings = make([]ring, len(m.windows))
	for i, w := range m.windows {
		s.rings[i].step = max(1, int64(w)/int64(st.ringCap-2))
	}
	st.reshape(s, kind, width)
	return s
}

// reshape sizes a series for kind and width. The snapshots of all its
// windows live in one slab each for times and values, so reading a series'
// windows touches few cache lines.
func (st *store) reshape(s *series, kind seriesKind, width int) {
	s.kind = kind
	s.cur = make([]float64, width)
	s.raw = make([]float64, width)
	s.started = false
	if kind == kindGauge || len(s.rings) == 0 {
		for i := range s.rings {
			s.rings[i].init(s.rings[i].step, nil, nil, width)
		}
		return
	}
	c := st.ringCap
	times := make([]int64, c*len(s.rings))
	vals := make([]float64, c*width*len(s.rings))
	for i := range s.rings {
		s.rings[i].init(s.rings[i].step, times[i*c:(i+1)*c:(i+1)*c], vals[i*c*width:(i+1)*c*width:(i+1)*c*width], width)
	}
}

func (st *store) gauge(m *metricState, attrs *attribute.Set, v float64, now int64) {
	s := st.lookup(m, attrs, kindGauge, 1, now)
	if s == nil {
		return
	}
	s.cur[0] = v
	s.seq = st.seq
}

func (st *store) counter(m *metricState, attrs *attribute.Set, v float64, start time.Time, t metricdata.Temporality, now int64) {
	s := st.lookup(m, attrs, kindCounter, 1, now)
	if s == nil {
		return
	}
	if cap(st.point) < 1 {
		st.point = make([]float64, 1)
	}
	p := st.point[:1]
	p[0] = v
	st.fold(s, p, start.UnixNano(), t == metricdata.DeltaTemporality, now)
	s.ensureInc(m.windows, now, st.seq)
}

func (st *store) histogram(m *metricState, attrs *attribute.Set, count uint64, sum float64, bounds []float64, counts []uint64, start time.Time, t metricdata.Temporality, now int64) {
	width := 2 + len(counts)
	s := st.lookup(m, attrs, kindHistogram, width, now)
	if s == nil {
		return
	}
	if !slices.Equal(s.bounds, bounds) {
		if s.bounds != nil {
			st.reshape(s, kindHistogram, width)
			s.zeroAt = 0
		}
		s.bounds = slices.Clone(bounds)
	}
	if cap(st.point) < width {
		st.point = make([]float64, width)
	}
	p := st.point[:width]
	p[0], p[1] = float64(count), sum
	for i, c := range counts {
		p[2+i] = float64(c)
	}
	st.fold(s, p, start.UnixNano(), t == metricdata.DeltaTemporality, now)
	s.ensureInc(m.windows, now, st.seq)
}

// fold adds a raw point to the adjusted totals. Element 0 (the count or
// counter value) decides resets: it never decreases between two points of
// one cumulative stream, and a new start time also means a restart.
func (st *store) fold(s *series, p []float64, start int64, delta bool, now int64) {
	switch {
	case delta:
		for i, v := range p {
			s.cur[i] += v
		}
	case !s.started:
		copy(s.cur, p)
		if s.zeroAt == 0 && !s.started && st.seq > 1 {
			s.zeroAt = st.prevNow
		}
	case start != s.rawStart || p[0] < s.raw[0]:
		for i, v := range p {
			s.cur[i] += v
		}
	default:
		for i, v := range p {
			s.cur[i] += v - s.raw[i]
		}
	}
	copy(s.raw, p)
	s.rawStart = start
	s.started = true
	s.seq = st.seq
	for i := range s.rings {
		s.rings[i].push(now, s.cur)
	}
}

// increase writes cur minus the value one window ago into dst and reports
// whether the history covered the whole window.
func (s *series) increase(wi int, w time.Duration, now int64, dst []float64) (full bool) {
	from := now - int64(w)
	if s.zeroAt != 0 && s.zeroAt >= from {
		copy(dst, s.cur)
		return true
	}
	base, _, full, ok := s.rings[wi].at(from)
	if !ok {
		copy(dst, s.cur)
		return false
	}
	for i := range dst {
		dst[i] = s.cur[i] - base[i]
	}
	return full
}

// gc forgets series unseen for longer than the longest window: their
// increase over any window is zero, and gauges that vanished are stale.
func (st *store) gc(now int64) {
	// Forgetting is not urgent: sweep once a minute, not every cycle.
	if now-st.lastGC < int64(time.Minute) {
		return
	}
	st.lastGC = now
	limit := now - int64(st.staleAfter) - int64(5*time.Minute)
	for _, m := range st.metrics {
		removed := false
		for d, list := range m.byHash {
			keep := list[:0]
			for _, s := range list {
				if s.lastSeen < limit {
					s.dead = true
					removed = true
					if s.tracked {
						st.tracked--
					}
					continue
				}
				keep = append(keep, s)
			}
			if len(keep) == 0 {
				delete(m.byHash, d)
			} else {
				m.byHash[d] = keep
			}
		}
		if !removed {
			continue
		}
		m.all = slices.DeleteFunc(m.all, func(s *series) bool { return s.dead })
		for _, sel := range m.sels {
			sel.members = slices.DeleteFunc(sel.members, func(mb member) bool { return mb.s.dead })
		}
	}
}
