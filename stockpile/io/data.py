"""ModelData: the validated input as plain, picklable Python (no Pyomo, no files).

Everything downstream (model, results, sharing, sweeps) reads only this.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

DAYS_PER_MONTH = 30.42


@dataclass(frozen=True)
class Settings:
    horizon_months: int = 24
    coverage_basis: str = "consumption"
    joint_allocation: str = "cooperative"
    replenish_premium: float = 0.0
    release_priority: str = "national_first"
    refill_months: int = 12
    pool_fixed_usd_per_yr: float = 0.0
    budget_usd: float | None = None
    build_years: int = 1
    discount_rate: float = 0.05
    budget_usd_per_yr: float | None = None
    value_of_information: str = "yes"
    sensitivity: str = "yes"
    mip_rel_gap: float = 1e-6
    sensitivity_mip_rel_gap: float | None = None  # blank: mip_rel_gap
    time_limit_s: float = 600.0


@dataclass(frozen=True)
class Benchmark:
    """A coverage benchmark the summary scores against: days of the coverage basis, for some parties."""

    name: str
    days: float
    parties: tuple[str, ...] = ()  # () = every party

    def label(self) -> str:
        return f"{self.name} {self.days:g} days"


# JOGMEC: 60 days of domestic consumption, up to 180 for the riskiest metals; KOMIR: 100 days (../shared/data)
DEFAULT_BENCHMARKS = (Benchmark("JOGMEC", 60.0), Benchmark("JOGMEC", 180.0), Benchmark("KOMIR", 100.0))


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    gdp_usd_bn: float
    joint_member: str  # "yes" | "no" | "optional"
    budget_usd: float | None
    entitlement_share: float | None
    budget_usd_per_yr: float | None = None


@dataclass(frozen=True)
class Mineral:
    id: str
    name: str
    form: str
    price_usd_per_t: float
    holding_rate_per_yr: float
    storage_usd_per_t_yr: float
    lot_t: float
    joint_fixed_usd_per_yr: float
    world_supply_t_per_yr: float | None = None
    max_purchase_share_per_yr: float | None = None
    acquisition_price_usd_per_t: float | None = None  # paid for new stock; None = price_usd_per_t
    price_uplift_per_share: float = 0.0
    long_run_price_usd_per_t: float | None = None  # once the crisis premium is gone; None = no capital loss
    seller_supply_t_per_yr: float | None = None  # world_supply sheet: suppliers that sell to stockpiles (None: no rows)

    @property
    def acquisition_usd_per_t(self) -> float:
        return self.price_usd_per_t if self.acquisition_price_usd_per_t is None else self.acquisition_price_usd_per_t

    @property
    def holding_usd_per_t_yr(self) -> float:
        """Capital charge (on what the stock costs to buy) plus storage, before the release option's own cost."""
        return self.acquisition_usd_per_t * self.holding_rate_per_yr + self.storage_usd_per_t_yr

    @property
    def buyable_supply_t_per_yr(self) -> float | None:
        """The supply the holders can buy from in a year: the suppliers that sell to stockpiles where the world_supply
        sheet lists them, else the world supply (None: unknown)."""
        return self.seller_supply_t_per_yr if self.seller_supply_t_per_yr is not None else self.world_supply_t_per_yr

    @property
    def purchase_cap_t_per_yr(self) -> float | None:
        """Most all holders together may buy in one year (None: no cap): a share of the buyable supply."""
        if self.buyable_supply_t_per_yr is None or self.max_purchase_share_per_yr is None:
            return None
        return self.buyable_supply_t_per_yr * self.max_purchase_share_per_yr

    @property
    def market_t_per_yr(self) -> float | None:
        """The market whose price the holders' purchases move (the uplift's base): world supply, else the sellers'."""
        return self.world_supply_t_per_yr if self.world_supply_t_per_yr is not None else self.seller_supply_t_per_yr

    @property
    def capital_loss_usd_per_t(self) -> float:
        """Expected loss on a tonne bought today if the price falls back to the long-run price (0 without one)."""
        if self.long_run_price_usd_per_t is None:
            return 0.0
        return max(0.0, self.acquisition_usd_per_t - self.long_run_price_usd_per_t)


@dataclass(frozen=True)
class Demand:
    consumption_t_per_yr: float
    net_import_reliance: float
    existing_stock_t: float
    programme_fixed_usd_per_yr: float
    max_stock_t: float | None
    target_months: float | None


@dataclass(frozen=True)
class Product:
    """A product of a party whose output needs minerals (products and product_inputs sheets)."""

    party: str
    product: str
    lost_value_usd_per_month: float


@dataclass(frozen=True)
class ProductInput:
    share_of_demand: float  # of the party's demand for the mineral that goes into the product


@dataclass(frozen=True)
class Seller:
    """One supplier of a mineral (world_supply sheet)."""

    t_per_yr: float
    sells_to_stockpiles: str  # "yes" | "no"


@dataclass(frozen=True)
class Tier:
    up_to_share: float  # cumulative share of monthly demand
    usd_per_t: float


@dataclass(frozen=True)
class ReleaseOption:
    id: str
    max_release_share_per_month: float
    usd_per_t_yr: float


@dataclass(frozen=True)
class Scenario:
    id: str  # a branch id when the scenario has uncertain durations ("ga_ge_2023:6m"), else the scenario id
    probability_per_yr: float  # the branch's: scenario probability x its durations' probabilities
    description: str
    parent: str = ""  # the workbook's scenario id of a branch ("" when not a branch)

    @property
    def scenario(self) -> str:
        """The workbook's scenario id (a branch's parent)."""
        return self.parent or self.id


@dataclass(frozen=True)
class Event:
    scenario: str
    supplier: str
    minerals: tuple[str, ...]  # expanded: never "*"
    targets: tuple[str, ...]  # expanded: never "*"
    start_month: int
    duration_months: int
    cut: float
    recovery_months: int
    recovery_share: float
    duration_choices: tuple[tuple[int, float], ...] = ()  # the uncertain durations and their probabilities


@dataclass(frozen=True)
class HistoryEvent:
    """A real supply cut (history sheet), replayed by `stockpile backtest`: months counted from year 0, month 1."""

    event: str
    supplier: str
    minerals: tuple[str, ...]  # expanded: never "*"
    targets: tuple[str, ...]  # expanded: never "*"
    start: int  # months since January of year 0 (12 * year + month - 1)
    end: int | None  # the last month in force, same count; None = still in force
    cut: float
    source: str = ""


def month_index(text: str) -> int | None:
    """'2023-08' -> 12 * 2023 + 7; None when the text is not YYYY-MM."""
    parts = str(text).strip().split("-")
    if len(parts) != 2 or not all(x.isdigit() for x in parts) or len(parts[0]) != 4 or not 1 <= int(parts[1]) <= 12:
        return None
    return 12 * int(parts[0]) + int(parts[1]) - 1


def month_text(index: int) -> str:
    """12 * 2023 + 7 -> '2023-08'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class ModelData:
    settings: Settings
    parties: dict[str, Party]
    minerals: dict[str, Mineral]
    demand: dict[tuple[str, str], Demand]  # (party, mineral)
    supply: dict[tuple[str, str, str], float]  # (party, mineral, supplier) -> share
    tiers: dict[str, tuple[Tier, ...]]  # mineral -> tiers, cheapest first
    release_options: dict[str, ReleaseOption]
    scenarios: dict[str, Scenario]
    events: tuple[Event, ...]
    source: str = ""
    sha256: str = ""
    run_spec: str = field(default="", compare=False)  # provenance only: never changes the model
    run_spec_sha256: str = field(default="", compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # (holder, mineral) -> (stock t, release option): a first stage fixed from outside (the value of the
    # stochastic solution evaluates the expected-value plan this way); empty = the model chooses
    fixed_stock: dict = field(default_factory=dict)
    products: dict[tuple[str, str], Product] = field(default_factory=dict)  # (party, product)
    product_inputs: dict[tuple[str, str, str], ProductInput] = field(default_factory=dict)  # (party, product, mineral)
    world_supply: dict[tuple[str, str], Seller] = field(default_factory=dict)  # (mineral, supplier)
    # the assumption groups of the sources sheet and the cells this data was built from (sensitivity re-builds
    # variants from them); neither shapes the model, so neither is compared or kept in a subproblem
    assumptions: tuple = field(default=(), compare=False)
    benchmarks: tuple[Benchmark, ...] = ()  # the benchmarks sheet; () = DEFAULT_BENCHMARKS (never reach the model)
    history: tuple[HistoryEvent, ...] = field(default=(), compare=False)  # the history sheet (backtest only)
    book: object = field(default=None, compare=False, repr=False)

    def product_share(self, p: str, m: str) -> float:
        """Share of p's demand for m that goes into products (costed through them, not the mineral's tiers)."""
        return sum(i.share_of_demand for (pp, _k, mm), i in self.product_inputs.items() if (pp, mm) == (p, m))

    @property
    def mineral_groups(self) -> list[list[str]]:
        """The demanded minerals in groups that products tie together (a product needs all its inputs at once),
        in workbook order: the subproblems of a decomposed solve."""
        group = {m: m for m in self.demanded_minerals}

        def root(m: str) -> str:
            while group[m] != m:
                m = group[m]
            return m

        inputs: dict[tuple[str, str], list[str]] = {}
        for (p, k, m) in self.product_inputs:
            if m in group:
                inputs.setdefault((p, k), []).append(m)
        for ms in inputs.values():
            for m in ms[1:]:
                group[root(m)] = root(ms[0])
        out: dict[str, list[str]] = {}
        for m in self.demanded_minerals:
            out.setdefault(root(m), []).append(m)
        return list(out.values())

    @property
    def demanded_minerals(self) -> list[str]:
        """Minerals some party consumes, in workbook order: the subproblems of a decomposed solve."""
        demanded = {m for _, m in self.demand}
        return [m for m in self.minerals if m in demanded]

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """(party, mineral) pairs with demand, in workbook order."""
        return list(self.demand)

    def consumption_t_per_month(self, p: str, m: str) -> float:
        return self.demand[p, m].consumption_t_per_yr / 12.0

    def basis_t_per_month(self, p: str, m: str) -> float:
        """Monthly coverage basis (settings.coverage_basis): consumption, net imports or exposed demand."""
        d = self.consumption_t_per_month(p, m)
        basis = self.settings.coverage_basis
        if basis == "net_imports":
            return d * self.demand[p, m].net_import_reliance
        if basis == "exposed":
            return d * sum(s for (pp, mm, _), s in self.supply.items() if (pp, mm) == (p, m))
        return d

    def coverage_benchmarks(self) -> tuple[Benchmark, ...]:
        """The benchmarks sheet's, else JOGMEC's 60 and 180 days and KOMIR's 100 days for every party."""
        return self.benchmarks or DEFAULT_BENCHMARKS

    def eligible_members(self) -> list[str]:
        """Parties that may join the joint pool."""
        return [p for p, party in self.parties.items() if party.joint_member in ("yes", "optional")]

    def scenarios_text(self, noun: str = "scenario") -> str:
        """'12 scenarios (42 branches of uncertain length)': the workbook's scenarios, and the branches where some
        scenario's length is uncertain (a branch is not a scenario of its own)."""
        count = len({s.scenario for s in self.scenarios.values()})
        words = f"{count} {noun}{'s' if count != 1 else ''}"
        return words + (f" ({len(self.scenarios)} branches of uncertain length)" if len(self.scenarios) > count else "")

    def with_settings(self, **changes) -> ModelData:
        return replace(self, settings=replace(self.settings, **changes))

    def only_parties(self, keep: list[str]) -> ModelData:
        """The same inputs for a subset of the parties (a coalition game's players)."""
        keep_set = set(keep)
        events = tuple(replace(e, targets=tuple(p for p in e.targets if p in keep_set)) for e in self.events)
        return replace(
            self, parties={p: v for p, v in self.parties.items() if p in keep_set},
            demand={k: v for k, v in self.demand.items() if k[0] in keep_set},
            supply={k: v for k, v in self.supply.items() if k[0] in keep_set}, events=events,
            products={k: v for k, v in self.products.items() if k[0] in keep_set},
            product_inputs={k: v for k, v in self.product_inputs.items() if k[0] in keep_set})

    def with_parties(self, **changes_by_party: dict) -> ModelData:
        parties = dict(self.parties)
        for p, changes in changes_by_party.items():
            parties[p] = replace(parties[p], **changes)
        return replace(self, parties=parties)
