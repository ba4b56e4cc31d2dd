"""Benchmark: `stockpile share` at alliance scale on synthetic workbooks (bench/synthetic.py: 2 minerals, 3 scenarios,
6 months, every party optional in the pool).

Run:  python bench/share_scale.py [--parties 8,12,15] [--samples 40] [--workers 2] [--exact-up-to 8]

Each size is a fresh `stockpile share` process (start-up and writing the folder included), --method exact up to
--exact-up-to parties and sampled beyond; printed per size: the method, wall seconds, coalitions solved of 2^n - 1,
the Shapley estimate's widest 95% half-width, the Shapley split's core verdict (sampled: by the membership
separation, `--separation verdicts`) with the MILPs it took, and the grand coalition's cost.
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


def one(parties: int, method: str, samples: int, workers: int, root: Path) -> dict:
    frames = synthetic(parties, 2, 3, 6, seed=parties)
    book = root / f"p{parties}"
    write_csv_folder(frames, book)
    out = root / f"p{parties}-share"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stockpile.cli", "share", str(book), "-o", str(out), "--overwrite",
                    "--method", method, "--samples", str(samples), "--workers", str(workers),
                    "--rules", "equal_saving,standalone,shapley,nucleolus,least_core"],
                   check=True, capture_output=True)
    wall = time.perf_counter() - t0
    coalitions = pd.read_csv(out / "coalitions.csv")
    sharing = pd.read_csv(out / "sharing.csv")
    shap = sharing[sharing.rule == "shapley"]
    half = float(((shap.shapley_ci95_high_usd_per_yr - shap.shapley_ci95_low_usd_per_yr) / 2).max())
    milps = re.search(r"verdicts?: ([\d,]+) MILPs, ([\d.]+) s of HiGHS", (out / "summary.md").read_text())
    return {"parties": parties, "method": method, "wall_s": round(wall, 1), "coalitions_solved": len(coalitions),
            "of": 2 ** parties - 1, "shapley_half_width_usd_per_yr": round(half),
            "shapley_verdict": shap.core_verdict.iloc[0],
            "separation_milps": milps.group(1) if milps else "", "separation_highs_s": milps.group(2) if milps else "",
            "grand_cost_usd_per_yr": round(float(coalitions.cost_usd_per_yr.iloc[-1]))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parties", default="8,12,15")
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--exact-up-to", type=int, default=8)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.parties.split(",")):
            method = "exact" if n <= args.exact_up_to else "sampled"
            rows.append(one(n, method, args.samples, args.workers, Path(tmp)))
            print(pd.DataFrame(rows).tail(1).to_string(index=False, header=len(rows) == 1), flush=True)
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
