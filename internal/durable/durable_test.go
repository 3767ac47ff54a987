package durable

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteLoadKeepsPrevious(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"one", "two", "three"} {
		if err := Write(dir, "silences", "silences", []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	got, from, err := Load(dir, "silences", "silences")
	if err != nil || string(got) != "three" || from.Path != filepath.Join(dir, "silences") || from.Skipped != nil {
		t.Fatalf("Load = %q %+v %v", got, from, err)
	}
	prev, err := os.ReadFile(filepath.Join(dir, "silences"+PrevSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := Decode(prev, "silences"); err != nil || string(p) != "two" {
		t.Fatalf("previous snapshot = %q %v", p, err)
	}
	// No temporary file stays behind.
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("directory holds %d files", len(ents))
	}
}

func TestLoadFirstStart(t *testing.T) {
	_, _, err := Load(t.TempDir(), "silences", "silences")
	if !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Load of an empty directory: %v", err)
	}
}

// corrupt rewrites a file with one byte flipped.
func corrupt(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at%len(b)] ^= 0x40
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadFallsBackToPrevious(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(t *testing.T, path string)
	}{
		{"bit flip in the payload", func(t *testing.T, p string) { corrupt(t, p, 25) }},
		{"truncated", func(t *testing.T, p string) { _ = os.Truncate(p, 10) }},
		{"empty", func(t *testing.T, p string) { _ = os.Truncate(p, 0) }},
		{"removed", func(t *testing.T, p string) { _ = os.Remove(p) }},
		{"foreign", func(t *testing.T, p string) { _ = os.WriteFile(p, []byte(`{"silences":[]}`), 0o600) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, p := range []string{"old state", "new state"} {
				if err := Write(dir, "nflog", "nflog", []byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, "nflog")
			tt.break_(t, path)
			got, from, err := Load(dir, "nflog", "nflog")
			if err != nil || string(got) != "old state" || from.Path != path+PrevSuffix {
				t.Fatalf("Load = %q %+v %v", got, from, err)
			}
			if tt.name == "removed" {
				if from.Skipped == nil || !errors.Is(from.Skipped, fs.ErrNotExist) {
					t.Fatalf("Skipped = %v", from.Skipped)
				}
				return
			}
			if !errors.Is(from.Skipped, ErrCorrupt) || !strings.Contains(from.Skipped.Error(), path) {
				t.Fatalf("Skipped = %v", from.Skipped)
			}
			// The bad file is moved aside, so the next write keeps the
			// good previous snapshot.
			if _, err := os.Stat(path + CorruptSuffix); err != nil {
				t.Fatal(err)
			}
			if err := Write(dir, "nflog", "nflog", []byte("newer")); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(path + PrevSuffix)
			if p, err := Decode(b, "nflog"); err != nil || string(p) != "old state" {
				t.Fatalf("previous after the next write = %q %v", p, err)
			}
		})
	}
}

func TestLoadBothCorruptNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a", "b"} {
		if err := Write(dir, "events", "events", []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "events")
	corrupt(t, path, 21)
	corrupt(t, path+PrevSuffix, 21)
	_, _, err := Load(dir, "events", "events")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path+":") || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("Load: %v", err)
	}
	// Only the latest exists, and it is corrupt.
	dir = t.TempDir()
	path = filepath.Join(dir, "events")
	if err := os.WriteFile(path, []byte("PK\x03\x04 a zip file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir, "events", "events"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "bad magic") {
		t.Fatalf("Load of a foreign file: %v", err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	good, err := Encode("silences", []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	otherVersion := bytes.Clone(good)
	otherVersion[9] = 2
	tests := []struct {
		name string
		data []byte
		kind string
		want string
	}{
		{"other kind", good, "nflog", `a "silences" snapshot, want "nflog"`},
		{"other version", otherVersion, "silences", "format version 2"},
		{"trailing bytes", append(bytes.Clone(good), 0), "silences", "length"},
		{"short", good[:12], "silences", "truncated"},
		{"nothing", nil, "silences", "bad magic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.data, tt.kind)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode: %v, want %q", err, tt.want)
			}
		})
	}
	if p, err := Decode(good, "silences"); err != nil || string(p) != "payload" {
		t.Fatalf("Decode(good) = %q %v", p, err)
	}
}

func TestEncodeRefusesBadKind(t *testing.T) {
	for _, k := range []string{"", strings.Repeat("k", MaxKindLen+1)} {
		if _, err := Encode(k, nil); err == nil {
			t.Errorf("Encode(kind %q) accepted", k)
		}
	}
}

func TestLoadRemovesLeftoverTemps(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, "silences", "silences", []byte("x")); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, "silences"+tmpInfix+"123")
	if err := os.WriteFile(left, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir, "silences", "silences"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("leftover temporary file: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode("silences", []byte(`{"v":1}`))
	f.Add(good, "silences")
	f.Add(good[:len(good)-1], "silences")
	f.Add([]byte("IGMONSNP\x00\x01\x08silences\xff\xff\xff\xff"), "silences")
	f.Add([]byte{}, "x")
	f.Fuzz(func(t *testing.T, data []byte, kind string) {
		p, err := Decode(data, kind)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// Whatever decodes re-encodes to the same bytes.
		again, err := Encode(kind, p)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("decoded %q of kind %q does not round-trip: %v", p, kind, err)
		}
	})
}

// BenchmarkWrite measures a crash-safe snapshot write (two fsyncs, two
// renames) against a plain os.WriteFile without fsync, in the same run.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{4 << 10, 256 << 10} {
		payload := bytes.Repeat([]byte("x"), size)
		dir := b.TempDir()
		b.Run(fmt.Sprintf("durable/%dKiB", size>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := Write(dir, "state", "bench", payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("baseline-writefile/%dKiB", size>>10), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if err := os.WriteFile(filepath.Join(dir, "plain"), payload, 0o600); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestLockRefusesASecondHolder(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), filepath.Join(dir, LockFile)) {
		t.Fatalf("second Lock: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock, err = Lock(dir)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	_ = unlock()
}
