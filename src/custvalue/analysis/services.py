"""The service catalogue: which services each tier gets, and how complaints are graded.

The tiers exist to differentiate service (seed 001, 篇8): 特级 and 一级 customers (the
特殊用电客户) get more services, faster response and value-added services -- appointment
booking (预约服务), expert clinic (专家门诊), a dedicated service specialist (零距离服务),
the green channel (绿色通道), subsidised upgrades in old districts, "last off, first on"
supply in outages (后停先送); 二级 customers get notifications (短信通知); 三级 customers get
limited services and may be charged for some (有偿服务).  Complaints are graded ordinary /
key / emergency (普通 / 关键 / 应急投诉, seed 004 slide 24), and a complaint from an
important customer is at least key.

A :class:`Catalogue` is that mapping as typed, editable data (TOML or JSON).  The default
ships as ``custvalue/service_catalogue.toml``.  :func:`entitlements` gives every customer
of a grading its services, response target and minimum complaint level;
:func:`grade_complaint` grades a reported complaint by the customer's tier.

See ``docs/services.md``.

Examples
--------
>>> cat = Catalogue.default()
>>> cat.tiers[0].complaint_level, cat.services["green_channel"].name_zh
('key', '绿色通道')
>>> Catalogue.from_toml(cat.to_toml()) == cat
True
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import (
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from custvalue.config import (
    NAME_PATTERN,
    ConfigModel,
    PathError,
    config_error,
    read_source,
    to_toml,
)
from custvalue.errors import InvalidValueError, SchemeError
from custvalue.grading import grading_table

__all__ = [
    "COMPLAINT_LABELS",
    "COMPLAINT_LEVELS",
    "Catalogue",
    "CatalogueError",
    "Service",
    "TierServices",
    "Ungraded",
    "entitlements",
    "grade_complaint",
]

ComplaintLevel = Literal["ordinary", "key", "emergency"]
#: Complaint grades, lowest first (seed 004: 普通投诉, 关键投诉, 应急投诉).
COMPLAINT_LEVELS: tuple[str, ...] = ("ordinary", "key", "emergency")
#: Chinese name of each complaint grade.
COMPLAINT_LABELS: dict[str, str] = {"ordinary": "普通投诉", "key": "关键投诉",
                                    "emergency": "应急投诉"}
_LEVEL_CODE: dict[str, int] = {
    **{level: i for i, level in enumerate(COMPLAINT_LEVELS)},
    **{zh: i for i, zh in enumerate(COMPLAINT_LABELS.values())},
    **{zh[:2]: i for i, zh in enumerate(COMPLAINT_LABELS.values())},  # 普通 关键 应急
}
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
_PACKAGE = "custvalue.analysis"
_DEFAULT_CATALOGUE = "service_catalogue.toml"


class CatalogueError(SchemeError):
    """A service catalogue is invalid; ``path`` is the dotted path of the problem."""

    code: ClassVar[str] = "catalogue_error"


class _Model(ConfigModel):
    """Frozen, strict-keyed base model whose constructor raises :class:`CatalogueError`."""

    error_class = CatalogueError


class Service(_Model):
    """One service of the catalogue.

    Parameters
    ----------
    name_zh, name_en : str
        Chinese and English name.
    description : str
        What the customer gets, in one sentence.
    charged : bool, default False
        The service is paid for by the customer (有偿服务).

    Examples
    --------
    >>> Service(name_zh="短信通知", name_en="SMS notification").charged
    False
    """

    name_zh: Annotated[str, StringConstraints(min_length=1)]
    name_en: Annotated[str, StringConstraints(min_length=1)]
    description: str = ""
    charged: bool = False


class TierServices(_Model):
    """What one tier gets.

    Parameters
    ----------
    services : tuple of str
        Keys of the catalogue's services the tier gets (no repeats).
    complaint_level : {'ordinary', 'key', 'emergency'}
        The lowest grade a complaint from the tier's customers can have.
    response_hours : float
        Target time to first response to a service request or complaint, in hours (> 0).

    Examples
    --------
    >>> TierServices(services=["sms_notification"], response_hours=24).complaint_level
    'ordinary'
    """

    services: tuple[Name, ...] = ()
    complaint_level: ComplaintLevel = "ordinary"
    response_hours: float = Field(gt=0.0)

    @field_validator("services")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for i, name in enumerate(value):
            if name in seen:
                raise PathError((str(i),), f"service {name!r} is listed twice")
            seen.add(name)
        return value


class Ungraded(_Model):
    """How customers without a tier are served: as ``tier``, with a ``note``.

    Examples
    --------
    >>> Ungraded().tier
    2
    """

    tier: int = Field(default=2, ge=0)
    note: str = "ungraded: tier-2 basic services until the customer is graded"


class Catalogue(_Model):
    """A service catalogue: the services and, per tier, services, response and complaint floor.

    Build one with :meth:`default`, :meth:`from_dict`, :meth:`from_toml`, :meth:`from_json` or
    :meth:`load`; write it with :meth:`to_toml`, :meth:`to_json` or :meth:`save`.  Invalid
    catalogues raise :class:`CatalogueError` with the dotted path of the problem.

    Parameters
    ----------
    name : str
        A short name for reports.
    ungraded : Ungraded
        The tier whose services customers without a tier get, and the note they carry.
    services : dict of str to Service
        The services, in display order (keys are identifiers, e.g. ``green_channel``).
    tiers : dict of int to TierServices
        One entry per tier ``0 .. K-1`` (0 = 特级, best); read from TOML as ``[tiers.0]``.

    Examples
    --------
    >>> cat = Catalogue.from_dict({
    ...     "services": {"sms": {"name_zh": "短信通知", "name_en": "SMS"}},
    ...     "ungraded": {"tier": 0},
    ...     "tiers": {"0": {"services": ["sms"], "response_hours": 24}}})
    >>> cat.tiers[0].services
    ('sms',)
    >>> Catalogue.from_dict({"services": {}, "ungraded": {"tier": 0},  # doctest: +ELLIPSIS
    ...                      "tiers": {"0": {"services": ["sms"], "response_hours": 24}}})
    Traceback (most recent call last):
    ...
    custvalue.analysis.services.CatalogueError: tiers.0.services.0: unknown service 'sms'...
    """

    name: str = "custom"
    ungraded: Ungraded = Field(default_factory=Ungraded)
    services: dict[Name, Service]
    tiers: dict[int, TierServices] = Field(min_length=1)

    @field_validator("tiers")
    @classmethod
    def _sorted_tiers(cls, value: dict[int, TierServices]) -> dict[int, TierServices]:
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _check(self) -> Catalogue:
        expected = list(range(len(self.tiers)))
        if list(self.tiers) != expected:
            raise PathError(("tiers",), f"tiers must be 0 .. {len(self.tiers) - 1} "
                             f"(got {list(self.tiers)})")
        known = ", ".join(self.services) or "none"
        for tier, spec in self.tiers.items():
            for i, name in enumerate(spec.services):
                if name not in self.services:
                    raise PathError(("tiers", str(tier), "services", str(i)),
                                     f"unknown service {name!r} (known: {known})")
        if self.ungraded.tier not in self.tiers:
            raise PathError(("ungraded", "tier"), f"no tier {self.ungraded.tier} in the "
                             f"catalogue (tiers are 0 .. {len(self.tiers) - 1})")
        return self

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalogue:
        """Validate a plain mapping (as read from TOML or JSON) into a catalogue."""
        if not isinstance(data, Mapping):
            raise CatalogueError("", f"a catalogue is a table of settings "
                                 f"(got {type(data).__name__})")
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise config_error(exc, error=CatalogueError) from None

    @classmethod
    def from_toml(cls, source: str | Path) -> Catalogue:
        """Read a catalogue from TOML text or a ``.toml`` file (a ``Path`` or a file name)."""
        text, where = read_source(source, CatalogueError)
        try:
            return cls.from_dict(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogueError("", f"{where} is not valid TOML: {exc}") from None

    @classmethod
    def from_json(cls, source: str | Path) -> Catalogue:
        """Read a catalogue from JSON text or a ``.json`` file (a ``Path`` or a file name)."""
        text, where = read_source(source, CatalogueError)
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise CatalogueError("", f"{where} is not valid JSON: {exc}") from None

    @classmethod
    def load(cls, path: str | Path) -> Catalogue:
        """Read a catalogue file, TOML or JSON by its suffix."""
        path = Path(path)
        if path.suffix.lower() == ".json":
            return cls.from_json(path)
        if path.suffix.lower() == ".toml":
            return cls.from_toml(path)
        raise CatalogueError("", f"cannot tell the format of {path}: use a .toml or .json file")

    @classmethod
    def default(cls) -> Catalogue:
        """The default catalogue shipped as ``custvalue/service_catalogue.toml``."""
        return _default_catalogue()

    # ------------------------------------------------------------------ output
    def to_dict(self) -> dict[str, Any]:
        """The catalogue as plain JSON data (tier keys as strings ``"0"``, ``"1"`` ...)."""
        return self.model_dump(mode="json")

    def to_toml(self) -> str:
        """TOML text; ``Catalogue.from_toml(c.to_toml()) == c``."""
        return to_toml(self.to_dict())

    def to_json(self) -> str:
        """JSON text; ``Catalogue.from_json(c.to_json()) == c``."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write the catalogue to ``path`` as TOML or JSON, by suffix; return the path.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = Catalogue.default().save(pathlib.Path(d) / "catalogue.toml")
        ...     Catalogue.load(p) == Catalogue.default()
        True
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".toml", ".json"):
            raise CatalogueError("", f"cannot tell the format of {path}: use a .toml or .json "
                                 "file")
        path.write_text(self.to_toml() if suffix == ".toml" else self.to_json(),
                        encoding="utf-8")
        return path

    # ------------------------------------------------------------------ access
    def minimum_level(self, tier: int | None) -> str:
        """The lowest complaint grade of ``tier`` (``None``: the ungraded fallback tier).

        Examples
        --------
        >>> cat = Catalogue.default()
        >>> cat.minimum_level(0), cat.minimum_level(3), cat.minimum_level(None)
        ('key', 'ordinary', 'ordinary')
        """
        return self.tiers[self.ungraded.tier if tier is None else tier].complaint_level

    def tier_matrix(self) -> pd.DataFrame:
        """One row per tier: a boolean column per service, ``complaint_level``, ``response_hours``.

        Examples
        --------
        >>> m = Catalogue.default().tier_matrix()
        >>> m["green_channel"].tolist(), m["response_hours"].tolist()
        ([True, True, False, False], [2.0, 4.0, 24.0, 24.0])
        """
        rows = {name: [name in spec.services for spec in self.tiers.values()]
                for name in self.services}
        out = pd.DataFrame(rows, index=pd.Index(list(self.tiers), name="tier"), dtype=bool)
        out["complaint_level"] = pd.array(
            [spec.complaint_level for spec in self.tiers.values()], dtype="string")
        out["response_hours"] = [float(spec.response_hours) for spec in self.tiers.values()]
        return out

    def __str__(self) -> str:
        lines = [f"Service catalogue {self.name!r}: {len(self.services)} services, "
                 f"{len(self.tiers)} tiers"]
        for tier, spec in self.tiers.items():
            names = ", ".join(self.services[s].name_zh for s in spec.services) or "-"
            lines.append(f"  tier {tier}: {spec.response_hours:g} h, complaints at least "
                         f"{spec.complaint_level} ({COMPLAINT_LABELS[spec.complaint_level]}); "
                         f"{names}")
        lines.append(f"  ungraded: as tier {self.ungraded.tier}")
        return "\n".join(lines)


@lru_cache(maxsize=1)
def _default_catalogue() -> Catalogue:
    text = resources.files(_PACKAGE).joinpath(_DEFAULT_CATALOGUE).read_text(encoding="utf-8")
    return Catalogue.from_toml(text)


# --------------------------------------------------------------------------- per customer


def _service_tier(tier: pd.Series, catalogue: Catalogue, name: str) -> np.ndarray:
    """Tier whose services apply (the fallback tier for ``<NA>``); checks tiers exist."""
    unknown = tier.notna() & ~tier.isin(list(catalogue.tiers))
    if unknown.any():
        raise InvalidValueError(
            name, "tier", f"tiers not in the service catalogue (it has 0 .. "
            f"{len(catalogue.tiers) - 1})",
            examples=[{"customer_id": c, "tier": t} for c, t in tier[unknown].head().items()],
            count=int(unknown.sum()), fix="add the tiers to the catalogue",
        )
    return tier.fillna(catalogue.ungraded.tier).to_numpy(dtype=np.int64)


def entitlements(table: Any, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """What each customer is entitled to under the catalogue, one row per customer.

    Every customer of the table gets a row.  A customer with a tier gets that tier's entry;
    a customer without one (``tier`` ``<NA>``) gets the entry of the catalogue's
    ``ungraded.tier`` (tier 2 by default: basic service and SMS) and its ``note``.

    Parameters
    ----------
    table : pandas.DataFrame or Grading
        A grading table (see :func:`custvalue.regrade.grading_table`).
    catalogue : Catalogue, optional
        Default :meth:`Catalogue.default`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (ascending): ``tier`` (``Int64``), ``service_tier``
        (the tier whose entry applies), one boolean column per service (in catalogue
        order), ``complaint_level`` (the lowest grade of the customer's complaints),
        ``response_hours`` and ``note`` (``<NA>`` for graded customers).

    Raises
    ------
    InvalidValueError
        A tier of the table is not in the catalogue.

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": ["a", "b", "c"], "tier": [0, 3, None]})
    >>> e = entitlements(t)
    >>> cols = ["green_channel", "paid_services", "complaint_level", "response_hours"]
    >>> e[cols].to_numpy().tolist()
    [[True, False, 'key', 2.0], [False, True, 'ordinary', 24.0], [False, False, 'ordinary', 24.0]]
    >>> e.loc["c", "note"]
    'ungraded: tier-2 basic services until the customer is graded'
    """
    catalogue = catalogue or Catalogue.default()
    table = grading_table(table)
    service_tier = _service_tier(table["tier"], catalogue, "grading")
    matrix = catalogue.tier_matrix()
    out = matrix.reindex(service_tier).set_axis(table.index, axis=0)
    out.insert(0, "tier", table["tier"])
    out.insert(1, "service_tier", pd.Series(service_tier, index=out.index, dtype="Int64"))
    note = pd.Series(pd.NA, index=table.index, dtype="string")
    out["note"] = note.mask(table["tier"].isna(), catalogue.ungraded.note)
    return out


def _level_codes(level: pd.Series) -> np.ndarray:
    text = level.astype("string").str.strip().str.lower()
    codes = text.map(_LEVEL_CODE)
    bad = text.notna() & codes.isna()
    if bad.any():
        raise InvalidValueError(
            "complaints", "reported_level", "unknown complaint levels",
            examples=[{"row": i, "reported_level": v} for i, v in level[bad].head().items()],
            count=int(bad.sum()),
            fix="use ordinary / key / emergency (普通 / 关键 / 应急)",
        )
    return codes.fillna(0).to_numpy(dtype=np.int64)  # not reported: the lowest grade


def grade_complaint(
    customer_tier: Any,
    reported_level: Any = "ordinary",
    catalogue: Catalogue | None = None,
) -> str | pd.Series:
    """The effective grade of a complaint: the higher of the reported one and the tier's floor.

    ``effective = max(reported, catalogue.tiers[tier].complaint_level)`` in the order
    ordinary < key < emergency.  With the default catalogue a complaint from a tier-0 or
    tier-1 customer is at least ``key`` ("a complaint from an important customer is at least
    key", seed 004); tiers 2 and 3 keep the reported grade.  A customer without a tier
    (``None``/``<NA>``) has the floor of the catalogue's ``ungraded.tier``.  A missing
    reported grade counts as ``ordinary``.  Grades may be given in English or Chinese
    (``普通`` / ``关键`` / ``应急``, with or without ``投诉``), in any case.

    Parameters
    ----------
    customer_tier : int, None, pandas.Series or array-like
        The customer's tier (0 = 特级).
    reported_level : str, pandas.Series or array-like, default "ordinary"
        The grade the complaint was reported with.
    catalogue : Catalogue, optional
        Default :meth:`Catalogue.default`.

    Returns
    -------
    str or pandas.Series
        A string when both inputs are scalars; otherwise a ``string`` Series named
        ``complaint_level`` (index of the Series input, both must share it, or a
        ``RangeIndex``).  Scalars are broadcast.

    Raises
    ------
    InvalidValueError
        An unknown grade or tier, or two Series with different indexes.

    Examples
    --------
    >>> grade_complaint(0, "ordinary"), grade_complaint(2, "ordinary"), grade_complaint(1, "应急")
    ('key', 'ordinary', 'emergency')
    >>> grade_complaint(pd.Series([0, 3, None]), "ordinary").tolist()
    ['key', 'ordinary', 'ordinary']
    """
    catalogue = catalogue or Catalogue.default()
    scalar = np.ndim(customer_tier) == 0 and np.ndim(reported_level) == 0
    series = [x for x in (customer_tier, reported_level) if isinstance(x, pd.Series)]
    if len(series) == 2 and not series[0].index.equals(series[1].index):
        raise InvalidValueError("complaints", None, "customer_tier and reported_level have "
                                "different indexes", fix="align the two Series first")
    tier_arr, level_arr = np.broadcast_arrays(
        np.asarray(customer_tier, dtype=object), np.asarray(reported_level, dtype=object))
    index = series[0].index if series else pd.RangeIndex(tier_arr.size)
    try:
        tier = pd.Series(pd.array(tier_arr.ravel(), dtype="Int64"), index=index)
    except (TypeError, ValueError):
        raise InvalidValueError("complaints", "customer_tier", "tiers must be whole numbers "
                                "or missing") from None
    floor_codes = np.array([COMPLAINT_LEVELS.index(spec.complaint_level)
                            for spec in catalogue.tiers.values()])
    floor = floor_codes[_service_tier(tier, catalogue, "complaints")]
    reported = _level_codes(pd.Series(level_arr.ravel(), index=index, dtype=object))
    effective = np.asarray(COMPLAINT_LEVELS, dtype=object)[np.maximum(floor, reported)]
    if scalar:
        return str(effective[0])
    return pd.Series(effective, index=index, dtype="string", name="complaint_level")
