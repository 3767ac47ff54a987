package exporters

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestSingleValuedOptionGivenTwiceFailsNamingIt: an option that sets one
// value would silently replace the first one of its kind, so each
// constructor refuses the second, naming the option. (A misplaced option,
// such as WithCacheTTL given to OTLP, does not compile: each constructor
// takes its own option type.)
func TestSingleValuedOptionGivenTwiceFailsNamingIt(t *testing.T) {
	noEnv := withEnvLookup(mapLookup(nil))
	tests := []struct {
		name  string
		build func() (func(), error) // returns how to release what it built
		want  string
	}{
		{"OTLP WithEndpoint", func() (func(), error) {
			return exporter(OTLP(context.Background(), noEnv, WithEndpoint("a:4317"), WithEndpoint("b:4317")))
		}, "WithEndpoint: given twice"},
		{"OTLP WithName", func() (func(), error) {
			return exporter(OTLP(context.Background(), noEnv, WithName("a"), WithName("b")))
		}, "WithName: given twice"},
		{"OTLP WithHeaders", func() (func(), error) {
			return exporter(OTLP(context.Background(), noEnv, WithHeaders(map[string]string{"a": "1"}), WithHeaders(map[string]string{"b": "2"})))
		}, "WithHeaders: given twice"},
		{"OTLP WithTLSConfig", func() (func(), error) {
			return exporter(OTLP(context.Background(), noEnv, WithTLSConfig(nil), WithTLSConfig(nil)))
		}, "WithTLSConfig: given twice"},
		{"OTLP WithInterval", func() (func(), error) {
			return exporter(OTLP(context.Background(), noEnv, WithInterval(time.Hour), WithInterval(time.Minute)))
		}, "WithInterval: given twice"},
		{"Stdout WithWriter", func() (func(), error) {
			return exporter(Stdout(WithWriter(io.Discard), WithWriter(io.Discard)))
		}, "WithWriter: given twice"},
		{"Stdout WithTimeout", func() (func(), error) {
			return exporter(Stdout(WithTimeout(time.Second), WithTimeout(2*time.Second)))
		}, "WithTimeout: given twice"},
		{"NewPush WithInterval", func() (func(), error) {
			return exporter(NewPush("p", &stubExporter{}, WithInterval(time.Hour), WithInterval(time.Hour)))
		}, "WithInterval: given twice"},
		{"NewInProcess WithCacheTTL", func() (func(), error) {
			_, err := NewInProcess(WithCacheTTL(time.Second), WithCacheTTL(0))
			return func() {}, err
		}, "WithCacheTTL: given twice"},
		{"NewPipeline WithLogger", func() (func(), error) {
			_, err := NewPipeline(nil, WithLogger(slog.Default()), WithLogger(slog.Default()))
			return func() {}, err
		}, "WithLogger: given twice"},
		{"NewPipeline WithWarnAfter", func() (func(), error) {
			_, err := NewPipeline(nil, WithWarnAfter(1), WithWarnAfter(2))
			return func() {}, err
		}, "WithWarnAfter: given twice"},
		{"NewPipeline WithLogInterval", func() (func(), error) {
			_, err := NewPipeline(nil, WithLogInterval(time.Second), WithLogInterval(time.Minute))
			return func() {}, err
		}, "WithLogInterval: given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release, err := tt.build()
			release()
			if !errors.Is(err, ErrInvalidOption) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidOption containing %q", err, tt.want)
			}
		})
	}
}

// TestOptionsThatAddMayRepeat: WithProducers adds, and the flags can only
// be switched on, so neither replaces anything when repeated.
func TestOptionsThatAddMayRepeat(t *testing.T) {
	if _, err := NewInProcess(WithProducers(producerFunc(nil)), WithProducers(producerFunc(nil))); err != nil {
		t.Fatalf("NewInProcess with WithProducers twice: %v", err)
	}
	e, err := OTLP(context.Background(), withEnvLookup(mapLookup(nil)), WithInsecure(), WithInsecure(), WithoutRetry(), WithoutRetry(),
		WithoutCompression(), WithoutCompression())
	if err != nil {
		t.Fatalf("OTLP with repeated flags: %v", err)
	}
	_ = e.Shutdown(context.Background())
	s, err := Stdout(WithTimestamps(), WithTimestamps())
	if err != nil {
		t.Fatalf("Stdout with WithTimestamps twice: %v", err)
	}
	_ = s.Shutdown(context.Background())
}

// exporter turns a constructor's result into a release func and its error.
func exporter(e *Exporter, err error) (func(), error) {
	if e == nil {
		return func() {}, err
	}
	return func() { _ = e.Shutdown(context.Background()) }, err
}

// producerFunc is a metric producer made of a function.
type producerFunc func(context.Context) ([]metricdata.ScopeMetrics, error)

func (f producerFunc) Produce(ctx context.Context) ([]metricdata.ScopeMetrics, error) {
	if f == nil {
		return nil, nil
	}
	return f(ctx)
}
