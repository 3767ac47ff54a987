package notify

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// defaultPagerDutyURL is the Events API v2 endpoint (EU accounts use
// https://events.eu.pagerduty.com/v2/enqueue).
const defaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDutyConfig configures the Events API v2 notifier.
type PagerDutyConfig struct {
	RoutingKey string // the integration key; it is the credential
	URL        string // default defaultPagerDutyURL
	Source     string // payload.source, e.g. the service name; default "igmon"
	ClientURL  string // link back to the dashboard
}

// pagerDutyNotifier sends one trigger event per firing alert and one resolve event
// per resolved alert. The dedup_key is derived from the alert's labels, so
// every replica and every restart pages the same incident instead of a
// new one.
type pagerDutyNotifier struct {
	cfg PagerDutyConfig
	s   sender
}

// NewPagerDuty returns a PagerDuty notifier.
func NewPagerDuty(cfg PagerDutyConfig, opts ...Option) (dispatch.Notifier, error) {
	if cfg.RoutingKey == "" {
		return nil, fmt.Errorf("%w: PagerDutyConfig.RoutingKey is required", ErrInvalidConfig)
	}
	if cfg.URL == "" {
		cfg.URL = defaultPagerDutyURL
	}
	if err := requireURL("PagerDutyConfig.URL", cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Source == "" {
		cfg.Source = "igmon"
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &pagerDutyNotifier{cfg: cfg, s: sender{name: "pagerduty", opts: o, secrets: []string{cfg.RoutingKey}}}, nil
}

// pagerDutyEvent is an Events API v2 event.
type pagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"`
	DedupKey    string            `json:"dedup_key"`
	Payload     *pagerDutyPayload `json:"payload,omitempty"`
	Client      string            `json:"client,omitempty"`
	ClientURL   string            `json:"client_url,omitempty"`
}

// pagerDutyPayload is the payload of a trigger event.
type pagerDutyPayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Group         string            `json:"group,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// dedupKey is the deterministic PagerDuty key of an alert.
func dedupKey(a *alerting.Alert) string { return "igmon-" + a.Labels.Fingerprint() }

func pdSeverity(s string) string {
	switch s {
	case "critical", "error", "warning", "info":
		return s
	case "page":
		return "critical"
	case "ticket", "warn":
		return "warning"
	}
	return "error"
}

// events builds the events for n.
func (p *pagerDutyNotifier) events(n *dispatch.Notification) []pagerDutyEvent {
	var out []pagerDutyEvent
	for i := range n.Alerts {
		a := &n.Alerts[i]
		ev := pagerDutyEvent{RoutingKey: p.cfg.RoutingKey, DedupKey: dedupKey(a), Client: "igmon", ClientURL: p.cfg.ClientURL}
		if a.State == alerting.StateResolved {
			ev.EventAction = "resolve"
		} else {
			ev.EventAction = "trigger"
			details := maps.Clone(a.Labels)
			for k, v := range a.Annotations {
				details[k] = v
			}
			ts := ""
			if !a.FiredAt.IsZero() {
				ts = a.FiredAt.UTC().Format(time.RFC3339)
			}
			ev.Payload = &pagerDutyPayload{
				Summary:       truncateRunes(summary(a), 1024),
				Source:        p.cfg.Source,
				Severity:      pdSeverity(a.Labels["severity"]),
				Timestamp:     ts,
				Component:     a.Labels["igmon.dependency.name"],
				Group:         a.Labels["team"],
				Class:         a.Labels[alerting.LabelAlertName],
				CustomDetails: details,
			}
		}
		out = append(out, ev)
	}
	return out
}

// Notify implements dispatch.Notifier.
func (p *pagerDutyNotifier) Notify(ctx context.Context, n *dispatch.Notification) error {
	for _, ev := range p.events(n) {
		if _, _, err := p.s.post(ctx, p.cfg.URL, nil, ev); err != nil {
			return err
		}
	}
	return nil
}
