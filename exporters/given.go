package exporters

import "fmt"

// given records the single-valued options given to one constructor. A
// second one of the same option would silently replace the first, so it is
// refused, naming the option. Options that add (WithProducers) and flags
// that can only be switched on (WithInsecure, WithoutCompression,
// WithoutRetry, WithTimestamps) may repeat.
type given map[string]bool

// twice records name and returns the error for a second one.
func (g *given) twice(name string) error {
	if (*g)[name] {
		return fmt.Errorf("%w %s: given twice; the second would silently replace the first", ErrInvalidOption, name)
	}
	if *g == nil {
		*g = given{}
	}
	(*g)[name] = true
	return nil
}
