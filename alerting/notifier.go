package alerting

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Notifier delivers one group notification to one channel. Implementations
// return errors that never contain secrets (tokens, routing keys, webhook
// URLs); wrap them with Permanent or WithRetryAfter to steer retries.
type Notifier interface {
	Notify(ctx context.Context, n *Notification) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n *Notification) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n *Notification) error { return f(ctx, n) }

// Notification is what a receiver gets for one alert group: the firing
// alerts and the alerts that resolved since the last notification.
type Notification struct {
	Receiver          string            `json:"receiver"`
	GroupKey          string            `json:"groupKey"`
	GroupLabels       Labels            `json:"groupLabels"`
	Status            string            `json:"status"` // firing or resolved
	Reason            string            `json:"reason"` // new, changed, resolved, repeat
	Alerts            []Alert           `json:"alerts"`
	CommonLabels      Labels            `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL,omitempty"`
}

// Firing returns the firing alerts of n.
func (n *Notification) Firing() []Alert { return n.filter(StateFiring) }

// Resolved returns the resolved alerts of n.
func (n *Notification) Resolved() []Alert { return n.filter(StateResolved) }

func (n *Notification) filter(s State) []Alert {
	var out []Alert
	for _, a := range n.Alerts {
		if a.State == s {
			out = append(out, a)
		}
	}
	return out
}

func commonLabels(alerts []Alert) Labels {
	if len(alerts) == 0 {
		return Labels{}
	}
	c := alerts[0].Labels.Clone()
	for _, a := range alerts[1:] {
		maps.DeleteFunc(c, func(k, v string) bool { return a.Labels[k] != v })
	}
	return c
}

func commonAnnotations(alerts []Alert) map[string]string {
	if len(alerts) == 0 {
		return map[string]string{}
	}
	c := maps.Clone(alerts[0].Annotations)
	if c == nil {
		c = map[string]string{}
	}
	for _, a := range alerts[1:] {
		maps.DeleteFunc(c, func(k, v string) bool { return a.Annotations[k] != v })
	}
	return c
}

// ErrPermanent marks delivery failures that retrying cannot fix.
var ErrPermanent = errors.New("permanent delivery failure")

// DeliveryError carries how a failed delivery should be retried.
type DeliveryError struct {
	Err        error
	Permanent  bool
	RetryAfter time.Duration // server-requested wait (429, Retry-After)
	StatusCode int           // HTTP status when there was one
}

func (e *DeliveryError) Error() string {
	if e.Err == nil {
		return "delivery failed"
	}
	return e.Err.Error()
}

// Unwrap returns the cause.
func (e *DeliveryError) Unwrap() error { return e.Err }

// Is lets errors.Is(err, ErrPermanent) hold for permanent failures.
func (e *DeliveryError) Is(target error) bool { return target == ErrPermanent && e.Permanent }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &DeliveryError{Err: err, Permanent: true} }

// WithRetryAfter asks the delivery loop to wait at least d before retrying.
func WithRetryAfter(err error, d time.Duration) error { return &DeliveryError{Err: err, RetryAfter: d} }

// HTTPStatusError classifies an HTTP answer the way every notifier does:
// 429 and 5xx (and 408) are retried, honouring Retry-After; 400, 401, 403,
// 404, 410 and other 4xx are permanent. what names the provider; body is a
// short excerpt of the answer (it must not echo secrets).
func HTTPStatusError(what string, resp *http.Response, body string, now time.Time) error {
	code := resp.StatusCode
	err := fmt.Errorf("%s: HTTP %d", what, code)
	if body != "" {
		err = fmt.Errorf("%s: HTTP %d: %s", what, code, body)
	}
	de := &DeliveryError{Err: err, StatusCode: code}
	switch {
	case code == http.StatusTooManyRequests || code >= 500 || code == http.StatusRequestTimeout:
		de.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	default:
		de.Permanent = true
	}
	return de
}

// ParseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3) given as
// delay-seconds ("120") or as an HTTP date in any of the three formats
// http.ParseTime knows ("Wed, 21 Oct 2026 07:28:00 GMT"), relative to now.
// Anything unreadable, negative or in the past is 0 (retry on the normal
// backoff); absurd values are capped at a day rather than overflowing.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	const maxRetryAfter = 24 * time.Hour
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s >= int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

func classify(err error) (permanent bool, retryAfter time.Duration) {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Permanent, de.RetryAfter
	}
	return false, 0
}
