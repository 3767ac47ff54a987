package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: the
// demo starts servers, providers, traffic and a Monitor, and every one of
// them must stop with the service.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
