"""The folder tree is the architecture: layers import only from earlier layers, never in a cycle.

The import graph is read from the source with ``ast`` (imports inside functions count), so a
cycle cannot hide behind a local import. Each check is also run on a planted violation, to
show that it would fail.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dynapai_sym"

#: The layers in pipeline order; a module may import from its own layer, the shared modules
#: and earlier layers only. Keep in step with docs/architecture.md.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_frozen", "_gc", "_tex", "_threads", "_validation", "_figures", "errors", "layout", "names", "symbols"),
    ("components",),
    ("model",),
    ("latex",),
    ("compile",),
    ("numeric",),
    ("solvers",),
    ("game",),
    ("scenario",),
    ("plotting",),
    ("models", "cli", "modelfile"),
)
#: Layers that must run without sympy or symengine.
NUMERIC_ONLY = ("numeric", "solvers")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def import_graph(root: Path) -> dict[str, set[str]]:
    """``{module: {imported modules of the package}}`` for every module under ``root``.

    ``from . import x`` and ``from .pkg import name`` count as importing the submodule when
    ``x``/``name`` is one; imports under ``if TYPE_CHECKING:`` count too (a cycle in types is
    still a cycle in the design).
    """
    package = root.name
    files = {_module_name(f, root): f for f in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.split(".")[0] == package)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != package:
                    continue
                deps.add(target)
                deps.update(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in files)
        # a package is always initialised before its submodules: an edge to one's own parent
        # package (``from . import sibling``) is not a dependency
        graph[name] = {d for d in deps if d in files and d != name and not name.startswith(d + ".")}
    return graph


def layer_of(module: str, package: str = "dynapai_sym") -> int | None:
    parts = module.split(".")
    if parts == [package]:
        return None  # the lazy top-level __init__ imports nothing
    top = parts[1]
    for rank, members in enumerate(LAYERS):
        if top in members:
            return rank
    raise AssertionError(f"module {module} is in no layer; add it to LAYERS and docs/architecture.md")


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, deps in sorted(graph.items()):
        mine = layer_of(module)
        for dep in sorted(deps):
            theirs = layer_of(dep)
            if mine is None or theirs is None:
                if dep.count(".") == 0 and mine is not None and mine != len(LAYERS) - 1:
                    out.append(f"{module} imports the top-level package")
                continue
            if theirs > mine:
                out.append(f"{module} (layer {mine}) imports {dep} (layer {theirs})")
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def sympy_importers(root: Path, layers: tuple[str, ...]) -> list[str]:
    out = []
    for sub in layers:
        for path in (root / sub).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                out.extend(f"{path.relative_to(root)} imports {n}" for n in names
                           if n.split(".")[0] in ("sympy", "symengine"))
    return out


# ----------------------------------------------------------------------------- the package
def test_no_import_cycles():
    assert find_cycle(import_graph(PACKAGE)) is None


def test_layers_import_only_earlier_layers():
    assert upward_imports(import_graph(PACKAGE)) == []


def test_numeric_and_solver_layers_never_import_sympy():
    assert sympy_importers(PACKAGE, NUMERIC_ONLY) == []


def test_importing_the_solvers_leaves_sympy_unloaded():
    code = ("import sys, dynapai_sym.solvers, dynapai_sym.numeric\n"
            "assert 'sympy' not in sys.modules and 'symengine' not in sys.modules, sorted(sys.modules)\n"
            "import dynapai_sym as dp\n"
            "dp.PayoffFunc  # the lazy top level still serves the public names\n"
            "assert 'sympy' in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# ----------------------------------------------------------------------------- planted violations
def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "dynapai_sym"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_a_cycle_hidden_in_a_function_is_found(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "model/__init__.py": "",
        "model/a.py": "from .b import thing\n",
        "model/b.py": "def thing():\n    from .a import other\n    return other\n",
    })
    cycle = find_cycle(import_graph(root))
    assert cycle is not None and set(cycle) == {"dynapai_sym.model.a", "dynapai_sym.model.b"}


def test_an_upward_import_is_found(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "solvers/__init__.py": "",
        "solvers/x.py": "def f():\n    from ..scenario import results\n    return results\n",
        "scenario/__init__.py": "",
        "scenario/results.py": "",
    })
    found = upward_imports(import_graph(root))
    assert found and "dynapai_sym.solvers.x" in found[0] and "scenario" in found[0]


def test_sympy_in_a_solver_is_found(tmp_path):
    root = _plant(tmp_path, {
        "__init__.py": "",
        "solvers/__init__.py": "",
        "solvers/y.py": "def f():\n    import sympy as sp\n    return sp\n",
        "numeric/__init__.py": "from symengine import Symbol\n",
    })
    found = sympy_importers(root, NUMERIC_ONLY)
    assert len(found) == 2


def test_every_module_has_a_layer():
    for module in import_graph(PACKAGE):
        layer_of(module)  # raises for a module outside every layer

