package probes

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jackcode/igmon/internal/igsemconv"

	"github.com/shirou/gopsutil/v4/cpu"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestHostReportsSemconvMetrics reads the real node: every semconv metric
// is there, in its unit and within its range. CPU utilization needs real
// CPU time to pass; TestHostCPUUtilizationIsEachModesShare pins it with
// counters the test controls, TestCPUMetricsMatchTheCPUThisProcessBurns
// against the kernel.
func TestHostReportsSemconvMetrics(t *testing.T) {
	mp, rd := testMeter(t)
	h, err := Host(mp, WithMinInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	rm := collect(t, rd)

	if n := mustValue(t, rm, "system.cpu.logical.count"); n < 1 {
		t.Errorf("system.cpu.logical.count = %v", n)
	}
	for _, m := range cpuModes {
		if v := mustValue(t, rm, "system.cpu.time", attribute.String("cpu.mode", m)); v < 0 {
			t.Errorf("system.cpu.time %s = %v", m, v)
		}
	}
	limit := mustValue(t, rm, "system.memory.limit")
	used := mustValue(t, rm, "system.memory.usage", attribute.String("system.memory.state", "used"))
	if used <= 0 || used >= limit {
		t.Errorf("memory used %v, limit %v", used, limit)
	}
	if u := mustValue(t, rm, "system.memory.utilization", attribute.String("system.memory.state", "used")); u <= 0 || u >= 1 {
		t.Errorf("memory utilization %v", u)
	}
	if up := mustValue(t, rm, "system.uptime"); up <= 0 {
		t.Errorf("uptime %v", up)
	}
	mustValue(t, rm, igsemconv.MetricLoadAverage1m)
	mustValue(t, rm, "system.network.io", attribute.String("network.interface.name", "lo"), attribute.String("network.io.direction", "receive"))
	mustValue(t, rm, "system.network.packet.count", attribute.String("network.interface.name", "lo"))
	for _, dir := range []string{"receive", "transmit"} {
		lo := []attribute.KeyValue{attribute.String("network.interface.name", "lo"), attribute.String("network.io.direction", dir)}
		mustValue(t, rm, "system.network.io", lo...)
		if v := mustValue(t, rm, "system.network.errors", lo...); v < 0 {
			t.Errorf("system.network.errors %s = %v", dir, v)
		}
		if v := mustValue(t, rm, "system.network.packet.dropped", lo...); v < 0 {
			t.Errorf("system.network.packet.dropped %s = %v", dir, v)
		}
	}
	fsUsed := mustValue(t, rm, "system.filesystem.usage", attribute.String("system.filesystem.mountpoint", "/"), attribute.String("system.filesystem.state", "used"))
	fsLimit := mustValue(t, rm, "system.filesystem.limit", attribute.String("system.filesystem.mountpoint", "/"))
	if fsUsed <= 0 || fsUsed > fsLimit {
		t.Errorf("filesystem used %v of %v", fsUsed, fsLimit)
	}
	// Utilization is the used share of the limit (within a collection's
	// rounding; other processes write to the disk too).
	fsUtil := mustValue(t, rm, "system.filesystem.utilization", attribute.String("system.filesystem.mountpoint", "/"), attribute.String("system.filesystem.state", "used"))
	if want := fsUsed / fsLimit; fsUtil < want-0.01 || fsUtil > want+0.01 {
		t.Errorf("filesystem utilization %v, want about %v (used/limit)", fsUtil, want)
	}

	m, _ := findMetric(rm, "system.cpu.time")
	if m.Unit != "s" {
		t.Errorf("system.cpu.time unit %q", m.Unit)
	}
	if s, ok := m.Data.(metricdata.Sum[float64]); !ok || !s.IsMonotonic {
		t.Errorf("system.cpu.time is %T, want a monotonic sum", m.Data)
	}
}

// TestHostCPUUtilizationIsEachModesShare: system.cpu.utilization is each
// mode's share of the CPU time that passed between two reads at least
// minUtilWindow apart. A read sooner keeps the older baseline, so the next
// utilization still spans the whole window.
func TestHostCPUUtilizationIsEachModesShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		now := cpu.TimesStat{User: 100, System: 50, Idle: 1000, Iowait: 10}
		advance := func(d cpu.TimesStat) {
			mu.Lock()
			defer mu.Unlock()
			now.User += d.User
			now.System += d.System
			now.Idle += d.Idle
			now.Iowait += d.Iowait
			now.Irq += d.Irq
			now.Softirq += d.Softirq
		}
		read := func(context.Context) (cpu.TimesStat, error) {
			mu.Lock()
			defer mu.Unlock()
			return now, nil
		}
		mp, rd := testMeter(t)
		h, err := Host(mp, WithMinInterval(0), WithFilesystems(), withCPUTimes(read))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		util := func(rm *metricdata.ResourceMetrics, mode string) (float64, bool) {
			p, ok := value(rm, "system.cpu.utilization", attribute.String("cpu.mode", mode))
			return p.value, ok
		}

		// Within the window of the baseline Host took: no utilization yet.
		time.Sleep(minUtilWindow / 2)
		advance(cpu.TimesStat{User: 1})
		if v, ok := util(collect(t, rd), "user"); ok {
			t.Fatalf("utilization %v over %v, shorter than the %v window", v, minUtilWindow/2, minUtilWindow)
		}
		// 4s of CPU time since the baseline: user 1+0.6, system 0.4,
		// idle 1.6, iowait 0.2, interrupt (irq+softirq) 0.2.
		time.Sleep(minUtilWindow / 2)
		advance(cpu.TimesStat{User: 0.6, System: 0.4, Idle: 1.6, Iowait: 0.2, Irq: 0.1, Softirq: 0.1})
		rm := collect(t, rd)
		want := map[string]float64{"user": 0.4, "system": 0.1, "nice": 0, "idle": 0.4, "iowait": 0.05, "interrupt": 0.05, "steal": 0}
		var sum float64
		for _, mode := range cpuModes {
			v, ok := util(rm, mode)
			if !ok || math.Abs(v-want[mode]) > 1e-9 {
				t.Errorf("utilization %s = %v (reported %v), want %v", mode, v, ok, want[mode])
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Errorf("utilization over all modes sums to %v, want 1", sum)
		}
		// The time counters are the counters, in seconds.
		if v := mustValue(t, rm, "system.cpu.time", attribute.String("cpu.mode", "user")); math.Abs(v-101.6) > 1e-9 {
			t.Errorf("system.cpu.time user = %v, want 101.6", v)
		}
	})
}

func TestHostConcurrentReadersShareOneRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r1, r2 := sdkmetric.NewManualReader(), sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r1), sdkmetric.WithReader(r2))
		defer mp.Shutdown(context.Background())
		h, err := Host(mp, WithMinInterval(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()

		var wg sync.WaitGroup
		for _, rd := range []*sdkmetric.ManualReader{r1, r2} {
			wg.Go(func() { collect(t, rd) })
		}
		wg.Wait()
		if n := h.(*hostProbe).sampler.readCount(); n != 1 {
			t.Fatalf("two concurrent collections made %d host reads, want 1", n)
		}
		collect(t, r1) // same cycle, later: still cached
		if n := h.(*hostProbe).sampler.readCount(); n != 1 {
			t.Fatalf("a collection within the min interval re-read the host (%d reads)", n)
		}
		time.Sleep(2 * time.Second) // the bubble's clock: instant
		collect(t, r2)
		if n := h.(*hostProbe).sampler.readCount(); n != 2 {
			t.Fatalf("after the min interval: %d reads, want 2", n)
		}
	})
}

func TestHostLoopbackTrafficRaisesNetworkIO(t *testing.T) {
	mp, rd := testMeter(t)
	h, err := Host(mp, WithMinInterval(0), WithInterfaces("lo"), WithFilesystems())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo := attribute.String("network.interface.name", "lo")
	rx := attribute.String("network.io.direction", "receive")
	before := collect(t, rd)
	if _, ok := value(before, "system.network.io", lo, rx); !ok {
		t.Skip("no loopback interface named lo on this system")
	}
	if pts := points(before, "system.network.io"); len(pts) != 2 {
		t.Errorf("WithInterfaces(lo): %d network.io points, want 2 (rx, tx)", len(pts))
	}
	rx0 := mustValue(t, before, "system.network.io", lo, rx)

	const n = 8 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int64)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- 0
			return
		}
		got, _ := io.Copy(io.Discard, c)
		c.Close()
		done <- got
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for sent := 0; sent < n; sent += len(buf) {
		if _, err := c.Write(buf); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	if got := <-done; got != n {
		t.Fatalf("server received %d bytes, want %d", got, n)
	}
	ln.Close()

	after := collect(t, rd)
	if d := mustValue(t, after, "system.network.io", lo, rx) - rx0; d < n {
		t.Errorf("lo received bytes rose by %.0f after sending %d over loopback", d, n)
	}
}

func TestHostCloseUnregisters(t *testing.T) {
	mp, rd := testMeter(t)
	h, err := Host(mp, WithFilesystems())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if pts := points(collect(t, rd), "system.cpu.time"); len(pts) != 0 {
		t.Errorf("after Close: %d system.cpu.time points", len(pts))
	}
}

// TestCollectorOptionErrorsNameTheOption: a bad value, an option given to
// a collector it does not apply to, and a single-valued option given twice
// each fail the constructor with errInvalidOption naming the option.
func TestCollectorOptionErrorsNameTheOption(t *testing.T) {
	type ctor func(metric.MeterProvider, ...CollectorOption) (io.Closer, error)
	tests := []struct {
		name string
		make ctor
		opts []CollectorOption
		want string
	}{
		{"negative min interval", Host, []CollectorOption{WithMinInterval(-time.Second)}, "min interval: -1s must not be negative"},
		{"empty cgroup dir", Cgroup, []CollectorOption{withCgroupDir("")}, "cgroup dir: must not be empty"},
		{"zero read timeout", Process, []CollectorOption{WithReadTimeout(0)}, "read timeout: 0s must be positive"},
		{"host option on process", Process, []CollectorOption{WithFilesystems("/")}, "filesystems: applies only to probes.Host, not probes.Process"},
		{"host option on cgroup", Cgroup, []CollectorOption{WithInterfaces("eth0")}, "interfaces: applies only to probes.Host, not probes.Cgroup"},
		{"read timeout on cgroup", Cgroup, []CollectorOption{WithReadTimeout(time.Second)}, "read timeout: applies only to probes.Host and probes.Process, not probes.Cgroup"},
		{"cgroup option on host", Host, []CollectorOption{withCgroupDir("/x")}, "cgroup dir: applies only to probes.Cgroup, not probes.Host"},
		{"min interval twice", Process, []CollectorOption{WithMinInterval(time.Second), WithMinInterval(0)}, "min interval: given twice"},
		{"filesystems twice", Host, []CollectorOption{WithFilesystems("/"), WithFilesystems()}, "filesystems: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.make(nil, tt.opts...)
			if err == nil {
				c.Close()
				t.Fatal("constructor accepted the options")
			}
			if !errors.Is(err, errInvalidOption) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q: want errInvalidOption containing %q", err, tt.want)
			}
		})
	}
	if _, err := Host(nil, WithFilesystems("/definitely/not/here")); err == nil {
		t.Error("Host accepted a file system path that does not exist")
	}
}
