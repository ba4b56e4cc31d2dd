"""Economics a ministry accepts, computed by hand: lost output by product (Leontief), purchase caps on the supply
that sells to stockpiles, the price our buying moves, the capital lost if crisis prices fall back, and one rule
for budgets (a member pays its claim share of the pool's purchases)."""

from __future__ import annotations

import pandas as pd
import pytest

from stockpile.solver.pipeline import run

from .helpers import data_of, run_cli, tiny, two_parties, write_xlsx

H = 10.0  # holding, USD/t/yr: 0.1 x $100 (tiny)
P = 0.5  # the cut's probability, 1/yr; every cut lasts 3 months of 1 t/month


def two_inputs(cut: str, value_usd_per_month: float) -> dict[str, pd.DataFrame]:
    """Party A makes 'motors' from all of its X and all of its Y (1 t/month each); a month without motors costs
    `value_usd_per_month`; the 3-month cut takes `cut` (X, or X,Y)."""
    f = tiny()
    f["minerals"] = pd.DataFrame({"mineral": ["X", "Y"], "price_usd_per_t": [100.0, 100.0],
                                  "holding_rate_per_yr": [0.1, 0.1]})
    f["demand"] = pd.DataFrame({"party": ["A", "A"], "mineral": ["X", "Y"], "consumption_t_per_yr": [12.0, 12.0]})
    f["supply"] = pd.DataFrame({"party": ["A", "A"], "mineral": ["X", "Y"], "supplier": ["CN", "CN"],
                                "share": [1.0, 1.0]})
    f["events"] = f["events"].assign(minerals=cut)
    f["products"] = pd.DataFrame({"party": ["A"], "product": ["motors"],
                                  "lost_value_usd_per_month": [value_usd_per_month]})
    f["product_inputs"] = pd.DataFrame({"party": ["A", "A"], "product": ["motors", "motors"], "mineral": ["X", "Y"],
                                        "share_of_demand": [1.0, 1.0]})
    return f


def stock(res, mineral: str) -> float:
    return float(res["stock"].query("mineral == @mineral").stock_t.sum())


def cost(res, term: str) -> float:
    return float(res["costs"].set_index("term").usd_per_yr.get(term, 0.0))


def test_the_uncut_input_of_a_product_gets_no_stock():
    # only X is cut: motors stop for 3 months unless X is held. A tonne of X keeps a month of motors:
    # P x $1,000 = $500/yr saved against H = $10: hold 3 t of X (3 x 10 = $30/yr) and no Y (never short)
    res = run(data_of(two_inputs("X", 1000.0)))
    assert stock(res, "X") == pytest.approx(3.0) and stock(res, "Y") == pytest.approx(0.0)
    assert res.facts.objective_usd_per_yr == pytest.approx(30.0)
    assert cost(res, "expected_shortage") == pytest.approx(0.0)  # all of X's demand goes into motors


@pytest.mark.parametrize("value, held, objective", [
    # both cut: a month of motors needs a tonne of X and a tonne of Y, $20/yr to hold, and saves P x V.
    # V = $30: 15 < 20, hold nothing and lose 3 months: P x 3 x 30 = $45/yr
    (30.0, 0.0, 45.0),
    # V = $100: 50 > 20, hold 3 t of each: 6 x 10 = $60/yr (one input alone would save nothing)
    (100.0, 3.0, 60.0),
])
def test_co_inputs_cut_together_are_held_all_or_nothing(value, held, objective):
    res = run(data_of(two_inputs("X,Y", value)))
    assert stock(res, "X") == pytest.approx(held) and stock(res, "Y") == pytest.approx(held)
    assert res.facts.objective_usd_per_yr == pytest.approx(objective)


def test_products_tie_their_inputs_into_one_subproblem():
    data = data_of(two_inputs("X,Y", 100.0))
    assert data.mineral_groups == [["X", "Y"]]
    res = run(data)
    assert [s["mineral"] for s in res.facts.subproblems] in ([], ["X+Y"])  # one model, or one subproblem of both


def test_a_mineral_split_between_a_product_and_its_tiers():
    # half of X (0.5 t/month) goes into 'widgets' (V = $8/month), half keeps the $1,000/t tier; lots of 0.5 t.
    # the tier half: a tonne saves P x 1,000 = $500 > $10, hold 3 x 0.5 = 1.5 t ($15/yr);
    # the widget half: a tonne keeps 2 months of widgets at 0.5 t a month, saving P x 8 / 0.5 = $8 < $10: none,
    # so widgets stop for 3 months: P x 3 x $8 = $12/yr; total $27/yr
    f = tiny(minerals={"lot_t": [0.5]})
    f["products"] = pd.DataFrame({"party": ["A"], "product": ["widgets"], "lost_value_usd_per_month": [8.0]})
    f["product_inputs"] = pd.DataFrame({"party": ["A"], "product": ["widgets"], "mineral": ["X"],
                                        "share_of_demand": [0.5]})
    res = run(data_of(f))
    assert stock(res, "X") == pytest.approx(1.5)
    assert cost(res, "expected_lost_output") == pytest.approx(12.0)
    assert res.facts.objective_usd_per_yr == pytest.approx(27.0)
    lost = res["product_outcomes"]
    assert list(lost.month) == [1, 2, 3] and lost.lost_share.tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert lost.cost_usd.sum() == pytest.approx(24.0)  # if the cut happens: 3 months x $8
    assert res["product_costs"].expected_lost_output_usd_per_yr.tolist() == pytest.approx([12.0])


def test_the_cap_is_a_share_of_the_supply_that_sells_to_stockpiles(tmp_path):
    # 100 t/yr from CN (no sale to stockpiles) and 20 t/yr from AU: 10% of 20 = 2 t/yr, not 10% of 120 = 12.
    # one build year: 2 t held, 1 t short in the 3-month cut: 2 x 10 + P x 1 x $1,000 = $520/yr
    f = tiny(minerals={"max_purchase_share_per_yr": [0.1]})
    f["world_supply"] = pd.DataFrame({"mineral": ["X", "X"], "supplier": ["CN", "AU"], "t_per_yr": [100.0, 20.0],
                                      "sells_to_stockpiles": ["no", "yes"]})
    data = data_of(f)
    assert data.minerals["X"].purchase_cap_t_per_yr == pytest.approx(2.0)
    res = run(data)
    assert stock(res, "X") == pytest.approx(2.0)
    assert res.facts.objective_usd_per_yr == pytest.approx(520.0)
    write_xlsx(f, tmp_path / "w.xlsx")
    out = run_cli("solve", tmp_path / "w.xlsx", "-o", tmp_path / "res")
    assert out.exit_code == 0, out.output
    summary = (tmp_path / "res" / "summary.md").read_text()
    assert ("X: 2 t held; the suppliers that sell to stockpiles (AU) supply 20 t/yr, of which the cap lets all "
            "holders buy 2 t/yr: the stock takes 1 build year (1 allowed).") in summary


def test_a_target_the_sellers_cannot_supply_names_them(tmp_path):
    # 10% of AU's 20 t/yr = 2 t a year, one build year; a 3-month target needs 3 t
    f = tiny(minerals={"max_purchase_share_per_yr": [0.1]}, demand={"target_months": [3.0]})
    f["world_supply"] = pd.DataFrame({"mineral": ["X", "X"], "supplier": ["CN", "AU"], "t_per_yr": [100.0, 20.0],
                                      "sells_to_stockpiles": ["no", "yes"]})
    write_xlsx(f, tmp_path / "w.xlsx")
    out = run_cli("solve", tmp_path / "w.xlsx", "-o", tmp_path / "res")
    assert out.exit_code == 3, out.output
    assert ("the purchase cap on X (max_purchase_share_per_yr 0.1 x the 20 t/yr of its suppliers that sell to "
            "stockpiles (world_supply sheet) = 2 t/yr, all holders together) allows 2 t over 1 build year"
            ) in out.output


def test_the_uplift_and_the_capital_loss_at_a_chord_end():
    # 12 months of a 10 t/month cut: 120 t held (each tonne saves P x 1,000 = $500). World supply 500 t, uplift 2:
    # 120 t is a chord end, so the uplift is a u q^2 / W = 150 x 2 x 120^2 / 500 = $8,640 one-off; the capital loss
    # is (150 - 100) x 120 = $6,000 one-off; both weigh 1 - delta = 0.05 / 1.05 a year. Holding is on the
    # acquisition price: 0.1 x 150 x 120 = $1,800/yr
    settings = pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "time_limit_s"], "value": [12, 0, 60]})
    f = tiny(settings=settings, demand={"consumption_t_per_yr": 120.0}, events={"duration_months": 12},
             minerals={"world_supply_t_per_yr": 500.0, "price_uplift_per_share": 2.0,
                       "acquisition_price_usd_per_t": 150.0, "long_run_price_usd_per_t": 100.0})
    res = run(data_of(f))
    weight = 1 - 1 / 1.05
    assert stock(res, "X") == pytest.approx(120.0)
    assert cost(res, "purchase_uplift") == pytest.approx(150 * 2 * 120 ** 2 / 500 * weight)
    assert cost(res, "capital_loss") == pytest.approx((150 - 100) * 120 * weight)
    assert res.facts.objective_usd_per_yr == pytest.approx(1800 + (8640 + 6000) * weight)


def test_no_capital_loss_when_the_long_run_price_is_above_todays():
    res = run(data_of(tiny(minerals={"long_run_price_usd_per_t": [120.0]})))
    assert cost(res, "capital_loss") == pytest.approx(0.0) and res.facts.objective_usd_per_yr == pytest.approx(30.0)


def test_a_one_off_budget_binds_through_the_pools_share():
    # A and B are hit apart (p = 0.4 each, 3 t each); one pool of 3 t ($300 at $100/t) serves both for $30/yr.
    # A's budget_usd $100 pays for its own stock and half the pool's (equal coverage basis): own + pool / 2 <= 1 t.
    # A can then count on at most 2 t (a pool of 2 t, charged 1 t): 1 t short in s_a, 0.4 x $1,000 = $400/yr;
    # B tops the pool up with 1 t of its own. 2 x 10 + 1 x 10 + 400 = $430/yr (charging A nothing would give $30)
    res = run(data_of(two_parties(parties={"budget_usd": [100.0, None]})))
    assert res.facts.objective_usd_per_yr == pytest.approx(430.0)
    held = res["stock"].set_index("holder").stock_t
    assert held.get("A", 0.0) + held.get("JOINT", 0.0) / 2 <= 1.0 + 1e-9


@pytest.mark.parametrize("sheet, rows, words", [
    ("products", {"party": ["Q"], "product": ["m"], "lost_value_usd_per_month": [1.0]},
     "sheet 'products', row 2, column 'party': expected a party defined in the parties sheet; found unknown party 'Q'"),
    ("products", {"party": ["A"], "product": ["m"], "lost_value_usd_per_month": [-1.0]},
     "sheet 'products', row 2, column 'lost_value_usd_per_month': expected a number >= 0 USD/month; found -1"),
    ("products", {"party": ["A"], "product": ["lonely"], "lost_value_usd_per_month": [1.0]},
     "sheet 'products', row 2, column 'product': expected product_inputs rows for A's product 'lonely'; found none"),
    ("product_inputs", {"party": ["A"], "product": ["nope"], "mineral": ["X"], "share_of_demand": [0.5]},
     "sheet 'product_inputs', row 2, column 'product': expected a product of A defined in the products sheet"),
    ("product_inputs", {"party": ["A"], "product": ["m"], "mineral": ["Q"], "share_of_demand": [0.5]},
     "sheet 'product_inputs', row 2, column 'mineral': expected a mineral defined in the minerals sheet"),
    ("product_inputs", {"party": ["A"], "product": ["m"], "mineral": ["X"], "share_of_demand": [1.5]},
     "sheet 'product_inputs', row 2, column 'share_of_demand': expected a share between 0 and 1; found 1.5"),
    ("product_inputs", {"party": ["A", "A"], "product": ["m", "n"], "mineral": ["X", "X"],
                        "share_of_demand": [0.7, 0.6]},
     "sheet 'product_inputs', row 3, column 'share_of_demand': expected shares of A's demand for X over its "
     "products summing to at most 1; found a sum of 1.3 (rows 2, 3)"),
    ("world_supply", {"mineral": ["Q"], "supplier": ["CN"], "t_per_yr": [5.0]},
     "sheet 'world_supply', row 2, column 'mineral': expected a mineral defined in the minerals sheet"),
    ("world_supply", {"mineral": ["X"], "supplier": ["CN"], "t_per_yr": [5.0], "sells_to_stockpiles": ["maybe"]},
     "sheet 'world_supply', row 2, column 'sells_to_stockpiles': expected one of yes, no; found 'maybe'"),
])
def test_bad_economics_rows_are_named(tmp_path, sheet, rows, words):
    f = tiny()
    f["products"] = pd.DataFrame({"party": ["A", "A"], "product": ["m", "n"], "lost_value_usd_per_month": [1.0, 1.0]})
    f["product_inputs"] = pd.DataFrame({"party": ["A", "A"], "product": ["m", "n"], "mineral": ["X", "X"],
                                        "share_of_demand": [0.1, 0.1]})
    f[sheet] = pd.DataFrame(rows)
    if sheet == "products":
        f["product_inputs"] = f["product_inputs"].iloc[0:0] if rows["product"] == ["lonely"] else \
            pd.DataFrame({"party": ["A"], "product": ["m"], "mineral": ["X"], "share_of_demand": [0.1]})
    write_xlsx(f, tmp_path / "w.xlsx")
    out = run_cli("validate", tmp_path / "w.xlsx")
    assert out.exit_code == 2, out.output
    assert words in out.output


def test_a_workbook_without_the_economics_sheets_means_what_it_meant(tmp_path):
    # tiny has no products, product_inputs or world_supply sheet: the optimum of test_model case a, $30/yr
    assert run(data_of(tiny())).facts.objective_usd_per_yr == pytest.approx(30.0)
