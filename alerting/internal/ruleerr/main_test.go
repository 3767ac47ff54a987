package ruleerr

import (
	"errors"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestErrorNamesRuleFieldAndLine(t *testing.T) {
	err := error(&Error{Rule: "CPU", Field: "ratio.window", Line: 7, Msg: "is required"})
	if got, want := err.Error(), `alerting: rule "CPU" field ratio.window (line 7): is required`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&Error{Rule: "#0", Msg: "bad"}).Error(), `alerting: rule "#0": bad`; got != want {
		t.Errorf("Error() without field and line = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalid) || errors.Is(err, ErrLimit) {
		t.Errorf("a field error is ErrInvalid and not ErrLimit: %v", err)
	}
	if lim := error(&Error{Msg: "too much", Limit: true}); !errors.Is(lim, ErrLimit) || !errors.Is(lim, ErrInvalid) {
		t.Errorf("a limit error is both ErrLimit and ErrInvalid: %v", lim)
	}
}
