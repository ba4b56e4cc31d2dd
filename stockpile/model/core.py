"""What every feature block shares: the context it builds in, and the list of cost terms.

A block is a module with `add(ctx)` (declare components, append cost terms with `ctx.add_cost`)
and, optionally, `coefficients(data, sets, tree)` (the numbers a re-solve may change: they become
mutable Params in a re-solvable model). The objective is the sum of the cost terms, and every cost
table (costs.csv, party_costs.csv, the stock table's costs) is read off the same terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..io.data import ModelData
from .scenario_tree import ScenarioTree
from .sets import SparseSets

JOINT = "JOINT"  # the holder of the joint pool in cost terms and tables (party ids are never JOINT)
TOTAL = "*"  # the key of a budget on all holders together (party ids are never "*")
MARKET = "MARKET"  # the holder of costs all buyers of a mineral cause together (the purchase price uplift)
KINDS = ("holding", "fixed", "shortage", "replenishment")  # the columns of party_costs.csv


@dataclass
class CostTerm:
    """One term of the objective, USD/yr, per (holder, mineral): a party or JOINT."""

    name: str  # e.g. national_holding: a row of costs.csv
    kind: str  # one of KINDS
    entries: pyo.Expression  # indexed by (holder, mineral)


@dataclass
class Context:
    """What a block builds with: the model, the data, the sparse sets, the coefficients (floats, or
    mutable Params), and the variables as plain dicts named as in the formulation (fast in rules)."""

    m: pyo.ConcreteModel
    data: ModelData
    tree: ScenarioTree
    sets: SparseSets
    coef: dict[str, object]
    var: dict[str, dict] = field(default_factory=dict)

    def add_cost(self, name: str, kind: str, entries: dict[tuple[str, str], object]) -> None:
        """Append a cost term: {(holder, mineral): expression in USD/yr}."""
        assert kind in KINDS, kind
        component = pyo.Expression(list(entries), initialize=entries)
        self.m.add_component(f"Cost_{name}", component)
        self.m.cost_terms.append(CostTerm(name, kind, component))
