package probes

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackcode/igmon/checks"
)

// eventually polls cond for up to 10s: generous for a loaded machine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunnerBoundsConcurrency(t *testing.T) {
	// Concurrency is the runner's, so it is counted from the client's
	// side: runs started (a request reached the server) minus runs
	// recorded (a run is recorded before its slot is freed). Counting
	// handlers still running on the server would over-count: a handler
	// notices the client's timeout a moment after the client moved on.
	var started, inFlight, peak atomic.Int32
	var ps []*Probe
	var psReady atomic.Bool
	recorded := func() int32 {
		var n int
		for _, p := range ps {
			n += len(p.Results())
		}
		return int32(n)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		defer inFlight.Add(-1)
		if psReady.Load() {
			n := started.Add(1) - recorded()
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()

	rn, err := NewRunner(WithConcurrency(2))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		p, err := HTTP(nil, n, srv.URL, WithInterval(50*time.Millisecond), WithTimeout(50*time.Millisecond), WithJitter(0), WithHistory(10000))
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	psReady.Store(true)
	if err := rn.Add(ps...); err != nil {
		t.Fatal(err)
	}
	if err := rn.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two probes in flight", func() bool { return inFlight.Load() >= 2 })
	eventually(t, "every probe to have run", func() bool {
		for _, p := range ps {
			if _, ok := p.Last(); !ok {
				return false
			}
		}
		return true
	})
	rn.Stop()
	close(release)
	if p := peak.Load(); p > 2 {
		t.Errorf("peak concurrency %d with WithConcurrency(2)", p)
	}
	for _, p := range ps {
		if r, _ := p.Last(); r.Reason != ReasonTimeout {
			t.Errorf("%s: reason %q, want timeout from the hung server", p.Name(), r.Reason)
		}
		p.Close()
	}
	if err := rn.Add(ps[0]); !errors.Is(err, ErrRunnerStopped) {
		t.Errorf("Add after Stop: %v", err)
	}
	if err := rn.Start(context.Background()); !errors.Is(err, ErrRunnerStopped) {
		t.Errorf("Start after Stop: %v", err)
	}
}

func TestRunnerRunsRepeatedlyAndStopsCleanly(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	rn, _ := NewRunner()
	p, _ := HTTP(nil, "psp", srv.URL, WithInterval(20*time.Millisecond), WithTimeout(10*time.Millisecond))
	defer p.Close()
	rn.Start(context.Background())
	rn.Add(p) // added after Start: starts at once
	// Wait for recorded runs, not server hits: Stop cancels a run in
	// flight, and a cancelled run is (rightly) not recorded.
	eventually(t, "three recorded runs", func() bool { return len(p.Results()) >= 3 })
	rn.Stop()
	if n := hits.Load(); n < 3 {
		t.Errorf("%d server hits for %d recorded runs", n, len(p.Results()))
	}
	after := len(p.Results())
	time.Sleep(50 * time.Millisecond) // not a timing assertion: nothing may run after Stop
	if got := len(p.Results()); got != after {
		t.Errorf("%d runs recorded after Stop", got-after)
	}
	// goleak in TestMain checks that Stop left no goroutine behind.
}

func TestProbeScheduledOnce(t *testing.T) {
	p, _ := TCP(nil, "once", "127.0.0.1:1")
	rn, _ := NewRunner()
	defer rn.Stop()
	if err := rn.Add(p); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Check(); !errors.Is(err, ErrScheduled) {
		t.Errorf("Check of a runner's probe: %v, want ErrScheduled", err)
	}
	q, _ := TCP(nil, "twice", "127.0.0.1:1")
	if _, err := q.Check(); err != nil {
		t.Fatal(err)
	}
	if err := rn.Add(q); !errors.Is(err, ErrScheduled) {
		t.Errorf("Add of a check's probe: %v, want ErrScheduled", err)
	}
	if _, err := NewRunner(WithConcurrency(0)); err == nil {
		t.Error("NewRunner accepted concurrency 0")
	}
}

func TestProbeCheckThresholds(t *testing.T) {
	var mu sync.Mutex
	code := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(code)
	}))
	defer srv.Close()
	setCode := func(c int) { mu.Lock(); code = c; mu.Unlock() }

	p, err := HTTP(nil, "psp-check", srv.URL, WithInterval(time.Hour), WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := p.Check(checks.WithThresholds(2, 1), checks.WithCritical(true))
	if err != nil {
		t.Fatal(err)
	}
	if c.Interval() != time.Hour || c.Timeout() < 2*time.Second || !c.Critical() {
		t.Errorf("check interval %v timeout %v critical %v", c.Interval(), c.Timeout(), c.Critical())
	}
	o := c.Run(context.Background())
	if o.Status != checks.StatusPass || o.Observation == nil || o.Observation.Unit != "ms" {
		t.Fatalf("passing run: %+v", o)
	}
	setCode(http.StatusBadGateway)
	o = c.Run(context.Background())
	var pe *ProbeError
	if o.Status != checks.StatusFail || !errors.As(o.Err, &pe) || pe.Reason != ReasonHTTPStatus {
		t.Fatalf("failing run: %+v", o)
	}
	if o.Details["statusCode"] != "502" || o.Details["failureReason"] != "http_status" {
		t.Errorf("details %v", o.Details)
	}
	if pe.ErrorType() != "http_status" {
		t.Errorf("ErrorType %q", pe.ErrorType())
	}

	// In a registry the thresholds apply to the probe's runs.
	reg, err := checks.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := HTTP(nil, "psp-reg", srv.URL, WithInterval(time.Hour), WithTimeout(2*time.Second))
	defer p2.Close()
	c2, _ := p2.Check(checks.WithThresholds(2, 1), checks.WithCritical(true))
	if err := reg.Add(c2); err != nil {
		t.Fatal(err)
	}
	if err := reg.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the registry to run the probe", func() bool {
		r, ok := reg.Result("psp-reg")
		return ok && !r.Time.IsZero()
	})
	reg.Stop()
	res, _ := reg.Result("psp-reg")
	if res.ConsecutiveFailures != 1 || res.Details["failureReason"] != "http_status" {
		t.Errorf("registry result after one failed run: %v, %d failures, details %v", res.Status, res.ConsecutiveFailures, res.Details)
	}
	if got := len(p2.Results()); got != 1 {
		t.Errorf("registry runs are not in the probe history (%d)", got)
	}
}
