package alerting

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/jackcode/igmon/internal/tooltest"
)

// fingerprintCases are label sets with the fingerprints Alertmanager
// v0.31.1 gives them (read from its API by TestFingerprintMatchesAlertmanager,
// which checks every case against the real binary).
var fingerprintCases = []struct {
	name   string
	labels Labels
	want   string
}{
	{"one label", Labels{"alertname": "CPU"}, "e210ad3b5b2d7af4"},
	{"several, given unsorted", Labels{"team": "platform", "alertname": "CPU", "severity": "page"}, "ff9659ff855c146a"},
	{"names in byte order", Labels{"a": "1", "B": "2", "_x": "3", "a_b": "4", "alertname": "Order"}, "193c0451386f1798"},
	{"name/value boundary 1", Labels{"alertname": "Split", "ab": "c"}, "d1ae9ffcbaf7d59a"},
	{"name/value boundary 2", Labels{"alertname": "Split", "a": "bc"}, "0cdf76a07b4332c0"},
	{"an empty value is no label", Labels{"alertname": "CPU", "instance": ""}, "e210ad3b5b2d7af4"},
	{"UTF-8 values", Labels{"alertname": "Dépôt", "msg": "日本語 ✓"}, "0b677f0290940ac3"},
	{"quotes, newline, braces", Labels{"alertname": "Esc", "v": "a\"b\nc}{=,"}, "b0c8a21977480244"},
	{"UTF-8 name", Labels{"alertname": "Dotted", "service.name": "casino-api"}, "b0165e9b1e34c6c0"},
	{"long value", Labels{"alertname": "Long", "v": strings.Repeat("x", 1000)}, "cbf379054f72e94a"},
}

// refFingerprint is prometheus/common's model.LabelSet.Fingerprint written
// with the standard library's FNV-1a and sort, independently of
// Labels.Fingerprint.
func refFingerprint(l Labels) string {
	var names []string
	for k, v := range l {
		if v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	h := fnv.New64a()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0xff})
		h.Write([]byte(l[n]))
		h.Write([]byte{0xff})
	}
	return fmt.Sprintf("%016x", binary.BigEndian.Uint64(h.Sum(nil)))
}

func TestFingerprintIsAlertmanagers(t *testing.T) {
	for _, tc := range fingerprintCases {
		if got := tc.labels.Fingerprint(); got != tc.want || got != refFingerprint(tc.labels) {
			t.Errorf("%s: %v.Fingerprint() = %s, want %s (reference %s)", tc.name, tc.labels, got, tc.want, refFingerprint(tc.labels))
		}
	}
	// No labels at all: FNV-1a's offset basis, as model.LabelSet{} has.
	if got := (Labels{}).Fingerprint(); got != "cbf29ce484222325" {
		t.Errorf("empty: %s", got)
	}
	if got := Labels(nil).Fingerprint(); got != "cbf29ce484222325" {
		t.Errorf("nil: %s", got)
	}
}

func FuzzFingerprint(f *testing.F) {
	f.Add("alertname", "CPU", "team", "platform")
	f.Add("a", "bc", "ab", "c")
	f.Add("x", "", "y", "\xff\xfe")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		l := Labels{k1: v1, k2: v2}
		if got, want := l.Fingerprint(), refFingerprint(l); got != want {
			t.Fatalf("%q: %s, reference %s", l, got, want)
		}
	})
}

func BenchmarkFingerprint(b *testing.B) {
	l := Labels{"alertname": "DepositErrors", "team": "payments", "severity": "page", "service": "casino-api", "psp": "stripe"}
	b.ReportAllocs()
	for b.Loop() {
		_ = l.Fingerprint()
	}
}

// TestFingerprintMatchesAlertmanager posts the cases to the real
// Alertmanager and compares the fingerprints its API reports.
func TestFingerprintMatchesAlertmanager(t *testing.T) {
	url := tooltest.StartAlertmanager(t)
	var post []map[string]any
	for _, tc := range fingerprintCases {
		post = append(post, map[string]any{"labels": tc.labels})
	}
	body, _ := json.Marshal(post)
	resp, err := http.Post(url+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST alerts: %s", resp.Status)
	}
	resp, err = http.Get(url + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []struct {
		Labels      Labels `json:"labels"`
		Fingerprint string `json:"fingerprint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	// Alertmanager drops empty labels: key what it lists by the rest.
	byLabels := map[string]string{}
	for _, a := range got {
		byLabels[a.Labels.String()] = a.Fingerprint
	}
	for _, tc := range fingerprintCases {
		nonEmpty := maps.Clone(tc.labels)
		maps.DeleteFunc(nonEmpty, func(_, v string) bool { return v == "" })
		am, ok := byLabels[nonEmpty.String()]
		switch {
		case !ok:
			t.Errorf("%s: Alertmanager does not list %v; it lists %v", tc.name, nonEmpty, slices.Collect(maps.Keys(byLabels)))
		case am != tc.labels.Fingerprint():
			t.Errorf("%s: Alertmanager %s, igmon %s", tc.name, am, tc.labels.Fingerprint())
		case am != tc.want:
			t.Errorf("%s: Alertmanager %s, the table says %s", tc.name, am, tc.want)
		}
	}
}
