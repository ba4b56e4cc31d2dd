"""One canonical answer among equal-cost release schedules (formulation, "Canonical releases"): with the
stock, release options and membership of the optimum fixed and the expected cost held at most at its
value, an LP moves every release and draw as early as the cost allows. Stock released at capacity from
the first month of a cut until it runs out reads as a rule; a schedule that zig-zags between months of
equal value does not, and HiGHS returns whichever vertex it meets first."""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.core.util import quicksum

from ..io.data import ModelData
from .facts import SolverFacts
from .highs import solve_direct

FIRST_STAGE = ("Lots", "Open", "Option", "JointLots", "JointOpen", "JointOption", "Member")


def earliest_releases(model: pyo.ConcreteModel, data: ModelData, facts: SolverFacts) -> None:
    """Re-solve the recourse of a solved model for the earliest releases at no extra cost; keeps the
    solution as it is when the LP does not solve (the MIP's answer is already optimal)."""
    weight = _month_weights(model)
    if not weight or facts.objective_usd_per_yr is None:
        return
    saved = [(v, v.value) for v in model.component_data_objects(pyo.Var) if not v.fixed]
    fixed = [v for name in FIRST_STAGE if model.component(name) is not None
             for v in model.component(name).values() if not v.fixed]
    for v in fixed:
        v.fix(round(v.value or 0.0))
    cap = facts.objective_usd_per_yr  # no cost added: the incumbent itself meets it
    model.Canonical_Cost = pyo.Constraint(expr=model.Expected_Annual_Cost.expr <= cap)
    model.Expected_Annual_Cost.deactivate()
    model.Earliest = pyo.Objective(expr=quicksum(w * v for v, w in weight), sense=pyo.minimize)
    ok = False
    try:
        ok = solve_direct(model, data, options={"mip_rel_gap": 0.0}).has_solution
    except InfeasibleConstraintException:  # a row made constant by the fixing, e.g. a budget met exactly
        pass
    finally:
        if not ok:  # the MIP's own schedule stands: it is optimal, only not canonical
            for v, x in saved:
                v.set_value(x, skip_validation=True)
        model.del_component(model.Earliest)
        model.del_component(model.Canonical_Cost)
        model.Expected_Annual_Cost.activate()
        for v in fixed:
            v.unfix()


def _month_weights(model) -> list:
    """(Release[n, p, m], t) and (Draw[n, p, m], t + 0.5 + 0.001 t) with t the month of n: a later
    release weighs more, and the pool is drawn before members' own stock: a month earlier gains 1.001 for
    a tonne drawn and 1 for a tonne released (without the 0.001 t the split between the two is a tie)."""
    months = {n.id: n.month for n in model.tree.nodes}
    out = []
    for name, weight in (("Release", lambda t: t), ("Draw", lambda t: t + 0.5 + 0.001 * t)):
        if model.component(name) is not None:
            out += [(v, weight(months[k[0]])) for k, v in model.component(name).items()]
    return out
