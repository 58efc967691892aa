#!/usr/bin/env bash
# Creates (once) the Python venv that the Dagster integration tests run:
# dagster, dagster-webserver and dagster-graphql, all pinned to one version
# (dagster-webserver X requires exactly dagster X). Idempotent: a venv that
# already has the pinned version is left alone, so it is cheap to call before
# every test run.
#
# usage: tests/dagster/venv.sh [VENV_DIR]   (default: target/venv-dagster)
# env:   DAGSTER_SCRIPTS_PYTHON   the interpreter to build it with (python3)
# Prints the venv directory on stdout; progress goes to stderr.
set -euo pipefail

DAGSTER_VERSION=1.13.27
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${1:-$ROOT/target/venv-dagster}"
PYTHON="${DAGSTER_SCRIPTS_PYTHON:-python3}"

installed() {
  [ -x "$VENV/bin/dagster" ] && [ -x "$VENV/bin/dagster-webserver" ] &&
    [ "$("$VENV/bin/python" -c 'import dagster, dagster_graphql, dagster_webserver; print(dagster.__version__, dagster_graphql.__version__, dagster_webserver.__version__)' 2>/dev/null)" \
      = "$DAGSTER_VERSION $DAGSTER_VERSION $DAGSTER_VERSION" ]
}

if ! installed; then
  # Several test binaries may call this at once: one installs, the others wait.
  mkdir -p "$(dirname "$VENV")"
  exec 9>"$VENV.lock"
  flock 9
  if ! installed; then
    echo "venv.sh: installing dagster $DAGSTER_VERSION into $VENV" >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
      "dagster==$DAGSTER_VERSION" "dagster-webserver==$DAGSTER_VERSION" "dagster-graphql==$DAGSTER_VERSION" >&2
    installed || { echo "venv.sh: $VENV does not hold dagster $DAGSTER_VERSION after install" >&2; exit 1; }
  fi
fi
echo "$VENV"
