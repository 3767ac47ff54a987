package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/promname"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.yaml.in/yaml/v3"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/promrules"
	"github.com/jackcode/igmon/alerting/rulefile"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/monitor"
	"github.com/jackcode/igmon/probes"
)

// These tests keep the deployment artefacts in deploy/ honest: the
// Prometheus rules are generated from rules.yaml, and the dashboard and
// rules read only metric names igmon emits, as Prometheus spells them.

var update = flag.Bool("update", false, "rewrite deploy/prometheus-rules.yaml from rules.yaml")

const (
	rulesFile      = "rules.yaml"
	promRulesFile  = "deploy/prometheus-rules.yaml"
	dashboardFile  = "deploy/grafana-dashboard.json"
	kubernetesFile = "deploy/kubernetes.yaml"
	collectorFile  = "deploy/otel-collector.yaml"
)

// promNames returns every series name Prometheus stores for the metrics
// igmon emits: histograms as _bucket, _sum and _count.
func promNames() map[string]bool {
	names := map[string]bool{}
	for _, m := range promname.IgmonMetrics {
		n := promname.PrometheusMetricName(m)
		if m.Type == promrules.TypeHistogram {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[n+s] = true
			}
			continue
		}
		names[n] = true
	}
	return names
}

// promLabels returns the label names a query may use: the translated
// attribute keys of igmon's metrics, the resource attributes that the
// collector turns into labels, and Prometheus' own.
func promLabels() map[string]bool {
	keys := []string{
		"igmon.dependency.kind", "igmon.dependency.name", "igmon.dependency.operation", "igmon.dependency.outcome",
		"error.type", "http.request.method", "http.response.status_code", "http.route", "url.scheme",
		"network.protocol.version", "server.address", "server.port",
		igsemconv.AttrCheckName, igsemconv.AttrCheckState, igsemconv.AttrComponentType,
		igsemconv.AttrProbeName, igsemconv.AttrProbeKind, igsemconv.AttrProbePhase, igsemconv.AttrFailureReason,
		"cpu.mode", "system.memory.state", "db.client.connection.pool.name", "db.client.connection.state",
		"igmon.alert.rule", "igmon.alert.state", "igmon.alert.receiver", "igmon.alert.notification.outcome",
		"igmon.failover.group", "igmon.failover.provider", "igmon.failover.route", "igmon.failover.breaker.state",
		// Resource attributes (resource_to_telemetry_conversion).
		"host.name", "service.name", "service.instance.id", "deployment.environment.name",
	}
	labels := map[string]bool{"le": true, "job": true, "instance": true}
	for _, k := range keys {
		labels[promname.PrometheusLabelName(k)] = true
	}
	return labels
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'` + "|`[^`]*`")
	promMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)`)
	promVar      = regexp.MustCompile(`\$\{?\w+\}?`)
	promIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	// promNoisyNumber is a literal with more than 12 decimals.
	promNoisyNumber = regexp.MustCompile(`\.\d{13,}`)
	promMatchKey    = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)`)
	promKeywords    = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
		"inf": true, "nan": true, "Inf": true, "NaN": true}
)

// promQLNames returns the metric names and the label names a PromQL
// expression reads. It is a scanner for the expressions in deploy/, not a
// PromQL parser: strings, ranges and variables are blanked, identifiers
// followed by "(" are functions or aggregations.
func promQLNames(expr string) (metrics, labels []string) {
	s := promString.ReplaceAllString(expr, `""`)
	s = promVar.ReplaceAllString(s, "")
	for _, m := range promMatchers.FindAllString(s, -1) {
		for _, k := range promMatchKey.FindAllStringSubmatch(m, -1) {
			labels = append(labels, k[1])
		}
	}
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRange.ReplaceAllString(s, " ")
	for _, g := range promGrouping.FindAllStringSubmatch(s, -1) {
		labels = append(labels, promIdent.FindAllString(g[1], -1)...)
	}
	s = promGrouping.ReplaceAllString(s, " ")
	for _, loc := range promIdent.FindAllStringIndex(s, -1) {
		id := s[loc[0]:loc[1]]
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.') {
			continue // exponent or unit of a number literal: 1e3, 5m
		}
		if promKeywords[id] || strings.HasPrefix(strings.TrimLeft(s[loc[1]:], " \t\n"), "(") {
			continue
		}
		metrics = append(metrics, id)
	}
	return metrics, labels
}

func TestPromQLNames(t *testing.T) {
	m, l := promQLNames(`histogram_quantile(0.95, sum by (http_route, le) (rate(http_server_request_duration_seconds_bucket{job=~"$job", x="a{b}"}[$__rate_interval])))` +
		` / on(job) group_left up and vector(1e3) > 0.5`)
	if want := []string{"http_server_request_duration_seconds_bucket", "up"}; !slices.Equal(m, want) {
		t.Errorf("metrics = %q, want %q", m, want)
	}
	slices.Sort(l)
	if want := []string{"http_route", "job", "job", "le", "x"}; !slices.Equal(l, want) {
		t.Errorf("labels = %q, want %q", l, want)
	}
}

// checkPromQL reports metric and label names in expr that igmon does not
// emit; it returns the metric names.
func checkPromQL(t *testing.T, where, expr string, names, labels map[string]bool) []string {
	t.Helper()
	ms, ls := promQLNames(expr)
	if len(ms) == 0 {
		t.Errorf("%s: no metric in %q", where, expr)
	}
	for _, m := range ms {
		if !names[m] {
			t.Errorf("%s: metric %q is not one igmon emits (as Prometheus names it)", where, m)
		}
	}
	for _, l := range ls {
		if !labels[l] {
			t.Errorf("%s: label %q is not an attribute igmon records", where, l)
		}
	}
	return ms
}

// wantRules are the demo's rules and their kinds.
var wantRules = map[string]string{
	"DependencyErrorRate":     "ratio",
	"APIErrorRate":            "ratio",
	"DependencySlow":          "quantile",
	"NoSuccessfulDeposits":    "absence",
	"CheckFailing":            "check_state",
	"ProviderProbeFailing":    "threshold",
	"HostCPUHigh":             "threshold",
	"WalletDBPoolSaturated":   "threshold",
	"DepositAvailabilityBurn": "slo",
	"ProviderBypassed":        "threshold",
}

func TestDeployRulesLoad(t *testing.T) {
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	// Each rule on its own, so that a broken rule is named by its subtest.
	var doc struct {
		Rules []yaml.Node `yaml:"rules"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Rules) != len(wantRules) {
		t.Errorf("%s has %d rules, want %d", rulesFile, len(doc.Rules), len(wantRules))
	}
	for i := range doc.Rules {
		var name string
		for j := 0; j+1 < len(doc.Rules[i].Content); j += 2 {
			if doc.Rules[i].Content[j].Value == "name" {
				name = doc.Rules[i].Content[j+1].Value
			}
		}
		t.Run(name, func(t *testing.T) {
			one, err := yaml.Marshal(map[string][]*yaml.Node{"rules": {&doc.Rules[i]}})
			if err != nil {
				t.Fatal(err)
			}
			rules, err := rulefile.Load(bytes.NewReader(one))
			if err != nil {
				t.Fatalf("rule does not load: %v", err)
			}
			r := rules[0]
			if kind, ok := wantRules[r.Name]; !ok {
				t.Errorf("unexpected rule %q", r.Name)
			} else if conditionKind(r.Condition) != kind {
				t.Errorf("kind = %s, want %s", conditionKind(r.Condition), kind)
			}
			// SLO rules get severity per burn window.
			if _, ok := r.Labels["severity"]; !ok && conditionKind(r.Condition) != "slo" {
				t.Error("no severity label")
			}
			if r.Labels["team"] == "" {
				t.Error("no team label")
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if r.Annotations[a] == "" {
					t.Errorf("no %s annotation", a)
				}
			}
		})
	}
	// And the whole file, as the demo loads it.
	rules, err := rulefile.LoadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := alerting.ValidateRules(rules); err != nil {
		t.Fatal(err)
	}
}

func exportRules(t *testing.T) []byte {
	t.Helper()
	rules, err := rulefile.LoadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	// The demo's rules read only metrics igmon emits (promname.IgmonMetrics),
	// so promrules.Config.Metrics, where an application declares its own,
	// stays empty.
	out, err := promrules.Export(rules, promrules.Config{Group: "igmon-casino"})
	if err != nil {
		t.Fatal(err)
	}
	header := "# Generated from examples/casino/rules.yaml by promrules.Export. DO NOT EDIT.\n" +
		"# Regenerate: cd examples && go test -run TestPrometheusRulesUpToDate ./casino/ -update\n"
	return append([]byte(header), out...)
}

func TestPrometheusRulesUpToDate(t *testing.T) {
	got := exportRules(t)
	if *update {
		if err := os.WriteFile(promRulesFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(promRulesFile)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run `go test -run TestPrometheusRulesUpToDate ./casino/ -update` in examples/\n--- exported\n%s", promRulesFile, got)
	}

	// The committed file is a Prometheus rules file over names igmon emits.
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert  string            `yaml:"alert"`
				Expr   string            `yaml:"expr"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(want, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Groups) != 1 {
		t.Fatalf("%d groups, want 1", len(file.Groups))
	}
	names, labels := promNames(), promLabels()
	labels["igmon_check_state"], labels["igmon_check_name"] = true, true
	alerts := map[string]bool{}
	for _, r := range file.Groups[0].Rules {
		alerts[r.Alert] = true
		checkPromQL(t, "rule "+r.Alert, r.Expr, names, labels)
		// Thresholds are the numbers a person wrote, not float64 noise
		// (1 - 0.928 = 0.07200000000000006).
		if n := promNoisyNumber.FindString(promString.ReplaceAllString(r.Expr, `""`)); n != "" {
			t.Errorf("rule %s: number %s is not rounded", r.Alert, n)
		}
		if r.Labels["severity"] == "" {
			t.Errorf("rule %s: no severity label", r.Alert)
		}
	}
	for name := range wantRules {
		if !alerts[name] {
			t.Errorf("alert %s missing from %s", name, promRulesFile)
		}
	}
}

type grafanaPanel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource map[string]any `json:"datasource"`
	GridPos    *struct{ H, W, X, Y int }
	Targets    []struct {
		Expr       string         `json:"expr"`
		RefID      string         `json:"refId"`
		Datasource map[string]any `json:"datasource"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

func TestGrafanaDashboard(t *testing.T) {
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var d struct {
		UID           string `json:"uid"`
		Title         string `json:"title"`
		SchemaVersion int    `json:"schemaVersion"`
		Templating    struct {
			List []struct {
				Name       string         `json:"name"`
				Type       string         `json:"type"`
				Query      any            `json:"query"`
				Definition string         `json:"definition"`
				Datasource map[string]any `json:"datasource"`
			} `json:"list"`
		} `json:"templating"`
		Panels []grafanaPanel `json:"panels"`
	}
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Errorf("%s: trailing data after the dashboard", dashboardFile)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion = %d, want >= 36 (datasource references by uid)", d.SchemaVersion)
	}
	names, labels := promNames(), promLabels()
	dsVar := ""
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			if v.Query != "prometheus" {
				t.Errorf("variable %s: datasource type %v, want prometheus", v.Name, v.Query)
			}
			dsVar = "${" + v.Name + "}"
		case "query":
			q := v.Definition
			if m, ok := v.Query.(map[string]any); ok {
				q, _ = m["query"].(string)
			}
			// label_values(metric{...}, label)
			inner := strings.TrimSuffix(strings.TrimPrefix(q, "label_values("), ")")
			sel, label, ok := strings.Cut(inner, ", ")
			if !ok || !strings.HasPrefix(q, "label_values(") {
				t.Errorf("variable %s: unexpected query %q", v.Name, q)
				continue
			}
			checkPromQL(t, "variable "+v.Name, sel, names, labels)
			if !labels[label] {
				t.Errorf("variable %s: label %q is not an attribute igmon records", v.Name, label)
			}
		}
	}
	if dsVar == "" {
		t.Fatal("no Prometheus datasource variable")
	}

	var all []grafanaPanel
	for _, p := range d.Panels {
		all = append(all, p)
		all = append(all, p.Panels...) // collapsed rows hold their panels
	}
	used := map[string]bool{}
	ids := map[int]string{}
	for _, p := range all {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: bad gridPos", p.Title)
		}
		if p.Type == "row" {
			continue
		}
		if uid, _ := p.Datasource["uid"].(string); uid != dsVar {
			t.Errorf("panel %q: datasource uid %q, want %q", p.Title, uid, dsVar)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range checkPromQL(t, "panel "+p.Title, tg.Expr, names, labels) {
				used[m] = true
			}
		}
	}
	// The panels the demo is about.
	for _, m := range []string{
		"http_server_request_duration_seconds_count", "http_server_request_duration_seconds_bucket",
		"igmon_dependency_calls_total", "igmon_dependency_duration_seconds_bucket",
		"igmon_check_status_ratio", "igmon_probe_success_ratio", "igmon_probe_duration_seconds_bucket",
		"system_cpu_utilization_ratio", "system_memory_utilization_ratio",
		"db_client_connection_count", "db_client_connection_max", "igmon_alerts",
	} {
		if !used[m] {
			t.Errorf("no panel reads %s", m)
		}
	}
}

// k8s is the part of a Kubernetes object the test reads.
type k8s struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Spec struct {
				TerminationGracePeriodSeconds int            `yaml:"terminationGracePeriodSeconds"`
				Containers                    []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	GRPC *struct {
		Port    int    `yaml:"port"`
		Service string `yaml:"service"`
	} `yaml:"grpc"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type k8sContainer struct {
	Name  string `yaml:"name"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	Lifecycle      struct {
		PreStop *struct {
			Sleep *struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
}

// port resolves a probe or Service port, a number or a container port name.
func (c *k8sContainer) port(p any) int {
	switch v := p.(type) {
	case int:
		return v
	case string:
		for _, cp := range c.Ports {
			if cp.Name == v {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

func (c *k8sContainer) hasPort(n int) bool {
	for _, cp := range c.Ports {
		if cp.ContainerPort == n {
			return true
		}
	}
	return false
}

func (c *k8sContainer) env(name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func readKubernetes(t *testing.T) []k8s {
	t.Helper()
	f, err := os.Open(kubernetesFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(false)
	var objs []k8s
	for {
		var o k8s
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", kubernetesFile, err)
		}
		if o.Kind != "" {
			objs = append(objs, o)
		}
	}
	return objs
}

func TestKubernetesManifests(t *testing.T) {
	objs := readKubernetes(t)
	byName := map[string]*k8s{}
	for i := range objs {
		byName[objs[i].Kind+"/"+objs[i].Metadata.Name] = &objs[i]
	}
	dep, svc := byName["Deployment/casino"], byName["Service/casino"]
	if dep == nil || svc == nil {
		t.Fatalf("want Deployment/casino and Service/casino, have %v", slices.Sorted(maps.Keys(byName)))
	}
	if len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment/casino: %d containers, want 1", len(dep.Spec.Template.Spec.Containers))
	}
	c := &dep.Spec.Template.Spec.Containers[0]

	httpProbes := []struct {
		name  string
		probe *k8sProbe
		path  string
	}{
		{"startupProbe", c.StartupProbe, "/startupz"},
		{"livenessProbe", c.LivenessProbe, "/livez"},
		{"readinessProbe", c.ReadinessProbe, "/readyz"},
	}
	for _, p := range httpProbes {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s path = %q, want %q", p.name, p.probe.HTTPGet.Path, p.path)
		}
		if got := c.port(p.probe.HTTPGet.Port); got != 8080 {
			t.Errorf("%s port = %v (%d), want 8080", p.name, p.probe.HTTPGet.Port, got)
		}
	}
	if c.StartupProbe != nil && c.StartupProbe.PeriodSeconds*c.StartupProbe.FailureThreshold < 30 {
		t.Error("startupProbe gives the first start less than 30s")
	}

	preStop := c.Lifecycle.PreStop
	if preStop == nil || preStop.Sleep == nil || preStop.Sleep.Seconds <= 0 {
		t.Error("want a preStop sleep, so the pod leaves the endpoints before it stops")
	} else if grace := dep.Spec.Template.Spec.TerminationGracePeriodSeconds; grace <= preStop.Sleep.Seconds+5 {
		t.Errorf("terminationGracePeriodSeconds = %d leaves no time to drain after the %ds preStop", grace, preStop.Sleep.Seconds)
	}

	if v, ok := c.env("OTEL_EXPORTER_OTLP_ENDPOINT"); !ok || !strings.HasSuffix(v, ":"+collectorOTLPPort(t)) {
		t.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT = %q, want the collector's OTLP gRPC port %s", v, collectorOTLPPort(t))
	}
	tokenFromSecret := false
	for _, e := range c.Env {
		if e.Name == "IGMON_HEALTH_TOKEN" {
			tokenFromSecret = e.Value == "" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name != ""
		}
	}
	if !tokenFromSecret {
		t.Error("IGMON_HEALTH_TOKEN must come from a Secret (secretKeyRef), never a literal")
	}

	// The Service reaches the container's ports.
	for _, p := range svc.Spec.Ports {
		if c.port(p.TargetPort) == 0 {
			t.Errorf("Service port %s: targetPort %v is not a container port", p.Name, p.TargetPort)
		}
	}

	// The gRPC probe example: grpc.health.v1 on 9090 with igmon's service names.
	g := byName["Deployment/casino-grpc-probes"]
	if g == nil || len(g.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("want Deployment/casino-grpc-probes with one container")
	}
	gc := g.Spec.Template.Spec.Containers[0]
	grpcProbes := []struct {
		name    string
		probe   *k8sProbe
		service string
	}{
		{"startupProbe", gc.StartupProbe, "startup"},
		{"livenessProbe", gc.LivenessProbe, "liveness"},
		{"readinessProbe", gc.ReadinessProbe, "readiness"},
	}
	for _, p := range grpcProbes {
		if p.probe == nil || p.probe.GRPC == nil {
			t.Errorf("grpc example %s: want a grpc probe", p.name)
			continue
		}
		if p.probe.GRPC.Port != 9090 || p.probe.GRPC.Service != p.service {
			t.Errorf("grpc example %s = {port: %d, service: %q}, want {port: 9090, service: %q}",
				p.name, p.probe.GRPC.Port, p.probe.GRPC.Service, p.service)
		}
		if !gc.hasPort(p.probe.GRPC.Port) {
			t.Errorf("grpc example %s: port %d is not a container port", p.name, p.probe.GRPC.Port)
		}
	}
}

type collectorConfig struct {
	Extensions map[string]any `yaml:"extensions"`
	Receivers  struct {
		OTLP struct {
			Protocols struct {
				GRPC struct {
					Endpoint string `yaml:"endpoint"`
				} `yaml:"grpc"`
			} `yaml:"protocols"`
		} `yaml:"otlp"`
	} `yaml:"receivers"`
	Processors map[string]any `yaml:"processors"`
	Exporters  map[string]any `yaml:"exporters"`
	Service    struct {
		Extensions []string `yaml:"extensions"`
		Pipelines  map[string]struct {
			Receivers  []string `yaml:"receivers"`
			Processors []string `yaml:"processors"`
			Exporters  []string `yaml:"exporters"`
		} `yaml:"pipelines"`
	} `yaml:"service"`
}

func readCollector(t *testing.T) collectorConfig {
	t.Helper()
	data, err := os.ReadFile(collectorFile)
	if err != nil {
		t.Fatal(err)
	}
	var cfg collectorConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", collectorFile, err)
	}
	return cfg
}

func collectorOTLPPort(t *testing.T) string {
	t.Helper()
	ep := readCollector(t).Receivers.OTLP.Protocols.GRPC.Endpoint
	_, port, _ := strings.Cut(ep, ":")
	return port
}

func TestDeployOTelCollectorConfig(t *testing.T) {
	cfg := readCollector(t)
	if port := collectorOTLPPort(t); port != "4317" {
		t.Errorf("OTLP gRPC receiver port = %q, want 4317", port)
	}
	p, ok := cfg.Service.Pipelines["metrics"]
	if !ok {
		t.Fatal("no metrics pipeline")
	}
	if !slices.Equal(p.Receivers, []string{"otlp"}) {
		t.Errorf("metrics receivers = %q, want [otlp]", p.Receivers)
	}
	// memory_limiter must see data first, batch last.
	if len(p.Processors) < 2 || p.Processors[0] != "memory_limiter" || p.Processors[len(p.Processors)-1] != "batch" {
		t.Errorf("metrics processors = %q, want memory_limiter first and batch last", p.Processors)
	}
	for _, e := range []string{"prometheusremotewrite", "debug"} {
		if !slices.Contains(p.Exporters, e) {
			t.Errorf("metrics exporters = %q, want %s", p.Exporters, e)
		}
	}
	// Every component a pipeline names is configured.
	for _, n := range p.Processors {
		if _, ok := cfg.Processors[n]; !ok {
			t.Errorf("processor %q is used but not configured", n)
		}
	}
	for _, n := range p.Exporters {
		if _, ok := cfg.Exporters[n]; !ok {
			t.Errorf("exporter %q is used but not configured", n)
		}
	}
	for _, n := range cfg.Service.Extensions {
		if _, ok := cfg.Extensions[n]; !ok {
			t.Errorf("extension %q is used but not configured", n)
		}
	}
	// The rules and the dashboard group by host_name and rely on the
	// default suffixes.
	prw, _ := cfg.Exporters["prometheusremotewrite"].(map[string]any)
	conv, _ := prw["resource_to_telemetry_conversion"].(map[string]any)
	if conv["enabled"] != true {
		t.Error("prometheusremotewrite: resource_to_telemetry_conversion must be enabled (rules group by host_name)")
	}
	if v, set := prw["add_metric_suffixes"]; set && v != true {
		t.Error("prometheusremotewrite: add_metric_suffixes must stay on (rules and dashboard use suffixed names)")
	}
}

// TestDeployMetricsEmitted checks the metric table the tests above trust
// (promname.IgmonMetrics) against what igmon's packages
// really emit: each metric is recorded on a real MeterProvider, collected,
// and its instrument kind and unit (which decide the Prometheus name) are
// compared.
func TestDeployMetricsEmitted(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)

	m, err := monitor.New(monitor.WithMeterProvider(mp), monitor.WithServiceName("casino-test"),
		monitor.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Shutdown(ctx)
	stripe, err := m.Dependency(instrument.KindPayment, "stripe")
	if err != nil {
		t.Fatal(err)
	}
	if err := stripe.Track(ctx, "deposit", func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"status":"UP"}`)
	}))
	defer provider.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/players/{player}/balance", func(w http.ResponseWriter, r *http.Request) {
		resp, err := (&http.Client{Transport: stripe.Transport(nil)}).Get(provider.URL)
		if err == nil {
			resp.Body.Close()
		}
	})
	api, err := m.Middleware(mux)
	if err != nil {
		t.Fatal(err)
	}
	api.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/players/p1/balance", nil))

	check, err := checks.NewCheck("wallet-db", func(context.Context) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Add(check); err != nil {
		t.Fatal(err)
	}
	m.Checks().Evaluate(ctx, checks.Readiness) // runs the on-request check once

	host, err := probes.Host(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	proc, err := probes.Process(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Close()
	rt, err := probes.Runtime(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	// sql.Open does not connect: the pool's counters read zero.
	db, err := sql.Open("pgx", "postgres://igmon@127.0.0.1:1/wallet")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(10) // db.client.connection.max is only reported for a bounded pool
	pool, err := probes.DBPool(mp, "wallet", db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	probe, err := probes.HTTP(mp, "stripe-health", provider.URL+"/health")
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	if r := probe.Run(ctx); !r.Success {
		t.Fatalf("probe run failed: %+v", r)
	}

	rules, err := rulefile.LoadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := alerting.NewEvaluator(rules, alerting.WithMetricSource(reader),
		alerting.WithCheckSource(noChecks{}), alerting.WithMeterProvider(mp))
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}

	// Utilizations are shares of time between two samples: collect until
	// a second sample exists (the probes' cache may reuse the first briefly).
	var rm metricdata.ResourceMetrics
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		if hasMetric(rm, "system.cpu.utilization") && hasMetric(rm, "process.cpu.utilization") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	emitted := map[string]promrules.MetricInfo{}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			info, ok := promrules.MetricInfoOf(md)
			if !ok {
				t.Errorf("%s: unexpected data type %T", md.Name, md.Data)
			}
			emitted[md.Name] = info
		}
	}
	// Only the metrics the demo's rules and dashboard read must all be
	// exercised here; the rest of the table is checked when present.
	needed := map[string]bool{}
	for _, m := range promname.IgmonMetrics {
		needed[m.Name] = false
	}
	for _, name := range []string{
		"http.server.request.duration", "http.client.request.duration", "igmon.dependency.calls",
		"igmon.dependency.duration", "igmon.dependency.in_flight", igsemconv.MetricCheckStatus, igsemconv.MetricCheckDuration,
		igsemconv.MetricProbeSuccess, igsemconv.MetricProbeDuration, igsemconv.MetricProbePhaseDuration,
		"system.cpu.utilization", "system.memory.utilization", "process.cpu.utilization", "process.memory.usage",
		"go.memory.used", "db.client.connection.count", "db.client.connection.max", igsemconv.MetricDBWaitCount,
		igsemconv.MetricDBWaitDuration, "igmon.alerts",
	} {
		needed[name] = true
	}
	for _, want := range promname.IgmonMetrics {
		got, ok := emitted[want.Name]
		if !ok {
			if needed[want.Name] {
				t.Errorf("%s: not emitted", want.Name)
			}
			continue
		}
		if got != want {
			t.Errorf("%s: emitted as %+v, the table says %+v (Prometheus name %s, not %s)",
				want.Name, got, want, promname.PrometheusMetricName(got), promname.PrometheusMetricName(want))
		}
	}
}

// noChecks is a CheckSource without checks: the evaluator only has to run
// once here to register igmon.alerts.
type noChecks struct{}

func (noChecks) CheckStatus(string) (string, time.Time, bool) { return "", time.Time{}, false }

func hasMetric(rm metricdata.ResourceMetrics, name string) bool {
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			if md.Name == name {
				return true
			}
		}
	}
	return false
}

// conditionKind names a rule's condition as the rule file does.
func conditionKind(c alerting.Condition) string {
	switch c.(type) {
	case *alerting.Threshold:
		return "threshold"
	case *alerting.Ratio:
		return "ratio"
	case *alerting.Quantile:
		return "quantile"
	case *alerting.CheckState:
		return "check_state"
	case *alerting.Absence:
		return "absence"
	case *alerting.SLO:
		return "slo"
	}
	return fmt.Sprintf("%T", c)
}
