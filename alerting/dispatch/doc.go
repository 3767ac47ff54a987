// Package dispatch notifies the on-call team of the alerts an
// alerting.Evaluator raises: a [Dispatcher] is the Evaluator's sink
// (alerting.WithSink) and runs the stages inhibit ([InhibitRule]) →
// silence ([Silences]) → maintenance ([MaintenanceWindow]) → group, dedup
// and repeat ([Route]) before it hands each group notification to a
// bounded, non-blocking per-receiver delivery queue ([Receiver]) that
// retries with exponential backoff and jitter ([Backoff]), honours
// Retry-After, never retries permanent failures ([ErrPermanent]), and
// falls back to a second notifier. Notifiers for webhooks, Slack,
// PagerDuty, Telegram, Opsgenie, SMTP and slog live in alerting/notify
// and implement [Notifier].
//
// A fleet of replicas forwards its alerts to an Alertmanager cluster
// instead ([WithAlertmanagers]), which dedups them and can hold the
// fleet's silences.
//
// [New] takes this package's options and alerting's shared ones
// (alerting.WithLogger, WithMeterProvider, WithResource); a single-valued
// option given twice is refused with alerting.ErrInvalidOption, naming it.
// Delivery never blocks Receive: a dead receiver fills its own queue, and
// the oldest notification whose loss costs least (a reminder before a
// firing, a firing before a resolve) is dropped and counted.
//
// Most services use it through monitor.WithAlerting, which builds the
// Evaluator and the Dispatcher from one list of options; the alerts and
// silences HTTP API over a Dispatcher is alerting/httpapi.
package dispatch
