"""Exact solves by decomposition. Given who is in the pool, the model separates by mineral: each
mineral's stock, releases, draws and shortages meet no other mineral's, except through budgets
(checked afterwards) and optional membership under pro-rata allocation (then: one model). The
scenario tree is the one built from ALL minerals (a cut of one mineral tells which scenario is
unfolding), restricted to each mineral's pairs.

The total gap is proved to mip_rel_gap: every subproblem first gets that relative gap of its own
and a node limit, and is proved by aggregate lots where they close it (lots.py; no branch and bound
yet); an open one whose gap already fits its equal share of what the finished ones left stands as it
is; the rest get that share as an absolute gap, with branch and bound where aggregate lots fall short
(sum of gaps <= mip_rel_gap x sum of best bounds <= mip_rel_gap x objective). Both passes' options
are fixed before the pass starts, so the answer is the same whether the subproblems run one at a
time or side by side in threads.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

from ..common.progress import advance, expect, step
from ..io.data import ModelData
from ..model.scenario_tree import Node, ScenarioTree, build_tree
from .aggregate_lots import solve_by_lots
from .facts import SolverFacts
from .highs import SUBPROBLEM_OPTIONS
from .one_model import solve_one_model
from .results import Results, facts_of
from .reuse import digest, reused
from .starts import Start
from .threads import pyomo_turn, thread_map

FIRST_PASS_NODES = 1000  # a subproblem not proved within this many B&B nodes gets leftover gap (deterministic)
FIRST_PASS_GAP = 1.0  # x mip_rel_gap in the first pass: each its own share; the second pass shares what is left


ONE_MINERAL = "one mineral"
ONE_GROUP = "one group of minerals that products need together"


def why_not_separable(data: ModelData) -> str | None:
    """None when the model separates by mineral, else the coupling that stops it."""
    if len(data.minerals) < 2:
        return ONE_MINERAL
    if len(data.mineral_groups) < 2:
        return ONE_GROUP
    optional = [p for p, party in data.parties.items() if party.joint_member == "optional"]
    if optional and data.settings.joint_allocation == "pro_rata":
        return "optional members under pro_rata allocation: joining binds a member across minerals"
    return None


def one_group_each(data: ModelData) -> bool:
    """Is every group of minerals a model of its own (by mineral, or one group that is the whole model)? Budgets
    binding across minerals are checked on the answer (budgets.budgets_hold)."""
    return why_not_separable(data) in (None, ONE_MINERAL, ONE_GROUP)


def with_dominant_membership(data: ModelData) -> ModelData:
    """Under cooperative or entitlement allocation joining the pool only adds options (draws are
    voluntary, entitlements are fixed by the eligible members): optional members join."""
    return data.with_parties(**{p: {"joint_member": "yes"} for p, party in data.parties.items()
                                if party.joint_member == "optional"})


def only_minerals(data: ModelData, tree: ScenarioTree, group: list[str]) -> tuple[ModelData, ScenarioTree]:
    """The data of a group of minerals (ModelData.mineral_groups: the products that need them all) and the full
    tree restricted to its pairs (same nodes, same paths)."""
    sub = minerals_data(data, group)
    return sub, restrict_tree(tree, sub.pairs)


def minerals_data(data: ModelData, group: list[str]) -> ModelData:
    """The data of a group of minerals alone (only_minerals without the tree)."""
    keep = set(group)
    return replace(data, minerals={m: data.minerals[m] for m in group},
                   demand={k: v for k, v in data.demand.items() if k[1] in keep},
                   supply={k: v for k, v in data.supply.items() if k[1] in keep},
                   tiers={m: data.tiers[m] for m in group},
                   events=tuple(replace(e, minerals=tuple(m for m in e.minerals if m in keep)) for e in data.events),
                   product_inputs={k: v for k, v in data.product_inputs.items() if k[2] in keep},
                   products={k: v for k, v in data.products.items()
                             if any((p, kk) == k and m in keep for p, kk, m in data.product_inputs)},
                   world_supply={k: v for k, v in data.world_supply.items() if k[0] in keep},
                   # the pool's running cost is the whole answer's, added once (merge.with_pool_fixed): a change
                   # of it changes no subproblem, so none is re-solved for it
                   settings=replace(data.settings, pool_fixed_usd_per_yr=0.0),
                   benchmarks=(), assumptions=(), book=None)  # the whole workbook's, not the subproblem's


def subproblems(data: ModelData, tree: ScenarioTree) -> dict[str, tuple[ModelData, ScenarioTree]]:
    """Each group of minerals solved together (ModelData.mineral_groups), by name: its data and restricted tree."""
    return {group_name(g): only_minerals(data, tree, g) for g in data.mineral_groups}


def group_of(data: ModelData, mineral: str) -> list[str]:
    """The group of minerals solved together with `mineral`."""
    return next(g for g in data.mineral_groups if mineral in g)


def group_name(group: list[str]) -> str:
    return "+".join(group)


def restrict_tree(tree: ScenarioTree, pairs: list[tuple[str, str]]) -> ScenarioTree:
    """The tree with only these pairs' gaps: the same nodes and paths, so the same information."""
    index = {pm: i for i, pm in enumerate(tree.pairs)}
    keep = [index[pm] for pm in pairs]
    nodes = [Node(n.id, n.month, n.scenarios, n.gap_t[keep], n.year) for n in tree.nodes]
    return replace(tree, pairs=list(pairs), gaps={s: g[keep] for s, g in tree.gaps.items()}, nodes=nodes)


def solve_subproblem(sub: ModelData, tree: ScenarioTree, options: dict, detail: bool = True,
                     full: bool = True, warm: Start | None = None) -> Results | SolverFacts:
    """One mineral: its Results, or its SolverFacts when HiGHS found no solution (solve_one_model), proved by
    aggregate lots; without `full` no branch and bound when they leave the gap too wide (aggregate_lots.py);
    from `warm` (an earlier answer of the same subproblem with other numbers, starts.py) where it fits.
    Safe to run in several threads at once: Pyomo work takes turns, HiGHS runs side by side."""
    with pyomo_turn():
        return solve_one_model(sub, tree, lambda model: solve_by_lots(model, sub, {**SUBPROBLEM_OPTIONS, **options},
                                                                      full, warm), detail)


def solve_by_mineral(data: ModelData, tree: ScenarioTree | None = None, detail: bool = True,
                     workers: int = 1, independent: bool = False) -> list[Results | SolverFacts]:
    """Every mineral's subproblem, proving the total gap to data.settings.mip_rel_gap (see module doc),
    `workers` HiGHS runs at a time (threads); the answer does not depend on `workers`: each pass's
    options are fixed before it starts. `tree` defaults to the data's own. `independent`: each
    subproblem proved to mip_rel_gap on its own (no sharing of the gap), so that its answer depends on
    its own inputs alone and is re-used wherever they recur (sweep points; see `reusable`)."""
    t0 = time.perf_counter()
    tree = build_tree(data) if tree is None else tree
    by_name = subproblems(data, tree)
    subs, names = list(by_name.values()), list(by_name)
    gap, limit = data.settings.mip_rel_gap, data.settings.time_limit_s  # the limit is for the whole solve
    first = ({"mip_rel_gap": gap} if independent else
             {"mip_rel_gap": gap * FIRST_PASS_GAP, "mip_max_nodes": FIRST_PASS_NODES})
    first["time_limit"] = limit / len(subs)
    parts = []  # the first pass proves what aggregate lots prove; branch and bound only in the second
    expect(sum(len(sub.pairs) for sub, _t in subs))  # the command's bar: a subproblem weighs its pairs
    for part in thread_map(reusable, [(s, t, first, detail, independent) for s, t in subs], workers):
        parts.append(part)
        advance(len(subs[len(parts) - 1][0].pairs))
        step(f"{len(parts)}/{len(subs)} {names[len(parts) - 1]}: {_progress_word(facts_of(part).status, independent)}")
    if any(facts_of(r).status == "infeasible" for r in parts):
        return parts  # proved infeasible: no gap to share (the caller names the conflict)
    open_ = [] if independent else [i for i, r in enumerate(parts) if facts_of(r).status != "optimal"]
    remaining = limit - (time.perf_counter() - t0)
    if not open_ or remaining <= 0:
        return parts
    # what the finished ones leave of the total gap, shared equally among the open ones
    left = gap * sum(_bound(r) for r in parts) - sum(_gap(r) for i, r in enumerate(parts) if i not in open_)
    open_, share = _accept_within(parts, open_, max(0.0, left))
    if not open_:
        return parts
    budget = {"mip_rel_gap": 0.0, "mip_abs_gap": share, "time_limit": remaining}
    step(f"first pass done; {len(open_)} of {len(subs)} need a closer look to prove the gap: "
         f"{', '.join(names[i] for i in open_)}")
    expect(sum(len(subs[i][0].pairs) for i in open_))
    for i, part in zip(open_, thread_map(reusable, [(*subs[i], budget, detail) for i in open_], workers),
                       strict=True):
        parts[i] = part
        advance(len(subs[i][0].pairs))
    return parts


def _progress_word(status: str, independent: bool) -> str:
    """What a subproblem's first pass means, in words that do not alarm: a pass that stops at its node limit is
    not a failure, only not proved yet (the second pass shares out what the others leave of the gap)."""
    if status == "optimal":
        return "proved" if independent else "proved in the first pass"
    if status in ("time_limit", "node_limit", "stopped") and not independent:
        return "first pass done, not proved yet (a closer look follows if the others leave too little of the gap)"
    return status


def _accept_within(parts: list, open_: list[int], left: float) -> tuple[list[int], float]:
    """The open subproblems whose first-pass gap already fits their equal share of `left` are proven
    (their answers stand); what they leave goes to the rest. Returns the rest and each one's share."""
    while open_:
        share = left / len(open_)
        fits = [i for i in open_ if facts_of(parts[i]).has_solution and _gap(parts[i]) <= share]
        if not fits:
            return open_, share
        for i in fits:
            facts_of(parts[i]).status, facts_of(parts[i]).termination = "optimal", "kOptimal"  # within the gap asked
            left -= _gap(parts[i])
        open_ = [i for i in open_ if i not in fits]
    return open_, 0.0


def reusable(sub: ModelData, tree: ScenarioTree, options: dict, detail: bool = True,
             full: bool = True, warm: Start | None = None) -> Results | SolverFacts:
    """solve_subproblem, re-using the answer to the same subproblem solved before in this process: same
    data (provenance aside), same restricted tree, same HiGHS options and start (reuse.py). Only answers without
    the schedule tables are kept (sweep points, coalitions and the what-if solves are such)."""
    if detail:
        return solve_subproblem(sub, tree, options, detail, full, warm)
    key = digest(replace(sub, source="", sha256=""), tree, sorted(options.items()), full,
                 warm.key() if warm is not None else None)
    return reused(key, lambda: solve_subproblem(sub, tree, options, detail, full, warm))


def _gap(part) -> float:
    f = facts_of(part)
    return ((f.objective_usd_per_yr or 0.0) - _bound(part)) if f.has_solution else float("inf")


def _bound(part) -> float:
    """The best bound, 0 where there is none (or HiGHS's bound is infinite: no solution to bound)."""
    f = facts_of(part)
    bound = f.best_bound_usd_per_yr
    return bound if bound is not None and math.isfinite(bound) else 0.0


__all__ = ["solve_by_mineral", "why_not_separable",
           "with_dominant_membership"]
