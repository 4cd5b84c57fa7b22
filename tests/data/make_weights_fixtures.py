"""Write ``tests/data/weights_fixtures.json``: reference weights from ahpy, pymcdm, skcriteria.

Run from the repository root with the dev extras installed::

    .venv/bin/python tests/data/make_weights_fixtures.py

The JSON records, for every matrix, its source, the weights printed in the literature
(where there are any, with their number of decimals) and the weights the reference
packages compute, together with the package versions.  ``tests/scoring/test_weights.py``
compares custvalue against the recorded numbers (no package needed) and, when the packages
are importable, calls :func:`build` to recompute them live.

Random matrices are drawn from ``numpy.random.default_rng(seed)`` with the seed recorded.
"""

from __future__ import annotations

import json
import platform
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import ahpy
import numpy as np
import skcriteria
from pymcdm import weights as pw
from pymcdm.weights.subjective import AHP as PymcdmAHP
from skcriteria.preprocessing import weighters as sw

OUT = Path(__file__).with_name("weights_fixtures.json")
AHPY_PRECISION = 12  # ahpy rounds weights and CR to this many decimals

# --------------------------------------------------------------------------- AHP inputs

DRINKS = {  # Saaty (2008), via the ahpy README "Relative consumption of drinks"
    ("coffee", "wine"): 9, ("coffee", "tea"): 5, ("coffee", "beer"): 2, ("coffee", "soda"): 1,
    ("coffee", "milk"): 1, ("coffee", "water"): 1 / 2,
    ("wine", "tea"): 1 / 3, ("wine", "beer"): 1 / 9, ("wine", "soda"): 1 / 9,
    ("wine", "milk"): 1 / 9, ("wine", "water"): 1 / 9,
    ("tea", "beer"): 1 / 3, ("tea", "soda"): 1 / 4, ("tea", "milk"): 1 / 3, ("tea", "water"): 1 / 9,
    ("beer", "soda"): 1 / 2, ("beer", "milk"): 1, ("beer", "water"): 1 / 3,
    ("soda", "milk"): 2, ("soda", "water"): 1 / 2,
    ("milk", "water"): 1 / 3,
}  # fmt: skip
LEADER = {  # ahpy README "Choosing a leader" (older Wikipedia AHP leader example)
    ("Experience", "Education"): 4, ("Experience", "Charisma"): 3, ("Experience", "Age"): 7,
    ("Education", "Charisma"): 1 / 3, ("Education", "Age"): 3,
    ("Charisma", "Age"): 5,
}  # fmt: skip
VEHICLE = {  # ahpy README "Purchasing a vehicle" (Wikipedia AHP car example), criteria
    ("Cost", "Safety"): 3, ("Cost", "Style"): 7, ("Cost", "Capacity"): 3,
    ("Safety", "Style"): 9, ("Safety", "Capacity"): 1,
    ("Style", "Capacity"): 1 / 7,
}  # fmt: skip
VEHICLE_COST = {  # same example, the subcriteria of Cost
    ("Price", "Fuel"): 2, ("Price", "Maintenance"): 5, ("Price", "Resale"): 3,
    ("Fuel", "Maintenance"): 2, ("Fuel", "Resale"): 2,
    ("Maintenance", "Resale"): 1 / 2,
}  # fmt: skip

AHP_PUBLISHED = [
    {
        "name": "saaty_drinks",
        "source": "Saaty, T. L. (2008). Decision making with the analytic hierarchy process. "
        "Int. J. Services Sciences 1(1); as worked in the ahpy 2.1 README (relative "
        "consumption of drinks in the US)",
        "pairs": DRINKS,
        "literature": {
            "weights": {"water": 0.327, "soda": 0.19, "coffee": 0.177, "milk": 0.129,
                        "beer": 0.116, "tea": 0.042, "wine": 0.019},
            "cr": 0.022, "random_index": "saaty2005", "decimals": 3,
            "where": "ahpy README (precision=3, random_index='saaty')",
        },
    },
    {
        "name": "leader_criteria",
        "source": "ahpy 2.1 README 'Choosing a leader' (older Wikipedia AHP leader example), "
        "criteria matrix",
        "pairs": LEADER,
        "literature": {
            "weights": {"Experience": 0.548, "Charisma": 0.27, "Education": 0.127, "Age": 0.056},
            "cr": 0.044, "random_index": "saaty2005", "decimals": 3,
            "where": "ahpy README (precision=3, random_index='saaty')",
        },
    },
    {
        "name": "vehicle_criteria",
        "source": "ahpy 2.1 README 'Purchasing a vehicle' (Wikipedia AHP car example), criteria",
        "pairs": VEHICLE,
        "literature": {
            "weights": {"Cost": 0.51, "Safety": 0.234, "Capacity": 0.215, "Style": 0.041},
            "cr": 0.08, "random_index": "donegan-dodd", "decimals": 3,
            "where": "ahpy README (precision=3, default random_index='dd')",
        },
    },
    {
        "name": "vehicle_cost",
        "source": "ahpy 2.1 README 'Purchasing a vehicle', subcriteria of Cost",
        "pairs": VEHICLE_COST,
        "literature": {
            "weights": {"Price": 0.488, "Fuel": 0.252, "Resale": 0.161, "Maintenance": 0.1},
            "cr": 0.016, "random_index": "donegan-dodd", "decimals": 3,
            "where": "ahpy README (precision=3, default random_index='dd')",
        },
    },
]  # fmt: skip

SAATY_SCALE = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
FULL_SCALE = np.round([*(1 / k for k in range(2, 10)), *range(1, 10)], 2)  # as pymcdm checks


def _reciprocal(upper: np.ndarray) -> np.ndarray:
    """Reciprocal matrix from the strict upper triangle of ``upper``."""
    n = upper.shape[0]
    a = np.ones((n, n))
    iu = np.triu_indices(n, 1)
    a[iu] = upper[iu]
    a.T[iu] = 1.0 / upper[iu]
    return a


def _random_ahp(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "inconsistent":  # independent draws from Saaty's scale
        return _reciprocal(rng.choice(SAATY_SCALE, size=(n, n)))
    w = rng.dirichlet(np.ones(n))
    ratio = np.outer(w, 1.0 / w)
    if kind == "consistent":
        return _reciprocal(ratio)
    return _reciprocal(ratio * np.exp(rng.normal(0.0, 0.15, size=(n, n))))  # perturbed


AHP_RANDOM = [("consistent", 5, 11), ("consistent", 9, 12), ("perturbed", 6, 13),
              ("perturbed", 10, 14), ("inconsistent", 5, 15)]  # fmt: skip


def _ahp_reference(a: np.ndarray, labels: list[str]) -> dict[str, Any]:
    n = len(labels)
    pairs = {(labels[i], labels[j]): float(a[i, j]) for i in range(n) for j in range(i + 1, n)}
    out: dict[str, Any] = {}
    cr = {}
    for ri_name, ri_key in (("saaty2005", "saaty"), ("donegan-dodd", "dd")):
        comp = ahpy.Compare("m", pairs, precision=AHPY_PRECISION, random_index=ri_key)
        cr[ri_name] = float(comp.consistency_ratio)
        out["eigenvector_ahpy"] = [float(comp.local_weights[x]) for x in labels]
    if np.all(np.isin(np.round(a, 2), FULL_SCALE)):  # pymcdm's AHP needs Saaty-scale values
        model = PymcdmAHP(matrix=a)
        out["eigenvector_pymcdm"] = [float(x) for x in model()]
        cr["tummala-ling"] = float(model.get_cr())
    out["cr"] = cr
    values = np.linalg.eigvals(a)
    out["lambda_max_eigenvector"] = float(values.real.max())
    g = np.prod(a, axis=1) ** (1.0 / n)  # no package does the row geometric mean
    g = g / g.sum()
    out["geometric"] = [float(x) for x in g]
    out["lambda_max_geometric"] = float(np.mean(a @ g / g))
    return out


def build_ahp() -> list[dict[str, Any]]:
    cases = []
    for case in AHP_PUBLISHED:
        comp = ahpy.Compare("m", case["pairs"], precision=AHPY_PRECISION)
        labels = list(comp._elements)  # order of first appearance, as custvalue
        a = comp._matrix.copy()
        cases.append(
            {
                "name": case["name"],
                "source": case["source"],
                "labels": labels,
                "matrix": a.tolist(),
                "literature": case["literature"],
                "reference": _ahp_reference(a, labels),
            }
        )
    for kind, n, seed in AHP_RANDOM:
        a = _random_ahp(kind, n, seed)
        labels = [f"c{i}" for i in range(n)]
        ref = _ahp_reference(a, labels)
        if (ref["cr"]["saaty2005"] > 0.1) != (kind == "inconsistent"):
            raise RuntimeError(f"{kind} n={n} seed={seed}: CR {ref['cr']} on the wrong side")
        cases.append(
            {
                "name": f"random_{kind}_n{n}_seed{seed}",
                "source": f"numpy default_rng({seed}): {kind} reciprocal matrix, see _random_ahp",
                "labels": labels,
                "matrix": a.tolist(),
                "literature": None,
                "reference": ref,
            }
        )
    return cases


# --------------------------------------------------------------------------- objective

XU2004 = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]
ZP2016 = [[3.0, 100, 10, 7], [2.5, 80, 8, 5], [1.8, 50, 20, 11], [2.2, 70, 12, 9]]
DIAKOULAKI1995 = [
    [61, 1.08, 4.33],
    [20.7, 0.26, 4.34],
    [16.3, 1.98, 2.53],
    [9.0, 3.29, 1.65],
    [5.4, 2.77, 2.33],
    [4.0, 4.12, 1.21],
    [-6.1, 3.52, 2.10],
    [-34.6, 3.31, 0.98],
]
TUS2019 = [
    [5000, 3, 3, 4, 3, 2],
    [680, 5, 3, 2, 2, 1],
    [2000, 3, 2, 3, 4, 3],
    [600, 4, 3, 1, 2, 2],
    [800, 2, 4, 3, 3, 4],
]
SALABUN2020 = [[0.619, 0.449, 0.447], [0.862, 0.466, 0.006], [0.458, 0.698, 0.771],
               [0.777, 0.631, 0.491], [0.567, 0.992, 0.968]]  # fmt: skip

PYREPO = (
    "as checked in the tests of pyrepo-mcda (energyinpython/pyrepo-mcda, "
    "tests/test_weighting_methods.py)"
)
SKC_TESTS = "as checked in the tests of scikit-criteria (tests/preprocessing/test_weighters.py)"

OBJECTIVE_PUBLISHED: dict[str, list[dict[str, Any]]] = {
    "entropy": [
        {
            "name": "xu2004",
            "matrix": XU2004,
            "types": [1, 1, 1, 1],
            "source": "Xu, X. (2004). A note on the subjective and objective integrated "
            "approach to determine attribute weights. EJOR 156(2), 530-532",
            "literature": {
                "weights": [0.4630, 0.3992, 0.1378, 0.0000],
                "decimals": 4,
                "where": PYREPO,
            },
        },
        {
            "name": "zavadskas_podvezko2016",
            "matrix": ZP2016,
            "types": [-1, 1, -1, 1],
            "source": "Zavadskas, E. K., & Podvezko, V. (2016). Integrated determination of "
            "objective criteria weights in MCDM. IJITDM 15(2), 267-283",
            "literature": {
                "weights": [0.1146, 0.1981, 0.4185, 0.2689],
                "decimals": 4,
                "where": PYREPO + "; the entropy is taken of the raw values, cost columns included",
            },
        },
    ],
    "critic": [
        {
            "name": "diakoulaki1995",
            "matrix": DIAKOULAKI1995,
            "types": [1, 1, 1],
            "source": "Diakoulaki, D., Mavrotas, G., & Papayannakis, L. (1995). Determining "
            "objective weights in multiple criteria problems: the CRITIC method. Computers & "
            "Operations Research 22(7), 763-770",
            "literature": {
                "weights": [0.20222554, 0.48090173, 0.31687273],
                "decimals": 8,
                "where": SKC_TESTS,
                "convention": "skcriteria",
            },
        },
        {
            "name": "tus_adali2019",
            "matrix": TUS2019,
            "types": [-1, 1, 1, 1, 1, 1],
            "source": "Tus, A., & Aytac Adali, E. (2019). The new combination with CRITIC and "
            "WASPAS methods for the time and attendance software selection problem. "
            "Opsearch 56(2), 528-538",
            "literature": {
                "weights": [0.157, 0.249, 0.168, 0.121, 0.154, 0.151],
                "decimals": 3,
                "where": PYREPO + "; these match the types-ignored (pymcdm) "
                "convention although the first criterion (price) is a cost",
                "convention": "pymcdm",
            },
        },
    ],
    "std": [
        {
            "name": "salabun2020",
            "matrix": SALABUN2020,
            "types": [1, 1, 1],
            "source": "Salabun, W., Watrobski, J., & Shekhovtsov, A. (2020). Are MCDA methods "
            "benchmarkable? Symmetry 12(9), 1549",
            "literature": {"weights": [0.217, 0.294, 0.488], "decimals": 3, "where": PYREPO},
        },
    ],
}


def _random_matrix(kind: str, seed: int) -> tuple[np.ndarray, list[int]]:
    """Seeded test matrices; ``kind`` says what they exercise."""
    rng = np.random.default_rng(seed)
    if kind == "lognormal":  # strictly positive, mixed directions
        x = rng.lognormal(mean=3.0, sigma=0.8, size=(12, 5)).round(3)
        return x, [1, -1, 1, 1, -1]
    if kind == "zeros_and_constant":  # zeros (entropy 0 ln 0) and a constant column
        x = rng.integers(0, 6, size=(10, 4)).astype(float)
        x[:, 2] = 7.0
        x[0, 0] = x[3, 1] = 0.0
        return x, [1, -1, 1, 1]
    if kind == "normal":  # negative values, mixed directions
        x = rng.normal(0.0, [1.0, 3.0, 0.5, 2.0], size=(20, 4)).round(4)
        return x, [1, -1, -1, 1]
    if kind == "normal_constant":  # a constant column among real ones
        x = rng.normal(10.0, 2.0, size=(15, 5)).round(3)
        x[:, 1] = 4.2
        return x, [-1, 1, 1, -1, 1]
    raise ValueError(kind)


OBJECTIVE_RANDOM = {
    "entropy": [("lognormal", 21), ("zeros_and_constant", 22)],
    "critic": [("lognormal", 31), ("normal", 32), ("normal_constant", 33)],
    "std": [("lognormal", 41), ("normal", 42), ("normal_constant", 43)],
}


def _skc(weighter: Any, x: np.ndarray, types: list[int]) -> np.ndarray:
    dm = skcriteria.mkdm(x, objectives=[max if t == 1 else min for t in types])
    return weighter.transform(dm).weights.to_numpy(dtype=float)


def _without_constant(fn: Any, x: np.ndarray, types: list[int]) -> list[float]:
    """``fn`` on the non-constant columns, 0 for the constant ones (the packages give NaN)."""
    keep = x.max(axis=0) > x.min(axis=0)
    w = np.zeros(x.shape[1])
    w[keep] = fn(x[:, keep], [t for t, k in zip(types, keep, strict=True) if k])
    return [float(v) for v in w]


def _objective_reference(method: str, x: np.ndarray, types: list[int]) -> dict[str, Any]:
    constant = bool(np.any(x.max(axis=0) == x.min(axis=0)))
    ref: dict[str, Any] = {}
    if method == "entropy":
        ref["skcriteria"] = [float(v) for v in _skc(sw.EntropyWeighter(), x, types)]
        if np.all(x > 0):
            ref["pymcdm"] = [float(v) for v in pw.entropy_weights(x)]
        else:
            ref["pymcdm"] = None
            ref["pymcdm_note"] = "pymcdm raises: sum_normalization requires all positive values"
    elif method == "std":
        ref["skcriteria"] = [float(v) for v in _skc(sw.StdWeighter(), x, types)]
        ref["pymcdm"] = [float(v) for v in pw.standard_deviation_weights(x)]
    else:
        skc = lambda m, t: _skc(sw.CRITIC(), m, t)  # noqa: E731
        pym = lambda m, t: pw.critic_weights(m)  # noqa: E731
        if constant:
            ref["skcriteria"] = _without_constant(skc, x, types)
            ref["pymcdm"] = _without_constant(pym, x, types)
            ref["note"] = (
                "both packages give NaN with a constant column; reference = the "
                "package on the other columns, 0 for the constant one"
            )
        else:
            ref["skcriteria"] = [float(v) for v in skc(x, types)]
            ref["pymcdm"] = [float(v) for v in pym(x, types)]
    return ref


def build_objective() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for method in ("entropy", "critic", "std"):
        cases = []
        for case in OBJECTIVE_PUBLISHED[method]:
            x = np.asarray(case["matrix"], dtype=float)
            cases.append({**case, "reference": _objective_reference(method, x, case["types"])})
        for kind, seed in OBJECTIVE_RANDOM[method]:
            x, types = _random_matrix(kind, seed)
            cases.append(
                {
                    "name": f"random_{kind}_seed{seed}",
                    "source": f"numpy default_rng({seed}), see _random_matrix('{kind}')",
                    "matrix": x.tolist(),
                    "types": types,
                    "literature": None,
                    "reference": _objective_reference(method, x, types),
                }
            )
        out[method] = cases
    return out


def build() -> dict[str, Any]:
    """All fixtures (without provenance)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skcriteria warns on cost columns in CRITIC
        return {"ahp": build_ahp(), **build_objective()}


def main() -> None:
    data = {
        "provenance": {
            "generated_by": "tests/data/make_weights_fixtures.py",
            "python": platform.python_version(),
            "packages": {
                p: version(p)
                for p in ("ahpy", "pymcdm", "scikit-criteria", "numpy", "scipy", "pandas")
            },
            "ahp": "eigenvector weights and CR from ahpy.Compare(precision=12, random_index="
            "'saaty' -> saaty2005, 'dd' -> donegan-dodd); where the judgments are on "
            "Saaty's scale also pymcdm.weights.subjective.AHP (weights, get_cr -> "
            "tummala-ling); lambda_max from numpy.linalg.eigvals; the row geometric mean "
            "(no package has it) from numpy.prod(A, axis=1) ** (1 / n)",
            "objective": "skcriteria.preprocessing.weighters EntropyWeighter / CRITIC / "
            "StdWeighter on skcriteria.mkdm(matrix, objectives from types); pymcdm.weights "
            "entropy_weights / critic_weights / standard_deviation_weights (both ignore types "
            "except skcriteria's CRITIC)",
            "literature": "weights printed in the sources, to the stated decimals; 'where' "
            "says where they were taken from",
        },
        **build(),
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
