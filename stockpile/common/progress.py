"""Progress of long work on stderr, one plain line per step (sensible in logs: no carriage-return
frames). Off by default (the Python API is silent); the CLI turns it on."""

from __future__ import annotations

import sys
import time

_state = {"on": False, "t0": time.perf_counter()}


def enable(on: bool = True) -> None:
    _state.update(on=on, t0=time.perf_counter())


def step(message: str) -> None:
    """'[  12.3 s] message' on stderr, when enabled."""
    if _state["on"]:
        print(f"[{time.perf_counter() - _state['t0']:7.1f} s] {message}", file=sys.stderr, flush=True)


def is_on() -> bool:
    return bool(_state["on"])
