"""Exogenous gaps per scenario and the scenario tree that makes releases
non-anticipative (docs/formulation.md, "Scenario tree").

Scenarios whose gap trajectories (all parties, all minerals) agree up to and
including month t share one node at month t, so one release decision serves
them all: a release can depend on what has happened, never on how long the
disruption will last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Event, ModelData


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
    pairs = data.pairs
    index = {pm: i for i, pm in enumerate(pairs)}
    suppliers_of: dict[tuple[str, str], dict[str, float]] = {}
    for (p, m, u), share in data.supply.items():
        suppliers_of.setdefault((p, m), {})[u] = share
    d = np.array([data.consumption_t_per_month(p, m) for p, m in pairs])
    out = {}
    for s in data.scenarios:
        lost: dict[tuple[int, str], np.ndarray] = {}
        for e in (e for e in data.events if e.scenario == s):
            last = min(horizon, e.start_month + e.duration_months - 1)
            months = np.arange(e.start_month, last + 1)
            factor = np.array([e.cut * (1.0 - recovered(e, t)) for t in months])
            for p in e.targets:
                for m in e.minerals:
                    i = index.get((p, m))
                    if i is None or e.supplier not in suppliers_of.get((p, m), {}):
                        continue
                    arr = lost.setdefault((i, e.supplier), np.zeros(horizon))
                    np.maximum.at(arr, months - 1, factor)  # overlapping events do not add up
        gap = np.zeros((len(pairs), horizon))
        for (i, u), arr in lost.items():
            p, m = pairs[i]
            gap[i] += d[i] * suppliers_of[p, m][u] * arr
        out[s] = np.minimum(gap, d[:, None])
    return out


@dataclass(frozen=True)
class Node:
    id: str  # "m<month>.<k>"
    month: int  # 1..horizon
    scenarios: tuple[str, ...]  # its probability is theirs summed (model.coefficients)
    gap_t: np.ndarray  # gap per pair in this month (identical for every scenario in the node)


@dataclass(frozen=True)
class ScenarioTree:
    pairs: list[tuple[str, str]]
    gaps: dict[str, np.ndarray]
    nodes: list[Node]
    path: dict[str, tuple[int, ...]]  # scenario -> node index per month
    leaves: list[tuple[int, ...]]  # distinct full paths (one per group of identical scenarios)


def build_tree(data: ModelData, gaps: dict[str, np.ndarray] | None = None) -> ScenarioTree:
    """Refine the partition of scenarios month by month by their gap in that month."""
    gaps = scenario_gaps(data) if gaps is None else gaps
    horizon = data.settings.horizon_months
    groups: list[list[str]] = [list(data.scenarios)] if data.scenarios else []
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
    return ScenarioTree(data.pairs, gaps, nodes, {s: tuple(p) for s, p in path.items()}, leaves)


def node_probability(data: ModelData, tree: ScenarioTree) -> dict[str, float]:
    """pi[n]: annual probability of reaching node n = its scenarios' probabilities summed."""
    return {n.id: sum(data.scenarios[s].probability_per_yr for s in n.scenarios) for n in tree.nodes}
