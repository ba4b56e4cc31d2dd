"""Progress: lines in a log, one bar for the whole command on a terminal, its total growing as stages plan work."""

from __future__ import annotations

import io

from stockpile.common import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_lines_and_no_bar(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(progress.sys, "stderr", err)
    progress.enable(True)
    progress.expect(10)
    progress.step("1/2 X: proved in the first pass")
    progress.advance(4)
    assert progress.tally() == (4, 10)
    assert progress._state["bar"] is None  # a log gets no carriage-return frames
    assert err.getvalue().endswith("] 1/2 X: proved in the first pass\n")
    progress.enable(False)


def test_a_terminal_gets_one_bar_whose_total_grows_with_each_stage(monkeypatch):
    err = Terminal()
    monkeypatch.setattr(progress.sys, "stderr", err)
    progress.enable(True)
    progress.expect(6)  # the main solve's subproblems
    progress.advance(6)
    progress.expect(4)  # then the queue of extra solves
    bar = progress._state["bar"]
    assert bar is not None and bar.total == 10 and bar.n == 6
    progress.step("extra solves: 1/2 done")
    progress.advance(2)
    assert progress.tally() == (8, 10) and bar.n == 8
    progress.close()
    assert progress._state["bar"] is None
    assert "extra solves: 1/2 done" in err.getvalue()
    progress.enable(False)
