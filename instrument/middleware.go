package instrument

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// defaultMaxRoutes bounds the distinct http.route values one middleware
// records; later ones are recorded as _OTHER.
const defaultMaxRoutes = 512

// MiddlewareOption configures Middleware (and monitor.Monitor.Middleware).
type MiddlewareOption interface {
	applyMiddleware(*mwConfig)
}

type mwOptionFunc func(*mwConfig)

func (f mwOptionFunc) applyMiddleware(c *mwConfig) { f(c) }

type mwConfig struct {
	routeFn   func(*http.Request) string
	maxRoutes int
	provider  providerConfig
	errs      []error
	seen      given // single-valued options already given
}

// WithRouteFunc sets how the middleware finds a request's route template
// ("/games/{id}") when the handler is not a Go ServeMux (chi, gorilla,
// your own router). fn runs after the handler returns and must return a
// template, never the raw path; "" means unmatched. The default is the
// ServeMux pattern (r.Pattern) without its method and host.
func WithRouteFunc(fn func(*http.Request) string) MiddlewareOption {
	return mwOptionFunc(func(c *mwConfig) {
		if !c.seen.once("WithRouteFunc", &c.errs) {
			return
		}
		if fn == nil {
			c.errs = append(c.errs, errors.New("option WithRouteFunc: func must not be nil"))
		}
		c.routeFn = fn
	})
}

// Middleware wraps next so that every request is recorded as the
// semantic-convention metrics http.server.request.duration (request volume
// and latency by method, route and status) and http.server.active_requests,
// on the MeterProvider of WithMeterProvider (by default
// otel.GetMeterProvider()). A Monitor reads the route figures of its
// dashboard from these metrics when they are recorded into its provider
// (monitor.Monitor.Middleware does that).
//
// http.route is the ServeMux pattern the request matched (r.Pattern, set
// when next is, or contains, an http.ServeMux that receives the same
// *http.Request) or what WithRouteFunc returns; it is never the raw path,
// and unmatched requests carry no http.route. error.type is set for 5xx
// responses and for handler panics, which are recorded and then re-panicked.
// The ResponseWriter passed on keeps http.Flusher, http.Hijacker,
// http.Pusher and io.ReaderFrom where the original has them, and supports
// http.ResponseController.
func Middleware(next http.Handler, opts ...MiddlewareOption) (http.Handler, error) {
	cfg := mwConfig{maxRoutes: defaultMaxRoutes}
	for _, o := range opts {
		if o != nil {
			o.applyMiddleware(&cfg)
		}
	}
	if next == nil {
		cfg.errs = append(cfg.errs, errors.New("next: handler must not be nil"))
	}
	cfg.provider.validate(func(option, format string, a ...any) {
		cfg.errs = append(cfg.errs, fmt.Errorf("option %s: "+format, append([]any{option}, a...)...))
	})
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("instrument: Middleware: %w", errors.Join(cfg.errs...))
	}
	inst, err := newInstruments(cfg.provider.meterProvider())
	if err != nil {
		return nil, fmt.Errorf("instrument: Middleware: instruments: %w", err)
	}
	h := &middleware{next: next, inst: inst, routeFn: cfg.routeFn}
	h.routes.limit = cfg.maxRoutes
	h.active = make([][2][]metric.AddOption, len(inst.methods.names))
	for i, name := range inst.methods.names {
		for s, scheme := range [2]string{"http", "https"} {
			h.active[i][s] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(
				attribute.String(attrHTTPMethod, name), attribute.String(attrURLScheme, scheme)))}
		}
	}
	return h, nil
}

type middleware struct {
	next    http.Handler
	inst    *instruments
	routeFn func(*http.Request) string
	routes  bounded
	active  [][2][]metric.AddOption // by method index and https
	attrs   cowMap[serverKey, []metric.RecordOption]
}

// serverKey identifies one attribute set of http.server.request.duration.
type serverKey struct {
	method  uint8
	https   bool
	proto   uint8
	status  int
	route   string
	errType uint8
}

const (
	errTypeNone uint8 = iota
	errTypeStatus
	errTypePanic
)

func (h *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	k := serverKey{
		method: h.inst.methods.index(r.Method),
		https:  r.TLS != nil,
		proto:  protocolVersion(r.ProtoMajor, r.ProtoMinor),
	}
	scheme := 0
	if k.https {
		scheme = 1
	}
	active := h.active[k.method][scheme]
	h.inst.serverActive.Add(ctx, 1, active...)
	rw := &respWriter{ResponseWriter: w}
	start := time.Now()
	done := false
	defer func() {
		if !done {
			k.errType = errTypePanic
		}
		h.record(r, rw, k, time.Since(start))
		h.inst.serverActive.Add(ctx, -1, active...)
	}()
	h.next.ServeHTTP(rw.wrapped(), r)
	done = true
}

func (h *middleware) record(r *http.Request, rw *respWriter, k serverKey, d time.Duration) {
	switch {
	case rw.wrote && !rw.hijacked:
		k.status = rw.status
	case !rw.wrote && !rw.hijacked && k.errType != errTypePanic:
		k.status = http.StatusOK // what net/http sends for an empty handler
	}
	if k.errType == errTypeNone && k.status >= 500 {
		k.errType = errTypeStatus
	}
	if k.status < 100 || k.status > 599 {
		k.status = 0
	}
	k.route = h.route(r, k.status)
	h.inst.serverDuration.Record(r.Context(), d.Seconds(), h.opts(k)...)
}

// route returns the bounded route template of r, "" if unmatched.
func (h *middleware) route(r *http.Request, status int) string {
	var rt string
	if h.routeFn != nil {
		rt = h.routeFn(r)
	} else if p := r.Pattern; p != "" {
		if r.Method == http.MethodConnect && status >= 300 && status < 400 {
			// ServeMux answers a CONNECT to /tree with a redirect to
			// /tree/ and sets r.Pattern to that raw path, not to a
			// pattern: anyone could fill the route table with it.
			return ""
		}
		// "GET example.com/games/{id}" -> "/games/{id}"
		if i := strings.IndexByte(p, '/'); i >= 0 {
			rt = p[i:]
		}
	}
	if rt == "" {
		return ""
	}
	return h.routes.get(rt)
}

func (h *middleware) opts(k serverKey) []metric.RecordOption {
	return h.attrs.loadOrStore(k, func() []metric.RecordOption {
		attrs := []attribute.KeyValue{
			attribute.String(attrHTTPMethod, h.inst.methods.name(k.method)),
			attribute.String(attrURLScheme, map[bool]string{false: "http", true: "https"}[k.https]),
		}
		if k.status > 0 {
			attrs = append(attrs, attribute.Int(attrHTTPStatus, k.status))
		}
		if k.route != "" {
			attrs = append(attrs, attribute.String(attrHTTPRoute, k.route))
		}
		if k.proto > 0 {
			attrs = append(attrs, attribute.String(attrNetworkProtocolVersion, protocolNames[k.proto]))
		}
		switch k.errType {
		case errTypeStatus:
			attrs = append(attrs, attribute.String(attrErrorType, statusText(k.status)))
		case errTypePanic:
			attrs = append(attrs, attribute.String(attrErrorType, errorTypePanic))
		}
		return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
	})
}
