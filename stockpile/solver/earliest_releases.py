"""One canonical answer among equal-cost release schedules (formulation, "Canonical releases"): with the
stock, release options and membership of the optimum fixed and the expected cost held at most at its
value, an LP moves every release and draw as early as the cost allows. Stock released at capacity from
the first month of a cut until it runs out reads as a rule; a schedule that zig-zags between months of
equal value does not, and HiGHS returns whichever vertex it meets first."""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.core.util import quicksum
from scipy.sparse.csgraph import connected_components

from ..io.data import ModelData
from .facts import SolverFacts
from .highs import compile_model, highs_lp, new_highs
from .threads import run_interruptibly

FIRST_STAGE = ("Lots", "Open", "Option", "JointLots", "JointOpen", "JointOption", "Member")


def earliest_releases(model: pyo.ConcreteModel, data: ModelData, facts: SolverFacts) -> None:
    """Re-solve the recourse of a solved model for the earliest releases at no extra cost, block by block (see
    `blocks`); a block whose LP does not solve keeps the MIP's schedule (the MIP's answer is already optimal)."""
    weight = _month_weights(model, data)
    if not weight or facts.objective_usd_per_yr is None:
        return
    fixed = [v for name in FIRST_STAGE if model.component(name) is not None
             for v in model.component(name).values() if not v.fixed]
    saved = [(v, v.value) for v in fixed]
    for v in fixed:
        v.fix(round(v.value or 0.0))
    model.Earliest = pyo.Objective(expr=quicksum(w * v for v, w in weight), sense=pyo.minimize)
    try:  # both objectives compiled, the cost and the earliness, as rows of form.c
        form, lp, _integer = compile_model(model)
    except InfeasibleConstraintException:  # a row made constant by the fixing, e.g. a budget met exactly
        form = None
    finally:
        model.del_component(model.Earliest)
        for v in fixed:
            v.unfix()
    if form is None or lp.num_col_ == 0:
        for v, value in saved:  # the MIP's own answer stands, as it was
            v.set_value(value, skip_validation=True)
        return
    x = np.array([v.value if v.value is not None else 0.0 for v in form.columns])
    objectives = form.c.toarray()  # a row per objective (two short rows: dense is cheap)
    names = [o.local_name for o in form.objectives]
    cost, early = objectives[names.index("Expected_Annual_Cost")], objectives[names.index("Earliest")]
    a = form.A.tocsr()
    for cols, rows in blocks(a, early):
        values = _canonical_block(lp, a, cols, rows, cost, early, x, data)
        if values is not None:
            x[cols] = values
    for v, value in zip(form.columns, x, strict=True):
        v.set_value(float(value), skip_validation=True)


def blocks(a: sp.csr_matrix, early: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(columns, rows) of each block of the recourse that has a release or draw to move: with the first stage
    fixed, minerals (and build years, and parties outside the pool) meet in no row but the cost, so the LP falls
    apart into blocks; each keeps its own cost at most the incumbent's (the total too, then). Small LPs solve
    faster than one large one, and surely: the synthetic 6x15x60x36 model's one LP took 13 s and ended "unknown"
    (primal infeasibility 1.6e-5 on the cost row; the schedule was thrown away), its 15 blocks 4 s, all optimal."""
    n_rows = a.shape[0]
    graph = sp.bmat([[None, a], [a.T, None]], format="csr")  # rows and columns as the nodes of one graph
    _count, label = connected_components(graph, directed=False)
    row_label, col_label = label[:n_rows], label[n_rows:]
    out = []
    for k in np.unique(col_label[early != 0]):  # a block with nothing to move early stays as the MIP left it
        out.append((np.flatnonzero(col_label == k), np.flatnonzero(row_label == k)))
    return out


def _canonical_block(lp: highspy.HighsLp, a: sp.csr_matrix, cols: np.ndarray, rows: np.ndarray, cost: np.ndarray,
                     early: np.ndarray, x: np.ndarray, data: ModelData) -> np.ndarray | None:
    """One block's LP: min earliness s.t. its rows and its cost <= the incumbent's; its columns' values, or None
    when HiGHS does not prove an optimum."""
    cap = float(cost[cols] @ x[cols])
    block = highs_lp(cost=early[cols], col_lower=np.asarray(lp.col_lower_)[cols],
                     col_upper=np.asarray(lp.col_upper_)[cols],
                     row_lower=np.append(np.asarray(lp.row_lower_)[rows], -highspy.kHighsInf),
                     row_upper=np.append(np.asarray(lp.row_upper_)[rows], cap),
                     matrix=sp.vstack([a[rows][:, cols], sp.csr_matrix(cost[cols])]))  # its rows, then its cost
    h = new_highs(block, data, {"mip_rel_gap": 0.0})
    run_interruptibly(h)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value)


def _month_weights(model, data: ModelData) -> list:
    """(Release[n, p, m], weight) and (Draw[n, p, m], weight) with t the month of n: a later tonne weighs more.
    settings.release_priority decides which stock goes first among schedules of equal cost: national_first
    weighs a release t + 0.001 t and a draw t + 0.5, so a month earlier gains 1.001 for a tonne released and 1
    for a tonne drawn (a member's own stock runs first, the pool waits); pool_first the other way round. Without
    the 0.001 t the split between the two is a tie. A tonne borrowed beyond drawing rights weighs about 0.001
    more, a little less later, so no member borrows what its own rights cover, and it draws its rights first."""
    months = {n.id: n.month for n in model.tree.nodes}
    steeper, flatter = (lambda t: t + 0.001 * t), (lambda t: t + 0.5)
    first = data.settings.release_priority == "national_first"
    out = []
    for name, weight in (("Release", steeper if first else flatter), ("Draw", flatter if first else steeper),
                         ("Borrow", lambda t: 0.001 + 0.0001 / (1 + t))):
        if model.component(name) is not None:
            out += [(v, weight(months[k[0]])) for k, v in model.component(name).items()]
    return out
