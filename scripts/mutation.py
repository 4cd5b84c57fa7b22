"""A sampled mutation pass over the core modules (``make mutation``; not part of ``make test``).

A small self-written :mod:`ast` mutator: it lists every place in the core modules where one
of these mutations applies,

* a comparison operator flipped (``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``,
  ``in`` ↔ ``not in``, ``is`` ↔ ``is not``),
* an arithmetic operator swapped (``+`` ↔ ``-``, ``*`` ↔ ``/``, ``/`` ↔ ``//``, ``**`` → ``*``),
* a number constant moved by one (``n`` → ``n + 1`` and ``n - 1``),
* ``and`` ↔ ``or``, ``True`` ↔ ``False``, ``not x`` → ``x``,
* a ``return value`` replaced by ``return None``,

draws a seeded sample of them, and for each mutant copies ``src/`` to a scratch directory,
writes the mutated module there (only the mutated expression's text changes: the rest of the
file keeps its bytes) and runs the module's test files against it
(``pytest -x -q -p no:cacheprovider --hypothesis-profile mutation``, with a timeout).  A mutant
is *killed* when the tests fail, *survived* when they pass, *timeout* when they run too long
(undecided: on a loaded machine a slow test run is not proof of a changed behaviour, so the
figure is killed / (killed + survived) and the timeouts are listed apart).  Mutants listed in
the allow-list (``scripts/mutation_equivalent.txt``: ``module | mutation | source line |
reason``) are
equivalent to the original (no test could tell them apart) and are left out of the figure.

Usage::

    python scripts/mutation.py --mutants 200 --seed 12 --out out/mutation
    python scripts/mutation.py --list                     # how many mutants each module has
    python scripts/mutation.py --only tiers/quotas.py:120  # re-run the mutants of one line

The table (``out/mutation/report.md``) and the raw verdicts (``results.json``) are written as
the run goes, so a long run can be read before it ends.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "custvalue"
ALLOWLIST = ROOT / "scripts" / "mutation_equivalent.txt"

#: Core module (relative to src/custvalue) -> the test files that hold it.
#: The property (hypothesis) tests of the indicators take minutes a run; the hand-computed
#: values are what tells a changed formula apart, so the indicator mutants run those only.
_INDICATOR_TESTS = ["tests/indicators/test_indicator_values.py",
                    "tests/indicators/test_payment_edges.py",
                    "-k", "not property and not determinism and not polars_lazy "
                    "and not duckdb"]
TARGETS: dict[str, list[str]] = {
    "tiers/quotas.py": ["tests/tiers/test_quota_values.py", "tests/tiers/test_quotas.py",
                        "tests/tiers/test_pins.py"],
    "tiers/_common.py": ["tests/tiers"],
    "tiers/pins.py": ["tests/tiers/test_pins.py"],
    "tiers/abc.py": ["tests/tiers/test_abc.py"],
    "scoring/normalise.py": ["tests/scoring/test_kernel_values.py",
                             "tests/scoring/test_normalise.py", "tests/scoring/test_aggregate.py"],
    "scoring/kernels.py": ["tests/scoring/test_kernel_values.py",
                           "tests/scoring/test_aggregate.py", "tests/scoring/test_normalise.py"],
    "scoring/arrays.py": ["tests/scoring/test_aggregate.py", "tests/validation/test_stability.py"],
    "indicators/compliance.py": _INDICATOR_TESTS,
    "indicators/contribution.py": _INDICATOR_TESTS,
    "scoring/weights.py": ["tests/scoring/test_weights.py"],
}

_COMPARE_SWAP = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_BINOP_SWAP = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div, ast.Pow: ast.Mult,
}


@dataclass(frozen=True)
class Mutant:
    module: str  # relative to src/custvalue
    lineno: int
    col: int
    end_lineno: int
    end_col: int
    kind: str  # e.g. "Lt->LtE", "const 1->2", "return->None"
    original: str  # the source text replaced
    replacement: str
    line: str  # the (first) source line, stripped: the key in the allow-list

    @property
    def ident(self) -> str:
        return f"{self.module}:{self.lineno}:{self.col} {self.kind}"


#: Functions that return example data for the documentation (no rule lives there; the
#: docs/*.md doctests check their output): not mutated.
EXAMPLE_FUNCTIONS = {"example_frame", "demo_table"}


def _skip_nodes(tree: ast.Module) -> set[int]:
    """ids of nodes not to mutate: docstrings, annotations, f-strings, TYPE_CHECKING blocks,
    raise statements and the example-data functions."""
    skip: set[int] = set()

    def mark(node: ast.AST) -> None:
        for sub in ast.walk(node):
            skip.add(id(sub))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            mark(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs,
                        node.args.vararg, node.args.kwarg]:
                if arg is not None and arg.annotation is not None:
                    mark(arg.annotation)
            if node.returns is not None:
                mark(node.returns)
        if isinstance(node, ast.FunctionDef) and node.name in EXAMPLE_FUNCTIONS:
            mark(node)
        if isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        if isinstance(node, ast.JoinedStr):
            mark(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            mark(node)
        if isinstance(node, ast.Raise):  # error messages and their arithmetic
            mark(node)
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            mark(node)
    return skip


def _variants(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """(kind, mutated copy of node) for every mutation that applies to this node itself."""
    out: list[tuple[str, ast.AST]] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            new = _COMPARE_SWAP.get(type(op))
            if new is not None:
                ops = list(node.ops)
                ops[i] = new()
                out.append((f"{type(op).__name__}->{new.__name__}",
                            ast.Compare(node.left, ops, node.comparators)))
    elif isinstance(node, ast.BinOp):
        new = _BINOP_SWAP.get(type(node.op))
        if new is not None:
            out.append((f"{type(node.op).__name__}->{new.__name__}",
                        ast.BinOp(node.left, new(), node.right)))
    elif isinstance(node, ast.AugAssign):
        new = _BINOP_SWAP.get(type(node.op))
        if new is not None:
            out.append((f"{type(node.op).__name__}=->{new.__name__}=",
                        ast.AugAssign(node.target, new(), node.value)))
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        out.append((f"{type(node.op).__name__}->{new.__name__}", ast.BoolOp(new(), node.values)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        out.append(("not x->x", node.operand))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            out.append((f"{value}->{not value}", ast.Constant(not value)))
        elif isinstance(value, (int, float)) and not isinstance(value, complex):
            for delta in (1, -1):
                new_value = value + delta
                out.append((f"const {value!r}->{new_value!r}", ast.Constant(new_value)))
    elif isinstance(node, ast.Return) and node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None):
        out.append(("return->None", ast.Return(ast.Constant(None))))
    return out


def list_mutants(module: str, package: Path = PACKAGE) -> list[Mutant]:
    path = package / module
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    skip = _skip_nodes(tree)
    mutants: list[Mutant] = []
    for node in ast.walk(tree):
        if id(node) in skip or not hasattr(node, "lineno") or node.end_lineno is None:
            continue
        variants = _variants(node)
        original = ast.get_source_segment(source, node) if variants else None
        if original is None:
            continue
        for kind, new in variants:
            text = ast.unparse(ast.fix_missing_locations(new))
            if not isinstance(node, ast.stmt):
                text = f"({text})"
            mutants.append(Mutant(module, node.lineno, node.col_offset, node.end_lineno,
                                  node.end_col_offset, kind, original, text,
                                  lines[node.lineno - 1].strip()))
    return sorted(set(mutants), key=lambda m: (m.module, m.lineno, m.col, m.kind))


def apply(mutant: Mutant, source: str) -> str:
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    start = offsets[mutant.lineno - 1] + mutant.col
    end = offsets[mutant.end_lineno - 1] + mutant.end_col
    assert data[start:end].decode("utf-8") == mutant.original, mutant.ident
    mutated = data[:start] + mutant.replacement.encode("utf-8") + data[end:]
    text = mutated.decode("utf-8")
    ast.parse(text)  # the mutant must still be Python
    return text


def sample(every: list[Mutant], n: int, seed: int) -> list[Mutant]:
    """A seeded sample stratified by module: each gets its share of ``n`` by size, but at
    least ``min(size, n // (2 * modules))`` so that a small module is not left out."""
    rng = random.Random(seed)
    modules = sorted({m.module for m in every})
    floor = n // (2 * len(modules)) if modules else 0
    chosen: list[Mutant] = []
    for module in modules:
        pool = [m for m in every if m.module == module]
        k = min(len(pool), max(floor, round(n * len(pool) / len(every))))
        chosen.extend(rng.sample(pool, k))
    rng.shuffle(chosen)  # interleaved: a run stopped early is still a sample of every module
    return chosen


def read_allowlist(path: Path = ALLOWLIST) -> dict[tuple[str, str, str], str]:
    """``(module, kind, stripped source line) -> reason`` for the equivalent mutants."""
    allowed: dict[tuple[str, str, str], str] = {}
    if not path.exists():
        return allowed
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        module, kind, line, reason = (part.strip() for part in raw.split(" | ", 3))
        allowed[(module, kind, line)] = reason
    return allowed


def _preload() -> None:
    """Import the heavy third-party modules once, in the parent: each forked test run then
    starts in a fraction of the time.  custvalue itself is never imported here, so every
    child imports the mutated copy afresh."""
    import hypothesis  # noqa: F401
    import narwhals  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import polars  # noqa: F401
    import pydantic  # noqa: F401
    import pytest  # noqa: F401
    import scipy.stats  # noqa: F401
    import sklearn.cluster  # noqa: F401


def _run_forked(scratch: Path, files: list[str], timeout: float) -> int | None:
    """pytest in a forked child (exit code), or None when it ran out of time."""
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 3
        try:
            os.chdir(scratch)
            sys.path.insert(0, str(scratch / "src"))
            os.environ["PYTHONPATH"] = str(scratch / "src")
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-profile",
                                    "mutation", "-o", "addopts=--import-mode=importlib",
                                    "-W", "ignore::DeprecationWarning", *files]))
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.2)


def run_one(mutant: Mutant, scratch: Path, timeout: float,
            fork: bool = False) -> tuple[str, float, str]:
    target = scratch / "src" / "custvalue" / mutant.module
    original = (scratch / "pristine" / mutant.module).read_text(encoding="utf-8")
    target.write_text(apply(mutant, original), encoding="utf-8")
    if fork:
        start = time.perf_counter()
        try:
            code = _run_forked(scratch, TARGETS[mutant.module], timeout)
        finally:
            target.write_text(original, encoding="utf-8")
        verdict = ("timeout" if code is None else "survived" if code == 0
                   else "killed" if code in (1, 2) else "error")
        return verdict, time.perf_counter() - start, f"exit {code}"
    env = {**os.environ, "PYTHONPATH": str(scratch / "src"), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "-p", "no:randomly", "--hypothesis-profile", "mutation", "--no-header",
           "-o", "addopts=--import-mode=importlib", "-W", "ignore::DeprecationWarning",
           *TARGETS[mutant.module]]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True,
                              timeout=timeout)
        verdict = "survived" if proc.returncode == 0 else "killed"
        if proc.returncode not in (0, 1):  # 2..5: collection errors, usage, no tests
            verdict = "killed" if proc.returncode == 2 else "error"
        tail = (proc.stdout.strip().splitlines() or [""])[-1]
    except subprocess.TimeoutExpired:
        verdict, tail = "timeout", ""
    finally:
        target.write_text(original, encoding="utf-8")
    return verdict, time.perf_counter() - start, tail


def baseline(scratch: Path, groups: set[str]) -> dict[str, float]:
    """Run each module's tests on the unmutated copy: they must pass; returns the seconds."""
    seconds: dict[str, float] = {}
    env = {**os.environ, "PYTHONPATH": str(scratch / "src"), "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONHASHSEED": "0"}
    for files in sorted(tuple(g.split()) for g in groups):
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
             "--hypothesis-profile", "mutation", "-o", "addopts=--import-mode=importlib",
             "-W", "ignore::DeprecationWarning", *files],
            cwd=scratch, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"the tests fail without a mutant: {files}\n{proc.stdout[-3000:]}")
        seconds[" ".join(files)] = time.perf_counter() - start
    return seconds


def write_report(out: Path, results: list[dict], allowed: dict, meta: dict) -> str:
    by_module: dict[str, dict[str, int]] = {}
    for r in results:
        row = by_module.setdefault(r["module"], {"killed": 0, "timeout": 0, "survived": 0,
                                                 "equivalent": 0, "error": 0})
        row["equivalent" if r["equivalent"] else r["verdict"]] += 1
    lines = [f"# Mutation pass ({meta['date']})", "",
             f"Command: `{meta['command']}`", "",
             "| module | mutants | killed | timeout | survived | equivalent | error "
             "| killed / (killed + survived) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    total = {"killed": 0, "timeout": 0, "survived": 0, "equivalent": 0, "error": 0}
    for module in sorted(by_module):
        row = by_module[module]
        for k in total:
            total[k] += row[k]
        lines.append(_row(module, row))
    lines.append(_row("**all**", total))
    lines += ["", "## Survivors", ""]
    for r in results:
        if r["verdict"] == "survived" and not r["equivalent"]:
            lines.append(f"- `{r['ident']}`: `{r['original']}` → `{r['replacement']}`  "
                         f"(line: `{r['line']}`)")
    lines += ["", "## Timeouts (undecided)", ""]
    for r in results:
        if r["verdict"] == "timeout":
            lines.append(f"- `{r['ident']}`: `{r['original']}` → `{r['replacement']}`")
    lines += ["", "## Equivalent (allow-list)", ""]
    for r in results:
        if r["equivalent"]:
            lines.append(f"- `{r['ident']}`: {r['equivalent']}")
    text = "\n".join(lines) + "\n"
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "results.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1),
                                      encoding="utf-8")
    return text


def _row(name: str, row: dict[str, int]) -> str:
    decided = row["killed"] + row["survived"]
    share = f"{row['killed'] / decided:.1%}" if decided else "–"
    return (f"| {name} | {sum(row.values())} | {row['killed']} | {row['timeout']} | "
            f"{row['survived']} | {row['equivalent']} | {row['error']} | {share} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=200, help="how many to sample")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "mutation")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per mutant (default: 3 x the baseline + 30)")
    parser.add_argument("--modules", nargs="*", default=sorted(TARGETS),
                        help="core modules to mutate (relative to src/custvalue)")
    parser.add_argument("--only", nargs="*", default=None,
                        help="run just these mutants: module:line (e.g. tiers/quotas.py:120)")
    parser.add_argument("--rerun", type=Path, default=None,
                        help="results.json of an earlier run: re-run its survivors only")
    parser.add_argument("--list", action="store_true", help="count the mutants and stop")
    parser.add_argument("--report", nargs="+", type=Path, default=None,
                        help="results.json files: merge them into one report in --out and stop")
    parser.add_argument("--no-fork", action="store_true",
                        help="run each mutant's tests in a fresh interpreter (slower)")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="do not run the unmutated tests first (timeout: 300 s a mutant)")
    args = parser.parse_args(argv)

    if args.report:
        merged: list[dict] = []
        metas = []
        for path in args.report:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            metas.append(loaded["meta"])
            merged.extend(loaded["results"])
        allowed = read_allowlist()
        # drop what is no longer a mutant (e.g. example data excluded after the run)
        population = {(m.module, m.kind, m.line) for module in sorted(TARGETS)
                      for m in list_mutants(module)}
        merged = [r for r in merged if (r["module"], r["kind"], r["line"]) in population]
        for r in merged:  # the allow-list as it is now
            r["equivalent"] = allowed.get((r["module"], r["kind"], r["line"]), "")
        args.out.mkdir(parents=True, exist_ok=True)
        meta = {"date": max(m["date"] for m in metas),
                "command": " ; ".join(m["command"] for m in metas)}
        print(write_report(args.out, merged, allowed, meta))
        return 0
    if args.list:
        every = [m for module in args.modules for m in list_mutants(module)]
        for module in args.modules:
            print(f"{module}: {sum(m.module == module for m in every)}")
        print(f"all: {len(every)}")
        return 0
    allowed = read_allowlist()
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="custvalue-mutation-") as tmp:
        scratch = Path(tmp)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".hypothesis")
        # a snapshot of the code and the tests: editing the tree during a run changes nothing
        shutil.copytree(SRC, scratch / "src", ignore=ignore)
        shutil.copytree(PACKAGE, scratch / "pristine", ignore=ignore)
        shutil.copytree(ROOT / "tests", scratch / "tests", ignore=ignore)
        shutil.copytree(ROOT / "docs", scratch / "docs", ignore=ignore)
        shutil.copy(ROOT / "pyproject.toml", scratch / "pyproject.toml")
        every = [m for module in args.modules
                 for m in list_mutants(module, scratch / "pristine")]
        if args.only:
            wanted = {tuple(item.rsplit(":", 1)) for item in args.only}
            chosen = [m for m in every if (m.module, str(m.lineno)) in wanted]
        elif args.rerun:
            earlier = json.loads(args.rerun.read_text(encoding="utf-8"))["results"]
            keys = {(r["module"], r["kind"], r["line"]) for r in earlier
                    if r["verdict"] == "survived" and not r["equivalent"]}
            chosen = [m for m in every if (m.module, m.kind, m.line) in keys]
        else:
            chosen = sample(every, args.mutants, args.seed)
        meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "command": "python scripts/mutation.py " + " ".join(argv or sys.argv[1:]),
                "seed": args.seed, "sampled": len(chosen), "population": len(every)}
        groups = {" ".join(TARGETS[m.module]) for m in chosen}
        base = (dict.fromkeys(groups, 90.0) if args.skip_baseline
                else baseline(scratch, groups))
        meta["baseline_seconds"] = base
        print(f"{len(chosen)} mutants of {len(every)}; baseline {base}", flush=True)
        fork = not args.no_fork and hasattr(os, "fork")
        if fork:
            _preload()
        for i, mutant in enumerate(chosen, 1):
            equivalent = allowed.get((mutant.module, mutant.kind, mutant.line), "")
            if equivalent:
                verdict, seconds, tail = "survived", 0.0, "(allow-list: not run)"
            else:
                limit = args.timeout or 3 * base[" ".join(TARGETS[mutant.module])] + 30
                verdict, seconds, tail = run_one(mutant, scratch, limit, fork)
            results.append({**asdict(mutant), "ident": mutant.ident, "verdict": verdict,
                            "seconds": round(seconds, 1), "equivalent": equivalent,
                            "tail": tail})
            print(f"[{i}/{len(chosen)}] {verdict:8} {seconds:6.1f}s {mutant.ident}",
                  flush=True)
            write_report(args.out, results, allowed, meta)
    print(write_report(args.out, results, allowed, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
