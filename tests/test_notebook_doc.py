"""docs/notebook.ipynb runs, cell by cell, in a real Jupyter kernel: the notebook API a reader is shown works."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parents[1] / "docs" / "notebook.ipynb"


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        data = out.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def test_the_docs_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # no time limit on a cell, and an hour for the kernel to start (nbclient's default 60 s is one a loaded machine
    # could outlast); a failing cell raises CellExecutionError
    NotebookClient(nb, timeout=None, startup_timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    shown = {c.source.splitlines()[0]: _text(c) for c in code}
    solved = next(t for s, t in shown.items() if s.startswith("res = stockpile.solve"))
    assert "Months of guaranteed cover" in solved and "optimal" in solved  # the short HTML display, not a dump
    assert len(solved) < 5000
    money = next(t for s, t in shown.items() if s.startswith("res.formatted"))
    assert "$" in money and "e+0" not in money  # money as dollars, never 2.274560e+06
    figure = next(t for s, t in shown.items() if s.startswith("fig = plot_coverage"))
    assert "Figure" in figure  # the plot function returned a matplotlib figure
    bad = next(t for s, t in shown.items() if s.startswith("try:"))
    assert "problem(s) found in the input" in bad and "consumption_t_per_yr" in bad
