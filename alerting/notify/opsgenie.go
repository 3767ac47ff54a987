package notify

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// defaultOpsgenieURL is the Alert API base (EU: https://api.eu.opsgenie.com).
const defaultOpsgenieURL = "https://api.opsgenie.com"

// OpsgenieConfig configures the Opsgenie Alert API notifier.
type OpsgenieConfig struct {
	APIKey     string // integration key, sent as "Authorization: GenieKey …"
	URL        string
	Responders []OpsgenieResponder
	Priority   string // P1..P5; default derived from severity
	Source     string // default "igmon"
}

// OpsgenieResponder is a team, user, escalation or schedule.
type OpsgenieResponder struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"`
}

// opsgenieNotifier creates an alert per firing alert (alias = the alert's
// fingerprint, so Opsgenie deduplicates across replicas) and closes it by
// alias when resolved. Atlassian ends Opsgenie support in April 2027; the
// Jira Service Management ops API has the same shape behind another base URL.
type opsgenieNotifier struct {
	cfg OpsgenieConfig
	s   sender
}

// NewOpsgenie returns an Opsgenie notifier.
func NewOpsgenie(cfg OpsgenieConfig, opts ...Option) (dispatch.Notifier, error) {
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("%w: OpsgenieConfig.APIKey is required", ErrInvalidConfig)
	}
	if cfg.URL == "" {
		cfg.URL = defaultOpsgenieURL
	}
	if err := requireURL("OpsgenieConfig.URL", cfg.URL); err != nil {
		return nil, err
	}
	switch cfg.Priority {
	case "", "P1", "P2", "P3", "P4", "P5":
	default:
		return nil, fmt.Errorf("%w: OpsgenieConfig.Priority must be P1..P5", ErrInvalidConfig)
	}
	if cfg.Source == "" {
		cfg.Source = "igmon"
	}
	cfg.URL = strings.TrimRight(cfg.URL, "/")
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return &opsgenieNotifier{cfg: cfg, s: sender{name: "opsgenie", opts: o, secrets: []string{cfg.APIKey}}}, nil
}

// opsgenieAlert is the create-alert body.
type opsgenieAlert struct {
	Message     string              `json:"message"`
	Alias       string              `json:"alias"`
	Description string              `json:"description,omitempty"`
	Responders  []OpsgenieResponder `json:"responders,omitempty"`
	Tags        []string            `json:"tags,omitempty"`
	Details     map[string]string   `json:"details,omitempty"`
	Entity      string              `json:"entity,omitempty"`
	Source      string              `json:"source"`
	Priority    string              `json:"priority"`
}

// opsgenieClose is the close-alert body.
type opsgenieClose struct {
	Source string `json:"source"`
	Note   string `json:"note,omitempty"`
}

func (o *opsgenieNotifier) priority(sev string) string {
	if o.cfg.Priority != "" {
		return o.cfg.Priority
	}
	switch sev {
	case "page", "critical":
		return "P1"
	case "error":
		return "P2"
	case "ticket", "warning":
		return "P4"
	}
	return "P3"
}

// alias is the Opsgenie alias of an alert.
func alias(a *alerting.Alert) string { return a.Labels.Fingerprint() }

// Notify implements dispatch.Notifier.
func (o *opsgenieNotifier) Notify(ctx context.Context, n *dispatch.Notification) error {
	hdr := http.Header{"Authorization": {"GenieKey " + o.cfg.APIKey}}
	for i := range n.Alerts {
		a := &n.Alerts[i]
		key := alias(a)
		if a.State == alerting.StateResolved {
			u := o.cfg.URL + "/v2/alerts/" + url.PathEscape(key) + "/close?identifierType=alias"
			if _, _, err := o.s.post(ctx, u, hdr, opsgenieClose{Source: o.cfg.Source, Note: "resolved"}); err != nil {
				return err
			}
			continue
		}
		details := maps.Clone(a.Labels)
		var tags []string
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			if k == "severity" || k == "team" {
				tags = append(tags, k+":"+a.Labels[k])
			}
		}
		body := opsgenieAlert{
			Message:     truncateRunes(summary(a), 130),
			Alias:       key,
			Description: truncateRunes(a.Annotations["description"], 15000),
			Responders:  o.cfg.Responders,
			Tags:        tags,
			Details:     details,
			Entity:      a.Labels["igmon.dependency.name"],
			Source:      o.cfg.Source,
			Priority:    o.priority(a.Labels["severity"]),
		}
		if _, _, err := o.s.post(ctx, o.cfg.URL+"/v2/alerts", hdr, body); err != nil {
			return err
		}
	}
	return nil
}
