package opts

import (
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// settings stands for a constructor's own settings, which embed Config.
type settings struct {
	Config
	url   string
	names []string
}

func own(name string, list bool, set func(*settings)) Dispatcher {
	return DispatcherOpt{Opt{Name: name, List: list, Set: func(c *Config) { set(c.Own.(*settings)) }}}
}

func TestApply(t *testing.T) {
	url := func(u string) Dispatcher { return own("WithURL", false, func(s *settings) { s.url = u }) }
	name := func(n string) Dispatcher {
		return own("WithName", true, func(s *settings) { s.names = append(s.names, n) })
	}
	for _, tt := range []struct {
		name string
		opts []Dispatcher
		want string // an error containing it, or "" for none
	}{
		{"own and shared options reach their settings", []Dispatcher{url("u"), name("a"), name("b"), WithClock(nil)}, "WithClock: nil clock"},
		{"a list option adds up", []Dispatcher{url("u"), name("a"), name("b")}, ""},
		{"a single-valued option given twice", []Dispatcher{url("u"), url("v")}, "test.New: WithURL given more than once"},
		{"a nil option", []Dispatcher{url("u"), nil}, "test.New: option #1 is nil"},
	} {
		s := &settings{Config: Defaults()}
		s.Own = s
		err := Apply("test.New", &s.Config, tt.opts, Dispatcher.ApplyDispatcher)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want == "" && (s.url != "u" || strings.Join(s.names, ",") != "a,b"):
			t.Errorf("%s: settings %q %q", tt.name, s.url, s.names)
		case tt.want != "" && (!errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: %v, want ErrInvalidOption with %q", tt.name, err, tt.want)
		}
	}
}
