package checks

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// tcpPinger is a client with a PingContext method whose peer is a real
// TCP listener.
type tcpPinger struct{ addr string }

func (p tcpPinger) PingContext(ctx context.Context) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return err
	}
	return c.Close()
}

func TestPinger(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := tcpPinger{l.Addr().String()}
	c, err := Pinger("cache", p, WithComponentType(componentDatastore))
	c = built(t, c, err)
	o := runOnce(t, c)
	wantOutcome(t, o, StatusPass, nil)
	if o.Observation == nil || o.Observation.Measurement != "responseTime" {
		t.Errorf("observation = %+v", o.Observation)
	}
	l.Close()
	wantOutcome(t, runOnce(t, c), StatusFail, nil)

	// A ping method under another name plugs in through Func.
	c, err = Func("pool", p.PingContext, WithLatencyWarn(time.Hour))
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusFail, nil)
}

func TestFunc(t *testing.T) {
	errPSP := errors.New("psp: 502 from /v1/status")
	tests := []struct {
		name   string
		fn     func(context.Context) error
		opts   []Option
		status Status
		err    error
	}{
		{"ok", func(context.Context) error { return nil }, nil, StatusPass, nil},
		{"error", func(context.Context) error { return errPSP }, nil, StatusFail, errPSP},
		{"own warning", func(context.Context) error { return Warn(errPSP) }, nil, StatusWarn, errPSP},
		{"slow", func(context.Context) error { return nil }, []Option{WithLatencyWarn(time.Nanosecond)}, StatusWarn, ErrSlowResponse},
		{"honours the timeout", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			[]Option{WithTimeout(10 * time.Millisecond)}, StatusFail, errTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Func("psp", tt.fn, tt.opts...)
			wantOutcome(t, runOnce(t, built(t, c, err)), tt.status, tt.err)
		})
	}
}
