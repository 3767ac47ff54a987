package series

import (
	"time"
)

// Sums is a selection's element-0 increase (counter value, histogram
// count) over one window, summed per group: N counts the members summed and
// Full says whether every member's history covered the window. The slices
// are indexed by group and owned by the Selection: read them in the cycle
// that asked for them.
type Sums struct {
	cycleStamp
	Sum  []float64
	N    []int
	Full []bool
}

// Histograms is a selection's histogram increase over one window, summed
// per group. A group's layout is its first member's: explicit buckets
// (members with other bounds are left out: mixing layouts would make a
// quantile meaningless) or base-2 exponential buckets (members at
// different scales are merged down to the coarsest; explicit members are
// left out).
type Histograms struct {
	cycleStamp
	// Hist[g] is group g's histogram; Hist[g].Empty() when it has none.
	Hist []Hist
	Full []bool
}

// Grouping returns the selection's grouping.
func (sel *Selection) Grouping() *Grouping { return sel.grp }

// EachGauge calls fn with the group and latest value of every gauge member
// seen in the last collection.
func (sel *Selection) EachGauge(seq uint64, fn func(group int32, v float64)) {
	for _, m := range sel.members {
		s := m.s
		if s.seq != seq || s.kind != kindGauge {
			continue
		}
		fn(m.group, s.ch.cur[s.off])
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// Increases returns the per-group sums over window w (one the selection was
// registered with), computing them if no reader has in collection seq.
func (sel *Selection) Increases(w time.Duration, seq uint64) *Sums {
	m := sel.metric
	wi := m.windowIndex(w)
	c := windowEntry(&sel.incs, len(m.windows), wi)
	if c.computedIn(seq) {
		return c
	}
	ng := len(sel.grp.labels)
	c.Sum, c.N, c.Full = grow(c.Sum, ng), grow(c.N, ng), grow(c.Full, ng)
	nw := len(m.windows)
	kinds, inc0, cover := m.kinds, m.inc0, m.full
	for _, mb := range sel.members {
		if !kinds[mb.slot].cumulative() {
			continue
		}
		i := int(mb.slot)*nw + wi
		g := mb.group
		c.Sum[g] += inc0[i]
		if c.N[g] == 0 {
			c.Full[g] = cover[i]
		} else {
			c.Full[g] = c.Full[g] && cover[i]
		}
		c.N[g]++
	}
	return c
}

// Histograms returns the per-group histogram sums over window w, computing
// them if no reader has in collection seq.
func (sel *Selection) Histograms(w time.Duration, seq uint64) *Histograms {
	m := sel.metric
	wi := m.windowIndex(w)
	c := windowEntry(&sel.hists, len(m.windows), wi)
	if c.computedIn(seq) {
		return c
	}
	ng := len(sel.grp.labels)
	if len(c.Hist) < ng {
		c.Hist = append(c.Hist, make([]Hist, ng-len(c.Hist))...)
	}
	for g := range c.Hist {
		c.Hist[g].reset()
	}
	c.Full = grow(c.Full, ng)
	nw := len(m.windows)
	for _, mb := range sel.members {
		kind := m.kinds[mb.slot]
		if kind != kindHistogram && kind != kindExpHistogram {
			continue
		}
		s := mb.s
		g := mb.group
		h := &c.Hist[g]
		inc := s.ch.inc[wi][s.off : s.off+s.width]
		if kind == kindExpHistogram {
			if h.Empty() {
				h.Exp = true
				c.Full[g] = true
			} else if !h.Exp {
				continue
			}
			if !m.full[int(mb.slot)*nw+wi] {
				c.Full[g] = false
			}
			h.Sum += inc[1]
			h.Zero += inc[2]
			h.addExp(s.expScale, s.expBase, inc[3:])
			continue
		}
		nb := s.width - 2
		if h.Empty() {
			if s.bounds == nil {
				continue // no buckets: an empty histogram, as before
			}
			h.Bounds = s.bounds
			if cap(h.Counts) < nb {
				h.Counts = make([]float64, nb)
			}
			h.Counts = h.Counts[:nb]
			clear(h.Counts)
			c.Full[g] = true
		} else if h.Exp || !sameBounds(h.Bounds, s.bounds) {
			continue
		}
		if !m.full[int(mb.slot)*nw+wi] {
			c.Full[g] = false
		}
		h.Sum += inc[1]
		acc := h.Counts
		for i, x := range inc[2:] {
			acc[i] += x
		}
	}
	return c
}
