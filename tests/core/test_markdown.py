"""Staff's Markdown (Neuigkeiten) rendered safely: formatting stays, HTML is text, no images,
only http(s) links."""

from __future__ import annotations

import pytest

from core.markdown import safe_link, safe_markdown


def test_formatting_and_web_links_stay() -> None:
    text = "## Neu\n\n**fett** und _kursiv_\n\n- eins\n- [Hilfe](https://www.miomente.de/hilfe)"
    assert safe_markdown(text) == text


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
        ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)">'),
        ("[klick](javascript:alert(1))", "klick"),
        ("[klick](JaVaScRiPt:alert(1))", "klick"),
        ("[mail](mailto:a@b.de)", "mail"),
        ("[relativ](/admin)", "relativ"),
        ("[daten](data:text/html;base64,PHNjcmlwdD4=)", "daten"),
        ("![Pixel](https://tracker.example/p.gif)", "[Pixel](https://tracker.example/p.gif)"),
        ("![](https://tracker.example/p.gif)", "[https://tracker.example/p.gif](https://tracker.example/p.gif)"),
        ("![x](javascript:alert(1))", "x"),
        ("[a](<javascript:alert(1)>)", "a"),
        ("Tom & Jerry", "Tom &amp; Jerry"),
    ],
)  # fmt: skip
def test_html_images_and_other_schemes_do_not_survive(source: str, shown: str) -> None:
    assert safe_markdown(source) == shown


def test_a_link_definition_to_another_scheme_is_dropped() -> None:
    text = "[Hilfe][h] und [Böse][b]\n\n[h]: https://www.miomente.de\n[b]: javascript:alert(1)\n"
    out = safe_markdown(text)
    assert "[h]: https://www.miomente.de" in out
    assert "javascript" not in out


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("https://miomente.de", True),
        ("http://miomente.de/x?a=1&b=2", True),
        ("https:///pfad", False),
        ("ftp://miomente.de", False),
        ("//miomente.de", False),
        ("http://[::1", False),
    ],
)
def test_safe_link(target: str, ok: bool) -> None:
    assert safe_link(target) is ok
