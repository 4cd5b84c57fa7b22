"""Column and value mapping: an export's own names and codes onto the data contract.

A utility's export rarely uses the contract's names: the account number is ``户号``, the
energy ``用电量``, the tariff class ``大工业``.  A :class:`Mapping` renames columns and
translates values as the table is read (:func:`custvalue.inputs.io.scan_raw`), before the
one parser and the checks see it; from the command line it is a TOML file
(``custvalue grade --mapping mapping.toml``), from Python ``grade(..., mapping=...)`` or
``check_tables(..., mapping=...)``.  ``data/samples/mapping.example.toml`` is a documented
example for a typical Chinese utility export.

The file::

    [columns]                 # renames for every table
    "户号" = "customer_id"

    [tables.monthly]
    file = "电费明细.csv"      # where the CLI finds the table (next to the mapping file)
    encoding = "gbk"          # optional: utf-8 / gbk / gb18030 (default: detected)
    sheet = "2024"            # optional, Excel: one sheet (default: every sheet)
    [tables.monthly.columns]
    "用电量" = "active_kwh"
    [tables.customers.values.customer_class]
    "大工业" = "large_industrial"

Examples
--------
>>> import polars as pl
>>> m = Mapping.model_validate({"columns": {"户号": "customer_id"},
...     "tables": {"customers": {"values": {"customer_class": {"大工业": "large_industrial"}}}}})
>>> lf = pl.LazyFrame({"户号": ["001"], "customer_class": [" 大工业 "]})
>>> m.apply(lf, "customers").collect().rows()
[('001', 'large_industrial')]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from pydantic import Field, model_validator

from custvalue.config import (
    ConfigModel,
    parse_source,
)
from custvalue.errors import SchemeError
from custvalue.inputs.contract import TABLES

__all__ = ["Mapping", "MappingError", "TableMapping", "as_mapping"]

_SIDE_TABLES = ("pins",)


class MappingError(SchemeError):
    """A mapping file (or ``mapping=`` argument) is invalid (exit code 3, like a scheme)."""

    code = "mapping_error"


class TableMapping(ConfigModel):
    """How one table of the export is found and translated.

    Attributes
    ----------
    file : str, optional
        File of the table, relative to the mapping file (CLI) or the ``--data`` folder.
    encoding : str, optional
        Text encoding of a CSV file (``utf-8``, ``gbk``, ``gb18030``); default detected.
    sheet : str or int, optional
        Excel: the one sheet to read; default every sheet (with the same columns).
    columns : dict
        Export column name -> contract column name (on top of the file-wide ``columns``).
    values : dict
        Contract column -> {export value: contract value}; values not listed stay as they
        are (and are reported by the checks when the contract does not allow them).
    """

    error_class = MappingError

    file: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)


class Mapping(ConfigModel):
    """Column and value mapping from an export to the data contract (see the module)."""

    error_class = MappingError

    columns: dict[str, str] = Field(default_factory=dict)
    tables: dict[str, TableMapping] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_tables(self) -> Mapping:
        for name in self.tables:
            if name not in TABLES and name not in _SIDE_TABLES:
                raise ValueError(f"unknown table '{name}' (tables: {', '.join(TABLES)})")
        for name in TABLES:
            renames = self.renames(name)
            targets = list(renames.values())
            doubled = sorted({t for t in targets if targets.count(t) > 1})
            if doubled:
                raise ValueError(f"table '{name}': several columns map onto "
                                 f"{', '.join(doubled)}")
        return self

    def renames(self, table: str) -> dict[str, str]:
        """Export name -> contract name for ``table`` (table entries win)."""
        own = self.tables.get(table, TableMapping()).columns
        return {**{k: v for k, v in self.columns.items() if v not in own.values()}, **own}

    def apply(self, plan: pl.LazyFrame, table: str) -> pl.LazyFrame:
        """Rename the export's columns and translate its values (lazily)."""
        schema = plan.collect_schema()
        renames = {k: v for k, v in self.renames(table).items() if k in schema and k != v}
        # a contract column present under its own name and mapped onto again: the mapped
        # one wins, the other is kept under a suffixed name
        clash = {v: f"{v}__unmapped" for v in renames.values() if v in schema
                 and v not in renames}
        plan = plan.rename(clash).rename(renames) if clash else plan.rename(renames)
        values = self.tables.get(table, TableMapping()).values
        names = plan.collect_schema().names()
        exprs = [pl.col(c).cast(pl.String).str.strip_chars().replace(v).alias(c)
                 for c, v in values.items() if c in names and v]
        return plan.with_columns(exprs) if exprs else plan

    def table(self, name: str) -> TableMapping:
        """The entry of table ``name`` (empty if the file has none)."""
        return self.tables.get(name, TableMapping())

    @classmethod
    def load(cls, source: str | Path) -> Mapping:
        """Read a mapping from a TOML file (or TOML text).

        Raises
        ------
        MappingError
            Unreadable TOML, an unknown key or table, two columns mapped onto one.
        """
        return cls(**parse_source(source, "toml", MappingError, "a mapping"))


def as_mapping(mapping: Mapping | dict[str, Any] | str | Path | None) -> Mapping | None:
    """A :class:`Mapping` from a mapping, a dict or a TOML path (None stays None).

    Examples
    --------
    >>> as_mapping({"columns": {"户号": "customer_id"}}).renames("monthly")
    {'户号': 'customer_id'}
    """
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return Mapping(**mapping)
    return Mapping.load(mapping)
