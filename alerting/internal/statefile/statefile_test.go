package statefile

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A ratio with no traffic is NaN and a burn rate can be +Inf: JSON numbers
// hold neither, so Float writes them as strings and reads both forms back.
func TestFloatKeepsNaNAndInfinities(t *testing.T) {
	for _, v := range []float64{0, 1.5, -2e-9, math.NaN(), math.Inf(1), math.Inf(-1)} {
		b, err := json.Marshal(Float(v))
		if err != nil {
			t.Fatal(err)
		}
		var got Float
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v: %s: %v", v, b, err)
		}
		if g := float64(got); g != v && !(math.IsNaN(g) && math.IsNaN(v)) {
			t.Errorf("%v: %s read back as %v", v, b, g)
		}
	}
	var f Float
	if err := json.Unmarshal([]byte(`"many"`), &f); err == nil {
		t.Error(`"many" read as a number`)
	}
}

func TestCheckVersionRefusesOtherFormats(t *testing.T) {
	if err := CheckVersion("alerts", Version); err != nil {
		t.Errorf("this version: %v", err)
	}
	err := CheckVersion("alerts", Version+1)
	if !errors.Is(err, ErrState) || err.Error() != "alerting: saved state: alerts: format version 2, this build reads 1" {
		t.Errorf("another version: %v", err)
	}
}
