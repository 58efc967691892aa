#!/usr/bin/env bash
# Runs a server for the length of a test process, and stops it with its children.
#
# usage: serve.sh LOG_FILE COMMAND [ARGS...]
#
# Starts COMMAND in a session of its own, prints its pid, then waits until its
# standard input closes: the test process holds the other end of that pipe, so
# when the test process exits (however it exits), the server is stopped:
# SIGTERM to the session leader, up to 20 s for the session to end, then
# SIGKILL to whatever is left, one pid at a time. If SERVE_REMOVE is set, that
# directory is removed afterwards (the server's temporary DAGSTER_HOME).
#
# `env --default-signal=INT,TERM` matters: a background job of a
# non-interactive shell starts with SIGINT ignored, and dagster maps SIGTERM
# onto its SIGINT handler, so without the reset it would ignore SIGTERM too
# (shared/dagster-lab/README.md).
set -u
log="$1"
shift
env --default-signal=INT,TERM setsid "$@" >"$log" 2>&1 </dev/null &
leader=$!
echo "$leader"
while read -r _; do :; done
if kill -TERM "$leader" 2>/dev/null; then
  for _ in $(seq 1 40); do
    [ -z "$(ps -o pid= -s "$leader" 2>/dev/null)" ] && break
    sleep 0.5
  done
fi
for p in $(ps -o pid= -s "$leader" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
wait "$leader" 2>/dev/null
if [ -n "${SERVE_REMOVE:-}" ]; then rm -rf "$SERVE_REMOVE"; fi
exit 0
