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
