"""The results folder of `stockpile share`: coalition values, each rule's split, core checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..analyses.game import coalition_name
from ..common.units import usd as _usd
from .common import _md, draw, plt, solver_line, warnings_section, write_tables
from .html import write_report
from .outdir import results_folder


def write_share(out: str | Path, sharing, overwrite: bool = False) -> list[str]:
    """The whole folder for `stockpile share` (an api.Sharing); returns the notes it put in summary.md."""
    tables, notes = sharing.tables, list(sharing.notes)
    with results_folder(out, overwrite, "share") as tmp:
        notes += write_tables(tmp, tables)
        draw(notes, plot_sharing, tables["sharing"], tmp / "sharing.png")
        text = share_summary(sharing, notes)
        (tmp / "summary.md").write_text(text)
        write_report(tmp, text, f"stockpile share — {sharing.source_name}")
    return notes


def _saving_headline(grand, noise: float) -> str:
    """Pooling's saving, stated as a finding only when it exceeds what the solver gaps can explain."""
    saving, band = grand.saving_usd_per_yr, 2 * noise
    if abs(saving) <= band:
        return (f"a saving that **cannot be told from zero at this MIP gap** ({_usd(saving)}/yr, inside the "
                f"solver's uncertainty of ±{_usd(band)}/yr; tighten `--mip-rel-gap` to settle it)")
    return f"a saving of **{_usd(saving)}/yr** (solver uncertainty ±{_usd(band)}/yr)"


def _core_sentence(core) -> str:
    if core.status == "empty":
        return (f"**The core is empty (proved)**: whatever the split, some coalition would do better on its own by "
                f"at least {_usd(core.slack_low)}/yr (least-core slack, at every value the solver's gaps allow). "
                "`least_core` and `optimised` minimise that temptation.")
    if core.status == "non-empty":
        return (f"The core is not empty (proved): there are splits no coalition would walk away from, whatever "
                f"the true coalition values within the solver's gaps (least-core slack at most "
                f"{_usd(core.slack_high)}/yr).")
    return (f"**Whether the core is empty is undetermined at this MIP gap**: the least-core slack lies between "
            f"{_usd(core.slack_low)}/yr and {_usd(core.slack_high)}/yr. Re-run with a smaller `--mip-rel-gap`.")


def _negative_savings(game, coalitions: pd.DataFrame) -> list[str]:
    """A negative saving is noise only when the solver's intervals allow a saving of 0 or more."""
    lines = []
    for c in game.coalitions():
        alone = [frozenset([p]) for p in c]
        best = sum(game.value[s] for s in alone) - game.bound(c)  # the most the true saving can be
        found = sum(game.value[s] for s in alone) - game.value[c]
        if found < 0 <= best:
            lines.append(f"{coalition_name(c, game.players)}: a saving of {_usd(found)}/yr is inside the solver's "
                         f"uncertainty (it may be up to {_usd(best)}/yr)")
        elif best < 0:
            lines.append(f"{coalition_name(c, game.players)}: pooling costs {_usd(-best)}/yr or more than going "
                         "alone (proved; e.g. pro-rata obligations to other members)")
    return lines


def share_summary(sharing, notes: Sequence[str] = ()) -> str:
    data, game, tables = sharing.data, sharing.game, sharing.tables
    coalitions, table = tables["coalitions"], tables["sharing"]
    players = list(dict.fromkeys(table.party))
    grand = coalitions.loc[coalitions["size"].idxmax()]
    out = [f"# Joint stockpile: who pays what — {sharing.source_name}", ""]
    if (~coalitions.status.isin(["optimal", "given"])).any():
        out += [f"> **Warning: {int((~coalitions.status.isin(['optimal', 'given'])).sum())} coalition value(s) "
                "are not proven optima (time limit).**", ""]
    out += [f"Going alone, the {len(players)} parties would spend {_usd(grand.standalone_sum_usd_per_yr)}/yr "
            f"(expected annual cost); pooling all of them costs {_usd(grand.cost_usd_per_yr)}/yr, "
            f"{_saving_headline(grand, sharing.uncertainty)}.", "", _core_sentence(sharing.core), ""]
    out += [f"Each coalition value is known within [best bound, incumbent] (widest interval "
            f"{_usd(sharing.uncertainty)}/yr). A rule is *blocked* only when some coalition's own plan beats its "
            "share (a proof), *in the core* only when no coalition's bound does, and *undetermined* otherwise.", ""]
    negative = _negative_savings(game, coalitions)
    out += [*(f"- {line}" for line in negative), ""] if negative else []
    out += ["## Who pays what under each rule (USD m/yr)", ""]
    pivot = table.pivot(index="rule", columns="party", values="cost_usd_per_yr")[players] / 1e6
    pivot = pivot.reindex(list(dict.fromkeys(table.rule)))
    pivot["core verdict"] = table.groupby("rule", sort=False).core_verdict.first().reindex(pivot.index)
    out += [_md(pivot.reset_index(), ",.3f"), "", "## Which rules a coalition would reject", ""]
    for rule, g in table.groupby("rule", sort=False):
        blocking = sorted({b for bs in g.proved_blocking_coalitions if bs for b in bs.split(", ")})
        if blocking:
            out.append(f"- **{rule}**: rejected by {', '.join(blocking)} (proved; the worst is at least "
                       f"{_usd(g.largest_excess_at_least_usd_per_yr.max())}/yr better off alone)")
    if not table.blocked_proved.any():
        out.append("- none is proved to be rejected")
    out += ["", "## Coalitions", "", _md(coalitions.assign(cost_usd_m=coalitions.cost_usd_per_yr / 1e6,
                                                           saving_usd_m=coalitions.saving_usd_per_yr / 1e6)[
        ["coalition", "cost_usd_m", "saving_usd_m", "relative_gap", "status"]], ",.4f"), ""]
    out += warnings_section([*(data.warnings if data is not None else ()), *notes])
    grand_facts = game.facts.get(game.grand_coalition)
    if grand_facts is not None and grand_facts.status != "given":
        out += ["## Solver (grand coalition)", "", solver_line(grand_facts), ""]
    out += [*sharing.provenance, ""]
    return "\n".join(out)


def plot_sharing(sharing: pd.DataFrame, path: Path) -> None:
    """Savings under each rule; the rules some coalition rejects on a panel (and scale) of their own,
    so the differences among the acceptable rules stay visible."""
    rules = list(dict.fromkeys(sharing.rule))
    blocked = set(sharing[sharing.blocked_proved].rule)
    kept = [r for r in rules if r not in blocked]
    groups = [(f"in the core or undetermined ({len(kept)} rules)", kept),
              (f"rejected by some coalition ({len(blocked)} rules)", [r for r in rules if r in blocked])]
    groups = [(title, rs) for title, rs in groups if rs]
    fig, axes = plt.subplots(1, len(groups), figsize=(6.5 * len(groups), 4.5), squeeze=False)
    for ax, (title, rs) in zip(axes[0], groups, strict=True):
        pivot = sharing[sharing.rule.isin(rs)].pivot(index="party", columns="rule", values="saving_usd_per_yr")
        (pivot[rs] / 1e6).plot.bar(ax=ax, width=0.8)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("saving against going alone, USD m/yr")
        ax.legend(fontsize=7, ncol=2)
    fig.suptitle("Cost-sharing rules compared: each party's saving from the joint stockpile")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
