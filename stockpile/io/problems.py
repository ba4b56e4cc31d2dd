"""Input problems, collected (never raised one at a time) and reported together."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    sheet: str | None
    row: int | None  # as the user sees it in Excel: the header is row 1
    column: str | None
    expected: str
    found: str
    severity: str = "error"  # or "warning"
    line: int | None = None  # in a text file (run specifications)

    def __str__(self) -> str:
        place = [self.file]
        if self.line is not None:
            place.append(f"line {self.line}")
        if self.sheet:
            place.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column:
            place.append(f"column '{self.column}'")
        tag = "warning" if self.severity == "warning" else "error"
        return f"{tag}: {', '.join(place)}: expected {self.expected}; found {self.found}"


class InputError(Exception):
    """Raised once, after every check has run, when any error was found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.report())  # str(err) lists every problem (a notebook shows it whole)

    def report(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        warnings = [p for p in self.problems if p.severity != "error"]
        lines = [f"{len(errors)} problem(s) found in the input:"]
        lines += [f"  {p}" for p in errors + warnings]
        return "\n".join(lines)
