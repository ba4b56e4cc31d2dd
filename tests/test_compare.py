"""`stockpile compare`: results folders side by side, with the input cells that differ; `res.write`; the report's
first screen and page furniture."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from stockpile.api import solve

from .helpers import data_of, run_cli, two_parties, write_xlsx


def _settings(**values) -> pd.DataFrame:
    values = {"horizon_months": 6, "mip_rel_gap": 0, "sensitivity": "no", **values}
    return pd.DataFrame({"key": list(values), "value": list(values.values())})


@pytest.fixture
def two_runs(tmp_path):
    # two_parties: a 3 t pool, $30/yr. Run b makes national holding dearer only through the pool's running cost
    # ($7/yr): same stock, objective 30 -> 37.
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_xlsx(two_parties(settings=_settings()), a)
    write_xlsx(two_parties(settings=_settings(pool_fixed_usd_per_yr=7)), b)
    for book, out in ((a, tmp_path / "ra"), (b, tmp_path / "rb")):
        result = run_cli("solve", book, "-o", out)
        assert result.exit_code == 0, result.output
    return tmp_path / "ra", tmp_path / "rb"


def test_compare_puts_two_runs_side_by_side_with_the_inputs_that_differ(tmp_path, two_runs):
    ra, rb = two_runs
    out = tmp_path / "cmp"
    result = run_cli("compare", ra, rb, "-o", out)
    assert result.exit_code == 0, result.output
    facts = pd.read_csv(out / "facts_compared.csv").set_index("item")
    assert float(facts.loc["objective_usd_per_yr", "ra"]) == pytest.approx(30.0)
    assert float(facts.loc["objective_usd_per_yr", "rb"]) == pytest.approx(37.0)
    costs = pd.read_csv(out / "costs_compared.csv").set_index("term")
    assert costs.loc["total", "change_rb"] == pytest.approx(7.0)
    stock = pd.read_csv(out / "stock_compared.csv").set_index(["holder", "mineral"])
    assert stock.loc[("JOINT", "X"), "change_rb"] == pytest.approx(0.0)
    inputs = pd.read_csv(out / "inputs_compared.csv")
    # the one cell that differs: the settings row pool_fixed_usd_per_yr, only in b
    assert len(inputs) == 2 and set(inputs.sheet) == {"settings"}
    assert set(inputs.column) == {"key", "value"}
    text = (out / "summary.md").read_text()
    assert "# Results compared: ra, rb" in text and "## Inputs that differ" in text
    assert (out / "report.html").exists() and (out / "results.xlsx").exists()


def test_compare_checks_its_folders_before_any_work(tmp_path, two_runs):
    ra, _rb = two_runs
    result = run_cli("compare", ra)
    assert result.exit_code == 2 and "expected two or more results folders to compare; found 1" in result.output
    (tmp_path / "mine").mkdir()
    result = run_cli("compare", ra, tmp_path / "mine", "-o", tmp_path / "cmp")
    assert result.exit_code == 2
    assert "expected a results folder of `stockpile solve` (.stockpile-results and solver.json); found no " \
           "solver.json" in result.output
    assert not (tmp_path / "cmp").exists()


def test_results_write_the_folder_the_cli_writes(tmp_path):
    res = solve(data_of(two_parties(settings=_settings())))
    folder = res.write(tmp_path / "nb")
    assert (folder / "summary.md").exists() and (folder / "coverage.csv").exists()
    with pytest.raises(Exception, match="summary.md is an existing file; give -o a folder name"):
        res.write(tmp_path / "nb" / "summary.md")  # a file, not a folder: nothing is written over it


def test_the_report_leads_with_the_answer_and_carries_its_furniture(two_runs):
    ra, _rb = two_runs
    page = (ra / "report.html").read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    text = (ra / "summary.md").read_text()
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)  # a missing number is n/a
    first = text.index("**Proved optimal**")
    assert first < text.index("## What to hold") < text.index("## Recommended stock")
    assert "By holder: A $0 to buy, $0/yr; B $0 to buy, $0/yr; the joint pool $300 to buy, $30/yr" in text
    assert "Run 20" in text and "with stockpile " in text and "HiGHS " in text
    # every table scrolls on a narrow screen; plots are captioned by what they show
    assert page.count("<table>") == page.count('<div class="scroll"><table>')
    assert "Guaranteed months of cover by mineral and party" in page


def test_solve_several_run_specifications_then_compares_them(tmp_path, monkeypatch):
    book = tmp_path / "w.xlsx"
    write_xlsx(two_parties(settings=_settings()), book)
    (tmp_path / "alone.toml").write_text(f'workbook = "{book}"\n[set]\n"parties.*.joint_member" = "no"\n')
    (tmp_path / "pooled.toml").write_text(f'workbook = "{book}"\n')
    monkeypatch.chdir(tmp_path)
    result = run_cli("solve", "alone.toml", "pooled.toml")
    assert result.exit_code == 0, result.output
    for folder in ("results/alone", "results/pooled", "results/compare-alone-pooled"):
        assert (tmp_path / folder / "summary.md").exists(), folder
    costs = pd.read_csv(tmp_path / "results/compare-alone-pooled/costs_compared.csv").set_index("term")
    # alone: 3 t each, 2 x $30 = $60/yr; pooled: one 3 t pool, $30/yr
    assert costs.loc["total", "alone"] == pytest.approx(60.0)
    assert costs.loc["total", "change_pooled"] == pytest.approx(-30.0)
    inputs = pd.read_csv(tmp_path / "results/compare-alone-pooled/inputs_compared.csv")
    assert set(inputs.column) == {"joint_member"} and len(inputs) == 2  # A and B: no in one run, yes in the other


def test_results_xlsx_leads_with_the_briefing_and_echoes_the_inputs(two_runs):
    import openpyxl

    ra, _rb = two_runs
    book = openpyxl.load_workbook(ra / "results.xlsx")
    names = book.sheetnames
    assert names[:3] == ["summary", "coverage_months", "about"]
    assert names.index("stock") < names.index("release_rules") and names.index("costs") < names.index("scenarios")
    assert "in_settings" in names and "in_parties" in names and names[-1] == "columns"
    summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["expected annual cost, USD/yr"] == pytest.approx(30.0)  # a number, not text
    assert summary["JOINT: to buy, USD"] == pytest.approx(300.0)  # 3 t x $100
    about = {r[0]: r[1] for r in book["about"].iter_rows(min_row=2, values_only=True)}
    assert about["objective, USD/yr"] == pytest.approx(30.0)
    assert book["stock"].auto_filter.ref is not None  # every table sorts and filters at once
    units = {(r[0], r[1]): r[2] for r in book["columns"].iter_rows(min_row=2, values_only=True)}
    assert units["stock", "stock_t"] == "tonnes" and units["costs", "usd_per_yr"] == "USD a year"


def test_the_template_offers_drop_downs_for_its_choices(tmp_path):
    import openpyxl

    path = tmp_path / "t.xlsx"
    assert run_cli("template", path).exit_code == 0
    book = openpyxl.load_workbook(path)
    parties = book["parties"]
    assert parties.freeze_panes == "A2"
    rules = {str(d.sqref): d.formula1 for d in parties.data_validations.dataValidation}
    assert rules == {"D2:D501": '"yes,no,optional"'}  # joint_member
    settings = {str(d.sqref): d.formula1 for d in book["settings"].data_validations.dataValidation}
    assert '"cooperative,pro_rata,entitlement"' in settings.values()
    assert run_cli("validate", path).exit_code == 0


def test_the_summary_scores_against_the_workbooks_own_benchmarks(tmp_path):
    # two_parties with 1 t of existing stock each and no pool: 1 t / 1 t a month = 30.42 days for A and B. A
    # benchmark of 30 days for A only: 1 of 1 pair reaches it; 45 days for all: 0 of 2.
    from stockpile.reports.solve import summary

    frames = two_parties(parties={"joint_member": ["no", "no"]}, demand={"existing_stock_t": [1.0, 1.0]},
                         scenarios=pd.DataFrame({"scenario": ["s_a"], "probability_per_yr": [0.001]}),
                         events=pd.DataFrame({"scenario": ["s_a"], "supplier": ["CN"], "minerals": ["X"],
                                              "targets": ["A"], "start_month": [1], "duration_months": [1],
                                              "cut": [0.5]}),
                         settings=_settings(),
                         benchmarks=pd.DataFrame({"benchmark": ["PLAN", "AGENCY"], "days": [30, 45],
                                                  "parties": ["A", "*"]}))
    data = data_of(frames)
    res = solve(data)
    assert res["coverage"].coverage_days.tolist() == pytest.approx([30.42, 30.42])
    text = summary(data, res)
    assert ("Against the workbook's benchmarks sheet: 1 of 1 pairs (A) reach PLAN's 30 days; 0 of 2 pairs reach "
            "AGENCY's 45 days") in text
    # A's lowest benchmark is PLAN's 30 days (1.0 month reaches it: bold); B's is AGENCY's 45 days (not reached)
    assert "| X | **1.0** | 1.0 |" in text
    assert "In bold: cover that reaches the lowest benchmark for the party (30 days, 45 days)." in text
    bad = dict(frames, benchmarks=pd.DataFrame({"benchmark": ["PLAN"], "days": [-3], "parties": ["Q"]}))
    path = tmp_path / "bad.xlsx"
    write_xlsx(bad, path)
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert "sheet 'benchmarks', row 2, column 'days'" in result.output
    assert "unknown party 'Q'" in result.output


@pytest.mark.skipif(__import__("shutil").which("chromium") is None and not __import__("os").environ.get("CHROMIUM"),
                    reason="needs Chromium (apt-get install chromium): bench/report_screens.py drives it")
def test_the_report_fits_1280_and_800_pixels_in_a_real_browser(tmp_path, two_runs):
    import subprocess
    import sys
    from pathlib import Path

    ra, _rb = two_runs
    script = Path(__file__).parents[1] / "bench" / "report_screens.py"
    done = subprocess.run([sys.executable, str(script), str(ra), "--out", str(tmp_path / "shots")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" px:")[0] for line in lines] == ["1280", "800"]
    assert all("no horizontal overflow" in line and ", 0 broken" in line for line in lines)
    assert (tmp_path / "shots" / "report_1280.png").stat().st_size > 0


def test_time_left_is_paced_by_work_not_by_count(monkeypatch):
    # jobs of work 3, 1, 1; the first took 6 s: 2 s a unit of work, 2 units left -> ~4 s (a count would say 12 s)
    from stockpile.analyses import what_if

    clock = iter([100.0, 106.0, 108.0])
    monkeypatch.setattr(what_if.time, "perf_counter", lambda: next(clock))
    eta = what_if.Estimate([3.0, 1.0, 1.0])
    assert eta.left(0) == "; ~4 s left at this pace"
    assert eta.left(1) == "; ~2 s left at this pace"  # 4 units in 8 s, 1 left
    assert eta.left(2) == ""  # nothing left to estimate


def _coalition_lines(monkeypatch, times: list[float], reports: list[tuple[int, int, str]]) -> list[str]:
    """share's progress lines for these reports, the clock reading `times` (the first when it is created)."""
    from stockpile import cli

    clock = iter(times)
    monkeypatch.setattr(cli.time, "perf_counter", lambda: next(clock))
    lines: list[str] = []
    monkeypatch.setattr(cli, "step", lines.append)
    report = cli._coalition_progress()
    for done, total, name in reports:
        report(done, total, name)
    return lines


def test_share_paces_its_estimate_by_the_parties_solved(monkeypatch):
    # 3 players: 7 coalitions, sizes 1,1,1,2,2,2,3 = 12 party-solves. After the 3 singletons in 3 s: 1 s a party,
    # 9 left -> ~9 s (the count would say 4 s)
    lines = _coalition_lines(monkeypatch, [0.0, 1.0, 2.0, 3.0], [(1, 7, "A"), (2, 7, "B"), (3, 7, "C")])
    assert lines[-1] == "coalition 3/7 C solved; ~9 s left at this pace"


def test_share_paces_a_batch_of_some_coalitions_by_their_count(monkeypatch):
    # a sampled game solves batches: 3 coalitions of 5 parties (not every coalition of 2 players), then one alone.
    # Batch 1: 2 done in 4 s -> 2 s each, 1 left -> ~2 s (the sizes would have promised a negative time); its last
    # and the lone coalition say nothing of time left
    lines = _coalition_lines(monkeypatch, [0.0, 2.0, 4.0, 7.0, 9.0],
                             [(1, 3, "A+B+C+D+E"), (2, 3, "A+B+C+D+F"), (3, 3, "A+B+C+E+F"), (1, 1, "B+F")])
    assert lines == ["coalition 1/3 A+B+C+D+E solved; ~4 s left at this pace",
                     "coalition 2/3 A+B+C+D+F solved; ~2 s left at this pace",
                     "coalition 3/3 A+B+C+E+F solved", "coalition 1/1 B+F solved"]
