"""The shared base of custvalue's configuration files (the scheme, the service catalogue).

Configuration is data with types: frozen pydantic models whose constructors raise a
:class:`~custvalue.errors.SchemeError` (or a subclass) naming the dotted path of the problem,
read from TOML or JSON text or files, and written back by one TOML writer with an exact round
trip (inline tables for short mappings, floats by ``repr``).

Examples
--------
>>> class Limits(ConfigModel):
...     low: float = 0.0
>>> Limits(low="x")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
custvalue.errors.SchemeError: low: Input should be a valid number...
>>> print(to_toml({"name": "x", "limits": {"low": 0.1}}, inline_keys=()), end="")
name = "x"
<BLANKLINE>
[limits]
low = 0.1
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from custvalue.errors import PicklableMixin, SchemeError

__all__ = ["NAME_PATTERN", "ConfigModel", "PathError", "config_error", "parse_source",
           "read_source", "to_toml"]

#: Names of dimensions, indicators and services: a letter or ``_``, then letters, digits, ``_``.
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class PathError(PicklableMixin, ValueError):
    """A validation problem located below the model that raised it (``subpath``)."""

    code: ClassVar[str] = "config_path"

    def __init__(self, subpath: tuple[str, ...], problem: str) -> None:
        super().__init__(problem)
        self.subpath = subpath
        self.problem = problem


def config_error(exc: ValidationError, prefix: tuple[str, ...] = (),
                 error: type[SchemeError] = SchemeError) -> SchemeError:
    """Turn a pydantic ``ValidationError`` into ``error`` with a dotted path."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = [*prefix, *(str(p) for p in err["loc"])]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, PathError):
            loc += list(cause.subpath)
            msg = cause.problem
        else:
            msg = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            if err["type"] not in ("missing", "extra_forbidden") and not isinstance(
                value, Mapping
            ):
                msg += f" (got {value!r})"
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check its spelling)"
        problems.append((".".join(loc), msg))
    path, problem = problems[0]
    if len(problems) > 1:
        problem += "; also " + "; ".join(f"{p}: {m}" for p, m in problems[1:])
    return error(path, problem)


if TYPE_CHECKING:  # the metaclass pydantic builds models with (type(BaseModel) at run time)
    from pydantic._internal._model_construction import ModelMetaclass as _ModelMeta
else:
    _ModelMeta = type(BaseModel)


class _ConfigMeta(_ModelMeta):
    """Make the models' constructors raise the model's ``error_class`` (nested validation is
    untouched, so paths stay complete)."""

    error_class: type[SchemeError]  # set by ConfigModel and its subclasses

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as exc:
            raise config_error(exc, error=cls.error_class) from None


class ConfigModel(BaseModel, metaclass=_ConfigMeta):
    """Frozen, strict-keyed base model whose constructor raises :attr:`error_class`."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
    #: The error raised for an invalid value (a :class:`SchemeError` subclass).
    error_class: ClassVar[type[SchemeError]] = SchemeError


def read_source(source: str | Path,
                error: type[SchemeError] = SchemeError) -> tuple[str, str]:
    """Return ``(text, where)`` for a path or literal text; problems raise ``error``."""
    if isinstance(source, Path):
        try:
            return source.read_text(encoding="utf-8"), str(source)
        except OSError as exc:
            raise error("", f"cannot read {source}: {exc}") from None
    if isinstance(source, str):
        if "\n" not in source and source.strip():
            try:
                candidate = Path(source)
                if candidate.is_file():
                    return candidate.read_text(encoding="utf-8"), source
            except OSError:
                pass
            if source.lower().endswith((".toml", ".json")):
                raise error("", f"no such file: {source}")
        return source, "the text"
    raise error("", f"expected TOML/JSON text or a path (got {type(source).__name__})")


def parse_source(source: str | Path, fmt: str, error: type[SchemeError] = SchemeError,
                 what: str = "a configuration") -> Any:
    """Read ``source`` (see :func:`read_source`) and parse it as ``fmt`` (``"toml"`` or
    ``"json"``); unreadable text and nesting too deep to parse raise ``error``.

    Examples
    --------
    >>> parse_source('a = 1', "toml")
    {'a': 1}
    >>> parse_source('[' * 100_000 + ']' * 100_000, "json", what="a scheme")
    Traceback (most recent call last):
    ...
    custvalue.errors.SchemeError: the text is nested too deeply to be a scheme
    """
    text, where = read_source(source, error)
    try:
        return tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise error("", f"{where} is not valid {fmt.upper()}: {exc}") from None
    except RecursionError:
        raise error("", f"{where} is nested too deeply to be {what}") from None


# -- the one TOML writer ---------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):  # pragma: no cover - excluded by validation
            raise SchemeError("", f"cannot write a non-finite number {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}"
                                for k, v in value.items()) + " }"
    raise SchemeError("", f"cannot write {type(value).__name__} to TOML")  # pragma: no cover


def _toml_key(key: str) -> str:
    ok = key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    return key if ok else json.dumps(key, ensure_ascii=False)


def _is_table_array(value: Any) -> bool:
    return (isinstance(value, list | tuple) and len(value) > 0
            and all(isinstance(v, Mapping) for v in value))


def _emit_table(path: tuple[str, ...], table: Mapping[str, Any], out: list[str],
                inline_keys: Collection[str], header: str | None = None) -> None:
    def nested(key: str, value: Any) -> bool:
        return ((isinstance(value, Mapping) and key not in inline_keys)
                or _is_table_array(value))

    plain = [(k, v) for k, v in table.items() if not nested(k, v)]
    tables = [(k, v) for k, v in table.items() if nested(k, v)]
    if header is not None:
        out.extend(["", header])
    elif path and (plain or not tables):
        out.extend(["", "[" + ".".join(_toml_key(p) for p in path) + "]"])
    for key, value in plain:
        out.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables:
        sub = (*path, key)
        if _is_table_array(value):
            for item in value:
                _emit_table(sub, item, out, inline_keys,
                            header="[[" + ".".join(_toml_key(p) for p in sub) + "]]")
        else:
            _emit_table(sub, value, out, inline_keys)


def to_toml(data: Mapping[str, Any], inline_keys: Collection[str] = ()) -> str:
    """TOML text of ``data``: nested mappings as tables (``[a.b]``), lists of mappings as
    arrays of tables (``[[a]]``), mappings under ``inline_keys`` inline, floats by ``repr``.
    """
    lines: list[str] = []
    _emit_table((), data, lines, frozenset(inline_keys))
    return "\n".join(lines).strip() + "\n"
