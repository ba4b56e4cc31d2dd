"""What the answer rests on (formulation, "What the answer rests on"): each assumption group of the sources sheet
re-solved at its low and high multipliers, and each mineral's shortage-cost break-evens, as jobs in the run's one
queue of what-if solves (what_if.py).

A variant re-solves only the subproblems whose inputs it changes: every other group of minerals keeps the base
answer (the same inputs give the same optimum). A break-even re-solves one mineral's group with its shortage tiers
times k and every other mineral of the group held at its recommended stock, bisecting on k (geometrically) until
the bracket is narrower than BRACKET."""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np
import pandas as pd

from ..common.progress import step
from ..common.units import usd
from ..io.assumptions import SIDES, Assumption, variant
from ..io.data import ModelData
from ..io.problems import InputError
from ..io.validate import build_model_data
from ..io.workbook import RawBook
from ..model.joint_pool import pool_fixed_cost
from ..model.scenario_tree import ScenarioTree, build_tree
from ..solver.budgets import budgets_hold
from ..solver.conflicts import conflicts
from ..solver.decompose import (
    ONE_GROUP,
    ONE_MINERAL,
    group_name,
    group_of,
    minerals_data,
    one_group_each,
    restrict_tree,
    reusable,
    with_dominant_membership,
)
from ..solver.pipeline import Infeasible, NoSolution, run
from ..solver.results import Results, facts_of
from ..solver.reuse import digest
from ..solver.starts import Start
from .what_if import Answer, Job, Plan, work_of

NAME = "assumptions"
WHOLE = "whole model"
HOLDS_WITHIN = 0.10  # a mineral's recommendation holds when its stock stays within 10% under every group
BRACKET = 2.0  # a break-even is bracketed to within this ratio (hi / lo): two re-solves from the edge of K_RANGE
K_RANGE = 8.0  # break-evens are sought between 1/8 and 8 times the assumed shortage costs

STOCK_TOL_T = 1e-6

ASSUMPTION_COLUMNS = ["rank", "group", "side", "multiplier", "cells", "status", "objective_usd_per_yr",
                      "objective_change_usd_per_yr", "objective_change_pct", "acquisitions_usd",
                      "acquisitions_change_usd", "acquisitions_change_pct", "precision_usd_per_yr", "resolved",
                      "mineral", "break_even_low", "break_even_high", "cell_columns", "note"]
STOCK_COLUMNS = ["group", "side", "mineral", "stock_t", "base_stock_t", "change_t", "change_pct"]


@dataclass
class Variant:
    """One group at one side: its data, or why there is none; the subproblems it re-solves."""

    group: Assumption
    side: str
    notes: list[str]
    data: ModelData | None = None
    problem: str = ""
    resolve: list[str] = field(default_factory=list)  # subproblem names re-solved (WHOLE: the one model)
    subs: dict = field(default_factory=dict)  # name -> (sub data, the varied data's whole tree), by mineral


def assumption_plan(data: ModelData, res: Results) -> Plan:
    """Every group's two variants and every mineral's break-evens, as jobs; finish -> {"assumptions": table,
    "assumption_stock": table} (None when the setting `sensitivity` is no)."""
    if data.settings.sensitivity != "yes":
        return Plan(NAME, [], lambda _answers: None)
    base = Base.of(data, res)
    variants = [] if base.problem else [_variant(base, g, side) for g in data.assumptions if g.cells
                                        for side in SIDES]
    options = {"mip_rel_gap": sensitivity_gap(data)}
    jobs = []
    for v in variants:
        for name in v.resolve:
            if name == WHOLE:
                jobs.append(Job((v.group.name, v.side, WHOLE), math.inf, partial(_whole, v.data)))
            else:
                sub, tree = v.subs[name]
                jobs.append(Job((v.group.name, v.side, name), work_of(sub),
                                partial(_part, f"{v.group.name} at {v.side}, {name}", sub, tree, options,
                                        res.facts.start_of(name))))
    if base.separable:
        for m in data.demanded_minerals:
            jobs.append(Job(("break-even", m), 8 * work_of(base.subs[base.group_of[m]][0]),
                            partial(break_even, base, m, options)))
    return Plan(NAME, jobs, partial(_finish, base, variants))


def sensitivity_gap(data: ModelData) -> float:
    """The re-solves' relative gap: the setting sensitivity_mip_rel_gap, else the base's own (exact as the base)."""
    gap = data.settings.sensitivity_mip_rel_gap
    return data.settings.mip_rel_gap if gap is None else float(gap)


@dataclass
class Base:
    """The base answer, per subproblem where it was solved by mineral."""

    data: ModelData
    res: Results
    joined: ModelData
    separable: bool  # solved by mineral, or one group of minerals: a group's answer is its own
    subs: dict = field(default_factory=dict)  # name -> (sub data, tree)
    keys: dict = field(default_factory=dict)  # name -> digest of its complete inputs
    group_of: dict = field(default_factory=dict)  # mineral -> subproblem name
    problem: str = ""

    @classmethod
    def of(cls, data: ModelData, res: Results) -> Base:
        joined = with_dominant_membership(data)
        base = cls(data, res, joined, separable(res.facts.decomposition))
        if not isinstance(data.book, RawBook) or build_model_data(data.book) != data:
            base.problem = ("the data was changed after it was read from the workbook, so the workbook's cells "
                            "no longer describe it: assumption groups were not re-solved")
        if base.separable:
            base.keys, tree, datas = _keys(joined)
            base.subs = {name: (sub, restrict_tree(tree, sub.pairs)) for name, sub in datas.items()}
            base.group_of = {m: group_name(group_of(joined, m)) for m in data.demanded_minerals}
        return base

    def part(self, name: str) -> dict:
        """The base answer of one subproblem (the whole answer where one group was solved as one model)."""
        f = self.res.facts
        return next((s for s in f.subproblems if s["mineral"] == name),
                    {"mineral": name, "status": f.status, "objective_usd_per_yr": f.objective_usd_per_yr,
                     "best_bound_usd_per_yr": f.best_bound_usd_per_yr})

    def tables_of(self, name: str) -> dict[str, pd.DataFrame]:
        minerals = set(self.subs[name][0].minerals)
        return {t: self.res[t][self.res[t].mineral.isin(minerals)] for t in ("stock", "acquisition")}

    @property
    def acquisitions_usd(self) -> float:
        return float(self.res["stock"].acquisition_usd.sum())

    @property
    def stock_t(self) -> pd.Series:
        return _stock_by_mineral(self.res["stock"], self.data)


def separable(decomposition: str) -> bool:
    """Was the base solved group by group (by mineral, or as one model only because it is one group), so that a
    group's answer is its own? Not when a budget, membership or --write-model made it one model."""
    return decomposition.startswith("by mineral") or decomposition in (f"monolithic ({ONE_MINERAL})",
                                                                        f"monolithic ({ONE_GROUP})")


def _keys(joined: ModelData) -> tuple[dict[str, str], ScenarioTree, dict[str, ModelData]]:
    """Each subproblem's digest of its complete inputs (its data, and the whole tree its restricted tree is cut
    from), the whole tree, and each subproblem's data: cheap enough to tell, for every variant, which subproblems
    it changes (the restricted trees are cut only for those, in the job)."""
    tree = build_tree(joined)
    datas = {group_name(g): minerals_data(joined, g) for g in joined.mineral_groups}
    cut = _tree_cutter(tree)
    return {n: digest(replace(d, source="", sha256=""), cut(d.pairs)) for n, d in datas.items()}, tree, datas


def _tree_cutter(tree: ScenarioTree):
    """pairs -> the digest of the tree restricted to them (restrict_tree), from the tree's skeleton and its gap
    arrays' columns: the same digest for the same restricted tree, without cutting one per subproblem."""
    index = {pm: i for i, pm in enumerate(tree.pairs)}
    skeleton = digest([(n.id, n.month, n.scenarios, n.year) for n in tree.nodes], tree.path, tree.leaves,
                      tree.leaf_year, tree.year_weight, sorted(tree.gaps))
    node_gaps = np.stack([n.gap_t for n in tree.nodes]) if tree.nodes else np.zeros((0, len(tree.pairs)))
    branch_gaps = [tree.gaps[s] for s in sorted(tree.gaps)]

    def cut(pairs) -> str:
        keep = [index[pm] for pm in pairs]
        return digest(skeleton, list(pairs), np.ascontiguousarray(node_gaps[:, keep]),
                      [np.ascontiguousarray(g[keep]) for g in branch_gaps])
    return cut


def _variant(base: Base, group: Assumption, side: str) -> Variant:
    book, notes = variant(base.data.book, group, side)  # type: ignore[arg-type]
    v = Variant(group, side, notes)
    try:
        v.data = build_model_data(book)
    except InputError as err:
        v.problem = "the varied workbook is not valid: " + "; ".join(str(p) for p in err.problems
                                                                     if p.severity == "error")
        return v
    if base.separable and one_group_each(v.data):
        keys, tree, datas = _keys(with_dominant_membership(v.data))
        v.subs = {name: (sub, tree) for name, sub in datas.items()}
        v.resolve = [n for n, key in keys.items() if base.keys.get(n) != key]
    else:
        v.resolve = [WHOLE]
    return v


def _part(label: str, sub: ModelData, tree: ScenarioTree, options: dict, warm: Start | None) -> Answer:
    step(f"what the answer rests on: {label}")
    return reusable(sub, restrict_tree(tree, sub.pairs), options, detail=False, warm=warm)


def _whole(data: ModelData | None) -> Answer:
    assert data is not None  # a variant without data has its problem instead of a job
    try:
        return run(data, warnings=False, detail=False)
    except (Infeasible, NoSolution) as err:
        return err.facts


# ---- the tables ---------------------------------------------------------------------------------------------

def _finish(base: Base, variants: list[Variant], answers: dict[Hashable, Answer]) -> dict[str, pd.DataFrame]:
    rows, stock_rows = [], []
    for g in base.data.assumptions:
        if not g.cells:
            rows.append({"group": g.name, "side": "", "cells": 0, "status": "not varied",
                         "note": "; ".join(g.left_out)})
    if base.problem:
        rows.append({"group": "", "side": "", "status": "not varied", "note": base.problem})
    for v in variants:
        row, stock = _outcome(base, v, answers)
        rows.append(row)
        stock_rows += stock
    table = _ranked(pd.DataFrame(rows, columns=ASSUMPTION_COLUMNS))
    evens = [_table_of(answers[("break-even", m)], "break_even") for m in base.data.demanded_minerals
             if ("break-even", m) in answers]
    table = pd.concat([table, *evens], ignore_index=True) if evens else table
    return {"assumptions": table, "assumption_stock": pd.DataFrame(stock_rows, columns=STOCK_COLUMNS)}


def _table_of(answer: Answer, name: str) -> pd.DataFrame:
    assert isinstance(answer, Results)  # break_even always answers with its table
    return answer[name]


def _outcome(base: Base, v: Variant, answers: dict) -> tuple[dict, list[dict]]:
    """A variant's row of assumptions.csv and its rows of assumption_stock.csv."""
    note = "; ".join([*v.notes, *v.group.left_out])
    row: dict[str, object] = {"group": v.group.name, "side": v.side, "multiplier": v.group.multiplier(v.side),
                              "cells": len(v.group.cells), "cell_columns": v.group.cells_text, "note": note}
    if v.problem:
        return {**row, "status": "bad_input", "note": "; ".join(filter(None, [note, v.problem]))}, []
    assert v.data is not None
    if v.resolve == [WHOLE]:
        answer = answers[(v.group.name, v.side, WHOLE)]
        parts, resolved = [answer], WHOLE
        stock, acq = (answer["stock"], answer["acquisition"]) if isinstance(answer, Results) else (None, None)
    else:
        parts, frames = [], []
        for name in v.subs:
            if name in v.resolve:
                answer = answers[(v.group.name, v.side, name)]
                parts.append(answer)
                if isinstance(answer, Results):
                    frames.append({t: answer[t] for t in ("stock", "acquisition")})
            else:
                parts.append(base.part(name))
                frames.append(base.tables_of(name))
        resolved = ", ".join(v.resolve) or "none (the group changes no subproblem's inputs)"
        stock = pd.concat([f["stock"] for f in frames], ignore_index=True) if frames else None
        acq = pd.concat([f["acquisition"] for f in frames], ignore_index=True) if frames else None
        solved = all(_has_solution(p) for p in parts)
        if solved and stock is not None and not budgets_hold(v.data, stock, acq):
            whole = _whole(v.data)  # a budget binds across minerals: only the one model says
            parts, resolved = [whole], WHOLE + " (a budget binds across minerals)"
            stock, acq = (whole["stock"], whole["acquisition"]) if isinstance(whole, Results) else (None, None)
    row["resolved"] = resolved
    status = _status(parts)
    row["status"] = status
    if status == "infeasible":
        row["note"] = "; ".join(filter(None, [note, *conflicts(v.data)]))
        return row, []
    if stock is None or not all(_has_solution(p) for p in parts):
        return row, []
    # subproblems' objectives leave out the pool's own running cost (merge.with_pool_fixed); a whole answer has it
    objective = sum(_objective(p) for p in parts) + (0.0 if resolved.startswith(WHOLE) else pool_fixed_cost(v.data))
    gap = sum(_objective(p) - _bound(p) for p in parts)
    acquisitions = float(stock.acquisition_usd.sum())
    base_obj, base_acq = base.res.facts.value, base.acquisitions_usd
    row.update(objective_usd_per_yr=objective, objective_change_usd_per_yr=objective - base_obj,
               objective_change_pct=_pct(objective, base_obj), acquisitions_usd=acquisitions,
               acquisitions_change_usd=acquisitions - base_acq, acquisitions_change_pct=_pct(acquisitions, base_acq),
               precision_usd_per_yr=gap + base.res.facts.gap_usd_per_yr)
    now, before = _stock_by_mineral(stock, v.data), base.stock_t
    stock_rows = [{"group": v.group.name, "side": v.side, "mineral": m, "stock_t": float(now.get(m, 0.0)),
                   "base_stock_t": float(before.get(m, 0.0)),
                   "change_t": float(now.get(m, 0.0) - before.get(m, 0.0)),
                   "change_pct": _pct(float(now.get(m, 0.0)), float(before.get(m, 0.0)))}
                  for m in base.data.demanded_minerals]
    return row, stock_rows


def _has_solution(part) -> bool:
    return part["objective_usd_per_yr"] is not None if isinstance(part, dict) else facts_of(part).has_solution


def _objective(part) -> float:
    return float(part["objective_usd_per_yr"]) if isinstance(part, dict) else facts_of(part).value


def _bound(part) -> float:
    b = part["best_bound_usd_per_yr"] if isinstance(part, dict) else facts_of(part).best_bound_usd_per_yr
    return float(b) if b is not None and math.isfinite(b) else 0.0


def _status(parts) -> str:
    statuses = [p["status"] if isinstance(p, dict) else facts_of(p).status for p in parts]
    for worst in ("infeasible", "error", "no_solution", "time_limit"):
        if worst in statuses:
            return worst
    return "optimal" if all(s == "optimal" for s in statuses) else statuses[0]


def _pct(value: float, base: float) -> float | None:
    return 100.0 * (value - base) / base if base else None


def _stock_by_mineral(stock: pd.DataFrame, data: ModelData) -> pd.Series:
    return stock.groupby("mineral").stock_t.sum().reindex(data.demanded_minerals, fill_value=0.0)


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Groups by the swing in acquisitions (high side minus low side, or the one side solved), largest first."""
    solved = table[table.acquisitions_usd.notna()]
    swing = solved.groupby("group").acquisitions_usd.agg(lambda s: s.max() - s.min() if len(s) > 1 else 0.0)
    one_side = solved.groupby("group").acquisitions_change_usd.agg(lambda s: s.abs().max())
    swing = pd.concat([swing, one_side], axis=1).max(axis=1)
    order = list(swing.sort_values(ascending=False, kind="stable").index)
    order += [g for g in dict.fromkeys(table.group) if g not in order]
    rank = {g: i + 1 for i, g in enumerate(order)}
    table = table.assign(rank=table.group.map(rank).astype("Int64"),
                         _side=table.side.map({"low": 0, "high": 1}).fillna(2))
    return table.sort_values(["rank", "_side"], kind="stable").drop(columns="_side").reset_index(drop=True)


# ---- break-evens -----------------------------------------------------------------------------------------------

def break_even(base: Base, mineral: str, options: dict) -> Results:
    """Two rows of assumptions.csv (its table "break_even"; its facts sum the re-solves' seconds): the multiple of
    `mineral`'s shortage costs below which its recommended stock falls to what is already held, and the multiple at
    which it doubles, each bracketed to BRACKET."""
    step(f"what the answer rests on: break-evens of {mineral}")
    name = base.group_of[mineral]
    held = base.res["stock"]
    others = {(r.holder, r.mineral): (float(r.stock_t), r.release_option) for r in held.itertuples()
              if r.mineral != mineral and r.mineral in base.subs[name][0].minerals}
    fixed = replace(base.joined, fixed_stock={**base.joined.fixed_stock, **others})
    floor = float(held[held.mineral == mineral].existing_t.sum())
    at_base = float(held[held.mineral == mineral].stock_t.sum())
    group = group_of(base.joined, mineral)
    tree = base.subs[name][1]
    solves: list[str] = []
    seconds: dict[str, float] = {}
    last: list = []

    def stock_at(k: float) -> float | None:  # each re-solve starts from the last one's answer (the base's first)
        warm = last[0].start if last and last[0].start is not None else base.res.facts.start_of(name)
        answer = reusable(minerals_data(_scaled_tiers(fixed, mineral, k), group), tree, options, detail=False,
                          warm=warm)
        facts = facts_of(answer)
        solves.append(facts.status)
        for key, value in facts.seconds.items():
            seconds[key] = seconds.get(key, 0.0) + value
        last[:] = [facts]
        if not isinstance(answer, Results):
            return None
        s = answer["stock"]
        return float(s[s.mineral == mineral].stock_t.sum())

    head = {"group": f"{mineral} shortage costs (break-even)", "mineral": mineral,
            "cells": len(base.data.tiers[mineral]) + len(_products_of(base.data, mineral)),
            "cell_columns": f"shortage_costs.usd_per_t of {mineral} (every tier)"
                            + (", products.lost_value_usd_per_month of what it goes into"
                               if _products_of(base.data, mineral) else ""), "status": "optimal"}
    holds = partial(_above, floor + STOCK_TOL_T)
    zero = _threshold(stock_at, holds, at_base > floor + STOCK_TOL_T)
    doubles = partial(_above, 2 * at_base - STOCK_TOL_T) if at_base > floor + STOCK_TOL_T else None
    double = _threshold(stock_at, doubles, False) if doubles else (None, None, "nothing is held at 1x to double")
    if any(s not in ("optimal",) for s in solves):
        head["status"] = next(s for s in solves if s != "optimal")
    rows = []
    for side, (lo, hi, note) in (("zero", zero), ("double", double)):
        rows.append({**head, "side": side, "multiplier": math.sqrt(lo * hi) if lo and hi else None,
                     "break_even_low": lo, "break_even_high": hi,
                     "note": "; ".join(filter(None, [note, f"{len(solves)} re-solves of {name}, the group's "
                                                           "other minerals held at their recommended stock"]))})
    facts = replace(last[0], seconds=seconds, status=head["status"]) if last else base.res.facts
    return Results(facts, {"break_even": pd.DataFrame(rows, columns=ASSUMPTION_COLUMNS)})


def _products_of(data: ModelData, mineral: str) -> set[tuple[str, str]]:
    """The (party, product) pairs that need the mineral."""
    return {(p, k) for p, k, m in data.product_inputs if m == mineral}


def _above(level: float, stock: float | None) -> bool | None:
    return None if stock is None else stock > level


def _threshold(stock_at, test, true_at_1: bool) -> tuple[float | None, float | None, str]:
    """(lo, hi, note): test is False at lo and True at hi, hi / lo <= BRACKET; searched in [1/K, 1] when the test
    holds at 1x, else in [1, K]."""
    lo, hi = (1 / K_RANGE, 1.0) if true_at_1 else (1.0, K_RANGE)
    edge = test(stock_at(lo if true_at_1 else hi))
    if edge is None:
        return None, None, "a re-solve found no solution"
    if true_at_1 and edge:
        return 0.0, lo, f"holds even at 1/{K_RANGE:g} of the assumed tiers"
    if not true_at_1 and not edge:
        return hi, None, f"not reached at {K_RANGE:g}x the assumed tiers"
    while hi / lo > BRACKET:
        mid = math.sqrt(lo * hi)
        result = test(stock_at(mid))
        if result is None:
            return lo, hi, "a re-solve found no solution"
        lo, hi = (lo, mid) if result else (mid, hi)
    return lo, hi, ""


def _scaled_tiers(data: ModelData, mineral: str, k: float) -> ModelData:
    """The mineral's shortage costs times k: its tiers, and the lost output of every product it goes into (where
    its demand is costed through products, not the tiers)."""
    tiers = tuple(replace(t, usd_per_t=t.usd_per_t * k) for t in data.tiers[mineral])
    uses = _products_of(data, mineral)
    products = {key: replace(prod, lost_value_usd_per_month=prod.lost_value_usd_per_month * k) if key in uses else prod
                for key, prod in data.products.items()}
    return replace(data, tiers={**data.tiers, mineral: tiers}, products=products)


# ---- in words --------------------------------------------------------------------------------------------------

def solved_groups(res: Results) -> pd.DataFrame:
    """The rows of assumptions.csv of groups solved at a side, in rank order (empty: sensitivity no)."""
    table = res.tables.get("assumptions")
    if table is None:
        return pd.DataFrame(columns=ASSUMPTION_COLUMNS)
    return table[table.side.isin(SIDES) & table.acquisitions_usd.notna()]


def rests_on_lines(res: Results, top: int = 5) -> list[str]:
    """The `top` groups that move acquisitions most, one sentence each, from assumptions.csv and
    assumption_stock.csv."""
    groups = solved_groups(res)
    stock = res.tables.get("assumption_stock", pd.DataFrame(columns=STOCK_COLUMNS))
    base_usd = float(res["stock"].acquisition_usd.sum())
    return [f"- {_group_sentence(name, groups[groups.group == name], stock, base_usd)}"
            for name in list(dict.fromkeys(groups.group))[:top]]


def _group_sentence(name: str, rows: pd.DataFrame, stock: pd.DataFrame, base_usd: float) -> str:
    parts = []
    for r in rows.itertuples():
        mult = f"{r.multiplier:g}x" if pd.notna(r.multiplier) else f"its {r.side} values"
        if any(how in str(r.note) for how in ("clipped to their range", "rounded to whole numbers")):
            mult += " (some cells clipped or rounded: assumptions.csv)"
        if _no_change(r):
            parts.append(f"at {mult} the stock is unchanged within the solver's precision")
            continue
        if abs(r.acquisitions_change_usd) < 0.5:  # the same stock, a different expected cost: say so, not "+0.0%"
            sign = "rises" if r.objective_change_usd_per_yr > 0 else "falls"
            parts.append(f"at {mult} the stock is the same and the expected cost {sign} "
                         f"{usd(abs(r.objective_change_usd_per_yr))}/yr")
            continue
        movers = _movers(stock[(stock.group == name) & (stock.side == r.side)])
        parts.append(f"at {mult} the stock costs {usd(r.acquisitions_usd)} instead of {usd(base_usd)} "
                     f"({_signed_pct(r.acquisitions_change_pct)})" + (f": {movers}" if movers else ""))
    return f"{name}: " + "; ".join(parts) + "."


def _no_change(r) -> bool:
    return abs(r.acquisitions_change_usd) < 0.5 and abs(r.objective_change_usd_per_yr) <= r.precision_usd_per_yr


def _movers(stock: pd.DataFrame, n: int = 3) -> str:
    moved = stock[stock.change_pct.notna() & (stock.change_t.abs() > STOCK_TOL_T)]
    moved = moved.reindex(moved.change_pct.abs().sort_values(ascending=False).index).head(n)
    return ", ".join(f"{r.mineral} {_signed_pct(r.change_pct)}" for r in moved.itertuples())


def _signed_pct(pct: float | None) -> str:
    if pct is None or not math.isfinite(pct):
        return "from none"
    if pct >= 900:  # a multiple reads better than "+28940%" (a stock that grows from a few lots)
        return f"x{1 + pct / 100:,.0f}"
    return f"{pct:+.0f}%" if abs(pct) >= 1 else f"{pct:+.1f}%"


def holding_lines(res: Results, minerals: list[str]) -> list[str]:
    """Which minerals' recommended stock stays within HOLDS_WITHIN of the base under every group and side solved."""
    stock = res.tables.get("assumption_stock", pd.DataFrame(columns=STOCK_COLUMNS))
    if stock.empty:
        return []
    worst = (stock.assign(off=(stock.stock_t - stock.base_stock_t).abs()
                          - HOLDS_WITHIN * stock.base_stock_t.abs() - STOCK_TOL_T)
             .groupby("mineral").off.max())
    holds = [m for m in minerals if m in worst.index and worst[m] <= 0]
    if not holds:
        return [f"No mineral's stock stays within {HOLDS_WITHIN:.0%} of the recommendation under every group."]
    rest = len(minerals) - len(holds)
    return [f"Holding under every group (stock within {HOLDS_WITHIN:.0%} of the recommendation): "
            f"{', '.join(holds)}" + (f"; the other {rest} move by more." if rest else ".")]


def break_even_lines(res: Results) -> list[str]:
    """Each mineral's two break-evens in one line (assumptions.csv's rows `zero` and `double`)."""
    table = res.tables.get("assumptions", pd.DataFrame(columns=ASSUMPTION_COLUMNS))
    rows = table[table.side.isin(("zero", "double"))]
    lines = []
    for m in dict.fromkeys(rows.mineral):
        zero = rows[(rows.mineral == m) & (rows.side == "zero")].iloc[0]
        double = rows[(rows.mineral == m) & (rows.side == "double")].iloc[0]
        lines.append(f"- {m}: {_break_even_words(zero)}; {_break_even_words(double)}.")
    return lines


def _x(k: float) -> str:
    return f"{k:.2g}x"


def _break_even_words(r) -> str:
    """One break-even row in words: its bracket, or why it has none."""
    lo, hi, zero = r.break_even_low, r.break_even_high, r.side == "zero"
    if pd.isna(lo) and pd.isna(hi):
        held_none = not zero and str(r.note).startswith("nothing is held")
        return "no stock to double" if held_none else "no break-even (a re-solve found no solution)"
    if pd.isna(hi):
        return (f"not worth buying even at {_x(lo)} the assumed shortage costs" if zero else
                f"the stock does not double below {_x(lo)}")
    if lo == 0:
        return f"worth holding even at {_x(hi)} the assumed shortage costs"
    between = f"between {_x(lo)} and {_x(hi)}"
    if not zero:
        return f"the stock doubles {between}"
    return (f"worth holding as long as a tonne short costs more than a multiple {between}" if hi <= 1 else
            f"none recommended; worth buying once a tonne short costs {between} the assumed")
