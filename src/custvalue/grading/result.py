"""The grading: one row per register customer, the scheme and the manifest.

:class:`Grading` is what :func:`custvalue.grade` returns and what every later stage
(validation, regrade, analysis, presentation) takes.  It lives at the ground floor of the
package so that every consumer can type against it; its convenience methods
(:meth:`Grading.explain`, :meth:`Grading.validate` ...) import their stage when called.

Examples
--------
>>> import custvalue
>>> t = custvalue.samples.generate(60, months=24, seed=3)
>>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
>>> from custvalue.grading import SCHEMA_VERSION
>>> g.to_dict()["manifest"]["schema_version"] == SCHEMA_VERSION
True
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

from custvalue.errors import InputError
from custvalue.grading.columns import loaded_table, saved_table
from custvalue.grading.contract import (
    BOUNDS_FILE,
    CHECKS_FILE,
    GRADED,
    GRADES_FILE,
    MANIFEST_FILE,
    REQUIRED_FILES,
    SCHEME_FILE,
    UNGRADED,
    UNGRADED_LABELS,
)
from custvalue.grading.folder import verify_folder, write_folder
from custvalue.grading.manifest import Manifest
from custvalue.grading.protocol import Result, jsonable

if TYPE_CHECKING:
    from custvalue.analysis.plans import ImprovementPlans
    from custvalue.analysis.services import Catalogue
    from custvalue.scoring.explain import Explanation
    from custvalue.scoring.scheme import Scheme
    from custvalue.validation import TierStability, TierValidation
    from custvalue.validation.clustering import Features, Method

__all__ = ["Grading"]


@dataclass(eq=False)  # a DataFrame has no truth value: compare with equals()
class Grading(Result):
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
    bounds : pandas.DataFrame or None
        The normalisation bounds (and TOPSIS reference) fitted on the scored customers,
        one row per indicator (:func:`custvalue.scoring.bounds.bounds_table`): what the
        ``norm__*`` columns and the scores were made with, kept so that re-scoring its
        customers (improvement plans) does not fit again.  ``None`` for a grading saved
        before schema version 3 or built from a bare table; users of the bounds then
        refit them from the table's raw columns.
    """

    table: pd.DataFrame
    scheme: Scheme
    manifest: Manifest
    findings: list[dict[str, Any]] = field(default_factory=list)
    bounds: pd.DataFrame | None = None

    def equals(self, other: object) -> bool:
        """Same table (values, dtypes, order), scheme, manifest, findings and bounds.

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
                and self.findings == other.findings
                and _same_bounds(self.bounds, other.bounds))

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
            Indexed by ``tier`` (``Int64``): one row per tier (best first, 0 = 特级) and one
            row for the customers without a tier (``tier`` ``<NA>``).  Columns: ``status``
            (``graded`` / ``ungraded``, see the tier-key rule in ``docs/tiers.md``),
            ``tier_zh``, ``tier_en``, ``customers``, ``customer_share`` (of all register
            customers), ``target_share`` (the quota), ``score_min``, ``score_max`` and
            ``cut_score`` (the lowest score inside the tier, i.e. the score needed to
            reach it).

        Examples
        --------
        >>> import custvalue
        >>> t = custvalue.samples.generate(60, months=24, seed=3)
        >>> s = custvalue.grade(**t, duplicates="last", negative_energy="allow").summary()
        >>> s.index.dtype, s["status"].tolist()
        (Int64Dtype(), ['graded', 'graded', 'graded', 'graded', 'ungraded'])
        >>> s.loc[0, "tier_en"], int(s["customers"].sum()) == len(t["customers"])
        ('special', True)
        """
        t = self.table
        tiers = self.scheme.tiers
        rows = []
        for k, (zh, en) in enumerate(zip(tiers.labels_zh, tiers.labels_en, strict=True)):
            scores = t.loc[t["tier"] == k, "score"]
            rows.append({
                "tier": k, "status": GRADED, "tier_zh": zh, "tier_en": en,
                "customers": len(scores), "target_share": tiers.quotas[k],
                "score_min": scores.min() if len(scores) else np.nan,
                "score_max": scores.max() if len(scores) else np.nan,
            })
        ungraded = int((~t["graded"]).sum())
        rows.append({"tier": None, "status": UNGRADED, "tier_zh": UNGRADED_LABELS[0],
                     "tier_en": UNGRADED_LABELS[1], "customers": ungraded,
                     "target_share": np.nan, "score_min": np.nan, "score_max": np.nan})
        out = pd.DataFrame(rows)
        out["status"] = out["status"].astype("string")
        out.insert(5, "customer_share", out["customers"] / max(len(t), 1))
        out["cut_score"] = out["score_min"]
        out.index = pd.Index(pd.array(out.pop("tier").tolist(), dtype="Int64"), name="tier")
        return out

    def explain(self, customer_id: str) -> Explanation:
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
        from custvalue.analysis.profiles import profile

        return profile(self.table, by=by, top_k=top_k)

    def services(self, catalogue: Catalogue | None = None) -> pd.DataFrame:
        """Each customer's service entitlements by tier and ABC class (services, response,
        complaint floor, management action 优先发展 / 保持 / 限制或舍弃, cost recovery); see
        :func:`custvalue.entitlements`.

        Parameters
        ----------
        catalogue : Catalogue, optional
            Tier → services mapping (default: the catalogue shipped with the package).
        """
        from custvalue.analysis.services import entitlements

        return entitlements(self.table, catalogue)

    def improvement_plan(self, customer_id: str, target: int | None = None,
                         **options: Any) -> ImprovementPlans:
        """The smallest changes that lift one customer to ``target`` (default: a tier up).

        See :func:`custvalue.analysis.plans.improvement_plan`.

        Examples
        --------
        >>> import custvalue
        >>> t = custvalue.samples.generate(300, months=24, seed=5)
        >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
        >>> cid = g.table.index[g.table["tier"] == 3][0]
        >>> g.improvement_plan(cid, target=2).customers.loc[cid, "target"]
        np.int64(2)
        """
        from custvalue.analysis.plans import improvement_plan

        return improvement_plan(self, customer_id, target, **options)

    def improvement_plans(self, target: int | None = None, **options: Any) -> ImprovementPlans:
        """Plans for every customer of the worst tier (三级) at once; see
        :func:`custvalue.analysis.plans.improvement_plans`."""
        from custvalue.analysis.plans import improvement_plans

        return improvement_plans(self, target, **options)

    def validate(self, method: Method = "kmeans",
                 k: int | Literal["silhouette", "calinski_harabasz"] = 4,
                 features: Features = "indicators", seed: int = 0,
                 **options: Any) -> TierValidation:
        """Check the tiers against a clustering; see :func:`custvalue.validate_tiers`.

        Returns
        -------
        TierValidation
        """
        from custvalue.validation import validate_tiers

        return validate_tiers(self, method=method, k=k, features=features, seed=seed,
                              **options)

    def stability(self, draws: int = 1000, concentration: float = 100.0, seed: int = 0,
                  **options: Any) -> TierStability:
        """Tier robustness under random weights; see :func:`custvalue.tier_stability`.

        Returns
        -------
        TierStability
        """
        from custvalue.validation import tier_stability

        return tier_stability(self, draws=draws, concentration=concentration, seed=seed,
                              **options)

    def rescore(self, scheme: Scheme) -> Grading:
        """The grading under another scheme, from the raw indicators this table keeps.

        Nothing is read again: the register columns and the raw indicators of the table
        are scored, tiered and ABC-classified by the stages of :func:`custvalue.grade`
        (:func:`custvalue.pipeline.score_and_tier`), with this grading's pins (rows with a
        ``pin_reason``), ``strata`` and ``pins_count_against_quota`` options.  The result
        equals ``grade(...)`` with ``scheme`` on the same inputs.

        Parameters
        ----------
        scheme : Scheme
            The other scheme; it must read only indicator columns the table has.

        Returns
        -------
        Grading
            A new grading (this one is unchanged); its manifest is this one's with the new
            scheme hash and the timings of the stages run.

        Examples
        --------
        >>> import custvalue
        >>> t = custvalue.samples.generate(80, months=24, seed=4)
        >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
        >>> geo = custvalue.Scheme.from_dict({**g.scheme.to_dict(), "aggregation": "geometric"})
        >>> h = g.rescore(geo)
        >>> h.scheme.aggregation.method, len(h.table) == len(g.table)
        ('geometric', True)
        >>> bool(g.rescore(g.scheme).table.equals(g.table))
        True
        """
        from custvalue.grading.contract import REGISTER_COLUMNS
        from custvalue.pipeline import score_and_tier

        table = self.table
        options = dict(self.manifest.options or {}) if self.manifest is not None else {}
        strata = options.get("strata")
        first = next((i for i, c in enumerate(table.columns)
                      if c.startswith(("norm__", "dim__")) or c == "score"), len(table.columns))
        head = list(table.columns[:first])
        reg_cols = [c for c in dict.fromkeys([*REGISTER_COLUMNS, strata or ""]) if c in head]
        register = table[reg_cols]
        scored = table["graded"].notna() if "graded" in table.columns else table["score"].notna()
        indicators = table.loc[scored, [c for c in head if c not in reg_cols]]
        pins = None
        if "pin_reason" in table.columns and table["pin_reason"].notna().any():
            pinned = table[table["pin_reason"].notna()]
            pins = pd.DataFrame({"customer_id": pinned.index.astype(str),
                                 "tier": pinned["tier"].astype("int64").to_numpy(),
                                 "reason": pinned["pin_reason"].to_numpy()})
        timings: dict[str, float] = {}
        end = (self.manifest.window or {}).get("end") if self.manifest is not None else None
        last_day = pd.Period(str(end), freq="M").end_time.normalize() if end else None
        fitted: dict[str, Any] = {}
        new, _ = score_and_tier(
            indicators, register, scheme, pins=pins, strata=strata, timings=timings,
            window_last_day=last_day, fitted=fitted,
            pins_count_against_quota=bool(options.get("pins_count_against_quota", True)))
        manifest = self.manifest.model_copy(update={
            "scheme_hash": scheme.hash(), "timings": timings}) if self.manifest is not None \
            else None
        return Grading(table=new, scheme=scheme, manifest=manifest, findings=self.findings,
                       bounds=fitted.get("bounds"))


    # -- construction and the result protocol --------------------------------------------------
    @classmethod
    def from_table(cls, table: pd.DataFrame, scheme: Scheme,
                   manifest: Manifest | None = None,
                   bounds: pd.DataFrame | None = None) -> Grading:
        """A grading around an existing table (e.g. one edited in a notebook).

        The manifest, when not given, records only the scheme hash and the row count;
        ``bounds`` are the fitted bounds the table was scored with, if known.
        """
        from custvalue import __version__

        manifest = manifest or Manifest(package_version=__version__,
                                        scheme_hash=scheme.hash(),
                                        row_counts={"grading": len(table)})
        return cls(table=table, scheme=scheme, manifest=manifest, bounds=bounds)

    def with_scheme(self, scheme: Scheme) -> Grading:
        """The same table under another scheme object (nothing is re-scored).

        The fitted bounds are kept; a user of them checks them against the scheme it is
        given (and refits when they were fitted with other settings).
        """
        return Grading(table=self.table, scheme=scheme, manifest=self.manifest,
                       findings=self.findings, bounds=self.bounds)

    def to_frame(self) -> pd.DataFrame:
        """The grading table (one row per register customer)."""
        return self.table

    def to_dict(self) -> dict[str, Any]:
        """Summary, scheme, manifest and findings as plain data (JSON-serialisable).

        The per-customer table is not included (see :meth:`to_frame` or :meth:`save`).
        """
        summary = self.summary().reset_index()
        return jsonable({"summary": summary.to_dict(orient="records"),
                         "scheme": self.scheme.to_dict(),
                         "manifest": self.manifest.model_dump(mode="json"),
                         "findings": self.findings})

    def headline(self) -> str:
        """One line: customers, graded, window, scheme."""
        return repr(self)

    def to_text(self) -> str:
        """The summary as aligned text (what ``summary.txt`` holds)."""
        return self.summary_text()

    def to_html(self) -> str:
        """The summary as an HTML table (the notebook display)."""
        return self._summary_html()

    # -- persistence -----------------------------------------------------------------------
    def save(self, folder: str | Path, *, extra: dict[str, bytes] | None = None,
             force: bool = False) -> Path:
        """Write the grading to ``folder``: Parquet table + JSON scheme, manifest, findings.

        The same grading always gives byte-identical ``grades.parquet``; the Parquet file
        carries the output schema version in its metadata (``custvalue.schema_version``).
        The folder is written whole or not at all (:func:`custvalue.grading.folder.
        write_folder`: a temporary folder swapped in by one rename, a lock against a second
        writer, ``checksums.json`` with the SHA-256 of every file, files of an earlier run
        removed); ``extra`` adds files (the CLI's ``grades.csv`` and ``summary.txt``).
        The fitted bounds, when known, go to ``bounds.json`` (one record per indicator,
        floats written exactly).  A non-empty folder that is not a grading is refused
        unless ``force``.
        """
        files = {
            GRADES_FILE: self.parquet_bytes(),
            SCHEME_FILE: self.scheme.to_json().encode("utf-8"),
            MANIFEST_FILE: self.manifest.model_dump_json(indent=2).encode("utf-8"),
            CHECKS_FILE: json.dumps(self.findings, indent=2, default=str,
                                    ensure_ascii=False).encode("utf-8"),
            **({BOUNDS_FILE: _bounds_json(self.bounds)} if self.bounds is not None else {}),
            **(extra or {}),
        }
        return write_folder(folder, files, force=force)

    def to_database(self, uri: str, *, table: str = "custvalue_grades",
                    runs_table: str = "custvalue_runs", run_id: str | None = None) -> str:
        """Write the grades to a database table and the manifest to a runs table.

        One row per customer (with a leading ``run_id``) in ``table``, one row per run in
        ``runs_table``; writing a run id again replaces that run in one transaction.  The
        default run id is the window's last month and the scheme hash's first 12 digits.
        See :func:`custvalue.inputs.database.write_grades` (this method imports it).

        Returns
        -------
        str
            The run id.

        Examples
        --------
        >>> import custvalue, tempfile, pathlib
        >>> t = custvalue.samples.generate(40, months=24, seed=1)
        >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
        >>> uri = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'grades.db'}"
        >>> g.to_database(uri, run_id="2024-demo")
        '2024-demo'
        """
        from custvalue.inputs.database import write_grades

        return write_grades(self, uri, table=table, runs_table=runs_table, run_id=run_id)

    def parquet_bytes(self) -> bytes:
        """The table as Parquet (zstd), with the schema version in the file metadata."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        # the categorical text columns are written as text (schema version 2): the same
        # bytes as before they were categorical in memory
        arrow = pa.Table.from_pandas(saved_table(self.table).reset_index(),
                                     preserve_index=False)
        meta = dict(arrow.schema.metadata or {})
        meta[b"custvalue.schema_version"] = str(self.manifest.schema_version).encode()
        arrow = arrow.replace_schema_metadata(meta)
        sink = pa.BufferOutputStream()
        pq.write_table(arrow, sink, compression="zstd")
        return bytes(sink.getvalue().to_pybytes())

    @classmethod
    def load(cls, folder: str | Path) -> Grading:
        """Read a grading written by :meth:`save`; the round trip is exact.

        A folder without ``bounds.json`` (saved before schema version 3) loads with
        ``bounds=None``.
        The text columns that :func:`custvalue.grade` makes categorical (``reason``,
        ``tier_zh``, ``tier_en``, ``tier_note``) are saved as text and made categorical
        again here, so files written before they were categorical load the same way.
        """
        base = Path(folder)
        missing = [f for f in REQUIRED_FILES
                   if not (base / f).exists()]
        if missing:
            raise InputError("grading", None, f"{base} is not a saved grading "
                             f"(missing {', '.join(missing)})",
                             fix="pass the folder written by `custvalue grade --out`")
        from custvalue.scoring.scheme import Scheme

        verify_folder(base)
        current = GRADES_FILE
        try:
            table = pd.read_parquet(base / GRADES_FILE).set_index("customer_id")
            current = SCHEME_FILE
            scheme = Scheme.from_json(base / SCHEME_FILE)
            table = loaded_table(table, (scheme.tiers.labels_zh, scheme.tiers.labels_en))
            current = MANIFEST_FILE
            manifest = Manifest.model_validate_json((base / MANIFEST_FILE).read_text("utf-8"))
            current = CHECKS_FILE
            findings_path = base / CHECKS_FILE
            findings = (json.loads(findings_path.read_text("utf-8")) if findings_path.exists()
                        else [])
            current = BOUNDS_FILE
            bounds_path = base / BOUNDS_FILE
            bounds = (_bounds_from_json(bounds_path.read_text("utf-8"))
                      if bounds_path.exists() else None)
        except InputError:
            raise
        except Exception as exc:  # pyarrow, pydantic, JSON: a damaged file
            raise InputError("grading", current, f"not a valid grading: {base / current} "
                             f"cannot be read ({type(exc).__name__}: {exc})",
                             fix="grade again, or restore the folder from a snapshot") from None
        return cls(table=table, scheme=scheme, manifest=manifest, findings=findings,
                   bounds=bounds)

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
            key = row["status"] if pd.isna(cast(Any, tier)) else str(tier)  # display only
            target = "" if pd.isna(row["target_share"]) else f"{row['target_share']:.0%}"
            smin = "" if pd.isna(row["score_min"]) else f"{row['score_min']:.2f}"
            smax = "" if pd.isna(row["score_max"]) else f"{row['score_max']:.2f}"
            label = f"{row['tier_zh']} {row['tier_en']}"
            label += " " * max(18 - cell_len(label), 1)  # Chinese characters are 2 cells wide
            lines.append(f"{key:<9}{label}{row['customers']:>10,}"
                         f"{row['customer_share']:>8.1%}{target:>8}{smin:>11}{smax:>11}")
        return "\n".join(lines)

    def _summary_html(self) -> str:
        s = self.summary()
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in
                       ("tier", "label", "customers", "share", "target", "score range"))
        body = []
        for tier, row in s.iterrows():
            key = row["status"] if pd.isna(cast(Any, tier)) else str(tier)  # display only
            rng = ("" if pd.isna(row["score_min"])
                   else f"{row['score_min']:.1f} – {row['score_max']:.1f}")
            target = "" if pd.isna(row["target_share"]) else f"{row['target_share']:.0%}"
            body.append(
                f"<tr><td>{html.escape(key)}</td>"
                f"<td>{html.escape(row['tier_zh'])} {html.escape(row['tier_en'])}</td>"
                f"<td>{row['customers']:,}</td><td>{row['customer_share']:.1%}</td>"
                f"<td>{target}</td><td>{rng}</td></tr>")
        return (f"<div><p><b>{html.escape(repr(self))}</b></p>"
                f"<table><tr>{head}</tr>{''.join(body)}</table></div>")


def _same_bounds(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a.equals(b))


def _bounds_json(bounds: pd.DataFrame) -> bytes:
    """The bounds table as JSON: ``{"indicators": [record, ...]}``, NaN as null."""
    records = [{str(k): (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in row.items()}
               for row in bounds.reset_index().to_dict(orient="records")]
    return (json.dumps({"indicators": records}, indent=2, ensure_ascii=False,
                       allow_nan=False) + "\n").encode("utf-8")


def _bounds_from_json(text: str) -> pd.DataFrame:
    """The bounds table read back from :func:`_bounds_json` (standard dtypes)."""
    from custvalue.scoring.bounds import standard_bounds

    records = json.loads(text)["indicators"]
    return standard_bounds(pd.DataFrame.from_records(records))
