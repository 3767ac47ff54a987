package probes

import (
	"math"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// cpuUsage is CPU time the kernel charged this process, in seconds.
type cpuUsage struct{ user, system float64 }

func (u cpuUsage) total() float64 { return u.user + u.system }

func (u cpuUsage) sub(v cpuUsage) cpuUsage {
	return cpuUsage{u.user - v.user, u.system - v.system}
}

// rusage reads the CPU time this process has consumed, from getrusage:
// the kernel's own account, independent of the /proc/self/stat the
// process probe reads and of how much of the machine others are using.
func rusage(t *testing.T) cpuUsage {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	sec := func(tv syscall.Timeval) float64 { return time.Duration(tv.Nano()).Seconds() }
	return cpuUsage{sec(ru.Utime), sec(ru.Stime)}
}

// burnCPU spins on every P until this process has consumed at least
// target of user CPU time since from, and for at least minWall. It counts
// CPU time, not wall time, so a loaded machine only makes it take longer.
// The spinning goroutines check the goal themselves and close reached when
// it is met: the caller waits on that signal, not on a timer.
func burnCPU(t *testing.T, from cpuUsage, target float64, minWall time.Duration) {
	t.Helper()
	start := time.Now()
	met := func() bool {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return false // the caller's deadline reports it
		}
		user := time.Duration(ru.Utime.Nano()).Seconds() - from.user
		return user >= target && time.Since(start) >= minWall
	}
	stop, reached := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			x := 0
			for {
				select {
				case <-stop:
					_ = x
					return
				default:
					for i := range 1_000_000 {
						x += i
					}
					if met() {
						once.Do(func() { close(reached) })
					}
				}
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	// Generous: even a tenth of one CPU reaches the target well within it.
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	select {
	case <-reached:
	case <-deadline.C:
		t.Fatalf("burned only %.3fs of user CPU in %v", rusage(t).sub(from).user, time.Since(start))
	}
}

// TestCPUMetricsMatchTheCPUThisProcessBurns burns CPU and checks the CPU
// metrics against the CPU time the kernel charged this process over the
// same window, bracketing each collection by getrusage and wall-clock
// readings taken just outside it. Nothing assumes how much CPU the test gets
// per second, so it holds however loaded the machine is; it fails if a
// metric is missing, in the wrong unit (ms, %, ticks) or in the wrong mode.
func TestCPUMetricsMatchTheCPUThisProcessBurns(t *testing.T) {
	// /proc/stat and /proc/self/stat count in 10ms ticks: each per-mode
	// delta may be one tick short or long at either end.
	const tick = 0.01
	const burn = 0.3 // seconds of user CPU to consume

	mp, rd := testMeter(t)
	h, err := Host(mp, WithMinInterval(0), WithFilesystems())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	p, err := Process(mp, WithMinInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	user := attribute.String("cpu.mode", "user")
	system := attribute.String("cpu.mode", "system")

	// Both probes took a baseline at construction; after minUtilWindow the
	// next collection reports utilization and moves the baseline to itself.
	// The probes measure the kernel's counters over real time, so real time
	// must pass: Sleep returns no sooner than asked, whatever the load, so
	// the window has elapsed (a precondition, not a timing assertion).
	time.Sleep(minUtilWindow)
	r0, w0 := rusage(t), time.Now()
	before := collect(t, rd)
	w1, r1 := time.Now(), rusage(t)
	mustValue(t, before, "process.cpu.utilization", user)
	mustValue(t, before, "system.cpu.utilization", attribute.String("cpu.mode", "idle"))

	burnCPU(t, r1, burn, 2*minUtilWindow)

	r2, w2 := rusage(t), time.Now()
	during := collect(t, rd)
	w3, r3 := time.Now(), rusage(t)

	// The collector's window lies between the inner and outer readings.
	lo, hi := r2.sub(r1), r3.sub(r0)
	wallLo, wallHi := w2.Sub(w1).Seconds(), w3.Sub(w0).Seconds()
	t.Logf("process CPU in the window: user %.3f..%.3fs, system %.3f..%.3fs over %.3f..%.3fs wall",
		lo.user, hi.user, lo.system, hi.system, wallLo, wallHi)

	// process.cpu.time: the seconds the kernel charged, mode by mode.
	ncpu := float64(runtime.NumCPU())
	for _, m := range []struct {
		attr   attribute.KeyValue
		lo, hi float64
	}{
		{user, lo.user, hi.user},
		{system, lo.system, hi.system},
	} {
		d := mustValue(t, during, "process.cpu.time", m.attr) - mustValue(t, before, "process.cpu.time", m.attr)
		if d < m.lo-2*tick || d > m.hi+2*tick {
			t.Errorf("process.cpu.time{%s} rose by %.3fs; getrusage says %.3f..%.3fs", m.attr.Value.Emit(), d, m.lo, m.hi)
		}
		// process.cpu.utilization: that time over the window's wall time
		// on every CPU, as a share (unit "1").
		u := mustValue(t, during, "process.cpu.utilization", m.attr)
		uLo := max(0, m.lo-2*tick) / (wallHi * ncpu)
		uHi := (m.hi + 2*tick) / (wallLo * ncpu)
		if u < uLo || u > uHi {
			t.Errorf("process.cpu.utilization{%s} = %.4f, want %.4f..%.4f", m.attr.Value.Emit(), u, uLo, uHi)
		}
	}

	// system.cpu.time: the machine's CPU seconds in every mode add up to
	// the window's wall time on every logical CPU, and the busy modes
	// include the CPU this process burned.
	logical := mustValue(t, before, "system.cpu.logical.count")
	var total, busy float64
	var delta [nModes]float64
	for i, m := range cpuModes {
		a := attribute.String("cpu.mode", m)
		delta[i] = mustValue(t, during, "system.cpu.time", a) - mustValue(t, before, "system.cpu.time", a)
		total += delta[i]
		if m != "idle" && m != "iowait" {
			busy += delta[i]
		}
	}
	t.Logf("machine CPU in the window: %.3fs busy of %.3fs on %v CPUs", busy, total, logical)
	// The bounds are loose (idle time is accounted lazily, ticks are
	// sampled): they exist to catch a wrong unit, which is off by 100x+.
	if total < 0.5*wallLo*logical || total > 1.5*wallHi*logical+float64(nModes)*tick {
		t.Errorf("system.cpu.time rose by %.3fs in all modes over %.3f..%.3fs on %v CPUs", total, wallLo, wallHi, logical)
	}
	if busy < 0.5*lo.total() {
		t.Errorf("system.cpu.time rose by %.3fs in busy modes while this process alone burned %.3fs", busy, lo.total())
	}

	// system.cpu.utilization: each mode's share of that same delta.
	var sum float64
	for i, m := range cpuModes {
		u := mustValue(t, during, "system.cpu.utilization", attribute.String("cpu.mode", m))
		sum += u
		if want := delta[i] / total; math.Abs(u-want) > 1e-9 {
			t.Errorf("system.cpu.utilization{%s} = %.4f, want %.4f (its share of system.cpu.time)", m, u, want)
		}
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Errorf("system.cpu.utilization sums to %v over all modes, want 1", sum)
	}
}
