package failover

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/metric/noop"
)

// TestOptionGivenTwiceFailsNamingIt: every option sets one value, so a
// second one of the same option would silently replace the first: New
// refuses it, naming it.
func TestOptionGivenTwiceFailsNamingIt(t *testing.T) {
	mp := noop.NewMeterProvider()
	listen := func(Change) {}
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"WithBreaker", []Option{WithBreaker(Breaker{}), WithBreaker(Breaker{Window: 20})}, "option WithBreaker: given twice"},
		{"WithMeterProvider", []Option{WithMeterProvider(mp), WithMeterProvider(mp)}, "option WithMeterProvider: given twice"},
		{"WithListener", []Option{WithListener(listen), WithListener(listen)}, "option WithListener: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New("deposits", []Provider{{Name: "stripe"}}, tt.opts...)
			if g != nil || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got (%v, %v), want an error containing %q", g, err, tt.want)
			}
		})
	}
}
