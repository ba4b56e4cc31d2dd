"""The pool as a treaty: drawing rights with lending and refill duties, guaranteed months, the pool's own running
cost, the release priority, funding per party and year, and what joining is worth (hand-computed cases)."""

from __future__ import annotations

import pandas as pd
import pytest

from stockpile.analyses.game import game_from_values
from stockpile.analyses.treaty import STEADY, saving_floor
from stockpile.api import share
from stockpile.reports.share import share_summary
from stockpile.reports.solve import summary
from stockpile.solver.pipeline import run

from .helpers import data_of, run_cli, two_parties, write_xlsx


def _settings(**values) -> pd.DataFrame:
    values = {"horizon_months": 6, "mip_rel_gap": 0, **values}
    return pd.DataFrame({"key": list(values), "value": list(values.values())})


def _rights_case(**settings) -> dict[str, pd.DataFrame]:
    """two_parties (A hit alone in s_a, B alone in s_b: 1 t/month for 3 months, p = 0.4/yr each) under drawing
    rights of 50% each, refills at a 20% premium on the $100/t price."""
    return two_parties(parties={"entitlement_share": [0.5, 0.5]},
                       settings=_settings(joint_allocation="entitlement", replenish_premium=0.2, **settings))


def test_one_member_hit_draws_its_rights_borrows_the_rest_and_owes_a_refill():
    # The pool of 3 t covers whichever member is hit ($30/yr holding, cheaper than 3 t each nationally, $60).
    # In s_a, A's rights are 50% of the 3 t (1.5 t over the event) and of the release capacity (100%/month x 3 t
    # = 3 t/month, so 1.5 t/month). It draws 1 t a month: month 1 on rights, month 2 half and half (rights run
    # out at 1.5 t), month 3 borrowed from B, who is not short on that path: 1.5 t borrowed, owed back at the
    # replenishment price 100 x 1.2 = $120/t = $180, due 12 months (refill_months) after each draw.
    # Expected refills: 2 scenarios x 0.4/yr x 3 t x $20 premium = $48/yr, of which the pool's own
    # (1.5 t on rights each time) 2 x 0.4 x 1.5 x 20 = $24 and the borrowers' duty the other $24: total $78/yr.
    res = run(data_of(_rights_case()))
    assert res.facts.objective_usd_per_yr == pytest.approx(78.0)
    costs = res["costs"].set_index("term").usd_per_yr
    assert costs["expected_replenishment"] == pytest.approx(24.0)
    assert costs["refill_duty"] == pytest.approx(24.0)
    party = res["party_costs"].set_index("holder").expected_replenishment_usd_per_yr
    assert party.to_dict() == pytest.approx({"A": 12.0, "B": 12.0, "JOINT": 24.0})  # 0.4 x 1.5 x 20 each
    b = res["borrowing"]
    a = b[b.party == "A"].set_index("month")
    assert a.drawn_t.to_dict() == pytest.approx({1: 1.0, 2: 1.0, 3: 1.0})
    assert a.within_rights_t.to_dict() == pytest.approx({1: 1.0, 2: 0.5, 3: 0.0})
    assert a.borrowed_t.to_dict() == pytest.approx({1: 0.0, 2: 0.5, 3: 1.0})
    assert a.refill_usd.sum() == pytest.approx(180.0)
    assert a.refill_due_month.dropna().to_dict() == {2: 14, 3: 15}
    rights = res["drawing_rights"].set_index("party")
    assert rights.rights_t.to_dict() == pytest.approx({"A": 1.5, "B": 1.5})
    assert rights.rights_t_per_month.to_dict() == pytest.approx({"A": 1.5, "B": 1.5})
    cov = res["coverage"].set_index("party")
    # guaranteed months = national (0) + rights (1.5 t) / 1 t a month
    assert cov.guaranteed_months.to_dict() == pytest.approx({"A": 1.5, "B": 1.5})
    assert (cov.guaranteed_months == cov.national_months + cov.rights_t / cov.basis_t_per_month).all()
    assert (cov.coverage_months == cov.guaranteed_months).all()


def _both_hit(allocation: str) -> dict[str, pd.DataFrame]:
    """One scenario cutting A and B together (1 t/month each for 3 months, p = 0.4/yr); rights 25% / 75%;
    national programmes cost $5/yr each."""
    return two_parties(parties={"entitlement_share": [0.25, 0.75]}, demand={"programme_fixed_usd_per_yr": [5.0, 5.0]},
                       scenarios=pd.DataFrame({"scenario": ["s_ab"], "probability_per_yr": [0.4]}),
                       events=pd.DataFrame({"scenario": ["s_ab"], "supplier": ["CN"], "minerals": ["X"],
                                            "targets": ["A,B"], "start_month": [1], "duration_months": [3],
                                            "cut": [1.0]}),
                       settings=_settings(joint_allocation=allocation))


def test_the_rights_of_a_member_hit_at_the_same_time_are_not_lent():
    # Cooperative: a pool of 6 t covers both, $60/yr (national 3 t each would cost 60 + 10 for the programmes).
    # Rights of 25%: A may draw a quarter of the pool and B, short too, lends none of its 75%. A pool of 4 t gives
    # B its 3 t and A 1 t; A holds the other 2 t nationally: 40 + 20 + $5 programme = $65/yr (a pool of 12 t for
    # A's 3 t costs $120; national stock alone $70; a tonne short costs 0.4 x $1,000 = $400/yr).
    coop = run(data_of(_both_hit("cooperative")))
    assert coop.facts.objective_usd_per_yr == pytest.approx(60.0)
    res = run(data_of(_both_hit("entitlement")))
    assert res.facts.objective_usd_per_yr == pytest.approx(65.0)
    stock = res["stock"].set_index("holder").stock_t
    assert stock.to_dict() == pytest.approx({"A": 2.0, "B": 0.0, "JOINT": 4.0})
    assert (res["borrowing"].borrowed_t == 0).all()
    # A's guaranteed cover: 2 t national + 25% of 4 t = 3 months; B's 75% of 4 t = 3 months
    assert res["coverage"].set_index("party").guaranteed_months.to_dict() == pytest.approx({"A": 3.0, "B": 3.0})


def test_cooperative_pool_months_are_not_called_guaranteed():
    # two_parties: a 3 t pool, no national stock. Each member's claim (half, by consumption) is 1.5 months, but
    # under cooperative allocation none of it is guaranteed: coverage counts national stock only (0 months)
    data = data_of(two_parties())
    res = run(data)
    cov = res["coverage"].set_index("party")
    assert cov.joint_months.to_dict() == pytest.approx({"A": 1.5, "B": 1.5})
    assert (cov.rights_t == 0).all() and (cov.coverage_months == 0).all() and (cov.guaranteed_months == 0).all()
    text = summary(data, res)
    assert "## What to hold: months of guaranteed cover (consumption; national stock)" in text
    assert ("The joint pool is not counted: under cooperative allocation a member's draw depends on what the others "
            "need, so none of it is guaranteed. Counted as notional claims (in proportion to coverage basis), 0 of 2 "
            "party-mineral pairs would reach JOGMEC's 60 days, against 0 on guaranteed stock.") in text


@pytest.mark.parametrize("priority, month1", [("national_first", {"released_t": 1.0, "joint_draw_t": 0.0}),
                                              ("pool_first", {"released_t": 0.0, "joint_draw_t": 1.0})])
def test_release_priority_decides_which_stock_goes_first(priority, month1):
    # Each party holds 1 t of existing national stock; a 2 t pool covers the rest of whichever 3-month cut comes
    # ($20/yr). Releasing national stock in month 1 or in month 3 costs the same: the priority decides.
    frames = two_parties(demand={"existing_stock_t": [1.0, 1.0]}, settings=_settings(release_priority=priority))
    res = run(data_of(frames))
    assert res["stock"].set_index("holder").stock_t["JOINT"] == pytest.approx(2.0)
    out = res["scenario_outcomes"].query("branch == 's_a' and party == 'A'").set_index("month")
    assert {k: out.loc[1, k] for k in month1} == pytest.approx(month1)
    assert out.released_t.sum() == pytest.approx(1.0) and out.joint_draw_t.sum() == pytest.approx(2.0)


def test_the_pools_running_cost_is_paid_once_and_only_by_a_pool():
    # two_parties, pool_fixed $7/yr: the 3 t pool ($30) plus $7 = $37 < $60 for national stock; a row of costs.csv
    # and the pool's fixed cost in party_costs.csv. In the game, going alone pays no pool: v(A) = v(B) = $30 (3 t
    # each), v(A+B) = $37, saving $23.
    data = data_of(two_parties(settings=_settings(pool_fixed_usd_per_yr=7)))
    res = run(data)
    assert res.facts.objective_usd_per_yr == pytest.approx(37.0)
    assert res.facts.best_bound_usd_per_yr == pytest.approx(37.0)
    costs = res["costs"].set_index("term").usd_per_yr
    assert costs["pool_fixed"] == pytest.approx(7.0) and costs["total"] == pytest.approx(37.0)
    assert res["party_costs"].set_index("holder").programme_fixed_usd_per_yr["JOINT"] == pytest.approx(7.0)
    coalitions = share(data).tables["coalitions"].set_index("coalition").cost_usd_per_yr
    assert coalitions.to_dict() == pytest.approx({"A": 30.0, "B": 30.0, "A+B": 37.0})


def test_funding_splits_the_pools_cash_by_year_in_proportion_to_each_rule():
    # _rights_case over 2 build years with pool_fixed $4/yr: the pool buys its 3 t in year 1 at $100/t ($300),
    # holds 3 t from then on (3 x $10 = $30/yr) and runs for $4/yr: year 1 $334, year 2 and each year after $34.
    # v(A) = v(B) = 30 + 0.4 x 3 x 20 = $54; v(A+B) = 30 + 48 + 4 = $82. Shapley 41/41 (in the core): halves.
    # The gdp rule (100 : 300) charges 20.5 / 61.5, a quarter and three quarters, and B would do better alone
    # (61.5 > 54: blocked), so it is funded only as the reference.
    data = data_of(_rights_case(pool_fixed_usd_per_yr=4, build_years=2))
    sharing = share(data, reference="gdp")
    fund = sharing.tables["funding"]
    assert list(fund.columns) == ["rule", "party", "year", "purchases_usd", "holding_usd", "pool_fixed_usd",
                                  "total_usd"]
    assert "gdp" in set(fund.rule) and "shapley" in set(fund.rule)
    pool = fund[fund.rule == "shapley"].groupby("year", sort=False)[["purchases_usd", "holding_usd",
                                                                       "pool_fixed_usd", "total_usd"]].sum()
    assert list(pool.index) == [1, 2, STEADY]
    assert pool.total_usd.tolist() == pytest.approx([334.0, 34.0, 34.0])
    assert pool.purchases_usd.sum() == pytest.approx(300.0)  # the pool's acquisitions, stock.csv
    assert pool.pool_fixed_usd.tolist() == pytest.approx([4.0, 4.0, 4.0])
    gdp = fund[fund.rule == "gdp"].pivot(index="year", columns="party", values="total_usd")
    assert gdp.loc[1].to_dict() == pytest.approx({"A": 334 / 4, "B": 334 * 3 / 4})
    for _rule, rows in fund.groupby("rule"):  # every rule's parties add up to the pool's cash, year by year
        assert rows.groupby("year").total_usd.sum().to_dict() == pytest.approx(pool.total_usd.to_dict())
    part = sharing.tables["participation"].set_index(["rule", "party"])
    a = part.loc[("shapley", "A")]
    assert a.saving_usd_per_yr == pytest.approx(13.0)  # 54 - 41
    assert a.saving_share_of_standalone == pytest.approx(13 / 54)
    assert a.build_up_cash_usd == pytest.approx(167.0 + 17.0)  # half of 334 and of 34
    assert a.saving_per_usd_committed == pytest.approx(13 / 184)
    # its contribution: 41 under Shapley less its own costs in the pooled plan (no national stock; its refill duty
    # 0.4 x 1.5 t x $20 = $12/yr): $29/yr towards the pool
    assert a.contribution_usd_per_yr == pytest.approx(41.0 - 12.0)
    text = share_summary(sharing)
    # gdp is rejected by B, so the treaty sections show `optimised`, the split in the core nearest it
    for head in ("## Who contributes what cash in which year (optimised rule, USD m)",
                 "## Who may draw what in a release", "## How the pool is refilled and funded",
                 "## What joining is worth to each member (optimised rule)"):
        assert head in text
    assert "The gdp rule (the reference) is rejected by some coalition, so these sections show `optimised`" in text
    assert ("funding.csv gives the same for equal_saving, consumption, exposed_demand, standalone, shapley, nucleolus, "
            "prenucleolus, least_core (the other rules in the core) and for gdp (the reference, which a coalition "
            "rejects, proved).") in text
    assert "the most any branch leaves owed is 1.5 t of X by A ($180, branch s_a)" in text


def test_the_saving_floor_is_the_nearest_split_in_the_core_that_lifts_the_least_gainer():
    # v(A) = 10, v(B) = 100, v(A+B) = 100. Shapley: A 5, B 95 (B saves 5% of its cost, A 50%). Every member saving
    # f of its cost: x_A <= 10 (1 - f), x_B <= 100 (1 - f), x_A + x_B = 100, so f <= 1 - 100/110 = 1/11; then
    # x_B <= 1000/11 and x_A = 100/11, the only such split (nearest Shapley too).
    game = game_from_values({"A": 10, "B": 100, "A+B": 100})
    floor = saving_floor(game, {"A": 5.0, "B": 95.0})
    assert floor == pytest.approx({"A": 100 / 11, "B": 1000 / 11})
    # a reference that already gives both 1/11 is kept as it is
    assert saving_floor(game, floor) == pytest.approx(floor)


def test_share_writes_the_treaty_tables(tmp_path):
    path = tmp_path / "w.xlsx"
    write_xlsx(_rights_case(pool_fixed_usd_per_yr=4), path)
    out = tmp_path / "share"
    result = run_cli("share", path, "-o", out)
    assert result.exit_code == 0, result.output
    for name in ("funding", "participation", "drawing_rights", "borrowing"):
        assert (out / f"{name}.csv").exists(), name
    fund = pd.read_csv(out / "funding.csv")
    assert set(fund.year.astype(str)) == {"1", STEADY}


@pytest.mark.parametrize("key, value, expected", [
    ("release_priority", "members_first", "release_priority one of national_first, pool_first"),
    ("refill_months", "0", "refill_months a whole number >= 1 and <= 120"),
    ("pool_fixed_usd_per_yr", "-5", "pool_fixed_usd_per_yr a number >= 0 and <= 1e+11")])
def test_treaty_settings_are_checked(tmp_path, key, value, expected):
    path = tmp_path / "w.xlsx"
    write_xlsx(two_parties(settings=pd.DataFrame({"key": [key], "value": [value]})), path)
    result = run_cli("validate", path)
    assert result.exit_code == 2, result.output
    assert expected in result.output


def test_a_pool_whose_running_cost_exceeds_its_saving_is_said_to_cost_more():
    # two_parties: national stock for both costs 2 x 3 t x $10 = $60/yr; the 3 t pool $30/yr plus a running cost
    # of $40/yr = $70/yr. The running cost is a commitment of signing, not a choice of the model, so the plan still
    # pools, and the pooling saving says what signing costs: 60 - 70 = -$10/yr.
    from stockpile.api import solve

    data = data_of(two_parties(settings=_settings(pool_fixed_usd_per_yr=40)))
    res = solve(data)
    assert res.facts.objective_usd_per_yr == pytest.approx(70.0)
    assert res.facts.pooling_saving_usd_per_yr == pytest.approx(-10.0)
    assert ("The joint pool costs **$10/yr more** than every party stocking on its own, net of the pool's running "
            "cost of $40/yr (`pool_fixed_usd_per_yr`)") in summary(data, res)


def test_share_on_a_dask_cluster_gives_the_same_game(tmp_path):
    # the coalitions solved on a local Dask cluster: the same values and the same treaty tables as in one process
    from distributed import Client, LocalCluster

    data = data_of(_rights_case(pool_fixed_usd_per_yr=4))
    local = share(data)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        remote = share(data, client=client)
    pd.testing.assert_frame_equal(local.tables["coalitions"].drop(columns="highs_s"),
                                  remote.tables["coalitions"].drop(columns="highs_s"))
    pd.testing.assert_frame_equal(local.tables["funding"], remote.tables["funding"])


def test_share_names_an_unreachable_scheduler_before_any_work(tmp_path):
    path = tmp_path / "w.xlsx"
    write_xlsx(_rights_case(), path)
    result = run_cli("share", path, "--scheduler", "tcp://127.0.0.1:9", "-o", tmp_path / "s")
    assert result.exit_code == 2
    assert "could not connect to the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert not (tmp_path / "s").exists()


def _participation_sentence(core_status: str, shapley_saving: dict, floor_saving: dict) -> str:
    """The participation section's last sentence for a two-party table built by hand (stand-alone cost $1 m each)."""
    from types import SimpleNamespace

    from stockpile.reports.share import _participation_section

    alone = 1e6
    rows = [{"rule": rule, "party": p, "standalone_usd_per_yr": alone, "cost_usd_per_yr": alone * (1 - f),
             "saving_usd_per_yr": alone * f, "saving_share_of_standalone": f, "build_up_cash_usd": 10.0,
             "steady_cash_usd_per_yr": 1.0, "saving_per_usd_committed": f}
            for rule, saving in (("shapley", shapley_saving), ("saving_floor", floor_saving))
            for p, f in saving.items()]
    sharing = SimpleNamespace(tables={"participation": pd.DataFrame(rows),
                                      "sharing": pd.DataFrame({"rule": ["shapley"],
                                                               "core_verdict": ["blocked (proved)"]})},
                              reference="shapley", core=SimpleNamespace(status=core_status))
    return [line for line in _participation_section(sharing) if line][-1]


def test_the_saving_floor_is_not_called_a_lift_when_the_least_gainer_loses():
    # the bundled workbook's case: the core is empty; Shapley gives B 0.01% of its $1 m, and the split nearest it in
    # the least core keeps every member at -0.20% at best: B pays $1 m x (0.0001 + 0.002) = $2,100 more, A as much
    # less (0.0821 - 0.08 = 0.0021): "lifts" would be false, and so would "the core"
    words = _participation_sentence("empty", {"A": 0.08, "B": 0.0001}, {"A": 0.0821, "B": -0.002})
    assert "lifts" not in words and "in the least core (the core is empty)" in words, words
    assert "B gains least (0.01% of its stand-alone cost)" in words and "-0.20%" in words
    assert "A -$2,100/yr, B +$2,100/yr" in words, words


def test_the_saving_floor_lifts_the_least_gainer_in_a_core():
    # a core that is not empty: Shapley gives B 1%, the floor split 2% to each: B pays $10,000 less, A as much more
    words = _participation_sentence("non-empty", {"A": 0.03, "B": 0.01}, {"A": 0.02, "B": 0.02})
    assert "The smallest change that lifts it: the split nearest the shapley rule in the core" in words, words
    assert "A +$10,000/yr, B -$10,000/yr" in words, words
