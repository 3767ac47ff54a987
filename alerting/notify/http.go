package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
	"github.com/jackcode/igmon/internal/redact"
)

// ErrInvalidConfig is wrapped by constructor errors; the message names the
// field.
var ErrInvalidConfig = errors.New("notify: invalid config")

// Option configures an HTTP notifier.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

type options struct {
	client *http.Client
	now    func() time.Time
}

// WithHTTPClient sets the client used for requests (default: a client
// with a 30s timeout; the delivery loop also bounds each attempt).
func WithHTTPClient(c *http.Client) Option { return optionFunc(func(o *options) { o.client = c }) }

func buildOptions(opts []Option) (options, error) {
	o := options{client: &http.Client{Timeout: 30 * time.Second}, now: time.Now}
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.client == nil {
		return o, fmt.Errorf("%w: WithHTTPClient: nil client", ErrInvalidConfig)
	}
	return o, nil
}

// sender posts JSON and turns every failure into a secret-free error.
type sender struct {
	name    string
	opts    options
	secrets []string
}

func (s *sender) mask(msg string) string {
	for _, sec := range s.secrets {
		if sec != "" {
			msg = strings.ReplaceAll(msg, sec, redact.Mask)
		}
	}
	return redact.String(msg)
}

// post sends body as JSON to u and returns the answer's body (up to 64 KiB)
// for 2xx answers. check may reject a 2xx answer (Slack's "ok", Telegram's
// "ok":true).
func (s *sender) post(ctx context.Context, u string, hdr http.Header, body any) ([]byte, *http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, nil, deliveryerr.Permanent(fmt.Errorf("%s: encode: %v", s.name, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		// The URL may hold the secret: never echo it.
		return nil, nil, deliveryerr.Permanent(errors.New(s.name + ": invalid URL"))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "igmon-alerting")
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := s.opts.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		// A fresh error, not a wrap: the chain must not lead back to
		// the URL.
		return nil, nil, fmt.Errorf("%s: POST: %s", s.name, s.mask(err.Error()))
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return rb, resp, s.statusError(resp, rb)
	}
	return rb, resp, nil
}

func (s *sender) statusError(resp *http.Response, body []byte) error {
	excerpt := strings.TrimSpace(string(body))
	if len(excerpt) > 200 {
		excerpt = excerpt[:200]
	}
	err := deliveryerr.HTTPStatusError(s.name, resp, s.mask(excerpt), s.opts.now())
	return err
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	return string([]rune(s)[:n-1]) + "…"
}

func requireURL(field, raw string) error {
	if raw == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalidConfig, field)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %s must be an http(s) URL", ErrInvalidConfig, field)
	}
	return nil
}

// urlSecrets lists the parts of a secret-bearing URL that must never be
// shown: the URL itself, its path and query, and every long path segment
// (Slack's token is the last one, Telegram's the bot segment).
func urlSecrets(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	if u.Path != "" && u.Path != "/" {
		out = append(out, u.Path)
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
	}
	if u.User != nil {
		out = append(out, u.User.String())
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if len(seg) >= 8 {
			out = append(out, seg)
		}
	}
	// Longest first, so a path is masked whole before its segments.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}
