package instrument

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Transport wraps next (http.DefaultTransport when nil) so that every
// request through it is recorded: the semantic-convention metric
// http.client.request.duration and the dependency's own metrics (which a
// Monitor's passive-health window reads).
// The operation comes from the request's context (WithOperation) or the
// dependency's default. Requests are not modified.
//
// Durations end when next.RoundTrip returns, at the response headers, as
// in otelhttp. A response with a body is recorded in the dependency's
// metrics only when its body ends, so that a body that breaks
// after the headers (connection reset, deadline, truncated stream) counts
// as a failed call, not a success: the body is wrapped, and the call is
// recorded at io.EOF, at the first read error or at Close, whichever comes
// first; until then it counts as in flight. Close every response body, as
// net/http requires: a body neither read to its end nor closed leaves its
// call unrecorded. Bodyless responses (HEAD, 204, 304, Content-Length 0)
// are recorded at once, and 101 Switching Protocols responses keep their
// writable body unwrapped.
//
// Each hop of a redirect that http.Client follows is its own request, as
// in the semantic conventions: a 3xx counts as a successful call.
func (d *Dependency) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if d == nil {
		return next
	}
	return &transport{d: d, next: next}
}

type transport struct {
	d    *Dependency
	next http.RoundTripper
}

// httpKey identifies one attribute set of http.client.request.duration.
// Every field is bounded: hosts by the host table, methods by the known
// list, status codes by their range, error types by errorType.
type httpKey struct {
	host    *hostInfo
	method  uint8
	proto   uint8
	status  int
	errType string
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	d := t.d
	ctx := req.Context()
	op, _ := operationFrom(ctx)
	c := d.begin(ctx, op)
	k := httpKey{host: d.hosts.lookup(req.URL), method: d.inst.methods.index(req.Method)}
	done := false
	defer func() {
		if !done { // next panicked
			k.errType = errorTypePanic
			secs := c.end(ctx, OutcomeError, errorTypePanic)
			d.inst.clientDuration.Record(ctx, secs, d.httpOpts(k)...)
		}
	}()
	resp, err := t.next.RoundTrip(req)
	done = true
	lat := d.now().Sub(c.start)

	status := 0
	if err == nil && resp != nil {
		status = resp.StatusCode
		k.proto = protocolVersion(resp.ProtoMajor, resp.ProtoMinor)
		k.status = status
	}
	o := OutcomeUnset
	if d.cfg.classifier != nil {
		if err != nil {
			o = d.cfg.classifier(nil, err)
		} else {
			o = d.cfg.classifier(resp, nil)
		}
	}
	if !o.valid() {
		o = httpOutcome(status, err)
	}
	// error.type by the semantic conventions: the error class before a
	// response, the status code for 4xx and 5xx responses.
	switch {
	case err != nil:
		k.errType = d.errorType(err)
	case status >= 400:
		k.errType = statusText(status)
	}
	depErrType := k.errType
	if o == OutcomeSuccess {
		depErrType = ""
	}
	d.inst.clientDuration.Record(ctx, lat.Seconds(), d.httpOpts(k)...)
	if err == nil && resp != nil && hasBody(req, resp) {
		resp.Body = &trackedBody{rc: resp.Body, c: c, ctx: ctx, lat: lat, o: o, errType: depErrType}
		return resp, nil
	}
	c.record(ctx, lat, o, depErrType)
	return resp, err
}

// hasBody reports whether resp has a body whose reading can still fail.
func hasBody(req *http.Request, resp *http.Response) bool {
	switch {
	case resp.Body == nil, resp.Body == http.NoBody, resp.ContentLength == 0:
		return false
	case resp.StatusCode == http.StatusSwitchingProtocols:
		// The body is the upgraded connection, an io.ReadWriteCloser
		// that WebSocket clients type-assert: it must stay as it is.
		return false
	case req.Method == http.MethodHead, resp.StatusCode == http.StatusNoContent, resp.StatusCode == http.StatusNotModified:
		return false
	}
	return true
}

// trackedBody finishes a Transport call when its body ends.
type trackedBody struct {
	rc       io.ReadCloser
	c        call
	ctx      context.Context
	lat      time.Duration
	o        Outcome // from the headers
	errType  string
	closed   atomic.Bool // Close was called: later read errors are the caller's
	finished atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		b.finish(b.o, b.errType)
	case !b.closed.Load():
		b.fail(err)
	}
	return n, err
}

// Close records the call with the outcome the headers gave, unless the
// body already ended: closing early (a JSON decoder that stops at the end
// of its value, a handler that ignores the body) is not a failure.
func (b *trackedBody) Close() error {
	b.closed.Store(true)
	err := b.rc.Close()
	b.finish(b.o, b.errType)
	return err
}

// fail classifies a read error like a transport error: WithClassifier
// first (with a nil response), then the default.
func (b *trackedBody) fail(err error) {
	d := b.c.d
	o := OutcomeUnset
	if d.cfg.classifier != nil {
		o = d.cfg.classifier(nil, err)
	}
	if !o.valid() {
		o = defaultOutcome(err)
	}
	et := ""
	if o != OutcomeSuccess {
		et = d.errorType(err)
	}
	b.finish(o, et)
}

func (b *trackedBody) finish(o Outcome, errType string) {
	if b.finished.CompareAndSwap(false, true) {
		b.c.record(b.ctx, b.lat, o, errType)
	}
}

// httpOutcome is the default classification of an HTTP result.
func httpOutcome(status int, err error) Outcome {
	switch {
	case err != nil:
		return defaultOutcome(err)
	case status >= 500:
		return OutcomeError
	case status >= 400:
		return OutcomeRejected
	}
	return OutcomeSuccess
}

func (d *Dependency) httpOpts(k httpKey) []metric.RecordOption {
	return d.httpAttrs.loadOrStore(k, func() []metric.RecordOption {
		attrs := []attribute.KeyValue{
			attribute.String(attrHTTPMethod, d.inst.methods.name(k.method)),
			attribute.String(attrServerAddress, k.host.addr),
		}
		if k.host.port > 0 {
			attrs = append(attrs, attribute.Int(attrServerPort, k.host.port))
		}
		if k.status > 0 {
			attrs = append(attrs, attribute.Int(attrHTTPStatus, k.status))
		}
		if k.proto > 0 {
			attrs = append(attrs, attribute.String(attrNetworkProtocolVersion, protocolNames[k.proto]))
		}
		if k.errType != "" {
			attrs = append(attrs, attribute.String(attrErrorType, k.errType))
		}
		return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
	})
}

// hostInfo is a server.address / server.port pair.
type hostInfo struct {
	addr string
	port int
}

type hostKey struct {
	https bool
	host  string // URL.Host as given: "api.psp.com", "10.0.0.1:8443"
}

// hostTable bounds server.address: a fixed list (WithHosts) or the first
// maxHosts hosts seen; anything else is _OTHER without a port.
type hostTable struct {
	fixed []string
	seen  cowMap[hostKey, *hostInfo]
	full  atomic.Bool
	other *hostInfo
}

func (t *hostTable) init(fixed []string) {
	t.fixed = fixed
	t.other = &hostInfo{addr: errorTypeOther}
}

func (t *hostTable) lookup(u *url.URL) *hostInfo {
	if u == nil {
		return t.other
	}
	k := hostKey{https: u.Scheme == "https", host: u.Host}
	if h, ok := t.seen.load(k); ok {
		return h
	}
	if t.full.Load() {
		return t.other
	}
	name := u.Hostname()
	if name == "" || (len(t.fixed) > 0 && !slices.Contains(t.fixed, name)) {
		return t.other
	}
	port := portOf(u)
	k.host = strings.Clone(k.host)
	h, ok := t.seen.loadOrStoreLimit(k, maxHosts, func() *hostInfo {
		return &hostInfo{addr: strings.Clone(name), port: port}
	})
	if !ok {
		t.full.Store(true)
		return t.other
	}
	return h
}

// portOf returns the URL's port, or the scheme's default, or 0.
func portOf(u *url.URL) int {
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
			return n
		}
		return 0
	}
	switch u.Scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}
