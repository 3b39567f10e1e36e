"""Email and SMS rendering: what a recipient sees, in German and English, and batch sending."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from jinja2 import ChoiceLoader, DictLoader

from messaging import render as mr
from messaging.render import (
    TEMPLATE_DIR,
    TEMPLATES,
    Rendered,
    TemplateError,
    TemplateSpec,
    preview,
    render,
    render_for_batch,
    substitute,
)

LOCALES = ("de", "en")
CASES = [(n, loc, ch) for n, spec in TEMPLATES.items() for loc in LOCALES for ch in spec.channels]
EMAIL_CASES = [(n, loc) for n in TEMPLATES for loc in LOCALES]
EVIL = "<script>alert(1)</script>"
ESCAPED_EVIL = "&lt;script&gt;alert(1)&lt;/script&gt;"
NBSP = "\u00a0"
# GSM 03.38 basic set and extension table: an SMS with anything else is billed as UCS-2.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def payload(name: str, **changes: object) -> dict[str, object]:
    data = dict(TEMPLATES[name].sample)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not ...}


# --- the catalogue -------------------------------------------------------------------------


def test_every_spec_has_its_files_and_every_file_a_spec() -> None:
    for name, spec in TEMPLATES.items():
        assert spec.name == name
        assert spec.audience in ("customer", "partner", "staff")
        assert spec.channels in (("email",), ("email", "sms"))
        for locale in LOCALES:
            assert (TEMPLATE_DIR / name / f"{locale}.html").is_file()
            assert (TEMPLATE_DIR / name / f"{locale}.txt").is_file()
            assert (TEMPLATE_DIR / name / f"{locale}.sms.txt").is_file() == ("sms" in spec.channels)
    folders = {p.name for p in TEMPLATE_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(TEMPLATES)


def test_specs_are_consistent() -> None:
    sms = {n for n, s in TEMPLATES.items() if "sms" in s.channels}
    assert sms == {
        "new_booking_partner",
        "date_cancelled",
        "date_moved",
        "waitlist_new_date",
        "booking_confirmed",
        "date_reminder",
    }
    for spec in TEMPLATES.values():
        assert set(spec.required) <= set(spec.sample), spec.name
        # Personal values are substituted per recipient, so they are always there ...
        assert set(spec.personal) <= set(spec.required), spec.name
        # ... and links never are: they go into href attributes.
        assert not [k for k in spec.personal if k.endswith("_url")], spec.name
    assert isinstance(TEMPLATES["booking_confirmed"], TemplateSpec)


# --- every template, locale and channel ----------------------------------------------------


@pytest.mark.parametrize(("name", "locale", "channel"), CASES)
def test_sample_renders(name: str, locale: str, channel: str) -> None:
    out = preview(name, locale=locale, channel=channel)
    assert isinstance(out, Rendered)
    for part in (out.subject, out.html, out.text):
        assert "None" not in part and "Undefined" not in part
    if channel == "sms":
        assert out.subject == "" and out.html == ""
        assert out.text.startswith("Miomente: ")
        assert len(out.text) <= 320, len(out.text)
        assert "\n" not in out.text and "Rosenthaler" not in out.text  # no layout, no footer
        assert set(out.text) <= GSM7, set(out.text) - GSM7
        return
    assert out.subject and out.subject == out.subject.strip()
    assert "\n" not in out.subject and "\r" not in out.subject
    assert f'<html lang="{locale}">' in out.html
    assert f"<title>{out.subject.replace('&', '&amp;')}</title>" in out.html
    assert "max-width:600px" in out.html and "#0F6E6E" in out.html
    assert "<img" not in out.html and "<link" not in out.html and "@import" not in out.html
    assert "<p" not in out.text and "&amp;" not in out.text and "&nbsp;" not in out.text
    assert out.text.endswith("\n") and "\n\n\n" not in out.text
    assert not [line for line in out.text.splitlines() if line != line.rstrip()]
    for part in (out.html, out.text):
        assert "Miomente GmbH" in part and "Rosenthaler Straße 40" in part
        assert f"HRB{NBSP}123456" in part and "DE123456789" in part
        assert ("USt-IdNr." if locale == "de" else "VAT ID") in part
        assert ("Sie erhalten diese E-Mail" if locale == "de" else "You are receiving") in part


def test_german_output_speaks_german() -> None:
    out = preview("booking_confirmed", locale="de")
    assert out.subject == "Buchung bestätigt: Pasta fresca – Nudeln selbst gemacht am 03.12.2026"
    for part in (out.html, out.text):
        # Umlauts as characters (UTF-8), not entities or mojibake.
        assert "Anna Schäfer" in part and "Schönhauser Allee" in part and "Grüße" in part
        assert "Ã" not in part and "&auml;" not in part
        assert f"03.12.2026, 18:00–21:30{NBSP}Uhr" in part
    partner = preview("new_booking_partner", locale="de")
    assert f"267,00{NBSP}€" in partner.text and f"267,00{NBSP}€" in partner.html
    assert "Bitte bestätigen Sie die Buchung bis 26.11.2026" in partner.text
    credit = preview("credit_note_available", locale="de")
    assert credit.subject == "Ihre Gutschrift GS-2026-00042 für Oktober 2026"
    assert f"2.847,35{NBSP}€" in credit.text and "voraussichtlich am 06.11.2026" in credit.text


def test_english_output_speaks_english() -> None:
    out = preview("booking_confirmed", locale="en")
    assert out.subject == "Booking confirmed: Pasta fresca – Nudeln selbst gemacht on 03/12/2026"
    assert "03/12/2026, 18:00–21:30" in out.text and "Uhr" not in out.text
    assert "Kind regards" in out.text and "Herzliche" not in out.text
    credit = preview("credit_note_available", locale="en")
    assert "€2,847.35" in credit.text and "October 2026" in credit.text
    assert "expected on 06/11/2026" in credit.text
    assert "€267.00" in preview("new_booking_partner", locale="en", channel="sms").text


def test_unknown_locale_falls_back_to_german() -> None:
    assert preview("review_request", locale="fr") == preview("review_request", locale="de")
    assert preview("review_request", locale="") == preview("review_request", locale="de")


def test_sms_money_and_dashes_stay_in_gsm7() -> None:
    sms = preview("date_cancelled", locale="de", channel="sms").text
    assert "118,00 €" in sms and NBSP not in sms
    assert '"Pasta' in preview("booking_confirmed", locale="de", channel="sms").text
    assert "Pasta fresca - Nudeln" in preview("booking_confirmed", locale="de", channel="sms").text


def test_sms_stays_short_with_long_values() -> None:
    long = payload(
        "booking_confirmed",
        course="Große Genießer-Weinprobe mit acht Weinen aus Rheinhessen, der Pfalz und Franken",
        place="Weinhandlung am Markt, Hinterhof, Seitenflügel links, Marktplatz 12, 67433 Neustadt",
    )
    for locale in LOCALES:
        text = render("booking_confirmed", locale=locale, payload=long, channel="sms").text
        assert len(text) <= 320 and "..." in text


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("booking_confirmed", "customer_name"),
        ("new_booking_partner", "customer_name"),
        ("booking_rejected", "reason"),
        ("date_cancelled", "reason"),
        ("date_moved", "course"),
    ],
)
def test_evil_value_is_escaped_in_html_and_readable_in_text(
    name: str, key: str, locale: str
) -> None:
    out = render(name, locale=locale, payload=payload(name, **{key: EVIL}))
    assert "<script" not in out.html
    assert ESCAPED_EVIL in out.html
    assert EVIL in out.text and "&lt;" not in out.text


def test_ampersand_is_escaped_in_html_only() -> None:
    out = preview("review_request", locale="de")
    assert out.subject == "Wie war „Grillkurs: Steaks & Beilagen“?"
    assert "Steaks &amp; Beilagen" in out.html and "Steaks & Beilagen" not in out.html
    assert "Steaks & Beilagen" in out.text


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"), [(n, k) for n, spec in TEMPLATES.items() for k in spec.required]
)
def test_missing_required_key_is_named(name: str, key: str) -> None:
    data = payload(name, **{key: ...})
    with pytest.raises(TemplateError, match=rf"'{key}'"):
        render(name, locale="de", payload=data)
    with pytest.raises(TemplateError, match=rf"'{key}'"):
        render(name, locale="de", payload=payload(name, **{key: None}))
    with pytest.raises(TemplateError, match=rf"'{key}'"):
        render_for_batch(name, locale="de", payload=data)


@pytest.mark.parametrize(("name", "locale"), EMAIL_CASES)
def test_optional_keys_are_optional(name: str, locale: str) -> None:
    spec = TEMPLATES[name]
    only_required = {k: v for k, v in spec.sample.items() if k in spec.required}
    for channel in spec.channels:
        out = render(name, locale=locale, payload=only_required, channel=channel)
        assert out.text.startswith("Miomente: " if channel == "sms" else ("Guten Tag", "Hello"))


def test_unknown_template_and_channel() -> None:
    with pytest.raises(TemplateError, match="unknown template 'booking_lost'"):
        render("booking_lost", locale="de", payload={})
    with pytest.raises(TemplateError, match="unknown template"):
        preview("booking_lost", locale="de")
    with pytest.raises(TemplateError, match="has no channel 'sms'"):
        preview("booking_rejected", locale="de", channel="sms")
    with pytest.raises(TemplateError, match="has no channel 'fax'"):
        render(
            "booking_confirmed", locale="de", payload=payload("booking_confirmed"), channel="fax"
        )
    assert issubclass(TemplateError, ValueError)


def test_bad_values_say_which_template_and_why() -> None:
    with pytest.raises(TemplateError, match=r"'new_booking_partner' \(de, email\).*'zwölf'"):
        render(
            "new_booking_partner",
            locale="de",
            payload=payload("new_booking_partner", total="zwölf"),
        )
    with pytest.raises(TemplateError, match=r"'date_cancelled' \(en, sms\).*'next friday'"):
        render(
            "date_cancelled",
            locale="en",
            payload=payload("date_cancelled", starts_at="next friday"),
            channel="sms",
        )
    with pytest.raises(TemplateError, match=r"'booking_rejected'.*TypeError"):
        render("booking_rejected", locale="de", payload=payload("booking_rejected", alternatives=7))
    with pytest.raises(TemplateError, match=r"'booking_rejected'.*no attribute 'starts_at'"):
        render(
            "booking_rejected",
            locale="de",
            payload=payload("booking_rejected", alternatives=[{"url": "https://x.de"}]),
        )


def test_money_accepts_decimal_int_and_float_without_float_noise() -> None:
    for total, shown in (
        (Decimal("1234.5"), "1.234,50"),
        (1234, "1.234,00"),
        (0.1 + 0.2, "0,30"),
        ("89", "89,00"),
    ):
        out = render(
            "new_booking_partner", locale="de", payload=payload("new_booking_partner", total=total)
        )
        assert f"{shown}{NBSP}€" in out.text
    with pytest.raises(TemplateError, match="True"):
        render(
            "new_booking_partner", locale="de", payload=payload("new_booking_partner", total=True)
        )


# --- booking_rejected: alternative dates ---------------------------------------------------

ALTERNATIVES = [
    {"starts_at": f"2026-12-{day:02d}T18:00:00", "url": f"https://www.miomente.de/w?termin={day}"}
    for day in (1, 2, 3, 4, 5)
]


@pytest.mark.parametrize("locale", LOCALES)
def test_rejection_without_alternatives_has_a_kind_line(locale: str) -> None:
    for data in (
        payload("booking_rejected", alternatives=[]),
        payload("booking_rejected", alternatives=...),
        payload("booking_rejected", alternatives=None),
    ):
        out = render("booking_rejected", locale=locale, payload=data)
        kind = (
            "Einen anderen Termin für diesen Kurs gibt es im Moment leider nicht"
            if locale == ("de")
            else "Unfortunately there is no other date for this course at the moment"
        )
        assert kind in out.text and kind in out.html
        assert "termin=" not in out.html and "termin=" not in out.text


def test_rejection_with_one_and_three_alternatives() -> None:
    one = render(
        "booking_rejected",
        locale="de",
        payload=payload("booking_rejected", alternatives=ALTERNATIVES[:1]),
    )
    assert "Vielleicht passt Ihnen dieser Termin:" in one.text
    assert f"- 01.12.2026, 19:00{NBSP}Uhr: https://www.miomente.de/w?termin=1" in one.text
    assert (
        one.html.count("Termin buchen") == 1
        and 'href="https://www.miomente.de/w?termin=1"' in one.html
    )
    three = render(
        "booking_rejected",
        locale="en",
        payload=payload("booking_rejected", alternatives=ALTERNATIVES[:3]),
    )
    assert "Perhaps one of these dates suits you:" in three.text
    assert three.text.count("\n- ") == 3 and three.html.count("Book this date") == 3
    for day in (1, 2, 3):
        assert (
            f"{day:02d}/12/2026, 19:00" in three.text and f"{day:02d}/12/2026, 19:00" in three.html
        )


def test_rejection_shows_only_the_first_three_alternatives() -> None:
    assert mr.MAX_ALTERNATIVES == 3 and len(ALTERNATIVES) == 5
    out = render(
        "booking_rejected",
        locale="de",
        payload=payload("booking_rejected", alternatives=ALTERNATIVES),
    )
    assert out.text.count("\n- ") == 3 and out.html.count("Termin buchen") == 3
    assert (
        "03.12.2026" in out.text and "04.12.2026" not in out.text and "05.12.2026" not in out.html
    )


def test_alternative_without_link_is_shown_without_link() -> None:
    data = payload("booking_rejected", alternatives=[{"starts_at": "2026-12-01T18:00:00"}])
    out = render("booking_rejected", locale="de", payload=data)
    assert f"- 01.12.2026, 19:00{NBSP}Uhr\n" in out.text
    assert "01.12.2026, 19:00" in out.html and "Termin buchen" not in out.html


# --- Berlin time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "day_de", "time"),
    [
        ("2027-01-14T17:00:00", "14.01.2027", "18:00"),  # CET, UTC+1
        ("2027-07-14T17:00:00", "14.07.2027", "19:00"),  # CEST, UTC+2
        ("2027-03-28T00:30:00", "28.03.2027", "01:30"),  # just before the spring change
        ("2027-03-28T01:30:00", "28.03.2027", "03:30"),  # just after it
        ("2026-12-31T23:30:00", "01.01.2027", "00:30"),  # the next day in Berlin
        ("2027-07-14T17:00:00Z", "14.07.2027", "19:00"),  # an explicit UTC offset is fine too
    ],
)
def test_times_are_shown_in_berlin(utc: str, day_de: str, time: str) -> None:
    data = payload("waitlist_new_date", starts_at=utc)
    for channel in ("email", "sms"):
        de = render("waitlist_new_date", locale="de", payload=data, channel=channel)
        assert f"{day_de}, {time}" in de.text
        en = render("waitlist_new_date", locale="en", payload=data, channel=channel)
        assert f"{day_de.replace('.', '/')}, {time}" in en.text
    assert day_de in render("waitlist_new_date", locale="de", payload=data).subject


def test_calendar_days_are_not_shifted() -> None:
    data = payload("credit_note_available", payout_date="2026-11-06")
    assert "06.11.2026" in render("credit_note_available", locale="de", payload=data).text


# --- batches -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "locale", "channel"), CASES)
def test_batch_round_trip_gives_exactly_render(name: str, locale: str, channel: str) -> None:
    spec = TEMPLATES[name]
    result = render_for_batch(name, locale=locale, payload=spec.sample, channel=channel)
    assert result is not None
    shared, substitutions = result
    # Every email greets by name; an SMS may use no personal key at all.
    used = (
        spec.personal
        if channel == "email"
        else [k for k in spec.personal if f"-{k}-" in shared.text]
    )
    assert substitutions == {f"-{key}-": str(spec.sample[key]) for key in used}
    direct = render(name, locale=locale, payload=spec.sample, channel=channel)
    filled = substitute(shared, substitutions)
    assert filled.subject == direct.subject
    assert filled.html == direct.html
    assert filled.text == direct.text
    for key in used:
        assert f"-{key}-" in shared.text
        assert str(spec.sample[key]) not in shared.text + shared.html + shared.subject


@pytest.mark.parametrize(("name", "locale"), EMAIL_CASES)
def test_batch_shared_part_is_the_same_for_every_recipient(name: str, locale: str) -> None:
    spec = TEMPLATES[name]
    others = {"customer_name": "Jörg Anton-Behrens", "contact_name": "Büşra Yılmaz",
              "order_number": "100009999"}  # fmt: skip
    first = render_for_batch(name, locale=locale, payload=spec.sample)
    second = render_for_batch(
        name, locale=locale, payload=payload(name, **{k: others[k] for k in spec.personal})
    )
    assert first is not None and second is not None
    assert first[0] == second[0]
    assert first[1] != second[1]
    assert substitute(*second) == render(
        name, locale=locale, payload=payload(name, **{k: others[k] for k in spec.personal})
    )


@pytest.mark.parametrize(
    "value",
    [EVIL, "Müller & Söhne", 'Anna "Anni" Schäfer', "Kim O'Brien", "a > b", "x-order_number-y",
     "Anna-Lena-Marie"],
)  # fmt: skip
def test_batch_refuses_values_it_cannot_substitute_safely(value: str) -> None:
    data = payload("booking_confirmed", customer_name=value)
    assert render_for_batch("booking_confirmed", locale="de", payload=data) is None
    render("booking_confirmed", locale="de", payload=data)  # sent alone instead


def test_batch_ignores_personal_values_a_channel_does_not_show() -> None:
    data = payload("booking_confirmed", customer_name=EVIL)
    shared, substitutions = render_for_batch(
        "booking_confirmed", locale="de", payload=data, channel="sms"
    ) or (None, None)
    assert substitutions == {"-order_number-": "100004711"}
    direct = render("booking_confirmed", locale="de", payload=data, channel="sms")
    assert substitute(shared, substitutions) == direct
    # ... while the email greets the customer by name, so it goes alone.
    assert render_for_batch("booking_confirmed", locale="de", payload=data) is None


def test_batch_accepts_ordinary_double_names() -> None:
    data = payload("booking_confirmed", customer_name="Anna-Lena Meyer-Schulz")
    result = render_for_batch("booking_confirmed", locale="de", payload=data)
    assert result is not None
    assert substitute(*result) == render("booking_confirmed", locale="de", payload=data)


@pytest.fixture
def extra_templates(monkeypatch: pytest.MonkeyPatch):
    """Two test-only templates: a personal key inside an href, and one the template changes."""
    env = mr._environment()
    body = '{% extends "_layout.txt" %}{% set subject %}Test{% endset %}'
    env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "in_attribute/de.txt": body
                    + "{% block body %}{{ customer_name }}{% endblock %}",
                    "in_attribute/de.html": '{% extends "_layout.html" %}{% block content %}'
                    '<a href="https://x.de/?n={{ customer_name }}">{{ customer_name }}</a>'
                    "{% endblock %}",
                    "changed/de.txt": body
                    + "{% block body %}{{ customer_name|upper }}{% endblock %}",
                    "changed/de.html": '{% extends "_layout.html" %}{% block content %}'
                    "{{ customer_name }}{% endblock %}",
                }
            ),
            env.loader,
        ]
    )
    monkeypatch.setattr(mr, "ENV", env)
    for name in ("in_attribute", "changed"):
        spec = TemplateSpec(name, ("email",), ("customer_name",), ("customer_name",),
                            {"customer_name": "Anna Schäfer"}, "customer")  # fmt: skip
        monkeypatch.setitem(TEMPLATES, name, spec)


@pytest.mark.usefixtures("extra_templates")
def test_batch_refuses_personal_keys_in_attributes_and_changed_values() -> None:
    data = {"customer_name": "Anna Schäfer"}
    assert render("in_attribute", locale="de", payload=data).html.count("Anna Schäfer") == 2
    assert render_for_batch("in_attribute", locale="de", payload=data) is None
    assert "ANNA SCHÄFER" in render("changed", locale="de", payload=data).text
    assert render_for_batch("changed", locale="de", payload=data) is None


def test_batch_refuses_a_tag_hidden_in_a_shared_value() -> None:
    data = payload("booking_confirmed", course="Kochen für -customer_name-")
    assert render_for_batch("booking_confirmed", locale="de", payload=data) is None


# --- the previews' wording -----------------------------------------------------------------


def test_partner_notice_has_link_and_confirm_hint() -> None:
    out = preview("new_booking_partner", locale="de")
    url = TEMPLATES["new_booking_partner"].sample["order_url"]
    assert f'href="{url}"' in out.html and url in out.text
    assert "Jürgen Weiß" in out.text and "3 Tickets" in out.subject
    assert "Bitte bestätigen Sie die Buchung" in out.html
    assert (
        "1 Ticket)"
        in render(
            "new_booking_partner", locale="de", payload=payload("new_booking_partner", tickets=1)
        ).subject
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_moved_date_shows_old_and_new_time_and_what_to_do(locale: str) -> None:
    # Sample: from 05.12.2026 16:00 UTC to 06.12.2026 13:00–16:30 UTC (CET: +1 hour).
    de = locale == "de"
    old = "05.12.2026, 17:00" if de else "05/12/2026, 17:00"
    new = "06.12.2026, 14:00–17:30" if de else "06/12/2026, 14:00–17:30"
    out = preview("date_moved", locale=locale)
    assert out.subject == (
        "Neuer Termin für Ihren Kurs: Thailändisch kochen – Currys aus dem Wok am 06.12.2026"
        if de
        else "New date for your course: Thailändisch kochen – Currys aus dem Wok on 06/12/2026"
    )
    valid = "Ihre Buchung bleibt für den neuen Termin gültig" if de else "booking remains valid"
    unsuited = (
        "Melden Sie sich bei uns, wenn der neue Termin nicht passt; wir finden eine Lösung "
        "oder erstatten den Betrag."
        if de
        else "we will find a solution or refund the amount"
    )
    for part in (out.text, out.html):
        assert old in part and new in part and valid in part and unsuited in part
    assert ("Bisheriger Termin:" if de else "Previous date:") in out.text
    sms = preview("date_moved", locale=locale, channel="sms").text
    assert old.replace("–", "-") in sms and new.split("–")[0] in sms
    assert "100004714" in sms
    # Without the optional end and tickets: the new start alone, no ticket line.
    alone = render(
        "date_moved", locale=locale, payload=payload("date_moved", ends_at=..., tickets=...)
    )
    assert new.split("–")[0] in alone.text and "17:30" not in alone.text
    assert "Tickets" not in alone.text and "Tickets" not in alone.html


def test_review_mails_say_how_to_object() -> None:
    for name in ("review_request", "review_reminder"):
        out = preview(name, locale="de")
        url = TEMPLATES[name].sample["unsubscribe_url"]
        assert "jederzeit widersprechen" in out.text and url in out.text
        assert f'href="{url}"' in out.html
        alone = render(name, locale="de", payload=payload(name, unsubscribe_url=...))
        assert "eine kurze Antwort auf diese E-Mail genügt" in alone.text


def test_every_html_link_is_absolute_https() -> None:
    for name, locale in EMAIL_CASES:
        html = preview(name, locale=locale).html
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert hrefs and all(h.startswith("https://") for h in hrefs), (name, hrefs)
