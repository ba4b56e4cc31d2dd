"""Sweeps with answers known by hand, backends that agree, bad paths, infeasible points."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from stockpile.analyses.sweeps import PointSolver, grid_points, parse_vary, run_sweep, sweep_table
from stockpile.io.workbook import book_from_frames

from .helpers import run_cli as invoke
from .helpers import tiny, write_xlsx

TIMING = ["highs_s", "seconds", "rebuilt"]




@pytest.fixture
def tiny_xlsx(tmp_path):
    # holding 0.2 x $100 = $20/t/yr; a tonne saves p x $1,000/yr of expected shortage
    path = tmp_path / "tiny.xlsx"
    write_xlsx(tiny(minerals={"holding_rate_per_yr": [0.2]}), path)
    return path


def test_sweep_answers_known_by_hand(tiny_xlsx, tmp_path):
    # p = 0.01: saving $10 < $20 -> no stock, cost 0.01 x 3 t x 1,000 = $30; p = 0.05 or 0.5: hold 3 t -> $60
    out = tmp_path / "sw"
    result = invoke("sweep", tiny_xlsx, "--vary", "scenarios.s1.probability_per_yr=0.01,0.05,0.5",
                    "--workers", 1, "-o", out)
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out / "sweep_points.csv")
    assert list(points.objective_usd_per_yr) == pytest.approx([30, 60, 60])
    assert list(points.stock_t) == pytest.approx([0, 3, 3])
    sweep = pd.read_csv(out / "sweep.csv")
    assert list(sweep.rebuilt) == [True, False, False]  # one model, re-solved
    assert (sweep.highs_s <= sweep.seconds).all()  # this point's HiGHS time, not the running total
    assert {"sweep.csv", "sweep_points.csv", "results.xlsx", "summary.md", "sweep.png", "sweep.json"} <= {
        p.name for p in out.iterdir()}
    assert "Most sensitive: **scenarios.s1.probability_per_yr**" in (out / "summary.md").read_text()


def test_grid_of_two_inputs_with_range_and_scaling(tiny_xlsx):
    # price 100..300 (holding 20%: $20, $40, $60/t) x probability scaled x1, x0.02 (0.5 -> 0.01):
    # p = 0.5 holds 3 t: 60, 120, 180; p = 0.01 saves $10/t < holding: no stock, $30 each
    from stockpile.io.workbook import read_book

    book = read_book(tiny_xlsx)
    varies = [parse_vary("minerals.X.price_usd_per_t=100:300:100", book),
              parse_vary("scenarios.*.probability_per_yr=x1,0.02", book)]
    run = run_sweep(book, grid_points(varies), workers=1, progress=False)
    table = sweep_table(run, [v.label for v in varies])
    got = table.set_index(["minerals.X.price_usd_per_t", "scenarios.*.probability_per_yr (x)"]).objective_usd_per_yr
    assert got[(100.0, 1.0)] == pytest.approx(60)
    assert got[(300.0, 1.0)] == pytest.approx(180)
    assert got[(200.0, 0.02)] == pytest.approx(30)
    assert not run.partial and run.done == 6


def test_infeasible_point_in_the_middle_is_reported_and_sweep_goes_on(tmp_path):
    # budget $200 buys 2 t; target 3 months needs 3 t = $300: point 2 is infeasible
    path = tmp_path / "b.xlsx"
    write_xlsx(tiny(parties={"budget_usd": [200.0]}), path)
    out = tmp_path / "sw"
    result = invoke("sweep", path, "--vary", "demand.A:X.target_months=1,3,2", "--workers", 1, "-o", out)
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out / "sweep_points.csv")
    assert list(points.status) == ["optimal", "infeasible", "optimal"]
    # targets 1 and 2 months: budget-limited 2 t -> 2 x 10 + 0.5 x 1 t x 1,000 = $520
    assert points.objective_usd_per_yr[0] == pytest.approx(520)
    assert points.objective_usd_per_yr[2] == pytest.approx(520)
    assert "point 2: infeasible" in (out / "summary.md").read_text()


@pytest.mark.parametrize("path, words", [
    ("nosheet.A.x=1,2", "unknown sheet 'nosheet'"),
    ("minerals.Q.price_usd_per_t=1,2", "unknown row 'Q' of sheet 'minerals'"),
    ("minerals.X.colour=1,2", "unknown column 'colour' of sheet 'minerals'"),
    ("minerals.X.price_usd_per_t=5:1:1", "needs LO <= HI and STEP > 0"),
])
def test_bad_vary_exits_2_naming_what_is_unknown(tiny_xlsx, path, words):
    result = invoke("sweep", tiny_xlsx, "--vary", path, "--workers", 1)
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output


def test_tornado_swing_known_by_hand(tiny_xlsx, tmp_path):
    # price x0.5 -> holding $10/t, x2 -> $40/t; 3 t held either way (p = 0.5 saves $500/t):
    # stock cost 30 -> 120, swing $90/yr
    out = tmp_path / "tor"
    result = invoke("sweep", tiny_xlsx, "--tornado", "0.5:2", "--vary", "minerals.X.price_usd_per_t=1",
                    "--workers", 1, "-o", out)
    assert result.exit_code == 0, result.output
    tornado = pd.read_csv(out / "tornado.csv")
    row = tornado[tornado.measure == "stock_cost_usd_per_yr"].iloc[0]
    assert (row.at_low, row.at_high, row.swing) == pytest.approx((30, 120, 90))
    assert (out / "tornado.png").exists()


def test_default_tornado_inputs_cover_prices_probabilities_tiers_holding(tiny_xlsx):
    from stockpile.analyses.sweeps import default_tornado_inputs
    from stockpile.io.workbook import read_book

    assert default_tornado_inputs(read_book(tiny_xlsx)) == [
        "minerals.X.price_usd_per_t", "minerals.X.holding_rate_per_yr", "scenarios.s1.probability_per_yr",
        "shortage_costs.*:*.usd_per_t"]


def test_ctrl_c_writes_a_partial_sweep(tiny_xlsx, tmp_path, monkeypatch):
    calls = {"n": 0}
    original = PointSolver.solve

    def interrupted(self, point):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, point)

    monkeypatch.setattr(PointSolver, "solve", interrupted)
    monkeypatch.setattr("stockpile.analyses.sweeps._chunks", lambda points, workers: [[p] for p in points])
    out = tmp_path / "sw"
    result = invoke("sweep", tiny_xlsx, "--vary", "scenarios.s1.probability_per_yr=0.01,0.05,0.5",
                    "--workers", 1, "-o", out)
    assert result.exit_code == 0
    meta = json.loads((out / "sweep.json").read_text())
    assert meta["partial"] and meta["points_done"] == 1 and meta["points_total"] == 3
    assert "PARTIAL SWEEP: 1 of 3 points" in (out / "summary.md").read_text()


def test_resolve_equals_fresh_build():
    # the same point solved on a re-used model and on a fresh one gives the same tables
    book = book_from_frames(tiny(minerals={"holding_rate_per_yr": [0.2]}))
    varies = [parse_vary("scenarios.s1.probability_per_yr=0.5,0.05", book)]
    points = grid_points(varies)
    reused = PointSolver(book)
    reused.solve(points[0])
    again = pd.DataFrame(reused.solve(points[1])).drop(columns=TIMING)
    fresh = pd.DataFrame(PointSolver(book).solve(points[1])).drop(columns=TIMING)
    pd.testing.assert_frame_equal(again, fresh)


def test_local_processes_and_dask_give_identical_tables(tiny_xlsx):
    from distributed import LocalCluster

    from stockpile.io.workbook import read_book

    book = read_book(tiny_xlsx)
    varies = [parse_vary("scenarios.s1.probability_per_yr=0.01,0.05,0.2,0.5", book),
              parse_vary("minerals.X.lot_t=1,2", book)]
    points = grid_points(varies)
    labels = [v.label for v in varies]
    local = sweep_table(run_sweep(book, points, workers=2, progress=False), labels).drop(columns=TIMING)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dask = sweep_table(run_sweep(book, points, scheduler=cluster.scheduler_address, progress=False),
                           labels).drop(columns=TIMING)
    pd.testing.assert_frame_equal(local, dask)
    # lot 2 t rounds the 3 t gap up to 4 t (p = 0.5): 4 x 20 = $80
    row = local[(local[labels[0]] == 0.5) & (local[labels[1]] == 2)]
    assert row.objective_usd_per_yr.iloc[0] == pytest.approx(80)


def test_run_spec_sweep_table(tiny_xlsx, tmp_path):
    # a run specification can carry its own sweep: [sweep] vary = [...]
    spec = tmp_path / "sw.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[sweep]\nvary = ["scenarios.s1.probability_per_yr=0.01,0.5"]\n')
    out = tmp_path / "sw"
    result = invoke("sweep", spec, "--workers", 1, "-o", out)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out / "sweep_points.csv").objective_usd_per_yr) == pytest.approx([30, 60])


def test_infeasible_point_does_not_spoil_the_reused_model():
    # target 3 months = 3 t at $100/t: a budget of $200 or $250 cannot buy it (infeasible); $300+ can, and the
    # optimum is then 3 t x $10/t/yr = $30. The budget is a coefficient, so all points share one model.
    from stockpile.analyses.sweeps import PointSolver

    book = book_from_frames(tiny(demand={"target_months": [3.0]}, parties={"budget_usd": [400.0]}))
    solver = PointSolver(book)
    rows = [solver.solve(p)[0] for p in grid_points([parse_vary("parties.A.budget_usd=400,200,400,250,300", book)])]
    assert [r["status"] for r in rows] == ["optimal", "infeasible", "optimal", "infeasible", "optimal"]
    assert [r["objective_usd_per_yr"] for r in rows if r["status"] == "optimal"] == pytest.approx([30, 30, 30])
    assert [r["rebuilt"] for r in rows] == [True, False, False, False, False]
    assert solver.rebuilds == 1
