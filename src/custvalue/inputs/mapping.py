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

Tables in a database instead of files (:mod:`custvalue.inputs.database`)::

    [source]
    uri = "postgresql://grader@db.example:5432/billing"   # password: ${NAME} or PGPASSWORD
    [tables.monthly]
    table = "yx_dfmx"                  # the table's name in the database, or
    query = "SELECT * FROM yx_dfmx WHERE dfny >= '202201'"
    [tables.energy]
    uri = "sqlite:///audits.db"        # one table from another database

With a ``[source]`` (or ``custvalue grade --db URI``) every table not given as a file is read
from the database: ``customers`` and ``monthly`` always, the others where the mapping names
them or a table of the contract's name exists.

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

from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import Field, model_validator

from custvalue.config import (
    ConfigModel,
    parse_source,
)
from custvalue.errors import SchemeError
from custvalue.inputs.contract import TABLES

if TYPE_CHECKING:
    from custvalue.inputs.database import DatabaseSource

__all__ = ["Mapping", "MappingError", "SourceMapping", "TableMapping", "as_mapping"]

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
    uri : str, optional
        Database of this table (default: ``[source] uri``).
    table : str, optional
        The table's name in the database (default: the contract's name).
    query : str, optional
        SQL whose result is the table (instead of ``table``).
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
    uri: str | None = None
    table: str | None = None
    query: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_place(self) -> TableMapping:
        if self.table is not None and self.query is not None:
            raise ValueError("give a table or a query, not both")
        if self.file is not None and (self.table, self.query, self.uri) != (None, None, None):
            raise ValueError("give a file or a database table (uri, table, query), not both")
        return self

    @property
    def in_database(self) -> bool:
        """Whether the entry names a database table or query."""
        return (self.uri, self.table, self.query) != (None, None, None)


class SourceMapping(ConfigModel):
    """The ``[source]`` section: the database the tables are read from.

    Attributes
    ----------
    uri : str
        ``postgresql://user@host:port/database``, ``sqlite:///file.db`` ...; ``${NAME}`` is
        taken from the environment.  Write no password here: use ``${NAME}`` or PGPASSWORD.
    """

    error_class = MappingError

    uri: str


class Mapping(ConfigModel):
    """Column and value mapping from an export to the data contract (see the module)."""

    error_class = MappingError

    source: SourceMapping | None = None
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

    def database_sources(self, uri: str | None = None,
                         skip: Collection[str] = ()) -> dict[str, DatabaseSource]:
        """The contract tables this mapping reads from databases.

        A table entry with ``uri``/``table``/``query`` is read from its database (``uri``,
        else ``uri`` given here, else ``[source] uri``); with a database URI (given here or
        in ``[source]``) the tables not in ``skip`` (those given as files) are read from it
        too, as :func:`~custvalue.inputs.database.database_tables` finds them.

        Examples
        --------
        >>> m = Mapping.model_validate({"tables": {"monthly": {
        ...     "uri": "sqlite:///b.db", "query": "SELECT * FROM bills"}}})
        >>> m.database_sources()
        {'monthly': DatabaseSource('sqlite:///b.db', query='SELECT * FROM bills')}
        """
        from custvalue.inputs.database import DatabaseSource, database_tables

        default = uri or (self.source.uri if self.source else None)
        out: dict[str, DatabaseSource] = {}
        for name, entry in self.tables.items():
            if name in TABLES and name not in skip and entry.in_database:
                where = entry.uri or default
                if where is None:
                    raise MappingError(f"tables.{name}",
                                       "a table or query needs a uri (here or in [source])")
                out[name] = DatabaseSource(where, table=entry.table, query=entry.query)
        if default is not None:
            rest = [n for n in TABLES if n not in skip and n not in out]
            if rest:
                found = database_tables(default, {n: self.table(n).table or n for n in rest
                                                  if self.table(n).in_database})
                out.update({n: found[n] for n in rest if n in found})
        return out

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
