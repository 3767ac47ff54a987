// Package httpapi serves alerting over HTTP: igmon's own JSON routes for
// alert states and silences, and the subset of Alertmanager's API v2 that
// amtool and Grafana's Alertmanager data source use ([NewHandler]).
//
// It reads an alerting.Evaluator through its public methods and an
// dispatch.Dispatcher through a read-only snapshot the dispatcher copies
// under its own lock (alerting/internal/dispatchview), so what the
// Alertmanager routes report (receivers, inhibition, maintenance windows,
// groups, silences) is the pipeline's own verdict at one moment, and this
// package never touches the dispatcher's state. Silences are created and
// expired through the dispatcher's silence set.
//
// monitor.Monitor.AlertsHandler serves it behind the Monitor's authorizer.
package httpapi
