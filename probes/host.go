package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// cpuModes are the semconv cpu.mode values, in the order of cpuTimes.
var cpuModes = [...]string{"user", "system", "nice", "idle", "iowait", "interrupt", "steal"}

const nModes = len(cpuModes)

// cpuTimes maps gopsutil's counters onto cpuModes. irq and softirq are both
// "interrupt"; guest time is already inside user on Linux.
func cpuTimes(t cpu.TimesStat) [nModes]float64 {
	return [nModes]float64{t.User, t.System, t.Nice, t.Idle, t.Iowait, t.Irq + t.Softirq, t.Steal}
}

// systemCPUTimes reads the node's CPU counters summed over all CPUs.
func systemCPUTimes(ctx context.Context) (cpu.TimesStat, error) {
	ts, err := cpu.TimesWithContext(ctx, false)
	if err != nil {
		return cpu.TimesStat{}, err
	}
	if len(ts) == 0 {
		return cpu.TimesStat{}, errors.New("no cpu times")
	}
	return ts[0], nil
}

// minUtilWindow is the shortest window over which CPU utilization is
// computed.
const minUtilWindow = 100 * time.Millisecond

var memStates = [...]string{"used", "free", "cached", "buffers"}

// hostProbe reports the node's CPU, memory, uptime, network, file-system
// and load metrics. Inside a container these describe the node, not the
// pod: see [Process] and [Cgroup] for the pod's own figures.
type hostProbe struct {
	reg     metric.Registration
	sampler *sampler[*hostSample]
	cfg     collectorConfig

	cpuTime, cpuUtil, memUtil, uptime, fsUtil metric.Float64Observable
	load1, load5, load15                      metric.Float64Observable
	cpuCount, memUsage, memLimit, fsUsage     metric.Int64Observable
	fsLimit, netIO, netErr, netPkt, netDrop   metric.Int64Observable

	modeOpts  [nModes]metric.ObserveOption
	memOpts   [len(memStates)]metric.ObserveOption
	logical   int64
	bootTime  time.Time
	fs        []filesystem
	ifMu      sync.Mutex
	ifaces    map[string]*ifaceOpts
	prevMu    sync.Mutex
	prevCPU   [nModes]float64
	prevAt    time.Time
	prevValid bool
}

type ifaceOpts struct {
	rx, tx metric.ObserveOption
}

type filesystem struct {
	path                 string
	used, free, reserved metric.ObserveOption
	base                 metric.ObserveOption
}

// hostSample is one read of the system. Fields whose read failed are left
// at their zero value and flagged; the other parts are still reported.
type hostSample struct {
	cpu    [nModes]float64
	cpuOK  bool
	util   [nModes]float64
	utilOK bool
	mem    mem.VirtualMemoryStat
	memOK  bool
	load   load.AvgStat
	loadOK bool
	nets   []net.IOCountersStat
	fs     []disk.UsageStat
	fsOK   []bool
}

// Host registers the host metrics on mp (nil means a no-op provider). Close
// the returned probe to unregister them.
func Host(mp metric.MeterProvider, opts ...CollectorOption) (io.Closer, error) {
	cfg, err := newCollectorConfig(collectorHost, opts)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	h := &hostProbe{cfg: cfg, ifaces: make(map[string]*ifaceOpts)}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.readTimeout)
	defer cancel()
	for i, m := range cpuModes {
		h.modeOpts[i] = set(attribute.NewSet(attribute.String("cpu.mode", m)))
	}
	for i, s := range memStates {
		h.memOpts[i] = set(attribute.NewSet(attribute.String("system.memory.state", s)))
	}
	if n, err := cpu.CountsWithContext(ctx, true); err == nil && n > 0 {
		h.logical = int64(n)
	} else {
		h.logical = int64(runtime.NumCPU())
	}
	if bt, err := host.BootTimeWithContext(ctx); err == nil {
		h.bootTime = time.Unix(int64(bt), 0)
	}
	paths := cfg.filesystems
	if !cfg.fsSet {
		paths = []string{"/"}
		if wd, err := os.Getwd(); err == nil {
			paths = append(paths, wd)
		}
	}
	if h.fs, err = resolveFilesystems(ctx, paths); err != nil {
		return nil, fmt.Errorf("host: filesystems: %w", err)
	}
	h.sampler = newSampler(cfg.minInterval, h.read)
	if err := h.register(meterFrom(mp)); err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	// A first read gives system.cpu.utilization a baseline, so the first
	// collection already has a utilization over a meaningful interval.
	h.readCPU(ctx)
	return h, nil
}

func (h *hostProbe) register(m metric.Meter) error {
	var errs []error
	f64c := func(name, unit, desc string) metric.Float64Observable {
		i, err := m.Float64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	f64g := func(name, unit, desc string) metric.Float64Observable {
		i, err := m.Float64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	i64c := func(name, unit, desc string) metric.Int64Observable {
		i, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	i64u := func(name, unit, desc string) metric.Int64Observable {
		i, err := m.Int64ObservableUpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return i
	}
	h.cpuTime = f64c("system.cpu.time", "s", "Seconds each logical CPU spent on each mode, summed over CPUs.")
	h.cpuUtil = f64g("system.cpu.utilization", "1", "Share of CPU time spent in each mode since the previous sample, over all CPUs.")
	h.cpuCount = i64u("system.cpu.logical.count", "{cpu}", "Number of logical CPUs.")
	h.memUsage = i64u("system.memory.usage", "By", "Reports memory in use by state.")
	h.memUtil = f64g("system.memory.utilization", "1", "Share of memory in each state.")
	h.memLimit = i64u("system.memory.limit", "By", "Total memory available in the system.")
	h.uptime = f64g("system.uptime", "s", "The time the system has been running.")
	h.netIO = i64c("system.network.io", "By", "Bytes transmitted and received.")
	h.netErr = i64c("system.network.errors", "{error}", "Count of network errors detected.")
	h.netPkt = i64c("system.network.packet.count", "{packet}", "Count of packets transferred.")
	h.netDrop = i64c("system.network.packet.dropped", "{packet}", "Count of packets dropped.")
	h.fsUsage = i64u("system.filesystem.usage", "By", "Reports a file system's space usage across states.")
	h.fsUtil = f64g("system.filesystem.utilization", "1", "Share of a file system's space in use.")
	h.fsLimit = i64u("system.filesystem.limit", "By", "The total storage capacity of the file system.")
	h.load1 = f64g(igsemconv.MetricLoadAverage1m, "{thread}", "Run-queue length averaged over 1 minute.")
	h.load5 = f64g(igsemconv.MetricLoadAverage5m, "{thread}", "Run-queue length averaged over 5 minutes.")
	h.load15 = f64g(igsemconv.MetricLoadAverage15m, "{thread}", "Run-queue length averaged over 15 minutes.")
	if err := errors.Join(errs...); err != nil {
		return err
	}
	reg, err := m.RegisterCallback(h.observe,
		h.cpuTime, h.cpuUtil, h.cpuCount, h.memUsage, h.memUtil, h.memLimit, h.uptime,
		h.netIO, h.netErr, h.netPkt, h.netDrop, h.fsUsage, h.fsUtil, h.fsLimit,
		h.load1, h.load5, h.load15)
	if err != nil {
		return err
	}
	h.reg = reg
	return nil
}

// Close unregisters the host metrics. It is safe to call more than once.
func (h *hostProbe) Close() error {
	if h == nil || h.reg == nil {
		return nil
	}
	err := h.reg.Unregister()
	h.reg = nil
	return err
}

// readCPU reads the CPU counters and turns the change since the previous
// read into utilization. Deltas over the total CPU time (not wall time) stay
// correct when CPUs are hot-plugged or the process was paused.
func (h *hostProbe) readCPU(ctx context.Context) (cur, util [nModes]float64, ok, utilOK bool) {
	read := h.cfg.cpuTimes
	if read == nil {
		read = systemCPUTimes
	}
	t, err := read(ctx)
	if err != nil {
		return cur, util, false, false
	}
	cur = cpuTimes(t)
	now := time.Now()
	h.prevMu.Lock()
	defer h.prevMu.Unlock()
	if h.prevValid && now.Sub(h.prevAt) < minUtilWindow {
		// CPU time ticks in 10ms steps: over a shorter window the ratio
		// is noise. Keep the older baseline.
		return cur, util, true, false
	}
	if h.prevValid {
		var total float64
		var d [nModes]float64
		for i := range cur {
			d[i] = cur[i] - h.prevCPU[i]
			if d[i] < 0 {
				d[i] = 0 // counter reset (e.g. CPU offlined)
			}
			total += d[i]
		}
		if total > 0 {
			for i := range d {
				util[i] = d[i] / total
			}
			utilOK = true
		}
	}
	if !utilOK && h.prevValid {
		return cur, util, true, false // too soon to tell: keep the older baseline
	}
	h.prevCPU, h.prevAt, h.prevValid = cur, now, true
	return cur, util, true, utilOK
}

func (h *hostProbe) read(ctx context.Context) *hostSample {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.readTimeout)
	defer cancel()
	s := &hostSample{}
	s.cpu, s.util, s.cpuOK, s.utilOK = h.readCPU(ctx)
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		s.mem, s.memOK = *vm, true
	}
	if l, err := load.AvgWithContext(ctx); err == nil {
		s.load, s.loadOK = *l, true
	}
	if n, err := net.IOCountersWithContext(ctx, true); err == nil {
		s.nets = n
	}
	if len(h.fs) > 0 {
		s.fs = make([]disk.UsageStat, len(h.fs))
		s.fsOK = make([]bool, len(h.fs))
		for i, f := range h.fs {
			if u, err := disk.UsageWithContext(ctx, f.path); err == nil {
				s.fs[i], s.fsOK[i] = *u, true
			}
		}
	}
	return s
}

func (h *hostProbe) observe(ctx context.Context, o metric.Observer) error {
	s := h.sampler.get(ctx)
	o.ObserveInt64(h.cpuCount, h.logical)
	if !h.bootTime.IsZero() {
		o.ObserveFloat64(h.uptime, time.Since(h.bootTime).Seconds())
	}
	if s.cpuOK {
		for i := range s.cpu {
			o.ObserveFloat64(h.cpuTime, s.cpu[i], h.modeOpts[i])
		}
	}
	if s.utilOK {
		for i := range s.util {
			o.ObserveFloat64(h.cpuUtil, s.util[i], h.modeOpts[i])
		}
	}
	if s.memOK && s.mem.Total > 0 {
		vals := [len(memStates)]uint64{s.mem.Used, s.mem.Free, s.mem.Cached, s.mem.Buffers}
		total := float64(s.mem.Total)
		for i, v := range vals {
			o.ObserveInt64(h.memUsage, int64(v), h.memOpts[i])
			o.ObserveFloat64(h.memUtil, float64(v)/total, h.memOpts[i])
		}
		o.ObserveInt64(h.memLimit, int64(s.mem.Total))
	}
	if s.loadOK {
		o.ObserveFloat64(h.load1, s.load.Load1)
		o.ObserveFloat64(h.load5, s.load.Load5)
		o.ObserveFloat64(h.load15, s.load.Load15)
	}
	for i := range s.nets {
		n := &s.nets[i]
		if h.cfg.interfaces != nil && !h.cfg.interfaces[n.Name] {
			continue
		}
		a := h.ifaceAttrs(n.Name)
		o.ObserveInt64(h.netIO, int64(n.BytesRecv), a.rx)
		o.ObserveInt64(h.netIO, int64(n.BytesSent), a.tx)
		o.ObserveInt64(h.netPkt, int64(n.PacketsRecv), a.rx)
		o.ObserveInt64(h.netPkt, int64(n.PacketsSent), a.tx)
		o.ObserveInt64(h.netErr, int64(n.Errin), a.rx)
		o.ObserveInt64(h.netErr, int64(n.Errout), a.tx)
		o.ObserveInt64(h.netDrop, int64(n.Dropin), a.rx)
		o.ObserveInt64(h.netDrop, int64(n.Dropout), a.tx)
	}
	for i, f := range h.fs {
		if !s.fsOK[i] || s.fs[i].Total == 0 {
			continue
		}
		u := &s.fs[i]
		reserved := int64(u.Total) - int64(u.Used) - int64(u.Free)
		if reserved < 0 {
			reserved = 0
		}
		o.ObserveInt64(h.fsUsage, int64(u.Used), f.used)
		o.ObserveInt64(h.fsUsage, int64(u.Free), f.free)
		o.ObserveInt64(h.fsUsage, reserved, f.reserved)
		o.ObserveFloat64(h.fsUtil, float64(u.Used)/float64(u.Total), f.used)
		o.ObserveInt64(h.fsLimit, int64(u.Total), f.base)
	}
	return nil
}

// ifaceAttrs returns the attribute sets of an interface, built on first
// sight so that later collections allocate none.
func (h *hostProbe) ifaceAttrs(name string) *ifaceOpts {
	h.ifMu.Lock()
	defer h.ifMu.Unlock()
	a, ok := h.ifaces[name]
	if !ok {
		n := attribute.String("network.interface.name", name)
		a = &ifaceOpts{
			rx: set(attribute.NewSet(n, attribute.String("network.io.direction", "receive"))),
			tx: set(attribute.NewSet(n, attribute.String("network.io.direction", "transmit"))),
		}
		h.ifaces[name] = a
	}
	return a
}

// resolveFilesystems maps each path to the mount it lives on, dropping
// duplicates, so that "/" and a working directory on the root file system
// are reported once.
func resolveFilesystems(ctx context.Context, paths []string) ([]filesystem, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	parts, err := disk.PartitionsWithContext(ctx, true)
	if err != nil {
		parts = nil // report the paths themselves as mount points
	}
	var out []filesystem
	seen := map[string]bool{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		mount, device, fstype := abs, "", ""
		best := -1
		for _, pt := range parts {
			if within(abs, pt.Mountpoint) && len(pt.Mountpoint) > best {
				best, mount, device, fstype = len(pt.Mountpoint), pt.Mountpoint, pt.Device, pt.Fstype
			}
		}
		if seen[mount] {
			continue
		}
		seen[mount] = true
		base := []attribute.KeyValue{
			attribute.String("system.device", device),
			attribute.String("system.filesystem.mountpoint", mount),
			attribute.String("system.filesystem.type", fstype),
		}
		state := func(s string) metric.ObserveOption {
			return set(attribute.NewSet(append(base[:3:3], attribute.String("system.filesystem.state", s))...))
		}
		out = append(out, filesystem{
			path: mount, used: state("used"), free: state("free"), reserved: state("reserved"),
			base: set(attribute.NewSet(base...)),
		})
	}
	return out, nil
}

func within(path, mount string) bool {
	if mount == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == mount || strings.HasPrefix(path, mount+"/")
}
