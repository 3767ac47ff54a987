package notify

import (
	"context"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"
)

// AlertmanagerConfig points at an Alertmanager, e.g. http://alertmanager:9093.
type AlertmanagerConfig struct {
	URL string
}

// Alertmanager forwards alerts to an Alertmanager through POST
// /api/v2/alerts, so a fleet routes igmon's alerts centrally. Firing alerts
// carry no endsAt (Alertmanager resolves them after resolve_timeout unless
// re-sent, which the group repeat does); resolved alerts carry their end.
type Alertmanager struct {
	url string
	s   sender
}

// NewAlertmanager returns an Alertmanager API v2 notifier.
func NewAlertmanager(cfg AlertmanagerConfig, opts ...Option) (*Alertmanager, error) {
	if err := requireURL("AlertmanagerConfig.URL", cfg.URL); err != nil {
		return nil, err
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &Alertmanager{url: strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts",
		s: sender{name: "alertmanager", opts: o, secrets: urlSecrets(cfg.URL)}}, nil
}

// PostableAlert is one element of the POST /api/v2/alerts body.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify implements alerting.Notifier.
func (a *Alertmanager) Notify(ctx context.Context, n *alerting.Notification) error {
	body := make([]PostableAlert, 0, len(n.Alerts))
	for _, al := range n.Alerts {
		p := PostableAlert{Labels: al.Labels, Annotations: al.Annotations, StartsAt: al.FiredAt, GeneratorURL: n.ExternalURL}
		if al.State == alerting.StateResolved {
			p.EndsAt = al.ResolvedAt
		}
		body = append(body, p)
	}
	_, _, err := a.s.post(ctx, a.url, nil, body)
	return err
}
