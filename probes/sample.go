package probes

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// sampler caches the result of an expensive read (gopsutil walking /proc)
// for minInterval and shares one read among concurrent callers, so that
// several metric readers collecting in the same cycle read the system once.
type sampler[T any] struct {
	read        func(ctx context.Context) T
	minInterval time.Duration

	sf    singleflight.Group
	mu    sync.Mutex
	last  T
	at    time.Time
	valid bool
	reads int64 // number of real reads, for tests
}

func newSampler[T any](minInterval time.Duration, read func(context.Context) T) *sampler[T] {
	return &sampler[T]{read: read, minInterval: minInterval}
}

// get returns a sample no older than minInterval, reading if needed.
func (s *sampler[T]) get(ctx context.Context) T {
	s.mu.Lock()
	if s.valid && s.minInterval > 0 && time.Now().Sub(s.at) < s.minInterval {
		v := s.last
		s.mu.Unlock()
		return v
	}
	s.mu.Unlock()
	v, _, _ := s.sf.Do("", func() (any, error) {
		// Another caller may have refreshed while we waited for the
		// singleflight slot.
		s.mu.Lock()
		if s.valid && s.minInterval > 0 && time.Now().Sub(s.at) < s.minInterval {
			v := s.last
			s.mu.Unlock()
			return v, nil
		}
		s.mu.Unlock()
		v := s.read(ctx)
		s.mu.Lock()
		s.last, s.at, s.valid = v, time.Now(), true
		s.reads++
		s.mu.Unlock()
		return v, nil
	})
	return v.(T)
}

// readCount returns how many real reads were made.
func (s *sampler[T]) readCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}
