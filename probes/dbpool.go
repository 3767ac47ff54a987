package probes

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/jackcode/igmon/internal/igsemconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// errInvalidPool is wrapped by every error about a bad DBPool argument.
var errInvalidPool = errors.New("probes: invalid db pool")

// DBPoolOption configures [DBPool].
type DBPoolOption interface {
	applyDBPool(*dbPoolConfig)
}

type dbPoolConfig struct {
	idleMax    int
	idleMaxSet bool
	err        error
}

type dbPoolOptionFunc func(*dbPoolConfig)

func (f dbPoolOptionFunc) applyDBPool(c *dbPoolConfig) { f(c) }

// WithIdleMax reports n as db.client.connection.idle.max. database/sql
// does not expose the value given to SetMaxIdleConns, so pass the same
// number here; without this option the metric is not reported.
func WithIdleMax(n int) DBPoolOption {
	return dbPoolOptionFunc(func(c *dbPoolConfig) {
		c.idleMax, c.idleMaxSet = n, true
		if n < 0 {
			c.err = fmt.Errorf("idle max: %d must not be negative", n)
		}
	})
}

// dbPoolProbe reports the connection-pool metrics of one *sql.DB.
type dbPoolProbe struct {
	reg  metric.Registration
	db   *sql.DB
	name string
	cfg  dbPoolConfig

	count, max, idleMax, waitCount, closed metric.Int64Observable
	waitDur                                metric.Float64Observable

	pool                          metric.ObserveOption
	idle, used                    metric.ObserveOption
	maxIdle, maxIdleTime, maxLife metric.ObserveOption
}

// DBPool registers the db.client.connection.* metrics of db under the pool
// name (db.client.connection.pool.name) on mp (nil means a no-op
// provider). The name should be unique in the application, e.g.
// "wallet-primary" or "host:5432/ledger". DBStats is read at collection
// time only; Close unregisters the metrics and does not close db.
func DBPool(mp metric.MeterProvider, name string, db *sql.DB, opts ...DBPoolOption) (io.Closer, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: name: must not be empty", errInvalidPool)
	}
	if db == nil {
		return nil, fmt.Errorf("%w %q: db: must not be nil", errInvalidPool, name)
	}
	var cfg dbPoolConfig
	for _, o := range opts {
		if o != nil {
			o.applyDBPool(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, fmt.Errorf("%w %q: %v", errInvalidPool, name, cfg.err)
	}
	pn := attribute.String("db.client.connection.pool.name", name)
	state := func(s string) metric.ObserveOption {
		return set(attribute.NewSet(pn, attribute.String("db.client.connection.state", s)))
	}
	reason := func(s string) metric.ObserveOption {
		return set(attribute.NewSet(pn, attribute.String(igsemconv.AttrDBCloseReason, s)))
	}
	p := &dbPoolProbe{
		db: db, name: name, cfg: cfg,
		pool: set(attribute.NewSet(pn)),
		idle: state("idle"), used: state("used"),
		maxIdle: reason("max_idle"), maxIdleTime: reason("max_idle_time"), maxLife: reason("max_lifetime"),
	}
	m := meterFrom(mp)
	var errs []error
	i64 := func(i metric.Int64Observable, err error) metric.Int64Observable {
		errs = append(errs, err)
		return i
	}
	p.count = i64(m.Int64ObservableUpDownCounter("db.client.connection.count", metric.WithUnit("{connection}"),
		metric.WithDescription("The number of connections that are currently in state described by the state attribute.")))
	p.max = i64(m.Int64ObservableUpDownCounter("db.client.connection.max", metric.WithUnit("{connection}"),
		metric.WithDescription("The maximum number of open connections allowed.")))
	p.idleMax = i64(m.Int64ObservableUpDownCounter("db.client.connection.idle.max", metric.WithUnit("{connection}"),
		metric.WithDescription("The maximum number of idle open connections allowed.")))
	p.waitCount = i64(m.Int64ObservableCounter(igsemconv.MetricDBWaitCount, metric.WithUnit("{request}"),
		metric.WithDescription("Requests that had to wait for a connection because the pool was at its maximum.")))
	p.closed = i64(m.Int64ObservableCounter(igsemconv.MetricDBClosed, metric.WithUnit("{connection}"),
		metric.WithDescription("Connections closed by the pool, by reason.")))
	wd, err := m.Float64ObservableCounter(igsemconv.MetricDBWaitDuration, metric.WithUnit("s"),
		metric.WithDescription("Total time requests spent waiting for a connection."))
	errs = append(errs, err)
	p.waitDur = wd
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("db pool %q: %w", name, err)
	}
	p.reg, err = m.RegisterCallback(p.observe, p.count, p.max, p.idleMax, p.waitCount, p.closed, p.waitDur)
	if err != nil {
		return nil, fmt.Errorf("db pool %q: %w", name, err)
	}
	return p, nil
}

// Name returns the pool name.
func (p *dbPoolProbe) poolName() string { return p.name }

// Close unregisters the pool metrics; it does not close the database. It is
// safe to call more than once.
func (p *dbPoolProbe) Close() error {
	if p == nil || p.reg == nil {
		return nil
	}
	err := p.reg.Unregister()
	p.reg = nil
	return err
}

func (p *dbPoolProbe) observe(_ context.Context, o metric.Observer) error {
	s := p.db.Stats()
	o.ObserveInt64(p.count, int64(s.Idle), p.idle)
	o.ObserveInt64(p.count, int64(s.InUse), p.used)
	if s.MaxOpenConnections > 0 { // 0 means unlimited: there is no maximum to report
		o.ObserveInt64(p.max, int64(s.MaxOpenConnections), p.pool)
	}
	if p.cfg.idleMaxSet {
		o.ObserveInt64(p.idleMax, int64(p.cfg.idleMax), p.pool)
	}
	o.ObserveInt64(p.waitCount, s.WaitCount, p.pool)
	o.ObserveFloat64(p.waitDur, s.WaitDuration.Seconds(), p.pool)
	o.ObserveInt64(p.closed, s.MaxIdleClosed, p.maxIdle)
	o.ObserveInt64(p.closed, s.MaxIdleTimeClosed, p.maxIdleTime)
	o.ObserveInt64(p.closed, s.MaxLifetimeClosed, p.maxLife)
	return nil
}
