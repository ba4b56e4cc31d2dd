"""What the answer rests on: assumption groups re-solved at their low and high values, break-evens, and the words.

The hand-computed case is a newsvendor (critical fractile): party A uses 1 t/month of X; scenario s1 (p = 0.2/yr)
cuts it for 2 months, s2 (p = 0.1/yr) for 4. Holding costs $10/t/yr, a tonne short c = $60 (one tier), lots of
1 t, releases free. The x-th tonne of stock avoids a shortage in s1 and s2 (x <= 2: worth 0.3 c a year) or in s2
only (2 < x <= 4: 0.1 c); it is bought when that beats $10:
  base c = 60:   18 > 10, 6 < 10   -> stock 2 t; cost 10 x 2 + 60 x 0.1 x 2 = $32/yr; acquisitions 2 x $100
  low  c = 30:    9 < 10           -> stock 0;   cost 30 x (0.2 x 2 + 0.1 x 4) = $24/yr
  high c = 120:  36, 12 > 10       -> stock 4 t; cost 10 x 4 = $40/yr
Break-evens: stock falls to 0 when 0.3 k 60 < 10 (k < 0.556); it doubles (4 t) when 0.1 k 60 > 10 (k > 1.667).
"""

from __future__ import annotations

import pandas as pd
import pytest

import stockpile
from stockpile.analyses.assumptions import BRACKET
from stockpile.io.problems import InputError
from tests.helpers import data_of, run_cli, tiny, write_xlsx


def fractile(sources: pd.DataFrame | None = None, **changes) -> dict[str, pd.DataFrame]:
    frames = tiny(
        minerals={"price_usd_per_t": 100.0, "holding_rate_per_yr": 0.1, "lot_t": 1},
        shortage_costs=pd.DataFrame({"mineral": ["*"], "tier": [1], "up_to_share_of_demand": [1.0],
                                     "usd_per_t": [60.0]}),
        scenarios=pd.DataFrame({"scenario": ["s1", "s2"], "probability_per_yr": [0.2, 0.1]}),
        events=pd.DataFrame({"scenario": ["s1", "s2"], "supplier": ["CN", "CN"], "minerals": ["X", "X"],
                             "targets": ["*", "*"], "start_month": [1, 1], "duration_months": [2, 4],
                             "cut": [1.0, 1.0]}),
        **changes)
    frames["sources"] = sources if sources is not None else pd.DataFrame(
        {"sheet": ["shortage_costs"], "row": ["*:1"], "column": ["usd_per_t"], "status": ["assumed"],
         "group": ["shortage cost"], "low": [0.5], "high": [2.0]})
    return frames


def rows(res, group: str) -> pd.DataFrame:
    table = res.tables["assumptions"]
    return table[table.group == group].set_index("side")


def test_a_shortage_cost_group_moves_the_stock_by_the_critical_fractile():
    res = stockpile.solve(data_of(fractile()))
    assert res.facts.objective_usd_per_yr == pytest.approx(32.0, abs=1e-6)  # 10 x 2 + 60 x 0.1 x 2
    group = rows(res, "shortage cost")
    assert group.loc["low", "multiplier"] == 0.5 and group.loc["high", "multiplier"] == 2.0
    assert group.loc["low", "objective_usd_per_yr"] == pytest.approx(24.0, abs=1e-3)  # 30 x (0.2 x 2 + 0.1 x 4)
    assert group.loc["high", "objective_usd_per_yr"] == pytest.approx(40.0, abs=1e-3)  # 10 x 4
    assert group.loc["low", "acquisitions_usd"] == pytest.approx(0.0)
    assert group.loc["high", "acquisitions_usd"] == pytest.approx(400.0)  # 4 t x $100
    assert group.loc["low", "acquisitions_change_usd"] == pytest.approx(-200.0)
    assert group.loc["high", "acquisitions_change_pct"] == pytest.approx(100.0)
    stock = res.tables["assumption_stock"].set_index("side")
    assert stock.loc["low", "stock_t"] == pytest.approx(0.0) and stock.loc["high", "stock_t"] == pytest.approx(4.0)
    assert list(stock.base_stock_t) == pytest.approx([2.0, 2.0])


def test_break_evens_bracket_the_hand_computed_multiples():
    res = stockpile.solve(data_of(fractile()))
    table = res.tables["assumptions"]
    even = table[table.mineral == "X"].set_index("side")
    lo, hi = even.loc["zero", "break_even_low"], even.loc["zero", "break_even_high"]
    assert lo < 10 / 18 < hi and hi / lo <= BRACKET  # 0.3 k 60 = 10
    lo, hi = even.loc["double", "break_even_low"], even.loc["double", "break_even_high"]
    assert lo < 10 / 6 < hi and hi / lo <= BRACKET  # 0.1 k 60 = 10


def test_probabilities_scaled_up_are_kept_summing_to_one():
    # x5: 1.0 + 0.5 = 1.5 > 1, so both scale back by 1/1.5 to 2/3 and 1/3: every tonne of the 4 is worth
    # 60 x 2/3 or 60 x 1/3 = 20 > 10: stock 4 t, no shortage: $40/yr
    sources = pd.DataFrame({"sheet": ["scenarios"], "row": ["*"], "column": ["probability_per_yr"],
                            "status": ["assumed"], "group": ["likelihood"], "low": [0.5], "high": [5.0]})
    res = stockpile.solve(data_of(fractile(sources)))
    high = rows(res, "likelihood").loc["high"]
    assert "kept summing to at most 1" in high.note
    assert high.objective_usd_per_yr == pytest.approx(40.0, abs=1e-3)


def test_a_value_beyond_its_range_is_clipped_with_a_note():
    sources = pd.DataFrame({"sheet": ["release_options"], "row": ["any"], "column": ["max_release_share_per_month"],
                            "status": ["assumed"], "group": ["release"], "low": [None], "high": [None]})
    res = stockpile.solve(data_of(fractile(sources)))
    group = rows(res, "release")
    assert group.loc["low", "multiplier"] == 0.5 and group.loc["high", "multiplier"] == 2.0  # blank: 0.5 and 2
    assert "clipped to their range" in group.loc["high", "note"]  # 1.0 x 2 is no share of stock a month
    assert group.loc["high", "objective_usd_per_yr"] == pytest.approx(32.0, abs=1e-3)  # 1.0: the base itself


def test_assumed_rows_without_a_group_form_one_group_per_sheet_and_column():
    sources = pd.DataFrame({"sheet": ["minerals", "scenarios", "scenarios"], "row": ["X", "s1", "s2"],
                            "column": ["holding_rate_per_yr", "probability_per_yr", "probability_per_yr"],
                            "status": ["assumed", "assumed", "sourced"]})
    data = data_of(fractile(sources))
    assert [(g.name, len(g.cells)) for g in data.assumptions] == [
        ("minerals.holding_rate_per_yr (assumed)", 1), ("scenarios.probability_per_yr (assumed)", 1)]


def test_sensitivity_no_writes_no_assumptions_table(tmp_path):
    frames = fractile(settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "sensitivity"],
                                             "value": [6, 0, "no"]}))
    write_xlsx(frames, tmp_path / "book.xlsx")
    result = run_cli("solve", tmp_path / "book.xlsx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "out" / "assumptions.csv").exists()
    assert "What this answer rests on" not in (tmp_path / "out" / "summary.md").read_text()


def test_the_summary_opens_with_what_the_answer_rests_on(tmp_path):
    write_xlsx(fractile(), tmp_path / "book.xlsx")
    result = run_cli("solve", tmp_path / "book.xlsx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "summary.md").read_text()
    assert text.index("## What this answer rests on") < text.index("## Recommended stock")
    # the sentence is the table's: $0 at 0.5x and $400 at 2x against $200
    assert ("- shortage cost: at 0.5x the stock costs $0 instead of $200 (-100%): X -100%; at 2x the stock costs "
            "$400 instead of $200 (+100%): X +100%.") in text
    table = pd.read_csv(tmp_path / "out" / "assumptions.csv")
    assert list(table.columns[:6]) == ["rank", "group", "side", "multiplier", "cells", "status"]
    assert {"objective_usd_per_yr", "acquisitions_usd", "objective_change_usd_per_yr",
            "acquisitions_change_usd"} <= set(table.columns)
    assert list(pd.read_csv(tmp_path / "out" / "assumption_stock.csv").columns[:5]) == [
        "group", "side", "mineral", "stock_t", "base_stock_t"]
    assert "nan" not in text.lower().replace("nanc", "")
    # the terminal says it too, in the same words
    assert ("What this answer rests on (assumptions.csv):\n  shortage cost: at 0.5x the stock costs $0 instead of "
            "$200") in result.output


def test_groups_are_ranked_by_the_swing_in_acquisitions():
    sources = pd.DataFrame({"sheet": ["release_options", "shortage_costs"], "row": ["any", "*:1"],
                            "column": ["max_release_share_per_month", "usd_per_t"], "status": ["assumed"] * 2,
                            "group": ["release", "shortage cost"]})  # the release group first in the sheet
    res = stockpile.solve(data_of(fractile(sources)))
    ranked = res.tables["assumptions"].dropna(subset=["rank"]).drop_duplicates("group")
    assert list(ranked.group) == ["shortage cost", "release"]  # $400 of swing before $0


@pytest.mark.parametrize(("cells", "column", "expected"), [
    ({"low": ["abc"]}, "low", "a multiplier >= 0"),
    ({"high": [-1.0]}, "high", "a multiplier >= 0"),
    ({"low": [3.0], "high": [2.0]}, "high", "a high multiplier at least the low one"),
    ({"row": ["nosuch:1"]}, "row", "a row and column of the workbook"),
    ({"sheet": ["nosuch"]}, "sheet", "a sheet the model reads"),
])
def test_bad_group_cells_are_input_errors(cells, column, expected):
    sources = pd.DataFrame({"sheet": ["shortage_costs"], "row": ["*:1"], "column": ["usd_per_t"],
                            "status": ["assumed"], "group": ["g"], "low": [0.5], "high": [2.0]}).assign(**cells)
    with pytest.raises(InputError) as err:
        data_of(fractile(sources))
    problem = next(p for p in err.value.problems if p.sheet == "sources")
    assert (problem.row, problem.column) == (2, column) and expected in problem.expected


def test_a_variant_that_is_not_valid_says_why_and_the_others_still_solve():
    # lot_t x 0 is no lot size (it must be above 0): the low side is bad input, named; the high side (2 t lots:
    # 2 t of stock, as at 1 t lots, $32/yr) solves
    sources = pd.DataFrame({"sheet": ["minerals"], "row": ["X"], "column": ["lot_t"], "status": ["assumed"],
                            "group": ["lots"], "low": [0.0], "high": [2.0]})
    res = stockpile.solve(data_of(fractile(sources)))
    group = rows(res, "lots")
    assert group.loc["low", "status"] == "bad_input" and "lot_t" in group.loc["low", "note"]
    assert group.loc["high", "objective_usd_per_yr"] == pytest.approx(32.0, abs=1e-3)


def test_a_cell_given_two_multipliers_in_one_group_is_an_input_error():
    sources = pd.DataFrame({"sheet": ["shortage_costs", "shortage_costs"], "row": ["*:1", "*:*"],
                            "column": ["usd_per_t", "usd_per_t"], "status": ["assumed"] * 2, "group": ["g", "g"],
                            "low": [0.5, 0.8], "high": [2.0, 2.0]})
    with pytest.raises(InputError) as err:
        data_of(fractile(sources))
    problem = next(p for p in err.value.problems if p.sheet == "sources")
    assert (problem.row, problem.column) == (3, "low") and "0.5 and 2" in problem.expected


def test_the_re_solves_are_as_exact_as_the_base_unless_the_workbook_says_otherwise():
    from stockpile.analyses.assumptions import sensitivity_gap

    data = data_of(fractile())  # mip_rel_gap 0 (tests.helpers.tiny): the re-solves are exact too
    assert sensitivity_gap(data) == 0.0
    looser = data_of(fractile(settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap",
                                                             "sensitivity_mip_rel_gap"], "value": [6, 0, 1e-3]})))
    assert sensitivity_gap(looser) == 1e-3


def test_a_notebook_reads_the_assumptions_table_by_name():
    res = stockpile.solve(data_of(fractile()))
    assert res.assumptions is res.tables["assumptions"] and list(res.assumptions.group[:2]) == ["shortage cost"] * 2


def test_the_variants_agree_with_a_sweep_of_the_same_cells():
    from stockpile.io.workbook import book_from_frames

    book = book_from_frames(fractile())
    res = stockpile.solve(data_of(fractile()))
    sweep = stockpile.sweep(book, vary=["shortage_costs.*:1.usd_per_t=x0.5,2"])
    points = sweep.tables["sweep_points"].set_index("shortage_costs.*:1.usd_per_t (x)")
    group = rows(res, "shortage cost")
    for side, mult in (("low", 0.5), ("high", 2.0)):
        assert group.loc[side, "objective_usd_per_yr"] == pytest.approx(points.loc[mult, "objective_usd_per_yr"],
                                                                       abs=1e-6)
        assert res.tables["assumption_stock"].set_index("side").loc[side, "stock_t"] == pytest.approx(
            points.loc[mult, "stock_t"])


def test_every_assumed_figure_of_the_bundled_workbook_is_in_a_named_group():
    from stockpile.cli import DEFAULT_WORKBOOK

    sources = pd.read_excel(DEFAULT_WORKBOOK, sheet_name="sources")
    assumed = sources[sources.status == "assumed"]
    assert assumed.group.notna().all()  # no "(assumed)" group formed by default: each is named for what it is
    data = stockpile.load(DEFAULT_WORKBOOK)
    assert {"shortage tiers 2-3", "severe embargo probability", "Japanese tonnages"} <= {g.name for g in
                                                                                          data.assumptions}


def test_a_variant_re_solves_only_the_subproblems_whose_inputs_it_changes():
    # X and Y are separate subproblems: X's price touches only X; X's consumption changes the scenario tree's gaps,
    # but only X's columns of them; the scenarios' probabilities touch both
    frames = fractile(pd.DataFrame({
        "sheet": ["minerals", "demand", "scenarios"], "row": ["X", "A:X", "*"],
        "column": ["price_usd_per_t", "consumption_t_per_yr", "probability_per_yr"], "status": ["assumed"] * 3,
        "group": ["price of X", "demand for X", "likelihood"]}))
    frames["minerals"] = pd.concat([frames["minerals"], frames["minerals"].assign(mineral="Y")], ignore_index=True)
    for sheet in ("demand", "supply"):
        frames[sheet] = pd.concat([frames[sheet], frames[sheet].assign(mineral="Y")], ignore_index=True)
    frames["events"] = frames["events"].assign(minerals="X,Y")
    res = stockpile.solve(data_of(frames))
    resolved = res.tables["assumptions"].dropna(subset=["resolved"]).groupby("group").resolved.first()
    assert resolved.to_dict() == {"price of X": "X", "demand for X": "X", "likelihood": "X, Y"}
    # the unchanged subproblem keeps the base answer: Y's stock is the base's in every variant of X's groups
    stock = res.tables["assumption_stock"]
    y = stock[(stock.mineral == "Y") & stock.group.isin(["price of X", "demand for X"])]
    assert (y.stock_t == y.base_stock_t).all() and len(y) == 4


def test_a_whole_number_is_rounded_and_the_sentence_says_so(tmp_path):
    # horizon_months 6 x 0.6 = 3.6 -> 4 months (rounded, within its range); x 2 = 12 exactly
    sources = pd.DataFrame({"sheet": ["settings"], "row": ["horizon_months"], "column": ["value"],
                            "status": ["assumed"], "group": ["horizon"], "low": [0.6], "high": [2.0]})
    write_xlsx(fractile(sources), tmp_path / "book.xlsx")
    result = run_cli("solve", tmp_path / "book.xlsx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "out" / "assumptions.csv").set_index("side")
    assert "1 cell(s) rounded to whole numbers (settings.horizon_months.value)" in table.loc["low", "note"]
    assert pd.isna(table.loc["high", "note"])  # 12 needs no adjustment
    assert table.loc["low", "cells"] == 1
    text = (tmp_path / "out" / "summary.md").read_text()
    assert "at 0.6x (some cells clipped or rounded: assumptions.csv)" in text


def test_a_stock_that_grows_many_times_is_told_as_a_multiple():
    # 500 t -> 145,200 t is +28,940%: said "x290" (145,200 / 500); ordinary changes keep their signed percent
    from stockpile.analyses.assumptions import _signed_pct

    assert _signed_pct(28_940.0) == "x290"
    assert _signed_pct(900.0) == "x10"
    assert _signed_pct(899.0) == "+899%"
    assert _signed_pct(-55.9) == "-56%" and _signed_pct(0.5) == "+0.5%" and _signed_pct(None) == "from none"


def test_durations_that_rounding_makes_equal_are_merged_with_their_probabilities():
    # lengths 9,11,12,24 (0.1,0.2,0.3,0.4) at 0.5x: 4.5 -> 4, 5.5 -> 6, 6, 12 (whole months, Python rounds half to
    # even): 6 twice, so one 6 with 0.2 + 0.3 = 0.5; the varied workbook is valid and says what was merged
    events = pd.DataFrame({"scenario": ["s1", "s2"], "supplier": ["CN", "CN"], "minerals": ["X", "X"],
                           "targets": ["*", "*"], "start_month": [1, 1], "duration_months": ["9,11,12,24", 4],
                           "duration_probabilities": ["0.1,0.2,0.3,0.4", None], "cut": [1.0, 1.0]})
    sources = pd.DataFrame({"sheet": ["events"], "row": ["s1#1"], "column": ["duration_months"],
                            "status": ["assumed"], "group": ["length"], "low": [0.5], "high": [2.0]})
    frames = fractile(sources)
    frames["events"] = events
    res = stockpile.solve(data_of(frames))
    low = rows(res, "length").loc["low"]
    assert low.status == "optimal", low.note
    assert "durations that rounding made equal merged, their probabilities added (events.s1#1.duration_months)" \
        in low.note
    from stockpile.io.assumptions import _merge_equal_durations

    cells = {"duration_months": "4,6,6,12", "duration_probabilities": "0.1,0.2,0.3,0.4"}
    assert _merge_equal_durations(cells) and cells == {"duration_months": "4,6,12",
                                                       "duration_probabilities": "0.1,0.5,0.4"}
    cells = {"duration_months": "3,3", "duration_probabilities": None}  # blank: equal shares, one duration left
    assert _merge_equal_durations(cells) and cells == {"duration_months": 3.0, "duration_probabilities": None}


def test_a_group_that_moves_the_cost_but_not_the_stock_says_so_not_plus_zero_percent():
    # the bundled refill premium at 2x: the same stock ($3.01 bn either way) and $24.9 m/yr more expected cost,
    # which the summary printed as "the stock costs $3.01 bn instead of $3.01 bn (+0.0%)"
    from stockpile.analyses.assumptions import _group_sentence

    rows = pd.DataFrame({"side": ["high", "low"], "multiplier": [2.0, 0.5], "note": [None, None],
                         "acquisitions_usd": [3.0e9, 3.0e9], "acquisitions_change_usd": [0.0, 0.0],
                         "acquisitions_change_pct": [0.0, 0.0],
                         "objective_change_usd_per_yr": [24_875_835.8, -100.0],
                         "precision_usd_per_yr": [141_944.5, 141_944.5]})
    stock = pd.DataFrame(columns=["group", "side", "mineral", "change_t", "change_pct"])
    assert _group_sentence("refill premium", rows, stock, 3.0e9) == (
        "refill premium: at 2x the stock is the same and the expected cost rises $24.9 m/yr; "
        "at 0.5x the stock is unchanged within the solver's precision.")
