"""The manifest of a grading run: what went in, with which scheme, how long each stage took.

A manifest makes a grading reproducible and auditable: it names the package version, the
scheme hash, a fingerprint of every input table, row counts, the window and per-stage
timings.  Everything in it is JSON; ``created_at`` is the only field that differs between
two runs on the same inputs.

Examples
--------
>>> import pandas as pd
>>> fp = fingerprint(pd.DataFrame({"customer_id": ["C1"], "x": [1.0]}))
>>> fp.kind, fp.rows, len(fp.sha256)
('pandas', 1, 64)
"""

from __future__ import annotations

import hashlib
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SCHEMA_VERSION", "Fingerprint", "Manifest", "fingerprint"]

#: Version of the saved grading layout (table columns, files); bumped on any change of it.
#: 3: ``bounds.json`` (the fitted normalisation bounds) beside the table; gradings of
#: versions 1 and 2 have none and still load (their bounds are refitted where needed).
SCHEMA_VERSION = 3

_CHUNK = 1 << 20


class Fingerprint(BaseModel):
    """Identity of one input table.

    Attributes
    ----------
    kind : str
        ``file`` for a path, else the frame library (``pandas``, ``polars`` ...).
    source : str or None
        The path, for files.
    rows : int or None
        Row count, where known without reading a lazy source in full.
    sha256 : str or None
        SHA-256 of the file bytes, or of the frame's row hashes; ``None`` for lazy and
        distributed frames, which are not read just to be hashed.
    """

    model_config = ConfigDict(frozen=True)

    kind: str
    source: str | None = None
    rows: int | None = None
    sha256: str | None = None


def fingerprint(source: Any) -> Fingerprint:
    """Fingerprint a table given as a path or a frame (see :class:`Fingerprint`)."""
    if isinstance(source, str | Path):
        digest = hashlib.sha256()
        with Path(source).open("rb") as handle:
            for block in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(block)
        return Fingerprint(kind="file", source=str(source), sha256=digest.hexdigest())
    module = type(source).__module__.split(".")[0]
    if module == "pandas":
        import pandas as pd

        hashed = pd.util.hash_pandas_object(source, index=False).to_numpy()
        digest = hashlib.sha256(hashed.tobytes())
        digest.update(",".join(map(str, source.columns)).encode())
        return Fingerprint(kind="pandas", rows=len(source), sha256=digest.hexdigest())
    if module == "polars" and hasattr(source, "hash_rows"):
        digest = hashlib.sha256(source.hash_rows(seed=0).to_numpy().tobytes())
        digest.update(",".join(source.columns).encode())
        return Fingerprint(kind="polars", rows=source.height, sha256=digest.hexdigest())
    return Fingerprint(kind=module)


class Manifest(BaseModel):
    """What a grading was made from and how (saved as ``manifest.json``).

    Attributes
    ----------
    package_version : str
        custvalue version.
    scheme_hash : str
        :meth:`custvalue.scoring.Scheme.hash` of the scheme used.
    inputs : dict of str to Fingerprint
        One fingerprint per input table given.
    row_counts : dict of str to int
        Rows per input table (where known) and of the output (``grading``).
    window : dict of str to str or int
        First and last month of the grading window (``start``, ``end``, ``YYYY-MM``) and its
        length in ``months``.
    options : dict
        Check options, tie rule, pins and other choices of the run.
    timings : dict of str to float
        Seconds per stage (``checks``, ``indicators``, ``scoring``, ``tiers``).
    created_at : str
        UTC creation time, ISO 8601.
    python : str
        Python version that ran the grading.
    schema_version : int
        Version of the output layout (:data:`SCHEMA_VERSION`); also in the Parquet metadata.
    """

    model_config = ConfigDict(frozen=True)

    package_version: str
    scheme_hash: str
    inputs: dict[str, Fingerprint] = Field(default_factory=dict)
    row_counts: dict[str, int] = Field(default_factory=dict)
    window: dict[str, str | int] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    created_at: str = Field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )
    python: str = Field(default_factory=platform.python_version)
    schema_version: int = 1  # gradings saved before the field existed; grade() sets the current
