package monitor

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/jackcode/igmon/instrument"
	"github.com/jackcode/igmon/internal/instrumenthook"
)

// errDuplicateDependency is returned when a name is declared twice on one
// Monitor.
var errDuplicateDependency = errors.New("duplicate dependency")

// dependencySet is the Monitor's registry of the dependencies it watches.
type dependencySet struct {
	mu     sync.Mutex
	byName map[string]*instrument.Dependency
}

// own is the option that makes instrumentation record into the Monitor's
// provider and, for a dependency, read Stats from the Monitor's engine.
func (m *Monitor) own() instrument.Option {
	return instrumenthook.WithMonitor(m.mp, m.traffic.depFigures).(instrument.Option)
}

// Dependency declares a dependency the Monitor watches: instrument.NewDependency
// on the Monitor's MeterProvider, with Stats, HealthCheck and Health fed by
// the Monitor's series engine, a card on the dashboard and a place in the
// status rule. Kind, name and options are NewDependency's
// (instrument.WithMeterProvider excepted); names are unique per Monitor.
// The error names the field or the option, or says the name is taken.
func (m *Monitor) Dependency(kind, name string, opts ...instrument.DependencyOption) (*instrument.Dependency, error) {
	d, err := instrument.NewDependency(kind, name, append(slices.Clip(opts), m.own())...)
	if err != nil {
		return nil, err // "instrument: dependency ...": already names where it failed
	}
	m.deps.mu.Lock()
	defer m.deps.mu.Unlock()
	if _, dup := m.deps.byName[name]; dup {
		return nil, fmt.Errorf("monitor: %w %q", errDuplicateDependency, name)
	}
	if m.deps.byName == nil {
		m.deps.byName = make(map[string]*instrument.Dependency)
	}
	m.deps.byName[name] = d
	return d, nil
}

// Middleware is instrument.Middleware recording into the Monitor's
// MeterProvider, so that the dashboard's route cards and the alert rules
// see the requests. Options are Middleware's (instrument.WithMeterProvider
// excepted).
func (m *Monitor) Middleware(next http.Handler, opts ...instrument.MiddlewareOption) (http.Handler, error) {
	h, err := instrument.Middleware(next, append(slices.Clip(opts), m.own())...)
	if err != nil {
		return nil, err // "instrument: Middleware: ...": already names where it failed
	}
	return h, nil
}

// dependencyList returns the declared dependencies, sorted by kind and name.
func (m *Monitor) dependencyList() []*instrument.Dependency {
	m.deps.mu.Lock()
	ds := make([]*instrument.Dependency, 0, len(m.deps.byName))
	for _, d := range m.deps.byName {
		ds = append(ds, d)
	}
	m.deps.mu.Unlock()
	slices.SortFunc(ds, func(a, b *instrument.Dependency) int {
		if c := strings.Compare(a.Kind(), b.Kind()); c != 0 {
			return c
		}
		return strings.Compare(a.Name(), b.Name())
	})
	return ds
}
