"""What the purchase schedule runs into: which purchase caps and budgets bind, and what each binding
cap costs (the optimum re-solved without it), for acquisition.csv's readers and summary.md."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pandas as pd

from ..common.progress import step
from ..io.data import ModelData
from ..model.scenario_tree import ScenarioTree, build_tree
from ..solver.decompose import group_name, group_of, only_minerals, solve_subproblem, with_dominant_membership
from ..solver.facts import SolverFacts
from ..solver.pipeline import run
from ..solver.results import Results, facts_of
from ..solver.starts import Start
from .what_if import Answer, Job, Plan, run_plans, work_of

TOL = 1e-6
NAME = "purchase cap cost"
CAP_COLUMNS = ["mineral", "cap_t_per_yr", "binding_years", "cap_cost_usd_per_yr", "cost_precision_usd_per_yr"]


def binding_caps(data: ModelData, acquisition: pd.DataFrame) -> pd.DataFrame:
    """(year, mineral) whose purchases by all holders reach the cap."""
    per_year = acquisition.groupby(["year", "mineral"], as_index=False).bought_t.sum()
    cap = per_year.mineral.map(lambda mi: data.minerals[mi].purchase_cap_t_per_yr)
    hit = cap.notna() & (per_year.bought_t >= cap.astype(float) * (1 - TOL) - TOL)
    return per_year[hit].assign(cap_t_per_yr=cap[hit].astype(float)).reset_index(drop=True)


def cap_costs(data: ModelData, res: Results, workers: int = 1) -> pd.DataFrame:
    """What each binding cap costs (see cap_plan), its re-solves `workers` at a time."""
    return run_plans([cap_plan(data, res)], workers)[0]  # type: ignore[return-value]


def cap_plan(data: ModelData, res: Results) -> Plan:
    """Per mineral with a binding cap: the objective without its cap minus with it (USD/yr), and the
    precision of that difference (the two solves' gaps summed). By mineral when the solve was (a re-solve of
    the cap's group of minerals); else one row for all binding caps together (one re-solve of the whole model)."""
    binding = binding_caps(data, res["acquisition"])
    if binding.empty:
        return Plan(NAME, [], lambda _answers: pd.DataFrame(columns=CAP_COLUMNS))
    years = binding.groupby("mineral").year.apply(lambda ys: ",".join(map(str, sorted(ys))))
    minerals = list(years.index)
    if res.facts.decomposition.startswith("by mineral"):
        subs = {mi: _without_cap(data, mi) for mi in minerals}
        jobs = [Job(mi, work_of(sub), partial(_free_group, mi, sub, tree, data.settings.mip_rel_gap,
                                              res.facts.start_of(group_name(list(sub.minerals)))))
                for mi, (sub, tree) in subs.items()]
        return Plan(NAME, jobs, partial(_by_mineral, data, res, years))
    joined = "+".join(minerals)
    return Plan(NAME, [Job(joined, float("inf"), partial(_free_whole, data, minerals))],
                lambda answers: _table(data, years, [(joined, *_difference(res.facts, answers[joined]))]))


def _without_cap(data: ModelData, mineral: str) -> tuple[ModelData, ScenarioTree]:
    """The data of `mineral`'s group of minerals (products tie them together) without its cap, and its tree."""
    free = with_dominant_membership(without_caps(data, [mineral]))
    return only_minerals(free, build_tree(free), group_of(data, mineral))


def _free_group(mineral: str, sub: ModelData, tree: ScenarioTree, gap: float, warm: Start | None) -> Answer:
    step(f"what the purchase cap on {mineral} costs: re-solving {group_name(list(sub.minerals))} without it")
    return solve_subproblem(sub, tree, {"mip_rel_gap": gap}, detail=False, warm=warm)  # from the capped answer


def _free_whole(data: ModelData, minerals: list[str]) -> SolverFacts:
    step(f"what the purchase caps on {', '.join(minerals)} cost: re-solving without them")
    return run(without_caps(data, minerals), warnings=False, detail=False).facts


def _by_mineral(data: ModelData, res: Results, years: pd.Series, answers: dict) -> pd.DataFrame:
    rows = []
    for mineral in years.index:
        group = group_name(group_of(data, mineral))
        s = next(s for s in res.facts.subproblems if s["mineral"] == group)
        capped = replace(res.facts, objective_usd_per_yr=s["objective_usd_per_yr"],
                         best_bound_usd_per_yr=s["best_bound_usd_per_yr"])
        rows.append((mineral, *_difference(capped, facts_of(answers[mineral]))))
    return _table(data, years, rows)


def _table(data: ModelData, years: pd.Series, rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["mineral", "cap_cost_usd_per_yr", "cost_precision_usd_per_yr"])
    frame["cap_t_per_yr"] = [data.minerals[mi].purchase_cap_t_per_yr if mi in data.minerals else None
                             for mi in frame.mineral]
    frame["binding_years"] = frame.mineral.map(years).fillna(",".join(sorted(set(years))))
    return frame[CAP_COLUMNS]


def without_caps(data: ModelData, minerals: list[str]) -> ModelData:
    return replace(data, minerals={mi: replace(m, max_purchase_share_per_yr=None) if mi in minerals else m
                                   for mi, m in data.minerals.items()})


def _difference(capped, free) -> tuple[float, float]:
    """Incumbents' difference, and how far the true difference may lie from it (both gaps)."""
    return (capped.objective_usd_per_yr - free.objective_usd_per_yr,
            capped.gap_usd_per_yr + free.gap_usd_per_yr)
