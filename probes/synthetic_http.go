package probes

import (
	"github.com/jackcode/igmon/internal/jsonfield"

	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
)

// HTTP returns a probe that sends one request to rawURL (http or https) on
// a fresh connection, so every run measures the dns, connect, tls,
// processing (to first byte) and transfer phases a new client would see.
// By default any 2xx status passes; see [WithExpectStatus],
// [WithBodyContains], [WithJSONField] and [WithMaxLatency] for assertions.
// At most [WithMaxBodyBytes] of the body are read.
func HTTP(mp metric.MeterProvider, name, rawURL string, opts ...HTTPOption) (*Probe, error) {
	p, cfg, err := newProbe(mp, kindHTTP, name, rawURL, optionsOf(opts, HTTPOption.httpOption))
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse quotes the URL in its error: keep credentials out.
		return nil, fmt.Errorf("%w %q (http): url: not a valid URL", errInvalidProbe, name)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w %q (http): url: scheme %q is not http or https", errInvalidProbe, name, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w %q (http): url: no host", errInvalidProbe, name)
	}
	if _, err := http.NewRequest(cfg.method, rawURL, nil); err != nil {
		return nil, fmt.Errorf("%w %q (http): method: %q is not valid", errInvalidProbe, name, cfg.method)
	}
	if net.ParseIP(u.Hostname()) == nil {
		p.inst.setDNSQuestion(u.Hostname())
	}
	d := &httpDialer{
		d:       net.Dialer{Resolver: resolverFor(cfg.resolverAddr), FallbackDelay: fallbackDelay},
		network: tcpNetwork(cfg.network),
	}
	tr := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DialContext:       d.dial,
		TLSClientConfig:   tlsClientConfig(cfg.tlsConfig, ""),
		DisableKeepAlives: true, // every run measures a new connection
		ForceAttemptHTTP2: true,
		// Compressed bodies would make the read limit a limit on
		// compressed bytes only; ask for identity.
		DisableCompression: true,
	}
	client := &http.Client{Transport: tr}
	if cfg.noRedirects {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	p.impl = &httpProbe{p: p, cfg: cfg, url: rawURL, client: client, tr: tr}
	return p, nil
}

// httpDialer is the HTTP probes' dialer. net.Dialer shares the time
// between a name's addresses and races IPv4 against IPv6 as the TCP and
// TLS probes do (dialAddrs), and its trace hooks time the phases, but
// http.Transport dials under a context without the request's deadline
// (so that a dial can outlive a cancelled request), and without a
// deadline net.Dialer gives the first address all the time there is. The
// probe's deadline is therefore handed over in the run's timeline.
type httpDialer struct {
	d       net.Dialer
	network string // "tcp", or "tcp4"/"tcp6" for WithIPNetwork
}

type timelineKey struct{}

func (h *httpDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if h.network != "tcp" {
		network = h.network
	}
	if tl, ok := ctx.Value(timelineKey{}).(*timeline); ok && !tl.deadline.IsZero() {
		// A copy per dial: runs may overlap. net.Dialer applies the
		// earlier of Deadline and the context's.
		d := h.d
		d.Deadline = tl.deadline
		return d.DialContext(ctx, network, addr)
	}
	return h.d.DialContext(ctx, network, addr)
}

type httpProbe struct {
	p      *Probe
	cfg    config
	url    string
	client *http.Client
	tr     *http.Transport
}

func (h *httpProbe) close() error {
	h.tr.CloseIdleConnections()
	return nil
}

// timeline collects httptrace events. Hooks may run on other goroutines
// (happy-eyeballs dials), hence the lock. A followed redirect runs the
// hooks again for the next hop, so the phase durations are summed over
// every hop (as blackbox_exporter reports them) while the start and done
// times describe the current hop, which is what reason() needs.
type timeline struct {
	deadline time.Time // the run's, for dials (set before the request)

	mu                  sync.Mutex
	dnsStart, dnsDone   time.Time
	dnsErr              error
	connStart, connDone time.Time
	connErr             error
	peer                netip.AddrPort // of the connection that counted as done
	tlsStart, tlsDone   time.Time
	tlsErr              error
	wrote, firstByte    time.Time

	dns, connect, tls, processing time.Duration
	responses                     int
}

func (t *timeline) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			t.mu.Lock()
			t.dnsStart, t.dnsDone, t.dnsErr = time.Now(), time.Time{}, nil
			t.mu.Unlock()
		},
		DNSDone: func(i httptrace.DNSDoneInfo) {
			t.mu.Lock()
			t.dnsDone, t.dnsErr = time.Now(), i.Err
			t.dns += span(t.dnsStart, t.dnsDone)
			t.mu.Unlock()
		},
		ConnectStart: func(string, string) {
			t.mu.Lock()
			// Parallel or fallback dials of one hop count from the first
			// start; a new hop starts afresh.
			if t.connStart.IsZero() || !t.connDone.IsZero() {
				t.connStart, t.connDone, t.peer = time.Now(), time.Time{}, netip.AddrPort{}
			}
			t.mu.Unlock()
		},
		ConnectDone: func(_, addr string, err error) {
			t.mu.Lock()
			if err == nil && t.connDone.IsZero() {
				t.connDone = time.Now()
				t.connect += span(t.connStart, t.connDone)
				// The first connection of a hop is the one a raced dial
				// keeps: the other family's attempt started 300 ms later
				// and is cancelled, or closed if it connects at all.
				if ap, perr := netip.ParseAddrPort(addr); perr == nil {
					t.peer = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
				}
			}
			t.connErr = err
			t.mu.Unlock()
		},
		TLSHandshakeStart: func() {
			t.mu.Lock()
			t.tlsStart, t.tlsDone, t.tlsErr = time.Now(), time.Time{}, nil
			t.mu.Unlock()
		},
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			t.mu.Lock()
			t.tlsDone, t.tlsErr = time.Now(), err
			t.tls += span(t.tlsStart, t.tlsDone)
			t.mu.Unlock()
		},
		WroteRequest: func(httptrace.WroteRequestInfo) {
			t.mu.Lock()
			t.wrote = time.Now()
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			t.mu.Lock()
			t.firstByte = time.Now()
			t.processing += span(t.wrote, t.firstByte)
			t.responses++
			t.mu.Unlock()
		},
	}
}

func span(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// reason guesses the failed phase of a transport error that classify
// could not place, from how far the request got.
func (t *timeline) reason() failureReason {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.dnsErr != nil:
		return reasonDNS
	case !t.connStart.IsZero() && t.connDone.IsZero():
		return reasonConnect
	case !t.tlsStart.IsZero() && (t.tlsDone.IsZero() || t.tlsErr != nil):
		return reasonTLS
	}
	return reasonOther
}

func (h *httpProbe) run(ctx context.Context, r *Result) error {
	var tl timeline
	tl.deadline, _ = ctx.Deadline()
	var body io.Reader
	if h.cfg.body != nil {
		body = bytes.NewReader(h.cfg.body)
	}
	rctx := context.WithValue(httptrace.WithClientTrace(ctx, tl.trace()), timelineKey{}, &tl)
	req, err := http.NewRequestWithContext(rctx, h.cfg.method, h.url, body)
	if err != nil {
		return err
	}
	for k, v := range h.cfg.header {
		req.Header[k] = v
	}
	if host := h.cfg.header.Get("Host"); host != "" {
		req.Host = host
	}
	resp, err := h.client.Do(req)
	if err == nil {
		defer resp.Body.Close()
	}
	defer func() {
		tl.mu.Lock()
		r.Phases.DNS = tl.dns
		r.Phases.Connect = tl.connect
		r.Phases.TLS = tl.tls
		r.Phases.Processing = tl.processing
		r.PeerAddr = tl.peer
		r.Redirects = max(tl.responses-1, 0)
		tl.mu.Unlock()
		if r.Phases.DNS > 0 {
			h.p.inst.recordLookup(ctx, r.Phases.DNS, tl.dnsErr)
		}
	}()
	if err != nil {
		if ctx.Err() == nil && tl.reason() == reasonConnect {
			// Every address failed before the probe's timeout, some by
			// using up their share of it: a connect failure, as for TCP
			// probes, not a timeout of the probe.
			return &reasonError{reason: reasonConnect, err: err}
		}
		if reason := classify(err); reason != reasonOther {
			return err
		}
		return &reasonError{reason: tl.reason(), err: err}
	}
	r.StatusCode = resp.StatusCode
	if resp.TLS != nil {
		// The final hop's certificate: that is the endpoint the probe
		// vouches for.
		r.CertExpiry = earliestExpiry(*resp.TLS)
		r.TLSResumed = resp.TLS.DidResume
	}
	buf, readErr := io.ReadAll(io.LimitReader(resp.Body, h.cfg.maxBody+1))
	end := time.Now()
	tl.mu.Lock()
	r.Phases.Transfer = span(tl.firstByte, end)
	tl.mu.Unlock()
	if int64(len(buf)) > h.cfg.maxBody {
		buf, r.BodyTruncated = buf[:h.cfg.maxBody], true
	}
	r.BodyBytes = int64(len(buf))
	if readErr != nil {
		if errors.Is(readErr, context.DeadlineExceeded) || ctx.Err() != nil {
			return readErr
		}
		return &reasonError{reason: reasonBodyRead, err: fmt.Errorf("reading body: %w", readErr)}
	}
	if !h.statusOK(resp.StatusCode) {
		return failf(reasonHTTPStatus, "status %d is not expected", resp.StatusCode)
	}
	for _, s := range h.cfg.bodyContains {
		if !bytes.Contains(buf, []byte(s)) {
			return failf(reasonAssertion, "body does not contain %q", s)
		}
	}
	for _, a := range h.cfg.jsonFields {
		got, err := jsonfield.Lookup(buf, jsonfield.Split(a.path))
		if err != nil {
			return failf(reasonAssertion, "json field: %v", err)
		}
		if got != a.want {
			return failf(reasonAssertion, "json field %s: got %q, want %q", a.path, truncate(got, 64), a.want)
		}
	}
	return nil
}

func (h *httpProbe) statusOK(code int) bool {
	if len(h.cfg.expectStatus) == 0 {
		return code >= 200 && code < 300
	}
	return slices.Contains(h.cfg.expectStatus, code)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
