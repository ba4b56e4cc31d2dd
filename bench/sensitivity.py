"""Benchmark: what the assumption re-solves cost a default `stockpile solve` (analyses/assumptions.py).

Run:  python bench/sensitivity.py [WORKBOOK] [--repeat 3] [--workers 2]

Each run is a fresh `stockpile solve` process (start-up and writing the folder included), with the workbook's
settings and with `sensitivity = no` set by a run specification; printed: the wall seconds of each run, the medians,
their ratio, the wall seconds of each stage (solver.json `stage_seconds`) and the seconds of the assumption
re-solves by subproblem, summed over the runs side by side (CPU, not wall).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

BUNDLED = Path(__file__).resolve().parents[1] / "inputs" / "trilateral_2025.xlsx"


def one_run(source: Path, out: Path, workers: int) -> tuple[float, dict]:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stockpile.cli", "solve", str(source), "-o", str(out), "--overwrite",
                    "--workers", str(workers)], check=True, capture_output=True)
    return time.perf_counter() - t0, json.loads((out / "solver.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workbook", nargs="?", default=str(BUNDLED))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", help="copy the last run's results folder (sensitivity yes) here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        off = Path(tmp) / "off.toml"
        off.write_text(f'workbook = "{Path(args.workbook).resolve()}"\n[settings]\nsensitivity = "no"\n')
        walls: dict[str, list[float]] = {"sensitivity yes": [], "sensitivity no": []}
        facts: dict[str, dict] = {}
        for i in range(args.repeat):
            for name, source in (("sensitivity yes", Path(args.workbook)), ("sensitivity no", off)):
                out = Path(tmp) / f"out{i}-{name.split()[-1]}"
                wall, facts[name] = one_run(source, out, args.workers)
                walls[name].append(wall)
                print(f"run {i + 1} {name}: {wall:.1f} s", flush=True)
        if args.keep:
            shutil.copytree(Path(tmp) / f"out{args.repeat - 1}-yes", args.keep, dirs_exist_ok=True)
    med = {k: statistics.median(v) for k, v in walls.items()}
    yes, no = med["sensitivity yes"], med["sensitivity no"]
    print(f"\nmedian of {args.repeat}: sensitivity yes {yes:.1f} s, no {no:.1f} s, ratio {yes / no:.2f}")
    for name, f in facts.items():
        print(f"stages ({name}, last run): " + ", ".join(f"{k} {v:.1f} s" for k, v in f["stage_seconds"].items()))
    by_sub: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for s in facts["sensitivity yes"]["what_if_solves"]:
        if s["analysis"] == "assumptions":
            key = "break-evens" if "break-even" in s["solve"] else s["solve"].rsplit(",", 1)[-1].strip(" ()'")
            by_sub[key][0] += 1
            by_sub[key][1] += s["highs_s"] + s["own_s"]
    print("assumption re-solves by subproblem (last run; seconds summed over solves side by side):")
    for key, (n, sec) in sorted(by_sub.items(), key=lambda kv: -kv[1][1]):
        print(f"  {key:20s} {n:3d} solves {sec:7.1f} s")


if __name__ == "__main__":
    main()
