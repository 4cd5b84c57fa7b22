"""One converter from anything that stands for a grading to the grading's table or object.

Every consumer of a grading (validation, regrade, analysis, plots, report, objective
weights) accepts a :class:`~custvalue.grading.Grading`, its table (a pandas DataFrame) or
the folder of a saved grading, and turns it into what it needs here, so that "a grading"
is checked the same way everywhere: :func:`grading_table` for the table alone,
:func:`as_grading` where the scheme is needed too, :func:`grading_scheme` where a scheme
helps but is not required.  An object that merely *looks* like a grading (a ``.table``
DataFrame and a ``.scheme``, e.g. a stand-in in a test or a user's own container) is read
the same way as a :class:`Grading`, here and nowhere else.

Examples
--------
>>> t = grading_table(pd.DataFrame({"customer_id": ["b", "a"], "tier": [1, None]}))
>>> t.index.tolist(), t["tier"].tolist()
(['a', 'b'], [<NA>, 1])
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

from custvalue.errors import (
    ColumnTypeError,
    DuplicateRowsError,
    InputError,
    InvalidValueError,
    MissingColumnError,
    UnsupportedInputError,
)
from custvalue.grading.columns import loaded_table
from custvalue.grading.contract import DEFAULT_LABELS, GRADES_FILE, SCHEME_FILE, tier_label
from custvalue.grading.folder import verify_folder
from custvalue.grading.manifest import Manifest
from custvalue.grading.result import Grading

if TYPE_CHECKING:
    from custvalue.scoring.scheme import Scheme

__all__ = [
    "GradingLike",
    "as_grading",
    "grading_scheme",
    "grading_table",
    "tier_labels",
    "tier_levels",
]

#: What every consumer of a grading accepts.
GradingLike: TypeAlias = "Grading | pd.DataFrame | str | os.PathLike[str]"


def as_grading(source: GradingLike, scheme: Scheme | None = None, *,
               name: str = "grading") -> Grading:
    """A :class:`Grading` from a grading, a saved grading folder, or a table plus a scheme.

    Parameters
    ----------
    source : Grading, pandas.DataFrame, str or Path
        A grading, a grading table (then ``scheme`` is required), or a saved folder.
    scheme : Scheme, optional
        The scheme of a bare table; for a grading or a folder it replaces theirs.
    name : str
        Name of the source in error messages.

    Raises
    ------
    InputError
        A table without a scheme, or a folder that is not a saved grading.
    UnsupportedInputError
        ``source`` is none of the above.

    Notes
    -----
    An object with a ``.table`` DataFrame and a ``.scheme`` (duck-typed) is wrapped in a
    :class:`Grading` around the same table; its ``.manifest`` (a Manifest, a mapping or an
    object with the manifest's attributes) and ``.findings`` are carried over.

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(60, months=24, seed=3)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> as_grading(g) is g, as_grading(g.table, g.scheme).table.equals(g.table)
    (True, True)
    """
    if isinstance(source, Grading):
        return source if scheme is None else source.with_scheme(scheme)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        folder = path.parent if path.is_file() else path
        grading = Grading.load(folder)
        return grading if scheme is None else grading.with_scheme(scheme)
    if isinstance(source, pd.DataFrame):
        if scheme is None:
            raise InputError(name, None, "expected a Grading or a saved grading folder: a "
                             "bare grading table has no scheme",
                             fix="pass the Grading itself, or the scheme with the table")
        return Grading.from_table(grading_table(source, name=name), scheme)
    table = getattr(source, "table", None)
    if isinstance(table, pd.DataFrame):
        scheme = scheme if scheme is not None else getattr(source, "scheme", None)
        if scheme is None:
            raise InputError(name, None, f"expected a Grading: the {type(source).__name__} "
                             "has no scheme",
                             fix="pass the Grading itself, or the scheme with the table")
        findings = getattr(source, "findings", None)
        bounds = getattr(source, "bounds", None)
        return Grading(table=table, scheme=scheme,
                       manifest=_manifest(getattr(source, "manifest", None), scheme, table),
                       findings=list(findings) if isinstance(findings, list) else [],
                       bounds=bounds if isinstance(bounds, pd.DataFrame) else None)
    raise UnsupportedInputError(
        name, None, f"cannot read a grading from {type(source).__name__}",
        fix="give a Grading, a pandas DataFrame or a saved grading folder")


def _manifest(manifest: Any, scheme: Any, table: pd.DataFrame) -> Manifest:
    """A :class:`Manifest` from a manifest, a mapping or an object with its attributes."""
    if isinstance(manifest, Manifest):
        return manifest
    if isinstance(manifest, Mapping):
        data = dict(manifest)
    elif hasattr(manifest, "model_dump"):
        data = manifest.model_dump(mode="json")
    else:
        data = dict(vars(manifest)) if hasattr(manifest, "__dict__") else {}
    data = {k: v for k, v in data.items() if k in Manifest.model_fields}
    if "package_version" not in data:
        from custvalue import __version__

        data["package_version"] = __version__
    if "scheme_hash" not in data:
        data["scheme_hash"] = scheme.hash() if callable(getattr(scheme, "hash", None)) else ""
    data.setdefault("row_counts", {"grading": len(table)})
    try:
        return Manifest.model_validate(data)
    except ValueError:  # a manifest of another shape: keep what identifies the grading
        keep = ("package_version", "scheme_hash", "row_counts")
        return Manifest.model_validate({k: data[k] for k in keep})


def grading_scheme(source: GradingLike) -> Scheme | None:
    """The scheme of a grading or of a saved grading folder; None for a bare table.

    For consumers that use a scheme when there is one (labels, weights) and work without
    it.  A saved folder's ``scheme.json`` is read alone (not the whole grading).

    Examples
    --------
    >>> grading_scheme(pd.DataFrame({"tier": [0]})) is None
    True
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        file = (path if path.is_dir() else path.parent) / SCHEME_FILE
        if not file.is_file():
            return None
        from custvalue.scoring.scheme import Scheme

        return Scheme.from_json(file)
    if isinstance(source, pd.DataFrame):
        return None
    return getattr(source, "scheme", None)


def _saved_labels(folder: Path) -> tuple[list[str], list[str]] | tuple[()]:
    """The tier labels of the scheme saved beside a grading table (plain JSON, no Scheme)."""
    import json

    try:
        tiers = json.loads((folder / SCHEME_FILE).read_text("utf-8"))["tiers"]
        return list(tiers["labels_zh"]), list(tiers["labels_en"])
    except (OSError, ValueError, KeyError, TypeError):
        return ()


def grading_table(source: GradingLike, *, name: str = "grading") -> pd.DataFrame:
    """The grading table of ``source``, indexed by ``customer_id`` and sorted by it.

    Parameters
    ----------
    source : Grading, pandas.DataFrame, str or Path
        Anything with a ``.table`` attribute (a ``Grading``), a table indexed by
        ``customer_id`` or holding it as a column, or a saved grading folder (or the path
        of its ``grades.parquet``).
    name : str, default "grading"
        Name of the table in error messages.

    Returns
    -------
    pandas.DataFrame
        A copy with a string index ``customer_id`` (sorted ascending) and ``tier`` as
        ``Int64`` (``<NA>`` = ungraded).

    Raises
    ------
    UnsupportedInputError
        ``source`` is none of the above, or the folder has no ``grades.parquet``.
    MissingColumnError
        No ``customer_id`` (index or column) or no ``tier`` column.
    DuplicateRowsError
        A ``customer_id`` appears twice.
    InvalidValueError
        A tier is not a non-negative whole number.

    Examples
    --------
    >>> t = grading_table(pd.DataFrame({"customer_id": ["b", "a"], "tier": [1, None]}))
    >>> t.index.tolist(), t["tier"].tolist()
    (['a', 'b'], [<NA>, 1])
    """
    table = getattr(source, "table", source)
    if isinstance(table, str | os.PathLike):
        path = Path(table)
        file = path / GRADES_FILE if path.is_dir() else path
        if not file.is_file():
            raise UnsupportedInputError(
                name, None, f"no saved grading at {path} ({GRADES_FILE} not found)",
                fix="give a folder written by Grading.save or `custvalue grade --out`",
            )
        verify_folder(file.parent)  # a folder with checksums.json: checked before use
        try:
            table = loaded_table(pd.read_parquet(file), _saved_labels(file.parent))
        except Exception as exc:  # a damaged file: pyarrow's own errors
            raise UnsupportedInputError(
                "grading", GRADES_FILE, f"not a valid grading: {file} cannot be read "
                f"({type(exc).__name__}: {exc})", fix="grade again") from None
    if not isinstance(table, pd.DataFrame):
        raise UnsupportedInputError(
            name, None, f"cannot read a grading from {type(source).__name__}",
            fix="give a Grading, a pandas DataFrame or a saved grading folder",
        )
    if table.index.name != "customer_id":
        if ("customer_id" not in table.columns and table.index.name is None
                and not isinstance(table.index, pd.RangeIndex)):
            # an unnamed, non-default index is read as the customer ids (a table by hand)
            table = table.rename_axis("customer_id")
        elif "customer_id" not in table.columns:
            raise MissingColumnError(
                name, "customer_id", "no customer_id index or column",
                fix="index the table by customer_id",
            )
        else:
            table = table.set_index("customer_id")
    else:
        table = table.copy()
    table.index = table.index.astype(str)
    dup = table.index.duplicated(keep=False)
    if dup.any():
        ids = table.index[dup]
        raise DuplicateRowsError(
            name, "customer_id", "a customer appears more than once",
            examples=[{"customer_id": c} for c in dict.fromkeys(ids)],
            count=int(dup.sum()), fix="keep one row per customer",
        )
    if "tier" not in table.columns:
        raise MissingColumnError(name, "tier", "no tier column",
                                 fix="pass a graded table (custvalue.grade)")
    try:
        tier = pd.to_numeric(table["tier"], errors="raise")
    except (TypeError, ValueError):
        raise ColumnTypeError(name, "tier", "tiers are not numbers",
                              fix="tiers are 0 (特级) .. 3 (三级) or empty") from None
    bad = tier.notna() & ((tier < 0) | (tier % 1 != 0))
    if bad.any():
        raise InvalidValueError(
            name, "tier", "tiers must be whole numbers >= 0",
            examples=[{"customer_id": c, "tier": v} for c, v in tier[bad].head().items()],
            count=int(bad.sum()),
        )
    table["tier"] = tier.astype("Int64")
    return table.sort_index()


def tier_levels(*tables: pd.DataFrame) -> list[int]:
    """Tiers 0..worst tier seen in any of ``tables`` (empty if none is graded)."""
    worst = max((int(t["tier"].max()) for t in tables if t["tier"].notna().any()), default=-1)
    return list(range(worst + 1))


def tier_labels(*tables: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """(Chinese, English) label by tier, from the tables' ``tier_zh``/``tier_en`` columns.

    Tiers without a label in any table get the defaults of :func:`custvalue.tiers.assign_tiers`
    (特级客户/special ... for tiers 0-3, ``第{t+1}级``/``tier {t}`` beyond).
    """
    count = max(len(DEFAULT_LABELS), len(tier_levels(*tables)))
    labels = {t: tier_label(t) for t in range(count)}
    for t in tables:
        for pos, col in enumerate(("tier_zh", "tier_en")):
            if col not in t.columns:
                continue
            known = t.loc[t["tier"].notna() & t[col].notna(), ["tier", col]]
            known = known.drop_duplicates("tier")  # one label per tier: loop over tiers
            for tier, text in zip(known["tier"].astype(int), known[col], strict=True):
                pair = list(labels[tier])
                pair[pos] = str(text)
                labels[tier] = (pair[0], pair[1])
    return labels
