"""Inputs: the data contract, the one reader, the input checks and the bundled samples.

* :mod:`~custvalue.inputs.contract` -- the five tables, their columns and types.
* :mod:`~custvalue.inputs.io` -- reading CSV, Parquet, Excel and frames of any engine.
* :mod:`~custvalue.inputs.database` -- tables read from a database, grades written back.
* :mod:`~custvalue.inputs.checks` -- every problem of the input tables at once.
* :mod:`~custvalue.inputs.samples` -- synthetic but realistic sample tables.
"""

from custvalue.inputs.checks import CheckOptions, CheckReport, check_tables
from custvalue.inputs.contract import TABLES
from custvalue.inputs.database import DatabaseSource, database_tables
from custvalue.inputs.io import TableSource, find_tables, read_table, to_polars

__all__ = ["TABLES", "CheckOptions", "CheckReport", "DatabaseSource", "TableSource",
           "check_tables", "database_tables", "find_tables", "read_table", "to_polars"]
