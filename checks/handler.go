package checks

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	igname "github.com/jackcode/igmon/internal/name"

	"github.com/jackcode/igmon/internal/redact"
)

// ServiceInfo is the service metadata of the health+json response.
type ServiceInfo struct {
	// ServiceID identifies the service ("wallet-api").
	ServiceID string
	// Version is the public version of the service ("1.4.2").
	Version string
	// ReleaseID is the build or deployment the service runs.
	ReleaseID string
	// Description says what the service is, for humans.
	Description string
}

// Authorizer decides whether a request may see details: error text,
// observed values, details and override reasons.
type Authorizer func(*http.Request) bool

// BearerToken returns an Authorizer that admits requests carrying
// "Authorization: Bearer <token>". The comparison is constant-time. An empty
// token admits nobody.
func BearerToken(token string) Authorizer {
	want := sha256.Sum256([]byte(token))
	return func(r *http.Request) bool {
		if token == "" {
			return false
		}
		h := r.Header.Get("Authorization")
		const prefix = "Bearer "
		if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
			return false
		}
		got := sha256.Sum256([]byte(h[len(prefix):]))
		return subtle.ConstantTimeCompare(got[:], want[:]) == 1
	}
}

// HandlerOption configures Registry.Handler.
type HandlerOption interface {
	applyHandler(*handlerConfig)
}

type handlerConfig struct {
	authorize Authorizer
	info      ServiceInfo
}

type handlerOptionFunc func(*handlerConfig)

func (f handlerOptionFunc) applyHandler(c *handlerConfig) { f(c) }

// WithAuthorizer lets requests that a admits see details. Without it
// details are never shown.
func WithAuthorizer(a Authorizer) HandlerOption {
	return handlerOptionFunc(func(c *handlerConfig) { c.authorize = a })
}

// WithServiceInfo sets the version, serviceId and description of the
// health+json response.
func WithServiceInfo(info ServiceInfo) HandlerOption {
	return handlerOptionFunc(func(c *handlerConfig) { c.info = info })
}

// Handler returns an http.Handler serving /livez, /readyz, /startupz and
// /healthz, and /<endpoint>/<check> for one check. It matches the last path
// segments, so it works mounted at the root, under a prefix, or on its own
// port:
//
//	mux.Handle("/livez", h); mux.Handle("/readyz/", h) // or mux.Handle("/", h)
//
// Plain answers follow the Kubernetes apiserver: 200 "ok" or 503, ?verbose
// lists every check, ?exclude=name skips one. Accept: application/health+json
// or ?format=json selects the IETF health+json format.
func (r *Registry) Handler(opts ...HandlerOption) http.Handler {
	h := &handler{r: r}
	for _, o := range opts {
		if o != nil {
			o.applyHandler(&h.cfg)
		}
	}
	return h
}

type handler struct {
	r   *Registry
	cfg handlerConfig
}

// Header values shared by every response; assigning the slices directly
// avoids an allocation per request.
var (
	hdrNoStore   = []string{"no-store"}
	hdrNoSniff   = []string{"nosniff"}
	hdrPlain     = []string{"text/plain; charset=utf-8"}
	hdrHealthJSN = []string{"application/health+json"}
	hdrAllow     = []string{"GET, HEAD"}
	okBody       = []byte("ok")
)

const healthJSONType = "application/health+json"

func (h *handler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ep, path, name, ok := h.parsePath(req.URL.Path)
	if !ok {
		http.NotFound(w, req)
		return
	}
	hdr := w.Header()
	hdr["Cache-Control"] = hdrNoStore
	hdr["X-Content-Type-Options"] = hdrNoSniff
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		hdr["Allow"] = hdrAllow
		hdr["Content-Type"] = hdrPlain
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte("method not allowed\n"))
		return
	}
	head := req.Method == http.MethodHead
	asJSON := strings.Contains(req.Header.Get("Accept"), healthJSONType)

	// Fast path: the plain aggregate that probes ask for, answered from
	// cached results without building a report.
	if name == "" && req.URL.RawQuery == "" && !asJSON {
		if st := h.r.Status(req.Context(), ep); st == StatusPass || st == StatusWarn {
			hdr["Content-Type"] = hdrPlain
			w.WriteHeader(http.StatusOK)
			if !head {
				_, _ = w.Write(okBody)
			}
			return
		}
	}

	q := req.URL.Query()
	if f := q.Get("format"); f == "json" {
		asJSON = true
	}
	detailed := h.cfg.authorize != nil && h.cfg.authorize(req)

	var rep Report
	if name != "" {
		e := h.r.snap.Load().byName[name]
		if e == nil || (ep != allEndpoints && e.c.s.endpoints&ep == 0) {
			http.NotFound(w, req)
			return
		}
		rep = h.r.evaluateOne(req.Context(), ep, e)
	} else {
		rep = h.r.Evaluate(req.Context(), ep, q["exclude"]...)
	}

	code := http.StatusOK
	if rep.Status == StatusFail || rep.Status == StatusUnknown {
		code = http.StatusServiceUnavailable
	}
	if asJSON {
		hdr["Content-Type"] = hdrHealthJSN
		body := h.healthJSON(rep, detailed)
		w.WriteHeader(code)
		if !head {
			_, _ = w.Write(body)
		}
		return
	}
	hdr["Content-Type"] = hdrPlain
	w.WriteHeader(code)
	if head {
		return
	}
	if name != "" {
		_, _ = w.Write([]byte(singleText(rep, detailed)))
		return
	}
	_, hasVerbose := q["verbose"]
	if code == http.StatusOK && !hasVerbose {
		_, _ = w.Write(okBody)
		return
	}
	_, _ = w.Write([]byte(verboseText(path, rep, detailed)))
}

// evaluateOne answers /<endpoint>/<name>.
func (r *Registry) evaluateOne(ctx context.Context, ep Endpoint, e *entry) Report {
	r.ensureFresh(ctx, []*entry{e})
	now := r.clock.Now()
	res := r.view(e, now)
	st := res.Status
	if st == StatusUnknown {
		st = StatusFail
	}
	return Report{Endpoint: ep, Status: st, Results: []Result{res}}
}

// parsePath finds the endpoint in the last or second-to-last path segment:
// /<prefix>/readyz is the aggregate, /<prefix>/readyz/<check> one check.
// A check may be named like an endpoint ("livez"): /readyz/livez is that
// check when it exists, and the livez aggregate of a handler mounted under
// a /readyz prefix otherwise.
func (h *handler) parsePath(p string) (ep Endpoint, seg, name string, ok bool) {
	p = strings.TrimRight(p, "/")
	last := p
	parent := ""
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		last = p[i+1:]
		parent = p[:i]
		if j := strings.LastIndexByte(parent, '/'); j >= 0 {
			parent = parent[j+1:]
		}
	}
	lastEP, lastIsEP := endpointOf(last)
	if pep, ok := endpointOf(parent); ok && last != "" {
		if !lastIsEP || h.r.snap.Load().byName[last] != nil {
			return pep, parent, last, true
		}
	}
	if lastIsEP {
		return lastEP, last, "", true
	}
	return 0, "", "", false
}

func endpointOf(seg string) (Endpoint, bool) {
	switch seg {
	case "livez":
		return Liveness, true
	case "readyz":
		return Readiness, true
	case "startupz":
		return Startup, true
	case "healthz":
		return allEndpoints, true
	}
	return 0, false
}

// reason is the text shown after a status word: the redacted error for
// authorized callers, "reason withheld" for everyone else.
func reason(res Result, detailed bool) string {
	if !detailed {
		return "reason withheld"
	}
	s := redact.Error(res.Err)
	if res.Override != nil && res.Override.Reason != "" {
		s += " (override: " + redact.String(res.Override.Reason) + ")"
	}
	if s == "" {
		s = "no error"
	}
	return s
}

func lineFor(b *strings.Builder, res Result, detailed bool) {
	switch res.Status {
	case StatusPass:
		b.WriteString("[+]" + res.Name + " ok")
		if detailed && res.Override != nil {
			b.WriteString(" (override: " + redact.String(res.Override.Reason) + ")")
		}
	case StatusWarn:
		b.WriteString("[!]" + res.Name + " warn: " + reason(res, detailed))
	default:
		b.WriteString("[-]" + res.Name + " failed: " + reason(res, detailed))
	}
	b.WriteByte('\n')
}

func verboseText(path string, rep Report, detailed bool) string {
	var b strings.Builder
	for _, res := range rep.Results {
		lineFor(&b, res, detailed)
	}
	for _, x := range rep.Excluded {
		b.WriteString("[+]" + x + " excluded: ok\n")
	}
	if rep.Draining {
		b.WriteString("[-]shutdown failed: " + map[bool]string{true: errDraining.Error(), false: "reason withheld"}[detailed] + "\n")
	}
	if len(rep.UnknownExcluded) > 0 {
		b.WriteString("warn: some health checks cannot be excluded: no matches for ")
		for i, x := range rep.UnknownExcluded {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + sanitizeName(x) + `"`)
		}
		b.WriteByte('\n')
	}
	if rep.Status == StatusFail || rep.Status == StatusUnknown {
		b.WriteString(path + " check failed\n")
	} else {
		b.WriteString(path + " check passed\n")
	}
	return b.String()
}

func singleText(rep Report, detailed bool) string {
	res := rep.Results[0]
	switch res.Status {
	case StatusPass:
		return "ok"
	case StatusWarn:
		return "warn: " + reason(res, detailed)
	default:
		return "failed: " + reason(res, detailed)
	}
}

// sanitizeName keeps a caller-supplied name from injecting lines or markup
// into the response.
func sanitizeName(s string) string {
	if len(s) > igname.MaxLen {
		s = s[:igname.MaxLen]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '<' || r == '>' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
