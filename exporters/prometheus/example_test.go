package prometheus_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/jackcode/igmon/exporters/prometheus"
	"github.com/jackcode/igmon/monitor"
)

// Serve /metrics next to the health endpoints, and scrape it.
func Example() {
	prom, err := prometheus.New()
	if err != nil {
		log.Fatal(err)
	}
	m, err := monitor.New(monitor.WithServiceName("wallet"), monitor.WithoutSystemMetrics(),
		monitor.WithExporters(prom.Exporter()))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.Handle("/metrics", prom.Handler())
	mux.Handle("/", m.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	bets, _ := m.MeterProvider().Meter("casino").Int64Counter("casino.bets")
	bets.Add(context.Background(), 7)

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		// casino_bets_total{otel_scope_name="casino",...} 7
		if line := sc.Text(); strings.HasPrefix(line, "casino_bets_total{") {
			fmt.Println("casino_bets_total", line[strings.LastIndexByte(line, ' ')+1:])
		}
	}
	// Output: casino_bets_total 7
}
