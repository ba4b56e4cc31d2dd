"""ModelData -> model -> HiGHS -> Results: the one pipeline that `solve`, `share`
and sweeps drive, without reaching inside it."""

from __future__ import annotations

import time

from pyomo.common.gc_manager import PauseGC

from .checks import exposure_warnings, zero_coverage_reasons
from .data import ModelData
from .diagnose import conflicts
from .model import build_model
from .results import Results, extract
from .highs import SolverFacts, solve_direct


class Infeasible(Exception):
    def __init__(self, facts: SolverFacts, reasons: list[str]):
        self.facts, self.reasons = facts, reasons
        super().__init__("; ".join(reasons) or "HiGHS proved the model infeasible")

    def report(self) -> str:
        if not self.reasons:
            return ("error: HiGHS proved the model infeasible, but no conflict among coverage targets, max_stock_t "
                    "and budgets was found; please report this with the workbook")
        return "error: the requirements cannot all be met:\n" + "\n".join(f"  - {r}" for r in self.reasons)


class NoSolution(Exception):
    def __init__(self, facts: SolverFacts):
        self.facts = facts
        super().__init__(f"HiGHS stopped ({facts.termination}) without a feasible solution after "
                         f"{facts.seconds.get('highs', 0):.1f} s; {advice(facts)}")


def advice(facts: SolverFacts) -> str:
    """What to do when HiGHS found nothing: the advice depends on why it stopped."""
    if facts.status == "time_limit":
        return f"raise time_limit_s (now {facts.time_limit_s:g} s) in the settings sheet"
    return ("this is not a time limit: check the workbook for extreme magnitudes (tonnages, prices and costs "
            "many orders of magnitude apart) and report it with the workbook if it persists")


def run(data: ModelData, write_model: str | None = None, threads: int | None = None,
        read_s: float = 0.0) -> Results:
    """Solve once; raises Infeasible (with the conflicting requirements) or NoSolution."""
    t0 = time.perf_counter()
    with PauseGC():  # millions of small objects, no cycles worth collecting mid-build: ~30% faster
        model = build_model(data)
    build_s = time.perf_counter() - t0
    facts = solve_direct(model, data, write_model=write_model, threads=threads)
    facts.seconds = {"read": read_s, "build": build_s, **facts.seconds}
    if facts.status == "infeasible":
        raise Infeasible(facts, conflicts(data))
    if not facts.has_solution:
        raise NoSolution(facts)
    t1 = time.perf_counter()
    with PauseGC():
        res = extract(model, data, facts)
    gaps = model.tree.gaps
    res.warnings = exposure_warnings(data, gaps) + zero_coverage_reasons(data, res["coverage"], gaps)
    facts.seconds["extract"] = time.perf_counter() - t1
    facts.seconds["total"] = read_s + (time.perf_counter() - t0)
    return res
