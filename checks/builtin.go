package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	igname "github.com/jackcode/igmon/internal/name"
)

// Errors reported by the built-in checks. Each failure wraps one of them
// (or the client's own error), so callers can tell the cases apart with
// errors.Is.
var (
	// ErrSlowResponse is wrapped by the warning a check that times a
	// round trip reports when it took longer than [WithLatencyWarn].
	ErrSlowResponse = errors.New("response slower than threshold")
	// ErrThresholdExceeded is reported by [Goroutines] (and hostcheck's
	// Memory and DiskFree) when a measured value crosses a threshold.
	ErrThresholdExceeded = errors.New("threshold exceeded")
)

// builtin is what every built-in constructor shares: the check's name, the
// common settings, WithName and WithLatencyWarn, and the first error an
// option found.
type builtin struct {
	kind        string // constructor name, for error messages
	name        string
	s           settings
	latencyWarn time.Duration
	err         error
}

func newBuiltin(kind, name, component, measurement string) builtin {
	s := defaultSettings()
	s.componentType = component
	s.measurement = measurement
	return builtin{kind: kind, name: name, s: s}
}

// fail records the first option error; later ones are usually consequences.
func (b *builtin) fail(field, format string, a ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...))
	}
}

// build validates the collected configuration and returns the check.
func (b *builtin) build(fn checkFunc) (*Check, error) {
	if b.err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrInvalidCheck, b.name, b.err)
	}
	return newCheck(b.name, fn, b.s)
}

// constructor is the qualified constructor name for errors: "checks.SQL",
// or the subpackage's own "hostcheck.Memory".
func (b *builtin) constructor() string {
	if strings.Contains(b.kind, ".") {
		return b.kind
	}
	return "checks." + b.kind
}

// builtinOnly is an option of the constructors with a default name
// (WithName): it has the markers of BuiltinOption, RoundTripOption,
// MemoryOption and DiskOption only, so NewCheck, Registry.Register, Func
// and probes.Probe.Check do not take it.
type builtinOnly struct{ o builtinOpt }

func (builtinOnly) builtinOption()   {}
func (builtinOnly) roundTripOption() {}
func (builtinOnly) memoryOption()    {}
func (builtinOnly) diskOption()      {}

// roundTripOnly is an option of the checks that time a round trip
// (WithLatencyWarn): Func, SQL and grpccheck.Health.
type roundTripOnly struct{ o builtinOpt }

func (roundTripOnly) funcOption()      {}
func (roundTripOnly) roundTripOption() {}

// builtinOpt is one option that configures a built-in's shared state.
type builtinOpt struct {
	name string
	fn   func(*builtin)
}

func (o builtinOpt) configure(b *builtin) {
	if b.s.once(o.name) {
		o.fn(b)
	}
}

// configure applies a built-in constructor's options: the common ones, the
// built-in ones and, through own, the constructor's own (nil for none).
// The option types make anything else a compile error; own reports an
// option it does not know.
func configure[O any](b *builtin, opts []O, own func(any) bool) {
	for _, o := range opts {
		switch o := any(o).(type) {
		case nil:
		case Option:
			o.apply(&b.s)
		case builtinOnly:
			o.o.configure(b)
		case roundTripOnly:
			o.o.configure(b)
		default:
			if own == nil || !own(o) {
				b.fail("option", "%T does not apply to %s", o, b.constructor())
			}
		}
	}
}

// WithName replaces a built-in check's default name ("database",
// "goroutines", "grpc-<service>", "memory", "disk-<path>"). Register two
// checks of the same kind against different peers under distinct names.
// [Func] takes its name as an argument: WithName is not a [FuncOption], so
// giving it to Func does not compile.
func WithName(name string) BuiltinOption {
	return builtinOnly{builtinOpt{name: "WithName", fn: func(b *builtin) { b.name = name }}}
}

// WithLatencyWarn makes a check that times a round trip ([SQL], [Func],
// grpccheck.Health) report warn when a successful round trip took longer
// than d. The round trip is always reported as the observed
// "responseTime" in ms. It is a [FuncOption], which is also a
// [RoundTripOption], and nothing else, so giving it to another constructor
// does not compile.
func WithLatencyWarn(d time.Duration) FuncOption {
	return roundTripOnly{builtinOpt{name: "WithLatencyWarn", fn: func(b *builtin) {
		b.latencyWarn = d
		if d <= 0 {
			b.fail("WithLatencyWarn", "%v must be positive", d)
		}
	}}}
}

// latency observes the round trip that began at start and turns it into a
// warning above the threshold.
func latency(ctx context.Context, start time.Time, warnAbove time.Duration) error {
	d := time.Since(start)
	Observe(ctx, "responseTime", float64(d)/float64(time.Millisecond), "ms")
	if warnAbove > 0 && d > warnAbove {
		return Warn(fmt.Errorf("%w: took %v, threshold %v", ErrSlowResponse, d.Round(time.Microsecond), warnAbove))
	}
	return nil
}

// defaultName builds "<prefix>-<s>" with every run of bytes a check name
// may not contain replaced by one '-', cut to igname.MaxLen.
func defaultName(prefix, s string) string {
	var b strings.Builder
	b.WriteString(prefix)
	if s != "" {
		b.WriteByte('-')
	}
	for i := 0; i < len(s) && b.Len() < igname.MaxLen; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		default:
			// One '-' for a run of unusable bytes ("[::1]:5432").
			if out := b.String(); out[len(out)-1] != '-' {
				b.WriteByte('-')
			}
		}
	}
	return strings.TrimRight(b.String(), "-")
}

// splitHostPort validates a "host:port" address and returns its host.
func splitHostPort(addr string) (string, error) {
	if addr == "" {
		return "", errors.New("must not be empty")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if host == "" {
		return "", fmt.Errorf("%q has no host", addr)
	}
	if port == "" {
		return "", fmt.Errorf("%q has no port", addr)
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil || p == 0 {
		return "", fmt.Errorf("%q: port %q is not a valid TCP port", addr, port)
	}
	return host, nil
}
