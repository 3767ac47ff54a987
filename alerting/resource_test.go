package alerting

import (
	"context"
	"testing"
)

// TestResourceFillsGroupLabelsAndInstance groups by host.name, which the
// series lack (it is a resource attribute): the alert and its summary get
// it from WithResource; only the PerInstance rule carries "instance".
func TestResourceFillsGroupLabelsAndInstance(t *testing.T) {
	m := newMeters(t)
	res := map[string]string{"host.name": "node-7", "service.instance.id": "pod-1"}
	rules := []Rule{
		{Name: "HostCPUHigh", By: []string{"host.name"}, PerInstance: true,
			Condition:   &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9},
			Annotations: map[string]string{"summary": `CPU busy on {{ index .Labels "host.name" }}`}},
		{Name: "ServiceCPU", Condition: &Threshold{Metric: mustSel(t, `system.cpu.utilization`), Value: 0.9}},
	}
	e := newEval(t, m, rules, WithResource(res))
	m.cpu.Record(context.Background(), 0.95)
	got := eval(t, e)
	host, svc := find(got, "HostCPUHigh"), find(got, "ServiceCPU")
	if host == nil || svc == nil {
		t.Fatalf("alerts %+v", got)
	}
	if host.Labels["host.name"] != "node-7" || host.Labels[labelInstance] != "pod-1" {
		t.Errorf("HostCPUHigh labels %v, want host.name and instance from the resource", host.Labels)
	}
	if s := host.Annotations["summary"]; s != "CPU busy on node-7" {
		t.Errorf("summary %q", s)
	}
	if _, ok := svc.Labels[labelInstance]; ok {
		t.Errorf("a service-level rule carries instance: %v", svc.Labels)
	}
}
