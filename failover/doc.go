// Package failover routes each call to the first usable provider of an
// ordered group of equivalent providers (deposits: stripe, then adyen) and
// comes back to the preferred one when it recovers.
//
// Every provider has a circuit breaker fed by the outcome of every call
// routed through the group, so that it reacts within a few calls, not on a
// monitoring cycle:
//
//   - closed: calls go through; the breaker opens on consecutive failures,
//     on an error ratio or on a ratio of slow calls over a short window, or
//     when the provider's health (Provider.Health, e.g. igmon's status
//     rule) turns failing;
//   - open: calls skip the provider for an open period that doubles, up to
//     a maximum, each time a trial fails;
//   - half-open: one trial call at a time goes to the provider while the
//     rest go to the next one; a run of successful trials closes the
//     breaker and the provider serves again.
//
// Only failures count: Provider.Failure decides, so a business decline
// (instrument.Declined) never opens a breaker, and a call the caller
// canceled counts neither way. Routing a call takes no allocation and no
// lock on a closed breaker. monitor.Monitor.Failover builds a group over
// igmon dependencies with their health, metrics and events wired.
package failover
