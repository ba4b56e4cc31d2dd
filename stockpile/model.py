"""The two-stage stochastic MILP of docs/formulation.md as a Pyomo ConcreteModel.

Built from ModelData (and its ScenarioTree) only; never reads files. Component
names match docs/formulation.md equation by equation. Cost terms are collected
in `m.cost_terms` (name -> Expression) and the objective is their sum.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.core.util import quicksum

from .data import ModelData
from .scenario_tree import ScenarioTree, build_tree, node_probability

EPS = 1e-9


@dataclass
class Index:
    """Sparse index sets and plain-float coefficients, computed once from the data."""

    stock_pairs: list[tuple[str, str]]
    cap_t: dict[tuple[str, str, str], float]  # (p, m, option) -> most stock ever useful (big-M)
    lots_max: dict[tuple[str, str], int]
    members: list[str]  # parties that may join the pool (yes or optional)
    joint_minerals: list[str]
    cap_joint_t: dict[tuple[str, str], float]  # (m, option) -> big-M
    joint_lots_max: dict[str, int]
    rec: list[tuple[str, str, str]]  # (node, party, mineral) with a gap > 0
    gap_t: dict[tuple[str, str, str], float]
    draws: list[tuple[str, str, str]]  # rec entries where a joint draw is possible
    leaf_release: dict[tuple[int, str, str], list[str]] = field(default_factory=dict)  # (leaf, p, m) -> nodes
    leaf_draw: dict[tuple[int, str], list[tuple[str, str]]] = field(default_factory=dict)  # (leaf, m) -> (node, p)
    leaf_draw_party: dict[tuple[int, str, str], list[str]] = field(default_factory=dict)
    entitlement: dict[tuple[str, str], float] = field(default_factory=dict)  # (p, m) -> share of pool


def _round_up(x: float, lot: float) -> float:
    return lot * math.ceil(x / lot - EPS) if x > EPS else 0.0


def build_index(data: ModelData, tree: ScenarioTree) -> Index:
    pairs = data.pairs
    nodes = tree.nodes
    rec, gap_t = [], {}
    hit = set()
    for node in nodes:
        for i in node.gap_t.nonzero()[0]:
            p, m = pairs[i]
            rec.append((node.id, p, m))
            gap_t[node.id, p, m] = float(node.gap_t[i])
            hit.add((p, m))
    # most stock that can ever be useful, per pair and release option: enough for the worst
    # total gap on any path, and enough that rate_k x stock covers the largest monthly gap
    worst = {pm: 0.0 for pm in pairs}
    for leaf in tree.leaves:
        total = sum(nodes[n].gap_t for n in leaf)
        for i, pm in enumerate(pairs):
            worst[pm] = max(worst[pm], float(total[i]))
    peak = {pm: 0.0 for pm in pairs}
    for node in nodes:
        for i in node.gap_t.nonzero()[0]:
            peak[pairs[i]] = max(peak[pairs[i]], float(node.gap_t[i]))
    stock_pairs, cap, lots_max = [], {}, {}
    for (p, m), dem in data.demand.items():
        target_t = (dem.target_months or 0.0) * data.basis_t_per_month(p, m)
        if (p, m) not in hit and dem.existing_stock_t <= 0 and target_t <= 0:
            continue
        lot, x0 = data.minerals[m].lot_t, dem.existing_stock_t
        stock_pairs.append((p, m))
        for k, opt in data.release_options.items():
            rate = opt.max_release_share_per_month
            need = max(worst[p, m], target_t, peak[p, m] / rate if rate > 0 else 0.0)
            c = x0 + _round_up(max(0.0, need - x0), lot)
            if dem.max_stock_t is not None:
                c = min(c, dem.max_stock_t)
            cap[p, m, k] = max(c, x0)
        lots_max[p, m] = max(0, math.floor((max(cap[p, m, k] for k in data.release_options) - x0) / lot + EPS))

    members = data.eligible_members()
    member_set = set(members)
    joint_minerals, cap_joint, joint_lots_max = [], {}, {}
    if members:
        member_rows = {mi: [i for i, (p, m) in enumerate(pairs) if m == mi and p in member_set] for mi in data.minerals}
        for mi, rows in member_rows.items():
            if not rows:
                continue
            worst_pool = max(float(sum(nodes[n].gap_t for n in leaf)[rows].sum()) for leaf in tree.leaves)
            peak_pool = max(float(node.gap_t[rows].sum()) for node in nodes)
            if worst_pool <= EPS:
                continue
            lot = data.minerals[mi].lot_t
            joint_minerals.append(mi)
            for k, opt in data.release_options.items():
                rate = opt.max_release_share_per_month
                cap_joint[mi, k] = _round_up(max(worst_pool, peak_pool / rate if rate > 0 else 0.0), lot)
            joint_lots_max[mi] = round(max(cap_joint[mi, k] for k in data.release_options) / lot)
    jm = set(joint_minerals)
    draws = [(n, p, m) for (n, p, m) in rec if p in member_set and m in jm]
    draw_set = set(draws)

    idx = Index(stock_pairs, cap, lots_max, members, joint_minerals, cap_joint, joint_lots_max, rec, gap_t,
                draws)
    for li, leaf in enumerate(tree.leaves):
        for n in leaf:
            node = nodes[n]
            for i in node.gap_t.nonzero()[0]:
                p, m = pairs[i]
                idx.leaf_release.setdefault((li, p, m), []).append(node.id)
                if (node.id, p, m) in draw_set:
                    idx.leaf_draw.setdefault((li, m), []).append((node.id, p))
                    idx.leaf_draw_party.setdefault((li, p, m), []).append(node.id)
    idx.entitlement = _entitlements(data, members, joint_minerals)
    return idx


def _entitlements(data: ModelData, members: list[str], minerals: list[str]) -> dict[tuple[str, str], float]:
    """Share of the pool of m each member may draw under `entitlement` allocation: the
    party's entitlement_share where given, the rest split by coverage basis."""
    out = {}
    given = {p: data.parties[p].entitlement_share for p in members if data.parties[p].entitlement_share is not None}
    rest = max(0.0, 1.0 - sum(given.values()))
    for m in minerals:
        basis = {p: data.basis_t_per_month(p, m) for p in members if p not in given and (p, m) in data.demand}
        total = sum(basis.values())
        for p in members:
            if p in given:
                out[p, m] = given[p]
            elif total > 0:
                out[p, m] = rest * basis.get(p, 0.0) / total
            else:
                out[p, m] = 0.0
    return out


def build_model(data: ModelData, tree: ScenarioTree | None = None, mutable: bool = False) -> pyo.ConcreteModel:
    """The model of docs/formulation.md.

    With `mutable`, the coefficients of `coefficients()` are mutable Params, so that a sweep can
    change them and re-solve (`update_coefficients`), and each party's own cost terms carry a
    mutable `PartyWeight[p]` (1 by default), so that a coalition game can re-solve one model for
    every coalition (weight 0 = not in the coalition). Without it they are plain floats (faster)."""
    tree = build_tree(data) if tree is None else tree
    idx = build_index(data, tree)
    s = data.settings
    mins, dem, options = data.minerals, data.demand, data.release_options
    m = pyo.ConcreteModel(name="stockpile")
    m.idx, m.tree = idx, tree  # kept for results extraction
    coef = {}
    for name, values in coefficients(data, idx, tree).items():
        if mutable:
            m.add_component(name, pyo.Param(list(values), initialize=values, mutable=True, within=pyo.Reals))
            coef[name] = m.component(name)
        else:
            coef[name] = values

    # ---- sets -----------------------------------------------------------------------
    m.STOCK_PAIRS = pyo.Set(initialize=idx.stock_pairs, dimen=2, ordered=True)
    m.OPTIONS = pyo.Set(initialize=list(options), ordered=True)
    m.MEMBERS = pyo.Set(initialize=idx.members, ordered=True)
    m.JOINT_MINERALS = pyo.Set(initialize=idx.joint_minerals, ordered=True)
    m.REC = pyo.Set(initialize=idx.rec, dimen=3, ordered=True)
    m.DRAWS = pyo.Set(initialize=idx.draws, dimen=3, ordered=True)
    tiers = [(n, p, mi, l) for (n, p, mi) in idx.rec for l in range(1, len(data.tiers[mi]) + 1)]
    m.TIERS = pyo.Set(initialize=tiers, dimen=4, ordered=True)

    # ---- first stage: national stock and the joint pool (the same kind of holding) ----------------
    # plain dicts named as in the formulation: Pyomo's __getitem__ is slow in hot rules
    n_, y, x_k = _add_holdings(m, "", m.STOCK_PAIRS, idx.lots_max, idx.cap_t, options,
                               lot={(p, mi): mins[mi].lot_t for p, mi in idx.stock_pairs},
                               existing={(p, mi): dem[p, mi].existing_stock_t for p, mi in idx.stock_pairs})
    for p, mi in idx.stock_pairs:
        if dem[p, mi].existing_stock_t > 0:
            m.Open[p, mi].fix(1)  # existing stock is held whatever the model says
    nj, yj, xj_k = _add_holdings(m, "Joint", m.JOINT_MINERALS, idx.joint_lots_max, idx.cap_joint_t, options,
                                 lot={mi: mins[mi].lot_t for mi in idx.joint_minerals}, existing={})
    m.Member = pyo.Var(m.MEMBERS, domain=pyo.Binary)
    z = dict(m.Member.items())
    for p in idx.members:
        if data.parties[p].joint_member == "yes":
            m.Member[p].fix(1)

    # ---- second stage: per tree node ------------------------------------------------------
    m.Release = pyo.Var(m.REC, domain=pyo.NonNegativeReals)
    r = dict(m.Release.items())
    m.Draw = pyo.Var(m.DRAWS, domain=pyo.NonNegativeReals)
    q = dict(m.Draw.items())
    m.Unmet = pyo.Var(m.TIERS, domain=pyo.NonNegativeReals,
                      bounds=lambda _, n, p, mi, l: (0, _tier_width(data, mi, l) * data.consumption_t_per_month(p, mi)))
    u = dict(m.Unmet.items())
    draw_set = set(idx.draws)

    def balance(_, n, p, mi):
        """r + q + sum_l u[l] = g: stock is released only against a gap."""
        draw = q[n, p, mi] if (n, p, mi) in draw_set else 0
        unmet = quicksum(u[n, p, mi, l] for l in range(1, len(data.tiers[mi]) + 1))
        return r[n, p, mi] + draw + unmet == idx.gap_t[n, p, mi]

    m.Supply_Balance = pyo.Constraint(m.REC, rule=balance)
    # release capacity sum_k rate_k * x_k: one expression per holder, shared by all its nodes' rows
    rate = {k: o.max_release_share_per_month for k, o in options.items()}
    capacity = {(p, mi): quicksum(rate[k] * x_k[p, mi, k] for k in options) for p, mi in idx.stock_pairs}
    joint_capacity = {mi: quicksum(rate[k] * xj_k[mi, k] for k in options) for mi in idx.joint_minerals}
    m.Release_Rate = pyo.Constraint(
        m.REC, rule=lambda _, n, p, mi: r[n, p, mi] <= capacity[p, mi])
    m.LEAF_PAIRS = pyo.Set(initialize=list(idx.leaf_release), dimen=3, ordered=True)
    m.Release_Within_Stock = pyo.Constraint(
        m.LEAF_PAIRS, rule=lambda _, li, p, mi: quicksum(r[n, p, mi] for n in idx.leaf_release[li, p, mi])
        <= m.Stock[p, mi])

    m.DRAW_NODES = pyo.Set(initialize=sorted({(n, mi) for n, _, mi in idx.draws}), dimen=2, ordered=True)
    draws_at: dict[tuple[str, str], list[str]] = {}
    for n, p, mi in idx.draws:
        draws_at.setdefault((n, mi), []).append(p)
    m.Draw_Rate = pyo.Constraint(
        m.DRAW_NODES,
        rule=lambda _, n, mi: quicksum(q[n, p, mi] for p in draws_at[n, mi]) <= joint_capacity[mi])
    m.LEAF_MINERALS = pyo.Set(initialize=list(idx.leaf_draw), dimen=2, ordered=True)
    m.Draw_Within_Pool = pyo.Constraint(
        m.LEAF_MINERALS, rule=lambda _, li, mi: quicksum(q[n, p, mi] for n, p in idx.leaf_draw[li, mi])
        <= m.JointStock[mi])
    # only members draw: per leaf path, sum of p's draws <= (sum of p's gaps) x Member[p]
    # (one row per path instead of per node: draws are >= 0, so Member = 0 still stops them all)
    optional = [key for key in idx.leaf_draw_party if data.parties[key[1]].joint_member == "optional"]
    m.OPTIONAL_DRAW_PATHS = pyo.Set(initialize=optional, dimen=3, ordered=True)
    m.Draw_Members = pyo.Constraint(
        m.OPTIONAL_DRAW_PATHS,
        rule=lambda _, li, p, mi: quicksum(q[n, p, mi] for n in idx.leaf_draw_party[li, p, mi])
        <= sum(idx.gap_t[n, p, mi] for n in idx.leaf_draw_party[li, p, mi]) * z[p])
    _add_allocation(m, data, idx, draws_at)

    # ---- policy constraints -------------------------------------------------------------
    # budget rows in USD million: keeps HiGHS's row bounds within a sane range
    lot_musd, budget_musd = coef["LotCostMusd"], coef["BudgetMusd"]

    def acquisition_musd(p=None):
        national = quicksum(lot_musd[mi] * n_[pp, mi] for pp, mi in idx.stock_pairs if p is None or pp == p)
        if p is not None:
            return national
        return national + quicksum(lot_musd[mi] * nj[mi] for mi in idx.joint_minerals)

    if s.budget_usd is not None:
        m.Acquisition_Budget = pyo.Constraint(expr=acquisition_musd() <= budget_musd[TOTAL])
    m.Party_Budget = pyo.Constraint(
        _budget_parties(data, idx), rule=lambda _, p: acquisition_musd(p) <= budget_musd[p])
    target_pairs = [(p, mi) for p, mi in idx.stock_pairs if dem[p, mi].target_months]
    m.TARGET_PAIRS = pyo.Set(initialize=target_pairs, dimen=2, ordered=True)
    m.Coverage_Target = pyo.Constraint(
        m.TARGET_PAIRS,
        rule=lambda _, p, mi: m.Stock[p, mi] >= dem[p, mi].target_months * data.basis_t_per_month(p, mi))

    # ---- objective: expected annual cost, from the cost terms ----------------------------------
    if mutable:
        m.PartyWeight = pyo.Param(list(data.parties), initialize=1.0, mutable=True, within=pyo.NonNegativeReals)
        weight = m.PartyWeight
    else:
        weight = dict.fromkeys(data.parties, 1.0)
    holding, prob = coef["HoldingCost"], coef["NodeProbability"]
    shortage, refill = coef["ShortageCost"], coef["ReplenishCost"]
    fixed, joint_fixed = coef["ProgrammeFixedCost"], coef["JointFixedCost"]
    m.cost_terms = {
        "national_holding": pyo.Expression(expr=quicksum(
            weight[p] * holding[mi, k] * x_k[p, mi, k] for p, mi in idx.stock_pairs for k in options)),
        "national_programme_fixed": pyo.Expression(expr=quicksum(
            weight[p] * fixed[p, mi] * y[p, mi] for p, mi in idx.stock_pairs)),
        "joint_holding": pyo.Expression(expr=quicksum(
            holding[mi, k] * xj_k[mi, k] for mi in idx.joint_minerals for k in options)),
        "joint_fixed": pyo.Expression(expr=quicksum(joint_fixed[mi] * yj[mi] for mi in idx.joint_minerals)),
        "expected_shortage": pyo.Expression(expr=quicksum(
            weight[p] * prob[n] * shortage[mi, l] * u[n, p, mi, l] for (n, p, mi, l) in tiers)),
        "expected_replenishment": pyo.Expression(expr=quicksum(
            weight[p] * prob[n] * refill[mi] * r[n, p, mi] for n, p, mi in idx.rec)
            + quicksum(prob[n] * refill[mi] * q[n, p, mi] for n, p, mi in idx.draws)),
    }
    for name, expr in m.cost_terms.items():
        m.add_component(f"Cost_{name}", expr)
    m.Expected_Annual_Cost = pyo.Objective(expr=quicksum(m.cost_terms.values()), sense=pyo.minimize)
    return m


def _add_holdings(m, prefix: str, index, lots_max: dict, cap: dict, options: dict, lot: dict, existing: dict):
    """A holder's stock in whole lots on top of existing stock, held under exactly one release
    option when open. National (prefix ""): Lots, Open, StockByOption, Option, Stock, Stock_By_Option,
    Option_Capacity, One_Option; the pool (prefix "Joint"): JointLots, ..., Joint_One_Option.
    Returns the Lots, Open and ByOption variables as plain dicts."""
    def key(k, *rest):  # index tuples: (p, m) for parties, m for the pool
        return (*(k if isinstance(k, tuple) else (k,)), *rest)

    by, sep = prefix or "Stock", f"{prefix}_" if prefix else ""
    lots = pyo.Var(index, domain=pyo.NonNegativeIntegers, bounds=lambda _, *k: (0, lots_max[_one(k)]))
    m.add_component(f"{prefix}Lots", lots)
    m.add_component(f"{prefix}Open", pyo.Var(index, domain=pyo.Binary))
    m.add_component(f"{by}ByOption", pyo.Var(index, m.OPTIONS, domain=pyo.NonNegativeReals))
    m.add_component(f"{prefix}Option", pyo.Var(index, m.OPTIONS, domain=pyo.Binary))
    n_ = dict(lots.items())
    y = dict(m.component(f"{prefix}Open").items())
    x_k = dict(m.component(f"{by}ByOption").items())
    b = dict(m.component(f"{prefix}Option").items())
    stock = pyo.Expression(index, rule=lambda _, *k: existing.get(_one(k), 0.0) + lot[_one(k)] * n_[_one(k)])
    m.add_component(f"{prefix}Stock", stock)  # x = x0 + lot * n
    m.add_component(f"{by}_By_Option", pyo.Constraint(
        index, rule=lambda _, *k: quicksum(x_k[key(_one(k), o)] for o in options) == stock[_one(k)]))
    m.add_component(f"{sep}Option_Capacity", pyo.Constraint(
        index, m.OPTIONS, rule=lambda _, *k: x_k[key(*k)] <= cap[key(*k)] * b[key(*k)]))
    m.add_component(f"{sep}One_Option", pyo.Constraint(
        index, rule=lambda _, *k: quicksum(b[key(_one(k), o)] for o in options) == y[_one(k)]))
    return n_, y, x_k


def _one(k: tuple):
    """A rule's index arguments as the key of a dict: the tuple, or its only element."""
    return k if len(k) > 1 else k[0]


TOTAL = "*"  # BudgetMusd's index for the total budget (party ids are never "*")


def _budget_parties(data: ModelData, idx: Index) -> list[str]:
    stocking = {p for p, _ in idx.stock_pairs}
    return [p for p, party in data.parties.items() if party.budget_usd is not None and p in stocking]


def coefficients(data: ModelData, idx: Index, tree: ScenarioTree) -> dict[str, dict]:
    """The numbers a sweep may change without changing the model's structure (see structure_key)."""
    mins, options = data.minerals, data.release_options
    premium = data.settings.replenish_premium
    budget = {p: data.parties[p].budget_usd / 1e6 for p in _budget_parties(data, idx)}
    if data.settings.budget_usd is not None:
        budget[TOTAL] = data.settings.budget_usd / 1e6
    return {
        "HoldingCost": {(mi, k): mins[mi].holding_usd_per_t_yr + options[k].usd_per_t_yr
                        for mi in mins for k in options},  # USD/t/yr
        "ProgrammeFixedCost": {(p, mi): data.demand[p, mi].programme_fixed_usd_per_yr for p, mi in idx.stock_pairs},
        "JointFixedCost": {mi: mins[mi].joint_fixed_usd_per_yr for mi in idx.joint_minerals},
        "ShortageCost": {(mi, l): t.usd_per_t for mi, tiers in data.tiers.items()
                         for l, t in enumerate(tiers, 1)},  # USD/t
        "NodeProbability": node_probability(data, tree),  # 1/yr
        "ReplenishCost": {mi: premium * mins[mi].price_usd_per_t for mi in mins},  # USD/t released
        "LotCostMusd": {mi: mins[mi].price_usd_per_t * mins[mi].lot_t / 1e6 for mi in mins},  # USD m/lot
        "BudgetMusd": budget,  # USD m
    }


def update_coefficients(model: pyo.ConcreteModel, data: ModelData) -> None:
    """Set a mutable model's coefficients from `data`, whose structure_key must match the model's."""
    for name, values in coefficients(data, model.idx, model.tree).items():
        param = model.component(name)
        for key, value in values.items():
            param[key] = value


def structure_key(data: ModelData) -> str:
    """Everything that shapes the model's sets, bounds and big-Ms; two ModelData with the same
    key differ only in `coefficients()` and solver settings, so one built model serves both."""
    s = data.settings
    parts = (
        s.horizon_months, s.coverage_basis, s.joint_allocation, s.budget_usd is None,
        [(p.id, p.joint_member, p.budget_usd is None, p.entitlement_share) for p in data.parties.values()],
        [(m.id, m.lot_t) for m in data.minerals.values()],
        [(k, d.consumption_t_per_yr, d.net_import_reliance, d.existing_stock_t, d.max_stock_t, d.target_months)
         for k, d in data.demand.items()],
        sorted(data.supply.items()),
        [(m, [t.up_to_share for t in tiers]) for m, tiers in data.tiers.items()],
        [(o.id, o.max_release_share_per_month) for o in data.release_options.values()],
        list(data.scenarios), data.events,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _tier_width(data: ModelData, mineral: str, tier: int) -> float:
    tiers = data.tiers[mineral]
    lower = tiers[tier - 2].up_to_share if tier > 1 else 0.0
    return tiers[tier - 1].up_to_share - lower


def _add_allocation(m, data: ModelData, idx: Index, draws_at) -> None:
    """Joint-pool allocation when several members are short at once (settings.joint_allocation)."""
    mode = data.settings.joint_allocation
    if mode == "pro_rata":
        # every member hit gets the same share of its gap: q = phi * g (big-M with g when optional)
        m.DrawShare = pyo.Var(m.DRAW_NODES, bounds=(0, 1))
        m.Pro_Rata_Upper = pyo.Constraint(
            m.DRAWS, rule=lambda _, n, p, mi: m.Draw[n, p, mi] <= m.DrawShare[n, mi] * idx.gap_t[n, p, mi])
        m.Pro_Rata_Lower = pyo.Constraint(
            m.DRAWS, rule=lambda _, n, p, mi: m.Draw[n, p, mi] >= m.DrawShare[n, mi] * idx.gap_t[n, p, mi]
            - idx.gap_t[n, p, mi] * (1 - m.Member[p]))
    elif mode == "entitlement":
        m.LEAF_PARTY_MINERALS = pyo.Set(initialize=list(idx.leaf_draw_party), dimen=3, ordered=True)
        m.Entitlement = pyo.Constraint(
            m.LEAF_PARTY_MINERALS,
            rule=lambda _, li, p, mi: quicksum(m.Draw[n, p, mi] for n in idx.leaf_draw_party[li, p, mi])
            <= idx.entitlement[p, mi] * m.JointStock[mi])
