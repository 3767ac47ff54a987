package durable

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// The kill test re-runs this binary as the writer it kills.
	if dir := os.Getenv(childEnv); dir != "" {
		childWriter(dir)
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
