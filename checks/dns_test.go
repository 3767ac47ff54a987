package checks

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsPeer is a real UDP name server on loopback: it answers A queries for
// the names in zone and NXDOMAIN for everything else.
type dnsPeer struct {
	conn net.PacketConn
	zone map[string][][4]byte
	wg   sync.WaitGroup
}

func startDNSPeer(t testing.TB, zone map[string][][4]byte) *dnsPeer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dnsPeer{conn: pc, zone: zone}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		pc.Close()
		p.wg.Wait()
	})
	return p
}

func (p *dnsPeer) serve() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		var msg dnsmessage.Message
		if err := msg.Unpack(buf[:n]); err != nil || len(msg.Questions) != 1 {
			continue
		}
		q := msg.Questions[0]
		resp := dnsmessage.Message{
			Header:    dnsmessage.Header{ID: msg.ID, Response: true, Authoritative: true, RCode: dnsmessage.RCodeSuccess},
			Questions: msg.Questions,
		}
		addrs, known := p.zone[q.Name.String()]
		switch {
		case !known:
			resp.RCode = dnsmessage.RCodeNameError
		case q.Type == dnsmessage.TypeA:
			for _, a := range addrs {
				resp.Answers = append(resp.Answers, dnsmessage.Resource{
					Header: dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 60},
					Body:   &dnsmessage.AResource{A: a},
				})
			}
		}
		out, err := resp.Pack()
		if err != nil {
			continue
		}
		_, _ = p.conn.WriteTo(out, from)
	}
}

// resolver returns a pure-Go resolver that asks only this peer.
func (p *dnsPeer) resolver() *net.Resolver {
	addr := p.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func TestDNS(t *testing.T) {
	peer := startDNSPeer(t, map[string][][4]byte{
		"games.igmon.test.": {{10, 0, 0, 1}, {10, 0, 0, 2}},
	})
	r := peer.resolver()
	tests := []struct {
		name   string
		host   string
		opts   []Option
		status Status
		err    error
	}{
		{"resolves", "games.igmon.test", nil, StatusPass, nil},
		{"expected address present", "games.igmon.test", []Option{WithExpectedAddrs("10.0.0.2")}, StatusPass, nil},
		{"expected address missing", "games.igmon.test", []Option{WithExpectedAddrs("10.0.0.9")}, StatusFail, ErrUnexpectedAddrs},
		{"enough addresses", "games.igmon.test", []Option{WithMinAddrs(2)}, StatusPass, nil},
		{"too few addresses", "games.igmon.test", []Option{WithMinAddrs(3)}, StatusFail, ErrUnexpectedAddrs},
		{"invalid name does not resolve", "wallet.igmon.invalid", nil, StatusFail, nil},
		{"slow is warn", "games.igmon.test", []Option{WithLatencyWarn(time.Nanosecond)}, StatusWarn, ErrSlowResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DNS(tt.host, append([]Option{WithResolver(r)}, tt.opts...)...)
			o := runOnce(t, built(t, c, err))
			wantOutcome(t, o, tt.status, tt.err)
			if tt.status == StatusFail && tt.err == nil {
				var de *net.DNSError
				if !errors.As(o.Err, &de) || !de.IsNotFound {
					t.Errorf("err = %v, want a not-found DNS error", o.Err)
				}
			}
			if tt.status == StatusPass && o.Details["addrs"] != "10.0.0.1,10.0.0.2" {
				t.Errorf("addrs detail = %q", o.Details["addrs"])
			}
		})
	}
}

func TestDNSDefaultResolverIPLiteral(t *testing.T) {
	c, err := DNS("127.0.0.1", WithExpectedAddrs("127.0.0.1"))
	wantOutcome(t, runOnce(t, built(t, c, err)), StatusPass, nil)
}
