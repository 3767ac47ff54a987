package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackcode/igmon/alerting"
)

// AlertmanagerConfig points at an Alertmanager, e.g. http://alertmanager:9093.
type AlertmanagerConfig struct {
	URL string
	// ResendInterval is how often the route re-sends a firing group to
	// this Alertmanager (default 1m, Prometheus' resend delay). Firing
	// alerts are posted with endsAt = now + 4×ResendInterval, as
	// Prometheus does, so Alertmanager keeps them firing across a few
	// missed posts and resolves them by itself if this process dies. The
	// Dispatcher refuses a route that re-sends less often (see
	// alerting.Resender); set the route's GroupInterval and RepeatInterval
	// to at most this value.
	ResendInterval time.Duration
}

// Alertmanager forwards alerts to an Alertmanager through POST
// /api/v2/alerts, so a fleet routes igmon's alerts centrally. Resolved
// alerts carry their end time.
type Alertmanager struct {
	url    string
	resend time.Duration
	s      sender
}

// NewAlertmanager returns an Alertmanager API v2 notifier.
func NewAlertmanager(cfg AlertmanagerConfig, opts ...Option) (*Alertmanager, error) {
	if err := requireURL("AlertmanagerConfig.URL", cfg.URL); err != nil {
		return nil, err
	}
	if cfg.ResendInterval < 0 {
		return nil, fmt.Errorf("%w: AlertmanagerConfig.ResendInterval must not be negative", ErrInvalidConfig)
	}
	if cfg.ResendInterval == 0 {
		cfg.ResendInterval = time.Minute
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &Alertmanager{url: strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts", resend: cfg.ResendInterval,
		s: sender{name: "alertmanager", opts: o, secrets: urlSecrets(cfg.URL)}}, nil
}

// ResendInterval implements alerting.Resender.
func (a *Alertmanager) ResendInterval() time.Duration { return a.resend }

// PostableAlert is one element of the POST /api/v2/alerts body.
type PostableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Alerts builds the POST /api/v2/alerts body for n.
func (a *Alertmanager) Alerts(n *alerting.Notification) []PostableAlert {
	validUntil := a.s.opts.now().Add(4 * a.resend).UTC()
	body := make([]PostableAlert, 0, len(n.Alerts))
	for _, al := range n.Alerts {
		p := PostableAlert{Labels: al.Labels, Annotations: al.Annotations, StartsAt: al.FiredAt, GeneratorURL: n.ExternalURL}
		if al.State == alerting.StateResolved {
			p.EndsAt = al.ResolvedAt
		} else {
			p.EndsAt = validUntil
		}
		body = append(body, p)
	}
	return body
}

// Notify implements alerting.Notifier.
func (a *Alertmanager) Notify(ctx context.Context, n *alerting.Notification) error {
	_, _, err := a.s.post(ctx, a.url, nil, a.Alerts(n))
	return err
}
