"""The results folder of `stockpile share`: coalition values, each rule's split, core checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data import ModelData
from ..outdir import results_folder
from .common import _bar_chart, _md, _usd, draw, provenance, solver_line, warnings_section, write_tables


def write_share(out: str | Path, sharing, overwrite: bool = False) -> list[str]:
    """The whole folder for `stockpile share` (an api.Sharing); returns the notes it put in summary.md."""
    tables, notes = sharing.tables, list(sharing.notes)
    with results_folder(out, overwrite, "share") as tmp:
        notes += write_tables(tmp, tables)
        draw(notes, plot_sharing, tables["sharing"], tmp / "sharing.png")
        (tmp / "summary.md").write_text(share_summary(
            sharing.data, tables["coalitions"], tables["sharing"], sharing.least_core_slack, sharing.core_status,
            sharing.uncertainty, sharing.game.facts[sharing.game.grand_coalition], notes))
    return notes


def _saving_headline(grand, noise: float) -> str:
    """Pooling's saving, stated as a finding only when it exceeds what the solver gaps can explain."""
    saving, band = grand.saving_usd_per_yr, 2 * noise
    if abs(saving) <= band:
        return (f"a saving that **cannot be told from zero at this MIP gap** ({_usd(saving)}/yr, inside the "
                f"solver's uncertainty of ±{_usd(band)}/yr; tighten `--mip-rel-gap` to settle it)")
    return f"a saving of **{_usd(saving)}/yr** (solver uncertainty ±{_usd(band)}/yr)"


def share_summary(data: ModelData, coalitions: pd.DataFrame, sharing: pd.DataFrame, t_star: float,
                  status: str, noise: float, grand_facts, notes: list[str] = ()) -> str:
    players = list(dict.fromkeys(sharing.party))
    grand = coalitions.loc[coalitions["size"].idxmax()]
    out = [f"# Joint stockpile: who pays what — {Path(data.source).name}", ""]
    if (coalitions.status != "optimal").any():
        out += [f"> **Warning: {int((coalitions.status != 'optimal').sum())} coalition solve(s) stopped at the "
                "time limit; their values are not proven optima.**", ""]
    out += [f"Going alone, the {len(players)} parties would spend {_usd(grand.standalone_sum_usd_per_yr)}/yr "
            f"(expected annual cost); pooling all of them costs {_usd(grand.cost_usd_per_yr)}/yr, "
            f"{_saving_headline(grand, noise)}.", ""]
    if status == "empty":
        out += [f"**The core is empty**: whatever the split, some coalition would do better on its own by at least "
                f"{_usd(t_star)}/yr (least-core slack). `least_core` and `optimised` minimise that temptation.", ""]
    elif status == "non-empty":
        out += [f"The core is not empty: there are splits no coalition would walk away from (least-core slack "
                f"{_usd(t_star)}/yr).", ""]
    else:
        out += [f"**Whether the core is empty cannot be told at this MIP gap**: the least-core slack "
                f"({_usd(t_star)}/yr) is within the solver's uncertainty ({_usd(2 * noise)}/yr). "
                "Re-run with a smaller `--mip-rel-gap` to settle it.", ""]
    gaps = coalitions.relative_gap.fillna(0)
    out += [f"Coalition values are HiGHS optima within a relative gap of at most {gaps.max():.3%} "
            f"(each up to {_usd(noise)}/yr above the true optimum). A coalition is listed as rejecting a rule only "
            f"when its excess exceeds {_usd(2 * noise)}/yr; smaller differences between rules are not meaningful.",
            ""]
    negative = coalitions[coalitions.saving_usd_per_yr < 0]
    if len(negative):
        out += [f"Negative savings ({', '.join(negative.coalition)}) are solver tolerance, not a real loss: pooling "
                "can always do at least as well as going alone.", ""]
    out += ["## Who pays what under each rule (USD m/yr)", ""]
    pivot = sharing.pivot(index="rule", columns="party", values="cost_usd_per_yr")[players] / 1e6
    pivot = pivot.reindex(list(dict.fromkeys(sharing.rule)))
    core = sharing.groupby("rule", sort=False).in_core.first()
    pivot["in core (to solver precision)"] = core.reindex(pivot.index).map({True: "yes", False: "no"})
    out += [_md(pivot.reset_index(), ",.2f"), ""]
    out += ["## Which rules a coalition would reject", ""]
    any_block = False
    for rule, g in sharing.groupby("rule", sort=False):
        blocking = sorted({b for bs in g.blocking_coalitions if bs for b in bs.split(", ")})
        if blocking:
            any_block = True
            worst = g.max_coalition_excess_usd_per_yr.max()
            out.append(f"- **{rule}**: rejected by {', '.join(blocking)} (up to {_usd(worst)}/yr better alone)")
    if not any_block:
        out.append("- none: every rule compared is in the core")
    out += ["", "## Coalitions", "", _md(coalitions.assign(cost_usd_m=coalitions.cost_usd_per_yr / 1e6,
                                                           saving_usd_m=coalitions.saving_usd_per_yr / 1e6)[
        ["coalition", "cost_usd_m", "saving_usd_m", "relative_gap", "status"]], ",.4f"), ""]
    out += warnings_section([*data.warnings, *notes])
    if grand_facts is not None:
        out += ["## Solver (grand coalition)", "", solver_line(grand_facts), ""]
    out += [*provenance(data), ""]
    return "\n".join(out)


def plot_sharing(sharing: pd.DataFrame, path: Path) -> None:
    pivot = sharing.pivot(index="party", columns="rule", values="saving_usd_per_yr") / 1e6
    pivot = pivot[list(dict.fromkeys(sharing.rule))]
    _bar_chart(pivot, path, "saving against going alone, USD m/yr",
               "Cost-sharing rules compared: each party's saving from the joint stockpile",
               [(0.0, {"color": "black"}, None)], ncol=5)
