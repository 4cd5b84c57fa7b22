"""The data contract: the five input tables, their columns, types, units and uses.

This module is the single place that declares what custvalue reads.  ``docs/data-contract.md``
documents the same columns for people; a test keeps the two in step.

Examples
--------
>>> from custvalue.inputs.contract import TABLES
>>> sorted(TABLES)
['cooperation', 'customers', 'energy', 'events', 'monthly']
>>> [c.name for c in TABLES["energy"].required_columns]
['customer_id', 'year', 'total_energy_tce', 'electricity_tce']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COOPERATION_KINDS",
    "CUSTOMER_CLASSES",
    "EVENT_KINDS",
    "TABLES",
    "Column",
    "Table",
]

DType = Literal["str", "float", "int", "date", "month"]

#: Tariff classes of the register (大工业 / 一般工商业 / 农业生产 / 居民生活).
CUSTOMER_CLASSES: tuple[str, ...] = (
    "large_industrial",
    "general_commercial_industrial",
    "agricultural",
    "residential",
)
#: Kinds of rows in the ``events`` table.
EVENT_KINDS: tuple[str, ...] = ("violation", "fault_affecting_others")
#: Kinds of rows in the ``cooperation`` table.
COOPERATION_KINDS: tuple[str, ...] = (
    "policy_implemented",
    "policy_requested",
    "work_cooperation",
    "suggestion",
)


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    Attributes
    ----------
    name : str
        Column name as it must appear in the input.
    dtype : {"str", "float", "int", "date", "month"}
        Logical type.  ``month`` is a calendar month, given as ``YYYY-MM`` text or any date
        inside the month; it is read as the first day of the month.
    required : bool
        Whether the column must be present.
    unit : str
        Unit of measure, or ``""`` for none.
    meaning : str
        What the column holds.
    used_for : str
        Which indicators or checks read it.
    """

    name: str
    dtype: DType
    required: bool
    unit: str
    meaning: str
    used_for: str


@dataclass(frozen=True)
class Table:
    """One input table of the contract.

    Attributes
    ----------
    name : str
        Table name (``customers``, ``monthly``, ``events``, ``cooperation``, ``energy``).
    key : tuple of str
        Columns that identify a row; duplicated keys are reported.
    columns : tuple of Column
        Declared columns, required ones first.
    description : str
        One sentence on what a row is.
    """

    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str

    @property
    def required_columns(self) -> tuple[Column, ...]:
        """The columns that must be present."""
        return tuple(c for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        """All declared column names."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        """Return the declared column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_ID = Column("customer_id", "str", True, "", "Customer account number (read as text).", "key")

CUSTOMERS = Table(
    "customers",
    ("customer_id",),
    (
        _ID,
        Column(
            "customer_class", "str", True, "",
            "Tariff class: large_industrial (大工业), general_commercial_industrial (一般工商业), "
            "agricultural (农业生产) or residential (居民生活); the list is configurable.",
            "power-factor standard, late-fee rate, strata",
        ),
        Column("contract_kva", "float", True, "kVA",
               "Contracted capacity.", "power-factor standard (100 / 160 kVA thresholds)"),
        Column("voltage_kv", "float", True, "kV", "Supply voltage level.", "profiles, strata"),
        Column("industry", "str", True, "", "Industry code or name.", "profiles, strata"),
        Column("region", "str", True, "", "Supply region or district.", "profiles, strata"),
        Column("opened", "date", True, "", "Date the account opened.",
               "exposure time for per-year rates; customers joining inside the window"),
        Column("closed", "date", False, "",
               "Date the account closed; empty while open.", "exposure time; departed customers"),
        Column("importance", "str", False, "",
               "Important-power-user grade (重要电力用户: 特级, 一级, 二级, 临时性) or the "
               "utility's own sensitivity words; empty for ordinary customers.",
               "tier floors (scheme [importance])"),
    ),
    "The customer register: one row per customer account.",
)

MONTHLY = Table(
    "monthly",
    ("customer_id", "period"),
    (
        _ID,
        Column("period", "month", True, "", "Billing month.", "window, growth, every rate"),
        Column("active_kwh", "float", True, "kWh", "Active energy consumed in the month.",
               "total_kwh, usage_growth, pf_compliance, plan_completion"),
        Column("reactive_kvarh", "float", True, "kvarh",
               "Forward reactive energy; empty where there is no reactive metering.",
               "pf_compliance"),
        Column("billed_amount", "float", True, "yuan", "Amount billed for the month.",
               "revenue, payment indicators"),
        Column("due_date", "date", True, "", "Date the bill is due.", "payment indicators"),
        Column("paid_date", "date", True, "",
               "Date of the (last) payment; empty while unpaid.", "payment indicators"),
        Column("paid_amount", "float", True, "yuan",
               "Amount paid against the bill; empty or 0 while unpaid.", "payment indicators"),
        Column("reverse_kvarh", "float", False, "kvarh",
               "Reverse reactive energy where it can flow back; added in absolute value.",
               "pf_compliance"),
        Column("planned_kwh", "float", False, "kWh",
               "Declared usage plan for the month; empty without a plan.", "plan_completion"),
    ),
    "Billing and metering: one row per customer and month.",
)

EVENTS = Table(
    "events",
    ("customer_id", "date", "kind"),
    (
        _ID,
        Column("date", "date", True, "", "Date of the event.", "window"),
        Column("kind", "str", True, "", "violation or fault_affecting_others.",
               "violations_per_year, fault_impact_per_year"),
        Column("affected_customers", "int", False, "customers",
               "Customers affected by a fault on this customer's side.", "fault_impact_per_year"),
        Column("note", "str", False, "", "Free text.", "reports"),
    ),
    "Event log: violations (违章用电) and customer-side faults that hit others.",
)

COOPERATION = Table(
    "cooperation",
    ("customer_id", "date", "kind"),
    (
        _ID,
        Column("date", "date", True, "", "Date of the record.", "window"),
        Column("kind", "str", True, "",
               "policy_implemented, policy_requested, work_cooperation or suggestion.",
               "policy_rate, work_cooperation, suggestions_per_year"),
        Column("score", "float", False, "points (0–5)",
               "Assessment of the customer's cooperation (work_cooperation rows).",
               "work_cooperation"),
    ),
    "Cooperation records: policies asked and carried out, cooperation scores, suggestions.",
)

ENERGY = Table(
    "energy",
    ("customer_id", "year"),
    (
        _ID,
        Column("year", "int", True, "", "Audit year.", "latest audit in the window"),
        Column("total_energy_tce", "float", True, "tce",
               "Total energy consumption, tonnes of coal equivalent.", "electricity_share"),
        Column("electricity_tce", "float", True, "tce",
               "Electricity part of it, tonnes of coal equivalent.", "electricity_share"),
        Column("replaceable_tce", "float", False, "tce",
               "Non-electric energy of it that electricity could replace (电能替代潜力), "
               "tonnes of coal equivalent.", "substitution_potential"),
    ),
    "Energy audits: total energy use, the electricity share and the replaceable part "
    "(电能替代).",
)

#: All tables of the contract by name.
TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, MONTHLY, EVENTS, COOPERATION, ENERGY)
}
