"""Benchmark: where the time goes, from workbook to results, at growing model sizes.

Run:  python bench/bench.py                 (all sizes; the largest takes several minutes)
      python bench/bench.py --sizes 2x4x10x12,4x8x25x24

For each size (parties x minerals x scenarios x months) a synthetic workbook is written
as CSVs, then in a fresh subprocess (so peak memory is that size's own): read, build,
hand-over to HiGHS, HiGHS's solve, load, the canonical-schedule LPs (`canon`) and extraction are timed, and the model is
written with --write-model; HiGHS alone then solves that file with the same options.
`ours` is everything but HiGHS; `ratio` = our end-to-end time / HiGHS's own time (`alone`).
With --repeat N every column is the median of N runs (HiGHS's time varies from run to run).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = ["2x4x10x12", "4x8x25x24", "4x12x50x24", "8x20x100x36", "8x20x200x36"]


def measure(folder: str, mps: str, gap: float, threads: int) -> dict:
    """One size, end to end through the pipeline (runs in its own process)."""
    from stockpile.io.validate import load
    from stockpile.solver.pipeline import run

    t0 = time.perf_counter()
    data = load(folder).with_settings(mip_rel_gap=gap, time_limit_s=1200)
    read_s = time.perf_counter() - t0
    result = run(data, write_model=mps, threads=threads, read_s=read_s)
    f = result.facts
    out = {"variables": f.variables, "constraints": f.constraints, "integers": f.integer_variables,
           "status": f.status, "objective": f.objective_usd_per_yr, **{f"{k}_s": v for k, v in f.seconds.items()},
           # writing the .mps for the HiGHS-alone run is not part of a solve
           "end_to_end_s": time.perf_counter() - t0 - f.seconds.get("write_model", 0.0),
           "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    return out


def highs_alone(mps: str, gap: float, threads: int) -> tuple[float, float]:
    import highspy
    from pyomo.common.tee import capture_output

    with capture_output(capture_fd=True):  # HiGHS prints a banner when created
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("time_limit", 1200.0)
    if threads:
        h.setOptionValue("threads", threads)
    h.readModel(mps)
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0, h.getInfo().objective_function_value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default=",".join(SIZES))
    ap.add_argument("--gap", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=0, help="HiGHS threads (0 = HiGHS default)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; the table shows each column's median")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], args.child[1], args.gap, args.threads)))
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from synthetic import synthetic, write_csv_folder

    head = (f"{'size PxMxSxT':>14} {'vars':>9} {'cons':>9} {'ints':>6} {'read':>6} {'build':>7} {'handov':>7} "
            f"{'HiGHS':>7} {'load':>6} {'canon':>6} {'extract':>7} {'total':>7} {'ours':>7} {'alone':>7} {'ratio':>6} "
            f"{'peakMiB':>8} {'status':>8}")
    print(head)
    for size in args.sizes.split(","):
        p, m, s, t = (int(x) for x in size.split("x"))
        runs, alones = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                folder, mps = Path(tmp) / "book", str(Path(tmp) / "model.mps")
                write_csv_folder(synthetic(p, m, s, t), folder)
                proc = subprocess.run([sys.executable, __file__, "--gap", str(args.gap), "--threads",
                                       str(args.threads), "--child", str(folder), mps], capture_output=True, text=True)
                if proc.returncode != 0:
                    print(f"{size:>14} failed: {proc.stderr.strip().splitlines()[-1]}")
                    break
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
                alones.append(highs_alone(mps, args.gap, args.threads)[0])
        if len(runs) < args.repeat:
            continue
        r = {k: statistics.median(x[k] for x in runs) if isinstance(v, float) else v for k, v in runs[0].items()}
        alone_s = statistics.median(alones)
        ours = r["end_to_end_s"] - r["highs_s"]
        print(f"{size:>14} {r['variables']:>9,} {r['constraints']:>9,} {r['integers']:>6,} {r['read_s']:>6.2f} "
              f"{r['build_s']:>7.2f} {r['handover_s']:>7.2f} {r['highs_s']:>7.2f} {r['load_s']:>6.2f} "
              f"{r.get('canonical_s', 0.0):>6.2f} "
              f"{r['extract_s']:>7.2f} {r['end_to_end_s']:>7.2f} {ours:>7.2f} {alone_s:>7.2f} "
              f"{r['end_to_end_s'] / alone_s:>6.2f} {r['peak_mib']:>8.0f} {r['status']:>8}", flush=True)


if __name__ == "__main__":
    main()
