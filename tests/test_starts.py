"""Warm starts (stockpile/solver/starts.py): a re-solve of the same subproblem with other numbers begins from the
earlier answer, proves the same optimum as from scratch, and a start never leaves the process."""

from __future__ import annotations

import pickle
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import stockpile.solver.aggregate_lots as lots
from stockpile.io.validate import build_model_data
from stockpile.io.workbook import book_from_frames
from stockpile.model import build_model
from stockpile.model.scenario_tree import build_tree
from stockpile.solver.decompose import group_of, minerals_data, restrict_tree, solve_subproblem
from stockpile.solver.highs import compile_model
from stockpile.solver.results import facts_of
from stockpile.solver.starts import Start, fits

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synthetic import synthetic  # noqa: E402


def _subproblem(frames, mineral: str):
    data = build_model_data(book_from_frames(frames))
    sub = minerals_data(data, group_of(data, mineral))
    return sub, restrict_tree(build_tree(data), sub.pairs)


def _frames(shortage_scale: float = 1.0):
    frames = synthetic(3, 2, 4, 6, seed=3)
    frames["settings"].loc[frames["settings"].key == "mip_rel_gap", "value"] = 1e-6
    frames["shortage_costs"]["usd_per_t"] = frames["shortage_costs"]["usd_per_t"] * shortage_scale
    return frames


def test_a_re_solve_from_the_earlier_answer_proves_the_same_optimum(monkeypatch):
    mineral = str(_frames()["minerals"].mineral.iloc[0])
    base_sub, base_tree = _subproblem(_frames(), mineral)
    base = facts_of(solve_subproblem(base_sub, base_tree, {"mip_rel_gap": 1e-6}, detail=False))
    assert base.status == "optimal" and isinstance(base.start, Start)
    assert len(base.start.values) == base.variables  # every compiled column, none of the totals HiGHS was given
    used = []
    monkeypatch.setattr(lots, "fits", lambda start, integer: used.append(fits(start, integer)) or used[-1])
    sub, tree = _subproblem(_frames(shortage_scale=1.7), mineral)
    cold = facts_of(solve_subproblem(sub, tree, {"mip_rel_gap": 1e-6}, detail=False))
    warm = facts_of(solve_subproblem(sub, tree, {"mip_rel_gap": 1e-6}, detail=False, warm=base.start))
    assert used[0] is None and used[1] is not None  # the cold solve had none; the warm one's fitted
    assert cold.status == warm.status == "optimal"
    # both proved to 1e-6 of their own objective, so they agree within 2e-6 of it
    assert warm.objective_usd_per_yr == pytest.approx(cold.objective_usd_per_yr, rel=2e-6)
    assert warm.objective_usd_per_yr != pytest.approx(base.objective_usd_per_yr, rel=1e-3)  # it did change


def test_a_start_from_a_model_with_other_columns_is_not_used():
    mineral = str(_frames()["minerals"].mineral.iloc[0])
    sub, tree = _subproblem(_frames(), mineral)
    base = facts_of(solve_subproblem(sub, tree, {"mip_rel_gap": 1e-6}, detail=False))
    assert base.start is not None
    frames = _frames()
    frames["settings"].loc[frames["settings"].key == "horizon_months", "value"] = 4  # fewer months: fewer columns
    short_sub, short_tree = _subproblem(frames, mineral)
    _form, _lp, integer = compile_model(build_model(short_sub, tree=short_tree))
    assert fits(base.start, integer) is None and fits(None, integer) is None
    _form, _lp, same = compile_model(build_model(sub, tree=tree))
    assert fits(base.start, same) is not None  # the model it came from: it fits


def test_starts_stay_in_the_process_and_out_of_solver_json():
    mineral = str(_frames()["minerals"].mineral.iloc[0])
    sub, tree = _subproblem(_frames(), mineral)
    facts = facts_of(solve_subproblem(sub, tree, {"mip_rel_gap": 1e-6}, detail=False))
    facts = replace(facts, starts={"x": facts.start})  # type: ignore[dict-item]
    assert facts.start is not None
    sent = pickle.loads(pickle.dumps(facts))
    assert sent.start is None and sent.starts == {} and sent.objective_usd_per_yr == facts.objective_usd_per_yr
    assert "start" not in facts.to_dict() and "starts" not in facts.to_dict()
