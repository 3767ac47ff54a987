package series

import (
	"fmt"
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
	kindExpHistogram
)

// cumulative reports whether a kind keeps running totals (its increase
// over a window is what rules read).
func (k seriesKind) cumulative() bool {
	return k == kindCounter || k == kindHistogram || k == kindExpHistogram
}

// series is one tracked stream (metric name + attribute set). Counters and
// histograms keep reset-adjusted running totals (cur), so a window's
// increase is cur minus the snapshot one window ago, whatever the
// temporality and however often the counter restarted.
//
// The numbers themselves live in the metric's chunks, laid out so that
// one cycle streams through memory: a chunk holds, for up to
// chunkSlots series, every series' cur next to each other, and each
// snapshot of each window as one contiguous block. A series is its slot.
type series struct {
	attrs    attribute.Set
	hash     attribute.Distinct
	tracked  bool // false: matches no selector; remembered so matchers run once
	dead     bool
	kind     seriesKind
	width    int
	slot     int32
	ch       *chunk
	off      int    // offset of element 0 in the chunk's per-slot arrays
	seq      uint64 // collection in which the series was last seen
	lastSeen int64
	started  bool
	rawStart int64
	bounds   []float64

	// Exponential histograms (see exp.go): elements 3.. count the buckets
	// from index expBase on at scale expScale.
	expScale int32
	expBase  int64
}

func (s *series) cur() []float64 { return s.ch.cur[s.off : s.off+s.width] }

// chunk stores the numbers of a run of slots, stride values per slot
// (the widest series of the metric).
type chunk struct {
	first int32 // first slot
	size  int   // slots it holds
	n     int   // slots handed out
	cur   []float64
	raw   []float64
	seen  []float64   // cur at firstAt: the series' own first snapshot
	inc   [][]float64 // per window: the increase of every element
	snaps [][]float64 // per window: capSnap blocks of size*stride values
}

// member is a series a selector matched. slot repeats s.slot so that the
// per-cycle sums read the metric's flat arrays without touching the
// series itself.
type member struct {
	s     *series
	slot  int32
	group int32
}

// Selection is one selector (a metric and a matcher) over one grouping,
// shared by every reader of the same selector split by the same labels.
// Its per-group sums are computed at most once per cycle and window,
// whichever reader asks first.
type Selection struct {
	match   Matcher
	metric  *metricState
	grp     *Grouping
	members []member
	incs    []*Sums       // per metric window
	hists   []*Histograms // per metric window
}

// Matcher decides which series of a metric a Selection holds.
// It reads a series' attributes as labels: a string attribute's value, or
// any other's text (attribute.Value.Emit). The store asks once per new
// series, not per cycle.
type Matcher interface {
	Matches(labels map[string]string) bool
}

// labelsOf is attrs as a Matcher reads them.
func labelsOf(attrs *attribute.Set) map[string]string {
	l := make(map[string]string, attrs.Len())
	for it := attrs.Iter(); it.Next(); {
		kv := it.Attribute()
		if kv.Value.Type() == attribute.STRING {
			l[string(kv.Key)] = kv.Value.AsString()
		} else {
			l[string(kv.Key)] = kv.Value.Emit()
		}
	}
	return l
}

type metricState struct {
	name    string
	windows []time.Duration
	lines   []timeline // one per window
	sels    []*Selection
	byHash  map[attribute.Distinct]*series

	// byPos caches the series at each position of the previous
	// collection: the SDK emits its series in a stable order, so the map
	// lookup is skipped for almost every point.
	byPos []*series
	pos   int

	// Per slot (a tracked series' index), flat so that rules summing
	// thousands of members read contiguous memory: the kind, and element
	// 0's increase (counter value, histogram count) and coverage over
	// every window at slot*len(windows)+window. zeroAt: the adjusted
	// totals were 0 at this time (0: unknown); firstAt: when the series'
	// own first snapshot was taken; born (per window, like inc0): the
	// absolute number of the first shared snapshot that holds the series.
	slots   []*series
	free    []int32
	kinds   []seriesKind
	widths  []int32
	zeroAt  []int64
	firstAt []int64
	born    []int
	inc0    []float64
	full    []bool
	chunks  []*chunk
	stride  int
	capSnap int // snapshots kept per window

	expTmp []float64 // scratch of regridExp
}

func (m *metricState) windowIndex(w time.Duration) int { return slices.Index(m.windows, w) }

// Store holds the tracked series of every metric a Selection reads, with
// snapshots spaced along each window, and computes windowed increases once
// per ingested collection. It is not safe for concurrent use: the Engine
// serialises its cycles.
type Store struct {
	metrics    map[string]*metricState
	groupings  map[string]*Grouping
	selectors  map[string]*Selection // by selector and grouping
	seq        uint64
	prevNow    int64
	now        int64 // of the collection being ingested
	ringCap    int
	maxSeries  int
	tracked    int
	overflowed int64 // series ignored because of maxSeries
	staleAfter time.Duration
	lastGC     int64
	point      []float64
}

// NewStore returns a store that keeps snapshots snapshots per window and
// tracks at most maxSeries series (further ones are counted in
// Overflowed).
func NewStore(snapshots, maxSeries int) *Store {
	return &Store{metrics: map[string]*metricState{}, groupings: map[string]*Grouping{},
		selectors: map[string]*Selection{}, ringCap: snapshots, maxSeries: maxSeries}
}

// Seq numbers the collections ingested so far.
func (st *Store) Seq() uint64 { return st.seq }

// Tracked is the number of series selections hold.
func (st *Store) Tracked() int { return st.tracked }

// Overflowed counts the series left out because of maxSeries.
func (st *Store) Overflowed() int64 { return st.overflowed }

// Selections is the number of distinct selections.
func (st *Store) Selections() int { return len(st.selectors) }

// cycleStamp marks a per-cycle cache entry with the collection it was
// computed from.
type cycleStamp struct{ seq uint64 }

// computedIn reports whether the entry is already computed for collection
// seq, and otherwise marks it as computed for it (the caller computes).
func (c *cycleStamp) computedIn(seq uint64) bool {
	if c.seq == seq && seq != 0 {
		return true
	}
	c.seq = seq
	return false
}

// windowEntry returns the entry of window wi in a selector's per-window
// cache of n windows, creating the cache and the entry on first use.
func windowEntry[T any](cache *[]*T, n, wi int) *T {
	if *cache == nil {
		*cache = make([]*T, n)
	}
	if (*cache)[wi] == nil {
		(*cache)[wi] = new(T)
	}
	return (*cache)[wi]
}

// Grouping returns the shared grouping of a By list.
func (st *Store) Grouping(by []attribute.Key) *Grouping {
	k := groupingKey(by)
	g := st.groupings[k]
	if g == nil {
		g = NewGrouping(by)
		st.groupings[k] = g
	}
	return g
}

func (st *Store) metric(name string) *metricState {
	m := st.metrics[name]
	if m == nil {
		m = &metricState{name: name, byHash: map[attribute.Distinct]*series{}, capSnap: st.ringCap}
		st.metrics[name] = m
	}
	return m
}

// Select registers what a reader reads: the series of metric that m
// matches, split by g, over windows. key names the matcher (its canonical
// text): readers with the same metric, key and grouping share one
// Selection. Readers register before the first Ingest, so that a metric's
// windows are fixed once series exist; Select after it returns an error.
func (st *Store) Select(metric, key string, m Matcher, g *Grouping, windows ...time.Duration) (*Selection, error) {
	ms := st.metric(metric)
	for _, w := range windows {
		if w > 0 && !slices.Contains(ms.windows, w) {
			if st.seq > 0 {
				return nil, fmt.Errorf("series: select %s over %v after the first collection", metric, w)
			}
			ms.windows = append(ms.windows, w)
			ms.lines = append(ms.lines, newTimeline(max(1, int64(w)/int64(st.ringCap-2)), st.ringCap))
		}
		if w > st.staleAfter {
			st.staleAfter = w
		}
	}
	k := metric + "\x00" + key + "\x00" + groupingKey(g.by)
	if s := st.selectors[k]; s != nil {
		return s, nil
	}
	if st.seq > 0 {
		return nil, fmt.Errorf("series: select %s{%s} after the first collection", metric, key)
	}
	s := &Selection{match: m, metric: ms, grp: g}
	st.selectors[k] = s
	ms.sels = append(ms.sels, s)
	return s, nil
}

// Ingest folds one collection, taken at now (unix ns), into the tracked
// series and computes every window's increases.
func (st *Store) Ingest(rm *metricdata.ResourceMetrics, now int64) {
	st.seq++
	st.now = now
	for _, m := range st.metrics {
		m.pos = 0
		for i, w := range m.windows {
			m.lines[i].advance(now, now-int64(w))
		}
	}
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
			case metricdata.ExponentialHistogram[float64]:
				for k := range d.DataPoints {
					dp := &d.DataPoints[k]
					st.expHistogram(m, &dp.Attributes, expPoint{count: dp.Count, sum: dp.Sum, zero: dp.ZeroCount,
						scale: dp.Scale, pos: &dp.PositiveBucket, neg: &dp.NegativeBucket}, dp.StartTime, d.Temporality, now)
				}
			case metricdata.ExponentialHistogram[int64]:
				for k := range d.DataPoints {
					dp := &d.DataPoints[k]
					st.expHistogram(m, &dp.Attributes, expPoint{count: dp.Count, sum: float64(dp.Sum), zero: dp.ZeroCount,
						scale: dp.Scale, pos: &dp.PositiveBucket, neg: &dp.NegativeBucket}, dp.StartTime, d.Temporality, now)
				}
			}
		}
	}
	for _, m := range st.metrics {
		m.snapshot(now)
	}
	st.gc(now)
	st.prevNow = now
}

// chunkSlots bounds a chunk. Chunks start small (a metric with three
// series should not reserve room for thousands) and double up to this.
const chunkSlots = 512

// lookup finds or creates the series for attrs. It returns nil for series
// no selector wants and for new series beyond maxSeries. Series are told
// apart by their attribute hash, as the SDK's own aggregation does.
func (st *Store) lookup(m *metricState, attrs *attribute.Set, kind seriesKind, width int, now int64) *series {
	d := attrs.Equivalent()
	p := m.pos
	m.pos++
	var s *series
	if p < len(m.byPos) && m.byPos[p] != nil && m.byPos[p].hash == d {
		s = m.byPos[p]
	} else if s = m.byHash[d]; s != nil {
		if p >= len(m.byPos) {
			m.byPos = append(m.byPos, make([]*series, p+1-len(m.byPos))...)
		}
		m.byPos[p] = s
	}
	if s != nil {
		s.lastSeen = now
		if !s.tracked {
			return nil
		}
		// An exponential histogram's width follows its data: expHistogram
		// re-bins its history instead of forgetting it.
		if s.kind != kind || s.width != width && kind != kindExpHistogram {
			if width > m.stride {
				m.restride(width)
			}
			m.zeroAt[s.slot] = 0 // a different stream now: its history is unknown
			m.reshape(s, kind, width)
		}
		return s
	}
	s = &series{attrs: *attrs, hash: d, lastSeen: now, slot: -1}
	m.byHash[d] = s
	var labels map[string]string
	for _, sel := range m.sels {
		if labels == nil {
			labels = labelsOf(attrs)
		}
		if sel.match.Matches(labels) {
			if !s.tracked {
				if st.tracked >= st.maxSeries {
					st.overflowed++
					return nil
				}
				s.tracked = true
				if width > m.stride {
					m.restride(width)
				}
				m.assignSlot(s)
			}
			sel.members = append(sel.members, member{s: s, slot: s.slot, group: sel.grp.groupFor(attrs)})
		}
	}
	if !s.tracked {
		return nil
	}
	st.tracked++
	m.reshape(s, kind, width)
	if st.seq > 1 {
		// The series was absent from the previous collection, so whatever
		// it counts now arrived since then: its total was 0 at every
		// snapshot taken so far (reshape left 0s there).
		m.zeroAt[s.slot] = st.prevNow
		nw := len(m.lines)
		for i := range m.lines {
			m.born[int(s.slot)*nw+i] = m.lines[i].oldest()
		}
	}
	return s
}

// assignSlot gives s a free slot, or a new one at the end of the last
// chunk (adding a chunk when it is full).
func (m *metricState) assignSlot(s *series) {
	if n := len(m.free); n > 0 {
		s.slot = m.free[n-1]
		m.free = m.free[:n-1]
		m.slots[s.slot] = s
	} else {
		s.slot = int32(len(m.slots))
		m.slots = append(m.slots, s)
		m.kinds = append(m.kinds, 0)
		m.widths = append(m.widths, 0)
		m.zeroAt = append(m.zeroAt, 0)
		m.firstAt = append(m.firstAt, 0)
		for range m.lines {
			m.born = append(m.born, 0)
			m.inc0 = append(m.inc0, 0)
			m.full = append(m.full, false)
		}
		if k := len(m.chunks); k == 0 || m.chunks[k-1].n == m.chunks[k-1].size {
			size := chunkSlots
			if k < 5 {
				size = chunkSlots >> (5 - k) // 16, 32, 64, 128, 256, then 512
			}
			m.chunks = append(m.chunks, m.newChunk(s.slot, size, m.stride))
		}
		m.chunks[len(m.chunks)-1].n++
	}
	for _, c := range m.chunks {
		if s.slot >= c.first && int(s.slot-c.first) < c.size {
			s.ch, s.off = c, int(s.slot-c.first)*m.stride
		}
	}
}

func (m *metricState) newChunk(first int32, size, stride int) *chunk {
	n := size * stride
	c := &chunk{first: first, size: size}
	flat := make([]float64, 3*n)
	c.cur, c.raw, c.seen = flat[:n:n], flat[n:2*n:2*n], flat[2*n:]
	for range m.lines {
		c.inc = append(c.inc, make([]float64, n))
		c.snaps = append(c.snaps, make([]float64, m.capSnap*n))
	}
	return c
}

// restride widens every slot to stride values (a histogram with more
// buckets than any before). Rare: a metric's histograms share buckets.
func (m *metricState) restride(stride int) {
	old := m.stride
	m.stride = stride
	for i, c := range m.chunks {
		nc := m.newChunk(c.first, c.size, stride)
		nc.n = c.n
		for k := range c.size {
			move := func(dst, src []float64) { copy(dst[k*stride:k*stride+old], src[k*old:(k+1)*old]) }
			move(nc.cur, c.cur)
			move(nc.raw, c.raw)
			move(nc.seen, c.seen)
			for wi := range c.inc {
				move(nc.inc[wi], c.inc[wi])
				for j := range m.capSnap {
					move(nc.snaps[wi][j*c.size*stride:], c.snaps[wi][j*c.size*old:])
				}
			}
		}
		m.chunks[i] = nc
	}
	for _, s := range m.slots {
		if s != nil {
			s.ch = m.chunks[slices.IndexFunc(m.chunks, func(c *chunk) bool { return c.first <= s.slot && int(s.slot-c.first) < c.size })]
			s.off = int(s.slot-s.ch.first) * stride
		}
	}
}

// reshape sets a series' kind and width and forgets its history: zeros in
// every value and snapshot, no first snapshot yet, born now.
func (m *metricState) reshape(s *series, kind seriesKind, width int) {
	s.kind, s.width = kind, width
	s.started = false
	s.expScale, s.expBase = 0, 0
	m.kinds[s.slot], m.widths[s.slot] = kind, int32(width)
	m.firstAt[s.slot] = 0
	c, off, n := s.ch, s.off, s.ch.size*m.stride
	clear(c.cur[off : off+m.stride])
	clear(c.raw[off : off+m.stride])
	clear(c.seen[off : off+m.stride])
	nw := len(m.lines)
	for wi := range m.lines {
		clear(c.inc[wi][off : off+m.stride])
		for j := range m.capSnap {
			clear(c.snaps[wi][j*n+off : j*n+off+m.stride])
		}
		// This cycle's snapshot, if one is taken, is written after the
		// points are folded: it already holds the series.
		tl := &m.lines[wi]
		b := tl.pushes
		if tl.pushed {
			b--
		}
		m.born[int(s.slot)*nw+wi] = b
	}
}

func (st *Store) gauge(m *metricState, attrs *attribute.Set, v float64, now int64) {
	s := st.lookup(m, attrs, kindGauge, 1, now)
	if s == nil {
		return
	}
	s.ch.cur[s.off] = v
	s.seq = st.seq
}

func (st *Store) counter(m *metricState, attrs *attribute.Set, v float64, start time.Time, t metricdata.Temporality, now int64) {
	s := st.lookup(m, attrs, kindCounter, 1, now)
	if s == nil {
		return
	}
	if cap(st.point) < 1 {
		st.point = make([]float64, 1)
	}
	p := st.point[:1]
	p[0] = v
	st.fold(m, s, p, start.UnixNano(), t == metricdata.DeltaTemporality)
}

func (st *Store) histogram(m *metricState, attrs *attribute.Set, count uint64, sum float64, bounds []float64, counts []uint64, start time.Time, t metricdata.Temporality, now int64) {
	width := 2 + len(counts)
	s := st.lookup(m, attrs, kindHistogram, width, now)
	if s == nil {
		return
	}
	if !sameBounds(s.bounds, bounds) {
		if s.bounds != nil {
			m.zeroAt[s.slot] = 0
			m.reshape(s, kindHistogram, width)
		}
		s.bounds = m.internBounds(bounds)
	}
	if cap(st.point) < width {
		st.point = make([]float64, width)
	}
	p := st.point[:width]
	p[0], p[1] = float64(count), sum
	for i, c := range counts {
		p[2+i] = float64(c)
	}
	st.fold(m, s, p, start.UnixNano(), t == metricdata.DeltaTemporality)
}

// internBounds returns a shared copy of bounds, so that comparing the
// bounds of two series of one metric is a pointer comparison.
func (m *metricState) internBounds(bounds []float64) []float64 {
	for _, s := range m.slots {
		if s != nil && s.bounds != nil && slices.Equal(s.bounds, bounds) {
			return s.bounds
		}
	}
	return slices.Clone(bounds)
}

func sameBounds(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// fold adds a raw point to the adjusted totals. Element 0 (the count or
// counter value) decides resets: it never decreases between two points of
// one cumulative stream, and a new start time also means a restart.
func (st *Store) fold(m *metricState, s *series, p []float64, start int64, delta bool) {
	cur := s.ch.cur[s.off : s.off+len(p)]
	raw := s.ch.raw[s.off : s.off+len(p)]
	switch {
	case delta:
		for i, v := range p {
			cur[i] += v
		}
	case !s.started:
		copy(cur, p)
		switch {
		case m.zeroAt[s.slot] != 0:
		case st.seq > 1:
			m.zeroAt[s.slot] = st.prevNow
		case start > 0 && start <= st.now:
			// Seen in the first collection: a cumulative stream counted
			// from its start time, so it was 0 then. (A start time
			// ahead of the clock says nothing: leave it unknown.)
			m.zeroAt[s.slot] = start
		}
	case start != s.rawStart || p[0] < raw[0]:
		for i, v := range p {
			cur[i] += v
		}
	default:
		for i, v := range p {
			cur[i] += v - raw[i]
		}
	}
	copy(raw, p)
	s.rawStart = start
	s.started = true
	s.seq = st.seq
}

// snapshot runs after every point of a collection is folded: it stores
// this cycle's snapshot of every tracked counter and histogram (seen or
// not: an unseen series simply did not grow) and computes the increases
// over every window once; rules only read them. Each pass streams through
// contiguous blocks.
func (m *metricState) snapshot(now int64) {
	nw := len(m.lines)
	if nw == 0 {
		return
	}
	for _, c := range m.chunks {
		for k := range c.n {
			slot := c.first + int32(k)
			if m.firstAt[slot] == 0 && m.slots[slot] != nil && m.kinds[slot].cumulative() {
				// A series' own first snapshot: the shared ones are up to
				// a step apart, and a series born between two of them
				// would otherwise be compared with the older one for a
				// whole step.
				off := k * m.stride
				copy(c.seen[off:off+m.stride], c.cur[off:off+m.stride])
				m.firstAt[slot] = now
			}
		}
		for wi := range m.lines {
			m.windowPass(c, wi, now)
		}
	}
}

func (m *metricState) windowPass(c *chunk, wi int, now int64) {
	nw, stride, block := len(m.lines), m.stride, c.size*m.stride
	tl := &m.lines[wi]
	from := now - int64(m.windows[wi])
	snaps, inc := c.snaps[wi], c.inc[wi]
	var push, base []float64
	if tl.pushed {
		j := tl.slot(tl.pushes-1) * block
		push = snaps[j : j+block]
	}
	a, ta := tl.base, int64(0)
	if a >= 0 {
		j := tl.slot(a) * block
		base, ta = snaps[j:j+block], tl.time(a)
	}
	for k := range c.n {
		slot := int(c.first) + k
		if !m.kinds[slot].cumulative() {
			continue
		}
		w := int(m.widths[slot])
		off := k * stride
		cur, dst := c.cur[off:off+w], inc[off:off+w]
		if push != nil {
			copy(push[off:off+w], cur)
		}
		za, fa, born := m.zeroAt[slot], m.firstAt[slot], m.born[slot*nw+wi]
		var b []float64
		full := true
		switch {
		case za != 0 && za >= from:
		case a >= born && a >= 0 && (fa <= ta || fa > from):
			b = base[off : off+w]
		case fa <= from:
			// The series' first snapshot is newer than the shared base
			// (or the shared ones do not hold it yet) and still at or
			// before from: the closest base there is.
			b = c.seen[off : off+w]
		case born < tl.pushes:
			// Every snapshot of this series is newer than from: the
			// oldest one is the best base there is.
			j := tl.slot(max(born, tl.oldest()))*block + off
			b, full = snaps[j:j+w], false
		default:
			full = false
		}
		if b == nil {
			copy(dst, cur)
		} else {
			for i := range dst {
				dst[i] = cur[i] - b[i]
			}
		}
		m.inc0[slot*nw+wi], m.full[slot*nw+wi] = dst[0], full
	}
}

// gc forgets series unseen for longer than the longest window: their
// increase over any window is zero, and gauges that vanished are stale.
func (st *Store) gc(now int64) {
	// Forgetting is not urgent: sweep once a minute, not every cycle.
	if now-st.lastGC < int64(time.Minute) {
		return
	}
	st.lastGC = now
	limit := now - int64(st.staleAfter) - int64(5*time.Minute)
	for _, m := range st.metrics {
		removed := false
		for d, s := range m.byHash {
			if s.lastSeen >= limit {
				continue
			}
			s.dead = true
			removed = true
			delete(m.byHash, d)
			if s.tracked {
				st.tracked--
				m.slots[s.slot] = nil
				m.kinds[s.slot] = 0
				m.free = append(m.free, s.slot)
			}
		}
		if !removed {
			continue
		}
		clear(m.byPos)
		for _, sel := range m.sels {
			sel.members = slices.DeleteFunc(sel.members, func(mb member) bool { return mb.s.dead })
		}
	}
}
