package main

import (
	"errors"

	"github.com/jackcode/igmon/exporters"
)

// shutdownFailure is what of the Monitor's shutdown error fails the demo.
// A final metrics export lost because the collector is gone is not a
// failure of the service: the Monitor has logged it as one warning
// ("igmon: final metrics export failed: collector unreachable at ...").
// Everything else (a drain, a check or alert delivery that did not stop in
// time) still is.
func shutdownFailure(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var keep []error
		for _, e := range j.Unwrap() {
			if e = shutdownFailure(e); e != nil {
				keep = append(keep, e)
			}
		}
		return errors.Join(keep...)
	}
	if errors.Is(err, exporters.ErrFinalExportFailed) {
		return nil
	}
	return err
}
