// Package igmon is an embeddable monitoring SDK for iGaming platforms:
// casino and betting backends import it to watch, from the inside, the
// game providers, payment systems, KYC services, databases and internal
// services they depend on.
//
// The SDK is split into small packages:
//
//   - [github.com/jackcode/igmon/monitor] is the core: a Monitor owns the
//     OpenTelemetry MeterProvider and resource, the check registry and the
//     health endpoints, dependency instrumentation (an http.RoundTripper and
//     Track for any call) and the HTTP server middleware, and wires the
//     other packages together.
//   - [github.com/jackcode/igmon/checks] is the health-check engine and its
//     /livez, /readyz, /startupz and /healthz endpoints (Kubernetes
//     conventions, IETF application/health+json), with built-in checks for
//     SQL, HTTP, TCP, DNS and TLS certificates; it links only the standard
//     library and the OTel API. Its subpackages add what needs more:
//     [github.com/jackcode/igmon/checks/grpccheck] (a gRPC peer's health),
//     [github.com/jackcode/igmon/checks/grpchealth] (the registry as
//     grpc.health.v1) and [github.com/jackcode/igmon/checks/hostcheck]
//     (memory and disk, through gopsutil).
//   - [github.com/jackcode/igmon/probes] collects host, process, Go runtime,
//     container and database-pool metrics, and runs synthetic probes of
//     external endpoints with phase timings.
//   - [github.com/jackcode/igmon/alerting] detects deviations (thresholds,
//     error rates, latency quantiles, SLO burn rates, failing checks,
//     silence) and notifies the on-call team through webhooks, Slack,
//     PagerDuty, Telegram, Alertmanager and more.
//   - [github.com/jackcode/igmon/exporters] sends the metrics out by OTLP
//     gRPC to a collector, or to stdout, and offers the in-process reader the
//     alerting rules and dashboard read.
//
// Quick start:
//
//	m, err := monitor.New(monitor.WithServiceName("wallet"), monitor.WithServiceVersion("1.4.2"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	m.Register("postgres", db.PingContext,
//		checks.WithComponentType("datastore"), checks.WithTimeout(2*time.Second))
//	mux.Handle("/", m.Handler()) // /livez /readyz /startupz /healthz
//	if err := m.Start(ctx); err != nil {
//		log.Fatal(err)
//	}
//	defer m.Shutdown(context.Background())
package igmon
