"""Tidy pandas tables (README, "Outputs") read off a solved model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from ..common.units import usd
from ..io.data import DAYS_PER_MONTH, ModelData
from ..model import JOINT, MARKET, coefficients, cost_table
from ..model.core import as_tuple
from .facts import SolverFacts

TOL_T = 1e-6


@dataclass
class Results:
    facts: SolverFacts
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # suspicious answers, e.g. why a coverage is 0
    # how to write the results folder: api.solve gives it (the reports layer sits above this one)
    writer: Callable[[str | Path, bool], Path] | None = field(default=None, repr=False, compare=False)

    def write(self, out: str | Path, overwrite: bool = False) -> Path:
        """The results folder `stockpile solve` writes (report.html, summary.md, tables, plots), whole or not at all;
        an existing folder only with overwrite=True, and only one this tool wrote."""
        if self.writer is None:
            raise ValueError("these results do not know their inputs: write the results of stockpile.solve(...)")
        return self.writer(out, overwrite)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def coverage(self) -> pd.DataFrame:
        """party x mineral: months of coverage basis held (national_months) and guaranteed (national + drawing
        rights, coverage_months)."""
        return self.tables["coverage"]

    @property
    def stock(self) -> pd.DataFrame:
        """holder x mineral: tonnes held, lots, acquisition, annual cost, release option."""
        return self.tables["stock"]

    @property
    def costs(self) -> pd.DataFrame:
        """Each term of the objective, USD/yr, and the total."""
        return self.tables["costs"]

    @property
    def party_costs(self) -> pd.DataFrame:
        """Each holder's own expected annual cost by kind (holding, fixed, shortage, replenishment)."""
        return self.tables["party_costs"]

    @property
    def assumptions(self) -> pd.DataFrame | None:
        """Each assumption group at its low and high values, ranked, then the break-evens (None: sensitivity no)."""
        return self.tables.get("assumptions")

    def headline(self) -> str:
        """One line: status, expected annual cost with its gap, and what the new stock costs to buy."""
        f = self.facts
        cost = "no solution" if f.objective_usd_per_yr is None else f"{usd(f.objective_usd_per_yr)}/yr expected"
        gap = "" if f.relative_gap is None or f.relative_gap == float("inf") else f" (gap {f.relative_gap:.3%})"
        stock = self.tables.get("stock")
        buy = "" if stock is None else f"; new stock {usd(float(stock.acquisition_usd.sum()))} to buy"
        return f"{f.status}: {cost}{gap}{buy}"

    def formatted(self, name: str):
        """A table for reading in a notebook: a pandas Styler with money as $1,234,567, tonnes with thousands
        separators, shares as percentages and a missing number as n/a (the DataFrame itself keeps full precision)."""
        frame = self.coverage_table() if name == "coverage_table" else self.tables[name]
        formats = {}
        for column in frame.columns:
            text = str(column)
            if "usd" in text:
                formats[column] = "${:,.0f}"
            elif "share" in text or text.endswith("_pct"):
                formats[column] = "{:.1%}" if "share" in text else "{:.1f}%"
            elif text.endswith(("_t", "_t_per_yr", "_t_per_month")):
                formats[column] = "{:,.1f}"
            elif "months" in text or text.endswith("_days") or name == "coverage_table":
                formats[column] = "{:.2f}"
        numeric = [c for c in formats if pd.api.types.is_numeric_dtype(frame[c])]
        return frame.style.format({c: formats[c] for c in numeric}, na_rep="n/a")

    def coverage_table(self) -> pd.DataFrame:
        """Months of guaranteed cover, mineral x party (national stock + drawing rights on the pool)."""
        cov = self.tables["coverage"]
        pivot = cov.pivot(index="mineral", columns="party", values="coverage_months")
        return pivot.reindex(list(dict.fromkeys(cov.mineral)))[list(dict.fromkeys(cov.party))]

    def __repr__(self) -> str:
        return f"<stockpile Results {self.headline()}; tables: {', '.join(self.tables)}>"

    def _repr_html_(self) -> str:  # a notebook shows the answer, not 20,000 characters of tables
        cover = self.coverage_table().to_html(float_format=lambda x: f"{x:.1f}", na_rep="n/a") \
            if "coverage" in self.tables else ""
        return (f"<p><b>stockpile</b>: {self.headline()}</p>"
                "<p>Months of guaranteed cover (national stock + drawing rights on the pool):</p>"
                f"{cover}<p>Tables: {', '.join(self.tables)} (e.g. <code>res.stock</code>)</p>")


def facts_of(answer: Results | SolverFacts) -> SolverFacts:
    """The facts of a solve's answer: a Results carries them, a solve without a solution is only them."""
    return answer.facts if isinstance(answer, Results) else answer


def _values(var) -> dict:
    return {k: (v.value or 0.0) for k, v in var.items()}


def extract(model: pyo.ConcreteModel, data: ModelData, facts: SolverFacts, detail: bool = True) -> Results:
    """Every table of a solved model (without `detail`: coverage, stock, costs and acquisition only, not the
    schedules and scenarios). Costs come from the model's own cost terms (model.cost_table)."""
    sets = model.sets
    lots = {k: round(v) for k, v in _values(model.Lots).items()}
    stock = {(p, m): data.demand[p, m].existing_stock_t + data.minerals[m].lot_t * lots.get((p, m), 0)
             for p, m in data.pairs if (p, m) in lots}
    joint_lots = {k: round(v) for k, v in _values(model.JointLots).items()}
    joint = {m: data.minerals[m].lot_t * n for m, n in joint_lots.items()}
    members = [p for p in sets.members if (model.Member[p].value or 0) > 0.5]
    option = {(p, m): k for (p, m, k), v in _values(model.Option).items() if v > 0.5}
    joint_option = {m: k for (m, k), v in _values(model.JointOption).items() if v > 0.5}
    terms = cost_table(model)
    tables = {
        "coverage": _coverage(data, sets, stock, joint, members),
        "stock": _stock(data, terms, lots, stock, joint_lots, joint, option, joint_option),
    }
    if data.settings.joint_allocation == "entitlement" and joint:
        tables["drawing_rights"] = _drawing_rights(data, model, tables["coverage"], joint)
        if detail:
            tables["borrowing"] = _borrowing(data, model)
    if detail:
        tables.update(_schedules(model, data, stock))
    tables["party_costs"] = _party_costs(data, terms)
    if data.products:
        lost = terms[terms.term == "expected_lost_output"]
        tables["product_costs"] = pd.DataFrame({"party": lost.holder, "product": lost.mineral,
                                                "expected_lost_output_usd_per_yr": lost.usd_per_yr}
                                               ).reset_index(drop=True)
    tables["costs"] = _costs(terms, [t.name for t in model.cost_terms])
    tables["acquisition"] = _acquisition(data, model)
    return Results(facts, tables)


def _drawing_rights(data: ModelData, model, coverage: pd.DataFrame, joint: dict) -> pd.DataFrame:
    """drawing_rights.csv: what each member may draw from the pool as of right (entitlement allocation): its share
    of the pool's stock over an event and of its release capacity each month; national stock beside it."""
    rate = {k: o.max_release_share_per_month for k, o in data.release_options.items()}
    capacity: dict[str, float] = {}
    for (m, k), v in _values(model.JointByOption).items():
        capacity[m] = capacity.get(m, 0.0) + rate[k] * v
    cov = coverage.set_index(["party", "mineral"])
    rows = []
    for (p, m), share in model.sets.claim.items():
        if joint.get(m, 0.0) <= TOL_T or share <= 0:
            continue
        rows.append({"party": p, "mineral": m, "share": share, "pool_t": joint[m], "rights_t": share * joint[m],
                     "rights_t_per_month": share * capacity.get(m, 0.0),
                     "national_t": float(cov.national_t.get((p, m), 0.0)),
                     "guaranteed_months": float(cov.guaranteed_months.get((p, m), np.nan))})
    return pd.DataFrame(rows, columns=["party", "mineral", "share", "pool_t", "rights_t", "rights_t_per_month",
                                       "national_t", "guaranteed_months"])


def _borrowing(data: ModelData, model) -> pd.DataFrame:
    """borrowing.csv: per tree node, each member's draw split into what its rights cover and what it borrows from
    members not short, with the refill it owes (replenishment price = price x (1 + replenish_premium)) and the
    month by which it is due (settings.refill_months after the draw)."""
    draw, borrow = _values(model.Draw), _values(model.Borrow)
    months = {n.id: n for n in model.tree.nodes}
    premium, within = data.settings.replenish_premium, data.settings.refill_months
    rows = []
    for (n, p, m), q in draw.items():
        node = months[n]
        if q <= TOL_T or node.year:  # the rules of the full stock (build years: acquisition)
            continue
        b = min(q, borrow.get((n, p, m), 0.0))
        b = b if b > TOL_T else 0.0
        rows.append({"party": p, "mineral": m, "month": node.month, "node": n, "scenarios": "+".join(node.scenarios),
                     "drawn_t": q, "within_rights_t": q - b, "borrowed_t": b, "refill_owed_t": b,
                     "refill_usd": b * data.minerals[m].price_usd_per_t * (1 + premium),
                     "refill_due_month": node.month + within if b > 0 else np.nan})
    cols = ["party", "mineral", "month", "node", "scenarios", "drawn_t", "within_rights_t", "borrowed_t",
            "refill_owed_t", "refill_usd", "refill_due_month"]
    return pd.DataFrame(rows, columns=cols).sort_values(["party", "mineral", "month", "node"], ignore_index=True)


def _schedules(model, data: ModelData, stock: dict) -> dict[str, pd.DataFrame]:
    """release_rules, scenario_outcomes, survival and scenarios: what happens in each cut."""
    release, draw = _values(model.Release), _values(model.Draw)
    unmet: dict[tuple[str, str, str], float] = {}
    for (n, p, m, _tier), v in _values(model.Unmet).items():
        unmet[n, p, m] = unmet.get((n, p, m), 0.0) + v
    for (n, p, _k, m), v in _values(model.ProductUnmet).items():  # demand that went into products, unmet
        unmet[n, p, m] = unmet.get((n, p, m), 0.0) + v
    tables = {"release_rules": _release_rules(data, model.tree, model.sets, stock, release, draw)}
    tables["scenario_outcomes"] = _outcomes(data, model.tree, release, draw, unmet)
    tables["survival"] = _survival(tables["scenario_outcomes"], data)
    products = _product_outcomes(data, model)
    if data.products:
        tables["product_outcomes"] = products
    tables["scenarios"] = _scenarios(data, model, tables["survival"], release, draw, products)
    return tables


def _product_outcomes(data: ModelData, model) -> pd.DataFrame:
    """product_outcomes.csv: per branch, party, product and month of a cut, the share of the product's output lost
    (its scarcest input) and what that month costs (lost_value_usd_per_month x the share)."""
    at: dict[str, list[tuple[str, str, float]]] = {}
    for (n, p, k), share in _values(model.LostShare).items():
        if share > TOL_T:
            at.setdefault(n, []).append((p, k, share))
    cols = ["branch", "scenario", "party", "product", "month", "lost_share", "cost_usd"]
    rows = []
    for s, sc in data.scenarios.items():
        for n_i in model.tree.path[s]:
            node = model.tree.nodes[n_i]
            rows += [{"branch": s, "scenario": sc.scenario, "party": p, "product": k, "month": node.month,
                      "lost_share": share, "cost_usd": share * data.products[p, k].lost_value_usd_per_month}
                     for p, k, share in at.get(node.id, ())]
    return pd.DataFrame(rows, columns=cols)


def _acquisition(data: ModelData, model) -> pd.DataFrame:
    """acquisition.csv: tonnes each holder buys in each build year, at the acquisition price (USD), and
    the year's purchases of the mineral by all holders as a share of world supply."""
    rows = []
    for name, holder_of in (("Bought", lambda k: k[0]), ("JointBought", lambda k: JOINT)):
        for (y, key), expr in getattr(model, "_bought", {}).get(name, {}).items():
            mineral = as_tuple(key)[-1]
            t = pyo.value(expr, exception=False) or 0.0
            if t > TOL_T:
                rows.append({"year": y, "holder": holder_of(key), "mineral": mineral, "bought_t": t,
                             "usd": t * data.minerals[mineral].acquisition_usd_per_t})
    frame = pd.DataFrame(rows, columns=["year", "holder", "mineral", "bought_t", "usd"])
    world = frame.mineral.map(lambda mi: data.minerals[mi].world_supply_t_per_yr or np.nan)
    buyable = frame.mineral.map(lambda mi: data.minerals[mi].buyable_supply_t_per_yr or np.nan)
    total = frame.groupby(["year", "mineral"]).bought_t.transform("sum")
    frame["all_holders_share_of_world_supply"] = (total / world).astype(float)
    frame["all_holders_share_of_buyable_supply"] = (total / buyable).astype(float)  # what the cap is a share of
    return frame.sort_values(["year", "mineral", "holder"], ignore_index=True)


def _coverage(data, sets, stock, joint, members) -> pd.DataFrame:
    """coverage.csv: national stock, the claim on the pool (joint_t: its share of the pool, model.sets.claim_shares)
    and what is guaranteed: national stock plus drawing rights, which only entitlement allocation gives (under
    cooperative or pro-rata allocation a member's draw depends on the others' needs, so no pool month is
    guaranteed). coverage_months and coverage_days count guaranteed stock."""
    claims = sets.claim
    rights = data.settings.joint_allocation == "entitlement"
    rows = []
    for p, m in data.pairs:
        basis = data.basis_t_per_month(p, m)
        national = stock.get((p, m), data.demand[p, m].existing_stock_t)
        joint_t = joint.get(m, 0.0) * claims.get((p, m), 0.0) if p in members else 0.0
        rights_t = joint_t if rights else 0.0
        per_month = 1.0 / basis if basis > 0 else np.nan
        rows.append({"party": p, "mineral": m, "basis_t_per_month": basis, "national_t": national,
                     "joint_t": joint_t, "rights_t": rights_t, "national_months": national * per_month,
                     "joint_months": joint_t * per_month, "guaranteed_months": (national + rights_t) * per_month,
                     "coverage_months": (national + rights_t) * per_month,
                     "coverage_days": (national + rights_t) * per_month * DAYS_PER_MONTH})
    return pd.DataFrame(rows)


def _stock(data, terms: pd.DataFrame, lots, stock, joint_lots, joint, option, joint_option) -> pd.DataFrame:
    """stock.csv: what each holder holds, its acquisition and its annual cost (holding and fixed terms)."""
    held = terms[terms.kind.isin(["holding", "fixed"])]
    cost = held.groupby(["holder", "mineral"]).usd_per_yr.sum()
    fixed = held[held.kind == "fixed"].groupby(["holder", "mineral"]).usd_per_yr.sum()
    rows = []
    for (p, m), x in stock.items():
        mineral = data.minerals[m]
        rows.append({"holder": p, "mineral": m, "stock_t": x, "existing_t": data.demand[p, m].existing_stock_t,
                     "lots": lots[p, m], "acquisition_usd": mineral.acquisition_usd_per_t * mineral.lot_t * lots[p, m],
                     "release_option": option.get((p, m), "")})
    for m, x in joint.items():
        rows.append({"holder": JOINT, "mineral": m, "stock_t": x, "existing_t": 0.0, "lots": joint_lots[m],
                     "acquisition_usd": data.minerals[m].acquisition_usd_per_t * x,
                     "release_option": joint_option.get(m, "")})
    cols = ["holder", "mineral", "stock_t", "existing_t", "lots", "acquisition_usd", "cost_usd_per_yr",
            "fixed_usd_per_yr", "release_option"]
    frame = pd.DataFrame(rows, columns=[c for c in cols if c not in ("cost_usd_per_yr", "fixed_usd_per_yr")])
    keys = list(zip(frame.holder, frame.mineral, strict=True))
    frame["cost_usd_per_yr"] = [float(cost.get(k, 0.0)) for k in keys]
    frame["fixed_usd_per_yr"] = [float(fixed.get(k, 0.0)) for k in keys]
    return frame[cols]


def _release_rules(data, tree, sets, stock, release, draw) -> pd.DataFrame:
    """Month of disruption -> tonnes released, per tree node (the non-anticipative rule)."""
    nodes = {n.id: n for n in tree.nodes}
    rows = []
    for n, p, m in sets.gap_nodes:
        r, q = release.get((n, p, m), 0.0), draw.get((n, p, m), 0.0)
        x = stock.get((p, m), 0.0)
        node = nodes[n]
        if (x <= TOL_T and q <= TOL_T) or node.year:  # the rules of the full stock (build years: acquisition)
            continue
        gap = sets.gap_t[n, p, m]
        rows.append({"party": p, "mineral": m, "month": node.month, "node": n, "released_t": r,
                     "released_share_of_stock": r / x if x > TOL_T else 0.0, "joint_draw_t": q,
                     "gap_t": gap, "share_of_gap_met": (r + q) / gap if gap > 0 else 0.0,
                     "node_label": _node_label(data, node), "scenarios": "+".join(node.scenarios)})
    cols = ["party", "mineral", "month", "node", "released_t", "released_share_of_stock", "joint_draw_t", "gap_t",
            "share_of_gap_met", "node_label", "scenarios"]
    return pd.DataFrame(rows, columns=cols).sort_values(["party", "mineral", "month", "node"], ignore_index=True)


def _node_label(data, node) -> str:
    """'month 3, ga_ge_2023 (branches 4m, 10m, 22m)': readable where the node id (m3.7) is not."""
    families: dict[str, list[str]] = {}
    for b in node.scenarios:
        families.setdefault(data.scenarios[b].scenario, []).append(b.split(":", 1)[1] if ":" in b else "")
    parts = [f + (f" (branches {', '.join(x for x in bs if x)})" if any(bs) else "") for f, bs in families.items()]
    return f"month {node.month}, " + "; ".join(parts[:4]) + (f"; +{len(parts) - 4} more" if len(parts) > 4 else "")


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
            "scenario": data.scenarios[s].scenario,
            "branch": s,
            "pair": np.repeat(hit, horizon),
            "month": np.tile(months, len(hit)),
            "gap_t": gap[hit].ravel(),
            "released_t": r[path][:, hit].T.ravel(),
            "joint_draw_t": q[path][:, hit].T.ravel(),
            "unmet_t": u[path][:, hit].T.ravel(),
        }))
    cols = ["scenario", "branch", "party", "mineral", "month", "gap_t", "released_t", "joint_draw_t", "unmet_t"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["party"] = np.array([p for p, _ in tree.pairs], dtype=object)[out.pair]
    out["mineral"] = np.array([m for _, m in tree.pairs], dtype=object)[out.pair]
    return out[cols]


def _survival(outcomes: pd.DataFrame, data) -> pd.DataFrame:
    """Per branch, party and mineral hit: when the first gap opens, when demand first goes unmet at all,
    when it first goes unmet beyond the cheapest (thrift) tier, and the share of the gap met.
    months_survived = months from the first gap to the first shortfall beyond the thrift tier (the whole
    horizon after the first gap when there is none): how long the stock keeps the costly tiers away."""
    keys = ["scenario", "branch", "party", "mineral"]
    horizon = data.settings.horizon_months
    per_pair = {(p, m): _thrift_t(data, p, m) for p, m in data.pairs}  # once a pair, not once an outcome row
    thrift = np.array([per_pair[p, m] for p, m in zip(outcomes.party, outcomes.mineral, strict=True)])
    beyond = outcomes[outcomes.unmet_t > thrift + TOL_T]
    over = outcomes.assign(unmet_beyond_thrift_t=np.maximum(0.0, outcomes.unmet_t.to_numpy() - thrift))
    out = over.groupby(keys, sort=False)[["gap_t", "unmet_t", "unmet_beyond_thrift_t"]].sum()
    out["first_gap_month"] = outcomes[outcomes.gap_t > TOL_T].groupby(keys, sort=False).month.min()
    out["first_unmet_month"] = outcomes[outcomes.unmet_t > TOL_T].groupby(keys, sort=False).month.min()
    out["first_shortfall_month"] = beyond.groupby(keys, sort=False).month.min()
    out["months_survived"] = out.first_shortfall_month.fillna(horizon + 1) - out.first_gap_month
    out["share_of_gap_met"] = np.where(out.gap_t > TOL_T, 1.0 - out.unmet_t / out.gap_t.where(out.gap_t > 0), 1.0)
    out = out.reset_index()
    out["first_gap_month"] = out.first_gap_month.astype(int)
    for col in ("first_unmet_month", "first_shortfall_month"):
        out[col] = out[col].astype("Int64")
    out["months_survived"] = out.months_survived.astype(int)
    cols = ["scenario", "branch", "party", "mineral", "first_gap_month", "first_unmet_month",
            "first_shortfall_month", "months_survived", "share_of_gap_met", "gap_t", "unmet_t",
            "unmet_beyond_thrift_t"]
    return out[cols]


def _thrift_t(data, p: str, m: str) -> float:
    """Tonnes a month the cheapest tier absorbs (0 when the mineral has one tier: any shortfall counts)."""
    tiers = data.tiers[m]
    tiered = 1.0 - data.product_share(p, m)  # the demand that goes into products has no thrift tier
    return tiers[0].up_to_share * tiered * data.consumption_t_per_month(p, m) if len(tiers) > 1 else 0.0


def _scenarios(data, model, survival, release, draw, products: pd.DataFrame) -> pd.DataFrame:
    """What each scenario costs if it happens (shortage and refill, at the model's own coefficients)."""
    coef = coefficients(data, model.sets, model.tree)
    short, refill = coef["ShortageCost"], coef["ReplenishCost"]
    unmet_usd: dict[tuple[str, str, str], float] = {}
    for (n, p, m, tier), v in _values(model.Unmet).items():
        unmet_usd[n, p, m] = unmet_usd.get((n, p, m), 0.0) + v * short[m, tier]
    rows = []
    for s, sc in data.scenarios.items():
        cost = repl = 0.0
        for n_i in model.tree.path[s]:
            node = model.tree.nodes[n_i]
            for i in node.gap_t.nonzero()[0]:
                p, m = model.tree.pairs[i]
                cost += unmet_usd.get((node.id, p, m), 0.0)
                repl += refill[m] * (release.get((node.id, p, m), 0.0) + draw.get((node.id, p, m), 0.0))
        cost += float(products[products.branch == s].cost_usd.sum())  # lost output is a shortage cost too
        surv = survival[survival.branch == s]
        rows.append({"scenario": sc.scenario, "branch": s, "probability_per_yr": sc.probability_per_yr,
                     "shortage_cost_usd": cost,
                     "replenishment_usd": repl, "expected_cost_usd_per_yr": sc.probability_per_yr * (cost + repl),
                     "months_survived": int(surv.months_survived.min()) if len(surv) else np.nan,
                     "gap_t": surv.gap_t.sum(), "unmet_t": surv.unmet_t.sum(),
                     "unmet_beyond_thrift_t": surv.unmet_beyond_thrift_t.sum(), "description": sc.description})
    return pd.DataFrame(rows)


COLUMN_OF_KIND = {"holding": "holding_usd_per_yr", "fixed": "programme_fixed_usd_per_yr",
                  "shortage": "expected_shortage_usd_per_yr", "replenishment": "expected_replenishment_usd_per_yr"}


def _costs(terms: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """costs.csv: each term of the objective, summed over holders and minerals, and the total."""
    by_term = terms.groupby("term").usd_per_yr.sum().reindex(names, fill_value=0.0)
    return pd.DataFrame({"term": [*by_term.index, "total"],
                         "usd_per_yr": [*map(float, by_term), float(by_term.sum())]})


def _party_costs(data: ModelData, terms: pd.DataFrame) -> pd.DataFrame:
    """Each party's own expected annual cost (its national stock, its shortages, refilling its
    releases) and the pool's (JOINT: its holding, fixed cost, refilling draws), by kind of term."""
    holders = [*data.parties, JOINT] + ([MARKET] if (terms.holder == MARKET).any() else [])
    pivot = terms.pivot_table(index="holder", columns="kind", values="usd_per_yr", aggfunc="sum")
    pivot = pivot.reindex(index=holders, columns=list(COLUMN_OF_KIND), fill_value=0.0).fillna(0.0)
    frame = pivot.rename(columns=COLUMN_OF_KIND).astype(float).reset_index().rename(columns={"index": "holder"})
    frame.columns.name = None
    frame["total_usd_per_yr"] = frame[list(COLUMN_OF_KIND.values())].sum(axis=1)
    return frame
