"""The layering contract, read from every module's imports (including function-level ones).

Layers, top to bottom: pages → components → data → core. jobs/ and api/ sit beside the
pages and use data/ and core/, never the UI. accounting/ and messaging/ are pure libraries
below data/. A `_*.py` module is private to its package; a `_name` is private to its module,
so nobody imports one (a package shares helpers through a private module instead).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top-level packages (and scripts) -> the project packages they may import.
_LIBRARIES = frozenset({"accounting", "messaging", "marketing"})
_EVERYTHING = frozenset(
    {"pages", "components", "data", "core", "jobs", "api", "Home", "portal", *_LIBRARIES}
)
MAY_IMPORT: dict[str, frozenset[str]] = {
    "Home": _EVERYTHING,
    "portal": frozenset({"components", "core"}),  # the server: Home.py plus the cookie routes
    "pages": _EVERYTHING,
    "bench": _EVERYTHING,
    "migrations": frozenset({"migrations", "data", "core"}),
    "components": frozenset({"components", "data", "core", *_LIBRARIES}),
    "jobs": frozenset({"jobs", "data", "core", *_LIBRARIES}),
    "api": frozenset({"api", "data", "core", *_LIBRARIES}),
    "data": frozenset({"data", "core", *_LIBRARIES}),
    "accounting": frozenset({"accounting", "core"}),
    "messaging": frozenset({"messaging", "core"}),
    "marketing": frozenset({"marketing", "core"}),
    "core": frozenset({"core"}),
}
UI_LIBRARIES = frozenset(
    {"streamlit", "streamlit_authenticator", "extra_streamlit_components", "plotly"}
)
MAY_IMPORT_UI = frozenset({"Home", "portal", "pages", "components", "bench"})
NOT_SCANNED = frozenset({"tests", "var", "node_modules"})


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _resolve(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(tree: ast.AST, importer: str, is_package: bool) -> list[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every import in the module."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(node, importer, is_package)
            found.extend((node.lineno, module, alias.name) for alias in node.names)
    return found


def _private_module(module: str) -> tuple[str, str] | None:
    """(the private `_x` module on a module path, the package it is private to), if any."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if _is_private(part):
            return ".".join(parts[: index + 1]), ".".join(parts[:index])
    return None


def _inside(importer: str, package: str) -> bool:
    return importer == package or importer.startswith(package + ".")


def _check_import(importer: str, module: str, name: str | None, root: Path) -> list[str]:
    problems: list[str] = []
    own_top, top = importer.split(".")[0], module.split(".")[0]
    if top in _EVERYTHING and top not in MAY_IMPORT[own_top]:
        problems.append(f"{own_top}/ must not import {top} (layer order)")
    if top in UI_LIBRARIES and own_top not in MAY_IMPORT_UI:
        problems.append(f"{own_top}/ must not import {top} (only pages and components draw)")
    if top not in _EVERYTHING:
        return problems
    target = module if name is None else f"{module}.{name}"
    target_is_module = name is None or _module_exists(root, target)
    private = _private_module(target if target_is_module else module)
    if private is not None and not _inside(importer, private[1]):
        problems.append(f"imports {private[0]}, a module private to {private[1]}")
    if name is not None and not target_is_module and _is_private(name):
        problems.append(f"imports the private name {name} from {module}")
    return problems


def _module_exists(root: Path, dotted: str) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _scanned_files(root: Path) -> list[Path]:
    return sorted(
        path
        for path in root.rglob("*.py")
        if not any(
            part.startswith(".") or part in NOT_SCANNED for part in path.parts[len(root.parts) :]
        )
    )


def check_layers(root: Path) -> list[Violation]:
    """Every import under `root` that breaks the contract."""
    violations: list[Violation] = []
    for path in _scanned_files(root):
        relative = str(path.relative_to(root))
        importer = _module_name(path, root)
        if importer.split(".")[0] not in MAY_IMPORT:
            violations.append(Violation(relative, 1, "top-level package without a layer"))
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
        for line, module, name in _imports(tree, importer, path.name == "__init__.py"):
            for message in _check_import(importer, module, name, root):
                violations.append(Violation(relative, line, message))
    return violations


def test_the_project_keeps_its_layers() -> None:
    violations = check_layers(ROOT)
    assert not violations, "\n".join(map(str, violations))


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name in ["core", "data", "data/money", "components", "pages", "accounting", "jobs"]:
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "__init__.py").write_text("")
    for relative, source in files.items():
        (root / relative).write_text(source)
    return root


def _messages(root: Path) -> list[str]:
    return [f"{v.path}: {v.message}" for v in check_layers(root)]


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "core/clock.py": "import datetime\n",
            "data/money/_shared.py": "from core.clock import datetime\n",
            "data/money/payouts.py": "from data.money._shared import datetime\n"
            "from . import _shared\n",
            "components/view.py": "import streamlit as st\nfrom data.money import payouts\n",
            "pages/home.py": "from components.view import st\nfrom jobs import x\n",
        },
    )
    assert _messages(root) == []


def test_a_layer_inversion_is_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "core/clock.py": "def now():\n    from data.money import payouts\n",
            "data/money/payouts.py": "import streamlit\nfrom components import view\n",
            "accounting/sepa.py": "from data.money.payouts import total\n",
            "jobs/run.py": "import pages.home\n",
        },
    )
    assert _messages(root) == [
        "accounting/sepa.py: accounting/ must not import data (layer order)",
        "core/clock.py: core/ must not import data (layer order)",
        "data/money/payouts.py: data/ must not import streamlit (only pages and components draw)",
        "data/money/payouts.py: data/ must not import components (layer order)",
        "jobs/run.py: jobs/ must not import pages (layer order)",
    ]


def test_private_modules_and_names_stay_home(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "data/money/_shared.py": "def helper(): ...\n",
            "data/money/payouts.py": "def _model_line(): ...\n",
            "data/overview.py": "from data.money._shared import helper\n"
            "from data.money import _shared\n"
            "import data.money._shared\n",
            "data/money/documents.py": "from data.money.payouts import _model_line\n",
        },
    )
    assert _messages(root) == [
        "data/money/documents.py: imports the private name _model_line from data.money.payouts",
        "data/overview.py: imports data.money._shared, a module private to data.money",
        "data/overview.py: imports data.money._shared, a module private to data.money",
        "data/overview.py: imports data.money._shared, a module private to data.money",
    ]


def test_a_new_top_level_package_needs_a_layer(tmp_path: Path) -> None:
    root = _tree(tmp_path, {})
    (root / "widgets").mkdir()
    (root / "widgets" / "embed.py").write_text("")
    assert _messages(root) == ["widgets/embed.py: top-level package without a layer"]
