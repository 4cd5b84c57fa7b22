"""Every exception type: a stable ``code``, documented, and a lossless ``pickle`` round trip.

The exception classes are discovered by importing every module of the package, so a new
exception class fails here until it has its own code (in the table below and in
``docs/data-contract.md``) and pickles with its attributes.
"""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import re
import warnings
from pathlib import Path

import pytest

import custvalue
from custvalue.errors import CustvalueError, InputError, SchemeError

#: The released codes: changing one breaks the services that route on it.
CODES = {
    "CustvalueError": "custvalue_error",
    "InputError": "input_error",
    "EmptyTableError": "empty_table",
    "MissingColumnError": "missing_column",
    "ColumnTypeError": "column_type",
    "InvalidValueError": "invalid_value",
    "DuplicateRowsError": "duplicate_rows",
    "NegativeEnergyError": "negative_energy",
    "ReactiveWithoutActiveError": "reactive_without_active",
    "UnknownCustomerError": "unknown_customer",
    "PaymentBeforePeriodError": "paid_before_period",
    "UnsupportedInputError": "unsupported_input",
    "DatabaseError": "database_error",
    "SchemeError": "scheme_error",
    "InconsistentJudgmentsError": "inconsistent_judgments",
    "CatalogueError": "catalogue_error",
    "MappingError": "mapping_error",
    "SnapshotError": "snapshot_error",
    "NotFittedError": "not_fitted",
    "SchemeWarning": "scheme_warning",
    "PathError": "config_path",
}

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-contract.md"


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecated alias modules warn on import
        for info in pkgutil.walk_packages(custvalue.__path__, "custvalue."):
            if info.name.endswith(".__main__"):  # runs the command line
                continue
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (isinstance(obj, type) and issubclass(obj, BaseException)
                        and obj.__module__.startswith("custvalue")):
                    found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return sorted(found.values(), key=lambda c: c.__name__)


CLASSES = _exception_classes()


def _instance(cls: type[BaseException]) -> BaseException:
    if issubclass(cls, InputError):
        return cls("monthly", "active_kwh", "values must be finite",
                   [{"customer_id": "C1", "month": "2024-01", "active_kwh": -3.0}],
                   fix="replace them", count=7)
    if issubclass(cls, SchemeError):
        return cls("dimensions.usage.weight", "must be positive")
    if cls.__name__ == "PathError":
        return cls(("indicators", "kwh"), "unknown method")
    return cls("something went wrong")


def test_every_custvalue_error_is_found_and_has_its_released_code():
    names = {c.__name__ for c in CLASSES}
    assert names == set(CODES)
    assert {c for c in CLASSES if issubclass(c, CustvalueError)} >= {CustvalueError, InputError}
    for cls in CLASSES:
        assert "code" in vars(cls), f"{cls.__name__} inherits its code instead of naming its own"
        assert cls.code == CODES[cls.__name__]


def test_codes_are_unique_snake_case_and_documented():
    codes = [c.code for c in CLASSES]
    assert len(set(codes)) == len(codes)
    doc = DOC.read_text(encoding="utf-8")
    section = doc[doc.index("## Error codes"):]
    for cls in CLASSES:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", cls.code)
        assert f"| `{cls.code}` | " in section and cls.__name__ in section


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_pickle_round_trip_keeps_type_message_and_attributes(cls):
    err = _instance(cls)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert str(back) == str(err)
    assert back.args == err.args
    assert vars(back) == vars(err)
    assert back.code == cls.code
    if isinstance(err, InputError):
        assert (back.table, back.column, back.problem, back.fix, back.count) == (
            "monthly", "active_kwh", "values must be finite", "replace them", 7)
        assert back.examples == [{"customer_id": "C1", "month": "2024-01", "active_kwh": -3.0}]
    if isinstance(err, SchemeError):
        assert (back.path, back.problem) == ("dimensions.usage.weight", "must be positive")


def test_an_error_raised_in_a_worker_process_arrives_whole():
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_raise_missing_column)
        with pytest.raises(InputError) as info:
            future.result()
    err = info.value
    assert (type(err).__name__, err.code, err.table, err.column, err.count) == (
        "MissingColumnError", "missing_column", "customers", "customer_class", 1)


def _raise_missing_column() -> None:
    from custvalue.errors import MissingColumnError

    raise MissingColumnError("customers", "customer_class", "column is missing", count=1,
                             fix="add the column")
