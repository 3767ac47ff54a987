package probes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackcode/igmon/internal/igsemconv"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCgroupReportsLimits(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"cgroup.controllers": "cpu memory\n",
		"cpu.max":            "150000 100000\n",
		"memory.max":         "536870912\n",
		"memory.current":     "123456789\n",
		"cpu.stat":           "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
	})
	mp, rd := testMeter(t)
	c, err := Cgroup(mp, withCgroupDir(dir), WithMinInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.(*cgroupProbe).available() {
		t.Fatal("not available with an explicit dir")
	}
	rm := collect(t, rd)
	if v := mustValue(t, rm, igsemconv.MetricContainerCPULimit); v != 1.5 {
		t.Errorf("cpu limit = %v, want 1.5", v)
	}
	if v := mustValue(t, rm, igsemconv.MetricContainerMemoryLimit); v != 536870912 {
		t.Errorf("memory limit = %v", v)
	}
	if v := mustValue(t, rm, "container.memory.usage"); v != 123456789 {
		t.Errorf("memory usage = %v", v)
	}
	if v := mustValue(t, rm, "container.cpu.time"); v != 2.5 {
		t.Errorf("cpu time = %v, want 2.5", v)
	}

	// Lifting the limits removes the points rather than reporting 0.
	writeFiles(t, dir, map[string]string{"cpu.max": "max 100000\n", "memory.max": "max\n"})
	rm = collect(t, rd)
	if _, ok := value(rm, igsemconv.MetricContainerCPULimit); ok {
		t.Error("cpu limit reported for cpu.max = max")
	}
	if _, ok := value(rm, igsemconv.MetricContainerMemoryLimit); ok {
		t.Error("memory limit reported for memory.max = max")
	}
}

func TestFindCgroupDir(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"cgroup.controllers":                   "cpu\n",
		"kubepods/pod1/ctr/cgroup.controllers": "cpu\n",
		"proc-nested":                          "0::/kubepods/pod1/ctr\n",
		"proc-ns":                              "0::/\n",
		"proc-v1":                              "4:memory:/x\n1:cpu:/\n",
		"proc-gone":                            "0::/not/there\n",
	})
	tests := []struct{ proc, want string }{
		{"proc-nested", filepath.Join(root, "kubepods/pod1/ctr")},
		{"proc-ns", root},
		{"proc-v1", root},
		{"proc-gone", root},
	}
	for _, tt := range tests {
		if got := findCgroupDir(filepath.Join(root, tt.proc), root); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.proc, got, tt.want)
		}
	}
	if got := findCgroupDir(filepath.Join(root, "proc-ns"), t.TempDir()); got != "" {
		t.Errorf("no cgroup.controllers: got %q, want none", got)
	}
}

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"max 100000\n", 0, false},
		{"max\n", 0, false},
		{"50000 100000\n", 0.5, false},
		{"200000 100000", 2, false},
		{"100000", 1, false},
		{"", 0, true},
		{"1 0", 0, true},
		{"x 100000", 0, true},
		{"1 2 3", 0, true},
		{"-5 100000", 0, true},
	}
	for _, tt := range tests {
		got, err := parseCPUMax([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseCPUMax(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseMemoryMax(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"max\n", 0, false},
		{"1073741824\n", 1 << 30, false},
		{"", 0, true},
		{"-1", 0, true},
		{"1G", 0, true},
	}
	for _, tt := range tests {
		got, err := parseMemoryMax([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseMemoryMax(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseCPUMax(f *testing.F) {
	for _, s := range []string{"max 100000", "50000 100000", "", "1 0", "18446744073709551615 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseCPUMax(b)
		if err == nil && (v < 0 || v != v) {
			t.Fatalf("parseCPUMax(%q) = %v", b, v)
		}
	})
}

func FuzzParseMemoryMax(f *testing.F) {
	for _, s := range []string{"max", "1073741824", "-1", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := parseMemoryMax(b); err == nil && v < 0 {
			t.Fatalf("parseMemoryMax(%q) = %v", b, v)
		}
	})
}

func FuzzParseProcCgroup(f *testing.F) {
	for _, s := range []string{"0::/\n", "0::/a/b\n", "1:cpu:/\n0::/x", "0::../../etc", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, ok := parseProcCgroup(b)
		if ok && (p == "" || p[0] != '/' || strings.Contains(p, "..")) {
			t.Fatalf("parseProcCgroup(%q) = %q: must be absolute and stay under the root", b, p)
		}
	})
}
