package monitor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/notify"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
	"github.com/jackcode/igmon/internal/clock"
)

// restartRig builds Monitors on one data directory, one fake clock and two
// real webhook receivers on loopback, with a check rule on wallet-db whose
// result the test sets.
type restartRig struct {
	t      *testing.T
	dir    string
	fc     *clock.Fake
	oncall *hookReceiver
	chat   *hookReceiver
	dbDown atomic.Bool
}

func newRestartRig(t *testing.T) *restartRig {
	return &restartRig{t: t, dir: t.TempDir(), fc: clock.NewFake(alT0), oncall: newHookReceiver(t), chat: newHookReceiver(t)}
}

// start builds a Monitor on the rig's directory ("a process").
func (r *restartRig) start(extra ...Option) *Monitor {
	t := r.t
	t.Helper()
	var rcvs []alerting.Option
	for name, h := range map[string]*hookReceiver{"oncall": r.oncall, "chat": r.chat} {
		wh, err := notify.NewWebhook(notify.WebhookConfig{URL: h.srv.URL + "/hook"})
		if err != nil {
			t.Fatal(err)
		}
		rcvs = append(rcvs, dispatch.WithReceiver(dispatch.Receiver{Name: name, Notifier: wh, MaxAttempts: 1}))
	}
	rule := alerting.Rule{Name: "WalletDBDown", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}},
		Labels: map[string]string{"severity": "critical"}}
	aopts := append(rcvs, alertClock(r.fc),
		dispatch.WithRoute(dispatch.Route{Receivers: []string{"oncall", "chat"}, GroupBy: []string{alerting.LabelAlertName},
			GroupWait: 10 * time.Second, GroupInterval: time.Minute, RepeatInterval: time.Hour}))
	opts := append([]Option{quiet, WithServiceName("casino"), WithoutSystemMetrics(), WithDataDir(r.dir),
		WithRegistryOptions(checkstest.WithClock(r.fc)), WithAlerting([]alerting.Rule{rule}, aopts...)}, extra...)
	m, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown(context.Background()) })
	if err := m.Checks().Register("wallet-db", func(context.Context) error {
		if r.dbDown.Load() {
			return errors.New("connection refused")
		}
		return nil
	}, checks.WithOnRequest(time.Second), checks.WithStaleAfter(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return m
}

// cycle runs the checks and one evaluation at the fake clock's time, then
// ticks the dispatcher and waits for delivery.
func (r *restartRig) cycle(m *Monitor) {
	r.t.Helper()
	m.Checks().Evaluate(context.Background(), checks.Readiness)
	if err := m.Refresh(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	deliver(r.t, m)
}

// stop shuts the Monitor down, which saves its state.
func (r *restartRig) stop(m *Monitor) {
	r.t.Helper()
	if err := m.Shutdown(context.Background()); err != nil {
		r.t.Fatal(err)
	}
}

// firingThenStop makes WalletDBDown fire and notify both receivers, then
// stops the Monitor.
func (r *restartRig) firingThenStop() {
	t := r.t
	t.Helper()
	m := r.start()
	r.dbDown.Store(true)
	r.cycle(m)
	r.fc.Advance(10 * time.Second) // group_wait
	r.cycle(m)
	for _, h := range []*hookReceiver{r.oncall, r.chat} {
		if got := h.take(); len(got) != 1 || got[0].Status != "firing" {
			t.Fatalf("before the restart: %+v", got)
		}
	}
	r.stop(m)
}

func TestRestartResolvedWhileDownSendsOneResolvePerReceiver(t *testing.T) {
	r := newRestartRig(t)
	r.firingThenStop()
	// The database recovers while the process is down.
	r.dbDown.Store(false)
	r.fc.Advance(5 * time.Minute)
	m := r.start()
	if al := m.currentAlerts(); len(al) != 1 || al[0].State != alerting.StateFiring || !al[0].FiredAt.Equal(alT0) {
		t.Fatalf("restored alerts %+v", al)
	}
	r.cycle(m)
	r.fc.Advance(time.Minute)
	r.cycle(m)
	for name, h := range map[string]*hookReceiver{"oncall": r.oncall, "chat": r.chat} {
		got := h.take()
		if len(got) != 1 || got[0].Status != "resolved" || len(got[0].Alerts) != 1 || got[0].Alerts[0].Labels["alertname"] != "WalletDBDown" {
			t.Fatalf("%s after the restart: %+v", name, got)
		}
	}
	// Exactly once: later cycles, and a second restart, send nothing.
	r.fc.Advance(2 * time.Minute)
	r.cycle(m)
	r.stop(m)
	m = r.start()
	r.fc.Advance(2 * time.Minute)
	r.cycle(m)
	for name, h := range map[string]*hookReceiver{"oncall": r.oncall, "chat": r.chat} {
		if got := h.take(); len(got) != 0 {
			t.Fatalf("%s got more: %+v", name, got)
		}
	}
	// The timeline survived too, and the restart did not record the
	// restored firing alert a second time.
	evs := m.events.Query(eventQuery{Kind: eventAlert})
	if len(evs) != 2 || !strings.Contains(evs[0].Message, "firing") || !strings.Contains(evs[1].Message, "resolved") {
		t.Fatalf("alert events %+v", evs)
	}
}

func TestRestartKeepsRepeatInterval(t *testing.T) {
	r := newRestartRig(t)
	r.firingThenStop()
	r.fc.Advance(10 * time.Minute)
	m := r.start()
	// Still firing: not sent again before the repeat interval (1h since
	// the notification at group_wait, alT0+10s)...
	for _, at := range []time.Duration{0, 20 * time.Minute, 49 * time.Minute} {
		r.fc.Set(alT0.Add(10*time.Minute + at))
		r.cycle(m)
		for _, h := range []*hookReceiver{r.oncall, r.chat} {
			if got := h.take(); len(got) != 0 {
				t.Fatalf("re-sent %v after the restart: %+v", at, got)
			}
		}
	}
	// ...and sent at it.
	r.fc.Set(alT0.Add(time.Hour + 10*time.Second))
	r.cycle(m)
	for _, h := range []*hookReceiver{r.oncall, r.chat} {
		if got := h.take(); len(got) != 1 || got[0].Status != "firing" {
			t.Fatalf("repeat: %+v", got)
		}
	}
}

func TestRestartSilenceStillMutes(t *testing.T) {
	r := newRestartRig(t)
	m := r.start()
	db, _ := alerting.NewMatcher(alerting.MatchEqual, "igmon.check.name", "wallet-db")
	id, err := m.Silences().Add(dispatch.Silence{Matchers: alerting.Matchers{db}, EndsAt: alT0.Add(2 * time.Hour),
		CreatedBy: "ops", Comment: "database migration"})
	if err != nil {
		t.Fatal(err)
	}
	r.stop(m)
	r.fc.Advance(time.Minute)
	m = r.start()
	if got := m.Silences().List(); len(got) != 1 || got[0].ID != id || !got[0].EndsAt.Equal(alT0.Add(2*time.Hour)) {
		t.Fatalf("silences after the restart: %+v", got)
	}
	r.dbDown.Store(true)
	r.cycle(m)
	r.fc.Advance(time.Minute)
	r.cycle(m)
	if al := m.currentAlerts(); len(al) != 1 || al[0].State != alerting.StateFiring {
		t.Fatalf("alerts %+v", al)
	}
	for _, h := range []*hookReceiver{r.oncall, r.chat} {
		if got := h.take(); len(got) != 0 {
			t.Fatalf("silenced alert notified after the restart: %+v", got)
		}
	}
	// The silence ends: the alert is notified.
	r.fc.Set(alT0.Add(2*time.Hour + time.Minute))
	r.cycle(m)
	if got := r.oncall.take(); len(got) != 1 || got[0].Status != "firing" {
		t.Fatalf("after the silence: %+v", got)
	}
}

func TestCorruptStateFile(t *testing.T) {
	r := newRestartRig(t)
	m := r.start()
	db, _ := alerting.NewMatcher(alerting.MatchEqual, "igmon.check.name", "wallet-db")
	if _, err := m.Silences().Add(dispatch.Silence{Matchers: alerting.Matchers{db}, EndsAt: alT0.Add(time.Hour),
		CreatedBy: "ops", Comment: "x"}); err != nil {
		t.Fatal(err)
	}
	r.stop(m)
	path := filepath.Join(r.dir, "silences")
	if err := os.WriteFile(path, []byte(`{"silences":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New(quiet, WithoutSystemMetrics(), WithDataDir(r.dir), WithAlerting(nil, alertClock(r.fc)))
	if !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "WithDiscardCorruptState") {
		t.Fatalf("New with a foreign state file: %v", err)
	}
	m = r.start(WithDiscardCorruptState())
	if got := m.Silences().List(); len(got) != 0 {
		t.Fatalf("silences from a discarded file: %+v", got)
	}
	if _, err := os.Stat(path + ".corrupt"); err != nil {
		t.Fatalf("corrupt file not kept aside: %v", err)
	}
	r.stop(m)
	// The next start reads what the last one saved.
	m = r.start()
	r.stop(m)
}

// TestStateSavedWhileRunning: a running Monitor saves a change (a new
// silence) without waiting for Shutdown, so a crash keeps it: at once, or
// at the latest minSaveGap after the previous save (here the one the
// "monitor started" event made).
//
// The Monitor runs in a synctest bubble (the rig's webhook receivers
// listen outside it): synctest.Wait returns once the saver has written
// and waits again, and time.Sleep moves the bubble's clock past the gap.
func TestStateSavedWhileRunning(t *testing.T) {
	r := newRestartRig(t)
	synctest.Test(t, func(t *testing.T) {
		r.t = t // the Monitor shuts down inside the bubble
		m := r.start()
		if err := m.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		db, _ := alerting.NewMatcher(alerting.MatchEqual, "igmon.check.name", "wallet-db")
		id, err := m.Silences().Add(dispatch.Silence{Matchers: alerting.Matchers{db}, EndsAt: alT0.Add(time.Hour), CreatedBy: "ops", Comment: "x"})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(minSaveGap)
		synctest.Wait()
		b, err := os.ReadFile(filepath.Join(r.dir, "silences"))
		if err != nil || !strings.Contains(string(b), id) {
			t.Fatalf("silence %s not saved %v after it was added, while running: %v", id, minSaveGap, err)
		}
	})
}

// BenchmarkStateSave writes a full state (1000 events, 100 silences) to
// the data directory, every file rewritten each time; it reports the bytes
// on disk per save.
func BenchmarkStateSave(b *testing.B) {
	dir := b.TempDir()
	m, err := New(quiet, WithoutSystemMetrics(), WithDataDir(dir), WithAlerting(nil))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	for i := range 1000 {
		m.events.Record(timelineEvent{Component: "wallet-db", Kind: eventCheck, Severity: severityWarning,
			Message: fmt.Sprintf("check wallet-db: pass → fail: dial tcp 10.0.0.5:5432: connection refused (%d)", i),
			Attrs:   map[string]string{"from": "pass", "to": "fail", "error": "dial tcp 10.0.0.5:5432: connection refused"}})
	}
	for i := range 100 {
		mt, _ := alerting.NewMatcher(alerting.MatchEqual, "igmon.dependency.name", fmt.Sprintf("psp-%d", i))
		if _, err := m.Silences().Add(dispatch.Silence{Matchers: alerting.Matchers{mt}, EndsAt: time.Now().Add(time.Hour),
			CreatedBy: "ops", Comment: "provider maintenance window"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		clear(m.state.last)
		if err := m.state.save(); err != nil {
			b.Fatal(err)
		}
	}
	var total int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && !strings.HasSuffix(e.Name(), ".prev") {
			total += fi.Size()
		}
	}
	b.ReportMetric(float64(total), "bytes/save")
}

func TestDataDirOneMonitorAtATime(t *testing.T) {
	dir := t.TempDir()
	m, err := New(quiet, WithoutSystemMetrics(), WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(quiet, WithoutSystemMetrics(), WithDataDir(dir)); err == nil ||
		!strings.Contains(err.Error(), "WithDataDir") || !strings.Contains(err.Error(), filepath.Join(dir, "LOCK")) {
		t.Fatalf("second Monitor on one directory: %v", err)
	}
	if err := m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	m, err = New(quiet, WithoutSystemMetrics(), WithDataDir(dir))
	if err != nil {
		t.Fatalf("after the first shut down: %v", err)
	}
	_ = m.Shutdown(context.Background())
	if _, err := New(quiet, WithDataDir("")); err == nil || !strings.Contains(err.Error(), "WithDataDir") {
		t.Fatalf("empty directory: %v", err)
	}
}

// TestCorruptLatestFallsBackToPrevious: a torn latest silences file loads
// the previous snapshot, and the next save keeps that good one as the
// previous.
func TestCorruptLatestFallsBackToPrevious(t *testing.T) {
	r := newRestartRig(t)
	m := r.start()
	db, _ := alerting.NewMatcher(alerting.MatchEqual, "igmon.check.name", "wallet-db")
	id, err := m.Silences().Add(dispatch.Silence{Matchers: alerting.Matchers{db}, EndsAt: alT0.Add(time.Hour), CreatedBy: "ops", Comment: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r.stop(m)
	m = r.start()
	if _, err := m.Silences().Add(dispatch.Silence{Matchers: alerting.Matchers{db}, EndsAt: alT0.Add(time.Hour), CreatedBy: "ops", Comment: "y"}); err != nil {
		t.Fatal(err)
	}
	r.stop(m) // silences.prev holds one silence, silences two
	path := filepath.Join(r.dir, "silences")
	if err := os.Truncate(path, 20); err != nil {
		t.Fatal(err)
	}
	m = r.start()
	if got := m.Silences().List(); len(got) != 1 || got[0].ID != id {
		t.Fatalf("silences from the previous snapshot: %+v", got)
	}
	r.stop(m)
}

// The dashboard's history is part of the durable state: what was recorded
// before a restart is there after it, and the long ranges are offered.
func TestHistorySurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	m, err := New(quiet, WithoutSystemMetrics(), WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Checks().Register("wallet-db", func(context.Context) error { return errors.New("connection refused") }); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(ctx, checks.Readiness)
	for range 3 {
		if err := m.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before, err := m.history.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(before), "wallet-db") {
		t.Fatal("nothing recorded before the restart")
	}
	if err := m.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	m2, err := New(quiet, WithoutSystemMetrics(), WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Shutdown(ctx)
	// gob writes maps in no fixed order: compare what the page reads.
	want, err := m.history.query(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m2.history.query(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Printed, since an empty point is NaN and NaN != NaN.
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatal("history after the restart differs from before it")
	}
	h, err := m2.history.query(30 * 24 * time.Hour)
	if err != nil || !h.Durable {
		t.Fatalf("30 d range with a data dir: durable=%v err=%v", h.Durable, err)
	}
}
