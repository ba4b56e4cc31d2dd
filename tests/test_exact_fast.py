"""Exact and fast (issue 11): aggregate lots prove what branch and bound proves; threads give the serial
answer; a subproblem solved before is re-used only when every input is the same."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from stockpile.io.validate import build_model_data
from stockpile.io.workbook import book_from_frames
from stockpile.solver import reuse
from stockpile.solver.pipeline import _monolithic, run

from .helpers import data_of
from .test_decompose import _same, two_minerals

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synthetic import synthetic  # noqa: E402

V01 = Path(__file__).parent / "data" / "trilateral_2025_v01.xlsx"


def test_aggregate_lots_prove_the_plateau_by_hand():
    # X: a pool of 3 t serves A and B ($30/yr); Z: A needs 1.5 t -> 2 lots of 1 t, $10/yr, held at home or
    # in the pool alike (a plateau of equal-cost splits). Both are proved without branch and bound: the
    # aggregate relaxation's bound (40) equals the whole-lot answer's cost (40).
    res = run(data_of(two_minerals()))
    assert res.facts.objective_usd_per_yr == pytest.approx(40.0)
    assert [s["proof"] for s in res.facts.subproblems] == ["aggregate lots", "aggregate lots"]
    assert res["stock"].groupby("mineral").stock_t.sum().to_dict() == pytest.approx({"X": 3.0, "Z": 2.0})


@pytest.mark.parametrize("seed", [1, 3])
def test_aggregate_lots_agree_with_branch_and_bound(seed):
    # random workbooks (2 parties, 3 minerals, lots of 1 to 100 t): the decomposed answer, proved by
    # aggregate lots where they close the gap, and the one model by plain branch and bound: each one's
    # answer is at or above the other's proven bound (a bound from aggregate lots that cut off the
    # optimum would fail this), and the two lie within the gap of each other
    frames = synthetic(2, 3, 4, 6, seed=seed)
    frames["settings"].loc[frames["settings"].key == "mip_rel_gap", "value"] = 1e-6
    frames["settings"].loc[frames["settings"].key == "time_limit_s", "value"] = 120
    data = build_model_data(book_from_frames(frames))
    by_mineral, one = run(data), _monolithic(data, None, None)
    assert by_mineral.facts.status == one.facts.status == "optimal"
    a, b = by_mineral.facts, one.facts
    assert a.objective_usd_per_yr >= b.best_bound_usd_per_yr - 1e-6
    assert b.objective_usd_per_yr >= a.best_bound_usd_per_yr - 1e-6
    assert abs(a.objective_usd_per_yr - b.objective_usd_per_yr) <= 1e-6 * b.objective_usd_per_yr
    # both proofs are exercised: these seeds have a mineral where aggregate lots leave the gap open, and
    # branch and bound (the pool's lots continuous, the total integer) finishes it
    assert {s["proof"] for s in a.subproblems} == {"aggregate lots", "branch and bound"}


def test_threads_give_the_serial_answer_on_the_v01_workbook():
    # 12 minerals at 1e-6: two at a time in threads, the same stock, coverage and objective, bit for bit
    from stockpile.io.runspec import load_run

    data = load_run(str(V01))[1].with_settings(mip_rel_gap=1e-6)
    serial, threaded = run(data, workers=1), run(data, workers=2)
    assert serial.facts.objective_usd_per_yr == threaded.facts.objective_usd_per_yr
    assert serial.facts.relative_gap <= 1e-6
    for name in ("stock", "coverage", "release_rules"):
        pd.testing.assert_frame_equal(serial[name], threaded[name])


def test_a_repeated_subproblem_is_reused_and_a_changed_one_is_not():
    reuse.forget()
    data = data_of(two_minerals())
    first = run(data, detail=False, independent=True)
    assert first.facts.reused_subproblems == 0
    again = run(data, detail=False, independent=True)
    assert again.facts.reused_subproblems == 2  # X and Z: nothing changed
    assert again.facts.objective_usd_per_yr == first.facts.objective_usd_per_yr
    # Z's holding rate doubles: Z's 2 lots now cost 2 x 0.2 x $50 = $20/yr; X is re-used, Z is solved again
    minerals = dict(data.minerals)
    minerals["Z"] = replace(minerals["Z"], holding_rate_per_yr=0.2)
    changed = run(replace(data, minerals=minerals), detail=False, independent=True)
    assert changed.facts.reused_subproblems == 1
    assert changed.facts.objective_usd_per_yr == pytest.approx(50.0)  # $30 (X) + $20 (Z)
    # provenance alone (another file name) does not stop the re-use
    renamed = run(replace(data, source="elsewhere.xlsx", sha256="0" * 64), detail=False, independent=True)
    assert renamed.facts.reused_subproblems == 2


def test_detail_false_keeps_what_callers_read():
    res = run(data_of(two_minerals()), detail=False)
    assert {"coverage", "stock", "party_costs", "costs", "acquisition"} <= set(res.tables)
    assert "release_rules" not in res.tables
    _same(res, run(data_of(two_minerals())))


def test_threads_with_output_to_pipes(tmp_path):
    # the CLI as a script runs it: stdout and stderr are pipes, subproblems run in two threads
    # (HiGHS's banner used to be swallowed per solve by swapping sys.stdout, racing with progress lines)
    import subprocess

    from .helpers import write_xlsx

    write_xlsx(two_minerals(), tmp_path / "w.xlsx")
    done = subprocess.run([sys.executable, "-m", "stockpile.cli", "solve", str(tmp_path / "w.xlsx"), "-o",
                           str(tmp_path / "out"), "--workers", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Running HiGHS" not in done.stdout + done.stderr
    assert (tmp_path / "out" / "solver.json").is_file()


def test_the_command_leaves_fast_with_its_exit_code_and_all_its_output(tmp_path):
    # cli.run skips the interpreter's teardown (os._exit) once the work is done: the exit code and
    # every line written before it must survive
    import subprocess

    missing = tmp_path / "missing.xlsx"
    done = subprocess.run([sys.executable, "-m", "stockpile.cli", "validate", str(missing)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (f"  error: {missing}: expected an existing .xlsx file or CSV folder; "
                                            "found no such file")
