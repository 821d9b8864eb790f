"""Architecture rules import-linter cannot see (DESIGN §3, issue 10).

* No import of a project module inside a function body: such an import hides a loop from the
  import contracts (grimp sees it, but nobody reading the module does) and fails at call time
  instead of at start. Project modules are ``counselor_tui.*`` and ``db.*`` (and every
  relative import). Lazy imports of heavy third-party libraries are not project imports and
  are not checked here.
* No module in ``counselor_tui/`` or ``db/`` over :data:`MAX_LINES` lines: a module that long
  holds several jobs.
* No import by name at run time (``importlib.import_module``, ``__import__``): a module named
  in a string is invisible to the import contracts and to the reader, and a fallback for a
  failed import once wrote records past their validation (issue 10). Package data is read with
  ``importlib.resources``, which is allowed.

Both walk the source files themselves (``ast``), so a new module is covered without a list.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("counselor_tui", "db")
MAX_LINES = 600

#: TEMPORARY: modules another helper of this stop is splitting while these tests land; each
#: entry names its owner. An entry whose module is back under the limit fails
#: :func:`test_the_temporary_lists_hold_only_modules_that_still_need_them`, so the list only
#: shrinks.
OVERSIZE_PENDING: dict[str, str] = {}

#: TEMPORARY: modules whose function-level project imports another helper removes (owner named).
FUNCTION_IMPORT_PENDING: dict[str, str] = {}

#: The lazy imports that stay, each with its reason: ``(module, imported module)``.
LAZY_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {
    ("counselor_tui/ui/areas.py", "counselor_tui.ui.screens"): (
        "load_screen imports an area's screen when the area first opens, so the interface's "
        "first frame does not wait for every screen (issue 18); one plain import per area, "
        "the table checked against the screens in tests/unit/test_areas_table.py"),
    ("counselor_tui/cli.py", "counselor_tui.commands"): (
        "open_tui imports commands.tui, the only module that loads textual and rich, when the "
        "interface opens: the headless commands never load them "
        "(tests/integration/test_vault_foundation.py::test_non_ui_packages_do_not_load_textual); "
        "build_parser imports the command modules (and the services behind them) only once "
        "the arguments name a command or ask for help, so the interface's first frame does "
        "not wait for them (issue 18; tests/integration/test_startup.py)"),
}


def _modules() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is_project(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return True
        targets = [node.module or ""]
    else:
        targets = [alias.name for alias in node.names]
    return any(t.split(".")[0] in PACKAGES for t in targets)


def function_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, target)`` of every project import inside a function (at any depth)."""
    found: list[tuple[int, str]] = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom) and _is_project(node):
                target = (("." * node.level) + (node.module or "")
                          if isinstance(node, ast.ImportFrom)
                          else ", ".join(a.name for a in node.names))
                found.append((node.lineno, target))
    return sorted(set(found))


def dynamic_imports(tree: ast.AST) -> list[int]:
    """Lines that import a module by name at run time (``import_module``, ``__import__``)."""
    found: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = (func.attr if isinstance(func, ast.Attribute)
                    else func.id if isinstance(func, ast.Name) else "")
            if name in ("import_module", "__import__"):
                found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib" and any(
                alias.name == "import_module" for alias in node.names):
            found.append(node.lineno)
    return sorted(found)


def _line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_project_import_inside_a_function() -> None:
    offenders = [
        f"{_rel(path)}:{line} imports {target} inside a function"
        for path in _modules() if _rel(path) not in FUNCTION_IMPORT_PENDING
        for line, target in function_imports(ast.parse(path.read_text(encoding="utf-8")))
        if (_rel(path), target) not in LAZY_IMPORTS_ALLOWED
    ]
    assert not offenders, (
        "import project modules at the top of the module; a loop this hides is a sign the "
        "code belongs elsewhere (issue 10):\n" + "\n".join(offenders))


def test_no_module_imported_by_name_at_run_time() -> None:
    offenders = [f"{_rel(path)}:{line}" for path in _modules()
                 for line in dynamic_imports(ast.parse(path.read_text(encoding="utf-8")))]
    assert not offenders, ("import the module plainly at the top instead of by name "
                           "(issue 10):\n" + "\n".join(offenders))


def test_no_module_over_the_size_limit() -> None:
    offenders = [f"{_rel(path)}: {n} lines" for path in _modules()
                 if _rel(path) not in OVERSIZE_PENDING and (n := _line_count(path)) > MAX_LINES]
    assert not offenders, (f"modules over {MAX_LINES} lines hold several jobs: split them "
                           "(keep the public import path):\n" + "\n".join(offenders))


def test_the_temporary_lists_hold_only_modules_that_still_need_them() -> None:
    stale = [f"{name} ({owner}): under {MAX_LINES} lines now"
             for name, owner in OVERSIZE_PENDING.items()
             if not (ROOT / name).exists() or _line_count(ROOT / name) <= MAX_LINES]
    stale += [f"{name} ({owner}): no function-level project import left"
              for name, owner in FUNCTION_IMPORT_PENDING.items()
              if not (ROOT / name).exists() or not function_imports(
                  ast.parse((ROOT / name).read_text(encoding="utf-8")))]
    assert not stale, "remove these entries from the temporary lists:\n" + "\n".join(stale)


def test_the_checks_see_what_they_forbid() -> None:
    """The walker finds imports nested in methods and closures, relative ones, and leaves
    third-party lazy imports and module-level imports alone."""
    source = (
        "import db.models\n"
        "from counselor_tui import i18n\n"
        "class A:\n"
        "    def m(self):\n"
        "        def inner():\n"
        "            from counselor_tui.services import persons\n"
        "        import openpyxl\n"
        "        from . import sibling\n"
        "async def f():\n"
        "    import db.vault as v\n"
    )
    assert function_imports(ast.parse(source)) == [
        (6, "counselor_tui.services"), (8, "."), (10, "db.vault")]


def test_the_name_import_check_sees_every_form() -> None:
    source = (
        "import importlib\n"
        "from importlib import resources\n"
        "from importlib import import_module\n"
        "m = importlib.import_module('counselor_tui.services.x')\n"
        "n = __import__('db.models')\n"
        "t = resources.files('counselor_tui')\n"
    )
    assert dynamic_imports(ast.parse(source)) == [3, 4, 5]
