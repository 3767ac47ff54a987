// Package alerting detects deviations in what igmon measures and notifies the
// on-call team.
//
// Detection: an [Evaluator] collects metrics in process (any [MetricSource],
// typically the SDK's ManualReader) and check states (a [CheckSource]) every
// evaluation interval, keeps per-series windows of cumulative snapshots, and
// evaluates [Rule]s of six kinds: [Threshold] on a gauge, [Ratio] of two
// counters over a window, [Quantile] of a histogram over a window,
// [CheckState], [Absence] of successes while requests arrive, and
// multi-window multi-burn-rate [SLO] rules as in the SRE workbook. Each alert
// moves inactive → pending → firing → resolved with `for`, `keep_firing_for`
// and flap damping.
//
// Notification is the dispatch subpackage: a dispatch.Dispatcher is the
// [Sink] of an Evaluator and routes, groups, silences and delivers its
// alerts, or forwards them to an Alertmanager cluster. It imports this
// package (for [Alert], [Labels] and [Matchers]); this package never
// imports it. [SharedOption]s (logger, meter provider, resource) configure
// both.
//
// alerting never imports the check engine or the probes: it reads metrics
// and check states through [MetricSource] and [CheckSource], which the
// monitor package adapts.
//
// The alerts and silences HTTP API, with Alertmanager's API v2 for amtool
// and Grafana, is the httpapi subpackage, which reads a Dispatcher through
// a read-only snapshot; rule files (YAML or JSON) are
// read by the rulefile subpackage, and exported as Prometheus rules by
// promrules.
//
// What is not API lives in internal packages: alerting/internal/opts (the
// option machinery both constructors share), alerting/internal/statefile
// (the saved-state format both write), alerting/internal/deliveryerr
// (the retry verdicts the notify package hands the dispatcher),
// alerting/internal/dispatchview (the read-only snapshot of a Dispatcher
// that httpapi reads), alerting/internal/duration (the d and w units of
// rule files and silences), alerting/internal/ruleerr (the error naming a
// rule's field, to which rulefile adds the line),
// internal/promname (igmon's metric list and the Prometheus name
// translation alerting/promrules uses) and internal/alerthook (the
// seams the Monitor and igmon's tests use: clock, tick, state snapshots,
// silence and delivery feeds).
package alerting
