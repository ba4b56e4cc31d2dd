"""Buyable stock: purchases capped at a share of world supply a year, a build-up over several years
(a disruption may come first), annual budgets, a convex price uplift; hand-computed optima."""

from __future__ import annotations

import pandas as pd
import pytest

from stockpile.analyses.purchase_caps import binding_caps, cap_costs
from stockpile.solver.pipeline import run

from .helpers import data_of, run_cli, tiny, two_parties, write_xlsx

H = 10.0  # holding, USD/t/yr: 0.1 x $100
C = 1000.0  # shortage, USD/t
P = 0.5  # the cut's probability, 1/yr


def year_long_cut(build_years: int = 1, **minerals) -> dict[str, pd.DataFrame]:
    """tiny() with 10 t/month cut for 12 months: 120 t of gap, and each tonne held saves P x C = $500/yr
    against H = $10/yr, so the uncapped optimum holds 120 t (cost 120 x 10 = $1,200/yr)."""
    settings = pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "time_limit_s", "build_years"],
                             "value": [12, 0, 60, build_years]})
    return tiny(settings=settings, demand={"consumption_t_per_yr": 120.0},
                events={"duration_months": 12}, minerals={"world_supply_t_per_yr": 500.0, **minerals})


def test_uncapped_optimum_is_120_t():
    res = run(data_of(year_long_cut()))
    assert res["stock"].stock_t.sum() == pytest.approx(120.0)
    assert res.facts.objective_usd_per_yr == pytest.approx(120 * H)
    assert cap_costs(data_of(year_long_cut()), res).empty  # no cap: nothing binds


def test_cap_of_10_percent_with_one_build_year_buys_50_t():
    # cap 0.1 x 500 = 50 t, all bought in year 1: 50 x $10 + 0.5 x (120 - 50) x $1,000 = $35,500/yr
    data = data_of(year_long_cut(max_purchase_share_per_yr=0.1))
    res = run(data)
    assert res["stock"].stock_t.sum() == pytest.approx(50.0)
    assert res.facts.objective_usd_per_yr == pytest.approx(50 * H + P * 70 * C)
    acq = res["acquisition"]
    assert list(acq.year) == [1] and acq.bought_t.iloc[0] == pytest.approx(50.0)
    assert acq.usd.iloc[0] == pytest.approx(50 * 100.0)
    assert acq.all_holders_share_of_world_supply.iloc[0] == pytest.approx(0.1)
    # what the cap costs: $35,500 - $1,200 = $34,300/yr (both solves exact)
    costs = cap_costs(data, res)
    assert costs.cap_cost_usd_per_yr.iloc[0] == pytest.approx(34_300.0)
    assert costs.binding_years.iloc[0] == "1"


def test_three_build_years_reach_120_t_with_no_year_above_50_t():
    # delta = 1/1.05; weights: year 1 w1 = 1 - delta, year 2 w2 = (1 - delta) delta, full stock delta^2.
    # A tonne bought early saves (500 - 10) x w > 0, so years 1 and 2 buy the cap (50, 50) and year 3
    # the rest (20): stock 50 in year 1, 100 in year 2, 120 after.
    # cost = 10 x (50 w1 + 100 w2 + 120 delta^2) + 0.5 x 1000 x (70 w1 + 20 w2)
    data = data_of(year_long_cut(3, max_purchase_share_per_yr=0.1))
    res = run(data)
    d = 1 / 1.05
    w1, w2, w_full = 1 - d, (1 - d) * d, d ** 2
    assert res.facts.objective_usd_per_yr == pytest.approx(
        H * (50 * w1 + 100 * w2 + 120 * w_full) + P * C * (70 * w1 + 20 * w2))
    assert res["stock"].stock_t.sum() == pytest.approx(120.0)
    by_year = res["acquisition"].groupby("year").bought_t.sum()
    assert by_year.to_dict() == pytest.approx({1: 50.0, 2: 50.0, 3: 20.0})
    assert (by_year <= 50.0 + 1e-6).all()
    # the release rules are those of the full stock: no build-year node reported
    assert not res["release_rules"].node.str.startswith("y").any()


def test_a_cap_is_shared_by_every_holder_national_and_joint():
    # two_parties hit apart (p = 0.4 each, 3 t each): the pool of 3 t serves both; national would be 6 t.
    # A cap of 2 t/yr (0.1 x 20) keeps all purchases that year, pool and national together, at 2 t.
    frames = two_parties(minerals={"world_supply_t_per_yr": 20.0, "max_purchase_share_per_yr": 0.1})
    res = run(data_of(frames))
    assert res["acquisition"].bought_t.sum() == pytest.approx(2.0)
    assert len(binding_caps(data_of(frames), res["acquisition"])) == 1


def test_an_annual_budget_caps_a_year_like_a_purchase_cap():
    # budget $5,000/yr at $100/t = 50 t in the one build year: the same optimum as the 10% cap
    frames = year_long_cut()
    frames["parties"] = frames["parties"].assign(budget_usd_per_yr=5000.0)
    res = run(data_of(frames))
    assert res["stock"].stock_t.sum() == pytest.approx(50.0)
    assert res.facts.objective_usd_per_yr == pytest.approx(50 * H + P * 70 * C)


def test_the_pool_is_charged_to_members_by_claim_share():
    # two_parties, equal consumption: each member pays half the pool's purchases. A's budget of
    # $100/yr at $100/t lets the pool buy 2 t (A's half = $100); B holds no budget. Pool 2 t, and the
    # rest of the 3 t need: A and B each hit apart, so the third tonne is worth more at home for one
    # of them: the pool is at most 2 t.
    frames = two_parties(parties={"budget_usd_per_yr": [100.0, None]})
    res = run(data_of(frames))
    pool = res["stock"].query("holder == 'JOINT'").stock_t.sum()
    national_a = res["stock"].query("holder == 'A'").stock_t.sum()
    assert pool * 100.0 / 2 + national_a * 100.0 <= 100.0 + 1e-6


def test_price_uplift_costs_the_chords_of_a_u_q2_over_w():
    # uplift u = 2 on W = 500 t: a year's q t cost a u q^2 / W extra, in 10 chords of width 12 t
    # (largest purchase 120 t / 10); q = 120 t is a breakpoint: 100 x 2 x 120^2 / 500 = $5,760, one-off,
    # weighted 1 - delta = 0.05/1.05 a year -> $274.29/yr unless holding less is cheaper (it is not:
    # the last chord costs 100 x 2 x 19 x 12 / 500 x 0.0476 = $4.34/t/yr against $490 saved).
    data = data_of(year_long_cut(price_uplift_per_share=2.0))
    res = run(data)
    assert res["stock"].stock_t.sum() == pytest.approx(120.0)
    uplift = res["costs"].set_index("term").usd_per_yr["purchase_uplift"]
    assert uplift == pytest.approx(100 * 2 * 120 ** 2 / 500 * (1 - 1 / 1.05))
    assert res["party_costs"].holder.tolist()[-1] == "MARKET"


@pytest.mark.parametrize("minerals, column, expected", [
    ({"max_purchase_share_per_yr": 0.1}, "world_supply_t_per_yr",
     "expected a world supply in t/yr (the max_purchase_share_per_yr of this row is a share of it); "
     "found a blank cell"),
    ({"price_uplift_per_share": 2.0}, "world_supply_t_per_yr",
     "expected a world supply in t/yr (the price_uplift_per_share of this row is a share of it); found a blank cell"),
    ({"max_purchase_share_per_yr": 1.5, "world_supply_t_per_yr": 10.0}, "max_purchase_share_per_yr",
     "expected a share between 0 and 1; found 1.5"),
    ({"world_supply_t_per_yr": 0.0}, "world_supply_t_per_yr", "expected a number > 0 t/yr; found 0"),
])
def test_bad_purchase_columns_are_named(tmp_path, minerals, column, expected):
    frames = tiny(minerals=minerals)
    write_xlsx(frames, tmp_path / "w.xlsx")
    out = run_cli("validate", tmp_path / "w.xlsx")
    assert out.exit_code == 2, out.output
    line = next(x for x in out.output.splitlines() if column in x)
    assert "sheet 'minerals', row 2" in line and expected in line


@pytest.mark.parametrize("key, value", [("build_years", 0), ("build_years", 2.5), ("build_years", 11),
                                        ("discount_rate", 0.9)])
def test_bad_build_settings_are_named(tmp_path, key, value):
    frames = tiny()
    frames["settings"] = pd.concat([frames["settings"], pd.DataFrame({"key": [key], "value": [value]})])
    write_xlsx(frames, tmp_path / "w.xlsx")
    out = run_cli("validate", tmp_path / "w.xlsx")
    assert out.exit_code == 2 and f"expected {key} a" in out.output, out.output


def test_a_coalition_buys_only_its_share_of_a_cap():
    # two_parties (A, B: 1 t/month each, hit apart with p = 0.4, 3 t of gap each); cap 0.1 x 20 = 2 t/yr.
    # Together: a pool of 2 t serves whoever is hit: 2 x $10 + 2 x 0.4 x 1 t unmet x $1,000 = $820/yr.
    # Alone, each may buy its consumption share of the cap, 1 t: $10 + 0.4 x 2 t x $1,000 = $810/yr.
    # (With the whole cap to itself each would hold 2 t for $420/yr, and pooling would look like a loss.)
    from stockpile.analyses.game import play

    frames = two_parties(minerals={"world_supply_t_per_yr": 20.0, "max_purchase_share_per_yr": 0.1})
    game = play(data_of(frames))
    assert game.value[frozenset("A")] == pytest.approx(810.0)
    assert game.value[frozenset("B")] == pytest.approx(810.0)
    assert game.value[frozenset("AB")] == pytest.approx(820.0)
