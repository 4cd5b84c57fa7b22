"""Labels of gradings in the regrade cycle, shared by the comparison and the snapshots.

Names here are public inside :mod:`custvalue.regrade` (the module itself is private).

Examples
--------
>>> window_end({"start": "2022-01", "end": "2024-12"}), manifest_label({"window": "2021-12"})
('2024-12', '2021-12')
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from custvalue.grading import MANIFEST_FILE

__all__ = ["as_dict", "manifest_label", "read_manifest", "source_label", "window_end"]

_MONTH = re.compile(r"\d{4}-\d{2}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")



def as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    return dict(vars(obj)) if hasattr(obj, "__dict__") else {}


def window_end(window: Any) -> str | None:
    """``YYYY-MM`` of the end of a manifest window (``{"start", "end"}`` or text), else None."""
    if isinstance(window, Mapping):
        window = window.get("end")
    months = _MONTH.findall(str(window or ""))
    return months[-1] if months else None


def manifest_label(manifest: Any) -> str | None:
    """Snapshot label from a manifest: window end ``YYYY-MM``, else creation day."""
    data = as_dict(manifest)
    end = window_end(data.get("window"))
    if end:
        return end
    day = _DAY.search(str(data.get("created_at") or ""))
    return day.group(0) if day else None


def read_manifest(folder: Path) -> dict[str, Any]:
    file = folder / MANIFEST_FILE
    if not file.is_file():
        return {}
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def source_label(source: Any, default: str) -> str:
    if isinstance(source, str | Path):
        path = Path(source)
        folder = path if path.is_dir() else path.parent
        return manifest_label(read_manifest(folder)) or folder.name or default
    return manifest_label(getattr(source, "manifest", None)) or default
