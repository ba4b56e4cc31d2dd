"""Proof by aggregate lots (formulation, "Lot rounding"). Stock a holder keeps nationally and stock in the
pool are often perfect substitutes: many splits of the same number of lots cost exactly the same. Branch
and bound cannot prune such a plateau (branching on one holder's lots moves the others), and proving a
small gap took HiGHS thousands of nodes on five integer variables. Two easy solves replace it:

  A. the model with each mineral's lots summed into one integer TotalLots and every holder's lots
     continuous: a relaxation (a whole-lot answer has a whole total), so its bound is a lower bound;
  B. A's binaries (release options, programmes, membership) and totals fixed, every holder's lots whole
     again: a feasible answer, its cost an upper bound.

When B's cost lies within the requested gap of A's bound the answer is proven; else the full model is
solved (branch and bound), with B's answer as its starting point.

A re-solve of the same model with other numbers may be given an earlier answer (starts.py): A and the full
model begin from it where it fits and is feasible, and every answer keeps its own as `facts.start`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence, Set

import highspy
import numpy as np
import pyomo.environ as pyo

from ..io.data import ModelData
from .facts import SolverFacts, relative_gap
from .highs import compile_model, loaded, new_highs
from .starts import Start, begin_at, fits
from .threads import run_interruptibly


def lot_groups(model: pyo.ConcreteModel, columns) -> tuple[list[list[int]], set[int]]:
    """Per mineral with a joint pool: the columns of the pool's lots and of its members' national lots
    (the holdings that can stand in for one another; a non-member's stock cannot); and the pool's columns."""
    members = set(model.MEMBERS) if model.component("MEMBERS") is not None else set()
    groups: dict[str, list[int]] = {}
    pool = set()
    for j, v in enumerate(columns):
        name = v.parent_component().local_name
        if name == "JointLots" or (name == "Lots" and v.index()[0] in members):
            groups.setdefault(v.index()[-1] if name == "Lots" else v.index(), []).append(j)
            if name == "JointLots":
                pool.add(j)
    return [cols for cols in groups.values() if len(cols) > 1], pool


def solve_by_lots(model: pyo.ConcreteModel, data: ModelData, options: dict, full: bool = True,
                  warm: Start | None = None) -> SolverFacts:
    """Solve `model` (see module doc), from `warm` where it fits; the answer is loaded into its variables as
    solve_direct does. Without `full`, B's answer with A's bound is returned as it is, "stopped" when the gap is
    too wide (a first pass, whose open subproblems get more of the gap in the second)."""
    t0 = time.perf_counter()
    form, lp, integer = compile_model(model)
    groups, pool = lot_groups(model, form.columns)
    earlier = fits(warm, integer)
    handover = time.perf_counter() - t0
    limit = float(options.get("time_limit", data.settings.time_limit_s))
    spent, start = 0.0, None
    if groups:
        a = _aggregate(new_highs(lp, data, {**options, "time_limit": limit}), groups)
        if earlier is not None:
            begin_at(a, _with_totals(earlier, groups))
        run_interruptibly(a)
        spent = a.getRunTime()
        if a.getInfo().primal_solution_status == 2:
            bound, x = a.getInfo().mip_dual_bound, np.asarray(a.getSolution().col_value)
            b = _fixed(new_highs(lp, data, {**options, "time_limit": max(1.0, limit - spent)}), integer, groups, x)
            run_interruptibly(b)
            spent += b.getRunTime()
            if b.getInfo().primal_solution_status == 2:
                objective = b.getInfo().objective_function_value
                proven = _within(objective - bound, objective, options, data)
                if proven or not full:
                    return _proven(form, lp, integer, data, b, bound, {"handover": handover, "highs": spent}, proven)
                start = np.asarray(b.getSolution().col_value)
    return _full(form, lp, integer, data, {**options, "time_limit": max(1.0, limit - spent)},
                 start if start is not None else earlier, {"handover": handover, "highs": spent}, groups, pool)


def _with_totals(values: np.ndarray, groups: Sequence[list[int]]) -> np.ndarray:
    """A whole-lot answer of the compiled model, with each mineral's total lots for the columns _aggregate adds."""
    totals = [round(float(values[cols].sum())) for cols in groups]
    return np.concatenate([values, np.asarray(totals, dtype=float)])


def _within(gap: float, objective: float, options: dict, data: ModelData) -> bool:
    """HiGHS's stopping rule: the gap within mip_abs_gap, or within mip_rel_gap of the objective."""
    rel = float(options.get("mip_rel_gap", data.settings.mip_rel_gap))
    return gap <= max(float(options.get("mip_abs_gap", 1e-6)), rel * abs(objective))


def _aggregate(h: highspy.Highs, groups: Sequence[list[int]], relaxed=None) -> highspy.Highs:
    """One integer total per mineral (sum of lots - total = 0), and the lots in `relaxed` continuous:
    stage A relaxes every holder's (default); the full model only the pool's, whose lots then follow
    from the total and the members' whole lots (the same model, branched on totals, not on the pool)."""
    lp = h.getLp()
    for cols in groups:
        for j in (cols if relaxed is None else [j for j in cols if j in relaxed]):
            h.changeColIntegrality(j, highspy.HighsVarType.kContinuous)
        total = h.getNumCol()
        h.addCol(0.0, 0.0, float(sum(lp.col_upper_[j] for j in cols)), 0, np.array([], dtype=np.int32), np.array([]))
        h.changeColIntegrality(total, highspy.HighsVarType.kInteger)
        h.addRow(0.0, 0.0, len(cols) + 1, np.array([*cols, total], dtype=np.int32),
                 np.array([1.0] * len(cols) + [-1.0]))
    return h


def _fixed(h: highspy.Highs, integer: np.ndarray, groups: list[list[int]], x: np.ndarray) -> highspy.Highs:
    """Stage B: A's binaries and lot totals fixed, every holder's lots whole."""
    lot_cols = {j for cols in groups for j in cols}
    for j in np.flatnonzero(integer):
        if j not in lot_cols:  # a binary: release option, programme open, membership
            h.changeColBounds(int(j), float(round(x[j])), float(round(x[j])))
    for cols in groups:
        total = float(round(sum(x[j] for j in cols)))
        h.addRow(total, total, len(cols), np.array(cols, dtype=np.int32), np.ones(len(cols)))
    return h


def _proven(form, lp, integer, data: ModelData, b: highspy.Highs, bound: float, seconds: dict,
            proven: bool = True) -> SolverFacts:
    """B's answer, loaded, with A's bound: proven within the requested gap (else "stopped")."""
    facts = loaded(b, form, lp, integer, data, seconds)
    objective = facts.objective_usd_per_yr
    assert objective is not None  # B had a primal solution (the caller checked)
    facts.best_bound_usd_per_yr = min(bound, objective)
    facts.relative_gap = relative_gap(objective, facts.best_bound_usd_per_yr)
    facts.status, facts.termination = ("optimal", "kOptimal") if proven else ("stopped", "kObjectiveBound")
    facts.proof = "aggregate lots"
    return facts


def _full(form, lp, integer, data: ModelData, options: dict, start, seconds: dict,
          groups: Sequence[list[int]] = (), pool: Set[int] = frozenset()) -> SolverFacts:
    """The full model by branch and bound (no plateau to cut, or A and B left too wide a gap), from `start`:
    with a pool, its lots continuous and each mineral's total integer (`_aggregate`), which HiGHS proves
    several times faster (synthetic 8-party coalition: 16.5 s -> 2.6 s)."""
    h = _aggregate(new_highs(lp, data, options), groups, pool) if groups else new_highs(lp, data, options)
    if start is not None:
        begin_at(h, _with_totals(start[: lp.num_col_], groups))
    run_interruptibly(h)
    facts = loaded(h, form, lp, integer, data, {**seconds, "highs": seconds["highs"] + h.getRunTime()})
    facts.proof = "branch and bound"
    return facts
