"""compare(), the Comparison result and the snapshot history, on hand-made gradings."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from custvalue.errors import (
    DuplicateRowsError,
    InvalidValueError,
    MissingColumnError,
    UnsupportedInputError,
)
from custvalue.grading import state_records
from custvalue.regrade import (
    Comparison,
    SnapshotError,
    compare,
    grading_table,
    list_snapshots,
    save_snapshot,
)
from custvalue.scoring import Scheme

# Six customers a..f in the previous grading; in the current one f has left, g is new and
# e is present but ungraded.  Norm columns x, y, z (1 = best).
PREV = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e", "f"],
    "tier": [0, 1, 1, 2, 2, 3],
    "score": [90.0, 70.0, 65.0, 50.0, 45.0, 20.0],
    "norm__x": [0.9, 0.5, 0.5, 0.4, 0.3, 0.1],
    "norm__y": [0.8, 0.4, 0.6, 0.5, 0.3, 0.2],
    "norm__z": [0.5, 0.5, 0.7, 0.5, 0.4, 0.1],
}).set_index("customer_id")
CUR = pd.DataFrame({
    "customer_id": ["a", "b", "c", "d", "e", "g"],
    "tier": pd.array([1, 0, 1, 2, None, 2], dtype="Int64"),
    "score": [72.0, 88.0, 66.0, 40.0, np.nan, 55.0],
    "norm__x": [0.5, 0.6, 0.5, 0.4, np.nan, 0.5],
    "norm__y": [0.7, 0.9, 0.6, 0.5, np.nan, 0.5],
    "norm__z": [0.6, 0.4, 0.7, 0.5, np.nan, 0.5],
}).set_index("customer_id")


def test_transition_counts_by_hand() -> None:
    cmp = compare(PREV, CUR)
    rows, cols = cmp.transitions.index, cmp.transitions.columns
    assert rows.names == cols.names == ["status", "tier"]
    assert state_records(rows) == [*({"status": "graded", "tier": t} for t in range(4)),
                                   {"status": "ungraded", "tier": None},
                                   {"status": "new", "tier": None}]
    assert state_records(cols)[-2:] == [{"status": "ungraded", "tier": None},
                                        {"status": "departed", "tier": None}]
    # tier keys are integers (never text), status words live on their own level
    assert cmp.transitions.loc["graded", "graded"].index.dtype == np.int64
    assert cmp.transitions.loc["graded", "graded"].columns.tolist() == [0, 1, 2, 3]
    g = ("graded",)
    expected = np.zeros((6, 6), dtype=np.int64)
    expected[0, 1] = 1   # a: 0 -> 1
    expected[1, 0] = 1   # b: 1 -> 0
    expected[1, 1] = 1   # c stays
    expected[2, 2] = 1   # d stays
    expected[2, 4] = 1   # e loses its tier (ungraded)
    expected[3, 5] = 1   # f left (departed)
    expected[5, 2] = 1   # g joined (new)
    np.testing.assert_array_equal(cmp.transitions.to_numpy(), expected)
    assert cmp.transitions.loc[(*g, 0), (*g, 1)] == 1
    assert cmp.transitions.loc["new", "graded"].loc[:, 2].item() == 1
    assert cmp.transitions.loc["graded", "departed"].to_numpy().ravel().tolist() == [0, 0, 0, 1]
    assert int(cmp.transitions.to_numpy().sum()) == 7  # every customer of either, once


def test_transition_row_shares() -> None:
    shares = compare(PREV, CUR).transition_shares
    tiers = shares.loc["graded", "graded"]
    assert tiers.loc[1, 0] == 0.5 and tiers.loc[1, 1] == 0.5
    assert shares.loc["graded", "ungraded"].loc[2].item() == 0.5
    assert shares.loc["graded", "departed"].loc[3].item() == 1.0
    assert shares.loc["ungraded"].isna().all(axis=None)  # nobody was ungraded before
    filled = shares.dropna()
    np.testing.assert_allclose(filled.sum(axis=1), 1.0)


def test_new_departed_and_counts() -> None:
    cmp = compare(PREV, CUR)
    assert cmp.new.index.tolist() == ["g"]
    assert cmp.new.loc["g", "tier"] == 2 and cmp.new.loc["g", "score"] == 55.0
    assert cmp.departed.index.tolist() == ["f"]
    assert cmp.departed.loc["f", "tier"] == 3
    assert (cmp.n_previous, cmp.n_current, cmp.n_common, cmp.n_common_graded) == (6, 6, 5, 4)
    assert cmp.n_stayed == 2


def test_movers_by_hand() -> None:
    m = compare(PREV, CUR).movers
    assert m.index.tolist() == ["a", "b"]
    assert m.loc["a", "direction"] == "down" and m.loc["b", "direction"] == "up"
    assert (m.loc["a", "tier_previous"], m.loc["a", "tier_current"]) == (0, 1)
    assert m.loc["a", "steps"] == -1 and m.loc["b", "steps"] == 1
    assert m.loc["a", "score_change"] == pytest.approx(-18.0)
    assert m.loc["b", "score_change"] == pytest.approx(18.0)


def test_drivers_without_scheme_are_norm_changes() -> None:
    cmp = compare(PREV, CUR)
    assert cmp.drivers_basis == "norm"
    m = cmp.movers
    # a went down: x fell 0.4, y fell 0.1, z rose 0.1
    assert (m.loc["a", "driver_1"], m.loc["a", "driver_2"]) == ("x", "y")
    assert m.loc["a", "driver_1_change"] == pytest.approx(-0.4)
    assert m.loc["a", "driver_2_change"] == pytest.approx(-0.1)
    # b went up: y rose 0.5, x rose 0.1, z fell 0.1
    assert (m.loc["b", "driver_1"], m.loc["b", "driver_2"]) == ("y", "x")
    assert m.loc["b", "driver_1_change"] == pytest.approx(0.5)
    assert m.loc["b", "driver_2_change"] == pytest.approx(0.1)


def test_only_indicators_moving_the_right_way_drive() -> None:
    cur = CUR.copy()
    cur.loc["b", ["norm__x", "norm__z"]] = [0.4, 0.3]  # only y rises for b
    m = compare(PREV, cur).movers
    assert m.loc["b", "driver_1"] == "y"
    assert pd.isna(m.loc["b", "driver_2"]) and np.isnan(m.loc["b", "driver_2_change"])


def _scheme() -> Scheme:
    # dimension A (0.6): x 0.5, y 0.5; dimension B (0.4): z -> overall x .3, y .3, z .4
    return Scheme.from_dict({"dimensions": {
        "A": {"weight": 0.6, "indicators": {"x": {"weight": 0.5}, "y": {"weight": 0.5}}},
        "B": {"weight": 0.4, "indicators": {"z": {"weight": 1.0}}},
    }})


def _arith(table: pd.DataFrame) -> pd.Series:
    return 100 * (0.3 * table["norm__x"] + 0.3 * table["norm__y"] + 0.4 * table["norm__z"])


def test_drivers_with_effective_weights() -> None:
    prev, cur = PREV.copy(), CUR.copy()
    prev["score"], cur["score"] = _arith(prev), _arith(cur)
    cur.loc["b", "norm__y"] = np.nan  # b lacks y now: its weight goes to x (re-spread)
    cur.loc["b", "score"] = 100 * (0.6 * 0.6 + 0.4 * 0.4)
    cmp = compare(SimpleNamespace(table=prev, scheme=_scheme()),
                  SimpleNamespace(table=cur, scheme=_scheme()))
    assert cmp.drivers_basis == "effective"
    m = cmp.movers
    # a: x 100*.3*(.5-.9) = -12, y 100*.3*(.7-.8) = -3, z 100*.4*(.6-.5) = +4
    assert (m.loc["a", "driver_1"], m.loc["a", "driver_2"]) == ("x", "y")
    assert m.loc["a", "driver_1_change"] == pytest.approx(-12.0)
    assert m.loc["a", "driver_2_change"] == pytest.approx(-3.0)
    # the changes add up to the score change (arithmetic scheme): -12 - 3 + 4
    assert m.loc["a", "score_change"] == pytest.approx(-11.0)
    # b: x 100*(.6*.6 - .3*.5) = +21, y 0 - 100*.3*.4 = -12, z 100*.4*(.4-.5) = -4
    assert m.loc["b", "driver_1"] == "x"
    assert m.loc["b", "driver_1_change"] == pytest.approx(21.0)
    assert pd.isna(m.loc["b", "driver_2"])
    assert m.loc["b", "score_change"] == pytest.approx(21.0 - 12.0 - 4.0)


def test_scheme_without_norm_columns_falls_back_to_norm() -> None:
    prev = SimpleNamespace(table=PREV.drop(columns="norm__z"), scheme=_scheme())
    cmp = compare(prev, SimpleNamespace(table=CUR, scheme=_scheme()))
    assert cmp.drivers_basis == "norm"


def test_rank_correlation_matches_scipy() -> None:
    cmp = compare(PREV, CUR)
    x, y = [90.0, 70.0, 65.0, 50.0], [72.0, 88.0, 66.0, 40.0]  # a, b, c, d
    tau = stats.kendalltau(x, y)
    rho = stats.spearmanr(x, y)
    assert cmp.kendall_tau == pytest.approx(tau.statistic)
    assert cmp.kendall_p == pytest.approx(tau.pvalue)
    assert cmp.spearman_rho == pytest.approx(rho.statistic)
    assert cmp.spearman_p == pytest.approx(rho.pvalue)


def test_rank_correlation_nan_below_two_common() -> None:
    cmp = compare(PREV.loc[["a"]], CUR.loc[["a", "g"]])
    assert np.isnan(cmp.kendall_tau) and np.isnan(cmp.spearman_rho)


def test_identical_gradings() -> None:
    cmp = compare(PREV, PREV)
    assert cmp.movers.empty and cmp.new.empty and cmp.departed.empty
    assert cmp.kendall_tau == pytest.approx(1.0)
    assert np.diag(cmp.transitions.to_numpy())[:4].tolist() == [1, 2, 2, 1]


def test_labels_from_manifest_window() -> None:
    prev = SimpleNamespace(table=PREV, manifest={"window": {"start": "2019-01",
                                                            "end": "2021-12"}})
    cur = SimpleNamespace(table=CUR, manifest={"created_at": "2025-01-05T10:00:00+00:00"})
    cmp = compare(prev, cur)
    assert (cmp.previous_label, cmp.current_label) == ("2021-12", "2025-01-05")
    assert compare(PREV, CUR, labels=("old", "new")).current_label == "new"
    assert compare(PREV, CUR).previous_label == "previous"


def test_text_html_and_dict() -> None:
    cmp = compare(PREV, CUR)
    text = str(cmp)
    assert "previous -> current" in text and "1 new, 1 departed" in text
    assert "up 1, down 1" in text and "Kendall tau" in text
    assert "<table" in cmp._repr_html_()
    assert "Comparison(" in repr(cmp) and "\n" not in repr(cmp)
    assert text == cmp.to_text() and cmp._repr_html_() == cmp.to_html()
    assert cmp.to_frame() is cmp.transitions
    data = json.loads(json.dumps(cmp.to_dict(), allow_nan=False))
    assert data == json.loads(cmp.to_json())
    assert data["summary"]["n_new"] == 1
    assert data["transitions"]["rows"][0] == {"status": "graded", "tier": 0}
    assert data["transitions"]["rows"][-1] == {"status": "new", "tier": None}
    assert data["transitions"]["columns"][-1] == {"status": "departed", "tier": None}
    assert data["tier_names"]["0"] == "特级客户"  # object keys: JSON forces text
    assert data["transitions"]["counts"][1] == [1, 1, 0, 0, 0, 0]
    assert data["transitions"]["row_shares"][4] == [None] * 6
    assert [r["customer_id"] for r in data["movers"]] == ["a", "b"]
    assert data["departed"] == [{"customer_id": "f", "tier": 3, "score": 20.0}]


def test_save_writes_the_four_files(tmp_path: Path) -> None:
    cmp = compare(PREV, CUR)
    folder = cmp.save(tmp_path / "out")
    assert folder == tmp_path / "out"
    assert sorted(p.name for p in folder.iterdir()) == [
        "comparison.json", "comparison.txt", "movers.csv", "transitions.csv"]
    paths = [folder / n for n in ("transitions.csv", "movers.csv", "comparison.json",
                                  "comparison.txt")]
    tidy = pd.read_csv(paths[0], dtype={"previous_tier": "Int64", "current_tier": "Int64"})
    assert tidy.columns.tolist() == ["previous_status", "previous_tier", "current_status",
                                     "current_tier", "count", "row_share"]
    assert len(tidy) == 6 * 6 and tidy["count"].sum() == 7
    cell = tidy[(tidy["previous_status"] == "new") & (tidy["current_tier"] == 2)]
    assert cell["count"].item() == 1 and cell["row_share"].item() == 1.0
    assert pd.isna(cell["previous_tier"].item()) and cell["current_status"].item() == "graded"
    movers = pd.read_csv(paths[1], index_col="customer_id")
    assert movers.index.tolist() == ["a", "b"]
    assert json.loads(paths[2].read_text("utf-8")) == cmp.to_dict()
    assert paths[3].read_text("utf-8") == str(cmp) + "\n"


@settings(max_examples=40, deadline=None)
@given(
    prev=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=0, max_size=12),
    cur=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=0, max_size=12),
    shift=st.integers(0, 12),
)
def test_transition_margins(prev: list, cur: list, shift: int) -> None:
    p = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(len(prev))],
                      "tier": pd.array(prev, dtype="Int64")})
    c = pd.DataFrame({"customer_id": [f"c{i + shift:02d}" for i in range(len(cur))],
                      "tier": pd.array(cur, dtype="Int64")})
    cmp = compare(p, c)
    t = cmp.transitions
    ids = set(p["customer_id"]) | set(c["customer_id"])
    assert int(t.to_numpy().sum()) == len(ids)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    for tier in (int(k) for s, k in t.index if s == "graded"):
        assert rows.loc[("graded", tier)] == (p["tier"] == tier).sum()
        assert cols.loc[("graded", tier)] == (c["tier"] == tier).sum()
    assert int(t.loc["new"].to_numpy().sum()) == len(cmp.new)
    assert int(t["departed"].to_numpy().sum()) == len(cmp.departed)
    assert t.loc["new", "departed"].to_numpy().item() == 0
    assert len(cmp.movers) + cmp.n_stayed == cmp.n_common_graded


# ------------------------------------------------------------------ grading_table


def test_grading_table_checks() -> None:
    with pytest.raises(MissingColumnError):
        grading_table(pd.DataFrame({"tier": [0]}))
    with pytest.raises(MissingColumnError):
        grading_table(pd.DataFrame({"customer_id": ["a"]}))
    with pytest.raises(DuplicateRowsError):
        grading_table(pd.DataFrame({"customer_id": ["a", "a"], "tier": [0, 1]}))
    with pytest.raises(InvalidValueError):
        grading_table(pd.DataFrame({"customer_id": ["a"], "tier": [1.5]}))
    with pytest.raises(UnsupportedInputError):
        grading_table(42)
    t = grading_table(SimpleNamespace(table=PREV))
    assert t["tier"].dtype == "Int64" and t.index.name == "customer_id"


# ------------------------------------------------------------------ snapshots


def _write_grading(folder: Path, table: pd.DataFrame, end: str) -> Path:
    folder.mkdir(parents=True)
    table.reset_index().to_parquet(folder / "grades.parquet", index=False)
    manifest = {"window": {"start": "2000-01", "end": end},
                "created_at": "2026-01-02T03:04:05+00:00"}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "scheme.json").write_text(_scheme().to_json(), encoding="utf-8")
    (folder / "grades.csv").write_text("not kept\n", encoding="utf-8")
    return folder


def test_snapshot_round_trip(tmp_path: Path) -> None:
    history = tmp_path / "history"
    a = _write_grading(tmp_path / "run1", PREV, "2021-12")
    b = _write_grading(tmp_path / "run2", CUR, "2024-12")
    assert save_snapshot(a, history) == history / "2021-12"
    assert save_snapshot(str(b), history) == history / "2024-12"
    assert sorted(p.name for p in (history / "2021-12").iterdir()) == [
        "grades.parquet", "manifest.json", "scheme.json"]
    assert not [p for p in history.iterdir() if p.name.startswith(".")]  # no temp left
    listing = list_snapshots(history)
    assert listing["label"].tolist() == ["2021-12", "2024-12"]
    assert listing["window_end"].tolist() == ["2021-12", "2024-12"]
    assert listing["customers"].tolist() == [6, 6]
    cmp = compare(history / "2021-12", history / "2024-12")
    assert (cmp.previous_label, cmp.current_label) == ("2021-12", "2024-12")
    assert cmp.drivers_basis == "effective"  # scheme.json is read
    plain = compare(PREV, CUR)
    pd.testing.assert_frame_equal(cmp.transitions, plain.transitions)
    assert cmp.movers.index.tolist() == plain.movers.index.tolist()


def test_snapshot_exists_overwrite_and_labels(tmp_path: Path) -> None:
    history = tmp_path / "h"
    a = _write_grading(tmp_path / "run", PREV, "2021-12")
    save_snapshot(a, history)
    with pytest.raises(SnapshotError, match="exists"):
        save_snapshot(a, history)
    save_snapshot(_write_grading(tmp_path / "run2", CUR, "2021-12"), history, overwrite=True)
    assert list_snapshots(history)["customers"].tolist() == [6]
    assert grading_table(history / "2021-12").index.tolist() == CUR.index.tolist()
    assert save_snapshot(a, history, label="regrade-2").name == "regrade-2"
    with pytest.raises(SnapshotError, match="label"):
        save_snapshot(a, history, label="../escape")
    with pytest.raises(UnsupportedInputError):
        save_snapshot(tmp_path / "nothing-here", history)


def test_snapshot_of_grading_object_and_table(tmp_path: Path) -> None:
    class FakeGrading:
        table = PREV
        manifest = SimpleNamespace(window={"start": "2022-01", "end": "2024-12"},
                                   created_at="2025-01-01T00:00:00+00:00")

        def save(self, folder: Path) -> Path:
            folder = Path(folder)
            folder.mkdir(parents=True, exist_ok=True)
            self.table.reset_index().to_parquet(folder / "grades.parquet")
            return folder

    path = save_snapshot(FakeGrading(), tmp_path)
    assert path.name == "2024-12"
    path = save_snapshot(CUR, tmp_path, label="cur")
    pd.testing.assert_frame_equal(grading_table(path), grading_table(CUR))


def test_list_snapshots_skips_other_folders(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    (tmp_path / "readme.txt").write_text("x", encoding="utf-8")
    assert list_snapshots(tmp_path).empty
    assert isinstance(compare(PREV, CUR), Comparison)


def test_doc_examples_run() -> None:
    import doctest

    doc = Path(__file__).resolve().parents[2] / "docs" / "regrade.md"
    result = doctest.testfile(str(doc), module_relative=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_correlation_skips_tiers_without_score() -> None:
    cur = CUR.copy()
    cur.loc["c", "score"] = np.nan  # e.g. a pinned tier without a score
    cmp = compare(PREV, cur)
    tau = stats.kendalltau([90.0, 70.0, 50.0], [72.0, 88.0, 40.0])
    assert cmp.kendall_tau == pytest.approx(tau.statistic)


# ------------------------------------------------------------------ honest attribution (issue 16)


def _frame(seed: int, n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.uniform(0, 10, n), "y": rng.uniform(0, 10, n),
                         "z": rng.uniform(0, 10, n)},
                        index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"))


def _graded(frame: pd.DataFrame, scheme: Scheme):
    from custvalue.grading import Grading
    from custvalue.scoring import score
    from custvalue.tiers import assign_tiers

    table = score(frame, scheme)
    table["tier"] = assign_tiers(table["score"].where(table["graded"]),
                                 scheme.tiers.quotas)["tier"]
    return Grading.from_table(table, scheme)


def test_same_data_other_scheme_every_move_is_the_scheme() -> None:
    frame = _frame(1)
    old = _graded(frame, _scheme())
    new_scheme = _scheme().with_weights({"A": 0.2, "B": 0.8}, name="heavier B")
    cmp = compare(old, _graded(frame, new_scheme))
    assert cmp.scheme_changed is True
    m = cmp.movers
    assert len(m) > 0
    assert (m["cause"] == "scheme").all()
    assert np.allclose(m["data_change"], 0.0, atol=1e-9)
    assert np.allclose(m["scheme_change"], m["score_change"], atol=1e-9)
    assert (m["data_steps"] == 0).all() and (m["cut_steps"] == 0).all()
    assert (m["scheme_steps"] + m["other_steps"] == m["steps"]).all()
    assert not m["cut_shift_only"].any()
    # the raw values did not change: the drivers are the indicators whose weight moved
    # the customer's score, in its direction
    for _, row in m.iterrows():
        if pd.notna(row["driver_1"]):
            sign = 1 if row["direction"] == "up" else -1
            assert sign * row["driver_1_change"] > 0
    assert "CHANGED" in str(cmp) and cmp.summary()["scheme_changed"] is True


def test_same_scheme_changed_data_every_move_is_data() -> None:
    frame = _frame(2)
    later = frame.copy()
    rng = np.random.default_rng(9)
    later["x"] = np.clip(later["x"] + rng.normal(0, 2.0, len(later)), 0, 10)
    cmp = compare(_graded(frame, _scheme()), _graded(later, _scheme()))
    assert cmp.scheme_changed is False
    m = cmp.movers
    assert len(m) > 0
    assert not m["cause"].str.contains("scheme").any()
    assert set(m["cause"]) <= {"data", "cut shift", "data + cut shift", "pin or tie"}
    assert np.allclose(m["scheme_change"], 0.0) and (m["scheme_steps"] == 0).all()
    assert np.allclose(m["data_change"], m["score_change"])
    assert (m["data_steps"] + m["cut_steps"] + m["scheme_steps"] + m["other_steps"]
            == m["steps"]).all()
    # only x changed: every named driver is x
    assert set(m["driver_1"].dropna()) <= {"x"} and m["driver_2"].isna().all()
    assert "unchanged" in str(cmp)


def test_a_move_by_the_cut_shift_alone_is_labelled_and_names_no_driver() -> None:
    scheme = _scheme()
    prev = pd.DataFrame({
        "customer_id": ["p", "q", "r", "s"], "tier": [0, 1, 1, 2],
        "norm__x": [0.9, 0.6, 0.5, 0.1], "norm__y": [0.9, 0.6, 0.5, 0.1],
        "norm__z": [0.9, 0.6, 0.5, 0.1]}).set_index("customer_id")
    cur = prev.copy()
    # r: x and y fall, z rises a little more: its score rises by 0.0008 ...
    cur.loc["r", ["norm__x", "norm__y", "norm__z"]] = [0.49, 0.49, 0.5 + 0.006 / 0.4 + 2e-5]
    # ... but q rises a lot, so the tier-1 cut rises above r: r moves down
    cur.loc["q", ["norm__x", "norm__y", "norm__z"]] = [0.95, 0.95, 0.95]
    cur["tier"] = [1, 0, 2, 2]
    prev["score"], cur["score"] = _arith(prev), _arith(cur)
    from custvalue.grading import Grading

    m = compare(Grading.from_table(prev, scheme), Grading.from_table(cur, scheme)).movers
    r = m.loc["r"]
    assert r["direction"] == "down" and r["score_change"] == pytest.approx(0.0008, abs=1e-6)
    assert r["cause"] == "cut shift" and r["cut_shift_only"]
    assert pd.isna(r["driver_1"]) and pd.isna(r["driver_2"])  # x and y fell, but did not move it
    assert r["cut_steps"] == -1 and r["data_steps"] == 0
    # p moved down for the same reason, q moved up by its own data
    assert m.loc["q", "cause"].startswith("data") and not m.loc["q", "cut_shift_only"]
