// Package jsonfield reads one value out of a JSON document by a dotted
// path, for the body assertions of HTTP checks and synthetic probes.
package jsonfield

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrNotFound is wrapped when the path does not lead to a value.
var ErrNotFound = errors.New("field not found")

// Split turns "data.items.0.status" into its segments.
func Split(path string) []string { return strings.Split(path, ".") }

// Lookup returns the value at path in the JSON document body, as text: a
// string's value, a number's literal, "true"/"false", "null", or compact
// JSON for an object or array. Path segments are object keys or array
// indexes.
func Lookup(body []byte, path []string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("body is not JSON: %w", err)
	}
	for i, seg := range path {
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[seg]
			if !ok {
				return "", fmt.Errorf("%w: %s", ErrNotFound, strings.Join(path[:i+1], "."))
			}
			v = next
		case []any:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(node) {
				return "", fmt.Errorf("%w: %s", ErrNotFound, strings.Join(path[:i+1], "."))
			}
			v = node[idx]
		default:
			return "", fmt.Errorf("%w: %s", ErrNotFound, strings.Join(path[:i+1], "."))
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
