package checks

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/jackcode/igmon/internal/redact"
)

// dispatcher delivers transitions to listeners in order, outside every
// registry lock, without a goroutine of its own: whoever publishes while no
// one is delivering becomes the deliverer and drains the queue. A listener
// that causes another transition (by calling back into the registry) just
// enqueues it; the loop already running delivers it next.
type dispatcher struct {
	logger     *slog.Logger // set once by NewRegistry, before any publish
	mu         sync.Mutex
	next       int
	listeners  []listener // in subscription order
	queue      []Transition
	delivering bool
}

type listener struct {
	id int
	fn func(Transition)
}

func (d *dispatcher) subscribe(fn func(Transition)) func() {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := d.next
	d.next++
	d.listeners = append(d.listeners, listener{id: id, fn: fn})
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		// A new slice, not an in-place delete: a delivery in progress
		// holds the old one.
		d.listeners = slices.DeleteFunc(slices.Clone(d.listeners), func(l listener) bool { return l.id == id })
	}
}

// publish queues t and, unless a delivery is already running, delivers
// the queue: each transition to every listener in the order they
// subscribed.
func (d *dispatcher) publish(t Transition) {
	d.mu.Lock()
	if len(d.listeners) == 0 {
		d.mu.Unlock()
		return
	}
	d.queue = append(d.queue, t)
	if d.delivering {
		d.mu.Unlock()
		return
	}
	d.delivering = true
	for len(d.queue) > 0 {
		batch := d.queue
		d.queue = nil
		// subscribe appends and unsubscribe replaces the slice, so this
		// one stays as it is while the lock is released.
		ls := d.listeners
		d.mu.Unlock()
		for _, t := range batch {
			for _, l := range ls {
				d.call(l.fn, t)
			}
		}
		d.mu.Lock()
	}
	d.delivering = false
	d.mu.Unlock()
}

// call runs one listener. A listener that panics must not take the process
// down with it (publish runs on background check loops, where nothing else
// would recover) nor leave delivering set, which would silence every
// later transition: the panic is logged with its stack and the other
// listeners still get the transition. The panic value is redacted.
func (d *dispatcher) call(fn func(Transition), t Transition) {
	defer func() {
		if p := recover(); p != nil {
			logger := d.logger
			if logger == nil {
				logger = slog.Default()
			}
			logger.LogAttrs(context.Background(), slog.LevelError, "igmon: transition listener panicked",
				slog.String("check", t.Name), slog.String("panic", redact.String(fmt.Sprint(p))), slog.String("stack", string(debug.Stack())))
		}
	}()
	fn(t)
}
