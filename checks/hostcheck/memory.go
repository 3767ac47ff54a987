package hostcheck

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/internal/ext"
)

type memoryConfig struct {
	b                  ext.Builder
	rssWarn, rssFail   uint64
	heapWarn, heapFail uint64
}

func memoryOption(name string, fn func(*memoryConfig)) checks.MemoryOption {
	return ext.Option[checks.MemoryOption](name, "hostcheck.Memory", fn)
}

func limits(field string, warn, fail uint64, b ext.Builder) {
	switch {
	case warn == 0 && fail == 0:
		b.Fail(field, "at least one of warn and fail must be set")
	case warn != 0 && fail != 0 && warn > fail:
		b.Fail(field, "warn %d is above fail %d: thresholds in the wrong order", warn, fail)
	}
}

// WithRSSLimit makes [Memory] warn above warn and fail above fail bytes of
// process resident set size (0 turns a level off).
func WithRSSLimit(warn, fail uint64) checks.MemoryOption {
	return memoryOption("WithRSSLimit", func(c *memoryConfig) {
		c.rssWarn, c.rssFail = warn, fail
		limits("rss limit", warn, fail, c.b)
	})
}

// WithHeapLimit makes [Memory] warn above warn and fail above fail bytes of
// live Go heap objects (0 turns a level off).
func WithHeapLimit(warn, fail uint64) checks.MemoryOption {
	return memoryOption("WithHeapLimit", func(c *memoryConfig) {
		c.heapWarn, c.heapFail = warn, fail
		limits("heap limit", warn, fail, c.b)
	})
}

const heapMetric = "/memory/classes/heap/objects:bytes"

// Memory checks the process's memory against [WithRSSLimit] (resident set
// size, through gopsutil) and/or [WithHeapLimit] (Go heap objects, through
// runtime/metrics, which does not stop the world). At least one limit is
// required. The RSS (or, without an RSS limit, the heap) is observed in
// bytes; both are details. A crossed limit reports
// [checks.ErrThresholdExceeded].
//
// The default name is "memory" and the component type system.
func Memory(opts ...checks.MemoryOption) (*checks.Check, error) {
	cfg := memoryConfig{b: ext.NewBuilder("hostcheck.Memory", "memory", "system", "rssBytes")}
	ext.Configure(cfg.b, &cfg, opts)
	useRSS := cfg.rssWarn != 0 || cfg.rssFail != 0
	useHeap := cfg.heapWarn != 0 || cfg.heapFail != 0
	if !useRSS && !useHeap {
		cfg.b.Fail("limits", "set WithRSSLimit or WithHeapLimit")
	}
	if !useRSS {
		cfg.b.SetMeasurement("heapBytes")
	}
	var proc *process.Process
	if useRSS && !cfg.b.Failed() {
		p, err := process.NewProcess(int32(os.Getpid()))
		if err != nil {
			cfg.b.Fail("rss limit", "cannot read this process: %v", err)
		}
		proc = p
	}
	c := cfg
	return ext.Build[*checks.Check](cfg.b, func(ctx context.Context) error {
		var heap, rss uint64
		if useHeap {
			sample := []metrics.Sample{{Name: heapMetric}}
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				heap = sample[0].Value.Uint64()
			}
			checks.Detail(ctx, "heapBytes", strconv.FormatUint(heap, 10))
			checks.Observe(ctx, "heapBytes", float64(heap), "By")
		}
		if useRSS {
			mi, err := proc.MemoryInfoWithContext(ctx)
			if err != nil {
				return fmt.Errorf("memory: %w", err)
			}
			rss = mi.RSS
			checks.Detail(ctx, "rssBytes", strconv.FormatUint(rss, 10))
			checks.Observe(ctx, "rssBytes", float64(rss), "By")
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
			return fmt.Errorf("%w: %s %d bytes, above %d", checks.ErrThresholdExceeded, l.what, l.value, l.failAt)
		}
	}
	for _, l := range ls {
		if l.warnAt != 0 && l.value > l.warnAt {
			return checks.Warn(fmt.Errorf("%w: %s %d bytes, above %d", checks.ErrThresholdExceeded, l.what, l.value, l.warnAt))
		}
	}
	return nil
}
