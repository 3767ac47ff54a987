package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	name, data string
}

// readEvents parses the stream into ch until it ends.
func readEvents(r *bufio.Reader, ch chan<- sseEvent) {
	defer close(ch)
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.name != "" || ev.data != "" {
				ch <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
}

func openStream(t *testing.T, ctx context.Context, url string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent)
	go readEvents(bufio.NewReader(resp.Body), ch)
	return resp, ch
}

// nextSnapshot waits for the next snapshot event. The long timeout only
// catches a hang; it asserts no duration.
func nextSnapshot(t *testing.T, ch <-chan sseEvent) Snapshot {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			if ev.name != "snapshot" {
				continue
			}
			var s Snapshot
			if err := json.Unmarshal([]byte(ev.data), &s); err != nil {
				t.Fatalf("bad snapshot event: %v", err)
			}
			return s
		case <-time.After(30 * time.Second):
			t.Fatal("no snapshot event within 30s")
		}
	}
}

func TestEventsStreamDeliversUpdates(t *testing.T) {
	src := newPlatformSource()
	h := mustNew(t, src, WithRefresh(MinRefresh), WithAuthorizer(bearer))
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The stream is public even with a token: EventSource cannot send one.
	resp, ch := openStream(t, ctx, srv.URL)
	defer resp.Body.Close()

	first := nextSnapshot(t, ch)
	if first.Detailed || first.Groups[3].Components[0].Status != StatusPass {
		t.Fatalf("first snapshot: detailed=%v stripe=%s", first.Detailed, first.Groups[3].Components[0].Status)
	}
	src.fail()
	for {
		s := nextSnapshot(t, ch)
		if s.Groups[3].Components[0].Status == StatusFail {
			if len(s.Alerts) != 1 || s.Alerts[0].State != AlertFiring || s.Groups[3].Components[0].LastError != "" {
				t.Fatalf("failure snapshot: %+v", s.Alerts)
			}
			break
		}
	}

	// The client goes away: the stream's handler returns (Close would
	// block forever otherwise).
	cancel()
	for range ch {
	}
	h.Close()
}

func TestEventsStreamEndsOnClose(t *testing.T) {
	h := mustNew(t, newPlatformSource(), WithRefresh(MinRefresh))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, ch := openStream(t, context.Background(), srv.URL)
	defer resp.Body.Close()
	nextSnapshot(t, ch)

	h.Close()
	for range ch { // drains until the server ends the response
	}
	resp2, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("events after Close: %d", resp2.StatusCode)
	}
}

func TestEventsStreamReportsUnavailableSource(t *testing.T) {
	src := newPlatformSource()
	err := errBoom
	src.err.Store(&err)
	h := mustNew(t, src, WithRefresh(MinRefresh))
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, ch := openStream(t, ctx, srv.URL)
	defer resp.Body.Close()
	select {
	case ev := <-ch:
		if ev.name != "unavailable" || strings.Contains(ev.data, "hunter2") {
			t.Fatalf("got %+v", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no event")
	}
	cancel()
	for range ch {
	}
}

func TestEventsStreamEventLimit(t *testing.T) {
	src := newPlatformSource()
	h := mustNew(t, src, WithRefresh(MinRefresh))
	h.cfg.streamEvents = 1
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, ch := openStream(t, context.Background(), srv.URL)
	defer resp.Body.Close()
	var names []string
	for ev := range ch {
		names = append(names, ev.name)
	}
	if len(names) != 1 || names[0] != "snapshot" {
		t.Fatalf("events %v, want one snapshot then the end of the stream", names)
	}
}
