package dispatch

import (
	"context"
	"maps"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/internal/deliveryerr"
)

// Notifier delivers one group notification to one channel. Implementations
// return errors that never contain secrets (tokens, routing keys, webhook
// URLs); an error wrapping ErrPermanent is not retried.
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
	GroupLabels       alerting.Labels   `json:"groupLabels"`
	Status            string            `json:"status"` // firing or resolved
	Reason            string            `json:"reason"` // new, changed, resolved, repeat
	Alerts            []alerting.Alert  `json:"alerts"`
	CommonLabels      alerting.Labels   `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL,omitempty"`
}

// firing returns the firing alerts of n.
func (n *Notification) firing() []alerting.Alert { return n.filter(alerting.StateFiring) }

// resolved returns the resolved alerts of n.
func (n *Notification) resolved() []alerting.Alert { return n.filter(alerting.StateResolved) }

func (n *Notification) filter(s alerting.State) []alerting.Alert {
	var out []alerting.Alert
	for _, a := range n.Alerts {
		if a.State == s {
			out = append(out, a)
		}
	}
	return out
}

func commonLabels(alerts []alerting.Alert) alerting.Labels {
	if len(alerts) == 0 {
		return alerting.Labels{}
	}
	c := alerts[0].Labels.Clone()
	for _, a := range alerts[1:] {
		maps.DeleteFunc(c, func(k, v string) bool { return a.Labels[k] != v })
	}
	return c
}

func commonAnnotations(alerts []alerting.Alert) map[string]string {
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

// ErrPermanent marks a delivery failure that retrying cannot fix: a
// Notifier returns an error wrapping it (fmt.Errorf("%w: ...",
// ErrPermanent)) and the dispatcher goes straight to the fallback.
var ErrPermanent = deliveryerr.ErrPermanent

func classify(err error) (permanent bool, retryAfter time.Duration) { return deliveryerr.Classify(err) }
