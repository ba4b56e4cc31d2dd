"""Small workbooks whose optima can be computed by hand."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from stockpile.cli import main
from stockpile.io.validate import build_model_data
from stockpile.io.workbook import book_from_frames


def tiny(**changes) -> dict[str, pd.DataFrame]:
    """One party A, one mineral X, one scenario s1 (p = 0.5/yr) cutting all of A's X
    supply for 3 months. Consumption 12 t/yr = 1 t/month; holding 0.1 x $100 = $10/t/yr;
    one tier at $1,000/t unmet; one release option releasing up to 100%/month at no cost.
    `changes` maps sheet name -> DataFrame replacing it, or -> dict of column updates
    applied to every row (e.g. minerals={"lot_t": 2})."""
    frames = {
        "settings": pd.DataFrame({"key": ["horizon_months", "mip_rel_gap", "time_limit_s"], "value": [6, 0, 60]}),
        "parties": pd.DataFrame({"party": ["A"], "name": ["Party A"], "gdp_usd_bn": [100],
                                 "joint_member": ["no"]}),
        "minerals": pd.DataFrame({"mineral": ["X"], "price_usd_per_t": [100.0], "holding_rate_per_yr": [0.1],
                                  "lot_t": [1]}),
        "demand": pd.DataFrame({"party": ["A"], "mineral": ["X"], "consumption_t_per_yr": [12.0]}),
        "supply": pd.DataFrame({"party": ["A"], "mineral": ["X"], "supplier": ["CN"], "share": [1.0]}),
        "shortage_costs": pd.DataFrame({"mineral": ["*"], "tier": [1], "up_to_share_of_demand": [1.0],
                                        "usd_per_t": [1000.0]}),
        "release_options": pd.DataFrame({"option": ["any"], "max_release_share_per_month": [1.0],
                                         "usd_per_t_yr": [0.0]}),
        "scenarios": pd.DataFrame({"scenario": ["s1"], "probability_per_yr": [0.5]}),
        "events": pd.DataFrame({"scenario": ["s1"], "supplier": ["CN"], "minerals": ["X"], "targets": ["*"],
                                "start_month": [1], "duration_months": [3], "cut": [1.0]}),
    }
    return _changed(frames, changes)


def _changed(frames: dict[str, pd.DataFrame], changes: dict) -> dict[str, pd.DataFrame]:
    """Replace whole sheets (a DataFrame) or update columns of every row (a dict)."""
    for sheet, change in changes.items():
        frames[sheet] = change if isinstance(change, pd.DataFrame) else frames[sheet].assign(**change)
    return frames


def two_parties(**changes) -> dict[str, pd.DataFrame]:
    """Parties A and B, each 1 t/month of X from CN; s_a cuts only A, s_b only B
    (3 months each, p = 0.4/yr each)."""
    base = tiny()
    frames = {
        **base,
        "parties": pd.DataFrame({"party": ["A", "B"], "gdp_usd_bn": [100, 300], "joint_member": ["yes", "yes"]}),
        "demand": pd.DataFrame({"party": ["A", "B"], "mineral": ["X", "X"], "consumption_t_per_yr": [12.0, 12.0]}),
        "supply": pd.DataFrame({"party": ["A", "B"], "mineral": ["X", "X"], "supplier": ["CN", "CN"],
                                "share": [1.0, 1.0]}),
        "scenarios": pd.DataFrame({"scenario": ["s_a", "s_b"], "probability_per_yr": [0.4, 0.4]}),
        "events": pd.DataFrame({"scenario": ["s_a", "s_b"], "supplier": ["CN", "CN"], "minerals": ["X", "X"],
                                "targets": ["A", "B"], "start_month": [1, 1], "duration_months": [3, 3],
                                "cut": [1.0, 1.0]}),
    }
    return _changed(frames, changes)


def data_of(frames):
    return build_model_data(book_from_frames(frames))


def write_xlsx(frames: dict[str, pd.DataFrame], path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        for name, frame in frames.items():
            frame.to_excel(xl, sheet_name=name, index=False)


def run_cli(*args):
    """The CLI as a user runs it (every argument as text), without a subprocess."""
    return CliRunner().invoke(main, [str(a) for a in args])
