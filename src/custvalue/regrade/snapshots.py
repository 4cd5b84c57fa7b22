"""A history of dated grading snapshots: the input of ``custvalue compare``.

The article (seed 001, 篇8) regrades every three years; a history folder keeps each grading
as a dated sub-folder (``2021-12/``, ``2024-12/`` ...).  See ``docs/regrade.md``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pandas as pd

from custvalue.errors import CustvalueError, UnsupportedInputError
from custvalue.grading import GRADES_FILE, GRADING_FILES, SCHEME_FILE, GradingLike, grading_table
from custvalue.regrade._common import manifest_label, read_manifest, window_end

__all__ = ["GRADING_FILES", "SnapshotError", "list_snapshots", "save_snapshot"]

_LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class SnapshotError(CustvalueError):
    """A snapshot cannot be written: bad label, or the label exists and ``overwrite`` is off."""

    code: ClassVar[str] = "snapshot_error"




def save_snapshot(
    grading: GradingLike,
    history_dir: str | Path,
    label: str | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Keep a grading as the dated snapshot ``history_dir/<label>/``.

    The snapshot holds the files of a saved grading (:data:`GRADING_FILES`: the required
    ``grades.parquet``, and ``manifest.json``, ``scheme.json``, ``checks.json``,
    ``summary.txt``, ``bounds.json`` where present; the CLI's ``grades.csv`` copy is not
    kept).  It is written to a temporary folder inside ``history_dir`` first and then
    renamed, so a failed write leaves no half snapshot.

    Parameters
    ----------
    grading : str, Path, Grading or pandas.DataFrame
        A saved grading folder (as written by ``Grading.save`` or ``custvalue grade
        --out``), a ``Grading`` (saved with its ``save`` method), or a bare grading table
        (written as ``grades.parquet`` alone).
    history_dir : str or Path
        The history folder; created if needed.
    label : str, optional
        Sub-folder name.  Default: the end of the grading window in the manifest
        (``YYYY-MM``, e.g. ``2024-12``), else the manifest's creation date
        (``YYYY-MM-DD``), else today's date (UTC).  Letters, digits, ``.``, ``_``, ``-``.
    overwrite : bool, default False
        Replace an existing snapshot of the same label instead of raising.

    Returns
    -------
    Path
        The snapshot folder.

    Raises
    ------
    SnapshotError
        Bad label, or the snapshot exists and ``overwrite`` is False.
    UnsupportedInputError
        The folder holds no ``grades.parquet``, or ``grading`` cannot be saved.

    Examples
    --------
    >>> import tempfile
    >>> table = pd.DataFrame({"tier": [0, 1]}, index=pd.Index(["a", "b"], name="customer_id"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_snapshot(table, d, label="2024-12")
    ...     print(path.name, list_snapshots(d)["label"].tolist())
    2024-12 ['2024-12']
    """
    history = Path(history_dir)
    if isinstance(grading, str | Path):
        folder = Path(grading)
        if not (folder / GRADES_FILE).is_file():
            raise UnsupportedInputError(
                "grading", None, f"no saved grading at {folder} ({GRADES_FILE} not found)",
                fix="give a folder written by Grading.save or `custvalue grade --out`",
            )
        default = manifest_label(read_manifest(folder))
    elif isinstance(grading, pd.DataFrame) or hasattr(grading, "save"):
        default = manifest_label(getattr(grading, "manifest", None))
    else:
        raise UnsupportedInputError(
            "grading", None, f"cannot save {type(grading).__name__} as a snapshot",
            fix="give a saved grading folder, a Grading or a grading table",
        )
    label = label or default or datetime.now(UTC).strftime("%Y-%m-%d")
    if not _LABEL_PATTERN.match(label):
        raise SnapshotError(
            f"snapshot label {label!r}: use letters, digits, '.', '_' and '-' "
            "(e.g. 2024-12)"
        )
    target = history / label
    if target.exists() and not overwrite:
        raise SnapshotError(
            f"snapshot {target} exists; choose another label or pass overwrite=True"
        )
    history.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{label}.", dir=history))
    staged = tmp / "snapshot"
    try:
        if isinstance(grading, str | os.PathLike):
            staged.mkdir()
            for name in GRADING_FILES:
                if (Path(grading) / name).is_file():
                    shutil.copy2(Path(grading) / name, staged / name)
        elif isinstance(grading, pd.DataFrame):
            staged.mkdir()
            grading_table(grading).to_parquet(staged / GRADES_FILE)
        else:
            grading.save(staged)
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def list_snapshots(history_dir: str | Path) -> pd.DataFrame:
    """The snapshots in a history folder, oldest label first.

    A snapshot is a sub-folder holding ``grades.parquet`` (hidden folders are skipped).

    Parameters
    ----------
    history_dir : str or Path
        The history folder (a missing folder has no snapshots).

    Returns
    -------
    pandas.DataFrame
        Columns ``label``, ``path``, ``window_end`` (``YYYY-MM`` or None), ``created_at``
        (as in the manifest, or None), ``customers`` (rows of ``grades.parquet``),
        ``scheme`` (the name in ``scheme.json``), ``scheme_hash`` and ``package_version``
        (from the manifest; None where a file is missing), sorted by ``label``.

    Examples
    --------
    >>> list_snapshots("no/such/folder").columns.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['label', 'path', 'window_end', 'created_at', 'customers', 'scheme', 'scheme_hash',
     'package_version']
    """
    import pyarrow.parquet as pq

    history = Path(history_dir)
    rows = []
    folders = sorted(history.iterdir()) if history.is_dir() else []
    for folder in folders:  # a loop over snapshots
        grades = folder / GRADES_FILE
        if folder.name.startswith(".") or not grades.is_file():
            continue
        manifest = read_manifest(folder)
        rows.append({
            "label": folder.name,
            "path": folder,
            "window_end": window_end(manifest.get("window")),
            "created_at": manifest.get("created_at"),
            "customers": pq.ParquetFile(grades).metadata.num_rows,
            "scheme": _scheme_name(folder / SCHEME_FILE),
            "scheme_hash": manifest.get("scheme_hash"),
            "package_version": manifest.get("package_version"),
        })
    columns = ["label", "path", "window_end", "created_at", "customers", "scheme",
               "scheme_hash", "package_version"]
    return pd.DataFrame(rows, columns=columns)


def _scheme_name(file: Path) -> str | None:
    """The ``name`` of a saved scheme (None when the file is missing or unreadable)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data.get("name") if isinstance(data, dict) else None
