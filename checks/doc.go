// Package checks is igmon's health-check engine: a registry of named checks,
// the rules that turn their runs into pass / warn / fail, and the standard
// HTTP endpoints (/livez, /readyz, /startupz, /healthz) that serve them.
//
// A check is a name plus a [CheckFunc]. A nil error passes; an error wrapped
// with [Warn] reports a degraded but serving component; any other error
// fails. [Observe] and [Detail] attach an observed value (latency, free
// bytes, days left) and details to the current run.
//
// Each check declares which endpoints it affects ([Liveness], [Readiness],
// [Startup]), a timeout, its criticality, a component type, and whether it
// runs on request (with a result TTL) or in the background on an interval.
// Failure and success thresholds damp flapping; a background result older
// than a few intervals counts as failed, so a hung check can never keep
// reporting healthy.
//
// The registry runs the checks of one request concurrently, a bounded number
// at a time; concurrent requests share one run of each check; no lock is held
// while a check runs; and a request never waits longer than the largest
// timeout of its checks plus a small margin. Panics are recovered and
// reported as failures.
//
// [Registry.Handler] serves the endpoints with the Kubernetes conventions
// (?verbose, ?exclude, /readyz/<name>) and, on request, the IETF
// application/health+json format. Error text and observed values are shown
// only to callers an authorizer admits, and even then pass through a
// redactor that strips credentials.
package checks
