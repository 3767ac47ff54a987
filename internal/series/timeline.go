package series

// timeline is the shared clock of one window of one metric: the times of
// the last len(times) snapshots, at least step apart. Every series of the
// metric stores its snapshot values at the same positions, so where "one
// window ago" lies is found once per metric and window, not once per
// series.
type timeline struct {
	step   int64 // ns between kept snapshots
	times  []int64
	pushes int // snapshots ever taken; snapshot a lives at a % len(times)

	// Decided at the start of each cycle for every series of the metric:
	pushed bool // this cycle took a snapshot, at slot(pushes-1)
	base   int  // absolute number of the newest snapshot at or before now-window, or -1

	// cursor is base of the previous cycle. Lookups move forward in time,
	// so advancing it costs one comparison per cycle instead of a search.
	cursor int
}

func newTimeline(step int64, capacity int) timeline {
	return timeline{step: step, times: make([]int64, capacity), base: -1, cursor: -1}
}

func (t *timeline) slot(a int) int { return a % len(t.times) }

// oldest is the absolute number of the oldest snapshot still kept.
func (t *timeline) oldest() int { return max(0, t.pushes-len(t.times)) }

// advance takes a snapshot at now when step has passed since the last one
// and finds the base for a lookback to from.
func (t *timeline) advance(now, from int64) {
	t.pushed = false
	if t.pushes == 0 || now-t.times[t.slot(t.pushes-1)] >= t.step {
		t.times[t.slot(t.pushes)] = now
		t.pushes++
		t.pushed = true
	}
	t.base = t.at(from)
}

// at returns the absolute number of the newest snapshot taken at or before
// from, or -1 when every kept snapshot is newer.
func (t *timeline) at(from int64) int {
	oldest := t.oldest()
	c := t.cursor
	if c < oldest || c >= t.pushes || t.times[t.slot(c)] > from {
		// First lookup, the cursor's snapshot was overwritten, or time
		// went backwards: start from the oldest snapshot.
		c = oldest
		if t.pushes == 0 || t.times[t.slot(c)] > from {
			t.cursor = -1
			return -1
		}
	}
	for c+1 < t.pushes && t.times[t.slot(c+1)] <= from {
		c++
	}
	t.cursor = c
	return c
}

func (t *timeline) time(a int) int64 { return t.times[t.slot(a)] }
