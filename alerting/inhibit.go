package alerting

// InhibitRule mutes firing alerts matching Target while an alert matching
// Source fires with the same values of the Equal labels: "database down"
// silences every "query errors" alert of that database. An alert never
// inhibits itself.
type InhibitRule struct {
	Source Matchers
	Target Matchers
	Equal  []string
}

func (ir *InhibitRule) inhibits(src, target *Alert) bool {
	if src.Fingerprint == target.Fingerprint || src.State != StateFiring {
		return false
	}
	if !ir.Target.matchLabels(target.Labels) || !ir.Source.matchLabels(src.Labels) {
		return false
	}
	for _, k := range ir.Equal {
		if src.Labels[k] != target.Labels[k] {
			return false
		}
	}
	return true
}
