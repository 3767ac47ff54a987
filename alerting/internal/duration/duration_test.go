package duration

import (
	"testing"
	"time"
)

func TestOverflowRefusedAndLargestDayCountAccepted(t *testing.T) {
	for _, in := range []string{"99999999999999d", "106752d", "2562047h1d"} {
		if d, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an out-of-range error", in, d)
		}
	}
	if d, err := Parse("106751d"); err != nil || d != 106751*24*time.Hour {
		t.Errorf("largest day count: %v %v", d, err)
	}
}
