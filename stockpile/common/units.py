"""Numbers as people read them: money in $, $ m or $ bn, tonnes to three significant figures."""

from __future__ import annotations


def usd(x: float) -> str:
    """Dollars for reading: -$874,394 (the sign before the dollar), $1.2 m, $2.08 bn."""
    sign, x = ("-" if x < 0 and round(abs(x)) > 0 else ""), abs(x)
    if x >= 1e9:
        return f"{sign}${x / 1e9:,.2f} bn"
    if x >= 1e6:
        return f"{sign}${x / 1e6:,.1f} m"
    return f"{sign}${x:,.0f}"


def tonnes(x: float) -> str:
    """Tonnes to 3 significant figures, with thousands separators."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
