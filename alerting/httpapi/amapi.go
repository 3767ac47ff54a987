package httpapi

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

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/alerting/internal/dispatchview"
	"github.com/jackcode/igmon/internal/alerthook"
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
	Labels       alerting.Labels   `json:"labels"`
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
	Labels   alerting.Labels   `json:"labels"`
	Receiver amReceiver        `json:"receiver"`
	Alerts   []amGettableAlert `json:"alerts"`
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

// now is the time on the pipeline's clock (which its silence set shares),
// else the evaluator's.
func (h *handler) now() time.Time {
	switch {
	case h.disp != nil:
		return dispatchview.Now(h.disp)
	case h.ev != nil:
		return alerthook.Now(h.ev)
	}
	return clock.Real{}.Now()
}

// snapshot is the dispatcher's view, or nil without one.
func (h *handler) snapshot() dispatchview.Snapshot {
	if h.disp == nil {
		return nil
	}
	return dispatchview.Of(h.disp)
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
		Config:      amConfig{Original: amConfigYAML(h.receiverNames())},
		Uptime:      amTime(processStart),
	}
}

// amConfigYAML is a minimal Alertmanager configuration naming the real
// receivers, so tools that print it show something true; routes,
// inhibitions and notifiers are configured in Go and are not rendered.
func amConfigYAML(names []string) string {
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
	return h.snapshot().Receivers()
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
	matchers                                 alerting.Matchers
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
func parseAMFilter(filters []string) (alerting.Matchers, error) {
	var out alerting.Matchers
	for _, s := range filters {
		ms, err := alerting.ParseMatchers(s)
		if err != nil {
			return nil, fmt.Errorf("filter %q: %w", s, err)
		}
		out = append(out, ms...)
	}
	return out, nil
}

func (f *amAlertFilter) keep(a *amGettableAlert) bool {
	if !f.matchers.Matches(a.Labels) {
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
func (h *handler) firingAlerts(snap dispatchview.Snapshot) []dispatchview.Alert {
	var out []dispatchview.Alert
	if h.ev != nil {
		for _, a := range h.ev.Alerts() {
			if a.State == alerting.StateFiring {
				out = append(out, dispatchview.Alert{Fingerprint: a.Fingerprint, Labels: a.Labels, Annotations: a.Annotations, FiredAt: a.FiredAt})
			}
		}
	} else if snap != nil {
		out = snap.Firing()
	}
	slices.SortFunc(out, func(a, b dispatchview.Alert) int { return cmp.Compare(a.Fingerprint, b.Fingerprint) })
	return out
}

// amAlert converts a firing alert to a gettableAlert, with the
// suppression the dispatcher (snap, nil without one) applies to it at the
// snapshot's time.
func amAlert(snap dispatchview.Snapshot, a *dispatchview.Alert) amGettableAlert {
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
		g.Labels = alerting.Labels{}
	}
	if g.Annotations == nil {
		g.Annotations = map[string]string{}
	}
	if snap != nil {
		st := snap.Status(a.Fingerprint, a.Labels)
		for _, n := range st.Receivers {
			g.Receivers = append(g.Receivers, amReceiver{Name: n})
		}
		g.Status.SilencedBy, g.Status.InhibitedBy, g.Status.MutedBy = st.SilencedBy, st.InhibitedBy, st.MutedBy
	}
	if len(g.Status.MutedBy) > 0 || len(g.Status.SilencedBy) > 0 || len(g.Status.InhibitedBy) > 0 {
		g.Status.State = "suppressed"
	}
	return g
}

func (h *handler) amAlerts(r *http.Request) (int, any) {
	f, err := parseAMAlertFilter(r)
	if err != nil {
		return http.StatusBadRequest, amErrorBody(err.Error())
	}
	snap := h.snapshot()
	out := []amGettableAlert{}
	alerts := h.firingAlerts(snap)
	for i := range alerts {
		if g := amAlert(snap, &alerts[i]); f.keep(&g) {
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
	snap := h.snapshot()
	if snap == nil {
		return http.StatusOK, out
	}
	// The snapshot lists the groups by key and their alerts by
	// fingerprint; receivers keep the route's order.
	for _, grp := range snap.Groups() {
		var alerts []amGettableAlert
		for i := range grp.Alerts {
			if g := amAlert(snap, &grp.Alerts[i]); f.keep(&g) {
				alerts = append(alerts, g)
			}
		}
		if len(alerts) == 0 || !muted && !slices.ContainsFunc(alerts, func(a amGettableAlert) bool { return len(a.Status.MutedBy) == 0 }) {
			continue
		}
		for _, rc := range grp.Receivers {
			if f.receiver != nil && !f.receiver.MatchString(rc) {
				continue
			}
			out = append(out, amAlertGroup{Labels: grp.Labels, Receiver: amReceiver{Name: rc}, Alerts: alerts})
		}
	}
	return http.StatusOK, out
}

// active reports whether s mutes alerts at now, as the silence set
// decides it.
func active(s *dispatch.Silence, now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

func silenceState(s *dispatch.Silence, now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return "pending"
	case active(s, now):
		return "active"
	}
	return "expired"
}

func toAMSilence(s *dispatch.Silence, now time.Time) amGettableSilence {
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
			IsRegex: m.Type == alerting.MatchRegexp || m.Type == alerting.MatchNotRegexp,
			IsEqual: m.Type == alerting.MatchEqual || m.Type == alerting.MatchRegexp})
	}
	return g
}

// amSilenceOrder sorts as Alertmanager lists silences: active ones ending
// soonest first, then pending ones starting soonest, then expired ones,
// most recently ended first.
func amSilenceOrder(now time.Time) func(a, b dispatch.Silence) int {
	rank := map[string]int{"active": 0, "pending": 1, "expired": 2}
	return func(a, b dispatch.Silence) int {
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
		l := make(alerting.Labels, len(list[i].Matchers))
		for _, m := range list[i].Matchers {
			l[m.Name] = m.Value
		}
		if filter.Matches(l) {
			out = append(out, toAMSilence(&list[i], now))
		}
	}
	return http.StatusOK, out
}

func (h *handler) findSilence(id string) (dispatch.Silence, bool) {
	for _, s := range h.silenceList() {
		if s.ID == id {
			return s, true
		}
	}
	return dispatch.Silence{}, false
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
func parseAMSilence(body []byte) (string, dispatch.Silence, error) {
	var p amPostable
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&p); err != nil {
		return "", dispatch.Silence{}, fmt.Errorf("%w: %v", errInvalidAMSilence, err)
	}
	switch {
	case len(p.Matchers) == 0:
		return "", dispatch.Silence{}, fmt.Errorf("%w: matchers: at least one is required", errInvalidAMSilence)
	case p.StartsAt == nil:
		return "", dispatch.Silence{}, fmt.Errorf("%w: startsAt is required", errInvalidAMSilence)
	case p.EndsAt == nil:
		return "", dispatch.Silence{}, fmt.Errorf("%w: endsAt is required", errInvalidAMSilence)
	case p.CreatedBy == "":
		return "", dispatch.Silence{}, fmt.Errorf("%w: createdBy is required", errInvalidAMSilence)
	case p.Comment == "":
		return "", dispatch.Silence{}, fmt.Errorf("%w: comment is required", errInvalidAMSilence)
	}
	s := dispatch.Silence{StartsAt: *p.StartsAt, EndsAt: *p.EndsAt, CreatedBy: p.CreatedBy, Comment: p.Comment}
	allEmpty := true
	for i, pm := range p.Matchers {
		if pm.Name == "" || pm.Value == nil || pm.IsRegex == nil {
			return "", dispatch.Silence{}, fmt.Errorf("%w: matchers[%d]: name, value and isRegex are required", errInvalidAMSilence, i)
		}
		t := alerting.MatchEqual
		switch equal := pm.IsEqual == nil || *pm.IsEqual; {
		case *pm.IsRegex && equal:
			t = alerting.MatchRegexp
		case *pm.IsRegex:
			t = alerting.MatchNotRegexp
		case !equal:
			t = alerting.MatchNotEqual
		}
		m, err := alerting.NewMatcher(t, pm.Name, *pm.Value)
		if err != nil {
			return "", dispatch.Silence{}, fmt.Errorf("%w: matchers[%d]: %w", errInvalidAMSilence, i, err)
		}
		if !(alerting.Matchers{m}).Matches(nil) {
			allEmpty = false
		}
		s.Matchers = append(s.Matchers, m)
	}
	if allEmpty {
		return "", dispatch.Silence{}, fmt.Errorf("%w: matchers: at least one matcher must not match the empty string", errInvalidAMSilence)
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
		case errors.Is(err, dispatch.ErrSilenceNotFound):
			code = http.StatusNotFound
		case errors.Is(err, dispatch.ErrInvalidSilence): // who expires it: bad text
			code = http.StatusBadRequest
		}
		writeAMError(w, code, err.Error())
		return
	}
	w.WriteHeader(http.StatusOK)
}
