"""Numbers as people read them: money in $, $ m or $ bn, tonnes to three significant figures."""

from __future__ import annotations


def usd(x: float) -> str:
    if abs(x) >= 1e9:
        return f"${x / 1e9:,.2f} bn"
    if abs(x) >= 1e6:
        return f"${x / 1e6:,.1f} m"
    return f"${x:,.0f}"


def tonnes(x: float) -> str:
    """Tonnes to 3 significant figures, with thousands separators."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
