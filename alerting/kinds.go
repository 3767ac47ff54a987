package alerting

import (
	"github.com/jackcode/igmon/internal/series"

	"math"
	"slices"
	"time"
)

func (r *ruleState) resetResults() {
	n := r.grp.Len() * r.nvariants()
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
func (r *ruleState) gaugeAgg(sel *series.Selection, seq uint64, agg Aggregation, dst []float64, n []int) {
	sel.EachGauge(seq, func(g int32, v float64) {
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
	})
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
	ng := r.grp.Len()
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
func (r *ruleState) sumIncrease(sel *series.Selection, w time.Duration, dst []float64, n []int, full []bool) {
	c := sel.Increases(w, r.seq)
	for g, cn := range c.N {
		if cn == 0 {
			continue
		}
		dst[g] += c.Sum[g]
		if n[g] == 0 {
			full[g] = c.Full[g]
		} else {
			full[g] = full[g] && c.Full[g]
		}
		n[g] += cn
	}
}

func (r *ruleState) evalRatio(c *Ratio) {
	r.resetResults()
	ng := r.grp.Len()
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
	ng := r.grp.Len()
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

// sumBuckets points the rule's per-group histograms at the selector's sums
// over w (read-only) and ANDs coverage into full.
func (r *ruleState) sumBuckets(sel *series.Selection, w time.Duration, full []bool) {
	c := sel.Histograms(w, r.seq)
	for g := range c.Hist {
		if c.Hist[g].Empty() {
			continue
		}
		r.hists[g] = &c.Hist[g]
		full[g] = c.Full[g]
	}
}

func (r *ruleState) prepVec(ng int) {
	r.hists = grow(r.hists, ng)
	r.full = grow(r.full, ng)
}

func (r *ruleState) evalQuantile(c *Quantile) {
	r.resetResults()
	ng := r.grp.Len()
	r.prepVec(ng)
	r.sumBuckets(r.sels[0], c.Window, r.full)
	op := cmpOp(c.Op)
	for g := range ng {
		h := r.hists[g]
		if h == nil {
			continue
		}
		total := h.Total()
		if total <= 0 || total < c.MinCount {
			continue
		}
		v := h.Quantile(c.Quantile)
		if math.IsNaN(v) {
			continue
		}
		r.results[g] = result{data: true, value: v, active: op.compare(v, c.Value)}
	}
}

func (r *ruleState) evalCheck(c *CheckState, src CheckSource, now int64) {
	names := c.Checks
	if len(names) == 0 {
		if l, ok := src.(checkLister); ok {
			names = l.CheckNames()
		}
	}
	for _, n := range names {
		r.checkGroup(n)
	}
	r.resetResults()
	for _, n := range names {
		g, _ := r.grp.Index(n)
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
	ng := r.grp.Len()
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
				h := r.hists[g]
				if h == nil {
					continue
				}
				total := h.Total()
				r.b[g], r.nb[g] = total, 1
				r.a[g] = total - h.CountAtOrBelow(c.LatencyThreshold)
			}
		}
		for g := range ng {
			total := r.b[g]
			if r.nb[g] == 0 || total <= 0 || total < c.MinEvents {
				burn[g] = math.NaN() // not enough events: never burning
				continue
			}
			burn[g] = burnRate(r.a[g]/total, c.Objective)
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
