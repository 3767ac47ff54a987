package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/internal/tooltest"
)

// The real amtool (Alertmanager v0.31.1, built by .ci/tools.sh) against
// the handler on a loopback server: what an operator types is what the
// test runs, and what amtool prints is what it checks.

type amtoolRun struct {
	stdout, stderr string
	err            error // non-nil when amtool exits non-zero
}

// amtoolCLI runs one amtool binary against one Alertmanager URL.
type amtoolCLI struct {
	t     *testing.T
	bin   string
	url   string
	home  string // HOME: no ~/.config/amtool/config.yml of the machine's
	creds string // --http.config.file sending the operator's token
}

func newAmtool(t *testing.T, url string) *amtoolCLI {
	t.Helper()
	c := &amtoolCLI{t: t, bin: tooltest.Path(t, tooltest.Amtool), url: url, home: t.TempDir()}
	c.creds = filepath.Join(c.home, "ops.yml")
	if err := os.WriteFile(c.creds, []byte("authorization:\n  type: Bearer\n  credentials: ops\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// run runs amtool with args after --alertmanager.url, as an operator
// (with the bearer token) or anonymously.
func (c *amtoolCLI) run(operator bool, args ...string) amtoolRun {
	c.t.Helper()
	full := []string{"--alertmanager.url=" + c.url}
	if operator {
		full = append(full, "--http.config.file="+c.creds)
	}
	full = append(full, args...)
	cmd := exec.Command(c.bin, full...)
	cmd.Env = append(os.Environ(), "HOME="+c.home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		c.t.Fatalf("amtool %v: %v", args, err)
	}
	r := amtoolRun{stdout: out.String(), stderr: errb.String(), err: err}
	c.t.Logf("$ amtool %s\n%s%s(exit: %v)", strings.Join(args, " "), r.stdout, r.stderr, err)
	// amtool compares the version /api/v2/status reports with its own on
	// every call and prints a warning to stderr when they differ.
	if strings.Contains(r.stderr, "Warning") {
		c.t.Errorf("amtool %v warns: %s", args, r.stderr)
	}
	return r
}

// ok runs amtool and fails the test unless it exits 0 with nothing on
// stderr.
func (c *amtoolCLI) ok(operator bool, args ...string) string {
	c.t.Helper()
	r := c.run(operator, args...)
	if r.err != nil || r.stderr != "" {
		c.t.Fatalf("amtool %v: %v\nstdout: %s\nstderr: %s", args, r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// amtoolVersion is the version amtool was built with ("" for a build
// without the release's -X flag, which skips amtool's version check).
func amtoolVersion(t *testing.T, bin string) string {
	t.Helper()
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("amtool --version: %v %s", err, out)
	}
	m := regexp.MustCompile(`amtool, version (\S*) `).FindSubmatch(out)
	if m == nil {
		t.Fatalf("amtool --version: %s", out)
	}
	return string(m[1])
}

// amtoolAlert is what `amtool -o json alert query` prints of an alert.
type amtoolAlert struct {
	Labels      map[string]string `json:"labels"`
	Fingerprint string            `json:"fingerprint"`
	Status      struct {
		State       string   `json:"state"`
		SilencedBy  []string `json:"silencedBy"`
		InhibitedBy []string `json:"inhibitedBy"`
		MutedBy     []string `json:"mutedBy"`
	} `json:"status"`
}

func TestAmtoolReadsAlertsAndManagesSilences(t *testing.T) {
	e := newAMEnv(t)
	am := newAmtool(t, e.srv.URL+amPrefix)
	if v := amtoolVersion(t, am.bin); v == "" {
		// Then "no warning" below proves nothing.
		msg := "this amtool was built without a release version and skips its version check: build it as .ci/tools.sh does"
		if os.Getenv("CI") != "" {
			t.Error(msg)
		} else {
			t.Log(msg)
		}
	}
	// amtool writes silences at its own wall-clock time: bring the fake
	// clock to it (the alerts keep firing; the maintenance window, at t0,
	// is over).
	e.m.clk.Set(time.Now())

	// The status amtool reads before every command, and shows here.
	var st struct {
		Config      struct{ Original string }
		VersionInfo struct{ Version string }
	}
	if err := json.Unmarshal([]byte(am.ok(false, "-o", "json", "config", "show")), &st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.Config.Original, `receiver: "oncall"`) || !strings.HasPrefix(st.VersionInfo.Version, amAPIVersion+"+igmon.") {
		t.Errorf("config show: %+v", st)
	}

	// Anonymous reads: the firing, unsuppressed alerts.
	out := am.ok(false, "alert", "query")
	if !strings.Contains(out, "CPU") || !strings.Contains(out, "KYC") || strings.Contains(out, "Memory") {
		t.Errorf("alert query lists %s, want CPU and KYC (Memory is inhibited)", out)
	}
	if out := am.ok(false, "alert", "query", "--inhibited", "alertname=Memory"); !strings.Contains(out, "Memory") {
		t.Errorf("alert query --inhibited: %s", out)
	}
	var alerts []amtoolAlert
	if err := json.Unmarshal([]byte(am.ok(false, "-o", "json", "alert", "query", "--active", "--inhibited")), &alerts); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 3 {
		t.Fatalf("alerts %+v", alerts)
	}
	for _, a := range alerts {
		if a.Fingerprint != alerting.Labels(a.Labels).Fingerprint() || a.Status.MutedBy == nil {
			t.Errorf("alert %+v: fingerprint %s, want %s; mutedBy must be present", a, a.Fingerprint, alerting.Labels(a.Labels).Fingerprint())
		}
	}

	// The silence round trip, as an operator.
	id := strings.TrimSpace(am.ok(true, "silence", "add", "alertname=CPU", "team=platform",
		"--author=ana", "--comment=host migration", "--duration=2h"))
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Fatalf("silence add printed %q, want the new ID", id)
	}
	e.m.clk.Set(time.Now())
	if out := am.ok(true, "silence", "query"); !strings.Contains(out, id) || !strings.Contains(out, "host migration") ||
		!strings.Contains(out, `alertname="CPU"`) {
		t.Errorf("silence query: %s", out)
	}
	if out := am.ok(true, "silence", "query", "-q"); strings.TrimSpace(out) != id {
		t.Errorf("silence query -q: %q, want %q", out, id)
	}
	if out := am.ok(false, "alert", "query"); strings.Contains(out, "CPU") {
		t.Errorf("the silenced alert is still listed as active: %s", out)
	}
	if out := am.ok(false, "alert", "query", "--silenced", "alertname=CPU"); !strings.Contains(out, "CPU") {
		t.Errorf("alert query --silenced: %s", out)
	}
	am.ok(true, "silence", "expire", id)
	e.m.clk.Set(time.Now())
	if out := am.ok(true, "silence", "query"); strings.Contains(out, id) {
		t.Errorf("expired silence still listed: %s", out)
	}
	if out := am.ok(true, "silence", "query", "--expired"); !strings.Contains(out, id) {
		t.Errorf("silence query --expired: %s", out)
	}
	if out := am.ok(false, "alert", "query"); !strings.Contains(out, "CPU") {
		t.Errorf("alert not active again after the silence expired: %s", out)
	}
}

func TestAmtoolShowsWhyAWriteIsRefused(t *testing.T) {
	e := newAMEnv(t)
	am := newAmtool(t, e.srv.URL+amPrefix)
	e.m.clk.Set(time.Now())

	// silence add without credentials: amtool prints the reason.
	r := am.run(false, "silence", "add", "alertname=CPU", "--author=ana", "--comment=x")
	if r.err == nil || !strings.Contains(r.stderr, "forbidden: not authorized") || strings.Contains(r.stderr, "{}") {
		t.Errorf("unauthorized silence add: %v\nstderr: %s", r.err, r.stderr)
	}
	// A request the handler rejects after authorization, the same way.
	r = am.run(true, "silence", "add", `team=~".*"`, "--author=ana", "--comment=x")
	if r.err == nil || !strings.Contains(r.stderr, "must not match the empty string") {
		t.Errorf("silence of everything: %v\nstderr: %s", r.err, r.stderr)
	}
	if n := len(e.d.Silences().List()); n != 0 {
		t.Fatalf("%d silences created by refused requests", n)
	}

	// silence expire without credentials: the spec gives deleteSilence no
	// client error with a message, so amtool shows the status code.
	id := strings.TrimSpace(am.ok(true, "silence", "add", "alertname=CPU", "--author=ana", "--comment=x"))
	r = am.run(false, "silence", "expire", id)
	if r.err == nil || !strings.Contains(r.stderr, "403") {
		t.Errorf("unauthorized silence expire: %v\nstderr: %s", r.err, r.stderr)
	}
	if out := am.ok(true, "silence", "query", "-q"); strings.TrimSpace(out) != id {
		t.Errorf("refused expire changed the silences: %q", out)
	}
}
