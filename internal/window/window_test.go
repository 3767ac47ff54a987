package window

import (
	"errors"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func TestNewValidatesSize(t *testing.T) {
	for _, n := range []int{-1, 0, MaxSize + 1} {
		if _, err := New(n); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("New(%d) error = %v, want ErrInvalidSize", n, err)
		}
	}
	w, err := New(60)
	if err != nil {
		t.Fatal(err)
	}
	if w.Size() != time.Minute {
		t.Fatalf("Size = %v, want 1m", w.Size())
	}
}

func TestWindowSlides(t *testing.T) {
	w, _ := New(10)
	// One call per second for 25 seconds, kind = second % 3.
	for i := range 25 {
		w.Record(t0.Add(time.Duration(i)*time.Second+500*time.Millisecond), time.Duration(i+1)*time.Millisecond, i%3)
	}
	now := t0.Add(24*time.Second + 900*time.Millisecond)
	s := w.Snapshot(now)
	if got := s.Calls(); got != 10 {
		t.Fatalf("Calls = %d, want 10 (seconds 15..24)", got)
	}
	var want [MaxKinds]uint64
	var sum time.Duration
	for i := 15; i < 25; i++ {
		want[i%3]++
		sum += time.Duration(i+1) * time.Millisecond
	}
	if s.Counts != want {
		t.Fatalf("Counts = %v, want %v", s.Counts, want)
	}
	if s.Sum != sum {
		t.Fatalf("Sum = %v, want %v", s.Sum, sum)
	}
	if s.Mean() != sum/10 {
		t.Fatalf("Mean = %v, want %v", s.Mean(), sum/10)
	}
	// 30 s later nothing is left.
	if s := w.Snapshot(now.Add(30 * time.Second)); s.Calls() != 0 {
		t.Fatalf("after the window passed: Calls = %d, want 0", s.Calls())
	}
	// A snapshot in the past sees no future buckets.
	if s := w.Snapshot(t0.Add(-time.Hour)); s.Calls() != 0 {
		t.Fatalf("snapshot before all records: Calls = %d, want 0", s.Calls())
	}
}

func TestRecordIgnoresBadInput(t *testing.T) {
	w, _ := New(5)
	w.Record(t0, time.Millisecond, -1)
	w.Record(t0, time.Millisecond, MaxKinds)
	if s := w.Snapshot(t0); s.Calls() != 0 {
		t.Fatalf("out-of-range kinds were counted: %d", s.Calls())
	}
	w.Record(t0.Add(10*time.Second), time.Millisecond, 0)
	w.Record(t0, time.Millisecond, 0) // same bucket, older second: dropped
	s := w.Snapshot(t0.Add(10 * time.Second))
	if s.Calls() != 1 {
		t.Fatalf("Calls = %d, want 1", s.Calls())
	}
	w.Record(t0.Add(11*time.Second), -time.Second, 1) // negative latency counts as 0
	s = w.Snapshot(t0.Add(11 * time.Second))
	if s.Counts[1] != 1 || s.Latency[0] != 1 {
		t.Fatalf("negative latency: counts %v, bin0 %d", s.Counts, s.Latency[0])
	}
	// The zero time and times before 1970 work too.
	var zero time.Time
	w, _ = New(5)
	w.Record(zero, time.Millisecond, 2)
	if got := w.Snapshot(zero).Counts[2]; got != 1 {
		t.Fatalf("zero time: count = %d, want 1", got)
	}
}

func TestRecordDoesNotAllocate(t *testing.T) {
	w, _ := New(60)
	now := t0
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(10 * time.Millisecond)
		w.Record(now, 3*time.Millisecond, 1)
	})
	if allocs != 0 {
		t.Fatalf("Record allocates %v times per call", allocs)
	}
}

// TestConcurrentRecord has many goroutines record across second boundaries
// (bucket resets) while readers take snapshots; no call may be lost.
func TestConcurrentRecord(t *testing.T) {
	w, _ := New(60)
	const goroutines, seconds, perSecond = 8, 20, 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					s := w.Snapshot(t0.Add(seconds * time.Second))
					if s.Calls() > goroutines*seconds*perSecond {
						t.Error("snapshot saw more calls than were made")
						return
					}
				}
			}
		})
	}
	for g := range goroutines {
		wg.Go(func() {
			for sec := range seconds {
				for i := range perSecond {
					now := t0.Add(time.Duration(sec)*time.Second + time.Duration(i)*time.Millisecond)
					w.Record(now, time.Duration(g+1)*time.Millisecond, g%MaxKinds)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	s := w.Snapshot(t0.Add(seconds * time.Second))
	if got, want := s.Calls(), uint64(goroutines*seconds*perSecond); got != want {
		t.Fatalf("Calls = %d, want %d", got, want)
	}
	if got, want := s.Latency.Count(), uint64(goroutines*seconds*perSecond); got != want {
		t.Fatalf("latency count = %d, want %d", got, want)
	}
	for k := range MaxKinds { // goroutines == MaxKinds: one kind each
		if got := s.Counts[k]; got != seconds*perSecond {
			t.Fatalf("kind %d: %d calls, want %d", k, got, seconds*perSecond)
		}
	}
}

// FuzzWindow replays a sequence of records and snapshots against a naive
// model that keeps every call.
func FuzzWindow(f *testing.F) {
	f.Add(uint8(10), []byte{0, 1, 2, 3, 250, 7, 9, 200, 13, 5})
	f.Add(uint8(1), []byte{5, 5, 5, 255, 255, 0, 0})
	f.Fuzz(func(t *testing.T, size uint8, ops []byte) {
		n := int(size%20) + 1
		w, err := New(n)
		if err != nil {
			t.Fatal(err)
		}
		type call struct {
			sec  int64
			lat  time.Duration
			kind int
		}
		var calls []call
		now := t0
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i], ops[i+1]
			switch {
			case op >= 200: // time moves forward by arg/16 s (often several buckets)
				now = now.Add(time.Duration(arg) * time.Second / 16)
			default:
				lat := time.Duration(arg) * time.Duration(op) * time.Microsecond
				kind := int(op) % MaxKinds
				w.Record(now, lat, kind)
				calls = append(calls, call{now.Unix(), lat, kind})
			}
			s := w.Snapshot(now)
			var want [MaxKinds]uint64
			var sum time.Duration
			var h Histogram
			for _, c := range calls {
				if c.sec > now.Unix()-int64(n) {
					want[c.kind]++
					sum += c.lat
					h[binOf(c.lat)]++
				}
			}
			if s.Counts != want || s.Sum != sum || s.Latency != h {
				t.Fatalf("after %d ops: counts %v sum %v, want %v sum %v", i/2+1, s.Counts, s.Sum, want, sum)
			}
		}
	})
}

func BenchmarkRecord(b *testing.B) {
	w, _ := New(60)
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		w.Record(now, 3*time.Millisecond, 0)
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	w, _ := New(60)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Record(time.Now(), 3*time.Millisecond, 0)
		}
	})
}

func BenchmarkSnapshot(b *testing.B) {
	w, _ := New(60)
	now := time.Now()
	for i := range 60 {
		w.Record(now.Add(-time.Duration(i)*time.Second), time.Millisecond, 0)
	}
	var s Snapshot
	b.ReportAllocs()
	for b.Loop() {
		w.SnapshotInto(now, &s)
	}
}
