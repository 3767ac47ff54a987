// Package statefile is what the saved states of package alerting (alert
// states) and package alerting/dispatch (silences, the notification log)
// share: the format version, the error they wrap, and the alert record
// both hold. The formats are private: they change with igmon, and V says
// which one a payload holds.
package statefile

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Version is the version of every payload.
const Version = 1

// ErrState is wrapped by the errors of restoring a saved state.
var ErrState = errors.New("alerting: saved state")

// CheckVersion refuses a payload of another format version; what names
// the state in the error.
func CheckVersion(what string, v int) error {
	if v != Version {
		return fmt.Errorf("%w: %s: format version %d, this build reads %d", ErrState, what, v, Version)
	}
	return nil
}

// Float keeps NaN and ±Inf (a ratio with no traffic), which JSON numbers
// cannot hold.
type Float float64

// MarshalJSON writes a number, or a string for NaN and ±Inf.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (f *Float) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}

// Alert is an alerting.Alert as saved. State is the alert state's text
// ("firing"), as alerting.State marshals it.
type Alert struct {
	Rule        string            `json:"rule"`
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	State       string            `json:"state"`
	Value       Float             `json:"value"`
	ActiveAt    time.Time         `json:"activeAt,omitzero"`
	FiredAt     time.Time         `json:"firedAt,omitzero"`
	ResolvedAt  time.Time         `json:"resolvedAt,omitzero"`
	Flapping    bool              `json:"flapping,omitempty"`
}
