package checks

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/pgtest"
)

// benchVsBare runs the bare client call and then the check doing the same
// call against the same peer, and reports the check's ns/op as a multiple
// of the bare call's ("x-bare"), so the check's own cost (the run
// goroutine, timeout context, observation) is visible.
func benchVsBare(b *testing.B, bare func(context.Context) error, c *Check) {
	ctx := context.Background()
	var bareNs float64
	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := bare(ctx); err != nil {
				b.Fatal(err)
			}
			n++
		}
		bareNs = float64(b.Elapsed().Nanoseconds()) / float64(n)
	})
	// The same bare call under a per-call deadline, as the check runs it:
	// a cancellable context costs something in net, net/http, gRPC and
	// pgx, and that part is not igmon's.
	b.Run("bare-deadline", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			err := bare(cctx)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if bareNs > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/bareNs, "x-bare")
		}
	})
	b.Run("check", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if o := c.Run(ctx); o.Status != StatusPass {
				b.Fatal(o.Err)
			}
			n++
		}
		if bareNs > 0 {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/bareNs, "x-bare")
		}
	})
}

// benchOK returns a function that unwraps (v, err) or stops the benchmark.
func benchOK[T any](b *testing.B) func(T, error) T {
	return func(v T, err error) T {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
		return v
	}
}

func BenchmarkHTTPCheck(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"UP"}`))
	}))
	defer srv.Close()
	client := srv.Client()
	url := srv.URL + "/health"
	bare := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
		return resp.Body.Close()
	}
	benchVsBare(b, bare, benchOK[*Check](b)(HTTP(url, WithHTTPClient(client))))
}

// acceptAndClose serves a TCP listener that accepts and closes at once.
func acceptAndClose(b *testing.B) string {
	l := benchOK[net.Listener](b)(net.Listen("tcp", "127.0.0.1:0"))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	b.Cleanup(func() { l.Close(); wg.Wait() })
	return l.Addr().String()
}

func BenchmarkTCPCheck(b *testing.B) {
	addr := acceptAndClose(b)
	var d net.Dialer
	bare := func(ctx context.Context) error {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	benchVsBare(b, bare, benchOK[*Check](b)(TCP(addr)))
}

func BenchmarkDNSCheck(b *testing.B) {
	peer := startDNSPeer(b, map[string][][4]byte{"games.igmon.test.": {{10, 0, 0, 1}}})
	r := peer.resolver()
	bare := func(ctx context.Context) error {
		_, err := r.LookupHost(ctx, "games.igmon.test")
		return err
	}
	benchVsBare(b, bare, benchOK[*Check](b)(DNS("games.igmon.test", WithResolver(r))))
}

func BenchmarkTLSCertCheck(b *testing.B) {
	cert := selfSignedB(b)
	addr, trust := tlsPeer(b, cert)
	trust.ServerName = "127.0.0.1"
	bare := func(ctx context.Context) error {
		d := tls.Dialer{Config: trust}
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	}
	benchVsBare(b, bare, benchOK[*Check](b)(TLSCert(addr, WithTLSConfig(trust), WithCertExpiry(1, 0))))
}

func BenchmarkSQLCheck(b *testing.B) {
	// Benchmarks are not CI's gate: skip even in CI when no server is set.
	if !pgtest.Configured() {
		b.Skip(pgtest.EnvDSN + " is not set")
	}
	db := openPostgres(b, pgtest.DSN(b))
	benchVsBare(b, db.PingContext, benchOK[*Check](b)(SQL(db)))
}

// BenchmarkFuncCheck is the engine's floor: a check whose body does
// nothing, against calling that nothing directly.
func BenchmarkFuncCheck(b *testing.B) {
	fn := func(context.Context) error { return nil }
	benchVsBare(b, fn, benchOK[*Check](b)(Func("noop", fn)))
}
