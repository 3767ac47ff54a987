package monitor

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sync"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/probes"
)

// probeSet is what the Monitor collects about the host, the process and
// the outside world.
type probeSet struct {
	mu        sync.Mutex
	closers   []io.Closer
	synthetic []*probes.Probe
}

// startSystemProbes registers the host, process, Go runtime and cgroup
// collectors. They are asynchronous instruments: they cost nothing between
// collections.
func (m *Monitor) startSystemProbes() error {
	if m.cfg.noSystemMetrics {
		return nil
	}
	mp := m.mp
	host, err := probes.Host(mp)
	if err != nil {
		return fmt.Errorf("monitor: host metrics: %w", err)
	}
	m.probes.add(host)
	proc, err := probes.Process(mp)
	if err != nil {
		return m.closeProbesErr(fmt.Errorf("monitor: process metrics: %w", err))
	}
	m.probes.add(proc)
	rt, err := probes.Runtime(mp)
	if err != nil {
		return m.closeProbesErr(fmt.Errorf("monitor: runtime metrics: %w", err))
	}
	m.probes.add(rt)
	cg, err := probes.Cgroup(mp)
	if err != nil {
		return m.closeProbesErr(fmt.Errorf("monitor: cgroup metrics: %w", err))
	}
	m.probes.add(cg)
	return nil
}

// systemProducers are the part of the system metrics the metric API cannot
// record: go.schedule.duration, the Go scheduler's own histogram. A
// producer is an option of a reader, so initTelemetry passes them when it
// builds the in-process reader and the push exporters' readers, before
// startSystemProbes runs. Readers the Monitor did not build (WithInProcess,
// WithMeterProvider, pull exporters) need
// probes.RuntimeProducer() added by whoever builds them.
func (m *Monitor) systemProducers() []sdkmetric.Producer {
	if m.cfg.noSystemMetrics {
		return nil
	}
	return []sdkmetric.Producer{probes.RuntimeProducer()}
}

func (s *probeSet) add(c io.Closer) {
	s.mu.Lock()
	s.closers = append(s.closers, c)
	s.mu.Unlock()
}

func (m *Monitor) closeProbesErr(err error) error {
	return errors.Join(err, m.closeProbes())
}

func (m *Monitor) closeProbes() error {
	m.probes.mu.Lock()
	cs := m.probes.closers
	m.probes.closers = nil
	m.probes.mu.Unlock()
	var errs []error
	for i := len(cs) - 1; i >= 0; i-- {
		if err := cs[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DBPool publishes the pool statistics of db as db.client.connection.*
// metrics under pool name name.
func (m *Monitor) DBPool(name string, db *sql.DB, opts ...probes.DBPoolOption) error {
	p, err := probes.DBPool(m.mp, name, db, opts...)
	if err != nil {
		return err
	}
	m.probes.add(p)
	return nil
}

// AddProbe runs a synthetic probe (built with probes.HTTP, TCP, DNS, TLS
// or GRPCHealth on m.MeterProvider()) as a background check, so /readyz
// (only with checks.WithCritical(true) and readiness), the dashboard and
// alert rules see it. The Monitor closes the probe on Shutdown.
func (m *Monitor) AddProbe(p *probes.Probe, opts ...checks.ProbeOption) error {
	c, err := p.Check(opts...)
	if err != nil {
		return err
	}
	if err := m.checks.Add(c); err != nil {
		return err
	}
	m.probes.mu.Lock()
	m.probes.synthetic = append(m.probes.synthetic, p)
	m.probes.mu.Unlock()
	m.probes.add(p)
	return nil
}

// syntheticProbes returns the synthetic probes added with AddProbe.
func (m *Monitor) syntheticProbes() []*probes.Probe {
	m.probes.mu.Lock()
	defer m.probes.mu.Unlock()
	return append([]*probes.Probe(nil), m.probes.synthetic...)
}
