package instrument

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Track against the floor: the same instruments recorded directly with
// precomputed attribute sets and option slices. Compare ns/op and
// allocs/op of each pair within one run:
//
//	go test -run '^$' -bench 'Floor|Track|Transport|Middleware|Handler' -benchtime=200ms -count=3 ./monitor/

func benchDep(b *testing.B) *Dependency {
	m, _ := newRig(b)
	d := mustDep(b, m, KindPayment, "psp")
	_ = d.Track(context.Background(), "deposit", func(context.Context) error { return nil })
	return d
}

func nop(context.Context) error { return nil }

func BenchmarkFloorTrack(b *testing.B) {
	f := newFloor(benchDep(b), "deposit")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f.run(ctx, nop)
	}
}

func BenchmarkTrack(b *testing.B) {
	d := benchDep(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Track(ctx, "deposit", nop)
	}
}

func BenchmarkFloorTrackParallel(b *testing.B) {
	f := newFloor(benchDep(b), "deposit")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			f.run(ctx, nop)
		}
	})
}

func BenchmarkTrackParallel(b *testing.B) {
	d := benchDep(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			_ = d.Track(ctx, "deposit", nop)
		}
	})
}

// The RoundTripper against a loopback httptest.Server, bare and wrapped.
func benchClient(b *testing.B, wrap func(http.RoundTripper) http.RoundTripper) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport)
	client := &http.Client{Transport: wrap(base)}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/charges", nil)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	b.StopTimer()
	base.CloseIdleConnections()
}

func BenchmarkTransportBare(b *testing.B) {
	benchClient(b, func(rt http.RoundTripper) http.RoundTripper { return rt })
}

func BenchmarkTransport(b *testing.B) {
	d := benchDep(b)
	benchClient(b, d.Transport)
}

// The middleware in front of a ServeMux, called directly (no network) so
// that its own cost is visible, against the bare mux.
func benchHandler(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodGet, "/games/42", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	b.ReportAllocs()
	for b.Loop() {
		w.Body.Reset()
		h.ServeHTTP(w, req)
	}
}

func BenchmarkHandlerBare(b *testing.B) { benchHandler(b, apiMux()) }

func BenchmarkMiddleware(b *testing.B) {
	m, _ := newRig(b)
	h, err := m.Middleware(apiMux())
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, h)
}
