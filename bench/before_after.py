"""Before / after: wall time of each command as a user runs it (a fresh `python -m stockpile.cli`
process, start-up and writing the folder included), for two checkouts of this repository, and for
v0.1 at its own settings. Prints a table; asserts nothing. Run it alone on the machine.

Run:  git worktree add /tmp/before <commit>; git worktree add /tmp/v01 319c792
      python bench/before_after.py --before /tmp/before --v01 /tmp/v01            (about 20 minutes)
      python bench/before_after.py --before /tmp/before --only solve,share         (skip the sweep)

Workloads: the v0.1 workbook (tests/data/trilateral_2025_v01.xlsx) at mip_rel_gap 1e-6 (a run
specification written here), the bundled workbook as shipped, and a sweep of --points points over
NdPr's price on the v0.1 workbook at 1e-6 (points per minute). v0.1 runs its own bundled workbook
(the same file) at its own default gap, 1e-3.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
V01_BOOK = "tests/data/trilateral_2025_v01.xlsx"


def timed(checkout: Path, args: list[str], out: Path) -> float | None:
    """Seconds of wall time of `stockpile ARGS -o OUT` run from `checkout`; None if it failed."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "stockpile.cli", *args, "-o", str(out)], cwd=checkout, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        print(f"  failed ({done.returncode}): {' '.join(args)}\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return seconds


def spec(checkout: Path, folder: Path, name: str) -> str:
    """A run specification: the v0.1 workbook of `checkout` at mip_rel_gap 1e-6."""
    path = folder / f"{name}.toml"
    path.write_text(f'workbook = "{(checkout / V01_BOOK).as_posix()}"\n[settings]\nmip_rel_gap = 1e-6\n')
    return str(path)


def workloads(checkout: Path, folder: Path, name: str, points: int) -> dict[str, list[str]]:
    v01 = spec(checkout, folder, name)
    step = f"{1.0 / (points - 1):.6f}"
    return {
        "solve, v0.1 workbook, 1e-6": ["solve", v01],
        "share, v0.1 workbook, 1e-6": ["share", v01, "--workers", "1"],
        "share --workers 2, v0.1 workbook, 1e-6": ["share", v01, "--workers", "2"],
        "solve, bundled workbook": ["solve", str(checkout / "inputs" / "trilateral_2025.xlsx")],
        f"sweep {points} points --workers 2, v0.1 workbook, 1e-6": [
            "sweep", v01, "--vary", f"minerals.NdPr.price_usd_per_t=x0.5:1.5:{step}", "--workers", "2"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="a checkout of the earlier commit")
    ap.add_argument("--after", default=str(HERE), help="a checkout of the later commit (default: this one)")
    ap.add_argument("--v01", help="a checkout of v0.1 (319c792): solve and share at its own default, 1e-3")
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--only", default="", help="comma-separated words a workload's name must contain")
    args = ap.parse_args()
    words = [w for w in args.only.split(",") if w]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.v01:
            v01 = Path(args.v01)
            for label, cmd in (("v0.1 solve, 1e-3", "solve"), ("v0.1 share, 1e-3", "share")):
                s = timed(v01, [cmd, str(v01 / "inputs" / "trilateral_2025.xlsx")], folder / f"v01-{cmd}")
                print(f"{label:48s} {s if s is None else round(s, 1)} s", flush=True)
        print(f"{'workload':48s} {'before s':>9s} {'after s':>9s} {'before/after':>13s}")
        plans = {side: workloads(Path(getattr(args, side)), folder, side, args.points) for side in ("before", "after")}
        for i, label in enumerate(plans["after"]):
            if words and not any(w in label for w in words):
                continue
            s = {side: timed(Path(getattr(args, side)), plans[side][label], folder / f"{side}-{i}")
                 for side in ("before", "after")}
            ratio = f"{s['before'] / s['after']:.1f}x" if None not in s.values() else "n/a"
            line = f"{label:48s} {_fmt(s['before']):>9s} {_fmt(s['after']):>9s} {ratio:>13s}"
            if label.startswith("sweep") and None not in s.values():
                line += (f"   points/min: {args.points / s['before'] * 60:.1f} -> "
                         f"{args.points / s['after'] * 60:.1f}")
            print(line, flush=True)


def _fmt(seconds: float | None) -> str:
    return "failed" if seconds is None else f"{seconds:.1f}"


if __name__ == "__main__":
    main()
