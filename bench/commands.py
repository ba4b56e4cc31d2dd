"""Benchmark: wall time of `solve` and `share` (the Python API, as the CLI runs them) on the bundled
workbook and on synthetic workbooks with more parties. Prints figures; asserts nothing.

Run:  python bench/commands.py                       (bundled + 4, 6, 8 parties; several minutes)
      python bench/commands.py --parties 4 --no-bundled --workers 2
      python bench/commands.py --parties 8 --no-bundled --sample 1,2,3,4   (one coalition of each size, timed)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout, wherever this is run from

from synthetic import synthetic  # noqa: E402  (bench/synthetic.py)

import stockpile  # noqa: E402
from stockpile.io.validate import build_model_data  # noqa: E402
from stockpile.io.workbook import book_from_frames  # noqa: E402


def _row(label: str, seconds: float, facts, extra: str = "") -> str:
    gap = "n/a" if facts.relative_gap is None else f"{facts.relative_gap:.1e}"
    return f"{label:44s} {seconds:8.1f} s  {facts.status:10s} gap {gap:>8s}  {extra}"


def bench(label: str, data, workers: int) -> None:
    t0 = time.perf_counter()
    res = stockpile.solve(data, workers=workers)
    print(_row(f"{label}: solve", time.perf_counter() - t0, res.facts, res.facts.decomposition[:40]), flush=True)
    t0 = time.perf_counter()
    sharing = stockpile.share(data, workers=workers, rules=["shapley", "nucleolus", "least_core"])
    worst = max((f.relative_gap or 0.0) for f in sharing.game.facts.values())
    print(_row(f"{label}: share ({len(sharing.game.value)} coalitions)", time.perf_counter() - t0,
               sharing.game.facts[sharing.game.grand_coalition], f"widest coalition gap {worst:.1e}"), flush=True)


def sample(data, sizes: list[int]) -> None:
    """One coalition of each size (the first k players), timed as `share` solves it: a share's run time
    is about the sum over sizes of C(n, k) x these."""
    from math import comb

    from stockpile.analyses.game import _coalition
    from stockpile.model.scenario_tree import build_tree

    game_data = data.only_parties(data.eligible_members())
    tree, players = build_tree(game_data), list(game_data.parties)
    for k in sizes:
        t0 = time.perf_counter()
        res = _coalition(game_data, tree, frozenset(players[:k]))
        print(_row(f"  coalition of {k} (x{comb(len(players), k)} in share)", time.perf_counter() - t0, res.facts),
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parties", default="4,6,8", help="synthetic party counts (6 minerals, 12 scenarios, 12 months)")
    ap.add_argument("--gap", type=float, default=1e-6)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--no-bundled", action="store_true")
    ap.add_argument("--sample", default="", help="coalition sizes to time one coalition each, instead of solve+share")
    args = ap.parse_args()
    if not args.no_bundled:
        bundled = Path(__file__).resolve().parents[1] / "inputs" / "trilateral_2025.xlsx"
        bench("bundled", stockpile.load(bundled).with_settings(mip_rel_gap=args.gap), args.workers)
    for n in (int(x) for x in args.parties.split(",") if x):
        data = build_model_data(book_from_frames(synthetic(n, 6, 12, 12))).with_settings(
            mip_rel_gap=args.gap, time_limit_s=120)
        if args.sample:
            sample(data, [int(k) for k in args.sample.split(",")])
        else:
            bench(f"synthetic {n}x6x12x12", data, args.workers)


if __name__ == "__main__":
    main()
