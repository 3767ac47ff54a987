// Package notify holds the notifiers of igmon's alerting pipeline: a
// generic webhook in the Alertmanager webhook v4 shape, Slack incoming
// webhooks, PagerDuty Events API v2, Telegram Bot sendMessage, Opsgenie,
// email over SMTP with STARTTLS, and slog. Alerts go to an Alertmanager
// cluster through dispatch.WithAlertmanagers, not through a notifier.
//
// Every notifier implements dispatch.Notifier, classifies failures the same
// way (429, 5xx and transport errors are retried, honouring Retry-After;
// 400, 401, 403, 404, 410 are permanent) and never puts a token, routing
// key or webhook URL into an error: URLs are dropped from transport errors
// and each notifier masks its own secrets before returning.
package notify
