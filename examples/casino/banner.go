package main

import (
	"fmt"
	"io"
	"strings"
)

// printBanner writes what the running demo serves: every URL (/metrics
// among them), the gRPC health address, where metrics are pushed, the
// fault API and the operator token.
// A generated token appears once, on the line starting "operator token:";
// it is written nowhere else (not to the log). A token that came from
// -token or the environment is not printed.
func printBanner(w io.Writer, ep endpoints) {
	u := ep.baseURL
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "  %-16s%s\n", label, fmt.Sprintf(format, args...))
	}
	b.WriteString("\n  igmon casino demo\n\n")
	line("dashboard:", "%s/", u)
	line("health:", "%s/readyz?verbose   %s/livez   (also /startupz, /healthz)", u, u)
	line("events:", "%s%s", u, eventsPath)
	line("alerts API:", "%s%s/   alerts and silences (POST /silences with the token)", u, alertsPrefix)
	line("", "%s%s/api/v2/alerts   Alertmanager API v2, for amtool and Grafana", u, alertsPrefix)
	if ep.grpcAddr != "" {
		line("gRPC health:", "%s   (grpc.health.v1; services \"\", readiness, liveness, startup and each check)", ep.grpcAddr)
	} else {
		line("gRPC health:", "off (-grpc-addr is empty)")
	}
	line("metrics:", "%s%s   (Prometheus scrape; OpenMetrics with exemplars when asked for)", u, metricsPath)
	if len(ep.exports) > 0 {
		line("", "also pushed by %s", strings.Join(ep.exports, ", "))
	} else {
		line("", "not pushed (set OTEL_EXPORTER_OTLP_ENDPOINT to push OTLP too)")
	}
	alerts := "the log"
	if ep.webhook {
		alerts += " and -webhook-url"
	}
	line("alerts go to:", "%s", alerts)
	line("fault API:", "%s%s   (GET shows the faults, POST changes them)", u, faultsEndpoint)
	line("", `curl -XPOST %s%s -d '{"provider":"stripe","fault":{"error_rate":0.6}}'`, u, faultsEndpoint)
	line("", `curl -XPOST %s%s -d '{"reset":true}'`, u, faultsEndpoint)
	if ep.token != "" {
		line("operator token:", "%s   (generated for this run; -token or $%s sets your own)", ep.token, tokenEnv)
	} else {
		line("operator token:", "the one from -token or $%s (not printed)", tokenEnv)
	}
	line("", "it unlocks details and operator actions: on the dashboard click Operator and paste it;")
	line("", `with curl: export %s=<the token>; curl -H "Authorization: Bearer $%s" %s/readyz?verbose`, tokenEnv, tokenEnv, u)
	if ep.dbPath != "" {
		line("wallet db:", "%s   (SQLite; removed on exit)", ep.dbPath)
	} else {
		line("wallet db:", "PostgreSQL from -database-url / $DATABASE_URL")
	}
	b.WriteString("\n  Ctrl-C stops the demo.\n\n")
	_, _ = io.WriteString(w, b.String())
}
