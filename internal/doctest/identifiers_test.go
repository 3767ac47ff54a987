package doctest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// igmonPackages maps the names the docs qualify identifiers with to the
// package directories, relative to repoRoot.
var igmonPackages = map[string]string{
	"alerting":   "alerting",
	"checks":     "checks",
	"exporters":  "exporters",
	"grpccheck":  "checks/grpccheck",
	"grpchealth": "checks/grpchealth",
	"hostcheck":  "checks/hostcheck",
	"instrument": "instrument",
	"monitor":    "monitor",
	"dispatch":   "alerting/dispatch",
	"httpapi":    "alerting/httpapi",
	"notify":     "alerting/notify",
	"promrules":  "alerting/promrules",
	"rulefile":   "alerting/rulefile",
	"probes":     "probes",
	"prometheus": "exporters/prometheus",
}

// decls are the exported names of one package: top-level names, and the
// methods and fields of its types as "Type.Name".
type decls map[string]bool

// parseDecls reads a package directory with go/parser, test files included
// (Example functions are named in the docs too).
func parseDecls(dir string) (decls, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := decls{}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					out[d.Name.Name] = true
					continue
				}
				if recv := recvType(d.Recv.List[0].Type); recv != "" {
					out[recv+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						out[s.Name.Name] = true
						addMembers(out, s.Name.Name, s.Type)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							out[n.Name] = true
						}
					}
				}
			}
		}
	}
	return out, nil
}

func recvType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// addMembers records the fields of a struct type and the methods of an
// interface type.
func addMembers(out decls, typ string, e ast.Expr) {
	var fields *ast.FieldList
	switch t := e.(type) {
	case *ast.StructType:
		fields = t.Fields
	case *ast.InterfaceType:
		fields = t.Methods
	default:
		return
	}
	for _, f := range fields.List {
		for _, n := range f.Names {
			out[typ+"."+n.Name] = true
		}
		if len(f.Names) == 0 { // embedded: its name is a member too
			if n := recvType(f.Type); n != "" {
				out[typ+"."+n] = true
			} else if sel, ok := f.Type.(*ast.SelectorExpr); ok {
				out[typ+"."+sel.Sel.Name] = true
			}
		}
	}
}

// qualified matches pkg.Name and pkg.Type.Member with an exported Name.
var qualified = regexp.MustCompile(`\b([a-z]+)\.([A-Z][A-Za-z0-9_]*)(?:\.([A-Z][A-Za-z0-9_]*))?`)

// codeSpans returns the inline code spans of a line.
var codeSpanRE = regexp.MustCompile("`([^`]+)`")

// TestIdentifiersExist: every `pkg.Name` or `pkg.Type.Member` the docs write
// in backticks for an igmon package is declared by that package.
func TestIdentifiersExist(t *testing.T) {
	pkgs := map[string]decls{}
	lookup := func(name string) (decls, bool) {
		if d, ok := pkgs[name]; ok {
			return d, d != nil
		}
		dir := filepath.Join(repoRoot, filepath.FromSlash(igmonPackages[name]))
		d, err := parseDecls(dir)
		if err != nil {
			if _, pending := pendingPackages[knownImports[name]]; pending && os.IsNotExist(err) {
				t.Logf("package %s not in this tree yet (it lands from another branch); its names are not checked", igmonPackages[name])
				pkgs[name] = nil
				return nil, false
			}
			t.Fatalf("package %s: %v", name, err)
		}
		pkgs[name] = d
		return d, true
	}
	checked := 0
	eachCodeSpan(t, func(file string, line int, span string) {
		for _, m := range qualified.FindAllStringSubmatch(span, -1) {
			if _, ok := igmonPackages[m[1]]; !ok {
				continue
			}
			d, ok := lookup(m[1])
			if !ok {
				continue
			}
			checked++
			where := file + ":" + strconv.Itoa(line)
			if !d[m[2]] {
				t.Errorf("%s: `%s.%s`: package %s declares no %s", where, m[1], m[2], igmonPackages[m[1]], m[2])
				continue
			}
			if m[3] != "" && !d[m[2]+"."+m[3]] {
				t.Errorf("%s: `%s.%s.%s`: %s.%s has no method or field %s", where, m[1], m[2], m[3], m[1], m[2], m[3])
			}
		}
	})
	if checked == 0 {
		t.Fatal("no qualified identifiers found: the scanner is broken")
	}
	t.Logf("%d qualified identifiers checked", checked)
}

// unqualified matches a code span that starts with WithX, NewX or ErrX, or
// with Type.Member: the spellings the docs use for igmon names without
// their package.
var unqualified = regexp.MustCompile(`^((?:With|New|Err)[A-Z][A-Za-z0-9_]*|[A-Z][A-Za-z0-9_]*\.[A-Z][A-Za-z0-9_]*)\b`)

// TestUnqualifiedNamesExist: a span such as `WithThresholds(n, m)`,
// `ErrInvalidCheck` or `Registry.Drain` names something some igmon package
// declares (a type the core does not declare, such as http.Request's, is
// not checked).
func TestUnqualifiedNamesExist(t *testing.T) {
	all := decls{}
	types := map[string]bool{}
	for name, dir := range igmonPackages {
		d, err := parseDecls(filepath.Join(repoRoot, filepath.FromSlash(dir)))
		if err != nil {
			if _, pending := pendingPackages[knownImports[name]]; pending && os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		for k := range d {
			all[k] = true
			if typ, _, ok := strings.Cut(k, "."); ok {
				types[typ] = true
			}
		}
	}
	for name := range allowedForeign {
		all[name] = true
	}
	checked := 0
	eachCodeSpan(t, func(file string, line int, span string) {
		text := span
		// The docs call a *monitor.Monitor m: `m.AddProbe(p)`.
		if rest, ok := strings.CutPrefix(text, "m."); ok {
			text = "Monitor." + rest
		}
		m := unqualified.FindStringSubmatch(text)
		if m == nil {
			return
		}
		name := m[1]
		if typ, _, ok := strings.Cut(name, "."); ok && !types[typ] {
			return
		}
		checked++
		if !all[name] {
			t.Errorf("%s:%d: `%s`: no igmon package declares %s", file, line, span, name)
		}
	})
	if checked == 0 {
		t.Fatal("no unqualified names found: the scanner is broken")
	}
	t.Logf("%d unqualified names checked", checked)
}

// eachCodeSpan calls fn with every `code span` of the README and docs/
// outside fenced blocks, with its file and line.
func eachCodeSpan(t *testing.T, fn func(file string, line int, span string)) {
	t.Helper()
	for _, file := range docFiles(t) {
		inFence := false
		for i, line := range strings.Split(readDoc(t, file), "\n") {
			if fence.MatchString(line) {
				inFence = !inFence
				continue
			}
			if inFence {
				continue
			}
			for _, span := range codeSpanRE.FindAllStringSubmatch(line, -1) {
				fn(file, i+1, span[1])
			}
		}
	}
}

// allowedForeign are With/New/Err names of other libraries the docs quote.
var allowedForeign = map[string]bool{}

// TestParseDeclsSeesMembers pins what counts as declared on a real
// package: a function, a type, a method, a struct field and an Example.
func TestParseDeclsSeesMembers(t *testing.T) {
	d, err := parseDecls(filepath.Join(repoRoot, "checks"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"BearerToken", "Registry", "Registry.Drain", "ErrInvalidCheck", "ExampleRegistry_Handler"} {
		if !d[name] {
			t.Errorf("checks: %s not found", name)
		}
	}
	if d["NoSuchThing"] {
		t.Error("checks: a name that does not exist was found")
	}
}

// TestUnqualifiedSpelling pins which code spans count as igmon names.
func TestUnqualifiedSpelling(t *testing.T) {
	for span, want := range map[string]string{
		"WithThresholds(n, m)":  "WithThresholds",
		"ErrInvalidCheck":       "ErrInvalidCheck",
		"Registry.Drain":        "Registry.Drain",
		"NewServer(reg)":        "NewServer",
		"NOT_SERVING":           "",
		"Authorization: Bearer": "",
		"Without":               "",
	} {
		got := ""
		if m := unqualified.FindStringSubmatch(span); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("span %q: got %q, want %q", span, got, want)
		}
	}
}
