package instrument

import (
	"bufio"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
)

func discardLogger() *log.Logger { return log.New(discard{}, "", 0) }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// capWriter is a ResponseWriter with a chosen set of optional interfaces.
type capWriter struct {
	*httptest.ResponseRecorder
	f, h, p bool
}

func (c *capWriter) Flush() { c.ResponseRecorder.Flush() }
func (c *capWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, nil
}
func (c *capWriter) Push(string, *http.PushOptions) error { return nil }

type (
	cwBase struct{ http.ResponseWriter }
	cwF    struct {
		cwBase
		http.Flusher
	}
	cwH struct {
		cwBase
		http.Hijacker
	}
	cwP struct {
		cwBase
		http.Pusher
	}
	cwFH struct {
		cwBase
		http.Flusher
		http.Hijacker
	}
	cwFP struct {
		cwBase
		http.Flusher
		http.Pusher
	}
	cwHP struct {
		cwBase
		http.Hijacker
		http.Pusher
	}
	cwFHP struct {
		cwBase
		http.Flusher
		http.Hijacker
		http.Pusher
	}
)

func (c *capWriter) as() http.ResponseWriter {
	b := cwBase{c.ResponseRecorder}
	switch {
	case c.f && c.h && c.p:
		return cwFHP{b, c, c, c}
	case c.f && c.h:
		return cwFH{b, c, c}
	case c.f && c.p:
		return cwFP{b, c, c}
	case c.h && c.p:
		return cwHP{b, c, c}
	case c.f:
		return cwF{b, c}
	case c.h:
		return cwH{b, c}
	case c.p:
		return cwP{b, c}
	}
	return b
}
