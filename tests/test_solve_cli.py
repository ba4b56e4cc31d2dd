"""`stockpile solve` through the CLI: outputs, exit codes, run specifications, model export,
time limits, and a regression on the bundled workbook."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pandas as pd
import pytest

from stockpile.io.validate import load
from stockpile.solver.pipeline import run

from .helpers import run_cli as invoke
from .helpers import tiny, write_xlsx

FILES = {"summary.md", "results.xlsx", "solver.json", "coverage.csv", "stock.csv", "release_rules.csv",
         "scenario_outcomes.csv", "scenarios.csv", "survival.csv", "costs.csv", "coverage.png", "shortfall_paths.png",
         "acquisition.csv", "purchase_caps.csv"}






def test_solve_writes_the_whole_folder(tiny_xlsx, tmp_path):
    out = tmp_path / "res"
    result = invoke("solve", tiny_xlsx, "-o", out)
    assert result.exit_code == 0, result.output
    assert FILES <= {p.name for p in out.iterdir()}
    assert "Coverage, months" in result.output and "3.00" in result.output  # 3 t / 1 t a month
    facts = json.loads((out / "solver.json").read_text())
    assert facts["status"] == "optimal"
    assert facts["objective_usd_per_yr"] == pytest.approx(30.0)
    for key in ("best_bound_usd_per_yr", "relative_gap", "seconds", "variables", "constraints",
                "integer_variables", "highs_version", "pyomo_version", "inputs_sha256"):
        assert key in facts
    assert set(pd.ExcelFile(out / "results.xlsx").sheet_names) >= {"coverage", "stock", "costs", "release_rules"}
    summary = (out / "summary.md").read_text()
    assert "## Recommended stock" in summary and "JOGMEC" in summary and "status **optimal**" in summary


def test_rerun_replaces_folder_whole(tiny_xlsx, tmp_path):
    out = tmp_path / "res"
    assert invoke("solve", tiny_xlsx, "-o", out).exit_code == 0
    # a file an earlier run wrote (listed in the marker) that this run does not write
    marker = json.loads((out / ".stockpile-results").read_text())
    (out / ".stockpile-results").write_text(json.dumps({**marker, "files": marker["files"] + ["stale.csv"]}))
    (out / "stale.csv").write_text("old")
    assert invoke("solve", tiny_xlsx, "-o", out).exit_code == 0
    assert not (out / "stale.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".res")]  # no temporary folders left


def test_bad_input_writes_nothing(tmp_path):
    frames = tiny(minerals={"price_usd_per_t": ["cheap"]})
    path = tmp_path / "bad.xlsx"
    write_xlsx(frames, path)
    out = tmp_path / "res"
    result = invoke("solve", path, "-o", out)
    assert result.exit_code == 2
    assert "column 'price_usd_per_t'" in result.output
    assert not out.exists()


def test_infeasible_exits_3_naming_the_conflict(tmp_path):
    path = tmp_path / "inf.xlsx"
    write_xlsx(tiny(demand={"target_months": [3.0]}, parties={"budget_usd": [200.0]}), path)
    out = tmp_path / "res"
    result = invoke("solve", path, "-o", out)
    assert result.exit_code == 3
    assert "target 3 months of X for A needs 3.0 t" in result.output
    assert "budget_usd allows $200" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_run_spec_overrides_cells(tmp_path, tiny_xlsx):
    spec = tmp_path / "run.toml"
    # scenario probability 0.01 and holding rate 0.2: no stock pays (see test_model case b)
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[settings]\nhorizon_months = 6\n'
                    '[set]\n"scenarios.s1.probability_per_yr" = 0.01\n"minerals.*.holding_rate_per_yr" = 0.2\n')
    out = tmp_path / "res"
    result = invoke("solve", spec, "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "solver.json").read_text())["objective_usd_per_yr"] == pytest.approx(30.0)


def test_run_spec_with_unknown_row_exits_2(tmp_path, tiny_xlsx):
    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[set]\n"scenarios.nope.probability_per_yr" = 0.1\n')
    result = invoke("solve", spec, "-o", tmp_path / "res")
    assert result.exit_code == 2
    assert "unknown row 'nope' of sheet 'scenarios'" in result.output


def test_write_model_round_trip_gives_same_objective(tiny_xlsx, tmp_path):
    mps = tmp_path / "model.mps"
    result = invoke("solve", tiny_xlsx, "-o", tmp_path / "res", "--write-model", mps)
    assert result.exit_code == 0, result.output
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(mps))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(30.0)


def test_time_limit_is_stated_not_passed_off(tmp_path, tiny_xlsx, monkeypatch):
    # deterministic on any machine (no race against HiGHS's clock): the main solve's facts are what HiGHS
    # reports when its time limit stops it with an incumbent of $30/yr and a bound of $27/yr (gap 10%)
    from dataclasses import replace

    import stockpile.solver.highs as adapter

    real, calls = adapter.facts_from, []

    def stopped_by_the_clock(*args, **kwargs):
        facts = real(*args, **kwargs)
        calls.append(facts)
        if len(calls) > 1:  # the canonical-schedule LP after it
            return facts
        return replace(facts, status="time_limit", termination="kTimeLimit", best_bound_usd_per_yr=27.0,
                       relative_gap=(facts.objective_usd_per_yr - 27.0) / facts.objective_usd_per_yr)

    monkeypatch.setattr(adapter, "facts_from", stopped_by_the_clock)
    out = tmp_path / "res"
    result = invoke("solve", tiny_xlsx, "-o", out)
    assert result.exit_code == 0, result.output
    facts = json.loads((out / "solver.json").read_text())
    assert facts["status"] == "time_limit" and facts["objective_usd_per_yr"] == pytest.approx(30.0)
    assert facts["relative_gap"] == pytest.approx(0.1)  # (30 - 27) / 30
    assert "time limit of 60 s hit; best solution found, gap 10.00%: not proven optimal" in result.output
    summary = (out / "summary.md").read_text()
    assert "not a proven optimum (gap 10.00%)" in summary and "nan" not in summary


def test_a_solve_without_a_bound_says_the_gap_is_unknown():
    from stockpile.solver.facts import SolverFacts, gap_words

    facts = SolverFacts("time_limit", "kTimeLimit", True, 30.0, None, None, 1e-6, 1.0)
    assert gap_words(facts) == "no lower bound yet, so the gap is unknown"  # never 'inf%' or 'nan%'


def test_a_time_limit_without_a_solution_says_to_raise_it(tmp_path):
    # 1e-9 s: HiGHS checks its clock before any heuristic on every machine (exit 1, the advice for a time limit)
    path = tmp_path / "tl.xlsx"
    write_xlsx(tiny(settings=pd.DataFrame({"key": ["horizon_months", "time_limit_s"], "value": [6, 1e-9]})), path)
    result = invoke("solve", path, "-o", tmp_path / "res")
    assert result.exit_code == 1, result.output
    assert "without a feasible solution" in result.output and "raise time_limit_s (now 1e-09 s)" in result.output
    assert not (tmp_path / "res").exists()


V01_WORKBOOK = Path(__file__).parent / "data" / "trilateral_2025_v01.xlsx"  # git show 319c792:inputs/...


def test_regression_bundled_workbook():
    """Expected annual cost of the v0.1 bundled workbook (kept in tests/data): $320.5-320.7 m/yr depending
    on HiGHS's search path, against
    an LP-relaxation bound of $320,417,577/yr (both as of the first release; mip_rel_gap 1e-3).
    Holding dominates ($223 m/yr: 5% capital charge + storage on ~$4.2 bn of stock); expected shortage is
    $75 m/yr, mostly the 2%/yr severe embargo ($2.3 bn if it happens) and the Indonesian nickel cut, whose
    gap stays in the cheapest tier (Ni tier 1 $8,500/t x 0.02/yr = $170 < $1,000/t/yr to hold), so Ni is
    never stocked."""
    data = load(V01_WORKBOOK)
    res = run(data)
    facts = res.facts
    assert facts.status == "optimal"
    assert facts.relative_gap <= data.settings.mip_rel_gap + 1e-9
    assert facts.best_bound_usd_per_yr <= facts.objective_usd_per_yr + 1e-6
    lp_bound = 320_417_577.0  # HiGHS on the LP relaxation (all integers relaxed), first release
    assert lp_bound * (1 - 1e-6) <= facts.objective_usd_per_yr <= lp_bound * (1 + 1.5e-3)
    costs = res["costs"].set_index("term").usd_per_yr
    assert costs.drop("total").sum() == pytest.approx(costs["total"])
    assert costs["expected_shortage"] == pytest.approx(74.7e6, rel=0.05)
    assert res["party_costs"].total_usd_per_yr.sum() == pytest.approx(costs["total"])
    cov = res["coverage"]
    # coverage counts guaranteed stock: national + drawing rights, and cooperative allocation gives none
    assert data.settings.joint_allocation == "cooperative" and (cov.rights_t == 0).all()
    assert ((cov.national_t + cov.rights_t) / cov.basis_t_per_month).to_numpy() == pytest.approx(
        cov.coverage_months.to_numpy())
    assert cov.guaranteed_months.to_numpy() == pytest.approx(cov.national_months.to_numpy())
    assert (cov[cov.mineral == "Ni"].coverage_months == 0).all()
    # every party's claims on each joint pool add up to the pool
    stock = res["stock"]
    pools = stock[stock.holder == "JOINT"].set_index("mineral").stock_t
    claims = cov.groupby("mineral").joint_t.sum()
    assert claims.reindex(pools.index).to_numpy() == pytest.approx(pools.to_numpy())


def test_solve_without_argument_runs_the_bundled_workbook(tmp_path, monkeypatch):
    # the bundled workbook without its value-of-information solves (three more) and its assumption re-solves
    # (minutes; tests/test_assumptions.py tests them), bought in one build year (a fifth of the acquisition
    # variables; the caps per year bind harder): the same workbook the command uses when given no argument
    from stockpile import cli

    bundled = cli.DEFAULT_WORKBOOK
    spec = tmp_path / "bundled.toml"
    spec.write_text(f'workbook = "{bundled}"\n[settings]\n'
                    'value_of_information = "no"\nsensitivity = "no"\nbuild_years = 1\n')
    monkeypatch.setattr(cli, "DEFAULT_WORKBOOK", spec)
    out = tmp_path / "res"
    result = invoke("solve", "-o", out)
    assert result.exit_code == 0, result.output
    assert "Coverage, months" in result.output
    for party in ("US", "JP", "KR", "EU"):
        assert party in result.output
    assert "NdPr" in result.output and "status optimal" in result.output
    assert json.loads((out / "solver.json").read_text())["inputs"].endswith("trilateral_2025.xlsx")
    # buyable stock: no mineral's purchases in any build year exceed its cap, summed over all holders
    # (national and joint); every mineral of the bundled workbook has a world supply and a cap
    data = load(bundled)
    acq = pd.read_csv(out / "acquisition.csv")
    per_year = acq.groupby(["year", "mineral"]).bought_t.sum()
    for (year, mineral), bought in per_year.items():
        cap = data.minerals[mineral].purchase_cap_t_per_yr
        assert cap is not None and bought <= cap * (1 + 1e-9), (year, mineral, bought, cap)
    assert set(acq.year) <= {1}  # the run specification's one build year (the workbook's own says 5)
    stock = pd.read_csv(out / "stock.csv").groupby("mineral").stock_t.sum()
    existing = pd.read_csv(out / "stock.csv").groupby("mineral").existing_t.sum()
    assert acq.groupby("mineral").bought_t.sum().reindex(stock.index, fill_value=0).to_numpy() == pytest.approx(
        (stock - existing).to_numpy(), abs=1e-6)
    assert "## Buying the stock" in (out / "summary.md").read_text()


def test_report_html_is_one_self_contained_page(tmp_path):
    """report.html: the summary with its plots embedded; no script, no link or image fetched from the
    network, so it opens offline."""
    import re

    write_xlsx(tiny(), tmp_path / "w.xlsx")
    out = tmp_path / "res"
    assert invoke("solve", tmp_path / "w.xlsx", "-o", out).exit_code == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<h2>Recommended stock</h2>" in page and "<table>" in page
    assert page.count('src="data:image/png;base64,') == len(list(out.glob("*.png"))) >= 2
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_report_html_renders_in_a_headless_browser(tmp_path):
    """A real browser takes a screenshot of report.html (skipped where no chromium is installed)."""
    import shutil
    import subprocess

    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no headless chromium on this machine")
    write_xlsx(tiny(), tmp_path / "w.xlsx")
    out = tmp_path / "res"
    assert invoke("solve", tmp_path / "w.xlsx", "-o", out).exit_code == 0
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1200,2000", (out / "report.html").as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000  # a rendered page, not an empty frame


def test_results_xlsx_is_formatted_for_people(tmp_path):
    """results.xlsx opens on the briefing's numbers and months of cover, then the solver's status and provenance;
    headers frozen and bold; tonnes, dollars and shares formatted; tree nodes carry a readable label."""
    import openpyxl

    write_xlsx(tiny(), tmp_path / "w.xlsx")
    out = tmp_path / "res"
    assert invoke("solve", tmp_path / "w.xlsx", "-o", out).exit_code == 0
    book = openpyxl.load_workbook(out / "results.xlsx")
    assert book.sheetnames[:3] == ["summary", "coverage_months", "about"]
    about = {r[0]: r[1] for r in book["about"].iter_rows(min_row=2, values_only=True)}
    assert about["status"].startswith("optimal") and about["workbook"].endswith("w.xlsx")
    stock = book["stock"]
    assert stock.freeze_panes == "A2" and stock["A1"].font.bold
    header = [c.value for c in stock[1]]
    assert stock.cell(2, header.index("stock_t") + 1).number_format == "#,##0.0"
    assert stock.cell(2, header.index("acquisition_usd") + 1).number_format == "#,##0"
    rules = pd.read_csv(out / "release_rules.csv")
    assert rules.node_label.str.match(r"month \d+, s1").all()


def test_solve_says_what_pooling_saves():
    # two_parties: A and B hit apart (p = 0.4 each), 1 t/month for 3 months. One pool of 3 t serves both:
    # 3 x $10 = $30/yr; on their own each holds 3 t: 6 x $10 = $60/yr. Pooling saves $30/yr, exactly.
    import stockpile

    from .helpers import data_of, two_parties

    res = stockpile.solve(data_of(two_parties()))
    assert res.facts.pooling_saving_usd_per_yr == pytest.approx(30.0)
    assert res.facts.pooling_saving_precision_usd_per_yr == pytest.approx(0.0, abs=1e-9)


def test_coverage_of_a_mineral_a_party_does_not_use_reads_n_a_not_nan(tmp_path):
    from tests.helpers import two_parties, write_xlsx

    frames = two_parties()
    frames["minerals"] = pd.concat([frames["minerals"], frames["minerals"].assign(mineral="Y")], ignore_index=True)
    frames["demand"] = pd.concat([frames["demand"], pd.DataFrame({"party": ["A"], "mineral": ["Y"],
                                                                  "consumption_t_per_yr": [12.0]})])
    frames["supply"] = pd.concat([frames["supply"], pd.DataFrame({"party": ["A"], "mineral": ["Y"],
                                                                  "supplier": ["CN"], "share": [1.0]})])
    write_xlsx(frames, tmp_path / "book.xlsx")
    result = invoke("solve", tmp_path / "book.xlsx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "out" / "summary.md").read_text()
    row = next(line for line in summary.splitlines() if line.startswith("| Y |"))
    assert row.split("|")[3].strip() == "n/a"  # B uses no Y: no coverage to state
    assert "nan" not in summary
