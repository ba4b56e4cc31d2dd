"""Tidy pandas tables (DESIGN §6) read off a solved model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .data import DAYS_PER_MONTH, ModelData
from .scenario_tree import node_probability
from .solve import SolverFacts

TOL_T = 1e-6


@dataclass
class Results:
    facts: SolverFacts
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # suspicious answers, e.g. why a coverage is 0

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def _values(var) -> dict:
    return {k: (v.value or 0.0) for k, v in var.items()}


def extract(model: pyo.ConcreteModel, data: ModelData, facts: SolverFacts) -> Results:
    idx, tree = model.idx, model.tree
    lots = {k: round(v) for k, v in _values(model.Lots).items()}
    stock = {(p, m): data.demand[p, m].existing_stock_t + data.minerals[m].lot_t * lots.get((p, m), 0)
             for p, m in data.pairs if (p, m) in lots}
    joint_lots = {k: round(v) for k, v in _values(model.JointLots).items()}
    joint = {m: data.minerals[m].lot_t * n for m, n in joint_lots.items()}
    members = [p for p in idx.members if (model.Member[p].value or 0) > 0.5]
    option = {(p, m): k for (p, m, k), v in _values(model.Option).items() if v > 0.5}
    joint_option = {m: k for (m, k), v in _values(model.JointOption).items() if v > 0.5}
    release = _values(model.Release)
    draw = _values(model.Draw)
    unmet: dict[tuple[str, str, str], float] = {}
    unmet_cost: dict[tuple[str, str, str], float] = {}
    for (n, p, m, tier), v in _values(model.Unmet).items():
        unmet[n, p, m] = unmet.get((n, p, m), 0.0) + v
        unmet_cost[n, p, m] = unmet_cost.get((n, p, m), 0.0) + v * data.tiers[m][tier - 1].usd_per_t

    tables = {
        "coverage": _coverage(data, idx, stock, joint, members),
        "stock": _stock(data, lots, stock, joint_lots, joint, option, joint_option),
        "release_rules": _release_rules(data, tree, idx, stock, release, draw),
    }
    outcomes = _outcomes(data, tree, release, draw, unmet)
    tables["scenario_outcomes"] = outcomes
    tables["survival"] = _survival(outcomes, data)
    tables["scenarios"] = _scenarios(data, tree, tables["survival"], release, draw, unmet_cost)
    tables["party_costs"] = pc = _party_costs(data, tree, tables["stock"], unmet_cost, release, draw)
    tables["costs"] = _costs(pc)
    return Results(facts, tables)


def claim_shares(data: ModelData, idx, members: list[str]) -> dict[tuple[str, str], float]:
    """A member's claim on the pool of m: its share of members' coverage basis
    (its entitlement share under `entitlement` allocation)."""
    out = {}
    for m in idx.joint_minerals:
        if data.settings.joint_allocation == "entitlement":
            for p in members:
                out[p, m] = idx.entitlement.get((p, m), 0.0)
            continue
        basis = {p: data.basis_t_per_month(p, m) for p in members if (p, m) in data.demand}
        total = sum(basis.values())
        for p, b in basis.items():
            out[p, m] = b / total if total > 0 else 0.0
    return out


def _coverage(data, idx, stock, joint, members) -> pd.DataFrame:
    claims = claim_shares(data, idx, members)
    rows = []
    for p, m in data.pairs:
        basis = data.basis_t_per_month(p, m)
        national = stock.get((p, m), data.demand[p, m].existing_stock_t)
        joint_t = joint.get(m, 0.0) * claims.get((p, m), 0.0)
        per_month = 1.0 / basis if basis > 0 else np.nan
        rows.append({"party": p, "mineral": m, "basis_t_per_month": basis, "national_t": national,
                     "joint_t": joint_t, "national_months": national * per_month, "joint_months": joint_t * per_month,
                     "coverage_months": (national + joint_t) * per_month,
                     "coverage_days": (national + joint_t) * per_month * DAYS_PER_MONTH})
    return pd.DataFrame(rows)


def _holding(data, m, option_id) -> float:
    opt = data.release_options[option_id].usd_per_t_yr if option_id else 0.0
    return data.minerals[m].holding_usd_per_t_yr + opt


def _stock(data, lots, stock, joint_lots, joint, option, joint_option) -> pd.DataFrame:
    rows = []
    for (p, m), x in stock.items():
        mineral = data.minerals[m]
        k = option.get((p, m), "")
        fixed = data.demand[p, m].programme_fixed_usd_per_yr if k else 0.0
        rows.append({"holder": p, "mineral": m, "stock_t": x, "existing_t": data.demand[p, m].existing_stock_t,
                     "lots": lots[p, m], "acquisition_usd": mineral.price_usd_per_t * mineral.lot_t * lots[p, m],
                     "cost_usd_per_yr": x * _holding(data, m, k) + fixed, "fixed_usd_per_yr": fixed,
                     "release_option": k})
    for m, x in joint.items():
        mineral = data.minerals[m]
        k = joint_option.get(m, "")
        fixed = mineral.joint_fixed_usd_per_yr if k else 0.0
        rows.append({"holder": "JOINT", "mineral": m, "stock_t": x, "existing_t": 0.0, "lots": joint_lots[m],
                     "acquisition_usd": mineral.price_usd_per_t * x,
                     "cost_usd_per_yr": x * _holding(data, m, k) + fixed, "fixed_usd_per_yr": fixed,
                     "release_option": k})
    cols = ["holder", "mineral", "stock_t", "existing_t", "lots", "acquisition_usd", "cost_usd_per_yr",
            "fixed_usd_per_yr", "release_option"]
    return pd.DataFrame(rows, columns=cols)


def _release_rules(data, tree, idx, stock, release, draw) -> pd.DataFrame:
    """Month of disruption -> tonnes released, per tree node (the non-anticipative rule)."""
    nodes = {n.id: n for n in tree.nodes}
    rows = []
    for n, p, m in idx.rec:
        r, q = release.get((n, p, m), 0.0), draw.get((n, p, m), 0.0)
        x = stock.get((p, m), 0.0)
        if x <= TOL_T and q <= TOL_T:
            continue
        node = nodes[n]
        rows.append({"party": p, "mineral": m, "month": node.month, "node": n, "released_t": r,
                     "released_share_of_stock": r / x if x > TOL_T else 0.0, "joint_draw_t": q,
                     "gap_t": idx.gap_t[n, p, m], "scenarios": "+".join(node.scenarios)})
    cols = ["party", "mineral", "month", "node", "released_t", "released_share_of_stock", "joint_draw_t", "gap_t",
            "scenarios"]
    return pd.DataFrame(rows, columns=cols).sort_values(["party", "mineral", "month", "node"], ignore_index=True)


def _outcomes(data, tree, release, draw, unmet) -> pd.DataFrame:
    """Scenario x (party, mineral) hit x month, built as arrays: a node x pair matrix per variable,
    then each scenario's rows are its path through the tree."""
    node_index = {n.id: k for k, n in enumerate(tree.nodes)}
    pair_index = {pm: i for i, pm in enumerate(tree.pairs)}
    shape = (len(tree.nodes), len(tree.pairs))

    def matrix(values: dict) -> np.ndarray:
        out = np.zeros(shape)
        if values:
            keys = list(values)
            out[[node_index[n] for n, _, _ in keys], [pair_index[p, m] for _, p, m in keys]] = list(values.values())
        return out

    r, q, u = matrix(release), matrix(draw), matrix(unmet)
    horizon = data.settings.horizon_months
    months = np.arange(1, horizon + 1)
    parts = []
    for s in data.scenarios:
        gap = tree.gaps[s]
        hit = np.flatnonzero(gap.sum(axis=1) > 0)
        if not len(hit):
            continue
        path = np.array(tree.path[s])
        parts.append(pd.DataFrame({
            "scenario": s,
            "pair": np.repeat(hit, horizon),
            "month": np.tile(months, len(hit)),
            "gap_t": gap[hit].ravel(),
            "released_t": r[path][:, hit].T.ravel(),
            "joint_draw_t": q[path][:, hit].T.ravel(),
            "unmet_t": u[path][:, hit].T.ravel(),
        }))
    cols = ["scenario", "party", "mineral", "month", "gap_t", "released_t", "joint_draw_t", "unmet_t"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["party"] = np.array([p for p, _ in tree.pairs], dtype=object)[out.pair]
    out["mineral"] = np.array([m for _, m in tree.pairs], dtype=object)[out.pair]
    return out[cols]


def _survival(outcomes: pd.DataFrame, data) -> pd.DataFrame:
    """Per scenario, party and mineral hit: months from the first gap until demand first goes unmet."""
    keys = ["scenario", "party", "mineral"]
    horizon = data.settings.horizon_months
    grouped = outcomes.groupby(keys, sort=False)
    out = grouped[["gap_t", "unmet_t"]].sum()
    out["first_gap_month"] = outcomes[outcomes.gap_t > TOL_T].groupby(keys, sort=False).month.min()
    out["first_unmet_month"] = outcomes[outcomes.unmet_t > TOL_T].groupby(keys, sort=False).month.min()
    out["months_survived"] = out.first_unmet_month.fillna(horizon + 1) - out.first_gap_month
    out = out.reset_index()
    out["first_gap_month"] = out.first_gap_month.astype(int)
    out["first_unmet_month"] = out.first_unmet_month.astype("Int64")
    out["months_survived"] = out.months_survived.astype(int)
    cols = ["scenario", "party", "mineral", "first_gap_month", "first_unmet_month", "months_survived", "gap_t",
            "unmet_t"]
    return out[cols]


def _scenarios(data, tree, survival, release, draw, unmet_cost) -> pd.DataFrame:
    rows = []
    premium = data.settings.replenish_premium
    for s, sc in data.scenarios.items():
        cost = repl = 0.0
        for n_i in tree.path[s]:
            node = tree.nodes[n_i]
            for i in node.gap_t.nonzero()[0]:
                p, m = tree.pairs[i]
                cost += unmet_cost.get((node.id, p, m), 0.0)
                price = data.minerals[m].price_usd_per_t
                repl += premium * price * (release.get((node.id, p, m), 0.0) + draw.get((node.id, p, m), 0.0))
        surv = survival[survival.scenario == s]
        rows.append({"scenario": s, "probability_per_yr": sc.probability_per_yr, "shortage_cost_usd": cost,
                     "replenishment_usd": repl, "expected_cost_usd_per_yr": sc.probability_per_yr * (cost + repl),
                     "months_survived": int(surv.months_survived.min()) if len(surv) else np.nan,
                     "gap_t": surv.gap_t.sum(), "unmet_t": surv.unmet_t.sum(), "description": sc.description})
    return pd.DataFrame(rows)


def _costs(party_costs: pd.DataFrame) -> pd.DataFrame:
    """costs.csv: the objective's terms (model.cost_terms), summed from the per-holder costs."""
    numbers = party_costs.drop(columns="holder").astype(float)  # float even when nothing is held
    national = numbers[party_costs.holder != "JOINT"].sum()
    joint = numbers[party_costs.holder == "JOINT"].sum()
    terms = {
        "national_holding": national.holding_usd_per_yr,
        "national_programme_fixed": national.programme_fixed_usd_per_yr,
        "joint_holding": joint.holding_usd_per_yr,
        "joint_fixed": joint.programme_fixed_usd_per_yr,
        "expected_shortage": national.expected_shortage_usd_per_yr + joint.expected_shortage_usd_per_yr,
        "expected_replenishment": national.expected_replenishment_usd_per_yr + joint.expected_replenishment_usd_per_yr,
    }
    terms["total"] = sum(terms.values())
    return pd.DataFrame({"term": list(terms), "usd_per_yr": [float(v) for v in terms.values()]})


def _party_costs(data: ModelData, tree, stock: pd.DataFrame, unmet_cost, release, draw) -> pd.DataFrame:
    """Each party's own expected annual cost (its national stock, its shortages, refilling its
    releases) and the pool's (joint holding, fixed cost, refilling draws). Rows sum to the objective."""
    prob = node_probability(data, tree)
    refill = {m: data.settings.replenish_premium * mineral.price_usd_per_t for m, mineral in data.minerals.items()}
    holders = [*data.parties, "JOINT"]
    by_holder = stock.groupby("holder")[["cost_usd_per_yr", "fixed_usd_per_yr"]].sum().reindex(holders, fill_value=0)
    shortage = dict.fromkeys(holders, 0.0)
    replenish = dict.fromkeys(holders, 0.0)
    for (n, p, _m), cost in unmet_cost.items():
        shortage[p] += prob[n] * cost
    for (n, p, m), v in release.items():
        replenish[p] += prob[n] * refill[m] * v
    for (n, _p, m), v in draw.items():
        replenish["JOINT"] += prob[n] * refill[m] * v
    frame = pd.DataFrame({
        "holder": holders,
        "holding_usd_per_yr": (by_holder.cost_usd_per_yr - by_holder.fixed_usd_per_yr).to_numpy(),
        "programme_fixed_usd_per_yr": by_holder.fixed_usd_per_yr.to_numpy(),
        "expected_shortage_usd_per_yr": [shortage[h] for h in holders],
        "expected_replenishment_usd_per_yr": [replenish[h] for h in holders],
    })
    frame["total_usd_per_yr"] = frame.drop(columns="holder").sum(axis=1)
    return frame
