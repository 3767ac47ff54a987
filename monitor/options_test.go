package monitor

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/failover"
	"github.com/jackcode/igmon/instrument"
)

// TestSingleValuedOptionGivenTwiceFailsNamingIt: an option that sets one
// value would silently replace the first one of its kind, so New refuses
// the second, naming it. (A misplaced option, such as a DashboardOption
// given to New, does not compile.)
func TestSingleValuedOptionGivenTwiceFailsNamingIt(t *testing.T) {
	mp := noop.NewMeterProvider()
	ip, err := exporters.NewInProcess()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tests := []struct {
		name string
		opts []Option
	}{
		{"WithServiceName", []Option{WithServiceName("a"), WithServiceName("b")}},
		{"WithServiceVersion", []Option{WithServiceVersion("1"), WithServiceVersion("2")}},
		{"WithEnvironment", []Option{WithEnvironment("prod"), WithEnvironment("staging")}},
		{"WithInstanceID", []Option{WithInstanceID("a"), WithInstanceID("b")}},
		{"WithMeterProvider", []Option{WithMeterProvider(mp), WithMeterProvider(mp)}},
		{"WithLogger", []Option{quiet, quiet}},
		{"WithAuthorizer", []Option{WithAuthorizer(nil), WithAuthorizer(nil)}},
		{"WithEventCapacity", []Option{WithEventCapacity(10), WithEventCapacity(20)}},
		{"WithCardinalityLimit", []Option{WithCardinalityLimit(10), WithCardinalityLimit(20)}},
		{"WithInProcess", []Option{WithInProcess(ip), WithInProcess(ip)}},
		{"WithDataDir", []Option{WithDataDir(dir), WithDataDir(dir)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := "monitor: option " + tt.name + ": given twice"
			m, err := New(tt.opts...)
			if m != nil {
				_ = m.Shutdown(context.Background())
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want one containing %q", err, want)
			}
		})
	}
	if _, err := os.Stat(dir + "/LOCK"); err == nil {
		t.Error("a refused New locked the data directory")
	}
}

// TestDashboardOptionGivenTwiceFailsNamingIt: the same for Dashboard.
func TestDashboardOptionGivenTwiceFailsNamingIt(t *testing.T) {
	m, err := New(quiet, WithExporters())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	tests := []struct {
		name string
		opts []DashboardOption
	}{
		{"WithDashboardTitle", []DashboardOption{WithDashboardTitle("a"), WithDashboardTitle("b")}},
		{"WithDashboardRefresh", []DashboardOption{WithDashboardRefresh(time.Second), WithDashboardRefresh(2 * time.Second)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.name + ": given twice"
			if h, err := m.Dashboard(tt.opts...); h != nil || err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got (%v, %v), want an error containing %q", h, err, want)
			}
		})
	}
}

// TestFailoverRefusesTheOptionsTheMonitorSets: a group's meter provider
// and listener are the Monitor's; giving one is refused, naming it, rather
// than replacing the Monitor's (or being called "given twice").
func TestFailoverRefusesTheOptionsTheMonitorSets(t *testing.T) {
	m, err := New(quiet, WithExporters())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	stripe := mustDep(t, m, instrument.KindPayment, "stripe")
	tests := []struct {
		name string
		opt  failover.Option
	}{
		{"WithMeterProvider", failover.WithMeterProvider(noop.NewMeterProvider())},
		{"WithListener", failover.WithListener(func(failover.Change) {})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := "option " + tt.name + ": not for a Monitor's group"
			if g, err := m.Failover("deposits", []*instrument.Dependency{stripe}, tt.opt); g != nil || err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got (%v, %v), want an error containing %q", g, err, want)
			}
		})
	}
	if _, err := m.Failover("deposits", []*instrument.Dependency{stripe}, failover.WithBreaker(failover.Breaker{})); err != nil {
		t.Fatalf("a group with the caller's own breaker: %v", err)
	}
}

// TestErrorsOfComposedPackagesHaveOnePrefix: what the Monitor builds with
// instrument or failover fails with their error, which already says where
// ("instrument: dependency ...": not "monitor: instrument: ...").
func TestErrorsOfComposedPackagesHaveOnePrefix(t *testing.T) {
	m, err := New(quiet, WithExporters())
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(context.Background())
	stripe := mustDep(t, m, instrument.KindPayment, "stripe")
	_, depErr := m.Dependency(instrument.KindPayment, "adyen", instrument.WithMeterProvider(noop.NewMeterProvider()))
	_, mwErr := m.Middleware(nil)
	_, foErr := m.Failover("deposits", []*instrument.Dependency{stripe}, failover.WithListener(nil))
	tests := []struct {
		name   string
		err    error
		prefix string
	}{
		{"Dependency", depErr, "instrument: "},
		{"Middleware", mwErr, "instrument: "},
		{"Failover", foErr, "failover: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || !strings.HasPrefix(tt.err.Error(), tt.prefix) || strings.Contains(tt.err.Error(), "monitor: ") {
				t.Fatalf("err = %v, want one starting %q", tt.err, tt.prefix)
			}
		})
	}
}
