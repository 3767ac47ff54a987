package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting/rulefile"
	"github.com/jackcode/igmon/internal/tooltest"
)

// fleetRules is DependencyErrorRate with test-sized windows: the demo's
// timing comes from its rules (-rules), so the fleet test waits seconds,
// not the embedded rules' 30s windows.
const fleetRules = `
rules:
  - name: DependencyErrorRate
    by: [igmon.dependency.kind, igmon.dependency.name]
    labels: {severity: page}
    annotations:
      summary: '{{ index .Labels "igmon.dependency.name" }} fails'
    for: 2s
    # A replica whose window dips (a stalled second of traffic) must not
    # post a resolve the others contradict a moment later.
    keep_firing_for: 3s
    ratio:
      numerator: 'igmon.dependency.calls{igmon.dependency.outcome=~"error|timeout"}'
      denominator: 'igmon.dependency.calls{igmon.dependency.outcome!="canceled"}'
      window: 5s
      min_requests: 5
      value: 0.05
`

// Alertmanager timing of the test cluster. The second peer waits
// amPeerTimeout for the first one's notification log before it sends (its
// dedup), with the alerts as they were when its group flushed: the group
// interval must be well above the peer timeout, or the first peer's next
// flush (a resolve) lands inside that wait and the second peer sends its
// stale "firing" (as in production, where 5m ≫ 15s).
const (
	amGroupInterval = 3 * time.Second
	amPeerTimeout   = time.Second
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startAMCluster runs two real Alertmanager peers gossiping with each
// other on loopback, both notifying hookURL, and returns their URLs once
// each sees two peers.
func startAMCluster(t *testing.T, hookURL string) []string {
	t.Helper()
	bin := tooltest.Path(t, tooltest.Alertmanager)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	conf := fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
  group_interval: %s
  repeat_interval: 24h
receivers:
  - name: hook
    webhook_configs:
      - url: %s
        send_resolved: true
`, amGroupInterval, hookURL)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	gossip := []string{freeAddr(t), freeAddr(t)}
	var urls []string
	for i := range 2 {
		web := freeAddr(t)
		cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, fmt.Sprint("data", i)),
			"--web.listen-address="+web, "--cluster.listen-address="+gossip[i], "--cluster.peer="+gossip[1-i],
			"--cluster.settle-timeout=1s", "--cluster.peer-timeout="+amPeerTimeout.String(),
			"--cluster.gossip-interval=100ms", "--cluster.pushpull-interval=1s", "--log.level=warn")
		var logs lockedBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("alertmanager %d output:\n%s", i, logs.String())
			}
		})
		urls = append(urls, "http://"+web)
	}
	for _, u := range urls {
		eventually(t, time.Minute, u+" sees both peers", func() bool {
			var st struct {
				Cluster struct {
					Peers []json.RawMessage `json:"peers"`
				} `json:"cluster"`
			}
			return getJSON(u+"/api/v2/status", "", &st) == nil && len(st.Cluster.Peers) == 2
		})
	}
	return urls
}

func getJSON(url, token string, v any) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// amAlert is an alert as GET /api/v2/alerts lists it (Alertmanager's and
// the demo's own API v2).
type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State      string   `json:"state"`
		SilencedBy []string `json:"silencedBy"`
	} `json:"status"`
}

func stripeAlert(t *testing.T, url, token string) (amAlert, bool) {
	t.Helper()
	var as []amAlert
	if err := getJSON(url+"/api/v2/alerts", token, &as); err != nil {
		return amAlert{}, false
	}
	for _, a := range as {
		if a.Labels["alertname"] == "DependencyErrorRate" && a.Labels["igmon_dependency_name"]+a.Labels["igmon.dependency.name"] == "stripe" {
			return a, true
		}
	}
	return amAlert{}, false
}

// count is how many webhook messages carry the stripe alert in status.
func (rc *receiver) count(status string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, m := range rc.msgs {
		for _, a := range m.Alerts {
			if a.Status == status && a.Labels["igmon_dependency_name"] == "stripe" {
				n++
				break
			}
		}
	}
	return n
}

// TestFleetPagesOnceThroughAlertmanagerCluster runs three replicas of the
// demo against a real two-peer Alertmanager cluster: a silence made on
// replica 1 is stored in the cluster and mutes the stripe alert all three
// raise; once it is expired on replica 3 the webhook gets exactly one
// firing notification; replica 2 restarted while the alert fires adds no
// duplicate; after the fault is cleared exactly one resolve arrives.
func TestFleetPagesOnceThroughAlertmanagerCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: three demo replicas and a real Alertmanager cluster")
	}
	start := time.Now()
	hook := &receiver{}
	hsrv := httptest.NewServer(hook)
	defer hsrv.Close()
	peers := startAMCluster(t, hsrv.URL)
	t.Logf("Alertmanager cluster ready after %v", time.Since(start).Round(time.Millisecond))

	rules, err := rulefile.Load(strings.NewReader(fleetRules))
	if err != nil {
		t.Fatal(err)
	}
	const token = "fleet-token"
	logs := map[int]*lockedBuffer{}
	replicaCfg := func(i int) config {
		if logs[i] == nil {
			logs[i] = &lockedBuffer{}
		}
		// Failover off: with it, the breaker moves deposits off stripe and
		// its error-rate alert loses the calls it judges (failover has
		// its own tests); this one is about paging once.
		return config{rps: 20, token: token, rules: rules, noFailover: true, logger: slog.New(slog.NewTextHandler(logs[i], nil)),
			alertmanagers: peers, instanceID: fmt.Sprintf("casino-%d", i),
			amResend: time.Second, amSilenceRefresh: 500 * time.Millisecond}
	}
	replicas := []*demo{startDemo(t, replicaCfg(1)), startDemo(t, replicaCfg(2)), startDemo(t, replicaCfg(3))}
	base := func(i int) string { return replicas[i-1].ep.baseURL }

	// A silence made through replica 1's API goes to the cluster, with
	// the label spelling the alerts are forwarded in.
	now := time.Now().UTC()
	body := fmt.Sprintf(`{"matchers":[{"name":"igmon.dependency.name","value":"stripe","isRegex":false,"isEqual":true}],
		"startsAt":%q,"endsAt":%q,"createdBy":"ops","comment":"PSP maintenance"}`,
		now.Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	code, out := httpDo(t, http.MethodPost, base(1)+"/alerts/api/v2/silences", token, body)
	if code != http.StatusOK {
		t.Fatalf("silence on replica 1: %d %s", code, out)
	}
	var created struct {
		SilenceID string `json:"silenceID"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.SilenceID == "" {
		t.Fatalf("silence answer %s: %v", out, err)
	}
	id := created.SilenceID
	for _, u := range append(slices.Clone(peers), base(2)+"/alerts", base(3)+"/alerts") {
		eventually(t, 30*time.Second, u+" lists the silence", func() bool {
			var s struct {
				Status   struct{ State string }  `json:"status"`
				Matchers []struct{ Name string } `json:"matchers"`
			}
			return getJSON(u+"/api/v2/silence/"+id, token, &s) == nil && s.Status.State == "active" &&
				len(s.Matchers) == 1 && s.Matchers[0].Name == "igmon_dependency_name"
		})
	}

	// stripe fails on every replica: each raises the alert and posts it
	// to both peers, which hold it silenced.
	for i := 1; i <= 3; i++ {
		post(t, base(i)+faultsEndpoint, `{"provider":"stripe","fault":{"error_rate":0.6}}`)
	}
	for i := 1; i <= 3; i++ {
		eventually(t, time.Minute, fmt.Sprintf("replica %d fires", i), func() bool {
			_, ok := stripeAlert(t, base(i)+"/alerts", token)
			return ok
		})
	}
	var suppressedSince time.Time
	eventually(t, 30*time.Second, "both peers hold the alert silenced", func() bool {
		for _, p := range peers {
			a, ok := stripeAlert(t, p, "")
			if !ok || a.Status.State != "suppressed" || !slices.Contains(a.Status.SilencedBy, id) {
				return false
			}
			if a.Labels["service"] != "casino" || a.Labels["environment"] != "demo" || a.Labels["instance"] != "" {
				t.Fatalf("forwarded labels %v: want service and environment, no instance", a.Labels)
			}
		}
		suppressedSince = time.Now()
		return true
	})
	// Muted past the cluster's group wait, group interval and the second
	// peer's wait: nothing may have been sent.
	eventually(t, time.Minute, "the silence outlasting a notification cycle", func() bool {
		return time.Since(suppressedSince) > 2*amGroupInterval+amPeerTimeout
	})
	if n := hook.count("firing") + hook.count("resolved"); n != 0 {
		t.Fatalf("%d notifications while silenced", n)
	}

	// Expired through replica 3: the cluster notifies once.
	if code, out := httpDo(t, http.MethodDelete, base(3)+"/alerts/api/v2/silence/"+id, token, ""); code != http.StatusOK {
		t.Fatalf("expire on replica 3: %d %s", code, out)
	}
	eventually(t, time.Minute, "one firing notification", func() bool { return hook.count("firing") >= 1 })

	// Replica 2 restarts while the alert fires: same labels, same alert.
	if err := replicas[1].stop(); err != nil {
		t.Fatal(err)
	}
	replicas[1] = startDemo(t, replicaCfg(2))
	post(t, base(2)+faultsEndpoint, `{"provider":"stripe","fault":{"error_rate":0.6}}`)
	eventually(t, time.Minute, "restarted replica 2 fires", func() bool {
		_, ok := stripeAlert(t, base(2)+"/alerts", token)
		return ok
	})

	for i := 1; i <= 3; i++ {
		post(t, base(i)+faultsEndpoint, `{"reset":true}`)
	}
	eventually(t, 2*time.Minute, "one resolved notification", func() bool { return hook.count("resolved") >= 1 })
	resolvedAt := time.Now()
	// The second peer would send a duplicate after its peer timeout.
	eventually(t, time.Minute, "the dedup window passing", func() bool {
		return time.Since(resolvedAt) > 2*amPeerTimeout+2*amGroupInterval
	})
	if f, r := hook.count("firing"), hook.count("resolved"); f != 1 || r != 1 {
		hook.mu.Lock()
		msgs, _ := json.MarshalIndent(hook.msgs, "", " ")
		hook.mu.Unlock()
		for i, l := range logs {
			for _, line := range strings.Split(l.String(), "\n") {
				if strings.Contains(line, "DependencyErrorRate") || strings.Contains(line, "alertmanager") {
					t.Logf("replica %d: %s", i, line)
				}
			}
		}
		t.Fatalf("%d firing and %d resolved notifications, want 1 and 1:\n%s", f, r, bytes.TrimSpace(msgs))
	}
	t.Logf("fleet e2e took %v", time.Since(start).Round(time.Millisecond))
}

func TestAlertmanagerFlagListsEveryPeer(t *testing.T) {
	cfg, err := parseFlags([]string{"-alertmanager", "http://am-0:9093, http://am-1:9093", "-instance", "pod-1"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.alertmanagers, []string{"http://am-0:9093", "http://am-1:9093"}) || cfg.instanceID != "pod-1" {
		t.Fatalf("alertmanagers %q, instance %q", cfg.alertmanagers, cfg.instanceID)
	}
}
