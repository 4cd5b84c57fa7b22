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

This module is long because the service catalogue model, the entitlements and the complaint
grading of seed 004 share the catalogue's validation and labels.
"""

from __future__ import annotations

import json
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
    parse_source,
    to_toml,
)
from custvalue.errors import InvalidValueError, SchemeError
from custvalue.grading import GradingLike, grading_table

__all__ = [
    "COMPLAINT_LABELS",
    "COMPLAINT_LEVELS",
    "COMPLAINT_TRIGGERS",
    "MANAGEMENT_LABELS",
    "Catalogue",
    "CatalogueError",
    "ClassServices",
    "Fee",
    "Handling",
    "Service",
    "TierServices",
    "Ungraded",
    "entitlements",
    "grade_complaint",
    "grade_complaints",
]

ComplaintLevel = Literal["ordinary", "key", "emergency"]
#: Complaint grades, lowest first (seed 004: 普通投诉, 关键投诉, 应急投诉).
COMPLAINT_LEVELS: tuple[ComplaintLevel, ...] = ("ordinary", "key", "emergency")
#: Chinese name of each complaint grade.
COMPLAINT_LABELS: dict[str, str] = {"ordinary": "普通投诉", "key": "关键投诉",
                                    "emergency": "应急投诉"}
_LEVEL_CODE: dict[str, int] = {
    **{level: i for i, level in enumerate(COMPLAINT_LEVELS)},
    **{zh: i for i, zh in enumerate(COMPLAINT_LABELS.values())},
    **{zh[:2]: i for i, zh in enumerate(COMPLAINT_LABELS.values())},  # 普通 关键 应急
}
Management = Literal["develop", "maintain", "restrict"]
#: Chinese name of each ABC management action (seed 001, 篇8: 优先发展A类、保持B类客户、
#: 限制或舍弃C类客户).
MANAGEMENT_LABELS: dict[str, str] = {"develop": "优先发展", "maintain": "保持",
                                     "restrict": "限制或舍弃"}
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
_PACKAGE = "custvalue.analysis"
_DEFAULT_CATALOGUE = "service_catalogue.toml"


class CatalogueError(SchemeError):
    """A service catalogue is invalid; ``path`` is the dotted path of the problem."""

    code: ClassVar[str] = "catalogue_error"


class _Model(ConfigModel):
    """Frozen, strict-keyed base model whose constructor raises :class:`CatalogueError`."""

    error_class = CatalogueError


def _unique_names(value: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for i, name in enumerate(value):
        if name in seen:
            raise PathError((str(i),), f"service {name!r} is listed twice")
        seen.add(name)
    return value


class Fee(_Model):
    """One item of a paid service's fee schedule.

    Parameters
    ----------
    name_zh, name_en : str
        What is charged for.
    unit : str
        What one fee buys (``per call-out``, ``per report`` ...).
    amount : float, optional
        Yuan per unit; ``None`` (the default) charges the cost of the service (成本回收),
        which each utility sets.

    Examples
    --------
    >>> Fee(name_zh="客户侧故障处理", name_en="customer-side fault handling").amount is None
    True
    """

    name_zh: Annotated[str, StringConstraints(min_length=1)]
    name_en: Annotated[str, StringConstraints(min_length=1)]
    unit: str = ""
    amount: float | None = Field(default=None, ge=0.0)


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
    fees : dict of str to Fee
        The fee schedule of a charged service (empty: not itemised).

    Examples
    --------
    >>> Service(name_zh="短信通知", name_en="SMS notification").charged
    False
    """

    name_zh: Annotated[str, StringConstraints(min_length=1)]
    name_en: Annotated[str, StringConstraints(min_length=1)]
    description: str = ""
    charged: bool = False
    fees: dict[Name, Fee] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fees_need_charge(self) -> Service:
        if self.fees and not self.charged:
            raise PathError(("fees",), "a fee schedule needs charged = true")
        return self


class ClassServices(_Model):
    """What one ABC class gets, and how the company manages it (seed 001, 篇8 §1.2).

    Parameters
    ----------
    management : {'develop', 'maintain', 'restrict'}
        优先发展 (develop with priority), 保持 (maintain) or 限制或舍弃 (restrict or
        give up).
    services : tuple of str
        Services the class gets on top of the customer's tier (no repeats).
    cost_recovery : bool, default False
        Services beyond the basic ones are charged at cost (服务成本回收机制).
    note : str
        One sentence for reports.

    Examples
    --------
    >>> ClassServices(management="develop", services=["green_channel"]).management_zh
    '优先发展'
    """

    management: Management
    services: tuple[Name, ...] = ()
    cost_recovery: bool = False
    note: str = ""

    @property
    def management_zh(self) -> str:
        """The management action in Chinese."""
        return MANAGEMENT_LABELS[self.management]

    @field_validator("services")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _unique_names(value)


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
        return _unique_names(value)


class Handling(_Model):
    """Who handles complaints of one grade (seed 004: the department escalates with the grade).

    Examples
    --------
    >>> Handling(department_zh="客户服务中心", department_en="service centre").department_en
    'service centre'
    """

    department_zh: Annotated[str, StringConstraints(min_length=1)]
    department_en: Annotated[str, StringConstraints(min_length=1)]


def _default_handling() -> dict[ComplaintLevel, Handling]:
    return {
        "ordinary": Handling(department_zh="客户服务中心（95598）",
                             department_en="customer service centre (95598)"),
        "key": Handling(department_zh="营销部（客户服务部）",
                        department_en="marketing and customer service department"),
        "emergency": Handling(department_zh="公司分管领导及应急办公室",
                              department_en="executive in charge and the emergency office"),
    }


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
    abc : dict of str to ClassServices
        Management action and extra services per ABC class (``[abc.A]`` ...); empty: the
        ABC class adds nothing.
    complaints : dict of str to Handling
        The department each complaint grade escalates to (``[complaints.key]`` ...); every
        grade must have one.

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
    abc: dict[str, ClassServices] = Field(default_factory=dict)
    complaints: dict[ComplaintLevel, Handling] = Field(default_factory=_default_handling)

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
        for label, cls_spec in self.abc.items():
            for i, name in enumerate(cls_spec.services):
                if name not in self.services:
                    raise PathError(("abc", label, "services", str(i)),
                                     f"unknown service {name!r} (known: {known})")
        missing = [lvl for lvl in COMPLAINT_LEVELS if lvl not in self.complaints]
        if missing:
            raise PathError(("complaints",), f"no department for {', '.join(missing)} "
                            "complaints")
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
        return cls.from_dict(parse_source(source, "toml", CatalogueError, "a catalogue"))

    @classmethod
    def from_json(cls, source: str | Path) -> Catalogue:
        """Read a catalogue from JSON text or a ``.json`` file (a ``Path`` or a file name)."""
        return cls.from_dict(parse_source(source, "json", CatalogueError, "a catalogue"))

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
        """The catalogue as plain JSON data (tier keys as strings ``"0"``, ``"1"`` ...;
        a fee without an amount is left without one)."""
        return self.model_dump(mode="json", exclude_none=True)

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

    def abc_matrix(self) -> pd.DataFrame:
        """One row per ABC class: a boolean column per service, ``management``,
        ``management_zh``, ``cost_recovery``.

        Examples
        --------
        >>> m = Catalogue.default().abc_matrix()
        >>> m["green_channel"].tolist(), m["management_zh"].tolist()
        ([True, False, False], ['优先发展', '保持', '限制或舍弃'])
        """
        rows = {name: [name in spec.services for spec in self.abc.values()]
                for name in self.services}
        out = pd.DataFrame(rows, index=pd.Index(list(self.abc), name="abc", dtype=object),
                           dtype=bool)
        out["management"] = [spec.management for spec in self.abc.values()]
        out["management_zh"] = [spec.management_zh for spec in self.abc.values()]
        out["cost_recovery"] = pd.array([spec.cost_recovery for spec in self.abc.values()],
                                        dtype=bool)
        return out

    def fee_schedule(self) -> pd.DataFrame:
        """Every fee of every charged service: ``service``, ``item``, names, ``unit``,
        ``amount`` (NaN: at cost).

        Examples
        --------
        >>> f = Catalogue.default().fee_schedule()
        >>> set(f["service"]) == {"paid_services"}, bool(f["amount"].isna().all())
        (True, True)
        """
        rows = [{"service": key, "item": item, "name_zh": fee.name_zh,
                 "name_en": fee.name_en, "unit": fee.unit,
                 "amount": np.nan if fee.amount is None else fee.amount}
                for key, svc in self.services.items() for item, fee in svc.fees.items()]
        return pd.DataFrame(rows, columns=["service", "item", "name_zh", "name_en", "unit",
                                           "amount"])

    def __str__(self) -> str:
        lines = [f"Service catalogue {self.name!r}: {len(self.services)} services, "
                 f"{len(self.tiers)} tiers"]
        for tier, spec in self.tiers.items():
            names = ", ".join(self.services[s].name_zh for s in spec.services) or "-"
            lines.append(f"  tier {tier}: {spec.response_hours:g} h, complaints at least "
                         f"{spec.complaint_level} ({COMPLAINT_LABELS[spec.complaint_level]}); "
                         f"{names}")
        for label, cls_spec in self.abc.items():
            names = ", ".join(self.services[s].name_zh for s in cls_spec.services) or "-"
            extra = "; at cost" if cls_spec.cost_recovery else ""
            lines.append(f"  class {label}: {cls_spec.management_zh} ({cls_spec.management})"
                         f"{extra}; {names}")
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


def entitlements(table: GradingLike, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """What each customer is entitled to under the catalogue, one row per customer.

    Every customer of the table gets a row.  A customer with a tier gets that tier's entry;
    a customer without one (``tier`` ``<NA>``) gets the entry of the catalogue's
    ``ungraded.tier`` (tier 2 by default: basic service and SMS) and its ``note``.

    Parameters
    ----------
    table : Grading, pandas.DataFrame, str or Path
        A grading, its table or its saved folder (read by
        :func:`custvalue.grading.grading_table`).
    catalogue : Catalogue, optional
        Default :meth:`Catalogue.default`.

    With an ``abc`` column in the table (every grading has one) and ABC entries in the
    catalogue, the customer's ABC class adds its services to the tier's (a service column
    is true when the tier *or* the class grants it) and its management action: class A
    优先发展 with the green channel, B 保持, C 限制或舍弃 with paid services at cost
    (seed 001, 篇8 §1.2).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (ascending): ``tier`` (``Int64``), ``service_tier``
        (the tier whose entry applies), one boolean column per service (in catalogue
        order), ``complaint_level`` (the lowest grade of the customer's complaints),
        ``response_hours`` and ``note`` (``<NA>`` for graded customers); with ABC,
        also ``abc``, ``management``, ``management_zh``, ``cost_recovery`` and
        ``abc_services`` (the services the class adds to the tier's, ``"; "``-joined).

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
    >>> t["abc"] = ["A", "A", None]
    >>> e = entitlements(t)
    >>> bool(e.loc["b", "green_channel"]), e.loc["b", "management_zh"], e.loc["b", "abc_services"]
    (True, '优先发展', 'green_channel; service_specialist')
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
    if "abc" in table.columns and catalogue.abc:
        out = _with_abc(out, table["abc"], catalogue)
    return out


def _with_abc(out: pd.DataFrame, abc: pd.Series, catalogue: Catalogue) -> pd.DataFrame:
    """Add the ABC class's services (OR-ed into the service columns) and management."""
    labels = abc.astype("string")
    unknown = labels.notna() & ~labels.isin(list(catalogue.abc))
    if unknown.any():
        raise InvalidValueError(
            "grading", "abc", f"ABC classes not in the service catalogue (it has "
            f"{', '.join(catalogue.abc)})",
            examples=[{"customer_id": c, "abc": v} for c, v in labels[unknown].head().items()],
            count=int(unknown.sum()), fix="add the classes to the catalogue's [abc] tables")
    codes = pd.Categorical(labels, categories=list(catalogue.abc)).codes
    has = codes >= 0
    matrix = catalogue.abc_matrix()
    names = list(catalogue.services)
    by_class = np.where(has[:, None], matrix[names].to_numpy(dtype=bool)[codes], False)
    tier_has = out[names].to_numpy(dtype=bool)
    added = by_class & ~tier_has
    out = out.copy()
    out[names] = tier_has | by_class
    out["abc"] = labels
    for col in ("management", "management_zh"):
        values = matrix[col].to_numpy(dtype=object)[codes]  # a copy
        values[~has] = None  # no class
        out[col] = pd.array(values, dtype="string")
    out["cost_recovery"] = np.where(has, matrix["cost_recovery"].to_numpy(dtype=bool)[codes],
                                    False)
    # the services the class adds to the tier's: one text per distinct pattern (few)
    patterns, inverse = np.unique(added, axis=0, return_inverse=True)
    texts = np.array(["; ".join(n for n, on in zip(names, row, strict=True) if on)
                      for row in patterns], dtype=object)
    out["abc_services"] = pd.array(texts[inverse.ravel()], dtype="string")
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


#: The triggers of seed 004 (slide 24), the lowest grade each sets, and its text.
COMPLAINT_TRIGGERS: dict[str, tuple[str, str, str]] = {
    "repeat_after_poor_handling": ("key", "由于一般投诉处理不当造成的客户再次投诉",
                                   "repeat complaint after poor handling"),
    "from_higher_organisation": ("key", "上级组织下发的客户投诉",
                                 "passed down from a higher organisation"),
    "important_customer": ("key", "重要客户针对服务质量的抱怨引起的投诉",
                           "an important customer's complaint about service quality"),
    "economic_loss_risk": ("emergency", "可能造成巨大经济损失的投诉",
                           "risk of large economic loss"),
    "social_impact_risk": ("emergency", "可能产生巨大社会负面影响的投诉",
                           "risk of large negative social impact"),
}


def _flags(value: Any, name: str, index: pd.Index) -> np.ndarray:
    """A trigger as a bool array (missing = False); raises on non-boolean values."""
    arr = np.asarray(value.reindex(index) if isinstance(value, pd.Series) else value,
                     dtype=object)
    arr = np.broadcast_to(arr, (len(index),)) if arr.ndim == 0 else arr.ravel()
    known = pd.Series(arr, dtype=object).map(
        lambda v: False if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
        else v)
    bad = ~known.isin([True, False, 0, 1])
    if bad.any():
        raise InvalidValueError(
            "complaints", name, "a trigger is true or false (missing counts as false)",
            examples=[{"row": index[i], name: arr[i]} for i in np.flatnonzero(bad)[:5]],
            count=int(bad.sum()))
    return known.to_numpy(dtype=bool)


def _grade(tier: pd.Series, reported: np.ndarray, triggers: dict[str, np.ndarray],
           catalogue: Catalogue) -> pd.DataFrame:
    """The kernel: grade, department and reason per complaint (vectorised)."""
    floor_codes = np.array([COMPLAINT_LEVELS.index(spec.complaint_level)
                            for spec in catalogue.tiers.values()])
    service_tier = _service_tier(tier, catalogue, "complaints")
    floor = floor_codes[service_tier]
    level = np.maximum(floor, reported)
    for name, on in triggers.items():
        level = np.maximum(level, np.where(on, _LEVEL_CODE[COMPLAINT_TRIGGERS[name][0]], 0))
    n = level.size
    reason = np.full(n, "", dtype=object)

    def add(mask: np.ndarray, text: Any) -> None:
        nonlocal reason
        reason = np.where(mask & (reason != ""), reason + "; " + text,
                          np.where(mask, text, reason))

    add((reported == level) & (reported > 0), "reported as " + np.asarray(
        COMPLAINT_LEVELS, dtype=object)[reported])
    for name, on in triggers.items():
        code = _LEVEL_CODE[COMPLAINT_TRIGGERS[name][0]]
        add(on & (level == code), COMPLAINT_TRIGGERS[name][2])
    graded = tier.notna().to_numpy()
    tier_text = np.where(graded, "tier " + tier.astype("string").fillna("").to_numpy(
        dtype=object) + " floor", "ungraded (tier " + service_tier.astype(str).astype(object)
        + " floor)")
    add((floor == level) & (floor > 0), tier_text)
    add(reason == "", "a service-quality complaint, not serious or urgent (no trigger)")
    levels = np.asarray(COMPLAINT_LEVELS, dtype=object)[level]
    dept_zh = np.asarray([catalogue.complaints[lv].department_zh for lv in COMPLAINT_LEVELS],
                         dtype=object)[level]
    dept_en = np.asarray([catalogue.complaints[lv].department_en for lv in COMPLAINT_LEVELS],
                         dtype=object)[level]
    return pd.DataFrame({
        "complaint_level": pd.array(levels, dtype="string"),
        "complaint_level_zh": pd.array(np.asarray(list(COMPLAINT_LABELS.values()),
                                                  dtype=object)[level], dtype="string"),
        "department": pd.array(dept_en, dtype="string"),
        "department_zh": pd.array(dept_zh, dtype="string"),
        "reason": pd.array(levels + ": " + reason, dtype="string"),
    }, index=tier.index)


def grade_complaint(
    customer_tier: Any,
    reported_level: Any = "ordinary",
    catalogue: Catalogue | None = None,
    *,
    detail: bool = False,
    **triggers: Any,
) -> str | pd.Series | pd.DataFrame:
    """The effective grade of a complaint: the highest of the reported grade, the tier's
    floor and the grades its triggers set (seed 004, slide 24).

    ``effective = max(reported, catalogue.tiers[tier].complaint_level, triggers)`` in the
    order ordinary < key < emergency.  With the default catalogue a complaint from a
    tier-0 or tier-1 customer is at least ``key`` ("a complaint from an important customer
    is at least key", seed 004); tiers 2 and 3 keep the reported grade.  A customer
    without a tier (``None``/``<NA>``) has the floor of the catalogue's ``ungraded.tier``.
    A missing reported grade counts as ``ordinary``.  Grades may be given in English or
    Chinese (``普通`` / ``关键`` / ``应急``, with or without ``投诉``), in any case.

    The triggers (keyword arguments, each a bool, a Series or an array-like; missing =
    false) are the seed's (:data:`COMPLAINT_TRIGGERS`):

    * key (关键投诉): ``repeat_after_poor_handling`` (由于一般投诉处理不当造成的客户再次投诉),
      ``from_higher_organisation`` (上级组织下发的客户投诉), ``important_customer``
      (重要客户针对服务质量的抱怨, e.g. a 重要电力用户 of the register, whatever its tier);
    * emergency (应急投诉): ``economic_loss_risk`` (可能造成巨大经济损失),
      ``social_impact_risk`` (可能产生巨大社会负面影响).

    The handling department escalates with the grade (随着投诉行为升级,处理的职能部门也将随之
    升级): ``catalogue.complaints[grade]``.

    Parameters
    ----------
    customer_tier : int, None, pandas.Series or array-like
        The customer's tier (0 = 特级).
    reported_level : str, pandas.Series or array-like, default "ordinary"
        The grade the complaint was reported with.
    catalogue : Catalogue, optional
        Default :meth:`Catalogue.default`.
    detail : bool, default False
        Return a table with the department and the reason instead of the grade alone.
    **triggers : bool, pandas.Series or array-like
        The triggers above.

    Returns
    -------
    str, pandas.Series or pandas.DataFrame
        Without ``detail``: a string when every input is a scalar, else a ``string``
        Series named ``complaint_level`` (index of the Series inputs, which must share it,
        or a ``RangeIndex``; scalars are broadcast).  With ``detail``: a DataFrame with
        ``complaint_level``, ``complaint_level_zh``, ``department``, ``department_zh`` and
        ``reason`` (the grade and what set it: each trigger of that grade, the reported
        grade, the tier floor).

    Raises
    ------
    InvalidValueError
        An unknown grade, tier or trigger, a trigger that is not true/false, or Series
        with different indexes.

    Examples
    --------
    >>> grade_complaint(0, "ordinary"), grade_complaint(2, "ordinary"), grade_complaint(1, "应急")
    ('key', 'ordinary', 'emergency')
    >>> grade_complaint(pd.Series([0, 3, None]), "ordinary").tolist()
    ['key', 'ordinary', 'ordinary']
    >>> grade_complaint(3, repeat_after_poor_handling=True)
    'key'
    >>> d = grade_complaint([2, 0], economic_loss_risk=[True, False], detail=True)
    >>> d["reason"].tolist()
    ['emergency: risk of large economic loss', 'key: tier 0 floor']
    >>> d["department_zh"].tolist()
    ['公司分管领导及应急办公室', '营销部（客户服务部）']
    """
    catalogue = catalogue or Catalogue.default()
    unknown = sorted(set(triggers) - set(COMPLAINT_TRIGGERS))
    if unknown:
        raise InvalidValueError("complaints", unknown[0], "unknown complaint trigger",
                                fix=f"use {', '.join(COMPLAINT_TRIGGERS)}")
    inputs = [customer_tier, reported_level, *triggers.values()]
    scalar = all(np.ndim(x) == 0 for x in inputs)
    series = [x for x in inputs if isinstance(x, pd.Series)]
    if any(not series[0].index.equals(x.index) for x in series[1:]):
        raise InvalidValueError("complaints", None, "the Series inputs have different "
                                "indexes", fix="align the Series first")
    size = max((np.size(x) for x in inputs if np.ndim(x) > 0), default=1)
    index = series[0].index if series else pd.RangeIndex(size)
    tier_arr, level_arr = np.broadcast_arrays(
        np.asarray(customer_tier, dtype=object), np.asarray(reported_level, dtype=object))
    tier_arr = np.broadcast_to(tier_arr, (len(index),)) if tier_arr.ndim == 0 else tier_arr
    level_arr = np.broadcast_to(level_arr, (len(index),)) if level_arr.ndim == 0 else level_arr
    try:
        tier = pd.Series(pd.array(tier_arr.ravel(), dtype="Int64"), index=index)
    except (TypeError, ValueError):
        raise InvalidValueError("complaints", "customer_tier", "tiers must be whole numbers "
                                "or missing") from None
    reported = _level_codes(pd.Series(level_arr.ravel(), index=index, dtype=object))
    flags = {name: _flags(value, name, index) for name, value in triggers.items()}
    out = _grade(tier, reported, flags, catalogue)
    if detail:
        return out
    if scalar:
        return str(out["complaint_level"].iloc[0])
    return out["complaint_level"]


def grade_complaints(complaints: pd.DataFrame, grading: Any = None,
                     catalogue: Catalogue | None = None) -> pd.DataFrame:
    """Grade a table of complaints (vectorised): grade, department and reason per row.

    Parameters
    ----------
    complaints : pandas.DataFrame
        One row per complaint.  Columns: ``tier`` (the customer's tier) or ``customer_id``
        with ``grading`` to look it up; optional ``reported_level``; optional boolean
        trigger columns (:data:`COMPLAINT_TRIGGERS`; missing columns and values count as
        false).  Other columns are kept.
    grading : Grading, pandas.DataFrame or path, optional
        Where the tiers of ``customer_id`` come from (a customer not in it is ungraded).
    catalogue : Catalogue, optional
        Default :meth:`Catalogue.default`.

    Returns
    -------
    pandas.DataFrame
        The complaints with ``tier`` (when looked up) and the columns of
        ``grade_complaint(..., detail=True)``.

    Raises
    ------
    MissingColumnError
        Neither ``tier`` nor ``customer_id`` with a grading.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "from_higher_organisation": [True, False],
    ...                   "social_impact_risk": [False, True]})
    >>> g = pd.DataFrame({"customer_id": ["a", "b"], "tier": [3, 1]})
    >>> out = grade_complaints(c, g)
    >>> out["tier"].tolist(), out["complaint_level"].tolist()
    ([3, 1], ['key', 'emergency'])
    >>> out["reason"].tolist()[0]
    'key: passed down from a higher organisation'
    """
    from custvalue.errors import MissingColumnError

    out = complaints.copy()
    if "tier" not in out.columns:
        if grading is None or "customer_id" not in out.columns:
            raise MissingColumnError(
                "complaints", "tier", "no tier column, and no customer_id with a grading",
                fix="add the customers' tiers, or pass the grading")
        tiers = grading_table(grading)["tier"]
        out["tier"] = tiers.reindex(out["customer_id"].astype(str)).to_numpy()
    out["tier"] = out["tier"].astype("Int64")
    reported = out["reported_level"] if "reported_level" in out.columns else "ordinary"
    present = {name: out[name] for name in COMPLAINT_TRIGGERS if name in out.columns}
    graded = grade_complaint(out["tier"], reported, catalogue, detail=True, **present)
    assert isinstance(graded, pd.DataFrame)  # detail=True
    return out.join(graded)
