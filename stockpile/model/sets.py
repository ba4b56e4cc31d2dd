"""Sparse index sets and big-Ms of the model, computed once from the data and the scenario tree
(docs/formulation.md, "Sets")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..io.data import ModelData
from .scenario_tree import ScenarioTree

EPS = 1e-9


@dataclass
class SparseSets:
    """Which (node, party, mineral) combinations exist, and the bounds that keep the model tight."""

    stock_pairs: list[tuple[str, str]]  # (party, mineral) that may hold national stock
    cap_t: dict[tuple[str, str, str], float]  # (p, m, option) -> most stock ever useful (big-M)
    lots_max: dict[tuple[str, str], int]
    members: list[str]  # parties that may join the pool (yes or optional)
    joint_minerals: list[str]  # minerals the pool may hold (some member is ever short of them)
    cap_joint_t: dict[tuple[str, str], float]  # (m, option) -> big-M
    joint_lots_max: dict[str, int]
    gap_nodes: list[tuple[str, str, str]]  # (node, party, mineral) with a supply gap > 0
    gap_t: dict[tuple[str, str, str], float]  # the gap there, t in that month
    draws: list[tuple[str, str, str]]  # gap_nodes where a member may draw on the pool
    leaf_release: dict[tuple[int, str, str], list[str]] = field(default_factory=dict)  # (leaf, p, m) -> nodes
    leaf_draw: dict[tuple[int, str], list[tuple[str, str]]] = field(default_factory=dict)  # (leaf, m) -> (node, p)
    leaf_draw_party: dict[tuple[int, str, str], list[str]] = field(default_factory=dict)
    claim: dict[tuple[str, str], float] = field(default_factory=dict)  # (p, m) -> share of the pool (claim_shares)

    def nodes_of(self, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str], list[str]]:
        """(party, mineral) -> its nodes among `keys` ((node, party, mineral) triples)."""
        out: dict[tuple[str, str], list[str]] = {}
        for n, p, m in keys:
            out.setdefault((p, m), []).append(n)
        return out


def round_up(x: float, lot: float) -> float:
    return lot * math.ceil(x / lot - EPS) if x > EPS else 0.0


def build_sets(data: ModelData, tree: ScenarioTree) -> SparseSets:
    gap_nodes, gap_t = _gap_nodes(data, tree)
    stock_pairs, cap, lots_max = _national_caps(data, tree, {(p, m) for _, p, m in gap_nodes})
    members = data.eligible_members()
    joint_minerals, cap_joint, joint_lots_max = _pool_caps(data, tree, members)
    member_set, pool = set(members), set(joint_minerals)
    draws = [(n, p, m) for (n, p, m) in gap_nodes if p in member_set and m in pool]
    sets = SparseSets(stock_pairs, cap, lots_max, members, joint_minerals, cap_joint, joint_lots_max, gap_nodes,
                      gap_t, draws)
    _leaf_paths(sets, tree)
    sets.claim = claim_shares(data, members, joint_minerals)
    return sets


def _gap_nodes(data: ModelData, tree: ScenarioTree):
    gap_nodes, gap_t = [], {}
    for node in tree.nodes:
        for i in node.gap_t.nonzero()[0]:
            p, m = data.pairs[i]
            gap_nodes.append((node.id, p, m))
            gap_t[node.id, p, m] = float(node.gap_t[i])
    return gap_nodes, gap_t


def _worst_and_peak(tree: ScenarioTree) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the largest total gap on any path, and the largest monthly gap."""
    worst = np.max([np.sum([tree.nodes[n].gap_t for n in leaf], axis=0) for leaf in tree.leaves], axis=0)
    peak = np.max([node.gap_t for node in tree.nodes], axis=0)
    return worst, peak


def _national_caps(data: ModelData, tree: ScenarioTree, hit: set):
    """Most stock ever useful per pair and option: the worst total gap on a path, the target, and
    enough that rate x stock covers the largest monthly gap; capped by max_stock_t."""
    worst, peak = _worst_and_peak(tree) if tree.nodes else (np.zeros(len(data.pairs)),) * 2
    stock_pairs, cap, lots_max = [], {}, {}
    for i, ((p, m), dem) in enumerate(data.demand.items()):
        target_t = (dem.target_months or 0.0) * data.basis_t_per_month(p, m)
        if (p, m) not in hit and dem.existing_stock_t <= 0 and target_t <= 0:
            continue
        lot, x0 = data.minerals[m].lot_t, dem.existing_stock_t
        stock_pairs.append((p, m))
        for k, opt in data.release_options.items():
            need = max(float(worst[i]), target_t, float(peak[i]) / opt.max_release_share_per_month)
            c = x0 + round_up(max(0.0, need - x0), lot)
            if dem.max_stock_t is not None:
                c = min(c, dem.max_stock_t)
            cap[p, m, k] = max(c, x0)
        lots_max[p, m] = max(0, math.floor((max(cap[p, m, k] for k in data.release_options) - x0) / lot + EPS))
    return stock_pairs, cap, lots_max


def _pool_caps(data: ModelData, tree: ScenarioTree, members: list[str]):
    """The pool's big-Ms per mineral: the members' worst summed gap on a path, or their peak month / rate."""
    joint_minerals, cap_joint, joint_lots_max = [], {}, {}
    member_set = set(members)
    for mi in data.minerals if members and tree.nodes else ():
        rows = [i for i, (p, m) in enumerate(data.pairs) if m == mi and p in member_set]
        if not rows:
            continue
        worst_pool = max(float(np.sum([tree.nodes[n].gap_t[rows] for n in leaf])) for leaf in tree.leaves)
        peak_pool = max(float(node.gap_t[rows].sum()) for node in tree.nodes)
        if worst_pool <= EPS:
            continue
        lot = data.minerals[mi].lot_t
        joint_minerals.append(mi)
        for k, opt in data.release_options.items():
            cap_joint[mi, k] = round_up(max(worst_pool, peak_pool / opt.max_release_share_per_month), lot)
        joint_lots_max[mi] = round(max(cap_joint[mi, k] for k in data.release_options) / lot)
    return joint_minerals, cap_joint, joint_lots_max


def _leaf_paths(sets: SparseSets, tree: ScenarioTree) -> None:
    """Per leaf path: the nodes where each pair may release, and where each member may draw."""
    draw_set = set(sets.draws)
    for li, leaf in enumerate(tree.leaves):
        for n in leaf:
            node = tree.nodes[n]
            for i in node.gap_t.nonzero()[0]:
                p, m = tree.pairs[i]
                sets.leaf_release.setdefault((li, p, m), []).append(node.id)
                if (node.id, p, m) in draw_set:
                    sets.leaf_draw.setdefault((li, m), []).append((node.id, p))
                    sets.leaf_draw_party.setdefault((li, p, m), []).append(node.id)


def claim_shares(data: ModelData, members: list[str], minerals: list[str]) -> dict[tuple[str, str], float]:
    """A member's claim on the pool of m, the one definition: its entitlement_share where given, the rest split
    by coverage basis. It is what the member may draw under `entitlement` allocation, the share of the pool
    its coverage counts, and the share of the pool's purchases charged to its budgets."""
    out: dict[tuple[str, str], float] = {}
    given = {p: share for p in members if (share := data.parties[p].entitlement_share) is not None}
    rest = max(0.0, 1.0 - sum(given.values()))
    for m in minerals:
        basis = {p: data.basis_t_per_month(p, m) for p in members if p not in given and (p, m) in data.demand}
        total = sum(basis.values())
        for p in members:
            if p in given:
                out[p, m] = given[p]
            else:
                out[p, m] = rest * basis.get(p, 0.0) / total if total > 0 else 0.0
    return out
