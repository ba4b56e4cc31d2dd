"""The vectorised hand-over gives the same results as the persistent interface."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from stockpile.io.validate import build_model_data
from stockpile.io.workbook import book_from_frames
from stockpile.model import build_model
from stockpile.solver.highs import solve_direct, solve_model
from stockpile.solver.results import extract

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from synthetic import synthetic  # noqa: E402


def test_direct_and_persistent_handover_agree_on_a_mid_size_case():
    frames = synthetic(3, 6, 15, 12, seed=7)
    frames["parties"]["joint_member"] = "no"  # national only: no ties between national and joint stock
    frames["settings"].loc[frames["settings"].key == "mip_rel_gap", "value"] = 0
    data = build_model_data(book_from_frames(frames))
    tables = []
    for solve in (solve_direct, solve_model):
        model = build_model(data)
        facts = solve(model, data)
        assert facts.status == "optimal"
        tables.append((facts, extract(model, data, facts)))
    (fa, a), (fb, b) = tables
    assert fa.variables == fb.variables and fa.constraints == fb.constraints
    assert fa.objective_usd_per_yr == pytest.approx(fb.objective_usd_per_yr, rel=1e-9)
    for name in ("coverage", "stock", "costs"):
        pd.testing.assert_frame_equal(a[name], b[name], rtol=1e-6, atol=1e-6)
