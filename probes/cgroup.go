package probes

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel/metric"
)

// defaultCgroupRoot is where cgroup v2 is mounted.
const defaultCgroupRoot = "/sys/fs/cgroup"

// cgroupProbe reports the CPU quota, memory limit, memory usage and CPU
// time of the process's cgroup v2, which is the container's in Kubernetes.
type cgroupProbe struct {
	reg     metric.Registration
	dir     string
	sampler *sampler[*cgroupSample]

	cpuLimit, cpuTime  metric.Float64Observable
	memLimit, memUsage metric.Int64Observable
}

type cgroupSample struct {
	cpuLimit   float64 // CPUs; 0 = no quota
	cpuTime    float64 // seconds
	cpuTimeOK  bool
	memLimit   int64 // bytes; 0 = no limit
	memUsage   int64
	memUsageOK bool
}

// Cgroup registers the container metrics on mp (nil means a no-op
// provider). Where no cgroup v2 directory is found (cgroup v1 hosts, macOS,
// Windows) it registers nothing and its Available reports false.
func Cgroup(mp metric.MeterProvider, opts ...CollectorOption) (io.Closer, error) {
	cfg, err := newCollectorConfig(collectorCgroup, opts)
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	dir := cfg.cgroupDir
	if dir == "" {
		dir = findCgroupDir(cfg.procCgroup, defaultCgroupRoot)
	}
	c := &cgroupProbe{dir: dir}
	if dir == "" {
		return c, nil
	}
	m := meterFrom(mp)
	var errs []error
	var e error
	c.cpuLimit, e = m.Float64ObservableGauge(igsemconv.MetricContainerCPULimit, metric.WithUnit("{cpu}"),
		metric.WithDescription("CPU quota of the container's cgroup (cpu.max quota / period); absent when unlimited."))
	errs = append(errs, e)
	c.memLimit, e = m.Int64ObservableUpDownCounter(igsemconv.MetricContainerMemoryLimit, metric.WithUnit("By"),
		metric.WithDescription("Memory limit of the container's cgroup (memory.max); absent when unlimited."))
	errs = append(errs, e)
	c.memUsage, e = m.Int64ObservableCounter("container.memory.usage", metric.WithUnit("By"),
		metric.WithDescription("Memory usage of the container."))
	errs = append(errs, e)
	c.cpuTime, e = m.Float64ObservableCounter("container.cpu.time", metric.WithUnit("s"),
		metric.WithDescription("CPU time consumed."))
	errs = append(errs, e)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	c.sampler = newSampler(cfg.minInterval, func(context.Context) *cgroupSample { return readCgroup(dir) })
	c.reg, err = m.RegisterCallback(c.observe, c.cpuLimit, c.memLimit, c.memUsage, c.cpuTime)
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	return c, nil
}

// Available reports whether a cgroup v2 directory was found.
func (c *cgroupProbe) available() bool { return c.dir != "" }

// Dir returns the cgroup directory read, or "" if none was found.
func (c *cgroupProbe) directory() string { return c.dir }

// Limits returns the CPU quota (in CPUs) and memory limit (in bytes) read
// now; zero means unlimited or unavailable.
func (c *cgroupProbe) limits() (cpus float64, memBytes int64) {
	if c.dir == "" {
		return 0, 0
	}
	s := readCgroup(c.dir)
	return s.cpuLimit, s.memLimit
}

// Close unregisters the container metrics. It is safe to call more than
// once.
func (c *cgroupProbe) Close() error {
	if c == nil || c.reg == nil {
		return nil
	}
	err := c.reg.Unregister()
	c.reg = nil
	return err
}

func (c *cgroupProbe) observe(ctx context.Context, o metric.Observer) error {
	s := c.sampler.get(ctx)
	if s.cpuLimit > 0 {
		o.ObserveFloat64(c.cpuLimit, s.cpuLimit)
	}
	if s.memLimit > 0 {
		o.ObserveInt64(c.memLimit, s.memLimit)
	}
	if s.memUsageOK {
		o.ObserveInt64(c.memUsage, s.memUsage)
	}
	if s.cpuTimeOK {
		o.ObserveFloat64(c.cpuTime, s.cpuTime)
	}
	return nil
}

func readCgroup(dir string) *cgroupSample {
	s := &cgroupSample{}
	if b, err := os.ReadFile(filepath.Join(dir, "cpu.max")); err == nil {
		s.cpuLimit, _ = parseCPUMax(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "memory.max")); err == nil {
		s.memLimit, _ = parseMemoryMax(b)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "memory.current")); err == nil {
		if v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64); err == nil && v >= 0 {
			s.memUsage, s.memUsageOK = v, true
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "cpu.stat")); err == nil {
		if us, ok := parseCPUStatUsage(b); ok {
			s.cpuTime, s.cpuTimeOK = float64(us)/1e6, true
		}
	}
	return s
}

// findCgroupDir returns the process's cgroup v2 directory: the "0::<path>"
// line of procFile under root, or root itself when that path is not
// visible (a cgroup namespace shows the container's cgroup as the root).
func findCgroupDir(procFile, root string) string {
	isV2 := func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "cgroup.controllers"))
		return err == nil
	}
	if b, err := os.ReadFile(procFile); err == nil {
		if p, ok := parseProcCgroup(b); ok {
			d := filepath.Join(root, filepath.FromSlash(p))
			if isV2(d) {
				return d
			}
		}
	}
	if isV2(root) {
		return root
	}
	return ""
}

// parseProcCgroup returns the cgroup v2 path from /proc/self/cgroup.
func parseProcCgroup(b []byte) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			if !strings.HasPrefix(p, "/") || strings.Contains(p, "..") {
				return "", false
			}
			return p, true
		}
	}
	return "", false
}

// parseCPUMax parses cgroup v2 cpu.max ("$MAX $PERIOD", MAX may be "max")
// into a number of CPUs; 0 means no quota.
func parseCPUMax(b []byte) (float64, error) {
	f := strings.Fields(string(b))
	if len(f) == 0 || len(f) > 2 {
		return 0, fmt.Errorf("cpu.max: want \"$MAX [$PERIOD]\", got %q", b)
	}
	if f[0] == "max" {
		return 0, nil
	}
	quota, err := strconv.ParseUint(f[0], 10, 63)
	if err != nil {
		return 0, fmt.Errorf("cpu.max: quota: %w", err)
	}
	period := uint64(100000) // the kernel default when only MAX is written
	if len(f) == 2 {
		if period, err = strconv.ParseUint(f[1], 10, 63); err != nil {
			return 0, fmt.Errorf("cpu.max: period: %w", err)
		}
	}
	if period == 0 {
		return 0, errors.New("cpu.max: period is zero")
	}
	return float64(quota) / float64(period), nil
}

// parseMemoryMax parses cgroup v2 memory.max: bytes, or "max" (0, no
// limit).
func parseMemoryMax(b []byte) (int64, error) {
	s := string(bytes.TrimSpace(b))
	if s == "max" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("memory.max: %q is not a byte count", s)
	}
	return v, nil
}

// parseCPUStatUsage returns usage_usec from cgroup v2 cpu.stat.
func parseCPUStatUsage(b []byte) (uint64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "usage_usec "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
