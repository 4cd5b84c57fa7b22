"""Write the corpus of bad (and oddly spelled) inputs: one folder per case.

Each case folder holds the five tables as an export might (CSV unless the case is about
the file form) and ``expected.toml``:

* ``exit``: the CLI's exit code (0 accepted, 2 bad input);
* ``table``, ``column``, ``code``: for ``exit = 2``, what the error names;
* ``same_as_clean``: for ``exit = 0``, whether the grades must equal the clean case's;
* ``finding``: a finding code the check report must carry (a warning or an info);
* ``why``: the case in one sentence.

Every case is graded with ``duplicates="sum"`` and ``negative_energy="allow"`` (the sample
generator writes duplicated and negative months on purpose).  Run
``python tests/data/bad_inputs/make_corpus.py`` to rewrite the folders (or
``... make_corpus.py CASE ...`` to write only the cases named).
"""

from __future__ import annotations

import csv
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
MAPPING = HERE.parents[2] / "data" / "samples" / "mapping.example.toml"
Tables = dict[str, pd.DataFrame]


def base() -> Tables:
    import custvalue.inputs.samples as samples

    return samples.generate(30, months=24, seed=11)


def _dates(t: Tables, fmt: Callable[[pd.Series], pd.Series]) -> Tables:
    cols = {"customers": ["opened", "closed"], "monthly": ["due_date", "paid_date"],
            "events": ["date"], "cooperation": ["date"]}
    for name, names in cols.items():
        frame = t[name].copy()
        for c in names:
            d = pd.to_datetime(frame[c])
            frame[c] = fmt(d).where(d.notna(), None)
        t[name] = frame
    return t


def yyyymmdd(t: Tables) -> Tables:
    return _dates(t, lambda d: d.dt.strftime("%Y%m%d"))


def datetimes(t: Tables) -> Tables:
    return _dates(t, lambda d: d.dt.strftime("%Y-%m-%d 00:00:00"))


def slashes(t: Tables) -> Tables:
    return _dates(t, lambda d: d.dt.strftime("%Y/%m/%d").str.replace("/0", "/"))


def short_months(t: Tables) -> Tables:
    p = pd.to_datetime(t["monthly"]["period"] + "-01")
    t["monthly"]["period"] = p.dt.year.astype(str) + "-" + p.dt.month.astype(str)
    return t


def compact_months(t: Tables) -> Tables:
    t["monthly"]["period"] = t["monthly"]["period"].str.replace("-", "")
    return t


def nan_text(t: Tables) -> Tables:
    m = t["monthly"].astype({"reactive_kvarh": object})
    m.loc[m["reactive_kvarh"].isna(), "reactive_kvarh"] = "NaN"
    t["monthly"] = m
    return t


def inf_energy(t: Tables) -> Tables:
    m = t["monthly"].astype({"active_kwh": object})
    m.loc[3, "active_kwh"] = "inf"
    t["monthly"] = m
    return t


def comma_decimal(t: Tables) -> Tables:
    m = t["monthly"].astype({"billed_amount": object})
    m.loc[5, "billed_amount"] = "12,5"
    t["monthly"] = m
    return t


def bad_due_date(t: Tables) -> Tables:
    t["monthly"].loc[7, "due_date"] = "someday"
    return t


def bad_month(t: Tables) -> Tables:
    t["monthly"].loc[2, "period"] = "2023-13"
    return t


def clean(t: Tables) -> Tables:
    return t


def typo_period(t: Tables) -> Tables:
    t["monthly"].loc[4, "period"] = "2042-01"
    return t


def huge_energy(t: Tables) -> Tables:
    t["monthly"].loc[6, "active_kwh"] = 1.0e16
    return t


def due_before(t: Tables) -> Tables:
    t["monthly"].loc[8, "due_date"] = "2021-01-20"
    return t


def closed_before(t: Tables) -> Tables:
    t["customers"].loc[2, "closed"] = "2001-01-01"
    return t


def score_443(t: Tables) -> Tables:
    c = t["cooperation"]
    c.loc[c.index[0], "score"] = 443.0
    return t


def negative_tce(t: Tables) -> Tables:
    e = t["energy"]
    e.loc[e.index[0], "total_energy_tce"] = -5.0
    return t


def huge_replaceable(t: Tables) -> Tables:
    e = t["energy"]
    e.loc[e.index[0], "replaceable_tce"] = 1.0e15
    return t


def period_year_0001(t: Tables) -> Tables:
    t["monthly"].loc[4, "period"] = "0001-01"
    return t


def period_year_99xx(t: Tables) -> Tables:
    """One customer's rows dated 99YY (3 % of the rows: not a detached typo)."""
    m = t["monthly"]
    first = m["customer_id"] == m["customer_id"].iloc[0]
    for column in ("period", "due_date", "paid_date"):
        text = m.loc[first, column].astype("string")
        m.loc[first, column] = ("99" + text.str[2:]).where(text.notna(), None)
    return t


def half_missing_last_month(t: Tables) -> Tables:
    m = t["monthly"]
    last = m["period"].max()
    ids = sorted(m["customer_id"].unique())[: len(m["customer_id"].unique()) * 2 // 3]
    t["monthly"] = m[~((m["period"] == last) & m["customer_id"].isin(ids))]
    return t


def chinese(t: Tables) -> Tables:
    """The tables as the example mapping's export: Chinese names, codes and files."""
    import tomllib

    spec = tomllib.loads(MAPPING.read_text(encoding="utf-8"))
    out = {}
    for name, frame in t.items():
        entry = spec["tables"][name]
        back = {v: k for k, v in {**spec["columns"], **entry.get("columns", {})}.items()}
        frame = frame.copy()
        for column, values in entry.get("values", {}).items():
            frame[column] = frame[column].replace({v: k for k, v in values.items()})
        out[entry["file"]] = frame.rename(columns=back)
    return out


def compact_months_and_dates(t: Tables) -> Tables:
    return compact_months(yyyymmdd(t))


# name: (transform, expected, writer options)
CASES: dict[str, tuple[Callable[[Tables], Tables], dict, dict]] = {
    "clean": (clean, {"exit": 0, "same_as_clean": True, "why": "the reference"}, {}),
    "dates_yyyymmdd": (yyyymmdd, {"exit": 0, "same_as_clean": True,
                                  "why": "every date written YYYYMMDD is a day, not a month"},
                       {}),
    "dates_with_time": (datetimes, {"exit": 0, "same_as_clean": True,
                                    "why": "dates with a 00:00:00 time part"}, {}),
    "dates_slashes": (slashes, {"exit": 0, "same_as_clean": True,
                                "why": "dates as YYYY/M/D"}, {}),
    "months_short": (short_months, {"exit": 0, "same_as_clean": True,
                                    "why": "2023-9 is September and sorts before 2023-12"},
                     {}),
    "months_compact": (compact_months, {"exit": 0, "same_as_clean": True,
                                        "why": "periods as YYYYMM"}, {}),
    "quote_all": (clean, {"exit": 0, "same_as_clean": True,
                          "why": "every cell quoted, blanks as \"\""}, {"quote_all": True}),
    "nan_text": (nan_text, {"exit": 0, "same_as_clean": True,
                            "why": "the text NaN is a missing value"}, {}),
    "gbk_contract_names": (clean, {"exit": 0, "same_as_clean": True,
                                   "why": "a GBK file (Excel on Chinese Windows) is detected"},
                           {"encoding": "gbk", "zh_regions": True}),
    "chinese_export_mapped": (
        lambda t: chinese(compact_months_and_dates(t)),
        {"exit": 0, "same_as_clean": True, "mapping": "mapping.toml",
         "why": "户号/用电量 ... and 大工业 ... through the example mapping, GBK, YYYYMM"},
        {"encoding": "gbk", "mapping": True}),
    "excel_two_sheets": (clean, {"exit": 0, "same_as_clean": True,
                                 "why": "monthly split over two sheets of one workbook"},
                         {"excel_sheets": True}),
    "typo_period_2042": (typo_period, {"exit": 2, "table": "monthly", "column": "period",
                                       "code": "period_detached",
                                       "why": "one row in 2042-01 must not move the window"},
                         {}),
    "huge_energy": (huge_energy, {"exit": 2, "table": "monthly", "column": "active_kwh",
                                  "code": "implausible_magnitude",
                                  "why": "1e16 kWh would overflow the fixed-point sums"}, {}),
    "due_before_period": (due_before, {"exit": 2, "table": "monthly", "column": "due_date",
                                       "code": "due_before_period",
                                       "why": "a bill due before its month"}, {}),
    "closed_before_opened": (closed_before, {"exit": 2, "table": "customers",
                                             "column": "closed",
                                             "code": "closed_before_opened",
                                             "why": "an account closed before it opened"}, {}),
    "score_out_of_range": (score_443, {"exit": 2, "table": "cooperation", "column": "score",
                                       "code": "out_of_range",
                                       "why": "a cooperation score of 443 on a 0-5 scale"},
                           {}),
    "negative_tce": (negative_tce, {"exit": 2, "table": "energy",
                                    "column": "total_energy_tce", "code": "negative_value",
                                    "why": "negative energy use"}, {}),
    "low_coverage": (half_missing_last_month, {"exit": 0, "finding": "low_coverage",
                                               "why": "two thirds of the customers have no "
                                               "row in the latest month: a warning"}, {}),
    "ragged_csv": (clean, {"exit": 2, "table": "monthly", "code": "unreadable",
                           "why": "a line with more fields than the header"},
                   {"append_monthly": "C000001,2023-01,1,2,3,4,5,6,7,8,9,10,11,12\n"}),
    "inf_energy": (inf_energy, {"exit": 2, "table": "monthly", "column": "active_kwh",
                                "code": "not_numeric", "why": "inf is not a reading"}, {}),
    "comma_decimal": (comma_decimal, {"exit": 2, "table": "monthly",
                                      "column": "billed_amount", "code": "not_numeric",
                                      "why": "a decimal comma is not read as a number"}, {}),
    "bad_due_date": (bad_due_date, {"exit": 2, "table": "monthly", "column": "due_date",
                                    "code": "not_date", "why": "text that is no date"}, {}),
    "bad_month": (bad_month, {"exit": 2, "table": "monthly", "column": "period",
                              "code": "not_date", "why": "month 13"}, {}),
    "huge_replaceable_tce": (huge_replaceable, {
        "exit": 2, "table": "energy", "column": "replaceable_tce",
        "code": "implausible_magnitude",
        "why": "1e15 tce replaceable overflowed the fixed-point tce (a raw polars error)"}, {}),
    "period_year_0001": (period_year_0001, {
        "exit": 2, "table": "monthly", "column": "period", "code": "out_of_range",
        "why": "a placeholder month 0001-01 (were every row so, the window could not be "
        "built: a raw ValueError)"}, {}),
    "period_year_99xx": (period_year_99xx, {
        "exit": 2, "table": "monthly", "column": "period", "code": "out_of_range",
        "why": "one customer's rows in year 99xx moved the window to year 9923: 29 of 30 "
        "customers without records (in year 9999 the window's last day was a raw "
        "ValueError)"}, {}),
}


def main_new(names: list[str]) -> None:
    """Write only the named cases (the others stay byte for byte as they are)."""
    for name in names:
        transform, expected, options = CASES[name]
        tables = {k: v.copy() for k, v in base().items()}
        write(name, transform(tables), expected, options)


def _toml(expected: dict) -> str:
    lines = []
    for k, v in expected.items():
        if isinstance(v, bool):
            lines.append(f"{k} = {'true' if v else 'false'}")
        elif isinstance(v, int):
            lines.append(f"{k} = {v}")
        else:
            lines.append(f'{k} = "{v}"'.replace('\\"', '"') if '"' not in v
                         else f"{k} = '{v}'")
    return "\n".join(lines) + "\n"


def write(name: str, tables: Tables, expected: dict, options: dict) -> None:
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if options.get("mapping"):
        shutil.copy(MAPPING, folder / "mapping.toml")
    if options.get("zh_regions"):
        zh = {"north": "城北供电所", "south": "城南供电所", "east": "城东供电所",
              "west": "城西供电所", "central": "城中供电所", "riverside": "滨江供电所"}
        tables["customers"]["region"] = tables["customers"]["region"].replace(zh)
    for table, frame in tables.items():
        if options.get("excel_sheets") and table == "monthly":
            first = frame["period"] < "2023-01"
            with pd.ExcelWriter(folder / "monthly.xlsx") as writer:
                frame[first].to_excel(writer, sheet_name="2022", index=False)
                frame[~first].to_excel(writer, sheet_name="2023", index=False)
            continue
        kwargs: dict = {"index": False, "lineterminator": "\n"}
        if options.get("quote_all"):
            kwargs["quoting"] = csv.QUOTE_ALL
            frame = frame.astype(object).where(frame.notna(), "")
        encoding = options.get("encoding", "utf-8")
        name = table if table.endswith(".csv") else f"{table}.csv"
        frame.to_csv(folder / name, encoding=encoding, **kwargs)
    if options.get("append_monthly"):
        with open(folder / "monthly.csv", "a", encoding="utf-8") as fh:
            fh.write(options["append_monthly"])
    (folder / "expected.toml").write_text(_toml(expected), encoding="utf-8")


def main() -> None:
    for name, (transform, expected, options) in CASES.items():
        tables = {k: v.copy() for k, v in base().items()}
        write(name, transform(tables), expected, options)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[2] / "src"))
    main_new(sys.argv[1:]) if sys.argv[1:] else main()
