"""The results folder of `stockpile share`: coalition values, each rule's split, core checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..analyses.core_verdicts import BLOCKED, IN_CORE, UNDETERMINED
from ..analyses.game import coalition_name
from ..analyses.game_scale import noise_of
from ..analyses.treaty import FLOOR, STEADY, pool_totals, treaty_rule
from ..common.units import tonnes as _t
from ..common.units import usd as _usd
from .common import _md, draw, finish, plt, run_line, solver_line, warnings_section, write_tables
from .html import write_report
from .outdir import results_folder


def write_share(out: str | Path, sharing, overwrite: bool = False) -> list[str]:
    """The whole folder for `stockpile share` (an api.Sharing); returns the notes it put in summary.md."""
    tables, notes = sharing.tables, list(sharing.notes)
    with results_folder(out, overwrite, "share") as tmp:
        notes += write_tables(tmp, tables, share_about(sharing))
        draw(notes, plot_sharing, tables["sharing"], tmp / "sharing.png")
        text = share_summary(sharing, notes)
        (tmp / "summary.md").write_text(text)
        write_report(tmp, text, f"stockpile share — {sharing.source_name}")
    return notes


def share_about(sharing) -> list[tuple[str, object]]:
    """The first sheet of the share workbook: what was solved, how surely, from which inputs."""
    coalitions = sharing.tables["coalitions"]
    grand = coalitions.loc[coalitions["size"].idxmax()]
    rows: list[tuple[str, object]] = [
        ("parties", ", ".join(sharing.game.players)), ("coalitions solved", len(coalitions)),
        ("coalitions proved optimal", int(coalitions.status.isin(["optimal", "given"]).sum())),
        ("grand coalition cost, USD/yr", float(grand.cost_usd_per_yr)),
        ("pooling saving, USD/yr", float(grand.saving_usd_per_yr)),
        ("widest coalition interval, USD/yr", float(sharing.uncertainty)), ("core", sharing.core.status),
        ("reference rule", sharing.reference)]
    if sharing.data is not None:
        rows += [("workbook", sharing.data.source), ("workbook sha256", sharing.data.sha256),
                 ("run specification", sharing.data.run_spec or "none")]
    if sharing.game_file:
        rows += [("coalition values from", sharing.game_file), ("their sha256", sharing.game_file_sha256)]
    return [*rows, ("run", run_line()), ("units", "USD/yr = expected annual cost; USD = cash in that year")]


def _saving_headline(grand, noise: float) -> str:
    """Pooling's saving, stated as a finding only when it exceeds what the solver gaps can explain."""
    saving, band = grand.saving_usd_per_yr, 2 * noise
    if abs(saving) <= band:
        return (f"a saving that **cannot be told from zero at this MIP gap** ({_usd(saving)}/yr, inside the "
                f"solver's uncertainty of ±{_usd(band)}/yr; tighten `--mip-rel-gap` to settle it)")
    return f"a saving of **{_usd(saving)}/yr** (solver uncertainty ±{_usd(band)}/yr)"


def _core_sentence(core, game=None) -> str:
    if game is not None and not game.core_lps and core.status != "empty":
        return (f"Whether the core is empty is not known: only {len(game.value):,} of {2 ** len(game.players) - 1:,} "
                f"coalitions were solved (the sampled Shapley value's), and over them the least-core slack is at "
                f"least {_usd(core.slack_low)}/yr; the rest may object.")
    if core.status == "empty":
        return (f"**The core is empty (proved)**: whatever the split, some coalition would do better on its own by "
                f"at least {_usd(core.slack_low)}/yr (least-core slack, at every value the solver's gaps allow). "
                "`least_core` and `optimised` minimise that temptation.")
    if core.status == "non-empty":
        return (f"The core is not empty (proved): there are splits no coalition would walk away from, whatever "
                f"the true coalition values within the solver's gaps (least-core slack at most "
                f"{_usd(core.slack_high)}/yr).")
    if not np.isfinite(core.slack_high):  # the separation proved no bound on the coalitions not solved
        return (f"**Whether the core is empty is undetermined**: the least-core slack is at least "
                f"{_usd(core.slack_low)}/yr, and nothing bounds it from above (see the separation below).")
    return (f"**Whether the core is empty is undetermined at this MIP gap**: the least-core slack lies between "
            f"{_usd(core.slack_low)}/yr and {_usd(core.slack_high)}/yr. Re-run with a smaller `--mip-rel-gap`.")


def _negative_savings(game, coalitions: pd.DataFrame, data=None) -> list[str]:
    """A negative saving is noise only when the solver's intervals allow a saving of 0 or more."""
    lines = []
    fixed = data.settings.pool_fixed_usd_per_yr if data is not None else 0.0
    why = (f"the pool's running cost, {_usd(fixed)}/yr, is more than pooling saves them" if fixed > 0
           else "e.g. pro-rata obligations to other members")
    for c in game.coalitions():
        alone = [frozenset([p]) for p in c]
        best = sum(game.value[s] for s in alone) - game.bound(c)  # the most the true saving can be
        found = sum(game.value[s] for s in alone) - game.value[c]
        if found < 0 <= best:
            lines.append(f"{coalition_name(c, game.players)}: a saving of {_usd(found)}/yr is inside the solver's "
                         f"uncertainty (it may be up to {_usd(best)}/yr)")
        elif best < 0:
            lines.append(f"{coalition_name(c, game.players)}: pooling costs {_usd(-best)}/yr or more than going "
                         f"alone (proved; {why})")
    return lines


MAX_COALITIONS_SHOWN = 40  # beyond, the summary points to coalitions.csv


def _separation_words(game) -> str:
    if game.oracle is None:
        return ("No rule is proved in the core without every coalition; a rule is still proved rejected by a "
                "coalition that was solved.")
    sep = game.oracle[1]
    what = "the nucleolus, least core and every verdict" if game.separate_all else "each rule's core verdict"
    out = (f"The membership separation (one MILP over who is in, docs/formulation.md) gave {what}: "
           f"{sep.solves:,} MILPs, {sep.seconds:.1f} s of HiGHS; a verdict in the core is its proof that no "
           "coalition objects.")
    lps = game.row_lps
    if game.separate_all and lps is not None and lps.solved():
        out += (f" {_and(lps.solved()).capitalize()} rest on the {len(game.value):,} coalitions solved: "
                + _unproved_words(sep, lps.unproved_usd))
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _unproved_words(sep, unproved: float) -> str:
    """How far a coalition not solved may exceed the LPs' excesses (proved), and why that much."""
    if not np.isfinite(unproved):
        return ("HiGHS proved no bound on the excesses of the coalitions not solved, so any of them may object "
                "more than these LPs allow.")
    return (f"no other coalition exceeds their excesses by more than {_usd(unproved)}/yr (proved)"
            + _unproved_why(sep, unproved))


def _unproved_why(sep, unproved_usd: float) -> str:
    """Why the separation left that much unproved: within the values' own gap; more where a separation MILP
    stopped at its time limit, or where its bound was loose."""
    noise = noise_of(sep)
    if unproved_usd <= 1.001 * noise + 1.0:
        return (f", within the coalition values' own gap ({_usd(noise)}/yr at mip_rel_gap "
                f"{sep.data.settings.mip_rel_gap:g}), inside which the separation cannot tell a coalition's optimum "
                "from its solve's.")
    if getattr(sep, "timed_out", 0):
        return (f": more than the coalition values' own gap ({_usd(noise)}/yr), as {sep.timed_out:,} separation "
                f"MILP(s) stopped at the {sep.time_limit_s:g} s limit (`--separation-time-limit`) short of a proof.")
    return (f": more than the coalition values' own gap ({_usd(noise)}/yr), where the coalition a separation MILP "
            "found did not object by its own solved value and HiGHS's bound was all it proved.")


def method_lines(game) -> list[str]:
    """How the game was played: every coalition, or a sampled Shapley value (its orders, coalitions, intervals)."""
    total = 2 ** len(game.players) - 1
    est = game.sampled
    if est is None:
        return [f"Method: exact: every one of the {total:,} coalitions' costs is known, so the Shapley value is "
                "exact.", ""]
    half = max((est.high[p] - est.low[p]) / 2 for p in game.players)
    out = [f"Method: sampled: {est.permutations:,} orders of the {len(game.players)} parties (antithetic pairs), "
           f"{len(game.value):,} of {total:,} coalitions solved. The Shapley value is an estimate with a 95% "
           f"interval per party (widest +-{_usd(half)}/yr; sharing.csv `shapley_ci95_low_usd_per_yr`, "
           "`shapley_ci95_high_usd_per_yr`). " + _separation_words(game), "",
           "| party | Shapley estimate (USD m/yr) | 95% interval |", "|---|---|---|"]
    out += [f"| {p} | {est.value[p] / 1e6:,.3f} | {est.low[p] / 1e6:,.3f} to {est.high[p] / 1e6:,.3f} |"
            for p in game.players]
    return [*out, ""]


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
            f"{_saving_headline(grand, sharing.uncertainty)}.", "", _core_sentence(sharing.core, game), "",
            *method_lines(game)]
    out += [f"Each coalition value is known within [best bound, incumbent] (widest interval "
            f"{_usd(sharing.uncertainty)}/yr). A rule is *blocked* only when some coalition's own plan beats its "
            "share (a proof), *in the core* only when no coalition's bound does, and *undetermined* otherwise.", ""]
    negative = _negative_savings(game, coalitions, data)
    out += [*(f"- {line}" for line in negative), ""] if negative else []
    out += treaty_sections(sharing)
    out += ["## Each rule's split of the expected annual cost (USD m/yr)", "",
            "The game's cost: what each party pays for its own stock and its share of the pool, plus the expected "
            "shortage losses its industry still bears (losses, not payments; the cash is in the funding table).", ""]
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
    shown = coalitions if len(coalitions) <= MAX_COALITIONS_SHOWN else coalitions.head(MAX_COALITIONS_SHOWN)
    out += ["", "## Coalitions", "", _md(shown.assign(cost_usd_m=shown.cost_usd_per_yr / 1e6,
                                                      saving_usd_m=shown.saving_usd_per_yr / 1e6)[
        ["coalition", "cost_usd_m", "saving_usd_m", "relative_gap", "status"]], ",.4f"), ""]
    if len(shown) < len(coalitions):
        out += [f"The first {len(shown)} of {len(coalitions):,}, smallest first; coalitions.csv has every one.", ""]
    out += warnings_section([*(data.warnings if data is not None else ()), *notes])
    grand_facts = game.facts.get(game.grand_coalition)
    if grand_facts is not None and grand_facts.status != "given":
        out += ["## Solver (grand coalition)", "", solver_line(grand_facts), ""]
    out += [*sharing.provenance, ""]
    return "\n".join(out)


def plot_sharing(sharing: pd.DataFrame, path: Path | None = None):
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
    return finish(fig, path)


# ---- the treaty: cash, drawing rights, refills, what joining is worth ------------------------------------------

def treaty_sections(sharing) -> list[str]:
    """Three short sections a treaty needs (who pays what cash when, who may draw what, how the pool is refilled and
    funded) and what joining is worth to each member; nothing when the pool's plan is unknown (share --game)."""
    tables = sharing.tables
    if "funding" not in tables or sharing.game.grand is None:
        return []
    return [*_cash_section(sharing), *_rights_section(sharing), *_refill_section(sharing),
            *_participation_section(sharing)]


def briefing_rule(sharing) -> str:
    return treaty_rule(sharing.tables["sharing"], sharing.reference)


def _rule_words(sharing, rule: str) -> str:
    """Why the treaty sections show this rule, when it is not the reference."""
    if rule == sharing.reference:
        return ""
    return (f" The {sharing.reference} rule (the reference) is rejected by some coalition, so these sections show "
            f"`optimised`, the split in the core nearest it.")


def _cash_section(sharing) -> list[str]:
    fund, grand, rule = sharing.tables["funding"], sharing.game.grand, briefing_rule(sharing)
    own = fund[fund.rule == rule]
    if own.empty:
        return []
    pivot = own.pivot_table(index="party", columns="year", values="total_usd", aggfunc="sum", sort=False) / 1e6
    years = [y for y in dict.fromkeys(own.year)]
    pivot = pivot[years]
    pivot.loc["pool (all members)"] = pivot.sum()
    pivot.columns = [f"year {y}" if y != STEADY else "each year after" for y in years]
    cash = pool_totals(own)
    steady = own[own.year == STEADY]
    costs = grand["party_costs"]
    losses = float(costs.expected_shortage_usd_per_yr.sum())
    verdict = sharing.tables["sharing"].groupby("rule", sort=False).core_verdict.first()
    in_core = [r for r in dict.fromkeys(fund.rule) if r != rule and verdict.get(r) == IN_CORE]
    rejected = [r for r in dict.fromkeys(fund.rule) if r != rule and verdict.get(r) != IN_CORE]
    out = [f"## Who contributes what cash in which year ({rule} rule, USD m)", "",
           _md(pivot.reset_index(), ",.1f"), "",
           f"The pool needs {_usd(cash['build_up'])} over the build-up (purchases "
           f"{_usd(float(own[own.year != STEADY].purchases_usd.sum()))}), then {_usd(cash['steady'])} a year "
           f"(holding {_usd(float(steady.holding_usd.sum()))}, the pool's fixed costs "
           f"{_usd(float(steady.pool_fixed_usd.sum()))}); each member pays its share of the {rule} rule's split of "
           f"the game's cost.{_rule_words(sharing, rule)}"]
    held = [f"{', '.join(in_core)} (the other rules in the core)"] if in_core else []
    why = {BLOCKED: "which a coalition rejects, proved", UNDETERMINED: "whose core verdict is undetermined at this gap"}
    held += [f"{', '.join(rejected)} (the reference, {why.get(verdict.get(rejected[0]), 'not checked')})"] \
        if rejected else []
    out.append(f"funding.csv gives the same for {' and for '.join(held)}." if held
               else "No other rule is proved to be in the core, so funding.csv holds this rule only.")
    out += ["", f"Expected shortage losses industry still bears with the pool, {_usd(losses)}/yr, are losses the "
            "stock does not avoid, not payments: they are in no cash table.", ""]
    return out


def _rights_section(sharing) -> list[str]:
    data, grand = sharing.data, sharing.game.grand
    mode = data.settings.joint_allocation
    out = ["## Who may draw what in a release", ""]
    first = ("its own national stock first, then the pool" if data.settings.release_priority == "national_first"
             else "the pool first, then its own national stock")
    if mode != "entitlement" or "drawing_rights" not in grand.tables:
        how = ("the optimiser gives the pool's stock to whichever member's shortage costs most" if mode == "cooperative"
               else "every member hit gets the same share of its gap")
        return out + [f"No drawing rights: under {mode.replace('_', '-')} allocation {how}, so no member is "
                      "guaranteed any of the pool and coverage counts national stock only. Drawing rights are "
                      "`joint_allocation = entitlement` (shares from `parties.entitlement_share`, else by coverage "
                      f"basis). Among schedules of equal cost a member draws {first} (`release_priority`).", ""]
    rights = grand["drawing_rights"]
    cells = rights.assign(cell=[f"{_t(t)} t ({100 * e:.0f}%; {g:.1f} mo)" for t, e, g in
                                zip(rights.rights_t, rights.share, rights.guaranteed_months, strict=True)])
    table = cells.pivot(index="mineral", columns="party", values="cell").reindex(
        index=list(dict.fromkeys(rights.mineral)), columns=list(dict.fromkeys(rights.party))).fillna("")
    return out + [f"Each member may draw, as of right, its share of the pool's stock over an event and of its "
                  f"release capacity each month; it draws {first}. Beyond its rights it may borrow the unused rights "
                  "of members that are not short (on that path of the tree, so a lender keeps its rights for a cut "
                  "that reaches it later), and then owes the pool a refill. Each cell: the member's rights in tonnes "
                  "(its share of the pool; its guaranteed months, national stock plus rights); the monthly limits "
                  "are in drawing_rights.csv.", "", _md(table.reset_index()), ""]


def _refill_section(sharing) -> list[str]:
    data, grand = sharing.data, sharing.game.grand
    st = data.settings
    out = ["## How the pool is refilled and funded", "",
           f"Stock drawn from the pool is bought back at the price plus a premium of {100 * st.replenish_premium:g}% "
           "(`replenish_premium`), paid by the pool out of its members' contributions."]
    borrowed = grand.tables.get("borrowing")
    if borrowed is not None and (borrowed.borrowed_t > 0).any():
        rows = borrowed[borrowed.borrowed_t > 0].assign(scenario=lambda f: f.scenarios.str.split("+")).explode(
            "scenario")
        by = rows.groupby(["scenario", "party", "mineral"]).agg(t=("refill_owed_t", "sum"), usd=("refill_usd", "sum"))
        worst = by.usd.idxmax()
        out.append(f"A member that drew beyond its rights refills what it borrowed within {st.refill_months} months "
                   f"(`refill_months`) at that price, itself: the most any branch leaves owed is "
                   f"{_t(float(by.t[worst]))} t of {worst[2]} by {worst[1]} ({_usd(float(by.usd[worst]))}, branch "
                   f"{worst[0]}); borrowing.csv lists every draw beyond rights.")
    elif borrowed is not None:
        out.append("No member draws beyond its rights in any branch, so no refill duty arises.")
    fixed = data.settings.pool_fixed_usd_per_yr
    minerals = float(grand["stock"].query("holder == 'JOINT'").fixed_usd_per_yr.sum())
    out += ["", f"The pool's own running costs: {_usd(fixed)}/yr (`pool_fixed_usd_per_yr`: secretariat, storage "
            f"sites) and {_usd(minerals)}/yr for its minerals (`joint_fixed_usd_per_yr`), in every year's cash "
            "above.", ""]
    return out


def _participation_section(sharing) -> list[str]:
    part, rule = sharing.tables["participation"], briefing_rule(sharing)
    own = part[part.rule == rule]
    if own.empty:
        return []
    table = own.assign(saving_usd_m=own.saving_usd_per_yr / 1e6, saving_pct=100 * own.saving_share_of_standalone,
                       build_up_cash_usd_m=own.build_up_cash_usd / 1e6,
                       steady_cash_usd_m=own.steady_cash_usd_per_yr / 1e6)[
        ["party", "saving_usd_m", "saving_pct", "build_up_cash_usd_m", "steady_cash_usd_m", "saving_per_usd_committed"]]
    out = [f"## What joining is worth to each member ({rule} rule)", "",
           "Saving against going alone (USD m/yr and % of its stand-alone cost), the cash it commits, and a year's "
           "saving per dollar of build-up cash.", "", _md(table, ",.3f"), ""]
    least = own.loc[own.saving_share_of_standalone.idxmin()]
    floor = part[part.rule == FLOOR].set_index("party")
    if floor.empty:
        return out
    moved = (floor.cost_usd_per_yr - own.set_index("party").cost_usd_per_yr).reindex(own.party)
    lift = float(floor.saving_share_of_standalone.min())
    least_pct = 100 * least.saving_share_of_standalone
    # saving_floor works in the least core when the core is empty: say which set, and never call a loss a lift
    empty = sharing.core.status == "empty"
    where = "in the least core" if empty else "in the core"
    where_said = where + (" (the core is empty)" if empty else "")
    changes = ", ".join(f"{p} {'+' if d > 0 else '-'}{_usd(abs(d))}/yr" for p, d in moved.items() if abs(d) >= 1)
    if (moved.abs() <= max(1.0, 1e-6 * own.standalone_usd_per_yr.abs().max())).all():
        out.append(f"{least.party} gains least ({least_pct:.2f}% of its stand-alone cost); no split {where_said} "
                   f"gives every member more than {100 * lift:.2f}%, and the {rule} rule already does, so no change "
                   "of rule lifts it.")
    elif 100 * lift <= least_pct:
        out.append(f"{least.party} gains least ({least_pct:.2f}% of its stand-alone cost), and no split {where_said} "
                   f"gives every member more than {100 * lift:.2f}%: the {rule} rule is not {where}, and the split "
                   f"nearest it there that keeps every member at {100 * lift:.2f}% or more (`{FLOOR}` in "
                   f"participation.csv) changes what each pays by {changes}.")
    else:
        out.append(f"{least.party} gains least ({least_pct:.2f}% of its stand-alone cost). The smallest change "
                   f"that lifts it: the split nearest the {rule} rule {where_said} that gives every member at least "
                   f"{100 * lift:.2f}% (the most it allows all at once; `{FLOOR}` in participation.csv) changes "
                   f"what each pays by {changes}.")
    return out + [""]
