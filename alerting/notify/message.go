package notify

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
)

// title renders "[FIRING:2] DepositErrors payments" the way on-call people
// know from Alertmanager.
func title(n *dispatch.Notification) string {
	firing := 0
	for i := range n.Alerts {
		if n.Alerts[i].State == alerting.StateFiring {
			firing++
		}
	}
	var b strings.Builder
	if n.Status == "firing" {
		fmt.Fprintf(&b, "[FIRING:%d]", firing)
	} else {
		fmt.Fprintf(&b, "[RESOLVED]")
	}
	for _, k := range slices.Sorted(maps.Keys(n.GroupLabels)) {
		if v := n.GroupLabels[k]; v != "" {
			b.WriteString(" " + v)
		}
	}
	if len(n.GroupLabels) == 0 {
		if name := n.CommonLabels[alerting.LabelAlertName]; name != "" {
			b.WriteString(" " + name)
		}
	}
	return b.String()
}

// summary is the one-line text of an alert: its summary annotation, else
// its name and labels.
func summary(a *alerting.Alert) string {
	if s := a.Annotations["summary"]; s != "" {
		return s
	}
	return a.Labels[alerting.LabelAlertName] + " " + a.Labels.String()
}

func plainText(n *dispatch.Notification) string {
	var b strings.Builder
	b.WriteString(title(n))
	for i := range n.Alerts {
		a := &n.Alerts[i]
		fmt.Fprintf(&b, "\n- [%s] %s", a.State, summary(a))
		if d := a.Annotations["description"]; d != "" {
			b.WriteString("\n  " + d)
		}
		if r := a.Annotations["runbook_url"]; r != "" {
			b.WriteString("\n  runbook: " + r)
		}
	}
	return b.String()
}
