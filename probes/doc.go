// Package probes collects facts about the machine, the process, the Go
// runtime, the container, database pools and remote endpoints, and exposes
// them as OpenTelemetry metrics with the semantic-convention names.
//
// There are two families.
//
// In-process collectors ([Host], [Process], [Runtime], [Cgroup], [DBPool])
// register asynchronous instruments: they cost nothing between collections
// and read the system only when a metric reader collects. Several readers
// collecting at once share one read: each collector caches its sample for a
// short period ([WithMinInterval]) and coalesces concurrent reads. Each
// returns a value whose Close unregisters its callback.
//
// Synthetic probes ([HTTP], [TCP], [DNS], [TLS], [GRPCHealth]) actively
// contact an endpoint and record whether it answered, how long each phase
// took (dns, connect, tls, processing, transfer), why it failed (a bounded
// [failureReason]) and when its certificate expires. [Probe.Check] turns a
// probe into a background health check with failure and success
// thresholds; the checks.Registry schedules it on the probe's interval with
// its jitter (it takes a checks.ProbeOption, so checks.WithInterval and
// checks.WithTimeout do not compile there). The registry is igmon's one scheduler: probes have none of
// their own. [Probe.Run] runs a probe once. The last results of every probe
// are kept for display.
//
// Each synthetic constructor takes its own option type ([HTTPOption],
// [TCPOption], [TLSOption], [DNSOption], [GRPCOption]), so an option of
// another kind, such as WithMethod given to TCP, is a compile error; an
// option valid for several kinds implements each of their types. A
// single-valued option given twice fails the constructor naming it. The
// collectors share [CollectorOption] and refuse, naming it, an option that
// does not apply to them.
//
// Probes never keep a second copy of a number that is a metric: the only
// state they hold is the previous sample needed to turn cumulative CPU time
// into utilization, and the bounded result history of synthetic probes.
package probes

// scopeName is the instrumentation scope of every metric this package
// emits.
const scopeName = "github.com/jackcode/igmon/probes"
