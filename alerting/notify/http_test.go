package notify

import (
	"errors"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting/dispatch"
)

// fixedNow makes an HTTP notifier read time from now, so an HTTP-date
// Retry-After gives an exact wait.
func fixedNow(s *sender, now time.Time) { s.opts.now = func() time.Time { return now } }

// TestRetryAfterHTTPDateOn5xx: a 5xx answer whose Retry-After is an HTTP
// date (not seconds) gives the exact wait until that date, for every HTTP
// notifier.
func TestRetryAfterHTTPDateOn5xx(t *testing.T) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		name  string
		newAt notifierAt
	}{
		{"webhook", func(url string) (dispatch.Notifier, error) {
			w, err := NewWebhook(WebhookConfig{URL: url + "/hook"})
			if err == nil {
				fixedNow(&w.(*webhookNotifier).s, now)
			}
			return w, err
		}},
		{"slack", func(url string) (dispatch.Notifier, error) {
			s, err := NewSlack(SlackConfig{WebhookURL: url + "/services/T/B/X"})
			if err == nil {
				fixedNow(&s.(*slackNotifier).s, now)
			}
			return s, err
		}},
		{"pagerduty", func(url string) (dispatch.Notifier, error) {
			p, err := NewPagerDuty(PagerDutyConfig{RoutingKey: "k", URL: url})
			if err == nil {
				fixedNow(&p.(*pagerDutyNotifier).s, now)
			}
			return p, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, code := range []int{503, 429} {
				_, err := deliver(t, tt.newAt, testNotification(),
					response{status: code, body: "maintenance", header: map[string]string{"Retry-After": "Wed, 21 Oct 2026 07:31:00 GMT"}})
				if err == nil || errors.Is(err, dispatch.ErrPermanent) || retryAfter(err) != 3*time.Minute {
					t.Errorf("%d: err=%v retryAfter=%v, want retryable after 3m", code, err, retryAfter(err))
				}
			}
		})
	}
}
