"""Reading, validation (every problem at once, with its place), template, default."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from stockpile.cli import DEFAULT_WORKBOOK, main
from stockpile.io.validate import load

from .helpers import tiny, write_xlsx

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_default_workbook_validates():
    result = run_cli("validate", DEFAULT_WORKBOOK)
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "4 parties, 13 minerals" in result.output


def test_default_workbook_data_is_defensible():
    """Issue 'defensible data': at most 40% of demand figures and 25% of scenario figures (scenarios + events)
    assumed; published figures where they exist; every key cited has a URL in docs/sources.md."""
    from pathlib import Path

    from stockpile.io.validate import load

    sources = pd.read_excel(DEFAULT_WORKBOOK, sheet_name="sources")
    demand = sources[sources.sheet == "demand"]
    assert (demand.status == "assumed").mean() <= 0.40
    scenario = sources[sources.sheet.isin(["scenarios", "events"])]
    assert (scenario.status == "assumed").mean() <= 0.25
    data = load(DEFAULT_WORKBOOK)
    # Argus 2024: 26,965 t carbonate + 101,447 t hydroxide x 0.88 t LCE/t = ~116,000 t LCE
    assert data.demand["KR", "Li2CO3"].consumption_t_per_yr == pytest.approx(116_000, rel=0.01)
    assert 40 <= data.demand["EU", "Ga"].consumption_t_per_yr <= 45  # Mytilineos: 40-45 t/yr
    assert data.minerals["Sb"].acquisition_usd_per_t == pytest.approx(60_000, rel=0.02)  # Argus, Jun 2025
    assert all(m.world_supply_t_per_yr and m.purchase_cap_t_per_yr for m in data.minerals.values())
    world = sources[sources.column == "world_supply_t_per_yr"]
    assert set(world.status) <= {"sourced", "derived"} and len(world) == len(data.minerals)
    legend = (Path(DEFAULT_WORKBOOK).parents[1] / "docs" / "sources.md").read_text()
    keys = {k for cell in sources.source_key.dropna() for k in str(cell).split(",") if k}
    assert all(f"| {k} |" in legend for k in keys)


def test_default_workbook_cites_every_figure():
    sources = pd.read_excel(DEFAULT_WORKBOOK, sheet_name="sources")
    assert set(sources.status) <= {"sourced", "derived", "assumed"}
    # every sourced or derived figure names its source key; every assumption says why
    cited = sources[sources.status.isin(["sourced", "derived"])]
    assert cited.source_key.notna().all()
    assert sources.note.notna().all()
    # each consumption figure of the demand sheet is in the sources sheet
    demand = pd.read_excel(DEFAULT_WORKBOOK, sheet_name="demand")
    listed = set(sources[(sources.sheet == "demand") & (sources.column == "consumption_t_per_yr")].row)
    assert {f"{p}:{m}" for p, m in zip(demand.party, demand.mineral, strict=True)} == listed


def _tonnages() -> pd.DataFrame:
    """The demand sheet's consumption figures with their status and note, and their value at the price a stockpile
    pays (acquisition price, else the base price)."""
    book = pd.read_excel(DEFAULT_WORKBOOK, sheet_name=None)
    demand, minerals, sources = book["demand"], book["minerals"].set_index("mineral"), book["sources"]
    cited = sources[(sources.sheet == "demand") & (sources.column == "consumption_t_per_yr")].set_index("row")
    price = minerals.acquisition_price_usd_per_t.fillna(minerals.price_usd_per_t)
    rows = demand.party + ":" + demand.mineral
    return demand.assign(status=rows.map(cited.status).to_numpy(), note=rows.map(cited.note).to_numpy(),
                         value_usd=demand.consumption_t_per_yr * demand.mineral.map(price))


def test_demand_tonnages_are_sourced_where_they_weigh():
    """Issue 'data a ministry can cite', point 1: at most 20% of the consumption figures assumed, and none of the five
    that are worth most at the stockpile's price (consumption x acquisition price)."""
    tonnages = _tonnages()
    assert set(tonnages.status) <= {"sourced", "derived", "assumed"}
    assert (tonnages.status == "assumed").mean() <= 0.20, tonnages[tonnages.status == "assumed"][["party", "mineral"]]
    largest = tonnages.nlargest(5, "value_usd")
    assert (largest.status != "assumed").all(), largest[["party", "mineral", "status"]]


def test_no_party_copies_another_unless_its_note_says_so():
    """Point 6: a party's tonnage equal to another party's for the same mineral says why in its note ('assumed equal
    to US'); and every derived tonnage shows its arithmetic (a figure and an operator in the note)."""
    tonnages = _tonnages()
    for mineral, rows in tonnages.groupby("mineral"):
        for value, same in rows.groupby("consumption_t_per_yr"):
            if len(same) < 2:
                continue
            parties = list(same.party)
            explained = [p for p, note in zip(same.party, same.note, strict=True)
                         if any(f"equal to {q}" in str(note) for q in parties if q != p)]
            assert len(explained) >= len(parties) - 1, (mineral, value, parties)
    derived = tonnages[tonnages.status == "derived"]
    shows = derived.note.str.contains(r"\d") & derived.note.str.contains(r" x | / | = | \+ |:")
    assert shows.all(), derived[~shows][["party", "mineral", "note"]]


def test_template_validates(tmp_path):
    out = tmp_path / "t.xlsx"
    assert run_cli("template", out).exit_code == 0
    result = run_cli("validate", out)
    assert result.exit_code == 0, result.output
    readme = pd.read_excel(out, sheet_name="README")
    assert {"sheet", "column", "unit", "default", "meaning"} <= set(readme.columns)
    assert "consumption_t_per_yr" in set(readme.column)


def test_csv_folder_and_xlsx_give_identical_model_data(tmp_path):
    frames = tiny()
    write_xlsx(frames, tmp_path / "book.xlsx")
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    a, b = load(tmp_path / "book.xlsx"), load(folder)
    assert replace(a, source="", sha256="") == replace(b, source="", sha256="")


def test_default_as_csv_folder_equals_xlsx(tmp_path):
    sheets = pd.read_excel(DEFAULT_WORKBOOK, sheet_name=None)
    for name, frame in sheets.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    a, b = load(DEFAULT_WORKBOOK), load(tmp_path)
    assert replace(a, source="", sha256="") == replace(b, source="", sha256="")


def _broken(tmp_path, **changes) -> str:
    path = tmp_path / "broken.xlsx"
    frames = tiny()
    for sheet, change in changes.items():
        if change is None:
            del frames[sheet]
        else:
            frames[sheet] = change(frames[sheet].copy())
    write_xlsx(frames, path)
    return str(path)


def _set(column, value, row=0):
    def change(df):
        df = df.astype(object)
        df.loc[row, column] = value
        return df
    return change


def _append(**row):
    return lambda df: pd.concat([df, pd.DataFrame([row])], ignore_index=True)


# (changes, sheet, excel row, column, words that must appear)
BAD = {
    "missing sheet": (dict(scenarios=None), "scenarios", None, None, "no such sheet"),
    "missing column": (dict(minerals=lambda df: df.drop(columns="price_usd_per_t")), "minerals", 1,
                       "price_usd_per_t", "no such column"),
    "text for number": (dict(demand=_set("consumption_t_per_yr", "lots")), "demand", 2, "consumption_t_per_yr",
                        "found 'lots'"),
    "negative price": (dict(minerals=_set("price_usd_per_t", -5.0)), "minerals", 2, "price_usd_per_t", "found -5"),
    "share above 1": (dict(events=_set("cut", 1.5)), "events", 2, "cut", "a share between 0 and 1"),
    "supplier shares above 1": (dict(supply=_append(party="A", mineral="X", supplier="RU", share=0.5)), "supply",
                                3, "share", "summing to at most 1"),
    "probabilities above 1": (dict(scenarios=_append(scenario="s2", probability_per_yr=0.7)), "scenarios", None,
                              "probability_per_yr", "a sum of 1.2"),
    "unknown party": (dict(demand=_append(party="ZZ", mineral="X", consumption_t_per_yr=1)), "demand", 3, "party",
                      "unknown party 'ZZ'"),
    "unknown mineral in list": (dict(events=_set("minerals", "X, Q")), "events", 2, "minerals",
                                "unknown mineral 'Q'"),
    "unknown scenario": (dict(events=_set("scenario", "nope")), "events", 2, "scenario", "unknown scenario 'nope'"),
    "unknown supplier": (dict(events=_set("supplier", "XX")), "events", 2, "supplier", "unknown supplier 'XX'"),
    "duplicate row": (dict(minerals=_append(mineral="X", price_usd_per_t=1, holding_rate_per_yr=0.1)), "minerals",
                      3, "mineral", "a duplicate of row 2"),
    "event after horizon": (dict(events=_set("start_month", 9)), "events", 2, "start_month",
                            "within the horizon (1..6)"),
    "tiers not cumulative": (dict(shortage_costs=lambda df: pd.DataFrame(
        {"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.6, 0.4], "usd_per_t": [1, 2]})),
        "shortage_costs", 3, "up_to_share_of_demand", "above the previous tier's 0.6"),
    "last tier not 1": (dict(shortage_costs=_set("up_to_share_of_demand", 0.9)), "shortage_costs", 2,
                        "up_to_share_of_demand", "to end at 1.0"),
    "tier cost falls": (dict(shortage_costs=lambda df: pd.DataFrame(
        {"mineral": ["*", "*"], "tier": [1, 2], "up_to_share_of_demand": [0.5, 1.0], "usd_per_t": [9, 2]})),
        "shortage_costs", 3, "usd_per_t", "not convex"),
    "unknown setting": (dict(settings=_append(key="horizon", value=3)), "settings", 5, "key", "unknown key 'horizon'"),
    "bad setting value": (dict(settings=_append(key="joint_allocation", value="greedy")), "settings", 5, "value",
                          "found 'greedy'"),
    "bad choice": (dict(parties=_set("joint_member", "maybe")), "parties", 2, "joint_member", "found 'maybe'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_place_and_exits_2(tmp_path, case):
    changes, sheet, row, column, words = BAD[case]
    result = run_cli("validate", _broken(tmp_path, **changes))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    line = next((ln for ln in result.output.splitlines() if words in ln), None)
    assert line is not None, result.output
    assert f"sheet '{sheet}'" in line
    if row is not None:
        assert f"row {row}," in line
    if column is not None:
        assert f"column '{column}'" in line


def test_unknown_column_is_a_warning_only(tmp_path):
    path = _broken(tmp_path, minerals=lambda df: df.assign(colour="grey"))
    result = run_cli("validate", path)
    assert result.exit_code == 0
    assert "warning:" in result.output and "column 'colour'" in result.output


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("just text")
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert "found a file that is not an xlsx workbook" in result.output


def test_broken_default_lists_every_problem_in_one_run(tmp_path):
    sheets = {k: v.astype(object) for k, v in pd.read_excel(DEFAULT_WORKBOOK, sheet_name=None).items()}
    sheets["minerals"].loc[0, "price_usd_per_t"] = "expensive"  # row 2
    sheets["demand"].loc[3, "consumption_t_per_yr"] = -1  # row 5
    sheets["supply"].loc[0, "share"] = 1.7  # row 2
    sheets["events"].loc[0, "targets"] = "US,XX"  # row 2
    sheets["scenarios"].loc[0, "probability_per_yr"] = 0.9  # sum now above 1
    path = tmp_path / "broken_default.xlsx"
    write_xlsx(sheets, path)
    result = run_cli("validate", path)
    assert result.exit_code == 2
    out = result.output
    assert "6 problem(s)" in out  # the 1.7 share is out of range and also pushes the supplier sum above 1
    assert "supplier shares of US x NdPr summing to at most 1" in out
    assert "sheet 'minerals', row 2, column 'price_usd_per_t'" in out
    assert "sheet 'demand', row 5, column 'consumption_t_per_yr'" in out
    assert "sheet 'supply', row 2, column 'share'" in out
    assert "sheet 'events', row 2, column 'targets'" in out and "unknown party 'XX'" in out
    assert "sheet 'scenarios', column 'probability_per_yr'" in out


def test_every_shipped_run_specification_validates():
    # models/*.toml as a planner runs them: each names the bundled workbook and only settings that exist
    from pathlib import Path

    from stockpile.io.runspec import load_run

    specs = sorted((Path(__file__).parents[1] / "models").glob("*.toml"))
    assert len(specs) >= 7
    for spec in specs:
        load_run(str(spec))  # raises InputError naming the file and line otherwise
    assert load_run(str(Path(__file__).parents[1] / "models" / "quick.toml"))[1].settings.sensitivity == "no"


def _builder():
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_trilateral_2025", ROOT / "inputs" / "build_trilateral_2025.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kaplan_meier_counts_measures_in_force_as_at_least_that_long():
    """Point 5: four measures, two ended (9 and 12 months), two in force (at least 10 and 30). At 9 months all 4 are at
    risk: 1/4 end. At 12 the one censored at 10 is gone: 2 at risk, 1 ends: 3/4 x 1/2 = 3/8. The rest, 3/8, outlasts
    every ended one and goes to the 24-month horizon. Treating the censored two as ended would give 1/4 each."""
    km = _builder().kaplan_meier({"a": (9, True), "b": (10, False), "c": (12, True), "d": (30, False)})
    assert [t for t, _q in km] == [9, 12, 24]
    assert [q for _t, q in km] == pytest.approx([0.25, 0.375, 0.375])


def test_bundled_lengths_follow_the_history_sheet():
    """The bundled scenarios' uncertain lengths are the censored estimate over the history sheet's Chinese measures:
    each list's probabilities sum to 1, its last length reaches the 24-month horizon, and the chance of lasting that
    long is above the naive share of measures observed that long (1 of 8: Ga/Ge's 30 months), because a measure still
    in force has lasted at least as long as observed, never exactly."""
    b = _builder()
    lengths = b.measure_lengths("CN")
    naive = sum(1 for d, _ended in lengths.values() if d >= 24) / len(lengths)
    assert naive == pytest.approx(1 / 8)
    events = pd.read_excel(DEFAULT_WORKBOOK, sheet_name="events")
    listed = events[events.duration_probabilities.notna()]
    assert len(listed) >= 9
    for r in listed.itertuples():
        probs = [float(q) for q in str(r.duration_probabilities).split(",")]
        durations = [int(d) for d in str(r.duration_months).split(",")]
        assert sum(probs) == pytest.approx(1.0, abs=1e-9)
        assert durations[-1] + r.start_month - 1 == 24 and probs[-1] > naive + 0.25, r


def test_the_us_only_ban_overlaps_the_ga_ge_controls_as_in_history():
    """Point 5: the US-only ban (Dec 2024) came while the Ga/Ge controls (Aug 2023) were in force, so it is their third
    phase: Aug 2023 is month 1, Dec 2024 month 12 x 1 + 4 + 1 = 17; it ran 11 months (to Oct 2025), past the 24-month
    horizon, so 24 - 17 + 1 = 8 months at a full cut on Ga, Ge and Sb to the US. No scenario of its own (that would
    count its months twice)."""
    events = pd.read_excel(DEFAULT_WORKBOOK, sheet_name="events")
    scenarios = pd.read_excel(DEFAULT_WORKBOOK, sheet_name="scenarios")
    assert "us_ban_2024" not in set(scenarios.scenario)
    gage = events[events.scenario == "ga_ge_2023"].reset_index(drop=True)
    assert len(gage) == 3
    ban = gage.iloc[2]
    assert (ban.supplier, ban.minerals, ban.targets, int(ban.start_month), int(ban.duration_months), float(ban.cut)) \
        == ("CN", "Ga,Ge,Sb", "US", 17, 8, 1.0)
    # it overlaps the uncertain licensing phase (month 3 on) for every length that reaches month 17
    lic = gage.iloc[1]
    assert lic.start_month == 3 and max(int(d) for d in str(lic.duration_months).split(",")) + 2 >= 17


def test_a_chinese_embargo_reaches_cobalt_and_nickel_through_their_refining():
    """Point 2: China refines most cobalt and much nickel, so every party's Co and Ni supply has a Chinese channel,
    China does not sell them to stockpiles, the ore supplier's channel is what is refined elsewhere, and the DRC's and
    Indonesia's cuts reach China's refiners at the ore supplier's share of world mine output.
    By hand, Japan's cobalt (NIR 1.0, no party figure, so China's world share: 140,000 / 180,000 t = 0.778):
    CN 0.778; CD (1 - 0.778) x 0.76 = 0.169. The US (NIR 0.76; China at most 13% of its imports, USGS):
    CN 0.76 x 0.13 = 0.099, CD 0.76 x 0.87 x 0.76 = 0.503. The DRC's 8-month halt at China's refiners: 1.0 x 0.76."""
    book = pd.read_excel(DEFAULT_WORKBOOK, sheet_name=None)
    supply = book["supply"].set_index(["party", "mineral", "supplier"]).share.sort_index()
    for p in ("US", "JP", "KR", "EU"):
        for m in ("Co", "Ni", "Graphite", "NdPr", "Dy"):
            assert supply[p, m, "CN"] > 0.05, (p, m)
        assert supply[p, "Co"].sum() <= 1 and supply[p, "Ni"].sum() <= 1
    assert supply["JP", "Co", "CN"] == pytest.approx(0.778, abs=5e-4)
    assert supply["JP", "Co", "CD"] == pytest.approx(0.169, abs=5e-4)
    assert supply["US", "Co", "CN"] == pytest.approx(0.099, abs=5e-4)
    assert supply["US", "Co", "CD"] == pytest.approx(0.503, abs=5e-4)
    world = book["world_supply"].set_index(["mineral", "supplier"])
    for m in ("Co", "Ni"):
        assert world.loc[(m, "CN"), "sells_to_stockpiles"] == "no"
        assert world.loc[(m, "ROW"), "sells_to_stockpiles"] == "yes"
    assert world.loc[("Co", "CN"), "t_per_yr"] == round(40_500 * 0.778)  # world cobalt metal x China's refining
    events = book["events"]
    drc = events[events.scenario == "drc_cobalt_2025"]
    at_cd = drc[drc.supplier == "CD"].set_index("start_month").cut
    at_cn = drc[drc.supplier == "CN"].set_index("start_month").cut
    assert (at_cn.to_numpy() == pytest.approx((at_cd * 0.76).round(3).to_numpy()))
    assert at_cn[1] == pytest.approx(0.76)
    severe = events[events.scenario == "severe_embargo"]
    assert (severe.supplier == "CN").all() and (severe.minerals == "*").all()  # so it reaches Co and Ni too


def test_existing_stocks_and_programme_costs_are_labelled_row_by_row():
    """Point 3: every demand row's existing stock and programme fixed cost has a sources row with a status and a
    note; the published ones hold: USGS says the NDS has no gallium, lithium or graphite ('Not available', 'None');
    the NDS's FY2025 tungsten disposal authority (499 t) and its germanium one (5 t) are lower bounds; Korea's PPS
    cover: nickel 55 days x 54,000 t/yr / 365 = 8,137.0 t, tungsten 40 days x 3,120 t/yr / 365 = 341.9 t; Japan's
    42-day target is assumed held (JOGMEC's holdings are secret); the EU holds none before its 2026 pilot."""
    book = pd.read_excel(DEFAULT_WORKBOOK, sheet_name=None)
    demand = book["demand"].set_index(["party", "mineral"])
    sources = book["sources"]
    for column in ("existing_stock_t", "programme_fixed_usd_per_yr"):
        cited = sources[(sources.sheet == "demand") & (sources.column == column)].set_index("row")
        # a row `P:*` labels every row of party P (one decision, one figure)
        covered = {(p, m) for p, m in demand.index if f"{p}:{m}" in cited.index or f"{p}:*" in cited.index}
        assert covered == set(demand.index), column
        assert cited.note.str.len().gt(20).all()
    fixed = sources[(sources.sheet == "demand") & (sources.column == "programme_fixed_usd_per_yr")].set_index("row")
    assert (demand.programme_fixed_usd_per_yr.xs("EU", level="party") == fixed.value["EU:*"]).all()
    # 80 people / 28 commodities x $150,000 a staff-year (DLA Strategic Materials, 2010; the staff-year assumed)
    assert fixed.value["EU:*"] == round(80 / 28 * 150_000)
    stock = demand.existing_stock_t
    assert stock["US", "Ga"] == stock["US", "Li2CO3"] == stock["US", "Graphite"] == 0
    assert stock["US", "W"] == 499 and stock["US", "Ge"] == 5
    assert stock["KR", "Ni"] == pytest.approx(8_137.0) and stock["KR", "W"] == pytest.approx(341.9)
    assert stock["JP", "Co"] == pytest.approx(round(42 * demand.consumption_t_per_yr["JP", "Co"] / 365, 1))
    assert (stock.xs("EU", level="party") == 0).all()
    cited = sources[(sources.sheet == "demand") & (sources.column == "existing_stock_t")].set_index("row")
    assert cited.status["US:Ga"] == "sourced" and cited.status["JP:Co"] == "assumed"
    assert cited.group["JP:Co"] == "existing stocks (JOGMEC's secret)"


def test_battery_cells_tie_lithium_to_graphite_and_are_valued_by_their_output():
    """Point 4: lithium and graphite go into the same cells (one loss, not two). A month of Korea's cells, by hand:
    0.87 (batteries' share of lithium use, USGS) x 116,238 t LCE/yr = 101,127.1 t; x 1,000 kg/t / 0.95 kg LCE per kWh
    (Argonne's 0.6-1.3, midpoint) = 106,449,537 kWh/yr; x $115/kWh (BloombergNEF, 2024) / 12 = $1,020,141,395."""
    book = pd.read_excel(DEFAULT_WORKBOOK, sheet_name=None)
    products = book["products"].set_index(["party", "product"]).lost_value_usd_per_month
    assert products["KR", "battery_cells"] == pytest.approx(1_020_141_395, rel=1e-8)
    inputs = book["product_inputs"]
    for p in ("US", "JP", "KR", "EU"):
        cells = inputs[(inputs.party == p) & (inputs["product"] == "battery_cells")]
        assert set(cells.mineral) == {"Li2CO3", "Graphite"}, p
        assert set(inputs[(inputs.party == p) & (inputs["product"] == "magnets")].mineral) == {"NdPr", "Dy", "Tb"}
    sums = inputs.groupby(["party", "mineral"]).share_of_demand.sum()
    assert (sums <= 1 + 1e-12).all()
