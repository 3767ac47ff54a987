package series

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestEngineRunsReadersInOrderOnOneCollection: every reader of a cycle sees
// the same collection and sequence number, in registration order, and a
// failed collection still runs them on no data.
func TestEngineRunsReadersInOrderOnOneCollection(t *testing.T) {
	collects := 0
	fail := false
	src := sourceFunc(func(_ context.Context, rm *metricdata.ResourceMetrics) error {
		collects++
		if fail {
			return errors.New("collector gone")
		}
		*rm = metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{counterOf("calls", map[string]int64{"a": int64(collects)})}}}}
		return nil
	})
	eng := NewEngine(src, 8, 100, func() time.Time { return t0 })
	var order []string
	var seqs []uint64
	for _, name := range []string{"rules", "status"} {
		eng.OnCycle(func(c *Cycle) {
			order = append(order, name)
			seqs = append(seqs, c.Seq)
			if name == "status" && !fail && len(c.RM.ScopeMetrics) != 1 {
				t.Errorf("reader %s saw no collection", name)
			}
			if fail && (c.Err == nil || len(c.RM.ScopeMetrics) != 0) {
				t.Errorf("a failed collection reached the readers as data: err %v", c.Err)
			}
		})
	}
	if err := eng.Cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	fail = true
	if err := eng.Cycle(context.Background()); err == nil {
		t.Fatal("a failed collection returned no error")
	}
	if want := []string{"rules", "status", "rules", "status"}; !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	if seqs[0] != seqs[1] || seqs[2] != seqs[3] || seqs[0] == seqs[2] || collects != 2 {
		t.Fatalf("seqs %v and %d collections: want one collection per cycle shared by its readers", seqs, collects)
	}
}

// TestEngineLoopTakesTheShortestInterval: Start runs cycles at its
// interval, a second Start with a shorter one speeds the loop up, and Stop
// waits for it.
func TestEngineLoopTakesTheShortestInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := NewEngine(sourceFunc(func(context.Context, *metricdata.ResourceMetrics) error { return nil }), 8, 100, nil)
		var n atomic.Int64
		cycles := func() int { return int(n.Load()) }
		eng.OnCycle(func(*Cycle) { n.Add(1) })
		if err := eng.Start(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if cycles() != 1 {
			t.Fatalf("%d cycles right after Start, want 1", cycles())
		}
		time.Sleep(15 * time.Second)
		synctest.Wait()
		if cycles() != 2 {
			t.Fatalf("%d cycles after 15s, want 2", cycles())
		}
		if err := eng.Start(5 * time.Second); err != nil { // the status asks for more
			t.Fatal(err)
		}
		synctest.Wait()
		before := cycles()
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if got := cycles() - before; got != 4 {
			t.Fatalf("%d cycles in 20s at a 5s interval, want 4", got)
		}
		if err := eng.Start(time.Minute); err != nil { // slower: no change
			t.Fatal(err)
		}
		eng.Stop()
		stopped := cycles()
		time.Sleep(time.Minute)
		if cycles() != stopped {
			t.Fatal("cycles after Stop")
		}
		if err := eng.Start(0); err == nil {
			t.Fatal("a zero interval was accepted")
		}
	})
}

// TestSelectAfterFirstCollectionFails: a window added once series exist
// would have no history; Select refuses it instead of reading garbage.
func TestSelectAfterFirstCollectionFails(t *testing.T) {
	h := callsStore(t, 100)
	h.step()
	if _, err := h.st.Select("calls", "calls", matchAll{}, h.st.Grouping(nil), time.Hour); err == nil {
		t.Fatal("a new window after the first collection was accepted")
	}
	if s, err := h.st.Select("calls", "calls", matchAll{}, h.st.Grouping(nil), 5*time.Minute); err == nil || s != nil {
		t.Fatalf("a new selection after the first collection: %v, %v", s, err)
	}
}
