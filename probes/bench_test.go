package probes

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// BenchmarkCollectHostProcess measures one full host + process collection
// (reading /proc every time: WithMinInterval(0)).
func BenchmarkCollectHostProcess(b *testing.B) {
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	h, err := Host(mp, WithMinInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	p, err := Process(mp, WithMinInterval(0))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	var rm metricdata.ResourceMetrics
	b.ReportAllocs()
	for b.Loop() {
		if err := rd.Collect(ctx, &rm); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCollectCached is the same collection when the sample is reused
// (a second reader in the same cycle).
func BenchmarkCollectCached(b *testing.B) {
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	h, _ := Host(mp, WithMinInterval(1<<62))
	defer h.Close()
	p, _ := Process(mp, WithMinInterval(1<<62))
	defer p.Close()
	ctx := context.Background()
	var rm metricdata.ResourceMetrics
	b.ReportAllocs()
	for b.Loop() {
		_ = rd.Collect(ctx, &rm)
	}
}

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok"}`))
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHTTPProbe is one synthetic HTTP probe run (new connection,
// httptrace phases, metrics recorded) against a loopback server.
func BenchmarkHTTPProbe(b *testing.B) {
	srv := benchServer(b)
	rd := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd))
	defer mp.Shutdown(context.Background())
	p, err := HTTP(mp, "bench", srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := p.Run(ctx); !r.Success {
			b.Fatal(r.Error)
		}
	}
}

// BenchmarkBareHTTPGet is the baseline: http.Get with the default,
// keep-alive client.
func BenchmarkBareHTTPGet(b *testing.B) {
	srv := benchServer(b)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	http.DefaultClient.CloseIdleConnections()
}

// BenchmarkBareHTTPGetNewConn is the like-for-like baseline: http.Get on a
// new connection each time, as the probe does.
func BenchmarkBareHTTPGetNewConn(b *testing.B) {
	srv := benchServer(b)
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
