"""Discounting over the build years (formulation, "Build-up"): what a payment in build year y, and a year of
holding in it, weigh against the steady state after the build-up, as equivalent annual costs."""

from __future__ import annotations


def payment_weights(build_years: int, discount_rate: float) -> dict[int, float]:
    """A one-off payment at the start of build year y as an equivalent annual cost: (1 - delta) delta^(y-1),
    delta = 1 / (1 + r) (formulation, "Build-up")."""
    delta = 1.0 / (1.0 + discount_rate)
    return {y: (1.0 - delta) * delta ** (y - 1) for y in range(1, build_years + 1)}


def year_weights(build_years: int, discount_rate: float) -> dict[int, float]:
    """Equivalent-annual weights of the years: build year y < Y weighs as a payment in it, the full stock
    from year Y on (key 0) the rest, delta^(Y-1); they sum to 1."""
    weights = payment_weights(build_years - 1, discount_rate)
    weights[0] = 1.0 - sum(weights.values())
    return weights
