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
	// ErrSlowResponse is wrapped by the warning a network check reports
	// when its round trip took longer than [WithLatencyWarn].
	ErrSlowResponse = errors.New("response slower than threshold")
	// ErrThresholdExceeded is reported by [Goroutines] (and hostcheck's
	// Memory and DiskFree) when a measured value crosses a threshold.
	ErrThresholdExceeded = errors.New("threshold exceeded")
)

// builtin is what every built-in constructor shares: the check's name, the
// common settings, the shared options and the first error an option found.
type builtin struct {
	kind        string // constructor name, for error messages
	name        string
	s           settings
	latencyWarn time.Duration
	latencyOK   bool // the constructor accepts WithLatencyWarn
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
	if b.latencyWarn != 0 && !b.latencyOK {
		b.fail("latency warn", "WithLatencyWarn does not apply to %s", b.constructor())
	}
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

// sharedOption is an option every built-in constructor accepts
// (WithName, WithLatencyWarn) but NewCheck does not.
type sharedOption struct {
	name string
	fn   func(*builtin)
}

func (o sharedOption) applySQL(c *sqlConfig) { o.configure(&c.builtin) }

func (o sharedOption) apply(s *settings) {
	s.fail(fmt.Errorf("%s: applies only to built-in checks", o.name))
}

func (o sharedOption) configure(b *builtin) {
	if b.s.once(o.name) {
		o.fn(b)
	}
}

// configure applies opts to a built-in's configuration: its own options,
// the shared ones, and the common check options.
func configure[T any](cfg *T, b *builtin, opts []Option) {
	for _, o := range opts {
		switch o := o.(type) {
		case nil:
		case sharedOption:
			o.configure(b)
		default:
			o.apply(&b.s)
		}
	}
}

// WithName replaces a built-in check's default name ("database",
// "http-<host>", "tcp-<host>-<port>", ...). Register two checks of the same
// kind against different peers under distinct names.
func WithName(name string) Option {
	return sharedOption{name: "WithName", fn: func(b *builtin) { b.name = name }}
}

// WithLatencyWarn makes a network check (SQL, HTTP, TCP, DNS, TLSCert,
// Pinger, Func, grpccheck.Health) report warn when a successful round trip
// took longer than d.
// The round trip is always reported as the observed "responseTime" in ms.
func WithLatencyWarn(d time.Duration) Option {
	return sharedOption{name: "WithLatencyWarn", fn: func(b *builtin) {
		b.latencyWarn = d
		if d <= 0 {
			b.fail("latency warn", "%v must be positive", d)
		}
	}}
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
