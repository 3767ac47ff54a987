package checks

import (
	"database/sql"
	"testing"
	"time"

	"github.com/jackcode/igmon/internal/pgtest"
)

// openPostgres opens a pool of at most 4 connections on the server dsn
// names: the tests check that the pool statistics report the limit and
// that a check never grows the pool past it.
func openPostgres(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db := pgtest.Open(t, dsn)
	db.SetMaxOpenConns(4)
	return db
}

func TestSQL(t *testing.T) {
	db := openPostgres(t, pgtest.DSN(t))
	tests := []struct {
		name   string
		query  string
		opts   []RoundTripOption
		status Status
	}{
		{"ping", "", nil, StatusPass},
		{"select 1", "SELECT 1", nil, StatusPass},
		{"real table query", "SELECT count(*) FROM pg_catalog.pg_tables", nil, StatusPass},
		{"bad query", "SELECT * FROM no_such_wallet_table", nil, StatusFail},
		{"slow is warn", "", []RoundTripOption{WithLatencyWarn(time.Nanosecond)}, StatusWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := SQL(db, tt.query, tt.opts...)
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

func TestSQLServerStopAndRestart(t *testing.T) {
	// The server this test stops is its own (pgtest.RestartDSN), so other
	// packages testing in parallel never see the outage.
	db := openPostgres(t, pgtest.RestartDSN(t))
	const timeout = 2 * time.Second
	c, err := SQL(db, "SELECT 1", WithTimeout(timeout))
	c = built(t, c, err)
	wantOutcome(t, runOnce(t, c), StatusPass, nil)

	pgtest.Stop(t)
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			pgtest.Start(t)
		}
	})
	// Stopped: the check fails, and it does so within its timeout rather
	// than hanging (Run returns at the timeout at the latest).
	o := runOnce(t, c)
	wantOutcome(t, o, StatusFail, nil)
	t.Logf("while stopped: %v (after %v)", o.Err, o.Duration)
	// The dead connection is gone from the pool, not kept to fail again.
	if o.Details["pool.open"] != "0" {
		t.Errorf("pool while stopped: %v, want no open connection", o.Details)
	}

	pgtest.Start(t)
	restarted = true
	// Back: the very next run passes. Start returns once the server
	// accepts connections (pg_ctl -w), and the pool holds no dead
	// connection (above), so this run dials a fresh one: no retrying,
	// no waiting.
	o = runOnce(t, c)
	wantOutcome(t, o, StatusPass, nil)
	if o.Details["pool.maxOpen"] != "4" {
		t.Errorf("pool stats lost: %v", o.Details)
	}
}
