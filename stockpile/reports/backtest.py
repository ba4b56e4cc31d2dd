"""The results folders of `stockpile backtest` and `stockpile evaluate`: tables, a summary whose every sentence is
read off them, a plot, report.html."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..analyses.backtest import Backtest
from ..analyses.evaluate import Evaluation
from ..analyses.operating_rule import OperatingRule
from ..common.units import tonnes
from ..common.units import usd as _usd
from ..io.data import ModelData, month_text
from .common import _md, draw, finish, plt, provenance, solver_line, warnings_section, write_tables
from .html import CAPTIONS, write_report
from .outdir import results_folder

CAPTIONS.update({
    "backtest": "Supply lost each month of the history, and what was still unmet with the recommended stock and its "
                "operating rule: backtest_months.csv.",
    "evaluation": "Annual shortage cost over the sampled histories, with the tree's own expected cost: "
                  "evaluation.csv.",
})


def _share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole > 0 else "n/a"


def backtest_summary(name: str, bt: Backtest, rule_states: int, facts) -> str:
    t = bt.table
    gap, unmet = float(t.gap_t.sum()), float(t.unmet_with_stock_t.sum())
    avoided = float(t.shortage_cost_avoided_usd.sum())
    out = [f"# Back-test — {name}", "",
           f"The recommended stock and its operating rule (derived from {rule_states} states of the scenario tree) "
           f"replayed month by month on the {len(bt.history)} cuts of the history sheet, {month_text(bt.first)} to "
           f"{month_text(bt.last)}, overlapping as they happened: stock full at the first cut, refilled at 1/"
           f"{bt.refill_months} of the full stock in each month in which no pair its holder serves is cut.", ""]
    if gap <= 0:
        out += ["None of the history's cuts reaches a party's supply in this workbook (no supply share from the "
                "suppliers they name), so there is nothing to cover.", ""]
    else:
        out += [f"Of {tonnes(gap)} t of supply lost, the stock covered {tonnes(gap - unmet)} t "
                f"({_share(gap - unmet, gap)}); shortage cost avoided {_usd(avoided)}.", ""]
        by = t.groupby("event", sort=False).agg(start=("start", "first"), end=("end", "first"),
                                                in_force=("in_force", "first"), pairs=("party", "size"),
                                                gap_t=("gap_t", "sum"), unmet_t=("unmet_with_stock_t", "sum"),
                                                avoided=("shortage_cost_avoided_usd", "sum")).reset_index()
        by["end"] = [("in force" if f else e) for e, f in zip(by.end, by.in_force, strict=True)]
        by["covered"] = [_share(g - u, g) for g, u in zip(by.gap_t, by.unmet_t, strict=True)]
        by["avoided_m"] = by.avoided / 1e6
        out += ["## By event", "", _md(by[["event", "start", "end", "pairs", "gap_t", "unmet_t", "covered",
                                           "avoided_m"]].rename(columns={"unmet_t": "unmet_with_stock_t",
                                                                         "avoided_m": "avoided_usd_m"}), ",.1f"), ""]
        ran_out = t[t.stocked_out_months > 0].sort_values("stocked_out_months", ascending=False)
        held = ran_out[ran_out.gap_t > ran_out.unmet_with_stock_t + 1e-9]
        out += ["## Where it ran out", ""]
        if len(held):
            out += [f"- {r.party} {r.mineral} in {r.event}: stock ran out, {r.stocked_out_months} of {r.months} "
                    f"months short with none left; {tonnes(r.unmet_with_stock_t)} t unmet of {tonnes(r.gap_t)} t"
                    for r in held.head(15).itertuples()]
            if len(held) > 15:
                out.append(f"- and {len(held) - 15} more pairs (backtest.csv, stocked_out_months)")
        else:
            out.append("No pair that held stock ran out of it.")
        out.append("")
        helpless = by[(by.gap_t > 1e-9) & (by.gap_t - by.unmet_t <= 1e-9 * by.gap_t)]
        out += ["## Events it did not help with", ""]
        out += [f"- {r.event} ({r.start}, {r.end}): {tonnes(r.gap_t)} t lost, none covered (no stock for the "
                "pairs it hit)" for r in helpless.itertuples()] or ["Every event with a gap met some stock."]
        out.append("")
        live = by[by.in_force]
        if len(live):
            out += ["## Still in force at the end of the window", ""]
            out += [f"- {r.event} (since {r.start}): {tonnes(r.unmet_t)} t unmet of {tonnes(r.gap_t)} t so far"
                    for r in live.itertuples()]
            out.append("")
    out += ["## The solve behind the stock", "", solver_line(facts), ""]
    return "\n".join(out)


def plot_backtest(months: pd.DataFrame, path: Path | None = None):
    fig, ax = plt.subplots(figsize=(11, 4))
    by = months.groupby("month")[["gap_t", "unmet_t"]].sum()
    ax.plot(range(len(by)), by.gap_t, label="supply lost (t)", color="#c0392b")
    ax.plot(range(len(by)), by.unmet_t, label="unmet with the stock (t)", color="#1f4e79")
    step = max(1, len(by) // 12)
    ax.set_xticks(range(0, len(by), step), by.index[::step], rotation=45, fontsize=8)
    ax.set_ylabel("t in the month (all parties and minerals)")
    ax.set_title("Back-test: months with a cut")
    ax.legend()
    fig.tight_layout()
    return finish(fig, path)


def write_backtest(out: str | Path, data: ModelData, name: str, bt: Backtest, rule: OperatingRule, facts,
                   overwrite: bool = False) -> list[str]:
    with results_folder(out, overwrite, "backtest") as tmp:
        notes = write_tables(tmp, {"backtest": bt.table, "backtest_months": bt.months, "operating_rule": rule.table()},
                             about=[("workbook", data.source), ("window", f"{month_text(bt.first)} to "
                                                                          f"{month_text(bt.last)}")])
        if len(bt.months):
            draw(notes, plot_backtest, bt.months, tmp / "backtest.png")
        text = backtest_summary(name, bt, rule.state_count, facts) + "\n".join(
            ["", *provenance(data), "", *warnings_section(notes)])
        (tmp / "summary.md").write_text(text)
        write_report(tmp, text, f"stockpile backtest — {name}")
    return notes


def evaluation_summary(name: str, ev: Evaluation, facts) -> str:
    s = ev.summary
    total = ev.total
    branches = len(ev.in_sample)
    diff = total["mean"] - ev.in_sample_usd_per_yr
    lines = [f"# Out-of-sample evaluation — {name}", "",
             f"{ev.n:,} sampled histories of {ev.years} years (seed {ev.seed}, on {ev.backend}): every scenario "
             "arrives at its annual probability, so disruptions overlap; durations drawn from their lists; stock "
             "depleted by earlier releases and refilled at the settings' pace; every release by the operating "
             "rule.", "",
             "| expected shortage cost | USD m/yr | 95% interval |", "|---|---|---|",
             f"| in sample: the tree's {branches} branches (full stock at every onset, no overlap) | "
             f"{ev.in_sample_usd_per_yr / 1e6:,.1f} | (exact on the tree) |",
             f"| out of sample | {total['mean'] / 1e6:,.1f} | {total.ci95_low / 1e6:,.1f} to "
             f"{total.ci95_high / 1e6:,.1f} |", ""]
    if total.ci95_low <= ev.in_sample_usd_per_yr <= total.ci95_high:
        lines += ["The tree's expected shortage cost lies within the out-of-sample interval: at this number of "
                  "samples no optimism of the tree shows.", ""]
    else:
        share = f" ({abs(diff) / ev.in_sample_usd_per_yr:.0%} of it)" if ev.in_sample_usd_per_yr > 0 else ""
        why = (": the optimism of the tree (cuts that overlap, stock not yet refilled)" if diff > 0 else
               ": the sampled histories cost less than the tree's branches weighed by their probabilities (cuts of "
               "one supplier that overlap count once)")
        lines += [f"Out of sample the expected shortage cost is {_usd(abs(diff))}/yr "
                  f"{'higher' if diff > 0 else 'lower'} than the tree says{share}{why}.", ""]
    pairs = s[(s.metric == "shortage_cost_usd_per_yr") & (s.party != "*") & (s.mineral != "*")]
    out_p = s[s.metric == "stockout_probability_per_yr"].set_index(["party", "mineral"])["mean"]
    top = pairs.sort_values("mean", ascending=False).head(10)
    top = top[top["mean"] > 0]
    if len(top):
        table = pd.DataFrame({"party": top.party, "mineral": top.mineral, "usd_m_per_yr": top["mean"] / 1e6,
                              "ci95_low_m": top.ci95_low / 1e6, "ci95_high_m": top.ci95_high / 1e6,
                              "stockout_probability_per_yr": [out_p.get((p, m), 0.0) for p, m in
                                                              zip(top.party, top.mineral, strict=True)]})
        lines += ["## Where the shortage cost falls (out of sample)", "", _md(table, ",.3f"), ""]
    lines += ["## The solve behind the stock", "", solver_line(facts), ""]
    return "\n".join(lines)


def plot_evaluation(samples: pd.DataFrame, in_sample_usd_per_yr: float, path: Path | None = None):
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.hist(samples.shortage_cost_usd_per_yr / 1e6, bins=40, color="#1f4e79", alpha=0.8)
    ax.axvline(in_sample_usd_per_yr / 1e6, color="#c0392b", label="the tree's expected cost")
    ax.axvline(samples.shortage_cost_usd_per_yr.mean() / 1e6, color="#27ae60", ls="--", label="mean of the samples")
    ax.set_xlabel("shortage cost, USD m a year (one sampled history)")
    ax.set_ylabel("samples")
    ax.legend()
    fig.tight_layout()
    return finish(fig, path)


def write_evaluation(out: str | Path, data: ModelData, name: str, ev: Evaluation, facts,
                     overwrite: bool = False) -> list[str]:
    with results_folder(out, overwrite, "evaluate") as tmp:
        notes = write_tables(tmp, {"evaluation_summary": ev.summary, "evaluation": ev.samples,
                                   "in_sample": ev.in_sample},
                             about=[("workbook", data.source), ("samples", ev.n), ("years", ev.years),
                                    ("seed", ev.seed), ("in_sample_usd_per_yr", ev.in_sample_usd_per_yr)])
        if len(ev.samples):
            draw(notes, plot_evaluation, ev.samples, ev.in_sample_usd_per_yr, tmp / "evaluation.png")
        text = evaluation_summary(name, ev, facts) + "\n".join(["", *provenance(data), "", *warnings_section(notes)])
        (tmp / "summary.md").write_text(text)
        write_report(tmp, text, f"stockpile evaluate — {name}")
        (tmp / "evaluation.json").write_text(json.dumps({"samples": ev.n, "years": ev.years, "seed": ev.seed,
                                                          "backend": ev.backend,
                                                          "in_sample_usd_per_yr": ev.in_sample_usd_per_yr},
                                                         indent=2))
    return notes
