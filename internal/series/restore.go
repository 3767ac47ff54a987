package series

import "go.opentelemetry.io/otel/attribute"

// AddLabels returns the group whose By values are labels (as Labels
// returns them), creating it the first time, under the same key a series
// with those attribute values would get. Restoring saved state uses it to
// find an alert's group before the group's series come back.
func (gr *Grouping) AddLabels(labels map[string]string) int32 {
	var key []byte
	l := make(map[string]string, len(gr.by))
	for _, k := range gr.by {
		v, ok := labels[string(k)]
		if ok {
			l[string(k)] = v
		} else {
			v = attribute.Value{}.Emit()
		}
		key = append(key, v...)
		key = append(key, 0xff)
	}
	return gr.Add(string(key), l)
}
