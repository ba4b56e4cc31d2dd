"""What the purchase schedule runs into: which purchase caps and budgets bind, and what each binding
cap costs (the optimum re-solved without it), for acquisition.csv's readers and summary.md."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..common.progress import step
from ..io.data import ModelData
from ..model.scenario_tree import build_tree
from ..solver.decompose import group_name, group_of, only_minerals, solve_subproblem, with_dominant_membership
from ..solver.pipeline import run
from ..solver.results import Results
from ..solver.threads import thread_map

TOL = 1e-6
CAP_COLUMNS = ["mineral", "cap_t_per_yr", "binding_years", "cap_cost_usd_per_yr", "cost_precision_usd_per_yr"]


def binding_caps(data: ModelData, acquisition: pd.DataFrame) -> pd.DataFrame:
    """(year, mineral) whose purchases by all holders reach the cap."""
    per_year = acquisition.groupby(["year", "mineral"], as_index=False).bought_t.sum()
    cap = per_year.mineral.map(lambda mi: data.minerals[mi].purchase_cap_t_per_yr)
    hit = cap.notna() & (per_year.bought_t >= cap.astype(float) * (1 - TOL) - TOL)
    return per_year[hit].assign(cap_t_per_yr=cap[hit].astype(float)).reset_index(drop=True)


def cap_costs(data: ModelData, res: Results, workers: int = 1) -> pd.DataFrame:
    """Per mineral with a binding cap: the objective without its cap minus with it (USD/yr), and the
    precision of that difference (the two solves' gaps summed). By mineral when the solve was; else
    one row for all binding caps together (one re-solve of the whole model). `workers`: re-solves at once."""
    binding = binding_caps(data, res["acquisition"])
    if binding.empty:
        return pd.DataFrame(columns=CAP_COLUMNS)
    years = binding.groupby("mineral").year.apply(lambda ys: ",".join(map(str, sorted(ys))))
    if res.facts.decomposition.startswith("by mineral"):
        rows = list(thread_map(_one_cap, [(data, res, mi) for mi in years.index], workers))
    else:
        rows = [_all_caps(data, res, list(years.index), workers)]
    frame = pd.DataFrame(rows, columns=["mineral", "cap_cost_usd_per_yr", "cost_precision_usd_per_yr"])
    frame["cap_t_per_yr"] = [data.minerals[mi].purchase_cap_t_per_yr if mi in data.minerals else None
                             for mi in frame.mineral]
    frame["binding_years"] = frame.mineral.map(years).fillna(",".join(sorted(set(years))))
    return frame[CAP_COLUMNS]


def without_caps(data: ModelData, minerals: list[str]) -> ModelData:
    return replace(data, minerals={mi: replace(m, max_purchase_share_per_yr=None) if mi in minerals else m
                                   for mi, m in data.minerals.items()})


def _one_cap(data: ModelData, res: Results, mineral: str) -> tuple[str, float, float]:
    group = group_of(data, mineral)  # the minerals solved with it (products tie them together)
    step(f"what the purchase cap on {mineral} costs: re-solving {group_name(group)} without it")
    s = next(s for s in res.facts.subproblems if s["mineral"] == group_name(group))
    capped = replace(res.facts, objective_usd_per_yr=s["objective_usd_per_yr"],
                     best_bound_usd_per_yr=s["best_bound_usd_per_yr"])
    free = with_dominant_membership(without_caps(data, [mineral]))
    sub, tree = only_minerals(free, build_tree(free), group)
    part = solve_subproblem(sub, tree, {"mip_rel_gap": data.settings.mip_rel_gap}, detail=False)
    return mineral, *_difference(capped, part.facts if isinstance(part, Results) else part)


def _all_caps(data: ModelData, res: Results, minerals: list[str], workers: int) -> tuple[str, float, float]:

    free = run(without_caps(data, minerals), warnings=False, detail=False, workers=workers).facts
    return "+".join(minerals), *_difference(res.facts, free)


def _difference(capped, free) -> tuple[float, float]:
    """Incumbents' difference, and how far the true difference may lie from it (both gaps)."""
    return (capped.objective_usd_per_yr - free.objective_usd_per_yr,
            capped.gap_usd_per_yr + free.gap_usd_per_yr)
