#!/usr/bin/env bash
# Dependency weight of package checks: builds two tiny programs that only
# register one check and serve /readyz, one with igmon's checks and one with
# github.com/alexliesenfeld/health, stripped (-ldflags='-s -w'), and prints
# both sizes and their ratio. Exits 1 when igmon's is more than
# IGMON_BINSIZE_MAX_RATIO (default 1.25) times the other.
#
# Each program is built in a throwaway module (igmon's through a replace
# directive to this checkout), so nothing else in the repository is linked.
# Needs the Go module proxy (or a warm module cache) for the comparison
# library.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
export GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0
repo=$(pwd)
max_ratio=${IGMON_BINSIZE_MAX_RATIO:-1.25}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# build DIR: a stripped, trimmed binary of the module in DIR; prints its size in bytes.
build() {
  (cd "$1" && go mod tidy && go build -trimpath -ldflags='-s -w' -o "$1/prog" .) >&2
  stat -c %s "$1/prog"
}

mkdir -p "$work/igmon"
cat >"$work/igmon/main.go" <<'GO'
// A checks-only program: one check, /readyz.
package main

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/jackcode/igmon/checks"
)

func main() {
	reg, err := checks.NewRegistry()
	if err != nil {
		log.Fatal(err)
	}
	if err := reg.Register("db", func(context.Context) error { return nil }, checks.WithInterval(10*time.Second)); err != nil {
		log.Fatal(err)
	}
	if err := reg.Start(context.Background()); err != nil {
		log.Fatal(err)
	}
	http.Handle("/readyz", reg.Handler())
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}
GO
(cd "$work/igmon" && go mod init example.com/igmonsize >/dev/null 2>&1 &&
  go mod edit -require=github.com/jackcode/igmon@v0.0.0 -replace=github.com/jackcode/igmon="$repo")

mkdir -p "$work/health"
cat >"$work/health/main.go" <<'GO'
// The same program with github.com/alexliesenfeld/health.
package main

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/alexliesenfeld/health"
)

func main() {
	checker := health.NewChecker(health.WithPeriodicCheck(10*time.Second, 0, health.Check{
		Name:  "db",
		Check: func(context.Context) error { return nil },
	}))
	http.Handle("/readyz", health.NewHandler(checker))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", nil))
}
GO
(cd "$work/health" && go mod init example.com/healthsize >/dev/null 2>&1 &&
  go get github.com/alexliesenfeld/health@latest >&2)

igmon=$(build "$work/igmon")
other=$(build "$work/health")
hver=$(cd "$work/health" && go list -m -f '{{.Version}}' github.com/alexliesenfeld/health)
awk -v a="$igmon" -v b="$other" -v max="$max_ratio" -v hver="$hver" -v gover="$(go env GOVERSION)" -v goarch="$(go env GOOS)/$(go env GOARCH)" 'BEGIN {
  r = a / b
  printf "checks-only /readyz program, stripped (-s -w), %s %s:\n", gover, goarch
  printf "  igmon checks                      %10d bytes (%.1f MiB)\n", a, a / 1048576
  printf "  alexliesenfeld/health %-11s %10d bytes (%.1f MiB)\n", hver, b, b / 1048576
  printf "  ratio %.2f (limit %.2f)\n", r, max
  if (r > max) { print "binsize: igmon checks is too heavy"; exit 1 }
}'
