"""The architecture's promises: the structure key is derived from the schema's column roles (a
structural change rebuilds, a coefficient change re-solves with new numbers, an info change does
neither), one Resolver serves re-solves, cost tables come from the model's own terms, and the
public Python API returns DataFrames."""

from __future__ import annotations

import pandas as pd
import pytest

import stockpile
from stockpile.io import schema
from stockpile.model import build_model, coefficients, structure_key
from stockpile.model.scenario_tree import build_tree
from stockpile.model.sets import build_sets

from .helpers import data_of, two_parties


def base_frames() -> dict[str, pd.DataFrame]:
    """two_parties plus a second mineral Z (A only), budgets and two tiers, so every column has a
    change that alters the model."""
    f = two_parties(parties={"budget_usd": [500.0, 500.0], "budget_usd_per_yr": [400.0, 400.0]})
    f["settings"] = pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "time_limit_s", "budget_usd",
                                          "budget_usd_per_yr", "replenish_premium"],
                                  "value": [6, 0, 60, 1000, 900, 0.1]})
    f["minerals"] = pd.DataFrame({"mineral": ["X", "Z"], "price_usd_per_t": [100.0, 50.0],
                                  "holding_rate_per_yr": [0.1, 0.1], "lot_t": [1, 1],
                                  "acquisition_price_usd_per_t": [110.0, 55.0],
                                  "long_run_price_usd_per_t": [100.0, 50.0]})
    f["products"] = pd.DataFrame({"party": ["A"], "product": ["widget"], "lost_value_usd_per_month": [1000.0],
                                  "notes": ["a widget"]})
    f["product_inputs"] = pd.DataFrame({"party": ["A"], "product": ["widget"], "mineral": ["X"],
                                        "share_of_demand": [0.5]})
    f["world_supply"] = pd.DataFrame({"mineral": ["X", "X"], "supplier": ["CN", "AU"], "t_per_yr": [100.0, 50.0],
                                      "sells_to_stockpiles": ["no", "yes"]})
    f["demand"] = pd.DataFrame({"party": ["A", "B", "A"], "mineral": ["X", "X", "Z"],
                                "consumption_t_per_yr": [12.0, 12.0, 6.0]})
    f["supply"] = pd.DataFrame({"party": ["A", "B", "A"], "mineral": ["X", "X", "Z"], "supplier": ["CN"] * 3,
                                "share": [1.0, 1.0, 1.0]})
    f["shortage_costs"] = pd.DataFrame({"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.5, 1.0],
                                        "usd_per_t": [500.0, 1000.0]})
    return f


def _set(sheet, column, value):
    def change(f):
        f[sheet] = f[sheet].assign(**{column: [value] * len(f[sheet])})
        return f
    return change


def _setting(key, value):
    def change(f):
        s = f["settings"]
        f["settings"] = pd.concat([s[s.key != key], pd.DataFrame({"key": [key], "value": [value]})])
        return f
    return change


def _rename(columns, old, new):
    """Rename an id wherever it stands (columns: (sheet, column) pairs; lists are comma-separated)."""
    def change(f):
        for sheet, column in columns:
            f[sheet] = f[sheet].assign(**{column: [",".join(new if t == old else t for t in str(v).split(","))
                                                   for v in f[sheet][column]]})
        return f
    return change


PARTY = _rename([("parties", "party"), ("demand", "party"), ("supply", "party"), ("events", "targets")], "B", "C")
MINERAL = _rename([("minerals", "mineral"), ("demand", "mineral"), ("supply", "mineral"), ("events", "minerals"),
                   ("product_inputs", "mineral"), ("world_supply", "mineral")], "X", "Y")
SCENARIO = _rename([("scenarios", "scenario"), ("events", "scenario")], "s_a", "s_c")
SUPPLIER = _rename([("supply", "supplier"), ("events", "supplier")], "CN", "RU")
OPTION = _rename([("release_options", "option")], "any", "fast")

# Every column of the schema, with a valid change that alters the model it describes.
# None: no valid change of this column alone gives a different model (it only orders rows).
CHANGES = {
    ("settings", "key"): None, ("settings", "value"): None,  # the settings are checked one by one below
    ("parties", "party"): PARTY, ("parties", "name"): _set("parties", "name", "Bee"),
    ("parties", "gdp_usd_bn"): _set("parties", "gdp_usd_bn", 7.0),
    ("parties", "joint_member"): _set("parties", "joint_member", "optional"),
    ("parties", "budget_usd"): _set("parties", "budget_usd", 600.0),
    ("parties", "entitlement_share"): _set("parties", "entitlement_share", 0.5),
    ("parties", "budget_usd_per_yr"): _set("parties", "budget_usd_per_yr", 300.0),
    ("minerals", "mineral"): MINERAL, ("minerals", "name"): _set("minerals", "name", "Ex"),
    ("minerals", "form"): _set("minerals", "form", "oxide"),
    ("minerals", "price_usd_per_t"): _set("minerals", "price_usd_per_t", 120.0),
    ("minerals", "holding_rate_per_yr"): _set("minerals", "holding_rate_per_yr", 0.2),
    ("minerals", "storage_usd_per_t_yr"): _set("minerals", "storage_usd_per_t_yr", 3.0),
    ("minerals", "lot_t"): _set("minerals", "lot_t", 2),
    ("minerals", "joint_fixed_usd_per_yr"): _set("minerals", "joint_fixed_usd_per_yr", 5.0),
    ("minerals", "world_supply_t_per_yr"): _set("minerals", "world_supply_t_per_yr", 100.0),
    ("minerals", "max_purchase_share_per_yr"): lambda f: _set("minerals", "max_purchase_share_per_yr", 0.1)(
        _set("minerals", "world_supply_t_per_yr", 100.0)(f)),
    ("minerals", "acquisition_price_usd_per_t"): _set("minerals", "acquisition_price_usd_per_t", 150.0),
    ("minerals", "price_uplift_per_share"): lambda f: _set("minerals", "price_uplift_per_share", 2.0)(
        _set("minerals", "world_supply_t_per_yr", 100.0)(f)),
    ("demand", "party"): PARTY, ("demand", "mineral"): MINERAL,
    ("demand", "consumption_t_per_yr"): _set("demand", "consumption_t_per_yr", 24.0),
    ("demand", "net_import_reliance"): _set("demand", "net_import_reliance", 0.5),
    ("demand", "existing_stock_t"): _set("demand", "existing_stock_t", 1.0),
    ("demand", "programme_fixed_usd_per_yr"): _set("demand", "programme_fixed_usd_per_yr", 5.0),
    ("demand", "max_stock_t"): _set("demand", "max_stock_t", 10.0),
    ("demand", "target_months"): _set("demand", "target_months", 1.0),
    ("supply", "party"): PARTY, ("supply", "mineral"): MINERAL, ("supply", "supplier"): SUPPLIER,
    ("supply", "share"): _set("supply", "share", 0.5),
    ("shortage_costs", "mineral"): _set("shortage_costs", "mineral", "X"),  # X's own tiers; Z has none -> below
    ("shortage_costs", "tier"): None,  # orders the tiers: renumbering them leaves the same model
    ("shortage_costs", "up_to_share_of_demand"): lambda f: f.update(shortage_costs=f["shortage_costs"].assign(
        up_to_share_of_demand=[0.6, 1.0])) or f,
    ("shortage_costs", "usd_per_t"): _set("shortage_costs", "usd_per_t", 2000.0),
    ("release_options", "option"): OPTION,
    ("release_options", "max_release_share_per_month"): _set("release_options", "max_release_share_per_month", 0.5),
    ("release_options", "usd_per_t_yr"): _set("release_options", "usd_per_t_yr", 1.0),
    ("scenarios", "scenario"): SCENARIO,
    ("scenarios", "probability_per_yr"): _set("scenarios", "probability_per_yr", 0.3),
    ("scenarios", "description"): _set("scenarios", "description", "a ban"),
    ("events", "scenario"): SCENARIO, ("events", "supplier"): SUPPLIER,
    ("events", "minerals"): _set("events", "minerals", "X,Z"), ("events", "targets"): _set("events", "targets", "A,B"),
    ("events", "start_month"): _set("events", "start_month", 2),
    ("events", "duration_months"): _set("events", "duration_months", 2),
    ("events", "duration_probabilities"): lambda f: _set("events", "duration_probabilities", "0.3,0.7")(
        _set("events", "duration_months", "2,4")(f)),
    ("events", "cut"): _set("events", "cut", 0.5),
    ("events", "recovery_months"): _set("events", "recovery_months", 2),
    ("events", "recovery_share"): _set("events", "recovery_share", 0.5),
    ("minerals", "long_run_price_usd_per_t"): _set("minerals", "long_run_price_usd_per_t", 90.0),
    ("products", "party"): lambda f: _set("product_inputs", "party", "B")(_set("products", "party", "B")(f)),
    ("products", "product"): lambda f: _set("product_inputs", "product", "gadget")(
        _set("products", "product", "gadget")(f)),
    ("products", "lost_value_usd_per_month"): _set("products", "lost_value_usd_per_month", 2000.0),
    ("products", "notes"): _set("products", "notes", "a gadget"),
    ("product_inputs", "party"): lambda f: _set("product_inputs", "party", "B")(_set("products", "party", "B")(f)),
    ("product_inputs", "product"): lambda f: _set("product_inputs", "product", "gadget")(
        _set("products", "product", "gadget")(f)),
    ("product_inputs", "mineral"): _set("product_inputs", "mineral", "Z"),
    ("product_inputs", "share_of_demand"): _set("product_inputs", "share_of_demand", 0.3),
    ("world_supply", "mineral"): _set("world_supply", "mineral", "Z"),
    ("world_supply", "supplier"): lambda f: f.update(world_supply=f["world_supply"].assign(supplier=["RU", "AU"])) or f,
    ("world_supply", "t_per_yr"): _set("world_supply", "t_per_yr", 60.0),
    ("world_supply", "sells_to_stockpiles"): _set("world_supply", "sells_to_stockpiles", "yes"),
    # benchmarks score the answer, never shape it: a sheet of them leaves the same model
    **{("benchmarks", c): (lambda f: f.update(benchmarks=pd.DataFrame(
        {"benchmark": ["NDS"], "days": [90], "parties": ["A"]})) or f) for c in ("benchmark", "days", "parties")},
    # the history is replayed by backtest, never modelled: a sheet of it leaves the same model
    **{("history", c): (lambda f: f.update(history=pd.DataFrame(
        {"event": ["cut"], "supplier": ["CN"], "minerals": ["X"], "targets": ["*"], "start": ["2020-01"],
         "end": ["2020-03"], "cut": [1.0], "source": ["k"]})) or f)
       for c in ("event", "supplier", "minerals", "targets", "start", "end", "cut", "source")},
}
SETTING_CHANGES = {"horizon_months": 5, "coverage_basis": "net_imports", "joint_allocation": "pro_rata",
                   "replenish_premium": 0.2, "budget_usd": 2000, "mip_rel_gap": 0.01, "time_limit_s": 30,
                   "build_years": 3, "discount_rate": 0.1, "budget_usd_per_yr": 700,
                   "value_of_information": "no", "sensitivity": "no",
                   "sensitivity_mip_rel_gap": 1e-3, "release_priority": "pool_first", "refill_months": 6,
                   "pool_fixed_usd_per_yr": 100.0}


def _numbers(data):
    tree = build_tree(data)
    return coefficients(data, build_sets(data, tree), tree)


def _check(role: str, base, changed) -> None:
    key_changed = structure_key(base) != structure_key(changed)
    coefficients_changed = _numbers(base) != _numbers(changed)
    if role == schema.STRUCTURE:
        assert key_changed, "a structural change must rebuild the model"
    elif role == schema.COEFFICIENT:
        assert not key_changed and coefficients_changed, "a coefficient change must re-solve with new numbers"
    else:
        assert not key_changed and not coefficients_changed, "an info column must not reach the model"


def test_every_column_is_classified_and_has_a_change():
    columns = {(s, c.name) for s, sheet in schema.SHEETS.items() for c in sheet.columns}
    assert columns == set(CHANGES), "add the new column to CHANGES with a change that alters the model"
    assert set(SETTING_CHANGES) == set(schema.SETTINGS)


@pytest.mark.parametrize("sheet, column", [k for k, v in CHANGES.items() if v is not None])
def test_column_role_decides_rebuild_or_resolve(sheet, column):
    base = data_of(base_frames())
    if (sheet, column) == ("shortage_costs", "mineral"):
        frames = base_frames()
        z = frames["shortage_costs"].assign(mineral="Z")
        frames["shortage_costs"] = pd.concat([CHANGES[sheet, column](base_frames())["shortage_costs"], z])
        changed = data_of(frames)  # same tiers for both minerals: the model must not change
        assert structure_key(changed) == structure_key(base)
        frames["shortage_costs"] = pd.concat([frames["shortage_costs"].iloc[:2],
                                              z.assign(up_to_share_of_demand=[0.25, 1.0])])
        changed = data_of(frames)
    else:
        changed = data_of(CHANGES[sheet, column](base_frames()))
    _check(schema.SHEETS[sheet].column(column).role, base, changed)


@pytest.mark.parametrize("key", list(SETTING_CHANGES))
def test_setting_role_decides_rebuild_or_resolve(key):
    base = data_of(base_frames())
    changed = data_of(_setting(key, SETTING_CHANGES[key])(base_frames()))
    _check(schema.SETTINGS[key].role, base, changed)


def test_an_optional_coefficient_appearing_is_structural():
    # a budget's value is a coefficient, but a budget that appears adds a row: rebuild
    frames = base_frames()
    frames["parties"] = frames["parties"].assign(budget_usd=[500.0, None])
    assert structure_key(data_of(frames)) != structure_key(data_of(base_frames()))


def test_resolver_rebuilds_only_for_structure_and_matches_a_fresh_build():
    from stockpile.solver.pipeline import run
    from stockpile.solver.resolver import Resolver

    resolver = Resolver()
    cases = [base_frames(), _set("minerals", "price_usd_per_t", 300.0)(base_frames()),
             _set("minerals", "lot_t", 2)(base_frames())]
    rebuilt = []
    for frames in cases:
        data = data_of(frames)
        facts = resolver.solve(data)
        rebuilt.append(resolver.rebuilt)
        assert facts.objective_usd_per_yr == pytest.approx(run(data).facts.objective_usd_per_yr)
    assert rebuilt == [True, False, True] and resolver.builds == 2


def test_objective_is_the_sum_of_the_cost_terms():
    import pyomo.environ as pyo

    from stockpile.model import cost_table
    from stockpile.solver.highs import solve_direct

    data = data_of(base_frames())
    model = build_model(data)
    facts = solve_direct(model, data)
    assert cost_table(model).usd_per_yr.sum() == pytest.approx(pyo.value(model.Expected_Annual_Cost))
    assert facts.objective_usd_per_yr == pytest.approx(pyo.value(model.Expected_Annual_Cost))


def test_public_api_returns_dataframes(tmp_path):
    from .helpers import tiny, write_xlsx

    path = tmp_path / "tiny.xlsx"
    write_xlsx(tiny(), path)
    data = stockpile.load(path)
    res = stockpile.solve(data)
    assert isinstance(res.coverage, pd.DataFrame)
    assert res.coverage.coverage_months.iloc[0] == pytest.approx(3.0)  # 3 t / 1 t a month (test_model case a)
    assert res.costs.set_index("term").usd_per_yr["total"] == pytest.approx(30.0)
    with pytest.raises(stockpile.InputError):
        stockpile.load(tmp_path / "missing.xlsx")
    sweep = stockpile.sweep(path, vary=["scenarios.s1.probability_per_yr=0.01,0.5"])
    points = sweep.tables["sweep_points"].set_index("scenarios.s1.probability_per_yr")
    # p = 0.01: 0.01 x 3 t x $1,000 = $30 of expected shortage vs $30 of holding: either way $30
    assert points.objective_usd_per_yr.tolist() == pytest.approx([30.0, 30.0])


def test_public_api_share_on_two_parties():
    two = data_of(two_parties())
    sharing = stockpile.share(two, rules=["shapley", "equal_saving"])
    # v(A) = v(B) = $30 (3 t each), v(AB) = $30 (one pool of 3 t serves both, hit apart): $15 each
    table = sharing.tables["sharing"].set_index(["rule", "party"]).cost_usd_per_yr
    assert table.tolist() == pytest.approx([15.0, 15.0, 15.0, 15.0])


def test_functions_are_short_enough_to_read():
    import ast
    from pathlib import Path

    root = Path(stockpile.__file__).parent
    long = [f"{f.relative_to(root)}:{n.name} ({n.end_lineno - n.lineno + 1} lines)"
            for f in sorted(root.rglob("*.py")) for n in ast.walk(ast.parse(f.read_text()))
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.end_lineno - n.lineno + 1 > 60]
    assert not long, long
