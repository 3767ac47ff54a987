package failover

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// bareCall stands for the provider call the group routes.
//
//go:noinline
func bareCall(_ context.Context, p string) error {
	if p == "" {
		return errDown
	}
	return nil
}

// BenchmarkRoute: the routing decision per call (Pick, the call, Done)
// against the bare call, with the group's metrics recorded by a real SDK
// meter provider. Neither allocates.
func BenchmarkRoute(b *testing.B) {
	ctx := context.Background()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(ctx)
	health := func() (bool, string) { return false, "" }
	g, err := New("deposits", []Provider{{Name: "stripe", Health: health}, {Name: "adyen", Health: health}}, WithMeterProvider(mp))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=bare-call", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = bareCall(ctx, "stripe")
		}
	})
	b.Run("baseline=http-loopback", func(b *testing.B) {
		// What a provider call costs at the least: a request to a real
		// server on loopback, the scale the routing adds to.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
		defer srv.Close()
		cl := srv.Client()
		defer cl.CloseIdleConnections()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := cl.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("routed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c := g.pick()
			c.done(bareCall(ctx, c.provider()))
		}
	})
	b.Run("routed-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c := g.pick()
				c.done(bareCall(ctx, c.provider()))
			}
		})
	})
}
