#!/usr/bin/env python3
"""Only the render rows of bench/README.md's table, for one corpus size: a
render into an empty `out/` (ours and the floor) and a render with nothing
or one spec changed (ours, and the floor's `--skip-same`), interleaved as
bench/measure.py does. Run by bench/run.sh --render.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import measure  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--timed", required=True)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--settle", type=int, default=360)
    ap.add_argument("--before", help="another build of dagster-scripts, measured in the same rounds")
    a = ap.parse_args()
    a.work = a.work.resolve()
    measure.TIMED = a.timed
    ours, floor, n = a.bin, a.floor, a.size
    os.chdir(a.work)
    out = a.work / "out"
    note = measure.settle(out, a.settle, a.settle == 0)
    specs = a.work / f"corpora/specs-{n}"

    measure.progress(f"== N={n}: render into an empty directory")
    fresh = out / "fresh"
    commands = {
        "ours": lambda i: [ours, "render", "--specs", str(specs), "--out", str(fresh / f"ours-{i}")],
        "floor": lambda i: [floor, str(specs), str(fresh / f"floor-{i}")],
    }
    if a.before:
        commands["before"] = lambda i: [a.before, "render", "--specs", str(specs), "--out", str(fresh / f"before-{i}")]
    f = measure.interleaved(a.runs, commands)
    measure.progress(f"== N={n}: render again, with nothing or one spec changed")
    edit = out / "specs-edit"
    shutil.copytree(specs, edit)
    first = sorted(edit.iterdir())[0]
    versions = [first.read_text(), first.read_text() + "# edited by bench/render_rows.py\n"]
    warm = out / "warm"
    measure.spawn([ours, "render", "--specs", str(edit), "--out", str(warm / "ours")])
    measure.spawn([floor, str(specs), str(warm / "floor")])
    commands = {
        "one": lambda i: [ours, "render", "--specs", str(edit), "--out", str(warm / "ours")],
        "none": lambda i: [ours, "render", "--specs", str(edit), "--out", str(warm / "ours")],
        "floor": lambda i: [floor, "--skip-same", str(specs), str(warm / "floor")],
    }
    if a.before:
        measure.spawn([a.before, "render", "--specs", str(edit), "--out", str(warm / "before")])
        commands["before-one"] = lambda i: [a.before, "render", "--specs", str(edit), "--out", str(warm / "before")]
        commands["before-none"] = lambda i: [a.before, "render", "--specs", str(edit), "--out", str(warm / "before")]
    g = measure.interleaved(a.runs, commands, before=lambda i: first.write_text(versions[i % 2]))
    s = measure.secs
    lines = [f"## render rows, N = {n:,} specs, medians of {a.runs} (interleaved, one warm-up)", ""]
    lines += measure.machine()
    if note:
        lines += ["", note]
    lines += [
        "",
        "| what | dagster-scripts | CPU | peak MiB | compared with | ratio |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
        f"| `render` into an empty `out/` | {s(f['ours'].wall())} | {s(measure.median(r.cpu for r in f['ours'].runs))} "
        f"| {f['ours'].rss():.1f} | floor {s(f['floor'].wall())} | {1 / measure.ratio(f['ours'], f['floor']):.1f}x the floor |",
        f"| `render`, nothing changed | {s(g['none'].wall())} | {s(measure.median(r.cpu for r in g['none'].runs))} "
        f"| {g['none'].rss():.1f} | floor `--skip-same` {s(g['floor'].wall())} | {1 / measure.ratio(g['none'], g['floor']):.1f}x the floor |",
        f"| `render`, one spec changed | {s(g['one'].wall())} | {s(measure.median(r.cpu for r in g['one'].runs))} "
        f"| {g['one'].rss():.1f} | ours, nothing changed | {1 / measure.ratio(g['none'], g['one']):.2f}x |",
    ]
    if a.before:
        cpu = lambda series: s(measure.median(r.cpu for r in series.runs))
        lines += [
            f"| `render` into an empty `out/`, before (`--before`) | {s(f['before'].wall())} | {cpu(f['before'])} "
            f"| {f['before'].rss():.1f} | ours | {measure.ratio(f['before'], f['ours']):.2f}x (after / before) |",
            f"| `render`, nothing changed, before (`--before`) | {s(g['before-none'].wall())} | {cpu(g['before-none'])} "
            f"| {g['before-none'].rss():.1f} | ours | {measure.ratio(g['before-none'], g['none']):.2f}x (after / before) |",
            f"| `render`, one spec changed, before (`--before`) | {s(g['before-one'].wall())} | {cpu(g['before-one'])} "
            f"| {g['before-one'].rss():.1f} | ours | {measure.ratio(g['before-one'], g['one']):.2f}x (after / before) |",
        ]
    print("\n".join(lines))
    shutil.rmtree(out)
    (a.work / "cleaned-at").touch()


if __name__ == "__main__":
    main()
