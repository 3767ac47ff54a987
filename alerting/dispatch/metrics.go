package dispatch

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/internal/buildinfo"
)

// Delivery outcomes, the values of attrOutcome.
// scopeName is the instrumentation scope of the dispatcher's metrics.
const scopeName = "github.com/jackcode/igmon/alerting/dispatch"

// Metric and attribute names. No OTel semantic convention covers alerting,
// so they are igmon names.
const (
	metricNotifications = "igmon.alert.notifications"
	attrAlertReceiver   = "igmon.alert.receiver"
	// attrOutcome is the delivery outcome of metricNotifications (sent,
	// failed, retried, dropped, coalesced).
	attrOutcome = "igmon.alert.notification.outcome"
)

const (
	outcomeSent = iota
	outcomeFailed
	outcomeRetried
	outcomeDropped
	outcomeCoalesced
	numOutcomes
)

// Every notification queued for a receiver ends as exactly one of sent,
// failed, dropped or coalesced (merged into a newer one of its group);
// retried counts extra attempts.
var outcomeNames = [numOutcomes]string{"sent", "failed", "retried", "dropped", "coalesced"}

// metricSuppressed counts firing alerts kept out of a notification, by
// reason (inhibited, silenced, maintenance).
const metricSuppressed = "igmon.alert.suppressed"

// attrReason is the reason attribute of metricSuppressed (inhibited,
// silenced, maintenance).
const attrReason = "igmon.alert.suppression.reason"

type dispatchInstruments struct {
	sent    metric.Int64Counter
	muted   metric.Int64Counter
	opts    map[string]*[numOutcomes]metric.AddOption
	reasons map[string]metric.AddOption
}

func newDispatchInstruments(mp metric.MeterProvider, rcvs []Receiver) (*dispatchInstruments, error) {
	m := mp.Meter(scopeName, buildinfo.MeterOptions()...)
	in := &dispatchInstruments{opts: map[string]*[numOutcomes]metric.AddOption{}, reasons: map[string]metric.AddOption{}}
	var err error
	if in.sent, err = m.Int64Counter(metricNotifications, metric.WithUnit("{notification}"),
		metric.WithDescription("Alert notification delivery attempts by receiver and outcome (sent, failed, retried, dropped, coalesced).")); err != nil {
		return nil, err
	}
	if in.muted, err = m.Int64Counter(metricSuppressed, metric.WithUnit("{alert}"),
		metric.WithDescription("Firing alerts kept out of notifications, by reason.")); err != nil {
		return nil, err
	}
	for _, r := range rcvs {
		for _, name := range []string{r.Name, r.Name + "/fallback"} {
			var o [numOutcomes]metric.AddOption
			for i, out := range outcomeNames {
				o[i] = metric.WithAttributeSet(attribute.NewSet(
					attribute.String(attrAlertReceiver, name), attribute.String(attrOutcome, out)))
			}
			in.opts[name] = &o
		}
	}
	for _, r := range []string{"inhibited", "silenced", "maintenance"} {
		in.reasons[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String(attrReason, r)))
	}
	return in, nil
}

func (in *dispatchInstruments) outcome(receiver string, o int) {
	if opts := in.opts[receiver]; opts != nil {
		in.sent.Add(context.Background(), 1, opts[o])
	}
}

func (in *dispatchInstruments) suppressed(reason string) {
	in.muted.Add(context.Background(), 1, in.reasons[reason])
}
