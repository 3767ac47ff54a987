// Package monitor is the core of igmon: a Monitor owns the OpenTelemetry
// MeterProvider and resource, the health-check registry and its HTTP
// endpoints, and wires probes, dependency instrumentation, alerting and
// exporters together.
//
// A service creates one Monitor at start-up, registers its checks, mounts
// Handler on its mux (or serves it on its own port), calls Start, and calls
// Shutdown when it stops:
//
//	m, err := monitor.New(monitor.WithServiceName("wallet"))
//	...
//	m.Checks().Register("postgres", db.PingContext, checks.WithComponentType("datastore"))
//	mux.Handle("/", m.Handler())
//	m.Start(ctx)
//	defer m.Shutdown(context.Background())
package monitor
