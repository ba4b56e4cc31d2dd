"""Exogenous gaps per scenario and the scenario tree that makes releases
non-anticipative (docs/formulation.md, "Scenario tree").

Scenarios whose gap trajectories (all parties, all minerals) agree up to and
including month t share one node at month t, so one release decision serves
them all: a release can depend on what has happened, never on how long the
disruption will last.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..io.data import Event, ModelData
from .discount import year_weights


def recovered(event: Event, month: int) -> float:
    """Share of the lost supply replaced by month `month`: a linear ramp from 0 at
    the event's start to recovery_share after recovery_months (at once when 0)."""
    if event.recovery_months == 0:
        return event.recovery_share
    return event.recovery_share * min(1.0, (month - event.start_month) / event.recovery_months)


def scenario_gaps(data: ModelData) -> dict[str, np.ndarray]:
    """gap_t[s][i, t-1] for pair i of data.pairs: supply lost before any stock is used,
    g = min(d, sum_u d * share_u * lost_u,t) with lost the max over overlapping events."""
    horizon = data.settings.horizon_months
    return {s: event_gaps(data, [e for e in data.events if e.scenario == s], horizon) for s in data.scenarios}


def event_gaps(data: ModelData, events, months: int) -> np.ndarray:
    """gap_t[i, t-1] for pair i of data.pairs over months 1..`months` of any events (a scenario's, a history's or a
    sampled one's, each at its own start_month): overlapping cuts of one supplier do not add up (the largest
    binds), cuts of different suppliers do, and no gap exceeds demand."""
    pairs = data.pairs
    index = {pm: i for i, pm in enumerate(pairs)}
    suppliers_of: dict[tuple[str, str], dict[str, float]] = {}
    for (p, m, u), share in data.supply.items():
        suppliers_of.setdefault((p, m), {})[u] = share
    d = np.array([data.consumption_t_per_month(p, m) for p, m in pairs])
    lost: dict[tuple[int, str], np.ndarray] = {}
    for e in events:
        last = min(months, e.start_month + e.duration_months - 1)
        if last < e.start_month:
            continue
        span = np.arange(e.start_month, last + 1)
        factor = np.array([e.cut * (1.0 - recovered(e, int(t))) for t in span])
        for p in e.targets:
            for m in e.minerals:
                i = index.get((p, m))
                if i is None or e.supplier not in suppliers_of.get((p, m), {}):
                    continue
                arr = lost.setdefault((i, e.supplier), np.zeros(months))
                np.maximum.at(arr, span - 1, factor)  # overlapping events do not add up
    gap = np.zeros((len(pairs), months))
    for (i, u), arr in lost.items():
        p, m = pairs[i]
        gap[i] += d[i] * suppliers_of[p, m][u] * arr
    return np.minimum(gap, d[:, None])


@dataclass(frozen=True)
class Node:
    id: str  # "m<month>.<k>"
    month: int  # 1..horizon
    scenarios: tuple[str, ...]  # its probability is theirs summed (model.coefficients)
    gap_t: np.ndarray  # gap per pair in this month (identical for every scenario in the node)
    year: int = 0  # build year y < build_years whose (partial) stock meets the disruption; 0 = the full stock


@dataclass(frozen=True)
class ScenarioTree:
    pairs: list[tuple[str, str]]
    gaps: dict[str, np.ndarray]
    nodes: list[Node]
    path: dict[str, tuple[int, ...]]  # scenario -> node index per month
    leaves: list[tuple[int, ...]]  # distinct full paths (one per group of identical scenarios)
    leaf_year: tuple[int, ...] = ()  # per leaf: its nodes' year (empty: all 0)
    year_weight: dict[int, float] = field(default_factory=lambda: {0: 1.0})  # sums to 1

    def year_of_leaf(self, li: int) -> int:
        return self.leaf_year[li] if self.leaf_year else 0


def build_tree(data: ModelData, gaps: dict[str, np.ndarray] | None = None,
               perfect_information: bool = False) -> ScenarioTree:
    """Refine the partition of scenarios month by month by their gap in that month. With
    `perfect_information` every scenario (branch) is its own path from month 1: releases know the
    future (for the expected value of perfect information)."""
    gaps = scenario_gaps(data) if gaps is None else gaps
    horizon = data.settings.horizon_months
    groups: list[list[str]] = [list(data.scenarios)] if data.scenarios else []
    if perfect_information:
        groups = [[s] for s in data.scenarios]
    nodes: list[Node] = []
    path: dict[str, list[int]] = {s: [] for s in data.scenarios}
    for t in range(horizon):
        refined: list[list[str]] = []
        for group in groups:
            split: dict[bytes, list[str]] = {}
            for s in group:
                split.setdefault(gaps[s][:, t].tobytes(), []).append(s)
            refined.extend(split.values())
        groups = refined
        for k, group in enumerate(groups):
            nodes.append(Node(f"m{t + 1}.{k + 1}", t + 1, tuple(group), gaps[group[0]][:, t].copy()))
            for s in group:
                path[s].append(len(nodes) - 1)
    leaves = sorted({tuple(p) for p in path.values()})
    tree = ScenarioTree(data.pairs, gaps, nodes, {s: tuple(p) for s, p in path.items()}, leaves)
    return with_build_years(tree, data.settings.build_years, data.settings.discount_rate)


def tree_size(data: ModelData, tree: ScenarioTree) -> dict[str, int]:
    """branches (scenarios after uncertain durations branch), nodes and nodes in month 1 (full-stock copy)."""
    nodes = [n for n in tree.nodes if n.year == 0]
    return {"branches": len(data.scenarios), "nodes": len(nodes),
            "nodes_in_month_1": sum(1 for n in nodes if n.month == 1)}


def with_build_years(tree: ScenarioTree, build_years: int, discount_rate: float) -> ScenarioTree:
    """One copy of the tree per build year before the last (node ids "y<year>.m<month>.<k>"), for a
    disruption that starts while the stock is still being bought; the original nodes (year 0) meet
    the full stock. Scenario paths (tree.path) stay on the full-stock copy."""
    if build_years <= 1:
        return tree
    nodes, leaves, leaf_year = list(tree.nodes), list(tree.leaves), [0] * len(tree.leaves)
    size = len(tree.nodes)
    for y in range(1, build_years):
        offset = len(nodes)
        nodes.extend(replace(n, id=f"y{y}.{n.id}", year=y) for n in tree.nodes)
        leaves.extend(tuple(i + offset for i in leaf) for leaf in tree.leaves)
        leaf_year.extend([y] * len(tree.leaves))
    assert len(nodes) == size * build_years
    return replace(tree, nodes=nodes, leaves=leaves, leaf_year=tuple(leaf_year),
                   year_weight=year_weights(build_years, discount_rate))


def node_probability(data: ModelData, tree: ScenarioTree) -> dict[str, float]:
    """pi[n]: annual probability of reaching node n = its scenarios' probabilities summed, times the
    weight of its build year (1 without a build-up)."""
    w = tree.year_weight
    return {n.id: w[n.year] * sum(data.scenarios[s].probability_per_yr for s in n.scenarios) for n in tree.nodes}
