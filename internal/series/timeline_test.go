package series

import "testing"

func TestTimelineLookup(t *testing.T) {
	tl := newTimeline(10, 4)
	if got := tl.at(5); got != -1 {
		t.Fatalf("empty timeline answered %d", got)
	}
	var pushed []bool
	for _, ts := range []int64{0, 5, 10, 20, 30, 40, 50} { // 5 is within step: skipped
		tl.advance(ts, ts-1000)
		pushed = append(pushed, tl.pushed)
	}
	if want := []bool{true, false, true, true, true, true, true}; string(boolBytes(pushed)) != string(boolBytes(want)) {
		t.Fatalf("pushed = %v, want %v", pushed, want)
	}
	// Kept: 20, 30, 40, 50 (capacity 4), absolute numbers 2..5.
	cases := []struct {
		from int64
		want int64 // time of the base snapshot; -1: none at or before from
	}{
		{15, -1}, {20, 20}, {35, 30}, {49, 40}, {100, 50}, {25, 20},
	}
	for _, c := range cases {
		a := tl.at(c.from)
		got := int64(-1)
		if a >= 0 {
			got = tl.time(a)
		}
		if got != c.want {
			t.Errorf("at(%d) = snapshot at %d, want %d", c.from, got, c.want)
		}
	}
	if tl.oldest() != 2 {
		t.Errorf("oldest = %d, want 2", tl.oldest())
	}
}

func boolBytes(bs []bool) []byte {
	out := make([]byte, len(bs))
	for i, b := range bs {
		if b {
			out[i] = 1
		}
	}
	return out
}
