// Package duration parses the durations of alerting's rule files and of
// the silence API: Go durations extended with d (24h) and w (7d), as
// Prometheus writes them. It is shared by package alerting and
// alerting/httpapi, and is not API.
package duration

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"
)

var dayWeek = regexp.MustCompile(`(\d+(?:\.\d+)?)([dw])`)

// Parse parses Go durations extended with d (24h) and w (7d). A duration
// too large for time.Duration is an error, not a wrapped value.
func Parse(s string) (time.Duration, error) {
	var extra float64 // nanoseconds; float so that overflow is detectable
	rest := dayWeek.ReplaceAllStringFunc(s, func(m string) string {
		sub := dayWeek.FindStringSubmatch(m)
		n, _ := strconv.ParseFloat(sub[1], 64)
		unit := 24 * time.Hour
		if sub[2] == "w" {
			unit *= 7
		}
		extra += n * float64(unit)
		return ""
	})
	// Converting an out-of-range float to a Duration yields garbage (a
	// "99999999999d" silence would end in the past): refuse it.
	if extra >= float64(math.MaxInt64) {
		return 0, fmt.Errorf("invalid duration %q: out of range", s)
	}
	if rest == "" {
		return time.Duration(extra), nil
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use 30s, 5m, 1h, 3d, 1w)", s)
	}
	sum := time.Duration(extra) + d
	if (d > 0 && sum < d) || (d < 0 && sum > time.Duration(extra)) {
		return 0, fmt.Errorf("invalid duration %q: out of range", s)
	}
	return sum, nil
}
