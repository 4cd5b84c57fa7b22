"""The one label table: the business name of every code, in Chinese and English.

Codes are what the data and the results hold (``general_commercial_industrial``,
``short_history``, ``max_borderline``, ``develop`` ...); a reader wants 一般工商业用电,
用电历史不足, 权重不确定下处于边界的客户占比, 优先发展.  The table ships as
``custvalue/present/labels.toml`` (package data, ``[kind] code = ["中文", "English"]``) and is
read once.  The report, the plots and the CLI take their labels from here; a scheme's own
labels (its dimensions, indicators and tiers) come first where a scheme is known
(:func:`scheme_label`).

Kinds: ``customer_class``, ``table``, ``status``, ``reason``, ``dimension``, ``indicator``, ``abc``,
``management``, ``complaint_level``, ``complaint_trigger``, ``prospect``, ``plan_status``,
``cause``, ``direction``, ``normalisation``, ``aggregation``, ``missing``, ``verdict``,
``gate``, ``clustering``.  An unknown code is shown as itself with underscores as spaces
(``label("reason", "odd_code")`` is ``"odd code"``), so that a new code never breaks a
page.

Examples
--------
>>> label("customer_class", "general_commercial_industrial")
'一般工商业用电'
>>> label("customer_class", "general_commercial_industrial", "en")
'general commercial and industrial'
>>> label("reason", "some_new_reason", "en")
'some new reason'
>>> label("cause", "cut shift + data", "zh")
'等级分界分变化 + 自身数据变化'
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

import pandas as pd

from custvalue.errors import InvalidValueError

__all__ = ["KINDS", "label", "label_series", "labels", "scheme_label"]

Lang = Literal["zh", "en"]
_FILE = "labels.toml"


@functools.cache
def _table() -> dict[str, dict[str, tuple[str, str]]]:
    text = resources.files("custvalue.present").joinpath(_FILE).read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    return {kind: {str(code): (str(pair[0]), str(pair[1])) for code, pair in entries.items()}
            for kind, entries in raw.items()}


#: The kinds of code the table labels.
KINDS: tuple[str, ...] = tuple(_table())


def _check(kind: str, lang: str) -> None:
    if kind not in _table():
        raise InvalidValueError("labels", "kind", f"unknown label kind {kind!r}",
                                fix=f"use one of {', '.join(KINDS)}")
    if lang not in ("zh", "en"):
        raise InvalidValueError("labels", "lang", f"lang must be 'zh' or 'en' (got {lang!r})")


def labels(kind: str, lang: Lang = "zh") -> dict[str, str]:
    """Every code of ``kind`` and its label in ``lang``.

    Examples
    --------
    >>> labels("management", "en")["restrict"]
    'restrict or drop'
    """
    _check(kind, lang)
    i = 0 if lang == "zh" else 1
    return {code: pair[i] for code, pair in _table()[kind].items()}


def label(kind: str, code: Any, lang: Lang = "zh") -> str:
    """The label of one code; a missing code is ``"–"``, an unknown one itself, readable.

    Compound codes joined by ``" + "`` (the regrade causes) are labelled part by part.

    Examples
    --------
    >>> label("verdict", "FAIL"), label("status", None), label("prospect", "stable", "en")
    ('不通过', '–', 'stable')
    """
    _check(kind, lang)
    if code is None or code is pd.NA or (isinstance(code, float) and code != code):
        return "–"
    text = str(code)
    pair = _table()[kind].get(text)
    if pair is not None:
        return pair[0 if lang == "zh" else 1]
    if " + " in text:
        return " + ".join(label(kind, part, lang) for part in text.split(" + "))
    return text.replace("_", " ")


def label_series(kind: str, values: pd.Series, lang: Lang = "zh") -> pd.Series:
    """Labels of a column of codes (vectorised through the few distinct codes).

    Examples
    --------
    >>> label_series("abc", pd.Series(["A", "C", None]), "en").tolist()
    ['class A (key)', 'class C (minor)', '–']
    """
    _check(kind, lang)
    codes = values.astype("object").where(values.notna(), None)
    distinct = pd.unique(codes.dropna())
    mapping = {code: label(kind, code, lang) for code in distinct}
    return codes.map(mapping).fillna("–").astype(object)


def scheme_label(scheme: Any, kind: Literal["dimension", "secondary", "indicator"], name: str,
                 lang: Lang = "zh") -> str:
    """A dimension's, secondary indicator's or indicator's label: the scheme's own, else the
    table's.

    Examples
    --------
    >>> from custvalue.scoring import Scheme
    >>> scheme_label(Scheme.default(), "indicator", "on_time_rate", "en")
    'on-time payment rate'
    >>> scheme_label(Scheme.default(), "secondary", "bill_payment")
    '电费缴纳情况'
    >>> scheme_label(None, "indicator", "late_fee")
    '违约金'
    """
    dims = getattr(scheme, "dimensions", None)
    if isinstance(dims, Mapping):
        found: Any = None
        if kind == "dimension":
            found = dims.get(name)
        else:
            for dim in dims.values():
                inds = ((getattr(dim, "secondary", None) or {}) if kind == "secondary" else
                        (getattr(dim, "leaves", None) or getattr(dim, "indicators", None) or {}))
                if name in inds:
                    found = inds[name]
                    break
        text = getattr(getattr(found, "label", None), lang, "")
        if text:
            return str(text)
    return label(kind, name, lang)
