"""Write a results folder whole or not at all: CSVs, results.xlsx, solver.json,
summary.md and PNG plots (DESIGN §6)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .data import DAYS_PER_MONTH, ModelData  # noqa: E402
from .outdir import results_folder  # noqa: E402
from .results import Results  # noqa: E402

JOGMEC_DAYS, KOMIR_DAYS = 60, 100


EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384  # an Excel sheet's limits, header row included


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> list[str]:
    """Every table as CSV, and in results.xlsx where it fits an Excel sheet; returns what did not fit."""
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    too_big = [name for name, frame in tables.items()
               if len(frame) + 1 > EXCEL_MAX_ROWS or len(frame.columns) > EXCEL_MAX_COLUMNS]
    notes = [f"table {name} has {len(tables[name]):,} rows, more than an Excel sheet holds: it is in {name}.csv "
             "only, not in results.xlsx" for name in too_big]
    with pd.ExcelWriter(folder / "results.xlsx", engine="openpyxl") as xl:
        for name, frame in tables.items():
            if name not in too_big:
                frame.to_excel(xl, sheet_name=name[:31], index=False)
        if notes:
            pd.DataFrame({"note": notes}).to_excel(xl, sheet_name="notes", index=False)
    return notes


def write_results(out: str | Path, data: ModelData, res: Results, overwrite: bool = False) -> Path:
    """The whole folder for `stockpile solve`."""
    with results_folder(out, overwrite, "solve") as tmp:
        res.warnings.extend(write_tables(tmp, res.tables))
        (tmp / "solver.json").write_text(json.dumps(res.facts.to_dict(), indent=2, default=str))
        draw(res.warnings, plot_coverage, res["coverage"], tmp / "coverage.png")
        draw(res.warnings, plot_shortfalls, res, tmp / "shortfall_paths.png")
        (tmp / "summary.md").write_text(summary(data, res))
    return Path(out)


def draw(notes: list[str], plot, *args) -> None:
    """A plot that fails costs its picture, never the run: the failure is a note in summary.md."""
    try:
        plot(*args)
    except Exception as exc:
        notes.append(f"{Path(args[-1]).name} could not be drawn ({type(exc).__name__}: {exc}); the tables are "
                     "complete")
    finally:
        plt.close("all")


# ---- summary.md --------------------------------------------------------------------

def _usd(x: float) -> str:
    if abs(x) >= 1e9:
        return f"${x / 1e9:,.2f} bn"
    if abs(x) >= 1e6:
        return f"${x / 1e6:,.1f} m"
    return f"${x:,.0f}"


def _t(tonnes: float) -> str:
    """Tonnes to 3 significant figures, with thousands separators."""
    return f"{tonnes:,.0f}" if abs(tonnes) >= 100 else f"{tonnes:.3g}"


def _md(frame: pd.DataFrame, floatfmt: str = ",.1f") -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def solver_line(facts) -> str:
    gap = "n/a" if facts.relative_gap is None else f"{facts.relative_gap:.3%}"
    bound = "n/a" if facts.best_bound_usd_per_yr is None else _usd(facts.best_bound_usd_per_yr)
    obj = "n/a" if facts.objective_usd_per_yr is None else _usd(facts.objective_usd_per_yr)
    # only the times this solve recorded (a coalition re-solve has no build or total of its own)
    seconds = ", ".join(f"{label} {facts.seconds[key]:.2f}" for key, label in
                        (("build", "build"), ("highs", "HiGHS"), ("total", "total")) if key in facts.seconds)
    return (f"HiGHS {facts.highs_version}: status **{facts.status}** ({facts.termination}); objective {obj}/yr, "
            f"best bound {bound}/yr, gap {gap} (stop at {facts.mip_rel_gap_setting:g}); "
            f"{facts.variables:,} variables ({facts.integer_variables:,} integer), {facts.constraints:,} constraints; "
            f"seconds: {seconds}.")


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


def warnings_section(warnings: list[str]) -> list[str]:
    if not warnings:
        return []
    return ["## Warnings", "", *[f"- {w.removeprefix('warning: ')}" for w in warnings], ""]


def provenance(data: ModelData) -> list[str]:
    """Which inputs produced these numbers: the workbook and, when one was used, the run specification."""
    lines = [f"Workbook `{data.source}`, sha256 `{data.sha256}`."]
    if data.run_spec:
        lines.append(f"Run specification `{data.run_spec}`, sha256 `{data.run_spec_sha256}`.")
    return lines


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

def _bar_chart(pivot: pd.DataFrame, path: Path, ylabel: str, title: str, lines=(), ncol: int = 6) -> None:
    """Grouped bars (index on the x axis, one bar per column) with optional horizontal reference lines."""
    fig, ax = plt.subplots(figsize=(11, 4.5))
    pivot.plot.bar(ax=ax, width=0.8)
    for y, style, label in lines:
        ax.axhline(y, lw=1, label=label, **style)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(ncol=ncol, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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


# ---- stockpile share ---------------------------------------------------------------------

def write_share(out: str | Path, data: ModelData, game, rules: list[str], reference: str,
                overwrite: bool = False) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The whole folder for `stockpile share`; returns its tables and the notes it printed in summary.md."""
    from .sharing import compare, core_status, least_core_slack, uncertainty, unusable_rules

    skipped = unusable_rules(game, data, [*rules, reference])
    if reference in skipped and "optimised" in rules:
        raise ValueError(f"--reference {reference}: {skipped[reference]}; choose another reference")
    notes = [why for r, why in skipped.items() if r in rules]
    notes += [f"coalition {c}: HiGHS stopped at its time limit; its value is the best found, not a proven optimum"
              for c, f in zip(game.table().coalition, (game.facts[c] for c in game.coalitions()), strict=True)
              if f.status != "optimal"]
    tables = {"coalitions": game.table(), **compare(game, data, [r for r in rules if r not in skipped], reference)}
    t_star = least_core_slack(game)
    with results_folder(out, overwrite, "share") as tmp:
        notes += write_tables(tmp, tables)
        draw(notes, plot_sharing, tables["sharing"], tmp / "sharing.png")
        (tmp / "summary.md").write_text(share_summary(
            data, tables["coalitions"], tables["sharing"], t_star, core_status(game, t_star), uncertainty(game),
            game.facts[game.grand_coalition], notes))
    return tables, notes


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


# ---- stockpile sweep ---------------------------------------------------------------------

def write_sweep(out: str | Path, name: str, run, labels: list[str], tornado: bool, overwrite: bool = False) -> None:
    """The whole folder for `stockpile sweep` (a partial sweep's finished points included)."""
    from .sweep import point_table, sweep_table, tornado_table

    table = sweep_table(run, labels)
    per_point = point_table(table, labels)
    tables = {"sweep": table, "sweep_points": per_point}
    torn = tornado_table(table) if tornado else None
    if torn is not None:
        tables["tornado"] = torn
    with results_folder(out, overwrite, "sweep") as tmp:
        notes = write_tables(tmp, tables)
        if torn is not None and len(torn):
            draw(notes, plot_tornado, torn, tmp / "tornado.png")
        elif not tornado:
            draw(notes, plot_sweep, per_point, labels, table, tmp / "sweep.png")
        text = sweep_summary(name, run, per_point, labels if not tornado else [], torn)
        (tmp / "summary.md").write_text(text + "\n".join(warnings_section(notes)))
        (tmp / "sweep.json").write_text(json.dumps(
            {"points_done": run.done, "points_total": run.total, "partial": run.partial, "backend": run.backend,
             "seconds": run.seconds, "points_per_minute": run.points_per_minute}, indent=2))


def sweep_summary(data_name: str, run, points: pd.DataFrame, labels: list[str],
                  tornado: pd.DataFrame | None) -> str:
    out = [f"# Sensitivity sweep — {data_name}", ""]
    if run.partial:
        out += [f"> **PARTIAL SWEEP: {run.done} of {run.total} points finished** (stopped before the end).", ""]
    counts = points.status.value_counts().to_dict()
    out += [f"{run.done} points on {run.backend} in {run.seconds:.1f} s ({run.points_per_minute:.1f} points/min); "
            "status: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".", ""]
    bad = points[~points.status.isin(["optimal"])]
    if len(bad):
        out += ["Points without a proven optimum (kept in sweep.csv with their status):", ""]
        out += [f"- point {int(r.point)}: {r.status}" for r in bad.head(20).itertuples()]
        out.append("")
    if tornado is not None and len(tornado):
        cost = tornado[tornado.measure == "stock_cost_usd_per_yr"].dropna(subset=["swing"])
        cost = cost.reindex(cost.swing.abs().sort_values(ascending=False).index)
        out += ["## Most sensitive inputs (swing of the annual cost of holding stock)", "",
                _md(cost.head(10).assign(at_low_m=cost.at_low / 1e6, at_high_m=cost.at_high / 1e6,
                                         swing_m=cost.swing / 1e6)[
                    ["input", "low_multiplier", "high_multiplier", "at_low_m", "at_high_m", "swing_m"]], ",.2f"), ""]
        cov = tornado[tornado.measure.str.startswith("coverage_months:")].dropna(subset=["swing"])
        top = cov.reindex(cov.swing.abs().sort_values(ascending=False).index).head(10)
        out += ["## Largest coverage swings (months, mean over parties)", "",
                _md(top[["input", "measure", "at_low", "at_high", "swing"]], ",.2f"), ""]
        return "\n".join(out)
    ok = points[points.objective_usd_per_yr.notna()]  # solved points (a time limit may leave none)
    if len(ok) and labels:
        out += ["## Sensitivity of the recommendation", ""]
        ranges = []
        for lb in labels:
            by = ok.groupby(lb).agg(stock_t=("stock_t", "mean"), objective=("objective_usd_per_yr", "mean"))
            ranges.append((lb, by.stock_t.max() - by.stock_t.min(), by.objective.max() - by.objective.min()))
        ranges.sort(key=lambda r: -abs(r[1]))
        out += [f"- **{lb}**: total stock moves by {st:,.0f} t and expected annual cost by {_usd(ob)}/yr across "
                "its values (averaged over the other inputs)" for lb, st, ob in ranges]
        out += ["", f"Most sensitive: **{ranges[0][0]}**.", ""]
    return "\n".join(out)


def plot_sweep(points: pd.DataFrame, labels: list[str], sweep: pd.DataFrame, path: Path) -> bool:
    ok = points[points.objective_usd_per_yr.notna()]
    if not len(ok) or not labels or len(labels) > 2:
        return False
    if len(labels) == 1:
        lb = labels[0]
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        ax[0].plot(ok[lb], ok.objective_usd_per_yr / 1e6, marker="o")
        ax[0].set_ylabel("expected annual cost, USD m/yr")
        cov = sweep[sweep.coverage_months.notna()].groupby([lb, "mineral"]).coverage_months.mean()
        cov.unstack("mineral").plot(ax=ax[1], marker=".")
        ax[1].set_ylabel("coverage, months (mean over parties)")
        for a in ax:
            a.set_xlabel(lb)
        ax[1].legend(fontsize=7, ncol=2)
    else:
        grid = ok.pivot_table(index=labels[0], columns=labels[1], values="objective_usd_per_yr") / 1e6
        fig, axis = plt.subplots(figsize=(7, 5))
        im = axis.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        axis.set_yticks(range(len(grid.index)), [f"{v:g}" if isinstance(v, float) else v for v in grid.index])
        axis.set_xticks(range(len(grid.columns)), [f"{v:g}" if isinstance(v, float) else v for v in grid.columns])
        axis.set_ylabel(labels[0])
        axis.set_xlabel(labels[1])
        fig.colorbar(im, label="expected annual cost, USD m/yr")
    fig.suptitle("Sensitivity sweep")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def plot_tornado(tornado: pd.DataFrame, path: Path, top: int = 15) -> None:
    cost = tornado[tornado.measure == "stock_cost_usd_per_yr"].dropna(subset=["swing"])
    cost = cost.reindex(cost.swing.abs().sort_values().index).tail(top)
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(cost) + 1.5))
    base = 0.0
    ax.barh(cost.input, (cost.at_low - base) / 1e6, color="tab:blue", label="low")
    ax.barh(cost.input, (cost.at_high - base) / 1e6, color="tab:orange", alpha=0.7, label="high")
    ax.set_xlabel("annual cost of holding stock, USD m/yr")
    ax.set_title("Tornado: one input at a time at its low and high multiplier")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
