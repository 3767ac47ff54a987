package benchotel

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/jackcode/igmon/instrument"
)

// Both sides record into an SDK MeterProvider with a ManualReader, given
// the same way (WithMeterProvider); otelhttp gets a no-op tracer so that
// only its metrics work is compared.

func provider(b *testing.B) *sdkmetric.MeterProvider {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp
}

func otelOpts(b *testing.B) []otelhttp.Option {
	return []otelhttp.Option{otelhttp.WithMeterProvider(provider(b)), otelhttp.WithTracerProvider(noop.NewTracerProvider())}
}

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

func BenchmarkTransportIgmon(b *testing.B) {
	d, err := instrument.NewDependency(instrument.KindPayment, "psp",
		instrument.WithMeterProvider(provider(b)), instrument.WithDefaultOperation("charge"))
	if err != nil {
		b.Fatal(err)
	}
	benchClient(b, d.Transport)
}

func BenchmarkTransportOtelhttp(b *testing.B) {
	opts := otelOpts(b)
	benchClient(b, func(rt http.RoundTripper) http.RoundTripper { return otelhttp.NewTransport(rt, opts...) })
}

func mux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /games/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.PathValue("id")) })
	return m
}

// Handlers are called directly (no network) so that the middleware's own
// cost is visible.
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

func BenchmarkHandlerBare(b *testing.B) { benchHandler(b, mux()) }

func BenchmarkHandlerIgmon(b *testing.B) {
	h, err := instrument.Middleware(mux(), instrument.WithMeterProvider(provider(b)))
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, h)
}

func BenchmarkHandlerOtelhttp(b *testing.B) {
	benchHandler(b, otelhttp.NewHandler(mux(), "api", otelOpts(b)...))
}
