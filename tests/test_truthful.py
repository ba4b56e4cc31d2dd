"""Every infeasibility explained however the model was solved, no exit 70 from input, every place named,
suspicious inputs warned about, and each kind of sentence in summary.md derived from its table."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from stockpile.reports.common import solver_line
from stockpile.reports.solve import (
    _family_rule,
    largest_purchase_sentence,
    release_rules_in_words,
    thrift_sentence,
    uncertainty_section,
)
from stockpile.solver.facts import SolverFacts

from .helpers import data_of, tiny, two_parties, write_xlsx
from .helpers import run_cli as invoke

DEFAULT_GAP = pd.DataFrame({"key": ["horizon_months", "time_limit_s"], "value": [6, 60]})  # mip_rel_gap 1e-6


def two_minerals(**changes) -> dict[str, pd.DataFrame]:
    """tiny with a second mineral Y like X (so the model is solved mineral by mineral), at the default gap."""
    f = tiny(settings=DEFAULT_GAP)
    f["minerals"] = pd.DataFrame({"mineral": ["X", "Y"], "price_usd_per_t": [100.0, 100.0],
                                  "holding_rate_per_yr": [0.1, 0.1], "lot_t": [1, 1]})
    f["demand"] = pd.DataFrame({"party": ["A", "A"], "mineral": ["X", "Y"], "consumption_t_per_yr": [12.0, 12.0]})
    f["supply"] = pd.DataFrame({"party": ["A", "A"], "mineral": ["X", "Y"], "supplier": ["CN", "CN"],
                                "share": [1.0, 1.0]})
    f["events"] = f["events"].assign(minerals="*")
    for sheet, change in changes.items():
        f[sheet] = change if isinstance(change, pd.DataFrame) else f[sheet].assign(**change)
    return f


def settings(**values) -> pd.DataFrame:
    rows = {"horizon_months": 6, "time_limit_s": 60, **values}
    return pd.DataFrame({"key": list(rows), "value": list(rows.values())})


# ---- infeasible, whatever path solved it --------------------------------------------------------------------

@pytest.mark.parametrize("changes, words", [
    # 6 months x 1 t/month = 6 t at $100/t = $600 > $200
    ({"demand": {"target_months": [6, None]}, "parties": {"budget_usd": [200]}},
     "target 6 months of X for A needs 6.0 t (buying 6.0 t for $600) = $600 of purchases; A's budget_usd allows $200"),
    # $600 over 3 build years at $100/yr: $300
    ({"demand": {"target_months": [6, None]}, "parties": {"budget_usd_per_yr": [100]},
      "settings": settings(build_years=3)},
     "= $600 of purchases; A's budget_usd_per_yr of $100 allows $300 over 3 build years"),
    # the total annual budget: $150/yr x 2 years = $300 < $600
    ({"demand": {"target_months": [6, None]}, "settings": settings(build_years=2, budget_usd_per_yr=150)},
     "the total budget_usd_per_yr (settings) of $150 allows $300 over 2 build years"),
    # cap 10% of 10 t/yr = 1 t/yr, 2 build years: 2 t < the 6 t the target needs
    ({"demand": {"target_months": [6, None]}, "settings": settings(build_years=2),
      "minerals": {"world_supply_t_per_yr": [10, 10], "max_purchase_share_per_yr": [0.1, 0.1]}},
     "target 6 months of X for A needs 6.0 t bought = 6.0 t; the purchase cap on X (max_purchase_share_per_yr 0.1 x "
     "world_supply_t_per_yr 10 = 1 t/yr, all holders together) allows 2 t over 2 build years"),
    # 1 month = 1 t, but lots of 4 t: 4 t > max_stock_t 3 t
    ({"demand": {"target_months": [1, None], "max_stock_t": [3, None]}, "minerals": {"lot_t": [4, 1]}},
     "target 1 months of X for A needs 1.0 t (4.0 t in whole lots of 4 t); max_stock_t allows 3.0 t"),
    # the model buys at the acquisition price: 3 t x $300 = $900 > $500 (at the old price, $300, it would fit)
    ({"demand": {"target_months": [3, None]}, "parties": {"budget_usd": [500]},
      "minerals": {"acquisition_price_usd_per_t": [300, None]}},
     "(buying 3.0 t for $900) = $900 of purchases; A's budget_usd allows $500"),
])
def test_an_infeasible_mineral_of_several_exits_3_naming_the_conflict(tmp_path, changes, words):
    path = tmp_path / "inf.xlsx"
    write_xlsx(two_minerals(**changes), path)
    result = invoke("solve", path, "-o", tmp_path / "res")
    assert result.exit_code == 3, result.output
    assert "the requirements cannot all be met" in result.output
    assert words in result.output
    assert not (tmp_path / "res").exists()


def test_a_coalition_that_cannot_meet_a_target_on_its_own_is_named(tmp_path):
    # cap 10% of 40 t/yr = 4 t/yr; A and B consume alike, so A alone may buy half: 2 t/yr, 1 build year.
    # A's target 3 months = 3 t fits the whole cap (4 t), not A's half (2 t): coalition A is infeasible
    frames = two_parties(settings=DEFAULT_GAP, demand={"target_months": [3.0, None]},
                         minerals={"world_supply_t_per_yr": [40.0], "max_purchase_share_per_yr": [0.1]})
    path = tmp_path / "two.xlsx"
    write_xlsx(frames, path)
    assert invoke("solve", path, "-o", tmp_path / "solved").exit_code == 0
    result = invoke("share", path, "-o", tmp_path / "res")
    assert result.exit_code == 3, result.output
    assert "coalition A on its own (with its consumption share of each purchase cap" in result.output
    assert "allows 2 t over 1 build year" in result.output
    assert not (tmp_path / "res").exists()


def test_an_infeasible_sweep_point_names_its_conflict(tmp_path):
    path = tmp_path / "t.xlsx"
    write_xlsx(two_minerals(demand={"target_months": [3, None]}), path)
    out = tmp_path / "sw"
    # budget $200 buys 2 t of the 3 t the target needs; $400 buys it
    result = invoke("sweep", path, "--vary", "parties.A.budget_usd=200,400", "--workers", 1, "-o", out)
    assert result.exit_code == 0, result.output
    sweep = pd.read_csv(out / "sweep.csv")
    bad = sweep[sweep.point == 1].iloc[0]
    assert bad.status == "infeasible"
    assert "(buying 3.0 t for $300) = $300 of purchases; A's budget_usd allows $200" in bad.message
    assert set(sweep[sweep.point == 2].status) == {"optimal"}


# ---- no exit 70 from input ---------------------------------------------------------------------------------

def test_share_with_one_party_in_the_pool_says_there_is_nothing_to_share(tmp_path):
    path = tmp_path / "one.xlsx"
    write_xlsx(two_parties(parties={"joint_member": ["yes", "no"]}), path)
    result = invoke("share", path, "-o", tmp_path / "res")
    assert result.exit_code == 2, result.output
    assert ("sheet 'parties', column 'joint_member': expected at least two parties that may join the joint pool"
            in result.output)
    assert "found only A" in result.output and not (tmp_path / "res").exists()


@pytest.mark.parametrize("body, words", [
    ("coalition,cost_usd_per_yr\n", "expected one row per coalition (coalitions.csv as share writes it); found a "
                                    "header and no rows"),
    ("coalition,cost_usd_per_yr\nA,5\n", "expected coalitions of at least two parties (a cost to share); found only A"),
])
def test_a_game_file_with_nothing_to_share_is_bad_input(tmp_path, body, words):
    game = tmp_path / "game.csv"
    game.write_text(body)
    result = invoke("share", "--game", game, "-o", tmp_path / "res")
    assert result.exit_code == 2, result.output
    assert words in result.output


@pytest.mark.parametrize("second", ["minerals.X.price_usd_per_t=x1,1.2", "minerals.*.price_usd_per_t=x1,1.2"])
def test_a_cell_varied_twice_is_refused_before_any_work(tmp_path, tiny_xlsx, second):
    out = tmp_path / "sw"
    result = invoke("sweep", tiny_xlsx, "--vary", "minerals.X.price_usd_per_t=x1,1.1", "--vary", second, "-o", out)
    assert result.exit_code == 2, result.output
    assert "sheet 'minerals', row 2, column 'price_usd_per_t' twice" in result.output
    assert "points" not in result.output and not out.exists()  # refused before solving


# ---- the place of every problem ----------------------------------------------------------------------------

def test_a_bad_override_names_the_run_specification_line(tmp_path, tiny_xlsx):
    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[set]\n"minerals.X.lot_t" = 2\n"demand.A:X.target_months" = -3\n')
    result = invoke("validate", spec)
    assert result.exit_code == 2
    assert (f"{spec}, line 4, sheet 'demand', row 2, column 'target_months': expected a number >= 0 months; "
            f"found -3 (set by the run specification over {tiny_xlsx})") in result.output


def test_a_sum_broken_by_an_override_names_the_run_specification(tmp_path, two_xlsx):
    # s_a 0.4 -> 0.7 beside s_b 0.4: 1.1 a year, more than certainty
    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{two_xlsx.name}"\n[set]\n"scenarios.s_a.probability_per_yr" = 0.7\n')
    result = invoke("validate", spec)
    assert result.exit_code == 2
    assert ("expected annual probabilities summing to at most 1; found a sum of 1.1 (with cells set by "
            f"{spec}, line 3)") in result.output


def test_a_cell_set_twice_in_a_run_specification_is_a_warning_naming_both_lines(tmp_path, tiny_xlsx):
    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[settings]\nhorizon_months = 6\n[set]\n'
                    '"minerals.*.lot_t" = 2\n"minerals.X.lot_t" = 1\n"settings.horizon_months.value" = 5\n')
    result = invoke("validate", spec)
    assert result.exit_code == 0, result.output
    assert "line 6, sheet 'minerals', row 2, column 'lot_t'" in result.output
    assert "'minerals.X.lot_t' sets it again after 'minerals.*.lot_t' (line 5): the later value wins" in result.output
    assert "line 7" in result.output and "in [set] sets it again after [settings]" in result.output


def test_scaling_a_blank_cell_names_the_row(tmp_path):
    path = tmp_path / "t.xlsx"
    write_xlsx(two_minerals(demand={"target_months": [2, None]}), path)
    result = invoke("sweep", path, "--vary", "demand.A:*.target_months=x1,2", "-o", tmp_path / "sw")
    assert result.exit_code == 2
    assert ("sheet 'demand', column 'target_months': expected a number to multiply; found row 3 (A:Y: a blank cell)"
            in result.output)


@pytest.mark.skipif(os.name == "nt", reason="symbolic links")
def test_a_symbolic_link_loop_is_named_as_one(tmp_path):
    (tmp_path / "a.xlsx").symlink_to(tmp_path / "b.xlsx")
    (tmp_path / "b.xlsx").symlink_to(tmp_path / "a.xlsx")
    (tmp_path / "gone.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    result = invoke("validate", tmp_path / "a.xlsx")
    assert result.exit_code == 2 and "a symbolic link that loops back on itself" in result.output
    result = invoke("validate", tmp_path / "gone.xlsx")
    assert result.exit_code == 2 and f"a symbolic link to '{tmp_path / 'nowhere.xlsx'}', which does not exist" in \
        result.output
    write_xlsx(tiny(), tmp_path / "t.xlsx")
    result = invoke("solve", tmp_path / "t.xlsx", "-o", tmp_path / "a.xlsx")
    assert result.exit_code == 2 and "cannot use" in result.output and "loops back on itself" in result.output


def test_a_partial_composite_row_id_says_how_rows_are_named(tmp_path, tiny_xlsx):
    spec = tmp_path / "run.toml"
    spec.write_text(f'workbook = "{tiny_xlsx.name}"\n[set]\n"demand.Atlantis.target_months" = 3\n'
                    '"demand.a:x.target_months" = 3\n')
    result = invoke("validate", spec)
    assert result.exit_code == 2
    assert ("unknown row 'Atlantis' of sheet 'demand' in 'demand.Atlantis.target_months': rows of sheet 'demand' are "
            "named PARTY:MINERAL (2 parts joined by ':', each may be *), e.g. 'A:X'") in result.output
    assert "unknown row 'a:x' of sheet 'demand' in 'demand.a:x.target_months' (did you mean 'A:X'?)" in result.output


# ---- suspicious inputs: warnings, exit 0 -------------------------------------------------------------------

def suspicious_frames() -> dict[str, pd.DataFrame]:
    f = two_parties()
    f["parties"] = pd.DataFrame({"party": ["A", "B", "b"], "gdp_usd_bn": [1, 1, 1],
                                 "joint_member": ["yes", "yes", "no"], "entitlement_share": [0.4, 0.4, 0.1]})
    f["demand"] = pd.concat([f["demand"], pd.DataFrame({"party": ["b"], "mineral": ["X"],
                                                        "consumption_t_per_yr": [0.0]})])
    f["minerals"] = pd.DataFrame({"mineral": ["X", "Z"], "price_usd_per_t": [100.0, 50.0],
                                  "holding_rate_per_yr": [0.1, 0.1], "acquisition_price_usd_per_t": [None, 0.0]})
    f["events"] = pd.DataFrame({"scenario": ["s_a", "s_b", "s_b"], "supplier": ["CN"] * 3, "minerals": ["X"] * 3,
                                "targets": ["A", "B", "B"], "start_month": [1, 1, 1],
                                "duration_months": ["3", "8,12", "3"],
                                "duration_probabilities": [None, "0.5,0.5", None],
                                "cut": [1.0, 1.0, 0.0]})
    return f


@pytest.mark.parametrize("words", [
    "sheet 'parties', row 4, column 'party': expected ids that differ by more than case (ids are case-sensitive: "
    "'b' and 'B' are two different ids); found 'b', and 'B' in row 3",
    "sheet 'parties', row 4, column 'entitlement_share': expected an entitlement only for a party that may join the "
    "pool (joint_member yes or optional); found 0.1 for b, whose joint_member is 'no': it is ignored",
    # 0.4 + 0.4: 0.2 of the pool is no member's
    "sheet 'parties', column 'entitlement_share': expected the members' entitlement shares summing to 1 (every member "
    "has one, so nothing is left to split by coverage basis); found a sum of 0.8: 0.2 of the pool is no member's",
    "sheet 'minerals', row 3, column 'mineral': expected demand rows for mineral 'Z'; found none",
    "sheet 'minerals', row 3, column 'acquisition_price_usd_per_t': expected a price above 0 USD/t; found 0",
    "sheet 'demand', row 4, column 'consumption_t_per_yr': expected a consumption above 0 t/yr; found 0 for b x X",
    # months 1-8 and 1-12 both run past the 6-month horizon
    "sheet 'events', row 3, column 'duration_months': expected durations the 6-month horizon can tell apart (ending "
    "by month 6); found 8,12 from month 1: every one runs past the horizon",
    "sheet 'events', row 4, column 'cut': expected a share of supply lost above 0; found 0: the event cuts nothing",
])
def test_suspicious_inputs_are_warnings_naming_the_place(tmp_path, words):
    path = tmp_path / "sus.xlsx"
    write_xlsx(suspicious_frames(), path)
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert f"warning: {path}, {words}" in result.output


def test_an_event_whose_targets_buy_nothing_from_its_supplier_cuts_nothing(tmp_path):
    frames = two_parties()
    frames["supply"] = frames["supply"].assign(supplier=["CN", "AU"])
    frames["events"] = frames["events"].assign(targets=["A", "B"])  # B buys X from AU only: s_b cuts nothing
    path = tmp_path / "t.xlsx"
    write_xlsx(frames, path)
    result = invoke("validate", path)
    assert result.exit_code == 0
    assert ("sheet 'events', row 3, column 'targets': expected a target party that buys one of its minerals (X) from "
            "CN; found none does") in result.output


def test_the_bundled_workbook_has_no_suspicious_input():
    from stockpile.cli import DEFAULT_WORKBOOK

    result = invoke("validate", DEFAULT_WORKBOOK)
    assert result.exit_code == 0 and "warning" not in result.output, result.output


# ---- each kind of sentence, from a table built by hand ---------------------------------------------------------

def rules_table(rows: list[tuple]) -> pd.DataFrame:
    cols = ["party", "mineral", "month", "node", "released_t", "joint_draw_t", "gap_t", "scenarios"]
    return pd.DataFrame(rows, columns=cols)


def test_a_rule_that_releases_late_is_said_from_its_first_release_never_as_an_empty_clause():
    # releases only in months 8, 9 and 10 of the cut: with 2 months shown, months 8 and 9, then "…"
    nodes = rules_table([("A", "X", m, f"n{m}", t, 0.0, 10.0, "s1") for m, t in ((8, 2.0), (9, 5.0), (10, 1.0))])
    gap = nodes.set_index("node").gap_t
    assert _family_rule(nodes, "released_t", "s1", gap, months=2) == (
        "In a cut of s1: month 8: 2 t (20% of the gap); month 9: 5 t (50% of the gap) ….")
    assert _family_rule(nodes, "released_t", "s1", gap, months=6).endswith("month 10: 1 t (10% of the gap).")


def test_the_pools_share_is_of_every_members_gap_not_of_those_that_drew():
    # month 1: A's gap 10 t, B's 30 t; the pool draws 4 t for A only: 4 / (10 + 30) = 10% of the gap, not 40%
    data = data_of(two_parties())
    rules = rules_table([("A", "X", 1, "m1", 0.0, 4.0, 10.0, "s_a+s_b"),
                         ("B", "X", 1, "m1", 0.0, 0.0, 30.0, "s_a+s_b")])
    stock = pd.DataFrame({"holder": ["JOINT"], "mineral": ["X"], "stock_t": [4.0], "release_option": ["any"]})
    res = type("R", (), {"__getitem__": lambda self, k: {"stock": stock, "release_rules": rules}[k]})()
    [line] = release_rules_in_words(data, res)
    assert "month 1: 4 t (10% of the gap)" in line


def test_a_tie_for_the_largest_purchase_names_every_mineral():
    share = pd.Series({(1, "Ge"): 0.1, (1, "Co"): 0.1, (2, "Co"): 0.1, (1, "W"): 0.04})
    assert largest_purchase_sentence(share) == ("The largest purchase against world supply, 10.0% of a year's world "
                                                "supply, is reached by 2 minerals: Ge (year 1), Co (years 1, 2).")
    assert largest_purchase_sentence(share.drop([(1, "Ge")])) == (
        "The largest purchase against world supply: Co (years 1, 2), 10.0% of a year's world supply.")


def test_the_uncertainty_sentence_says_what_was_done():
    facts = SolverFacts("optimal", "kOptimal", True, 1.0, 1.0, 0.0, 1e-6, 60.0,
                        scenario_tree={"branches": 38, "nodes": 400, "nodes_in_month_1": 12})
    off = uncertainty_section(facts, branched=True)[-1]
    assert off.startswith("Durations are uncertain (38 branches), but the settings say value_of_information = no")
    assert "No event has an uncertain duration" in uncertainty_section(facts, branched=False)[-1]


def test_the_thrift_sentence_comes_from_the_tiers():
    tiers = pd.DataFrame({"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.25, 1.0],
                          "usd_per_t": [100.0, 1000.0]})
    assert "up to 25% of monthly demand" in thrift_sentence(data_of(tiny(shortage_costs=tiers)))
    assert "single shortage tier" in thrift_sentence(data_of(tiny()))


def test_seconds_summed_over_subproblems_are_labelled_so_beside_the_wall_time():
    facts = SolverFacts("optimal", "kOptimal", True, 1.0, 1.0, 0.0, 1e-6, 60.0,
                        seconds={"build": 2.0, "highs": 46.9, "total": 44.83},
                        subproblems=[{"mineral": "X"}, {"mineral": "Y"}])
    assert ("seconds: build summed over 2 subproblems 2.00, HiGHS summed over 2 subproblems 46.90, wall time in all "
            "44.83.") in solver_line(facts)


def test_the_bundled_duration_notes_quote_their_own_cells():
    from stockpile.cli import DEFAULT_WORKBOOK

    book = pd.read_excel(DEFAULT_WORKBOOK, sheet_name=None)
    notes = book["sources"][book["sources"].column == "duration_months,duration_probabilities"]
    assert len(notes)
    for row in notes.itertuples():
        durations, probabilities = (part.strip() for part in str(row.value).split("/"))
        assert f"this phase lasts {durations.replace(',', '/')} months with probabilities " \
               f"{probabilities.replace(',', '/')}" in row.note
    every_note = " ".join(book["sources"].note.astype(str))
    assert "SOURCES §" not in every_note  # a file the workbook's reader does not have


def test_each_stage_of_a_solve_says_its_wall_seconds(tmp_path, two_xlsx):
    import json

    out = tmp_path / "res"
    assert invoke("solve", two_xlsx, "-o", out).exit_code == 0
    facts = json.loads((out / "solver.json").read_text())
    stages = facts["stage_seconds"]
    # no uncertain durations: no EVPI
    assert list(stages) == ["optimum", "purchase cap costs, pooling saving and assumptions"]
    assert all(v >= 0 for v in stages.values())
    # no purchase cap: the one what-if solve is the national-only model (one mineral: it does not separate)
    assert [(s["analysis"], s["solve"], s["status"]) for s in facts["what_if_solves"]] == [
        ("pooling saving", "national only", "optimal"), ("assumptions", "('break-even', 'X')", "optimal")]
    assert all(s["highs_s"] >= 0 and s["own_s"] >= 0 for s in facts["what_if_solves"])
    assert "summed" in facts["seconds_are"] and "stage_seconds: wall" in facts["seconds_are"]
    assert "Wall seconds by stage of the run: optimum " in (out / "summary.md").read_text()


@pytest.mark.parametrize("change, words", [
    # a 3-month cut from month 5 of a 6-month horizon runs to month 7
    (lambda f: f.update(events=f["events"].assign(start_month=5)) or f,
     "sheet 'events', row 2, column 'duration_months': expected a cut that ends within the 6-month horizon (or a "
     "longer horizon_months); found 3 months from month 5, to month 7: month 7 is not modelled"),
    (lambda f: f.update(world_supply=pd.DataFrame({"mineral": ["X"], "supplier": ["CN"], "t_per_yr": [10.0],
                                                   "sells_to_stockpiles": ["no"]}),
                        minerals=f["minerals"].assign(max_purchase_share_per_yr=0.1)) or f,
     "sheet 'world_supply', column 'sells_to_stockpiles': expected a supplier of X that sells to stockpiles; found "
     "none of CN: the purchase cap lets no one buy any new X"),
    # 10 + 5 = 15 t/yr of suppliers beside a world supply of 100 t/yr
    (lambda f: f.update(world_supply=pd.DataFrame({"mineral": ["X", "X"], "supplier": ["CN", "AU"],
                                                   "t_per_yr": [10.0, 5.0]}),
                        minerals=f["minerals"].assign(world_supply_t_per_yr=100.0)) or f,
     "sheet 'world_supply', column 't_per_yr': expected suppliers of X adding up to about its world_supply_t_per_yr "
     "(100 t/yr, within 10%); found 15 t/yr"),
    (lambda f: f.update(products=pd.DataFrame({"party": ["A"], "product": ["m"], "lost_value_usd_per_month": [0.0]}),
                        product_inputs=pd.DataFrame({"party": ["A"], "product": ["m"], "mineral": ["X"],
                                                     "share_of_demand": [0.5]})) or f,
     "sheet 'products', row 2, column 'lost_value_usd_per_month': expected a value above 0 for a month without the "
     "product; found 0 for A's m"),
])
def test_suspicious_economics_and_horizons_are_warnings(tmp_path, change, words):
    path = tmp_path / "w.xlsx"
    write_xlsx(change(tiny()), path)
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    assert f"warning: {path}, {words}" in result.output


def test_a_supplier_spelt_two_ways_is_one_warning_however_many_rows(tmp_path):
    # A and B each buy half their X from 'CN' and half from 'Cn': four rows alternating the two spellings
    frames = two_parties()
    frames["supply"] = pd.DataFrame({"party": ["A", "A", "B", "B"], "mineral": ["X"] * 4,
                                     "supplier": ["CN", "Cn", "CN", "Cn"], "share": [0.5] * 4})
    path = tmp_path / "t.xlsx"
    write_xlsx(frames, path)
    out = invoke("validate", path).output
    assert out.count("supplier ids that differ by more than case") == 1, out
