package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/tooltest"
)

// amListed is one alert as GET /api/v2/alerts lists it.
type amListed struct {
	Labels alerting.Labels `json:"labels"`
	EndsAt time.Time       `json:"endsAt"`
}

func amAlerts(t *testing.T, url string) []amListed {
	t.Helper()
	resp, err := http.Get(url + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []amListed
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deadPeer is a loopback address nobody listens on.
func deadPeer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func firingAlert(labels alerting.Labels, at time.Time) alerting.Alert {
	return alerting.Alert{Rule: labels[alerting.LabelAlertName], Labels: labels, Fingerprint: labels.Fingerprint(), State: alerting.StateFiring, FiredAt: at, ActiveAt: at}
}

var testResource = map[string]string{"service.name": "casino-api", "deployment.environment.name": "production", "service.instance.id": "pod-1"}

// TestForwardReachesEveryPeerAndKeepsSilencedAlertsAlive posts to a real
// Alertmanager and a dead peer: the dead one delays nothing, the alert
// arrives with the Prometheus label spelling and the service identity,
// and it keeps being re-posted (endsAt moves on) although igmon silences
// it, so the Alertmanager never resolves it falsely.
func TestForwardReachesEveryPeerAndKeepsSilencedAlertsAlive(t *testing.T) {
	url := tooltest.StartAlertmanager(t)
	// A peer that accepts and never answers: its requests hang for the
	// whole Timeout (an hour), which must delay nobody else.
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	d, err := New(alerting.WithResource(testResource),
		WithAlertmanagers(Alertmanagers{URLs: []string{hanging.URL, deadPeer(t), url}, ResendInterval: 300 * time.Millisecond, Timeout: time.Hour,
			SingleReplica: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	l := alerting.Labels{alerting.LabelAlertName: "DependencyErrorRate", "igmon.dependency.name": "stripe", "severity": "page"}
	if _, err := d.Silences().Add(Silence{Matchers: alerting.Matchers{mustMatcher(t, alerting.MatchEqual, "igmon.dependency.name", "stripe")},
		EndsAt: time.Now().Add(time.Hour), CreatedBy: "ops", Comment: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	d.Receive([]alerting.Alert{firingAlert(l, time.Now())})
	var first time.Time
	waitFor(t, "the alert at the live peer", func() bool {
		for _, a := range amAlerts(t, url) {
			want := alerting.Labels{alerting.LabelAlertName: "DependencyErrorRate", "igmon_dependency_name": "stripe", "severity": "page",
				"service": "casino-api", "environment": "production"}
			if a.Labels.String() == want.String() {
				first = a.EndsAt
				return true
			}
			t.Fatalf("labels %v, want %v", a.Labels, want)
		}
		return false
	})
	waitFor(t, "a re-post of the silenced alert", func() bool {
		as := amAlerts(t, url)
		return len(as) == 1 && as[0].EndsAt.After(first)
	})
	resolved := firingAlert(l, time.Now())
	resolved.State, resolved.ResolvedAt = alerting.StateResolved, time.Now()
	d.Receive([]alerting.Alert{resolved})
	waitFor(t, "the resolve", func() bool { return len(amAlerts(t, url)) == 0 })
}

func mustMatcher(t *testing.T, mt alerting.MatchType, name, value string) *alerting.Matcher {
	t.Helper()
	m, err := alerting.NewMatcher(mt, name, value)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// syncBuffer is a log sink safe for the peer goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestForwardClassicModeRefusalIsReported runs a classic-mode
// Alertmanager: dotted names get a 400, which is logged once with the
// label name and counted, and the alert stays in the set (posted again);
// the default spelling is accepted.
func TestForwardClassicModeRefusalIsReported(t *testing.T) {
	url := tooltest.StartAlertmanager(t, "--enable-feature=classic-mode")
	l := alerting.Labels{alerting.LabelAlertName: "DependencyErrorRate", "igmon.dependency.name": "stripe"}
	t.Run("dotted names", func(t *testing.T) {
		var logs syncBuffer
		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
		defer mp.Shutdown(context.Background())
		d, err := New(alerting.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), alerting.WithMeterProvider(mp),
			WithAlertmanagers(Alertmanagers{URLs: []string{url}, ResendInterval: 100 * time.Millisecond, UTF8LabelNames: true}))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.Receive([]alerting.Alert{firingAlert(l, time.Now())})
		waitFor(t, "two refused posts", func() bool { return forwardPosts(t, reader, "rejected") >= 2 })
		if got := strings.Count(logs.String(), "invalid label name"); got != 1 {
			t.Errorf("logged %d times, want once:\n%s", got, logs.String())
		}
		if !strings.Contains(logs.String(), "label=igmon.dependency.name") {
			t.Errorf("the log does not name the label:\n%s", logs.String())
		}
	})
	t.Run("default spelling", func(t *testing.T) {
		d, err := New(WithAlertmanagers(Alertmanagers{URLs: []string{url}}))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.Receive([]alerting.Alert{firingAlert(l, time.Now())})
		waitFor(t, "the alert", func() bool {
			as := amAlerts(t, url)
			return len(as) == 1 && as[0].Labels["igmon_dependency_name"] == "stripe"
		})
	})
}

func forwardPosts(t *testing.T, r *sdkmetric.ManualReader, outcome string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "igmon.alert.forward.requests" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if v, _ := dp.Attributes.Value("igmon.alert.forward.outcome"); v.AsString() == outcome {
					n += dp.Value
				}
			}
		}
	}
	return n
}

func TestWithAlertmanagersRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Alertmanagers
		want string
	}{
		{"no URL", Alertmanagers{}, "URLs is empty"},
		{"not http", Alertmanagers{URLs: []string{"ftp://am"}}, "URLs[0]"},
		{"negative", Alertmanagers{URLs: []string{"http://am"}, Timeout: -1}, "must not be negative"},
	} {
		_, err := New(withClock(clock.NewFake(t0)), WithAlertmanagers(tc.cfg))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSilencesStoredInAlertmanager makes a silence on one replica: it is
// stored in the real Alertmanager under the forwarded label spelling, the
// other replica reads it back and mutes with it, and expiring it on the
// other replica ends it for both.
func TestSilencesStoredInAlertmanager(t *testing.T) {
	url := tooltest.StartAlertmanager(t)
	replica := func() *Dispatcher {
		d, err := New(alerting.WithResource(testResource), WithAlertmanagers(Alertmanagers{URLs: []string{deadPeer(t), url},
			Silences: true, SilenceRefresh: 50 * time.Millisecond, Timeout: 5 * time.Second}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	a, b := replica(), replica()
	l := alerting.Labels{alerting.LabelAlertName: "DependencyErrorRate", "igmon.dependency.name": "stripe"}
	id, err := a.Silences().Add(Silence{Matchers: alerting.Matchers{mustMatcher(t, alerting.MatchEqual, "igmon.dependency.name", "stripe")},
		EndsAt: time.Now().Add(time.Hour), CreatedBy: "ops", Comment: "PSP maintenance"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "/api/v2/silence/" + id)
	if err != nil {
		t.Fatal(err)
	}
	var got amSilenceIn
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || len(got.Matchers) != 1 || got.Matchers[0].Name != "igmon_dependency_name" || got.Status.State != "active" {
		t.Fatalf("Alertmanager has %+v (%v), want the silence on igmon_dependency_name", got, err)
	}
	waitFor(t, "replica b to mute with it", func() bool { sid, ok := b.Silences().mutedBy(l, time.Now()); return ok && sid == id })
	if err := b.Silences().Expire(id, "ops"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replica a to stop muting", func() bool { _, ok := a.Silences().mutedBy(l, time.Now()); return !ok })
}

func TestSilenceStoreDownIsAClearError(t *testing.T) {
	d, err := New(WithAlertmanagers(Alertmanagers{URLs: []string{deadPeer(t)}, Silences: true, Timeout: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Silences().Add(Silence{Matchers: alerting.Matchers{mustMatcher(t, alerting.MatchEqual, "a", "b")},
		EndsAt: time.Now().Add(time.Hour), CreatedBy: "ops", Comment: "x"})
	if !errors.Is(err, errSilenceStore) || !strings.Contains(err.Error(), "no peer answered") {
		t.Fatalf("err = %v, want errSilenceStore naming the cause", err)
	}
	if len(d.Silences().List()) != 0 {
		t.Error("a silence the store refused is listed")
	}
}

// TestFleetAlertFiresWhileAnyReplicaFires runs two replicas against a real
// Alertmanager: the one that resolves first does not resolve the fleet's
// alert while the other still posts it; once neither posts it, it
// resolves by its endsAt.
func TestFleetAlertFiresWhileAnyReplicaFires(t *testing.T) {
	url := tooltest.StartAlertmanager(t)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	replica := func(opts ...Option) *Dispatcher {
		d, err := New(append(opts, alerting.WithResource(testResource),
			WithAlertmanagers(Alertmanagers{URLs: []string{url}, ResendInterval: 200 * time.Millisecond}))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	a, b := replica(alerting.WithMeterProvider(mp)), replica()
	l := alerting.Labels{alerting.LabelAlertName: "DependencyErrorRate", "igmon.dependency.name": "stripe"}
	firing := firingAlert(l, time.Now())
	a.Receive([]alerting.Alert{firing})
	b.Receive([]alerting.Alert{firing})
	waitFor(t, "the alert", func() bool { return len(amAlerts(t, url)) == 1 })
	resolved := firing
	resolved.State, resolved.ResolvedAt = alerting.StateResolved, time.Now()
	before := forwardPosts(t, reader, "sent")
	// a keeps another alert firing, so it goes on posting its set; the
	// resolved alert is not in it.
	other := firingAlert(alerting.Labels{alerting.LabelAlertName: "Other"}, time.Now())
	a.Receive([]alerting.Alert{resolved, other})
	waitFor(t, "replica a posting after its resolve", func() bool { return forwardPosts(t, reader, "sent") >= before+2 })
	if as := amAlerts(t, url); len(as) != 2 {
		t.Fatalf("one replica's resolve resolved the fleet's alert: %v", as)
	}
	b.Receive([]alerting.Alert{resolved})
	waitFor(t, "the resolve by endsAt", func() bool { return len(amAlerts(t, url)) == 1 })
}
