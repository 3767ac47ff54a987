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
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/promname"
)

// The Alertmanager API v2 silence client behind Alertmanagers.Silences.
// Writes go to the first peer that answers (the cluster gossips them);
// reads come from the first peer that answers. Every call is bounded by
// Alertmanagers.Timeout as a whole, whatever the number of peers.

// errSilenceStore is wrapped by errors of the fleet's silence store (no
// Alertmanager peer answered, or one refused the silence).
var errSilenceStore = errors.New("alerting: Alertmanager silence store")

type amSilenceIn struct {
	ID       string                 `json:"id"`
	Status   struct{ State string } `json:"status"`
	Matchers []struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual *bool  `json:"isEqual"`
	} `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
}

func matchType(regex, equal bool) alerting.MatchType {
	switch {
	case regex && equal:
		return alerting.MatchRegexp
	case regex:
		return alerting.MatchNotRegexp
	case !equal:
		return alerting.MatchNotEqual
	}
	return alerting.MatchEqual
}

// request sends one request to each peer in turn until one answers with
// a status other than 5xx, and returns that answer's status and body.
func (f *forwarder) request(method, path string, body any) (int, []byte, error) {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return 0, nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.cfg.Timeout)
	defer cancel()
	var last error
	for _, p := range f.peers {
		req, err := http.NewRequestWithContext(ctx, method, p.base+path, bytes.NewReader(b))
		if err != nil {
			return 0, nil, err
		}
		if b != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := f.cfg.Client.Do(req)
		if err != nil {
			last = fmt.Errorf("%s: %s", p.addr.Value.AsString(), amErrorText(err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		rb, err := io.ReadAll(io.LimitReader(resp.Body, maxAMResponse+1))
		resp.Body.Close()
		switch {
		case err != nil:
			last = fmt.Errorf("%s: reading the answer: %s", p.addr.Value.AsString(), amErrorText(err))
			continue
		case len(rb) > maxAMResponse:
			return 0, nil, fmt.Errorf("%w: %s: answer larger than %d bytes", errSilenceStore, p.addr.Value.AsString(), maxAMResponse)
		case resp.StatusCode >= 500:
			last = fmt.Errorf("%s: HTTP %d", p.addr.Value.AsString(), resp.StatusCode)
			continue
		}
		return resp.StatusCode, rb, nil
	}
	return 0, nil, fmt.Errorf("%w: no peer answered: %v", errSilenceStore, last)
}

// createSilence implements silenceStore: the matchers are renamed as the
// alerts are forwarded (labels), so they match the cluster's copies.
func (f *forwarder) createSilence(s Silence) (Silence, error) {
	type matcher struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual bool   `json:"isEqual"`
	}
	post := struct {
		Matchers  []matcher `json:"matchers"`
		StartsAt  time.Time `json:"startsAt"`
		EndsAt    time.Time `json:"endsAt"`
		CreatedBy string    `json:"createdBy"`
		Comment   string    `json:"comment"`
	}{StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(), CreatedBy: s.CreatedBy, Comment: s.Comment}
	for i, m := range s.Matchers {
		name := m.Name
		if !f.cfg.UTF8LabelNames {
			name = promname.PrometheusLabelName(name)
		}
		nm, err := alerting.NewMatcher(m.Type, name, m.Value)
		if err != nil {
			return Silence{}, fmt.Errorf("%w: matchers[%d]: %v", ErrInvalidSilence, i, err)
		}
		s.Matchers[i] = nm
		post.Matchers = append(post.Matchers, matcher{Name: name, Value: m.Value,
			IsRegex: m.Type == alerting.MatchRegexp || m.Type == alerting.MatchNotRegexp, IsEqual: m.Type == alerting.MatchEqual || m.Type == alerting.MatchRegexp})
	}
	code, body, err := f.request(http.MethodPost, "/api/v2/silences", post)
	if err != nil {
		return Silence{}, err
	}
	if code != http.StatusOK {
		return Silence{}, fmt.Errorf("%w: %w: Alertmanager refused it: HTTP %d: %s", ErrInvalidSilence, errSilenceStore, code, excerpt(body))
	}
	var out struct {
		SilenceID string `json:"silenceID"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.SilenceID == "" {
		return Silence{}, fmt.Errorf("%w: unreadable answer to POST /api/v2/silences", errSilenceStore)
	}
	s.ID = out.SilenceID
	return s, nil
}

// expireSilence implements silenceStore.
func (f *forwarder) expireSilence(id string) error {
	code, body, err := f.request(http.MethodDelete, "/api/v2/silence/"+url.PathEscape(id), nil)
	switch {
	case err != nil:
		return err
	case code == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrSilenceNotFound, id)
	case code != http.StatusOK:
		return fmt.Errorf("%w: expiring %s: HTTP %d: %s", errSilenceStore, id, code, excerpt(body))
	}
	return nil
}

// listSilences reads the cluster's silences, at most maxAMSilences.
func (f *forwarder) listSilences() ([]Silence, error) {
	code, body, err := f.request(http.MethodGet, "/api/v2/silences", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("%w: listing silences: HTTP %d: %s", errSilenceStore, code, excerpt(body))
	}
	var in []amSilenceIn
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("%w: listing silences: %v", errSilenceStore, err)
	}
	if len(in) > maxAMSilences {
		return nil, fmt.Errorf("%w: listing silences: %d silences, at most %d", errSilenceStore, len(in), maxAMSilences)
	}
	out := make([]Silence, 0, len(in))
	for _, a := range in {
		s := Silence{ID: a.ID, StartsAt: a.StartsAt, EndsAt: a.EndsAt, CreatedBy: a.CreatedBy, Comment: a.Comment, CreatedAt: a.UpdatedAt}
		ok := true
		for _, m := range a.Matchers {
			nm, err := alerting.NewMatcher(matchType(m.IsRegex, m.IsEqual == nil || *m.IsEqual), m.Name, m.Value)
			if err != nil {
				ok = false // a matcher igmon cannot evaluate: the cluster still applies it
				break
			}
			s.Matchers = append(s.Matchers, nm)
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// refreshSilences reads the cluster's silences into ss now and every
// SilenceRefresh until ctx ends; while no peer answers, the last set read
// stays in force.
func (f *forwarder) refreshSilences(ctx context.Context, ss *Silences) {
	t := time.NewTicker(f.cfg.SilenceRefresh)
	defer t.Stop()
	failing := false
	for {
		list, err := f.listSilences()
		switch {
		case err != nil && !failing:
			failing = true
			f.logger.Warn("reading silences from the Alertmanager cluster failed; muting with the last set read", slog.String("error", err.Error()))
		case err == nil:
			if failing {
				failing = false
				f.logger.Info("reading silences from the Alertmanager cluster works again")
			}
			ss.replace(list)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func excerpt(b []byte) string {
	s := string(bytes.TrimSpace(b))
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
