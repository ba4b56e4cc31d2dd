"""Fixtures shared by the test modules (workbooks whose optima are known by hand: tests/helpers.py)."""

from __future__ import annotations

import pytest

from .helpers import run_cli, tiny, two_parties, write_xlsx


@pytest.fixture
def invoke():
    return run_cli


@pytest.fixture
def tiny_xlsx(tmp_path):
    """tests/helpers.tiny as an .xlsx (one party, one mineral, one 3-month cut): optimum $30/yr."""
    path = tmp_path / "tiny.xlsx"
    write_xlsx(tiny(), path)
    return path


@pytest.fixture
def two_xlsx(tmp_path):
    """tests/helpers.two_parties as an .xlsx (A and B, each hit alone; both pool members)."""
    path = tmp_path / "two.xlsx"
    write_xlsx(two_parties(), path)
    return path
