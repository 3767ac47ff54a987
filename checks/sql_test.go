package checks

import (
	"database/sql"
	"os"
	"os/exec"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// openPostgres opens a pool on the PostgreSQL server CI starts. It skips only
// outside CI when the server is not configured.
func openPostgres(t testing.TB) *sql.DB {
	t.Helper()
	dsn := os.Getenv("IGMON_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("IGMON_TEST_POSTGRES_DSN is not set in CI: .ci/run starts PostgreSQL and exports it")
		}
		t.Skip("IGMON_TEST_POSTGRES_DSN is not set: run `source .ci/postgres.sh; start_postgres` (or .ci/test) to test against a real PostgreSQL")
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(4)
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQL(t *testing.T) {
	db := openPostgres(t)
	tests := []struct {
		name   string
		opts   []Option
		status Status
	}{
		{"ping", nil, StatusPass},
		{"select 1", []Option{WithQuery("SELECT 1")}, StatusPass},
		{"real table query", []Option{WithQuery("SELECT count(*) FROM pg_catalog.pg_tables")}, StatusPass},
		{"bad query", []Option{WithQuery("SELECT * FROM no_such_wallet_table")}, StatusFail},
		{"slow is warn", []Option{WithLatencyWarn(time.Nanosecond)}, StatusWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := SQL(db, tt.opts...)
			o := runOnce(t, built(t, c, err))
			wantOutcome(t, o, tt.status, nil)
			if o.Details["pool.maxOpen"] != "4" {
				t.Errorf("details = %v, want pool.maxOpen 4", o.Details)
			}
			for _, k := range []string{"pool.open", "pool.inUse", "pool.idle", "pool.waitCount"} {
				if _, ok := o.Details[k]; !ok {
					t.Errorf("detail %s missing from %v", k, o.Details)
				}
			}
		})
	}
	// The check never grows the service's pool beyond its own limits.
	if st := db.Stats(); st.OpenConnections > 4 {
		t.Errorf("open connections = %d, want at most the pool's 4", st.OpenConnections)
	}
}

// pgctl runs the CI's pg_ctl command prefix with action (stop / start).
func pgctl(t *testing.T, action string) {
	t.Helper()
	ctl := os.Getenv("IGMON_TEST_POSTGRES_CTL")
	if ctl == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("IGMON_TEST_POSTGRES_CTL is not set in CI")
		}
		t.Skip("IGMON_TEST_POSTGRES_CTL is not set: cannot stop and restart the server")
	}
	out, err := exec.Command("bash", "-c", ctl+" "+action).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_ctl %s: %v\n%s", action, err, out)
	}
}

func TestSQLServerStopAndRestart(t *testing.T) {
	if os.Getenv("IGMON_TEST_POSTGRES_CTL") == "" && os.Getenv("CI") == "" {
		t.Skip("IGMON_TEST_POSTGRES_CTL is not set")
	}
	// The server this test stops is its own (IGMON_TEST_POSTGRES_RESTART_DSN),
	// so other packages testing in parallel never see the outage.
	if dsn := os.Getenv("IGMON_TEST_POSTGRES_RESTART_DSN"); dsn != "" {
		t.Setenv("IGMON_TEST_POSTGRES_DSN", dsn)
	} else if os.Getenv("CI") != "" {
		t.Fatal("IGMON_TEST_POSTGRES_RESTART_DSN is not set in CI")
	}
	db := openPostgres(t)
	const timeout = 2 * time.Second
	c, err := SQL(db, WithQuery("SELECT 1"), WithTimeout(timeout))
	c = built(t, c, err)
	wantOutcome(t, runOnce(t, c), StatusPass, nil)

	pgctl(t, "stop")
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			pgctl(t, "start")
		}
	})
	// Stopped: the check fails, and it does so within its timeout rather
	// than hanging (Run returns at the timeout at the latest).
	o := runOnce(t, c)
	wantOutcome(t, o, StatusFail, nil)
	t.Logf("while stopped: %v (after %v)", o.Err, o.Duration)

	pgctl(t, "start")
	restarted = true
	// Back: the pool replaces its dead connections and the check passes
	// again. Reconnecting may take a few attempts on a loaded machine.
	deadline := time.Now().Add(30 * time.Second)
	for {
		o = runOnce(t, c)
		if o.Status == StatusPass {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("check did not pass within 30s of the restart: %v", o.Err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if o.Details["pool.maxOpen"] != "4" {
		t.Errorf("pool stats lost: %v", o.Details)
	}
}
