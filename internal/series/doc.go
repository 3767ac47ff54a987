// Package series is igmon's one series engine: every windowed rate, error
// ratio and quantile that an alert rule, a component status, a dashboard
// card or an alert's evidence shows is computed here, once per cycle, from
// one collection of the in-process metrics reader.
//
// A [Store] tracks the series that registered [Selection]s read, folds
// each collection into reset-adjusted running totals and keeps snapshots
// along every window, so that a window's increase is one subtraction. The
// [Engine] owns a Store and a metric source: each [Engine.Cycle] collects
// once, ingests, then runs its readers in registration order on the same
// numbers. Two readers that ask for the same metric, matcher, grouping and
// window read the same [Sums] or [Histograms]: the same number, because it
// is the same read.
package series
