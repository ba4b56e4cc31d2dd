"""Benchmark: `stockpile share` at alliance scale on synthetic workbooks (bench/synthetic.py: 2 minerals, 3 scenarios,
6 months, every party optional in the pool).

Run:  python bench/share_scale.py [--parties 8,12,15] [--samples 40] [--workers 2] [--exact-up-to 8]
                                  [--separation all] [--dask-workers 1,2 --dask-parties 15]

Each size is a fresh `stockpile share` process (start-up and writing the folder included), --method exact up to
--exact-up-to parties and sampled beyond (with `--separation all`: the nucleolus and least core by row generation
over the membership MILP, docs/formulation.md, "The coalition game at scale"); printed per size: the method, wall
seconds, coalitions solved of 2^n - 1, the Shapley estimate's widest 95% half-width, the Shapley split's and the
nucleolus's core verdicts, the core's status with the least-core slack's interval, the separation's MILPs and HiGHS
seconds, and the grand coalition's cost. With --dask-workers, the --dask-parties size again on a loopback Dask
cluster (local processes, one thread each) of each number of workers.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import synthetic, write_csv_folder  # noqa: E402

RULES = "equal_saving,standalone,shapley,nucleolus,least_core"


def one(parties: int, method: str, samples: int, workers: int, root: Path, separation: str,
        scheduler: str | None = None) -> dict:
    frames = synthetic(parties, 2, 3, 6, seed=parties)
    book = root / f"p{parties}"
    write_csv_folder(frames, book)
    out = root / f"p{parties}-share"
    where = ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stockpile.cli", "share", str(book), "-o", str(out), "--overwrite",
                    "--method", method, "--samples", str(samples), *where, "--separation", separation,
                    "--rules", RULES], check=True, capture_output=True)
    wall = time.perf_counter() - t0
    coalitions = pd.read_csv(out / "coalitions.csv")
    sharing = pd.read_csv(out / "sharing.csv")
    shap = sharing[sharing.rule == "shapley"]
    nucl = sharing[sharing.rule == "nucleolus"]
    half = float(((shap.shapley_ci95_high_usd_per_yr - shap.shapley_ci95_low_usd_per_yr) / 2).max())
    summary = (out / "summary.md").read_text()
    milps = re.search(r"gave [^:]+: ([\d,]+) MILPs, ([\d.]+) s of HiGHS", summary)
    core = re.search(r"The core is (not empty|empty) \(proved\)|(undetermined) at this MIP gap", summary)
    slack = re.search(r"least-core slack (?:is at least|at most|lies between) (-?\$[\d,.\-]+)(?:/yr and "
                      r"(-?\$[\d,.\-]+))?", summary)
    beyond = re.search(r"by more than (\$[\d,.]+)/yr \(proved\)", summary)
    return {"parties": parties, "method": method, "workers": workers,
            "where": "dask" if scheduler else "local", "wall_s": round(wall, 1),
            "coalitions_solved": len(coalitions), "of": 2 ** parties - 1,
            "shapley_half_width_usd_per_yr": round(half), "shapley_verdict": shap.core_verdict.iloc[0],
            "nucleolus_verdict": nucl.core_verdict.iloc[0] if len(nucl) else "",
            "core": next((g for g in core.groups() if g), "") if core else "",
            "least_core_slack": " to ".join(g for g in slack.groups() if g) if slack else "",
            "unproved_usd_per_yr": beyond.group(1) if beyond else "",
            "separation_milps": milps.group(1) if milps else "", "separation_highs_s": milps.group(2) if milps else "",
            "grand_cost_usd_per_yr": round(float(coalitions.cost_usd_per_yr.iloc[-1]))}


def on_dask(parties: int, samples: int, workers: int, root: Path, separation: str) -> dict:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        return one(parties, "sampled", samples, workers, root, separation, cluster.scheduler_address)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parties", default="8,12,15")
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--exact-up-to", type=int, default=8)
    ap.add_argument("--separation", default="all", choices=["verdicts", "all", "none"])
    ap.add_argument("--dask-workers", default="", help="e.g. 1,2: the --dask-parties size on a loopback cluster")
    ap.add_argument("--dask-parties", type=int, default=15)
    args = ap.parse_args()
    rows = []

    def show(row: dict) -> None:
        rows.append(row)
        print(pd.DataFrame(rows).tail(1).to_string(index=False, header=len(rows) == 1), flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.parties.split(",") if x):
            method = "exact" if n <= args.exact_up_to else "sampled"
            show(one(n, method, args.samples, args.workers, Path(tmp), args.separation))
        for w in (int(x) for x in args.dask_workers.split(",") if x):
            show(on_dask(args.dask_parties, args.samples, w, Path(tmp), args.separation))
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
