package dispatch

import (
	"context"
	"time"

	"github.com/jackcode/igmon/alerting/internal/opts"
)

// Option configures [New]: the options of this package, or an
// alerting.SharedOption (alerting.WithLogger, WithMeterProvider,
// WithResource), which configures an Evaluator and a Dispatcher alike. A
// single-valued option given twice is refused, naming it; list options
// (WithRoute, WithReceiver, ...) add up.
type Option interface{ opts.Dispatcher }

// option makes an option of this package; list is true for one that adds
// to a list.
func option(name string, list bool, set func(*config)) Option {
	return opts.DispatcherOpt{Opt: opts.Opt{Name: name, List: list, Set: func(c *opts.Config) { set(c.Own.(*config)) }}}
}

// config is the Dispatcher's settings.
type config struct {
	opts.Config // Clock, Logger, MeterProvider, Resource

	routes       []Route
	receivers    []Receiver
	inhibits     []InhibitRule
	maintenance  []MaintenanceWindow
	tickInterval time.Duration
	sleep        func(ctx context.Context, d time.Duration) error
	externalURL  string
	onDelivery   func(deliveryOutcome)
	am           *Alertmanagers
}

// newConfig applies opts to the Dispatcher's defaults and validates them.
func newConfig(list []Option) (*config, error) {
	cfg := &config{Config: opts.Defaults(), tickInterval: time.Second}
	cfg.Own = cfg
	if err := opts.Apply("dispatch.New", &cfg.Config, list, Option.ApplyDispatcher); err != nil {
		return nil, err
	}
	return cfg, cfg.validate()
}

// deliveryOutcome is the final outcome of one notification to one receiver,
// after retries.
type deliveryOutcome struct {
	Receiver, GroupKey string
	Firing, Resolved   int
	// Err is nil when the receiver accepted the notification. Its text may
	// be shown only after redaction.
	Err error
}

// withDeliveryListener calls fn with the final outcome of every
// notification (the event log records them). It runs on the receiver's
// delivery goroutine and must not block.
func withDeliveryListener(fn func(deliveryOutcome)) Option {
	return option("WithDeliveryListener", false, func(c *config) { c.onDelivery = fn })
}
