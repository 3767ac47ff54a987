package pgtest

import (
	"database/sql"
	"os"
	"os/exec"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver Open uses
)

// The environment variables CI sets; see the package documentation.
const (
	EnvDSN        = "IGMON_TEST_POSTGRES_DSN"
	EnvRestartDSN = "IGMON_TEST_POSTGRES_RESTART_DSN"
	EnvCtl        = "IGMON_TEST_POSTGRES_CTL"
)

// envCI is set by every CI system the project runs on; there the database
// tests must run rather than skip.
const envCI = "CI"

// Configured reports whether the shared server is configured. Benchmarks
// use it to skip without failing in CI, where they are not the gate.
func Configured() bool { return os.Getenv(EnvDSN) != "" }

// DSN returns the shared server's DSN. It skips t when the server is not
// configured outside CI and fails t in CI.
func DSN(t testing.TB) string {
	t.Helper()
	return require(t, EnvDSN, "run `source .ci/postgres.sh; start_postgres` (or .ci/test) to test against a real PostgreSQL")
}

// RestartDSN returns the DSN of the server that [Stop] and [Start]
// control, skipping or failing t like [DSN] when that control command is
// not configured. Outside CI, a setup with only one server (no
// IGMON_TEST_POSTGRES_RESTART_DSN) falls back to the shared one, which the
// control command then stops.
func RestartDSN(t testing.TB) string {
	t.Helper()
	require(t, EnvCtl, "cannot stop and restart a server")
	if dsn := os.Getenv(EnvRestartDSN); dsn != "" {
		return dsn
	}
	if inCI() {
		t.Fatalf("%s is not set in CI: .ci/run starts a second PostgreSQL for the restart tests and exports it", EnvRestartDSN)
	}
	return DSN(t)
}

// Open opens a pool on dsn with the pgx stdlib driver and closes it when
// the test ends. The pool has database/sql's default limits; tests that
// depend on a limit set it themselves.
func Open(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Stop stops the server [RestartDSN] names, waiting until it is down.
func Stop(t testing.TB) {
	t.Helper()
	ctl(t, "stop")
}

// Start starts the server [RestartDSN] names, waiting until it accepts
// connections.
func Start(t testing.TB) {
	t.Helper()
	ctl(t, "start")
}

func ctl(t testing.TB, action string) {
	t.Helper()
	prefix := require(t, EnvCtl, "cannot stop and restart a server")
	// The prefix is a shell command line (it quotes pg_ctl's -o options),
	// so it goes through the shell as CI wrote it.
	out, err := exec.Command("bash", "-c", prefix+" "+action).CombinedOutput()
	if err != nil {
		t.Fatalf("pgtest: %s %s: %v\n%s", EnvCtl, action, err, out)
	}
}

// require returns the value of the environment variable name, or skips t
// (outside CI, with hint) or fails it (in CI) when it is unset.
func require(t testing.TB, name, hint string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	if inCI() {
		t.Fatalf("%s is not set in CI: .ci/run starts PostgreSQL and exports it", name)
	}
	t.Skipf("%s is not set: %s", name, hint)
	return ""
}

func inCI() bool { return os.Getenv(envCI) != "" }
