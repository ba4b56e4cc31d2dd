"""The operating rule, `stockpile backtest` and `stockpile evaluate` (docs/formulation.md, "Operating rule" and
"Back-test and evaluation"): hand-computed replays, the replay identity on the tree, seeds and workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stockpile.analyses import operating_rule as orl
from stockpile.analyses.evaluate import evaluate, run_samples
from stockpile.api import backtest, operating_rule
from stockpile.io.problems import InputError

from .helpers import data_of, run_cli, tiny, two_parties, write_xlsx

SETTINGS = {"key": ["horizon_months", "mip_rel_gap", "time_limit_s", "sensitivity", "value_of_information",
                    "refill_months"], "value": [12, 0, 60, "no", "no", 1]}


def held_three_months(probability: float = 0.02, refill_months: int = 1) -> dict[str, pd.DataFrame]:
    """tiny with 3 t of existing stock (3 months of its 1 t/month) that it never adds to: holding costs $100/t/yr
    ($1,000 x 0.1) while a tonne in month 1 or 2 of the cut saves at most p x $1,000 = $20/yr. The cut lasts 2 or 6
    months (0.5 each)."""
    settings = pd.DataFrame(SETTINGS).assign(value=[12, 0, 60, "no", "no", refill_months])
    return tiny(settings=settings, minerals={"price_usd_per_t": [1000.0]},
                demand=pd.DataFrame({"party": ["A"], "mineral": ["X"], "consumption_t_per_yr": [12.0],
                                     "existing_stock_t": [3.0]}),
                scenarios=pd.DataFrame({"scenario": ["s1"], "probability_per_yr": [probability]}),
                events={"duration_months": ["2,6"], "duration_probabilities": ["0.5,0.5"]})


def history(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["event", "supplier", "minerals", "targets", "start", "end", "cut", "source"])


def test_replay_gives_back_the_model_on_its_tree():
    """Two parties sharing a pool, products tying two minerals, uncertain lengths: replayed branch by branch from
    what has happened only, the rule releases what the model released and costs what the model's shortage terms
    cost (one build year, so the tree is the whole expected shortage)."""
    frames = two_parties(
        settings=pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "sensitivity", "value_of_information"],
                               "value": [8, 0, "no", "no"]}),
        minerals=pd.DataFrame({"mineral": ["X", "Y"], "price_usd_per_t": [300.0, 200.0],
                               "holding_rate_per_yr": [0.1, 0.1], "lot_t": [1, 1]}),
        demand=pd.DataFrame({"party": ["A", "A", "B"], "mineral": ["X", "Y", "X"],
                             "consumption_t_per_yr": [12.0, 24.0, 12.0]}),
        supply=pd.DataFrame({"party": ["A", "A", "B"], "mineral": ["X", "Y", "X"], "supplier": ["CN"] * 3,
                             "share": [1.0, 0.5, 1.0]}),
        shortage_costs=pd.DataFrame({"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.5, 1.0],
                                     "usd_per_t": [400.0, 1500.0]}),
        events=pd.DataFrame({"scenario": ["s_a", "s_b"], "supplier": ["CN", "CN"], "minerals": ["X,Y", "X"],
                             "targets": ["A", "*"], "start_month": [1, 1], "duration_months": ["2,5", "3,6"],
                             "duration_probabilities": ["0.5,0.5", "0.7,0.3"], "cut": [1.0, 0.8]}))
    frames["products"] = pd.DataFrame({"party": ["A"], "product": ["motors"], "lost_value_usd_per_month": [900.0]})
    frames["product_inputs"] = pd.DataFrame({"party": ["A", "A"], "product": ["motors", "motors"],
                                             "mineral": ["X", "Y"], "share_of_demand": [0.5, 0.4]})
    data, res, rule = operating_rule(data_of(frames))
    assert rule.ambiguous == 0
    cost = orl.ShortageCost(data)
    replayed = orl.tree_replay(rule, cost).merge(orl.model_branch_costs(data, res, cost), on="branch")
    assert np.allclose(replayed.released_t, replayed.model_released_t, atol=1e-9)
    assert np.allclose(replayed.drawn_t, replayed.model_drawn_t, atol=1e-9)
    expected = float((replayed.probability_per_yr * replayed.replay_shortage_usd).sum())
    terms = res["costs"].set_index("term").usd_per_yr
    model = float(terms["expected_shortage"] + terms.get("expected_lost_output", 0.0))
    assert model > 0
    assert expected == pytest.approx(model, rel=1e-6)


def test_evaluation_matches_the_closed_form():
    """3 months of stock, cuts of 2 or 6 months (0.5 each) at 0.02/yr, refilled within a month: a 2-month cut leaves
    nothing unmet, a 6-month one 6 - 3 = 3 t, so 0.5 x 3 = 1.5 t a disruption and 0.02 x 1.5 = 0.03 t/yr; shortage
    cost 0.03 x $1,000 = $30/yr. (Overlaps are rare at 0.02/yr: two cuts within a year ~ 2%.)"""
    _data, _res, rule = operating_rule(data_of(held_three_months()))
    ev = evaluate(rule, samples=4000, years=20, seed=7)
    s = ev.summary.set_index(["metric", "party", "mineral"])
    unmet = s.loc["unmet_t_per_yr", "A", "X"]
    assert unmet.ci95_low <= 0.03 <= unmet.ci95_high
    assert unmet.ci95_high - unmet.ci95_low < 0.3 * 0.03  # an interval that says something
    cost = s.loc["shortage_cost_usd_per_yr", "*", "*"]
    assert cost.ci95_low <= 30.0 <= cost.ci95_high
    # in sample: the tree's 6-month branch (p 0.01) leaves 3 t unmet at $1,000: $30/yr
    assert ev.in_sample_usd_per_yr == pytest.approx(30.0, rel=1e-9)
    # the disruptions arrive at 0.02/yr: 4000 x 20 x 0.02 = 1,600 expected
    assert 1400 < ev.samples.disruptions.sum() < 1800


def test_same_seed_same_samples_on_any_number_of_workers():
    _data, _res, rule = operating_rule(data_of(held_three_months(probability=0.3)))
    serial = evaluate(rule, samples=40, years=10, seed=3, workers=1)
    parallel = evaluate(rule, samples=40, years=10, seed=3, workers=2)
    pd.testing.assert_frame_equal(serial.samples, parallel.samples)
    pd.testing.assert_frame_equal(serial.summary, parallel.summary)
    # a sample is its own stream: sample 5 alone is sample 5 of the run
    alone = run_samples(rule, 3, [5], 10)[0]
    assert alone.disruptions == serial.samples.disruptions[5]
    other = evaluate(rule, samples=40, years=10, seed=4)
    assert not other.samples.equals(serial.samples)


def test_backtest_by_hand(tmp_path):
    """3 t of stock at 1 t/month. cut1 (2020-01..05, all of CN's X): 5 t lost, 3 covered, 2 unmet, $3,000 avoided,
    none left. Refilled at 3/12 t in each of the 7 idle months to 2020-12: 1.75 t. cut2 (2021-01..02): month 1 takes
    1 t, month 2 the 0.75 t left: 0.25 t unmet. cut3 is still in force from 2021-12 to December 2021 (the window's
    end): 1 month, refilled to min(3, 0.25 x 9) = 2.25 t before it, so covered."""
    frames = held_three_months(refill_months=12)
    frames["history"] = history(("cut1", "CN", "X", "*", "2020-01", "2020-05", 1.0, "k1"),
                                ("cut2", "CN", "X", "A", "2021-01", "2021-02", 1.0, "k2"),
                                ("cut3", "CN", "*", "*", "2021-12", None, 1.0, "k3"))
    tested = backtest(data_of(frames))
    t = tested.backtest.table.set_index("event")
    assert t.loc["cut1", "months"] == 5 and t.loc["cut1", "gap_t"] == pytest.approx(5.0)
    assert t.loc["cut1", "unmet_with_stock_t"] == pytest.approx(2.0)
    assert t.loc["cut1", "unmet_without_stock_t"] == pytest.approx(5.0)
    assert t.loc["cut1", "shortage_cost_avoided_usd"] == pytest.approx(3000.0)
    assert t.loc["cut1", "stock_left_t"] == pytest.approx(0.0)
    assert t.loc["cut2", "unmet_with_stock_t"] == pytest.approx(0.25)
    assert t.loc["cut2", "stock_left_t"] == pytest.approx(0.0)
    assert t.loc["cut3", "months"] == 1 and bool(t.loc["cut3", "in_force"])
    assert t.loc["cut3", "unmet_with_stock_t"] == pytest.approx(0.0)
    assert t.loc["cut3", "stock_left_t"] == pytest.approx(1.25)
    path = tmp_path / "h.xlsx"
    write_xlsx(frames, path)
    out = tmp_path / "bt"
    result = run_cli("backtest", path, "-o", out)
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out / "backtest.csv")
    assert list(written.columns[:9]) == ["event", "party", "mineral", "months", "gap_t", "unmet_without_stock_t",
                                         "unmet_with_stock_t", "shortage_cost_avoided_usd", "stock_left_t"]
    summary = (out / "summary.md").read_text()
    assert "Of 8 t of supply lost, the stock covered 5.75 t (72%)" in summary
    assert "- cut3 (since 2021-12): 0 t unmet of 1 t so far" in summary
    assert "nan" not in summary


def test_history_errors_name_their_rows(tmp_path):
    frames = held_three_months()
    frames["history"] = history(("ok", "CN", "X", "*", "2020-01", "2020-02", 1.0, ""),
                                ("bad_mineral", "CN", "Q", "*", "2020-01", "2020-02", 1.0, ""),
                                ("backwards", "CN", "X", "*", "2020-05", "2020-02", 1.0, ""),
                                ("bad_month", "CN", "X", "*", "2020-13", None, 1.0, ""),
                                ("bad_party", "CN", "X", "Z", "2020-01", None, 1.0, ""))
    with pytest.raises(InputError) as err:
        data_of(frames)
    text = err.value.report()
    assert text.startswith("4 problem(s) found in the input:")
    assert "sheet 'history', row 3, column 'minerals'" in text and "unknown mineral 'Q'" in text
    assert ("sheet 'history', row 4, column 'end': expected a month from its start (2020-05) on; found '2020-02', "
            "before it") in text
    assert "sheet 'history', row 5, column 'start': expected a month as YYYY-MM" in text
    assert "sheet 'history', row 6, column 'targets'" in text and "unknown party 'Z'" in text
    path = tmp_path / "bad.xlsx"
    write_xlsx(frames, path)
    result = run_cli("backtest", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_backtest_without_history_is_an_input_error(tmp_path):
    path = tmp_path / "t.xlsx"
    write_xlsx(held_three_months(), path)
    result = run_cli("backtest", path, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "history" in result.output and "a history sheet with at least one cut" in result.output


def test_a_dask_cluster_gives_the_same_samples():
    from distributed import Client, LocalCluster

    _data, _res, rule = operating_rule(data_of(held_three_months(probability=0.3)))
    local = evaluate(rule, samples=30, years=10, seed=11)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        remote = evaluate(rule, samples=30, years=10, seed=11, client=client)
    assert remote.backend == "dask"
    pd.testing.assert_frame_equal(local.samples, remote.samples)
    pd.testing.assert_frame_equal(local.summary, remote.summary)


def test_evaluate_cli_writes_its_tables(tmp_path):
    path = tmp_path / "t.xlsx"
    write_xlsx(held_three_months(probability=0.3), path)
    out = tmp_path / "ev"
    result = run_cli("evaluate", path, "--samples", 50, "--years", 5, "--seed", 2, "--workers", 1, "-o", out)
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "evaluation_summary.csv")
    assert list(summary.columns) == ["metric", "party", "mineral", "mean", "ci95_low", "ci95_high"]
    assert {"shortage_cost_usd_per_yr", "unmet_t_per_yr", "stockout_probability_per_yr"} <= set(summary.metric)
    samples = pd.read_csv(out / "evaluation.csv")
    assert len(samples) == 50 and samples["sample"].tolist() == list(range(50))
    text = (out / "summary.md").read_text()
    assert "50 sampled histories of 5 years (seed 2" in text and "nan" not in text
    # at 0.3/yr a tonne for months 4-6 of a cut saves 0.15 x $1,000 = $150/yr > $100 of holding: it holds 6 t, so
    # the tree's branches leave nothing unmet, while sampled cuts that overlap or come before a refill do
    tree = pd.read_csv(out / "in_sample.csv")
    assert (tree.probability_per_yr * tree.replay_shortage_usd).sum() == pytest.approx(0.0, abs=1e-9)
    bad = run_cli("evaluate", path, "--samples", 0, "-o", tmp_path / "x")
    assert bad.exit_code == 2 and not (tmp_path / "x").exists()


def test_a_window_before_the_first_cut_is_refused_before_any_work(tmp_path):
    frames = held_three_months()
    frames["history"] = history(("cut1", "CN", "X", "*", "2020-01", "2020-05", 1.0, "k1"))
    path = tmp_path / "h.xlsx"
    write_xlsx(frames, path)
    result = run_cli("backtest", path, "--through", "2019-12", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "--through 2019-12 is before the history's first cut (2020-01): nothing to replay" in result.output
    assert "solved" not in result.output and not (tmp_path / "out").exists()


def test_solve_states_the_operating_rule(tmp_path):
    """tiny with 2- or 6-month cuts: the model holds 3 t (see held_three_months) and releases all it can in each of
    the 3 months it has stock for, so every row of operating_rule.csv releases all it can, and the summary says so
    from the table."""
    path = tmp_path / "t.xlsx"
    write_xlsx(held_three_months(), path)
    result = run_cli("solve", path, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    rule = pd.read_csv(tmp_path / "out" / "operating_rule.csv")
    assert list(rule.columns) == ["holder", "party", "mineral", "months_into_cut", "states", "min_share_released",
                                  "max_share_released"]
    assert rule.months_into_cut.tolist() == [1, 2, 3] and (rule.min_share_released == 1.0).all()
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert ("Over the tree's 3 states: in 3 of its 3 rows (holder, party, mineral, month into the cut) the holder "
            "releases all it can in every state.") in summary


def test_a_release_within_the_tolerance_is_none_and_a_remainder_within_it_is_all():
    """The operating rule's shares are in [0, 1]: HiGHS can return a release of -3e-16 t (noise, read as none, not a
    negative share the summary printed as '-0%'), or leave 1e-12 t of what it could release (read as all of it);
    2.5 of 5 t is half."""
    assert orl.release_share(-2.96e-16, 5.0) == 0.0
    assert orl.release_share(5.0 - 1e-12, 5.0) == 1.0
    assert orl.release_share(2.5, 5.0) == 0.5
    assert orl.release_share(7.0, 5.0) == 1.0
