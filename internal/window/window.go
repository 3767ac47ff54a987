package window

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// MaxKinds is the number of outcome kinds a Window counts separately. The
// caller decides what each kind means (success, error, timeout, ...).
const MaxKinds = 8

// MaxSize bounds the number of one-second buckets of a Window.
const MaxSize = 3600

// ErrInvalidSize is returned by New for a size out of range.
var ErrInvalidSize = errors.New("window: invalid size")

const (
	// emptyEpoch marks a bucket that never held a second; it is older than
	// any time a caller passes (even the zero time.Time).
	emptyEpoch = math.MinInt64 + 1
	// resetting marks a bucket being cleared for a new second.
	resetting = math.MinInt64
)

// bucket holds one second of calls.
type bucket struct {
	epoch  atomic.Int64 // the Unix second held, emptyEpoch, or resetting
	sum    atomic.Int64 // total latency in nanoseconds
	counts [MaxKinds]atomic.Uint64
	hist   [NumBins]atomic.Uint32
}

func (b *bucket) clear() {
	b.sum.Store(0)
	for i := range b.counts {
		b.counts[i].Store(0)
	}
	for i := range b.hist {
		b.hist[i].Store(0)
	}
}

// Window is a sliding window of one-second buckets. It is safe for
// concurrent use. Build it with New.
type Window struct {
	buckets []bucket
}

// New returns a window of size one-second buckets (1 to MaxSize).
func New(size int) (*Window, error) {
	if size < 1 || size > MaxSize {
		return nil, fmt.Errorf("%w: %d buckets is not in [1, %d]", ErrInvalidSize, size, MaxSize)
	}
	w := &Window{buckets: make([]bucket, size)}
	for i := range w.buckets {
		w.buckets[i].epoch.Store(emptyEpoch)
	}
	return w, nil
}

// Size returns the window's length.
func (w *Window) Size() time.Duration { return time.Duration(len(w.buckets)) * time.Second }

// Record counts one call of the given kind that ended at now and took
// latency. A kind outside [0, MaxKinds) is ignored, as is a call older than
// the window, so bad input never panics.
func (w *Window) Record(now time.Time, latency time.Duration, kind int) {
	if uint(kind) >= MaxKinds {
		return
	}
	sec := now.Unix()
	b := &w.buckets[uint64(sec)%uint64(len(w.buckets))]
	for {
		e := b.epoch.Load()
		if e == sec {
			break
		}
		if e == resetting {
			// Another writer is clearing this bucket for a new second:
			// a few hundred nanoseconds, once per bucket per second.
			runtime.Gosched()
			continue
		}
		if e > sec {
			return // the bucket already holds a later second
		}
		if b.epoch.CompareAndSwap(e, resetting) {
			b.clear()
			b.epoch.Store(sec)
			break
		}
	}
	b.counts[kind].Add(1)
	if latency > 0 {
		b.sum.Add(int64(latency))
	}
	b.hist[binOf(latency)].Add(1)
}

// Snapshot is the sum of a window's buckets at one moment.
type Snapshot struct {
	// Counts holds the number of calls of each kind.
	Counts [MaxKinds]uint64
	// Sum is the total latency of the calls.
	Sum time.Duration
	// Latency is the latency histogram of the calls.
	Latency Histogram
}

// Calls returns the number of calls of all kinds.
func (s *Snapshot) Calls() uint64 {
	var n uint64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Quantile estimates the q-quantile of the latencies; see Histogram.Quantile.
func (s *Snapshot) Quantile(q float64) time.Duration { return s.Latency.Quantile(q) }

// Mean returns the mean latency, or 0 without calls.
func (s *Snapshot) Mean() time.Duration {
	n := s.Latency.Count()
	if n == 0 {
		return 0
	}
	return s.Sum / time.Duration(n)
}

// Snapshot sums the buckets of the seconds (now-Size, now]. A bucket that
// moves on to a new second while it is being read is left out.
func (w *Window) Snapshot(now time.Time) Snapshot {
	var s Snapshot
	w.SnapshotInto(now, &s)
	return s
}

// SnapshotInto is Snapshot writing into s (which it resets), for callers
// that reuse one Snapshot.
func (w *Window) SnapshotInto(now time.Time, s *Snapshot) {
	*s = Snapshot{}
	sec := now.Unix()
	oldest := sec - int64(len(w.buckets)) // exclusive
	var b1 Snapshot
	for i := range w.buckets {
		b := &w.buckets[i]
		e := b.epoch.Load()
		if e <= oldest || e > sec {
			continue
		}
		b1 = Snapshot{}
		for k := range b.counts {
			b1.Counts[k] = b.counts[k].Load()
		}
		b1.Sum = time.Duration(b.sum.Load())
		for j := range b.hist {
			b1.Latency[j] = uint64(b.hist[j].Load())
		}
		if b.epoch.Load() != e {
			continue
		}
		for k := range s.Counts {
			s.Counts[k] += b1.Counts[k]
		}
		s.Sum += b1.Sum
		for j := range s.Latency {
			s.Latency[j] += b1.Latency[j]
		}
	}
}
