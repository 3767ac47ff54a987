package monitor_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/alerting/dispatch"
	"github.com/jackcode/igmon/monitor"
)

// A silence made before a restart is still there after it: the second
// Monitor reads the state the first one saved at Shutdown.
func ExampleWithDataDir() {
	dir, _ := os.MkdirTemp("", "igmon-state")
	defer os.RemoveAll(dir)
	rules := []alerting.Rule{{Name: "WalletDBDown", Condition: &alerting.CheckState{Checks: []string{"wallet-db"}}}}
	newMonitor := func() *monitor.Monitor {
		m, err := monitor.New(monitor.WithLogger(slog.New(slog.DiscardHandler)), monitor.WithoutSystemMetrics(),
			monitor.WithDataDir(dir), monitor.WithAlerting(rules))
		if err != nil {
			panic(err)
		}
		return m
	}
	ctx := context.Background()

	m := newMonitor()
	db, _ := alerting.NewMatcher(alerting.MatchEqual, "igmon.check.name", "wallet-db")
	_, _ = m.Silences().Add(dispatch.Silence{Matchers: alerting.Matchers{db}, EndsAt: time.Now().Add(time.Hour),
		CreatedBy: "ana", Comment: "database migration"})
	_ = m.Shutdown(ctx)

	m = newMonitor() // the next process
	defer m.Shutdown(ctx)
	for _, s := range m.Silences().List() {
		fmt.Println(s.CreatedBy, s.Comment, s.Matchers)
	}
	// Output: ana database migration {igmon.check.name="wallet-db"}
}
