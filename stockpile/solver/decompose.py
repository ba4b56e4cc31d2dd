"""Exact solves by decomposition. Given who is in the pool, the model separates by mineral: each
mineral's stock, releases, draws and shortages meet no other mineral's, except through budgets
(checked afterwards) and optional membership under pro-rata allocation (then: one model). The
scenario tree is the one built from ALL minerals (a cut of one mineral tells which scenario is
unfolding), restricted to each mineral's pairs.

The total gap is proved to mip_rel_gap: every subproblem first gets a tenth of that relative gap
and a node limit, and is proved by aggregate lots where they close it (lots.py; no branch and bound
yet); an open one whose gap already fits its equal share of what the finished ones left stands as it
is; the rest get that share as an absolute gap, with branch and bound where aggregate lots fall short
(sum of gaps <= mip_rel_gap x sum of best bounds <= mip_rel_gap x objective). Both passes' options
are fixed before the pass starts, so the answer is the same whether the subproblems run one at a
time or side by side in threads.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import threading
import time
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import pandas as pd

from ..common.progress import step
from ..io.data import ModelData
from ..model import JOINT, MARKET, build_model
from ..model.scenario_tree import Node, ScenarioTree, build_tree
from .aggregate_lots import solve_by_lots
from .earliest_releases import earliest_releases
from .highs import SolverFacts, pyomo_turn, relative_gap, thread_map
from .results import Results, extract

FIRST_PASS_NODES = 200  # a subproblem not proved within this many B&B nodes gets leftover gap (deterministic)
FIRST_PASS_GAP = 0.1  # x mip_rel_gap in the first pass: what finishes there leaves most of its share to the rest
SUBPROBLEM_OPTIONS = {"presolve": "off"}  # HiGHS's presolve slows these small lot-sizing MIPs (5 s vs 1 s)


def why_not_separable(data: ModelData) -> str | None:
    """None when the model separates by mineral, else the coupling that stops it."""
    if len(data.minerals) < 2:
        return "one mineral"
    optional = [p for p, party in data.parties.items() if party.joint_member == "optional"]
    if optional and data.settings.joint_allocation == "pro_rata":
        return "optional members under pro_rata allocation: joining binds a member across minerals"
    return None


def with_dominant_membership(data: ModelData) -> ModelData:
    """Under cooperative or entitlement allocation joining the pool only adds options (draws are
    voluntary, entitlements are fixed by the eligible members): optional members join."""
    return data.with_parties(**{p: {"joint_member": "yes"} for p, party in data.parties.items()
                                if party.joint_member == "optional"})


def only_mineral(data: ModelData, tree: ScenarioTree, mineral: str) -> tuple[ModelData, ScenarioTree]:
    """The data of one mineral and the full tree restricted to its pairs (same nodes, same paths)."""
    sub = replace(data, minerals={mineral: data.minerals[mineral]},
                  demand={k: v for k, v in data.demand.items() if k[1] == mineral},
                  supply={k: v for k, v in data.supply.items() if k[1] == mineral},
                  tiers={mineral: data.tiers[mineral]},
                  events=tuple(replace(e, minerals=tuple(m for m in e.minerals if m == mineral)) for e in data.events))
    return sub, restrict_tree(tree, sub.pairs)


def restrict_tree(tree: ScenarioTree, pairs: list[tuple[str, str]]) -> ScenarioTree:
    """The tree with only these pairs' gaps: the same nodes and paths, so the same information."""
    index = {pm: i for i, pm in enumerate(tree.pairs)}
    keep = [index[pm] for pm in pairs]
    nodes = [Node(n.id, n.month, n.scenarios, n.gap_t[keep], n.year) for n in tree.nodes]
    return replace(tree, pairs=list(pairs), gaps={s: g[keep] for s, g in tree.gaps.items()}, nodes=nodes)


def solve_subproblem(sub: ModelData, tree: ScenarioTree, options: dict, detail: bool = True,
                     full: bool = True) -> Results | SolverFacts:
    """One mineral: its Results, or its SolverFacts when HiGHS found no solution. `detail`: make the
    release schedule canonical (canonical.py) and read the schedule and scenario tables (pipeline.run);
    without `full` no branch and bound when aggregate lots leave the gap too wide (lots.py).
    Safe to run in several threads at once: Pyomo work takes turns, HiGHS runs side by side."""
    with pyomo_turn():
        t0 = time.perf_counter()
        model = build_model(sub, tree=tree)
        build_s = time.perf_counter() - t0
        facts = solve_by_lots(model, sub, {**SUBPROBLEM_OPTIONS, **options}, full)
        facts.seconds["build"] = build_s
        if not facts.has_solution:
            return facts
        t1 = time.perf_counter()
        if detail:
            earliest_releases(model, sub, facts)  # the canonical schedule among equal-cost ones
        facts.seconds["canonical"] = time.perf_counter() - t1
        t1 = time.perf_counter()
        res = extract(model, sub, facts, detail)
        facts.seconds["extract"] = time.perf_counter() - t1
        return res


def solve_by_mineral(data: ModelData, tree: ScenarioTree | None = None, detail: bool = True,
                     workers: int = 1, independent: bool = False) -> list[Results | SolverFacts]:
    """Every mineral's subproblem, proving the total gap to data.settings.mip_rel_gap (see module doc),
    `workers` HiGHS runs at a time (threads); the answer does not depend on `workers`: each pass's
    options are fixed before it starts. `tree` defaults to the data's own. `independent`: each
    subproblem proved to mip_rel_gap on its own (no sharing of the gap), so that its answer depends on
    its own inputs alone and is re-used wherever they recur (sweep points; see `reusable`)."""
    t0 = time.perf_counter()
    tree = build_tree(data) if tree is None else tree
    subs = [only_mineral(data, tree, m) for m in data.minerals if any(mm == m for _, mm in data.pairs)]
    names = [next(iter(sub.minerals)) for sub, _ in subs]
    gap, limit = data.settings.mip_rel_gap, data.settings.time_limit_s  # the limit is for the whole solve
    first = ({"mip_rel_gap": gap} if independent else
             {"mip_rel_gap": gap * FIRST_PASS_GAP, "mip_max_nodes": FIRST_PASS_NODES})
    first["time_limit"] = limit / len(subs)
    parts = []  # the first pass proves what aggregate lots prove; branch and bound only in the second
    for part in thread_map(reusable, [(s, t, first, detail, independent) for s, t in subs], workers):
        parts.append(part)
        step(f"{len(parts)}/{len(subs)} {names[len(parts) - 1]}: {_facts(part).status}"
             + ("" if independent else " (first pass)"))
    if any(_facts(r).status == "infeasible" for r in parts):
        return parts  # proved infeasible: no gap to share (the caller names the conflict)
    open_ = [] if independent else [i for i, r in enumerate(parts) if _facts(r).status != "optimal"]
    remaining = limit - (time.perf_counter() - t0)
    if not open_ or remaining <= 0:
        return parts
    # what the finished ones leave of the total gap, shared equally among the open ones
    left = gap * sum(_bound(r) for r in parts) - sum(_gap(r) for i, r in enumerate(parts) if i not in open_)
    open_, share = _accept_within(parts, open_, max(0.0, left))
    if not open_:
        return parts
    budget = {"mip_rel_gap": 0.0, "mip_abs_gap": share, "time_limit": remaining}
    step(f"proving the rest of the gap: {', '.join(names[i] for i in open_)}")
    for i, part in zip(open_, thread_map(reusable, [(*subs[i], budget, detail) for i in open_], workers),
                       strict=True):
        parts[i] = part
    return parts


def _accept_within(parts: list, open_: list[int], left: float) -> tuple[list[int], float]:
    """The open subproblems whose first-pass gap already fits their equal share of `left` are proven
    (their answers stand); what they leave goes to the rest. Returns the rest and each one's share."""
    while open_:
        share = left / len(open_)
        fits = [i for i in open_ if _facts(parts[i]).has_solution and _gap(parts[i]) <= share]
        if not fits:
            return open_, share
        for i in fits:
            _facts(parts[i]).status, _facts(parts[i]).termination = "optimal", "kOptimal"  # within the gap asked
            left -= _gap(parts[i])
        open_ = [i for i in open_ if i not in fits]
    return open_, 0.0


_REUSE: OrderedDict[str, Results] = OrderedDict()  # subproblem answers by the digest of their complete inputs
REUSE_ENTRIES = 512  # least recently used answers beyond this are forgotten
_REUSE_LOCK = threading.Lock()


def reusable(sub: ModelData, tree: ScenarioTree, options: dict, detail: bool = True,
             full: bool = True) -> Results | SolverFacts:
    """solve_subproblem, re-using the answer to the same subproblem solved before in this process: same
    data (provenance aside), same restricted tree, same HiGHS options. Only proven optima without the
    schedule tables are kept (sweep points, coalitions and the what-if solves are such)."""
    if detail:
        return solve_subproblem(sub, tree, options, detail, full)
    key = hashlib.sha256(pickle.dumps((replace(sub, source="", sha256=""), tree, sorted(options.items()), full))
                         ).hexdigest()
    with _REUSE_LOCK:
        kept = _REUSE.get(key)
        if kept is not None:
            _REUSE.move_to_end(key)
    if kept is not None:
        facts = replace(kept.facts, seconds={}, reused_subproblems=1)  # no time was spent on it this time
        return Results(facts, dict(kept.tables))
    part = solve_subproblem(sub, tree, options, detail, full)
    if isinstance(part, Results) and part.facts.status == "optimal":
        with _REUSE_LOCK:
            _REUSE[key] = part
            while len(_REUSE) > REUSE_ENTRIES:
                _REUSE.popitem(last=False)
    return part


def _gap(part) -> float:
    f = _facts(part)
    return (f.objective_usd_per_yr - _bound(part)) if f.has_solution else float("inf")


def _facts(part) -> SolverFacts:
    return part.facts if isinstance(part, Results) else part


def _bound(part) -> float:
    """The best bound, 0 where there is none (or HiGHS's bound is infinite: no solution to bound)."""
    f = _facts(part)
    bound = f.best_bound_usd_per_yr
    return bound if bound is not None and math.isfinite(bound) else 0.0


def merge(data: ModelData, parts: list[Results]) -> Results:
    """One Results from the minerals' (tables concatenated or summed, facts summed)."""
    tables = {name: pd.concat([p.tables[name] for p in parts], ignore_index=True)
              for name in ("stock", "release_rules", "scenario_outcomes", "survival", "acquisition")
              if name in parts[0].tables}
    order = {pm: i for i, pm in enumerate(data.pairs)}
    cov = pd.concat([p.tables["coverage"] for p in parts], ignore_index=True)
    tables["coverage"] = cov.iloc[np.argsort([order[pm] for pm in zip(cov.party, cov.mineral, strict=True)])
                                  ].reset_index(drop=True)
    if "scenarios" in parts[0].tables:
        tables["scenarios"] = _merge_scenarios(data, [p.tables["scenarios"] for p in parts])
    party = pd.concat([p.tables["party_costs"] for p in parts]).groupby("holder", sort=False).sum(numeric_only=True)
    holders = [*data.parties, JOINT] + ([MARKET] if MARKET in party.index else [])
    tables["party_costs"] = party.reindex(holders, fill_value=0.0).reset_index()
    costs = pd.concat([p.tables["costs"] for p in parts])
    tables["costs"] = costs.groupby("term", sort=False).usd_per_yr.sum().reset_index()
    return Results(_merge_facts(data, [p.facts for p in parts]), {k: tables[k] for k in parts[0].tables})


def _merge_scenarios(data: ModelData, frames: list[pd.DataFrame]) -> pd.DataFrame:
    both = pd.concat(frames)
    summed = both.groupby("branch", sort=False)[["shortage_cost_usd", "replenishment_usd",
                                                 "expected_cost_usd_per_yr", "gap_t", "unmet_t",
                                                 "unmet_beyond_thrift_t"]].sum()
    first = both.groupby("branch", sort=False)[["scenario", "probability_per_yr", "description"]].first()
    survived = both.groupby("branch", sort=False).months_survived.min()
    out = pd.concat([first, summed, survived], axis=1).reindex(list(data.scenarios)).reset_index()
    return out[frames[0].columns]


def _merge_facts(data: ModelData, facts: list[SolverFacts]) -> SolverFacts:
    objective = sum(f.objective_usd_per_yr for f in facts)
    bound = sum(f.best_bound_usd_per_yr if f.best_bound_usd_per_yr is not None else f.objective_usd_per_yr
                for f in facts)
    statuses = {f.status for f in facts}
    seconds: dict[str, float] = {}
    for f in facts:
        for k, v in f.seconds.items():
            seconds[k] = seconds.get(k, 0.0) + v
    merged = replace(facts[0], status="optimal" if statuses == {"optimal"} else "time_limit",
                     termination="+".join(sorted({f.termination for f in facts})), objective_usd_per_yr=objective,
                     best_bound_usd_per_yr=bound, relative_gap=relative_gap(objective, bound),
                     mip_rel_gap_setting=data.settings.mip_rel_gap, seconds=seconds,
                     variables=sum(f.variables for f in facts), constraints=sum(f.constraints for f in facts),
                     integer_variables=sum(f.integer_variables for f in facts), inputs=data.source,
                     reused_subproblems=sum(f.reused_subproblems for f in facts),
                     inputs_sha256=data.sha256, run_spec=data.run_spec, run_spec_sha256=data.run_spec_sha256)
    merged.decomposition = f"by mineral: {len(facts)} subproblems (the scenario tree of all minerals)"
    minerals = [m for m in data.minerals if any(mm == m for _, mm in data.pairs)]  # as solve_by_mineral
    merged.subproblems = [{"mineral": m, "status": f.status, "objective_usd_per_yr": f.objective_usd_per_yr,
                           "best_bound_usd_per_yr": f.best_bound_usd_per_yr, "proof": f.proof,
                           "reused": bool(f.reused_subproblems), "seconds": round(sum(f.seconds.values()), 3)}
                          for m, f in zip(minerals, facts, strict=True)]
    return merged


__all__ = ["merge", "solve_by_mineral", "why_not_separable",
           "with_dominant_membership"]
