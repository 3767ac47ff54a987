package tooltest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPathFindsTheToolNamedByItsVariable(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "promtool")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(Promtool, bin)
	if got := Path(t, Promtool); got != bin {
		t.Fatalf("Path = %q, want %q", got, bin)
	}
}
