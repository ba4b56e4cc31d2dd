"""Known optima computed by hand (cases a-i). Base case (tests/helpers.tiny):
d = 1 t/month, gap 1 t/month for 3 months in s1 (p = 0.5/yr), holding $10/t/yr,
shortage $1,000/t. A tonne of stock saves 0.5 x 1,000 = $500/yr of expected
shortage and costs $10/yr, so every tonne of the 3 t gap is worth holding."""

from __future__ import annotations

import pandas as pd
import pytest

from stockpile.solver.pipeline import Infeasible, run

from .helpers import data_of, tiny, two_parties


def solve(frames):
    return run(data_of(frames))


def stock_of(res, holder="A", mineral="X"):
    st = res["stock"]
    row = st[(st.holder == holder) & (st.mineral == mineral)]
    return float(row.stock_t.iloc[0]) if len(row) else 0.0


def objective(res):
    return res.facts.objective_usd_per_yr


def test_a_stock_equals_covered_gap():
    res = solve(tiny())
    # stock 3 t covers the whole 3-month gap: cost = 3 t x $10 = $30/yr, no shortage
    assert stock_of(res) == pytest.approx(3.0)
    assert objective(res) == pytest.approx(30.0)
    cov = res["coverage"].iloc[0]
    assert cov.coverage_months == pytest.approx(3.0)  # 3 t / 1 t per month
    assert cov.coverage_days == pytest.approx(3 * 30.42)
    assert res.facts.status == "optimal"


def test_b_holding_above_expected_shortage_means_no_stock():
    # p = 0.01: a tonne saves 0.01 x 1,000 = $10/yr; holding 0.2 x 100 = $20/yr > $10 -> no stock
    res = solve(tiny(scenarios={"probability_per_yr": [0.01]}, minerals={"holding_rate_per_yr": [0.2]}))
    assert stock_of(res) == 0.0
    assert objective(res) == pytest.approx(0.01 * 3 * 1000)  # expected shortage $30/yr


def test_c_lots_round_up():
    # lot 2 t: 4 t costs 4 x 10 = $40; 2 t costs 20 + 0.5 x 1 t x 1,000 = $520 -> buy 2 lots
    res = solve(tiny(minerals={"lot_t": [2]}))
    assert stock_of(res) == pytest.approx(4.0)
    assert int(res["stock"].lots.iloc[0]) == 2
    assert objective(res) == pytest.approx(40.0)


def test_d_programme_fixed_cost_not_worth_opening():
    # covering 3 t saves 0.5 x 3 x 1,000 = $1,500/yr and costs 30 + F; F = $2,000 > $1,470 -> no programme
    res = solve(tiny(demand={"programme_fixed_usd_per_yr": [2000.0]}))
    assert stock_of(res) == 0.0
    assert objective(res) == pytest.approx(1500.0)
    # F = $1,000 < $1,470 -> open it: 30 + 1,000 = $1,030
    res = solve(tiny(demand={"programme_fixed_usd_per_yr": [1000.0]}))
    assert stock_of(res) == pytest.approx(3.0)
    assert objective(res) == pytest.approx(1030.0)


def test_e_release_rate_cap_forces_larger_stock():
    # releases <= 25% of stock a month: 1 t/month needs x >= 4 t -> $40/yr.
    # (x = 3 t releases 0.75 t/month: unmet 0.75 t -> 30 + 0.5 x 0.75 x 1,000 = $405)
    res = solve(tiny(release_options={"max_release_share_per_month": [0.25]}))
    assert stock_of(res) == pytest.approx(4.0)
    assert objective(res) == pytest.approx(40.0)
    rules = res["release_rules"]
    assert rules.released_t.max() == pytest.approx(1.0)
    assert (rules.released_share_of_stock <= 0.25 + 1e-9).all()


def test_f_joint_pool_serves_two_parties_hit_apart():
    # national: 3 t each = 6 t -> $60/yr; a joint pool of 3 t serves whichever party is hit -> $30/yr
    res = solve(two_parties())
    assert stock_of(res, "JOINT") == pytest.approx(3.0)
    assert stock_of(res, "A") + stock_of(res, "B") == pytest.approx(0.0)
    assert objective(res) == pytest.approx(30.0)
    # going alone costs twice as much
    alone = solve(two_parties(parties={"joint_member": ["no", "no"]}))
    assert objective(alone) == pytest.approx(60.0)
    # each party's claim: half the pool (equal coverage basis) = 1.5 months
    cov = res["coverage"].set_index("party")
    assert cov.loc["A", "joint_t"] == pytest.approx(1.5)


def test_g_month_one_release_is_non_anticipative():
    # d = 10 t/month, stock fixed at 10 t (existing = max). Tiers: first half of demand $100/t,
    # second half $1,000/t. sA: full cut 1 month; sB: full cut 2 months (p = 0.1 each).
    # Both look alike in month 1, so they share one release r1.
    # r1 in [5, 10]: cost = 0.1[100(10-r1)] + 0.1[100(10-r1) + 500 + 1000(r1-5)] = 0.1(800 r1 - 2500),
    # rising in r1; r1 < 5 costs more (tier 2 in month 1). So r1 = 5 and the cost is $150/yr.
    # With foresight sA would release all 10 t in month 1.
    frames = tiny(
        settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap"], "value": [4, 0]}),
        minerals={"holding_rate_per_yr": [0.0]},
        demand={"consumption_t_per_yr": [120.0], "existing_stock_t": [10.0], "max_stock_t": [10.0]},
        shortage_costs=pd.DataFrame({"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.5, 1.0],
                                     "usd_per_t": [100.0, 1000.0]}),
        scenarios=pd.DataFrame({"scenario": ["sA", "sB"], "probability_per_yr": [0.1, 0.1]}),
        events=pd.DataFrame({"scenario": ["sA", "sB"], "supplier": ["CN", "CN"], "minerals": ["X", "X"],
                             "targets": ["*", "*"], "start_month": [1, 1], "duration_months": [1, 2],
                             "cut": [1.0, 1.0]}),
    )
    res = solve(frames)
    out = res["scenario_outcomes"].set_index(["scenario", "month"])
    assert out.loc[("sA", 1), "released_t"] == pytest.approx(5.0)
    assert out.loc[("sB", 1), "released_t"] == pytest.approx(5.0)
    assert out.loc[("sB", 2), "released_t"] == pytest.approx(5.0)
    assert objective(res) == pytest.approx(150.0)
    rules = res["release_rules"]
    month1 = rules[rules.month == 1]
    assert len(month1) == 1 and month1.scenarios.iloc[0] == "sA+sB"  # one shared node


def test_h_binding_budget_and_binding_target():
    # budget $200 buys 2 t at $100/t: 2 x 10 + 0.5 x 1 t x 1,000 = $520/yr
    res = solve(tiny(settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "budget_usd"],
                                            "value": [6, 0, 200]})))
    assert stock_of(res) == pytest.approx(2.0)
    assert objective(res) == pytest.approx(520.0)
    # party budget works the same way
    res = solve(tiny(parties={"budget_usd": [200.0]}))
    assert stock_of(res) == pytest.approx(2.0)
    # target 2 months where no stock pays (case b): x >= 2 t -> 2 x 20 + 0.01 x 1 t x 1,000 = $50/yr
    res = solve(tiny(scenarios={"probability_per_yr": [0.01]}, minerals={"holding_rate_per_yr": [0.2]},
                     demand={"target_months": [2.0]}))
    assert stock_of(res) == pytest.approx(2.0)
    assert objective(res) == pytest.approx(50.0)


def test_i_infeasible_target_against_budget_names_both():
    frames = tiny(demand={"target_months": [3.0]}, parties={"budget_usd": [200.0]})
    with pytest.raises(Infeasible) as err:
        run(data_of(frames))
    text = err.value.report()
    # 3 months x 1 t/month = 3 t at $100/t = $300 > $200
    assert "target 3 months of X for A needs 3.0 t" in text
    assert "(buying 3.0 t for $300)" in text
    assert "A's budget_usd allows $200" in text
    # the same target against the total budget, and against max_stock_t
    frames = tiny(demand={"target_months": [3.0], "max_stock_t": [2.0]},
                  settings=pd.DataFrame({"key": ["budget_usd"], "value": [100]}))
    with pytest.raises(Infeasible) as err:
        run(data_of(frames))
    text = err.value.report()
    assert "max_stock_t allows 2.0 t" in text
    assert "the total budget_usd (settings) allows $100" in text


def test_replenishment_premium_is_charged_on_releases():
    # premium 0.5 x $100 = $50 per tonne released; 3 t released in s1 (p = 0.5): 0.5 x 150 = $75/yr
    frames = tiny(settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "replenish_premium"],
                                         "value": [6, 0, 0.5]}))
    res = solve(frames)
    assert objective(res) == pytest.approx(30.0 + 75.0)
    costs = res["costs"].set_index("term").usd_per_yr
    assert costs["expected_replenishment"] == pytest.approx(75.0)
    assert costs["total"] == pytest.approx(objective(res))


def test_recovery_ramp_and_overlapping_events_do_not_add_up():
    from stockpile.model.scenario_tree import scenario_gaps

    # two overlapping 80% cuts from one supplier lose 80%, not 160%;
    # recovery 50% over 2 months: months 1..3 lose 0.8, 0.8 x 0.75, 0.8 x 0.5
    events = pd.DataFrame({"scenario": ["s1", "s1"], "supplier": ["CN", "CN"], "minerals": ["X", "X"],
                           "targets": ["*", "*"], "start_month": [1, 1], "duration_months": [3, 2],
                           "cut": [0.8, 0.8], "recovery_months": [2, 0], "recovery_share": [0.5, 0.0]})
    gaps = scenario_gaps(data_of(tiny(events=events)))["s1"][0]
    assert list(gaps[:4]) == pytest.approx([0.8, 0.8, 0.4, 0.0])  # max(0.8, 0.8), max(0.6, 0.8), 0.4


def _pro_rata_case(allocation: str):
    # Only the pool can hold stock (max_stock_t 0). One month, p = 0.5: A (2 t/month) loses all its
    # supply, B (4 t/month) half of it: gaps A 2 t, B 2 t. Tier 1 (up to 50% of demand) $15/t, tier 2
    # $1,000/t; holding $10/t/yr. A tier-1 tonne is worth 0.5 x 15 = $7.5/yr < $10: not covered;
    # a tier-2 tonne 0.5 x 1,000 = $500/yr: covered. Only A has tier-2 tonnes (1 t).
    tiers = pd.DataFrame({"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.5, 1.0],
                          "usd_per_t": [15.0, 1000.0]})
    return two_parties(
        scenarios=pd.DataFrame({"scenario": ["both"], "probability_per_yr": [0.5]}),
        events=pd.DataFrame({"scenario": ["both"], "supplier": ["CN"], "minerals": ["X"], "targets": ["A,B"],
                             "start_month": [1], "duration_months": [1], "cut": [1.0]}),
        demand={"consumption_t_per_yr": [24.0, 48.0], "max_stock_t": [0.0, 0.0]},
        supply={"share": [1.0, 0.5]}, shortage_costs=tiers,
        settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "joint_allocation"],
                               "value": [3, 0, allocation]}))


def test_pro_rata_gives_members_equal_shares_of_their_gaps():
    # cooperative: pool 1 t, all to A: 10 + 0.5 x (15 x 1 + 15 x 2) = $32.50; B draws nothing.
    # pro rata: draws 2 phi each, pool 4 phi; for phi <= 0.5 the cost is
    # 40 phi + 0.5 x (15 + 1,000 (1 - 2 phi) + 15 (2 - 2 phi)) = 522.5 - 975 phi, above 0.5 it is
    # 30 + 10 phi: phi = 0.5, pool 2 t, A and B draw 1 t each: 20 + 0.5 x (15 + 15) = $35.
    coop = solve(_pro_rata_case("cooperative"))
    assert objective(coop) == pytest.approx(32.5)
    month1 = coop["scenario_outcomes"].query("month == 1").set_index("party")
    assert month1.joint_draw_t.to_dict() == pytest.approx({"A": 1.0, "B": 0.0})
    res = solve(_pro_rata_case("pro_rata"))
    assert objective(res) == pytest.approx(35.0)
    assert stock_of(res, "JOINT") == pytest.approx(2.0)
    out = res["scenario_outcomes"].query("month == 1").set_index("party")
    assert out.joint_draw_t.to_dict() == pytest.approx({"A": 1.0, "B": 1.0})
    assert (out.joint_draw_t / out.gap_t).to_dict() == pytest.approx({"A": 0.5, "B": 0.5})


def test_cost_tables_by_hand():
    # A and B each hit alone (p = 0.4/yr each, 3 t over 3 months); both members; refill premium
    # 0.2 x $100 = $20/t; national programmes cost $5/yr each. Pool of 3 t: holding 3 x $10 = $30,
    # refills 2 scenarios x 0.4 x 3 t x $20 = $48 -> $78. National 3 t each: 60 + 10 + 48 = $118.
    frames = two_parties(settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "replenish_premium"],
                                                "value": [6, 0, 0.2]}),
                         demand={"programme_fixed_usd_per_yr": [5.0, 5.0]})
    res = solve(frames)
    assert objective(res) == pytest.approx(78.0)
    costs = res["costs"].set_index("term").usd_per_yr
    assert costs.to_dict() == pytest.approx({"national_holding": 0.0, "national_programme_fixed": 0.0,
                                             "joint_holding": 30.0, "joint_fixed": 0.0, "release_capacity": 0.0,
                                             "expected_shortage": 0.0,
                                             "expected_replenishment": 48.0, "total": 78.0})
    party = res["party_costs"].set_index("holder")
    assert party.loc["JOINT", ["holding_usd_per_yr", "expected_replenishment_usd_per_yr", "total_usd_per_yr"]
                     ].tolist() == pytest.approx([30.0, 48.0, 78.0])
    assert party.loc[["A", "B"], "total_usd_per_yr"].tolist() == pytest.approx([0.0, 0.0])
    stock = res["stock"].set_index("holder")
    assert stock.loc["JOINT", "cost_usd_per_yr"] == pytest.approx(30.0)


@pytest.mark.parametrize("basis, months", [("consumption", 3.0), ("net_imports", 6.0), ("exposed", 4.0)])
def test_coverage_basis(basis, months):
    # basis: consumption 1 t/month; x net import reliance 0.5 = 0.5 t/month; x supplier shares 0.75 = 0.75
    frames = tiny(demand={"net_import_reliance": [0.5]}, supply={"share": [0.75]},
                  settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "coverage_basis"],
                                         "value": [6, 0, basis]}))
    res = solve(frames)
    # the cut removes 0.75 t/month for 3 months: 2.25 t held (lot 1 t -> 3 t)
    assert stock_of(res) == pytest.approx(3.0)
    cov = res["coverage"].iloc[0]
    assert cov.coverage_months == pytest.approx(months)  # 3 t / 1, 0.5 or 0.75 t a month


def test_release_capacity_is_a_cost_term_of_its_own():
    # the option costs $5/t/yr on top of $10/t/yr holding: 3 t cost 30 + 15 = $45/yr, still below
    # the 0.5 x 1,000 = $500/yr a tonne saves
    res = solve(tiny(release_options={"usd_per_t_yr": [5.0]}))
    costs = res["costs"].set_index("term").usd_per_yr
    assert costs["national_holding"] == pytest.approx(30.0)
    assert costs["release_capacity"] == pytest.approx(15.0)
    assert costs["total"] == pytest.approx(45.0) == objective(res)
    assert res["stock"].cost_usd_per_yr.iloc[0] == pytest.approx(45.0)  # holding-kind terms of the holder
