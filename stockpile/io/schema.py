"""The input workbook's schema (README, "Inputs"): one place that the reader, the
validator and `stockpile template` all read, so they cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

# Column kinds, each checked by `validate.py`.
ID = "id"  # short identifier, no commas, not "*"
TEXT = "text"
NUMBER = "number"  # any finite number >= 0 (quantities, prices, costs)
SHARE = "share"  # a number in [0, 1]
POSITIVE = "positive"  # a number > 0
INTEGER = "integer"  # a whole number >= 0
RATE = "rate"  # a share of stock per period in (0, 1]: 0 would mean stock that can never be released
ID_LIST = "id_list"  # comma-separated ids, or "*" for all
NUMBER_LIST = "number_list"  # one number, or several separated by commas (e.g. durations 1,3)

# Column roles: what a change to the column does to a built model (model.structure_key).
STRUCTURE = "structure"  # shapes sets, bounds or big-Ms: a change rebuilds the model (the default)
COEFFICIENT = "coefficient"  # a number a re-solve updates in place (a mutable Param)
INFO = "info"  # never reaches the model (names, descriptions, GDP for sharing, solver settings)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool
    default: object
    unit: str
    doc: str
    choices: tuple[str, ...] = ()
    example: object = None
    maximum: float | None = None  # plausibility bound beyond the kind's own (e.g. a 10-year target)
    role: str = STRUCTURE


@dataclass(frozen=True)
class Sheet:
    name: str
    key: tuple[str, ...]  # columns that identify a row (duplicates are errors)
    columns: tuple[Column, ...]
    doc: str
    optional: bool = False  # a workbook without this sheet means what it meant before the sheet existed

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


NONE = None  # "no limit" default for optional caps and budgets

SHEETS: dict[str, Sheet] = {}


def _sheet(name: str, key: tuple[str, ...], doc: str, *columns: Column, optional: bool = False) -> None:
    SHEETS[name] = Sheet(name, key, columns, doc, optional)


_sheet(
    "settings", ("key",), "One row per setting; keys below, blank value = default.",
    Column("key", ID, True, None, "", "setting name (see the settings table)", example="horizon_months"),
    Column("value", TEXT, False, None, "", "setting value", example="24"),
)
_sheet(
    "parties", ("party",), "One row per party (country or bloc).",
    Column("party", ID, True, None, "", "short id, e.g. US, JP, KR, EU", example="US"),
    Column("name", TEXT, False, "", "", "full name", example="United States", role=INFO),
    Column("gdp_usd_bn", NUMBER, False, 0.0, "USD bn", "GDP, for the gdp sharing rule", example=29000, role=INFO),
    Column("joint_member", ID, False, "no", "", "joins the joint pool: yes, no, or optional (the optimiser decides)",
           choices=("yes", "no", "optional"), example="optional"),
    Column("budget_usd", NUMBER, False, NONE, "USD", "one-off acquisition budget of this party (blank = none)",
           role=COEFFICIENT),
    Column("entitlement_share", SHARE, False, NONE, "share",
           "share of the joint pool under entitlement allocation (blank = proportional to coverage basis)"),
    Column("budget_usd_per_yr", NUMBER, False, NONE, "USD/yr",
           "purchases this party may pay for in one build year: its national purchases plus its claim share of "
           "the pool's (blank = none)", role=COEFFICIENT),
)
_sheet(
    "minerals", ("mineral",), "One row per mineral, in the form it is stocked.",
    Column("mineral", ID, True, None, "", "short id, e.g. NdPr, Dy, Ga", example="Ga"),
    Column("name", TEXT, False, "", "", "full name", example="Gallium", role=INFO),
    Column("form", TEXT, False, "", "", "form the tonnes refer to (oxide, metal, contained)", example="metal",
           role=INFO),
    Column("price_usd_per_t", NUMBER, True, None, "USD/t", "acquisition price", example=500000, role=COEFFICIENT),
    Column("holding_rate_per_yr", SHARE, True, None, "1/yr", "capital charge, share of value per year", example=0.05,
           role=COEFFICIENT),
    Column("storage_usd_per_t_yr", NUMBER, False, 0.0, "USD/t/yr", "warehousing cost", example=600, role=COEFFICIENT),
    Column("lot_t", POSITIVE, False, 1.0, "t", "procurement lot (stock is bought in whole lots)", example=1),
    Column("joint_fixed_usd_per_yr", NUMBER, False, 0.0, "USD/yr",
           "fixed cost of running a joint pool of this mineral", example=0, role=COEFFICIENT),
    Column("world_supply_t_per_yr", POSITIVE, False, NONE, "t/yr",
           "world supply the holders can buy from in a year (blank = unknown: no purchase cap)", example=760),
    Column("max_purchase_share_per_yr", SHARE, False, NONE, "share",
           "largest share of world supply all holders together (national and joint) may buy in one year "
           "(blank = no cap; needs world_supply_t_per_yr)", example=0.1),
    Column("acquisition_price_usd_per_t", NUMBER, False, NONE, "USD/t",
           "price paid for new stock today (blank = price_usd_per_t); also the capital the stock ties up",
           role=COEFFICIENT),
    Column("price_uplift_per_share", NUMBER, False, 0.0, "1/share",
           "market impact: buying a share s of world supply in a year raises that year's price by "
           "uplift x s (e.g. 2 = +20% at 10%; needs world_supply_t_per_yr or world_supply rows)", maximum=100),
    Column("long_run_price_usd_per_t", NUMBER, False, NONE, "USD/t",
           "the price expected once the crisis premium is gone (blank = none): stock bought above it counts its "
           "expected capital loss, acquisition price - long-run price, as a cost", role=COEFFICIENT),
)
_sheet(
    "demand", ("party", "mineral"), "One row per party and mineral it consumes.",
    Column("party", ID, True, None, "", "party id", example="US"),
    Column("mineral", ID, True, None, "", "mineral id", example="Ga"),
    Column("consumption_t_per_yr", NUMBER, True, None, "t/yr", "annual consumption", example=19),
    Column("net_import_reliance", SHARE, False, 1.0, "share", "net import reliance", example=1.0),
    Column("existing_stock_t", NUMBER, False, 0.0, "t", "stock already held (e.g. NDS holdings)", example=0),
    Column("programme_fixed_usd_per_yr", NUMBER, False, 0.0, "USD/yr",
           "fixed cost of running a national programme for this mineral", example=0, role=COEFFICIENT),
    Column("max_stock_t", NUMBER, False, NONE, "t", "upper limit on national stock (blank = none)"),
    Column("target_months", NUMBER, False, NONE, "months",
           "minimum national stock in months of coverage basis (blank = none; at most 120)", maximum=120),
)
_sheet(
    "supply", ("party", "mineral", "supplier"),
    "One row per party, mineral and supplier: where the party's consumption comes from.",
    Column("party", ID, True, None, "", "party id", example="US"),
    Column("mineral", ID, True, None, "", "mineral id", example="Ga"),
    Column("supplier", ID, True, None, "", "supplier id (country), e.g. CN", example="CN"),
    Column("share", SHARE, True, None, "share",
           "share of the party's consumption sourced from the supplier, directly or embedded", example=0.6),
)
_sheet(
    "shortage_costs", ("mineral", "tier"),
    "Piecewise shortage cost per mineral (or * for all minerals without rows of their own).",
    Column("mineral", ID, True, None, "", "mineral id or *", example="*"),
    Column("tier", INTEGER, True, None, "", "tier number, 1 = cheapest", example=1),
    Column("up_to_share_of_demand", SHARE, True, None, "share",
           "cumulative share of monthly demand this tier covers; last tier 1.0", example=1.0),
    Column("usd_per_t", NUMBER, True, None, "USD/t", "cost of a tonne unmet in this tier (non-decreasing)",
           example=2000000, role=COEFFICIENT),
)
_sheet(
    "release_options", ("option",), "Release capacities a holder can choose, one per holder and mineral.",
    Column("option", ID, True, None, "", "option id", example="standard"),
    Column("max_release_share_per_month", RATE, True, None, "1/month",
           "largest release per month, as a share of the holder's stock", example=0.25),
    Column("usd_per_t_yr", NUMBER, False, 0.0, "USD/t/yr", "cost of keeping this release capacity", example=0,
           role=COEFFICIENT),
)
_sheet(
    "scenarios", ("scenario",), "One row per disruption scenario.",
    Column("scenario", ID, True, None, "", "scenario id", example="ga_ban"),
    Column("probability_per_yr", SHARE, True, None, "1/yr",
           "annual probability the scenario starts (sum <= 1)", example=0.1, role=COEFFICIENT),
    Column("description", TEXT, False, "", "", "what happens", example="Gallium export ban", role=INFO),
)
_sheet(
    "events", (), "Supply cuts that make up each scenario.",
    Column("scenario", ID, True, None, "", "scenario id", example="ga_ban"),
    Column("supplier", ID, True, None, "", "supplier id whose supply is cut", example="CN"),
    Column("minerals", ID_LIST, True, None, "", "minerals cut (comma-separated, * = all)", example="Ga"),
    Column("targets", ID_LIST, True, None, "", "parties hit (comma-separated, * = all)", example="*"),
    Column("start_month", INTEGER, True, None, "month", "first month of the cut (1 = window opens)", example=1),
    Column("duration_months", NUMBER_LIST, True, None, "months",
           "months the cut lasts: one whole number, or a list (1,3) when the length is uncertain", example=6),
    Column("duration_probabilities", NUMBER_LIST, False, NONE, "share",
           "with a list of durations: the probability of each (0.5,0.5), summing to 1", example="1"),
    Column("cut", SHARE, True, None, "share", "share of that supplier's supply lost", example=0.9),
    Column("recovery_months", INTEGER, False, 0, "months",
           "months for other sources to ramp up to recovery_share (0 = at once)", example=3),
    Column("recovery_share", SHARE, False, 0.0, "share",
           "share of the lost supply replaced once recovered", example=0.3),
)

_sheet(
    "products", ("party", "product"),
    "Optional. Products whose output is lost when an input is short: a month without the product's full output "
    "costs lost_value_usd_per_month (the part of a mineral's demand that goes into products is costed only "
    "through them).",
    Column("party", ID, True, None, "", "party id", example="US"),
    Column("product", ID, True, None, "", "product id, e.g. magnets, battery_cells", example="magnets"),
    Column("lost_value_usd_per_month", NUMBER, True, None, "USD/month",
           "what a month without the product's whole output costs the party", example=1e9, role=COEFFICIENT),
    Column("notes", TEXT, False, "", "", "source or derivation", example="", role=INFO),
    optional=True,
)
_sheet(
    "product_inputs", ("party", "product", "mineral"),
    "Optional. The minerals each product needs (Leontief: output falls to the share of its scarcest input).",
    Column("party", ID, True, None, "", "party id", example="US"),
    Column("product", ID, True, None, "", "product id (products sheet)", example="magnets"),
    Column("mineral", ID, True, None, "", "mineral id", example="Ga"),
    Column("share_of_demand", SHARE, True, None, "share",
           "share of the party's demand for the mineral that goes into the product (a mineral's shares over its "
           "products sum to at most 1)", example=0.5),
    optional=True,
)
_sheet(
    "world_supply", ("mineral", "supplier"),
    "Optional. Who supplies each mineral and whether they sell to stockpiles: where a mineral has rows, its "
    "purchase cap is max_purchase_share_per_yr x the supply of the suppliers that sell to stockpiles.",
    Column("mineral", ID, True, None, "", "mineral id", example="Ga"),
    Column("supplier", ID, True, None, "", "supplier id (country)", example="CN"),
    Column("t_per_yr", NUMBER, True, None, "t/yr", "the supplier's output a year, in the stocked form",
           example=760),
    Column("sells_to_stockpiles", ID, False, "yes", "", "does it sell to its rivals' stockpiles: yes or no",
           choices=("yes", "no"), example="yes"),
    optional=True,
)

_sheet(
    "benchmarks", ("benchmark", "days"),
    "Optional. The coverage benchmarks the summary scores against (without the sheet: JOGMEC's 60 and 180 days and "
    "KOMIR's 100 days, for every party); each applies to the parties it names.",
    Column("benchmark", ID, True, None, "", "its name as the summary writes it", example="JOGMEC", role=INFO),
    Column("days", POSITIVE, True, None, "days", "days of the coverage basis the benchmark asks for", example=60,
           maximum=3650, role=INFO),
    Column("parties", ID_LIST, False, "*", "", "the parties it applies to, comma-separated (* = all)",
           example="*", role=INFO),
    optional=True,
)

_sheet(
    "history", ("event",),
    "Optional. Supply cuts that happened, month by month, for `stockpile backtest` (never reach the model): the "
    "recommended stock and its operating rule are replayed on them, overlapping as they happened.",
    Column("event", ID, True, None, "", "event id", example="ga_ge_2023", role=INFO),
    Column("supplier", ID, True, None, "", "supplier id whose supply was cut (supply sheet)", example="CN",
           role=INFO),
    Column("minerals", ID_LIST, True, None, "", "minerals cut (comma-separated, * = all)", example="Ga",
           role=INFO),
    Column("targets", ID_LIST, True, None, "", "parties hit (comma-separated, * = all)", example="*", role=INFO),
    Column("start", TEXT, True, None, "YYYY-MM", "first month of the cut", example="2023-08", role=INFO),
    Column("end", TEXT, False, None, "YYYY-MM", "last month in force (blank = still in force)", example="2023-09",
           role=INFO),
    Column("cut", SHARE, True, None, "share", "share of that supplier's supply lost", example=1.0, role=INFO),
    Column("source", TEXT, False, "", "", "where the event is documented", example="", role=INFO),
    optional=True,
)

REQUIRED_SHEETS = tuple(name for name, sheet in SHEETS.items() if not sheet.optional)
# Sheets that document the workbook; read by people, not by the model.
DOC_SHEETS = ("README", "sources")


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str  # "int", "number", "choice", "optional_number"
    default: object
    doc: str
    choices: tuple[str, ...] = ()
    minimum: float = 0.0
    maximum: float = float("inf")  # plausibility bound: a larger value is a typo, not a plan
    role: str = STRUCTURE


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("horizon_months", "int", 24, "months modelled after a disruption window opens", minimum=1,
                maximum=120),
        Setting("coverage_basis", "choice", "consumption", "what a month of coverage is measured against",
                ("consumption", "net_imports", "exposed")),
        Setting("joint_allocation", "choice", "cooperative",
                "how the joint pool is shared when several members are short",
                ("cooperative", "pro_rata", "entitlement")),
        Setting("replenish_premium", "number", 0.0, "share of price paid extra to refill released stock",
                role=COEFFICIENT),
        Setting("release_priority", "choice", "national_first",
                "among release schedules of equal cost: a member draws its own national stock before the pool "
                "(national_first) or the pool before its own stock (pool_first)", ("national_first", "pool_first")),
        Setting("refill_months", "int", 12,
                "under entitlement allocation: months within which a member that drew beyond its drawing rights "
                "refills the pool", minimum=1, maximum=120, role=INFO),
        Setting("pool_fixed_usd_per_yr", "number", 0.0,
                "the joint pool's own running cost a year (secretariat, storage sites), USD; paid by a pool that "
                "two or more parties may join", maximum=1e11, role=COEFFICIENT),
        Setting("budget_usd", "optional_number", None, "total one-off acquisition budget, USD (blank = none)",
                role=COEFFICIENT),
        Setting("build_years", "int", 1, "years over which new stock may be bought (1 = all in the first year)",
                minimum=1, maximum=10),
        Setting("discount_rate", "number", 0.05,
                "per year: weighs the build-up years against the steady state after it", maximum=0.5),
        Setting("budget_usd_per_yr", "optional_number", None,
                "purchases all holders together may make in one build year, USD (blank = none)", role=COEFFICIENT),
        Setting("value_of_information", "choice", "yes",
                "with uncertain durations: also compute EVPI and VSS (three more solves)", ("yes", "no"), role=INFO),
        Setting("sensitivity", "choice", "yes",
                "re-solve each assumption group of the sources sheet at its low and high values, and each "
                "mineral's shortage-cost break-evens (assumptions.csv)", ("yes", "no"), role=INFO),
        Setting("mip_rel_gap", "number", 1e-6, "relative MIP gap at which HiGHS stops", maximum=0.1, role=INFO),
        Setting("sensitivity_mip_rel_gap", "optional_number", None,
                "relative MIP gap of the assumption re-solves and break-evens (blank = mip_rel_gap); each variant "
                "states its precision", maximum=0.1, role=INFO),
        Setting("time_limit_s", "number", 600.0, "HiGHS time limit, seconds", minimum=1e-9, maximum=1e7,
                role=INFO),
    )
}

# The settings as columns of the Settings record, for code that walks columns by role.
SETTING_COLUMNS = tuple(Column(st.key, st.kind, False, st.default, "", st.doc, role=st.role)
                        for st in SETTINGS.values())
