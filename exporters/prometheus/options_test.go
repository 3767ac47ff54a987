package prometheus

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackcode/igmon/exporters"
)

// TestSingleValuedOptionGivenTwiceFailsNamingIt: a second one of an option
// that sets one value would silently replace the first, so New refuses it,
// naming it. WithProducers adds and WithoutTargetInfo is a flag: they may
// repeat.
func TestSingleValuedOptionGivenTwiceFailsNamingIt(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
	}{
		{"WithNamespace", []Option{WithNamespace("a"), WithNamespace("b")}},
		{"WithMaxInFlight", []Option{WithMaxInFlight(1), WithMaxInFlight(2)}},
		{"WithName", []Option{WithName("a"), WithName("b")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.name + ": given twice"
			if _, err := New(tt.opts...); !errors.Is(err, exporters.ErrInvalidOption) || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want ErrInvalidOption containing %q", err, want)
			}
		})
	}
	if _, err := New(WithoutTargetInfo(), WithoutTargetInfo(), WithProducers(), WithProducers()); err != nil {
		t.Fatalf("repeated WithoutTargetInfo and WithProducers: %v", err)
	}
}
