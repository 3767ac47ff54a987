package deliveryerr

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// A notifier outside this package marks a failure permanent by wrapping
// ErrPermanent; Permanent and WithRetryAfter carry the same verdicts.
func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		name      string
		err       error
		permanent bool
		wait      time.Duration
	}{
		{"plain", errors.New("boom"), false, 0},
		{"wrapped ErrPermanent", fmt.Errorf("%w: channel gone", ErrPermanent), true, 0},
		{"Permanent", Permanent(errors.New("404")), true, 0},
		{"WithRetryAfter", fmt.Errorf("hook: %w", WithRetryAfter(errors.New("429"), time.Minute)), false, time.Minute},
	} {
		p, w := Classify(tt.err)
		if p != tt.permanent || w != tt.wait {
			t.Errorf("%s: Classify = %v, %v; want %v, %v", tt.name, p, w, tt.permanent, tt.wait)
		}
	}
}
