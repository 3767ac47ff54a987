package alerting

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Labels identify an alert. Two alerts with the same labels are the same
// alert; the rule name is always present as the "alertname" label.
type Labels map[string]string

// LabelAlertName is the label that carries the rule name, as in Prometheus.
const LabelAlertName = "alertname"

// labelInstance is the label a PerInstance rule's alerts carry the
// service.instance.id in, as Prometheus' "instance".
const labelInstance = "instance"

// Clone returns a copy of l.
func (l Labels) Clone() Labels { return maps.Clone(l) }

// String renders l as {a="1", b="2"} with sorted keys. Values are quoted
// as Go and PromQL string literals (backslash, quote and control
// characters escaped), so a value can never close the brace or forge
// another label, and the text parses back with ParseMatchers.
func (l Labels) String() string {
	keys := slices.Sorted(maps.Keys(l))
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(labelName(k))
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// Fingerprint is a stable identity of l, computed as Alertmanager and
// Prometheus compute it (prometheus/common model.LabelSet.Fingerprint):
// FNV-1a 64 over the label names in byte order, each name and value
// followed by a 0xff separator byte, as 16 lowercase hex digits. Labels
// with an empty value are left out, as Alertmanager drops them from the
// alerts it receives (an empty label is an absent label). So the same
// labels give the same fingerprint in every process and replica, in
// igmon and in an Alertmanager, which is what makes PagerDuty dedup keys,
// Opsgenie aliases and the Alertmanager API's fingerprints and
// inhibitedBy lists agree.
func (l Labels) Fingerprint() string {
	keys := make([]string, 0, len(l))
	for k, v := range l {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	h := uint64(fnvOffset64)
	for _, k := range keys {
		h = fnvAdd(h, k)
		h = (h ^ labelSeparator) * fnvPrime64
		h = fnvAdd(h, l[k])
		h = (h ^ labelSeparator) * fnvPrime64
	}
	var b [16]byte
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = digits[h&0xf]
		h >>= 4
	}
	return string(b[:])
}

// FNV-1a 64 (hash/fnv.New64a), inlined to hash without allocating, and the
// separator byte of prometheus/common's model.SeparatorByte.
const (
	fnvOffset64    = 14695981039346656037
	fnvPrime64     = 1099511628211
	labelSeparator = 0xff
)

func fnvAdd(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}
