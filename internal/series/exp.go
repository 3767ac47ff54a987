package series

import (
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Exponential histograms.
//
// A series stores [count, sum, zero, bucket...]: the buckets are base-2
// exponential buckets at the series' scale (expScale), the first one being
// bucket index expBase, as OpenTelemetry numbers them (bucket i holds
// (base^i, base^(i+1)], base = 2^(2^-scale)). Every vector of the series
// (running totals, last raw point, first snapshot, every window's increase
// and every snapshot) uses that one layout, so a window's increase stays
// one subtraction.
//
// A point at a finer scale is merged down to the series' scale (index >>
// difference: exact, counts add up). When a point needs a coarser scale
// (the SDK downscaled because the data spread out) or buckets outside the
// series' range, the series' whole history is re-binned to the new scale
// and range (regridExp): rare, and exact, so windowed differences stay
// valid. A series' range is only as wide as the buckets its data ever
// filled.
//
// Memory: a bucket costs 8 bytes in every snapshot of every window, 33
// vectors per window with the default 32 snapshots. Two bounds keep it in
// check:
//
//   - expMaxScale caps the stored resolution at scale 4 (16 buckets per
//     doubling, base 2^(1/16) ≈ 1.044): a quantile interpolated inside a
//     bucket is off by less than 4.4% whatever the data, and by far less
//     for a spread distribution. A finer scale would double the buckets
//     per doubling for accuracy nobody reads.
//   - expMaxBuckets bounds a series' range like the SDK's MaxSize does:
//     data spanning more is merged down a scale (scale 4 holds 10
//     doublings, 1 ms to 1 s; scale 3 holds 20).

// expMaxScale is the finest scale exponential histograms are stored at
// (the max scale of the exporters package's in-process aggregation: the
// reader aggregates at no finer scale).
const expMaxScale = 4

// expMaxBuckets is the most buckets one series stores (the max size of the
// exporters package's in-process aggregation).
const expMaxBuckets = 160

// expPoint is one exponential histogram data point, whatever its number
// type.
type expPoint struct {
	count    uint64
	sum      float64
	zero     uint64
	scale    int32
	pos, neg *metricdata.ExponentialBucket
}

// Valid scales of the OpenTelemetry data model; points outside are
// ignored (the SDK never emits them).
const (
	expScaleMin = -10
	expScaleMax = 20
)

func (st *Store) expHistogram(m *metricState, attrs *attribute.Set, p expPoint, start time.Time, t metricdata.Temporality, now int64) {
	s := st.lookup(m, attrs, kindExpHistogram, 3, now)
	if s == nil || p.scale < expScaleMin || p.scale > expScaleMax {
		return
	}
	counts := p.pos.Counts
	lo, hi := 0, len(counts)-1
	for lo <= hi && counts[lo] == 0 {
		lo++
	}
	for hi >= lo && counts[hi] == 0 {
		hi--
	}
	off := int64(p.pos.Offset)
	if lo <= hi {
		m.fitExp(s, p.scale, off+int64(lo), off+int64(hi))
	}
	width := s.width
	if cap(st.point) < width {
		st.point = make([]float64, width, max(width, 2*cap(st.point)))
	}
	v := st.point[:width]
	clear(v)
	// Negative observations count as zeros: see Hist.
	zero := float64(p.zero)
	for _, c := range p.neg.Counts {
		zero += float64(c)
	}
	v[0], v[1], v[2] = float64(p.count), p.sum, zero
	if lo <= hi {
		d := uint(p.scale - s.expScale) // ≥ 0: fitExp merged the series down to the point's scale if needed
		b := v[3:]
		if d == 0 { // the in-process reader's case: same scale
			b = b[off+int64(lo)-s.expBase:]
			for i, c := range counts[lo : hi+1] {
				b[i] = float64(c)
			}
		} else {
			for i := lo; i <= hi; i++ {
				if c := counts[i]; c != 0 {
					b[((off+int64(i))>>d)-s.expBase] += float64(c)
				}
			}
		}
	}
	st.fold(m, s, v, start.UnixNano(), t == metricdata.DeltaTemporality)
}

// fitExp makes the series' layout hold buckets first..last of a point at
// scale ps: the series' scale drops to the point's when the point is
// coarser, its range widens to cover the point's, and both drop further
// while the range exceeds expMaxBuckets.
func (m *metricState) fitExp(s *series, ps int32, first, last int64) {
	nb := s.width - 3
	scale := min(ps, expMaxScale)
	if nb > 0 {
		scale = min(scale, s.expScale)
	}
	d := uint(ps - scale)
	lo, hi := first>>d, last>>d
	if nb > 0 {
		sd := uint(s.expScale - scale)
		lo = min(lo, s.expBase>>sd)
		hi = max(hi, (s.expBase+int64(nb)-1)>>sd)
	}
	for hi-lo+1 > expMaxBuckets {
		scale--
		lo >>= 1
		hi >>= 1
	}
	if nb > 0 && scale == s.expScale && lo == s.expBase && int(hi-lo+1) == nb {
		return
	}
	m.regridExp(s, scale, lo, int(hi-lo+1))
}

// regridExp re-bins every stored vector of s (running totals, raw point,
// first snapshot, every window's increase and snapshot) to nb buckets from
// index base on at scale, which must not be finer than the series' scale
// and must cover its range at that scale. Merging buckets is exact, so
// the difference of two re-binned vectors is the re-binned difference:
// windowed increases stay valid across it.
func (m *metricState) regridExp(s *series, scale int32, base int64, nb int) {
	w := 3 + nb
	if w > m.stride {
		m.restride(expStride(w))
	}
	oldW, oldBase := s.width, s.expBase
	var d uint
	if oldW > 3 {
		d = uint(s.expScale - scale)
	}
	if cap(m.expTmp) < nb {
		m.expTmp = make([]float64, nb)
	}
	tmp := m.expTmp[:nb]
	move := func(v []float64) {
		clear(tmp)
		for i := 3; i < oldW; i++ {
			if x := v[i]; x != 0 {
				tmp[((oldBase+int64(i-3))>>d)-base] += x
			}
		}
		copy(v[3:w], tmp)
		if oldW > w {
			clear(v[w:oldW])
		}
	}
	c, off, stride := s.ch, s.off, m.stride
	block := c.size * stride
	move(c.cur[off : off+stride])
	move(c.raw[off : off+stride])
	move(c.seen[off : off+stride])
	for wi := range c.inc {
		move(c.inc[wi][off : off+stride])
		for j := range m.capSnap {
			move(c.snaps[wi][j*block+off : j*block+off+stride])
		}
	}
	s.expScale, s.expBase, s.width = scale, base, w
	m.widths[s.slot] = int32(w)
}

// expStride is the stride a metric widens to for an exponential series of
// width w: its buckets rounded up to a power of two up to 16, then to a
// multiple of 16 (a doubling at scale 4), so that ranges creeping one
// bucket at a time rebuild the metric's chunks at most 14 times, for at
// most 15 buckets of slack per slot.
func expStride(w int) int {
	nb, r := w-3, 1
	for r < nb && r < 16 {
		r <<= 1
	}
	return 3 + min((nb+r-1)/r*r, expMaxBuckets)
}
