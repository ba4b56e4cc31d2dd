"""One answer from a decomposed solve's subproblems: tables concatenated (coverage in workbook order) or summed
(costs, each branch's outcomes), facts summed (objective, bound, seconds, model size), the status optimal
only when every subproblem's is."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..io.data import ModelData
from ..model import JOINT, MARKET
from ..model.joint_pool import pool_fixed_cost
from .decompose import group_name
from .facts import SolverFacts, relative_gap
from .results import Results


def merge(data: ModelData, parts: list[Results]) -> Results:
    """One Results from the minerals' (tables concatenated or summed, facts summed)."""
    names = list(dict.fromkeys(name for p in parts for name in p.tables))  # products' tables only where they are
    tables: dict[str, pd.DataFrame] = {
        name: pd.concat([p.tables[name] for p in parts if name in p.tables], ignore_index=True)
        for name in ("stock", "release_rules", "scenario_outcomes", "survival", "acquisition", "product_outcomes",
                     "product_costs", "drawing_rights", "borrowing") if name in names}
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
    return Results(_merge_facts(data, [p.facts for p in parts]), {k: tables[k] for k in names})


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
    objective = sum(f.objective_usd_per_yr or 0.0 for f in facts)  # every part has a solution (pipeline.run)
    bound = sum(f.best_bound_usd_per_yr if f.best_bound_usd_per_yr is not None else f.objective_usd_per_yr or 0.0
                for f in facts)
    statuses = {f.status for f in facts}
    seconds: dict[str, float] = {}
    for f in facts:
        for k, v in f.seconds.items():
            seconds[k] = seconds.get(k, 0.0) + v
    merged = replace(facts[0], stage_seconds={}, what_if_solves=[],
                     status="optimal" if statuses == {"optimal"} else "time_limit",
                     termination="+".join(sorted({f.termination for f in facts})), objective_usd_per_yr=objective,
                     best_bound_usd_per_yr=bound, relative_gap=relative_gap(objective, bound),
                     mip_rel_gap_setting=data.settings.mip_rel_gap, seconds=seconds,
                     variables=sum(f.variables for f in facts), constraints=sum(f.constraints for f in facts),
                     integer_variables=sum(f.integer_variables for f in facts), inputs=data.source,
                     reused_subproblems=sum(f.reused_subproblems for f in facts),
                     inputs_sha256=data.sha256, run_spec=data.run_spec, run_spec_sha256=data.run_spec_sha256)
    merged.decomposition = f"by mineral: {len(facts)} subproblems (the scenario tree of all minerals)"
    names = [group_name(g) for g in data.mineral_groups]  # as solve_by_mineral
    merged.subproblems = [{"mineral": m, "status": f.status, "objective_usd_per_yr": f.objective_usd_per_yr,
                           "best_bound_usd_per_yr": f.best_bound_usd_per_yr, "proof": f.proof,
                           "reused": bool(f.reused_subproblems), "seconds": round(sum(f.seconds.values()), 3)}
                          for m, f in zip(names, facts, strict=True)]
    merged.start = None
    merged.starts = {m: f.start for m, f in zip(names, facts, strict=True) if f.start is not None}
    return merged


def with_pool_fixed(data: ModelData, res: Results) -> Results:
    """res with the pool's own running cost (joint_pool.pool_fixed_cost) added once: a row `pool_fixed` of
    costs.csv, the pool's fixed cost in party_costs.csv, the objective and its bound; res itself when it is 0."""
    fixed = pool_fixed_cost(data)
    if fixed <= 0:
        return res
    tables = dict(res.tables)
    costs = tables["costs"]
    body = costs[costs.term != "total"]
    rows = pd.concat([body, pd.DataFrame({"term": ["pool_fixed"], "usd_per_yr": [fixed]})], ignore_index=True)
    tables["costs"] = pd.concat([rows, pd.DataFrame({"term": ["total"], "usd_per_yr": [float(rows.usd_per_yr.sum())]})],
                                ignore_index=True)
    party = tables["party_costs"].copy()
    at = party.holder == JOINT
    party.loc[at, "programme_fixed_usd_per_yr"] += fixed
    party.loc[at, "total_usd_per_yr"] += fixed
    tables["party_costs"] = party
    f = res.facts
    objective = None if f.objective_usd_per_yr is None else f.objective_usd_per_yr + fixed
    bound = None if f.best_bound_usd_per_yr is None else f.best_bound_usd_per_yr + fixed
    facts = replace(f, objective_usd_per_yr=objective, best_bound_usd_per_yr=bound,
                    relative_gap=relative_gap(objective, bound))
    out = Results(facts, tables)
    out.warnings = list(res.warnings)
    return out
