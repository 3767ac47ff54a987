package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
	"github.com/jackcode/igmon/alerting/internal/opts"
	"github.com/jackcode/igmon/internal/clock"
)

// httpNotifier posts the notification as JSON and classifies the answer
// like every HTTP notifier (HTTPStatusError).
type httpNotifier struct{ url string }

func (h httpNotifier) Notify(ctx context.Context, n *Notification) error {
	b, err := json.Marshal(n)
	if err != nil {
		return deliveryerr.Permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(b))
	if err != nil {
		return deliveryerr.Permanent(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return deliveryerr.HTTPStatusError("test", resp, "", time.Now())
	}
	return nil
}

// flakyReceiver is a real HTTP receiver that answers 503 while down and
// records what it accepts once it is up.
type flakyReceiver struct {
	srv  *httptest.Server
	up   atomic.Bool
	mu   sync.Mutex
	got  []Notification
	down int
}

func newFlakyReceiver(t *testing.T) *flakyReceiver {
	f := &flakyReceiver{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("receiver: %v", err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if !f.up.Load() {
			f.down++
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		f.got = append(f.got, n)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *flakyReceiver) take() []Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.got
	f.got = nil
	return g
}

// heard is the last state in which the receiver heard of each alert id.
func heard(into map[string]alerting.State, ns []Notification) {
	for _, n := range ns {
		for _, a := range n.Alerts {
			into[a.Labels["group"]+"/"+a.Labels["id"]] = a.State
		}
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// queueAlert is alert id ("g1/a") of group g1.
func queueAlert(id string) alerting.Alert {
	g, name, _ := strings.Cut(id, "/")
	return firing("Queue", map[string]string{"group": g, "id": name})
}

// TestQueueWhileReceiverDown fills a receiver's queue while the receiver
// answers 503, then brings it back: it must hear the newest state of
// every group that was not dropped, every resolve, and (after the repeat
// interval) the firing groups that were dropped. Notification 0 (group
// g0) is in flight the whole time, waiting between retries.
func TestQueueWhileReceiverDown(t *testing.T) {
	type step struct{ fire, resolve []string }
	tests := []struct {
		name          string
		queueSize     int
		repeat        time.Duration
		steps         []step
		wantDropped   int64
		wantCoalesced int64
		wantLost      []string // groups whose firing state waits for the repeat
	}{
		{
			name: "groups within capacity coalesce", queueSize: 3, repeat: time.Hour,
			steps: []step{
				{fire: []string{"g1/a", "g2/a", "g3/a"}},
				{resolve: []string{"g1/a"}, fire: []string{"g2/b"}}, // g1, g2 coalesce
				{resolve: []string{"g2/a", "g3/a"}},                 // g2, g3 coalesce
				{fire: []string{"g1/a"}},                            // fires again: g1 coalesces
			},
			wantCoalesced: 5,
		},
		{
			name: "full queue drops firing before resolves", queueSize: 2, repeat: time.Hour,
			steps: []step{
				{fire: []string{"g1/a", "g2/a"}},
				{resolve: []string{"g1/a"}}, // coalesces into g1
				{fire: []string{"g3/a"}},    // drops g2's firing, the oldest firing-only
				{resolve: []string{"g3/a"}}, // coalesces into g3
				{fire: []string{"g4/a"}},    // queue holds two resolves: g4 itself is dropped
			},
			wantDropped: 2, wantCoalesced: 2, wantLost: []string{"g2", "g4"},
		},
		{
			name: "repeat reminders are dropped first", queueSize: 2, repeat: 2 * time.Minute,
			steps: []step{
				{fire: []string{"g1/a"}},
				{},                       // g0 repeats (its first notification is in flight)
				{fire: []string{"g2/a"}}, // g1's repeat coalesces into its new; g2 drops g0's repeat
			},
			wantDropped: 1, wantCoalesced: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newFlakyReceiver(t)
			var logs lockedBuffer
			clk := clock.NewFake(t0)
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
			// The worker waits here between attempts until the receiver
			// is back: the queue is only touched by the test meanwhile.
			waiting, back := make(chan struct{}, 1), make(chan struct{})
			wait := func(ctx context.Context, _ time.Duration) error {
				select {
				case waiting <- struct{}{}:
				default:
				}
				select {
				case <-back:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			d, err := New(withClock(clk), alerting.WithMeterProvider(mp), withRetryWait(wait),
				alerting.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
				WithReceiver(Receiver{Name: "oncall", Notifier: httpNotifier{rcv.srv.URL}, QueueSize: tt.queueSize}),
				WithRoute(Route{Receivers: []string{"oncall"}, GroupBy: []string{"group"},
					GroupWait: time.Minute, GroupInterval: time.Minute, RepeatInterval: tt.repeat}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = d.Close() })
			final := map[string]alerting.State{}
			apply := func(s step) {
				var batch []alerting.Alert
				for _, id := range s.fire {
					batch = append(batch, queueAlert(id))
					final[id] = alerting.StateFiring
				}
				for _, id := range s.resolve {
					batch = append(batch, resolved(queueAlert(id)))
					final[id] = alerting.StateResolved
				}
				d.Receive(batch)
				clk.Advance(time.Minute)
				d.tick()
			}
			apply(step{fire: []string{"g0/a"}})
			select {
			case <-waiting:
			case <-time.After(30 * time.Second):
				t.Fatal("first delivery never reached its retry wait")
			}
			for _, s := range tt.steps {
				apply(s)
			}

			rcv.up.Store(true)
			close(back)
			flush := func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := d.Flush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			flush()
			got := map[string]alerting.State{}
			heard(got, rcv.take())
			for id, want := range final {
				lost := slices.Contains(tt.wantLost, strings.Split(id, "/")[0])
				switch {
				case want == alerting.StateResolved && got[id] != alerting.StateResolved:
					t.Errorf("%s resolved, but the receiver last heard %v", id, got[id])
				case want == alerting.StateFiring && !lost && got[id] != alerting.StateFiring:
					t.Errorf("%s firing, but the receiver last heard %v", id, got[id])
				case lost && got[id] != alerting.StateInactive:
					t.Errorf("%s: want its dropped notification lost until the repeat, heard %v", id, got[id])
				}
			}
			c := notificationCounts(t, reader)
			if c["oncall/dropped"] != tt.wantDropped || c["oncall/coalesced"] != tt.wantCoalesced || c["oncall/failed"] != 0 {
				t.Errorf("counts %v, want dropped=%d coalesced=%d failed=0", c, tt.wantDropped, tt.wantCoalesced)
			}
			if n := strings.Count(logs.String(), "alert notification dropped"); int64(n) != tt.wantDropped {
				t.Errorf("%d drop log lines, want %d:\n%s", n, tt.wantDropped, logs.String())
			}

			// The repeat interval re-sends every firing group, including
			// those whose notification was dropped; resolves stay heard.
			clk.Advance(tt.repeat)
			d.tick()
			flush()
			heard(got, rcv.take())
			for id, want := range final {
				if got[id] != want {
					t.Errorf("after the repeat: %s is %v, the receiver last heard %v", id, want, got[id])
				}
			}
		})
	}
}

func TestCoalesce(t *testing.T) {
	a, b, c := queueAlert("g/a"), queueAlert("g/b"), queueAlert("g/c")
	note := func(reason string, alerts ...alerting.Alert) *Notification {
		n := &Notification{GroupKey: "g", Reason: reason, Status: "firing", Alerts: alerts}
		if countState(n, alerting.StateFiring) == 0 {
			n.Status = "resolved"
		}
		return n
	}
	tests := []struct {
		name          string
		older, newer  *Notification
		want          map[string]alerting.State
		status, cause string
	}{
		{"newer state wins", note("new", a), note("changed", a, b),
			map[string]alerting.State{"a": alerting.StateFiring, "b": alerting.StateFiring}, "firing", "new"},
		{"resolve replaces firing", note("new", a, b), note("changed", b, resolved(a)),
			map[string]alerting.State{"a": alerting.StateResolved, "b": alerting.StateFiring}, "firing", "new"},
		{"older resolve is carried", note("changed", resolved(a), b), note("changed", b, c),
			map[string]alerting.State{"a": alerting.StateResolved, "b": alerting.StateFiring, "c": alerting.StateFiring}, "firing", "changed"},
		{"repeat carrying a resolve is a change", note("changed", resolved(a), b), note("repeat", b),
			map[string]alerting.State{"a": alerting.StateResolved, "b": alerting.StateFiring}, "firing", "changed"},
		{"two repeats stay a repeat", note("repeat", b), note("repeat", b),
			map[string]alerting.State{"b": alerting.StateFiring}, "firing", "repeat"},
		{"fired again after a queued resolve", note("resolved", resolved(a)), note("new", a),
			map[string]alerting.State{"a": alerting.StateFiring}, "firing", "new"},
		{"all resolved", note("changed", resolved(a), b), note("resolved", resolved(b)),
			map[string]alerting.State{"a": alerting.StateResolved, "b": alerting.StateResolved}, "resolved", "resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			olderAlerts, newerAlerts := slices.Clone(tt.older.Alerts), slices.Clone(tt.newer.Alerts)
			m := coalesce(tt.older, tt.newer)
			got := map[string]alerting.State{}
			for _, x := range m.Alerts {
				got[x.Labels["id"]] = x.State
			}
			if len(got) != len(m.Alerts) || !mapsEqual(got, tt.want) {
				t.Errorf("alerts %v, want %v", got, tt.want)
			}
			if m.Status != tt.status || m.Reason != tt.cause {
				t.Errorf("status %s reason %s, want %s %s", m.Status, m.Reason, tt.status, tt.cause)
			}
			if sorted := slices.Clone(m.Alerts); len(m.Alerts) > len(tt.newer.Alerts) {
				sortAlerts(sorted)
				if !slices.EqualFunc(sorted, m.Alerts, sameAlert) {
					t.Errorf("merged alerts unsorted: %v", m.Alerts)
				}
			}
			// Receivers of one flush share Alerts: inputs stay as they were.
			if !slices.EqualFunc(olderAlerts, tt.older.Alerts, sameAlert) || !slices.EqualFunc(newerAlerts, tt.newer.Alerts, sameAlert) {
				t.Error("coalesce modified its inputs")
			}
		})
	}
}

func sameAlert(x, y alerting.Alert) bool { return x.Fingerprint == y.Fingerprint && x.State == y.State }

func mapsEqual(a, b map[string]alerting.State) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestDropVictim(t *testing.T) {
	a := queueAlert("g/a")
	repeat := &Notification{Reason: "repeat", Alerts: []alerting.Alert{a}}
	fire := &Notification{Reason: "new", Alerts: []alerting.Alert{a}}
	res := &Notification{Reason: "resolved", Alerts: []alerting.Alert{resolved(a)}}
	mixed := &Notification{Reason: "changed", Alerts: []alerting.Alert{a, resolved(queueAlert("g/b"))}}
	tests := []struct {
		name     string
		queue    []*Notification
		incoming *Notification
		want     int // len(queue): the incoming one
	}{
		{"repeat before firing", []*Notification{fire, repeat, fire}, fire, 1},
		{"oldest of a class", []*Notification{res, fire, fire}, fire, 1},
		{"firing before a resolve", []*Notification{res, mixed, fire}, res, 2},
		{"incoming repeat goes first", []*Notification{fire, fire}, repeat, 2},
		{"all resolves: incoming firing dropped", []*Notification{res, mixed}, fire, 2},
		{"all resolves: oldest resolve dropped", []*Notification{res, mixed}, res, 0},
	}
	for _, tt := range tests {
		if got := dropVictim(tt.queue, tt.incoming); got != tt.want {
			t.Errorf("%s: dropVictim = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// BenchmarkEnqueue compares the queue's three paths for a receiver that
// is down (nothing is dequeued) against a plain append (the baseline):
// coalescing scans the queue for the group, dropping scans it for the
// victim and logs.
func BenchmarkEnqueue(b *testing.B) {
	const size = 256
	notes := make([]*Notification, size)
	for i := range notes {
		a := queueAlert(fmt.Sprintf("g%d/a", i))
		notes[i] = &Notification{GroupKey: a.Labels["group"], Reason: "new", Alerts: []alerting.Alert{a}}
	}
	newW := func(b *testing.B) *worker {
		inst, err := newDispatchInstruments(noop.NewMeterProvider(), []Receiver{{Name: "down"}})
		if err != nil {
			b.Fatal(err)
		}
		return &worker{rcv: Receiver{Name: "down", QueueSize: size}, inst: inst,
			cfg: &config{Config: opts.Config{Logger: slog.New(slog.DiscardHandler)}}, wake: make(chan struct{}, 1)}
	}
	fill := func(w *worker) {
		w.queue = w.queue[:0]
		for _, n := range notes[:size] {
			w.queue = append(w.queue, n)
		}
	}
	b.Run("append", func(b *testing.B) { // baseline: the queue has room
		w := newW(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if i%size == 0 {
				w.queue = w.queue[:0]
			}
			w.enqueue(notes[i%size])
			i++
		}
	})
	b.Run("coalesce_last", func(b *testing.B) { // the group waits at the end
		w := newW(b)
		fill(w)
		b.ReportAllocs()
		for b.Loop() {
			w.enqueue(notes[size-1])
		}
	})
	b.Run("drop", func(b *testing.B) { // a full queue of other groups
		// 2×size groups in turn: each was dropped before it comes back.
		others := make([]*Notification, 2*size)
		for i := range others {
			a := queueAlert(fmt.Sprintf("d%d/a", i))
			others[i] = &Notification{GroupKey: a.Labels["group"], Reason: "new", Alerts: []alerting.Alert{a}}
		}
		w := newW(b)
		fill(w)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			w.enqueue(others[i%len(others)])
			i++
		}
	})
}
