package instrument

import "fmt"

// Test-only helpers: options the tests need that users do not.

// withMaxRoutes bounds the distinct routes recorded (default
// defaultMaxRoutes); later routes are recorded as _OTHER.
func withMaxRoutes(n int) MiddlewareOption {
	return mwOptionFunc(func(c *mwConfig) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("option withMaxRoutes: %d must be at least 1", n))
		}
		c.maxRoutes = n
	})
}

// withCheckName sets the check's name (default: the dependency's name).
func withCheckName(name string) HealthOption {
	return healthOptionFunc(func(c *healthConfig) { c.name = name })
}
