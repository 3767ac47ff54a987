package durable

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// childEnv makes the test binary run childWriter instead of the tests.
const childEnv = "IGMON_DURABLE_KILL_CHILD"

// killPayload is snapshot n: its counter, then a size that varies with n
// (up to 256 KiB, so some writes take long enough to be cut) of byte(n).
func killPayload(n uint64) []byte {
	size := int(n*7919%(256<<10)) + 8
	b := bytes.Repeat([]byte{byte(n)}, size)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// checkKillPayload returns the counter of a payload written by
// killPayload, or an error if the bytes are not exactly that payload.
func checkKillPayload(p []byte) (uint64, error) {
	if len(p) < 8 {
		return 0, fmt.Errorf("payload of %d bytes", len(p))
	}
	n := binary.BigEndian.Uint64(p)
	if !bytes.Equal(p, killPayload(n)) {
		return n, fmt.Errorf("payload %d has the wrong contents", n)
	}
	return n, nil
}

// childWriter loads the snapshot, then writes the next ones as fast as it
// can, printing each counter once its Write returned, until it is killed.
func childWriter(dir string) {
	var n uint64
	p, _, err := Load(dir, "state", "kill-test")
	switch {
	case err == nil:
		if n, err = checkKillPayload(p); err != nil {
			fmt.Println("BAD", err)
			os.Exit(3)
		}
	case !errors.Is(err, fs.ErrNotExist):
		fmt.Println("BAD", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	for range 1_000_000 { // bounded: an orphaned child still ends
		n++
		if err := Write(dir, "state", "kill-test", killPayload(n)); err != nil {
			fmt.Println("BAD", err)
			os.Exit(3)
		}
		fmt.Fprintln(out, n)
		if out.Flush() != nil {
			os.Exit(0) // the parent is gone
		}
	}
}

// TestSIGKILLDuringWritesAlwaysLoads kills a writing child process at
// random moments: every time, the state loads (the latest or the previous
// snapshot), is whole, and is at least as new as the last snapshot the
// child reported written.
func TestSIGKILLDuringWritesAlwaysLoads(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const rounds = 50
	dir := t.TempDir()
	rnd := rand.New(rand.NewPCG(uint64(os.Getpid()), 13))
	fellBack, leftovers := 0, 0
	var last uint64
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it write 1 to 40 snapshots, then kill it while it writes
		// the next ones.
		want := 1 + rnd.IntN(40)
		sc := bufio.NewScanner(stdout)
		lines := 0
		for lines < want && sc.Scan() {
			line := sc.Text()
			v, err := strconv.ParseUint(line, 10, 64)
			if err != nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("round %d: child said %q", round, line)
			}
			if v <= last {
				t.Fatalf("round %d: child wrote %d after %d", round, v, last)
			}
			last = v
			lines++
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if lines < want {
			t.Fatalf("round %d: child ended after %d snapshots", round, lines)
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "state"+tmpInfix+"*")); len(m) > 0 {
			leftovers++
		}
		p, from, err := Load(dir, "state", "kill-test")
		if err != nil {
			t.Fatalf("round %d: Load after SIGKILL: %v", round, err)
		}
		n, err := checkKillPayload(p)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if n < last {
			t.Fatalf("round %d: loaded snapshot %d, but %d was written", round, n, last)
		}
		if from.Skipped != nil {
			fellBack++
		}
		last = n
	}
	t.Logf("%d kills: last snapshot %d; the kill left a temporary file %d times; fell back to the previous snapshot %d times",
		rounds, last, leftovers, fellBack)
}
