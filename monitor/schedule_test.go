package monitor

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/internal/buildinfo"
)

// syncBuffer is written by the exporter's goroutine and read by the test.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed by the next write; nil when nobody waits
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor returns once the buffer holds substr, or ctx's error: a signal
// from the writer, not a poll.
func (s *syncBuffer) waitFor(ctx context.Context, substr string) error {
	for {
		s.mu.Lock()
		if strings.Contains(s.b.String(), substr) {
			s.mu.Unlock()
			return nil
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("no %q written: %w", substr, ctx.Err())
		}
	}
}

func scopeOf(rm metricdata.ResourceMetrics, name string) (string, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return sm.Scope.Name, true
			}
		}
	}
	return "", false
}

// TestMonitorEmitsScheduleDuration: the Monitor puts the runtime producer
// on the readers it builds (in-process and push) with the system metrics,
// and leaves it off with them.
func TestMonitorEmitsScheduleDuration(t *testing.T) {
	out := &syncBuffer{}
	exp, err := exporters.Stdout(exporters.WithWriter(out), exporters.WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(quiet, WithExporters(exp))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := m.Metrics().Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if scope, ok := scopeOf(rm, "go.schedule.duration"); !ok || scope != buildinfo.ModulePath+"/probes" {
		t.Errorf("in-process: go.schedule.duration found=%v in scope %q, want scope %q", ok, scope, buildinfo.ModulePath+"/probes")
	}
	// Shutdown flushes the push exporter once.
	if err := m.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"go.schedule.duration"`) {
		t.Error("the push exporter did not receive go.schedule.duration")
	}

	off, err := New(quiet, WithoutSystemMetrics(), WithExporters())
	if err != nil {
		t.Fatal(err)
	}
	defer off.Shutdown(context.Background())
	rm, err = off.Metrics().Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := scopeOf(rm, "go.schedule.duration"); ok {
		t.Error("WithoutSystemMetrics still emits go.schedule.duration")
	}
}
