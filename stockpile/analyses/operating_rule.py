"""The operating rule (docs/formulation.md, "Operating rule"): how much each holder releases this month, from what
has happened only, derived from the solved model; and the month-by-month replay of any sequence of cuts through it
(the tree's own branches, the history of 2010-2025, sampled histories).

The rule, for each party p and mineral m short this month (g > 0), in the workbook's order of pairs:

1. national: release `f x min(g, national stock left, national release capacity)`;
2. pool (members): draw `f' x min(g - release, pool stock left, pool capacity left this month)`;

where f (f') is the share of what could be released that the model released in the tree's state nearest to the
current one: the same months into the cut, then the nearest gap, stock left (and for the pool: pool left and the
mineral's gap over all parties), each in months of demand. On the tree's own states the distance is 0, so the
replay reproduces the model's releases and its expected shortage cost; the rule is non-anticipative because a
state holds only the past. What a month's unmet demand costs is the model's own node problem (`ShortageCost`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd

from ..io.data import ModelData
from ..model.scenario_tree import scenario_gaps
from ..solver import highs as _banner  # noqa: F401  (its import takes HiGHS's banner once, so no LP here prints it)
from ..solver.results import Results

TOL_T = 1e-9  # tonnes: below this nothing is released, drawn or short
JOINT = "JOINT"
NATIONAL, POOL = "national", "pool"


@dataclass(frozen=True)
class Holdings:
    """The recommended stock and the most each holder can release in a month (its option's rate x its stock)."""

    national_t: dict[tuple[str, str], float]
    national_rate_t_per_month: dict[tuple[str, str], float]
    pool_t: dict[str, float]
    pool_rate_t_per_month: dict[str, float]
    members: frozenset[str]


def holdings(data: ModelData, res: Results) -> Holdings:
    """The plan's stock (stock.csv), release capacities and pool members (coverage.csv's claims)."""
    rate = {k: o.max_release_share_per_month for k, o in data.release_options.items()}
    fastest = max(rate.values(), default=1.0)  # existing stock without an option chosen (never released in the tree)
    national, national_rate, pool, pool_rate = {}, {}, {}, {}
    for row in res["stock"].itertuples():
        r = rate.get(row.release_option, fastest) if isinstance(row.release_option, str) else fastest
        if row.holder == JOINT:
            pool[row.mineral], pool_rate[row.mineral] = float(row.stock_t), r * float(row.stock_t)
        else:
            national[row.holder, row.mineral] = float(row.stock_t)
            national_rate[row.holder, row.mineral] = r * float(row.stock_t)
    cov = res["coverage"]
    members = set(cov[cov.joint_t > TOL_T].party) | {p for p, v in data.parties.items() if v.joint_member == "yes"}
    return Holdings(national, national_rate, pool, pool_rate, frozenset(members))


# ---- what a month short costs ---------------------------------------------------------------------------------

class ShortageCost:
    """The cost of a month's unmet demand, as a node of the model costs it: each mineral's tiers on the demand that
    goes into no product, the products' lost output (Leontief) on the rest, the use that goes unmet chosen at least
    cost (a small LP when products are involved, kept per party and re-solved from its last basis; else the tiers
    in order). By mineral: a product's lost output is split over its inputs in proportion to their unmet shares."""

    def __init__(self, data: ModelData):
        self.data = data
        self.products: dict[str, dict[str, dict[str, float]]] = {}  # party -> product -> mineral -> share
        for (p, k, m), i in data.product_inputs.items():
            self.products.setdefault(p, {}).setdefault(k, {})[m] = i.share_of_demand
        self._lp: dict[str, _NodeLP] = {}
        self._cache: dict[tuple, dict[str, float]] = {}

    def of(self, p: str, unmet_t: dict[str, float]) -> dict[str, float]:
        """USD of one month by mineral, for party p's unmet tonnes by mineral."""
        short = tuple(sorted((m, round(u, 9)) for m, u in unmet_t.items() if u > TOL_T))
        if not short:
            return {}
        key = (p, short)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) > 200_000:  # a long evaluation: keep memory bounded
                self._cache.clear()
            found = self._cache[key] = self._solve(p, dict(short))
        return found

    def tiers(self, p: str, m: str, s: float) -> list[tuple[float, float]]:
        """(width t, USD/t) of p's tiers of m on the demand that goes into no product (share s goes into products)."""
        d, out, below = self.data.consumption_t_per_month(p, m), [], 0.0
        for tier in self.data.tiers[m]:
            out.append(((tier.up_to_share - below) * (1.0 - s) * d, tier.usd_per_t))
            below = tier.up_to_share
        return out

    def _solve(self, p: str, unmet: dict[str, float]) -> dict[str, float]:
        if not any(m in ins for ins in self.products.get(p, {}).values() for m in unmet):
            return {m: _fill(self.tiers(p, m, 0.0), u) for m, u in unmet.items()}
        if p not in self._lp:
            self._lp[p] = _NodeLP(self, p)
        return self._lp[p].cost(unmet)


class _NodeLP:
    """One party's node problem as the model states it (formulation, "Products"): Unmet by tier, ProductUnmet by
    product and input, LostShare by product; rows: each mineral's unmet adds up, ProductUnmet <= LostShare s d."""

    def __init__(self, costs: ShortageCost, p: str):
        data = costs.data
        self.minerals = [m for (q, m) in data.pairs if q == p]
        products = costs.products.get(p, {})
        share = {m: sum(ins.get(m, 0.0) for ins in products.values()) for m in self.minerals}
        self.cols: list[tuple] = []
        cost, upper = [], []
        for m in self.minerals:
            for width, usd in costs.tiers(p, m, share[m]):
                self.cols.append(("tier", m))
                cost.append(usd)
                upper.append(width)
        for k, ins in products.items():
            for m, s in ins.items():
                self.cols.append(("product", k, m))
                cost.append(0.0)
                upper.append(s * data.consumption_t_per_month(p, m))
        for k in products:
            self.cols.append(("lost", k))
            cost.append(data.products[p, k].lost_value_usd_per_month)
            upper.append(1.0)
        self.usd = np.array(cost)
        self.index = {c: j for j, c in enumerate(self.cols)}
        self.products, self.d = products, {m: data.consumption_t_per_month(p, m) for m in self.minerals}
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        n = len(self.cols)
        h.addVars(n, np.zeros(n), np.array(upper))
        h.changeColsCost(n, np.arange(n, dtype=np.int32), self.usd)
        for m in self.minerals:  # sum of m's tier and product unmet = its unmet (set per call)
            cols = [j for j, c in enumerate(self.cols) if c[0] in ("tier", "product") and c[-1] == m]
            h.addRow(0.0, 0.0, len(cols), np.array(cols, dtype=np.int32), np.ones(len(cols)))
        for k, ins in products.items():
            for m, s in ins.items():
                js = np.array([self.index["product", k, m], self.index["lost", k]], dtype=np.int32)
                h.addRow(-highspy.kHighsInf, 0.0, 2, js, np.array([1.0, -s * self.d[m]]))
        self.h = h

    def cost(self, unmet: dict[str, float]) -> dict[str, float]:
        h = self.h
        for r, m in enumerate(self.minerals):
            u = min(unmet.get(m, 0.0), self.d[m])  # a gap never exceeds demand
            h.changeRowBounds(r, u, u)
        h.run()
        x = np.array(h.getSolution().col_value)
        out = {m: float(sum(self.usd[j] * x[j] for j, c in enumerate(self.cols) if c == ("tier", m)))
               for m in unmet}
        for k, ins in self.products.items():
            lost_usd = self.usd[self.index["lost", k]] * x[self.index["lost", k]]
            shares = {m: x[self.index["product", k, m]] / (s * self.d[m]) for m, s in ins.items()
                      if m in unmet and s > 0}
            total = sum(shares.values())
            for m, sh in shares.items():
                out[m] += float(lost_usd * (sh / total if total > 0 else 1.0 / len(shares)))
        return out


def _fill(tiers: list[tuple[float, float]], unmet: float) -> float:
    """Tiers filled cheapest first (their costs never fall), the rest at the top tier's cost."""
    usd, left = 0.0, unmet
    for width, price in tiers:
        take = min(left, width)
        usd, left = usd + take * price, left - take
    return usd + (left * tiers[-1][1] if left > TOL_T and tiers else 0.0)


# ---- the rule ---------------------------------------------------------------------------------------------------

@dataclass
class _States:
    """One pair's states in the tree for one kind of holder: features (months into the cut, then quantities in
    months of demand) and the share of what could be released that the model released."""

    features: list[np.ndarray] = field(default_factory=list)
    share: list[float] = field(default_factory=list)
    seen: dict[bytes, float] = field(default_factory=dict)

    def add(self, feature: np.ndarray, share: float) -> bool:
        """Keep a new state; False when the same state was already kept with another share (an ambiguity)."""
        key = np.round(feature, 9).tobytes()
        if key in self.seen:
            return abs(self.seen[key] - share) <= 1e-6
        self.seen[key] = share
        self.features.append(feature)
        self.share.append(share)
        return True


@dataclass
class OperatingRule:
    """States of the tree per (kind, party, mineral) -> the share of the releasable released (see module doc)."""

    data: ModelData
    hold: Holdings
    states: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]]
    ambiguous: int = 0  # tree states met twice with different releases (the replay may differ there)

    @property
    def state_count(self) -> int:
        """The tree's states the rule was derived from, over every holder and pair."""
        return sum(len(shares) for _features, shares in self.states.values())

    def share(self, kind: str, p: str, m: str, feature: np.ndarray) -> float:
        found = self.states.get((kind, p, m))
        if found is None:
            return 1.0  # a pair the tree never saw short: release what can be released
        features, shares = found
        distance = np.abs(features - feature).sum(axis=1)
        return float(shares[int(np.argmin(distance))])

    def table(self) -> pd.DataFrame:
        """The rule as a table an operator reads: per holder, party, mineral and month into the cut, the share of
        what could be released that is released (min, max over the tree's states)."""
        rows = []
        for (kind, p, m), (features, shares) in self.states.items():
            for k in sorted(set(features[:, 0].astype(int))):
                at = shares[features[:, 0] == k]
                rows.append({"holder": p if kind == NATIONAL else JOINT, "party": p, "mineral": m,
                             "months_into_cut": int(k), "states": len(at), "min_share_released": float(at.min()),
                             "max_share_released": float(at.max())})
        cols = ["holder", "party", "mineral", "months_into_cut", "states", "min_share_released",
                "max_share_released"]
        return pd.DataFrame(rows, columns=cols)


Choose = Callable[[str, int, np.ndarray, float], float]


class _Month:
    """The stock left during a replay, and one month of the rule: the one routine the rule is derived with and
    applied with, so that on the tree's own states it gives back the tree's releases."""

    def __init__(self, data: ModelData, hold: Holdings):
        self.data, self.hold = data, hold
        self.pairs = data.pairs
        self.d = np.array([data.consumption_t_per_month(p, m) for p, m in self.pairs])
        self.full = np.array([hold.national_t.get(pm, 0.0) for pm in self.pairs])
        self.rate = np.array([hold.national_rate_t_per_month.get(pm, 0.0) for pm in self.pairs])
        self.member = np.array([p in hold.members and hold.pool_t.get(m, 0.0) > TOL_T for p, m in self.pairs])
        demand_of: dict[str, float] = {}
        for (_p, m), d in zip(self.pairs, self.d, strict=True):
            demand_of[m] = demand_of.get(m, 0.0) + d
        self.mineral_d = demand_of
        self.of_mineral = {m: np.array([j for j, (_q, mm) in enumerate(self.pairs) if mm == m], dtype=int)
                           for m in demand_of}
        group_index = {m: g for g, ms in enumerate(data.mineral_groups) for m in ms}
        self.group_minerals = [data.mineral_groups[group_index[m]] for _p, m in self.pairs]
        self.group_of = [np.array([j for j, (_q, mm) in enumerate(self.pairs) if group_index[mm] == group_index[m]],
                                  dtype=int) for _p, m in self.pairs]
        self.left = self.full.copy()
        self.pool_left = dict(hold.pool_t)

    def features(self, kind: str, i: int, k: np.ndarray, gap: np.ndarray, g: float) -> np.ndarray:
        """The state a release at pair i is chosen from: its own months into the cut, gap g still open and stock
        left (national, or the pool's); the stock left of every pair of its mineral group (the minerals products
        tie together are decided together) and the pool's of each of the group's minerals; and every pair's months
        into its cut and gap (which minerals are cut, and to whom, tells one event from another, as the tree's
        nodes do). All in months of demand; only what has happened, never the cut's length."""
        m = self.pairs[i][1]
        own_left = self.left[i] / self.d[i] if kind == NATIONAL else self.pool_left.get(m, 0.0) / self.mineral_d[m]
        group = self.group_of[i]
        pools = [self.pool_left.get(mm, 0.0) / self.mineral_d[mm] for mm in self.group_minerals[i]]
        return np.concatenate(([k[i], g / self.d[i], own_left], self.left[group] / self.d[group], pools, k,
                               gap / self.d))

    def play(self, gap: np.ndarray, into_cut: np.ndarray, choose: Choose) -> tuple[np.ndarray, np.ndarray]:
        """This month's national releases and pool draws per pair, stock left updated."""
        released, drawn = np.zeros(len(self.pairs)), np.zeros(len(self.pairs))
        cap_left = dict(self.hold.pool_rate_t_per_month)
        short: list[int] = np.flatnonzero(gap > TOL_T).tolist()
        for i in short:
            m, g = self.pairs[i][1], gap[i]
            releasable = min(g, self.left[i], self.rate[i])
            if releasable > TOL_T:
                r = min(releasable, max(0.0, choose(NATIONAL, i, self.features(NATIONAL, i, into_cut, gap, g),
                                                    releasable)))
                released[i], self.left[i] = r, self.left[i] - r
            if self.member[i]:
                drawable = min(g - released[i], self.pool_left[m], cap_left[m])
                if drawable > TOL_T:
                    feature = self.features(POOL, i, into_cut, gap, g - released[i])
                    q = min(drawable, max(0.0, choose(POOL, i, feature, drawable)))
                    drawn[i], self.pool_left[m], cap_left[m] = q, self.pool_left[m] - q, cap_left[m] - q
        return released, drawn


def branch_matrices(data: ModelData, rows: pd.DataFrame, columns: tuple[str, ...]) -> list[np.ndarray]:
    """One branch's rows of scenario_outcomes.csv as pair x month arrays, one per column (0 where no row)."""
    out = [np.zeros((len(data.pairs), data.settings.horizon_months)) for _ in columns]
    if len(rows):
        index = {pm: i for i, pm in enumerate(data.pairs)}
        i = np.array([index[pm] for pm in zip(rows.party, rows.mineral, strict=True)], dtype=int)
        t = rows.month.to_numpy().astype(int) - 1
        for arr, col in zip(out, columns, strict=True):
            arr[i, t] = rows[col].to_numpy()
    return out


def release_share(done_t: float, releasable_t: float) -> float:
    """The share of what could be released that was, in [0, 1]: a release or a remainder within TOL_T is solver
    noise (a release of -3e-16 t is none, not a negative share)."""
    if done_t <= TOL_T:
        return 0.0
    if releasable_t - done_t <= TOL_T:
        return 1.0
    return min(1.0, done_t / releasable_t)


def derive(data: ModelData, res: Results) -> OperatingRule:
    """The rule from the solved model's releases on the tree's branches (scenario_outcomes.csv: the full stock)."""
    hold = holdings(data, res)
    horizon = data.settings.horizon_months
    states: dict[tuple[str, str, str], _States] = {}
    ambiguous = 0
    for _branch, rows in res["scenario_outcomes"].groupby("branch", sort=False):
        gap, rel, drw = branch_matrices(data, rows, ("gap_t", "released_t", "joint_draw_t"))
        month = _Month(data, hold)
        into_cut = np.zeros(len(data.pairs), dtype=int)
        for t in range(horizon):
            into_cut = np.where(gap[:, t] > TOL_T, into_cut + 1, 0)

            def record(kind: str, i: int, feature: np.ndarray, releasable: float, t: int = t,
                       rel: np.ndarray = rel, drw: np.ndarray = drw) -> float:
                nonlocal ambiguous
                done = (rel if kind == NATIONAL else drw)[i, t]
                p, m = data.pairs[i]
                if not states.setdefault((kind, p, m), _States()).add(feature, release_share(done, releasable)):
                    ambiguous += 1
                return done

            month.play(gap[:, t], into_cut, record)
    arrays = {key: (np.array(s.features), np.array(s.share)) for key, s in states.items() if s.share}
    return OperatingRule(data, hold, arrays, ambiguous)


# ---- replays ----------------------------------------------------------------------------------------------------

@dataclass
class Replay:
    """A replay month by month (arrays pair x month, pairs as data.pairs)."""

    gap_t: np.ndarray
    released_t: np.ndarray
    drawn_t: np.ndarray
    unmet_t: np.ndarray
    cost_usd: np.ndarray  # shortage cost with the stock
    cost_without_usd: np.ndarray | None  # and without any (None when not asked)
    national_left_t: np.ndarray  # at each month's end
    pool_left_t: dict[str, np.ndarray]
    stocked_out: np.ndarray  # bool: demand unmet while no stock the pair may use was left


def replay(rule: OperatingRule, cost: ShortageCost, gap: np.ndarray, refill_months: int | None = None,
           without: bool = False) -> Replay:
    """Run the rule over `gap` (pair x month) from the full stock. With `refill_months`, a holder buys back
    1/refill_months of its full stock (up to it) at the end of each month in which no pair it serves is cut."""
    data, hold = rule.data, rule.hold
    n, months = gap.shape
    month = _Month(data, hold)
    released, drawn = np.zeros((n, months)), np.zeros((n, months))
    national_left = np.zeros((n, months))
    pool_left = {m: np.zeros(months) for m in hold.pool_t}
    into_cut = np.zeros(n, dtype=int)

    def choose(kind: str, i: int, feature: np.ndarray, releasable: float) -> float:
        p, m = data.pairs[i]
        return rule.share(kind, p, m, feature) * releasable

    full = True  # every holder's stock full: a month without a cut changes nothing
    for t in range(months):
        into_cut = np.where(gap[:, t] > TOL_T, into_cut + 1, 0)
        if full and not into_cut.any():
            national_left[:, t] = month.full
            for m in pool_left:
                pool_left[m][t] = hold.pool_t[m]
            continue
        if into_cut.any():
            released[:, t], drawn[:, t] = month.play(gap[:, t], into_cut, choose)
        if refill_months:
            calm = gap[:, t] <= TOL_T  # no refill while the pair's supply is cut (the market it buys from is short)
            month.left = np.where(calm, np.minimum(month.full, month.left + month.full / refill_months), month.left)
            for m, whole in hold.pool_t.items():
                if not (gap[month.of_mineral[m], t] > TOL_T).any():
                    month.pool_left[m] = min(whole, month.pool_left[m] + whole / refill_months)
        national_left[:, t] = month.left
        for m in pool_left:
            pool_left[m][t] = month.pool_left[m]
        full = bool(refill_months) and bool((month.left >= month.full).all()) and all(
            month.pool_left[m] >= v for m, v in hold.pool_t.items())
    unmet = np.maximum(0.0, gap - released - drawn)
    usd = monthly_cost(data, cost, unmet)
    pool_of = np.array([pool_left[m] if month.member[i] else np.zeros(months)
                        for i, (_p, m) in enumerate(data.pairs)]).reshape(n, months)
    stocked_out = (unmet > TOL_T * np.maximum(1.0, month.d[:, None])) & (national_left + pool_of <= TOL_T)
    return Replay(gap, released, drawn, unmet, usd, monthly_cost(data, cost, gap) if without else None,
                  national_left, pool_left, stocked_out)


def monthly_cost(data: ModelData, cost: ShortageCost, unmet: np.ndarray) -> np.ndarray:
    """USD per pair and month for unmet tonnes per pair and month (the node problem, party by party)."""
    out = np.zeros_like(unmet)
    by_party: dict[str, list[int]] = {}
    for i, (p, _m) in enumerate(data.pairs):
        by_party.setdefault(p, []).append(i)
    for t in np.flatnonzero((unmet > TOL_T).any(axis=0)):
        for p, rows in by_party.items():
            short = {data.pairs[i][1]: unmet[i, t] for i in rows if unmet[i, t] > TOL_T}
            if short:
                usd = cost.of(p, short)
                for i in rows:
                    out[i, t] = usd.get(data.pairs[i][1], 0.0)
    return out


def tree_replay(rule: OperatingRule, cost: ShortageCost) -> pd.DataFrame:
    """The rule replayed on each of the tree's branches on its own (full stock, no refill): per branch, its
    probability and the replay's shortage cost beside the model's (its unmet, costed the same way)."""
    data = rule.data
    gaps = scenario_gaps(data)
    rows = []
    for s, scenario in data.scenarios.items():
        r = replay(rule, cost, gaps[s])
        rows.append({"branch": s, "probability_per_yr": scenario.probability_per_yr,
                     "replay_shortage_usd": float(r.cost_usd.sum()), "released_t": float(r.released_t.sum()),
                     "drawn_t": float(r.drawn_t.sum())})
    return pd.DataFrame(rows)


def model_branch_costs(data: ModelData, res: Results, cost: ShortageCost) -> pd.DataFrame:
    """Per branch: the model's own shortage cost (its unmet in scenario_outcomes.csv, costed by the node problem)
    and tonnes released and drawn."""
    out = res["scenario_outcomes"]
    rows = []
    for s in data.scenarios:
        part = out[out.branch == s]
        (unmet,) = branch_matrices(data, part, ("unmet_t",))
        rows.append({"branch": s, "model_shortage_usd": float(monthly_cost(data, cost, unmet).sum()),
                     "model_released_t": float(part.released_t.sum()), "model_drawn_t": float(part.joint_draw_t.sum())})
    return pd.DataFrame(rows)
