package alerting

import (
	"crypto/sha256"
	"encoding/hex"
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

// Fingerprint is a stable identity of l: the same labels give the same
// fingerprint in every process and replica, which is what makes PagerDuty
// dedup keys and Opsgenie aliases safe across restarts.
func (l Labels) Fingerprint() string {
	keys := slices.Sorted(maps.Keys(l))
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0xff})
		h.Write([]byte(l[k]))
		h.Write([]byte{0xfe})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
