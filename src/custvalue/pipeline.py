"""The end-to-end grade: input tables → indicators → scores → tiers → :class:`Grading`.

:func:`grade` runs the whole pipeline and returns a :class:`Grading`, which holds one row
per register customer (graded or with a reason), the scheme, and a :class:`Manifest`.
A grading saves to a folder (``grades.parquet`` + ``scheme.json`` + ``manifest.json`` +
``checks.json``) and loads back exactly.

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
from contextlib import contextmanager
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
from custvalue.inputs.checks import CheckOptions, CheckReport, OptionOverrides, check_tables
from custvalue.inputs.io import (
    TableSource,
    read_table,
    scan_raw,
    scan_typed,
    type_plan,
)
from custvalue.scoring.scheme import Scheme

if TYPE_CHECKING:  # the indicator stage is imported when grade() runs (fast start-up)
    from custvalue.indicators import IndicatorParams, WindowLike
    from custvalue.inputs.mapping import Mapping as ColumnMapping

__all__ = ["Grading", "grade", "score_and_tier"]

ProgressCallback = Callable[[str], None]

logger = logging.getLogger(__name__)


@contextmanager
def _timed(timings: dict[str, float], stage: str,
           progress: ProgressCallback | None) -> Iterator[None]:
    if progress is not None:
        progress(stage)
    logger.debug("grade: stage %s started", stage)
    start = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - start, 4)
    logger.info("grade: stage %s took %.4f s", stage, timings[stage])


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
    customers, monthly : frame or path
        The register and the monthly billing/metering records (required).
    events, cooperation, energy : frame or path, optional
        The other tables of the data contract.
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
    from custvalue.indicators import (
        IndicatorParams,
        compute_indicators,
        input_treatments,
        resolve_window,
    )

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
    from custvalue.inputs.mapping import as_mapping

    raw = _read_once(given, as_mapping(mapping), encoding, sheet)
    findings: list[dict[str, Any]] = []
    row_counts: dict[str, int] = {}
    if check:
        with _timed(timings, "checks", progress):
            report: CheckReport = check_tables(**raw, options=opts)
            findings = [f.model_dump(mode="json") for f in report.findings]
            row_counts.update(report.row_counts)
            report.raise_for_errors()

    typed = {k: _typed(v, k) for k, v in raw.items()}
    register = _register_frame(typed["customers"], strata)  # small: one row per customer
    if strata and strata not in register.columns:  # before the expensive stages
        raise InputError("customers", strata, "no such register column to stratify by",
                         fix=f"add it to the register or use one of "
                         f"{', '.join(register.columns)}")

    with _timed(timings, "indicators", progress):
        # resolved here (one small query) so that the manifest has it whatever the engine
        window_used = resolve_window(typed["monthly"], window, ind_params)
        # the typed plans go in: they are collected by the streaming engine inside
        # compute_indicators (the in-memory engine needs ~8x the RAM)
        indicators = compute_indicators(**typed, window=window_used, params=ind_params,
                                        options=opts)
        indicators = _to_indexed_pandas(indicators)  # the one collect: a row per customer
        _release(typed)
        findings += _not_assessable(indicators, scheme)

    table, tiers = score_and_tier(indicators, register, scheme, pins=pins,
                                  pins_count_against_quota=pins_count_against_quota,
                                  strata=strata, timings=timings, progress=progress,
                                  window_last_day=window_used.last_day)
    row_counts["grading"] = len(table)
    logger.info("grade: %d customers, %d graded, in %.3f s", len(table),
                int(table["graded"].sum()), sum(timings.values()))
    manifest = Manifest(
        package_version=_version(),
        scheme_hash=scheme.hash(),
        inputs={k: fingerprint(v) for k, v in given.items()},
        row_counts=row_counts,
        window=window_used.to_dict(),
        options={**opts.model_dump(mode="json"), "strata": strata,
                 "pins": int(tiers["pinned"].sum()) if "pinned" in tiers else 0,
                 "pins_count_against_quota": pins_count_against_quota, "check": check},
        timings=timings,
        schema_version=SCHEMA_VERSION,
    )
    return Grading(table=table, scheme=scheme, manifest=manifest, findings=findings)


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

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The grading table (sorted by ``customer_id``) and the tier frame.
    """
    from custvalue.scoring import score as score_indicators
    from custvalue.tiers import abc_by_count, abc_by_value, apply_pins, assign_tiers

    timings = {} if timings is None else timings
    with _timed(timings, "scoring", progress):
        scored = score_indicators(indicators, scheme)
        scored = _eligibility(scored, register, indicators, window_last_day, scheme)

    with _timed(timings, "tiers", progress):
        # Tiers see the score at the precision ranks use (RANK_DECIMALS), so that rank order
        # and tier order agree when two scores differ only by floating-point noise.
        scores = scored["score"].where(scored["graded"]).round(RANK_DECIMALS)
        labels = list(zip(scheme.tiers.labels_zh, scheme.tiers.labels_en, strict=True))
        by = register.loc[scores.index, strata] if strata else None
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
        basis = scores if abc_cfg.basis == "score" else indicators[abc_cfg.basis]
        basis = basis.where(scored["graded"])
        if abc_cfg.method == "count":
            abc_out: pd.Series | pd.DataFrame = abc_by_count(basis, abc_cfg.quotas)
        else:
            abc_out = abc_by_value(basis, abc_cfg.cuts)
        abc = abc_out["abc"] if isinstance(abc_out, pd.DataFrame) else abc_out

    table = register.join(indicators.drop(columns=[c for c in REGISTER_COLUMNS
                                                   if c in indicators.columns]), how="left")
    score_cols = [c for c in scored.columns if c not in table.columns]
    table = table.join(scored[score_cols])
    table = table.join(tiers.drop(columns=[c for c in tiers.columns if c in table.columns]))
    if "provisional_score" in table.columns:
        table["provisional_tier"] = _provisional_tiers(
            table["provisional_score"].round(RANK_DECIMALS), table["score"].round(RANK_DECIMALS),
            table["tier"], len(scheme.tiers.quotas), table[strata] if strata else None)
    table["percentile"] = _percentile(table["score"].round(RANK_DECIMALS))
    table["abc"] = abc.reindex(table.index)
    table = table.sort_index()
    return table, tiers


def _native_engine(source: Any) -> bool:
    """A DuckDB or Spark frame: graded on its own engine, not read into polars."""
    from custvalue.inputs.engines import engine_of

    return engine_of(source) != "polars"


def _typed(source: Any, table: str) -> Any:
    """A table typed by the one parser for the indicators, on its engine: a polars plan,
    or a DuckDB / Spark frame (:func:`custvalue.inputs.engines.type_native`, held on the
    engine while the indicators run their queries)."""
    if isinstance(source, pl.LazyFrame):
        return type_plan(source, table)
    if _native_engine(source):
        from custvalue.inputs.engines import hold, type_native

        return hold(type_native(source, table))
    return source


def _release(typed: dict[str, Any]) -> None:
    """Free what the engines held for the indicators (Spark: persisted typed tables)."""
    from custvalue.inputs.engines import release

    for frame in typed.values():
        if _native_engine(frame):
            release(frame)


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


def _not_assessable(indicators: pd.DataFrame, scheme: Scheme) -> list[dict[str, Any]]:
    """A warning finding (and a Python warning) for each scheme indicator with no value.

    An indicator that is missing for every customer usually means that the inputs do not
    reach a rule (e.g. class names the power-factor rules do not know: every customer
    ``not_applicable``).  Its weight would be re-spread silently; instead the grading
    records a ``warning`` finding (``code = "indicator_not_assessable"``) and
    :mod:`warnings` shows it (the CLI prints it).  Indicators missing only because a table
    or the optional ``replaceable_tce`` column was not given are left out.
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
        finding = Finding(
            table="indicators", column=col, code="indicator_not_assessable",
            severity="warning",
            message=f"{col} is missing for every customer ({listed}); its weight is "
                    "re-spread to the other indicators",
            count=len(indicators),
            treatment="graded without it",
            fix="check the register values its rules key on (customer_class, contract_kva, "
                "voltage_kv) and the input mapping of local class names")
        warnings.warn(str(finding), UserWarning, stacklevel=3)
        out.append(finding.model_dump(mode="json"))
    return out


def _eligibility(scored: pd.DataFrame, register: pd.DataFrame, indicators: pd.DataFrame,
                 last_day: dt.date | str | None, scheme: Scheme) -> pd.DataFrame:
    """Take departed accounts and short histories out of the quotas (``scheme.eligibility``).

    A customer whose register ``closed`` is on or before the window's last day becomes
    ungraded with the reason :data:`~custvalue.grading.DEPARTED` (unless
    ``eligibility.departed == "graded"``).  A graded customer with fewer than
    ``eligibility.min_exposure_months`` months of exposure becomes ungraded with the reason
    :data:`~custvalue.grading.SHORT_HISTORY`; its score moves to ``provisional_score`` and
    ``provisional`` is True.  Both keep their indicators and dimension scores.
    """
    rules = scheme.eligibility
    out = scored.copy()
    graded = out["graded"].to_numpy(dtype=bool)
    departed = np.zeros(len(out), dtype=bool)
    if rules.departed == "ungraded" and "closed" in register.columns and last_day is not None:
        closed = pd.to_datetime(register["closed"].reindex(out.index), errors="coerce")
        departed = (closed.dt.normalize() <= pd.Timestamp(last_day)).to_numpy(bool)
    exposure = indicators["exposure_months"].reindex(out.index) \
        if "exposure_months" in indicators.columns else pd.Series(np.nan, index=out.index)
    short = (graded & ~departed
             & (exposure.to_numpy(dtype=float) < rules.min_exposure_months))
    out["provisional_score"] = out["score"].where(short)
    out["provisional"] = pd.Series(short, index=out.index)
    drop = departed | short
    if drop.any():
        out.loc[drop, "score"] = np.nan
        out["rank"] = out["rank"].mask(pd.Series(drop, index=out.index))
        out["graded"] = pd.Series(graded & ~drop, index=out.index)
        reason = out["reason"].copy()
        reason[short] = SHORT_HISTORY
        reason[departed] = DEPARTED
        out["reason"] = pd.Series(reason.tolist(), index=out.index)  # dtype as the scorer
        # ranks of the remaining customers are 1..n without gaps
        remaining = out["score"].round(RANK_DECIMALS)
        from custvalue.scoring import rank_scores

        out["rank"] = pd.Series(rank_scores(remaining.to_numpy()), index=out.index).astype(
            "Int64").mask(~out["graded"])
    return out


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
    out = pd.Series(pd.NA, index=provisional.index, dtype="Int64")
    groups = [(None, np.ones(len(score), dtype=bool))] if by is None else [
        (g, (by == g).to_numpy()) for g in pd.unique(by.dropna())]
    for _, member in groups:
        graded = member & tier.notna().to_numpy()
        cuts = np.full(n_tiers, np.inf)
        if graded.any():
            mins = score[graded].groupby(tier[graded].astype(int)).min()
            cuts[mins.index.to_numpy()] = mins.to_numpy()
        p = provisional.to_numpy(dtype=float)
        want = member & ~np.isnan(p)
        if not want.any():
            continue
        reach = p[want, None] >= cuts[None, :]
        best = np.where(reach.any(axis=1), reach.argmax(axis=1), n_tiers - 1)
        out[want] = best
    return out


def _percentile(score: pd.Series) -> pd.Series:
    """Share of graded customers with a strictly lower score, in percent."""
    graded = score.dropna()
    values = np.sort(graded.to_numpy())
    below = np.searchsorted(values, score.to_numpy(), side="left").astype(float)
    out = pd.Series(100.0 * below / max(len(values), 1), index=score.index)
    return out.where(score.notna())


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
