"""The code's layout: short modules and functions, a domain that depends on
nothing but the standard library, and a simulator apart from the service.

Each rule is a function over a directory, run on the real tree and, to show it
can fail, on a deliberately bad module written to a temporary one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def _modules(base: Path, package: str) -> list[Path]:
    directory = base / package.replace(".", "/")
    assert directory.is_dir(), f"no package {package} under {base}"  # never pass on nothing
    return sorted(directory.rglob("*.py"))


def _where(base: Path, path: Path) -> str:
    return path.relative_to(base).as_posix()


def long_modules(base: Path, package: str, limit: int = MAX_MODULE_LINES) -> list[str]:
    """The modules of `package` (under `base`) longer than `limit` lines."""
    offenders = []
    for path in _modules(base, package):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            offenders.append(f"{_where(base, path)}: {lines} lines")
    return offenders


def _functions(
    node: ast.AST, prefix: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every function and method under `node`, nested ones too, with a dotted name."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{child.name}", child
            yield from _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, f"{prefix}{child.name}.")
        else:
            yield from _functions(child, prefix)


def long_functions(base: Path, package: str, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """The functions of `package` longer than `limit` lines, from `def` (decorators
    not counted) to the last line of the body."""
    offenders = []
    for path in _modules(base, package):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name, function in _functions(tree):
            assert function.end_lineno is not None
            lines = function.end_lineno - function.lineno + 1
            if lines > limit:
                offenders.append(f"{_where(base, path)}:{function.lineno} {name}: {lines} lines")
    return offenders


def _imported(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, dotted name) of everything `module` imports, relative imports resolved;
    `from a import b` gives `a.b` (b may be a module)."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            parts = here[: len(here) - node.level + 1] if node.level else []
            source = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                yield node.lineno, source if alias.name == "*" else f"{source}.{alias.name}"


def foreign_imports(base: Path, package: str, allowed: Callable[[str], bool]) -> list[str]:
    """The imports in `package` (under `base`) whose dotted name `allowed` refuses."""
    offenders = []
    for path in _modules(base, package):
        dotted = ".".join(path.relative_to(base).with_suffix("").parts)
        is_package = path.name == "__init__.py"
        module = dotted.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imported(tree, module, is_package):
            if not allowed(name):
                offenders.append(f"{_where(base, path)}:{line} imports {name}")
    return offenders


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def stdlib_or_domain(name: str) -> bool:
    """The domain may use the standard library (`__future__` included) and itself."""
    return name.split(".")[0] in sys.stdlib_module_names or _within(name, "app.domain")


def not_the_service(name: str) -> bool:
    """The simulator stands in for the SMSC and the ISMG: nothing of `app`."""
    return not _within(name, "app")


# -- the tree ---------------------------------------------------------------------


def _listed(title: str, offenders: list[str]) -> str:
    return "\n".join([title, *offenders])


def test_no_module_of_app_is_too_long() -> None:
    offenders = long_modules(ROOT, "app")
    assert not offenders, _listed(f"Modules over {MAX_MODULE_LINES} lines; split them:", offenders)


def test_no_function_of_app_is_too_long() -> None:
    offenders = long_functions(ROOT, "app")
    title = f"Functions over {MAX_FUNCTION_LINES} lines; split them:"
    assert not offenders, _listed(title, offenders)


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    offenders = foreign_imports(ROOT, "app.domain", stdlib_or_domain)
    title = "app/domain may import only the standard library and app.domain:"
    assert not offenders, _listed(title, offenders)


def test_the_simulator_imports_nothing_of_the_service() -> None:
    offenders = foreign_imports(ROOT, "gateway_sim", not_the_service)
    assert not offenders, _listed("gateway_sim may import nothing of app:", offenders)


# -- each rule fails on a bad module ------------------------------------------------


def _write(base: Path, relative: str, text: str) -> None:
    path = base / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_module_one_line_too_long_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "app/fits.py", "x = 1\n" * MAX_MODULE_LINES)
    _write(tmp_path, "app/sub/long.py", "x = 1\n" * (MAX_MODULE_LINES + 1))

    assert long_modules(tmp_path, "app") == [f"app/sub/long.py: {MAX_MODULE_LINES + 1} lines"]


def _body(lines: int, indent: str) -> str:
    return f"{indent}x = 1\n" * (lines - 1) + f"{indent}return x\n"


def test_a_function_one_line_too_long_is_named(tmp_path: Path) -> None:
    limit = MAX_FUNCTION_LINES
    source = [
        "@decorated\n",  # line 1: not counted
        "def fits():\n",  # line 2: `limit` lines with its body
        _body(limit - 1, "    "),
        "class Holder:\n",  # line limit + 2
        "    async def long(self):\n",  # line limit + 3: one line too many
        _body(limit, "        "),
        "def outer():\n",  # line 2 * limit + 4: two too many, with the one it holds
        "    def inner():\n",  # line 2 * limit + 5: one too many
        _body(limit, "        "),
    ]
    _write(tmp_path, "app/functions.py", "".join(source))

    assert long_functions(tmp_path, "app") == [
        f"app/functions.py:{limit + 3} Holder.long: {limit + 1} lines",
        f"app/functions.py:{2 * limit + 4} outer: {limit + 2} lines",
        f"app/functions.py:{2 * limit + 5} outer.inner: {limit + 1} lines",
    ]


def test_a_domain_import_from_outside_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "app/domain/__init__.py", "from . import rules\n")
    _write(
        tmp_path,
        "app/domain/rules.py",
        "from __future__ import annotations\n"
        "import json\n"
        "from datetime import date\n"
        "from app.domain.text import excerpt\n"
        "from . import text\n"
        "from app import domain\n"
        "import sqlalchemy\n"
        "from app.store import models\n"
        "from ..settings import Settings\n"
        "def later():\n"
        "    from app.services.clock import utc_now\n",
    )

    assert foreign_imports(tmp_path, "app.domain", stdlib_or_domain) == [
        "app/domain/rules.py:7 imports sqlalchemy",
        "app/domain/rules.py:8 imports app.store.models",
        "app/domain/rules.py:9 imports app.settings.Settings",
        "app/domain/rules.py:11 imports app.services.clock.utc_now",
    ]


def test_a_simulator_import_of_the_service_is_named(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "gateway_sim/smsc.py",
        "import asyncio\n"
        "from gateway_sim import codec\n"
        "from . import wire\n"
        "import application\n"
        "import app\n"
        "from app.domain.channels import Channel\n",
    )

    assert foreign_imports(tmp_path, "gateway_sim", not_the_service) == [
        "gateway_sim/smsc.py:5 imports app",
        "gateway_sim/smsc.py:6 imports app.domain.channels.Channel",
    ]
