"""The results folder of `stockpile solve`: tables, solver.json, summary.md, coverage and
shortfall plots."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..data import DAYS_PER_MONTH, ModelData
from ..outdir import results_folder
from ..results import Results
from .common import _bar_chart, _md, _t, _usd, draw, plt, provenance, solver_line, warnings_section, write_tables

JOGMEC_DAYS, KOMIR_DAYS = 60, 100


def write_results(out: str | Path, data: ModelData, res: Results, overwrite: bool = False) -> Path:
    """The whole folder for `stockpile solve`."""
    with results_folder(out, overwrite, "solve") as tmp:
        res.warnings.extend(write_tables(tmp, res.tables))
        (tmp / "solver.json").write_text(json.dumps(res.facts.to_dict(), indent=2, default=str))
        draw(res.warnings, plot_coverage, res["coverage"], tmp / "coverage.png")
        draw(res.warnings, plot_shortfalls, res, tmp / "shortfall_paths.png")
        (tmp / "summary.md").write_text(summary(data, res))
    return Path(out)

def summary(data: ModelData, res: Results) -> str:
    facts = res.facts
    cov, stock, costs = res["coverage"], res["stock"], res["costs"]
    total = costs.loc[costs.term == "total", "usd_per_yr"].iloc[0]
    held = stock[stock.stock_t > 0]
    out = [f"# Stockpile recommendation — {Path(data.source).name}", ""]
    if facts.status == "time_limit":
        out += [f"> **Warning: the time limit ({facts.time_limit_s:g} s) was hit; this is the best solution found, "
                f"not a proven optimum (gap {facts.relative_gap:.2%}).**", ""]
    out += [
        f"Expected annual cost **{_usd(total)}/yr** (holding + fixed costs + probability-weighted shortage and "
        f"refill costs over {len(data.scenarios)} disruption scenarios, {data.settings.horizon_months}-month horizon). "
        f"New acquisitions: **{_usd(held.acquisition_usd.sum())}**, one-off.", "",
        "## Recommended stock", "",
        _md(held.assign(value_usd_m=held.stock_t * held.mineral.map(
            lambda m: data.minerals[m].price_usd_per_t) / 1e6, acquisition_usd_m=held.acquisition_usd / 1e6)[
            ["holder", "mineral", "stock_t", "value_usd_m", "acquisition_usd_m", "release_option"]]), "",
        f"## Coverage (months of {data.settings.coverage_basis.replace('_', ' ')}, "
        "national + claim on the joint pool)",
        "",
    ]
    pivot = cov.pivot(index="mineral", columns="party", values="coverage_months").reindex(list(data.minerals))
    out += [_md(pivot.reset_index()), ""]
    days = cov.coverage_days
    out += [f"Against the benchmarks: {int((days >= JOGMEC_DAYS).sum())} of {len(cov)} party-mineral pairs reach "
            f"JOGMEC's 60 days; {int((days >= KOMIR_DAYS).sum())} reach KOMIR's 100 days "
            f"(1 month = {DAYS_PER_MONTH} days).", ""]
    out += ["## Release rules", "", *release_rules_in_words(data, res), ""]
    scen = res["scenarios"].sort_values("shortage_cost_usd", ascending=False)
    out += ["## Worst scenarios (shortage cost if the scenario happens)", "",
            _md(scen.head(5).assign(shortage_cost_usd_m=scen.shortage_cost_usd / 1e6)[
                ["scenario", "probability_per_yr", "shortage_cost_usd_m", "unmet_t", "months_survived"]], ",.2f"), ""]
    out += ["## Cost terms", "", _md(costs.assign(usd_m_per_yr=costs.usd_per_yr / 1e6)[["term", "usd_m_per_yr"]],
                                     ",.2f"), ""]
    out += warnings_section([*data.warnings, *res.warnings])
    out += ["## Solver", "", solver_line(facts), "", *provenance(data), ""]
    return "\n".join(out)

def release_rules_in_words(data: ModelData, res: Results, per_pair: int = 2) -> list[str]:
    """One line per holder and mineral: capacity, then the release path of its main scenarios."""
    stock, outcomes = res["stock"], res["scenario_outcomes"]
    lines = []
    for row in stock[stock.stock_t > 0].itertuples():
        rate = data.release_options[row.release_option].max_release_share_per_month if row.release_option else 0
        head = (f"- **{row.holder} {row.mineral}**: {_t(row.stock_t)} t, '{row.release_option}' capacity "
                f"(up to {rate:.0%} = {_t(rate * row.stock_t)} t a month).")
        col = "joint_draw_t" if row.holder == "JOINT" else "released_t"
        sel = outcomes if row.holder == "JOINT" else outcomes[outcomes.party == row.holder]
        sel = sel[(sel.mineral == row.mineral)]
        paths = []
        by_scen = sel.groupby(["scenario", "month"], sort=False)[col].sum().reset_index()
        ranked = by_scen.groupby("scenario")[col].sum().sort_values(ascending=False)
        for s in ranked.index[:per_pair]:
            if ranked[s] <= 1e-6:
                continue
            path = by_scen[(by_scen.scenario == s) & (by_scen[col] > 1e-6)]
            steps = ", ".join(f"m{int(r.month)} {_t(r[col])}" for _, r in path.head(8).iterrows())
            more = " …" if len(path) > 8 else ""
            paths.append(f"{s}: {steps}{more} t")
        lines.append(head + (" Releases — " + "; ".join(paths) + "." if paths else " Not drawn in any scenario."))
    return lines


# ---- plots ------------------------------------------------------------------------------
def plot_coverage(cov: pd.DataFrame, path: Path) -> None:
    pivot = cov.pivot(index="mineral", columns="party", values="coverage_months").fillna(0)
    pivot = pivot.reindex(list(dict.fromkeys(cov.mineral)))
    _bar_chart(pivot, path, "coverage, months",
               "Coverage by mineral and party (national stock + claim on the joint pool)",
               [(JOGMEC_DAYS / DAYS_PER_MONTH, {"color": "grey", "ls": "--"}, "JOGMEC 60 days"),
                (KOMIR_DAYS / DAYS_PER_MONTH, {"color": "black", "ls": ":"}, "KOMIR 100 days")])


def plot_shortfalls(res: Results, path: Path, worst: int = 3) -> None:
    scen = res["scenarios"].sort_values("shortage_cost_usd", ascending=False).head(worst)
    out = res["scenario_outcomes"]
    fig, axes = plt.subplots(1, max(1, len(scen)), figsize=(4.2 * max(1, len(scen)), 3.6), squeeze=False)
    for ax, s in zip(axes[0], scen.scenario, strict=False):
        g = out[out.scenario == s].groupby(["mineral", "month"]).unmet_t.sum().unstack(0)
        shown = g.loc[:, g.sum() > 1e-6] if len(g) else g
        if shown.shape[1]:
            shown.plot(ax=ax, lw=1.5)
        ax.set_title(s, fontsize=9)
        ax.set_xlabel("month of disruption")
        ax.set_ylabel("unmet demand, t/month")
    fig.suptitle("Unmet demand paths of the worst scenarios (all parties)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
