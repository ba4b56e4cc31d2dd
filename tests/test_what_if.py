"""The what-if solves of a run in one queue (analyses/what_if.py): longest first, every answer back to the plan
and key that asked for it, the same answers one worker or two; and the pooling saving by mineral, hand-computed."""

from __future__ import annotations

import threading

import pandas as pd
import pytest

from stockpile.analyses.pooling import pooling_saving
from stockpile.analyses.what_if import Job, Plan, run_plans
from stockpile.solver.facts import SolverFacts
from stockpile.solver.pipeline import run

from .helpers import data_of, two_parties


def _facts(objective: float) -> SolverFacts:
    return SolverFacts(status="optimal", termination="kOptimal", has_solution=True, objective_usd_per_yr=objective,
                       best_bound_usd_per_yr=objective, relative_gap=0.0, mip_rel_gap_setting=0.0, time_limit_s=1.0,
                       seconds={"build": 0.5, "highs": 2.0})


@pytest.mark.parametrize("workers", [1, 2])
def test_answers_return_to_their_plan_and_the_longest_job_starts_first(workers):
    started: list[str] = []
    lock = threading.Lock()

    def job(name: str, objective: float) -> Job:
        def solve():
            with lock:
                started.append(name)
            return _facts(objective)
        return Job(name, {"a": 1.0, "b": 5.0, "c": 3.0, "x": 4.0}[name], solve)

    log: list[dict] = []
    first = Plan("first", [job("a", 1.0), job("b", 2.0)], lambda ans: {k: f.value for k, f in ans.items()})
    second = Plan("second", [job("c", 3.0), job("x", 4.0)], lambda ans: sum(f.value for f in ans.values()))
    empty = Plan("empty", [], lambda ans: len(ans))
    assert run_plans([first, second, empty], workers, log) == [{"a": 1.0, "b": 2.0}, 7.0, 0]
    if workers == 1:  # one at a time: strictly by work, largest first (5, 4, 3, 1)
        assert started == ["b", "x", "c", "a"]
    assert sorted((r["analysis"], r["solve"]) for r in log) == [("first", "a"), ("first", "b"),
                                                                  ("second", "c"), ("second", "x")]
    assert {r["highs_s"] for r in log} == {2.0} and {r["own_s"] for r in log} == {0.5}


def _two_minerals_two_parties() -> dict[str, pd.DataFrame]:
    """two_parties() with a second mineral Y of the same figures, cut with X: the model separates by mineral."""
    book = two_parties()
    for sheet in ("minerals", "demand", "supply"):
        book[sheet] = pd.concat([book[sheet], book[sheet].assign(mineral="Y")], ignore_index=True)
    book["events"] = book["events"].assign(minerals="X,Y")
    return book


@pytest.mark.parametrize("workers", [1, 2])
def test_pooling_saving_by_mineral_is_the_sum_of_each_minerals_saving(workers):
    # per mineral as in test_solve_says_what_pooling_saves: one pool of 3 t serves A and B (3 x $10 = $30/yr),
    # on their own each holds 3 t ($60/yr): $30/yr saved a mineral, $60/yr for X and Y, exactly
    data = data_of(_two_minerals_two_parties())
    res = run(data)
    assert res.facts.decomposition.startswith("by mineral")
    saving = pooling_saving(data, res, workers=workers)
    assert saving is not None
    assert saving["pooling_saving_usd_per_yr"] == pytest.approx(60.0)
    assert saving["pooling_saving_precision_usd_per_yr"] == pytest.approx(0.0, abs=1e-9)


def test_pooling_saving_falls_back_to_the_one_model_when_a_budget_binds_across_minerals():
    # each party's budget_usd is $400, at $100/t: 4 t in all. Pooled, one pool of 3 t a mineral (6 x $10 = $60/yr)
    # charges each member half: $300 <= $400, so the by-mineral answer stands. Alone, each party wants 3 t of X and
    # 3 t of Y ($600 > $400): the by-mineral answers break the budget and the one model decides: 4 t held, 2 t
    # short when its scenario comes (p = 0.4/yr, $1,000/t): 4 x $10 + 0.4 x 2 x $1,000 = $840/yr a party,
    # $1,680/yr for both; the saving is $1,680 - $60 = $1,620/yr
    book = _two_minerals_two_parties()
    book["parties"] = book["parties"].assign(budget_usd=400.0)
    data = data_of(book)
    res = run(data)
    assert res.facts.objective_usd_per_yr == pytest.approx(60.0)
    saving = pooling_saving(data, res, workers=2)
    assert saving is not None
    assert saving["pooling_saving_usd_per_yr"] == pytest.approx(1_620.0)


def test_canonical_blocks_are_the_connected_parts_with_something_to_move():
    import numpy as np
    import scipy.sparse as sp

    from stockpile.solver.earliest_releases import blocks

    # rows 0-1 link columns 0-1 and 1-2; row 2 holds column 3 alone; column 4 is in no row; only columns 0 and 3
    # carry earliness, so the blocks are {0, 1, 2} with rows {0, 1}, and {3} with row {2}
    a = sp.csr_matrix(np.array([[1, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 0, 0, 1, 0]], dtype=float))
    early = np.array([1.0, 0.0, 0.0, 2.0, 0.0])
    found = sorted((list(c), list(r)) for c, r in blocks(a, early))
    assert found == [([0, 1, 2], [0, 1]), ([3], [2])]
