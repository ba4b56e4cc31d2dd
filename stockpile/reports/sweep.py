"""The results folder of `stockpile sweep`: every point, the most sensitive inputs, plots."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..common.units import usd as _usd
from .common import COLOURS, MARKERS, _md, draw, finish, plt, warnings_section, write_tables
from .html import write_report
from .outdir import results_folder


def write_sweep(out: str | Path, name: str, sweep, overwrite: bool = False) -> list[str]:
    """The whole folder for `stockpile sweep` (an api.Sweep, a partial one's finished points included)."""
    run, labels, tables = sweep.run, sweep.labels, sweep.tables
    torn = tables.get("tornado")
    with results_folder(out, overwrite, "sweep") as tmp:
        notes = write_tables(tmp, tables)
        if torn is not None and len(torn):
            draw(notes, plot_tornado, torn, tmp / "tornado.png")
        elif not sweep.tornado:
            draw(notes, plot_sweep, tables["sweep_points"], labels, tables["sweep"], tmp / "sweep.png")
        text = sweep_summary(name, run, tables["sweep_points"], [] if sweep.tornado else labels, torn)
        text = text + "\n".join(warnings_section(notes))
        (tmp / "summary.md").write_text(text)
        write_report(tmp, text, f"stockpile sweep — {name}")
        (tmp / "sweep.json").write_text(json.dumps(
            {"points_done": run.done, "points_total": run.total, "partial": run.partial, "backend": run.backend,
             "seconds": run.seconds, "points_per_minute": run.points_per_minute}, indent=2))
    return notes


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
        out += [f"- point {int(r.point)}: {r.status}" + (f": {r.message}" if isinstance(r.message, str) and r.message
                                                          else "") for r in bad.head(20).itertuples()]
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


def plot_sweep(points: pd.DataFrame, labels: list[str], sweep: pd.DataFrame, path: Path | None = None) -> bool:
    ok = points[points.objective_usd_per_yr.notna()]
    if not len(ok) or not labels or len(labels) > 2:
        return False
    if len(labels) == 1:
        lb = labels[0]
        fig, ax = plt.subplots(1, 2, figsize=(11, 4))
        ax[0].plot(ok[lb], ok.objective_usd_per_yr / 1e6, marker="o")
        ax[0].set_ylabel("expected annual cost, USD m/yr")
        cov = sweep[sweep.coverage_months.notna()].groupby([lb, "mineral"]).coverage_months.mean().unstack("mineral")
        for i, mineral in enumerate(cov.columns):  # a colour and a marker per mineral: 20 x 10 distinct series
            ax[1].plot(cov.index, cov[mineral], color=COLOURS[i % len(COLOURS)], marker=MARKERS[i % len(MARKERS)],
                       label=mineral)
        ax[1].set_ylim(bottom=0)
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
    finish(fig, path, bbox_inches="tight")
    return True


def plot_tornado(tornado: pd.DataFrame, path: Path | None = None, top: int = 15):
    """Bars from the base run's value to the value at each input's low and high multiplier."""
    cost = tornado[tornado.measure == "stock_cost_usd_per_yr"].dropna(subset=["swing"])
    cost = cost.reindex(cost.swing.abs().sort_values().index).tail(top)
    base = float(cost.at_base.iloc[0]) if "at_base" in cost and len(cost) else float("nan")
    base = base if base == base else float(((cost.at_low + cost.at_high) / 2).median())  # no base run: the middle
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(cost) + 1.8), layout="constrained")
    ax.barh(cost.input, (cost.at_low - base) / 1e6, left=base / 1e6, color="tab:blue", label="input at its low value")
    ax.barh(cost.input, (cost.at_high - base) / 1e6, left=base / 1e6, color="tab:orange", alpha=0.75,
            label="input at its high value")
    ax.axvline(base / 1e6, color="black", lw=1, label=f"base run: {base / 1e6:,.1f}")
    ax.set_xlabel("annual cost of holding stock, USD m/yr")
    ax.set_title("Tornado: one input at a time, bars from the base run")
    ax.legend(fontsize=8)
    return finish(fig, path)
