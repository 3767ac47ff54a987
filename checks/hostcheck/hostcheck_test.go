package hostcheck

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/internal/checkstest"
)

func TestDiskFree(t *testing.T) {
	dir := t.TempDir()
	u, err := disk.Usage(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opts   []checks.DiskOption
		status checks.Status
	}{
		{"above both levels", []checks.DiskOption{WithFreeBytes(1, 0)}, checks.StatusPass},
		{"below warn", []checks.DiskOption{WithFreeBytes(u.Total*2, 0)}, checks.StatusWarn},
		{"below fail", []checks.DiskOption{WithFreeBytes(u.Total*2, u.Total*2)}, checks.StatusFail},
		{"percent below warn", []checks.DiskOption{WithFreePercent(100, 0)}, checks.StatusWarn},
		{"percent below fail", []checks.DiskOption{WithFreePercent(100, 100)}, checks.StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DiskFree(dir, tt.opts...)
			o := checkstest.RunOnce(t, checkstest.Built(t, c, err))
			if tt.status == checks.StatusPass {
				checkstest.WantOutcome(t, o, checks.StatusPass, nil)
			} else {
				checkstest.WantOutcome(t, o, tt.status, checks.ErrThresholdExceeded)
			}
			if o.Observation == nil || o.Observation.Measurement != "freeBytes" || o.Observation.Unit != "By" || o.Observation.Value <= 0 {
				t.Errorf("observation = %+v, want freeBytes > 0", o.Observation)
			}
			if o.Details["totalBytes"] != strconv.FormatUint(u.Total, 10) {
				t.Errorf("totalBytes = %q, want %d", o.Details["totalBytes"], u.Total)
			}
		})
	}
}

func TestMemory(t *testing.T) {
	const huge = 1 << 50
	tests := []struct {
		name   string
		opts   []checks.MemoryOption
		status checks.Status
		meas   string
	}{
		{"rss under limits", []checks.MemoryOption{WithRSSLimit(huge, huge)}, checks.StatusPass, "rssBytes"},
		{"rss above warn", []checks.MemoryOption{WithRSSLimit(1, huge)}, checks.StatusWarn, "rssBytes"},
		{"rss above fail", []checks.MemoryOption{WithRSSLimit(0, 1)}, checks.StatusFail, "rssBytes"},
		{"heap under", []checks.MemoryOption{WithHeapLimit(huge, 0)}, checks.StatusPass, "heapBytes"},
		{"heap above fail", []checks.MemoryOption{WithHeapLimit(0, 1)}, checks.StatusFail, "heapBytes"},
		{"fail beats warn", []checks.MemoryOption{WithHeapLimit(1, huge), WithRSSLimit(0, 1)}, checks.StatusFail, "rssBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Memory(tt.opts...)
			o := checkstest.RunOnce(t, checkstest.Built(t, c, err))
			if tt.status == checks.StatusPass {
				checkstest.WantOutcome(t, o, checks.StatusPass, nil)
			} else {
				checkstest.WantOutcome(t, o, tt.status, checks.ErrThresholdExceeded)
			}
			if o.Observation == nil || o.Observation.Measurement != tt.meas || o.Observation.Value <= 0 {
				t.Errorf("observation = %+v, want %s > 0", o.Observation, tt.meas)
			}
		})
	}
}

func TestConstructorErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func() (*checks.Check, error)
		want  string
	}{
		{"disk empty", func() (*checks.Check, error) { return DiskFree("") }, "path: must not be empty"},
		{"disk missing", func() (*checks.Check, error) { return DiskFree("/does/not/exist/igmon") }, "path:"},
		{"disk bytes order", func() (*checks.Check, error) { return DiskFree("/", WithFreeBytes(1, 2)) }, "wrong order"},
		{"disk pct order", func() (*checks.Check, error) { return DiskFree("/", WithFreePercent(5, 10)) }, "wrong order"},
		{"disk pct range", func() (*checks.Check, error) { return DiskFree("/", WithFreePercent(150, 10)) }, "[0, 100]"},
		{"memory none", func() (*checks.Check, error) { return Memory() }, "set WithRSSLimit or WithHeapLimit"},
		{"memory order", func() (*checks.Check, error) { return Memory(WithHeapLimit(2, 1)) }, "wrong order"},
		{"memory zero", func() (*checks.Check, error) { return Memory(WithRSSLimit(0, 0)) }, "at least one"},
		// A misplaced option (WithLatencyWarn, a DiskFree option given to
		// Memory, a hostcheck option given to a checks constructor) does
		// not compile: each constructor takes its own option type.
		{"common option validated", func() (*checks.Check, error) { return DiskFree("/", checks.WithTimeout(0)) }, "timeout"},
		{"bad name", func() (*checks.Check, error) { return DiskFree("/", checks.WithName("a b")) }, `"a b": name`},
		{"disk option twice", func() (*checks.Check, error) {
			return DiskFree("/", WithFreePercent(10, 5), WithFreePercent(20, 5))
		}, "WithFreePercent: given twice"},
		{"memory option twice", func() (*checks.Check, error) {
			return Memory(WithHeapLimit(0, 1), WithHeapLimit(0, 2))
		}, "WithHeapLimit: given twice"},
		{"name twice", func() (*checks.Check, error) {
			return DiskFree("/", checks.WithName("a"), checks.WithName("b"))
		}, "WithName: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			if err == nil || c != nil {
				t.Fatalf("got (%v, %v), want an error containing %q", c, err, tt.want)
			}
			if !errors.Is(err, checks.ErrInvalidCheck) {
				t.Errorf("error %v does not wrap ErrInvalidCheck", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name     string
		build    func() (*checks.Check, error)
		wantName string
	}{
		{"disk root", func() (*checks.Check, error) { return DiskFree("/") }, "disk"},
		{"disk tmp", func() (*checks.Check, error) { return DiskFree("/tmp") }, "disk-tmp"},
		{"disk renamed", func() (*checks.Check, error) { return DiskFree("/", checks.WithName("data-disk")) }, "data-disk"},
		{"memory", func() (*checks.Check, error) { return Memory(WithHeapLimit(0, 1<<40)) }, "memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.build()
			c = checkstest.Built(t, c, err)
			if c.Name() != tt.wantName {
				t.Errorf("name = %q, want %q", c.Name(), tt.wantName)
			}
			if checkstest.SettingsOf(c).ComponentType != "system" {
				t.Errorf("component = %q, want system", checkstest.SettingsOf(c).ComponentType)
			}
		})
	}
}
