package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/shirou/gopsutil/v4/process"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// processProbe reports this process's CPU time and utilization, memory,
// threads, open file descriptors and uptime. Inside a container these are
// the pod's (or the container's) own figures, unlike the system.* metrics.
type processProbe struct {
	reg     metric.Registration
	sampler *sampler[*processSample]
	cfg     collectorConfig
	proc    *process.Process
	start   time.Time
	ncpu    float64

	cpuTime, cpuUtil, uptime             metric.Float64Observable
	memUsage, memVirtual, threads, files metric.Int64Observable

	user, system metric.ObserveOption

	prevMu    sync.Mutex
	prevUser  float64
	prevSys   float64
	prevAt    time.Time
	prevValid bool
}

type processSample struct {
	user, system         float64
	cpuOK                bool
	utilUser, utilSystem float64
	utilOK               bool
	rss, vms             uint64
	memOK                bool
	threads              int32
	threadsOK            bool
	fds                  int32
	fdsOK                bool
}

// Process registers the process metrics on mp (nil means a no-op
// provider). Close the returned probe to unregister them.
func Process(mp metric.MeterProvider, opts ...CollectorOption) (io.Closer, error) {
	cfg, err := newCollectorConfig(collectorProcess, opts)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.readTimeout)
	defer cancel()
	proc, err := process.NewProcessWithContext(ctx, int32(os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	p := &processProbe{
		cfg:    cfg,
		proc:   proc,
		ncpu:   float64(runtime.NumCPU()),
		user:   set(attribute.NewSet(attribute.String("cpu.mode", "user"))),
		system: set(attribute.NewSet(attribute.String("cpu.mode", "system"))),
		start:  time.Now(),
	}
	if ms, err := proc.CreateTimeWithContext(ctx); err == nil {
		p.start = time.UnixMilli(ms)
	}
	m := meterFrom(mp)
	var errs []error
	f64 := func(i metric.Float64Observable, err error) metric.Float64Observable {
		errs = append(errs, err)
		return i
	}
	i64 := func(i metric.Int64Observable, err error) metric.Int64Observable {
		errs = append(errs, err)
		return i
	}
	p.cpuTime = f64(m.Float64ObservableCounter("process.cpu.time", metric.WithUnit("s"),
		metric.WithDescription("Total CPU seconds broken down by different CPU modes.")))
	p.cpuUtil = f64(m.Float64ObservableGauge("process.cpu.utilization", metric.WithUnit("1"),
		metric.WithDescription("CPU time since the previous sample divided by the elapsed time and the number of CPUs.")))
	p.uptime = f64(m.Float64ObservableGauge("process.uptime", metric.WithUnit("s"),
		metric.WithDescription("The time the process has been running.")))
	p.memUsage = i64(m.Int64ObservableUpDownCounter("process.memory.usage", metric.WithUnit("By"),
		metric.WithDescription("The amount of physical memory in use.")))
	p.memVirtual = i64(m.Int64ObservableUpDownCounter("process.memory.virtual", metric.WithUnit("By"),
		metric.WithDescription("The amount of committed virtual memory.")))
	p.threads = i64(m.Int64ObservableUpDownCounter("process.thread.count", metric.WithUnit("{thread}"),
		metric.WithDescription("Process threads count.")))
	p.files = i64(m.Int64ObservableUpDownCounter("process.unix.file_descriptor.count", metric.WithUnit("{file_descriptor}"),
		metric.WithDescription("Number of unix file descriptors in use by the process.")))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	p.sampler = newSampler(cfg.minInterval, p.read)
	p.readCPU(ctx) // baseline for the first utilization
	reg, err := m.RegisterCallback(p.observe, p.cpuTime, p.cpuUtil, p.uptime, p.memUsage, p.memVirtual, p.threads, p.files)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	p.reg = reg
	return p, nil
}

// Close unregisters the process metrics. It is safe to call more than once.
func (p *processProbe) Close() error {
	if p == nil || p.reg == nil {
		return nil
	}
	err := p.reg.Unregister()
	p.reg = nil
	return err
}

func (p *processProbe) readCPU(ctx context.Context) (user, sys, uu, us float64, ok, utilOK bool) {
	t, err := p.proc.TimesWithContext(ctx)
	if err != nil {
		return 0, 0, 0, 0, false, false
	}
	now := time.Now()
	p.prevMu.Lock()
	defer p.prevMu.Unlock()
	if p.prevValid {
		elapsed := now.Sub(p.prevAt)
		if elapsed < minUtilWindow {
			// CPU time ticks in 10ms steps: over a shorter window the
			// ratio is noise. Keep the older baseline.
			return t.User, t.System, 0, 0, true, false
		}
		wall := elapsed.Seconds() * p.ncpu
		uu = max(0, t.User-p.prevUser) / wall
		us = max(0, t.System-p.prevSys) / wall
		utilOK = true
	}
	p.prevUser, p.prevSys, p.prevAt, p.prevValid = t.User, t.System, now, true
	return t.User, t.System, uu, us, true, utilOK
}

func (p *processProbe) read(ctx context.Context) *processSample {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.readTimeout)
	defer cancel()
	s := &processSample{}
	s.user, s.system, s.utilUser, s.utilSystem, s.cpuOK, s.utilOK = p.readCPU(ctx)
	if mi, err := p.proc.MemoryInfoWithContext(ctx); err == nil {
		s.rss, s.vms, s.memOK = mi.RSS, mi.VMS, true
	}
	if n, err := p.proc.NumThreadsWithContext(ctx); err == nil {
		s.threads, s.threadsOK = n, true
	}
	if n, err := p.proc.NumFDsWithContext(ctx); err == nil {
		s.fds, s.fdsOK = n, true
	}
	return s
}

func (p *processProbe) observe(ctx context.Context, o metric.Observer) error {
	s := p.sampler.get(ctx)
	o.ObserveFloat64(p.uptime, time.Since(p.start).Seconds())
	if s.cpuOK {
		o.ObserveFloat64(p.cpuTime, s.user, p.user)
		o.ObserveFloat64(p.cpuTime, s.system, p.system)
	}
	if s.utilOK {
		o.ObserveFloat64(p.cpuUtil, s.utilUser, p.user)
		o.ObserveFloat64(p.cpuUtil, s.utilSystem, p.system)
	}
	if s.memOK {
		o.ObserveInt64(p.memUsage, int64(s.rss))
		o.ObserveInt64(p.memVirtual, int64(s.vms))
	}
	if s.threadsOK {
		o.ObserveInt64(p.threads, int64(s.threads))
	}
	if s.fdsOK {
		o.ObserveInt64(p.files, int64(s.fds))
	}
	return nil
}
