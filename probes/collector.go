package probes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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

// CollectorOption configures the sampled in-process collectors ([Host],
// [Process], [Cgroup]; [Runtime] has no options). Each option says which
// collectors it applies to; given to another one it fails the constructor
// naming the option and the collector, and a second one of the same option
// fails naming it too, rather than silently replacing the first.
//
// The collectors share this one option type rather than each having its
// own (which would make a misplaced option a compile error, as for the
// synthetic probes): they are built once, at startup, so a misplaced
// option is reported by the first run of the program, and three more
// exported types would buy nothing later.
type CollectorOption interface {
	applyCollector(*collectorConfig)
}

// Collectors, for the applies-to sets of the options and for errors.
const (
	collectorHost    = "Host"
	collectorProcess = "Process"
	collectorCgroup  = "Cgroup"
)

type collectorOption struct {
	name string
	to   []string // the collectors it applies to
	fn   func(*collectorConfig)
}

func (o collectorOption) applyCollector(c *collectorConfig) {
	if !slices.Contains(o.to, c.collector) {
		c.fail(fmt.Errorf("%s: applies only to %s, not probes.%s", o.name, qualified(o.to), c.collector))
		return
	}
	if c.seen[o.name] {
		c.fail(fmt.Errorf("%s: given twice; the second would silently replace the first", o.name))
		return
	}
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	c.seen[o.name] = true
	o.fn(c)
}

// qualified lists collectors as "probes.Host and probes.Process".
func qualified(cs []string) string {
	q := make([]string, len(cs))
	for i, c := range cs {
		q[i] = "probes." + c
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

type collectorConfig struct {
	collector   string // which constructor is being configured
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
	seen     map[string]bool // options already given
	err      error
}

// fail records the first error; later ones are usually consequences.
func (c *collectorConfig) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func newCollectorConfig(collector string, opts []CollectorOption) (collectorConfig, error) {
	c := collectorConfig{
		collector:   collector,
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
// read again (default 1s). Zero disables reuse across time; concurrent
// collections still share one read. Host, Process and Cgroup.
func WithMinInterval(d time.Duration) CollectorOption {
	return collectorOption{name: "min interval", to: []string{collectorHost, collectorProcess, collectorCgroup}, fn: func(c *collectorConfig) {
		c.minInterval = d
		if d < 0 {
			c.fail(fmt.Errorf("min interval: %v must not be negative", d))
		}
	}}
}

// WithFilesystems selects the paths whose file systems [Host] reports. Each
// path is resolved to its mount point once, at construction. The default is
// the root and the working directory. No paths turns the file-system
// metrics off. Host only.
func WithFilesystems(paths ...string) CollectorOption {
	return collectorOption{name: "filesystems", to: []string{collectorHost}, fn: func(c *collectorConfig) {
		c.filesystems = append([]string(nil), paths...)
		c.fsSet = true
	}}
}

// WithInterfaces restricts [Host]'s network metrics to the named
// interfaces (default: all). Use it on nodes with many virtual interfaces to
// bound the number of series. Host only.
func WithInterfaces(names ...string) CollectorOption {
	return collectorOption{name: "interfaces", to: []string{collectorHost}, fn: func(c *collectorConfig) {
		c.interfaces = make(map[string]bool, len(names))
		for _, n := range names {
			c.interfaces[n] = true
		}
	}}
}

// withCgroupDir makes [Cgroup] read cpu.max, memory.max and memory.current
// from dir instead of the process's own cgroup v2 directory (found through
// /proc/self/cgroup under /sys/fs/cgroup).
func withCgroupDir(dir string) CollectorOption {
	return collectorOption{name: "cgroup dir", to: []string{collectorCgroup}, fn: func(c *collectorConfig) {
		c.cgroupDir = dir
		if dir == "" {
			c.fail(errors.New("cgroup dir: must not be empty"))
		}
	}}
}

// withCPUTimes makes [Host] read its CPU counters from fn instead of
// /proc/stat, so a test can say exactly how much CPU time passed in each
// mode.
func withCPUTimes(fn func(context.Context) (cpu.TimesStat, error)) CollectorOption {
	return collectorOption{name: "cpu times", to: []string{collectorHost}, fn: func(c *collectorConfig) {
		c.cpuTimes = fn
		if fn == nil {
			c.fail(errors.New("cpu times: must not be nil"))
		}
	}}
}

// WithReadTimeout bounds one read of the system (default 5s): gopsutil can
// block on a slow /proc or network file system. Host and Process (Cgroup
// reads cgroupfs directly, which does not block).
func WithReadTimeout(d time.Duration) CollectorOption {
	return collectorOption{name: "read timeout", to: []string{collectorHost, collectorProcess}, fn: func(c *collectorConfig) {
		c.readTimeout = d
		if d <= 0 {
			c.fail(fmt.Errorf("read timeout: %v must be positive", d))
		}
	}}
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
