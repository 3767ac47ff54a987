# shellcheck shell=bash
# Builds the real Prometheus and Alertmanager tools the conformance and
# fleet tests run against, from the Go module proxy, into .ci/bin (cached
# across runs by the Go build cache), and exports where they are:
#   IGMON_PROMTOOL      promtool     (prometheus/cmd/promtool)
#   IGMON_AMTOOL        amtool       (alertmanager/cmd/amtool)
#   IGMON_ALERTMANAGER  alertmanager (alertmanager/cmd/alertmanager)
# Tests skip without them, except in CI (CI set), where they fail.

PROMETHEUS_VERSION=v0.316.0   # Prometheus 3.16
ALERTMANAGER_VERSION=v0.31.1

install_tools() {
  local bin
  bin="$(pwd)/.ci/bin"
  mkdir -p "$bin"
  if [ ! -x "$bin/promtool" ]; then
    echo "== building promtool $PROMETHEUS_VERSION"
    GOBIN="$bin" go install "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION"
  fi
  if [ ! -x "$bin/amtool" ] || [ ! -x "$bin/alertmanager" ]; then
    echo "== building amtool and alertmanager $ALERTMANAGER_VERSION"
    # The version a release build carries: without it amtool skips its
    # version check, which the amtool tests must see pass.
    GOBIN="$bin" go install -ldflags "-X github.com/prometheus/common/version.Version=${ALERTMANAGER_VERSION#v}" \
      "github.com/prometheus/alertmanager/cmd/amtool@$ALERTMANAGER_VERSION" \
      "github.com/prometheus/alertmanager/cmd/alertmanager@$ALERTMANAGER_VERSION"
  fi
  export IGMON_PROMTOOL="$bin/promtool"
  export IGMON_AMTOOL="$bin/amtool"
  export IGMON_ALERTMANAGER="$bin/alertmanager"
}
