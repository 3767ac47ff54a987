package monitor

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/jackcode/igmon/internal/igsemconv"
	"github.com/jackcode/igmon/internal/series"
)

// selectorDependencyErrors is the calls that carry an error.type: the
// evidence counts them by dependency and type over an alert's window.
const selectorDependencyErrors = igsemconv.MetricDependencyCalls + `{error.type!=""}`

// errorTypes is the engine reader behind the evidence's "top error types"
// line: per window of a rule, the increase of every (dependency,
// error.type) pair, published once per cycle.
type errorTypes struct {
	windows []time.Duration
	sel     *series.Selection
	cur     atomic.Pointer[map[time.Duration]map[string][]errorCount]
}

type errorCount struct {
	errType string
	n       float64
}

func newErrorTypes(eng *series.Engine, windows []time.Duration) (*errorTypes, error) {
	e := &errorTypes{}
	for _, w := range windows {
		if w > 0 && !slices.Contains(e.windows, w) {
			e.windows = append(e.windows, w)
		}
	}
	err := eng.Register(func(st *series.Store) error {
		var err error
		e.sel, err = selectOn(st, selectorDependencyErrors, []attribute.Key{igsemconv.AttrDependencyName, igsemconv.AttrErrorType}, e.windows...)
		return err
	})
	if err != nil {
		return nil, err
	}
	empty := map[time.Duration]map[string][]errorCount{}
	e.cur.Store(&empty)
	eng.OnCycle(e.cycle)
	return e, nil
}

func (e *errorTypes) cycle(c *series.Cycle) {
	out := make(map[time.Duration]map[string][]errorCount, len(e.windows))
	g := e.sel.Grouping()
	for _, w := range e.windows {
		sums := e.sel.Increases(w, c.Seq)
		byDep := map[string][]errorCount{}
		for i := range g.Len() {
			if sums.N[i] == 0 || sums.Sum[i] <= 0 {
				continue
			}
			l := g.Labels(i)
			dep := l[igsemconv.AttrDependencyName]
			byDep[dep] = append(byDep[dep], errorCount{l[igsemconv.AttrErrorType], sums.Sum[i]})
		}
		for _, list := range byDep {
			slices.SortFunc(list, func(a, b errorCount) int {
				if a.n != b.n {
					if a.n > b.n {
						return -1
					}
					return 1
				}
				return cmp.Compare(a.errType, b.errType)
			})
		}
		out[w] = byDep
	}
	e.cur.Store(&out)
}

// top returns the n most frequent error types of a dependency over
// window, as "503 (12)".
func (e *errorTypes) top(dep string, window time.Duration, n int) []string {
	list := (*e.cur.Load())[window][dep]
	var out []string
	for i, c := range list {
		if i == n {
			break
		}
		out = append(out, fmt.Sprintf("%s (%.0f)", c.errType, c.n))
	}
	return out
}
