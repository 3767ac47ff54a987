// Package promrules renders alerting rules as a Prometheus alerting-rules
// file ([Export]), so a fleet can evaluate centrally the same rules each
// replica evaluates in process, with the same $value. Expressions use the
// Prometheus names of igmon's metrics (internal/promname) and of the
// metrics a Config declares ([MetricInfoOf] reads them from one
// collection).
//
// It reads rules through alerting's exported API, and the evaluator's own
// readings of it (burn-rate windows) through internal/alerthook.
package promrules
