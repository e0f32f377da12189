"""What docs/architecture.md says about how the code is put together, checked on the code:
imports point one way (adapters -> bot -> ledger), no package has an import cycle (not even
through an import inside a function), no module imports another's private names, bot/
never touches a raw database connection nor compares adapters' names, the core's web app,
composition root, settings and funding handler name no adapter (the adapters declare
their routes, body limits and settings), and the code cites the repository's own docs,
not a file outside it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ledger", "bot", "adapters")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "versions" in path.parts:  # migrations: frozen history
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, line) of every import, inside functions too; not `if TYPE_CHECKING:`."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, [alias.name for alias in node.names], node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _edges() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (`from a import b` names a.b when b is a module)."""
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = set()
        for module, names, _ in _imports(path):
            submodules = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
            targets.update(submodules)
            if module in MODULES and len(submodules) < len(names) or module in MODULES and not names:
                targets.add(module)
        edges[name] = targets - {name}
    return edges


def test_imports_point_one_way() -> None:
    wrong = [f"{a} -> {b}" for a, targets in _edges().items() for b in targets
             if (a.startswith("ledger") and not b.startswith("ledger"))
             or (a.startswith("bot") and b.startswith("adapters"))]
    assert wrong == []


def test_no_import_cycles_not_even_through_imports_inside_functions() -> None:
    edges = _edges()
    cycles = []

    def reach(start: str) -> set[str]:
        seen, todo = set(), list(edges[start])
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(edges[module])
        return seen

    for module in edges:
        back = [other for other in edges[module] if module in reach(other)]
        if back:
            cycles.append(f"{module} <-> {sorted(back)}")
    assert cycles == []


def test_no_module_imports_another_modules_private_names() -> None:
    private = [f"{path.relative_to(ROOT)}:{line}: {module} {name}" for path in MODULES.values()
               for module, names, line in _imports(path) for name in names
               if name.startswith("_") and not name.startswith("__")]
    assert private == []


def _code(package: str) -> list[tuple[Path, int, str]]:
    return [(path, number, line) for path in (ROOT / package).rglob("*.py")
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]


@pytest.mark.parametrize("pattern", [r"\.conn\b", r"\bengine\.connect\(", r"\bsa\.Connection\b",
                                     r"\.begin\(\)\s+as\s+conn\b"])
def test_bot_never_touches_a_raw_connection(pattern: str) -> None:
    assert [f"{p.relative_to(ROOT)}:{n}" for p, n, line in _code("bot") if re.search(pattern, line)] == []


ADAPTERS = r"slack|discord|console|stripe"


def test_bot_asks_adapters_what_they_can_do_and_never_compares_their_names() -> None:
    names = rf"""["'](?:{ADAPTERS})["']"""
    compared = re.compile(rf"""(?:==|!=|\bin)\s*(?:[(\[{{][^)\]}}]*)?{names}|{names}\s*(?:==|!=)""")
    assert [f"{p.relative_to(ROOT)}:{n}" for p, n, line in _code("bot") if compared.search(line)] == []


def _words_in_code(path: Path) -> list[tuple[int, str]]:
    """(line, word) of every name and string in a module's code; not its docstrings, comments
    or settings' descriptions (documentation)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    docstrings |= {id(part) for node in ast.walk(tree) if isinstance(node, ast.keyword) and node.arg == "description"
                   for part in ast.walk(node.value)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            found.append((node.lineno, node.attr))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((node.lineno, node.name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.append((node.lineno, node.target.id))
    return found


@pytest.mark.parametrize("module, names", [("bot/web.py", ADAPTERS), ("bot/compose.py", ADAPTERS),
                                           ("bot/config.py", "stripe"), ("bot/handlers/funding.py", "stripe")])
def test_the_core_leaves_adapters_their_routes_limits_and_settings(module: str, names: str) -> None:
    """Adapters declare their routes, body limits and settings (bot/config.py keeps the chat
    platforms' credentials, never a funding adapter's); these modules name no adapter in code."""
    named = [f"{module}:{line}: {word!r}" for line, word in _words_in_code(ROOT / module)
             if re.search(names, word, re.IGNORECASE)]
    assert named == []


def test_code_cites_the_repositorys_own_docs() -> None:
    cited = [f"{p.relative_to(ROOT)}:{n}" for package in (*PACKAGES, "tests", "bench", "scripts")
             for p, n, line in _code(package) if "DESIGN" + ".md" in line]
    assert cited == []
    assert (ROOT / "docs" / "architecture.md").is_file()
