package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCountsExportedIdentifiersOfPublicPackages(t *testing.T) {
	root := t.TempDir()
	write := func(rel, src string) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a/a.go", `package a
const A, b = 1, 2
var V int
type T struct{ F, g int; H string }
type I interface{ M(); n() }
type u struct{ X int }
func F() {}
func (T) M() {}
func (*u) M() {}
func (t T) m() {}
`)
	write("a/a_test.go", "package a\nfunc TestX() {}\n")
	write("internal/x/x.go", "package x\nfunc Hidden() {}\n")
	write("nested/go.mod", "module nested\n")
	write("nested/n.go", "package nested\nfunc N() {}\n")
	counts, fields, err := count(root)
	if err != nil {
		t.Fatal(err)
	}
	a := filepath.ToSlash(filepath.Join(root, "a"))
	// A, V, T, I, I.M, F, T.M = 7; fields F and H.
	if counts[a] != 7 || fields[a] != 2 || len(counts) != 1 {
		t.Fatalf("counts %v fields %v", counts, fields)
	}
}
