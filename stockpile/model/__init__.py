"""The two-stage stochastic MILP of docs/formulation.md, assembled from feature blocks.

Each block (a module of this package) declares its components and appends its cost terms
(`core.Context.add_cost`); the objective is the sum of the terms, and `cost_table` reads every
cost table off the same terms. Adding a feature is adding a block to BLOCKS.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pandas as pd
import pyomo.environ as pyo
from pyomo.core.util import quicksum

from ..io import schema
from ..io.data import ModelData
from . import joint_pool, national_stock, policy, purchases, release, release_capacity, replenishment, shortage
from .core import JOINT, KINDS, MARKET, Block, Context, CostTerm
from .scenario_tree import ScenarioTree, build_tree
from .sets import SparseSets, build_sets

# each after the blocks it NEEDS (tests/test_blocks.py holds the order to the declarations)
BLOCKS: tuple[Block, ...] = (national_stock, release, joint_pool, release_capacity, shortage, replenishment,
                             purchases, policy)

__all__ = ["BLOCKS", "JOINT", "KINDS", "MARKET", "Block", "CostTerm", "SparseSets", "build_model", "coefficients",
           "cost_table", "structure_key", "update_coefficients"]


def coefficients(data: ModelData, sets: SparseSets, tree: ScenarioTree) -> dict[str, dict]:
    """Every block's re-solvable numbers: name -> {index: value}."""
    out: dict[str, dict] = {}
    for block in BLOCKS:
        out.update(block.coefficients(data, sets, tree))
    return out


def build_model(data: ModelData, tree: ScenarioTree | None = None, mutable: bool = False) -> pyo.ConcreteModel:
    """The model of docs/formulation.md.

    With `mutable`, the coefficients are mutable Params, so that a re-solve can change them
    (`update_coefficients`); without it they are floats."""
    tree = build_tree(data) if tree is None else tree
    sets = build_sets(data, tree)
    m = pyo.ConcreteModel(name="stockpile")
    m.sets, m.tree, m.cost_terms = sets, tree, []  # kept for results extraction and cost tables
    coef = {}
    for name, values in coefficients(data, sets, tree).items():
        if mutable:
            m.add_component(name, pyo.Param(list(values), initialize=values, mutable=True, within=pyo.Reals))
            coef[name] = m.component(name)
        else:
            coef[name] = values
    m.OPTIONS = pyo.Set(initialize=list(data.release_options), ordered=True)
    ctx = Context(m, data, tree, sets, coef)
    for block in BLOCKS:
        block.add(ctx)
    m._bought = {"Bought": ctx.var.bought, "JointBought": ctx.var.joint_bought}  # for acquisition.csv
    m.Expected_Annual_Cost = pyo.Objective(
        expr=quicksum(entry for term in m.cost_terms for entry in term.entries.values()), sense=pyo.minimize)
    return m


def cost_table(m: pyo.ConcreteModel) -> pd.DataFrame:
    """term, kind, holder, mineral, usd_per_yr: every cost entry of the solved model (unweighted)."""
    rows = [(t.name, t.kind, h, mi, pyo.value(e, exception=False) or 0.0)
            for t in m.cost_terms for (h, mi), e in t.entries.items()]
    return pd.DataFrame(rows, columns=["term", "kind", "holder", "mineral", "usd_per_yr"])


def update_coefficients(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Set a mutable model's coefficients from `data`, whose structure_key must match the model's."""
    for name, values in coefficients(data, model.sets, model.tree).items():
        param = model.component(name)
        for key, value in values.items():
            param[key] = value


# ---- the structure key, derived from the schema's column roles -----------------------------------------

_OBJECTS = {"parties": "parties", "minerals": "minerals", "demand": "demand", "release_options": "release_options",
            "scenarios": "scenarios", "products": "products", "product_inputs": "product_inputs",
            "world_supply": "world_supply"}


def _strip(obj: Any, columns) -> Any:
    """obj with its coefficient and info fields blanked; an optional coefficient keeps only 'is it set'."""
    changes: dict[str, object] = {}
    for col in (c for c in columns if hasattr(obj, c.name)):  # a column kept only in the sheet (notes) is no field
        if col.role == schema.INFO:
            changes[col.name] = None
        elif col.role == schema.COEFFICIENT:
            value = getattr(obj, col.name)
            changes[col.name] = (value is None) if col.default is None and not col.required else None
    return replace(obj, **changes)


def _stripped_tables(data: ModelData, cols: dict) -> dict[str, Any]:
    return {attr: {k: _strip(v, cols[sheet]) for k, v in getattr(data, attr).items()}
            for sheet, attr in _OBJECTS.items()}


def structure_key(data: ModelData) -> str:
    """A digest of everything that shapes the model's sets, bounds and big-Ms. Two ModelData with
    the same key differ only in `coefficients()` and solver settings, so one built model serves
    both. Derived from the schema: every column not marked coefficient or info counts, so a new
    input can only cause a rebuild, never a stale model."""
    cols = {name: sheet.columns for name, sheet in schema.SHEETS.items()}
    stripped = replace(
        data, source="", sha256="", warnings=(), assumptions=(), book=None, benchmarks=(), history=(),
        settings=_strip(data.settings, schema.SETTING_COLUMNS),
        tiers={mi: tuple(_strip(t, cols["shortage_costs"]) for t in ts) for mi, ts in data.tiers.items()},
        **_stripped_tables(data, cols))
    return hashlib.sha256(repr(stripped).encode()).hexdigest()
