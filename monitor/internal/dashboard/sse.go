package dashboard

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// writeTimeout bounds each write to an event stream so that a client that
// stops reading cannot pin the stream (and Close) forever.
const writeTimeout = 10 * time.Second

// serveEvents streams the public snapshot as Server-Sent Events: one
// "snapshot" event on connect and on every refresh tick where it changed,
// a comment line otherwise so that proxies keep the connection open. The
// stream ends when the client goes away or the handler is closed. It runs
// on the request's own goroutine: there is nothing to leak.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, "dashboard closed")
		return
	}
	h.streams.Add(1)
	h.mu.Unlock()
	defer h.streams.Done()

	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	ctx := r.Context()
	ticker := time.NewTicker(h.cfg.refresh)
	defer ticker.Stop()

	// Reconnect after one refresh if the stream drops.
	retry := "retry: " + strconv.FormatInt(h.cfg.refresh.Milliseconds(), 10) + "\n\n"
	if !h.send(rc, w, []byte(retry)) {
		return
	}
	var last []byte
	var buf bytes.Buffer
	for sent := 0; ; {
		_, body, err := h.public(ctx)
		buf.Reset()
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			buf.WriteString("event: unavailable\ndata: {\"error\":\"snapshot unavailable\"}\n\n")
		case bytes.Equal(body, last):
			buf.WriteString(": unchanged\n\n")
		default:
			buf.WriteString("event: snapshot\ndata: ")
			buf.Write(body) // json.Marshal output has no newlines
			buf.WriteString("\n\n")
			last = body
			sent++
		}
		if !h.send(rc, w, buf.Bytes()) {
			return
		}
		if h.cfg.streamEvents > 0 && sent >= h.cfg.streamEvents {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-h.done:
			return
		case <-ticker.C:
		}
	}
}

// send writes and flushes p, reporting whether the client is still there.
func (h *Handler) send(rc *http.ResponseController, w http.ResponseWriter, p []byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout)) // not every writer supports deadlines
	if _, err := w.Write(p); err != nil {
		return false
	}
	return rc.Flush() == nil
}
