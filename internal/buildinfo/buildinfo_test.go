package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	dep := func(path, version string, replace *debug.Module) *debug.Module {
		return &debug.Module{Path: path, Version: version, Replace: replace}
	}
	for _, tt := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"nil", nil, Devel},
		{"main module, tagged", &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v1.2.3"}}, "v1.2.3"},
		{"main module, no VCS stamp", &debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}, Devel},
		{"main module, empty", &debug.BuildInfo{Main: debug.Module{Path: ModulePath}}, Devel},
		{"dependency", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino", Version: "(devel)"},
			Deps: []*debug.Module{dep("golang.org/x/net", "v0.60.0", nil), dep(ModulePath, "v0.4.0", nil)}}, "v0.4.0"},
		{"pseudo-version", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino"},
			Deps: []*debug.Module{dep(ModulePath, "v0.0.0-20261201120000-0123456789ab", nil)}}, "v0.0.0-20261201120000-0123456789ab"},
		{"replaced by a directory", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino"},
			Deps: []*debug.Module{dep(ModulePath, "v0.0.0", &debug.Module{Path: "../"})}}, Devel},
		{"replaced by a fork's version", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino"},
			Deps: []*debug.Module{dep(ModulePath, "v0.4.0", &debug.Module{Path: "example.com/fork/igmon", Version: "v0.4.1"})}}, "v0.4.1"},
		{"not linked", &debug.BuildInfo{Main: debug.Module{Path: "example.com/casino", Version: "v1.0.0"}}, Devel},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := FromBuildInfo(tt.bi); got != tt.want {
				t.Fatalf("FromBuildInfo = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionAndSchemaURL(t *testing.T) {
	if v := Version(); v == "" {
		t.Fatal("Version is empty")
	} else if v != Version() {
		t.Fatal("Version changed between calls")
	}
	if !strings.HasPrefix(SchemaURL, "https://opentelemetry.io/schemas/1.") {
		t.Fatalf("SchemaURL = %q", SchemaURL)
	}
	if n := len(MeterOptions()); n != 2 {
		t.Fatalf("%d meter options, want version and schema URL", n)
	}
}
