package benchotel

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/jackcode/igmon/monitor"
)

// Both sides record into an SDK MeterProvider with a ManualReader; otelhttp
// gets a no-op tracer so that only its metrics work is compared.

func newMonitor(b *testing.B) *monitor.Monitor {
	m, err := monitor.New(monitor.WithReader(sdkmetric.NewManualReader()), monitor.WithServiceName("bench"),
		monitor.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Shutdown(context.Background()) })
	return m
}

func otelOpts() []otelhttp.Option {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	return []otelhttp.Option{otelhttp.WithMeterProvider(mp), otelhttp.WithTracerProvider(noop.NewTracerProvider())}
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
	d, err := newMonitor(b).Dependency(monitor.KindPayment, "psp", monitor.WithDefaultOperation("charge"))
	if err != nil {
		b.Fatal(err)
	}
	benchClient(b, d.Transport)
}

func BenchmarkTransportOtelhttp(b *testing.B) {
	opts := otelOpts()
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
	h, err := newMonitor(b).Middleware(mux())
	if err != nil {
		b.Fatal(err)
	}
	benchHandler(b, h)
}

func BenchmarkHandlerOtelhttp(b *testing.B) {
	benchHandler(b, otelhttp.NewHandler(mux(), "api", otelOpts()...))
}
