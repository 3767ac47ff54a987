package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/instrument"
)

// TestDependencyHealthFollowsTheStatusRule: Health is the dashboard's
// verdict of the same cycle, published per dependency: unknown before
// any cycle, healthy on clean traffic, failing once errors pass the fail
// threshold, with the card's signal and reason; a decline never counts.
func TestDependencyHealthFollowsTheStatusRule(t *testing.T) {
	m, eng := newEngineMonitor(t, time.Now())
	stripe := mustDep(t, m, instrument.KindPayment, "stripe")
	ctx := context.Background()
	if h := stripe.Health(); h.State != checks.StatusUnknown {
		t.Fatalf("before a cycle: %+v, want unknown", h)
	}
	var nilDep *instrument.Dependency
	if h := nilDep.Health(); h.State != checks.StatusUnknown {
		t.Fatalf("nil dependency: %+v", h)
	}

	steps := []struct {
		name       string
		ok, failed int
		declined   int
		want       checks.Status
		reason     string
	}{
		{"clean traffic", 30, 0, 0, checks.StatusPass, "0 % of 30 calls failed"},
		{"declines are business", 0, 0, 40, checks.StatusPass, "0 % of 70 calls failed"},
		{"errors past the fail threshold", 0, 60, 0, checks.StatusFail, "46 % of 130 calls failed"},
	}
	for _, st := range steps {
		for range st.ok {
			_ = stripe.Track(ctx, "deposit", func(context.Context) error { return nil })
		}
		for range st.declined {
			_ = stripe.Track(ctx, "deposit", func(context.Context) error { return instrument.Declined(errors.New("card declined")) })
		}
		for range st.failed {
			_ = stripe.Track(ctx, "deposit", func(context.Context) error { return errors.New("HTTP 503") })
		}
		eng.Advance(defaultStatusInterval)
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		h := stripe.Health()
		if h.State != st.want || h.Signal != "traffic" || !strings.HasPrefix(h.Reason, st.reason) {
			t.Errorf("%s: %+v, want %s by traffic, reason %q", st.name, h, st.want, st.reason)
		}
		if !h.At.Equal(eng.Now()) || h.Since.IsZero() {
			t.Errorf("%s: at %v since %v, want the cycle's time and a start", st.name, h.At, h.Since)
		}
		card := cardOf(t, m, "payment-stripe")
		if healthOf(card.Status) != h.State || card.Reason != h.Reason {
			t.Errorf("%s: card %s %q, Health %s %q: want one verdict", st.name, card.Status, card.Reason, h.State, h.Reason)
		}
	}
}
