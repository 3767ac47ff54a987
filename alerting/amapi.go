package alerting

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/buildinfo"
	"github.com/jackcode/igmon/internal/clock"
	"github.com/jackcode/igmon/internal/redact"
)

// This file serves the subset of Alertmanager's API v2
// (github.com/prometheus/alertmanager api/v2/openapi.yaml) that amtool and
// Grafana's Alertmanager data source read and write: status, receivers,
// alerts, alert groups and silences. Field names, types and status codes
// follow the spec; igmon's own rules apply on top: NewHandler's one
// disclosure rule for reads, and for writes the authorizer, a JSON content
// type, cross-origin protection, an author and a comment.

// WithDispatcher lets the Alertmanager API v2 routes report what the
// notification pipeline knows: each alert's receivers, which firing alerts
// inhibit it, maintenance windows, the alert groups and the receiver
// names. It also supplies the silence set when NewHandler got none.
// Without it alerts list no receivers, are never shown as inhibited and
// /api/v2/alerts/groups is empty.
func WithDispatcher(d *Dispatcher) HandlerOption {
	return func(h *handler) {
		h.disp = d
		if h.sil == nil && d != nil {
			h.sil = d.silences
		}
	}
}

// processStart is what /api/v2/status reports as uptime: Alertmanager
// reports its process start, not when a handler was built.
var processStart = time.Now()

// amTime renders a time as Alertmanager's go-swagger strfmt.DateTime does:
// RFC 3339 in UTC with milliseconds.
type amTime time.Time

func (t amTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`), nil
}

type amReceiver struct {
	Name string `json:"name"`
}

type amAlertStatus struct {
	State       string   `json:"state"`
	SilencedBy  []string `json:"silencedBy"`
	InhibitedBy []string `json:"inhibitedBy"`
	// MutedBy names what mutes the alert on a schedule: in Alertmanager
	// 0.31 the mute and active time intervals, in igmon the maintenance
	// windows. Required by the 0.31 spec.
	MutedBy []string `json:"mutedBy"`
}

// amGettableAlert is the spec's gettableAlert.
type amGettableAlert struct {
	Labels       Labels            `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     amTime            `json:"startsAt"`
	EndsAt       amTime            `json:"endsAt"`
	UpdatedAt    amTime            `json:"updatedAt"`
	Fingerprint  string            `json:"fingerprint"`
	Receivers    []amReceiver      `json:"receivers"`
	Status       amAlertStatus     `json:"status"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

type amAlertGroup struct {
	Labels    Labels            `json:"labels"`
	Receiver  amReceiver        `json:"receiver"`
	Alerts    []amGettableAlert `json:"alerts"`
	sortKey   string
	sortRecvr int
}

type amMatcherOut struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

type amSilenceStatus struct {
	State string `json:"state"`
}

// amGettableSilence is the spec's gettableSilence.
type amGettableSilence struct {
	ID        string          `json:"id"`
	Status    amSilenceStatus `json:"status"`
	UpdatedAt amTime          `json:"updatedAt"`
	Matchers  []amMatcherOut  `json:"matchers"`
	StartsAt  amTime          `json:"startsAt"`
	EndsAt    amTime          `json:"endsAt"`
	CreatedBy string          `json:"createdBy"`
	Comment   string          `json:"comment"`
}

type amClusterStatus struct {
	Name   string   `json:"name"`
	Status string   `json:"status"`
	Peers  []string `json:"peers"` // always empty: igmon runs no cluster
}

type amVersionInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Branch    string `json:"branch"`
	BuildUser string `json:"buildUser"`
	BuildDate string `json:"buildDate"`
	GoVersion string `json:"goVersion"`
}

type amConfig struct {
	Original string `json:"original"`
}

type amStatus struct {
	Cluster     amClusterStatus `json:"cluster"`
	VersionInfo amVersionInfo   `json:"versionInfo"`
	Config      amConfig        `json:"config"`
	Uptime      amTime          `json:"uptime"`
}

// amAPIVersion is the Alertmanager release whose API v2 (api/v2/openapi.yaml)
// these routes implement. /api/v2/status reports it as the version, with
// igmon's own version as semver build metadata, because amtool compares
// the major and minor version it reads there with its own and warns on
// every call when they differ or do not parse ("0.31.1+igmon.v1.4.0"
// is valid semver, and its major.minor is 0.31).
const amAPIVersion = "0.31.1"

// igmonVersion reads the binary's build information once: it does not
// change while the process runs.
var igmonVersion = sync.OnceValue(func() amVersionInfo {
	bi, _ := debug.ReadBuildInfo()
	return versionInfo(bi)
})

// versionInfo is /api/v2/status's versionInfo for a binary built as bi
// (nil when unknown): the API version with igmon's module version as build
// metadata, and the binary's VCS revision and time, which are those of
// the service that embeds igmon.
func versionInfo(bi *debug.BuildInfo) amVersionInfo {
	v := amVersionInfo{Version: amAPIVersion + "+igmon." + semverBuildIdents(buildinfo.FromBuildInfo(bi)),
		GoVersion: runtime.Version()}
	if bi == nil {
		return v
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.BuildDate = s.Value
		}
	}
	return v
}

// semverBuildIdents makes s valid semver build metadata: dot-separated
// non-empty identifiers of ASCII letters, digits and hyphens. Any other
// byte (the "+" of "+incompatible", for one) becomes a hyphen.
func semverBuildIdents(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c == '.' || c == '-' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			b[i] = '-'
		}
	}
	parts := strings.Split(string(b), ".")
	parts = slices.DeleteFunc(parts, func(p string) bool { return p == "" })
	if len(parts) == 0 {
		return "devel"
	}
	return strings.Join(parts, ".")
}

func (h *handler) now() time.Time {
	switch {
	case h.sil != nil:
		return h.sil.clock.Now()
	case h.disp != nil:
		return h.disp.cfg.clock.Now()
	case h.ev != nil:
		return h.ev.now()
	}
	return clock.Real{}.Now()
}

// writeAMError answers as Alertmanager's go-swagger server does: the
// message as a JSON string.
func writeAMError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, amErrorBody(msg))
}

// writeAMRefusal answers a write the handler refuses before it runs (not
// authorized, cross-origin, not JSON, silences not enabled) on an
// Alertmanager API v2 route.
//
// amtool and every client generated from api/v2/openapi.yaml read the
// body only of the status codes the spec lists for the operation; for any
// other code they report the status and an empty object ("[POST
// /silences] postSilences (status 403): {}"), whatever the body says. The
// spec lists 400 and 404, each with a string body, for POST /silences, so
// a refused POST answers 400 with the reason ("forbidden: not
// authorized"), as Alertmanager answers every silence it refuses. For
// DELETE /silence/{silenceID} the spec lists only 404 without a body and
// 500: a refusal is not a server error, so it keeps its own code (403,
// 415), which amtool reports by number.
func writeAMRefusal(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if r.Method == http.MethodPost && code != http.StatusNotFound {
		if text := http.StatusText(code); text != "" {
			msg = strings.ToLower(text) + ": " + msg
		}
		code = http.StatusBadRequest
	}
	writeAMError(w, code, msg)
}

// amErrorBody is an Alertmanager error answer's body: the redacted
// message, encoded as a JSON string.
func amErrorBody(msg string) string { return redact.String(msg) }

func (h *handler) amStatus(*http.Request) (int, any) {
	return http.StatusOK, amStatus{
		Cluster:     amClusterStatus{Name: "igmon", Status: "ready", Peers: []string{}},
		VersionInfo: igmonVersion(),
		Config:      amConfig{Original: h.amConfigYAML()},
		Uptime:      amTime(processStart),
	}
}

// amConfigYAML is a minimal Alertmanager configuration naming the real
// receivers, so tools that print it show something true; routes,
// inhibitions and notifiers are configured in Go and are not rendered.
func (h *handler) amConfigYAML() string {
	names := h.receiverNames()
	var b strings.Builder
	b.WriteString("# Served by igmon: routes, inhibitions and receivers are configured in Go.\n")
	if len(names) == 0 {
		return b.String()
	}
	b.WriteString("route:\n  receiver: " + strconv.Quote(names[0]) + "\nreceivers:\n")
	for _, n := range names {
		b.WriteString("  - name: " + strconv.Quote(n) + "\n")
	}
	return b.String()
}

func (h *handler) receiverNames() []string {
	if h.disp == nil {
		return nil
	}
	names := make([]string, 0, len(h.disp.cfg.receivers))
	for _, r := range h.disp.cfg.receivers {
		names = append(names, r.Name)
	}
	return names
}

func (h *handler) amReceivers(*http.Request) (int, any) {
	out := []amReceiver{}
	for _, n := range h.receiverNames() {
		out = append(out, amReceiver{Name: n})
	}
	return http.StatusOK, out
}

// amAlertFilter holds the query parameters of GET /api/v2/alerts and
// /api/v2/alerts/groups.
type amAlertFilter struct {
	matchers                                 Matchers
	receiver                                 *regexp.Regexp
	active, silenced, inhibited, unprocessed bool
}

func parseAMAlertFilter(r *http.Request) (amAlertFilter, error) {
	q := r.URL.Query()
	f := amAlertFilter{active: true, silenced: true, inhibited: true, unprocessed: true}
	for name, dst := range map[string]*bool{"active": &f.active, "silenced": &f.silenced,
		"inhibited": &f.inhibited, "unprocessed": &f.unprocessed} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, fmt.Errorf("%s: invalid boolean %q", name, v)
			}
			*dst = b
		}
	}
	var err error
	if f.matchers, err = parseAMFilter(q["filter"]); err != nil {
		return f, err
	}
	if rx := q.Get("receiver"); rx != "" {
		if f.receiver, err = regexp.Compile("^(?:" + rx + ")$"); err != nil {
			return f, fmt.Errorf("receiver: %v", err)
		}
	}
	return f, nil
}

// parseAMFilter reads the repeated filter parameter: one matcher each, as
// amtool sends them (a braced list is accepted too).
func parseAMFilter(filters []string) (Matchers, error) {
	var out Matchers
	for _, s := range filters {
		ms, err := ParseMatchers(s)
		if err != nil {
			return nil, fmt.Errorf("filter %q: %w", s, err)
		}
		out = append(out, ms...)
	}
	return out, nil
}

func (f *amAlertFilter) keep(a *amGettableAlert) bool {
	if !f.matchers.matchLabels(a.Labels) {
		return false
	}
	if f.receiver != nil && !slices.ContainsFunc(a.Receivers, func(r amReceiver) bool { return f.receiver.MatchString(r.Name) }) {
		return false
	}
	switch {
	case !f.active && a.Status.State == "active",
		!f.unprocessed && a.Status.State == "unprocessed",
		!f.silenced && len(a.Status.SilencedBy) > 0,
		!f.inhibited && len(a.Status.InhibitedBy) > 0:
		return false
	}
	return true
}

// firingAlerts lists what Alertmanager would hold: firing alerts only.
// Pending alerts never reach an Alertmanager, and resolved ones leave its
// API listing once their end time passed, which for igmon is at once.
func (h *handler) firingAlerts() []Alert {
	var out []Alert
	if h.ev != nil {
		for _, a := range h.ev.Alerts() {
			if a.State == StateFiring {
				out = append(out, a)
			}
		}
	} else if h.disp != nil {
		d := h.disp
		d.mu.Lock()
		seen := map[string]bool{}
		for fp, e := range d.alerts {
			if e.alert.State == StateFiring {
				out, seen[fp] = append(out, e.alert), true
			}
		}
		for fp, a := range d.firing {
			if !seen[fp] {
				out = append(out, a)
			}
		}
		d.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b Alert) int { return cmp.Compare(a.Fingerprint, b.Fingerprint) })
	return out
}

// amView converts igmon alerts to gettableAlerts at now, computing the
// suppression the dispatcher would apply at that moment.
type amView struct {
	h        *handler
	now      time.Time
	silences []Silence // active at now
}

func (h *handler) newAMView() *amView {
	v := &amView{h: h, now: h.now()}
	if h.sil != nil {
		for _, s := range h.sil.List() {
			if s.active(v.now) {
				v.silences = append(v.silences, s)
			}
		}
		slices.SortFunc(v.silences, func(a, b Silence) int { return cmp.Compare(a.ID, b.ID) })
	}
	return v
}

func (v *amView) alert(a *Alert) amGettableAlert {
	g := amGettableAlert{
		Labels:      a.Labels,
		Annotations: a.Annotations,
		// As Prometheus sends it: startsAt is when the alert fired.
		StartsAt: amTime(a.FiredAt),
		// igmon alerts have no scheduled end while firing.
		EndsAt:      amTime(time.Time{}),
		UpdatedAt:   amTime(a.FiredAt),
		Fingerprint: a.Fingerprint,
		Receivers:   []amReceiver{},
		Status:      amAlertStatus{State: "active", SilencedBy: []string{}, InhibitedBy: []string{}, MutedBy: []string{}},
	}
	if g.Labels == nil {
		g.Labels = Labels{}
	}
	if g.Annotations == nil {
		g.Annotations = map[string]string{}
	}
	for _, s := range v.silences {
		if s.Matchers.matchLabels(a.Labels) {
			g.Status.SilencedBy = append(g.Status.SilencedBy, s.ID)
		}
	}
	if v.h.disp != nil {
		g.Receivers = v.receivers(a.Labels)
		g.Status.InhibitedBy = v.inhibitedBy(a)
		g.Status.MutedBy = v.mutedBy(a.Labels)
	}
	if len(g.Status.MutedBy) > 0 || len(g.Status.SilencedBy) > 0 || len(g.Status.InhibitedBy) > 0 {
		g.Status.State = "suppressed"
	}
	return g
}

// receivers lists the receivers of the routes the dispatcher sends an
// alert with labels l to.
func (v *amView) receivers(l Labels) []amReceiver {
	out := []amReceiver{}
	seen := map[string]bool{}
	v.h.disp.eachRoute(l, func(_ int, r *Route) {
		for _, n := range r.Receivers {
			if !seen[n] {
				seen[n] = true
				out = append(out, amReceiver{Name: n})
			}
		}
	})
	return out
}

// mutedBy names the dispatcher's maintenance windows that cover an alert
// with labels l now, in the order they were configured, as the
// dispatcher mutes with them (inMaintenance).
func (v *amView) mutedBy(l Labels) []string {
	out := []string{}
	for i := range v.h.disp.cfg.maintenance {
		w := &v.h.disp.cfg.maintenance[i]
		if w.Matchers.matchLabels(l) && w.activeAt(v.now) && !slices.Contains(out, w.Name) {
			out = append(out, w.Name)
		}
	}
	return out
}

// inhibitedBy lists the fingerprints of the firing alerts that inhibit a,
// by the dispatcher's own rule (it records that an alert was inhibited,
// not by whom).
func (v *amView) inhibitedBy(a *Alert) []string {
	d := v.h.disp
	out := []string{}
	d.mu.Lock()
	for src := range d.inhibitors(a) {
		if !slices.Contains(out, src.Fingerprint) {
			out = append(out, src.Fingerprint)
		}
	}
	d.mu.Unlock()
	slices.Sort(out)
	return out
}

func (h *handler) amAlerts(r *http.Request) (int, any) {
	f, err := parseAMAlertFilter(r)
	if err != nil {
		return http.StatusBadRequest, amErrorBody(err.Error())
	}
	v := h.newAMView()
	out := []amGettableAlert{}
	alerts := h.firingAlerts()
	for i := range alerts {
		if g := v.alert(&alerts[i]); f.keep(&g) {
			out = append(out, g)
		}
	}
	return http.StatusOK, out
}

// amAlertGroups lists the dispatcher's groups, one per receiver of the
// group's route as Alertmanager does, with their firing alerts. muted=false
// leaves out the groups a maintenance window mutes (every alert listed
// has a mutedBy), as Alertmanager leaves out the groups a time interval
// mutes.
func (h *handler) amAlertGroups(r *http.Request) (int, any) {
	f, err := parseAMAlertFilter(r)
	if err != nil {
		return http.StatusBadRequest, amErrorBody(err.Error())
	}
	muted := true
	if m := r.URL.Query().Get("muted"); m != "" {
		if muted, err = strconv.ParseBool(m); err != nil {
			return http.StatusBadRequest, amErrorBody(fmt.Sprintf("muted: invalid boolean %q", m))
		}
	}
	out := []amAlertGroup{}
	if h.disp == nil {
		return http.StatusOK, out
	}
	type snap struct {
		key       string
		labels    Labels
		receivers []string
		alerts    []Alert
	}
	var groups []snap
	d := h.disp
	d.mu.Lock()
	for key, g := range d.groups {
		s := snap{key: key, labels: g.labels.Clone(), receivers: g.route.Receivers}
		for _, e := range g.alerts {
			if e.alert.State == StateFiring {
				s.alerts = append(s.alerts, e.alert)
			}
		}
		groups = append(groups, s)
	}
	d.mu.Unlock()
	v := h.newAMView()
	for _, s := range groups {
		slices.SortFunc(s.alerts, func(a, b Alert) int { return cmp.Compare(a.Fingerprint, b.Fingerprint) })
		var alerts []amGettableAlert
		for i := range s.alerts {
			if g := v.alert(&s.alerts[i]); f.keep(&g) {
				alerts = append(alerts, g)
			}
		}
		if len(alerts) == 0 || !muted && !slices.ContainsFunc(alerts, func(a amGettableAlert) bool { return len(a.Status.MutedBy) == 0 }) {
			continue
		}
		for i, rc := range s.receivers {
			if f.receiver != nil && !f.receiver.MatchString(rc) {
				continue
			}
			out = append(out, amAlertGroup{Labels: s.labels, Receiver: amReceiver{Name: rc}, Alerts: alerts,
				sortKey: s.key, sortRecvr: i})
		}
	}
	slices.SortFunc(out, func(a, b amAlertGroup) int {
		return cmp.Or(cmp.Compare(a.sortKey, b.sortKey), cmp.Compare(a.sortRecvr, b.sortRecvr))
	})
	return http.StatusOK, out
}

func silenceState(s *Silence, now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return "pending"
	case s.active(now):
		return "active"
	}
	return "expired"
}

func toAMSilence(s *Silence, now time.Time) amGettableSilence {
	updated := s.CreatedAt
	if s.ExpiredBy != "" && s.EndsAt.After(updated) {
		updated = s.EndsAt // expired early: that was the last change
	}
	g := amGettableSilence{
		ID: s.ID, Status: amSilenceStatus{State: silenceState(s, now)}, UpdatedAt: amTime(updated),
		Matchers: make([]amMatcherOut, 0, len(s.Matchers)),
		StartsAt: amTime(s.StartsAt), EndsAt: amTime(s.EndsAt), CreatedBy: s.CreatedBy, Comment: s.Comment,
	}
	for _, m := range s.Matchers {
		g.Matchers = append(g.Matchers, amMatcherOut{Name: m.Name, Value: m.Value,
			IsRegex: m.Type == MatchRegexp || m.Type == MatchNotRegexp,
			IsEqual: m.Type == MatchEqual || m.Type == MatchRegexp})
	}
	return g
}

// amSilenceOrder sorts as Alertmanager lists silences: active ones ending
// soonest first, then pending ones starting soonest, then expired ones,
// most recently ended first.
func amSilenceOrder(now time.Time) func(a, b Silence) int {
	rank := map[string]int{"active": 0, "pending": 1, "expired": 2}
	return func(a, b Silence) int {
		sa, sb := silenceState(&a, now), silenceState(&b, now)
		if c := cmp.Compare(rank[sa], rank[sb]); c != 0 {
			return c
		}
		var c int
		switch sa {
		case "active":
			c = a.EndsAt.Compare(b.EndsAt)
		case "pending":
			c = a.StartsAt.Compare(b.StartsAt)
		default:
			c = b.EndsAt.Compare(a.EndsAt)
		}
		return cmp.Or(c, cmp.Compare(a.ID, b.ID))
	}
}

func (h *handler) amSilences(r *http.Request) (int, any) {
	filter, err := parseAMFilter(r.URL.Query()["filter"])
	if err != nil {
		return http.StatusBadRequest, amErrorBody(err.Error())
	}
	now := h.now()
	list := h.silenceList()
	slices.SortFunc(list, amSilenceOrder(now))
	out := []amGettableSilence{}
	for i := range list {
		// As Alertmanager filters silences: each filter matcher is
		// applied to the silence's matchers read as name=value pairs.
		l := make(Labels, len(list[i].Matchers))
		for _, m := range list[i].Matchers {
			l[m.Name] = m.Value
		}
		if filter.matchLabels(l) {
			out = append(out, toAMSilence(&list[i], now))
		}
	}
	return http.StatusOK, out
}

func (h *handler) findSilence(id string) (Silence, bool) {
	for _, s := range h.silenceList() {
		if s.ID == id {
			return s, true
		}
	}
	return Silence{}, false
}

func (h *handler) amSilence(r *http.Request) (int, any) {
	s, ok := h.findSilence(r.PathValue("silenceID"))
	if !ok {
		return http.StatusNotFound, nil // the spec gives this answer no body
	}
	return http.StatusOK, toAMSilence(&s, h.now())
}

// amPostable is the spec's postableSilence. Pointers tell a missing
// required field from its zero value; unknown fields are ignored, as
// Alertmanager ignores them.
type amPostable struct {
	ID        string          `json:"id"`
	Matchers  []amPostMatcher `json:"matchers"`
	StartsAt  *time.Time      `json:"startsAt"`
	EndsAt    *time.Time      `json:"endsAt"`
	CreatedBy string          `json:"createdBy"`
	Comment   string          `json:"comment"`
}

type amPostMatcher struct {
	Name    string  `json:"name"`
	Value   *string `json:"value"`
	IsRegex *bool   `json:"isRegex"`
	IsEqual *bool   `json:"isEqual"` // absent means true
}

// errInvalidAMSilence is wrapped by parse errors of an Alertmanager API v2
// postable silence.
var errInvalidAMSilence = errors.New("alerting: invalid Alertmanager silence")

// parseAMSilence reads an Alertmanager API v2 postableSilence: the ID of
// the silence it replaces ("" for a new one) and the silence. It enforces
// the spec's required fields and Alertmanager's rule that at least one
// matcher must not match the empty string (a silence of everything is a
// mistake); time and author checks are left to Silences.Add.
func parseAMSilence(body []byte) (string, Silence, error) {
	var p amPostable
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
		return "", Silence{}, fmt.Errorf("%w: %v", errInvalidAMSilence, err)
	}
	switch {
	case len(p.Matchers) == 0:
		return "", Silence{}, fmt.Errorf("%w: matchers: at least one is required", errInvalidAMSilence)
	case p.StartsAt == nil:
		return "", Silence{}, fmt.Errorf("%w: startsAt is required", errInvalidAMSilence)
	case p.EndsAt == nil:
		return "", Silence{}, fmt.Errorf("%w: endsAt is required", errInvalidAMSilence)
	case p.CreatedBy == "":
		return "", Silence{}, fmt.Errorf("%w: createdBy is required", errInvalidAMSilence)
	case p.Comment == "":
		return "", Silence{}, fmt.Errorf("%w: comment is required", errInvalidAMSilence)
	}
	s := Silence{StartsAt: *p.StartsAt, EndsAt: *p.EndsAt, CreatedBy: p.CreatedBy, Comment: p.Comment}
	allEmpty := true
	for i, pm := range p.Matchers {
		if pm.Name == "" || pm.Value == nil || pm.IsRegex == nil {
			return "", Silence{}, fmt.Errorf("%w: matchers[%d]: name, value and isRegex are required", errInvalidAMSilence, i)
		}
		t := MatchEqual
		switch equal := pm.IsEqual == nil || *pm.IsEqual; {
		case *pm.IsRegex && equal:
			t = MatchRegexp
		case *pm.IsRegex:
			t = MatchNotRegexp
		case !equal:
			t = MatchNotEqual
		}
		m, err := NewMatcher(t, pm.Name, *pm.Value)
		if err != nil {
			return "", Silence{}, fmt.Errorf("%w: matchers[%d]: %w", errInvalidAMSilence, i, err)
		}
		if !m.matches("") {
			allEmpty = false
		}
		s.Matchers = append(s.Matchers, m)
	}
	if allEmpty {
		return "", Silence{}, fmt.Errorf("%w: matchers: at least one matcher must not match the empty string", errInvalidAMSilence)
	}
	return p.ID, s, nil
}

// amPostSilence creates a silence, or replaces the one named by id: the
// new silence gets a new ID and the old one is expired by the new one's
// author (Alertmanager updates some silences in place; igmon always keeps
// the old one in the audit trail).
func (h *handler) amPostSilence(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeAMError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return
	}
	oldID, s, err := parseAMSilence(body)
	if err != nil {
		writeAMError(w, http.StatusBadRequest, err.Error())
		return
	}
	if oldID != "" {
		if _, ok := h.findSilence(oldID); !ok {
			writeAMError(w, http.StatusNotFound, "silence "+oldID+" not found")
			return
		}
	}
	id, err := h.sil.Add(s)
	if err != nil {
		writeAMError(w, http.StatusBadRequest, err.Error())
		return
	}
	if oldID != "" {
		// Found above; a concurrent garbage collection is the only way
		// this fails, and then there is nothing left to expire.
		_ = h.sil.Expire(oldID, s.CreatedBy)
	}
	writeJSON(w, http.StatusOK, map[string]string{"silenceID": id})
}

// amDeleteSilence expires a silence. Alertmanager's API has no field for
// who did it; igmon records ?by= when given, else the basic-auth user
// name, else "alertmanager-api".
func (h *handler) amDeleteSilence(w http.ResponseWriter, r *http.Request) {
	by := r.URL.Query().Get("by")
	if by == "" {
		by, _, _ = r.BasicAuth()
	}
	if by == "" {
		by = "alertmanager-api"
	}
	if err := h.sil.Expire(r.PathValue("silenceID"), by); err != nil {
		code := http.StatusInternalServerError
		switch {
		case errors.Is(err, ErrSilenceNotFound):
			code = http.StatusNotFound
		case errors.Is(err, ErrInvalidSilence): // who expires it: bad text
			code = http.StatusBadRequest
		}
		writeAMError(w, code, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
}
