package prometheus_test

import (
	"log"
	"net/http"

	"github.com/jackcode/igmon/exporters/prometheus"
	"github.com/jackcode/igmon/monitor"
)

// Serve /metrics next to the health endpoints.
func Example() {
	prom, err := prometheus.New()
	if err != nil {
		log.Fatal(err)
	}
	m, err := monitor.New(monitor.WithServiceName("wallet"), monitor.WithExporters(prom.Exporter()))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", prom.Handler())
	mux.Handle("/", m.Handler())
	_ = m
}
