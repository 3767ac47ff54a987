package alerting

import (
	"math"
	"slices"
	"time"
)

func (r *ruleState) resetResults() {
	n := len(r.grp.labels) * r.nvariants()
	if cap(r.results) < n {
		r.results = make([]result, n)
	}
	r.results = r.results[:n]
	clear(r.results)
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// gaugeAgg aggregates the latest values of live gauge members per group.
func (r *ruleState) gaugeAgg(sel *selState, seq uint64, agg Aggregation, dst []float64, n []int) {
	for _, m := range sel.members {
		s := m.s
		if s.seq != seq || s.kind != kindGauge {
			continue
		}
		v, g := s.ch.cur[s.off], m.group
		if n[g] == 0 {
			dst[g] = v
		} else {
			switch agg {
			case AggMin:
				dst[g] = math.Min(dst[g], v)
			case AggSum, AggAvg:
				dst[g] += v
			default:
				dst[g] = math.Max(dst[g], v)
			}
		}
		n[g]++
	}
	if agg == AggAvg {
		for g := range dst {
			if n[g] > 0 {
				dst[g] /= float64(n[g])
			}
		}
	}
}

func (r *ruleState) evalThreshold(c *Threshold, seq uint64) {
	r.resetResults()
	ng := len(r.grp.labels)
	r.a, r.na = grow(r.a, ng), grow(r.na, ng)
	r.gaugeAgg(r.sels[0], seq, c.Aggregation, r.a, r.na)
	if c.Of != nil {
		r.b, r.nb = grow(r.b, ng), grow(r.nb, ng)
		r.gaugeAgg(r.sels[1], seq, c.Aggregation, r.b, r.nb)
	}
	op := cmpOp(c.Op)
	for g := range ng {
		if r.na[g] == 0 {
			continue
		}
		v := r.a[g]
		if c.Of != nil {
			if r.nb[g] == 0 || r.b[g] == 0 {
				continue
			}
			v /= r.b[g]
		}
		r.results[g] = result{data: true, value: v, active: op.compare(v, c.Value)}
	}
}

func cmpOp(o Op) Op {
	if o == "" {
		return Above
	}
	return o
}

// sumIncrease adds the selector's per-group increase of element 0
// (counter value or histogram count) over window w into dst and ANDs
// coverage into full.
func (r *ruleState) sumIncrease(sel *selState, w time.Duration, dst []float64, n []int, full []bool) {
	c := sel.increases(sel.metric.windowIndex(w), r.seq)
	for g, cn := range c.n {
		if cn == 0 {
			continue
		}
		dst[g] += c.sum[g]
		if n[g] == 0 {
			full[g] = c.full[g]
		} else {
			full[g] = full[g] && c.full[g]
		}
		n[g] += cn
	}
}

// increases returns the per-group sums over window wi, computing them if
// no rule has this cycle (seq).
func (sel *selState) increases(wi int, seq uint64) *incSums {
	c := windowEntry(&sel.incs, len(sel.metric.windows), wi)
	if c.computedIn(seq) {
		return c
	}
	ng := len(sel.grp.labels)
	c.sum, c.n, c.full = grow(c.sum, ng), grow(c.n, ng), grow(c.full, ng)
	m := sel.metric
	nw := len(m.windows)
	kinds, inc0, cover := m.kinds, m.inc0, m.full
	for _, mb := range sel.members {
		if k := kinds[mb.slot]; k != kindCounter && k != kindHistogram {
			continue
		}
		i := int(mb.slot)*nw + wi
		g := mb.group
		c.sum[g] += inc0[i]
		if c.n[g] == 0 {
			c.full[g] = cover[i]
		} else {
			c.full[g] = c.full[g] && cover[i]
		}
		c.n[g]++
	}
	return c
}

func (r *ruleState) evalRatio(c *Ratio) {
	r.resetResults()
	ng := len(r.grp.labels)
	r.a, r.b, r.na, r.nb, r.full = grow(r.a, ng), grow(r.b, ng), grow(r.na, ng), grow(r.nb, ng), grow(r.full, ng)
	r.sumIncrease(r.sels[0], c.Window, r.a, r.na, r.full)
	r.sumIncrease(r.sels[1], c.Window, r.b, r.nb, r.full)
	op := cmpOp(c.Op)
	for g := range ng {
		den := r.b[g]
		if r.nb[g] == 0 || den <= 0 {
			continue
		}
		v := r.a[g] / den
		r.results[g] = result{data: true, value: v, active: den >= c.MinRequests && op.compare(v, c.Value)}
	}
}

func (r *ruleState) evalAbsence(c *Absence) {
	r.resetResults()
	ng := len(r.grp.labels)
	r.a, r.b, r.na, r.nb, r.full = grow(r.a, ng), grow(r.b, ng), grow(r.na, ng), grow(r.nb, ng), grow(r.full, ng)
	r.full2 = grow(r.full2, ng)
	succFull := r.full2
	r.sumIncrease(r.sels[0], c.Window, r.a, r.na, succFull)
	r.sumIncrease(r.sels[1], c.Window, r.b, r.nb, r.full)
	for g := range ng {
		if r.nb[g] == 0 {
			continue
		}
		covered := r.full[g] && (r.na[g] == 0 || succFull[g])
		req := r.b[g]
		r.results[g] = result{data: true, value: r.a[g],
			active: covered && req > 0 && req >= c.MinRequests && r.a[g] == 0}
	}
}

// sumBuckets points the rule's per-group bucket vectors and bounds at the
// selector's sums over w (read-only) and ANDs coverage into full.
func (r *ruleState) sumBuckets(sel *selState, w time.Duration, full []bool) {
	c := sel.bucketIncreases(sel.metric.windowIndex(w), r.seq)
	for g, b := range c.bounds {
		if b == nil {
			continue
		}
		r.bounds[g], r.vec[g] = b, c.vec[g]
		full[g] = c.full[g]
	}
}

// bucketIncreases returns the per-group bucket sums over window wi,
// computing them if no rule has this cycle (seq).
func (sel *selState) bucketIncreases(wi int, seq uint64) *bucketSums {
	c := windowEntry(&sel.buckets, len(sel.metric.windows), wi)
	if c.computedIn(seq) {
		return c
	}
	ng := len(sel.grp.labels)
	if len(c.vec) < ng {
		c.vec = append(c.vec, make([][]float64, ng-len(c.vec))...)
	}
	c.bounds, c.full = grow(c.bounds, ng), grow(c.full, ng)
	m := sel.metric
	nw := len(m.windows)
	for _, mb := range sel.members {
		if m.kinds[mb.slot] != kindHistogram {
			continue
		}
		s := mb.s
		g := mb.group
		nb := s.width - 2
		if c.bounds[g] == nil {
			c.bounds[g] = s.bounds
			if cap(c.vec[g]) < nb {
				c.vec[g] = make([]float64, nb)
			}
			c.vec[g] = c.vec[g][:nb]
			clear(c.vec[g])
			c.full[g] = true
		} else if !sameBounds(c.bounds[g], s.bounds) {
			continue
		}
		if !m.full[int(mb.slot)*nw+wi] {
			c.full[g] = false
		}
		acc := c.vec[g]
		for i, x := range s.ch.inc[wi][s.off+2 : s.off+s.width] {
			acc[i] += x
		}
	}
	return c
}

func (r *ruleState) prepVec(ng int) {
	if len(r.vec) < ng {
		r.vec = append(r.vec, make([][]float64, ng-len(r.vec))...)
	}
	r.bounds = grow(r.bounds, ng)
	r.full = grow(r.full, ng)
}

func (r *ruleState) evalQuantile(c *Quantile) {
	r.resetResults()
	ng := len(r.grp.labels)
	r.prepVec(ng)
	r.sumBuckets(r.sels[0], c.Window, r.full)
	op := cmpOp(c.Op)
	for g := range ng {
		if r.bounds[g] == nil {
			continue
		}
		var total float64
		for _, v := range r.vec[g] {
			total += v
		}
		if total <= 0 || total < c.MinCount {
			continue
		}
		v := histogramQuantile(c.Quantile, r.bounds[g], r.vec[g])
		if math.IsNaN(v) {
			continue
		}
		r.results[g] = result{data: true, value: v, active: op.compare(v, c.Value)}
	}
}

func (r *ruleState) evalCheck(c *CheckState, src CheckSource, now int64) {
	names := c.Checks
	if len(names) == 0 {
		if l, ok := src.(CheckLister); ok {
			names = l.CheckNames()
		}
	}
	for _, n := range names {
		r.grp.checkGroup(n)
	}
	r.resetResults()
	for _, n := range names {
		g := r.grp.idx[n]
		status, since, ok := src.CheckStatus(n)
		if !ok {
			continue
		}
		held := time.Duration(now - since.UnixNano())
		if since.IsZero() {
			held = 0
		}
		r.results[g] = result{data: true, value: held.Seconds(),
			active: slices.Contains(c.States, status) && held >= c.For}
	}
}

func (r *ruleState) evalSLO(c *SLO) {
	r.resetResults()
	ng := len(r.grp.labels)
	for wi, w := range r.sloWins {
		r.slo[wi] = grow(r.slo[wi], ng)
		burn := r.slo[wi]
		r.a, r.b, r.na, r.nb, r.full = grow(r.a, ng), grow(r.b, ng), grow(r.na, ng), grow(r.nb, ng), grow(r.full, ng)
		if c.Errors != nil {
			r.sumIncrease(r.sels[0], w, r.b, r.nb, r.full)
			r.sumIncrease(r.sels[1], w, r.a, r.na, r.full)
		} else {
			r.prepVec(ng)
			r.sumBuckets(r.sels[0], w, r.full)
			for g := range ng {
				if r.bounds[g] == nil {
					continue
				}
				var total float64
				for _, v := range r.vec[g] {
					total += v
				}
				r.b[g], r.nb[g] = total, 1
				r.a[g] = total - countAtOrBelow(c.LatencyThreshold, r.bounds[g], r.vec[g])
			}
		}
		for g := range ng {
			total := r.b[g]
			if r.nb[g] == 0 || total <= 0 || total < c.MinEvents {
				burn[g] = math.NaN() // not enough events: never burning
				continue
			}
			burn[g] = BurnRate(r.a[g]/total, c.Objective)
		}
	}
	nv := r.nvariants()
	for g := range ng {
		for vi, sev := range r.variants {
			res := result{}
			for _, bw := range c.Windows {
				if bw.Severity != sev {
					continue
				}
				long := r.slo[slices.Index(r.sloWins, bw.Long)][g]
				short := r.slo[slices.Index(r.sloWins, bw.Short)][g]
				if math.IsNaN(long) {
					continue
				}
				// The value is the long-window burn rate of the first pair
				// that fires (what the exported PromQL's "a and b" yields),
				// or, while none fires, the highest one.
				firing := !math.IsNaN(short) && long > bw.Factor && short > bw.Factor
				switch {
				case res.active:
				case firing:
					res.value, res.active = long, true
				case !res.data || long > res.value:
					res.value = long
				}
				res.data = true
			}
			r.results[g*nv+vi] = res
		}
	}
}
