package alerting

// ring holds snapshots of a series' reset-adjusted cumulative values, at
// least step apart, enough of them to look back one window. Snapshots are
// stored flat (width values each) so that a series costs a few slices, not
// a pointer per snapshot.
type ring struct {
	step   int64 // ns between kept snapshots
	width  int
	times  []int64
	vals   []float64
	pushes int // snapshots ever pushed; entry a lives at a % len(times)
	n      int

	// cursor is the absolute number of the newest snapshot at or before
	// the last lookup. Lookups move forward in time, so advancing it costs
	// one comparison per cycle instead of a search.
	cursor int
}

func newRing(step int64, capacity, width int) *ring {
	r := &ring{}
	r.init(step, make([]int64, capacity), make([]float64, capacity*width), width)
	return r
}

func (r *ring) init(step int64, times []int64, vals []float64, width int) {
	*r = ring{step: step, width: width, times: times, vals: vals}
}

func (r *ring) slot(a int) int { return a % len(r.times) }

func (r *ring) push(t int64, v []float64) {
	if r.n > 0 && t-r.times[r.slot(r.pushes-1)] < r.step {
		return
	}
	j := r.slot(r.pushes)
	copy(r.vals[j*r.width:(j+1)*r.width], v)
	r.times[j] = t
	r.pushes++
	if r.n < len(r.times) {
		r.n++
	}
}

// at returns the newest snapshot taken at or before t. When every snapshot
// is newer than t it returns the oldest one and full=false.
func (r *ring) at(t int64) (vals []float64, ts int64, full, ok bool) {
	if r.n == 0 {
		return nil, 0, false, false
	}
	oldest := r.pushes - r.n
	c := r.cursor
	if c < oldest || c >= r.pushes || r.times[r.slot(c)] > t {
		// First lookup, the cursor's snapshot was overwritten, or time
		// went backwards: start from the oldest snapshot.
		c = oldest
	}
	for c+1 < r.pushes && r.times[r.slot(c+1)] <= t {
		c++
	}
	r.cursor = c
	j := r.slot(c)
	return r.vals[j*r.width : (j+1)*r.width], r.times[j], r.times[j] <= t, true
}

func (r *ring) reset() { r.n, r.pushes, r.cursor = 0, 0, 0 }
