"""ModelData -> model -> HiGHS -> Results: the one pipeline that `solve`, `share`
and sweeps drive, without reaching inside it."""

from __future__ import annotations

import time

from ..common.progress import step
from ..io.data import ModelData
from ..model.scenario_tree import ScenarioTree
from .budgets import budgets_hold
from .conflicts import conflicts
from .decompose import solve_by_mineral, why_not_separable, with_dominant_membership
from .exposure import exposure_warnings, zero_coverage_reasons
from .facts import SolverFacts
from .highs import solve_direct
from .merge import merge, with_pool_fixed
from .one_model import solve_one_model
from .results import Results, facts_of


class Infeasible(Exception):
    def __init__(self, facts: SolverFacts, reasons: list[str]):
        self.facts, self.reasons = facts, reasons
        super().__init__("; ".join(reasons) or "HiGHS proved the model infeasible")

    def __reduce__(self):  # travels back from a worker process whole (coalitions on processes)
        return type(self), (self.facts, self.reasons)

    def report(self) -> str:
        if not self.reasons:
            return ("error: HiGHS proved the model infeasible, but no conflict among coverage targets, max_stock_t, "
                    "budgets and purchase caps was found; please report this with the workbook")
        return "error: the requirements cannot all be met:\n" + "\n".join(f"  - {r}" for r in self.reasons)


class NoSolution(Exception):
    def __init__(self, facts: SolverFacts):
        self.facts = facts
        super().__init__(f"HiGHS stopped ({facts.termination}) without a feasible solution after "
                         f"{facts.seconds.get('highs', 0):.1f} s; {advice(facts)}")

    def __reduce__(self):
        return type(self), (self.facts,)


def advice(facts: SolverFacts) -> str:
    """What to do when HiGHS found nothing: the advice depends on why it stopped."""
    if facts.status == "time_limit":
        return f"raise time_limit_s (now {facts.time_limit_s:g} s) in the settings sheet"
    return ("this is not a time limit: check the workbook for extreme magnitudes (tonnages, prices and costs "
            "many orders of magnitude apart) and report it with the workbook if it persists")


def run(data: ModelData, write_model: str | None = None, threads: int | None = None,
        read_s: float = 0.0, workers: int = 1, tree: ScenarioTree | None = None, warnings: bool = True,
        detail: bool = True, independent: bool = False) -> Results:
    """Solve once, by mineral where the model separates (decompose.py), else as one model; raises
    Infeasible (with the conflicting requirements) or NoSolution. Facts say which way it went.
    `tree` (default: the data's own) lets a coalition keep the information of every player;
    `detail=False` skips the canonical-schedule LP when only the objective is wanted."""
    t0 = time.perf_counter()
    reason = "--write-model writes the one model" if write_model else why_not_separable(data)
    res = None
    if reason is None:
        res, reason = _by_mineral(data, workers, tree, detail, independent)
    if res is None:
        res = run_as_one_model(data, reason, write_model, threads, tree, detail)
    if warnings:
        res.warnings = exposure_warnings(data) + zero_coverage_reasons(data, res["coverage"])
    res.facts.seconds = {"read": read_s, **res.facts.seconds, "total": read_s + time.perf_counter() - t0}
    return res


def run_as_one_model(data: ModelData, reason: str, write_model: str | None = None, threads: int | None = None,
                     tree: ScenarioTree | None = None, detail: bool = True) -> Results:
    """The one model, undecomposed; its facts say why (`reason`)."""
    step(f"solving as one model ({reason}); HiGHS reports no progress until it ends")
    res = _monolithic(data, write_model, threads, tree, detail)
    res.facts.decomposition = f"monolithic ({reason})"
    return res


def _monolithic(data: ModelData, write_model: str | None, threads: int | None,
                tree: ScenarioTree | None = None, detail: bool = True) -> Results:
    part = solve_one_model(data, tree, lambda model: solve_direct(model, data, write_model=write_model,
                                                                  threads=threads), detail)
    _raise_unsolved(data, [facts_of(part)])
    assert isinstance(part, Results)  # _raise_unsolved raised otherwise
    return with_pool_fixed(data, part)


def _by_mineral(data: ModelData, workers: int, tree: ScenarioTree | None,
                detail: bool = True, independent: bool = False) -> tuple[Results | None, str]:
    """Decomposed solve; (None, why) when a budget binds across minerals (then the one model decides)."""
    joined = with_dominant_membership(data)
    parts = solve_by_mineral(joined, tree=tree, detail=detail, workers=workers, independent=independent)
    res = assemble(data, joined, parts)
    return (res, "") if res is not None else (None, "a budget binds across minerals")


def assemble(data: ModelData, joined: ModelData, parts: list[Results | SolverFacts]) -> Results | None:
    """The minerals' answers (of `joined`, the data with dominant membership) as one Results; raises Infeasible or
    NoSolution for a part without an answer; None when a budget binds across minerals (the parts do not add up)."""
    _raise_unsolved(data, [facts_of(p) for p in parts])
    res = merge(joined, [p for p in parts if isinstance(p, Results)])  # every one, after _raise_unsolved
    return with_pool_fixed(data, res) if budgets_hold(data, res["stock"], res["acquisition"]) else None


def _raise_unsolved(data: ModelData, facts: list[SolverFacts]) -> None:
    for f in facts:
        if f.status == "infeasible":
            raise Infeasible(f, conflicts(data))
    for f in facts:
        if not f.has_solution:
            raise NoSolution(f)
