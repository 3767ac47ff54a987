package probes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// jsonField returns the JSON text of the value at path in body: strings
// unquoted, numbers as written, true/false/null, and objects or arrays as
// compact JSON. The path is dot-separated object keys and array indexes.
func jsonField(body []byte, path string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("body is not JSON: %w", err)
	}
	for _, seg := range strings.Split(path, ".") {
		switch cur := v.(type) {
		case map[string]any:
			next, ok := cur[seg]
			if !ok {
				return "", fmt.Errorf("%s: key %q not found", path, seg)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(cur) {
				return "", fmt.Errorf("%s: index %q out of range [0,%d)", path, seg, len(cur))
			}
			v = cur[i]
		default:
			return "", fmt.Errorf("%s: %q is below a scalar", path, seg)
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "null", nil
	default:
		b, err := json.Marshal(x)
		return string(b), err
	}
}
