// Package benchotel benchmarks igmon's HTTP instrumentation against
// otelhttp. It is a separate module so that igmon's own go.mod never
// depends on otelhttp.
//
//	cd instrument/internal/benchotel && go test -run '^$' -bench . -benchtime=200ms -count=5
package benchotel
