package monitor

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
)

// actionRig is a Monitor whose rule PSPDown fires while the check psp
// fails, with one action on it.
type actionRig struct {
	m    *Monitor
	fc   *clock.Fake
	down atomic.Bool
	mu   sync.Mutex
	runs []string // the alerts the action ran for
}

func newActionRig(t *testing.T, mode ActionMode, fail error) *actionRig {
	t.Helper()
	r := &actionRig{fc: clock.NewFake(alT0)}
	rule := alerting.Rule{Name: "PSPDown", Condition: &alerting.CheckState{Checks: []string{"psp"}}}
	m, err := New(quiet, WithoutSystemMetrics(), WithRegistryOptions(checkstest.WithClock(r.fc)),
		WithAuthorizer(func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ops" }),
		WithAlerting([]alerting.Rule{rule}, alertClock(r.fc)),
		WithAction(Action{Name: "switch-psp", Rule: "PSPDown", Mode: mode, Run: func(ctx context.Context, a alerting.Alert) error {
			r.mu.Lock()
			r.runs = append(r.runs, a.Labels["igmon.check.name"])
			r.mu.Unlock()
			return fail
		}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown(context.Background()) })
	r.m = m
	if err := m.Checks().Register("psp", func(context.Context) error {
		if r.down.Load() {
			return errors.New("down")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return r
}

// set makes the check fail or pass and runs one cycle; it returns once
// the runs the cycle started have ended.
func (r *actionRig) set(t *testing.T, down bool) {
	t.Helper()
	r.fc.Advance(time.Minute) // the evaluator judges each instant once
	r.down.Store(down)
	r.m.Checks().Evaluate(context.Background(), checks.Readiness)
	if err := r.m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.m.actions.wg.Wait()
}

func (r *actionRig) ran() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.runs...)
}

func actionEvents(m *Monitor) []string {
	var out []string
	for _, e := range m.events.Query(eventQuery{Kind: eventAction}) {
		out = append(out, e.Attrs["result"]+" "+e.Attrs["author"]+": "+e.Message)
	}
	return out
}

func TestAlertActionsRunDryRunAndRateLimit(t *testing.T) {
	tests := []struct {
		name     string
		mode     ActionMode
		fail     error
		wantRuns int
		want     []string
	}{
		{"auto runs once per interval", ActionAuto, nil, 1, []string{
			`ok alert PSPDown{igmon.check.name="psp"}: switch-psp for PSPDown{igmon.check.name="psp"} by alert PSPDown{igmon.check.name="psp"}: done`,
			`rate_limited alert PSPDown{igmon.check.name="psp"}: switch-psp for PSPDown{igmon.check.name="psp"} rate-limited: next run allowed in 7m0s`,
		}},
		{"a failed run is recorded with its error", ActionAuto, errors.New("lobby API: 500"), 1, []string{
			`error alert PSPDown{igmon.check.name="psp"}: switch-psp for PSPDown{igmon.check.name="psp"} by alert PSPDown{igmon.check.name="psp"} failed: lobby API: 500`,
			`rate_limited alert PSPDown{igmon.check.name="psp"}: switch-psp for PSPDown{igmon.check.name="psp"} rate-limited: next run allowed in 7m0s`,
		}},
		{"dry run runs nothing", ActionDryRun, nil, 0, []string{
			`dry_run alert PSPDown{igmon.check.name="psp"}: dry run: would run switch-psp for PSPDown{igmon.check.name="psp"}`,
			`rate_limited alert PSPDown{igmon.check.name="psp"}: dry run of switch-psp rate-limited: next in 7m0s`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newActionRig(t, tt.mode, tt.fail)
			r.set(t, true)
			r.set(t, true) // still firing: no second trigger
			r.set(t, false)
			r.set(t, true) // fires again 3 minutes after the first run
			if got := r.ran(); len(got) != tt.wantRuns {
				t.Errorf("runs %q, want %d", got, tt.wantRuns)
			}
			if got := actionEvents(r.m); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestAlertActionAwaitsApproval: an approval-mode action waits on the
// page until an authorized operator approves it through the dashboard's
// write route, which refuses anonymous and cross-origin requests.
func TestAlertActionAwaitsApproval(t *testing.T) {
	r := newActionRig(t, ActionApproval, nil)
	r.set(t, true)
	if got := r.ran(); len(got) != 0 {
		t.Fatalf("ran %q before approval", got)
	}
	snap, err := (&statusPage{m: r.m}).Snapshot(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.PendingActions) != 1 || snap.PendingActions[0].Action != "switch-psp" {
		t.Fatalf("pending %+v", snap.PendingActions)
	}
	id := snap.PendingActions[0].ID

	h, err := r.m.Dashboard()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(token, origin, body string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/actions/approve", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "cross-site")
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"id":"` + id + `","author":"alice"}`
	for _, c := range []struct {
		name, token, origin, body string
		want                      int
	}{
		{"anonymous", "", "", body, http.StatusUnauthorized},
		{"cross-origin", "ops", "https://evil.example", body, http.StatusForbidden},
		{"unknown id", "ops", "", `{"id":"nope","author":"alice"}`, http.StatusNotFound},
		{"no author", "ops", "", `{"id":"` + id + `"}`, http.StatusBadRequest},
		{"approved", "ops", "", body, http.StatusOK},
		{"already run", "ops", "", body, http.StatusNotFound},
	} {
		if got := post(c.token, c.origin, c.body); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
		r.m.actions.wg.Wait()
	}
	if got := r.ran(); len(got) != 1 || got[0] != "psp" {
		t.Fatalf("runs %q", got)
	}
	// A new firing asks again; once the alert resolves, the request goes.
	r.set(t, false)
	r.set(t, true)
	r.set(t, false)
	if snap, _ := (&statusPage{m: r.m}).Snapshot(context.Background(), false); len(snap.PendingActions) != 0 {
		t.Fatalf("pending after the alert resolved: %+v", snap.PendingActions)
	}
	want := []string{
		`pending alert PSPDown{igmon.check.name="psp"}: switch-psp for PSPDown{igmon.check.name="psp"} awaits an operator's approval (` + id + `)`,
		`ok operator alice: switch-psp for PSPDown{igmon.check.name="psp"} by operator alice: done`,
		`pending alert PSPDown{igmon.check.name="psp"}: switch-psp for PSPDown{igmon.check.name="psp"} awaits an operator's approval (switch-psp-2)`,
		`dropped alert PSPDown{igmon.check.name="psp"}: switch-psp for PSPDown{igmon.check.name="psp"} no longer awaits approval: the alert resolved (switch-psp-2)`,
	}
	if got := actionEvents(r.m); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWithActionRefusesBadActions(t *testing.T) {
	run := func(context.Context, alerting.Alert) error { return nil }
	rule := alerting.Rule{Name: "PSPDown", Condition: &alerting.CheckState{Checks: []string{"psp"}}}
	for _, c := range []struct {
		name string
		opts []Option
		want string
	}{
		{"no alerting", []Option{WithAction(Action{Name: "a", Rule: "PSPDown", Run: run})}, "needs WithAlerting"},
		{"unknown rule", []Option{WithAlerting([]alerting.Rule{rule}), WithAction(Action{Name: "a", Rule: "Nope", Run: run})}, `no alert rule named "Nope"`},
		{"no Run", []Option{WithAction(Action{Name: "a", Rule: "PSPDown"})}, "Run must not be nil"},
		{"bad name", []Option{WithAction(Action{Name: "a b", Rule: "PSPDown", Run: run})}, "WithAction: Name"},
		{"twice", []Option{WithAction(Action{Name: "a", Rule: "PSPDown", Run: run}), WithAction(Action{Name: "a", Rule: "PSPDown", Run: run})}, "registered twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := New(append([]Option{quiet, WithoutSystemMetrics()}, c.opts...)...)
			if err == nil {
				m.Shutdown(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one with %q", err, c.want)
			}
		})
	}
}
