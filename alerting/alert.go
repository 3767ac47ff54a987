package alerting

import (
	"encoding/json"
	"fmt"
	"time"
)

// State is where an alert is in its life cycle.
type State int

// Alert states. Inactive alerts are not listed.
const (
	StateInactive State = iota
	StatePending
	StateFiring
	StateResolved
)

var stateNames = [...]string{"inactive", "pending", "firing", "resolved"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// MarshalText renders the state name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a state name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("alerting: unknown state %q", b)
}

// Alert is one instance of a rule: the rule's labels plus the values of the
// rule's By attributes.
type Alert struct {
	Rule        string            `json:"rule"`
	Fingerprint string            `json:"fingerprint"`
	Labels      Labels            `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	State       State             `json:"state"`
	Value       float64           `json:"value"`
	// ActiveAt is when the condition started to hold (pending began).
	ActiveAt time.Time `json:"activeAt,omitzero"`
	// FiredAt is when the alert became firing.
	FiredAt time.Time `json:"firedAt,omitzero"`
	// ResolvedAt is when a firing alert resolved.
	ResolvedAt time.Time `json:"resolvedAt,omitzero"`
	// Flapping is set while flap damping holds the alert firing.
	Flapping bool `json:"flapping,omitempty"`
}

// MarshalJSON keeps NaN and ±Inf values (a ratio with no traffic) from
// failing the whole listing.
func (a Alert) MarshalJSON() ([]byte, error) {
	type plain Alert
	p := struct {
		plain
		Value any `json:"value"`
	}{plain: plain(a), Value: jsonNumber(a.Value)}
	return json.Marshal(p)
}

func jsonNumber(v float64) any {
	if v != v || v > 1e308 || v < -1e308 {
		return fmt.Sprint(v)
	}
	return v
}
