package dispatch

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/redact"
)

// worker delivers one receiver's notifications in order, one at a time,
// from a bounded queue (Receiver.QueueSize). Enqueueing never blocks; see
// enqueue for what happens while the receiver is down.
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

// enqueue adds n to the queue without ever blocking the caller. While a
// receiver is down, its queue keeps the newest state of every group:
//
//   - Coalescing: a notification for a group that already waits in the
//     queue replaces the waiting one in place (same receiver, same group
//     key), since the receiver only needs the group's newest state. The
//     alerts that resolved in the replaced notification and are absent
//     from the new one are carried over, because the dispatcher sends a
//     resolve only once. Counted as outcome "coalesced", not as a drop.
//   - Dropping, only when the queue is full of other groups: the victim is
//     the waiting or incoming notification that loses the least, oldest
//     first within a class: a "repeat" reminder (the receiver was told
//     already), then a firing-only notification (its group re-sends at
//     the next RepeatInterval), and last one that carries a resolve
//     (never sent again: the incident would stay open at the provider).
//     Every drop counts as outcome "dropped" and logs one warning.
func (w *worker) enqueue(n *Notification) {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		w.inst.outcome(w.rcv.Name, outcomeDropped)
		return
	}
	// A linear scan: the queue is short (default 256) and enqueue runs
	// once per flushed group and receiver, not per alert.
	for i, q := range w.queue {
		if q.GroupKey == n.GroupKey {
			w.queue[i] = coalesce(q, n)
			w.mu.Unlock()
			w.inst.outcome(w.rcv.Name, outcomeCoalesced)
			return // already queued: the worker has been woken for it
		}
	}
	var victim *Notification
	if len(w.queue) >= w.rcv.QueueSize {
		i := dropVictim(w.queue, n)
		if i == len(w.queue) {
			victim = n
		} else {
			victim = w.queue[i]
			copy(w.queue[i:], w.queue[i+1:])
			w.queue[len(w.queue)-1] = nil
			w.queue = append(w.queue[:len(w.queue)-1], n)
		}
	} else {
		w.queue = append(w.queue, n)
	}
	w.mu.Unlock()
	if victim != nil {
		w.inst.outcome(w.rcv.Name, outcomeDropped)
		w.cfg.Logger.Warn("alert notification dropped: queue full",
			slog.String("receiver", w.rcv.Name), slog.Int("queue_size", w.rcv.QueueSize),
			slog.String("group", victim.GroupKey), slog.String("reason", victim.Reason),
			slog.Int("firing", countState(victim, alerting.StateFiring)),
			slog.Int("resolved", countState(victim, alerting.StateResolved)))
		if victim == n {
			return
		}
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Drop classes, least loss first.
const (
	dropRepeat   = iota // a reminder of a state already delivered
	dropFiring          // re-sent by the group's next repeat
	dropResolved        // carries a resolve, which is never sent again
)

func dropClass(n *Notification) int {
	switch {
	case countState(n, alerting.StateResolved) > 0:
		return dropResolved
	case n.Reason == "repeat":
		return dropRepeat
	default:
		return dropFiring
	}
}

// dropVictim returns the index in queue of the notification to drop to
// make room for incoming, or len(queue) to drop incoming itself: the
// oldest of the lowest class, incoming counting as the newest.
func dropVictim(queue []*Notification, incoming *Notification) int {
	best, bestClass := len(queue), dropClass(incoming)
	for i, q := range queue {
		if c := dropClass(q); c < bestClass || (c == bestClass && i < best) {
			best, bestClass = i, c
		}
	}
	return best
}

// coalesce merges a queued notification older into its group's newer one:
// newer's alerts, plus older's resolved alerts that newer does not
// mention. The result is a fresh Notification; the receivers of one
// flush share the Alerts slice, so neither input is modified.
func coalesce(older, newer *Notification) *Notification {
	seen := make(map[string]bool, len(newer.Alerts))
	for i := range newer.Alerts {
		seen[newer.Alerts[i].Fingerprint] = true
	}
	var carried []alerting.Alert
	for _, a := range older.Alerts {
		if a.State == alerting.StateResolved && !seen[a.Fingerprint] {
			carried = append(carried, a)
		}
	}
	if len(carried) == 0 {
		m := *newer
		m.Reason = mergedReason(older, newer, countState(newer, alerting.StateFiring), false)
		return &m
	}
	all := make([]alerting.Alert, 0, len(newer.Alerts)+len(carried))
	all = append(append(all, newer.Alerts...), carried...)
	sortAlerts(all)
	m := *newer
	m.Alerts = all
	m.CommonLabels = commonLabels(all)
	m.CommonAnnotations = commonAnnotations(all)
	firing := countState(&m, alerting.StateFiring)
	m.Status = "firing"
	if firing == 0 {
		m.Status = "resolved"
	}
	m.Reason = mergedReason(older, newer, firing, true)
	return &m
}

// mergedReason is the strongest reason of the pair, as the receiver saw
// neither: new, then changed, then repeat; resolved when nothing fires.
func mergedReason(older, newer *Notification, firing int, carried bool) string {
	switch {
	case firing == 0:
		return "resolved"
	case older.Reason == "new" || newer.Reason == "new":
		return "new"
	case older.Reason == "repeat" && newer.Reason == "repeat" && !carried:
		return "repeat"
	default:
		return "changed"
	}
}

func countState(n *Notification, s alerting.State) int {
	c := 0
	for i := range n.Alerts {
		if n.Alerts[i].State == s {
			c++
		}
	}
	return c
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
		l(deliveryOutcome{Receiver: w.rcv.Name, GroupKey: n.GroupKey, Firing: len(n.firing()), Resolved: len(n.resolved()), Err: err})
	}
	if err == nil {
		return
	}
	w.cfg.Logger.Error("alert notification failed",
		slog.String("receiver", w.rcv.Name), slog.String("group", n.GroupKey),
		slog.Int("alerts", len(n.Alerts)), slog.String("error", redact.Error(err)),
		slog.Bool("fallback", w.rcv.Fallback != nil))
	if w.rcv.Fallback != nil {
		if ferr := w.attempts(w.rcv.Fallback, n, false); ferr != nil {
			w.cfg.Logger.Error("alert notification fallback failed",
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

// withRetryWait replaces how the delivery loop waits between attempts;
// tests pass a function that advances a fake clock and returns at once.
// The function must return ctx.Err() when ctx ends.
func withRetryWait(f func(ctx context.Context, d time.Duration) error) Option {
	return option("WithRetryWait", false, func(c *config) { c.sleep = f })
}
