#!/usr/bin/env bash
# Reproduces every figure in bench/README.md: builds dagster-scripts and the
# peers, generates the corpora, checks that our `check` accepts them, then
# measures ours and each peer interleaved (bench/measure.py) and prints a
# Markdown table of medians and ratios.
#
# usage: bench/run.sh [--quick | --render]
#   --quick   corpora of 1, 100 and 1,000 specs and 3 runs each (about a minute)
#   --render  only the render rows at 10,000 specs, ours and the floor
#             (bench/render_rows.py; no peers' venv; about 2 minutes plus the settling wait)
#
# Environment (defaults in brackets):
#   SHARED_BENCH   the peers [../shared/bench beside the repository]
#   BENCH_DIR      venv, floor, corpora and outputs [target/bench]
#   BENCH_SETTLE   seconds to let ext4 forget files the last run deleted [360]
#   BENCH_BEFORE   with --render: another dagster-scripts binary, measured in the same rounds
#
# Needs: cargo, python3 (3.10+, with venv and pip), a C compiler and OpenSSL's
# headers for the floor (Debian: apt-get install gcc libssl-dev), taskset.
# Network: pip installs the peers' pinned packages into BENCH_DIR/venv once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED_BENCH:-$ROOT/../shared/bench}"
WORK="${BENCH_DIR:-$ROOT/target/bench}"
QUICK=""
RENDER=""
case "${1:-}" in
  --quick) QUICK=--quick ;;
  --render) RENDER=1 ;;
  "") ;;
  *) echo "usage: bench/run.sh [--quick | --render]" >&2; exit 2 ;;
esac
if [[ -n "$QUICK" ]]; then SIZES="1 100 1000"; elif [[ -n "$RENDER" ]]; then SIZES="10000"; else SIZES="1 100 1000 10000"; fi

die() { echo "bench: $*" >&2; exit 1; }
[[ -d "$SHARED/seed_peer" ]] || die "no peers at $SHARED (set SHARED_BENCH)"
mkdir -p "$WORK"

echo "== building dagster-scripts (release)" >&2
(cd "$ROOT" && cargo build --release --locked --bin dagster-scripts) >&2
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/dagster-scripts"
[[ "$BIN" = /* ]] || BIN="$ROOT/$BIN"

# The seed's exact package tree (it pins check-jsonschema too), installed once.
VENV="$WORK/venv"
LOCK="$SHARED/seed_peer/requirements.lock.txt"
if [[ -z "$RENDER" ]] && ! cmp -s "$LOCK" "$VENV/installed.txt" 2>/dev/null; then
  echo "== installing the peers into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$LOCK" >&2
  cp "$LOCK" "$VENV/installed.txt"
fi

# The floor, and the launcher every measured run goes through; linked
# statically when the static libraries are there (saves ~1 ms of start-up).
FLOOR="$WORK/floor"
if [[ ! -x "$FLOOR" || "$SHARED/floor/floor.c" -nt "$FLOOR" ]]; then
  echo "== compiling the floor" >&2
  cc -O2 -static -o "$FLOOR" "$SHARED/floor/floor.c" -lcrypto 2>/dev/null \
    || cc -O2 -o "$FLOOR" "$SHARED/floor/floor.c" -lcrypto \
    || die "cannot build the floor (Debian: apt-get install gcc libssl-dev)"
fi
TIMED="$WORK/timed"
if [[ ! -x "$TIMED" || "$ROOT/bench/timed.c" -nt "$TIMED" ]]; then
  cc -O2 -static -o "$TIMED" "$ROOT/bench/timed.c" 2>/dev/null \
    || cc -O2 -o "$TIMED" "$ROOT/bench/timed.c" || die "cannot build bench/timed.c"
fi

# Corpora: deterministic, regenerated only when the file count is off; every
# spec must pass our own `check` (else the generator and the schema disagree).
for n in $SIZES; do
  dir="$WORK/corpora/specs-$n"
  have=$( (find "$dir" -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) 2>/dev/null || true) | wc -l)
  if [[ "$have" != "$n" ]]; then
    echo "== generating $n specs" >&2
    python3 "$SHARED/gen_specs.py" "$n" "$dir" --clean >&2
  fi
  "$BIN" check --specs "$dir" 2>"$WORK/check-$n.txt" \
    || { cat "$WORK/check-$n.txt" >&2; die "dagster-scripts check rejects specs the generator wrote (above)"; }
done

if [[ -n "$RENDER" ]]; then
  exec python3 "$ROOT/bench/render_rows.py" --bin "$BIN" --floor "$FLOOR" --timed "$TIMED" \
    --work "$WORK" --settle "${BENCH_SETTLE:-360}" --size 10000 ${BENCH_BEFORE:+--before "$BENCH_BEFORE"}
fi
exec python3 "$ROOT/bench/measure.py" $QUICK --bin "$BIN" --venv "$VENV" --floor "$FLOOR" --timed "$TIMED" \
  --shared "$SHARED" --work "$WORK" --schema "$ROOT/schema/spec.schema.json" \
  --settle "${BENCH_SETTLE:-360}" --sizes $SIZES
