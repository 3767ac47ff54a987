package dashboard

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/jackcode/igmon/failover"
)

// Status is the health of a component: "pass", "warn", "fail" or "unknown",
// the IETF health+json spelling the checks package uses.
type Status string

// The statuses. Any other value is shown as StatusUnknown.
const (
	StatusPass    Status = "pass"
	StatusWarn    Status = "warn"
	StatusFail    Status = "fail"
	StatusUnknown Status = "unknown"
)

// valid reports whether s is one of the four statuses.
func (s Status) valid() bool {
	switch s {
	case StatusPass, StatusWarn, StatusFail, StatusUnknown:
		return true
	}
	return false
}

// rank orders statuses for the overall status: one failing component makes
// the page fail, an unknown one is worse than a warning because nobody
// knows whether it is serving.
func (s Status) rank() int {
	switch s {
	case StatusPass:
		return 0
	case StatusWarn:
		return 1
	case StatusUnknown:
		return 2
	default:
		return 3
	}
}

// The group names the page expects, in the order a platform is built.
// Sources may use others; groups are shown in the order the Source returns
// them.
const (
	GroupServers   = "Servers"
	GroupAPI       = "API"
	GroupDatabases = "Databases"
	GroupPayments  = "Payment providers"
	GroupGames     = "Game providers"
	GroupKYC       = "KYC"
	GroupNetwork   = "Network"
)

// Alert states, as the alerting package names them.
const (
	AlertPending  = "pending"
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// ServiceInfo identifies the service the page describes.
type ServiceInfo struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	Environment string `json:"environment,omitempty"`
	Instance    string `json:"instance,omitempty"`
}

// Snapshot is everything the page shows at one moment. A Source builds it;
// the handler withholds details from unauthorized viewers, redacts free
// text and fills Title, Detailed, CanAct, Refresh and, when empty, Status.
//
// Floating-point fields that were not measured should be NaN: they are
// encoded as JSON null and shown as "–", where 0 would claim a measurement.
type Snapshot struct {
	Service   ServiceInfo `json:"service"`
	Generated time.Time   `json:"generated"`
	// Window is the span that rates, percentiles and uptime cover.
	Window time.Duration `json:"-"`
	// Status is the overall status: when empty, the worst of every
	// component's and of the firing alerts (a page or critical alert
	// fails the page, any other firing alert degrades it).
	Status Status `json:"status"`
	// Firing counts the firing alerts by severity label ("" when none);
	// the handler fills it from Alerts.
	Firing   map[string]int `json:"firing,omitempty"`
	Groups   []Group        `json:"groups"`
	Alerts   []Alert        `json:"alerts"`
	Silences []Silence      `json:"silences"`
	// Events is the recent timeline, newest first.
	Events []Event `json:"events"`
	// Failover is what each failover group does now: which provider
	// serves its calls and why, and every breaker.
	Failover []failover.Status `json:"failover,omitempty"`
	// PendingActions are the alert actions waiting for an operator's
	// approval (see ActionApprover).
	PendingActions []PendingAction `json:"pendingActions,omitempty"`

	// Set by the handler.
	Title    string `json:"title"`
	Detailed bool   `json:"detailed"` // the viewer is authorized: details are present
	CanAct   bool   `json:"canAct"`   // the viewer may silence and override
	// Refresh is how often the page should expect or fetch an update.
	Refresh time.Duration `json:"-"`
}

// Group is one section of the page: servers, API, databases, payment
// providers, game providers, KYC or network.
type Group struct {
	Name       string      `json:"name"`
	Components []Component `json:"components"`
}

// Component is one monitored thing: a host, a route, a database, a payment
// or game provider, a KYC service or a synthetic probe.
type Component struct {
	// ID is stable and URL-safe; badges are served at /badge/<ID>.svg.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Kind says what the component is ("host", "process", "route",
	// "database", "payment", "game", "kyc", "probe"); free-form.
	Kind   string `json:"kind,omitempty"`
	Status Status `json:"status"`
	// Signal says which signal decided Status: "check" (its health check's
	// fresh result), "traffic" (its live calls over the status window),
	// "alert" (a firing alert that carries its labels) or "" when nothing
	// has an opinion. Reason is a short public line saying why.
	Signal string `json:"signal,omitempty"`
	Reason string `json:"reason,omitempty"`
	// CheckedAt is when its health check last ran (zero without one):
	// every result has an age. Stale is set when that result is too old
	// to decide anything (checks.Result.Stale).
	CheckedAt time.Time `json:"checkedAt,omitzero"`
	Stale     bool      `json:"stale,omitempty"`
	// Since is when the component entered Status.
	Since time.Time `json:"since,omitzero"`
	// Summary is one short public line, e.g. "cpu 37% · mem 61%".
	Summary string `json:"summary,omitempty"`

	P50         float64 `json:"-"` // seconds
	P95         float64 `json:"-"` // seconds
	ErrorRate   float64 `json:"-"` // 0..1
	RequestRate float64 `json:"-"` // calls per second
	Volume      int64   `json:"volume"`
	UptimePct   float64 `json:"-"` // 0..100 over the window

	// Sparklines hold recent points, oldest first: latency in seconds and
	// error ratio 0..1. NaN marks a gap.
	LatencySparkline []float64 `json:"-"`
	ErrorSparkline   []float64 `json:"-"`

	// LastError is redacted by the Source and only filled for detailed
	// snapshots; the handler redacts it again and withholds it (and
	// LastErrorAt and Details) otherwise.
	LastError   string            `json:"lastError,omitempty"`
	LastErrorAt time.Time         `json:"lastErrorAt,omitzero"`
	Details     map[string]string `json:"details,omitempty"`
	Override    *Override         `json:"override,omitempty"`
}

// Override is an operator's maintenance override of a component's status.
type Override struct {
	Status Status    `json:"status"`
	Reason string    `json:"reason,omitempty"` // detailed only
	SetAt  time.Time `json:"setAt,omitzero"`
}

// Alert is an alert the evaluator holds: pending, firing or recently
// resolved.
type Alert struct {
	Name     string            `json:"name"`
	State    string            `json:"state"` // AlertPending, AlertFiring or AlertResolved
	Severity string            `json:"severity,omitempty"`
	Since    time.Time         `json:"since,omitzero"`
	Labels   map[string]string `json:"labels,omitempty"`
	// Annotations are detailed only, except "summary".
	Annotations map[string]string `json:"annotations,omitempty"`
	// Value is the series value that made the alert fire; ValueText is
	// the same with its unit ("58 %", "1.51 s").
	Value     float64 `json:"-"`
	ValueText string  `json:"valueText,omitempty"`
	// Evidence is the diagnostics trail: related components that failed
	// first, top error types. Detailed only.
	Evidence []string `json:"evidence,omitempty"`
	Silenced bool     `json:"silenced,omitempty"`
	// Components are the IDs of the components a firing alert is about
	// (the page links the alert and their cards both ways).
	Components []string `json:"components,omitempty"`
}

// Matcher selects alerts by label, written name op "value" as in PromQL.
type Matcher struct {
	Name  string `json:"name"`
	Op    string `json:"op"` // "=", "!=", "=~" or "!~"
	Value string `json:"value"`
}

// Silence mutes the alerts its matchers select until EndsAt.
type Silence struct {
	ID       string    `json:"id"`
	Matchers []Matcher `json:"matchers"`
	Author   string    `json:"author,omitempty"`  // detailed only
	Comment  string    `json:"comment,omitempty"` // detailed only
	StartsAt time.Time `json:"startsAt,omitzero"`
	EndsAt   time.Time `json:"endsAt,omitzero"`
}

// Event is one line of the timeline: a check transition, a probe failure
// streak, an alert state change, a notification outcome, an override or a
// silence.
type Event struct {
	Time      time.Time `json:"time"`
	Component string    `json:"component,omitempty"`
	Severity  string    `json:"severity,omitempty"` // "info", "warning" or "critical" (monitor.Severity*)
	Kind      string    `json:"kind,omitempty"`     // "check", "probe", "alert", ...
	Message   string    `json:"message"`
	// Detail is longer text (an error) shown to authorized viewers only.
	Detail string `json:"detail,omitempty"`
}

// num encodes NaN and ±Inf as null: encoding/json refuses them, and one
// unmeasured p95 must not break the whole status.json.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (n *num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = num(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*n = num(f)
	return err
}

func nums(fs []float64) []num {
	if fs == nil {
		return nil
	}
	out := make([]num, len(fs))
	for i, f := range fs {
		out[i] = num(f)
	}
	return out
}

func floats(ns []num) []float64 {
	if ns == nil {
		return nil
	}
	out := make([]float64, len(ns))
	for i, n := range ns {
		out[i] = float64(n)
	}
	return out
}

// snapshotJSON adds the window in seconds; durations have no JSON
// spelling a browser understands.
type snapshotJSON struct {
	snapshotPlain
	WindowSeconds  num `json:"windowSeconds"`
	RefreshSeconds num `json:"refreshSeconds"`
}

type snapshotPlain Snapshot

// MarshalJSON encodes the window as windowSeconds.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	return json.Marshal(snapshotJSON{snapshotPlain(s), num(s.Window.Seconds()), num(s.Refresh.Seconds())})
}

// UnmarshalJSON decodes what MarshalJSON encodes, so Go clients can read
// status.json into a Snapshot.
func (s *Snapshot) UnmarshalJSON(b []byte) error {
	var v snapshotJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Snapshot(v.snapshotPlain)
	if w := float64(v.WindowSeconds); !math.IsNaN(w) {
		s.Window = time.Duration(w * float64(time.Second))
	}
	if r := float64(v.RefreshSeconds); !math.IsNaN(r) {
		s.Refresh = time.Duration(r * float64(time.Second))
	}
	return nil
}

type componentPlain Component

type componentJSON struct {
	componentPlain
	P50              num   `json:"p50"`
	P95              num   `json:"p95"`
	ErrorRate        num   `json:"errorRate"`
	RequestRate      num   `json:"requestRate"`
	UptimePct        num   `json:"uptimePct"`
	LatencySparkline []num `json:"latencySparkline,omitempty"`
	ErrorSparkline   []num `json:"errorSparkline,omitempty"`
}

// MarshalJSON encodes NaN and ±Inf numbers as null.
func (c Component) MarshalJSON() ([]byte, error) {
	return json.Marshal(componentJSON{
		componentPlain:   componentPlain(c),
		P50:              num(c.P50),
		P95:              num(c.P95),
		ErrorRate:        num(c.ErrorRate),
		RequestRate:      num(c.RequestRate),
		UptimePct:        num(c.UptimePct),
		LatencySparkline: nums(c.LatencySparkline),
		ErrorSparkline:   nums(c.ErrorSparkline),
	})
}

// UnmarshalJSON decodes null numbers as NaN.
func (c *Component) UnmarshalJSON(b []byte) error {
	var v componentJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Component(v.componentPlain)
	c.P50, c.P95 = float64(v.P50), float64(v.P95)
	c.ErrorRate, c.RequestRate = float64(v.ErrorRate), float64(v.RequestRate)
	c.UptimePct = float64(v.UptimePct)
	c.LatencySparkline, c.ErrorSparkline = floats(v.LatencySparkline), floats(v.ErrorSparkline)
	return nil
}

type alertPlain Alert

type alertJSON struct {
	alertPlain
	Value num `json:"value"`
}

// MarshalJSON encodes a NaN or ±Inf value as null.
func (a Alert) MarshalJSON() ([]byte, error) {
	return json.Marshal(alertJSON{alertPlain(a), num(a.Value)})
}

// UnmarshalJSON decodes a null value as NaN.
func (a *Alert) UnmarshalJSON(b []byte) error {
	var v alertJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = Alert(v.alertPlain)
	a.Value = float64(v.Value)
	return nil
}
