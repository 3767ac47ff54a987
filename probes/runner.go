package probes

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultConcurrency is how many probes a Runner runs at once by default.
const DefaultConcurrency = 4

// RunnerOption configures a [Runner].
type RunnerOption interface {
	applyRunner(*runnerConfig)
}

type runnerConfig struct {
	concurrency int
	err         error
}

type runnerOptionFunc func(*runnerConfig)

func (f runnerOptionFunc) applyRunner(c *runnerConfig) { f(c) }

// WithConcurrency bounds how many probe runs are in flight at once
// (default [DefaultConcurrency]). A run waits for a slot; its interval
// timer keeps going, so a saturated runner delays runs rather than piling
// them up.
func WithConcurrency(n int) RunnerOption {
	return runnerOptionFunc(func(c *runnerConfig) {
		c.concurrency = n
		if n < 1 {
			c.err = fmt.Errorf("concurrency: %d must be at least 1", n)
		}
	})
}

// Runner runs synthetic probes on their intervals, with jitter, a bounded
// number at a time. Its goroutines live between Start and Stop.
type Runner struct {
	sem chan struct{}

	mu      sync.Mutex
	probes  []*Probe
	names   map[string]bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped bool
}

// NewRunner returns a runner with no probes.
func NewRunner(opts ...RunnerOption) (*Runner, error) {
	cfg := runnerConfig{concurrency: DefaultConcurrency}
	for _, o := range opts {
		if o != nil {
			o.applyRunner(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, fmt.Errorf("%w: runner: %v", ErrInvalidOption, cfg.err)
	}
	return &Runner{sem: make(chan struct{}, cfg.concurrency), names: map[string]bool{}}, nil
}

// Add schedules probes. On a started runner they start at once (after a
// random fraction of their jitter). A probe already given to a checks
// registry through [Probe.Check], or to another runner, is refused with
// [ErrScheduled]; a second probe with the same name is refused too.
func (r *Runner) Add(ps ...*Probe) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrRunnerStopped
	}
	for _, p := range ps {
		if p == nil {
			return fmt.Errorf("%w: nil probe", ErrInvalidProbe)
		}
		if r.names[p.name] {
			return fmt.Errorf("%w %q: name: already in the runner", ErrInvalidProbe, p.name)
		}
		if !p.owner.CompareAndSwap(ownerNone, ownerRunner) {
			return fmt.Errorf("%w: probe %q", ErrScheduled, p.name)
		}
		r.names[p.name] = true
		r.probes = append(r.probes, p)
		if r.ctx != nil {
			r.startLoop(p)
		}
	}
	return nil
}

// Probes returns the scheduled probes, in the order they were added.
func (r *Runner) Probes() []*Probe {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Probe(nil), r.probes...)
}

// Start starts running the probes until Stop or until ctx is done. It
// returns an error if the runner was stopped; a second Start is a no-op.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrRunnerStopped
	}
	if r.ctx != nil {
		return nil
	}
	r.ctx, r.cancel = context.WithCancel(ctx)
	for _, p := range r.probes {
		r.startLoop(p)
	}
	return nil
}

// Stop cancels the runs in flight and waits for every goroutine of the
// runner to return. It does not close the probes. A stopped runner cannot
// be restarted.
func (r *Runner) Stop() {
	r.mu.Lock()
	r.stopped = true
	if r.cancel != nil {
		r.cancel()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// startLoop runs p every jittered interval. Callers hold r.mu.
func (r *Runner) startLoop(p *Probe) {
	ctx := r.ctx
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		// Spread the first runs so that probes added together do not all
		// fire at once.
		t := time.NewTimer(time.Duration(rand.Float64() * p.cfg.jitter * float64(p.cfg.interval)))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			select {
			case r.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			p.Run(ctx)
			<-r.sem
			t.Reset(jitter(p.cfg.interval, p.cfg.jitter))
		}
	}()
}

// jitter returns d spread by up to ±f of itself.
func jitter(d time.Duration, f float64) time.Duration {
	if f == 0 {
		return d
	}
	return d + time.Duration((rand.Float64()*2-1)*f*float64(d))
}
