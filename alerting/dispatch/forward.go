package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/buildinfo"
	"github.com/jackcode/igmon/internal/promname"
	"github.com/jackcode/igmon/internal/redact"
)

// Alertmanagers configures forwarding to an Alertmanager cluster, the
// fleet engine: N replicas evaluate the same rules, post the same alerts
// to every peer, and the cluster notifies once (see WithAlertmanagers).
type Alertmanagers struct {
	// URLs are the peers' base URLs (http://am-0:9093). Every alert goes
	// to every peer, as Prometheus sends them: never put a load balancer
	// in front. At most 16.
	URLs []string
	// ResendInterval is how often every alert still firing is posted
	// again (default 1m). Firing alerts carry endsAt = now +
	// 4×ResendInterval, so a peer keeps them across missed posts and
	// resolves them by itself if every replica dies.
	ResendInterval time.Duration
	// Timeout bounds each request to a peer (default 10s).
	Timeout time.Duration
	// UTF8LabelNames forwards label names as igmon spells them
	// (igmon.dependency.name). The default spells them as the
	// OTel→Prometheus translation does (igmon_dependency_name), the names
	// the exported Prometheus rules (promrules.Export) use, so an
	// alert raised by both paths is one alert; it is also the only
	// spelling an Alertmanager in classic mode accepts.
	UTF8LabelNames bool
	// Silences stores the silences made through igmon (its HTTP API, the
	// dashboard, Silences.Add and Expire) in the Alertmanager cluster, one
	// silence store for the fleet: creating and expiring go to the first
	// peer that answers, and the set igmon mutes with is read back from
	// the cluster every SilenceRefresh. igmon's own receivers then obey
	// the cluster's silences too.
	Silences bool
	// SilenceRefresh is how often Silences are read back (default 15s).
	SilenceRefresh time.Duration
	// Client sends the requests (default: a plain client; Timeout bounds
	// each request).
	Client *http.Client
	// SingleReplica says this process is the only one raising its
	// alerts: a resolved alert is posted with its end time and resolves
	// at once. By default a fleet is assumed: replicas see different
	// samples of the traffic and resolve at slightly different times, and
	// Alertmanager takes the newest post of an alert as its state, so one
	// replica's resolve would resolve the alert while the others still
	// fire, and their next post would fire it again (a second page). So a
	// replica stops posting an alert that resolved and the cluster
	// resolves it by its endsAt, once no replica posts it any more: the
	// fleet's alert fires while any replica's does, and its resolve comes
	// within 4×ResendInterval of the last replica's. Alerts of PerInstance
	// rules (with an "instance" label) are raised by one replica and
	// always resolve at once.
	SingleReplica bool
}

// Bounds of the Alertmanager client.
const (
	maxAMPeers         = 16
	maxAMResponse      = 8 << 20
	maxAMSilences      = 10_000
	maxLoggedBadLabels = 64
)

// WithAlertmanagers forwards every firing and resolved alert the
// Dispatcher receives to each Alertmanager peer, independently: each peer
// has its own goroutine, retry and backoff, so a peer that is down delays
// nobody, and Receive never waits for a peer. Alerts go out before
// inhibition, silences and maintenance windows, and keep going out while
// igmon mutes them: the cluster applies its own silences, and an alert
// that stopped being posted would resolve there by its endsAt and tell the
// receivers so while it still fires. Forwarded alerts carry the "service"
// and "environment" labels of the resource (WithResource) unless the rule
// sets them. An answer of 400 (a label name the peer refuses) is logged
// once per label name and counted, and the alerts stay in the set,
// posted again at every ResendInterval.
func WithAlertmanagers(cfg Alertmanagers) Option {
	return option("WithAlertmanagers", false, func(c *config) {
		cp := cfg
		cp.URLs = slices.Clone(cfg.URLs)
		c.am = &cp
	})
}

func (a *Alertmanagers) validate() error {
	switch {
	case len(a.URLs) == 0:
		return fmt.Errorf("%w: WithAlertmanagers: URLs is empty", alerting.ErrInvalidOption)
	case len(a.URLs) > maxAMPeers:
		return fmt.Errorf("%w: WithAlertmanagers: %d URLs, at most %d", alerting.ErrInvalidOption, len(a.URLs), maxAMPeers)
	case a.ResendInterval < 0 || a.Timeout < 0 || a.SilenceRefresh < 0:
		return fmt.Errorf("%w: WithAlertmanagers: ResendInterval, Timeout and SilenceRefresh must not be negative", alerting.ErrInvalidOption)
	}
	for i, raw := range a.URLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: WithAlertmanagers: URLs[%d] must be an http(s) URL", alerting.ErrInvalidOption, i)
		}
	}
	if a.ResendInterval == 0 {
		a.ResendInterval = time.Minute
	}
	if a.Timeout == 0 {
		a.Timeout = 10 * time.Second
	}
	if a.SilenceRefresh == 0 {
		a.SilenceRefresh = 15 * time.Second
	}
	if a.Client == nil {
		a.Client = &http.Client{}
	}
	return nil
}

// amAlert is one element of POST /api/v2/alerts.
type amAlert struct {
	Labels       alerting.Labels   `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	firing       bool
}

// forwarder posts the current alert set to every peer.
type forwarder struct {
	cfg     Alertmanagers
	logger  *slog.Logger
	now     func() time.Time
	service string
	env     string
	genURL  string
	posts   metric.Int64Counter

	mu      sync.Mutex
	alerts  []amAlert
	key     string // fingerprints and states of alerts, to see a change
	version uint64
	badSeen map[string]bool // label names already logged as refused

	peers  []*amPeer
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type amPeer struct {
	base  string // without a trailing slash
	addr  attribute.KeyValue
	wake  chan struct{}
	f     *forwarder
	down  bool // last attempt failed (log transitions only)
	tries int
}

func newForwarder(cfg *config) (*forwarder, error) {
	am := *cfg.am
	f := &forwarder{cfg: am, logger: cfg.Logger, now: cfg.Clock.Now, genURL: cfg.externalURL,
		service: cfg.Resource["service.name"], env: cfg.Resource["deployment.environment.name"], badSeen: map[string]bool{}}
	var err error
	f.posts, err = cfg.MeterProvider.Meter(scopeName, buildinfo.MeterOptions()...).Int64Counter("igmon.alert.forward.requests",
		metric.WithUnit("{request}"),
		metric.WithDescription("POST /api/v2/alerts requests to each Alertmanager peer, by outcome: sent, failed (retried with backoff), rejected (400: a label the peer refuses)"))
	if err != nil {
		return nil, err
	}
	for _, raw := range am.URLs {
		u, _ := url.Parse(raw)
		f.peers = append(f.peers, &amPeer{base: strings.TrimRight(raw, "/"), addr: attribute.String("server.address", u.Host),
			wake: make(chan struct{}, 1), f: f})
	}
	return f, nil
}

func (f *forwarder) start(ss *Silences) {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	if f.cfg.Silences {
		ss.remote, ss.view = f, f.labels
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.refreshSilences(ctx, ss)
		}()
	}
	for _, p := range f.peers {
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			p.run(ctx)
		}()
	}
}

func (f *forwarder) stop() {
	if f.cancel != nil {
		f.cancel()
	}
	f.wg.Wait()
}

// labels is the label set an alert is forwarded (and silenced by the
// cluster) with: names spelled for the peers, service and environment
// added.
func (f *forwarder) labels(l alerting.Labels) alerting.Labels {
	out := make(alerting.Labels, len(l)+2)
	for k, v := range l {
		if v == "" {
			continue
		}
		if !f.cfg.UTF8LabelNames {
			k = promname.PrometheusLabelName(k)
		}
		out[k] = v
	}
	if f.service != "" && out["service"] == "" {
		out["service"] = f.service
	}
	if f.env != "" && out["environment"] == "" {
		out["environment"] = f.env
	}
	return out
}

// update replaces the set with the firing and resolved alerts of one
// evaluation and wakes the peers when it changed.
func (f *forwarder) update(alerts []alerting.Alert) {
	set := make([]amAlert, 0, len(alerts))
	var kb strings.Builder
	for i := range alerts {
		a := &alerts[i]
		if a.State != alerting.StateFiring && a.State != alerting.StateResolved {
			continue
		}
		if a.State == alerting.StateResolved && !f.cfg.SingleReplica && a.Labels["instance"] == "" /* a PerInstance rule's alert */ {
			continue // lapses by its endsAt: see SingleReplica
		}
		p := amAlert{Labels: f.labels(a.Labels), Annotations: a.Annotations, StartsAt: a.FiredAt,
			GeneratorURL: f.genURL, firing: a.State == alerting.StateFiring}
		if !p.firing {
			p.EndsAt = a.ResolvedAt
		}
		set = append(set, p)
		kb.WriteString(a.Fingerprint)
		kb.WriteString(a.State.String())
	}
	f.mu.Lock()
	changed := kb.String() != f.key
	f.alerts, f.key = set, kb.String()
	if changed {
		f.version++
	}
	f.mu.Unlock()
	if changed {
		for _, p := range f.peers {
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
	}
}

// snapshot returns the body to post now and its version.
func (f *forwarder) snapshot() ([]amAlert, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	until := f.now().Add(4 * f.cfg.ResendInterval).UTC()
	out := slices.Clone(f.alerts)
	for i := range out {
		if out[i].firing {
			out[i].EndsAt = until
		}
	}
	return out, f.version
}

// run posts the set to one peer: at once when it changes, and again every
// ResendInterval; after a failure, with its own backoff (from 500ms,
// doubling, at most ResendInterval), always with the newest set.
func (p *amPeer) run(ctx context.Context) {
	resend := p.f.cfg.ResendInterval
	var sent uint64
	var nextResend, retryAt time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-timer.C:
		}
		now := time.Now()
		body, ver := p.f.snapshot()
		due := ver != sent || !now.Before(nextResend)
		if !due || now.Before(retryAt) {
			next := nextResend
			if now.Before(retryAt) {
				next = retryAt
			}
			resetTimer(timer, next.Sub(now))
			continue
		}
		if len(body) == 0 {
			sent, nextResend = ver, now.Add(resend)
			resetTimer(timer, resend)
			continue
		}
		err := p.post(ctx, body)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.tries++
			wait := min(500*time.Millisecond<<min(p.tries-1, 16), resend)
			retryAt = now.Add(wait)
			resetTimer(timer, wait)
			continue
		}
		p.tries, retryAt = 0, time.Time{}
		sent, nextResend = ver, now.Add(resend)
		resetTimer(timer, resend)
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(max(d, 0))
}

// badLabelName finds the refused label name in an Alertmanager 400 answer
// ("invalid label set: invalid name \"a.b\"").
var badLabelName = regexp.MustCompile(`invalid (?:label )?name[: \\]*"?\\?"([^"\\]+)`)

func (p *amPeer) post(ctx context.Context, body []amAlert) error {
	f := p.f
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/api/v2/alerts", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "igmon-alerting")
	resp, err := f.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			p.failed(amErrorText(err))
		}
		return err
	}
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode/100 == 2:
		f.posts.Add(context.Background(), 1, metric.WithAttributes(p.addr, attribute.String("igmon.alert.forward.outcome", "sent")))
		if p.down {
			p.down = false
			f.logger.Info("alertmanager peer reachable again", slog.String("peer", p.addr.Value.AsString()))
		}
		return nil
	case resp.StatusCode == http.StatusBadRequest:
		// Not permanent: the alerts stay in the set and go out again at
		// the next resend, so a fixed peer gets them; the refusal is
		// logged once per label name, not per post.
		f.posts.Add(context.Background(), 1, metric.WithAttributes(p.addr, attribute.String("igmon.alert.forward.outcome", "rejected")))
		name := ""
		if m := badLabelName.FindSubmatch(rb); m != nil {
			name = string(m[1])
		}
		f.mu.Lock()
		first := !f.badSeen[name] && len(f.badSeen) < maxLoggedBadLabels
		if first {
			f.badSeen[name] = true
		}
		f.mu.Unlock()
		if first {
			f.logger.Error("alertmanager refused the alerts: invalid label name (set Alertmanagers.UTF8LabelNames to false for a classic-mode Alertmanager)",
				slog.String("peer", p.addr.Value.AsString()), slog.String("label", name),
				slog.String("answer", redact.String(strings.TrimSpace(string(rb)))), slog.Int("alerts", len(body)))
		}
		return nil // not retried before the next resend
	default:
		p.failed(fmt.Sprintf("HTTP %d", resp.StatusCode))
		return fmt.Errorf("alertmanager %s: HTTP %d", p.addr.Value.AsString(), resp.StatusCode)
	}
}

func (p *amPeer) failed(why string) {
	p.f.posts.Add(context.Background(), 1, metric.WithAttributes(p.addr, attribute.String("igmon.alert.forward.outcome", "failed")))
	if !p.down {
		p.down = true
		p.f.logger.Warn("alertmanager peer unreachable, retrying with backoff",
			slog.String("peer", p.addr.Value.AsString()), slog.String("error", why))
	}
}

// amErrorText is a transport error without the URL (which may carry
// credentials).
func amErrorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return redact.String(err.Error())
}
