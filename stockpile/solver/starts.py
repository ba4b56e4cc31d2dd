"""Warm starts (formulation, "What the answer rests on"): a subproblem's answer kept as HiGHS's column vector, so
that a re-solve of the same subproblem with other numbers (an assumption at its low or high value, a break-even's
scaled shortage costs, a cap removed) begins from it. HiGHS checks a start against the re-solve's own rows and
bounds and uses it as a first incumbent only where it is feasible there, so a start can change how fast a re-solve
proves its gap, never what it proves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import highspy
import numpy as np


@dataclass(frozen=True)
class Start:
    """An answer's column values, in the compiled model's column order, and the shape of the model they fit."""

    shape: str  # columns_like of the model solved
    values: np.ndarray

    def key(self) -> str:
        """What a cached re-solve is keyed by (a start may change which of equal optima HiGHS returns)."""
        return hashlib.sha256(self.shape.encode() + self.values.tobytes()).hexdigest()


def columns_like(integer: np.ndarray) -> str:
    """The columns' shape: their number and which are integer (compile_model's `integer`). Pyomo's compiler orders
    columns by the model's components and index sets, so the same data structure with other numbers gives the same
    column order (a changed set changes the count); a start that still lands on the wrong columns is only an
    infeasible hint."""
    return f"{len(integer)}:" + hashlib.sha256(np.asarray(integer, dtype=np.int8).tobytes()).hexdigest()


def start_of(integer: np.ndarray, col_value) -> Start:
    """The answer `col_value` (columns HiGHS was given on top of the compiled model left out) as a Start."""
    return Start(columns_like(integer), np.asarray(col_value[: len(integer)], dtype=float))


def fits(start: Start | None, integer: np.ndarray) -> np.ndarray | None:
    """The start's values where it was taken from a model with these columns, else None."""
    if start is None or start.shape != columns_like(integer):
        return None
    return start.values


def begin_at(h: highspy.Highs, values: np.ndarray) -> None:
    """Hand HiGHS a starting solution (all columns of the model `h` now holds)."""
    begin = highspy.HighsSolution()
    begin.col_value = list(values)
    h.setSolution(begin)
