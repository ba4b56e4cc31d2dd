"""Release under uncertainty: a ban whose length is unknown when it starts branches into one scenario
per duration; the branches share the tree until their gaps differ, so the month-1 release is one
decision; EVPI and VSS by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import stockpile
from stockpile.analyses.information import expected_value_data
from stockpile.model.scenario_tree import build_tree, tree_size

from .helpers import data_of, run_cli, tiny, write_xlsx


def one_or_three_months() -> dict[str, pd.DataFrame]:
    """A, 1 t/month of X; a ban (p = 0.5/yr) of 1 or 3 months, equally likely: branches of 0.25/yr each.
    Convex tiers per month: the first 0.5 t unmet cost $100/t, the next 0.5 t $1,000/t. Holding $40/t/yr
    (price 400 x 0.1), lots of 0.5 t, release up to 100% a month."""
    settings = pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "time_limit_s"], "value": [6, 0, 60]})
    tiers = pd.DataFrame({"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.5, 1.0],
                          "usd_per_t": [100.0, 1000.0]})
    return tiny(settings=settings, shortage_costs=tiers, minerals={"price_usd_per_t": 400.0, "lot_t": 0.5},
                events={"duration_months": "1,3", "duration_probabilities": "0.5,0.5"})


def test_branches_share_month_1_and_evpi_is_the_hand_value():
    # Non-anticipative (RP): a tonne's value, by the month-1 node shared by both branches (0.25/yr each):
    # the first 0.5 t covers month 1's $1,000 tier in both branches: 0.5 x 1000 = $500/t; the next 1 t
    # covers the long branch's months 2-3 at $1,000: $250/t; the next 0.5 t month 1's $100 tier in both:
    # 0.5 x 100 = $50/t > $40; then months 2-3's $100 tier in the long branch: $25/t < $40. S = 2 t,
    # month 1 releases 1 t in both branches, months 2-3 0.5 t each in the long one:
    # RP = 40 x 2 + 0.25 x (2 months x 0.5 t x $100) = 80 + 25 = $105/yr.
    # Perfect information (PI): the short branch never needs more than 1 t; the long one spreads its stock:
    # values $500 (to 0.5 t), $275 (to 1 t: long 250 + short 25), $250 (to 1.5 t), then $25 < $40: S = 1.5 t,
    # PI = 40 x 1.5 + 0.25 x (3 months x 0.5 t x $100) = 60 + 37.5 = $97.5/yr. EVPI = 105 - 97.5 = $7.5/yr.
    # Expected value (EV): one 2-month ban at 0.5/yr: $500/t for 1 t, then $50/t for 1 t: S = 2 t, the same
    # as RP, so EEV = RP and VSS = 0.
    data = data_of(one_or_three_months())
    assert set(data.scenarios) == {"s1:1m", "s1:3m"}
    assert [s.probability_per_yr for s in data.scenarios.values()] == pytest.approx([0.25, 0.25])
    res = stockpile.solve(data)
    assert res.facts.objective_usd_per_yr == pytest.approx(105.0)
    assert res["stock"].stock_t.sum() == pytest.approx(2.0)
    out = res["scenario_outcomes"]
    month1 = out[out.month == 1].set_index("branch").released_t
    assert month1["s1:1m"] == pytest.approx(month1["s1:3m"]) == pytest.approx(1.0)
    assert set(out.scenario) == {"s1"}
    assert res.facts.evpi_usd_per_yr == pytest.approx(7.5)
    assert res.facts.vss_usd_per_yr == pytest.approx(0.0, abs=1e-6)
    assert res.facts.scenario_tree == {"branches": 2, "nodes": 11, "nodes_in_month_1": 1}
    # survival: the long branch leaves 0.5 t unmet in months 2 and 3, all inside the thrift tier (0.5 t of a
    # 1 t month): no shortfall beyond it, so it survives the whole horizon after month 1 (6 months); 2 of its
    # 3 t of gap met
    surv = res["survival"].set_index("branch")
    assert surv.loc["s1:3m", "first_unmet_month"] == 2 and pd.isna(surv.loc["s1:3m", "first_shortfall_month"])
    assert surv.loc["s1:3m", "months_survived"] == 6
    assert surv.loc["s1:3m", "share_of_gap_met"] == pytest.approx(2 / 3)
    rules = res["release_rules"]
    assert rules[rules.month == 1].share_of_gap_met.tolist() == pytest.approx([1.0])


def test_expected_value_data_uses_the_mean_duration():
    ev = expected_value_data(data_of(one_or_three_months()))
    assert list(ev.scenarios) == ["s1"] and ev.scenarios["s1"].probability_per_yr == pytest.approx(0.5)
    assert [e.duration_months for e in ev.events] == [2]  # 0.5 x 1 + 0.5 x 3


def test_tree_has_fewer_month_1_nodes_than_branches():
    data = data_of(one_or_three_months())
    size = tree_size(data, build_tree(data))
    assert size["nodes_in_month_1"] < size["branches"]


@pytest.mark.parametrize("durations, probabilities, column, expected", [
    ("1,3", "", "duration_probabilities", "expected 2 probabilities, one per duration (1,3); found 0: a blank cell"),
    ("1,3", "0.5,0.6", "duration_probabilities", "expected probabilities between 0 and 1 summing to 1; found 0.5,0.6"),
    ("1,3", "0.5", "duration_probabilities", "expected 2 probabilities, one per duration (1,3); found 1 (0.5)"),
    ("0,3", "0.5,0.5", "duration_months", "expected whole numbers of months, each at least 1; found 0"),
    ("1.5", "", "duration_months", "expected whole numbers of months, each at least 1; found 1.5"),
    ("1,x", "0.5,0.5", "duration_months", "expected one number >= 0, or several separated by commas"),
])
def test_bad_duration_lists_are_named(tmp_path, durations, probabilities, column, expected):
    frames = tiny(events={"duration_months": durations, "duration_probabilities": probabilities or None})
    write_xlsx(frames, tmp_path / "w.xlsx")
    out = run_cli("validate", tmp_path / "w.xlsx")
    assert out.exit_code == 2, out.output
    line = next(x for x in out.output.splitlines() if f"column '{column}'" in x)
    assert "sheet 'events', row 2" in line and expected in line, line


def test_equal_cost_schedules_resolve_to_the_earliest_release():
    # tiny(): 1 t/month cut for 3 months, one tier at $1,000/t, p = 0.5; national stock capped at 2 t
    # (max_stock_t). Releasing the 2 t in any two of the three months costs the same (0.5 x $1,000 for the
    # month left short): the canonical schedule releases as early as possible, 1 t in months 1 and 2.
    frames = tiny(demand={"max_stock_t": 2.0})
    res = stockpile.solve(data_of(frames))
    assert res["stock"].stock_t.sum() == pytest.approx(2.0)
    assert res.facts.objective_usd_per_yr == pytest.approx(2 * 10 + 0.5 * 1000)
    out = res["scenario_outcomes"].set_index("month")
    assert out.released_t.to_dict() == pytest.approx({1: 1.0, 2: 1.0, 3: 0.0, 4: 0.0, 5: 0.0, 6: 0.0}, abs=1e-6)


def test_the_summary_counts_scenarios_not_branches():
    # one scenario whose ban lasts 1 or 3 months: 2 branches, still 1 scenario (the briefing said "2 disruption
    # scenarios", as the bundled workbook's said 42 for its 12)
    data = data_of(one_or_three_months())
    assert len(data.scenarios) == 2
    assert data.scenarios_text("disruption scenario") == "1 disruption scenario (2 branches of uncertain length)"
    assert data_of(tiny()).scenarios_text() == "1 scenario"  # validate's words (it said "1 scenarios")
