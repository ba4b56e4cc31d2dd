"""The optional sheets of the economics (README, "Inputs"): products and their inputs (lost output by product),
and who supplies each mineral and whether they sell to stockpiles (the purchase cap on buyable supply).
Every problem is added to the checker with its sheet, row and column, as validate.py does."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace

from .data import Demand, Mineral, Party, Product, ProductInput, Seller

TOL = 1e-9
Rows = Callable[[str], list[tuple[int, dict]]]  # validate._rows for one sheet: (row, converted cells)


def products(ck, rows: Rows, parties: dict[str, Party], minerals: dict[str, Mineral],
             demand: dict[tuple[str, str], Demand]) -> tuple[dict, dict]:
    """The products sheet and the product_inputs sheet, checked together."""
    out: dict[tuple[str, str], Product] = {}
    at: dict[tuple[str, str], int] = {}
    for row, v in rows("products"):
        if v["party"] not in parties:
            ck.add("products", row, "party", "a party defined in the parties sheet", f"unknown party '{v['party']}'")
            continue
        out[v["party"], v["product"]] = Product(v["party"], v["product"], v["lost_value_usd_per_month"])
        at[v["party"], v["product"]] = row
    inputs = _inputs(ck, rows, out, minerals, demand)
    for (p, k), _product in out.items():
        if not any((pp, kk) == (p, k) for pp, kk, _m in inputs):
            ck.add("products", at[p, k], "product", f"product_inputs rows for {p}'s product '{k}'",
                   "none: a product needs at least one mineral")
    return out, inputs


def _inputs(ck, rows: Rows, products: dict, minerals: dict, demand: dict) -> dict:
    inputs: dict[tuple[str, str, str], ProductInput] = {}
    share_rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row, v in rows("product_inputs"):
        p, k, m = v["party"], v["product"], v["mineral"]
        if (p, k) not in products:
            ck.add("product_inputs", row, "product", f"a product of {p} defined in the products sheet",
                   f"unknown product '{k}' of party '{p}'")
            continue
        if m not in minerals:
            ck.add("product_inputs", row, "mineral", "a mineral defined in the minerals sheet",
                   f"unknown mineral '{m}'")
            continue
        if (p, m) not in demand:
            ck.add("product_inputs", row, "mineral", f"a demand row for {p} x {m}",
                   "none (an input of a mineral the party does not consume)")
            continue
        inputs[p, k, m] = ProductInput(v["share_of_demand"])
        share_rows[p, m].append(row)
    for (p, m), numbers in share_rows.items():
        total = sum(i.share_of_demand for (pp, _k, mm), i in inputs.items() if (pp, mm) == (p, m))
        if total > 1 + TOL:
            ck.add("product_inputs", numbers[-1], "share_of_demand",
                   f"shares of {p}'s demand for {m} over its products summing to at most 1",
                   f"a sum of {total:.4g} (rows {', '.join(map(str, numbers))})")
    return inputs


def sellers(ck, rows: Rows, minerals: dict[str, Mineral]) -> tuple[dict, dict[str, Mineral]]:
    """The world_supply sheet, and the minerals with the supply of their sellers to stockpiles."""
    out: dict[tuple[str, str], Seller] = {}
    for row, v in rows("world_supply"):
        if v["mineral"] not in minerals:
            ck.add("world_supply", row, "mineral", "a mineral defined in the minerals sheet",
                   f"unknown mineral '{v['mineral']}'")
            continue
        out[v["mineral"], v["supplier"]] = Seller(v["t_per_yr"], v["sells_to_stockpiles"])
    supplied = {m for m, _u in out}
    with_sellers = {m: (replace(mineral, seller_supply_t_per_yr=sum(
        s.t_per_yr for (mm, _u), s in out.items() if mm == m and s.sells_to_stockpiles == "yes"))
        if m in supplied else mineral) for m, mineral in minerals.items()}
    return out, with_sellers
