"""The rules of the house, read from the source with :mod:`ast` (nothing is imported).

* **Private names stay private.** No module imports another module's ``_name``
  (``from custvalue.x import _name``) or reaches for it as an attribute
  (``custvalue.x._name`` / ``x._name`` on an imported module).  A module whose own name starts
  with ``_`` (``tiers/_common.py``, ``validation/_common.py``, ...) is package-private: only the
  modules of its own package (and its sub-packages) may import it, and only its public names.
  Dunder names (``__version__``) are public.
* **No import cycles** among the modules, counting the imports a module runs when it is
  imported: module-level statements, including those under ``try``/``if`` at module level.
  Imports under ``if TYPE_CHECKING:`` never run and are left out.  Imports inside a function or
  method body are *lazy*: they are the house's documented upward calls (``grade()`` loading the
  indicator stage, ``custvalue.__getattr__`` loading a stage on first use, ``Grading.plot``
  loading ``present``) and are left out of the cycle check on purpose.  An ``import a.b.c``
  counts as an edge to ``a.b.c`` only (not to the ``a`` and ``a.b`` package ``__init__`` that
  Python also runs), and ``from a.b import c`` to the submodule ``a.b.c`` when ``c`` is one,
  else to ``a.b``.
* **The grading is the ground floor.** ``custvalue/grading/`` imports, at module level, nothing
  of custvalue but itself, :mod:`custvalue.errors` and :mod:`custvalue.config`.
* **Long modules say why.** A module over 600 lines carries a sentence with the words "long
  because" in its docstring.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "custvalue"
MAX_LINES = 600
GROUND_FLOOR = f"{PACKAGE}.grading"
GROUND_FLOOR_MAY_USE = {f"{PACKAGE}.errors", f"{PACKAGE}.config"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


@dataclass
class Module:
    name: str  # dotted
    path: Path
    is_package: bool
    tree: ast.Module
    lines: int

    @property
    def package(self) -> str:
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass
class Import:
    module: str  # importer
    target: str  # dotted module imported
    names: tuple[str, ...]  # for `from target import names`; () for `import target`
    lineno: int
    eager: bool  # runs when the importer is imported (module level, not TYPE_CHECKING)


@dataclass
class House:
    modules: dict[str, Module] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)


def _load_house(root: Path = SRC) -> House:
    house = House()
    for path in sorted((root / PACKAGE).rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        text = path.read_text(encoding="utf-8")
        name = ".".join(parts)
        house.modules[name] = Module(name, path, is_package, ast.parse(text, str(path)),
                                     len(text.splitlines()))
    for module in house.modules.values():
        house.imports.extend(_imports_of(module))
    return house


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve_relative(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports_of(module: Module) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, eager: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    found.append(Import(module.name, alias.name, (), node.lineno, eager))
            return
        if isinstance(node, ast.ImportFrom):
            target = _resolve_relative(module, node)
            if target.split(".")[0] == PACKAGE:
                names = tuple(alias.name for alias in node.names)
                found.append(Import(module.name, target, names, node.lineno, eager))
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, eager=False)
            for child in node.orelse:
                visit(child, eager)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            eager = False  # a function body runs when called, not when imported
        # class bodies run at import time: their imports stay eager
        for child in ast.iter_child_nodes(node):
            visit(child, eager)

    for statement in module.tree.body:
        visit(statement, eager=True)
    return found


def _edges(house: House, imp: Import) -> set[str]:
    """The custvalue modules an import statement runs (see the module docstring)."""
    if not imp.names:
        return {imp.target} if imp.target in house.modules else set()
    edges: set[str] = set()
    for name in imp.names:
        sub = f"{imp.target}.{name}"
        if sub in house.modules:
            edges.add(sub)
        elif imp.target in house.modules:
            edges.add(imp.target)
    return edges


def _private_module_violation(importer: str, target: str) -> str | None:
    """A ``_module`` in ``target``'s path that ``importer`` may not see, or ``None``."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if _is_private(part):
            owner = ".".join(parts[:i])  # the package the private module belongs to
            if not (importer == owner or importer.startswith(owner + ".")):
                return ".".join(parts[: i + 1])
    return None


def private_violations(house: House) -> list[str]:
    problems: list[str] = []
    for imp in house.imports:
        where = f"{imp.module} (line {imp.lineno})"
        targets = [imp.target] + [f"{imp.target}.{n}" for n in imp.names
                                  if f"{imp.target}.{n}" in house.modules]
        for target in targets:
            bad = _private_module_violation(imp.module, target)
            if bad:
                problems.append(f"{where} imports the package-private module {bad}")
        if imp.target == imp.module:
            continue
        for name in imp.names:
            if _is_private(name) and f"{imp.target}.{name}" not in house.modules:
                problems.append(f"{where} imports the private name {imp.target}.{name}")
    problems.extend(_private_attribute_uses(house))
    return problems


def _module_aliases(house: House, module: Module) -> dict[str, str]:
    """Local names bound to custvalue modules by the module's imports (anywhere in the file)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != PACKAGE:
                    continue
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases[alias.name.split(".")[0]] = PACKAGE
        elif isinstance(node, ast.ImportFrom):
            target = _resolve_relative(module, node)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in house.modules:
                    aliases[alias.asname or alias.name] = sub
    return aliases


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def _private_attribute_uses(house: House) -> list[str]:
    problems: list[str] = []
    for module in house.modules.values():
        aliases = _module_aliases(house, module)
        if not aliases:
            continue
        for node in ast.walk(module.tree):
            if not (isinstance(node, ast.Attribute) and _is_private(node.attr)):
                continue
            owner = _dotted(node.value, aliases)
            if owner is None or owner == module.name:
                continue
            if owner in house.modules or owner.split(".")[0] == PACKAGE:
                problems.append(f"{module.name} (line {node.lineno}) uses the private name "
                                f"{owner}.{node.attr}")
    return problems


def import_cycles(house: House) -> list[list[str]]:
    graph: dict[str, set[str]] = {name: set() for name in house.modules}
    for imp in house.imports:
        if imp.eager:
            graph[imp.module] |= _edges(house, imp) - {imp.module}
    # Tarjan's strongly connected components: every component of two or more is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return cycles


def ground_floor_violations(house: House) -> list[str]:
    problems: list[str] = []
    for imp in house.imports:
        if not imp.eager or not (imp.module == GROUND_FLOOR
                                 or imp.module.startswith(GROUND_FLOOR + ".")):
            continue
        for target in _edges(house, imp) or {imp.target}:
            inside = target == GROUND_FLOOR or target.startswith(GROUND_FLOOR + ".")
            if not inside and target not in GROUND_FLOOR_MAY_USE:
                problems.append(f"{imp.module} (line {imp.lineno}) imports {target} at "
                                "module level")
    return problems


def long_modules_without_reason(house: House) -> list[str]:
    problems: list[str] = []
    for module in house.modules.values():
        if module.lines <= MAX_LINES:
            continue
        doc = ast.get_docstring(module.tree) or ""
        if "long because" not in " ".join(doc.split()):
            problems.append(f"{module.name}: {module.lines} lines, no 'long because' in its "
                            "docstring")
    return problems


@pytest.fixture(scope="module")
def house() -> House:
    return _load_house()


def test_the_scan_sees_the_package(house):
    assert {"custvalue", "custvalue.grading.result", "custvalue.tiers._common",
            "custvalue.pipeline"} <= set(house.modules)
    eager = {(i.module, i.target) for i in house.imports if i.eager}
    lazy = {(i.module, i.target) for i in house.imports if not i.eager}
    assert ("custvalue.tiers.quotas", "custvalue.tiers._common") in eager
    assert ("custvalue.pipeline", "custvalue") in lazy  # `from custvalue import __version__`


def test_no_module_imports_another_modules_private_names(house):
    assert private_violations(house) == []


def test_no_import_cycles(house):
    assert import_cycles(house) == []


def test_grading_is_the_ground_floor(house):
    assert ground_floor_violations(house) == []


def test_long_modules_say_why(house):
    assert long_modules_without_reason(house) == []


# The checks must be able to fail: each is run on a small made-up package.
def _fake_house(tmp_path: Path, files: dict[str, str]) -> House:
    for rel, text in files.items():
        path = tmp_path / PACKAGE / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return _load_house(tmp_path)


def test_the_checks_catch_what_they_forbid(tmp_path):
    house = _fake_house(tmp_path, {
        "__init__.py": "",
        "errors.py": "",
        "a.py": "from custvalue.b import _helper\nimport custvalue.b\nx = custvalue.b._other\n",
        "b.py": "from custvalue import c\n",
        "c.py": "from custvalue.b import thing\n",
        "d.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import custvalue.e\n"
                 "def f():\n    from custvalue import e\n"),
        "e.py": "import custvalue.d\n",
        "pkg/__init__.py": "",
        "pkg/_common.py": "def _secret():\n    pass\ndef shared():\n    pass\n",
        "pkg/inside.py": "from custvalue.pkg._common import shared\n",
        "pkg/peek.py": "from custvalue.pkg._common import _secret\n",
        "outside.py": "from custvalue.pkg._common import shared\n",
        "grading/__init__.py": "from custvalue import errors\nfrom custvalue.grading import x\n",
        "grading/x.py": "import custvalue.a\ndef f():\n    import custvalue.b\n",
        "long.py": '"""Short."""\n' + "x = 1\n" * MAX_LINES,
        "long_ok.py": '"""This module is long\n   because it must be."""\n' + "x = 1\n" * MAX_LINES,
    })
    private = private_violations(house)
    assert any("private name custvalue.b._helper" in p for p in private)
    assert any("private name custvalue.b._other" in p for p in private)
    assert any("custvalue.pkg.peek" in p and "_secret" in p for p in private)
    assert any(p.startswith("custvalue.outside") and "custvalue.pkg._common" in p
               for p in private)
    assert not any(p.startswith("custvalue.pkg.inside") for p in private)
    assert len(private) == 4
    assert import_cycles(house) == [["custvalue.b", "custvalue.c"]]  # d <-> e is not eager
    assert ground_floor_violations(house) == [
        "custvalue.grading.x (line 1) imports custvalue.a at module level"]
    assert long_modules_without_reason(house) == [
        f"custvalue.long: {MAX_LINES + 1} lines, no 'long because' in its docstring"]
