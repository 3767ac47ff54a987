// Package pgtest gives tests the real PostgreSQL servers that CI starts
// (.ci/postgres.sh), with one rule for every package: a test skips with a
// clear message only when a server is not configured and CI is not set, and
// fails when CI is set, so a CI run can never pass by silently skipping the
// database tests.
//
// The environment names the servers:
//
//   - IGMON_TEST_POSTGRES_DSN: the server shared by every test package
//     (a postgres:// DSN for the pgx stdlib driver);
//   - IGMON_TEST_POSTGRES_RESTART_DSN: a second server that only the tests
//     which stop and restart a server use, so packages testing in parallel
//     never see that outage;
//   - IGMON_TEST_POSTGRES_CTL: a shell command prefix (pg_ctl with its
//     options) that stops or starts that second server when "stop" or
//     "start" is appended.
//
// Only test binaries import this package: it is no part of the SDK.
package pgtest
