"""The API as a notebook uses it: a version, a cell changed at load, an InputError that lists its problems, and a
result that displays as its answer rather than its tables."""

from __future__ import annotations

import re

import pytest

import stockpile

from .helpers import tiny, write_xlsx


def test_the_package_has_a_version():
    assert re.match(r"^\d+\.\d+", stockpile.__version__)


def test_load_sets_cells_as_a_run_specification_does(tmp_path):
    write_xlsx(tiny(), tmp_path / "t.xlsx")
    data = stockpile.load(tmp_path / "t.xlsx", set={"demand.A:X.target_months": 2, "settings.build_years.value": 3})
    assert data.demand["A", "X"].target_months == 2 and data.settings.build_years == 3
    # 2 months x 1 t/month = 2 t at least; the cut needs 3 t anyway: $30/yr (test_model case a)
    assert stockpile.solve(data).facts.objective_usd_per_yr == pytest.approx(30.0)


def test_a_bad_cell_at_load_is_an_input_error_that_lists_its_problems(tmp_path):
    write_xlsx(tiny(), tmp_path / "t.xlsx")
    with pytest.raises(stockpile.InputError) as err:
        stockpile.load(tmp_path / "t.xlsx", set={"demand.A:X.target_months": -1, "minerals.Q.lot_t": 2})
    text = str(err.value)  # what a notebook shows: every problem, not a count
    assert "unknown row 'Q' of sheet 'minerals'" in text


def test_a_result_displays_its_answer(tmp_path):
    write_xlsx(tiny(), tmp_path / "t.xlsx")
    res = stockpile.solve(stockpile.load(tmp_path / "t.xlsx"))
    # tiny: 3 t held, $30/yr; 3 t bought at $100/t = $300
    assert res.headline() == "optimal: $30/yr expected (gap 0.000%); new stock $300 to buy"
    assert repr(res).startswith("<stockpile Results optimal: $30/yr") and len(repr(res)) < 400
    html = res._repr_html_()
    assert "<table" in html and "3.0" in html and len(html) < 2000
    assert res.coverage_table().loc["X", "A"] == pytest.approx(3.0)
