package series

import (
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// Grouping is the group index space of the readers that split a metric by
// the same labels (By). Readers with the same By share it, and so can share
// a selection's per-group sums: a ratio, an absence and an SLO rule over the
// same requests, a warning and a critical rule, or a dashboard card and an
// alert rule sum their members once per cycle instead of once per reader. A
// reader sees the groups other readers' series created too; they hold no
// data for it.
type Grouping struct {
	by     []attribute.Key
	idx    map[string]int32
	labels []map[string]string
	keyBuf []byte
}

// NewGrouping returns a grouping of its own (not shared through a Store),
// for groups that are not metric series: health checks, for example.
func NewGrouping(by []attribute.Key) *Grouping {
	return &Grouping{by: by, idx: map[string]int32{}}
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

// By returns the keys the grouping splits by.
func (gr *Grouping) By() []attribute.Key { return gr.by }

// Len returns the number of groups seen so far. Group indexes are stable:
// a group keeps its index for the life of the grouping.
func (gr *Grouping) Len() int { return len(gr.labels) }

// Labels returns the label values of group g (a shared map: do not
// modify it).
func (gr *Grouping) Labels(g int) map[string]string { return gr.labels[g] }

// Index returns the group of a key given to Add.
func (gr *Grouping) Index(key string) (int32, bool) {
	g, ok := gr.idx[key]
	return g, ok
}

// groupFor returns the group of a series, creating it the first time its
// By values are seen.
func (gr *Grouping) groupFor(attrs *attribute.Set) int32 {
	gr.keyBuf = gr.keyBuf[:0]
	for _, k := range gr.by {
		v, _ := attrs.Value(k)
		gr.keyBuf = append(gr.keyBuf, v.Emit()...)
		gr.keyBuf = append(gr.keyBuf, 0xff)
	}
	if g, ok := gr.idx[string(gr.keyBuf)]; ok {
		return g
	}
	l := make(map[string]string, len(gr.by))
	for _, k := range gr.by {
		if v, ok := attrs.Value(k); ok {
			l[string(k)] = v.Emit()
		}
	}
	return gr.Add(string(gr.keyBuf), l)
}

// Add returns the group of key, creating it with labels the first time.
func (gr *Grouping) Add(key string, labels map[string]string) int32 {
	if g, ok := gr.idx[key]; ok {
		return g
	}
	g := int32(len(gr.labels))
	gr.idx[key] = g
	gr.labels = append(gr.labels, labels)
	return g
}
