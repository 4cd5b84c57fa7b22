r"""Uncertainty and sensitivity of the tiers over method choices and weights.

:func:`tier_stability` asks what the weights do to the tiers.  The weights are not the only
choice an analyst makes: the normalisation method, the aggregator, what a missing value
counts as, and whether extreme values are winsorised are choices too, and COINr-style users
expect them to be analysed together (Saisana, Saltelli and Tarantola 2005).
:func:`uncertainty` treats each choice as an uncertain **factor** with a list of levels:

========================  ==================================================================
factor                    levels (``None`` = the scheme's own setting)
========================  ==================================================================
``normalisation``         a method for every indicator: ``minmax``, ``log_minmax``,
                          ``zscore``, ``rank`` (``threshold`` needs bounds and is refused)
``aggregation``           ``arithmetic``, ``geometric``, ``topsis``
``missing``               policy of every indicator whose policy is not ``ungraded``:
                          ``respread``, ``neutral``, ``worst`` (``ungraded`` would change who
                          is graded, and is refused)
``winsorise``             ``None`` or quantiles ``(lo, hi)`` for every indicator
``weights``               Dirichlet draws around the scheme's weights at every level of its
                          tree (``concentration``; as in :func:`tier_stability`)
========================  ==================================================================

A level that cannot apply raises :class:`~custvalue.errors.SchemeError` naming the factor
and level; nothing falls back to a default silently.

**Design.**  Saltelli's scheme (Saltelli et al. 2010): two independent samples ``A`` and
``B`` of ``n`` rows (each row one level of every factor, levels uniform, one weight draw),
and for each factor ``i`` the matrix :math:`A_B^{(i)}` (``A`` with factor ``i`` taken from
``B``).  That is ``n (k + 2)`` model runs for ``k`` factors; ``draws`` is this total, so
``n = draws // (k + 2)``.  Each run rescores every customer with the public scoring
functions and re-tiers the customers graded in the grading (rank by score at
:data:`~custvalue.grading.RANK_DECIMALS` decimals, ties by ``customer_id``, sizes by
:func:`custvalue.tiers.tier_sizes`).  The runs are grouped by their method levels: each
indicator is normalised once per setting (``fit_indicator`` / ``transform_indicator`` on
every scored customer, as :class:`~custvalue.scoring.Scorer` fits), the missing-value
policies are applied once per normalisation and policy
(:func:`~custvalue.scoring.build_arrays`, which also fits the TOPSIS reference), and all
runs of a level combination are scored in one batch by
:func:`~custvalue.scoring.aggregate_draws` (the matrix form of
:func:`~custvalue.scoring.aggregate`, equal to it within 1e-12) and tiered by one
partition per cut.  The loop is over level combinations and chunks of runs, never
customers; the design (which run gets which levels and weights) depends on the seed
alone, so a seed gives the same runs, tiers and indices as before this grouping.

**Output.**  Per customer the tier :math:`Y` in each run: the probability of each tier
(over all runs, each of which is a draw from the factors' distribution) and, per factor,
the first-order and total sensitivity indices of :math:`Y`
(Saltelli 2010 and Jansen 1999 estimators, vectorised over customers):

.. math::

    S_i = \frac{\frac1n \sum_j f(B)_j\,(f(A_B^{(i)})_j - f(A)_j)}{V}, \qquad
    S_{Ti} = \frac{\frac1{2n} \sum_j (f(A)_j - f(A_B^{(i)})_j)^2}{V},

with :math:`V` the variance of :math:`f` over the rows of ``A`` and ``B``.  The summary
indices are shares of the customers' summed variance
(:math:`\sum_c \text{numerator}_c / \sum_c V_c`): the share of all tier uncertainty that each
choice causes alone (first order) or with its interactions (total).

:func:`leave_one_out` gives the other kind of importance: the share of customers whose
tier changes when an indicator (or a whole secondary indicator, or a whole dimension) is
removed and its weight re-spread.

References
----------
Jansen, M. J. W. (1999). Analysis of variance designs for model output. *Computer Physics
Communications* 117, 35–43.
Saisana, M., Saltelli, A. and Tarantola, S. (2005). Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators. *J. R. Stat. Soc.
A* 168(2), 307–323.
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. and Tarantola, S. (2010).
Variance based sensitivity analysis of model output. *Computer Physics Communications*
181, 259–270.

This module is long because the Saltelli design, the method-choice factors and the Sobol
estimators belong together: each factor must be sampled, applied and attributed the same
way.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from custvalue.errors import InputError, SchemeError
from custvalue.grading import RANK_DECIMALS, jsonable
from custvalue.grading.protocol import Result
from custvalue.validation._common import check_grading, draw_weights, graded_rows

__all__ = [
    "DEFAULT_CHOICES",
    "FACTORS",
    "Uncertainty",
    "leave_one_out",
    "sobol_indices",
    "uncertainty",
]

#: The method choices that can be made uncertain, in design order (then ``weights``).
FACTORS: tuple[str, ...] = ("normalisation", "aggregation", "missing", "winsorise")
#: Default levels of :func:`uncertainty` (``None``: the scheme's own setting).
DEFAULT_CHOICES: dict[str, tuple[Any, ...]] = {
    "normalisation": (None, "minmax", "rank"),
    "aggregation": ("arithmetic", "geometric"),
    "missing": (None, "neutral", "worst"),
    "winsorise": (None, (0.01, 0.99), (0.05, 0.95)),
}
_NORMALISATIONS = ("minmax", "log_minmax", "zscore", "rank")
_AGGREGATIONS = ("arithmetic", "geometric", "topsis")
_MISSING = ("respread", "neutral", "worst")
#: Runs × customers per batched aggregation: bounds memory, and keeps the kernel's
#: temporaries (a few ``runs x dimensions x customers`` floats, 12 MB at 100k customers)
#: small enough for the allocator to reuse instead of mapping fresh pages for every chunk
#: (measured: 2M cells cost 10 % more CPU at 100k customers, half of it in page faults).
_CHUNK_CELLS = 500_000


# --------------------------------------------------------------------------- kernels


def sobol_indices(
    f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""First-order and total indices from a Saltelli design, vectorised over outputs.

    Parameters
    ----------
    f_a, f_b : numpy.ndarray, shape (n, C)
        Model output for the rows of ``A`` and ``B`` (``C`` outputs, e.g. customers).
    f_ab : numpy.ndarray, shape (k, n, C)
        Output for :math:`A_B^{(i)}`, factor by factor.

    Returns
    -------
    first, total : numpy.ndarray, shape (k, C)
        :math:`S_i` (Saltelli 2010) and :math:`S_{Ti}` (Jansen 1999); NaN where the output
        does not vary (:math:`V = 0`).
    first_num, total_num : numpy.ndarray, shape (k, C)
        Their numerators (for pooled indices: ``first_num.sum(1) / variance.sum()``).
    variance : numpy.ndarray, shape (C,)
        :math:`V`, the variance over the ``2n`` rows of ``A`` and ``B``.

    Examples
    --------
    :math:`Y = X_1 + 2 X_2` with independent uniform inputs: :math:`S_1 = 1/5`, :math:`S_2 =
    4/5`, and without interactions the totals equal the first-order indices.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.random((20000, 2)), rng.random((20000, 2))
    >>> f = lambda x: (x[:, 0] + 2 * x[:, 1])[:, None]
    >>> ab = np.stack([f(np.where(np.arange(2) == i, b, a)) for i in range(2)])
    >>> first, total, *_ = sobol_indices(f(a), f(b), ab)
    >>> first.round(1).ravel().tolist(), total.round(1).ravel().tolist()
    ([0.2, 0.8], [0.2, 0.8])
    """
    f_a = np.asarray(f_a, dtype=float)
    f_b = np.asarray(f_b, dtype=float)
    variance = np.concatenate([f_a, f_b]).var(axis=0)
    first_num = np.empty((len(f_ab), f_a.shape[1]))
    total_num = np.empty_like(first_num)
    for i, f_i in enumerate(f_ab):  # a loop over factors (bounds memory)
        diff = np.asarray(f_i, dtype=float) - f_a
        first_num[i] = (f_b * diff).mean(axis=0)
        total_num[i] = 0.5 * (diff * diff).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(variance > 0, 1.0 / variance, np.nan)
    return first_num * scale, total_num * scale, first_num, total_num, variance


def _tiers_kernel(score: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Tier per run and customer ``(K, n)`` int8 from unit scores (customers by id).

    The tier rule of the grading — rank by score at :data:`RANK_DECIMALS` decimals
    (descending, NaN last), ties by position, then cut by ``sizes`` — without a sort: per
    cut, ``np.partition`` finds the score at the cut (O(n)); customers strictly worse are
    outside it, and of the customers tied with it the first by position take the places
    left (the rows with such a tie across a cut are the only ones that need a running
    count).  Equal to cutting a stable ``argsort`` and to
    :func:`custvalue.tiers.assign_tiers_batch` (tested), at a fraction of the cost of
    their full sort.
    """
    key = np.multiply(score, -100.0)
    np.round(key, RANK_DECIMALS, out=key)  # -round(100 s) is round(-100 s): symmetric
    key[np.isnan(key)] = np.inf
    k, n = key.shape
    tier = np.zeros((k, n), dtype=np.int8)
    ends = np.cumsum(sizes)[:-1]
    inner = np.unique(ends[(ends > 0) & (ends < n)])
    thr = np.partition(key, inner - 1, axis=1)[:, inner - 1] if inner.size else None
    for end in ends:  # a loop over tier cuts
        if end <= 0:
            tier += 1
            continue
        if end >= n:
            continue
        assert thr is not None  # 0 < end < n: a cut in ``inner``
        t = thr[:, int(np.searchsorted(inner, end))][:, None]
        outside = key > t
        tier += outside
        # customers tied with the value at the cut beyond its seats: the last by position
        extra = n - end - np.count_nonzero(outside, axis=1)
        rows = np.flatnonzero(extra > 0)
        if rows.size:
            tied = key[rows] == t[rows]
            keep = np.count_nonzero(tied, axis=1) - extra[rows]
            tier[rows] += tied & (np.cumsum(tied, axis=1) > keep[:, None])
    return tier


# --------------------------------------------------------------------------- choices


def _check_choices(choices: Mapping[str, Sequence[Any]]) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for name, levels in choices.items():
        if name not in FACTORS:
            raise SchemeError(f"uncertainty.{name}", f"no such choice; the choices are "
                              f"{', '.join(FACTORS)} (weights: use concentration)")
        levels = tuple(levels)
        if not levels:
            raise SchemeError(f"uncertainty.{name}", "give at least one level")
        allowed = {"normalisation": _NORMALISATIONS, "aggregation": _AGGREGATIONS,
                   "missing": _MISSING}.get(name)
        for level in levels:
            where = f"uncertainty.{name}"
            if level is None:
                continue
            if name == "normalisation" and level == "threshold":
                raise SchemeError(where, "'threshold' needs per-indicator bounds and cannot "
                                  "apply to every indicator; leave it to the scheme (None)")
            if name == "missing" and level == "ungraded":
                raise SchemeError(where, "'ungraded' would change who is graded, so the tiers "
                                  "of the runs could not be compared; it is not a choice here")
            if allowed is not None and level not in allowed:
                raise SchemeError(where, f"{level!r} is not one of {', '.join(allowed)} "
                                  "(or None for the scheme's own)")
            if name == "winsorise":
                ok = (isinstance(level, Sequence) and len(level) == 2
                      and all(isinstance(q, int | float) for q in level)
                      and 0.0 <= level[0] < level[1] <= 1.0)
                if not ok:
                    raise SchemeError(where, f"winsorise levels are None or quantiles (lo, hi) "
                                      f"with 0 <= lo < hi <= 1 (got {level!r})")
        out[name] = tuple(tuple(v) if isinstance(v, list) else v for v in levels)
    return out


def _variant(scheme: Any, levels: Mapping[str, Any]) -> Any:
    """The scheme with the given levels applied (a level that cannot apply raises)."""
    from custvalue.scoring import Scheme

    data = scheme.model_dump()
    norm, agg = levels.get("normalisation"), levels.get("aggregation")
    missing, wins = levels.get("missing"), levels.get("winsorise")
    if agg is not None:
        data["aggregation"]["method"] = agg
    leaves = [ind for dim in data["dimensions"].values()
              for parent in (dim, *dim["secondary"].values())
              for ind in parent["indicators"].values()]
    for ind in leaves:
        n = ind["normalisation"]
        if norm is not None:
            n.update(method=norm, lower=None, upper=None)
        if wins is not None:
            n["winsorise"] = tuple(wins)
        if missing is not None and ind["missing"] != "ungraded":
            ind["missing"] = missing
    try:
        return Scheme.from_dict(data)
    except SchemeError as exc:
        raise SchemeError(f"uncertainty.{exc.path}",
                          f"the choice {dict(levels)} cannot apply: {exc.problem}") from None


class _Normalised:
    """The scored customers' indicator frame, checked once, and the scoring arrays of each
    scheme variant built from shared parts.

    An indicator's normalised column depends only on its own settings (method, bounds,
    winsorising, direction, ideal), so every level combination that shares them shares the
    column: the default choices normalise each indicator at most 9 times for their 54
    combinations.  The missing-value policies are applied once per normalisation and
    policy (:func:`~custvalue.scoring.build_arrays`); the aggregators then share those
    arrays (TOPSIS fits its reference on them, as ``build_arrays`` does).  :meth:`arrays`
    gives what ``Scorer(variant).fit(raw).arrays(raw)`` gives, through the same public
    functions.
    """

    def __init__(self, raw: pd.DataFrame, scheme: Any) -> None:
        from custvalue.scoring.normalise import check_indicator_frame

        self.raw = check_indicator_frame(raw, scheme)
        self._columns: dict[tuple[Any, ...], np.ndarray] = {}
        self._arrays: dict[tuple[Any, ...], Any] = {}

    def _keys(self, variant: Any) -> list[tuple[Any, ...]]:
        return [(name, ind.column, ind.direction, ind.ideal, ind.normalisation.method,
                 ind.normalisation.lower, ind.normalisation.upper, ind.normalisation.winsorise)
                for _, name, ind in variant.iter_indicators()]

    def frame(self, variant: Any) -> pd.DataFrame:
        """The ``norm__*`` columns of the scheme ``variant`` (fitted on every row)."""
        from custvalue.grading import NORM_PREFIX
        from custvalue.scoring.normalise import fit_indicator, transform_indicator

        cols = {}
        for key, (_, name, ind) in zip(self._keys(variant), variant.iter_indicators(),
                                       strict=True):  # a loop over indicators
            if key not in self._columns:
                values = self.raw[ind.column].to_numpy(dtype=float)
                self._columns[key] = transform_indicator(values,
                                                         fit_indicator(values, ind, name))
            cols[NORM_PREFIX + name] = self._columns[key]
        return pd.DataFrame(cols, index=self.raw.index)

    def arrays(self, variant: Any) -> Any:
        """The :class:`~custvalue.scoring.ScoringArrays` of every row under ``variant``."""
        from custvalue.scoring import build_arrays
        from custvalue.scoring.kernels import fit_topsis_reference

        policies = (tuple(ind.missing for _, _, ind in variant.iter_indicators()),
                    tuple(d.missing for d in variant.dimensions.values()))
        key = (tuple(self._keys(variant)), policies)
        agg = variant.aggregation
        cached = self._arrays.get(key)
        if cached is None:  # keep only the last: callers visit the aggregators in a row
            self._arrays = {key: build_arrays(self.frame(variant), variant, self.raw)}
            return self._arrays[key]
        topsis = (fit_topsis_reference(cached.values, cached.available,
                                       agg.topsis_normalisation)
                  if agg.method == "topsis" else None)
        return replace(cached, method=agg.method, floor=agg.floor, topsis=topsis)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False, repr=False)
class Uncertainty(Result):
    """The result of :func:`uncertainty` (see ``docs/validation.md``).

    Attributes
    ----------
    factors : tuple of str
        The uncertain factors, in design order (``weights`` last when drawn).
    levels : dict
        The levels of each method factor.
    n_base : int
        Rows of each Saltelli sample (``runs = n_base * (len(factors) + 2)``).
    runs : pandas.DataFrame
        Every run: ``block`` (``A``, ``B`` or ``AB:<factor>``), ``sample`` (row of the
        block), the level of each method factor, and the weights (``v:<dimension>``,
        ``w:<indicator>``) it used.
    customers : pandas.DataFrame
        Per graded customer (index ``customer_id``): ``base_tier`` (the scheme's own
        choices), ``p_tier0 ..`` over all runs, ``modal_tier``, ``p_modal``, ``p_same``
        (probability of the base tier), ``variance`` of the tier over ``A`` and ``B``.
    indices : pandas.DataFrame
        Per factor: ``first_order`` and ``total`` (pooled shares of the customers' summed
        tier variance), and ``first_order_median`` / ``total_median`` over the customers
        whose tier varies.
    first_order, total : pandas.DataFrame
        Per customer and factor (NaN where the tier never varies).
    notes : tuple of str
    """

    factors: tuple[str, ...]
    levels: dict[str, tuple[Any, ...]]
    n_base: int
    seed: int
    concentration: float | None
    runs: pd.DataFrame
    customers: pd.DataFrame
    indices: pd.DataFrame
    first_order: pd.DataFrame = field(repr=False)
    total: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def n_runs(self) -> int:
        """Model runs (rows of :attr:`runs`)."""
        return len(self.runs)

    @property
    def expected_change(self) -> float:
        """Expected share of customers whose tier differs from the base tier in a run."""
        return float(1.0 - self.customers["p_same"].mean()) if len(self.customers) else math.nan

    def headline(self) -> str:
        return (f"Uncertainty over {', '.join(self.factors)}: {self.n_runs:,} runs "
                f"({self.n_base} per sample), {len(self.customers):,} customers, expected "
                f"tier change {self.expected_change:.1%}")

    def to_frame(self) -> pd.DataFrame:
        return self.indices

    def to_dict(self) -> dict[str, Any]:
        return {
            "factors": list(self.factors),
            "levels": {k: [list(v) if isinstance(v, tuple) else v for v in lv]
                       for k, lv in self.levels.items()},
            "n_base": self.n_base, "runs": self.n_runs, "seed": self.seed,
            "concentration": self.concentration,
            "expected_change": jsonable(self.expected_change),
            "indices": [{"factor": f, **{k: jsonable(v) for k, v in r.items()}}
                        for f, r in self.indices.iterrows()],
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        lines = [self.headline(), "",
                 "  share of tier variance     first order    total"]
        for f, r in self.indices.iterrows():
            lines.append(f"  {f:<26}{r['first_order']:>12.1%}{r['total']:>9.1%}")
        lines += ["", *(f"note: {n}" for n in self.notes)] if self.notes else []
        return "\n".join(lines)


# --------------------------------------------------------------------------- front


def _inputs(grading: Any) -> tuple[pd.DataFrame, np.ndarray, Any]:
    """The indicator frame of the scored customers (sorted), the positions of the graded
    ones in it, and the scheme."""
    table, scheme = check_grading(grading)
    if not hasattr(scheme, "weight_arrays"):
        raise SchemeError("", f"needs a custvalue.scoring.Scheme (got {type(scheme).__name__})")
    cols = list(scheme.columns)
    absent = [c for c in cols if c not in table.columns]
    if absent:
        raise InputError("grading", absent[0], f"the grading table has no raw indicator "
                         f"columns {absent[:5]}", fix="pass a Grading made by custvalue.grade")
    reasons = [c for c in table.columns if c.startswith("reason__")]
    scored = table["graded"].notna().to_numpy() if "graded" in table.columns else \
        np.ones(len(table), dtype=bool)
    raw = table.loc[scored, cols + reasons]
    graded = graded_rows(table)[scored]
    if not pd.api.types.is_string_dtype(raw.index):
        raw = raw.set_axis(raw.index.astype(str))
    order = np.argsort(raw.index.to_numpy(dtype=str), kind="stable")
    raw, graded = raw.iloc[order], graded[order]
    raw.index.name = "customer_id"
    if not graded.any():
        raise InputError("grading", "graded", "no graded customer to re-tier")
    return raw, np.flatnonzero(graded), scheme


def uncertainty(
    grading: Any,
    draws: int = 1000,
    choices: Mapping[str, Sequence[Any]] | None = None,
    *,
    concentration: float | None = 100.0,
    seed: int = 0,
    quotas: Sequence[float] | None = None,
) -> Uncertainty:
    """Tier probabilities and variance-based sensitivity over method choices and weights.

    Parameters
    ----------
    grading : Grading
        Anything with ``.table`` (raw indicator columns, ``score``, ``tier``, ``graded``)
        and ``.scheme``.
    draws : int, default 1000
        Total model runs ``n (k + 2)`` (``k`` factors); ``n = draws // (k + 2)`` must be at
        least 2.
    choices : mapping of factor to levels, optional
        Default :data:`DEFAULT_CHOICES`.  A factor left out keeps the scheme's setting.
    concentration : float or None, default 100
        Dirichlet concentration of the weight factor; ``None`` keeps the weights fixed.
    seed : int, default 0
    quotas : sequence of float, optional
        Tier quotas (default the scheme's).  Strata and pins are not applied per run.

    Returns
    -------
    Uncertainty

    Raises
    ------
    SchemeError
        An unknown factor, a level that cannot apply, or too few draws.
    InputError
        Not a grading, or raw indicator columns missing.

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(200, months=24, seed=2)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> u = uncertainty(g, draws=60, choices={"aggregation": ["arithmetic", "geometric"]})
    >>> u.factors, u.n_base, u.n_runs
    (('aggregation', 'weights'), 15, 60)
    >>> p = u.customers.filter(like="p_tier").sum(axis=1)
    >>> bool(np.allclose(p, 1.0))
    True
    >>> uncertainty(g, choices={"missing": ["ungraded"]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    custvalue.errors.SchemeError: uncertainty.missing: 'ungraded' would change who is graded...
    """
    from custvalue.scoring import aggregate, aggregate_draws, batch_inputs
    from custvalue.tiers import tier_sizes

    levels = _check_choices(DEFAULT_CHOICES if choices is None else choices)
    method_factors = [f for f in FACTORS if f in levels]
    if concentration is not None and not (math.isfinite(concentration) and concentration > 0):
        raise SchemeError("uncertainty.concentration", "concentration must be a positive "
                          f"number or None (got {concentration!r})")
    factors = [*method_factors, *(["weights"] if concentration is not None else [])]
    if not factors:
        raise SchemeError("uncertainty", "nothing is uncertain: give choices or a "
                          "concentration")
    k = len(factors)
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 2 * (k + 2):
        raise SchemeError("uncertainty.draws", f"draws must be an integer of at least "
                          f"{2 * (k + 2)} for {k} factors (got {draws!r})")
    n_base = int(draws) // (k + 2)

    raw, graded_pos, scheme = _inputs(grading)
    quotas = tuple(float(q) for q in (scheme.tiers.quotas if quotas is None else quotas))
    n = graded_pos.size
    cut = np.asarray(tier_sizes(n, quotas))
    w0, _, v0 = scheme.weight_arrays()

    # the Saltelli design: level indices (n, m) and weights per sample A and B
    rng = np.random.default_rng(seed)
    m = len(method_factors)
    lev = {s: np.column_stack([rng.integers(0, len(levels[f]), n_base)
                               for f in method_factors]) if m else np.zeros((n_base, 0), int)
           for s in ("A", "B")}
    wts = {}
    tree = scheme.weight_tree()
    for s in ("A", "B"):
        if concentration is None:
            wts[s] = (np.broadcast_to(w0, (n_base, w0.size)), np.broadcast_to(v0, (n_base,
                      v0.size)))
        else:  # every level of the tree, as tier_stability draws them
            w, v, _ = draw_weights(tree, rng, concentration, n_base)
            wts[s] = (w, v)
    blocks = [("A", lev["A"], *wts["A"]), ("B", lev["B"], *wts["B"])]
    for i, f in enumerate(factors):
        la, (wa, va) = lev["A"].copy(), (wts["A"][0].copy(), wts["A"][1].copy())
        if f == "weights":
            wa, va = wts["B"][0].copy(), wts["B"][1].copy()
        else:
            la[:, i] = lev["B"][:, i]
        blocks.append((f"AB:{f}", la, wa, va))
    all_lev = np.concatenate([b[1] for b in blocks])
    all_w = np.concatenate([b[2] for b in blocks])
    all_v = np.concatenate([b[3] for b in blocks])
    n_runs = all_lev.shape[0]

    # evaluate: runs grouped by their method levels; each group is scored in one batch
    tiers = np.empty((n_runs, n), dtype=np.int8)
    combos, inverse = np.unique(all_lev, axis=0, return_inverse=True) if m else \
        (np.zeros((1, 0), int), np.zeros(n_runs, int))
    inverse = np.asarray(inverse).ravel()
    normalised = _Normalised(raw, scheme)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    # the aggregators of a normalisation and missing-value policy one after another, so
    # that they share its arrays
    agg_col = method_factors.index("aggregation") if "aggregation" in method_factors else None
    visit = (np.lexsort((combos[:, agg_col], *combos[:, [j for j in range(m) if j != agg_col]]
                         .T[::-1])) if agg_col is not None and m > 1 else range(len(combos)))
    # one BLAS thread: the products are as deep as there are indicators (16), where more
    # threads gain little and spin for nothing on a busy machine (as the clustering's
    # OpenMP loops, see validation.clustering)
    with threadpool_limits(limits=1, user_api="blas"):
        for c in visit:  # a loop over level combinations
            combo = combos[c]
            chosen = {f: levels[f][j] for f, j in zip(method_factors, combo, strict=True)}
            prep = batch_inputs(normalised.arrays(_variant(scheme, chosen)).rows(graded_pos))
            runs = np.flatnonzero(inverse == c)
            for start in range(0, runs.size, chunk):  # a loop over chunks of runs (memory)
                r = runs[start:start + chunk]
                tiers[r] = _tiers_kernel(aggregate_draws(prep, all_w[r], all_v[r],
                                                         cells=_CHUNK_CELLS), cut)

    # base: the scheme's own choices and weights
    base_arrays = normalised.arrays(scheme).rows(graded_pos)
    base_score = aggregate(base_arrays).score
    base_tier = _tiers_kernel(base_score[None, :], cut)[0]

    # per customer
    n_tiers = len(quotas)
    counts = np.zeros((n, n_tiers), dtype=np.int64)
    for t in range(n_tiers):  # a loop over tiers
        counts[:, t] = (tiers == t).sum(axis=0)
    p = counts / float(n_runs)
    cust = np.arange(n)
    modal = p.argmax(axis=1)
    index = raw.index[graded_pos]
    out = pd.DataFrame({"base_tier": base_tier.astype(np.int64)}, index=index)
    for t in range(n_tiers):
        out[f"p_tier{t}"] = p[:, t]
    out["modal_tier"] = modal
    out["p_modal"] = p[cust, modal]
    out["p_same"] = p[cust, base_tier]

    # indices
    f_a, f_b = tiers[:n_base], tiers[n_base:2 * n_base]
    f_ab = tiers[2 * n_base:].reshape(k, n_base, n)
    first, total, first_num, total_num, variance = sobol_indices(f_a, f_b, f_ab)
    out["variance"] = variance
    vsum = variance.sum()
    varying = variance > 0
    indices = pd.DataFrame({
        "first_order": first_num.sum(axis=1) / vsum if vsum > 0 else np.nan,
        "total": total_num.sum(axis=1) / vsum if vsum > 0 else np.nan,
        "first_order_median": [np.median(row[varying]) if varying.any() else np.nan
                               for row in first],
        "total_median": [np.median(row[varying]) if varying.any() else np.nan
                         for row in total],
    }, index=pd.Index(factors, name="factor"))

    runs_frame = pd.DataFrame({
        "block": np.repeat([b[0] for b in blocks], n_base),
        "sample": np.tile(np.arange(n_base), len(blocks)),
    })
    for j, f in enumerate(method_factors):
        runs_frame[f] = pd.Series([levels[f][i] for i in all_lev[:, j]], dtype=object)
    for d, name in enumerate(scheme.dimension_names):
        runs_frame[f"v:{name}"] = all_v[:, d]
    for i, name in enumerate(scheme.indicator_names):
        runs_frame[f"w:{name}"] = all_w[:, i]

    notes = []
    if not varying.any():
        notes.append("no customer's tier varies over the runs: the indices are undefined")
    return Uncertainty(
        factors=tuple(factors), levels={f: levels[f] for f in method_factors},
        n_base=n_base, seed=int(seed), concentration=concentration, runs=runs_frame,
        customers=out, indices=indices,
        first_order=pd.DataFrame(first.T, index=index, columns=factors),
        total=pd.DataFrame(total.T, index=index, columns=factors), notes=tuple(notes),
    )


def _without(scheme: Any, indicators: Sequence[str]) -> Any:
    """The scheme without ``indicators`` (an emptied secondary indicator or dimension goes
    too), the weights of each parent re-spread over what is left."""
    from custvalue.scoring import Scheme, SchemeWarning

    data = scheme.model_dump()
    for name in indicators:
        dim = scheme.dimension_of(name)
        group = scheme.secondary_of(name)
        node = data["dimensions"][dim]
        if group is None:
            del node["indicators"][name]
        else:
            del node["secondary"][group]["indicators"][name]
            if not node["secondary"][group]["indicators"]:
                del node["secondary"][group]
        if not node["indicators"] and not node["secondary"]:
            del data["dimensions"][dim]
    if not data["dimensions"]:
        raise SchemeError("dimensions", "removing it leaves no indicator to score with")
    data["notes"] = ()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemeWarning)
        return Scheme.from_dict(data, normalise=True)


def leave_one_out(grading: Any, level: str = "indicator") -> pd.DataFrame:
    """Share of customers whose tier changes when one indicator, secondary indicator or
    dimension is removed.

    The indicator is taken out of the scheme and the weights of its parent (its secondary
    indicator, or its dimension) re-spread over the others in proportion (a secondary
    indicator or dimension left empty is removed and its weight re-spread over its
    siblings); ``level="secondary"`` removes a whole secondary indicator (three-level
    schemes), ``level="dimension"`` a whole dimension.
    Every customer graded in the grading is rescored (normalisation fitted again, the
    scheme's policies and aggregator) and re-tiered as in :func:`uncertainty`; the base is
    the scheme itself under the same rule.

    Parameters
    ----------
    grading : Grading
    level : {'indicator', 'secondary', 'dimension'}

    Returns
    -------
    pandas.DataFrame
        Indexed by the removed name: ``dimension``, ``weight`` (global weight it had: the
        product of the weights down the tree),
        ``changed`` (customers whose tier changes), ``share`` (of graded customers),
        ``up`` and ``down`` (shares moving to a better / worse tier), sorted by ``share``
        descending.

    Examples
    --------
    >>> import custvalue
    >>> t = custvalue.samples.generate(200, months=24, seed=2)
    >>> g = custvalue.grade(**t, duplicates="last", negative_energy="allow")
    >>> loo = leave_one_out(g, level="dimension")
    >>> sorted(loo.index) == sorted(g.scheme.dimension_names)
    True
    >>> bool((loo["share"] == loo["up"] + loo["down"]).all())
    True
    """
    from custvalue.scoring import Scorer, aggregate
    from custvalue.tiers import tier_sizes

    if level not in ("indicator", "secondary", "dimension"):
        raise SchemeError("leave_one_out.level", "level must be 'indicator', 'secondary' or "
                          f"'dimension' (got {level!r})")
    raw, graded_pos, scheme = _inputs(grading)
    if level == "secondary" and not scheme.secondary_names:
        raise SchemeError("leave_one_out.level", "the scheme has no secondary indicators "
                          "(a two-level tree): use level='indicator' or 'dimension'")
    quotas = scheme.tiers.quotas
    cut = np.asarray(tier_sizes(graded_pos.size, quotas))

    def tiers_of(s: Any) -> np.ndarray:
        arrays = Scorer(s).fit(raw).arrays(raw).rows(graded_pos)
        return _tiers_kernel(aggregate(arrays).score[None, :], cut)[0]

    base = tiers_of(scheme)
    if level == "indicator":
        glob = scheme.weight_tree().leaf_weights()
        groups = {i: ([i], d, float(glob[k]))
                  for k, (d, i, _) in enumerate(scheme.iter_indicators())}
    elif level == "secondary":
        groups = {g: (list(group.indicators), d, scheme.dimensions[d].weight * group.weight)
                  for d, g, group in scheme.iter_secondary()}
    else:
        groups = {d: (list(dim.leaves), d, dim.weight)
                  for d, dim in scheme.dimensions.items()}
    rows = []
    for name, (names, dim, weight) in groups.items():  # a loop over the tree's nodes
        t = tiers_of(_without(scheme, names))
        rows.append({"name": name, "dimension": dim, "weight": weight,
                     "changed": int((t != base).sum()), "share": float((t != base).mean()),
                     "up": float((t < base).mean()), "down": float((t > base).mean())})
    out = pd.DataFrame(rows).set_index("name").sort_values("share", ascending=False,
                                                           kind="stable")
    out.index.name = level
    return out
