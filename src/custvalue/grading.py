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

import html
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from custvalue.checks import CheckOptions, CheckReport, check_tables
from custvalue.errors import InputError, InvalidValueError
from custvalue.io import TableSource, read_table
from custvalue.manifest import Manifest, fingerprint
from custvalue.scoring import Scheme
from custvalue.scoring.aggregate import RANK_DECIMALS

if TYPE_CHECKING:  # the indicator stage is imported when grade() runs (fast start-up)
    from custvalue.indicators import IndicatorParams

__all__ = ["REGISTER_COLUMNS", "Grading", "grade"]

#: Register columns carried into every grading table (for strata, profiles and reports).
REGISTER_COLUMNS = ("customer_class", "contract_kva", "voltage_kv", "industry", "region",
                    "opened", "closed")

#: Files of a saved grading.
GRADES_FILE, SCHEME_FILE, MANIFEST_FILE, CHECKS_FILE = (
    "grades.parquet", "scheme.json", "manifest.json", "checks.json")

ProgressCallback = Callable[[str], None]


@dataclass(eq=False)  # a DataFrame has no truth value: compare with equals()
class Grading:
    """The result of :func:`grade`: one row per register customer, the scheme, the manifest.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``customer_id`` (sorted); columns as in ``docs/architecture.md``:
        register columns, raw indicators and their ``reason__*``, ``norm__*``, ``dim__*``,
        ``score``, ``rank``, ``percentile``, ``tier``, ``tier_zh``, ``tier_en``, ``abc``,
        ``graded``, ``reason``, ``tier_note`` (why a tier differs from the plain quota
        cut, e.g. a shared tie); with pins, ``pinned`` / ``pin_reason`` / ``tier_unpinned``;
        with strata, ``stratum`` and ``rank_in_stratum`` (``rank`` stays the overall rank).
    scheme : Scheme
        The grading scheme used.
    manifest : Manifest
        Versions, input fingerprints, row counts, window, timings, creation time.
    findings : list of dict
        The input-check findings (``CheckReport.findings`` as plain data).
    """

    table: pd.DataFrame
    scheme: Scheme
    manifest: Manifest
    findings: list[dict[str, Any]] = field(default_factory=list)

    def equals(self, other: object) -> bool:
        """Same table (values, dtypes, order), scheme, manifest and findings.

        Examples
        --------
        >>> import custvalue
        >>> t = custvalue.samples.generate(60, months=24, seed=3)
        >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
        >>> g.equals(g), g.equals(None)
        (True, False)
        """
        return (isinstance(other, Grading) and self.table.equals(other.table)
                and self.scheme == other.scheme and self.manifest == other.manifest
                and self.findings == other.findings)

    # -- views ---------------------------------------------------------------------------
    @property
    def graded(self) -> pd.DataFrame:
        """The rows of graded customers only."""
        return self.table[self.table["graded"]]

    def summary(self) -> pd.DataFrame:
        """Count and share per tier, score range and the cut score below each tier.

        Returns
        -------
        pandas.DataFrame
            One row per tier (best first) and one ``ungraded`` row: ``tier``, ``label_zh``,
            ``label_en``, ``customers``, ``share`` (of all register customers),
            ``target_share`` (the quota), ``score_min``, ``score_max`` and ``cut_score``
            (the lowest score inside the tier, i.e. the score needed to reach it).
        """
        t = self.table
        tiers = self.scheme.tiers
        rows = []
        for k, (zh, en) in enumerate(zip(tiers.labels_zh, tiers.labels_en, strict=True)):
            scores = t.loc[t["tier"] == k, "score"]
            rows.append({
                "tier": str(k), "label_zh": zh, "label_en": en, "customers": len(scores),
                "target_share": tiers.quotas[k],
                "score_min": scores.min() if len(scores) else np.nan,
                "score_max": scores.max() if len(scores) else np.nan,
            })
        ungraded = int((~t["graded"]).sum())
        rows.append({"tier": "ungraded", "label_zh": "未评级", "label_en": "ungraded",
                     "customers": ungraded, "target_share": np.nan,
                     "score_min": np.nan, "score_max": np.nan})
        out = pd.DataFrame(rows)
        out.insert(4, "share", out["customers"] / max(len(t), 1))
        out["cut_score"] = out["score_min"]
        return out.set_index("tier")

    def explain(self, customer_id: str) -> Any:
        """Each indicator's contribution to one customer's score (see ``scoring.explain``)."""
        from custvalue.scoring import explain

        return explain(self.table, customer_id, self.scheme)

    def profile(self, by: str | None = None, top_k: int = 10) -> pd.DataFrame:
        """Profile of each tier (or stratum × tier); see :func:`custvalue.profile`.

        Examples
        --------
        >>> import custvalue
        >>> t = custvalue.samples.generate(200, months=36, seed=4)
        >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
        >>> int(g.profile()["customers"].sum()) == len(g.table)
        True
        """
        from custvalue.profiles import profile

        return profile(self.table, by=by, top_k=top_k)

    def services(self, catalogue: Any = None) -> pd.DataFrame:
        """Each customer's service entitlements; see :func:`custvalue.entitlements`.

        Parameters
        ----------
        catalogue : Catalogue, optional
            Tier → services mapping (default: the catalogue shipped with the package).
        """
        from custvalue.services import entitlements

        return entitlements(self.table, catalogue)

    def validate(self, method: str = "kmeans", k: Any = 4, features: str = "indicators",
                 seed: int = 0, **options: Any) -> Any:
        """Check the tiers against a clustering; see :func:`custvalue.validate_tiers`.

        Returns
        -------
        TierValidation
        """
        from custvalue.validation import validate_tiers

        return validate_tiers(self, method=method, k=k, features=features, seed=seed,
                              **options)

    def stability(self, draws: int = 1000, concentration: float = 100.0, seed: int = 0,
                  **options: Any) -> Any:
        """Tier robustness under random weights; see :func:`custvalue.tier_stability`.

        Returns
        -------
        TierStability
        """
        from custvalue.validation import tier_stability

        return tier_stability(self, draws=draws, concentration=concentration, seed=seed,
                              **options)

    # -- persistence -----------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write the grading to ``folder``: Parquet table + JSON scheme, manifest, findings.

        The same grading always gives byte-identical ``grades.parquet``.
        """
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        frame = self.table.reset_index()
        frame.to_parquet(out / GRADES_FILE, index=False, compression="zstd")
        (out / SCHEME_FILE).write_text(self.scheme.to_json(), encoding="utf-8")
        (out / MANIFEST_FILE).write_text(self.manifest.model_dump_json(indent=2),
                                         encoding="utf-8")
        (out / CHECKS_FILE).write_text(json.dumps(self.findings, indent=2, default=str,
                                                  ensure_ascii=False), encoding="utf-8")
        return out

    @classmethod
    def load(cls, folder: str | Path) -> Grading:
        """Read a grading written by :meth:`save`; the round trip is exact."""
        base = Path(folder)
        missing = [f for f in (GRADES_FILE, SCHEME_FILE, MANIFEST_FILE)
                   if not (base / f).exists()]
        if missing:
            raise InputError("grading", None, f"{base} is not a saved grading "
                             f"(missing {', '.join(missing)})",
                             fix="pass the folder written by `custvalue grade --out`")
        table = pd.read_parquet(base / GRADES_FILE).set_index("customer_id")
        scheme = Scheme.from_json(base / SCHEME_FILE)
        manifest = Manifest.model_validate_json((base / MANIFEST_FILE).read_text("utf-8"))
        findings_path = base / CHECKS_FILE
        findings = json.loads(findings_path.read_text("utf-8")) if findings_path.exists() else []
        return cls(table=table, scheme=scheme, manifest=manifest, findings=findings)

    # -- display -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        t = self.table
        window = self.manifest.window
        return (f"<Grading {len(t):,} customers, {int(t['graded'].sum()):,} graded, "
                f"window {window.get('start', '?')}…{window.get('end', '?')}, "
                f"scheme {self.manifest.scheme_hash[:12]}>")

    def summary_text(self) -> str:
        """The summary as aligned plain text (what ``summary.txt`` holds)."""
        from rich.cells import cell_len

        s = self.summary()
        lines = [repr(self), "",
                 f"{'tier':<9}{'label':<18}{'customers':>10}{'share':>8}{'target':>8}"
                 f"{'score min':>11}{'score max':>11}"]
        for tier, row in s.iterrows():
            target = "" if pd.isna(row["target_share"]) else f"{row['target_share']:.0%}"
            smin = "" if pd.isna(row["score_min"]) else f"{row['score_min']:.2f}"
            smax = "" if pd.isna(row["score_max"]) else f"{row['score_max']:.2f}"
            label = f"{row['label_zh']} {row['label_en']}"
            label += " " * max(18 - cell_len(label), 1)  # Chinese characters are 2 cells wide
            lines.append(f"{tier:<9}{label}{row['customers']:>10,}{row['share']:>8.1%}"
                         f"{target:>8}{smin:>11}{smax:>11}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        s = self.summary()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in
                       ("tier", "label", "customers", "share", "target", "score range"))
        body = []
        for tier, row in s.iterrows():
            rng = ("" if pd.isna(row["score_min"])
                   else f"{row['score_min']:.1f} – {row['score_max']:.1f}")
            target = "" if pd.isna(row["target_share"]) else f"{row['target_share']:.0%}"
            body.append(
                f"<tr><td>{html.escape(str(tier))}</td>"
                f"<td>{html.escape(row['label_zh'])} {html.escape(row['label_en'])}</td>"
                f"<td>{row['customers']:,}</td><td>{row['share']:.1%}</td>"
                f"<td>{target}</td><td>{rng}</td></tr>")
        return (f"<div><p><b>{html.escape(repr(self))}</b></p>"
                f"<table><tr>{head}</tr>{''.join(body)}</table></div>")


@contextmanager
def _timed(timings: dict[str, float], stage: str,
           progress: ProgressCallback | None) -> Iterator[None]:
    if progress is not None:
        progress(stage)
    start = time.perf_counter()
    yield
    timings[stage] = round(time.perf_counter() - start, 4)


def _register_frame(customers: TableSource, strata: str | None = None) -> pd.DataFrame:
    """The register as pandas indexed by customer_id (one row per customer, small).

    Keeps the contract's register columns and the ``strata`` column, which may be one of
    the utility's own (e.g. ``county``).
    """
    from custvalue.io import to_polars

    reg = to_polars(customers, "customers").to_pandas()
    reg["customer_id"] = reg["customer_id"].astype(str)
    cols = [c for c in dict.fromkeys([*REGISTER_COLUMNS, strata or ""]) if c in reg.columns]
    return reg.set_index("customer_id")[cols].sort_index()


_TREATMENTS = ("duplicates", "negative_energy")


def _agree_treatments(opts: CheckOptions,
                      params: Any) -> tuple[CheckOptions, IndicatorParams]:
    """One treatment of duplicates and negative energy for the checks and the indicators.

    Either side may name it (``duplicates="sum"`` or ``params=IndicatorParams(duplicates=
    "sum")``); the side left at the default ``"error"`` takes the other's.  Two different
    treatments are an error rather than a silent choice.
    """
    from custvalue.indicators import IndicatorParams

    ind = params if isinstance(params, IndicatorParams) else IndicatorParams.model_validate(
        dict(params or {}))
    agreed = {}
    for name in _TREATMENTS:
        given = {getattr(opts, name), getattr(ind, name)} - {"error"}
        if len(given) > 1:
            raise InvalidValueError(
                "options", name, f"the options say {getattr(opts, name)!r} but params say "
                f"{getattr(ind, name)!r}", fix=f"name the {name} treatment once")
        agreed[name] = given.pop() if given else "error"
    return opts.model_copy(update=agreed), ind.model_copy(update=agreed)


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
    window: Any = None,
    params: Any = None,
    check: bool = True,
    options: CheckOptions | None = None,
    progress: ProgressCallback | None = None,
    **option_overrides: Any,
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
    window, params :
        Passed to :func:`custvalue.indicators.compute_indicators`.  The treatments of
        duplicates and negative energy may be named here or as options (below); the
        checks and the indicators use the same one, and two different ones are an error.
    check : bool, default True
        Run :func:`custvalue.check_tables` first and stop on errors (strict).
    options : CheckOptions, optional
        Treatments of duplicates, negative energy, unknown customers; also given as
        keyword shortcuts (``duplicates="last"``, ``negative_energy="allow"`` ...).
    progress : callable, optional
        Called with the name of each stage as it starts.

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
    from custvalue.indicators import compute_indicators, resolve_window
    from custvalue.scoring import score as score_indicators
    from custvalue.tiers import abc_by_count, abc_by_value, apply_pins, assign_tiers

    if scheme is None:
        scheme = Scheme.default()
    elif not isinstance(scheme, Scheme):
        scheme = Scheme.load(scheme)
    opts, ind_params = _agree_treatments(CheckOptions.resolve(options, **option_overrides),
                                         params)
    timings: dict[str, float] = {}
    sources = {"customers": customers, "monthly": monthly, "events": events,
               "cooperation": cooperation, "energy": energy}
    given = {k: v for k, v in sources.items() if v is not None}

    findings: list[dict[str, Any]] = []
    row_counts: dict[str, int] = {}
    if check:
        with _timed(timings, "checks", progress):
            report: CheckReport = check_tables(**given, options=opts)
            findings = [f.model_dump(mode="json") for f in report.findings]
            row_counts.update(report.row_counts)
            report.raise_for_errors()

    register = _register_frame(customers, strata)  # small: one row per customer
    if strata and strata not in register.columns:  # before the expensive stages
        raise InputError("customers", strata, "no such register column to stratify by",
                         fix=f"add it to the register or use one of "
                         f"{', '.join(register.columns)}")

    with _timed(timings, "indicators", progress):
        # resolved here (one small query) so that the manifest has it whatever the engine
        window_used = resolve_window(read_table(monthly, "monthly"), window, ind_params)
        # the sources go in as given: paths are scanned lazily and collected by the
        # streaming engine inside compute_indicators (the in-memory engine needs ~8x the RAM)
        indicators = compute_indicators(**given, window=window_used, params=ind_params)
        indicators = _to_indexed_pandas(indicators)

    with _timed(timings, "scoring", progress):
        scored = score_indicators(indicators, scheme)

    with _timed(timings, "tiers", progress):
        # Tiers see the score at the precision ranks use (RANK_DECIMALS), so that rank order
        # and tier order agree when two scores differ only by floating-point noise.
        scores = scored["score"].where(scored["graded"]).round(RANK_DECIMALS)
        labels = list(zip(scheme.tiers.labels_zh, scheme.tiers.labels_en, strict=True))
        by = register.loc[scores.index, strata] if strata else None
        if pins is not None:
            pin_frame = pins if isinstance(pins, pd.DataFrame) else _to_indexed_pandas(
                read_table(pins, "pins")).reset_index()
            tiers = apply_pins(scores, pin_frame, scheme.tiers.quotas,
                               count_against_quota=pins_count_against_quota,
                               ties=scheme.tiers.ties, labels=labels, by=by)
        else:
            tiers = assign_tiers(scores, scheme.tiers.quotas, ties=scheme.tiers.ties,
                                 labels=labels, by=by)
        if strata:
            tiers = tiers.drop(columns=["rank_overall"]).rename(
                columns={"rank": "rank_in_stratum", "group": "stratum"})
        abc_cfg = scheme.abc
        basis = scores if abc_cfg.basis == "score" else indicators[abc_cfg.basis]
        basis = basis.where(scored["graded"])
        if abc_cfg.method == "count":
            abc = abc_by_count(basis, abc_cfg.quotas)
        else:
            abc = abc_by_value(basis, abc_cfg.cuts)
        abc = abc["abc"] if isinstance(abc, pd.DataFrame) else abc

    table = register.join(indicators.drop(columns=[c for c in REGISTER_COLUMNS
                                                   if c in indicators.columns]), how="left")
    score_cols = [c for c in scored.columns if c not in table.columns]
    table = table.join(scored[score_cols])
    table = table.join(tiers.drop(columns=[c for c in tiers.columns if c in table.columns]))
    table["percentile"] = _percentile(table["score"].round(RANK_DECIMALS))
    table["abc"] = abc.reindex(table.index)
    table = table.sort_index()

    row_counts["grading"] = len(table)
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
    )
    return Grading(table=table, scheme=scheme, manifest=manifest, findings=findings)


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
