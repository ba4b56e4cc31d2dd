"""Progress of long work on stderr. Off by default (the Python API is silent); the CLI turns it on.

In a log (stderr not a terminal): one plain line per step, '[  12.3 s] message', no carriage-return frames. On a
terminal: the same lines above one bar for the whole command, whose total grows as each stage plans its solves
(`expect`) and which advances as they finish (`advance`), so its time left covers the work known so far.
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

_state: dict = {"on": False, "t0": time.perf_counter(), "bar": None, "total": 0.0, "done": 0.0}


def enable(on: bool = True) -> None:
    close()
    _state.update(on=on, t0=time.perf_counter(), total=0.0, done=0.0)


def is_on() -> bool:
    return bool(_state["on"])


def _bar() -> tqdm | None:
    """The command's bar, on a terminal only (created with the first work expected)."""
    if not (_state["on"] and sys.stderr.isatty()):
        return None
    if _state["bar"] is None:
        _state["bar"] = tqdm(total=0, unit="", bar_format="{l_bar}{bar}| {elapsed}<{remaining}", file=sys.stderr,
                             desc="stockpile", leave=False)
    return _state["bar"]


def step(message: str) -> None:
    """'[  12.3 s] message' on stderr, when enabled (above the bar on a terminal)."""
    if not _state["on"]:
        return
    line = f"[{time.perf_counter() - _state['t0']:7.1f} s] {message}"
    bar = _state["bar"]  # a line never starts the bar: only planned work does (expect)
    if bar is not None:
        bar.write(line, file=sys.stderr)
    else:
        print(line, file=sys.stderr, flush=True)


def expect(work: float) -> None:
    """More work planned (any unit, the same for every stage: a subproblem's pairs), added to the bar's total."""
    _state["total"] += work
    bar = _bar()
    if bar is not None:
        bar.total = _state["total"]
        bar.refresh()


def advance(work: float) -> None:
    """Planned work finished."""
    _state["done"] += work
    bar = _state["bar"]
    if bar is not None:
        bar.update(work)


def tally() -> tuple[float, float]:
    """(work done, work planned) so far: what the bar shows."""
    return _state["done"], _state["total"]


def close() -> None:
    """The bar goes when the command's work is done (the lines stay)."""
    if _state["bar"] is not None:
        _state["bar"].close()
        _state["bar"] = None
