"""Benchmark: which HiGHS options the decomposed subproblems get (stockpile/solver/highs.py, SUBPROBLEM_OPTIONS).

Run:  python bench/highs_options.py [WORKBOOK] [--seeds 3]

Every subproblem a default `stockpile solve` hands to HiGHS (the optimum by mineral, each binding purchase cap's
re-solve without it, the national-only solve for the pooling saving) is solved one at a time under each
candidate set of options, once per HiGHS random seed, each candidate in a fresh process (HiGHS's thread count
is fixed per process). Printed: per candidate, the median over seeds of the HiGHS seconds summed over all
subproblems, and the slowest seed (HiGHS's run time varies with the seed; a choice should not rest on a lucky
one), and the objective, which every candidate must agree on to within the gap asked.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CANDIDATES: dict[str, dict] = {
    "presolve off (before)": {"presolve": "off"},
    "HiGHS defaults": {},
    "no RINS/RENS": {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False},
    "no RINS/RENS, no strong branching": {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False,
                                          "mip_pscost_minreliable": 0},
    "no RINS/RENS, 1 thread": {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False, "threads": 1},
}


def measure(workbook: str, options: dict, seed: int) -> dict:
    """HiGHS seconds summed over every subproblem of a default solve (runs in its own process)."""
    import stockpile.solver.highs as highs
    from stockpile.analyses.purchase_caps import binding_caps, without_caps
    from stockpile.io.validate import load
    from stockpile.model.scenario_tree import build_tree
    from stockpile.solver.decompose import (
        group_of,
        only_minerals,
        solve_by_mineral,
        solve_subproblem,
        with_dominant_membership,
    )
    from stockpile.solver.merge import merge

    highs.SUBPROBLEM_OPTIONS.clear()
    highs.SUBPROBLEM_OPTIONS.update({**options, "random_seed": seed})
    data = load(workbook)
    joined = with_dominant_membership(data)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    parts = solve_by_mineral(joined, detail=False)
    seconds["optimum"] = sum(p.facts.seconds["highs"] for p in parts)
    objective = sum(p.facts.objective_usd_per_yr for p in parts)
    acquisition = merge(joined, parts)["acquisition"]
    for mineral in binding_caps(data, acquisition).mineral.unique():
        free = with_dominant_membership(without_caps(data, [mineral]))
        sub, tree = only_minerals(free, build_tree(free), group_of(data, mineral))
        part = solve_subproblem(sub, tree, {"mip_rel_gap": data.settings.mip_rel_gap}, detail=False)
        seconds[f"cap {mineral}"] = part.facts.seconds["highs"]
    national = data.with_parties(**{p: {"joint_member": "no"} for p in data.parties})
    seconds["national only"] = sum(p.facts.seconds["highs"] for p in solve_by_mineral(national, detail=False))
    return {"highs_s": sum(seconds.values()), "wall_s": time.perf_counter() - t0, "objective": objective,
            "by_solve": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", nargs="?", default="inputs/trilateral_2025.xlsx")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: one candidate and seed, as JSON
    args = parser.parse_args()
    if args.one:
        job = json.loads(args.one)
        print(json.dumps(measure(args.workbook, job["options"], job["seed"])))
        return
    print(f"{'candidate':<36} {'median HiGHS s':>14} {'slowest':>8} {'objective USD/yr':>18}")
    for name, options in CANDIDATES.items():
        runs = []
        for seed in range(args.seeds):
            out = subprocess.run([sys.executable, __file__, args.workbook, "--one",
                                  json.dumps({"options": options, "seed": seed})],
                                 capture_output=True, text=True, check=True).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
        times = [r["highs_s"] for r in runs]
        print(f"{name:<36} {statistics.median(times):>14.1f} {max(times):>8.1f} {runs[0]['objective']:>18,.0f}",
              flush=True)


if __name__ == "__main__":
    main()
