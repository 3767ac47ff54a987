package exporters

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

func TestStdout(t *testing.T) {
	var buf bytes.Buffer
	e, err := Stdout(WithWriter(&buf), WithInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if e.name != "stdout" || e.interval != time.Hour {
		t.Fatalf("exporter %s every %v", e.name, e.interval)
	}
	p, err := NewPipeline([]*Exporter{e})
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(p.Readers()[0]))
	c, _ := mp.Meter("t").Int64Counter("igmon.test.spins")
	c.Add(context.Background(), 3)
	if err := mp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, `"Name": "igmon.test.spins"`) || !strings.Contains(out, `"Value": 3`) {
		t.Fatalf("output lacks the metric:\n%s", out)
	}
	if !strings.Contains(out, `"StartTime": "0001-01-01T00:00:00Z"`) {
		t.Fatal("timestamps printed without WithTimestamps")
	}
	if _, err := Stdout(WithWriter(nil)); !errors.Is(err, ErrInvalidOption) {
		t.Fatalf("nil writer: %v", err)
	}
}
