package doctest

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the module root, two directories up from this package.
const repoRoot = "../.."

// module is where a snippet is compiled: the core module, or the nested
// module of the Prometheus exporter (its package is not visible from the
// core module).
type module struct {
	dir     string // relative to repoRoot
	path    string // module path
	prelude string // declarations every fragment of this module can use
}

var (
	coreModule = module{dir: ".", path: "github.com/jackcode/igmon", prelude: corePrelude}
	promModule = module{dir: "exporters/prometheus", path: "github.com/jackcode/igmon/exporters/prometheus", prelude: promPrelude}
)

// knownImports maps the package names fragments use to their import paths.
// A fragment gets an import for each of these names it uses as a qualifier.
var knownImports = map[string]string{
	"context": "context",
	"errors":  "errors",
	"fmt":     "fmt",
	"http":    "net/http",
	"io":      "io",
	"json":    "encoding/json",
	"log":     "log",
	"net":     "net",
	"os":      "os",
	"signal":  "os/signal",
	"slog":    "log/slog",
	"sql":     "database/sql",
	"strings": "strings",
	"time":    "time",
	"tls":     "crypto/tls",

	"alerting":   "github.com/jackcode/igmon/alerting",
	"checks":     "github.com/jackcode/igmon/checks",
	"exporters":  "github.com/jackcode/igmon/exporters",
	"grpccheck":  "github.com/jackcode/igmon/checks/grpccheck",
	"grpchealth": "github.com/jackcode/igmon/checks/grpchealth",
	"hostcheck":  "github.com/jackcode/igmon/checks/hostcheck",
	"instrument": "github.com/jackcode/igmon/instrument",
	"monitor":    "github.com/jackcode/igmon/monitor",
	"dispatch":   "github.com/jackcode/igmon/alerting/dispatch",
	"httpapi":    "github.com/jackcode/igmon/alerting/httpapi",
	"notify":     "github.com/jackcode/igmon/alerting/notify",
	"promrules":  "github.com/jackcode/igmon/alerting/promrules",
	"rulefile":   "github.com/jackcode/igmon/alerting/rulefile",
	"probes":     "github.com/jackcode/igmon/probes",
	"prometheus": "github.com/jackcode/igmon/exporters/prometheus",

	"grpc":      "google.golang.org/grpc",
	"metric":    "go.opentelemetry.io/otel/metric",
	"pgxpool":   "github.com/jackc/pgx/v5/pgxpool",
	"sdkmetric": "go.opentelemetry.io/otel/sdk/metric",

	// Fakes of third-party SDKs, defined in fakes below.
	"adyen": "github.com/jackcode/igmon/internal/doctest/fake/adyen",
	"redis": "github.com/jackcode/igmon/internal/doctest/fake/redis",
	"sdk":   "github.com/jackcode/igmon/internal/doctest/fake/sdk",
}

// pendingPackages are igmon packages the docs already describe and that
// land from another branch (the dependency-weight split). A snippet that
// imports one is skipped, with a log line, only while its directory does
// not exist; once it does, the snippet is compiled like any other.
var pendingPackages = map[string]string{
	"github.com/jackcode/igmon/checks/grpccheck":  "checks/grpccheck",
	"github.com/jackcode/igmon/checks/grpchealth": "checks/grpchealth",
	"github.com/jackcode/igmon/checks/hostcheck":  "checks/hostcheck",
}

// corePrelude declares what core-module fragments take for granted. Every
// import is used, so no fragment can trip over an unused one.
const corePrelude = `package snippet

import (
	"context"
	"database/sql"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackcode/igmon/alerting"
	"github.com/jackcode/igmon/checks"
	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/monitor"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc"
)

var (
	ctx                      = context.Background()
	db                       *sql.DB
	dsn, key, gameID         string
	bet                      int
	body                     io.Reader
	m                        *monitor.Monitor
	mux                      = http.NewServeMux()
	reg, registry            *checks.Registry
	pspClient                *http.Client
	gamesConn                *grpc.ClientConn
	lis                      net.Listener
	mp                       metric.MeterProvider
	logger                   = slog.Default()
	malta                    *time.Location
	checkAdapter             alerting.CheckSource
	dbDown, queryErrors, psp alerting.Matchers
	exps                     []*exporters.Exporter
)

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func launch(context.Context) error { return nil }

func pingStripe(context.Context) error { return nil }
`

// promPrelude is the prelude for fragments of the Prometheus module.
const promPrelude = `package snippet

import (
	"context"
	"net/http"

	"github.com/jackcode/igmon/exporters"
	"github.com/jackcode/igmon/monitor"
)

var (
	ctx  = context.Background()
	m    *monitor.Monitor
	mux  = http.NewServeMux()
	exps []*exporters.Exporter
)

func check(err error) {
	if err != nil {
		panic(err)
	}
}
`

// fakes are the third-party SDKs snippets call, reduced to what they use.
var fakes = map[string]string{
	"sdk": `// Package sdk stands for a game provider's Go SDK.
package sdk

import (
	"context"
	"errors"
)

var ErrInsufficientFunds = errors.New("insufficient funds")

type Session struct{ URL string }

func PlaceBet(ctx context.Context, bet int) error { return nil }

func Launch(ctx context.Context, gameID string) (*Session, error) { return &Session{}, nil }
`,
	"redis": `// Package redis stands for github.com/redis/go-redis/v9.
package redis

import "context"

type Options struct{ Addr string }

type Client struct{}

type StatusCmd struct{}

func (*StatusCmd) Err() error { return nil }

func NewClient(*Options) *Client { return &Client{} }

func (*Client) Ping(context.Context) *StatusCmd { return &StatusCmd{} }
`,
	"adyen": `// Package adyen stands for a PSP's Go SDK.
package adyen

import "context"

type StatusResponse struct{ Up bool }

func Status(context.Context) (*StatusResponse, error) { return &StatusResponse{}, nil }
`,
}

// A snippet is one fenced go block.
type snippet struct {
	file string // relative to repoRoot, slash-separated
	line int    // line of the first line of code
	code string
}

func (s snippet) String() string { return fmt.Sprintf("%s:%d", s.file, s.line) }

// docFiles returns README.md and every page under docs/, relative to repoRoot.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		rel, err := filepath.Rel(repoRoot, p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	if len(pages) == 0 {
		t.Fatal("no pages under docs/")
	}
	return files
}

func readDoc(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(file)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fence matches an opening or closing code fence and its info string.
var fence = regexp.MustCompile("^\\s*```(\\S*)")

// goSnippets returns the ```go blocks of a Markdown text.
func goSnippets(file, text string) []snippet { return fencedBlocks(file, text, "go") }

// isComplete reports whether the code is a whole Go file (it starts with a
// package clause, after comments).
func isComplete(code string) bool {
	for line := range strings.Lines(code) {
		l := strings.TrimSpace(line)
		if l == "" || strings.HasPrefix(l, "//") {
			continue
		}
		return strings.HasPrefix(l, "package ")
	}
	return false
}

// generated is one snippet turned into a Go file.
type generated struct {
	snippet
	mod     module
	src     string
	imports []string
}

// generate turns a snippet into a compilable file: as is when complete,
// else with imports and a wrapper as the package doc describes.
func generate(s snippet) (generated, error) {
	lineDirective := fmt.Sprintf("//line %s:%d\n", s.file, s.line)
	if isComplete(s.code) {
		f, err := parser.ParseFile(token.NewFileSet(), s.file, s.code, parser.ImportsOnly)
		if err != nil {
			return generated{}, err
		}
		g := generated{snippet: s, mod: coreModule, src: lineDirective + s.code}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			g.imports = append(g.imports, path)
			if path == promModule.path {
				g.mod = promModule
			}
		}
		return g, nil
	}
	topLevel := false
	var body string
	if _, err := parser.ParseFile(token.NewFileSet(), s.file, "package snippet\n"+s.code, 0); err == nil {
		topLevel = true
		body = lineDirective + s.code
	} else {
		body = "func _() error {\n" + lineDirective + s.code + "\treturn nil\n}\n"
	}
	// Find the qualifiers the code uses.
	f, err := parser.ParseFile(token.NewFileSet(), "snippet.go", "package snippet\n"+body, parser.SkipObjectResolution)
	if err != nil {
		return generated{}, fmt.Errorf("does not parse as Go (topLevel=%v): %w", topLevel, err)
	}
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if _, known := knownImports[id.Name]; known {
					used[id.Name] = true
				}
			}
		}
		return true
	})
	g := generated{snippet: s, mod: coreModule}
	var imports strings.Builder
	for _, name := range slices.Sorted(maps.Keys(used)) {
		path := knownImports[name]
		g.imports = append(g.imports, path)
		if path == promModule.path {
			g.mod = promModule
		}
		fmt.Fprintf(&imports, "\t%s %q\n", name, path)
	}
	g.src = "package snippet\n\nimport (\n" + imports.String() + ")\n\n" + body
	return g, nil
}

// goBuild compiles the snippets of one module in one go build run, through
// an overlay so that nothing is written into the repository, and reports
// returns each compile error at its Markdown line.
func goBuild(t *testing.T, mod module, snippets []generated) []string {
	t.Helper()
	if len(snippets) == 0 {
		return nil
	}
	modDir, err := filepath.Abs(filepath.Join(repoRoot, mod.dir))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]string{}
	add := func(virtual, content string) {
		real := filepath.Join(tmp, fmt.Sprintf("f%d.go", len(overlay)))
		if err := os.WriteFile(real, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		overlay[filepath.Join(modDir, filepath.FromSlash(virtual))] = real
	}
	if mod == coreModule {
		for name, src := range fakes {
			add("internal/doctest/fake/"+name+"/"+name+".go", src)
		}
	}
	var pkgs []string
	for i, g := range snippets {
		dir := fmt.Sprintf("internal/doctestgen/s%03d", i)
		add(dir+"/snippet.go", g.src)
		if !isComplete(g.code) {
			add(dir+"/prelude.go", mod.prelude)
		}
		pkgs = append(pkgs, "./"+dir)
	}
	ov, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ovFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o600); err != nil {
		t.Fatal(err)
	}
	// -gcflags=-e: every error, not the first ten per package.
	cmd := exec.Command(goTool(), append([]string{"build", "-gcflags=-e", "-overlay=" + ovFile}, pkgs...)...)
	cmd.Dir = modDir
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	var problems []string
	errLine := regexp.MustCompile(`^(\S+\.md:\d+(?::\d+)?): (.*)$`)
	reported := false
	for line := range strings.Lines(string(out)) {
		line = strings.TrimRight(line, "\n")
		m := errLine.FindStringSubmatch(line)
		switch {
		case m == nil:
			continue
		case strings.HasPrefix(m[2], "declared and not used"):
			reported = true // tolerated in fragments (see the package doc)
		default:
			reported = true
			problems = append(problems, m[1]+": "+m[2])
		}
	}
	if !reported {
		problems = append(problems, fmt.Sprintf("go build in %s failed:\n%s", mod.dir, out))
	}
	return problems
}

// goTool is the go command: the one on PATH, else the one of the toolchain
// running the test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// TestGoSnippetsCompile compiles every ```go block of README.md and docs/.
func TestGoSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	byModule := map[string][]generated{}
	mods := map[string]module{}
	total, skipped := 0, 0
	for _, file := range docFiles(t) {
		for _, s := range goSnippets(file, readDoc(t, file)) {
			total++
			g, err := generate(s)
			if err != nil {
				t.Errorf("%s: %v", s, err)
				continue
			}
			if dir, ok := missingPending(g.imports); ok {
				skipped++
				t.Logf("%s: skipped until %s exists (it lands from another branch)", s, dir)
				continue
			}
			byModule[g.mod.dir] = append(byModule[g.mod.dir], g)
			mods[g.mod.dir] = g.mod
		}
	}
	if total == 0 {
		t.Fatal("no go snippets found: the extractor is broken")
	}
	for _, k := range slices.Sorted(maps.Keys(mods)) {
		for _, p := range goBuild(t, mods[k], byModule[k]) {
			t.Error(p)
		}
	}
	t.Logf("%d go snippets, %d compiled, %d waiting for a pending package", total, total-skipped, skipped)
}

// missingPending returns the directory of a pending package the imports
// name that does not exist yet.
func missingPending(imports []string) (string, bool) {
	for _, imp := range imports {
		if dir, ok := pendingPackages[imp]; ok {
			if _, err := os.Stat(filepath.Join(repoRoot, dir)); err != nil {
				return dir, true
			}
		}
	}
	return "", false
}

// TestSnippetExtraction pins the extractor and the fragment convention on
// a small document, so a broken extractor cannot pass by finding nothing.
func TestSnippetExtraction(t *testing.T) {
	doc := "# T\n\n```go\nm.Start(ctx)\n```\n\n```sh\necho\n```\n\n```go\npackage main\n\nfunc main() {}\n```\n\n```go\ntype X struct{}\n```\n"
	got := goSnippets("x.md", doc)
	if len(got) != 3 {
		t.Fatalf("got %d snippets, want 3: %+v", len(got), got)
	}
	if got[0].line != 4 || got[0].code != "m.Start(ctx)\n" {
		t.Errorf("first snippet = %+v, want line 4 and its code", got[0])
	}
	if isComplete(got[0].code) || !isComplete(got[1].code) || isComplete(got[2].code) {
		t.Errorf("isComplete wrong: %v %v %v", isComplete(got[0].code), isComplete(got[1].code), isComplete(got[2].code))
	}
	frag, err := generate(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(frag.src, "func _() error {\n//line x.md:4\n") {
		t.Errorf("a statement fragment is not wrapped in a function:\n%s", frag.src)
	}
	decl, err := generate(got[2])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(decl.src, "func _()") {
		t.Errorf("a declaration fragment is wrapped in a function:\n%s", decl.src)
	}
	imp, err := generate(snippet{file: "x.md", line: 1, code: "_ = checks.BearerToken(\"t\")\nhttp.NewServeMux()\n"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(imp.imports, []string{knownImports["checks"], "net/http"}) {
		t.Errorf("imports = %q, want checks and net/http", imp.imports)
	}
}

// TestBrokenSnippetIsReportedAtItsLine: a snippet that does not compile
// fails with the Markdown file and line, so CI points at the doc to fix.
func TestBrokenSnippetIsReportedAtItsLine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	g, err := generate(snippet{file: "docs/x.md", line: 7, code: "unused := 1\ncheck(monitor.NoSuchThing)\n"})
	if err != nil {
		t.Fatal(err)
	}
	got := goBuild(t, coreModule, []generated{g})
	want := []string{"docs/x.md:8: undefined: monitor.NoSuchThing"}
	if !slices.Equal(got, want) {
		t.Errorf("problems = %q, want %q (and no complaint about the unused variable)", got, want)
	}
}
