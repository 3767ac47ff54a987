package monitor

import (
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/exporters"
)

// Test-only helpers: options and accessors the tests need that users do not.

// currentAlerts returns the alerts the evaluator holds (pending, firing, recently
// resolved), or nil when alerting is off.
func (m *Monitor) currentAlerts() []alerting.Alert {
	if m.alerting == nil {
		return nil
	}
	return m.alerting.eval.Alerts()
}

// withTelemetryWarnAfter sets after how many consecutive failed export
// cycles the telemetry check warns (default 3).
func withTelemetryWarnAfter(n int) Option {
	return optionFunc(func(c *config) {
		if n < 1 {
			c.fail("withTelemetryWarnAfter", "%d must be at least 1", n)
		}
		c.telemetry.warnAfter = n
	})
}

// telemetryStatus returns the health of every push exporter (failures,
// last error, last success); empty when nothing is pushed.
func (m *Monitor) telemetryStatus() []exporters.ExportStatus {
	if m.tel.pipeline == nil {
		return nil
	}
	return m.tel.pipeline.Status()
}

// withTelemetryLogInterval sets the least time between two "export still
// failing" log lines per exporter (default 5m).
func withTelemetryLogInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d <= 0 {
			c.fail("withTelemetryLogInterval", "%v must be positive", d)
		}
		c.telemetry.logInterval = d
	})
}
