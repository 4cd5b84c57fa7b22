"""Scorer and Normaliser are real scikit-learn estimators (issue 12, item 5)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn.exceptions
from sklearn.base import clone
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

from custvalue.scoring import Normaliser, NotFittedError, Scheme, Scorer, example_frame

SCORES = {"C1": 84.93, "C2": 67.45, "C3": 36.68, "C4": 18.64, "C5": 66.96, "C6": 78.1}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return example_frame()


@pytest.mark.parametrize("cls", [Scorer, Normaliser])
def test_get_params_set_params_and_clone(cls):
    scheme = Scheme.default()
    est = cls(scheme)
    assert est.get_params() == {"scheme": scheme}
    assert cls().get_params() == {"scheme": None}
    assert est.set_params(scheme=None) is est and est.scheme is None
    est.set_params(scheme=scheme)
    copy = clone(est)
    assert type(copy) is cls and copy is not est
    assert copy.get_params() == est.get_params()
    assert clone(cls()).get_params() == {"scheme": None}


@pytest.mark.parametrize("cls", [Scorer, Normaliser])
def test_fit_sets_only_trailing_underscore_attributes_and_keeps_params(cls, frame):
    scheme = Scheme.default()
    est = cls(scheme)
    before = dict(vars(est))
    est.fit(frame)
    assert est.scheme is scheme  # the parameter is never changed by fit
    new = set(vars(est)) - set(before)
    assert new and all(name.endswith("_") for name in new)
    fitted_clone = clone(est)  # a clone is unfitted
    assert not set(vars(fitted_clone)) - {"scheme"}
    with pytest.raises(NotFittedError):
        fitted_clone.transform(frame)


@pytest.mark.parametrize("cls", [Scorer, Normaliser])
def test_check_is_fitted_agrees_with_not_fitted_error(cls, frame):
    est = cls()
    with pytest.raises(sklearn.exceptions.NotFittedError):
        check_is_fitted(est)
    with pytest.raises(sklearn.exceptions.NotFittedError):  # ours is a subclass
        est.transform(frame)
    est.fit(frame)
    check_is_fitted(est)  # does not raise
    assert issubclass(NotFittedError, sklearn.exceptions.NotFittedError)


def test_scorer_is_a_pipeline_step_pandas_in_pandas_out(frame):
    pipe = Pipeline([("indicators", FunctionTransformer(lambda f: f)), ("score", Scorer())])
    table = pipe.fit(frame).transform(frame)
    assert isinstance(table, pd.DataFrame)
    assert table["score"].round(2).to_dict() == SCORES
    assert table["rank"].tolist() == [1, 3, 5, 6, 4, 2]
    pd.testing.assert_frame_equal(pipe.fit_transform(frame), Scorer().fit_transform(frame))
    # A pipeline fitted on some customers scores others with the learned bounds.
    fitted = pipe.fit(frame)
    later = frame.loc[["C2", "C4"]]
    pd.testing.assert_frame_equal(fitted.transform(later),
                                  Scorer().fit(frame).transform(later))
    assert clone(pipe).get_params()["score__scheme"] is None


def test_normaliser_feeds_a_later_step_and_names_its_features(frame):
    pipe = make_pipeline(
        Normaliser(), FunctionTransformer(lambda n: n.mean(axis=1).to_frame("mean_norm")))
    out = pipe.fit_transform(frame)
    expected = Normaliser().fit_transform(frame).mean(axis=1)
    np.testing.assert_allclose(out["mean_norm"].to_numpy(), expected.to_numpy())
    assert out["mean_norm"].round(3).to_dict() == {
        "C1": 0.843, "C2": 0.677, "C3": 0.517, "C4": 0.258, "C5": 0.783, "C6": 0.753}
    names = Normaliser().fit(frame).get_feature_names_out()
    assert names.tolist() == list(Normaliser().fit_transform(frame).columns)
    assert names[0] == "norm__kwh_per_year" and len(names) == 16
    out = Normaliser().set_output(transform="pandas").fit_transform(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == names.tolist()


def test_a_fitted_scorer_pickles(frame):
    scorer = Scorer().fit(frame)
    back = pickle.loads(pickle.dumps(scorer))
    pd.testing.assert_frame_equal(back.transform(frame), scorer.transform(frame))
