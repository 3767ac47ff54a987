package notify

import (
	"context"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// WebhookConfig configures a generic webhook that receives the
// Alertmanager webhook v4 JSON, so receivers written for Alertmanager work
// unchanged.
type WebhookConfig struct {
	URL string // secret: may carry a token in the path or query
	// MaxAlerts caps the alerts per message (0: all); the rest is counted
	// in truncatedAlerts.
	MaxAlerts int
}

// webhookNotifier posts Alertmanager webhook v4 messages.
type webhookNotifier struct {
	cfg WebhookConfig
	s   sender
}

// NewWebhook returns a webhook notifier.
func NewWebhook(cfg WebhookConfig, opts ...Option) (dispatch.Notifier, error) {
	if err := requireURL("WebhookConfig.URL", cfg.URL); err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &webhookNotifier{cfg: cfg, s: sender{name: "webhook", opts: o, secrets: urlSecrets(cfg.URL)}}, nil
}

// WebhookMessage is the Alertmanager webhook payload, version 4.
type WebhookMessage struct {
	Version            string            `json:"version"`
	GroupKey           string            `json:"groupKey"`
	TruncatedAlerts    int               `json:"truncatedAlerts"`
	Status             string            `json:"status"`
	Receiver           string            `json:"receiver"`
	GroupLabels        map[string]string `json:"groupLabels"`
	CommonLabels       map[string]string `json:"commonLabels"`
	CommonAnnotations  map[string]string `json:"commonAnnotations"`
	ExternalURL        string            `json:"externalURL"`
	NotificationReason string            `json:"notification_reason,omitempty"`
	Alerts             []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a WebhookMessage.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

func webhookAlert(a *alerting.Alert, generatorURL string) WebhookAlert {
	ann := a.Annotations
	if ann == nil {
		ann = map[string]string{}
	}
	w := WebhookAlert{Status: a.State.String(), Labels: a.Labels, Annotations: ann,
		StartsAt: a.FiredAt, GeneratorURL: generatorURL, Fingerprint: a.Fingerprint}
	if w.StartsAt.IsZero() {
		w.StartsAt = a.ActiveAt
	}
	if a.State == alerting.StateResolved {
		w.EndsAt = a.ResolvedAt
	}
	return w
}

// message builds the v4 payload for n.
func (w *webhookNotifier) message(n *dispatch.Notification) WebhookMessage {
	m := WebhookMessage{Version: "4", GroupKey: n.GroupKey, Status: n.Status, Receiver: n.Receiver,
		GroupLabels: n.GroupLabels, CommonLabels: n.CommonLabels, CommonAnnotations: n.CommonAnnotations,
		ExternalURL: n.ExternalURL, NotificationReason: n.Reason, Alerts: []WebhookAlert{}}
	alerts := n.Alerts
	if w.cfg.MaxAlerts > 0 && len(alerts) > w.cfg.MaxAlerts {
		m.TruncatedAlerts = len(alerts) - w.cfg.MaxAlerts
		alerts = alerts[:w.cfg.MaxAlerts]
	}
	for i := range alerts {
		m.Alerts = append(m.Alerts, webhookAlert(&alerts[i], n.ExternalURL))
	}
	return m
}

// Notify implements dispatch.Notifier.
func (w *webhookNotifier) Notify(ctx context.Context, n *dispatch.Notification) error {
	_, _, err := w.s.post(ctx, w.cfg.URL, nil, w.message(n))
	return err
}
