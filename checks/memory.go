package checks

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"

	"github.com/shirou/gopsutil/v4/process"
)

type memoryConfig struct {
	builtin
	rssWarn, rssFail   uint64
	heapWarn, heapFail uint64
}

func memoryOption(name string, fn func(*memoryConfig)) Option {
	return specificOption[memoryConfig]{name: name, owner: "Memory", fn: fn}
}

func limits(field string, warn, fail uint64, b *builtin) {
	switch {
	case warn == 0 && fail == 0:
		b.fail(field, "at least one of warn and fail must be set")
	case warn != 0 && fail != 0 && warn > fail:
		b.fail(field, "warn %d is above fail %d: thresholds in the wrong order", warn, fail)
	}
}

// WithRSSLimit makes [Memory] warn above warn and fail above fail bytes of
// process resident set size (0 turns a level off).
func WithRSSLimit(warn, fail uint64) Option {
	return memoryOption("WithRSSLimit", func(c *memoryConfig) {
		c.rssWarn, c.rssFail = warn, fail
		limits("rss limit", warn, fail, &c.builtin)
	})
}

// WithHeapLimit makes [Memory] warn above warn and fail above fail bytes of
// live Go heap objects (0 turns a level off).
func WithHeapLimit(warn, fail uint64) Option {
	return memoryOption("WithHeapLimit", func(c *memoryConfig) {
		c.heapWarn, c.heapFail = warn, fail
		limits("heap limit", warn, fail, &c.builtin)
	})
}

const heapMetric = "/memory/classes/heap/objects:bytes"

// Memory checks the process's memory against [WithRSSLimit] (resident set
// size, through gopsutil) and/or [WithHeapLimit] (Go heap objects, through
// runtime/metrics, which does not stop the world). At least one limit is
// required. The RSS (or, without an RSS limit, the heap) is observed in
// bytes; both are details.
//
// The default name is "memory" and the component type system.
func Memory(opts ...Option) (*Check, error) {
	cfg := memoryConfig{builtin: newBuiltin("Memory", "memory", ComponentSystem, "rssBytes")}
	configure(&cfg, &cfg.builtin, opts)
	useRSS := cfg.rssWarn != 0 || cfg.rssFail != 0
	useHeap := cfg.heapWarn != 0 || cfg.heapFail != 0
	if !useRSS && !useHeap {
		cfg.fail("limits", "set WithRSSLimit or WithHeapLimit")
	}
	if !useRSS {
		cfg.s.measurement = "heapBytes"
	}
	var proc *process.Process
	if useRSS && cfg.err == nil {
		p, err := process.NewProcess(int32(os.Getpid()))
		if err != nil {
			cfg.fail("rss limit", "cannot read this process: %v", err)
		}
		proc = p
	}
	c := cfg
	return cfg.build(func(ctx context.Context) error {
		var heap, rss uint64
		if useHeap {
			sample := []metrics.Sample{{Name: heapMetric}}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				heap = sample[0].Value.Uint64()
			}
			Detail(ctx, "heapBytes", strconv.FormatUint(heap, 10))
			Observe(ctx, "heapBytes", float64(heap), "By")
		}
		if useRSS {
			mi, err := proc.MemoryInfoWithContext(ctx)
			if err != nil {
				return fmt.Errorf("memory: %w", err)
			}
			rss = mi.RSS
			Detail(ctx, "rssBytes", strconv.FormatUint(rss, 10))
			Observe(ctx, "rssBytes", float64(rss), "By")
		}
		return overLimits(
			limit{"rss", rss, c.rssWarn, c.rssFail},
			limit{"heap", heap, c.heapWarn, c.heapFail},
		)
	})
}

type limit struct {
	what           string
	value          uint64
	warnAt, failAt uint64
}

// overLimits fails on the first fail threshold crossed, else warns on the
// first warn threshold crossed.
func overLimits(ls ...limit) error {
	for _, l := range ls {
		if l.failAt != 0 && l.value > l.failAt {
			return fmt.Errorf("%w: %s %d bytes, above %d", ErrThresholdExceeded, l.what, l.value, l.failAt)
		}
	}
	for _, l := range ls {
		if l.warnAt != 0 && l.value > l.warnAt {
			return Warnf("%w: %s %d bytes, above %d", ErrThresholdExceeded, l.what, l.value, l.warnAt)
		}
	}
	return nil
}
