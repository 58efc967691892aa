#!/usr/bin/env python3
"""Measures dagster-scripts against its peers and prints a Markdown report.

Run by bench/run.sh, which builds everything this needs. Each comparison runs
ours and the peer alternately (ours, peer, ours, peer, ...) after one untimed
warm-up of each, so both meet the same moment of a shared, noisy machine; every
figure is a median, and every ratio is the median of the per-pair ratios. A run
is a whole process, started by bench/timed.c (no shell, no interpreter in
between): its wall time is taken around vfork, exec and wait4, its CPU time and
peak RSS come from wait4.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

MIB = 1024  # ru_maxrss is in KiB


class Run:
    """One finished process: wall and CPU seconds, peak RSS in KiB."""

    def __init__(self, wall: float, cpu: float, rss: int):
        self.wall, self.cpu, self.rss = wall, cpu, rss


TIMED = ""  # path of the compiled bench/timed.c, set from the command line


def spawn(cmd: list[str]) -> Run:
    """Runs `cmd` once through `timed`, output discarded; fails loudly if it fails."""
    result = subprocess.run([TIMED, *cmd], stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True)
    wall, cpu, rss, code = result.stdout.split()
    if code != "0":
        subprocess.run(cmd, check=False)  # once more, with its output shown
        sys.exit(f"bench: exit {code}: {' '.join(cmd)}")
    return Run(float(wall), float(cpu), int(rss))


def median(xs):
    return statistics.median(xs)


class Series:
    """The runs of one command in one comparison."""

    def __init__(self):
        self.runs: list[Run] = []

    def wall(self) -> float:
        return median(r.wall for r in self.runs)

    def rss(self) -> float:
        return median(r.rss for r in self.runs) / MIB

    def cores(self) -> float:
        return median(r.cpu / r.wall for r in self.runs)


def interleaved(runs: int, commands: dict, before=None) -> dict[str, Series]:
    """Runs each command of `commands` (name -> function of the run index that
    returns argv) once per round, `runs` rounds after one warm-up round.
    `before(i)`, if given, runs untimed at the start of each round."""
    out = {name: Series() for name in commands}
    for i in range(-1, runs):
        if before:
            before(i)
        for name, command in commands.items():
            run = spawn(command(i))
            if i >= 0:
                out[name].runs.append(run)
    return out


def ratio(a: Series, b: Series) -> float:
    """Median over the rounds of b's wall time / a's."""
    return median(y.wall / x.wall for x, y in zip(a.runs, b.runs))


def secs(t: float) -> str:
    return f"{t * 1000:.1f} ms" if t < 0.1 else f"{t:.3f} s"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    python = subprocess.run([sys.executable, "--version"], capture_output=True, text=True).stdout.strip()
    return [
        f"- `nproc`: {os.cpu_count()}; CPU: {cpu}; memory: {mem / 1024 / 1024:.1f} GiB",
        f"- kernel: Linux {platform.release()}; {python}",
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
    ]


def settle(out: Path, seconds: int, quick: bool) -> str:
    """Removes a previous run's outputs and, unless `quick`, waits until ext4
    stops avoiding the inodes they held: without a journal it skips inodes
    freed in the last 60 s (360 s while their table block is dirty), and
    creating files next to many of them costs several times more."""
    stamp = out.parent / "cleaned-at"
    if out.exists():
        shutil.rmtree(out)
        stamp.touch()
    since = time.time() - stamp.stat().st_mtime if stamp.exists() else seconds
    wait = max(0, seconds - since)
    if wait and not quick:
        progress(f"== waiting {wait:.0f} s for ext4 to settle after deleting earlier outputs (BENCH_SETTLE=0 skips)")
        time.sleep(wait)
        return ""
    if wait:
        return f"(outputs deleted {since:.0f} s before the run: fresh-directory figures may read high)"
    return ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--timed", required=True)
    ap.add_argument("--shared", required=True, type=Path)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--settle", type=int, default=360)
    ap.add_argument("--sizes", nargs="+", type=int, required=True)
    a = ap.parse_args()
    a.work = a.work.resolve()
    global TIMED
    TIMED = a.timed

    ours, floor = a.bin, a.floor
    python = f"{a.venv}/bin/python"
    cj = f"{a.venv}/bin/check-jsonschema"
    seed = str(a.shared / "seed_peer/render_dir.py")
    seed_schema = str(a.shared / "seed_peer/schema.json")
    runs_small = 3 if a.quick else 10
    runs_big = 3 if a.quick else 5
    runs_one = 5 if a.quick else 20
    # Our render reads dagster-scripts.toml and templates/ from the working
    # directory: run where there are none, so the defaults apply.
    os.chdir(a.work)
    out = a.work / "out"
    note = settle(out, a.settle, a.quick)
    corpus = lambda n: a.work / f"corpora/specs-{n}"

    rows: dict[int, dict] = {}
    for n in a.sizes:
        runs = runs_big if n >= 10_000 else runs_small
        specs = corpus(n)
        files = sorted(str(p) for p in specs.iterdir())
        r = rows[n] = {}

        progress(f"== N={n}: check, all files")
        r["check"] = interleaved(runs, {
            "ours": lambda i: [ours, "check", "--specs", str(specs)],
            "cj": lambda i: [cj, "--schemafile", seed_schema, *files],
        })

        progress(f"== N={n}: render into an empty directory")
        fresh = out / "fresh"
        r["fresh"] = interleaved(runs, {
            "ours": lambda i: [ours, "render", "--specs", str(specs), "--out", str(fresh / f"ours-{n}-{i}")],
            "seed": lambda i: [python, seed, str(specs), str(fresh / f"seed-{n}-{i}")],
            "floor": lambda i: [floor, str(specs), str(fresh / f"floor-{n}-{i}")],
        })

        progress(f"== N={n}: render again, with nothing or one spec changed")
        # A copy of the corpus whose first spec flips between two versions, so
        # each round's first render has exactly one changed spec and the
        # second has none.
        edit = out / f"specs-{n}-edit"
        shutil.copytree(specs, edit)
        first = sorted(edit.iterdir())[0]
        versions = [first.read_text(), first.read_text() + "# edited by bench/measure.py\n"]
        warm = out / "warm"
        spawn([ours, "render", "--specs", str(edit), "--out", str(warm / f"ours-{n}")])
        spawn([floor, str(specs), str(warm / f"floor-{n}")])
        rounds = interleaved(
            runs,
            {
                "one": lambda i: [ours, "render", "--specs", str(edit), "--out", str(warm / f"ours-{n}")],
                "none": lambda i: [ours, "render", "--specs", str(edit), "--out", str(warm / f"ours-{n}")],
                "floor": lambda i: [floor, "--skip-same", str(specs), str(warm / f"floor-{n}")],
            },
            before=lambda i: first.write_text(versions[i % 2]),
        )
        r["again"] = rounds

    top = max(a.sizes)
    progress("== check, one file")
    one_file = sorted(str(p) for p in corpus(top).iterdir())[0]
    check_one = interleaved(runs_one, {
        "ours": lambda i: [ours, "check", one_file],
        "cj": lambda i: [cj, "--schemafile", seed_schema, one_file],
        "cj-ours": lambda i: [cj, "--schemafile", a.schema, one_file],
    })

    progress("== byte-identical output on one core and on all")
    det = out / "identical"
    spawn([ours, "render", "--specs", str(corpus(top)), "--out", str(det / "out")])
    (det / "out").rename(det / "all-cores")
    subprocess.run(["taskset", "-c", "0", ours, "render", "--specs", str(corpus(top)), "--out", str(det / "out")],
                   check=True, capture_output=True)
    same = identical(det / "all-cores", det / "out")

    report(a, rows, top, check_one, same, note)
    shutil.rmtree(out)
    (a.work / "cleaned-at").touch()


def identical(x: Path, y: Path) -> bool:
    names = sorted(p.name for p in x.iterdir())
    if names != sorted(p.name for p in y.iterdir()):
        return False
    match, mismatch, errors = filecmp.cmpfiles(x, y, names, shallow=False)
    return not mismatch and not errors


def report(a, rows, top, check_one, same, note) -> None:
    r = rows[top]
    check, fresh, again = r["check"], r["fresh"], r["again"]
    verdict = lambda ok: "met" if ok else "**missed**"
    lines = [f"## dagster-scripts vs its peers ({'quick: ' if a.quick else ''}N = {top:,} specs)", ""]
    lines += machine()
    lines += [
        f"- runs: {3 if a.quick else 10} per comparison up to 1,000 specs, {3 if a.quick else 5} at 10,000, "
        f"{5 if a.quick else 20} for one file; interleaved, one warm-up each; medians",
        "",
    ]
    if note:
        lines += [note, ""]
    if top != 10_000:
        lines += ["(The targets are set for 10,000 specs; this run stops at "
                  f"{top:,}, so its verdicts are indicative.)", ""]

    x_one = ratio(check_one["ours"], check_one["cj"])
    x_all = ratio(check["ours"], check["cj"])
    x_seed = ratio(fresh["ours"], fresh["seed"])
    x_floor = 1 / ratio(fresh["ours"], fresh["floor"])
    x_same = 1 / ratio(again["none"], again["floor"])
    x_edit = 1 / ratio(again["none"], again["one"])
    rss_fresh, rss_same = fresh["ours"].rss(), again["none"].rss()
    lines += [
        "| what | dagster-scripts | peer (same run) | ratio | target | |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        f"| `check` one file, whole process | {secs(check_one['ours'].wall())} | check-jsonschema {secs(check_one['cj'].wall())} "
        f"| {x_one:.0f}x faster | ≥ 50x | {verdict(x_one >= 50)} |",
        f"| `check` all {top:,} files | {secs(check['ours'].wall())} | check-jsonschema {secs(check['cj'].wall())} "
        f"| {x_all:.0f}x faster | ≥ 30x | {verdict(x_all >= 30)} |",
        f"| `render` into an empty `out/` | {secs(fresh['ours'].wall())} | seed renderer {secs(fresh['seed'].wall())} "
        f"| {x_seed:.1f}x faster | ≥ 40x | {verdict(x_seed >= 40)} |",
        f"| `render` into an empty `out/` | {secs(fresh['ours'].wall())} | floor {secs(fresh['floor'].wall())} "
        f"| {x_floor:.1f}x the floor | ≤ 3x | {verdict(x_floor <= 3)} |",
        f"| `render`, nothing changed | {secs(again['none'].wall())} | floor `--skip-same` {secs(again['floor'].wall())} "
        f"| {x_same:.1f}x the floor | ≤ 3x | {verdict(x_same <= 3)} |",
        f"| `render`, one spec changed | {secs(again['one'].wall())} | ours, nothing changed {secs(again['none'].wall())} "
        f"| {x_edit:.2f}x | close to 1x | {verdict(x_edit <= 1.5)} |",
        f"| peak memory, `render` into an empty `out/` | {rss_fresh:.1f} MiB | seed renderer {fresh['seed'].rss():.1f} MiB "
        f"| | < 50 MiB | {verdict(rss_fresh < 50)} |",
        f"| peak memory, `render`, nothing changed | {rss_same:.1f} MiB | | | < 50 MiB | {verdict(rss_same < 50)} |",
        f"| cores busy during `render` into an empty `out/` (CPU time / wall) | {fresh['ours'].cores():.2f} "
        f"| seed renderer {fresh['seed'].cores():.2f} | | both cores | |",
        f"| output byte-identical on one core and on all | {'yes' if same else '**no**'} | | | yes | {verdict(same)} |",
        "",
        f"check-jsonschema above uses the seed's schema (`seed_peer/schema.json`, as the peers were measured); "
        f"with ours (`schema/spec.schema.json`, 2020-12, stricter) one file takes {secs(check_one['cj-ours'].wall())} "
        f"({ratio(check_one['ours'], check_one['cj-ours']):.0f}x ours).",
        "",
        "### Scaling (dagster-scripts; medians)",
        "",
        "| specs | `render` empty `out/` | per spec* | nothing changed | per spec* | `check` all | peak MiB, empty `out/` | peak MiB, nothing changed | seed | floor | floor `--skip-same` |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    previous = None
    for n, r in rows.items():
        f, g = r["fresh"]["ours"].wall(), r["again"]["none"].wall()
        m = r["fresh"]["ours"].rss()
        per_spec = lambda t, i: "" if previous is None else f"{(t - previous[i]) / (n - previous[0]) * 1e6:.0f} µs"
        lines.append(
            f"| {n:,} | {secs(f)} | {per_spec(f, 1)} | {secs(g)} | {per_spec(g, 2)} | "
            f"{secs(r['check']['ours'].wall())} | {m:.1f} | {r['again']['none'].rss():.1f} | "
            f"{secs(r['fresh']['seed'].wall())} | {secs(r['fresh']['floor'].wall())} | {secs(r['again']['floor'].wall())} |"
        )
        if previous is not None:
            growth = (m - previous[3]) * 1024 / (n - previous[0]) * 1000
        previous = (n, f, g, m)
    lines += [
        "",
        "\\* marginal time per spec from the row above: (T(N) - T(previous)) / (N - previous).",
        f"Peak memory of `render` into an empty `out/` grows by {growth:.0f} KiB per 1,000 specs "
        f"between the last two rows (the rendered manifests are held until every spec has passed).",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
