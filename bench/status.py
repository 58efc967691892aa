"""Measures `dagster-scripts status` at 10, 100 and 1,000 requests against a
real Dagster (the pinned 1.13.27 venv), against the naive peer: the same
questions asked one request at a time, sequentially.

What it does, in order:
  1. starts `dagster-webserver` (no daemon: backfills stay REQUESTED) on
     127.0.0.1 with tests/dagster/workspace.yaml and a fresh DAGSTER_HOME;
  2. writes N backfill specs (ingestion_job, one day x one station each,
     all different) and reads their request hashes from `status --format json`;
  3. launches most of them the way the runner does, through
     `launchPartitionBackfill` with the `dagster-scripts/request` tag (they
     stay REQUESTED), and for every 20th spec (i % 20 == 4) a run of cleanup_job through
     `launchRun` with the tag instead (the spec is `kind: run`; it really
     runs and finishes, SUCCESS); every 10th spec is left not launched;
  4. for each size, runs `status --format json` over the first N specs and
     the naive peer over the same N, each through a counting proxy on
     127.0.0.1, interleaved, RUNS times, and prints the medians as Markdown.

With --old-bin, another build of `status` (e.g. an earlier version) is
measured too, on the same instance, and shown in two more columns.

usage: python3 bench/status.py --bin target/release/dagster-scripts \
           --venv target/venv-dagster [--sizes 10,100,1000] [--runs 3] [--old-bin PATH]
"""

import argparse
import http.server
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAG = "dagster-scripts/request"
ONE = (ROOT / "bench/status_naive.graphql").read_text()
STATUSES = (ROOT / "src/dagster/queries/partition_statuses.graphql").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # Dagster's status is a hint; the body is the answer
        return json.load(e)


class Counter:
    """A proxy that forwards each POST to `upstream` and counts it."""

    def __init__(self, upstream: str):
        self.count = 0
        counter = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                counter.count += 1
                req = urllib.request.Request(upstream + self.path, body, {"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(req, timeout=300) as r:
                        status, answer = r.status, r.read()
                except urllib.error.HTTPError as e:
                    status, answer = e.code, e.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def start_dagster(venv: Path, home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = dict(os.environ, DAGSTER_HOME=str(home), DAGSTER_DISABLE_TELEMETRY="1", PYTHONDONTWRITEBYTECODE="1")
    log = open(home / "webserver.log", "w")
    proc = subprocess.Popen(
        [str(venv / "bin/dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT / "tests/dagster", env=env, stdout=log, stderr=log, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            a = post(url + "/graphql", "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }", {})
            entries = a["data"]["workspaceOrError"]["locationEntries"]
            if len(entries) == 2 and all(e["loadStatus"] == "LOADED" for e in entries):
                return proc, url
        except (OSError, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.5)
    proc.terminate()
    sys.exit("dagster-webserver did not load its workspace in 180 s")


STATIONS = ["NL01497", "NL01912", "NL01913"]


def spec(i: int) -> tuple[str, str]:
    """The i-th spec: a file name and its text."""
    if i % 20 == 4:
        return f"run-{i}.yaml", (
            f"kind: run\njob_name: cleanup_job\ntags:\n  name: \"{i + 1}\"\n"
            f"run_config:\n  ops:\n    cleanup:\n      config:\n        older_than_days: {i}\n"
        )
    day = time.strftime("%Y-%m-%d", time.gmtime(1704067200 + (i // 3) * 86400))
    return f"backfill-{i}.yaml", (
        "job_name: ingestion_job\nrepository_name: luchtmeetnet_ingestion\n"
        f"tags:\n  name: \"{i + 1}\"\n  requester: bench\n  partitions:\n"
        f"  - name: daily\n    start_date: '{day}'\n    end_date: '{day}'\n"
        f"  - name: stations\n    values: [{STATIONS[i % 3]}]\n"
    )


def launch(graphql: str, i: int, text: str, request: str) -> None:
    tags = [{"key": TAG, "value": request}, {"key": "dagster-scripts/issue", "value": str(i)}]
    selector = {"repositoryLocationName": "luchtmeetnet_ingestion", "repositoryName": "__repository__"}
    if text.startswith("kind: run"):
        a = post(graphql, (ROOT / "src/dagster/queries/launch_run.graphql").read_text(), {
            "executionParams": {
                "selector": dict(selector, jobName="cleanup_job"),
                "runConfigData": {"ops": {"cleanup": {"config": {"older_than_days": i}}}},
                "executionMetadata": {"tags": tags},
            }})
        ok = a["data"]["launchRun"]["__typename"] == "LaunchRunSuccess"
    else:
        day = text.split("start_date: '")[1][:10]
        station = text.split("values: [")[1].split("]")[0]
        a = post(graphql, (ROOT / "src/dagster/queries/launch_backfill.graphql").read_text(), {
            "backfillParams": {
                "selector": {"partitionSetName": "ingestion_job_partition_set", "repositorySelector": selector},
                "partitionNames": [f"{day}|{station}"],
                "tags": tags,
            }})
        ok = a["data"]["launchPartitionBackfill"]["__typename"] == "LaunchBackfillSuccess"
    if not ok:
        sys.exit(f"launching spec {i} failed: {a}")


def naive(graphql: str, hashes: list[str]) -> None:
    """What `status` does, one request at a time: its launches, then (for a
    backfill with failed partitions) its partitions."""
    for h in hashes:
        a = post(graphql, ONE, {"key": TAG, "v0": h})
        for e in a["data"]["r0"]["results"]:
            if e["__typename"] == "PartitionBackfill" and any(
                c["runStatus"] in ("FAILURE", "CANCELED") for c in e["partitionStatusCounts"]
            ):
                post(graphql, STATUSES, {"id0": e["id"]})


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True, type=Path)
    p.add_argument("--venv", required=True, type=Path)
    p.add_argument("--sizes", default="10,100,1000")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--old-bin", type=Path)
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(tempfile.mkdtemp(prefix="status-bench-"))
    proc, url = start_dagster(args.venv.resolve(), work)
    try:
        graphql = url + "/graphql"
        n = max(sizes)
        repos = {}
        for size in sizes:
            specs = work / f"repo-{size}" / "specs"
            specs.mkdir(parents=True)
            for i in range(size):
                name, text = spec(i)
                (specs / name).write_text(text)
            repos[size] = specs.parent
        def status(size: int, dagster: str, binary: Path = args.bin) -> tuple[int, dict]:
            out = subprocess.run(
                [str(binary.resolve()), "status", "--format", "json", "--dagster", dagster, "--timeout", "10m"],
                cwd=repos[size], capture_output=True, text=True,
            )
            return out.returncode, json.loads(out.stdout)
        _, before = status(n, url)
        hashes = {r["path"]: r["request"] for r in before["requests"]}
        t = time.time()
        launched = 0
        for i in range(n):
            name, text = spec(i)
            if i % 10 != 9:
                launch(graphql, i, text, hashes[f"specs/{name}"])
                launched += 1
        print(f"launched {launched} of {n} in {time.time() - t:.0f} s", file=sys.stderr)
        time.sleep(10)  # the runs of cleanup_job finish

        rows = []
        for size in sizes:
            ours, peer, old = [], [], []
            order = [r["request"] for r in status(size, url)[1]["requests"]]
            for _ in range(args.runs):
                c = Counter(url)
                t = time.perf_counter()
                code, report = status(size, c.url)
                ours.append((time.perf_counter() - t, c.count))
                c.server.shutdown()
                if args.old_bin:
                    c = Counter(url)
                    t = time.perf_counter()
                    old_code, old_report = status(size, c.url, args.old_bin)
                    old.append((time.perf_counter() - t, c.count))
                    c.server.shutdown()
                    # `dagster` is the URL asked (each run's own proxy); the rest must agree.
                    same = lambda r: {k: v for k, v in r.items() if k != "dagster"}
                    if (old_code, same(old_report)) != (code, same(report)):
                        print(f"the old build answers differently at {size}", file=sys.stderr)
                c = Counter(url)
                t = time.perf_counter()
                naive(c.url + "/graphql", order)
                peer.append((time.perf_counter() - t, c.count))
                c.server.shutdown()
            counts = report["counts"]
            rows.append((size, ours, peer, old, counts, code))
        extra = " old build: requests sent | old build: wall |" if args.old_bin else ""
        print(f"| requests | states | `status`: requests sent | `status`: wall |{extra} naive peer: requests sent | naive peer: wall | ratio (wall) |")
        print("| ---: | --- | ---: | ---: |" + (" ---: | ---: |" if args.old_bin else "") + " ---: | ---: | ---: |")
        for size, ours, peer, old, counts, code in rows:
            w_ours = statistics.median(w for w, _ in ours)
            w_peer = statistics.median(w for w, _ in peer)
            states = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items() if v)
            cols = f" {old[0][1]} | {statistics.median(w for w, _ in old):.2f} s |" if old else ""
            print(f"| {size:,} | {states} (exit {code}) | {ours[0][1]} | {w_ours:.2f} s |{cols} {peer[0][1]:,} | {w_peer:.2f} s | {w_peer / w_ours:.1f}x |")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
