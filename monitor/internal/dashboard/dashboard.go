package dashboard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/clock"
)

// Source produces the snapshots the dashboard shows. detailed is true only
// for requests the authorizer admitted; a Source may skip collecting
// details otherwise (the handler withholds them either way).
// Snapshot must be safe for concurrent use.
type Source interface {
	Snapshot(ctx context.Context, detailed bool) (Snapshot, error)
}

// SourceFunc adapts a function to a Source.
type SourceFunc func(ctx context.Context, detailed bool) (Snapshot, error)

// Snapshot calls f.
func (f SourceFunc) Snapshot(ctx context.Context, detailed bool) (Snapshot, error) {
	return f(ctx, detailed)
}

// Actions carries out what an authorized operator asks for on the page.
// Errors wrapping ErrNotFound answer 404 and errors wrapping ErrInvalid
// answer 400; any other error answers 500 with a generic message (its
// redacted text is logged).
type Actions interface {
	// Silence mutes the alerts req selects and returns the silence's ID.
	Silence(ctx context.Context, req SilenceRequest) (id string, err error)
	// Unsilence expires a silence.
	Unsilence(ctx context.Context, id string) error
	// Override forces component's status (StatusFail for maintenance,
	// StatusPass to force it into service) until ClearOverride.
	Override(ctx context.Context, component string, status Status, reason string) error
	// ClearOverride lets the component report its own status again.
	ClearOverride(ctx context.Context, component, reason string) error
}

// SilenceRequest is a validated request to create a silence.
type SilenceRequest struct {
	Matchers []Matcher
	StartsAt time.Time
	EndsAt   time.Time
	// Author is who the operator says they are; the log line also records
	// the remote address.
	Author  string
	Comment string
}

// Errors an Actions implementation wraps to choose the HTTP status.
var (
	ErrNotFound = errors.New("dashboard: not found")
	ErrInvalid  = errors.New("dashboard: invalid request")
)

// Handler serves the dashboard. Create it with New; call Close when the
// server shuts down so that open event streams end.
type Handler struct {
	cfg   config
	src   Source
	mux   *http.ServeMux
	cache snapshotCache
	// histCache shares history.json bodies like cache does snapshots.
	histCache historyCache
	page      []byte
	etag      string

	mu      sync.Mutex
	closed  bool
	done    chan struct{}
	streams sync.WaitGroup
}

// New returns a dashboard serving snapshots from src.
func New(src Source, opts ...Option) (*Handler, error) {
	if src == nil {
		return nil, errors.New("dashboard: source must not be nil")
	}
	cfg := config{
		logger:  slog.Default(),
		refresh: DefaultRefresh,
		title:   "Service status",
		clock:   clock.Real{},
		timeout: 5 * time.Second,
	}
	for _, o := range opts {
		if o == nil {
			cfg.fail("(nil)", "option must not be nil")
			continue
		}
		o.apply(&cfg)
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, src: src, done: make(chan struct{})}
	h.cache.ttl = cfg.refresh / 2
	h.cache.sem = make(chan struct{}, 1)
	page, err := renderPage(cfg.title)
	if err != nil {
		return nil, fmt.Errorf("dashboard: page: %w", err)
	}
	h.page, h.etag = page, etagOf(page)
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", h.servePage)
	m.HandleFunc("GET /assets/{name}", serveAsset)
	m.HandleFunc("GET /status.json", h.serveStatus)
	m.HandleFunc("GET /history.json", h.serveHistory)
	m.HandleFunc("GET /events", h.serveEvents)
	m.HandleFunc("GET /badge/{file}", h.serveBadge)
	m.Handle("POST /api/silences", h.action("silence.create", h.createSilence))
	m.Handle("DELETE /api/silences", h.action("silence.delete", h.deleteSilence))
	m.Handle("POST /api/overrides", h.action("override.set", h.setOverride))
	m.Handle("DELETE /api/overrides", h.action("override.clear", h.clearOverride))
	m.Handle("POST /api/actions/approve", h.action("action.approve", h.approveAction))
	h.mux = m
}

// ServeHTTP routes r relative to where the handler is mounted.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "" {
		// Mounted with StripPrefix("/dashboard") and asked for
		// "/dashboard": the page's relative URLs need the trailing slash.
		// A relative Location keeps whatever prefix the proxy added.
		p, _, _ := strings.Cut(r.RequestURI, "?")
		if b := path.Base(p); b != "." && b != "/" {
			// Set by hand: http.Redirect would make it absolute. b comes
			// from the raw request URI, so it is already escaped.
			w.Header().Set("Location", b+"/")
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		http.NotFound(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// Close ends every open event stream, waits for them to return and makes
// new ones answer 503. The page, status.json and badges keep working.
// Close is safe to call more than once.
func (h *Handler) Close() error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
	h.mu.Unlock()
	h.streams.Wait()
	return nil
}

// authorized reports whether r may see details and act.
func (h *Handler) authorized(r *http.Request) bool {
	return h.cfg.authorize != nil && h.cfg.authorize(r)
}

// remote is the requester's address as the connection reports it;
// forwarded headers are not trusted because anyone can set them.
func remote(r *http.Request) slog.Attr {
	return slog.String("remote", r.RemoteAddr)
}
