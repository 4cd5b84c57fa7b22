"""The end-to-end grade: input tables → indicators → scores → tiers → :class:`Grading`.

:func:`grade` runs the whole pipeline and returns a :class:`Grading`, which holds one row
per register customer (graded or with a reason), the scheme, and a :class:`Manifest`.
A grading saves to a folder (``grades.parquet`` + ``scheme.json`` + ``manifest.json`` +
``checks.json``) and loads back exactly.

This module is long because it holds both halves of the grade: the wiring of the input
stages (read once, check, indicators) and the per-customer stage that :func:`grade` and
:meth:`Grading.rescore` share (:func:`score_and_tier`: scoring, eligibility, tiers, ABC and
the table, put together by position without joins or copies).

Examples
--------
>>> import custvalue
>>> tables = custvalue.samples.generate(200, months=36, seed=4)
>>> g = custvalue.grade(**tables, duplicates="last", negative_energy="allow")
>>> len(g.table) == len(tables["customers"])
True
>>> int(g.summary()["customers"].sum()) == len(tables["customers"])
True
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import numpy as np
import pandas as pd
import polars as pl

from custvalue.errors import InputError
from custvalue.grading import (
    DEPARTED,
    RANK_DECIMALS,
    REGISTER_COLUMNS,
    SCHEMA_VERSION,
    SHORT_HISTORY,
    Grading,
    Manifest,
    fingerprint,
)
from custvalue.grading.columns import (
    codes_of,
    ids_sorted_unique,
    same_ids,
    text_categorical,
)
from custvalue.inputs.checks import CheckOptions, CheckReport, OptionOverrides, check_with_pass
from custvalue.inputs.io import (
    TableSource,
    read_table,
    scan_raw,
    scan_typed,
    type_plan,
)
from custvalue.scoring.scheme import IMPORTANCE_LEVEL, Scheme

if TYPE_CHECKING:  # the indicator stage is imported when grade() runs (fast start-up)
    from custvalue.indicators import IndicatorParams, WindowLike
    from custvalue.inputs.mapping import Mapping as ColumnMapping

__all__ = ["Grading", "grade", "score_and_tier"]

ProgressCallback = Callable[[str], None]

logger = logging.getLogger(__name__)


@contextmanager
def _timed(timings: dict[str, float], stage: str, progress: ProgressCallback | None,
           inner: dict[str, float] | None = None) -> Iterator[None]:
    """Time ``stage`` into ``timings``; the stages timed in ``inner`` while it ran (the
    indicator pass inside the checks) are taken out of its time and recorded after it."""
    _started(stage, progress)
    start = time.perf_counter()
    yield
    nested = inner or {}
    own = round(time.perf_counter() - start - sum(nested.values()), 4)
    for name, seconds in {stage: own, **nested}.items():
        timings[name] = seconds
        logger.info("grade: stage %s took %.4f s", name, seconds)


def _started(stage: str, progress: ProgressCallback | None) -> None:
    if progress is not None:
        progress(stage)
    logger.debug("grade: stage %s started", stage)


def _register_frame(customers: TableSource, strata: str | None = None) -> pd.DataFrame:
    """The register as pandas indexed by customer_id (one row per customer, small).

    Keeps the contract's register columns and the ``strata`` column, which may be one of
    the utility's own (e.g. ``county``).
    """
    reg = scan_typed(customers, "customers").collect().to_pandas()
    reg["customer_id"] = reg["customer_id"].astype(str)
    cols = [c for c in dict.fromkeys([*REGISTER_COLUMNS, strata or ""]) if c in reg.columns]
    return reg.set_index("customer_id")[cols].sort_index()


def grade(
    customers: TableSource,
    monthly: TableSource,
    events: TableSource | None = None,
    cooperation: TableSource | None = None,
    energy: TableSource | None = None,
    *,
    scheme: Scheme | str | Path | None = None,
    pins: pd.DataFrame | TableSource | None = None,
    pins_count_against_quota: bool = True,
    strata: str | None = None,
    window: WindowLike | None = None,
    params: IndicatorParams | Mapping[str, object] | None = None,
    check: bool = True,
    options: CheckOptions | None = None,
    progress: ProgressCallback | None = None,
    mapping: ColumnMapping | dict[str, object] | str | Path | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    **overrides: Unpack[OptionOverrides],
) -> Grading:
    """Grade a customer base: indicators → scores → tiers (→ ABC) in one call.

    Parameters
    ----------
    customers, monthly : frame, path or DatabaseSource
        The register and the monthly billing/metering records (required).
    events, cooperation, energy : frame, path or DatabaseSource, optional
        The other tables of the data contract.  A
        :class:`~custvalue.inputs.database.DatabaseSource` (URI plus table or query) is
        fetched once and then read like a file (mapping, parser, checks); its manifest
        entry names the URI without the password.
    scheme : Scheme or path, optional
        Grading scheme (default :meth:`Scheme.default`); a path is loaded as TOML/JSON.
    pins : DataFrame or path, optional
        ``customer_id, tier, reason`` (a frame, or a CSV / Parquet / Excel file): customers
        whose tier is fixed (e.g. must be 特级).
    pins_count_against_quota : bool, default True
        Whether pinned customers take up places of their tier's quota.
    strata : str, optional
        Register column (e.g. ``region``) within which the quotas are applied.
    window : Window or (start, end), optional
        The grading window (default: the ``params.window_months`` months ending with the
        latest ``period``); see :func:`custvalue.indicators.compute_indicators`.
    params : IndicatorParams or mapping, optional
        The rules of the indicator stage.  (Its deprecated ``duplicates`` /
        ``negative_energy`` fields still apply, with a ``DeprecationWarning``; naming a
        treatment there and a different one as an option is an error.)
    check : bool, default True
        Run :func:`custvalue.check_tables` first and stop on errors (strict).
    options : CheckOptions, optional
        The input treatments (duplicates, negative energy, unknown customers, customer
        classes): one set for the checks and the indicators.
    progress : callable, optional
        Called with the name of each stage as it starts.
    mapping : Mapping, dict or path, optional
        The export's column names and values onto the contract
        (:class:`custvalue.inputs.mapping.Mapping`, a dict of its fields or a TOML file).
    encoding, sheet : optional
        Encoding of CSV files (default detected: UTF-8 with or without BOM, else GB18030)
        and the one Excel sheet to read (default every sheet).
    **overrides
        Shortcuts for the fields of ``options`` (typed by
        :class:`~custvalue.inputs.checks.OptionOverrides`: ``duplicates``,
        ``negative_energy``, ``unknown_customers``, ``customer_classes``), e.g.
        ``duplicates="last"``, ``negative_energy="allow"``; a misspelt one is an
        :class:`~custvalue.errors.InvalidValueError`.

    Returns
    -------
    Grading

    Raises
    ------
    custvalue.errors.InputError
        Bad input (with ``check=True``, the first error of the input check).
    custvalue.errors.SchemeError
        Bad scheme.
    """
    from custvalue.indicators import IndicatorParams, input_treatments

    if scheme is None:
        scheme = Scheme.default()
    elif not isinstance(scheme, Scheme):
        scheme = Scheme.load(scheme)
    from custvalue.indicators.catalog import INDICATOR_NAMES

    scheme.check_abc_basis(INDICATOR_NAMES)  # before any work
    ind_params = params if isinstance(params, IndicatorParams) else \
        IndicatorParams.model_validate(dict(params or {}))
    opts = input_treatments(
        CheckOptions.resolve(options, **overrides), ind_params)
    if ind_params.as_of is not None and opts.as_of is None:  # one as-of date for both
        opts = opts.model_copy(update={"as_of": ind_params.as_of})
    timings: dict[str, float] = {}
    sources = {"customers": customers, "monthly": monthly, "events": events,
               "cooperation": cooperation, "energy": energy}
    given = {k: v for k, v in sources.items() if v is not None}
    logger.info("grade: scheme %r (sha256 %s), tables %s", scheme.name, scheme.hash()[:12],
                ", ".join(given))

    # Read once: every table becomes one lazy plan of the one reader; the checks type it
    # and flag what cannot be read, the indicators consume the same plan typed.
    # A database table is fetched once here: the reader and the manifest share the rows.
    from custvalue.inputs.database import DatabaseSource
    from custvalue.inputs.mapping import as_mapping

    fetched = {k: v.read(k) for k, v in given.items() if isinstance(v, DatabaseSource)}
    raw = _read_once({**given, **fetched}, as_mapping(mapping), encoding, sheet)
    with _hashing(given) as files:
        findings, row_counts, register, window_used, indicators = _read_check_indicators(
            raw, check=check, options=opts, window=window, params=ind_params, strata=strata,
            timings=timings, progress=progress)
        findings += _not_assessable(indicators, scheme, opts.not_assessable)

        fitted: dict[str, Any] = {}
        table, tiers = score_and_tier(indicators, register, scheme, pins=pins,
                                      pins_count_against_quota=pins_count_against_quota,
                                      strata=strata, timings=timings, progress=progress,
                                      window_last_day=window_used.last_day, fitted=fitted)
        row_counts["grading"] = len(table)
        logger.info("grade: %d customers, %d graded, in %.3f s", len(table),
                    int(table["graded"].sum()), sum(timings.values()))
        manifest = Manifest(
            package_version=_version(),
            scheme_hash=scheme.hash(),
            inputs={k: v.fingerprint(fetched[k], k) if k in fetched
                    else files[k].result() if k in files else fingerprint(v)
                    for k, v in given.items()},
            row_counts=row_counts,
            window=window_used.to_dict(),
            options={**opts.model_dump(mode="json"), "strata": strata,
                     "pins": int(tiers["pinned"].sum()) if "pinned" in tiers else 0,
                     "pins_count_against_quota": pins_count_against_quota, "check": check},
            timings=timings,
            schema_version=SCHEMA_VERSION,
        )
        return Grading(table=table, scheme=scheme, manifest=manifest, findings=findings,
                       bounds=fitted.get("bounds"))


def _read_check_indicators(
    raw: dict[str, Any], *, check: bool, options: CheckOptions, window: Any, params: Any,
    strata: str | None, timings: dict[str, float], progress: ProgressCallback | None,
) -> tuple[list[dict[str, Any]], dict[str, int], pd.DataFrame, Any, pd.DataFrame]:
    """The stages of :func:`grade` that read the tables: the checks (with the indicator
    stage as their pass over the monthly rows on polars) and the indicators.

    Returns the findings, the row counts, the register, the window and the indicators.
    """
    from custvalue.indicators import resolve_window
    from custvalue.indicators.engine import indicators_of_typed

    findings: list[dict[str, Any]] = []
    row_counts: dict[str, int] = {}
    held: dict[str, Any] = {}  # DuckDB / Spark: each table typed once, held on the engine
    beside: _IndicatorPass | None = None
    inner: dict[str, float] = {}  # the indicator pass, timed inside the checks
    try:
        # reading and typing on DuckDB / Spark counts as the checks' time when they run
        with _timed(timings, "checks", progress, inner) if check else nullcontext():
            held = _prepare_native(raw)
            typed = _typed_tables(raw, held)
            if check:
                if not held:  # polars: the checks run the indicator stage as their pass
                    beside = _IndicatorPass(typed, window, params, options, progress, inner)
                report: CheckReport = check_with_pass({**raw, **held}, options,
                                                      monthly_pass=beside)
                findings = [f.model_dump(mode="json") for f in report.findings]
                row_counts.update(report.row_counts)
                report.raise_for_errors()
        register = _register_frame(typed["customers"], strata)  # small: a row per customer
        if strata and strata not in register.columns:  # before the expensive stages
            raise InputError("customers", strata, "no such register column to stratify by",
                             fix=f"add it to the register or use one of "
                             f"{', '.join(register.columns)}")

        if beside is not None and beside.result is not None:
            # the checks ran the indicator pass (one pass over the monthly rows for both):
            # its seconds are the indicators' stage, not the checks'
            window_used, computed = beside.result
            # nothing else may hold the polars result: kept by the pass object through
            # scoring, it raised the 5M peak from 6.4 to 8.5 GiB
            beside.result = None
            return findings, row_counts, register, window_used, _to_indexed_pandas(computed)
        with _timed(timings, "indicators", progress):
            # resolved here (one small query) so that the manifest has it whatever the engine
            window_used = resolve_window(typed["monthly"], window, params)
            # the typed plans go in and are collected inside the stage: one query
            # by the streaming engine with the indicator checks folded in (a returned plan
            # would be checked by a second pass over the monthly rows; the in-memory engine
            # needs ~8x the RAM); on DuckDB and Spark a query of the engine
            indicators = indicators_of_typed(**typed, window=window_used, params=params,
                                             options=options)
            indicators = _to_indexed_pandas(indicators)  # the one collect: a row a customer
        return findings, row_counts, register, window_used, indicators
    finally:
        _release(held)


@contextmanager
def _hashing(given: dict[str, Any]) -> Iterator[dict[str, Future[Any]]]:
    """The manifest's fingerprints of the input files, read in a thread while the stages
    run (hashlib releases the GIL, and the stages leave part of a core idle: 0.5 s of
    the 1M grade)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="custvalue-hash")
    try:
        yield {k: pool.submit(fingerprint, v) for k, v in given.items()
               if isinstance(v, str | Path)}
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def score_and_tier(
    indicators: pd.DataFrame,
    register: pd.DataFrame,
    scheme: Scheme,
    *,
    pins: pd.DataFrame | TableSource | None = None,
    pins_count_against_quota: bool = True,
    strata: str | None = None,
    timings: dict[str, float] | None = None,
    progress: ProgressCallback | None = None,
    window_last_day: dt.date | str | None = None,
    fitted: dict[str, Any] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scoring, tier and ABC stages of :func:`grade`: the grading table from indicators.

    Shared by :func:`grade` and :meth:`Grading.rescore` (which starts from the raw
    indicators a grading keeps), so that both build the table the same way.

    Parameters
    ----------
    indicators : pandas.DataFrame
        The indicator frame (indexed by ``customer_id``) of the customers to score.
    register : pandas.DataFrame
        Register columns (and the ``strata`` column) of every customer, indexed by
        ``customer_id``.
    scheme : Scheme
    pins, pins_count_against_quota, strata
        As for :func:`grade`.
    timings : dict, optional
        Receives the seconds of the ``scoring`` and ``tiers`` stages.
    progress : callable, optional
        Called with the name of each stage.
    window_last_day : date or str, optional
        The grading window's last day: accounts closed on or before it are departed
        (``scheme.eligibility``); None leaves the departed rule out.
    fitted : dict, optional
        Receives ``"bounds"``: the fitted normalisation bounds
        (:func:`custvalue.scoring.bounds.bounds_table`), kept by the grading.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The grading table (sorted by ``customer_id``) and the tier frame.
    """
    from custvalue.scoring import Scorer
    from custvalue.scoring.bounds import bounds_table
    from custvalue.tiers import abc_by_count, abc_by_value, apply_pins, assign_tiers

    timings = {} if timings is None else timings
    if not ids_sorted_unique(register.index):  # grade() sorts it; a caller may not have
        register = register.sort_index()
    with _timed(timings, "scoring", progress):
        indicators = _with_importance_level(indicators, register, scheme)
        scorer = Scorer(scheme).fit(indicators)
        scored = scorer.transform(indicators)  # a new frame, sorted by customer_id
        if fitted is not None:
            fitted["bounds"] = bounds_table(scorer)
        # the register and indicator rows of the scored customers, by position (the same
        # order in grade(): no lookup of the ids at all)
        reg_rows = _positions(register.index, scored.index)
        ind_rows = _positions(indicators.index, scored.index)
        _eligibility(scored, register, reg_rows, indicators, ind_rows, window_last_day,
                     scheme)

    with _timed(timings, "tiers", progress):
        # Tiers see the score at the precision ranks use (RANK_DECIMALS), so that rank order
        # and tier order agree when two scores differ only by floating-point noise.
        graded = scored["graded"].to_numpy(dtype=bool)
        rounded = np.round(np.where(graded, scored["score"].to_numpy(dtype=float), np.nan),
                           RANK_DECIMALS)
        scores = pd.Series(rounded, index=scored.index, name="score", copy=False)
        labels = list(zip(scheme.tiers.labels_zh, scheme.tiers.labels_en, strict=True))
        by = pd.Series(_take(register[strata], reg_rows), index=scored.index, name=strata) \
            if strata else None
        pin_frame = None
        if pins is not None:
            pin_frame = pins if isinstance(pins, pd.DataFrame) else _to_indexed_pandas(
                read_table(pins, "pins")).reset_index()

        def place(pin_frame: pd.DataFrame | None) -> pd.DataFrame:
            if pin_frame is None:
                return assign_tiers(scores, scheme.tiers.quotas, ties=scheme.tiers.ties,
                                    labels=labels, by=by)
            return apply_pins(scores, pin_frame, scheme.tiers.quotas,
                              count_against_quota=pins_count_against_quota,
                              ties=scheme.tiers.ties, labels=labels, by=by)

        tiers = place(pin_frame)
        floors = _importance_floors(register, scores, scheme)
        for _ in range(len(scheme.tiers.quotas) * (not floors.empty)):  # a few rounds:
            # a floor pushes others down, possibly another important customer below its floor
            below = floors.reindex(tiers.index)
            worse = (tiers["tier"].astype("Float64") > below["tier"]).fillna(False)
            below = below[worse.to_numpy(dtype=bool)]
            if pin_frame is not None and "customer_id" in pin_frame.columns:
                below = below.drop(index=pd.Index(pin_frame["customer_id"].astype(str)),
                                   errors="ignore")
            if below.empty:
                break
            new = below.reset_index()[["customer_id", "tier", "reason"]]
            new["tier"] = new["tier"].astype(int)
            pin_frame = new if pin_frame is None else pd.concat(
                [pin_frame[["customer_id", "tier", "reason"]], new], ignore_index=True)
            tiers = place(pin_frame)
        if strata:
            tiers = tiers.drop(columns=["rank_overall"]).rename(
                columns={"rank": "rank_in_stratum", "group": "stratum"})
        abc_cfg = scheme.abc
        basis = rounded if abc_cfg.basis == "score" else np.where(
            graded, _take(indicators[abc_cfg.basis], ind_rows), np.nan)
        basis_series = pd.Series(np.asarray(basis, dtype=float), index=scored.index,
                                 name=abc_cfg.basis, copy=False)
        if abc_cfg.method == "count":
            abc_out: pd.Series | pd.DataFrame = abc_by_count(basis_series, abc_cfg.quotas)
        else:
            abc_out = abc_by_value(basis_series, abc_cfg.cuts)
        abc = abc_out["abc"] if isinstance(abc_out, pd.DataFrame) else abc_out

    return _grading_table(register, indicators, scored, tiers, abc, scheme, strata), tiers


def _grading_table(register: pd.DataFrame, indicators: pd.DataFrame, scored: pd.DataFrame,
                   tiers: pd.DataFrame, abc: pd.Series, scheme: Scheme,
                   strata: str | None) -> pd.DataFrame:
    """The grading table: one row per register customer, put together without a copy.

    Register columns, then the indicator columns, the score columns, the tier columns,
    ``provisional_tier``, ``percentile`` and ``abc``.  When the frames list the same
    customers in the same order (what :func:`grade` gives) they are set side by side on
    one index object: nothing is joined, looked up by id or copied.
    """
    index = register.index
    pieces = [register]
    taken = set(register.columns)

    def add(frame: pd.DataFrame, names: list[str]) -> None:
        if not names:
            return
        # names keep the frame's order: dropping the others keeps views of its blocks
        part = frame.drop(columns=[c for c in frame.columns if c not in set(names)])
        # the same customers: the one index object; else reindex (missing values)
        part = part.set_axis(index, axis=0) if same_ids(frame.index, index) else \
            part.reindex(index)
        pieces.append(part)
        taken.update(names)

    add(indicators, [c for c in indicators.columns
                     if c not in REGISTER_COLUMNS and c not in taken])
    add(scored, [c for c in scored.columns if c not in taken])
    add(tiers, [c for c in tiers.columns if c not in taken])
    table = pd.concat(pieces, axis=1)
    score = np.round(table["score"].to_numpy(dtype=float), RANK_DECIMALS)
    extra: dict[str, Any] = {}
    if "provisional_score" in table.columns:
        extra["provisional_tier"] = _provisional_tiers(
            table["provisional_score"].round(RANK_DECIMALS), pd.Series(score, index=index),
            table["tier"], len(scheme.tiers.quotas), table[strata] if strata else None).array
    extra["percentile"] = _percentile_kernel(
        score, table["rank"].to_numpy(dtype=np.int64, na_value=0))
    add(pd.DataFrame(extra, index=index), list(extra))
    add(abc.to_frame("abc"), ["abc"])
    return pd.concat([table, *pieces[-2:]], axis=1)


def _positions(index: pd.Index, wanted: pd.Index) -> np.ndarray | None:
    """Positions of the ids ``wanted`` in ``index``; None when they are the same ids."""
    if same_ids(index, wanted):
        return None
    return index.get_indexer(wanted)


def _take(column: pd.Series, rows: np.ndarray | None) -> Any:
    """The values of ``column`` at the positions ``rows`` (all, in order, when None;
    missing at position -1)."""
    values = column.array
    if rows is None:
        return values
    return values.take(rows, allow_fill=True)


class _IndicatorPass:
    """The indicator stage run by the input checks as their pass over the monthly rows
    (:func:`custvalue.inputs.checks.check_with_pass`): one read of the rows for both.

    Called with the checks' typed plan (flagged where a rule hits) and the rows per month
    (the default window ends with the latest of them: no query of its own); keeps the
    window and the indicators in :attr:`result` and returns the
    :class:`~custvalue.inputs.tally.Tally`.  If the pass fails, it returns None and keeps
    nothing: the checks then count on their own, and the indicator stage runs after them
    (and raises its error, if the checks found none).
    """

    def __init__(self, typed: dict[str, Any], window: Any, params: Any, options: Any,
                 progress: ProgressCallback | None, timings: dict[str, float]) -> None:
        self.typed, self.window, self.params, self.options = typed, window, params, options
        self.progress = progress
        self.timings = timings  # it records "indicators": the seconds of the pass
        self.result: tuple[Any, pl.DataFrame] | None = None

    def __call__(self, monthly: pl.LazyFrame, per_month: pl.DataFrame) -> Any:
        from custvalue.indicators.engine import indicators_with_tally, window_ending
        from custvalue.indicators.window import Window

        start = time.perf_counter()
        _started("indicators", self.progress)
        try:
            window = (Window.coerce(self.window) if self.window is not None else
                      window_ending(per_month["period"].max(), self.params))
            indicators, tally = indicators_with_tally(
                **{**self.typed, "monthly": monthly}, window=window, params=self.params,
                options=self.options)
        except (InputError, pl.exceptions.PolarsError) as exc:
            logger.debug("grade: the indicator pass beside the checks failed (%s)", exc)
            return None
        self.result = (window, indicators)
        self.timings["indicators"] = round(time.perf_counter() - start, 4)
        return tally


def _native_engine(source: Any) -> bool:
    """A DuckDB or Spark frame: graded on its own engine, not read into polars."""
    from custvalue.inputs.engines import engine_of

    return engine_of(source) != "polars"


def _typed_tables(raw: dict[str, Any], held: dict[str, Any]) -> dict[str, Any]:
    """Each table typed for the indicators: held on DuckDB / Spark, else a polars plan."""
    return {k: held[k].for_indicators if k in held else _typed(v, k) for k, v in raw.items()}


def _typed(source: Any, table: str) -> Any:
    """A table typed by the one parser for the indicators: a polars plan (or a source the
    indicators read themselves)."""
    if isinstance(source, pl.LazyFrame):
        return type_plan(source, table)
    return source


def _prepare_native(raw: dict[str, Any]) -> dict[str, Any]:
    """DuckDB / Spark (``monthly`` is such a frame): each table read and typed once on that
    engine (:func:`custvalue.inputs.engines.prepare`), for the checks and the indicators;
    empty on polars.  A table the engine cannot read is left out: the checks report it."""
    if not _native_engine(raw["monthly"]):
        return {}
    from custvalue.inputs.engines import engine_of, prepare, read_errors, to_engine, with_row_index

    engine = engine_of(raw["monthly"])
    unreadable: tuple[type[BaseException], ...] = (InputError, *read_errors(engine))
    held: dict[str, Any] = {}
    try:
        for name, source in raw.items():
            try:
                native = to_engine(source, name, engine, like=raw["monthly"])
                held[name] = prepare(with_row_index(native), name)
            except unreadable:
                continue
    except BaseException:
        _release(held)
        raise
    return held


def _release(held: dict[str, Any]) -> None:
    """Free what the engines held (Spark: persisted typed tables; DuckDB: parsed tables)."""
    from custvalue.inputs.engines import release

    for prepared in held.values():
        release(prepared)


def _read_once(given: dict[str, Any], mapping: Any, encoding: str | None,
               sheet: str | int | None) -> dict[str, Any]:
    """Each table as one lazy plan of the one reader (untyped: the checks type it).

    DuckDB and Spark frames stay as they are when ``monthly`` is one (the indicators then
    run on that engine); everything else becomes a polars plan, so a file is opened,
    transcoded or read from Excel once.
    """
    if _native_engine(given["monthly"]):
        return dict(given)
    return {k: scan_raw(v, k, mapping=mapping, encoding=encoding, sheet=sheet)
            for k, v in given.items()}


#: Reasons that say a table or optional column was left out on purpose: an indicator missing
#: for everyone with one of them is expected, not a finding.
_ABSENT_BY_CHOICE = frozenset({"no_energy_table", "no_events_table", "no_cooperation_table",
                               "no_replaceable"})


def _not_assessable(indicators: pd.DataFrame, scheme: Scheme,
                    treatment: str = "error") -> list[dict[str, Any]]:
    """Stop (or warn) for each scheme indicator that no customer could be assessed on.

    An indicator that is missing for every customer usually means that the inputs do not
    reach a rule (e.g. class names the power-factor rules do not know: every customer
    ``not_applicable``); grading without it would re-spread its weight silently.  With
    ``treatment="error"`` (the default, ``CheckOptions.not_assessable``) that is an
    :class:`~custvalue.errors.InputError` naming the indicator and the reasons; with
    ``"warn"`` the grading records a ``warning`` finding
    (``code = "indicator_not_assessable"``), :mod:`warnings` shows it and the CLI prints it
    in a warning panel.  Indicators missing only because a table or the optional
    ``replaceable_tce`` column was not given are left out.
    """
    import warnings

    from custvalue.inputs.checks import Finding

    out = []
    for col in scheme.columns:
        if col not in indicators.columns or indicators[col].notna().any() or not len(indicators):
            continue
        reasons = indicators.get(f"reason__{col}")
        counts = (reasons.value_counts() if reasons is not None
                  else pd.Series(dtype="int64"))
        if len(counts) and set(counts.index) <= _ABSENT_BY_CHOICE:
            continue
        if "no_replaceable" in counts.index and set(counts.index) <= {"no_replaceable",
                                                                      "no_audit"}:
            continue  # the optional column is absent: the customers without audits add nothing
        listed = ", ".join(f"{k} × {v}" for k, v in counts.head(3).items()) or "no reason"
        fix = ("check the register values its rules key on (customer_class, contract_kva, "
               "voltage_kv) and map local class names through the input mapping")
        if treatment == "error":
            head = indicators.head(3)
            examples = [{"customer_id": cid, "reason": head[f"reason__{col}"].iloc[i]
                         if reasons is not None else None}
                        for i, cid in enumerate(head.index)]
            raise InputError(
                "indicators", col,
                f"is missing for every customer ({listed}): no customer can be assessed on "
                "this scheme indicator", examples=examples, count=len(indicators),
                fix=f"{fix}, or grade without it: not_assessable='warn'")
        finding = Finding(
            table="indicators", column=col, code="indicator_not_assessable",
            severity="warning",
            message=f"{col} is missing for every customer ({listed}); its weight is "
                    "re-spread to the other indicators",
            count=len(indicators),
            treatment="graded without it",
            fix=fix)
        warnings.warn(str(finding), UserWarning, stacklevel=3)
        out.append(finding.model_dump(mode="json"))
    return out


def _eligibility(scored: pd.DataFrame, register: pd.DataFrame, reg_rows: np.ndarray | None,
                 indicators: pd.DataFrame, ind_rows: np.ndarray | None,
                 last_day: dt.date | str | None, scheme: Scheme) -> None:
    """Take departed accounts and short histories out of the quotas (``scheme.eligibility``).

    A customer whose register ``closed`` is on or before the window's last day becomes
    ungraded with the reason :data:`~custvalue.grading.DEPARTED` (unless
    ``eligibility.departed == "graded"``).  A graded customer with fewer than
    ``eligibility.min_exposure_months`` months of exposure becomes ungraded with the reason
    :data:`~custvalue.grading.SHORT_HISTORY`; its score moves to ``provisional_score`` and
    ``provisional`` is True.  Both keep their indicators and dimension scores.

    Changes ``scored`` (the scorer's new table) in place; ``reg_rows`` / ``ind_rows`` are
    the positions of its rows in ``register`` / ``indicators`` (None: the same rows).
    """
    rules = scheme.eligibility
    n = len(scored)
    graded = scored["graded"].to_numpy(dtype=bool)
    score = scored["score"].to_numpy(dtype=float)
    departed = np.zeros(n, dtype=bool)
    if rules.departed == "ungraded" and "closed" in register.columns and last_day is not None:
        closed = pd.to_datetime(pd.Series(_take(register["closed"], reg_rows)),
                                errors="coerce")
        departed = (closed.dt.normalize() <= pd.Timestamp(last_day)).to_numpy(bool)
    exposure = (np.asarray(_take(indicators["exposure_months"], ind_rows), dtype=float)
                if "exposure_months" in indicators.columns else np.full(n, np.nan))
    short = graded & ~departed & (exposure < rules.min_exposure_months)
    scored["provisional_score"] = np.where(short, score, np.nan)
    scored["provisional"] = short
    drop = departed | short
    if drop.any():
        remaining = graded & ~drop
        scored["score"] = np.where(drop, np.nan, score)
        scored["graded"] = remaining
        codes, texts = codes_of(scored["reason"])
        codes = np.where(short, len(texts), np.where(departed, len(texts) + 1, codes))
        scored["reason"] = text_categorical(codes, [*texts, SHORT_HISTORY, DEPARTED])
        # ranks of the remaining customers are 1..n without gaps, in the order they had:
        # taking customers out of a ranking keeps the order of the others (no new sort)
        rank = scored["rank"].to_numpy(dtype=np.int64, na_value=0)
        order = np.empty(int(graded.sum()), dtype=np.int64)
        order[rank[graded] - 1] = np.flatnonzero(graded)
        kept = order[remaining[order]]
        new_rank = np.zeros(n, dtype=np.int64)
        new_rank[kept] = np.arange(1, kept.size + 1)
        scored["rank"] = pd.arrays.IntegerArray(new_rank, ~remaining)


def _with_importance_level(indicators: pd.DataFrame, register: pd.DataFrame,
                           scheme: Scheme) -> pd.DataFrame:
    """``indicators`` with the ``importance_level`` column when the scheme gives levels.

    The level of a customer is ``scheme.importance.levels`` of its register grade (spaces
    stripped); no grade or a grade not listed is 0.  Without levels the frame is returned
    as it is.

    Raises
    ------
    custvalue.errors.InputError
        The scheme scores the level but the register has no importance column.

    Examples
    --------
    >>> s = Scheme.default().to_dict()
    >>> s["importance"] = {"levels": {"特级": 1.0, "一级": 0.5}}
    >>> reg = pd.DataFrame({"importance": ["一级", None, "医院"]},
    ...                    index=pd.Index(["a", "b", "c"], name="customer_id"))
    >>> ind = pd.DataFrame(index=reg.index)
    >>> _with_importance_level(ind, reg, Scheme.from_dict(s))["importance_level"].tolist()
    [0.5, 0.0, 0.0]
    """
    rules = scheme.importance
    if not rules.levels:
        return indicators
    if rules.column not in register.columns:
        if IMPORTANCE_LEVEL not in scheme.columns:
            return indicators
        raise InputError("customers", rules.column, "the scheme scores importance_level "
                         "from this register column, which the register lacks",
                         fix=f"add the column {rules.column!r} (the customer's importance "
                         "grade, empty for none) or remove the indicator from the scheme")
    grade = register[rules.column].reindex(indicators.index).astype("string").str.strip()
    level = grade.map(rules.levels).astype("Float64").fillna(0.0).astype(float)
    return indicators.assign(**{IMPORTANCE_LEVEL: level.to_numpy()})


def _importance_floors(register: pd.DataFrame, scores: pd.Series,
                       scheme: Scheme) -> pd.DataFrame:
    """Per graded customer with a floored importance grade: its floor ``tier`` and ``reason``.

    Empty when the scheme has no floors or the register no importance column.
    """
    rules = scheme.importance
    empty = pd.DataFrame({"tier": pd.Series(dtype=float), "reason": pd.Series(dtype=object)})
    empty.index.name = "customer_id"
    if not rules.floors or rules.column not in register.columns:
        return empty
    grade = register[rules.column].reindex(scores.index).astype("string").str.strip()
    floor = grade.map(rules.floors).astype("Float64")
    keep = floor.notna() & scores.notna()
    if not keep.any():
        return empty
    out = pd.DataFrame({"tier": floor[keep].astype(float)})
    out["reason"] = ("important power user " + grade[keep].astype(str) + ": floor tier "
                     + out["tier"].astype(int).astype(str))
    out.index.name = "customer_id"
    return out


def _provisional_tiers(provisional: pd.Series, score: pd.Series, tier: pd.Series,
                       n_tiers: int, by: pd.Series | None = None) -> pd.Series:
    """The tier a provisional score would reach against the graded customers' cut scores.

    The cut score of a tier is the lowest score placed in it; a provisional score reaches the
    best tier whose cut score it equals or exceeds, else the last tier.  With ``by``
    (strata) the cut scores of the customer's stratum are used.

    Examples
    --------
    >>> s = pd.Series([90.0, 70.0, 50.0, 10.0, None, None])
    >>> t = pd.Series([0, 1, 2, 3, None, None], dtype="Int64")
    >>> p = pd.Series([None, None, None, None, 60.0, 5.0])
    >>> _provisional_tiers(p, s, t, 4).tolist()
    [<NA>, <NA>, <NA>, <NA>, 2, 3]
    """
    p = provisional.to_numpy(dtype=float, na_value=np.nan)
    s = score.to_numpy(dtype=float, na_value=np.nan)
    t = tier.to_numpy(dtype=np.int64, na_value=-1)
    out = np.full(p.size, -1, dtype=np.int64)
    want_any = ~np.isnan(p)
    if want_any.any():
        groups = [np.ones(p.size, dtype=bool)] if by is None else [
            (by == g).to_numpy(dtype=bool) for g in pd.unique(by.dropna())]
        for member in groups:  # a loop over strata, not customers
            want = member & want_any
            if not want.any():
                continue
            cuts = np.full(n_tiers, np.inf)
            for k in range(n_tiers):  # a loop over tiers
                inside = s[member & (t == k)]
                if inside.size:
                    cuts[k] = inside.min()
            reach = p[want, None] >= cuts[None, :]
            out[want] = np.where(reach.any(axis=1), reach.argmax(axis=1), n_tiers - 1)
    return pd.Series(pd.arrays.IntegerArray(np.maximum(out, 0), out < 0),
                     index=provisional.index)


def _percentile_kernel(score: np.ndarray, rank: np.ndarray | None = None) -> np.ndarray:
    """Share of graded customers (score not NaN) with a strictly lower score, in percent.

    ``rank`` (1 = best, ties broken by position, 0 when ungraded: the table's ``rank`` of the
    same ``score``) gives the order without a sort.

    Examples
    --------
    >>> s = np.array([3.0, 1.0, np.nan, 3.0, 2.0])
    >>> _percentile_kernel(s).tolist()
    [50.0, 0.0, nan, 50.0, 25.0]
    >>> _percentile_kernel(s, np.array([1, 4, 0, 2, 3])).tolist()
    [50.0, 0.0, nan, 50.0, 25.0]
    """
    graded = ~np.isnan(score)
    n = int(graded.sum())
    if rank is None:
        from custvalue.scoring import rank_scores

        rank = rank_scores(score, RANK_DECIMALS)
    order = np.empty(n, dtype=np.int64)
    order[rank[graded] - 1] = np.flatnonzero(graded)  # best first
    ranked = score[order]
    # customers below a score: those after the last one with the same score
    last = np.ones(n, dtype=bool)
    last[:-1] = ranked[1:] != ranked[:-1]
    end = np.where(last, np.arange(n), n)
    end = np.minimum.accumulate(end[::-1])[::-1]
    out = np.full(score.size, np.nan)
    out[order] = 100.0 * (n - 1 - end) / max(n, 1)
    return out


def _to_indexed_pandas(frame: Any) -> pd.DataFrame:
    """Indicator output of any backend as pandas indexed by customer_id."""
    import narwhals as nw

    if isinstance(frame, pd.DataFrame):
        out = frame
    else:
        nw_frame = nw.from_native(frame)
        if isinstance(nw_frame, nw.LazyFrame):
            native = nw.to_native(nw_frame)
            # a polars plan is collected by the streaming engine (bounded memory)
            nw_frame = (nw.from_native(native.collect(engine="streaming"))
                        if hasattr(native, "collect") and "polars" in type(native).__module__
                        else nw_frame.collect())
        out = nw_frame.to_pandas()
        out.attrs = getattr(frame, "attrs", {})
    if "customer_id" in out.columns:
        attrs = out.attrs
        out = out.set_index("customer_id")
        out.attrs = attrs
    return out


def _version() -> str:
    from custvalue import __version__

    return __version__
