package series

import (
	"math"
	"testing"
)

func TestHistAddSumsObservations(t *testing.T) {
	bounds := []float64{0.1, 0.5, 1}
	a := Hist{Bounds: bounds, Counts: []float64{10, 0, 0, 0}, Sum: 0.5}
	b := Hist{Bounds: bounds, Counts: []float64{0, 0, 10, 0}, Sum: 8}
	var sum Hist
	if !sum.Add(&a) || !sum.Add(&b) {
		t.Fatal("explicit histograms with the same bounds must add")
	}
	if sum.Total() != 20 || sum.Sum != 8.5 {
		t.Fatalf("total %v sum %v, want 20 and 8.5", sum.Total(), sum.Sum)
	}
	if a.Counts[2] != 0 {
		t.Fatal("Add must not write into the histogram it adds")
	}
	// Half the observations were ≤ 0.1: the median is in the first bucket.
	if q := sum.Quantile(0.5); q > 0.1 {
		t.Fatalf("median %v, want ≤ 0.1", q)
	}
	other := Hist{Bounds: []float64{1, 2}, Counts: []float64{1, 1, 1}}
	if sum.Add(&other) {
		t.Fatal("explicit histograms with other bounds must not add")
	}
	if sum.Total() != 20 {
		t.Fatal("a refused Add changed the histogram")
	}
	exp := Hist{Exp: true, Scale: 2, Offset: -8, Counts: []float64{1}}
	if sum.Add(&exp) {
		t.Fatal("an exponential histogram must not add to an explicit one")
	}
}

func TestHistAddMergesExponentialScales(t *testing.T) {
	// 5 observations just above 2^-4 at scale 2, 5 just above 2^-1 at scale 1.
	a := Hist{Exp: true, Scale: 2, Offset: -16, Counts: []float64{5}, Sum: 5 * 0.07}
	b := Hist{Exp: true, Scale: 1, Offset: -2, Counts: []float64{5}, Zero: 2, Sum: 5 * 0.6}
	var sum Hist
	sum.Add(&a)
	if !sum.Add(&b) {
		t.Fatal("exponential histograms must add")
	}
	if sum.Total() != 12 || sum.Scale != 1 {
		t.Fatalf("total %v scale %v, want 12 at scale 1", sum.Total(), sum.Scale)
	}
	if q := sum.Quantile(1); q < 0.5 || q > 0.71 {
		t.Fatalf("max %v, want within (0.5, 0.71]", q)
	}
	sum.Clear()
	if !sum.Empty() || !math.IsNaN(sum.Quantile(0.5)) {
		t.Fatal("Clear must empty the histogram")
	}
}
