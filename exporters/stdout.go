package exporters

import (
	"errors"
	"fmt"
	"io"
	"os"

	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
)

// StdoutOption configures [Stdout].
type StdoutOption interface {
	applyStdout(*stdoutConfig)
}

type stdoutConfig struct {
	push       pushConfig
	w          io.Writer
	timestamps bool
	given      given
	err        error
}

type stdoutOption func(*stdoutConfig)

func (f stdoutOption) applyStdout(c *stdoutConfig) { f(c) }

// WithWriter sends the output to w instead of os.Stdout.
func WithWriter(w io.Writer) StdoutOption {
	return stdoutOption(func(c *stdoutConfig) {
		if err := c.given.twice("WithWriter"); err != nil {
			c.err = errors.Join(c.err, err)
			return
		}
		if w == nil {
			c.err = errors.Join(c.err, fmt.Errorf("%w WithWriter: writer must not be nil", ErrInvalidOption))
		}
		c.w = w
	})
}

// WithTimestamps keeps the start and end times of every data point, which
// the readable output leaves out by default.
func WithTimestamps() StdoutOption {
	return stdoutOption(func(c *stdoutConfig) { c.timestamps = true })
}

// Stdout returns an exporter that prints indented JSON of every collection,
// for development. OTEL_METRIC_EXPORT_INTERVAL applies unless
// [WithInterval] is given.
func Stdout(opts ...StdoutOption) (*Exporter, error) {
	c := stdoutConfig{w: os.Stdout}
	for _, o := range opts {
		if o != nil {
			o.applyStdout(&c)
		}
	}
	if err := errors.Join(c.err, c.push.err); err != nil {
		return nil, fmt.Errorf("exporters: Stdout: %w", err)
	}
	env, err := readEnv(os.LookupEnv)
	if err != nil {
		var ee *envError
		// Only the reader variables matter here; an OTLP variable that
		// is wrong is OTLP's business.
		for _, e := range unwrapAll(err) {
			if errors.As(e, &ee) && (ee.Var == envMetricExportInterval || ee.Var == envMetricExportTimeout) {
				return nil, e
			}
		}
	}
	if c.push.interval <= 0 {
		c.push.interval = env.interval
	}
	if c.push.timeout <= 0 {
		c.push.timeout = env.readerTO
	}
	sopts := []stdoutmetric.Option{stdoutmetric.WithWriter(c.w), stdoutmetric.WithPrettyPrint()}
	if !c.timestamps {
		sopts = append(sopts, stdoutmetric.WithoutTimestamps())
	}
	exp, err := stdoutmetric.New(sopts...)
	if err != nil {
		return nil, fmt.Errorf("exporters: Stdout: %w", err)
	}
	return newPush("stdout", "stdout_metric_exporter", exp, c.push), nil
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
