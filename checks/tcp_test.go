package checks

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	// The kernel completes the handshake from the backlog; nobody needs
	// to Accept for the dial to succeed.
	c, err := TCP(addr)
	c = built(t, c, err)
	o := runOnce(t, c)
	wantOutcome(t, o, StatusPass, nil)
	if o.Observation == nil || o.Observation.Measurement != "responseTime" {
		t.Errorf("observation = %+v", o.Observation)
	}
	slow, err := TCP(addr, WithLatencyWarn(time.Nanosecond), WithName("slow"))
	wantOutcome(t, runOnce(t, built(t, slow, err)), StatusWarn, ErrSlowResponse)

	l.Close()
	o = runOnce(t, c)
	wantOutcome(t, o, StatusFail, nil)
	if !strings.Contains(o.Err.Error(), "refused") {
		t.Errorf("err = %v, want connection refused", o.Err)
	}
}

func TestTCPCustomDialer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}
	c, err := TCP(l.Addr().String(), WithDialer(d))
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusPass, nil)
}
