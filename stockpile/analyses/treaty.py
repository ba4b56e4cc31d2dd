"""What a treaty signs (docs/formulation.md, "The pool as a treaty"): the pool's cash needs in each build year and
after, split among the members by a cost-sharing rule (funding.csv), and what joining is worth to each member
under each rule (participation.csv), with the split nearest the shown rule (treaty_rule) that lifts the members
who gain least.

Cash is what the pool pays: purchases in the build year they are made, holding (capital charge, storage and the
release option's cost on the stock held that year) and the pool's fixed costs (its minerals' joint_fixed_usd_per_yr
and settings.pool_fixed_usd_per_yr). Shortage costs are losses the stock avoids, borne by industry: never a payment.
A rule splits the cash in proportion to its split of the game's cost (cost_usd_per_yr in sharing.csv).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.data import ModelData
from ..model import JOINT
from ..model.joint_pool import pool_fixed_cost
from ..solver.results import Results
from .core_verdicts import IN_CORE
from .game import Game
from .sharing import ScaledGame, _add_rows, _highs, _solve, least_core_slack

STEADY = "steady"  # funding.csv's year for every year after the build-up
FUNDING_COLUMNS = ["rule", "party", "year", "purchases_usd", "holding_usd", "pool_fixed_usd", "total_usd"]
PARTICIPATION_COLUMNS = ["rule", "party", "standalone_usd_per_yr", "cost_usd_per_yr", "saving_usd_per_yr",
                         "saving_share_of_standalone", "contribution_usd_per_yr", "build_up_cash_usd",
                         "steady_cash_usd_per_yr", "saving_per_usd_committed"]
FLOOR = "saving_floor"  # participation.csv's rule: the split nearest the shown rule that lifts the least gainers


def pool_cash(data: ModelData, grand: Results) -> pd.DataFrame:
    """The pool's cash needs: one row per build year 1..Y and `steady`; purchases, holding, fixed, total (USD)."""
    stock = grand["stock"]
    pool = stock[(stock.holder == JOINT) & (stock.stock_t > 0)].set_index("mineral")
    acq = grand["acquisition"]
    acq = acq[acq.holder == JOINT]
    years = data.settings.build_years
    # USD a tonne held costs a year: capital on its acquisition price and storage, plus its release option's cost
    per_t = {m: data.minerals[m].holding_usd_per_t_yr + (
        data.release_options[row.release_option].usd_per_t_yr if row.release_option in data.release_options else 0.0)
        for m, row in pool.iterrows()}
    fixed = sum(data.minerals[m].joint_fixed_usd_per_yr for m in pool.index) + pool_fixed_cost(data)
    rows: list[tuple[int | str, float, float, float]] = []
    held = dict.fromkeys(pool.index, 0.0)
    for y in range(1, years + 1):
        bought = acq[acq.year == y]
        for m, t in bought.groupby("mineral").bought_t.sum().items():
            held[m] = held.get(m, 0.0) + t  # bought at the year's start (model/buildup.py), held all year
        if y == years:
            held = {m: float(pool.stock_t[m]) for m in pool.index}  # the full pool, whatever rounding left
        rows.append((y, float(bought.usd.sum()), sum(per_t[m] * held.get(m, 0.0) for m in pool.index), fixed))
    rows.append((STEADY, 0.0, sum(per_t[m] * float(pool.stock_t[m]) for m in pool.index), fixed))
    out = pd.DataFrame(rows, columns=["year", "purchases_usd", "holding_usd", "pool_fixed_usd"])
    out["total_usd"] = out.purchases_usd + out.holding_usd + out.pool_fixed_usd
    return out


def treaty_rule(sharing: pd.DataFrame, reference: str) -> str:
    """The rule a treaty is shown with (the report's cash and participation sections, the saving floor's start): the
    reference when it is proved in the core, else `optimised` (the split in the core nearest the reference) when it
    is, else the reference still (funding.csv has every funded rule)."""
    verdict = sharing.groupby("rule", sort=False).core_verdict.first()
    if verdict.get(reference) == IN_CORE or verdict.get("optimised") != IN_CORE:
        return reference
    return "optimised"


def funded_rules(sharing: pd.DataFrame, reference: str) -> list[str]:
    """The reference rule and every rule proved in the core, in sharing.csv's order."""
    verdict = sharing.groupby("rule", sort=False).core_verdict.first()
    return [r for r, v in verdict.items() if r == reference or v == IN_CORE]


def funding(data: ModelData, grand: Results, sharing: pd.DataFrame, rules: list[str]) -> pd.DataFrame:
    """funding.csv: each rule's split of the pool's cash, per party and year: share = the party's cost under the
    rule / the sum over parties (the game's cost split); the parties' rows of a year add up to the pool's."""
    cash = pool_cash(data, grand)
    rows = []
    for rule in rules:
        shares = cash_shares(sharing[sharing.rule == rule].set_index("party").cost_usd_per_yr.to_dict())
        for party, share in shares.items():
            for r in cash.itertuples(index=False):
                rows.append({"rule": rule, "party": party, "year": r.year, "purchases_usd": share * r.purchases_usd,
                             "holding_usd": share * r.holding_usd, "pool_fixed_usd": share * r.pool_fixed_usd,
                             "total_usd": share * r.total_usd})
    return pd.DataFrame(rows, columns=FUNDING_COLUMNS)


def participation(game: Game, sharing: pd.DataFrame, fund: pd.DataFrame, shown: str
                  ) -> tuple[pd.DataFrame, dict[str, float] | None]:
    """participation.csv: per rule (those funded, and the saving floor) and party, what joining saves against
    going alone, the cash it commits (build-up years together, and a steady year) and a year's saving per dollar
    of build-up cash. Also the saving floor's split, from the rule the report shows (treaty_rule; None when that
    rule is not in the table)."""
    ref = sharing[sharing.rule == shown].set_index("party").cost_usd_per_yr
    floor = saving_floor(game, ref.to_dict()) if len(ref) and game.complete else None  # needs every coalition
    split = {rule: sharing[sharing.rule == rule].set_index("party").cost_usd_per_yr.to_dict()
             for rule in dict.fromkeys(fund.rule)}
    if floor is not None:
        split[FLOOR] = floor
    # what a member pays towards the pool beyond its own national stock and shortages (sharing.csv's column)
    own = game.own_costs()
    cash = pool_totals(fund)
    rows = []
    for rule, x in split.items():  # every rule, the floor too, funds the pool in proportion to its split
        shares = cash_shares(x)
        for p in game.players:
            alone = game.value[frozenset([p])]
            saving = alone - x[p]
            up, year = shares[p] * cash["build_up"], shares[p] * cash["steady"]
            rows.append({"rule": rule, "party": p, "standalone_usd_per_yr": alone, "cost_usd_per_yr": x[p],
                         "saving_usd_per_yr": saving, "saving_share_of_standalone": saving / alone if alone else np.nan,
                         "contribution_usd_per_yr": x[p] - own[p] if p in own else np.nan,
                         "build_up_cash_usd": up, "steady_cash_usd_per_yr": year,
                         "saving_per_usd_committed": saving / up if up > 0 else np.nan})
    return pd.DataFrame(rows, columns=PARTICIPATION_COLUMNS), floor


def cash_shares(split: dict[str, float]) -> dict[str, float]:
    """Each party's share of the pool's cash under a rule: its part of the rule's split of the game's cost
    (equal shares when the split sums to 0)."""
    total = sum(split.values())
    return {p: (x / total if total else 1.0 / len(split)) for p, x in split.items()}


def pool_totals(fund: pd.DataFrame) -> dict[str, float]:
    """The pool's build-up cash and a steady year's, from any one rule's rows of funding.csv."""
    if fund.empty:
        return {"build_up": 0.0, "steady": 0.0}
    one = fund[fund.rule == fund.rule.iloc[0]]
    return {"build_up": float(one[one.year != STEADY].total_usd.sum()),
            "steady": float(one[one.year == STEADY].total_usd.sum())}


def saving_floor(game: Game, reference: dict[str, float]) -> dict[str, float] | None:
    """The split nearest `reference` (Euclidean) in the core (least core when it is empty) in which every member
    saves at least f* of its stand-alone cost, f* the largest share the core allows every member at once:
    max f s.t. x(N) = v(N), x(C) <= v(C) + slack, x_p <= (1 - f) v({p}). None when no member has a stand-alone
    cost (nothing to be a share of)."""
    g = ScaledGame(game)
    n = len(game.players)
    alone = np.array([game.value[frozenset([p])] for p in game.players]) / g.scale
    if (alone <= 0).all():
        return None
    slack = max(0.0, least_core_slack(game)) / g.scale + 1e-9
    f_star = _largest_floor(g, alone, slack)
    cap = (1.0 - f_star) * alone + 1e-9
    r = np.array([reference[p] for p in game.players]) / g.scale
    if (g.rows @ r - g.v - slack).max(initial=0.0) <= 1e-9 and (r - cap).max() <= 1e-9:
        return dict(reference)  # the reference already gives every member the floor: nothing to change
    x = _project(g, r, slack, cap)
    x += (g.vn - x.sum()) / n  # exact efficiency, as closest_in_core
    return dict(zip(game.players, (x * g.scale).tolist(), strict=True))


def _largest_floor(g: ScaledGame, alone: np.ndarray, slack: float) -> float:
    """max f over (x, f): x(N) = v(N), rows x <= v + slack, x_p + f alone_p <= alone_p (an LP in HiGHS)."""
    n, inf = len(g.players), float("inf")
    h = _highs(n + 1, [-inf] * n + [-inf], [inf] * n + [inf], [0.0] * n + [-1.0])
    _add_rows(h, [np.append(row, 0.0) for row in g.rows], [-inf] * len(g.proper), g.v + slack)
    _add_rows(h, [np.append(np.eye(n)[i], alone[i]) for i in range(n)], [-inf] * n, alone)
    _add_rows(h, [np.append(np.ones(n), 0.0)], [g.vn], [g.vn])
    return float(_solve(h)[-1])


def _project(g: ScaledGame, r: np.ndarray, slack: float, cap: np.ndarray) -> np.ndarray:
    """argmin 1/2 ||x - r||^2 s.t. x(N) = v(N), rows x <= v + slack, x <= cap (SLSQP from the floor LP's point)."""
    from scipy.optimize import minimize  # here, as sharing._project_slsqp: start-up time of every other command

    n = len(g.players)
    x0 = _floor_point(g, slack, cap)
    cons = [{"type": "eq", "fun": lambda x: x.sum() - g.vn, "jac": lambda x: np.ones_like(x)},
            {"type": "ineq", "fun": lambda x: g.v + slack - g.rows @ x, "jac": lambda x: -g.rows},
            {"type": "ineq", "fun": lambda x: cap - x, "jac": lambda x: -np.eye(n)}]
    res = minimize(lambda x: 0.5 * float((x - r) @ (x - r)), x0, jac=lambda x: x - r, constraints=cons,
                   method="SLSQP", options={"ftol": 1e-15, "maxiter": 1000})
    ok = res.success and (g.rows @ res.x - g.v - slack).max(initial=0.0) <= 1e-8 and (res.x - cap).max() <= 1e-8
    return res.x if ok else x0


def _floor_point(g: ScaledGame, slack: float, cap: np.ndarray) -> np.ndarray:
    """A feasible point of the floor's set: an LP with no objective."""
    n, inf = len(g.players), float("inf")
    h = _highs(n, [-inf] * n, cap, [0.0] * n)
    _add_rows(h, g.rows, [-inf] * len(g.proper), g.v + slack)
    _add_rows(h, [np.ones(n)], [g.vn], [g.vn])
    return _solve(h)
