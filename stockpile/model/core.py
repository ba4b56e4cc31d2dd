"""What every feature block shares: the Block protocol, the context it builds in, the variables blocks
pass on to one another, and the list of cost terms.

A block is a module with `NEEDS` (the blocks whose variables it reads: they come before it in
model.BLOCKS), `coefficients(data, sets, tree)` (the numbers a re-solve may change: they become
mutable Params in a re-solvable model) and `add(ctx)` (declare components, fill its fields of
`ctx.var`, append cost terms with `ctx.add_cost`). Its docstring states its equations. The objective
is the sum of the cost terms, and every cost table (costs.csv, party_costs.csv, the stock table's
costs) is read off the same terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import pyomo.environ as pyo

from ..io.data import ModelData
from .scenario_tree import ScenarioTree
from .sets import SparseSets

JOINT = "JOINT"  # the holder of the joint pool in cost terms and tables (party ids are never JOINT)
TOTAL = "*"  # the key of a budget on all holders together (party ids are never "*")
MARKET = "MARKET"  # the holder of costs all buyers of a mineral cause together (the purchase price uplift)
KINDS = ("holding", "fixed", "shortage", "replenishment")  # the columns of party_costs.csv


Party = str  # a party id (parties sheet)
Mineral = str  # a mineral id (minerals sheet)
NodeId = str  # a scenario-tree node ("m3.2"; "y1.m3.2" in build year 1)
Pair = tuple[Party, Mineral]
Key = str | tuple[str, ...]  # a holding's index: (party, mineral) for national stock, the mineral for the pool
Coefficients = dict[str, dict[Any, float]]  # name -> {index: value}


def as_tuple(key: Key) -> tuple[str, ...]:
    """A holding's index as a tuple, whatever its size (so that (*key, option) indexes its options)."""
    return key if isinstance(key, tuple) else (key,)


def as_key(parts: tuple) -> Key:
    """The index as Pyomo's rules pass it back (a tuple of one is its only element)."""
    return parts if len(parts) > 1 else parts[0]


@dataclass
class CostTerm:
    """One term of the objective, USD/yr, per (holder, mineral): a party or JOINT."""

    name: str  # e.g. national_holding: a row of costs.csv
    kind: str  # one of KINDS
    entries: pyo.Expression  # indexed by (holder, mineral)


@dataclass
class Variables:
    """The variables blocks pass on, as plain dicts named as in the formulation (fast in rules); each field
    is filled by the block named beside it and read only by blocks that declare it in NEEDS."""

    lots: dict = field(default_factory=dict)  # national_stock: Lots[p, m], whole lots bought
    is_open: dict = field(default_factory=dict)  # national_stock: Open[p, m], a programme held
    stock_by_option: dict = field(default_factory=dict)  # national_stock: StockByOption[p, m, k]
    bought: dict = field(default_factory=dict)  # national_stock: Bought[y, (p, m)], t bought in build year y
    stock_at: dict = field(default_factory=dict)  # national_stock: stock held in build year y (0: full)
    capacity: dict = field(default_factory=dict)  # national_stock: release capacity sum_k rate_k x_k, t/month
    release: dict = field(default_factory=dict)  # release: Release[n, p, m]
    joint_lots: dict = field(default_factory=dict)  # joint_pool: JointLots[m]
    joint_by_option: dict = field(default_factory=dict)  # joint_pool: JointByOption[m, k]
    joint_bought: dict = field(default_factory=dict)  # joint_pool: JointBought[y, m]
    joint_stock_at: dict = field(default_factory=dict)  # joint_pool: the pool's stock held in build year y
    draw: dict = field(default_factory=dict)  # joint_pool: Draw[n, p, m]
    borrow: dict = field(default_factory=dict)  # joint_pool (entitlement): Borrow[n, p, m], drawn beyond rights


@dataclass
class Context:
    """What a block builds with: the model, the data, the sparse sets, the coefficients (floats, or
    mutable Params) and the variables other blocks pass on."""

    m: pyo.ConcreteModel
    data: ModelData
    tree: ScenarioTree
    sets: SparseSets
    coef: dict[str, Any]
    var: Variables = field(default_factory=Variables)

    def add_cost(self, name: str, kind: str, entries: dict[tuple[str, str], object]) -> None:
        """Append a cost term: {(holder, mineral): expression in USD/yr}."""
        assert kind in KINDS, kind
        component = pyo.Expression(list(entries), initialize=entries)
        self.m.add_component(f"Cost_{name}", component)
        self.m.cost_terms.append(CostTerm(name, kind, component))


class Block(Protocol):
    """A feature of the model (a module of this package): see the module doc."""

    NEEDS: tuple[str, ...]  # the blocks (module names) whose variables it reads

    def coefficients(self, data: ModelData, sets: SparseSets, tree: ScenarioTree) -> Coefficients: ...

    def add(self, ctx: Context) -> None: ...
