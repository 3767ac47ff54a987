// Package checks is igmon's health-check engine: a registry of named checks,
// the rules that turn their runs into pass / warn / fail, and the standard
// HTTP endpoints (/livez, /readyz, /startupz, /healthz) that serve them.
//
// A check is a name plus a function ([NewCheck]). A nil error passes; an error wrapped
// with [Warn] reports a degraded but serving component; any other error
// fails. [Observe] and [Detail] attach an observed value (latency, free
// bytes, days left) and details to the current run.
//
// Each check declares which endpoints it affects ([Liveness], [Readiness],
// [Startup]), a timeout, its criticality and a component type.
//
// Checks are active: after [Registry.Start] every check runs in the
// background on its own schedule (every 10s by default, or
// [WithInterval]; jittered by ±10%, the first run within a second of
// Start), whether or not anyone calls an endpoint, so an outage is detected
// even in a service nobody polls. The endpoints answer from the latest
// results; they run a scheduled check themselves only when it has no result
// yet (in its first moments after Start), or, while no schedule runs
// (before Start, after Drain or Shutdown), when its result is an interval old.
// A check declared [WithOnRequest] instead runs only when an endpoint
// needs it and its result is older than its TTL.
//
// Every result has an age (since [Result].Time). A result older than the check's
// stale bound (three intervals, or [WithStaleAfter]; one minute for
// on-request checks) is stale: [Result.Stale] is set, the status is unknown
// and the error "result is stale". A stale result never decides a component's
// status; the endpoints, staying conservative, count it as failing. Failure
// and success thresholds damp flapping.
//
// The registry runs the checks of one request concurrently, a bounded number
// at a time; concurrent requests share one run of each check; no lock is held
// while a check runs; and a request never waits longer than the largest
// timeout of its checks plus a small margin. Panics are recovered and
// reported as failures; the panic value is redacted, and its stack logged
// once per streak of panicking runs.
//
// [Registry.Handler] serves the endpoints with the Kubernetes conventions
// (?verbose, ?exclude, /readyz/<name>) and, on request, the IETF
// application/health+json format. Error text and observed values are shown
// only to callers an authorizer admits, and even then pass through a
// redactor that strips credentials.
//
// The package links only the standard library and the OTel API, so a
// program that only registers checks stays small. The checks that need more
// live in subpackages and take the same options: grpccheck (a gRPC peer's
// grpc.health.v1), grpchealth (this registry served as grpc.health.v1) and
// hostcheck (process memory and free disk space, through gopsutil).
//
// Each check constructor takes an option type of its own ([Option] for
// [NewCheck], [ProbeOption] for probes.Probe.Check, [FuncOption],
// [BuiltinOption], [RoundTripOption], [MemoryOption], [DiskOption]; the
// table is at [Option]): an option given to a constructor it does not apply
// to (WithName to Func, WithInterval to a probe's check, WithLatencyWarn to
// Goroutines) does not compile, and one that sets one value given twice
// fails construction naming it.
package checks
