package checks

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackcode/igmon/internal/jsonfield"
	"github.com/jackcode/igmon/internal/redact"
)

// DefaultMaxBodyBytes bounds how much of a response body [HTTP] reads for
// its body assertions.
const DefaultMaxBodyBytes = 1 << 20

type httpConfig struct {
	builtin
	method   string
	header   http.Header
	client   *http.Client
	insecure bool
	codes    []int
	contains []byte
	jsonPath []string
	jsonWant string
	maxBody  int64
}

func httpOption(name string, fn func(*httpConfig)) Option {
	return specificOption[httpConfig]{name: name, owner: "HTTP", fn: fn}
}

// WithMethod sets the request method of [HTTP] (default GET).
func WithMethod(method string) Option {
	return httpOption("WithMethod", func(c *httpConfig) {
		c.method = method
		if !isToken(method) {
			c.fail("method", "%q is not a valid HTTP method", method)
		}
	})
}

// WithHeader adds a request header to [HTTP], e.g. an API key the peer's
// health endpoint requires. Header values are never shown in results.
func WithHeader(key, value string) Option {
	return httpOption("WithHeader", func(c *httpConfig) {
		if !isToken(key) {
			c.fail("header", "%q is not a valid header name", key)
			return
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			c.fail("header", "value of %q contains a control character", key)
			return
		}
		if c.header == nil {
			c.header = make(http.Header)
		}
		c.header.Add(key, value)
	})
}

// WithExpectedStatus sets the status codes [HTTP] accepts (default: any
// 2xx).
func WithExpectedStatus(codes ...int) Option {
	return httpOption("WithExpectedStatus", func(c *httpConfig) {
		if len(codes) == 0 {
			c.fail("expected status", "at least one code is required")
		}
		for _, code := range codes {
			if code < 100 || code > 599 {
				c.fail("expected status", "%d is not an HTTP status code", code)
			}
		}
		c.codes = append([]int(nil), codes...)
	})
}

// WithBodyContains makes [HTTP] fail unless the response body (its first
// DefaultMaxBodyBytes) contains s.
func WithBodyContains(s string) Option {
	return httpOption("WithBodyContains", func(c *httpConfig) {
		c.contains = []byte(s)
		if s == "" {
			c.fail("body contains", "must not be empty")
		}
	})
}

// WithJSONField makes [HTTP] fail unless the JSON body has want at path, a
// dot-separated list of object keys and array indexes ("status",
// "checks.0.status"). Strings compare by value, numbers by their JSON text,
// booleans as "true"/"false", null as "null".
func WithJSONField(path, want string) Option {
	return httpOption("WithJSONField", func(c *httpConfig) {
		c.jsonPath, c.jsonWant = strings.Split(path, "."), want
		for _, seg := range c.jsonPath {
			if seg == "" {
				c.fail("json field", "path %q has an empty segment", path)
				return
			}
		}
	})
}

// WithHTTPClient makes [HTTP] use the service's own client (its transport,
// connection pool, proxy and TLS settings). The default is
// http.DefaultClient. The client's Timeout, if any, applies on top of the
// check's timeout.
func WithHTTPClient(client *http.Client) Option {
	return httpOption("WithHTTPClient", func(c *httpConfig) {
		c.client = client
		if client == nil {
			c.fail("client", "must not be nil")
		}
	})
}

// WithInsecureSkipVerify turns TLS certificate verification off for
// [HTTP]. It exists for peers with self-signed certificates in test
// environments; verification is on unless this is given. It cannot be
// combined with WithHTTPClient: configure that client's transport instead.
func WithInsecureSkipVerify() Option {
	return httpOption("WithInsecureSkipVerify", func(c *httpConfig) { c.insecure = true })
}

// WithMaxBodyBytes bounds how much of the body [HTTP] reads for
// WithBodyContains and WithJSONField (default DefaultMaxBodyBytes).
func WithMaxBodyBytes(n int64) Option {
	return httpOption("WithMaxBodyBytes", func(c *httpConfig) {
		c.maxBody = n
		if n <= 0 {
			c.fail("max body bytes", "%d must be positive", n)
		}
	})
}

// HTTP checks an HTTP(S) endpoint with the service's client: it sends one
// request and checks the status code (default any 2xx) and optionally the
// body ([WithBodyContains], [WithJSONField]). The round trip is observed as
// "responseTime" in ms; with [WithLatencyWarn] a slow answer is a warning.
// TLS certificates are verified unless [WithInsecureSkipVerify] is given.
//
// The default name is "http-<host>" and the component type http.
func HTTP(rawURL string, opts ...Option) (*Check, error) {
	u, uerr := url.Parse(rawURL)
	host := ""
	if uerr == nil {
		host = u.Hostname()
	}
	cfg := httpConfig{
		builtin: newBuiltin("HTTP", defaultName("http", host), ComponentHTTP, "responseTime"),
		method:  http.MethodGet,
		maxBody: DefaultMaxBodyBytes,
	}
	cfg.latencyOK = true
	configure(&cfg, &cfg.builtin, opts)
	switch {
	case rawURL == "":
		cfg.fail("url", "must not be empty")
	case uerr != nil:
		cfg.fail("url", "%s", redact.Error(uerr))
	case u.Scheme != "http" && u.Scheme != "https":
		cfg.fail("url", "scheme %q is not http or https", u.Scheme)
	case host == "":
		cfg.fail("url", "%q has no host", redact.String(rawURL))
	}
	if cfg.insecure && cfg.client != nil {
		cfg.fail("insecure skip verify", "cannot be combined with WithHTTPClient; set InsecureSkipVerify on that client's transport")
	}
	if cfg.err != nil {
		return cfg.build(nil)
	}
	client := cfg.client
	if client == nil {
		client = http.DefaultClient
		if cfg.insecure {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicitly requested
			client = &http.Client{Transport: tr}
		}
	}
	// The request is built once; each run only attaches its context.
	tmpl, err := http.NewRequest(cfg.method, rawURL, nil)
	if err != nil {
		cfg.fail("url", "%s", redact.Error(err))
		return cfg.build(nil)
	}
	if cfg.header != nil {
		tmpl.Header = cfg.header
		if h := cfg.header.Get("Host"); h != "" {
			tmpl.Host = h
		}
	}
	h := &httpCheck{
		client: client, tmpl: tmpl, codes: cfg.codes, contains: cfg.contains,
		jsonPath: cfg.jsonPath, jsonWant: cfg.jsonWant, maxBody: cfg.maxBody, warn: cfg.latencyWarn,
	}
	return cfg.build(h.run)
}

type httpCheck struct {
	client   *http.Client
	tmpl     *http.Request
	codes    []int
	contains []byte
	jsonPath []string
	jsonWant string
	maxBody  int64
	warn     time.Duration
}

func (h *httpCheck) run(ctx context.Context) error {
	start := time.Now()
	resp, err := h.client.Do(h.tmpl.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
		resp.Body.Close()
	}()
	if !h.statusOK(resp.StatusCode) {
		return fmt.Errorf("%w: %d %s", ErrUnexpectedStatus, resp.StatusCode, h.want())
	}
	if h.contains != nil || h.jsonPath != nil {
		body, err := io.ReadAll(io.LimitReader(resp.Body, h.maxBody))
		if err != nil {
			return fmt.Errorf("http: reading body: %w", err)
		}
		if h.contains != nil && !bytes.Contains(body, h.contains) {
			return fmt.Errorf("%w: body does not contain the expected text", ErrUnexpectedBody)
		}
		if h.jsonPath != nil {
			got, err := jsonfield.Lookup(body, h.jsonPath)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrUnexpectedBody, err)
			}
			if got != h.jsonWant {
				return fmt.Errorf("%w: %s is %q, want %q", ErrUnexpectedBody,
					strings.Join(h.jsonPath, "."), truncate(got, 64), truncate(h.jsonWant, 64))
			}
		}
	}
	return latency(ctx, start, h.warn)
}

func (h *httpCheck) statusOK(code int) bool {
	if h.codes == nil {
		return code >= 200 && code <= 299
	}
	for _, c := range h.codes {
		if c == code {
			return true
		}
	}
	return false
}

func (h *httpCheck) want() string {
	if h.codes == nil {
		return "(want 2xx)"
	}
	s := make([]string, len(h.codes))
	for i, c := range h.codes {
		s[i] = strconv.Itoa(c)
	}
	return "(want " + strings.Join(s, ", ") + ")"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// isToken reports whether s is an RFC 9110 token (method and header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
