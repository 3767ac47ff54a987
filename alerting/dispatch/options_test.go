package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackcode/igmon/alerting"
)

// A single-valued option given twice would silently replace the first;
// New refuses it naming itself and the option, shared options included,
// and refuses a nil option. List options (WithReceiver, WithRoute) add
// up.
func TestOptionGivenTwiceIsRefused(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		name string
		opts []Option
		want string
	}{
		{"shared", []Option{alerting.WithLogger(logger), alerting.WithLogger(logger)}, "dispatch.New: WithLogger given more than once"},
		{"own", []Option{WithExternalURL("https://a/"), WithExternalURL("https://b/")}, "dispatch.New: WithExternalURL given more than once"},
		{"nil", []Option{WithExternalURL("https://a/"), nil}, "option #1 is nil"},
	} {
		d, err := New(tt.opts...)
		if d != nil {
			_ = d.Close()
		}
		if !errors.Is(err, alerting.ErrInvalidOption) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want alerting.ErrInvalidOption naming %q", tt.name, err, tt.want)
		}
	}
	nop := NotifierFunc(func(context.Context, *Notification) error { return nil })
	d, err := New(WithReceiver(Receiver{Name: "a", Notifier: nop}), WithReceiver(Receiver{Name: "b", Notifier: nop}),
		WithRoute(Route{Receivers: []string{"a"}}), WithRoute(Route{Receivers: []string{"b"}}))
	if err != nil {
		t.Fatalf("two receivers and two routes: %v", err)
	}
	_ = d.Close()
}
