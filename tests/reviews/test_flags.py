"""The pure check of an answer's text: links, emails, phone numbers and the customer's name."""

from __future__ import annotations

import pytest

from data.reviews.flags import check_answer


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("Vielen Dank für Ihren Besuch!", ()),
        ("Mehr unter www.kochschule-loeffel.de", ("link",)),
        ("Alle Termine: https://example.org/kurse?x=1", ("link",)),
        ("Schauen Sie auf kochschule-hamburg.de/kurse vorbei", ("link",)),
        ("Schreiben Sie uns an info@kochschule.de", ("email",)),
        ("Rufen Sie an: 040 123 456 78", ("phone",)),
        ("Telefon +49 (40) 1234567", ("phone",)),
        ("Mobil 0171/1234567", ("phone",)),
        # dates, times, prices and counts are not phone numbers
        ("Am 24.11.2026 um 18:00 für 1.234,56 € mit 12 Gästen", ()),
        ("Wir sehen uns 2027 wieder, Kurs 100004713", ()),
        ("Liebe Anna Schäfer, danke!", ("name",)),
        ("Danke, SCHÄFER, Anna", ("name",)),
        ("Liebe Anna, danke!", ()),  # a first name alone is not the full name
        (
            "Infos: info@koch.de oder www.koch.de, 040 1234567, Anna Schäfer",
            ("link", "email", "phone", "name"),
        ),
    ],
)
def test_hints(text: str, flags: tuple[str, ...]) -> None:
    assert check_answer(text, customer_names=["Anna Schäfer", "", "Anna"]) == flags


def test_a_nickname_with_an_initial_is_no_full_name() -> None:
    assert check_answer("Danke, Anna S.!", customer_names=["Anna S."]) == ()


def test_without_known_names_no_name_hint() -> None:
    assert check_answer("Liebe Anna Schäfer") == ()
