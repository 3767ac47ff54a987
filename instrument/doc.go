// Package instrument records what a service does with the outside world
// as OpenTelemetry metrics, with only a metric.MeterProvider, in the shape
// of otelhttp: outbound calls to its dependencies (payment providers, game
// aggregators, KYC vendors, databases) through a Dependency's Transport,
// Track or TrackValue, and inbound requests through Middleware. Calls are
// classified by Outcome, so that a declined card (Declined) never counts
// against the provider.
//
//	stripe, err := instrument.NewDependency(instrument.KindPayment, "stripe",
//		instrument.WithMeterProvider(mp)) // default: otel.GetMeterProvider()
//	client := &http.Client{Transport: stripe.Transport(nil)}
//	api, err := instrument.Middleware(mux, instrument.WithMeterProvider(mp))
//
// Nothing here starts a goroutine, and recording a call allocates nothing
// of its own.
//
// Passive health (Stats, HealthCheck, Health) judges a dependency from its
// traffic over a sliding window. The windows are computed by igmon's one
// series engine, which a monitor.Monitor owns and runs after Start: declare
// the dependency with monitor.Monitor.Dependency to have them. A Monitor
// can record into a provider you built (monitor.WithMeterProvider with
// monitor.WithInProcess), so passive health does not require giving up
// your own provider. Without a Monitor, Stats has no calls, HealthCheck
// passes as "not judged" and Health is unknown.
package instrument
