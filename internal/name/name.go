// Package name holds the one rule for the names igmon users give things:
// checks, probes, dependencies, their kinds and operations. Each becomes a
// URL path segment (/readyz/<check>), a metric attribute value and an IETF
// health+json key, so one rule keeps all three safe.
package name

import (
	"errors"
	"fmt"
)

// MaxLen bounds every name, in bytes. Names are attribute values on every
// data point, so they stay short.
const MaxLen = 64

// Validate accepts 1 to MaxLen bytes of [A-Za-z0-9._-], except the path
// dot-segments "." and "..", which a URL cleaner would remove before the
// name reached its handler.
func Validate(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	if len(s) > MaxLen {
		return fmt.Errorf("%d bytes is longer than %d", len(s), MaxLen)
	}
	if s == "." || s == ".." {
		return fmt.Errorf("%q is a path dot-segment", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return fmt.Errorf("byte %q at %d is not one of [A-Za-z0-9._-]", c, i)
		}
	}
	return nil
}
