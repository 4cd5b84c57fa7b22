"""Composition of the indicators and backend handling: :func:`compute_indicators`.

The backend rule
----------------
Everything runs on the backend of ``monthly`` (the big table); the other tables are
brought to it:

========================  ==================  ==========================================
``monthly`` given as      runs on             returns
========================  ==================  ==========================================
path (Parquet/CSV/Excel)  polars, streaming   ``polars.DataFrame``
``polars.DataFrame``      polars, streaming   ``polars.DataFrame``
``polars.LazyFrame``      polars              ``polars.LazyFrame`` (not collected)
``pandas.DataFrame``      polars, streaming   ``pandas.DataFrame`` indexed by customer_id
DuckDB relation           DuckDB              DuckDB relation (not executed)
PySpark DataFrame         Spark               PySpark DataFrame (not collected)
========================  ==================  ==========================================

Paths are scanned lazily by the backend (the one reader ``custvalue.inputs.io.scan_typed``
for polars, ``read_parquet`` for DuckDB and Spark).  On the polars engine every table,
whatever it came as, is typed by the one parser of :mod:`custvalue.inputs.parse` (the one
the checks use); frames native to DuckDB or Spark are used as they are and must hold typed
columns or text in the canonical forms (``YYYY-MM`` months, ``YYYY-MM-DD`` dates) —
:func:`custvalue.grade` types them first with the same parser, run on their engine
(:func:`custvalue.inputs.engines.type_native`).
A frame of another kind is converted: pandas,
polars and DuckDB frames are loaded into DuckDB or Spark through Arrow, and a Spark frame
given with a non-Spark ``monthly`` is collected (it is the small table then).

Lazy results (polars LazyFrame, DuckDB, Spark) are checked before they are returned with
at most two aggregate queries that each bring back one row: duplicated register ids
together with the latest period (when no window is given), then duplicated and negative
monthly rows (only when a policy is ``error``).  The indicator rows themselves are never
collected.  Eager results fold the same checks into the one query that computes the
indicators (after a scan of ``period`` for the default window).

Examples
--------
>>> import custvalue.inputs.samples
>>> from custvalue.indicators import compute_indicators
>>> t = custvalue.samples.generate(40, months=24, seed=2)
>>> from custvalue.inputs.checks import CheckOptions
>>> treat = CheckOptions(duplicates="sum", negative_energy="allow")
>>> out = compute_indicators(**t, options=treat)
>>> len(out) == len(t["customers"]), out.index.name, out.attrs["window"]["end"]
(True, 'customer_id', '2023-12')
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import narwhals as nw
import polars as pl

from custvalue.errors import (
    EmptyTableError,
    UnsupportedInputError,
)
from custvalue.indicators import compliance, contribution, cooperation
from custvalue.indicators.catalog import BOOKKEEPING_COLUMNS, INDICATOR_NAMES, output_columns
from custvalue.indicators.context import Context, Indicator, merge_stages, reason_chain
from custvalue.indicators.guards import RowChecks, collect
from custvalue.indicators.params import IndicatorParams, input_treatments
from custvalue.indicators.prepare import (
    ROW_INDEX,
    idiv,
    month_index_expr,
    prepare_cooperation,
    prepare_customers,
    prepare_energy,
    prepare_events,
    prepare_monthly,
    require_columns,
)
from custvalue.indicators.window import Window, WindowLike, epoch_day, month_start
from custvalue.inputs.checks import CheckOptions
from custvalue.inputs.io import is_path, scan_typed
from custvalue.inputs.tally import FLAG, Tally

__all__ = ["compute_indicators", "indicators_of_typed", "indicators_with_tally",
           "resolve_window", "window_ending"]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------
# backends
# --------------------------------------------------------------------------------------


class _Backend:
    """Where the computation runs and what kind of frame comes back."""

    def __init__(self, monthly: Any, collect: bool = False, typed: bool = False) -> None:
        self.con: Any = None
        self.session: Any = None
        self.typed = typed  # polars plans typed by the one parser already: not again
        if is_path(monthly):
            self.engine, self.output = "polars", "polars"
            return
        if isinstance(monthly, pl.LazyFrame):
            self.engine, self.output = "polars", "polars" if collect else "polars_lazy"
            return
        if isinstance(monthly, pl.DataFrame):
            self.engine, self.output = "polars", "polars"
            return
        try:
            impl = nw.from_native(monthly).implementation
        except TypeError as exc:
            raise UnsupportedInputError(
                "monthly", None, f"cannot read an object of type {type(monthly).__name__}",
                fix="pass a pandas/polars/DuckDB/PySpark frame or a CSV/Parquet path") from exc
        if impl.is_pandas():
            self.engine, self.output = "polars", "pandas"
        elif impl.is_duckdb():
            self.engine, self.output = "duckdb", "duckdb"
            # Relations of different connections cannot be joined: use monthly's.
            self.con = getattr(monthly, "_con", None) or _duckdb().default_connection()
        elif impl.is_pyspark() or impl.is_pyspark_connect():
            self.engine, self.output = "spark", "spark"
            self.session = monthly.sparkSession
        else:  # any other eager frame narwhals reads (pyarrow, modin ...)
            self.engine, self.output = "polars", "polars"

    @property
    def lazy_output(self) -> bool:
        return self.output in ("polars_lazy", "duckdb", "spark")

    # -- conversion ------------------------------------------------------------------
    def native(self, source: Any, table: str) -> Any:
        """``source`` as a native lazy frame of this backend."""
        if isinstance(source, Mapping):
            raise UnsupportedInputError(table, None, "a mapping is not a table",
                                        fix="pass a frame or a path")
        if self.engine == "polars":
            return self._to_polars(source, table)
        if self.engine == "duckdb":
            return self._to_duckdb(source, table)
        return self._to_spark(source, table)

    @staticmethod
    def _polars_eager(source: Any, table: str) -> pl.DataFrame:
        return scan_typed(source, table).collect(engine="streaming")

    def _to_polars(self, source: Any, table: str) -> pl.LazyFrame:
        # every polars-engine input goes through the one reader (typing is idempotent: a
        # plan typed already keeps its types, but it would strip every id a second time)
        if self.typed and isinstance(source, pl.LazyFrame):
            return source
        return scan_typed(source, table)

    def _to_duckdb(self, source: Any, table: str) -> Any:
        impl = None if is_path(source) else nw.from_native(source).implementation
        if impl is not None and impl.is_duckdb():
            return source
        if is_path(source) and str(source).lower().endswith((".parquet", ".pq")):
            return self.con.read_parquet(str(source))
        arrow = self._polars_eager(source, table).to_arrow(
            compat_level=pl.CompatLevel.oldest())
        return self.con.from_arrow(arrow)

    def _to_spark(self, source: Any, table: str) -> Any:
        impl = None if is_path(source) else nw.from_native(source).implementation
        if impl is not None and (impl.is_pyspark() or impl.is_pyspark_connect()):
            return source
        if is_path(source) and str(source).lower().endswith((".parquet", ".pq")):
            return self.session.read.parquet(str(source))
        arrow = self._polars_eager(source, table).to_arrow(
            compat_level=pl.CompatLevel.oldest())
        return self.session.createDataFrame(arrow)

    def with_row_index(self, native: Any) -> Any:
        """Add :data:`ROW_INDEX`: the input order, deterministic for a given input.

        polars: the row number; DuckDB: ``row_number() OVER ()`` (DuckDB keeps insertion
        order by default); Spark: ``monotonically_increasing_id()`` (partition, then
        position inside the partition: the order of a file or of ``createDataFrame``).
        """
        if self.engine == "polars":
            return native.with_row_index(ROW_INDEX)
        if self.engine == "duckdb":
            return native.project(f"*, row_number() OVER () - 1 AS {ROW_INDEX}")
        from pyspark.sql import functions as F

        return native.withColumn(ROW_INDEX, F.monotonically_increasing_id())

    # -- execution ---------------------------------------------------------------------
    def collect_one(self, frame: nw.LazyFrame) -> dict[str, Any]:
        """Run a one-row aggregate query and return its row."""
        rows = collect(frame).rows(named=True)
        return rows[0] if rows else {}

    def finish(self, frame: nw.LazyFrame, window: Window, as_of: dt.date,
               checks: RowChecks) -> Any:
        if self.lazy_output:
            checks.run_lazy(self.collect_one)
            return nw.to_native(frame.drop(*checks.columns))
        result = nw.to_native(frame).collect(engine="streaming")
        checks.run_eager(result)
        result = result.drop(checks.columns)
        if self.output == "pandas":
            out = result.to_pandas().set_index("customer_id")
            out.attrs["window"] = window.to_dict(as_of)
            return out
        return result


def _duckdb() -> Any:
    import duckdb

    return duckdb


# --------------------------------------------------------------------------------------
# window
# --------------------------------------------------------------------------------------


def _latest_expr(monthly: nw.LazyFrame) -> nw.Expr:
    """The latest ``period`` (text: the greatest ``YYYY-MM`` string, which is the latest
    month and needs no parsing per row; otherwise the greatest month index)."""
    schema = monthly.collect_schema()
    if "period" not in schema:
        require_columns(monthly, "monthly")
    dtype = schema["period"]
    if dtype == nw.String:
        return nw.col("period").max().alias("latest")
    return month_index_expr("period", dtype).max().alias("latest")


def window_ending(latest: Any, params: IndicatorParams | Mapping[str, object] | None = None
                  ) -> Window:
    """The default window: ``params.window_months`` (36) months ending with the month of
    ``latest`` (a date or a month index; None: no monthly rows, an error).

    Examples
    --------
    >>> import datetime as dt
    >>> window_ending(dt.date(2024, 6, 1))
    Window(start='2021-07', end='2024-06', months=36)
    """
    return _window_ending(latest, _params(params))


def _window_ending(latest: Any, params: IndicatorParams) -> Window:
    if latest is None:
        raise EmptyTableError("monthly", "period", "no monthly rows to infer the window from",
                              fix="pass window=('YYYY-MM', 'YYYY-MM')")
    last = month_start(int(latest)) if isinstance(latest, int) else latest
    return Window.ending(last, params.window_months)


def _resolve(monthly: nw.LazyFrame, window: Any, params: IndicatorParams) -> Window:
    if window is not None:
        return Window.coerce(window)
    rows = collect(monthly.select(_latest_expr(monthly))).rows()
    return _window_ending(rows[0][0] if rows else None, params)


def _lazy_window_and_register(frames: dict[str, nw.LazyFrame], window: Any,
                              params: IndicatorParams, backend: _Backend) -> Window:
    """For lazy backends: duplicated register ids and, if needed, the latest period, in one
    aggregate query that returns one row."""
    ids = frames["customers"].group_by("customer_id").agg(nw.len().alias("n"))
    probe = ids.select((nw.col("n") - 1).sum().alias("register_dups"))
    if window is None:
        probe = probe.join(frames["monthly"].select(_latest_expr(frames["monthly"])),
                           how="cross")
    row = backend.collect_one(probe)
    if (row.get("register_dups") or 0) > 0:
        examples = collect(ids.filter(nw.col("n") > 1).sort("customer_id").head(5))
        RowChecks._raise_register(int(row["register_dups"]), examples["customer_id"].to_list())
    if window is not None:
        return Window.coerce(window)
    return _window_ending(row.get("latest"), params)


def resolve_window(monthly: Any, window: WindowLike | None = None,
                   params: IndicatorParams | Mapping[str, object] | None = None) -> Window:
    """The window :func:`compute_indicators` uses for these arguments.

    ``window`` given: it, as a :class:`Window` (a ``(start, end)`` pair is accepted).
    Otherwise the ``params.window_months`` (36) months ending with the latest ``period``
    in ``monthly`` (one small aggregate query).

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"period": ["2021-05", "2024-06"]})
    >>> resolve_window(m)
    Window(start='2021-07', end='2024-06', months=36)
    >>> resolve_window(m, ("2023-01", "2023-12"))
    Window(start='2023-01', end='2023-12', months=12)
    """
    if window is not None:
        return Window.coerce(window)
    frame = nw.from_native(_Backend(monthly).native(monthly, "monthly")).lazy()
    return _resolve(frame, None, _params(params))


def _params(params: IndicatorParams | Mapping[str, object] | None) -> IndicatorParams:
    if params is None:
        return IndicatorParams()
    if isinstance(params, IndicatorParams):
        return params
    return IndicatorParams.model_validate(dict(params))



# --------------------------------------------------------------------------------------
# composition
# --------------------------------------------------------------------------------------


def _period_date(p: nw.Expr) -> nw.Expr:
    year = idiv(p, 12)
    month = (p - 12 * year + 1).cast(nw.String).str.zfill(2)
    year = year.cast(nw.String)
    return nw.concat_str([year, nw.lit("-"), month, nw.lit("-01")]).str.to_date("%Y-%m-%d")


def _apply(frame: nw.LazyFrame, indicators: list[Indicator]) -> nw.LazyFrame:
    frame = frame.with_columns(*[reason_chain(i.reasons).alias(f"reason__{i.name}")
                                 for i in indicators])
    values = []
    for i in indicators:
        if i.value is None:
            values.append(nw.lit(None, dtype=nw.Float64).alias(i.name))
        else:
            values.append(nw.when(nw.col(f"reason__{i.name}").is_null())
                          .then(i.value.cast(nw.Float64)).alias(i.name))
    return frame.with_columns(*values)


def _build(frames: dict[str, nw.LazyFrame], ctx: Context, treat: CheckOptions,
           tally: bool = False) -> tuple[nw.LazyFrame, RowChecks]:
    window, params = ctx.window, ctx.params
    customers = prepare_customers(frames["customers"], window).with_columns(
        compliance.standard_cents_expr(params).alias("_pf_standard"))
    checks = RowChecks(customers, prepare_monthly(frames["monthly"], window, "error"), params,
                     window, treat, tally)

    monthly = prepare_monthly(frames["monthly"], window, treat.duplicates,
                              carry=(FLAG,) if tally else ())
    for stage in merge_stages(contribution.monthly_features(ctx),
                              compliance.monthly_features(ctx)):
        monthly = monthly.with_columns(*stage)
    aggregations = {**contribution.monthly_aggregations(ctx),
                    **compliance.monthly_aggregations(ctx)}
    per_customer = monthly.group_by("customer_id").agg(
        *[expr.alias(name) for name, expr in aggregations.items()], *checks.aggregations())
    out = customers.join(per_customer, on="customer_id", how="left")
    # Customers without rows in a table: counts and sums are 0 (the reasons say why).
    zero_fill = [n for n in aggregations if n not in ("_p_min", "_p_max")]
    if "events" in ctx.given:
        events = prepare_events(frames["events"], window)
        out = out.join(compliance.event_aggregation(events, ctx), on="customer_id", how="left")
        zero_fill += compliance.EVENT_COLUMNS
    if "cooperation" in ctx.given:
        coop = prepare_cooperation(frames["cooperation"], window)
        out = out.join(cooperation.cooperation_aggregation(coop), on="customer_id", how="left")
        zero_fill += cooperation.COOPERATION_COLUMNS
    if "energy" in ctx.given:
        energy = prepare_energy(frames["energy"], window)
        out = out.join(contribution.energy_aggregation(energy), on="customer_id", how="left")
    out = out.with_columns(*[nw.col(n).fill_null(0) for n in zero_fill],
                           *checks.customer_columns())
    for stage in contribution.customer_stages(ctx):
        out = out.with_columns(*stage)

    indicators = [*contribution.indicators(ctx), *compliance.indicators(ctx),
                  *cooperation.indicators(ctx)]
    assert tuple(i.name for i in indicators) == INDICATOR_NAMES
    out = _apply(out, indicators).with_columns(
        nw.col("_months").cast(nw.Int64).alias("months_observed"),
        _period_date(nw.col("_p_min")).alias("first_period"),
        _period_date(nw.col("_p_max")).alias("last_period"),
        nw.col("_exposure").cast(nw.Int64).alias("exposure_months"),
    )
    assert BOOKKEEPING_COLUMNS == ("months_observed", "first_period", "last_period",
                                   "exposure_months")
    return out.select(*output_columns(), *checks.columns).sort("customer_id"), checks


def compute_indicators(
    customers: Any,
    monthly: Any,
    events: Any = None,
    cooperation: Any = None,
    energy: Any = None,
    *,
    window: WindowLike | None = None,
    params: IndicatorParams | Mapping[str, object] | None = None,
    options: CheckOptions | None = None,
    collect: bool = False,
) -> Any:
    """Compute the raw indicators of every register customer.

    Parameters
    ----------
    customers, monthly : frame or path
        The register and the monthly billing/metering records (``custvalue.contract``).
        Frames may be pandas, polars (eager or lazy), DuckDB or PySpark; paths are read
        lazily (Parquet, CSV; Excel eagerly).
    events, cooperation, energy : frame or path, optional
        The other tables.  An absent table makes its indicators missing with the reason
        ``no_events_table`` / ``no_cooperation_table`` / ``no_energy_table``.
    window : Window or (start, end), optional
        Inclusive months, e.g. ``("2022-01", "2024-12")``.  Default: the
        ``params.window_months`` (36) months ending with the latest ``period`` in
        ``monthly``.
    params : IndicatorParams or mapping, optional
        The rules (defaults: ``IndicatorParams()``).
    options : CheckOptions, optional
        The input treatments (``duplicates``, ``negative_energy``; default: both
        ``"error"``), the same options the checks take.
    collect : bool, default False
        ``monthly`` a polars ``LazyFrame``: return the collected ``polars.DataFrame``
        instead of the plan.  The plan then runs as for a path, in one query by the
        streaming engine with the duplicate and negative-energy checks folded into it
        (a returned plan is checked by a query of its own first).  :func:`custvalue.grade`
        uses it.  Other inputs: ignored.

    Returns
    -------
    frame
        One row per register customer (also those without any record), sorted by
        ``customer_id``; columns ``customer_id``, ``months_observed``, ``first_period``,
        ``last_period``, ``exposure_months``, the indicators of
        :data:`custvalue.indicators.INDICATOR_NAMES` (floats, null/NaN when missing) and
        ``reason__<indicator>`` (text, null when present).  The kind of frame follows
        ``monthly`` (see the module docstring); pandas comes back indexed by
        ``customer_id`` with ``attrs["window"]``.  Records of customers not in the
        register are ignored.

    Raises
    ------
    custvalue.errors.MissingColumnError
        A required column is absent.
    custvalue.errors.DuplicateRowsError
        Duplicated register ids, or duplicated ``(customer_id, period)`` monthly rows under
        ``duplicates="error"``.
    custvalue.errors.NegativeEnergyError
        Negative ``active_kwh`` under ``negative_energy="error"``.
    custvalue.errors.EmptyTableError
        No monthly row to infer the default window from.

    Examples
    --------
    >>> import pandas as pd
    >>> customers = pd.DataFrame({"customer_id": ["C1", "C2"],
    ...     "customer_class": ["general_commercial_industrial", "residential"],
    ...     "contract_kva": [250.0, 8.0], "voltage_kv": [10.0, 0.22],
    ...     "industry": ["retail", "household"], "region": ["north", "north"],
    ...     "opened": ["2015-01-01", "2019-06-01"]})
    >>> monthly = pd.DataFrame({"customer_id": ["C1", "C1"], "period": ["2024-01", "2024-02"],
    ...     "active_kwh": [1000.0, 1200.0], "reactive_kvarh": [400.0, 800.0],
    ...     "billed_amount": [780.0, 936.0], "due_date": ["2024-02-20", "2024-03-20"],
    ...     "paid_date": ["2024-02-18", "2024-03-30"], "paid_amount": [780.0, 936.0]})
    >>> out = compute_indicators(customers, monthly, window=("2024-01", "2024-03"))
    >>> out.loc["C1", ["total_kwh", "pf_compliance", "on_time_rate", "days_late"]].tolist()
    [2200.0, 0.5, 0.5, 5.454545454545454]
    >>> float(round(out.loc["C1", "late_fee"], 10))  # 936 yuan × 10 days × 0.2 %
    18.72
    >>> out.loc["C2", "reason__total_kwh"], out.loc["C2", "reason__pf_compliance"]
    ('no_records', 'not_applicable')
    """
    sources = {"customers": customers, "monthly": monthly, "events": events,
               "cooperation": cooperation, "energy": energy}
    return _compute(_Backend(monthly, collect), sources, window, params, options)


def indicators_of_typed(customers: Any, monthly: Any, events: Any = None,
                        cooperation: Any = None, energy: Any = None, *,
                        window: WindowLike | None = None,
                        params: IndicatorParams | Mapping[str, object] | None = None,
                        options: CheckOptions | None = None) -> Any:
    """:func:`compute_indicators` with ``collect=True`` for tables that the one parser has
    typed already (polars plans of :func:`custvalue.inputs.io.type_plan`, or frames held
    typed on DuckDB or Spark): they are not typed again (every id would be stripped a
    second time).  :func:`custvalue.grade` uses it when it runs without the checks.

    Examples
    --------
    >>> import polars as pl
    >>> from custvalue.inputs import samples
    >>> from custvalue.inputs.io import type_plan
    >>> t = samples.generate(20, months=12, seed=1)
    >>> plans = {k: type_plan(pl.from_pandas(v).lazy(), k) for k, v in t.items()}
    >>> out = indicators_of_typed(**plans, options=CheckOptions(
    ...     duplicates="sum", negative_energy="allow"))
    >>> out.height == len(t["customers"])
    True
    """
    sources = {"customers": customers, "monthly": monthly, "events": events,
               "cooperation": cooperation, "energy": energy}
    return _compute(_Backend(monthly, collect=True, typed=True), sources, window, params,
                    options)


def indicators_with_tally(customers: Any, monthly: pl.LazyFrame, events: Any = None,
                          cooperation: Any = None, energy: Any = None, *,
                          window: WindowLike | None = None,
                          params: IndicatorParams | Mapping[str, object] | None = None,
                          options: CheckOptions | None = None,
                          ) -> tuple[pl.DataFrame, Tally]:
    """:func:`compute_indicators` on polars, collected, for a ``monthly`` plan that the
    input checks flagged (:data:`custvalue.inputs.tally.FLAG`): the indicators, and the
    :class:`~custvalue.inputs.tally.Tally` of what the pass saw, for the checks.

    The tables given as polars plans must be typed by the one parser
    (:func:`custvalue.inputs.io.type_plan`; they are not typed again).

    Nothing is raised for duplicated or negative rows: the checks report them.
    :func:`custvalue.grade` uses it; the indicators are those of
    :func:`compute_indicators`.

    Examples
    --------
    >>> import polars as pl
    >>> from custvalue.inputs import samples
    >>> from custvalue.inputs.io import type_plan
    >>> t = samples.generate(20, months=12, seed=1)
    >>> plans = {k: type_plan(pl.from_pandas(v).lazy(), k) for k, v in t.items()}
    >>> plans["monthly"] = plans["monthly"].with_columns(_check_hit=pl.lit(0))
    >>> out, tally = indicators_with_tally(**plans, options=CheckOptions(
    ...     duplicates="sum", negative_energy="allow"))
    >>> out.height == len(t["customers"]), tally.hits, tally.duplicated
    (True, 0, True)
    """
    sources = {"customers": customers, "monthly": monthly, "events": events,
               "cooperation": cooperation, "energy": energy}
    backend = _Backend(monthly, collect=True, typed=True)
    plan, checks, _, _ = _plan(backend, sources, window, params, options, tally=True)
    result = nw.to_native(plan).collect(engine="streaming")
    tally = checks.tally_of(result)
    return result.drop(checks.columns), tally


def _compute(backend: _Backend, sources: dict[str, Any], window: WindowLike | None,
             params: IndicatorParams | Mapping[str, object] | None,
             options: CheckOptions | None) -> Any:
    """The indicators of ``sources`` on ``backend``, in the kind of frame it returns."""
    plan, checks, window, as_of = _plan(backend, sources, window, params, options)
    return backend.finish(plan, window, as_of, checks)


def _plan(backend: _Backend, sources: dict[str, Any], window: WindowLike | None,
          params: IndicatorParams | Mapping[str, object] | None,
          options: CheckOptions | None, tally: bool = False
          ) -> tuple[nw.LazyFrame, RowChecks, Window, dt.date]:
    """The indicator plan of :func:`compute_indicators` on ``backend``."""
    params = _params(params)
    treat = input_treatments(options, params)
    natives = {k: backend.native(v, k) for k, v in sources.items() if v is not None}
    # tally: the checks' plan has the input order as ROW_INDEX already
    if treat.duplicates == "last" and not tally:
        natives["monthly"] = backend.with_row_index(natives["monthly"])
    frames = {k: nw.from_native(v).lazy() for k, v in natives.items()}
    for name, frame in frames.items():
        require_columns(frame, name)

    if backend.lazy_output:
        window = _lazy_window_and_register(frames, window, params, backend)
    else:
        window = _resolve(frames["monthly"], window, params)
    as_of = window.as_of(params.as_of)
    ctx = Context(window=window, params=params, as_of_day=epoch_day(as_of),
                  given=frozenset(k for k in ("events", "cooperation", "energy")
                                  if k in frames))
    plan, checks = _build(frames, ctx, treat, tally)
    logger.debug("compute_indicators: window %s..%s, as of %s, tables %s, %s output",
                 window.start, window.end, as_of, ", ".join(frames),
                 "lazy" if backend.lazy_output else "eager")
    return plan, checks, window, as_of
