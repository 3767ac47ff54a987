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
// traffic over the last 30 s, as of the last 5 s boundary, by the same
// traffic rule as a Monitor's status rule. A standalone dependency
// (NewDependency) keeps that window itself, in about 6 KB of atomic
// counters, because it cannot read back the provider it records into. A
// dependency declared with monitor.Monitor.Dependency has no window of its
// own: the Monitor's series engine computes its figures from the exported
// metrics, and its Health adds the Monitor's checks and alerts to the
// traffic.
package instrument
