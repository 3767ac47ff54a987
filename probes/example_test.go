package probes_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/probes"
)

// Register the in-process collectors on the application's MeterProvider and
// close them on shutdown.
func Example_collectors() {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())

	host, err := probes.Host(mp) // system.* : the node
	if err != nil {
		panic(err)
	}
	defer host.Close()
	proc, err := probes.Process(mp) // process.* : this pod's process
	if err != nil {
		panic(err)
	}
	defer proc.Close()
	rt, err := probes.Runtime(mp) // go.*
	if err != nil {
		panic(err)
	}
	defer rt.Close()
	cg, err := probes.Cgroup(mp) // container limits, where cgroup v2 exists
	if err != nil {
		panic(err)
	}
	defer cg.Close()
	fmt.Println("collectors registered")
	// Output: collectors registered
}

// Probe a payment provider's health endpoint once; scheduled through
// Probe.Check it would run every 30s.
func ExampleHTTP() {
	psp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"UP"}`)
	}))
	defer psp.Close()

	p, err := probes.HTTP(nil, "psp-acme", psp.URL+"/health",
		probes.WithInterval(30*time.Second),
		probes.WithTimeout(5*time.Second),
		probes.WithJSONField("status", "UP"),
		probes.WithMaxLatency(2*time.Second),
	)
	if err != nil {
		panic(err)
	}
	defer p.Close()

	r := p.Run(context.Background()) // what its check does on every tick
	fmt.Println(r.Success, r.StatusCode)
	// Output: true 200
}

// Turn a probe into a background health check with thresholds.
func ExampleProbe_Check() {
	p, err := probes.TLS(nil, "kyc-cert", "kyc.example.com:443",
		probes.WithInterval(time.Hour),
		probes.WithMinCertValidity(14*24*time.Hour))
	if err != nil {
		panic(err)
	}
	c, err := p.Check(checks.WithThresholds(2, 1))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Name()) // runs every hour, the probe's interval
	// Output: kyc-cert
}
