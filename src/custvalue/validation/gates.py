"""Verdicts: PASS / WARN / FAIL for the validation and robustness figures.

The thresholds live in the scheme (:class:`custvalue.scoring.Gates`, section ``[gates]``),
so that the grading and the bar it has to clear are kept together.  :func:`verdicts` turns
a :class:`~custvalue.validation.TierValidation` and/or a
:class:`~custvalue.validation.TierStability` into one :class:`Verdict` per gate: the figure,
the threshold it was judged against and a sentence that says what it means.

A figure that cannot be computed (NaN, e.g. an ARI with a single cluster) is a ``WARN``:
nothing is passed silently.  See ``docs/validation.md`` (*Verdicts and gates*).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from custvalue.grading import jsonable

__all__ = ["STATUSES", "Verdict", "Verdicts", "judge", "verdicts"]

Status = Literal["PASS", "WARN", "FAIL"]
#: Statuses from best to worst.
STATUSES: tuple[str, ...] = ("PASS", "WARN", "FAIL")

# gate name -> (figure, how to print it, what it measures)
_WHAT = {
    "min_ari": ("adjusted Rand index of tiers and clusters", "{:.3f}"),
    "max_disagreement": ("share of customers whose cluster suggests another tier", "{:.1%}"),
    "max_borderline": ("share of borderline customers under weight uncertainty", "{:.1%}"),
    "max_expected_change": ("expected share changing tier in one weight draw", "{:.1%}"),
    "max_change_10pct": ("largest share changing tier when one weight moves by ±10 %",
                         "{:.1%}"),
}


@dataclass(frozen=True)
class Verdict:
    """One gate's judgment.

    Attributes
    ----------
    gate : str
        Name of the gate in :class:`custvalue.scoring.Gates` (``min_ari`` ...).
    status : {'PASS', 'WARN', 'FAIL'}
    figure : float
        The measured figure (NaN when it could not be computed).
    threshold : float
        The threshold that decided: the failure threshold for ``FAIL``, the warning
        threshold otherwise.
    sentence : str
        The verdict in words, with the figure and the thresholds.

    Examples
    --------
    >>> v = Verdict("min_ari", "WARN", 0.188, 0.2, "…")
    >>> v.failed, str(v).split(":")[0]
    (False, 'WARN  min_ari')
    """

    gate: str
    status: Status
    figure: float
    threshold: float
    sentence: str

    @property
    def failed(self) -> bool:
        """Whether the status is ``FAIL``."""
        return self.status == "FAIL"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"gate": self.gate, "status": self.status, "figure": jsonable(self.figure),
                "threshold": jsonable(self.threshold), "sentence": self.sentence}

    def __str__(self) -> str:
        return f"{self.status:<5} {self.gate}: {self.sentence}"


@dataclass(frozen=True)
class Verdicts:
    """All verdicts of a validation, worst status first in :attr:`status`.

    Examples
    --------
    >>> vs = Verdicts((Verdict("min_ari", "PASS", 0.5, 0.2, "fine"),))
    >>> vs.status, vs.failed
    ('PASS', False)
    """

    items: tuple[Verdict, ...]

    @property
    def status(self) -> str:
        """The worst status (``PASS`` when there is no verdict)."""
        worst = max((STATUSES.index(v.status) for v in self.items), default=0)
        return STATUSES[worst]

    @property
    def failed(self) -> bool:
        """Whether any verdict is ``FAIL``."""
        return any(v.failed for v in self.items)

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: ``{"status": ..., "verdicts": [...]}``."""
        return {"status": self.status, "verdicts": [v.to_dict() for v in self.items]}

    def __str__(self) -> str:
        lines = [f"Verdicts: {self.status}"]
        lines += [f"  {v}" for v in self.items]
        return "\n".join(lines)


def judge(gate: str, figure: float, warn: float, fail: float) -> Verdict:
    """The verdict of one figure against one gate (``min_*`` or ``max_*``).

    Examples
    --------
    >>> judge("min_ari", 0.188, warn=0.2, fail=0.05).status
    'WARN'
    >>> print(judge("max_borderline", 0.4, warn=0.2, fail=0.35).sentence)
    ... # doctest: +NORMALIZE_WHITESPACE
    share of borderline customers under weight uncertainty is 40.0%, above the failure
    threshold 35.0% (warning above 20.0%)
    >>> judge("max_borderline", float("nan"), warn=0.2, fail=0.35).status
    'WARN'
    """
    what, fmt = _WHAT.get(gate, (gate, "{:.3g}"))
    low = gate.startswith("min_")
    side = "below" if low else "above"
    f = fmt.format
    if figure is None or not math.isfinite(figure):
        return Verdict(gate, "WARN", math.nan, warn,
                       f"{what} could not be computed; check it by hand")
    if (figure < fail) if low else (figure > fail):
        status, threshold = "FAIL", fail
        sentence = (f"{what} is {f(figure)}, {side} the failure threshold {f(fail)} "
                    f"(warning {side} {f(warn)})")
    elif (figure < warn) if low else (figure > warn):
        status, threshold = "WARN", warn
        sentence = (f"{what} is {f(figure)}, {side} the warning threshold {f(warn)} "
                    f"(failure {side} {f(fail)})")
    else:
        status, threshold = "PASS", warn
        bound = "at least" if low else "at most"
        sentence = f"{what} is {f(figure)}, {bound} {f(warn)}"
    return Verdict(gate, status, float(figure), float(threshold), sentence)  # type: ignore[arg-type]


def _change_10pct(stability: Any) -> float | None:
    """Largest share changing tier in the ±10 % columns (None when not measured)."""
    cols = [c for c in ("-10%", "+10%") if c in stability.sensitivity.columns]
    if not cols:
        return None
    values = stability.sensitivity[cols].to_numpy(dtype=float)
    if values.size == 0 or not (values == values).any():
        return math.nan
    return float(max(x for x in values.ravel() if x == x))


def verdicts(
    validation: Any = None,
    stability: Any = None,
    gates: Any = None,
) -> Verdicts:
    """PASS / WARN / FAIL for each gate whose figure is available.

    Parameters
    ----------
    validation : TierValidation, optional
        Gives ``min_ari`` (:attr:`~TierValidation.ari`) and ``max_disagreement``.
    stability : TierStability, optional
        Gives ``max_borderline``, ``max_expected_change`` and ``max_change_10pct`` (the
        latter only when its steps include -10 % or +10 %).
    gates : Gates or Scheme, optional
        The thresholds: a :class:`custvalue.scoring.Gates`, or a scheme whose ``gates`` are
        used.  Default: the defaults of :class:`~custvalue.scoring.Gates`.

    Returns
    -------
    Verdicts

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> val = SimpleNamespace(ari=0.188, disagreement=0.45)
    >>> sens = pd.DataFrame({"-10%": [0.01, 0.12], "+10%": [0.02, 0.03]})
    >>> st = SimpleNamespace(borderline_share=0.15, expected_change=0.08, sensitivity=sens)
    >>> print(verdicts(val, st))  # doctest: +NORMALIZE_WHITESPACE
    Verdicts: FAIL
      WARN  min_ari: adjusted Rand index of tiers and clusters is 0.188, below the warning
            threshold 0.200 (failure below 0.050)
      PASS  max_disagreement: share of customers whose cluster suggests another tier is
            45.0%, at most 50.0%
      PASS  max_borderline: share of borderline customers under weight uncertainty is
            15.0%, at most 20.0%
      PASS  max_expected_change: expected share changing tier in one weight draw is 8.0%,
            at most 10.0%
      FAIL  max_change_10pct: largest share changing tier when one weight moves by ±10 % is
            12.0%, above the failure threshold 10.0% (warning above 5.0%)
    """
    from custvalue.scoring.scheme import Gates

    if gates is None:
        gates = Gates()
    elif not isinstance(gates, Gates):
        gates = getattr(gates, "gates", None) or Gates()
    figures: list[tuple[str, float]] = []
    if validation is not None:
        figures += [("min_ari", validation.ari), ("max_disagreement", validation.disagreement)]
    if stability is not None:
        figures += [("max_borderline", stability.borderline_share),
                    ("max_expected_change", stability.expected_change)]
        change = _change_10pct(stability)
        if change is not None:
            figures.append(("max_change_10pct", change))
    items: Sequence[Verdict] = [
        judge(name, float(fig) if fig is not None else math.nan,
              getattr(gates, name).warn, getattr(gates, name).fail)
        for name, fig in figures
    ]
    return Verdicts(tuple(items))
