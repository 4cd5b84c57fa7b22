"""Building the per-customer columns of a grading without per-row Python objects.

The per-customer stages (scoring, tiers, the table of :func:`custvalue.grade`) work on
numpy arrays in ``customer_id`` order and meet pandas once, when the table is built.  This
module holds what they share for that:

* :func:`ids_sorted_unique` and :func:`same_ids`: whether an index of customer ids is already
  sorted and unique, and whether two are the same, in one vectorised pass (no hash table,
  no conversion of Arrow strings to Python objects);
* :func:`text_categorical` and :func:`join_texts`: text columns (reasons, notes, labels) as
  pandas categoricals built from integer codes, so that a million customers with a handful of
  distinct texts cost a handful of strings;
* :func:`descending_order`: the rank order of a score (descending, ties by position), the
  one sort the ranks, tiers and ABC classes of a million customers each need;
* :data:`CATEGORICAL_COLUMNS` and :func:`saved_table` / :func:`loaded_table`: which columns of
  the grading table are categorical in memory, and the dtypes they keep in the saved files
  (schema version 2: plain text), so that ``grades.parquet`` and ``grades.csv`` stay
  byte-identical to the files written before the columns became categorical.

Examples
--------
>>> codes = np.array([0, -1, 1, 0])
>>> text_categorical(codes, ["b", "a"]).tolist()
['b', nan, 'a', 'b']
>>> joined = join_texts([(np.array([0, -1, -1]), ["x missing"]),
...                      (np.array([0, 0, -1]), ["no y"])])
>>> joined.tolist(), list(joined.categories)
(['x missing; no y', 'no y', nan], ['no y', 'x missing; no y'])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = [
    "CATEGORICAL_COLUMNS",
    "SAVED_TEXT_DTYPES",
    "codes_of",
    "descending_order",
    "ids_sorted_unique",
    "join_texts",
    "label_categorical",
    "loaded_table",
    "same_ids",
    "saved_table",
    "text_categorical",
]

#: Text columns that the per-customer stage makes, held as categoricals in the grading
#: table (besides ``abc``, an ordered categorical in the saved file too), with the dtype
#: each keeps in the saved files: ``str`` (pandas' default text dtype, missing = NaN) or
#: ``string`` (missing = NA).  The indicator stage's ``reason__*`` columns stay as it gives
#: them (Arrow-backed text: no Python object per row).
SAVED_TEXT_DTYPES: Final = {"reason": "str", "tier_zh": "string", "tier_en": "string",
                            "tier_note": "string"}
#: The columns that are categorical in memory.
CATEGORICAL_COLUMNS: Final = tuple(SAVED_TEXT_DTYPES)


def _arrow_strings(index: pd.Index) -> Any:
    """The Arrow array behind a pyarrow-backed string index, else None."""
    dtype = index.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        return pa.chunked_array(pa.array(index.array))  # no copy of the strings
    return None


def ids_sorted_unique(index: pd.Index) -> bool:
    """Whether the ids are strictly increasing (so sorted and unique), in one pass.

    False for missing ids and for ids that cannot be compared (mixed types).

    Examples
    --------
    >>> ids_sorted_unique(pd.Index(["a", "b", "c"])), ids_sorted_unique(pd.Index(["a", "a"]))
    (True, False)
    """
    n = len(index)
    if n < 2:
        return not (n == 1 and pd.isna(index[0]))
    arrow = _arrow_strings(index)
    if arrow is not None:
        import pyarrow.compute as pc

        less = pc.less(arrow.slice(0, n - 1), arrow.slice(1))
        return bool(pc.all(less, skip_nulls=False).as_py() or False)
    values = index.to_numpy()
    try:
        return bool(np.all(values[:-1] < values[1:]))
    except TypeError:  # mixed types, missing values
        return False


def same_ids(a: pd.Index, b: pd.Index) -> bool:
    """Whether two indexes hold the same ids in the same order, in one vectorised pass.

    Examples
    --------
    >>> same_ids(pd.Index(["a", "b"]), pd.Index(["a", "b"], dtype=object))
    True
    """
    if a is b:
        return True
    if len(a) != len(b):
        return False
    left, right = _arrow_strings(a), _arrow_strings(b)
    if left is not None and right is not None:
        return bool(left.equals(right))
    return bool(a.equals(b))


def descending_order(values: np.ndarray) -> np.ndarray:
    """Positions of the non-NaN ``values``, largest first, equal values by position.

    The same order as ``np.argsort(-values, kind="stable")`` restricted to the non-NaN
    values, faster.  Scores on the grid of ``RANK_DECIMALS`` (9) decimals -- what the
    ranks and tiers of a grading compare -- are sorted as single 64-bit integers (the value
    on the grid, then the position), which a plain sort orders in one pass; other values
    by an unstable sort whose runs of equal values are then put back in position order.

    Examples
    --------
    >>> descending_order(np.array([5.0, 7.0, np.nan, 5.0, 9.0])).tolist()
    [4, 1, 0, 3]
    >>> descending_order(np.array([0.1 + 0.2, 0.3, np.nan, 1e-12])).tolist()
    [0, 1, 3]
    """
    x = np.asarray(values, dtype=np.float64)
    present = np.flatnonzero(~np.isnan(x))
    key = x[present]
    packed = _grid_order(key)
    if packed is not None:
        return present[packed]
    key = -key
    order = np.argsort(key)
    sk = key[order]
    eq = sk[1:] == sk[:-1]
    if eq.any():
        tied = np.zeros(sk.size, dtype=bool)
        tied[1:] |= eq
        tied[:-1] |= eq
        start = tied.copy()
        start[1:] &= ~eq
        run = np.cumsum(start)[tied]
        pos = order[tied]
        order[tied] = pos[np.lexsort((pos, run))]
    return present[order]


_GRID = 10**9  # RANK_DECIMALS of the grading contract


def _grid_order(v: np.ndarray) -> np.ndarray | None:
    """The descending order of ``v`` by one integer sort, or None when it does not apply.

    It applies when every value is on the grid of 9 decimals (``round(v, 9) == v``) and
    small enough that ``v * 10**9`` is an exact integer: then equal values give equal
    integers and different values different ones, in the same order, and the integer
    ``(max - q) * 2**bits + position`` sorts by value descending, then position.
    """
    n = v.size
    if n < 2 or not np.abs(v).max() < 2.0**52 / _GRID / 4:
        return None
    if not np.array_equal(np.round(v, 9), v):
        return None
    q = np.rint(v * _GRID).astype(np.int64)
    top = int(q.max())
    bits = int(n - 1).bit_length()
    if top - int(q.min()) >= 2 ** (62 - bits):
        return None
    key = ((top - q) << bits) | np.arange(n, dtype=np.int64)
    key.sort()
    return key & ((1 << bits) - 1)


def codes_of(values: Any) -> tuple[np.ndarray, list[str]]:
    """Integer codes (-1 = missing) and the distinct texts of a text column.

    A categorical gives its codes as they are; Arrow strings are dictionary-encoded by
    Arrow; other columns are factorised by pandas.

    Examples
    --------
    >>> codes, texts = codes_of(pd.Series(["x", None, "y", "x"], dtype="str"))
    >>> codes.tolist(), texts
    ([0, -1, 1, 0], ['x', 'y'])
    """
    array = values.array if isinstance(values, pd.Series | pd.Index) else values
    if isinstance(array, pd.Categorical):
        return np.asarray(array.codes, dtype=np.int64), [str(c) for c in array.categories]
    dtype = getattr(array, "dtype", None)
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(pa.chunked_array(pa.array(array))).combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        codes = np.where(np.isnan(codes), -1, codes) if codes.dtype.kind == "f" else codes
        return codes.astype(np.int64), [str(x) for x in encoded.dictionary.to_pylist()]
    codes, uniques = pd.factorize(np.asarray(array, dtype=object))
    return codes.astype(np.int64), [str(u) for u in uniques]


def text_categorical(codes: np.ndarray, texts: Sequence[str | None]) -> pd.Categorical:
    """A categorical of ``texts[code]`` (-1, ``None`` or ``""`` = missing).

    Its categories are the distinct texts that occur, sorted (the canonical form: a column
    read back from a saved file and made categorical has the same categories).

    Examples
    --------
    >>> text_categorical(np.array([1, 2, 0, -1]), ["b", "a", "b"]).codes.tolist()
    [0, 1, 1, -1]
    """
    codes = np.asarray(codes, dtype=np.int64)
    n_texts = len(texts)
    used = np.bincount(codes[codes >= 0], minlength=n_texts) > 0 if codes.size else \
        np.zeros(n_texts, dtype=bool)
    kept = sorted({str(texts[i]) for i in np.flatnonzero(used).tolist() if texts[i]})
    position = {t: i for i, t in enumerate(kept)}
    lut = np.array([position.get(str(t), -1) if t else -1 for t in texts] + [-1],
                   dtype=np.int64)
    new = lut[np.where(codes >= 0, codes, n_texts)]
    return pd.Categorical.from_codes(new.astype(_code_dtype(len(kept))),
                                     categories=pd.Index(kept, dtype="str"))


def label_categorical(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
    """A categorical of ``labels[code]`` (-1 = missing) whose categories are the labels in
    their given order (e.g. tier labels, best first), each once, used or not.

    Examples
    --------
    >>> label_categorical(np.array([1, -1, 0]), ["special", "first"]).tolist()
    ['first', nan, 'special']
    """
    distinct = list(dict.fromkeys(labels))
    lut = np.array([distinct.index(x) for x in labels] + [-1], dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    new = lut[np.where(codes >= 0, codes, len(labels))]
    return pd.Categorical.from_codes(new.astype(_code_dtype(len(distinct))),
                                     categories=pd.Index(distinct, dtype="str"))


def _code_dtype(n: int) -> type[np.signedinteger[Any]]:
    return np.int8 if n < 127 else np.int16 if n < 32_000 else np.int32


def join_texts(parts: Sequence[tuple[np.ndarray, Sequence[str]]], sep: str = "; ",
               n: int | None = None) -> pd.Categorical:
    """Per row, the texts of the parts present joined by ``sep``, as a categorical.

    Each part is ``(codes, texts)``: the row's text of that part is ``texts[code]``, none
    where the code is -1.  Rows without any text are missing.  The work is one pass over
    the rows per part; strings are built only for the distinct combinations that occur.

    Parameters
    ----------
    parts : sequence of (numpy.ndarray, sequence of str)
        Codes (N,) and their texts, in the order the texts are joined.
    sep : str, default "; "
    n : int, optional
        Number of rows (needed when ``parts`` is empty).

    Returns
    -------
    pandas.Categorical
        Categories sorted (see :func:`text_categorical`).

    Examples
    --------
    >>> a = (np.array([0, 0, -1]), ["x"])
    >>> b = (np.array([-1, 1, -1]), ["p", "q"])
    >>> join_texts([a, b]).tolist()
    ['x', 'x; q', nan]
    """
    rows = int(n if n is not None else (len(parts[0][0]) if parts else 0))
    codes = np.full(rows, -1, dtype=np.int64)
    texts: list[str] = []
    for part_codes, part_texts in parts:
        codes, texts = _join2(codes, texts, np.asarray(part_codes, dtype=np.int64),
                              [str(t) for t in part_texts], sep)
    return text_categorical(codes, texts)


def _join2(a: np.ndarray, a_texts: list[str], b: np.ndarray, b_texts: list[str],
           sep: str) -> tuple[np.ndarray, list[str]]:
    ka, kb = len(a_texts) + 1, len(b_texts) + 1
    key = (a + 1) + (b + 1) * ka
    size = ka * kb
    if size <= 4 * key.size + 4096:  # small key space: a lookup table, no sort
        present = np.flatnonzero(np.bincount(key, minlength=size))
        lut = np.full(size, -1, dtype=np.int64)
        lut[present] = np.arange(present.size)
        codes = lut[key]
    else:
        present, codes = np.unique(key, return_inverse=True)
        codes = codes.ravel()
    texts: list[str] = []
    remap = np.full(present.size + 1, -1, dtype=np.int64)
    for j, p in enumerate(present.tolist()):  # a loop over the combinations, not the rows
        ia, ib = p % ka - 1, p // ka - 1
        words = ([a_texts[ia]] if ia >= 0 else []) + ([b_texts[ib]] if ib >= 0 else [])
        text = sep.join(w for w in words if w)
        if text:
            remap[j] = len(texts)
            texts.append(text)
    return remap[codes], texts


def saved_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its categorical text columns in the dtypes of the saved files.

    Schema version 2 stores these columns as plain text; casting them back keeps
    ``grades.parquet`` and ``grades.csv`` byte-identical to files written before the columns
    became categorical.  Other columns are not copied.

    Examples
    --------
    >>> t = pd.DataFrame({"reason": pd.Categorical(["departed", None])})
    >>> saved_table(t)["reason"].dtype
    <StringDtype(na_value=nan)>
    """
    cast: dict[Any, Any] = {c: _saved_dtype(c) for c in table.columns
                            if isinstance(table[c].dtype, pd.CategoricalDtype)
                            and _saved_dtype(c)}
    return table.astype(cast) if cast else table


def _saved_dtype(column: str) -> str | None:
    return SAVED_TEXT_DTYPES.get(column)


def loaded_table(table: pd.DataFrame, labels: Sequence[Sequence[str]] = ()) -> pd.DataFrame:
    """The categorical text columns of a table read from a saved file, in place.

    ``reason`` and ``tier_note`` get their sorted distinct texts as categories;
    ``tier_zh`` and ``tier_en`` the scheme's labels in tier order (``labels`` =
    ``(labels_zh, labels_en)``), as :func:`custvalue.grade` makes them; without
    ``labels``, the labels present, in the order of the ``tier`` column.

    Examples
    --------
    >>> t = loaded_table(pd.DataFrame({"tier_en": ["first", None]}), ([], ["special", "first"]))
    >>> list(t["tier_en"].cat.categories)
    ['special', 'first']
    """
    by_name = dict(zip(("tier_zh", "tier_en"), labels, strict=False))
    for column in table.columns:
        if _saved_dtype(column) is None or isinstance(table[column].dtype,
                                                      pd.CategoricalDtype):
            continue
        if column in ("tier_zh", "tier_en"):
            given = by_name.get(column)
            if given is None and "tier" in table.columns:  # no scheme: in tier order
                pairs = pd.DataFrame({"tier": table["tier"].to_numpy(dtype=float,
                                                                     na_value=np.nan),
                                      "label": table[column].to_numpy(dtype=object)})
                given = pairs.dropna().drop_duplicates().sort_values(
                    "tier", kind="stable")["label"].astype(str).tolist()
            present = [str(x) for x in pd.unique(table[column].dropna())]
            categories = list(dict.fromkeys([*(given or []), *present]))
            codes = pd.Categorical(table[column], categories=categories).codes
            table[column] = label_categorical(codes, categories)
        else:
            codes, texts = codes_of(table[column])
            table[column] = text_categorical(codes, texts)
    return table
