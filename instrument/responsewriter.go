package instrument

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// respWriter records the status a handler sends. It is handed to the
// handler through one of the small wrappers below, chosen so that the
// handler sees exactly the optional interfaces (http.Flusher,
// http.Hijacker, http.Pusher) the underlying writer has; each wrapper is a
// single pointer, so choosing one does not allocate.
type respWriter struct {
	http.ResponseWriter
	status   int
	wrote    bool // a final status (or body) was sent
	hijacked bool
}

func (w *respWriter) WriteHeader(code int) {
	// 1xx other than 101 are informational: the final status follows.
	if !w.wrote && (code >= 200 || code == http.StatusSwitchingProtocols || code < 100) {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// WriteString keeps io.WriteString from copying the string when the
// underlying writer has a WriteString of its own.
func (w *respWriter) WriteString(s string) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return io.WriteString(w.ResponseWriter, s)
}

// ReadFrom keeps net/http's sendfile path for io.Copy into the writer.
func (w *respWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{w.ResponseWriter}, r)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *respWriter) flush() {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	w.ResponseWriter.(http.Flusher).Flush()
}

func (w *respWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := w.ResponseWriter.(http.Hijacker).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, rw, err
}

func (w *respWriter) push(target string, opts *http.PushOptions) error {
	return w.ResponseWriter.(http.Pusher).Push(target, opts)
}

type writerOnly struct{ io.Writer }

type (
	rwF   struct{ *respWriter }
	rwH   struct{ *respWriter }
	rwP   struct{ *respWriter }
	rwFH  struct{ *respWriter }
	rwFP  struct{ *respWriter }
	rwHP  struct{ *respWriter }
	rwFHP struct{ *respWriter }
)

func (w rwF) Flush()   { w.flush() }
func (w rwFH) Flush()  { w.flush() }
func (w rwFP) Flush()  { w.flush() }
func (w rwFHP) Flush() { w.flush() }

func (w rwH) Hijack() (net.Conn, *bufio.ReadWriter, error)   { return w.hijack() }
func (w rwFH) Hijack() (net.Conn, *bufio.ReadWriter, error)  { return w.hijack() }
func (w rwHP) Hijack() (net.Conn, *bufio.ReadWriter, error)  { return w.hijack() }
func (w rwFHP) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }

func (w rwP) Push(t string, o *http.PushOptions) error   { return w.push(t, o) }
func (w rwFP) Push(t string, o *http.PushOptions) error  { return w.push(t, o) }
func (w rwHP) Push(t string, o *http.PushOptions) error  { return w.push(t, o) }
func (w rwFHP) Push(t string, o *http.PushOptions) error { return w.push(t, o) }

// wrapped returns w behind the wrapper matching the underlying writer.
func (w *respWriter) wrapped() http.ResponseWriter {
	_, f := w.ResponseWriter.(http.Flusher)
	_, h := w.ResponseWriter.(http.Hijacker)
	_, p := w.ResponseWriter.(http.Pusher)
	switch {
	case f && h && p:
		return rwFHP{w}
	case f && h:
		return rwFH{w}
	case f && p:
		return rwFP{w}
	case h && p:
		return rwHP{w}
	case f:
		return rwF{w}
	case h:
		return rwH{w}
	case p:
		return rwP{w}
	}
	return w
}
