package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: the
// demo starts servers, providers, traffic and a Monitor, and every one of
// them must stop with the service.
//
// With IGMON_CASINO_TEST_RUN_MAIN=1 the test binary is the demo instead:
// its arguments are the demo's flags (TestSignalStopsDemoAndRemovesSQLiteFile
// signals it as a separate process).
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(realMain(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	goleak.VerifyTestMain(m)
}
