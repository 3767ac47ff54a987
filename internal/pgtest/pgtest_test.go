package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records how a helper ended the test.
// Skip and Fatal end the calling goroutine, as the real ones do.
type recorder struct {
	testing.TB // nil: a call to anything not overridden panics
	skipped    string
	failed     string
}

func (r *recorder) Helper()        {}
func (r *recorder) Cleanup(func()) {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a recorder on its own goroutine and returns what fn
// returned (empty when it was ended) and how it ended.
func run(fn func(testing.TB) string) (got string, r *recorder) {
	r = &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		got = fn(r)
	}()
	<-done
	return got, r
}

func TestSkipOrFail(t *testing.T) {
	const shared, restart, ctlCmd = "postgres://shared", "postgres://restart", "pg_ctl -D x"
	tests := []struct {
		name                string
		fn                  func(testing.TB) string
		ci, dsn, rdsn, ctl  string
		want, skip, failure string // failure/skip: a substring of the message
	}{
		{name: "DSN set", fn: DSN, dsn: shared, want: shared},
		{name: "DSN set in CI", fn: DSN, ci: "true", dsn: shared, want: shared},
		{name: "DSN unset skips", fn: DSN, skip: EnvDSN + " is not set: run `source .ci/postgres.sh"},
		{name: "DSN unset in CI fails", fn: DSN, ci: "true", failure: EnvDSN + " is not set in CI"},

		{name: "restart server", fn: RestartDSN, dsn: shared, rdsn: restart, ctl: ctlCmd, want: restart},
		{name: "restart in CI", fn: RestartDSN, ci: "1", dsn: shared, rdsn: restart, ctl: ctlCmd, want: restart},
		{name: "no control skips", fn: RestartDSN, dsn: shared, rdsn: restart, skip: EnvCtl + " is not set"},
		{name: "no control in CI fails", fn: RestartDSN, ci: "1", dsn: shared, rdsn: restart, failure: EnvCtl + " is not set in CI"},
		{name: "one server falls back to it", fn: RestartDSN, dsn: shared, ctl: ctlCmd, want: shared},
		{name: "one server in CI fails", fn: RestartDSN, ci: "1", dsn: shared, ctl: ctlCmd, failure: EnvRestartDSN + " is not set in CI"},
		{name: "no server at all skips", fn: RestartDSN, ctl: ctlCmd, skip: EnvDSN + " is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envCI, tt.ci)
			t.Setenv(EnvDSN, tt.dsn)
			t.Setenv(EnvRestartDSN, tt.rdsn)
			t.Setenv(EnvCtl, tt.ctl)
			got, r := run(tt.fn)
			if got != tt.want {
				t.Errorf("returned %q, want %q", got, tt.want)
			}
			if !matches(r.skipped, tt.skip) {
				t.Errorf("skip message %q, want one containing %q", r.skipped, tt.skip)
			}
			if !matches(r.failed, tt.failure) {
				t.Errorf("failure message %q, want one containing %q", r.failed, tt.failure)
			}
			if got := Configured(); got != (tt.dsn != "") {
				t.Errorf("Configured() = %v with %s=%q", got, EnvDSN, tt.dsn)
			}
		})
	}
}

// matches reports whether msg contains want, and is empty when want is.
func matches(msg, want string) bool {
	if want == "" {
		return msg == ""
	}
	return strings.Contains(msg, want)
}

// TestStopStartRunTheControlCommand runs Stop and Start with a control
// command that records its argument instead of running pg_ctl, so the
// shared test servers are not touched.
func TestStopStartRunTheControlCommand(t *testing.T) {
	t.Setenv(envCI, "")
	out := filepath.Join(t.TempDir(), "actions")
	// Quoted like CI's prefix, which carries pg_ctl's -o '...' options.
	t.Setenv(EnvCtl, fmt.Sprintf("printf '%%s\\n' >>'%s'", out))
	Stop(t)
	Start(t)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "stop\nstart\n" {
		t.Errorf("control command ran with %q, want stop then start", b)
	}

	t.Setenv(EnvCtl, "echo pg_ctl: no server running >&2; false")
	_, r := run(func(tb testing.TB) string { Stop(tb); return "" })
	if !strings.Contains(r.failed, EnvCtl+" stop") || !strings.Contains(r.failed, "pg_ctl: no server running") {
		t.Errorf("a failing control command reported %q, want the action and its output", r.failed)
	}

	t.Setenv(EnvCtl, "")
	_, r = run(func(tb testing.TB) string { Start(tb); return "" })
	if !strings.Contains(r.skipped, EnvCtl+" is not set") {
		t.Errorf("Start without a control command: skip %q, fail %q", r.skipped, r.failed)
	}
}

// TestOpenReachesTheServers checks the servers CI configures answer a
// query through the pools Open returns.
func TestOpenReachesTheServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	servers := map[string]func(testing.TB) string{"shared": DSN, "restart": RestartDSN}
	for name, dsn := range servers {
		t.Run(name, func(t *testing.T) {
			db := Open(t, dsn(t))
			var one int
			if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("SELECT 1 = %d, %v", one, err)
			}
		})
	}
}

func TestOpenClosesThePoolWhenTheTestEnds(t *testing.T) {
	dsn := DSN(t)
	var db interface{ PingContext(context.Context) error }
	t.Run("open", func(t *testing.T) { db = Open(t, dsn) })
	if err := db.PingContext(context.Background()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("ping after the test ended: %v, want the pool closed", err)
	}
}
