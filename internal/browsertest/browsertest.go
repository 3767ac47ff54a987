//go:build linux

// Package browsertest runs Debian's headless Chromium for the tests that
// prove what a person sees: the dashboard's own tests and the casino
// demo's. Test binaries import it; nothing else does.
package browsertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Path is where Debian's chromium package puts the browser.
const Path = "/usr/bin/chromium"

// Require skips without Chromium, except in CI where the browser tests are
// part of the contract (.ci/run installs Debian's chromium).
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing: install Debian's chromium package", Path)
		}
		t.Skipf("%s not found: install Debian's chromium package to run the browser test", Path)
	}
}

// Run runs headless Chromium with args and returns its stdout and stderr.
// Virtual time (--virtual-time-budget, given by the caller or 5 s) lets
// the page's timers run ahead of the wall clock; the process group is
// killed if it hangs for two minutes.
func Run(t testing.TB, args ...string) ([]byte, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir(),
		// Page console output (console.*, uncaught exceptions, failed
		// resource loads) goes to stderr as CONSOLE lines.
		"--enable-logging=stderr", "--v=0",
	}
	budget := true
	for _, a := range args {
		if strings.HasPrefix(a, "--virtual-time-budget=") {
			budget = false
		}
	}
	if budget {
		base = append(base, "--virtual-time-budget=5000")
	}
	cmd := exec.CommandContext(ctx, Path, append(base, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes(), stderr.String()
}

// Page runs Chromium like Run and fails the test if the page wrote to the
// browser console: it logs nothing when it works, so any line is an
// uncaught exception, a console.error or a resource that failed to load.
func Page(t testing.TB, args ...string) []byte {
	t.Helper()
	stdout, stderr := Run(t, args...)
	if lines := ConsoleLines(stderr); len(lines) > 0 {
		t.Errorf("the page wrote to the browser console (a script error, a failed load or a stray log):\n%s",
			strings.Join(lines, "\n"))
	}
	return stdout
}

// ConsoleLines returns Chromium's log lines for the page's console.
func ConsoleLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, ":CONSOLE") || strings.Contains(l, "Uncaught") {
			out = append(out, l)
		}
	}
	return out
}
