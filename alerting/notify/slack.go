package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
)

// SlackConfig configures a Slack incoming webhook. The URL is the secret:
// anyone who has it can post to the channel.
type SlackConfig struct {
	WebhookURL string
}

// slackNotifier posts to an incoming webhook. Slack answers 200 with body "ok";
// 400 invalid_payload, 403 action_prohibited, 404 channel_not_found and 410
// channel_is_archived are permanent, 429 and 5xx are retried.
type slackNotifier struct {
	url string
	s   sender
}

// NewSlack returns a Slack notifier.
func NewSlack(cfg SlackConfig, opts ...Option) (dispatch.Notifier, error) {
	if err := requireURL("SlackConfig.WebhookURL", cfg.WebhookURL); err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &slackNotifier{url: cfg.WebhookURL, s: sender{name: "slack", opts: o, secrets: urlSecrets(cfg.WebhookURL)}}, nil
}

// slackMessage is the webhook body. Attachments are legacy but the only way
// to get the red/green bar on-call people scan for.
type slackMessage struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments,omitempty"`
}

// slackAttachment is one coloured block.
type slackAttachment struct {
	Color    string `json:"color"`
	Title    string `json:"title"`
	Text     string `json:"text"`
	Fallback string `json:"fallback"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// message builds the Slack body for n.
func (s *slackNotifier) message(n *dispatch.Notification) slackMessage {
	color := "danger"
	if n.Status == "resolved" {
		color = "good"
	}
	var b strings.Builder
	for i := range n.Alerts {
		a := &n.Alerts[i]
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "*%s* %s", a.State, slackEscape(summary(a)))
		if r := a.Annotations["runbook_url"]; r != "" {
			fmt.Fprintf(&b, " (<%s|runbook>)", slackEscape(r))
		}
	}
	t := slackEscape(title(n))
	return slackMessage{Text: t, Attachments: []slackAttachment{{
		Color: color, Title: t, Text: truncateRunes(b.String(), 7000), Fallback: t}}}
}

// Notify implements dispatch.Notifier.
func (s *slackNotifier) Notify(ctx context.Context, n *dispatch.Notification) error {
	body, _, err := s.s.post(ctx, s.url, nil, s.message(n))
	if err != nil {
		return err
	}
	if strings.TrimSpace(string(body)) != "ok" {
		return deliveryerr.Permanent(errors.New("slack: unexpected answer " + s.s.mask(truncateRunes(string(body), 100))))
	}
	return nil
}
