package checks

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const modulePath = "github.com/jackcode/igmon"

// otelAPI reports whether path is a package of the OpenTelemetry API (not
// the SDK, not an exporter).
func otelAPI(path string) bool {
	const otel = "go.opentelemetry.io/otel"
	if path == otel {
		return true
	}
	for _, p := range []string{"attribute", "metric", "semconv", "codes", "baggage", "propagation", "trace", "internal"} {
		if path == otel+"/"+p || strings.HasPrefix(path, otel+"/"+p+"/") {
			return true
		}
	}
	return false
}

// igmonAllowed reports whether checks may link the igmon package path: its
// own internal packages and the shared internal ones, never another
// public package (they link gRPC, gopsutil or the OTel SDK).
func igmonAllowed(path string) bool {
	return path == modulePath+"/checks" ||
		strings.HasPrefix(path, modulePath+"/checks/internal/") ||
		strings.HasPrefix(path, modulePath+"/internal/")
}

// TestChecksLinksOnlyStdlibAndOTel keeps package checks light: a program
// that only registers checks and serves /readyz must not pay for gRPC,
// protobuf or gopsutil (those checks live in grpccheck, grpchealth and
// hostcheck). Every package checks links is the standard library, the
// OTel API, or igmon's internal packages; whatever those import themselves
// must be the standard library or the OTel API too (what the OTel API
// imports is the OTel API's business). .ci/binsize.sh measures the result.
func TestChecksLinksOnlyStdlibAndOTel(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the go command is needed in CI: %v", err)
		}
		t.Skipf("no go command: %v", err)
	}
	out, err := exec.Command(goBin, "list", "-deps",
		"-f", `{{.ImportPath}}|{{.Standard}}|{{join .Imports ","}}`, modulePath+"/checks").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	standard := map[string]bool{}
	type pkg struct {
		path    string
		imports []string
	}
	var pkgs []pkg
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		f := strings.SplitN(strings.TrimSpace(line), "|", 3)
		if len(f) != 3 {
			t.Fatalf("go list line %q: want path|standard|imports", line)
		}
		standard[f[0]] = f[1] == "true"
		var imports []string
		if f[2] != "" {
			imports = strings.Split(f[2], ",")
		}
		pkgs = append(pkgs, pkg{f[0], imports})
	}
	if len(pkgs) < 10 || !standard["net/http"] {
		t.Fatalf("go list returned %d packages without net/http: not the dependency list of checks", len(pkgs))
	}
	for _, p := range pkgs {
		if strings.Contains(p.path, "grpc") || strings.Contains(p.path, "protobuf") || strings.Contains(p.path, "gopsutil") {
			t.Errorf("checks links %s", p.path)
		}
		if !strings.HasPrefix(p.path, modulePath+"/") {
			continue // the standard library or the OTel API: their imports are theirs
		}
		if !igmonAllowed(p.path) {
			t.Errorf("checks links %s, a public igmon package", p.path)
		}
		for _, imp := range p.imports {
			if standard[imp] || otelAPI(imp) || igmonAllowed(imp) {
				continue
			}
			t.Errorf("%s imports %s: neither the standard library, the OTel API nor an igmon internal package", p.path, imp)
		}
	}
}
