// Package rulefile reads igmon's alert rules from YAML or JSON files, the
// way Prometheus's rulefmt reads its rule files: it only builds
// [alerting.Rule] values from text and validates them with
// [alerting.ValidateRules]; the rules themselves, their evaluation and
// their notification are package alerting's.
//
//	rules:
//	  - name: DependencyErrorRate
//	    by: [igmon.dependency.name]
//	    labels: {severity: page, team: payments}
//	    annotations: {summary: "{{ percent .Value }} errors"}
//	    for: 2m
//	    ratio:
//	      numerator: 'igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout"}'
//	      denominator: igmon.dependency.calls
//	      window: 5m
//	      min_requests: 100
//	      value: 0.05
//
// Every error names the rule, the field and the line, and wraps
// [alerting.ErrInvalidRule]. Durations accept Go syntax plus d (days) and
// w (weeks): 3d, 1w, 1d12h.
//
// The loader is bounded, for files that come from people or from other
// systems: the input may hold at most 16 MiB (counting what YAML aliases
// expand to) and 10,000 rules ([WithMaxBytes], [WithMaxRules] change
// that). Exceeding a limit is an error wrapping [alerting.ErrRuleLimit];
// an input is never cut short.
package rulefile
