package checks

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
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
	listeners  map[int]func(Transition)
	queue      []Transition
	delivering bool
}

func (d *dispatcher) subscribe(fn func(Transition)) func() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.listeners == nil {
		d.listeners = make(map[int]func(Transition))
	}
	id := d.next
	d.next++
	d.listeners[id] = fn
	return func() {
		d.mu.Lock()
		delete(d.listeners, id)
		d.mu.Unlock()
	}
}

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
		fns := make([]func(Transition), 0, len(d.listeners))
		for _, fn := range d.listeners {
			fns = append(fns, fn)
		}
		d.mu.Unlock()
		for _, t := range batch {
			for _, fn := range fns {
				d.call(fn, t)
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
// listeners still get the transition.
func (d *dispatcher) call(fn func(Transition), t Transition) {
	defer func() {
		if p := recover(); p != nil {
			logger := d.logger
			if logger == nil {
				logger = slog.Default()
			}
			logger.LogAttrs(context.Background(), slog.LevelError, "igmon: transition listener panicked",
				slog.String("check", t.Name), slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
		}
	}()
	fn(t)
}
