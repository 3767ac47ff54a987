package probes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/jackcode/igmon/internal/buildinfo"
)

// defaultMinInterval is how long a host or process sample is reused. Metric
// readers rarely collect more often than every few seconds; readers that
// collect within the same second share one read of /proc.
const defaultMinInterval = time.Second

// errInvalidOption is wrapped by every error about a bad collector option.
var errInvalidOption = errors.New("probes: invalid option")

// CollectorOption configures the in-process collectors ([Host], [Process],
// [Runtime], [Cgroup]). An option that does not apply to a collector is
// ignored by it.
type CollectorOption interface {
	applyCollector(*collectorConfig)
}

type collectorOptionFunc func(*collectorConfig)

func (f collectorOptionFunc) applyCollector(c *collectorConfig) { f(c) }

type collectorConfig struct {
	minInterval time.Duration
	filesystems []string
	fsSet       bool
	interfaces  map[string]bool
	cgroupDir   string
	procCgroup  string
	readTimeout time.Duration
	// cpuTimes reads the node's CPU counters for [Host]; nil means
	// gopsutil's. Tests replace it to drive utilization exactly.
	cpuTimes func(context.Context) (cpu.TimesStat, error)
	err      error
}

func newCollectorConfig(opts []CollectorOption) (collectorConfig, error) {
	c := collectorConfig{
		minInterval: defaultMinInterval,
		readTimeout: 5 * time.Second,
		cgroupDir:   "",
		procCgroup:  "/proc/self/cgroup",
	}
	for _, o := range opts {
		if o != nil {
			o.applyCollector(&c)
		}
	}
	if c.err != nil {
		return c, fmt.Errorf("%w: %v", errInvalidOption, c.err)
	}
	return c, nil
}

// WithMinInterval sets how long a sample is reused before the system is
// read again (default 1s). Zero disables reuse across
// time; concurrent collections still share one read.
func WithMinInterval(d time.Duration) CollectorOption {
	return collectorOptionFunc(func(c *collectorConfig) {
		c.minInterval = d
		if d < 0 {
			c.err = fmt.Errorf("min interval: %v must not be negative", d)
		}
	})
}

// WithFilesystems selects the paths whose file systems [Host] reports. Each
// path is resolved to its mount point once, at construction. The default is
// the root and the working directory. No paths turns the file-system
// metrics off.
func WithFilesystems(paths ...string) CollectorOption {
	return collectorOptionFunc(func(c *collectorConfig) {
		c.filesystems = append([]string(nil), paths...)
		c.fsSet = true
	})
}

// WithInterfaces restricts [Host]'s network metrics to the named
// interfaces (default: all). Use it on nodes with many virtual interfaces to
// bound the number of series.
func WithInterfaces(names ...string) CollectorOption {
	return collectorOptionFunc(func(c *collectorConfig) {
		c.interfaces = make(map[string]bool, len(names))
		for _, n := range names {
			c.interfaces[n] = true
		}
	})
}

// withCgroupDir makes [Cgroup] read cpu.max, memory.max and memory.current
// from dir instead of the process's own cgroup v2 directory (found through
// /proc/self/cgroup under /sys/fs/cgroup).
func withCgroupDir(dir string) CollectorOption {
	return collectorOptionFunc(func(c *collectorConfig) {
		c.cgroupDir = dir
		if dir == "" {
			c.err = errors.New("cgroup dir: must not be empty")
		}
	})
}

// withCPUTimes makes [Host] read its CPU counters from fn instead of
// /proc/stat, so a test can say exactly how much CPU time passed in each
// mode.
func withCPUTimes(fn func(context.Context) (cpu.TimesStat, error)) CollectorOption {
	return collectorOptionFunc(func(c *collectorConfig) {
		c.cpuTimes = fn
		if fn == nil {
			c.err = errors.New("cpu times: must not be nil")
		}
	})
}

// WithReadTimeout bounds one read of the system (default 5s): gopsutil can
// block on a slow /proc or network file system.
func WithReadTimeout(d time.Duration) CollectorOption {
	return collectorOptionFunc(func(c *collectorConfig) {
		c.readTimeout = d
		if d <= 0 {
			c.err = fmt.Errorf("read timeout: %v must be positive", d)
		}
	})
}

// meterFrom returns the probes meter of mp, or a no-op meter for nil.
func meterFrom(mp metric.MeterProvider) metric.Meter {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	return mp.Meter(scopeName, buildinfo.MeterOptions()...)
}

// set is metric.WithAttributeSet, named for brevity where many are built.
var set = metric.WithAttributeSet
