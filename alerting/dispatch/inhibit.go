package dispatch

import "github.com/jackcode/igmon/alerting"

// InhibitRule mutes firing alerts matching Target while an alert matching
// Source fires with the same values of the Equal labels: "database down"
// silences every "query errors" alert of that database. An alert never
// inhibits itself.
type InhibitRule struct {
	Source alerting.Matchers
	Target alerting.Matchers
	Equal  []string
}

func (ir *InhibitRule) inhibits(src, target *alerting.Alert) bool {
	if src.Fingerprint == target.Fingerprint || src.State != alerting.StateFiring {
		return false
	}
	if !ir.Target.Matches(target.Labels) || !ir.Source.Matches(src.Labels) {
		return false
	}
	for _, k := range ir.Equal {
		if src.Labels[k] != target.Labels[k] {
			return false
		}
	}
	return true
}
