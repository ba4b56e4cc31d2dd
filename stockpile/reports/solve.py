"""The results folder of `stockpile solve`: tables, solver.json, summary.md, coverage and
shortfall plots."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..analyses.assumptions import break_even_lines, holding_lines, rests_on_lines, separable, solved_groups
from ..analyses.information import has_branches
from ..common.units import tonnes as _t
from ..common.units import usd as _usd
from ..io.data import DAYS_PER_MONTH, DEFAULT_BENCHMARKS, ModelData
from ..model import JOINT, MARKET
from ..model.joint_pool import pool_fixed_cost
from ..solver.budgets import binding_budgets
from ..solver.facts import gap_words
from ..solver.results import Results
from .common import (
    COLOURS,
    _bar_chart,
    _md,
    draw,
    finish,
    plt,
    provenance,
    solver_line,
    warnings_section,
    write_tables,
)
from .html import write_report
from .outdir import results_folder


def write_results(out: str | Path, data: ModelData, res: Results, overwrite: bool = False) -> Path:
    """The whole folder for `stockpile solve`."""
    with results_folder(out, overwrite, "solve") as tmp:
        cover = res.coverage_table().reindex(list(data.minerals)).reset_index()  # mineral x party, guaranteed
        first = {"summary": briefing(data, res), "coverage_months": cover}
        res.warnings.extend(write_tables(tmp, res.tables, about(data, res), first=first, last=inputs_echo(data),
                                         order=SHEET_ORDER))
        (tmp / "solver.json").write_text(json.dumps(res.facts.to_dict(), indent=2, default=str))
        draw(res.warnings, plot_coverage, res["coverage"], tmp / "coverage.png", data.coverage_benchmarks())
        draw(res.warnings, plot_shortfalls, res, tmp / "shortfall_paths.png")
        if data.settings.build_years > 1 and len(res["acquisition"]):
            draw(res.warnings, plot_buildup, res, tmp / "buildup.png")
        text = summary(data, res)
        (tmp / "summary.md").write_text(text)
        write_report(tmp, text, f"stockpile solve — {Path(data.source).name}")
    return Path(out)

def rests_on_section(data: ModelData, res: Results) -> list[str]:
    """'What this answer rests on': the groups that move acquisitions most, what holds, the break-evens."""
    table = res.tables.get("assumptions")
    if table is None:
        return []
    out = ["## What this answer rests on", ""]
    lines = rests_on_lines(res)
    n = solved_groups(res).group.nunique()
    if lines:
        which = ("The one assumption group of the sources sheet" if n == 1 else
                 f"The {n} assumption groups of the sources sheet" if n <= len(lines) else
                 f"The {len(lines)} of {n} assumption groups (sources sheet) that move the acquisitions most")
        out += [f"{which}, each re-solved at its low and high values (assumptions.csv, assumption_stock.csv):", "",
                *lines, "", *holding_lines(res, data.demanded_minerals), ""]
    else:
        out += ["The sources sheet names no assumption group that could be re-solved.", ""]
    groups = table[table.side.isin(("low", "high"))]
    unsolved = groups[groups.acquisitions_usd.isna()]
    if len(unsolved):
        out += [f"Not solved: {', '.join(f'{r.group} at {r.side} ({r.status})' for r in unsolved.itertuples())}; "
                "assumptions.csv says why.", ""]
    return out


def break_even_section(res: Results) -> list[str]:
    """Each mineral's shortage-cost break-evens (after the stock table: they read against it)."""
    if res.tables.get("assumptions") is None:
        return []
    evens = break_even_lines(res)
    if evens:
        return ["## Break-evens", "", "The multiple of a mineral's shortage costs (its tiers, and the lost output of "
                "the products it goes into) at which its recommended stock falls to what is already held, and at "
                "which it doubles, with the group's other minerals held at their recommended stock:", "", *evens, ""]
    if not separable(res.facts.decomposition):
        return ["## Break-evens", "", f"Break-evens are not computed: the model was solved "
                f"{res.facts.decomposition}, so no mineral can be re-solved on its own.", ""]
    return []


def status_line(facts) -> str:
    """The solver's verdict first: proved optimal (with the gap) or the time limit's warning."""
    if facts.status == "time_limit":
        return (f"> **Warning: the time limit ({facts.time_limit_s:g} s) was hit; this is the best solution found, "
                f"not a proven optimum ({gap_words(facts)}).**")
    if facts.status == "optimal":
        return (f"**Proved optimal**: {gap_words(facts)} (HiGHS stops at {facts.mip_rel_gap_setting:g}); no plan "
                f"costs less than {_usd(facts.best_bound_usd_per_yr)}/yr." if facts.best_bound_usd_per_yr is not None
                else f"**Proved optimal**: {gap_words(facts)}.")
    return f"**Solver status: {facts.status}** ({facts.termination}; {gap_words(facts)})."


def holder_costs(res: Results) -> pd.DataFrame:
    """Per holder (the parties, the pool as JOINT; not MARKET): what it buys (stock.csv) and pays a year
    (party_costs.csv). The one reading for the summary's sentence and results.xlsx's summary sheet."""
    buy = res["stock"].groupby("holder", sort=False).acquisition_usd.sum()
    year = res["party_costs"].set_index("holder").total_usd_per_yr
    held = [h for h in year.index if h != MARKET]
    return pd.DataFrame({"holder": held, "to_buy_usd": [float(buy.get(h, 0.0)) for h in held],
                         "usd_per_yr": [float(year[h]) for h in held]})


def holder_cost_sentence(res: Results) -> str:
    """What each holder buys and pays a year (the pool's split among members is `share`'s)."""
    parts = [f"{'the joint pool' if r.holder == JOINT else r.holder} {_usd(r.to_buy_usd)} to buy, "
             f"{_usd(r.usd_per_yr)}/yr" for r in holder_costs(res).itertuples()]
    market = float(res["party_costs"].set_index("holder").total_usd_per_yr.get(MARKET, 0.0))
    tail = f"; the price uplift all buyers cause, {_usd(market)}/yr" if abs(market) > 0.5 else ""
    return (f"By holder: {'; '.join(parts)}{tail} (a year: its holding, fixed, expected shortage and refill costs; "
            "how members share the pool's is `stockpile share`).")


def rests_on_console(res: Results, top: int = 3) -> list[str]:
    """The groups that move the acquisitions most, for the terminal (summary.md has all five and the rest)."""
    lines = rests_on_lines(res, top)
    return ["What this answer rests on (assumptions.csv):", *(f"  {line[2:]}" for line in lines)] if lines else []


# results.xlsx: the money and the answer first, the long schedules last
SHEET_ORDER = ("coverage", "stock", "party_costs", "costs", "acquisition", "purchase_caps", "assumptions",
               "assumption_stock", "drawing_rights", "product_costs", "scenarios", "survival", "borrowing",
               "release_rules", "operating_rule", "scenario_outcomes", "product_outcomes")


def briefing(data: ModelData, res: Results) -> pd.DataFrame:
    """results.xlsx's first sheet: the briefing's numbers, as numbers (months of cover are the next sheet)."""
    f, stock, costs = res.facts, res["stock"], res["costs"]
    rows: list[dict[str, object]] = [
        {"item": "solver status", "value": f.status}, {"item": "relative gap", "value": f.relative_gap},
        {"item": "expected annual cost, USD/yr", "value": float(costs.set_index("term").usd_per_yr["total"])},
        {"item": "new acquisitions, USD", "value": float(stock.acquisition_usd.sum())},
        {"item": "pooling saving, USD/yr", "value": f.pooling_saving_usd_per_yr}]
    for r in holder_costs(res).itertuples():
        rows += [{"item": f"{r.holder}: to buy, USD", "value": r.to_buy_usd},
                 {"item": f"{r.holder}: a year, USD/yr", "value": r.usd_per_yr}]
    for line in rests_on_lines(res, 5) if res.tables.get("assumptions") is not None else []:
        rows.append({"item": "rests on", "value": line[2:]})
    return pd.DataFrame(rows, columns=["item", "value"])


def inputs_echo(data: ModelData) -> dict[str, pd.DataFrame]:
    """The input sheets as solved (after a run specification's overrides), as sheets `in_<name>`."""
    book = data.book
    if book is None or not hasattr(book, "sheets"):
        return {}
    return {f"in_{name}"[:31]: pd.DataFrame([cells for _row, cells in sheet.rows], columns=sheet.columns)
            for name, sheet in book.sheets.items() if sheet.readable}


def about(data: ModelData, res: Results) -> list[tuple[str, object]]:
    """The first sheet of results.xlsx: the solver's facts and the run's provenance."""
    f = res.facts
    return [("status", f"{f.status} ({f.termination})"), ("objective, USD/yr", f.objective_usd_per_yr),
            ("best bound, USD/yr", f.best_bound_usd_per_yr), ("relative gap", f.relative_gap),
            ("relative gap HiGHS stops at (mip_rel_gap)", f.mip_rel_gap_setting),
            ("how it was solved", f.decomposition), ("seconds (total)", round(f.seconds.get("total", 0.0), 1)),
            ("workbook", f.inputs), ("workbook sha256", f.inputs_sha256), ("run specification", f.run_spec or "none"),
            ("HiGHS / Pyomo", f"{f.highs_version} / {f.pyomo_version}"),
            ("units", "t = tonnes; USD/yr = expected annual cost; months of the coverage basis; shares as %")]


def summary(data: ModelData, res: Results) -> str:
    facts = res.facts
    cov, stock, costs = res["coverage"], res["stock"], res["costs"]
    total = costs.loc[costs.term == "total", "usd_per_yr"].iloc[0]
    held = stock[stock.stock_t > 0]
    out = [f"# Stockpile recommendation — {Path(data.source).name}", "", status_line(facts), ""]
    out += [
        f"Expected annual cost **{_usd(total)}/yr** (holding + fixed costs + probability-weighted shortage and "
        f"refill costs over {data.scenarios_text('disruption scenario')}, "
        f"{data.settings.horizon_months}-month horizon). "
        f"New acquisitions: **{_usd(held.acquisition_usd.sum())}** at today's acquisition prices, bought over "
        f"{data.settings.build_years} build year(s). {holder_cost_sentence(res)}", "",
        pooling_line(res.facts, pool_fixed_cost(data)), "",
    ]
    hold = [f"## What to hold: months of guaranteed cover ({data.settings.coverage_basis.replace('_', ' ')}; "
            f"{'national stock + drawing rights on the pool' if _has_rights(data) else 'national stock'})", "",
            *cover_table(data, res), ""]
    # side by side on a wide screen (report.html's .cols), one after the other on a narrow one and in summary.md
    out += side_by_side(hold, rests_on_section(data, res))
    out += [benchmark_sentence(data, cov), "", *pool_claim_lines(data, cov)]
    out += ["## Recommended stock", "",
            _md(held.assign(value_usd_m=held.stock_t * held.mineral.map(
                lambda m: data.minerals[m].price_usd_per_t) / 1e6, acquisition_usd_m=held.acquisition_usd / 1e6)[
                ["holder", "mineral", "stock_t", "value_usd_m", "acquisition_usd_m", "release_option"]]), ""]
    out += break_even_section(res)
    out += ["## Buying the stock", "", *buying_section(data, res), *sellers_lines(data, res), ""]
    if data.products:
        out += ["## Lost output by product", "", *product_lines(data, res), ""]
    rules = release_rules_in_words(data, res)
    out += ["## Release rules", "", f"{len(rules)} holdings, each with its capacity and its rule in the scenario "
            "families that use it most (release_rules.csv has every node).", "",
            "<details><summary>Show the release rules</summary>", "", *rules, "", "</details>", ""]
    out += operating_rule_lines(res)
    out += ["## Uncertainty: disruptions of unknown length", "", *uncertainty_section(facts, has_branches(data)), ""]
    scen = res["scenarios"].sort_values("shortage_cost_usd", ascending=False)
    out += ["## Worst scenarios (shortage cost if the scenario happens)", "",
            _md(scen.head(5).assign(shortage_cost_usd_m=scen.shortage_cost_usd / 1e6,
                                    months_survived=scen.months_survived.astype("Int64").astype(str))[
                ["branch", "probability_per_yr", "shortage_cost_usd_m", "unmet_t", "unmet_beyond_thrift_t",
                 "months_survived"]], ",.2f"), "",
            thrift_sentence(data), SURVIVAL_DEFINITION, ""]
    out += ["## Cost terms", "", _md(costs.assign(usd_m_per_yr=costs.usd_per_yr / 1e6)[["term", "usd_m_per_yr"]],
                                     ",.2f"), ""]
    out += warnings_section([*data.warnings, *res.warnings])
    stages = ", ".join(f"{name} {sec:.1f}" for name, sec in facts.stage_seconds.items())
    out += ["## Solver", "", solver_line(facts), ""]
    out += [f"Wall seconds by stage of the run: {stages} (writing this folder comes after).", ""] if stages else []
    out += [*provenance(data), ""]
    return "\n".join(out)

def side_by_side(left: list[str], right: list[str]) -> list[str]:
    """Two blocks of the briefing as the columns of report.html's first screen (raw <div> lines the HTML converter
    passes through); the left one alone when the right is empty."""
    if not right:
        return left
    return ['<div class="cols"><div class="narrow">', "", *left, "", '</div><div class="wide">', "", *right, "",
            "</div></div>", ""]


def cover_table(data: ModelData, res: Results) -> list[str]:
    """Months of guaranteed cover, mineral x party, a cell in bold where it reaches the lowest benchmark that
    applies to its party (the benchmarks sheet, else JOGMEC's 60 days)."""
    table = res.coverage_table().reindex(list(data.minerals))
    inf = float("inf")  # a party no benchmark applies to: nothing is bold
    lowest: dict[str, float] = {}
    for p in table.columns:
        days = [b.days for b in data.coverage_benchmarks() if not b.parties or p in b.parties]
        lowest[p] = min(days) / DAYS_PER_MONTH if days else inf
    shown = pd.DataFrame({p: [("n/a" if pd.isna(v) else f"**{v:.1f}**" if v >= lowest[p] - 1e-9 else f"{v:.1f}")
                              for v in table[p]] for p in table.columns}, index=table.index)
    marks = sorted({f"{m * DAYS_PER_MONTH:g} days" for m in lowest.values() if m < inf})
    note = f"In bold: cover that reaches the lowest benchmark for the party ({', '.join(marks)})." if marks else ""
    return [_md(shown.reset_index()), *(["", note] if note else [])]


def benchmark_sentence(data: ModelData, cov) -> str:
    """How many party-mineral pairs reach each benchmark of the workbook (the benchmarks sheet, else JOGMEC's and
    KOMIR's), counted on guaranteed cover and only among the parties each benchmark applies to."""
    parts = []
    for b in data.coverage_benchmarks():
        mine = cov[cov.party.isin(b.parties)] if b.parties else cov
        whom = f" ({', '.join(b.parties)})" if b.parties else ""
        parts.append(f"{int((mine.coverage_days >= b.days).sum())} of {len(mine)} pairs{whom} reach {b.name}'s "
                     f"{b.days:g} days")
    source = "the workbook's benchmarks sheet" if data.benchmarks else "the default benchmarks (no benchmarks sheet)"
    return f"Against {source}: {'; '.join(parts)} (guaranteed cover; 1 month = {DAYS_PER_MONTH} days)."


def _has_rights(data: ModelData) -> bool:
    return data.settings.joint_allocation == "entitlement"


def pool_claim_lines(data: ModelData, cov) -> list[str]:
    """What the coverage table leaves out: pool stock no member is guaranteed (cooperative or pro-rata allocation)."""
    if not (cov.joint_t > 1e-6).any() or _has_rights(data):
        return []
    notional = (cov.national_months + cov.joint_months) * DAYS_PER_MONTH  # nan where the basis is 0, as coverage
    b = data.coverage_benchmarks()[0]
    mine = cov.party.isin(b.parties) if b.parties else cov.party.notna()
    return [f"The joint pool is not counted: under {data.settings.joint_allocation.replace('_', '-')} allocation a "
            "member's draw depends on what the others need, so none of it is guaranteed. Counted as notional claims "
            f"(in proportion to coverage basis), {int((notional[mine] >= b.days).sum())} of {int(mine.sum())} "
            f"party-mineral pairs would reach {b.name}'s {b.days:g} days, against "
            f"{int((cov.coverage_days[mine] >= b.days).sum())} on guaranteed stock. Drawing rights "
            "(`joint_allocation = entitlement`) make a member's share its own.", ""]


SURVIVAL_DEFINITION = (
    "*months_survived*: months from the first month of a cut until demand first goes unmet beyond the cheapest "
    "(thrift) shortage tier, for the party and mineral that goes first (the whole horizon when none does); "
    "*coverage* is stock in months of the coverage basis, not a promise of survival: survival.csv gives, per "
    "branch, party and mineral, the month of the first shortfall and the share of the gap met.")


def thrift_sentence(data: ModelData) -> str:
    """What the thrift tier absorbs, from the tiers themselves: shortfalls within it do not end survival."""
    shares = {m: t[0].up_to_share for m, t in data.tiers.items() if len(t) > 1}
    if not shares:
        return ("Every mineral has a single shortage tier, so any unmet demand ends *months_survived* and "
                "*unmet_beyond_thrift_t* equals *unmet_t*.")
    lo, hi = min(shares.values()), max(shares.values())
    span = f"{lo:.0%}" if abs(hi - lo) < 5e-3 else f"{lo:.0%} to {hi:.0%} by mineral"
    return (f"Shortfalls within the cheapest (thrift) tier, up to {span} of monthly demand, count in *unmet_t* but "
            "not in *unmet_beyond_thrift_t*, and do not end *months_survived*.")


def pooling_line(facts, pool_fixed: float = 0.0) -> str:
    """The joint pool's saving against every party stocking alone (net of the pool's own running cost), and
    whether it exceeds solver precision."""
    saving, precision = facts.pooling_saving_usd_per_yr, facts.pooling_saving_precision_usd_per_yr
    if saving is None:
        return "No party may join the joint pool (joint_member), so there is no pooling to value."
    net = f", net of the pool's running cost of {_usd(pool_fixed)}/yr (`pool_fixed_usd_per_yr`)" if pool_fixed else ""
    if abs(saving) <= (precision or 0.0):
        return (f"Pooling changes the expected cost by {_usd(saving)}/yr{net}, within the solver's precision "
                f"(±{_usd(precision)}/yr): no saving can be told at this gap.")
    if saving < 0:
        return (f"The joint pool costs **{_usd(-saving)}/yr more** than every party stocking on its own{net} "
                f"(precision ±{_usd(precision)}/yr): on these figures a pool is not worth running.")
    return (f"The joint pool saves **{_usd(saving)}/yr** against every party stocking on its own{net} (precision "
            f"±{_usd(precision)}/yr: real, not solver noise; the parties alone still share each purchase cap, "
            "while `stockpile share` gives each coalition its own share of the caps, and splits the saving).")


def uncertainty_section(facts, branched: bool) -> list[str]:
    """Tree size, and EVPI and VSS in one sentence each (when the workbook has uncertain durations:
    `branched`), or why they were not computed."""
    size = facts.scenario_tree or {}
    out = []
    if size:
        out.append(f"The scenario tree has {size['branches']} branches and {size['nodes']} nodes, "
                   f"{size['nodes_in_month_1']} of them in month 1: a release rule knows only what has happened, "
                   "so branches that start alike share one rule until they differ.")
    if facts.evpi_usd_per_yr is not None:
        out.append(f"Knowing from month 1 how long each cut will last would save {_usd(facts.evpi_usd_per_yr)}/yr "
                   f"(EVPI, ±{_usd(facts.evpi_precision_usd_per_yr)}): what perfect foresight would be worth.")
        out.append(f"Planning for each scenario's expected length instead of its range of lengths would cost "
                   f"{_usd(facts.vss_usd_per_yr)}/yr more (VSS, ±{_usd(facts.vss_precision_usd_per_yr)}): "
                   "the value of planning under uncertainty.")
    elif size and branched:
        out.append(f"Durations are uncertain ({size['branches']} branches), but the settings say "
                   "value_of_information = no, so EVPI and VSS were not computed (set it to yes, or run "
                   "models/value_of_information.toml, for three more solves).")
    elif size:
        out.append("No event has an uncertain duration (duration_months lists), so EVPI and VSS are not computed.")
    return out


def buying_section(data: ModelData, res: Results) -> list[str]:
    """Years to reach the recommended stock, the caps and budgets that bind, and what each cap costs."""
    acq, caps = res["acquisition"], res.tables.get("purchase_caps", pd.DataFrame())
    if acq.empty:
        return ["Nothing new to buy."]
    years = int(acq.year.max())
    out = [f"The recommended stock is reached in build year {years} of {data.settings.build_years} "
           f"(purchases are made at the start of each year; acquisition.csv has the schedule)."]
    share = acq.groupby(["year", "mineral"]).all_holders_share_of_world_supply.first().dropna()
    if len(share):
        out.append(largest_purchase_sentence(share))
    if len(caps):
        out += ["", "Purchase caps that bind, and what each costs (the optimum without it minus with it; a cost within "
                "the solver's precision is shown as such, not as a finding):", "",
                _md(pd.DataFrame({
                    "mineral": caps.mineral, "cap_t_per_yr": caps.cap_t_per_yr, "binding_years": caps.binding_years,
                    "cost_usd_m_per_yr": [c / 1e6 if abs(c) > e else "within precision"
                                          for c, e in zip(caps.cap_cost_usd_per_yr, caps.cost_precision_usd_per_yr,
                                                          strict=True)],
                    "precision_usd_per_yr": caps.cost_precision_usd_per_yr}), ",.1f"), ""]
    budgets = binding_budgets(data, res["stock"], res["acquisition"])
    out += [f"- Binds: {b}." for b in budgets]
    if caps.empty and not budgets:
        out.append("No purchase cap or budget binds.")
    return out


def sellers_lines(data: ModelData, res: Results) -> list[str]:
    """Per mineral with world_supply rows: the stock against what the suppliers that sell to stockpiles can supply,
    and how many build years the cap on that supply takes to buy it."""
    held = res["stock"].groupby("mineral").stock_t.sum()
    bought = res["acquisition"].groupby("mineral").bought_t.sum() if len(res["acquisition"]) else pd.Series(dtype=float)
    out = []
    for mi, mineral in data.minerals.items():
        sellers = [u for (m, u), seller in data.world_supply.items() if m == mi and seller.sells_to_stockpiles == "yes"]
        if not any(m == mi for m, _u in data.world_supply):
            continue
        supply = mineral.seller_supply_t_per_yr or 0.0
        head = (f"- {mi}: {_t(float(held.get(mi, 0.0)))} t held; the suppliers that sell to stockpiles "
                f"({', '.join(sellers) or 'none'}) supply {_t(supply)} t/yr")
        cap, new = mineral.purchase_cap_t_per_yr, float(bought.get(mi, 0.0))
        if cap is None:
            share = f"{new / supply:.0%} of a year's supply" if supply > 0 else "more than they supply"
            out.append(f"{head}; with no purchase cap, the new stock is {share}.")
        elif cap <= 0:
            out.append(f"{head}, of which the cap lets all holders buy nothing: no new stock can be bought.")
        else:
            years = max(1, math.ceil(new / cap - 1e-9))
            out.append(f"{head}, of which the cap lets all holders buy {_t(cap)} t/yr: the stock takes {years} build "
                       f"year{'s' if years > 1 else ''} ({data.settings.build_years} allowed).")
    return out


def product_lines(data: ModelData, res: Results) -> list[str]:
    """One line per product: its inputs, its expected lost output a year, and its costliest branch."""
    lost = res.tables.get("product_outcomes", pd.DataFrame(columns=["branch", "party", "product", "cost_usd"]))
    out = []
    for (p, k), product in data.products.items():
        inputs = [m for (pp, kk, m) in data.product_inputs if (pp, kk) == (p, k)]
        mine = lost[(lost.party == p) & (lost["product"] == k)]
        costs = res.tables.get("product_costs", pd.DataFrame(columns=["party", "product"]))
        expected = float(costs[(costs.party == p) & (costs["product"] == k)].expected_lost_output_usd_per_yr.sum())
        head = (f"- **{p} {k}** (needs {', '.join(inputs)}; a month without it costs "
                f"{_usd(product.lost_value_usd_per_month)}): expected lost output {_usd(expected)}/yr")
        if mine.empty:
            out.append(head + "; no branch loses any of its output.")
            continue
        worst = mine.groupby("branch").cost_usd.sum().idxmax()
        w = mine[mine.branch == worst]
        out.append(f"{head}; worst in {worst}: output lost in {w.month.nunique()} month(s), up to "
                   f"{w.lost_share.max():.0%} of it, {_usd(float(w.cost_usd.sum()))} if it happens.")
    return out


def largest_purchase_sentence(share: pd.Series) -> str:
    """The largest share of a year's world supply bought, and every mineral that ties with it (shown to 0.1%)."""
    top = share.max()
    tied = share[share >= top - 5e-4]  # the same figure at the 0.1% shown
    years: dict[str, list[int]] = {}
    for (y, mi) in tied.index:
        years.setdefault(mi, []).append(int(y))
    which = ", ".join(f"{mi} (year{'s' if len(ys) > 1 else ''} {_years(ys)})" for mi, ys in years.items())
    if len(years) == 1:
        return f"The largest purchase against world supply: {which}, {top:.1%} of a year's world supply."
    return (f"The largest purchase against world supply, {top:.1%} of a year's world supply, is reached by "
            f"{len(years)} minerals: {which}.")


def _years(ys: list[int]) -> str:
    return ", ".join(map(str, sorted(ys)))


def operating_rule_lines(res: Results) -> list[str]:
    """The rule an operator follows (operating_rule.csv, formulation "Operating rule"), in words read off the table."""
    rule = res.tables.get("operating_rule")
    if rule is None or rule.empty:
        return []
    states = int(rule.states.sum())
    full = rule[rule.min_share_released >= 1 - 1e-9]
    rationed = rule[rule.min_share_released < 1 - 1e-9]
    out = ["## Operating rule", "",
           "Each month of a cut, for each party short, in the workbook's order: its national holder releases a "
           "share of what it can (the least of the gap, the stock left and its monthly capacity), then the pool a "
           "share of what it can (the gap still open, the pool's stock left and its capacity left that month); the "
           "share is the one the model chose in the tree's state nearest to the present one (the same months into "
           "the cut, then the nearest gaps and stock left). It uses only what has happened, so it applies to a cut "
           f"the tree does not hold (`stockpile backtest`, `stockpile evaluate`). Over the tree's {states:,} states: "
           f"in {len(full):,} of its {len(rule):,} rows (holder, party, mineral, month into the cut) the holder "
           "releases all it can in every state"]
    if len(rationed):
        worst = rationed.sort_values("min_share_released").head(5)
        out[-1] += "; these hold some back in some state: " + "; ".join(
            f"{r.holder} for {r.party} {r.mineral} in month {r.months_into_cut} ({_share_range(r)})"
            for r in worst.itertuples()) + (
            f"; and {len(rationed) - 5:,} more (operating_rule.csv)" if len(rationed) > 5 else "")
    out[-1] += "."
    return [*out, ""]


def _share_range(r: Any) -> str:
    """An operating-rule row's released share over its states, as shown (0.0 to 0.0 is 'none in every state')."""
    lo, hi = f"{r.min_share_released:.0%}", f"{r.max_share_released:.0%}"
    return f"{lo} in every state" if lo == hi else f"{lo} to {hi}"


def release_rules_in_words(data: ModelData, res: Results, per_pair: int = 2, months: int = 6) -> list[str]:
    """One line per holder and mineral: its capacity, then its rule node by node for the scenario families
    that use it most: what it releases in each month of a cut, in t and as a share of the gap, and which
    branches are still possible then (a rule that cannot know how long the cut will last)."""
    stock, rules = res["stock"], res["release_rules"]
    lines = []
    for row in stock[stock.stock_t > 0].itertuples():
        rate = data.release_options[row.release_option].max_release_share_per_month if row.release_option else 0
        head = (f"- **{row.holder} {row.mineral}**: {_t(row.stock_t)} t, '{row.release_option}' capacity "
                f"(up to {rate:.0%} = {_t(rate * row.stock_t)} t a month).")
        pool = row.holder == "JOINT"
        col = "joint_draw_t" if pool else "released_t"
        of_mineral = rules[rules.mineral == row.mineral]
        # the gap a holder's release meets: its own; the pool's: every member's at that node
        served = of_mineral[of_mineral.party.isin(data.eligible_members())] if pool else \
            of_mineral[of_mineral.party == row.holder]
        gap = served.groupby("node").gap_t.sum()
        sel = served[served[col] > 1e-6]
        if sel.empty:
            lines.append(head + " Not drawn in any scenario.")
            continue
        family = sel.scenarios.map(lambda x: data.scenarios[x.split("+")[0]].scenario)
        ranked = sel.groupby(family)[col].sum().sort_values(ascending=False)
        parts = [p for f in ranked.index[:per_pair] if (p := _family_rule(sel[family == f], col, f, gap, months))]
        lines.append(head + (" " + " ".join(parts) if parts else ""))
    return lines


def _family_rule(nodes: pd.DataFrame, col: str, family: str, gap: pd.Series, months: int) -> str:
    """'In a cut of <family>: month 1: 50 t (50% of the gap); month 2 (branches 3m, 6m): ...': the first
    `months` months in which it releases (a branch is named by the length of the cut's uncertain phase; no
    list: every branch of the family still possible); `gap`: the gap it serves at each node, t."""
    by_node = nodes.groupby(["month", "node", "scenarios"], sort=True)[col].sum()
    shown = sorted(set(nodes.month))[:months]
    steps = []
    for (month, node, scen), t in by_node.items():
        if month not in shown:
            continue
        branches = [b.split(":", 1)[1] if ":" in b else b for b in scen.split("+")]
        branched = any(":" in b for b in scen.split("+"))
        which = f" (branches {', '.join(branches)})" if branched and len(branches) <= 3 else ""
        steps.append(f"month {month}{which}: {_t(t)} t{_share_of_gap(t, gap.get(node, 0.0))}")
    if not steps:  # nothing released in the months shown: no clause at all, never an empty one
        return ""
    more = " …" if len(set(nodes.month)) > len(shown) else ""
    return f"In a cut of {family}: " + "; ".join(steps) + more + "."


def _share_of_gap(t: float, gap_t: float) -> str:
    """' (35% of the gap)'; '<1%' rather than a 0% that hides a release; nothing without a gap."""
    if gap_t <= 0:
        return ""
    share = t / gap_t
    return " (<1% of the gap)" if share < 0.005 else f" ({share:.0%} of the gap)"


# ---- plots ------------------------------------------------------------------------------
def plot_coverage(cov: pd.DataFrame, path: Path | None = None, benchmarks=DEFAULT_BENCHMARKS):
    pivot = cov.pivot(index="mineral", columns="party", values="coverage_months").fillna(0)
    pivot = pivot.reindex(list(dict.fromkeys(cov.mineral)))
    styles = [{"color": "grey", "ls": "--"}, {"color": "black", "ls": ":"}, {"color": "grey", "ls": "-."}]
    lines = [(b.days / DAYS_PER_MONTH, styles[i % len(styles)],
              b.label() + (f" ({', '.join(b.parties)})" if b.parties else "")) for i, b in enumerate(benchmarks)]
    return _bar_chart(pivot, path, "coverage, months",
                      "Guaranteed coverage by mineral and party (national stock + drawing rights on the pool)", lines)


def plot_buildup(res: Results, path: Path | None = None):
    """Share of each mineral's new stock bought by the end of each build year (all holders)."""
    acq = res["acquisition"]
    by = acq.groupby(["year", "mineral"]).bought_t.sum().unstack("mineral").fillna(0.0).cumsum()
    share = by / by.iloc[-1].where(by.iloc[-1] > 0)
    fig, ax = plt.subplots(figsize=(7, 4))
    colours = COLOURS
    markers = "osD^v<>ph*"
    for i, mi in enumerate(share.columns):
        ax.plot(share.index, 100 * share[mi], color=colours[i % 20], marker=markers[i % len(markers)], label=mi)
    ax.set_ylim(0, 105)
    ax.set_xticks(list(share.index))
    ax.set_xlabel("build year (purchases at its start)")
    ax.set_ylabel("% of the recommended new stock bought")
    ax.set_title("Build-up of the stock")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    return finish(fig, path)


def plot_shortfalls(res: Results, path: Path | None = None, worst: int = 3):
    """Unmet demand in the worst branches, one small panel per mineral on its own scale from 0 (a
    graphite line no longer flattens the others, a 1% dip no longer looks like a crash)."""
    scen = res["scenarios"].sort_values("shortage_cost_usd", ascending=False).head(worst)
    out = res["scenario_outcomes"]
    out = out[out.branch.isin(scen.branch)]
    by = out.groupby(["mineral", "branch", "month"]).unmet_t.sum()
    minerals = [m for m in dict.fromkeys(out.mineral) if by.loc[m].sum() > 1e-6] if len(by) else []
    cols = min(4, max(1, len(minerals)))
    rows = max(1, -(-len(minerals) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(max(7.0, 3.4 * cols), 2.5 * rows + 1.0), squeeze=False,
                             layout="constrained")  # at least 7 in wide: the title is never clipped
    colour = {b: COLOURS[2 * i % len(COLOURS)] for i, b in enumerate(scen.branch)}
    handles: dict[str, object] = {}
    for ax, mineral in zip(axes.flat, minerals, strict=False):
        top = 0.0
        for b in scen.branch:
            if (mineral, b) in by.index:
                series = by.loc[mineral, b]
                handles[b], = ax.plot(series.index, series.to_numpy(), color=colour[b], lw=1.5, label=b)
                top = max(top, float(series.max()))
        ax.set_ylim(0, top * 1.1 if top > 0 else 1)  # from 0, with room above the highest line
        ax.set_title(mineral, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(minerals):]:
        ax.axis("off")
    if minerals:
        axes.flat[0].set_ylabel("unmet, t/month", fontsize=8)
        fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncol=worst,  # type: ignore[call-overload]
                   fontsize=8)  # matplotlib's stubs do not know its "outside" locations
    else:
        axes.flat[0].text(0.5, 0.5, "no unmet demand in any scenario", ha="center", transform=axes.flat[0].transAxes)
    fig.suptitle(f"Unmet demand month by month, {len(scen)} costliest branches\n(all parties; each mineral on "
                 "its own scale, from 0)", fontsize=10)
    return finish(fig, path)
