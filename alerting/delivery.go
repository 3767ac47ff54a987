package alerting

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/redact"
)

// worker delivers one receiver's notifications in order, one at a time,
// from a bounded queue that drops its oldest entry when full: the newest
// state of a group is the one worth delivering.
type worker struct {
	rcv  Receiver
	cfg  *config
	inst *dispatchInstruments
	rnd  *rand.Rand

	mu      sync.Mutex
	queue   []*Notification
	busy    bool
	wake    chan struct{}
	idle    *sync.Cond
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

func newWorker(r Receiver, cfg *config, inst *dispatchInstruments) *worker {
	ctx, cancel := context.WithCancel(context.Background())
	w := &worker{rcv: r, cfg: cfg, inst: inst, wake: make(chan struct{}, 1),
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
		rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	w.idle = sync.NewCond(&w.mu)
	go w.run()
	return w
}

func (w *worker) enqueue(n *Notification) {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		w.inst.outcome(w.rcv.Name, outcomeDropped)
		return
	}
	if len(w.queue) >= w.rcv.QueueSize {
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.inst.outcome(w.rcv.Name, outcomeDropped)
		w.cfg.logger.Warn("alert notification dropped: queue full",
			slog.String("receiver", w.rcv.Name), slog.Int("queue_size", w.rcv.QueueSize))
	}
	w.queue = append(w.queue, n)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run() {
	defer close(w.done)
	for {
		w.mu.Lock()
		for len(w.queue) == 0 {
			w.busy = false
			w.idle.Broadcast()
			w.mu.Unlock()
			select {
			case <-w.ctx.Done():
				return
			case <-w.wake:
			}
			w.mu.Lock()
		}
		n := w.queue[0]
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.busy = true
		w.mu.Unlock()
		w.deliver(n)
		if w.ctx.Err() != nil {
			return
		}
	}
}

func (w *worker) deliver(n *Notification) {
	err := w.attempts(w.rcv.Notifier, n, true)
	if l := w.cfg.onDelivery; l != nil {
		l(Delivery{Receiver: w.rcv.Name, GroupKey: n.GroupKey, Firing: len(n.Firing()), Resolved: len(n.Resolved()), Err: err})
	}
	if err == nil {
		return
	}
	w.cfg.logger.Error("alert notification failed",
		slog.String("receiver", w.rcv.Name), slog.String("group", n.GroupKey),
		slog.Int("alerts", len(n.Alerts)), slog.String("error", redact.Error(err)),
		slog.Bool("fallback", w.rcv.Fallback != nil))
	if w.rcv.Fallback != nil {
		if ferr := w.attempts(w.rcv.Fallback, n, false); ferr != nil {
			w.cfg.logger.Error("alert notification fallback failed",
				slog.String("receiver", w.rcv.Name), slog.String("group", n.GroupKey),
				slog.String("error", redact.Error(ferr)))
		}
	}
}

// attempts tries nt until success, a permanent error, MaxAttempts or stop.
func (w *worker) attempts(nt Notifier, n *Notification, primary bool) error {
	name := w.rcv.Name
	if !primary {
		name += "/fallback"
	}
	var err error
	for attempt := 0; attempt < w.rcv.MaxAttempts; attempt++ {
		ctx, cancel := context.WithTimeout(w.ctx, w.rcv.Timeout)
		err = nt.Notify(ctx, n)
		cancel()
		if err == nil {
			w.inst.outcome(name, outcomeSent)
			return nil
		}
		permanent, retryAfter := classify(err)
		if permanent || attempt+1 >= w.rcv.MaxAttempts || w.ctx.Err() != nil {
			break
		}
		w.inst.outcome(name, outcomeRetried)
		wait := w.rcv.Backoff.Delay(attempt, w.rnd)
		if retryAfter > wait {
			wait = min(retryAfter, w.rcv.MaxRetryAfter)
		}
		if w.sleep(wait) != nil {
			break
		}
	}
	w.inst.outcome(name, outcomeFailed)
	return err
}

func (w *worker) sleep(d time.Duration) error {
	if w.cfg.sleep != nil {
		return w.cfg.sleep(w.ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-w.ctx.Done():
		return w.ctx.Err()
	case <-t.C:
		return nil
	}
}

// flush waits for the queue to drain and the current delivery to end.
func (w *worker) flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.idle.Broadcast()
		w.mu.Unlock()
	})
	defer stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for (len(w.queue) > 0 || w.busy) && !w.stopped {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		w.idle.Wait()
	}
	return nil
}

func (w *worker) stop() {
	w.mu.Lock()
	w.stopped = true
	dropped := len(w.queue)
	w.queue = nil
	w.idle.Broadcast()
	w.mu.Unlock()
	for range dropped {
		w.inst.outcome(w.rcv.Name, outcomeDropped)
	}
	w.cancel()
	<-w.done
}

// WithRetryWait replaces how the delivery loop waits between attempts;
// tests pass a function that advances a fake clock and returns at once.
// The function must return ctx.Err() when ctx ends.
func WithRetryWait(f func(ctx context.Context, d time.Duration) error) Option {
	return optionFunc(func(c *config) { c.sleep = f })
}
