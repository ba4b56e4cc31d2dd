"""Trust: never lose a user's file, never mix up two runs, never accept nonsense.

Every bad input, option or location ends in a message naming the place, the right exit code,
no traceback and nothing written."""

from __future__ import annotations

import json
import os
import stat

import openpyxl
import pandas as pd
import pytest

from .helpers import run_cli as invoke
from .helpers import tiny, two_parties, write_xlsx

EVENTS_NONE = pd.DataFrame({"scenario": [], "supplier": [], "minerals": [], "targets": [], "start_month": [],
                            "duration_months": [], "cut": []})




def assert_clean_failure(result, code: int, *phrases: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output




def settings(**values) -> pd.DataFrame:
    base = {"horizon_months": 6, "mip_rel_gap": 0, "time_limit_s": 60, **values}
    return pd.DataFrame({"key": list(base), "value": list(base.values())})


# ---- 1. output folders can never destroy anything ------------------------------------------------------

def test_output_into_a_folder_of_other_files_is_refused_and_nothing_is_touched(tmp_path, tiny_xlsx):
    (tmp_path / "notes.docx").write_text("a planner's own document")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = invoke("solve", tiny_xlsx, "-o", tmp_path)  # `-o .` from the workbook's folder
    assert_clean_failure(result, 2, "already exists and holds files stockpile did not write", "notes.docx",
                         "--overwrite")
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "notes.docx").read_text() == "a planner's own document" and tiny_xlsx.exists()


def test_overwrite_writes_into_the_folder_and_keeps_other_files(tmp_path, tiny_xlsx):
    (tmp_path / "notes.docx").write_text("keep me")
    result = invoke("solve", tiny_xlsx, "-o", tmp_path, "--overwrite")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notes.docx").read_text() == "keep me" and tiny_xlsx.exists()
    assert (tmp_path / "summary.md").exists() and (tmp_path / ".stockpile-results").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".stockpile-tmp")]


def test_sibling_results_are_never_deleted(tmp_path, tiny_xlsx):
    results = tmp_path / "results"
    assert invoke("solve", tiny_xlsx, "-o", results / "a").exit_code == 0
    assert invoke("solve", tiny_xlsx, "-o", results / "b").exit_code == 0
    result = invoke("solve", tiny_xlsx, "-o", results)  # a parent of earlier results, not a results folder
    assert_clean_failure(result, 2, "holds files stockpile did not write", "a, b")
    assert (results / "a" / "summary.md").exists() and (results / "b" / "summary.md").exists()


def test_a_previous_results_folder_is_replaced_whole(tmp_path, tiny_xlsx):
    out = tmp_path / "res"
    assert invoke("solve", tiny_xlsx, "-o", out).exit_code == 0
    first = json.loads((out / ".stockpile-results").read_text())
    assert first["command"] == "solve" and "summary.md" in first["files"]
    assert invoke("solve", tiny_xlsx, "-o", out).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res", "tiny.xlsx"]  # no temporary or old folders


def test_a_user_file_added_to_a_results_folder_makes_it_foreign(tmp_path, tiny_xlsx):
    out = tmp_path / "res"
    assert invoke("solve", tiny_xlsx, "-o", out).exit_code == 0
    (out / "my_analysis.xlsx").write_text("mine")
    assert_clean_failure(invoke("solve", tiny_xlsx, "-o", out), 2, "my_analysis.xlsx")
    assert (out / "my_analysis.xlsx").read_text() == "mine"


def test_output_location_is_checked_before_any_solving(tmp_path, tiny_xlsx, monkeypatch):
    def no_solve(*args, **kwargs):
        raise AssertionError("solved before the output location was checked")

    monkeypatch.setattr("stockpile.api.run", no_solve)
    monkeypatch.setattr("stockpile.api.play", no_solve)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert_clean_failure(invoke("solve", tiny_xlsx, "-o", blocker), 2, "is an existing file")
    assert_clean_failure(invoke("solve", tiny_xlsx, "-o", blocker / "sub"), 2, "is a file")
    two = tmp_path / "two.xlsx"
    write_xlsx(two_parties(), two)
    assert_clean_failure(invoke("share", two, "-o", blocker), 2, "is an existing file")
    sweep = invoke("sweep", tiny_xlsx, "--vary", "minerals.X.lot_t=1,2", "-o", blocker)
    assert_clean_failure(sweep, 2, "is an existing file")


def test_unwritable_location_is_refused_before_solving(tmp_path, tiny_xlsx, monkeypatch):
    def denied(*args, **kwargs):  # what a read-only folder answers (the tests may run as root, who may write)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("stockpile.reports.outdir.tempfile.mkdtemp", denied)
    monkeypatch.setattr("stockpile.api.run", lambda *a, **k: pytest.fail("solved first"))
    assert_clean_failure(invoke("solve", tiny_xlsx, "-o", tmp_path / "res"), 2,
                         f"{tmp_path} is not writable (Permission denied)")


def test_results_folders_are_readable_like_any_folder(tmp_path, tiny_xlsx):
    old = os.umask(0o022)
    try:
        assert invoke("solve", tiny_xlsx, "-o", tmp_path / "res").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "res").stat().st_mode) == 0o755  # mkdtemp alone would give 0o700


def test_ctrl_c_in_share_writes_nothing(tmp_path, monkeypatch):
    two = tmp_path / "two.xlsx"
    write_xlsx(two_parties(), two)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("stockpile.api.play", interrupted)
    assert_clean_failure(invoke("share", two, "-o", tmp_path / "sh"), 130, "interrupted (Ctrl-C)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["two.xlsx"]


def test_too_many_rows_for_excel_keeps_the_csv_and_says_so(tmp_path, tiny_xlsx, monkeypatch):
    monkeypatch.setattr("stockpile.reports.common.EXCEL_MAX_ROWS", 4)  # scenario_outcomes has 6 rows (6 months)
    out = tmp_path / "res"
    result = invoke("solve", tiny_xlsx, "-o", out)
    assert result.exit_code == 0, result.output
    assert "scenario_outcomes" not in pd.ExcelFile(out / "results.xlsx").sheet_names
    assert len(pd.read_csv(out / "scenario_outcomes.csv")) == 6
    assert "more than an Excel sheet holds" in (out / "summary.md").read_text()


# ---- 2. runs that cannot be confused ---------------------------------------------------------------------

def test_results_record_the_run_specification(tmp_path, tiny_xlsx):
    import hashlib

    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[set]\n"minerals.X.lot_t" = 2\n')
    out = tmp_path / "res"
    assert invoke("solve", spec, "-o", out).exit_code == 0
    facts = json.loads((out / "solver.json").read_text())
    assert facts["run_spec"] == str(spec.resolve())
    assert facts["run_spec_sha256"] == hashlib.sha256(spec.read_bytes()).hexdigest()
    assert facts["inputs_sha256"] == hashlib.sha256(b"tiny.xlsx" + tiny_xlsx.read_bytes()).hexdigest()
    assert f"Run specification `{spec.resolve()}`" in (out / "summary.md").read_text()


def test_two_run_specs_on_one_workbook_never_share_a_cached_model(tmp_path, tiny_xlsx):
    from stockpile.analyses.sweeps import grid_points, parse_vary, solve_chunk
    from stockpile.io.runspec import load_book

    # same file, different cells: the first lot 1 t (gap 3 t -> 3 t, $30), the second lot 2 t (4 t, $40)
    specs = []
    for lot in (1, 2):
        spec = tmp_path / f"lot{lot}.toml"
        spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[set]\n"minerals.X.lot_t" = {lot}\n')
        specs.append(load_book(str(spec))[1])
    assert specs[0].sha256 == specs[1].sha256 and specs[0].content_sha256() != specs[1].content_sha256()
    costs = []
    for book in specs:  # one worker thread, as a Dask worker would run them one after the other
        point = grid_points([parse_vary("scenarios.s1.probability_per_yr=0.5", book)])
        costs.append(solve_chunk(book, point)[0]["objective_usd_per_yr"])
    # lot 1: 3 t x $10 = $30; lot 2: 2 lots = 4 t x $10 = $40 (holding 0.1 x $100 per t)
    assert costs == pytest.approx([30.0, 40.0])


# ---- 3. validate runs every check; plausibility; strict run specifications -------------------------------

BAD_CELLS = [
    ("supply", "share", "50%", "write 0.5, not a percentage"),
    ("supply", "share", "NaN", "found 'NaN'"),
    ("scenarios", "probability_per_yr", "5%", "write 0.05"),
    ("scenarios", "probability_per_yr", pd.Timestamp("2024-01-01"), "a date"),
    ("minerals", "price_usd_per_t", "100 USD", "without units"),
    ("minerals", "price_usd_per_t", 1e20, "at most 1e+12"),
    ("demand", "consumption_t_per_yr", 1e20, "at most 1e+12"),
    ("demand", "target_months", 1e9, "at most 120"),
    ("release_options", "max_release_share_per_month", 0, "never be released"),
    ("minerals", "lot_t", 0, "a number > 0"),
    ("events", "minerals", ",", "which names none"),
    ("events", "cut", 1.5, "a share between 0 and 1"),
]


@pytest.mark.parametrize("sheet, column, value, words", BAD_CELLS)
def test_bad_cell_is_named_by_validate_and_solve(tmp_path, sheet, column, value, words):
    path = tmp_path / "bad.xlsx"
    write_xlsx(tiny(**{sheet: {column: [value]}}), path)
    for command in ("validate", "solve"):
        result = invoke(command, path) if command == "validate" else invoke(command, path, "-o", tmp_path / "o")
        assert_clean_failure(result, 2, f"sheet '{sheet}', row 2, column '{column}'", words)
    assert not (tmp_path / "o").exists()


BAD_SETTINGS = [
    ({"mip_rel_gap": 1.5}, "mip_rel_gap a number >= 0 and <= 0.1; found '1.5'"),
    ({"mip_rel_gap": -1}, "mip_rel_gap a number >= 0 and <= 0.1"),
    ({"horizon_months": 10000}, "horizon_months a whole number >= 1 and <= 120; found '10000'"),
    ({"time_limit_s": 0}, "time_limit_s a number"),
    ({"horizon": 6}, "unknown key 'horizon' (did you mean 'horizon_months'?)"),
]


@pytest.mark.parametrize("change, words", BAD_SETTINGS)
def test_implausible_settings_are_refused(tmp_path, change, words):
    path = tmp_path / "bad.xlsx"
    write_xlsx(tiny(settings=settings(**change)), path)
    assert_clean_failure(invoke("validate", path), 2, "sheet 'settings'", words)


@pytest.mark.parametrize("sheet", ["scenarios", "parties", "release_options"])
def test_a_sheet_with_no_rows_is_an_error(tmp_path, sheet):
    frames = tiny()
    frames[sheet] = frames[sheet].iloc[0:0]
    if sheet == "scenarios":
        frames["events"] = EVENTS_NONE
    path = tmp_path / "empty.xlsx"
    write_xlsx(frames, path)
    assert_clean_failure(invoke("validate", path), 2, f"at least one row in the {sheet} sheet")


def test_formula_without_a_saved_result_is_not_read_as_blank(tmp_path):
    path = tmp_path / "formula.xlsx"
    write_xlsx(tiny(parties={"budget_usd": [1000]}), path)
    wb = openpyxl.load_workbook(path)
    wb["parties"]["E2"] = "=1000*2"  # openpyxl saves formulas without a computed result, as a script would
    wb.save(path)
    assert wb["parties"]["E1"].value == "budget_usd"
    assert_clean_failure(invoke("validate", path), 2, "sheet 'parties', row 2, column 'budget_usd'",
                         "a formula with no saved result (=1000*2)")


def test_csv_in_another_encoding_or_empty_is_named(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    for name, frame in tiny().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "parties.csv").write_bytes("party,name\nA,Côte d'Ivoire\n".encode("latin-1"))
    (folder / "scenarios.csv").write_text("")
    result = invoke("validate", folder)
    assert_clean_failure(result, 2, "parties.csv, sheet 'parties', row 2: expected UTF-8 text",
                         "byte 0xf4", "scenarios.csv, sheet 'scenarios', row 1: expected a header row")


def test_csv_with_a_byte_order_mark_and_blank_lines_reads_like_the_xlsx(tmp_path, tiny_xlsx):
    from stockpile.io.validate import load

    folder = tmp_path / "book"
    folder.mkdir()
    for name, frame in tiny().items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "parties.csv").write_bytes("\ufeffparty,name,gdp_usd_bn,joint_member\n\nA,Party A,100,no\n".encode())
    assert load(folder).parties == load(tiny_xlsx).parties


RUN_SPECS = [
    ('[setings]\nhorizon_months = 6\n', "line 2", "unknown table 'setings' (did you mean 'settings'?)"),
    ('mip_rel_gap = 0.1\n', "line 2", "unknown key 'mip_rel_gap'"),
    ('[settings]\nhorizon = 6\n', "line 3", "unknown setting 'horizon' (did you mean 'horizon_months'?)"),
    ('[set]\n"minerals.X.lot_t" = [1, 2]\n', "line 3", "found a list"),
    ('[set]\n"minerals.X.lot_t" = 2024-01-01\n', "line 3", "found a date or time"),
    ('set = 5\n', "line 2", "a table [set]"),
    ('[sweep]\nvary = "x"\n', "line 3", "vary = a list of strings"),
    ('[set]\n"scenarios.nope.probability_per_yr" = 0.1\n', "line 3", "unknown row 'nope'"),
]


@pytest.mark.parametrize("body, line, words", RUN_SPECS)
def test_run_specifications_are_strict(tmp_path, tiny_xlsx, body, line, words):
    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n{body}')
    for command in ("validate", "solve"):
        assert_clean_failure(invoke(command, spec), 2, f"run.toml, {line}", words)


@pytest.mark.parametrize("text, words", [
    ("workbook = 5\n", "found int 5"),
    ('workbook = "tiny.xlsx\n', "a readable TOML run specification"),
    ("[settings]\nhorizon_months = 6\n", "a key 'workbook'"),
])
def test_run_specification_without_a_usable_workbook(tmp_path, tiny_xlsx, text, words):
    spec = tmp_path / "run.toml"
    spec.write_text(text)
    assert_clean_failure(invoke("solve", spec), 2, words)


def test_validate_accepts_a_run_specification(tmp_path, tiny_xlsx):
    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[settings]\nmip_rel_gap = 0.5\n')
    assert_clean_failure(invoke("validate", spec), 2, "mip_rel_gap a number >= 0 and <= 0.1; found '0.5'")


# ---- 4. options, addresses and failures: a message and the right exit code --------------------------------

@pytest.mark.parametrize("args, words", [
    (["share", "{two}", "--rules", ""], "expected at least one rule"),
    (["share", "{two}", "--rules", ","], "expected at least one rule"),
    (["share", "{two}", "--mip-rel-gap", "-1"], "not in the range 0<=x<=0.1"),
    (["share", "{two}", "--mip-rel-gap", "5"], "not in the range 0<=x<=0.1"),
    (["sweep", "{tiny}", "--vary", "minerals.X.lot_t=1,2", "--scheduler", "not an address"],
     "expected a Dask scheduler address"),
    (["sweep", "{tiny}", "--vary", "minerals.X.lot_t=1,2", "--workers", "0"], "0 is not in the range"),
    (["sweep", "{tiny}", "--vary", "minerals.X.lot_t=a:b:c"], "is not LO:HI:STEP with three numbers"),
    (["sweep", "{tiny}", "--vary", "minerals.X.lot_t=1:1000000:1"], "at most 100,000 points"),
    (["solve", "{tiny}", "--write-model", "{tmp}/model.txt"], "ending in .mps or .lp"),
    (["solve", "{tiny}", "--write-model", "{tmp}/missing/model.mps"], "does not exist"),
    (["template", "{tiny}"], "already exists"),
])
def test_bad_options_exit_2_with_a_message(tmp_path, tiny_xlsx, args, words):
    two = tmp_path / "two.xlsx"
    write_xlsx(two_parties(), two)
    filled = [a.format(two=two, tiny=tiny_xlsx, tmp=tmp_path) for a in args]
    assert_clean_failure(invoke(*filled, "-o", tmp_path / "out") if filled[0] != "template" else invoke(*filled),
                         2, words)
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_said_before_any_work(tmp_path, tiny_xlsx):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = invoke("sweep", tiny_xlsx, "--vary", "minerals.X.lot_t=1,2", "--scheduler",
                    f"tcp://127.0.0.1:{port}", "-o", tmp_path / "sw")
    assert_clean_failure(result, 2, f"could not connect to the Dask scheduler at tcp://127.0.0.1:{port}")
    assert not (tmp_path / "sw").exists()


def test_tiny_time_limits_end_in_the_right_advice(tmp_path, tiny_xlsx):
    two = tmp_path / "two.xlsx"
    write_xlsx(two_parties(settings=settings(time_limit_s=1e-9)), two)
    assert_clean_failure(invoke("share", two, "-o", tmp_path / "sh"), 1, "raise time_limit_s (now 1e-09 s)")
    spec = tmp_path / "tl.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[settings]\ntime_limit_s = 1e-9\n')
    sweep = invoke("sweep", spec, "--vary", "minerals.X.lot_t=1,2", "--workers", 1, "-o", tmp_path / "sw")
    assert sweep.exit_code == 0, sweep.output
    assert "2 of 2 points have no proven optimum" in sweep.output
    assert "point 1: time_limit" in (tmp_path / "sw" / "summary.md").read_text()


def test_no_solution_that_is_not_a_time_limit_gives_other_advice():
    from stockpile.solver.facts import SolverFacts
    from stockpile.solver.pipeline import advice

    facts = SolverFacts("error", "kSolveError", False, None, None, None, 1e-4, 600)
    assert "raise time_limit_s" not in advice(facts) and "extreme magnitudes" in advice(facts)


def test_a_bug_is_reported_as_one_without_a_traceback(tmp_path, tiny_xlsx, monkeypatch):
    def broken(*args, **kwargs):
        raise TypeError("unsupported operand")

    monkeypatch.setattr("stockpile.api.run", broken)
    result = invoke("solve", tiny_xlsx, "-o", tmp_path / "res")
    assert result.exit_code == 70
    assert "internal error (TypeError: unsupported operand)" in result.output and "Traceback" not in result.output


# ---- 5. warnings for legitimate but suspicious inputs ----------------------------------------------------

def test_supplier_no_event_disrupts_is_a_warning_with_the_closest_name(tmp_path):
    frames = two_parties(supply=pd.DataFrame({"party": ["A", "B"], "mineral": ["X", "X"], "supplier": ["CN", "Cn"],
                                              "share": [1.0, 1.0]}))
    path = tmp_path / "typo.xlsx"
    write_xlsx(frames, path)
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert ("sheet 'supply', row 3, column 'supplier': expected a supplier that some event in the events sheet "
            "cuts; found 'Cn', which no event names, so this supply is never disrupted (did you mean 'CN'?)"
            in result.output)


def test_party_without_demand_and_no_exposure_are_warnings(tmp_path):
    frames = two_parties(demand=pd.DataFrame({"party": ["A"], "mineral": ["X"], "consumption_t_per_yr": [12.0]}),
                         supply=pd.DataFrame({"party": ["A"], "mineral": ["X"], "supplier": ["CN"], "share": [0.0]}))
    path = tmp_path / "idle.xlsx"
    write_xlsx(frames, path)
    result = invoke("solve", path, "-o", tmp_path / "res")
    assert result.exit_code == 0, result.output
    assert "expected demand rows for party 'B'; found none" in result.output
    assert "no scenario cuts any party's supply" in result.output
    summary = (tmp_path / "res" / "summary.md").read_text()
    assert "## Warnings" in summary and "no scenario cuts any party's supply" in summary


def test_zero_coverage_comes_with_its_reason(tmp_path):
    # holding 0.1 x $10,000 = $1,000/t/yr; a tonne replaces at most one unmet tonne at $1,000 in s1,
    # which happens with p = 0.5/yr: 0.5 x 1,000 = $500/yr < $1,000/yr, so no stock
    path = tmp_path / "dear.xlsx"
    write_xlsx(tiny(minerals={"price_usd_per_t": [10000.0]}), path)
    out = tmp_path / "res"
    result = invoke("solve", path, "-o", out)
    assert result.exit_code == 0, result.output
    reason = "A X: coverage 0 — holding X costs $1,000/t/yr; the most a tonne saves is $500/yr"
    assert reason in result.output and reason in (out / "summary.md").read_text()


def test_gdp_rule_with_no_gdp_is_skipped_not_an_equal_split(tmp_path):
    path = tmp_path / "two.xlsx"
    write_xlsx(two_parties(parties={"gdp_usd_bn": [0, 0]}), path)
    result = invoke("share", path, "-o", tmp_path / "sh", "--rules", "shapley,gdp")
    assert result.exit_code == 0, result.output
    assert "rule gdp skipped: every party's gdp_usd_bn in the parties sheet is 0" in result.output
    assert set(pd.read_csv(tmp_path / "sh" / "sharing.csv").rule) == {"shapley"}
    assert_clean_failure(invoke("share", path, "-o", tmp_path / "sh2", "--reference", "gdp"), 2,
                         "--reference gdp: every eligible party's gdp weight is 0")


def test_a_saving_inside_the_solver_uncertainty_is_not_headlined():
    from stockpile.reports.share import _saving_headline

    grand = pd.Series({"saving_usd_per_yr": -2.3e6})
    assert "cannot be told from zero" in _saving_headline(grand, noise=1.5e6)
    assert "a saving of **-$2.3 m/yr**" not in _saving_headline(grand, noise=1.5e6)
    assert _saving_headline(pd.Series({"saving_usd_per_yr": 5e6}), noise=1e6).startswith("a saving of **$5.0 m/yr**")


def test_a_negative_amount_reads_with_its_sign_before_the_dollar():
    # the bundled share printed "least-core slack at most $-874,394/yr"
    from stockpile.common.units import usd

    assert usd(-874_394.2) == "-$874,394" and usd(-2.3e6) == "-$2.3 m" and usd(-2.08e9) == "-$2.08 bn"
    assert usd(-0.4) == "$0" and usd(1_500.0) == "$1,500"
