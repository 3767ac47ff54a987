package alerting

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// grouping is the alert-group index space of the rules that split by the
// same labels (By). Rules with the same By share it, and so can share a
// selector's per-group sums: a ratio, an absence and an SLO rule over the
// same requests, or a warning and a critical rule, sum their members once
// per cycle instead of once per rule. A rule sees the groups other rules'
// series created too; they hold no data for it and raise no alert.
type grouping struct {
	by     []attribute.Key
	idx    map[string]int32
	labels []Labels
	keyBuf []byte
}

func newGrouping(by []attribute.Key) *grouping {
	return &grouping{by: by, idx: map[string]int32{}}
}

// groupingKey names the grouping of a By list.
func groupingKey(by []attribute.Key) string {
	var b strings.Builder
	for _, k := range by {
		b.WriteString(string(k))
		b.WriteByte(0)
	}
	return b.String()
}

// groupFor returns the alert group of a series, creating it the first time
// its By values are seen.
func (gr *grouping) groupFor(attrs *attribute.Set) int32 {
	gr.keyBuf = gr.keyBuf[:0]
	for _, k := range gr.by {
		v, _ := attrs.Value(k)
		gr.keyBuf = append(gr.keyBuf, v.Emit()...)
		gr.keyBuf = append(gr.keyBuf, 0xff)
	}
	if g, ok := gr.idx[string(gr.keyBuf)]; ok {
		return g
	}
	l := make(Labels, len(gr.by))
	for _, k := range gr.by {
		if v, ok := attrs.Value(k); ok {
			l[string(k)] = v.Emit()
		}
	}
	return gr.add(string(gr.keyBuf), l)
}

func (gr *grouping) add(key string, l Labels) int32 {
	g := int32(len(gr.labels))
	gr.idx[key] = g
	gr.labels = append(gr.labels, l)
	return g
}

// checkGroup returns the group of a health check (CheckState rules, whose
// groupings are their own).
func (gr *grouping) checkGroup(name string) int32 {
	if g, ok := gr.idx[name]; ok {
		return g
	}
	return gr.add(name, Labels{"igmon.check.name": name})
}
