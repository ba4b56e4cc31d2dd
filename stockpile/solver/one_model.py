"""One model from data to tables: build, solve (by whichever proof the caller gives), make the release schedule
canonical, read the tables: the one sequence that the monolithic solve and every decomposed subproblem follow."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from ..io.data import ModelData
from ..model import build_model
from ..model.scenario_tree import ScenarioTree
from .earliest_releases import earliest_releases
from .facts import SolverFacts
from .results import Results, extract


def solve_one_model(data: ModelData, tree: ScenarioTree | None, solve: Callable[[pyo.ConcreteModel], SolverFacts],
                    detail: bool = True) -> Results | SolverFacts:
    """The Results of `data`'s model solved by `solve(model)`, or its SolverFacts when HiGHS found no solution.
    `detail`: make the release schedule canonical (earliest_releases) and read the schedule and scenario tables;
    without it only what the objective needs. Seconds: build, canonical and extract beside the solve's own."""
    t0 = time.perf_counter()
    with PauseGC():  # millions of small objects, no cycles worth collecting mid-build: ~30% faster
        model = build_model(data, tree=tree)
    build_s = time.perf_counter() - t0
    facts = solve(model)
    facts.seconds = {"build": build_s, **facts.seconds}
    if not facts.has_solution:
        return facts
    t1 = time.perf_counter()
    if detail:
        earliest_releases(model, data, facts)  # the canonical schedule among equal-cost ones
    facts.seconds["canonical"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    with PauseGC():
        res = extract(model, data, facts, detail)
    facts.seconds["extract"] = time.perf_counter() - t1
    return res
