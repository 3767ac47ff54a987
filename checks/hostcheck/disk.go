package hostcheck

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/shirou/gopsutil/v4/disk"

	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/checks/internal/ext"
)

// Default thresholds of [DiskFree], in percent of the filesystem's size
// available to the service.
const (
	defaultDiskWarnPercent = 10
	defaultDiskFailPercent = 5
)

type diskConfig struct {
	b                    ext.Builder
	warnBytes, failBytes uint64
	warnPct, failPct     float64
	bytesSet, pctSet     bool
}

func diskOption(name string, fn func(*diskConfig)) checks.DiskOption {
	return ext.Option[checks.DiskOption](name, "hostcheck.DiskFree", fn)
}

// WithFreeBytes makes [DiskFree] warn below warn and fail below fail free
// bytes (0 turns a level off). It replaces the default percentage
// thresholds unless WithFreePercent is also given.
func WithFreeBytes(warn, fail uint64) checks.DiskOption {
	return diskOption("WithFreeBytes", func(c *diskConfig) {
		c.warnBytes, c.failBytes, c.bytesSet = warn, fail, true
		if warn != 0 && warn < fail {
			c.b.Fail("free bytes", "warn %d is below fail %d: thresholds in the wrong order", warn, fail)
		}
	})
}

// WithFreePercent makes [DiskFree] warn below warn and fail below fail
// percent free (0 turns a level off). The defaults are 10 and 5
// percent.
func WithFreePercent(warn, fail float64) checks.DiskOption {
	return diskOption("WithFreePercent", func(c *diskConfig) {
		c.warnPct, c.failPct, c.pctSet = warn, fail, true
		switch {
		case warn < 0 || warn > 100 || fail < 0 || fail > 100:
			c.b.Fail("free percent", "%v and %v must be within [0, 100]", warn, fail)
		case warn != 0 && warn < fail:
			c.b.Fail("free percent", "warn %v is below fail %v: thresholds in the wrong order", warn, fail)
		}
	})
}

// DiskFree checks the free space of the filesystem holding path, as an
// unprivileged process sees it. The free bytes are observed as
// "freeBytes"; the total and the free percentage are details.
//
// A crossed threshold reports [checks.ErrThresholdExceeded].
//
// The default name is "disk-<path>" and the component type system.
func DiskFree(path string, opts ...checks.DiskOption) (*checks.Check, error) {
	cfg := diskConfig{
		b:       ext.NewBuilder("hostcheck.DiskFree", ext.DefaultName("disk", path), "system", "freeBytes"),
		warnPct: defaultDiskWarnPercent, failPct: defaultDiskFailPercent,
	}
	ext.Configure(cfg.b, &cfg, opts)
	if cfg.bytesSet && !cfg.pctSet {
		// Byte thresholds alone replace the default percentages.
		cfg.warnPct, cfg.failPct = 0, 0
	}
	if path == "" {
		cfg.b.Fail("path", "must not be empty")
	} else if _, err := os.Stat(path); err != nil {
		cfg.b.Fail("path", "%v", err)
	}
	c := cfg
	return ext.Build[*checks.Check](cfg.b, func(ctx context.Context) error {
		u, err := disk.UsageWithContext(ctx, path)
		if err != nil {
			return fmt.Errorf("disk: %w", err)
		}
		// Free is what unprivileged writers can still use; Total includes
		// the root reserve, so compute the share against used + free.
		size := u.Used + u.Free
		pct := 0.0
		if size > 0 {
			pct = float64(u.Free) / float64(size) * 100
		}
		checks.Observe(ctx, "freeBytes", float64(u.Free), "By")
		checks.Detail(ctx, "totalBytes", strconv.FormatUint(u.Total, 10))
		checks.Detail(ctx, "freePercent", strconv.FormatFloat(pct, 'f', 1, 64))
		switch {
		case c.failBytes > 0 && u.Free < c.failBytes:
			return fmt.Errorf("%w: %d bytes free, below %d", checks.ErrThresholdExceeded, u.Free, c.failBytes)
		case c.failPct > 0 && pct < c.failPct:
			return fmt.Errorf("%w: %.1f%% free, below %v%%", checks.ErrThresholdExceeded, pct, c.failPct)
		case c.warnBytes > 0 && u.Free < c.warnBytes:
			return checks.Warn(fmt.Errorf("%w: %d bytes free, below %d", checks.ErrThresholdExceeded, u.Free, c.warnBytes))
		case c.warnPct > 0 && pct < c.warnPct:
			return checks.Warn(fmt.Errorf("%w: %.1f%% free, below %v%%", checks.ErrThresholdExceeded, pct, c.warnPct))
		}
		return nil
	})
}
