package probes

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"

	"go.opentelemetry.io/otel/attribute"
)

// TestProcessMemoryRisesWithAllocation: touching a fresh 64 MiB buffer
// raises the resident set, the Go runtime's used memory and its allocated
// bytes by about that much.
func TestProcessMemoryRisesWithAllocation(t *testing.T) {
	mp, rd := testMeter(t)
	p, err := Process(mp, WithMinInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r, err := Runtime(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Start from a heap that holds no free memory of its own: the runtime
	// would otherwise serve the buffer from spans an earlier test (or an
	// earlier -count run) freed but did not return to the OS, and neither
	// the resident set nor go.memory.used would rise.
	debug.FreeOSMemory()
	before := collect(t, rd)
	rss0 := mustValue(t, before, "process.memory.usage")
	goUsed0 := mustValue(t, before, "go.memory.used", attribute.String("go.memory.type", "other"))
	alloc0 := mustValue(t, before, "go.memory.allocated")

	const n = 64 << 20
	buf := make([]byte, n)
	for i := 0; i < n; i += os.Getpagesize() {
		buf[i] = 1 // touch every page so it becomes resident
	}
	after := collect(t, rd)
	runtime.KeepAlive(buf)

	if d := mustValue(t, after, "process.memory.usage") - rss0; d < n/2 {
		t.Errorf("process.memory.usage rose by %.0f bytes after touching %d", d, n)
	}
	if v := mustValue(t, after, "process.memory.virtual"); v < mustValue(t, after, "process.memory.usage") {
		t.Errorf("virtual memory %v below resident %v", v, mustValue(t, after, "process.memory.usage"))
	}
	if d := mustValue(t, after, "go.memory.used", attribute.String("go.memory.type", "other")) - goUsed0; d < n/2 {
		t.Errorf("go.memory.used rose by %.0f", d)
	}
	if d := mustValue(t, after, "go.memory.allocated") - alloc0; d < n {
		t.Errorf("go.memory.allocated rose by %.0f, want >= %d", d, n)
	}
	if th := mustValue(t, after, "process.thread.count"); th < 1 {
		t.Errorf("thread count %v", th)
	}
	if up := mustValue(t, after, "process.uptime"); up <= 0 {
		t.Errorf("process uptime %v", up)
	}
}

func TestProcessFileDescriptorsFollowOpenFiles(t *testing.T) {
	mp, rd := testMeter(t)
	p, err := Process(mp, WithMinInterval(0))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The count is the process's, and connections of earlier tests may
	// still be closing, so a difference of two readings can come out
	// short. What nothing can lower is the 20 files open here plus stdin,
	// stdout and stderr.
	var files []*os.File
	for range 20 {
		f, err := os.Open(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	fd1 := mustValue(t, collect(t, rd), "process.unix.file_descriptor.count")
	for _, f := range files {
		f.Close()
	}
	if fd1 < 23 {
		t.Errorf("fd count = %v with 20 files open besides stdin, stdout and stderr, want at least 23", fd1)
	}
}

func TestRuntimeGoroutineCount(t *testing.T) {
	mp, rd := testMeter(t)
	r, err := Runtime(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The count is the process's, and goroutines of earlier tests may
	// still be winding down, so a difference of two readings can come out
	// short. What nothing can lower is the 50 goroutines parked here plus
	// the test's own.
	stop := make(chan struct{})
	done := make(chan struct{})
	for range 50 {
		go func() { <-stop; done <- struct{}{} }()
	}
	g1 := mustValue(t, collect(t, rd), "go.goroutine.count")
	close(stop)
	for range 50 {
		<-done
	}
	if g1 < 51 {
		t.Errorf("go.goroutine.count = %v with 50 goroutines parked and the test's own running, want at least 51", g1)
	}
	rm := collect(t, rd)
	if p := mustValue(t, rm, "go.processor.limit"); int(p) != runtime.GOMAXPROCS(0) {
		t.Errorf("go.processor.limit = %v, GOMAXPROCS = %d", p, runtime.GOMAXPROCS(0))
	}
	mustValue(t, rm, "go.config.gogc")
	mustValue(t, rm, "go.memory.gc.goal")
}
