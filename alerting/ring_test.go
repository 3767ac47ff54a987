package alerting

import "testing"

func TestRingLookup(t *testing.T) {
	r := newRing(10, 4, 1)
	if _, _, _, ok := r.at(5); ok {
		t.Fatal("empty ring answered")
	}
	for _, ts := range []int64{0, 5, 10, 20, 30, 40, 50} { // 5 is within step: skipped
		r.push(ts, []float64{float64(ts)})
	}
	// Kept: 20, 30, 40, 50 (capacity 4).
	cases := []struct {
		t    int64
		want float64
		full bool
	}{
		{15, 20, false}, {20, 20, true}, {35, 30, true}, {49, 40, true}, {100, 50, true}, {25, 20, true},
	}
	for _, c := range cases {
		v, _, full, _ := r.at(c.t)
		if v[0] != c.want || full != c.full {
			t.Errorf("at(%d) = %v full=%v, want %v full=%v", c.t, v[0], full, c.want, c.full)
		}
	}
}
