package notify

// Tests added by the issue-7 audit: Retry-After as an HTTP date on a 5xx,
// header injection and STARTTLS downgrade over SMTP, HTML escaping of
// Telegram titles.

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
)

// fixedNow makes an HTTP notifier read time from now, so an HTTP-date
// Retry-After gives an exact wait.
func fixedNow(s *sender, now time.Time) { s.opts.now = func() time.Time { return now } }

func TestRetryAfterHTTPDateOn5xx(t *testing.T) {
	now := time.Date(2026, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		name  string
		newAt notifierAt
	}{
		{"webhook", func(url string) (alerting.Notifier, error) {
			w, err := NewWebhook(WebhookConfig{URL: url + "/hook"})
			if err == nil {
				fixedNow(&w.(*webhookNotifier).s, now)
			}
			return w, err
		}},
		{"slack", func(url string) (alerting.Notifier, error) {
			s, err := NewSlack(SlackConfig{WebhookURL: url + "/services/T/B/X"})
			if err == nil {
				fixedNow(&s.(*slackNotifier).s, now)
			}
			return s, err
		}},
		{"pagerduty", func(url string) (alerting.Notifier, error) {
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
				if err == nil || errors.Is(err, alerting.ErrPermanent) || retryAfter(err) != 3*time.Minute {
					t.Errorf("%d: err=%v retryAfter=%v, want retryable after 3m", code, err, retryAfter(err))
				}
			}
		})
	}
}

func TestEmailHeaderInjectionAndSTARTTLSDowngrade(t *testing.T) {
	srv := newSMTPServer(t)
	tc := &tls.Config{RootCAs: srv.pool, ServerName: "localhost"}
	e, _ := NewEmail(EmailConfig{Addr: srv.ln.Addr().String(), From: "igmon@casino.example", To: []string{"oncall@casino.example"}, TLSConfig: tc})
	n := testNotification()
	// A label value carrying CRLF must not become a header of its own.
	n.GroupLabels = alerting.Labels{"team": "payments\r\nBcc: attacker@evil.example"}
	if err := e.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	msg := srv.data[0]
	srv.mu.Unlock()
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Fatalf("label value injected a header:\n%s", head)
		}
	}

	// A server (or a man in the middle) that does not offer STARTTLS gets
	// neither the credentials nor the alert text.
	plain := newSMTPServer(t)
	plain.noTLS = true
	withCreds, _ := NewEmail(EmailConfig{Addr: plain.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"},
		Username: "igmon", Password: "right-password", AllowPlaintext: true})
	noCreds, _ := NewEmail(EmailConfig{Addr: plain.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"}})
	for name, nf := range map[string]alerting.Notifier{"credentials with AllowPlaintext": withCreds, "default": noCreds} {
		err := nf.Notify(context.Background(), testNotification())
		if !errors.Is(err, alerting.ErrPermanent) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("%s: %v, want a permanent STARTTLS error", name, err)
		}
	}
	plain.mu.Lock()
	defer plain.mu.Unlock()
	if len(plain.data) != 0 || len(plain.authUser) != 0 {
		t.Errorf("plaintext server got %d messages and %d logins", len(plain.data), len(plain.authUser))
	}
	optIn, _ := NewEmail(EmailConfig{Addr: plain.ln.Addr().String(), From: "a@b.example", To: []string{"c@d.example"}, AllowPlaintext: true})
	plain.mu.Unlock()
	err := optIn.Notify(context.Background(), testNotification())
	plain.mu.Lock()
	if err != nil || len(plain.data) != 1 {
		t.Errorf("AllowPlaintext without credentials: %v, %d messages", err, len(plain.data))
	}
}

func TestTelegramEscapesGroupLabelsAndLinks(t *testing.T) {
	tg, _ := NewTelegram(TelegramConfig{Token: "1:x", ChatID: "1"})
	n := testNotification()
	n.GroupLabels = alerting.Labels{"team": "<payments & co>"}
	n.Alerts[0].Annotations["runbook_url"] = `https://rb.example/?a=1&b="2"`
	text := tg.(*telegramNotifier).message(n).Text
	if !strings.Contains(text, "<b>[FIRING:1] &lt;payments &amp; co&gt;</b>") {
		t.Errorf("title not escaped: %q", text)
	}
	if !strings.Contains(text, `<a href="https://rb.example/?a=1&amp;b=&#34;2&#34;">runbook</a>`) {
		t.Errorf("link not escaped: %q", text)
	}
}
