package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

var (
	errDown     = errors.New("HTTP 503")
	errDeclined = errors.New("card declined")
)

// recorder keeps the group's changes.
type recorder struct {
	mu  sync.Mutex
	got []Change
}

func (r *recorder) listen(c Change) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
}

func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.got {
		out = append(out, fmt.Sprintf("%s %s %s→%s: %s", c.Kind, c.Provider, c.From, c.To, c.Reason))
	}
	return out
}

// deposits is the group of the examples: stripe preferred, then adyen;
// declines are business outcomes.
func deposits(t *testing.T, rec *recorder, health func() (bool, string), opts ...Option) *Group {
	t.Helper()
	notDecline := func(err error) bool { return !errors.Is(err, errDeclined) }
	g, err := New("deposits", []Provider{
		{Name: "stripe", Health: health, Failure: notDecline},
		{Name: "adyen", Failure: notDecline},
	}, append([]Option{WithListener(rec.listen)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// call routes one call whose provider answers with errs[provider].
func call(g *Group, errs map[string]error) string {
	var used string
	_ = g.Do(context.Background(), func(_ context.Context, p string) error {
		used = p
		return errs[p]
	})
	return used
}

func TestConsecutiveFailuresFailOverAndTrialsReturn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		g := deposits(t, rec, nil)
		down := map[string]error{"stripe": errDown}
		for i := range 5 {
			if p := call(g, down); p != "stripe" {
				t.Fatalf("call %d went to %s before the breaker opened", i, p)
			}
		}
		if p := call(g, down); p != "adyen" {
			t.Fatalf("after 5 failures: %s, want adyen", p)
		}
		st := g.Status()
		if st.Serving != "adyen" || !strings.Contains(st.Reason, "stripe breaker open (5 consecutive failures)") {
			t.Fatalf("status %+v", st)
		}

		// The open period: stripe sees no call.
		time.Sleep(4 * time.Second)
		if p := call(g, down); p != "adyen" {
			t.Fatalf("during the open period: %s", p)
		}
		// Half-open: one trial at a time, the rest still go to adyen.
		time.Sleep(time.Second)
		trial := g.pick()
		if trial.provider() != "stripe" {
			t.Fatalf("first call after the open period: %s, want a stripe trial", trial.provider())
		}
		if other := g.pick(); other.provider() != "adyen" {
			t.Fatalf("second call while a trial runs: %s, want adyen", other.provider())
		} else {
			other.done(nil)
		}
		trial.done(errDown) // still down: open twice as long
		time.Sleep(5 * time.Second)
		if p := call(g, down); p != "adyen" {
			t.Fatalf("5 s after a failed trial: %s, want adyen (open for 10 s)", p)
		}
		time.Sleep(5 * time.Second)
		// stripe is back: three good trials close the breaker.
		for i := range 3 {
			if p := call(g, nil); p != "stripe" {
				t.Fatalf("trial %d went to %s", i, p)
			}
		}
		if p := call(g, nil); p != "stripe" {
			t.Fatalf("after the trials: %s, want stripe", p)
		}
		want := []string{
			"breaker stripe closed→open: 5 consecutive failures",
			"route adyen stripe→adyen: stripe breaker open (5 consecutive failures)",
			"breaker stripe open→half_open: open period of 5s over: trial calls",
			"breaker stripe half_open→open: trial call failed",
			"breaker stripe open→half_open: open period of 10s over: trial calls",
			"breaker stripe half_open→closed: 3 trial calls succeeded",
			"route stripe adyen→stripe: preferred provider breaker closed (3 trial calls succeeded)",
		}
		if got := rec.lines(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestSignalsThatOpenABreaker(t *testing.T) {
	tests := []struct {
		name   string
		br     Breaker
		calls  func(g *Group)
		open   bool
		reason string
	}{
		{"business declines never trip", Breaker{}, func(g *Group) {
			for range 100 {
				call(g, map[string]error{"stripe": errDeclined})
			}
		}, false, ""},
		{"canceled calls count neither way", Breaker{}, func(g *Group) {
			for range 100 {
				call(g, map[string]error{"stripe": fmt.Errorf("charge: %w", context.Canceled)})
			}
		}, false, ""},
		{"error ratio without a streak", Breaker{}, func(g *Group) {
			for i := range 10 {
				var err error
				if i%2 == 1 {
					err = errDown
				}
				call(g, map[string]error{"stripe": err})
			}
		}, true, "50 % of the last 10 calls failed"},
		{"a ratio below the threshold", Breaker{}, func(g *Group) {
			for i := range 30 {
				var err error
				if i%3 == 0 {
					err = errDown
				}
				call(g, map[string]error{"stripe": err})
			}
		}, false, ""},
		{"the ratio judges the last Window calls", Breaker{ConsecutiveFailures: 100, Window: 10}, func(g *Group) {
			for range 4 {
				call(g, map[string]error{"stripe": errDown})
			}
			for range 16 {
				call(g, nil)
			}
			for range 5 {
				call(g, map[string]error{"stripe": errDown})
			}
		}, true, "50 % of the last 10 calls failed"},
		{"slow calls", Breaker{SlowCall: time.Second}, func(g *Group) {
			for range 10 {
				_ = g.Do(context.Background(), func(context.Context, string) error {
					time.Sleep(2 * time.Second)
					return nil
				})
			}
		}, true, "100 % of the last 10 calls slower than 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := deposits(t, &recorder{}, nil, WithBreaker(tt.br))
				tt.calls(g)
				st := g.Status().Providers[0]
				if (st.State == "open") != tt.open || tt.open && st.Reason != tt.reason {
					t.Fatalf("stripe %s (%s), want open %v (%s)", st.State, st.Reason, tt.open, tt.reason)
				}
			})
		})
	}
}

// TestHealthTurningFailingOpensTheBreaker: the status rule's verdict opens
// the breaker before any call fails; the trials, not the lagging verdict,
// close it.
func TestHealthTurningFailingOpensTheBreaker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{}
		var mu sync.Mutex
		failing := false
		health := func() (bool, string) {
			mu.Lock()
			defer mu.Unlock()
			return failing, "100 % of 40 calls failed over 30 s"
		}
		g := deposits(t, rec, health)
		if p := call(g, nil); p != "stripe" {
			t.Fatalf("healthy: %s", p)
		}
		mu.Lock()
		failing = true
		mu.Unlock()
		if p := call(g, nil); p != "adyen" {
			t.Fatalf("health failing: %s, want adyen", p)
		}
		time.Sleep(5 * time.Second)
		for range 4 {
			call(g, nil)
		}
		if p := call(g, nil); p != "stripe" {
			t.Fatalf("after good trials with the verdict still failing: %s, want stripe", p)
		}
		if got := rec.lines(); len(got) == 0 || got[0] != "breaker stripe closed→open: health failing: 100 % of 40 calls failed over 30 s" {
			t.Fatalf("changes: %q", got)
		}
	})
}

func TestEveryBreakerOpenSendsToThePreferred(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := deposits(t, &recorder{}, nil)
		down := map[string]error{"stripe": errDown, "adyen": errDown}
		for range 10 {
			call(g, down)
		}
		c := g.pick()
		defer c.done(nil)
		st := g.Status()
		if c.provider() != "stripe" || c.route != routeExhausted || st.Serving != "stripe" || !strings.HasPrefix(st.Reason, "every breaker open") {
			t.Fatalf("pick %s route %d, status %+v", c.provider(), c.route, st)
		}
	})
}

func TestNewRefusesBadGroups(t *testing.T) {
	tests := []struct {
		name  string
		group string
		provs []Provider
		opts  []Option
		want  string
	}{
		{"no providers", "deposits", nil, nil, "0 providers"},
		{"bad group name", "dep osits", []Provider{{Name: "stripe"}}, nil, "name:"},
		{"bad provider name", "deposits", []Provider{{Name: ""}}, nil, "provider 0: name"},
		{"duplicate", "deposits", []Provider{{Name: "stripe"}, {Name: "stripe"}}, nil, `"stripe" is listed twice`},
		{"ratio", "deposits", []Provider{{Name: "stripe"}}, []Option{WithBreaker(Breaker{ErrorRatio: 2})}, "Breaker.ErrorRatio"},
		{"open periods", "deposits", []Provider{{Name: "stripe"}}, []Option{WithBreaker(Breaker{OpenFor: time.Minute, MaxOpenFor: time.Second})}, "Breaker.MaxOpenFor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.group, tt.provs, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// TestPanickingCallReleasesTheTrial: a trial whose call panics counts as
// failed, so the breaker does not wait forever for its result.
func TestPanickingCallReleasesTheTrial(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := deposits(t, &recorder{}, nil)
		for range 5 {
			call(g, map[string]error{"stripe": errDown})
		}
		time.Sleep(5 * time.Second)
		func() {
			defer func() { _ = recover() }()
			_ = g.Do(context.Background(), func(context.Context, string) error { panic("boom") })
		}()
		if st := g.Status().Providers[0]; st.State != "open" || st.Reason != "trial call failed" {
			t.Fatalf("stripe %+v", st)
		}
	})
}
