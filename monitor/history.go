package monitor

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/jackcode/igmon/internal/series"
	"github.com/jackcode/igmon/monitor/internal/dashboard"
)

// History: what the dashboard's charts and uptime bars show, recorded by
// an engine reader that runs after the status reader in every cycle. It
// computes no window of its own:
//
//   - the finest tier holds, every cycle, the status window's figures the
//     cards and the alert rules over that window read (so the chart's last
//     point is the card's number);
//   - the coarser tiers sum the status window's increases, read once per
//     window length so that consecutive reads tile time without overlap
//     (calls, failures and the latency histogram itself, merged with
//     series.Hist.Add), and take the quantiles of the sum;
//   - every tier keeps the worst status the one status rule gave the
//     component in each interval, and the share of cycles it was not
//     failing (for uptime).
//
// Memory is fixed per component: historyBytesPerComponent (≈ 25 KB) in
// the rings plus at most maxEpisodes status episodes and maxAlertSpans
// alert spans, whatever the uptime of the process; components beyond
// maxHistoryComponents are not recorded.

// historyTiers are the resolutions history keeps: step and number of
// points. The ranges the page offers map onto them (historyTierOf).
var historyTiers = [numHistoryTiers]struct {
	step time.Duration
	n    int
}{
	{5 * time.Second, 180},  // 15 min at the engine's pace
	{time.Minute, 360},      // 6 h
	{10 * time.Minute, 144}, // 24 h
	{time.Hour, 720},        // 30 d
}

const (
	numHistoryTiers      = 4
	maxHistoryComponents = 2000
	maxEpisodes          = 128
	maxAlertSpans        = 32
	maxReasonLen         = 160
	// noUp marks a point without a known status in the up-share ring.
	noUp = 255
)

// historyBytesPerComponent is the size of one component's rings: per
// point four float32 figures, a status byte and an up-share byte.
var historyBytesPerComponent = func() int {
	n := 0
	for _, t := range historyTiers {
		n += t.n * (4*4 + 1 + 1)
	}
	return n
}()

// Status codes in the rings, ordered like rank (0: not seen).
const (
	hsNone uint8 = iota
	hsPass
	hsWarn
	hsUnknown
	hsFail
)

func statusCode(s dashboard.Status) uint8 {
	switch s {
	case dashboard.StatusPass:
		return hsPass
	case dashboard.StatusWarn:
		return hsWarn
	case dashboard.StatusFail:
		return hsFail
	}
	return hsUnknown
}

func statusOfCode(c uint8) dashboard.Status {
	switch c {
	case hsPass:
		return dashboard.StatusPass
	case hsWarn:
		return dashboard.StatusWarn
	case hsUnknown:
		return dashboard.StatusUnknown
	case hsFail:
		return dashboard.StatusFail
	}
	return ""
}

// histSample is what one cycle says about one component.
type histSample struct {
	id     string
	status dashboard.Status
	reason string
	// traffic is set when the component had calls in the status window:
	// rate, ratio and quantiles over it, and the window's increases.
	traffic  bool
	rate     float64
	errRatio float64
	p50, p95 float64
	calls    float64
	failures float64
	hist     *series.Hist // valid during the cycle only
	alerts   []alertSeen
}

type alertSeen struct {
	rule, severity string
	firedAt        time.Time
}

// tierClock is a tier's shared clock: the bucket each ring slot holds.
type tierClock struct {
	Cur   int64   // open bucket (time / step), -1 before the first
	Slots []int64 // bucket held by each slot, -1 when empty
	// TileSeconds is the time the tiles of the open bucket and of the one
	// before cover, indexed by bucket parity (a tile read just after a
	// bucket ended belongs to that bucket).
	TileSeconds [2]float64
}

// tierRing is one component's points in one tier.
type tierRing struct {
	Rate, Errs, P50, P95 []float32 // nil until the component has traffic
	Status               []uint8
	Up                   []uint8 // share of known cycles not failing, 0..250; noUp without
}

// tierAcc accumulates a component's open bucket.
type tierAcc struct {
	Calls, Failures float64
	Hist            series.Hist
	Known, Up       int
}

func (a *tierAcc) reset() {
	a.Calls, a.Failures, a.Known, a.Up = 0, 0, 0, 0
	a.Hist.Clear()
}

type episode struct {
	From, To time.Time
	Status   uint8
	Reason   string
}

type alertSpan struct {
	Rule, Severity string
	From, To       time.Time
	Open           bool
}

type compHistory struct {
	Rings [numHistoryTiers]tierRing
	// Acc holds the open bucket's and the previous one's sums, by bucket
	// parity.
	Acc      [numHistoryTiers][2]tierAcc
	Episodes []episode // oldest first, at most maxEpisodes
	Alerts   []alertSpan
}

// history is the recorded state. Its methods are safe for concurrent use.
type history struct {
	mu       sync.Mutex
	window   time.Duration // the status window tier 0 reads
	durable  bool          // history survives restarts (set by the data dir)
	clocks   [numHistoryTiers]tierClock
	comps    map[string]*compHistory
	lastTile time.Time
	since    []time.Time // cycles after lastTile
	dropped  int         // samples of components beyond maxHistoryComponents
}

func newHistory(window time.Duration) *history {
	h := &history{window: window, comps: map[string]*compHistory{}}
	for i, t := range historyTiers {
		h.clocks[i] = tierClock{Cur: -1, Slots: make([]int64, t.n)}
		for j := range h.clocks[i].Slots {
			h.clocks[i].Slots[j] = -1
		}
	}
	return h
}

func nan32() float32 { return float32(math.NaN()) }

func newRing(n int) tierRing {
	r := tierRing{Status: make([]uint8, n), Up: make([]uint8, n)}
	for i := range r.Up {
		r.Up[i] = noUp
	}
	return r
}

func (r *tierRing) ensureFigures() {
	if r.Rate != nil {
		return
	}
	n := len(r.Status)
	r.Rate, r.Errs, r.P50, r.P95 = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range n {
		r.Rate[i], r.Errs[i], r.P50[i], r.P95[i] = nan32(), nan32(), nan32(), nan32()
	}
}

func (r *tierRing) clear(slot int) {
	r.Status[slot], r.Up[slot] = hsNone, noUp
	if r.Rate != nil {
		r.Rate[slot], r.Errs[slot], r.P50[slot], r.P95[slot] = nan32(), nan32(), nan32(), nan32()
	}
}

func (h *history) comp(id string) *compHistory {
	c := h.comps[id]
	if c != nil {
		return c
	}
	if len(h.comps) >= maxHistoryComponents {
		h.dropped++
		return nil
	}
	c = &compHistory{}
	for i, t := range historyTiers {
		c.Rings[i] = newRing(t.n)
	}
	h.comps[id] = c
	return c
}

// advance moves every tier's clock to now, clearing the slots it reuses
// and starting new buckets.
func (h *history) advance(now time.Time) {
	for i, t := range historyTiers {
		ck := &h.clocks[i]
		b := now.UnixNano() / int64(t.step)
		if b <= ck.Cur {
			continue // same bucket, or the clock went back: keep the open one
		}
		from := ck.Cur + 1
		if ck.Cur < 0 || b-from >= int64(t.n) {
			from = b - int64(t.n) + 1
		}
		for k := from; k <= b; k++ {
			slot := int(k % int64(t.n))
			ck.Slots[slot] = k
			for _, c := range h.comps {
				c.Rings[i].clear(slot)
			}
		}
		if b-ck.Cur > 1 {
			ck.TileSeconds[(b-1)&1] = 0
			for _, c := range h.comps {
				c.Acc[i][(b-1)&1].reset()
			}
		}
		ck.Cur = b
		ck.TileSeconds[b&1] = 0
		for _, c := range h.comps {
			c.Acc[i][b&1].reset()
		}
	}
}

// record files one cycle. tile is the time the status window's
// increases cover when this cycle reads them for the coarser tiers (0
// when it does not); a tile belongs to the bucket of its middle.
func (h *history) record(now time.Time, samples []histSample, tile time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.advance(now)
	var tileBucket [numHistoryTiers]int64
	if tile > 0 {
		mid := now.Add(-tile / 2).UnixNano()
		for i := 1; i < numHistoryTiers; i++ {
			ck := &h.clocks[i]
			tileBucket[i] = mid / int64(historyTiers[i].step)
			if tileBucket[i] < ck.Cur-1 || tileBucket[i] > ck.Cur {
				tileBucket[i] = ck.Cur
			}
			ck.TileSeconds[tileBucket[i]&1] += tile.Seconds()
		}
	}
	for si := range samples {
		s := &samples[si]
		c := h.comp(s.id)
		if c == nil {
			continue
		}
		code := statusCode(s.status)
		for i, t := range historyTiers {
			ck := &h.clocks[i]
			n := int64(t.n)
			slot := int(ck.Cur % n)
			r := &c.Rings[i]
			r.Status[slot] = max(r.Status[slot], code)
			a := &c.Acc[i][ck.Cur&1]
			a.Known++
			if code != hsFail {
				a.Up++
			}
			r.Up[slot] = uint8(math.Round(250 * float64(a.Up) / float64(a.Known)))
			if s.traffic {
				r.ensureFigures()
			}
			if r.Rate == nil {
				continue // never had traffic: no figures
			}
			if i == 0 {
				if s.traffic {
					r.Rate[slot], r.Errs[slot] = float32(s.rate), float32(s.errRatio)
					r.P50[slot], r.P95[slot] = float32(s.p50), float32(s.p95)
				}
				continue
			}
			if tile == 0 {
				continue
			}
			// A tile without calls still counts: it lowers the rate.
			tb := tileBucket[i]
			ta := &c.Acc[i][tb&1]
			if s.traffic {
				ta.Calls += s.calls
				ta.Failures += s.failures
				if s.hist != nil {
					ta.Hist.Add(s.hist)
				}
			}
			ts := int(tb % n)
			if ck.Slots[ts] != tb {
				continue
			}
			secs := ck.TileSeconds[tb&1]
			r.Rate[ts] = float32(ta.Calls / secs)
			r.Errs[ts] = nan32()
			if ta.Calls > 0 {
				r.Errs[ts] = float32(ta.Failures / ta.Calls)
			}
			r.P50[ts], r.P95[ts] = nan32(), nan32()
			if !ta.Hist.Empty() && ta.Hist.Total() > 0 {
				r.P50[ts], r.P95[ts] = float32(ta.Hist.Quantile(0.5)), float32(ta.Hist.Quantile(0.95))
			}
		}
		c.episode(now, code, s.reason)
		c.alertsSeen(now, s.alerts)
	}
	// Components not seen this cycle: their episode ends, their alerts
	// stopped firing.
	seen := make(map[string]bool, len(samples))
	for _, s := range samples {
		seen[s.id] = true
	}
	for id, c := range h.comps {
		if !seen[id] {
			c.episode(now, hsNone, "")
			c.alertsSeen(now, nil)
		}
	}
}

func clip(s string) string {
	if len(s) <= maxReasonLen {
		return s
	}
	cut := maxReasonLen
	for cut > 0 && s[cut]&0xC0 == 0x80 { // keep UTF-8 whole
		cut--
	}
	return s[:cut] + "…"
}

// episode extends the current status episode or starts a new one.
func (c *compHistory) episode(now time.Time, code uint8, reason string) {
	if n := len(c.Episodes); n > 0 && c.Episodes[n-1].Status == code {
		c.Episodes[n-1].To = now
		return
	}
	if code == hsNone && len(c.Episodes) == 0 {
		return
	}
	if len(c.Episodes) >= maxEpisodes {
		c.Episodes = slices.Delete(c.Episodes, 0, 1)
	}
	c.Episodes = append(c.Episodes, episode{From: now, To: now, Status: code, Reason: clip(reason)})
}

// alertsSeen extends the spans of the alerts firing now and closes the
// others.
func (c *compHistory) alertsSeen(now time.Time, alerts []alertSeen) {
	for i := range c.Alerts {
		sp := &c.Alerts[i]
		if !sp.Open {
			continue
		}
		still := false
		for _, a := range alerts {
			if a.rule == sp.Rule && a.firedAt.Equal(sp.From) {
				still = true
			}
		}
		if still {
			sp.To = now
		} else {
			sp.Open = false
		}
	}
	for _, a := range alerts {
		known := false
		for _, sp := range c.Alerts {
			if sp.Rule == a.rule && sp.From.Equal(a.firedAt) {
				known = true
			}
		}
		if known {
			continue
		}
		if len(c.Alerts) >= maxAlertSpans {
			c.Alerts = slices.Delete(c.Alerts, 0, 1)
		}
		from := a.firedAt
		if from.IsZero() || from.After(now) {
			from = now
		}
		c.Alerts = append(c.Alerts, alertSpan{Rule: a.rule, Severity: a.severity, From: from, To: now, Open: true})
	}
}

// statusSince returns when a component entered status st, from its episodes:
// the start of the newest run of that status (zero when not known). The
// page's "since" for a status the traffic or a merged signal decided.
func (h *history) statusSince(id string, st dashboard.Status) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.comps[id]
	if c == nil || len(c.Episodes) == 0 {
		return time.Time{}
	}
	e := c.Episodes[len(c.Episodes)-1]
	if e.Status != statusCode(st) {
		return time.Time{}
	}
	return e.From
}

// tileAt decides whether the cycle at now reads the status window's
// increases for the coarser tiers: once a window has passed since the
// last read, so that consecutive reads tile time. It returns the time the
// read covers (from the newest cycle at least a window before now: the
// engine's base snapshot), 0 when this cycle does not read.
func (h *history) tileAt(now time.Time, window time.Duration) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lastTile.IsZero() || now.Before(h.lastTile) {
		h.lastTile, h.since = now, h.since[:0]
		return 0
	}
	if now.Sub(h.lastTile) < window {
		if len(h.since) < 64 {
			h.since = append(h.since, now)
		}
		return 0
	}
	base := h.lastTile
	for _, t := range h.since {
		if !t.After(now.Add(-window)) {
			base = t
		}
	}
	h.lastTile, h.since = now, h.since[:0]
	return now.Sub(base)
}

// historyRanges are the ranges the page offers and the tier each reads.
var historyRanges = []struct {
	span    time.Duration
	tier    int
	durable bool // only offered when history survives restarts
}{
	{15 * time.Minute, 0, false},
	{time.Hour, 1, false},
	{6 * time.Hour, 1, false},
	{24 * time.Hour, 2, false},
	{7 * 24 * time.Hour, 3, true},
	{30 * 24 * time.Hour, 3, true},
}

// uptimeSegments is about how many segments an uptime bar has.
const uptimeSegments = 60

// query returns the history over span ending at the open buckets.
func (h *history) query(span time.Duration) (dashboard.History, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	tier := -1
	var offered []time.Duration
	for _, r := range historyRanges {
		if r.durable && !h.durable {
			continue
		}
		offered = append(offered, r.span)
		if r.span == span {
			tier = r.tier
		}
	}
	if tier < 0 {
		return dashboard.History{}, fmt.Errorf("%w: history range %v is not offered", dashboard.ErrInvalid, span)
	}
	t := historyTiers[tier]
	ck := &h.clocks[tier]
	points := int(span / t.step)
	out := dashboard.History{Range: span, Step: t.step, Window: t.step, Points: points, Ranges: offered, Durable: h.durable}
	if tier == 0 {
		out.Window = h.window
	}
	if ck.Cur < 0 {
		out.Points = 0
		return out, nil
	}
	first := ck.Cur - int64(points) + 1
	out.Start = time.Unix(0, first*int64(t.step))
	ids := make([]string, 0, len(h.comps))
	for id := range h.comps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := h.comps[id]
		r := &c.Rings[tier]
		ch := dashboard.ComponentHistory{ID: id,
			RequestRate: make([]float64, points), ErrorRate: make([]float64, points),
			P50: make([]float64, points), P95: make([]float64, points), Status: make([]dashboard.Status, points)}
		for i := range points {
			k := first + int64(i)
			slot := int(((k % int64(t.n)) + int64(t.n)) % int64(t.n))
			ch.RequestRate[i], ch.ErrorRate[i], ch.P50[i], ch.P95[i] = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			if k < 0 || ck.Slots[slot] != k {
				continue
			}
			ch.Status[i] = statusOfCode(r.Status[slot])
			if r.Rate != nil {
				ch.RequestRate[i], ch.ErrorRate[i] = float64(r.Rate[slot]), float64(r.Errs[slot])
				ch.P50[i], ch.P95[i] = float64(r.P50[slot]), float64(r.P95[slot])
			}
		}
		for _, sp := range c.Alerts {
			if sp.To.Before(out.Start) {
				continue
			}
			as := dashboard.AlertSpan{Name: sp.Rule, Severity: sp.Severity, From: sp.From}
			if !sp.Open {
				as.To = sp.To
			}
			ch.Alerts = append(ch.Alerts, as)
		}
		ch.Uptime = c.segments(out.Start, t.step, ch.Status)
		ch.UptimePct = map[string]float64{}
		if v, ok := h.upShare(c, 2, 24*time.Hour); ok {
			ch.UptimePct["24h"] = v
		}
		if h.durable {
			if v, ok := h.upShare(c, 3, 7*24*time.Hour); ok {
				ch.UptimePct["7d"] = v
			}
			if v, ok := h.upShare(c, 3, 30*24*time.Hour); ok {
				ch.UptimePct["30d"] = v
			}
		}
		out.Components = append(out.Components, ch)
	}
	return out, nil
}

// segments groups a range's points into about uptimeSegments segments,
// each coloured by its worst status and carrying the reason of the worst
// episode in it.
func (c *compHistory) segments(start time.Time, step time.Duration, st []dashboard.Status) []dashboard.UptimeSegment {
	per := max(1, (len(st)+uptimeSegments-1)/uptimeSegments)
	var out []dashboard.UptimeSegment
	for i := 0; i < len(st); i += per {
		j := min(len(st), i+per)
		worst := uint8(hsNone)
		for _, s := range st[i:j] {
			if s != "" {
				worst = max(worst, statusCode(s))
			}
		}
		seg := dashboard.UptimeSegment{From: start.Add(time.Duration(i) * step), To: start.Add(time.Duration(j) * step), Status: statusOfCode(worst)}
		if worst != hsNone {
			seg.Reason = c.reasonIn(seg.From, seg.To, worst)
		}
		out = append(out, seg)
	}
	return out
}

// reasonIn returns the reason of the newest episode with status code
// that overlaps [from, to).
func (c *compHistory) reasonIn(from, to time.Time, code uint8) string {
	for i := len(c.Episodes) - 1; i >= 0; i-- {
		e := c.Episodes[i]
		if e.Status == code && e.From.Before(to) && !e.To.Before(from) {
			return e.Reason
		}
	}
	return ""
}

// upShare is the share of known time the component was not failing over
// span, in percent, from a tier's up-shares.
func (h *history) upShare(c *compHistory, tier int, span time.Duration) (float64, bool) {
	t := historyTiers[tier]
	ck := &h.clocks[tier]
	if ck.Cur < 0 {
		return 0, false
	}
	points := int(span / t.step)
	var sum float64
	n := 0
	for i := range points {
		k := ck.Cur - int64(i)
		if k < 0 {
			break
		}
		slot := int(k % int64(t.n))
		if ck.Slots[slot] != k || c.Rings[tier].Up[slot] == noUp {
			continue
		}
		sum += float64(c.Rings[tier].Up[slot]) / 250
		n++
	}
	if n == 0 {
		return 0, false
	}
	return 100 * sum / float64(n), true
}

// historyReader is the engine reader that records history: it runs after
// the status reader, builds the page's components with the one status
// rule and files them with the traffic reader's figures of the same
// cycle.
func (m *Monitor) historyCycle(c *series.Cycle) {
	tr := m.traffic.snapshot()
	var alerts map[string][]alertSeen
	p := &statusPage{m: m, alertsOf: func(id string, sigs []signal) {
		for _, s := range sigs {
			if s.kind == "alert" {
				if alerts == nil {
					alerts = map[string][]alertSeen{}
				}
				alerts[id] = append(alerts[id], alertSeen{rule: s.rule, severity: s.severity, firedAt: s.since})
			}
		}
	}}
	snap, err := p.Snapshot(context.Background(), false)
	if err != nil {
		return
	}
	h := m.history
	tile := h.tileAt(c.Now, tr.window)
	var samples []histSample
	for _, g := range snap.Groups {
		for _, comp := range g.Components {
			s := histSample{id: comp.ID, status: comp.Status, reason: comp.Reason, alerts: alerts[comp.ID]}
			if f, ok := m.traffic.figuresOf(tr, comp.ID); ok && f.calls > 0 {
				s.traffic = true
				s.rate = f.calls / tr.window.Seconds()
				s.errRatio, s.p50, s.p95 = f.errorRatio(), f.p50, f.p95
				s.calls, s.failures = f.calls, f.failures
				s.hist = m.traffic.histOf(comp.ID)
			}
			samples = append(samples, s)
		}
	}
	h.record(c.Now, samples, tile)
}

// History implements dashboard.HistorySource.
func (p *statusPage) History(ctx context.Context, span time.Duration) (dashboard.History, error) {
	return p.m.history.query(span)
}

// historyVersion numbers the binary layout of MarshalBinary.
const historyVersion = 1

// historyState is what MarshalBinary writes: everything but the lock.
type historyState struct {
	Window   time.Duration
	Clocks   [numHistoryTiers]tierClock
	Comps    map[string]*compHistory
	LastTile time.Time
}

// MarshalBinary encodes the recorded history, so that a data directory
// can keep it across restarts (the caller decides where and when).
func (h *history) MarshalBinary() ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b bytes.Buffer
	b.WriteByte(historyVersion)
	err := gob.NewEncoder(&b).Encode(historyState{Window: h.window, Clocks: h.clocks, Comps: h.comps, LastTile: h.lastTile})
	if err != nil {
		return nil, fmt.Errorf("monitor: encode history: %w", err)
	}
	return b.Bytes(), nil
}

// UnmarshalBinary replaces the history with one MarshalBinary encoded. It
// checks every ring against the tiers of this build, so a file from
// another layout (or a damaged one) is refused whole, never half-read.
func (h *history) UnmarshalBinary(data []byte) error {
	if len(data) == 0 || data[0] != historyVersion {
		return errors.New("monitor: decode history: unknown version")
	}
	var st historyState
	if err := gob.NewDecoder(bytes.NewReader(data[1:])).Decode(&st); err != nil {
		return fmt.Errorf("monitor: decode history: %w", err)
	}
	if len(st.Comps) > maxHistoryComponents {
		return fmt.Errorf("monitor: decode history: %d components, at most %d", len(st.Comps), maxHistoryComponents)
	}
	for i, t := range historyTiers {
		if len(st.Clocks[i].Slots) != t.n {
			return fmt.Errorf("monitor: decode history: tier %v has %d slots, want %d", t.step, len(st.Clocks[i].Slots), t.n)
		}
	}
	for id, c := range st.Comps {
		if c == nil {
			return fmt.Errorf("monitor: decode history: component %q is empty", id)
		}
		for i, t := range historyTiers {
			r := &c.Rings[i]
			if len(r.Status) != t.n || len(r.Up) != t.n {
				return fmt.Errorf("monitor: decode history: component %q: tier %v has the wrong size", id, t.step)
			}
			if r.Rate != nil && (len(r.Rate) != t.n || len(r.Errs) != t.n || len(r.P50) != t.n || len(r.P95) != t.n) {
				return fmt.Errorf("monitor: decode history: component %q: tier %v figures have the wrong size", id, t.step)
			}
		}
		if len(c.Episodes) > maxEpisodes || len(c.Alerts) > maxAlertSpans {
			return fmt.Errorf("monitor: decode history: component %q keeps too many episodes or alert spans", id)
		}
	}
	if st.Comps == nil {
		st.Comps = map[string]*compHistory{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clocks, h.comps, h.lastTile = st.Clocks, st.Comps, st.LastTile
	return nil
}
