package durable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrCorrupt is wrapped by every error about a file that exists but is not
// a whole snapshot of the expected kind: torn, truncated, bit-flipped,
// another program's file, or a snapshot of another kind or version.
var ErrCorrupt = errors.New("corrupt snapshot")

// Format constants. The header is
//
//	magic [8]byte "IGMONSNP"
//	version uint16 (big endian)
//	kind length uint8, kind bytes
//	payload length uint32
//	payload
//	CRC-32C (Castagnoli) of all the bytes above, uint32
const (
	magic   = "IGMONSNP"
	version = 1
	// MaxKindLen bounds a kind name.
	MaxKindLen = 64
	// MaxPayload bounds a payload, so a corrupt length never makes Load
	// allocate gigabytes.
	MaxPayload = 64 << 20
	// PrevSuffix names the previous snapshot, kept next to the latest.
	PrevSuffix = ".prev"
	// CorruptSuffix names a latest snapshot that Load found corrupt and
	// moved aside.
	CorruptSuffix = ".corrupt"
	tmpInfix      = ".tmp-"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode returns the file bytes of a snapshot of kind holding payload.
func Encode(kind string, payload []byte) ([]byte, error) {
	if kind == "" || len(kind) > MaxKindLen {
		return nil, fmt.Errorf("durable: kind %q: want 1 to %d bytes", kind, MaxKindLen)
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("durable: %s snapshot: payload of %d bytes exceeds %d", kind, len(payload), MaxPayload)
	}
	b := make([]byte, 0, len(magic)+2+1+len(kind)+4+len(payload)+4)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, version)
	b = append(b, byte(len(kind)))
	b = append(b, kind...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	b = append(b, payload...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// Decode checks data as a snapshot of kind and returns its payload (a
// sub-slice of data). Every failure wraps ErrCorrupt and says what is
// wrong, not where: callers add the file name.
func Decode(data []byte, kind string) ([]byte, error) {
	corrupt := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, a...)...)
	}
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return nil, corrupt("not an igmon snapshot (bad magic)")
	}
	rest := data[len(magic):]
	if len(rest) < 3 {
		return nil, corrupt("truncated header")
	}
	if v := binary.BigEndian.Uint16(rest); v != version {
		return nil, corrupt("format version %d, this build reads %d", v, version)
	}
	kl := int(rest[2])
	rest = rest[3:]
	if kl == 0 || kl > MaxKindLen || len(rest) < kl+4 {
		return nil, corrupt("truncated header")
	}
	got := string(rest[:kl])
	rest = rest[kl:]
	n := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if n > MaxPayload {
		return nil, corrupt("payload length %d exceeds %d", n, MaxPayload)
	}
	if uint64(len(rest)) != uint64(n)+4 {
		return nil, corrupt("length: header says %d payload bytes, file holds %d", n, max(len(rest)-4, 0))
	}
	body := len(data) - 4
	if want, sum := binary.BigEndian.Uint32(data[body:]), crc32.Checksum(data[:body], castagnoli); want != sum {
		return nil, corrupt("checksum mismatch")
	}
	// The kind is checked after the checksum: a torn file is reported as
	// torn, a whole file of another kind as foreign.
	if got != kind {
		return nil, corrupt("a %q snapshot, want %q", got, kind)
	}
	return rest[:n], nil
}

// Write stores payload as the snapshot name in dir, crash-safely: the
// bytes go to a temporary file in dir, which is synced and closed; the
// current snapshot (if any) is renamed to name+PrevSuffix; the temporary
// file is renamed to name; the directory is synced. A crash at any point
// leaves the new snapshot, or the old one as name or name+PrevSuffix.
// One writer per file: callers serialize their Writes.
func Write(dir, name, kind string, payload []byte) error {
	data, err := Encode(kind, payload)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	f, err := os.CreateTemp(dir, name+tmpInfix+"*")
	if err != nil {
		return fmt.Errorf("durable: write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(tmp)
		return fmt.Errorf("durable: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(path, path+PrevSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		_ = os.Remove(tmp)
		return fmt.Errorf("durable: keep previous %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("durable: write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("durable: sync directory %s: %w", dir, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}

// Loaded says where Load found a snapshot.
type Loaded struct {
	// Path is the file the payload came from: name, or name+PrevSuffix
	// when the latest was missing or corrupt.
	Path string
	// Skipped is why the latest was not used when the payload came from
	// the previous snapshot (nil otherwise). A corrupt latest file has
	// been moved aside to name+CorruptSuffix, so that the next Write
	// keeps the good previous one.
	Skipped error
}

// Load reads the snapshot name in dir: the latest, else the previous one.
// With neither file present it returns an error wrapping fs.ErrNotExist
// (a first start). When a file exists but neither decodes, the error
// wraps ErrCorrupt and names the latest file. Leftover temporary files of
// an interrupted Write are removed.
func Load(dir, name, kind string) ([]byte, Loaded, error) {
	path := filepath.Join(dir, name)
	removeTemps(dir, name)
	payload, err := readFile(path, kind)
	if err == nil {
		return payload, Loaded{Path: path}, nil
	}
	prev := path + PrevSuffix
	ppayload, perr := readFile(prev, kind)
	switch {
	case perr == nil:
		if !errors.Is(err, fs.ErrNotExist) {
			// Keep the bad file for a person to look at, out of the
			// way of the next Write's rotation.
			_ = os.Rename(path, path+CorruptSuffix)
		}
		return ppayload, Loaded{Path: prev, Skipped: err}, nil
	case errors.Is(err, fs.ErrNotExist) && errors.Is(perr, fs.ErrNotExist):
		return nil, Loaded{}, err
	case errors.Is(err, fs.ErrNotExist):
		return nil, Loaded{}, perr
	case errors.Is(perr, fs.ErrNotExist):
		return nil, Loaded{}, err
	}
	return nil, Loaded{}, fmt.Errorf("%w (previous snapshot: %v)", err, perr)
}

// readFile reads and decodes one file, naming it in every error.
func readFile(path, kind string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("durable: read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("durable: read %s: %w", path, err)
	}
	const overhead = len(magic) + 2 + 1 + MaxKindLen + 4 + 4
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("durable: read %s: %w: not a regular file", path, ErrCorrupt)
	}
	if st.Size() > int64(MaxPayload+overhead) {
		return nil, fmt.Errorf("durable: read %s: %w: %d bytes is larger than any snapshot", path, ErrCorrupt, st.Size())
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("durable: read %s: %w", path, err)
	}
	payload, err := Decode(data, kind)
	if err != nil {
		return nil, fmt.Errorf("durable: read %s: %w", path, err)
	}
	return payload, nil
}

// removeTemps deletes the temporary files an interrupted Write of name
// left in dir. Errors are ignored: a leftover only costs disk space.
func removeTemps(dir, name string) {
	matches, _ := filepath.Glob(filepath.Join(dir, escapeGlob(name)+tmpInfix+"*"))
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

func escapeGlob(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}
