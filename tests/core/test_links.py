"""core/links.py: the one builder of the links the portal sends (followed through the app in
tests/pages/test_links_followed.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from components.navigation import BY_KEY
from core import links
from core.settings import PROJECT_ROOT


@pytest.fixture
def public(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MIOMENTE_PUBLIC_URL", "https://portal.example/app/")
    return "https://portal.example/app"


def test_link_paths_are_the_menus_url_paths() -> None:
    assert BY_KEY["orders"].url_path == links.ORDERS_PAGE
    assert BY_KEY["accounting"].url_path == links.ACCOUNTING_PAGE
    assert BY_KEY["reviews"].url_path == links.REVIEWS_PAGE


def test_portal_links_are_absolute_on_the_configured_base(public: str) -> None:
    assert links.order_url(1006) == f"{public}/bestellungen?bestellung=1006"
    assert (
        links.credit_note_url("GS-2026-00042") == f"{public}/buchhaltung?gutschrift=GS-2026-00042"
    )
    given = links.order_url(7, base="https://partner.miomente.de/")
    assert given == "https://partner.miomente.de/bestellungen?bestellung=7"


def test_demo_mode_links_to_the_local_app(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("MIOMENTE_PUBLIC_URL", "MIOMENTE_MAGENTO_URL", "MIOMENTE_PORTAL_URL"):
        monkeypatch.setenv(key, "")  # blank counts as unset, also over a local secrets.toml
    assert links.order_url(1).startswith("http://localhost:8501/bestellungen?")


def test_parameters_are_url_encoded(public: str) -> None:
    odd = "GS 2026/1&x=ä#"
    url = links.credit_note_url(odd)
    parts = urlsplit(url)
    assert " " not in url and "#" not in url and "ä" not in url
    assert parts.path == "/app/buchhaltung" and parse_qs(parts.query) == {"gutschrift": [odd]}


def test_shop_links() -> None:
    assert links.shop_course_url(101) == "https://www.miomente.de/kurs/101"
    assert links.shop_date_url(101, 15) == "https://www.miomente.de/kurs/101?termin=15"


def test_review_links_open_the_public_service() -> None:
    api = "https://api.example.org/"
    assert links.review_url("a/b", base=api) == "https://api.example.org/v1/bewertung/a%2Fb"
    assert (
        links.review_unsubscribe_url("t", base=api)
        == "https://api.example.org/v1/bewertung/t/abmelden"
    )
    assert links.review_url("t").startswith(links.api_url() + links.REVIEW_FORM_PATH)


# A link written by hand somewhere else: a host or one of the pages' parameters in a string.
HAND_MADE = re.compile(r"miomente\.de/|localhost:8501|[?&](bestellung|gutschrift|order|document)=")
BUILDERS = {"core/links.py", "core/settings.py"}


def _strings(path: Path) -> list[ast.Constant]:
    """The file's string literals (f-string parts included), without its docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_link_is_built_outside_core_links() -> None:
    found = []
    for folder in ("accounting", "api", "components", "core", "data", "jobs", "messaging", "pages"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            if relative in BUILDERS:
                continue
            found += [
                f"{relative}:{node.lineno}: {node.value!r}"
                for node in _strings(path)
                if HAND_MADE.search(node.value)
            ]
    assert found == []


def test_the_hand_made_check_sees_f_strings(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text('"""Opens `/bestellungen?order=`."""\nurl = f"/bestellungen?order={1}"\n')
    assert [n.value for n in _strings(source) if HAND_MADE.search(n.value)] == [
        "/bestellungen?order="
    ]
