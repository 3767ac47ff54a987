// Package dashboard serves igmon's status page, as returned by
// monitor.Monitor.Dashboard: a mountable http.Handler
// with its HTML, JavaScript and CSS embedded in the binary (no CDN, no build
// step, no framework).
//
// The page is grouped the way an iGaming platform is: servers, API routes,
// databases, payment providers, game providers, KYC and network probes.
// Each component shows its status, p50/p95 latency, error rate, request
// volume and uptime over the window, charts of its history over a chosen
// range (when the Source is also a [HistorySource]) or sparklines, and, for
// authorized viewers, its last (redacted) error. Beside them the page lists
// active alerts with their evidence, silences, overrides and the recent
// event timeline.
//
// The data comes from a [Source]; the dashboard owns no numbers of its own.
// The monitor package adapts its check registry, metric windows, alert
// evaluator and event log into a Source, so this package imports none of
// them.
//
// Routes, relative to where the handler is mounted (it works at "/" and
// under [net/http.StripPrefix]):
//
//	GET    /                    the page (renders itself from JSON)
//	GET    /status.json         the snapshot the page shows
//	GET    /history.json        charts and uptime bars: ?range=15m|1h|6h|24h|7d|30d
//	GET    /events              Server-Sent Events: one snapshot per refresh
//	GET    /badge/{id}.svg      a shields-style status badge per component
//	POST   /api/silences        create a silence        (authorized)
//	DELETE /api/silences        expire a silence        (authorized)
//	POST   /api/overrides       set a maintenance override (authorized)
//	DELETE /api/overrides       clear an override       (authorized)
//
// Everyone may read the page, status.json, the event stream and the badges;
// they see statuses and numbers only. Requests the authorizer admits also
// see details (last errors, check details, override reasons, alert
// annotations and evidence, silence comments) and may act. Because
// EventSource cannot send an Authorization header, the page streams the
// public snapshot over SSE and, once an operator enters a bearer token
// (kept in sessionStorage, never in a URL), switches to polling
// status.json with the header instead. Tokens therefore never appear in
// URLs, access logs or browser history.
//
// Actions are protected against cross-site requests three ways: they need
// the authorizer (a bearer header a foreign page cannot attach), an
// application/json body (which a cross-origin form cannot send without a
// CORS preflight this handler never answers), and they pass
// [net/http.CrossOriginProtection], which rejects browser requests whose
// Sec-Fetch-Site or Origin says they came from another origin. Every action,
// accepted or refused, is logged with the requester's remote address.
package dashboard
