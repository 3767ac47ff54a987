package rulefile

import (
	"fmt"

	"github.com/jackcode/igmon/alerting"
)

// Limits of the loader: far above a real rule set (a large one is a few
// hundred rules and a few hundred kilobytes), far below what hurts a
// process. WithMaxBytes and WithMaxRules raise or lower them.
const (
	// defaultMaxBytes is the largest rule file Load and LoadFile read:
	// 16 MiB, counted after YAML aliases are expanded. Parsing a file of
	// this size takes about 2 s and 0.5 GB.
	defaultMaxBytes = 16 << 20
	// defaultMaxRules is the most rules one file may hold.
	defaultMaxRules = 10_000
)

// Option configures Load and LoadFile.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	maxBytes int64
	maxRules int
}

// WithMaxBytes sets the largest rule file, in bytes after YAML aliases are
// expanded (default 16 MiB). A larger input is an error wrapping
// alerting.ErrRuleLimit; it is never cut short.
func WithMaxBytes(n int64) Option {
	return optionFunc(func(c *config) { c.maxBytes = n })
}

// WithMaxRules sets the most rules a file may hold (default 10,000). More
// is an error wrapping alerting.ErrRuleLimit.
func WithMaxRules(n int) Option {
	return optionFunc(func(c *config) { c.maxRules = n })
}

func newConfig(opts []Option) (config, error) {
	c := config{maxBytes: defaultMaxBytes, maxRules: defaultMaxRules}
	for i, o := range opts {
		if o == nil {
			return c, fmt.Errorf("%w: rulefile: option #%d is nil", alerting.ErrInvalidOption, i)
		}
		o.apply(&c)
	}
	switch {
	case c.maxBytes <= 0:
		return c, fmt.Errorf("%w: rulefile.WithMaxBytes: must be positive, got %d", alerting.ErrInvalidOption, c.maxBytes)
	case c.maxRules <= 0:
		return c, fmt.Errorf("%w: rulefile.WithMaxRules: must be positive, got %d", alerting.ErrInvalidOption, c.maxRules)
	}
	return c, nil
}
