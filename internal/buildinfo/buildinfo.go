// Package buildinfo says which igmon is running: its module version, read
// once from the binary's build information, and the semantic-conventions
// version whose names igmon's metrics follow. Every Meter igmon creates
// carries both (see MeterOptions); the Alertmanager-compatible API can
// report Version.
package buildinfo

import (
	"runtime/debug"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// ModulePath is igmon's module path.
const ModulePath = "github.com/jackcode/igmon"

// Devel is the version of an igmon that was not built as a versioned
// module: a checkout, a replace directive to a directory, a test binary.
const Devel = "devel"

// SchemaURL is the OpenTelemetry schema of the semantic conventions igmon's
// metric and attribute names follow (the version the OTel SDK in go.mod
// uses as well).
const SchemaURL = semconv.SchemaURL

var version = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Devel
	}
	return FromBuildInfo(bi)
})

// Version is igmon's module version ("v1.2.3", a pseudo-version), or
// [Devel] when the binary does not record one.
func Version() string { return version() }

// MeterOptions are the options of every Meter igmon creates: the
// instrumentation version and the schema URL.
func MeterOptions() []metric.MeterOption {
	return []metric.MeterOption{metric.WithInstrumentationVersion(Version()), metric.WithSchemaURL(SchemaURL)}
}

// FromBuildInfo finds igmon's version in bi: the main module's (igmon's own
// tests and tools) or the dependency's of a service using igmon; [Devel]
// when bi records none.
func FromBuildInfo(bi *debug.BuildInfo) string {
	if bi == nil {
		return Devel
	}
	if bi.Main.Path == ModulePath {
		return clean(bi.Main.Version)
	}
	for _, d := range bi.Deps {
		if d == nil || d.Path != ModulePath {
			continue
		}
		if d.Replace != nil {
			// A replacement by another module version names that
			// version; one by a directory has none.
			return clean(d.Replace.Version)
		}
		return clean(d.Version)
	}
	return Devel
}

// clean maps what is no release to Devel: nothing, "(devel)" (a build
// from a working tree) and the zero pseudo-version Go writes for a
// replacement by a directory (v0.0.0-00010101000000-000000000000).
func clean(v string) string {
	if v == "" || v == "(devel)" || strings.HasPrefix(v, "v0.0.0-00010101000000-") {
		return Devel
	}
	return v
}
