"""Render the portal's emails and SMS from the Jinja2 templates in `messaging/templates`.

Files, per template name (German and English each):

    <name>/de.txt        plain text body; its top-level `{% set subject %}` is the subject line
    <name>/de.html       HTML body, extends `_layout.html` (the subject is passed in as `subject`)
    <name>/de.sms.txt    the SMS, for templates that offer the "sms" channel

`_layout.html` and `_layout.txt` hold the Miomente frame and the legal footer; `_macros.html`
the HTML building blocks (inline styles only: email clients drop `<style>` and external CSS).

Payloads are JSON: money arrives as a string ("89.00"), moments as ISO strings of naive UTC
("2026-12-03T17:00:00"). Templates format them with the filters `money`, `day`, `time`,
`datetime` and `month`, which use `core.i18n` in the render's locale (times in Europe/Berlin).
HTML is autoescaped, plain text and SMS are not. Every failure (unknown template, channel not
offered, missing key, bad value, Jinja error) is a `TemplateError` whose English message says
which template and why; the sender records it as the outbox row's last_error.

Decision: `booking_rejected` shows at most three alternative dates (`MAX_ALTERNATIVES`). A
longer list is cut to its first three, in the order given, instead of refusing: a refused
message would leave the customer without the news that the booking was rejected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType

import jinja2
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from core import i18n, links
from core.money import to_decimal
from core.settings import DEFAULT_PUBLIC_URL

TEMPLATE_DIR = Path(__file__).parent / "templates"
# booking_rejected lists at most this many alternative dates (the templates' `max_alternatives`).
MAX_ALTERNATIVES = 3


class TemplateError(ValueError):
    """The message cannot be rendered; the text says which template and why."""


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    channels: tuple[str, ...]
    required: tuple[str, ...]
    # Keys whose values differ per recipient of one mass send; see render_for_batch.
    personal: tuple[str, ...]
    sample: Mapping[str, object]
    audience: str


@dataclass(frozen=True)
class Rendered:
    subject: str  # "" for sms
    html: str  # "" for sms
    text: str


def _spec(
    name: str,
    *,
    audience: str,
    required: tuple[str, ...],
    personal: tuple[str, ...],
    sample: dict[str, object],
    sms: bool = False,
) -> TemplateSpec:
    return TemplateSpec(
        name=name,
        channels=("email", "sms") if sms else ("email",),
        required=required,
        personal=personal,
        sample=MappingProxyType(sample),
        audience=audience,
    )


# The samples' links come from core/links.py like the real ones, so a preview shows the real
# shape; portal links name the production host whatever this installation's base is.
_SPECS = (
    _spec(
        "booking_confirmed",
        audience="customer",
        sms=True,
        required=("customer_name", "order_number", "course", "starts_at", "place", "tickets"),
        personal=("customer_name", "order_number"),
        sample={
            "customer_name": "Anna Schäfer",
            "order_number": "100004711",
            "course": "Pasta fresca – Nudeln selbst gemacht",
            "starts_at": "2026-12-03T17:00:00",
            "ends_at": "2026-12-03T20:30:00",
            "place": "Kochschule Lindenblatt, Schönhauser Allee 36, 10435 Berlin",
            "tickets": 2,
            "partner_name": "Kochschule Lindenblatt",
        },
    ),
    _spec(
        "booking_rejected",
        audience="customer",
        required=("customer_name", "order_number", "course", "starts_at", "reason"),
        personal=("customer_name", "order_number"),
        sample={
            "customer_name": "Jonas Weißenfels",
            "order_number": "100004698",
            "course": "Weinprobe: Große Gewächse aus Rheinhessen",
            "starts_at": "2026-11-20T18:00:00",
            "reason": "Unser Weinkeller ist an diesem Abend für eine private Feier reserviert. "
            "Bitte entschuldigen Sie die Unannehmlichkeiten.",
            "refund_amount": "118.00",
            "alternatives": [
                {
                    "starts_at": "2026-11-27T18:00:00",
                    "url": links.shop_date_url(3120, 8812),
                },
                {
                    "starts_at": "2026-12-04T18:00:00",
                    "url": links.shop_date_url(3120, 8813),
                },
                {"starts_at": "2026-12-11T18:00:00"},
            ],
        },
    ),
    _spec(
        "new_booking_partner",
        audience="partner",
        sms=True,
        required=(
            "contact_name",
            "customer_name",
            "course",
            "starts_at",
            "tickets",
            "total",
            "order_number",
            "order_url",
        ),
        personal=("contact_name",),
        sample={
            "contact_name": "Markus Brandt",
            "customer_name": "Jürgen Weiß",
            "course": "Sushi-Workshop für Einsteiger",
            "starts_at": "2027-01-15T17:30:00",
            "tickets": 3,
            "total": "267.00",
            "order_number": "100004712",
            "order_url": links.order_url(4712, base=DEFAULT_PUBLIC_URL),
            "confirm_by": "2026-11-26T17:00:00",
        },
    ),
    _spec(
        "date_cancelled",
        audience="customer",
        sms=True,
        required=("customer_name", "order_number", "course", "starts_at", "refund_amount"),
        personal=("customer_name", "order_number"),
        sample={
            "customer_name": "Sophie Müller",
            "order_number": "100004713",
            "course": "Cocktailkurs: Klassiker der Barkultur",
            "starts_at": "2026-12-12T19:00:00",
            "refund_amount": "118.00",
            "reason": "Unser Barkeeper ist leider kurzfristig erkrankt.",
            "rebook_url": links.shop_course_url(3455),
        },
    ),
    _spec(
        "date_moved",
        audience="customer",
        sms=True,
        required=("customer_name", "order_number", "course", "old_starts_at", "starts_at"),
        personal=("customer_name", "order_number"),
        sample={
            "customer_name": "Katrin Vogel",
            "order_number": "100004714",
            "course": "Thailändisch kochen – Currys aus dem Wok",
            "old_starts_at": "2026-12-05T16:00:00",
            "starts_at": "2026-12-06T13:00:00",
            "ends_at": "2026-12-06T16:30:00",
            "tickets": 2,
        },
    ),
    _spec(
        "waitlist_new_date",
        audience="customer",
        sms=True,
        required=("customer_name", "course", "starts_at", "booking_url", "unsubscribe_url"),
        personal=("customer_name",),
        sample={
            "customer_name": "Lena Hoffmann",
            "course": "Brot backen wie früher – Sauerteig-Grundkurs",
            "starts_at": "2027-02-06T09:00:00",
            "place": "Backstube Körner, Bergmannstraße 12, 10961 Berlin",
            "price": "79.00",
            "booking_url": links.shop_date_url(3610, 9105),
            "reason": "new_date",
            "unsubscribe_url": links.waitlist_unsubscribe_url(
                "4711.Zx9q2LkP0aTmB3vW7yE1sA", base=DEFAULT_PUBLIC_URL
            ),
        },
    ),
    _spec(
        "date_request_accepted",
        audience="customer",
        required=("customer_name", "course", "starts_at", "booking_url"),
        personal=("customer_name",),
        sample={
            "customer_name": "Thomas Becker",
            "course": "Käse selber machen – vom Frischkäse bis zum Camembert",
            "starts_at": "2027-03-13T13:00:00",
            "place": "Hofkäserei Gründel, Dorfstraße 5, 14476 Potsdam",
            "booking_url": links.shop_date_url(3702, 9230),
            "partner_message": "Wir freuen uns auf Sie und Ihre Gruppe!",
        },
    ),
    _spec(
        "date_request_rejected",
        audience="customer",
        required=("customer_name", "course", "requested_at"),
        personal=("customer_name",),
        sample={
            "customer_name": "Julia Krüger",
            "course": "Pralinen-Workshop mit Chocolatier",
            "requested_at": "2026-12-19T14:00:00",
            "reason": "An diesem Wochenende sind wir leider schon ausgebucht.",
            "course_url": links.shop_course_url(3388),
        },
    ),
    _spec(
        "date_request_proposed",
        audience="customer",
        required=("customer_name", "course", "requested_at", "starts_at", "accept_url"),
        personal=("customer_name",),
        sample={
            "customer_name": "Sabine Wolf",
            "course": "Pasta fresca – Nudeln selbst gemacht",
            "requested_at": "2027-01-16T17:00:00",
            "starts_at": "2027-01-23T17:00:00",
            "accept_url": links.date_proposal_url("Zt4mQ8vR2pLx", base="https://api.miomente.de"),
            "partner_message": "Am 16. sind wir ausgebucht, eine Woche später passt es gut.",
        },
    ),
    _spec(
        "date_request_expired",
        audience="customer",
        required=("customer_name", "course", "requested_at"),
        personal=("customer_name",),
        sample={
            "customer_name": "Frank Zimmermann",
            "course": "Weinprobe: Große Gewächse aus Rheinhessen",
            "requested_at": "2027-02-12T18:00:00",
            "course_url": links.shop_course_url(3512),
        },
    ),
    _spec(
        "review_request",
        audience="customer",
        required=("customer_name", "course", "starts_at", "review_url"),
        personal=("customer_name",),
        sample={
            "customer_name": "Michael Schröder",
            "course": "Grillkurs: Steaks & Beilagen",
            "starts_at": "2026-11-14T13:00:00",
            "review_url": links.review_url("7Kq2xT9p", base="https://api.miomente.de"),
            "unsubscribe_url": links.review_unsubscribe_url(
                "7Kq2xT9p", base="https://api.miomente.de"
            ),
        },
    ),
    _spec(
        "review_reminder",
        audience="customer",
        required=("customer_name", "course", "starts_at", "review_url"),
        personal=("customer_name",),
        sample={
            "customer_name": "Michael Schröder",
            "course": "Grillkurs: Steaks & Beilagen",
            "starts_at": "2026-11-14T13:00:00",
            "review_url": links.review_url("7Kq2xT9p", base="https://api.miomente.de"),
            "unsubscribe_url": links.review_unsubscribe_url(
                "7Kq2xT9p", base="https://api.miomente.de"
            ),
        },
    ),
    _spec(
        "credit_note_available",
        audience="partner",
        required=("contact_name", "period", "credit_note_number", "amount", "document_url"),
        personal=("contact_name",),
        sample={
            "contact_name": "Claudia Neumann",
            "period": "2026-10",
            "credit_note_number": "GS-2026-00042",
            "amount": "2847.35",
            "payout_date": "2026-11-06",
            "document_url": links.credit_note_url("GS-2026-00042", base=DEFAULT_PUBLIC_URL),
        },
    ),
    _spec(
        "webhook_disabled",
        audience="partner",
        required=("contact_name", "url", "reason", "failing_since", "integrations_url"),
        personal=("contact_name",),
        sample={
            "contact_name": "Kochschule Lindenblatt",
            "url": "https://hooks.kochschule-lindenblatt.de/miomente",
            "reason": "failing",
            "failing_since": "2026-11-30T09:15:00",
            "integrations_url": links.integrations_url(base=DEFAULT_PUBLIC_URL),
        },
    ),
    _spec(
        "minimum_not_reached",
        audience="partner",
        required=("contact_name", "course", "starts_at", "seats_sold", "minimum", "last_call"),
        personal=("contact_name",),
        sample={
            "contact_name": "Kochschule Lindenblatt",
            "course": "Pasta fresca – Nudeln selbst gemacht",
            "starts_at": "2026-12-08T17:00:00",
            "seats_sold": 4,
            "minimum": 6,
            "last_call": "2026-12-06T17:00:00",
        },
    ),
    _spec(
        "minimum_other_dates",
        audience="customer",
        required=("customer_name", "course", "cancelled_starts_at", "dates"),
        personal=("customer_name",),
        sample={
            "customer_name": "Lena Hoffmann",
            "course": "Pasta fresca – Nudeln selbst gemacht",
            "cancelled_starts_at": "2026-12-08T17:00:00",
            "dates": [
                {
                    "starts_at": "2026-12-15T17:00:00",
                    "free": 5,
                    "url": links.shop_date_url(3610, 9106),
                },
                {
                    "starts_at": "2027-01-12T17:00:00",
                    "free": 1,
                    "url": links.shop_date_url(3610, 9107),
                },
            ],
            "course_url": links.shop_course_url(3610),
        },
    ),
    _spec(
        "password_reset",
        audience="partner",
        required=("contact_name", "username", "reset_url", "valid_hours"),
        personal=("contact_name",),
        sample={
            "contact_name": "Claudia Neumann",
            "username": "kochschule-neumann",
            "reset_url": links.password_reset_url("7Kq2xT9p", base=DEFAULT_PUBLIC_URL),
            "valid_hours": 24,
        },
    ),
    _spec(
        "team_invitation",
        audience="partner",
        required=(
            "contact_name",
            "partner_name",
            "inviter_name",
            "member_role",
            "invitation_url",
            "valid_days",
        ),
        personal=("contact_name",),
        sample={
            "contact_name": "jonas.weber@example.org",
            "partner_name": "Kochschule Löffelglück",
            "inviter_name": "Claudia Neumann",
            "member_role": "team",
            "invitation_url": links.invitation_url("7Kq2xT9p", base=DEFAULT_PUBLIC_URL),
            "valid_days": 7,
        },
    ),
    _spec(
        "date_reminder",
        audience="customer",
        sms=True,
        required=("customer_name", "order_number", "course", "starts_at"),
        personal=("customer_name", "order_number"),
        sample={
            "customer_name": "Sophie Müller",
            "order_number": "100004713",
            "course": "Sushi selbst gemacht – Maki, Nigiri und Inside-out",
            "starts_at": "2026-12-12T17:00:00",
            "place": "Kochschule Löffelglück, Hamburg",
        },
    ),
    _spec(
        "news_digest",
        audience="partner",
        required=("contact_name", "items", "news_url"),
        personal=("contact_name",),  # users with the same unread items share one rendering
        sample={
            "contact_name": "Claudia Neumann",
            "items": [
                {
                    "title": "Neu: Mindestteilnehmerzahl pro Termin",
                    "category": "feature",
                    "published": "2026-12-01T08:00:00",
                },
                {
                    "title": "Wartung am 12.12. von 22 bis 23 Uhr",
                    "category": "maintenance",
                    "published": "2026-12-03T09:30:00",
                },
            ],
            "news_url": links.news_url(base=DEFAULT_PUBLIC_URL),
        },
    ),
    _spec(
        "member_digest",
        audience="partner",
        required=("contact_name", "day", "items"),
        personal=("contact_name",),
        sample={
            "contact_name": "Tim Berger",
            "day": "2026-12-05",
            "items": [
                {
                    "event": "new_booking",
                    "subject": "Sushi-Workshop für Einsteiger",
                    "starts_at": "2027-01-15T17:30:00",
                    "tickets": 3,
                    "url": links.order_url(4712, base=DEFAULT_PUBLIC_URL),
                },
                {
                    "event": "new_booking",
                    "subject": "Pasta fresca – Nudeln von Hand",
                    "starts_at": "2027-01-22T17:00:00",
                    "tickets": 1,
                    "url": links.order_url(4718, base=DEFAULT_PUBLIC_URL),
                },
            ],
        },
    ),
    _spec(
        "review_answer_approved",
        audience="partner",
        required=("contact_name", "review_id", "course", "answer", "review_url"),
        personal=("contact_name",),
        sample={
            "contact_name": "Claudia Neumann",
            "review_id": 4711,
            "course": "Sushi selbst gemacht – Maki, Nigiri und Inside-out",
            "answer": "Vielen Dank für Ihr Lob – wir freuen uns auf Ihren nächsten Besuch!",
            "review_url": links.reviews_url(4711, base=DEFAULT_PUBLIC_URL),
        },
    ),
    _spec(
        "review_answer_rejected",
        audience="partner",
        required=("contact_name", "review_id", "course", "answer", "reason", "review_url"),
        personal=("contact_name",),
        sample={
            "contact_name": "Claudia Neumann",
            "review_id": 4711,
            "course": "Sushi selbst gemacht – Maki, Nigiri und Inside-out",
            "answer": "Danke, Frau Anna Schäfer! Rufen Sie uns gern an: 040 1234567.",
            "reason": "personal_data",
            "note": "Bitte ohne den vollen Namen und ohne Telefonnummer.",
            "review_url": links.reviews_url(4711, base=DEFAULT_PUBLIC_URL),
        },
    ),
)

TEMPLATES: dict[str, TemplateSpec] = {spec.name: spec for spec in _SPECS}


# --- filters -------------------------------------------------------------------------------


def _locale(context: jinja2.runtime.Context) -> str:
    return i18n.normalize_locale(context.get("locale"))


def _given(value: object) -> object:
    """The value itself; an undefined one fails with Jinja's message naming the variable."""
    if isinstance(value, jinja2.Undefined):
        value._fail_with_undefined_error()
    return value


def _decimal(value: object) -> Decimal:
    value = _given(value)
    if value is None or isinstance(value, bool):
        raise TemplateError(f"money value {value!r} is not an amount")
    try:
        return to_decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise TemplateError(f"money value {value!r} is not a decimal amount") from None


def _moment(value: object) -> datetime:
    """An ISO date-time string of naive UTC (or a datetime) as a datetime."""
    value = _given(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) > 10:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise TemplateError(f"{value!r} is not an ISO date-time like '2026-12-03T17:00:00'")


def _day_value(value: object) -> date | datetime:
    value = _given(value)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)  # a calendar day: no time zone to apply
        except ValueError:
            pass
    return _moment(value)


def _month_value(value: object) -> date:
    value = _given(value)
    if isinstance(value, date):
        return value.replace(day=1)
    if isinstance(value, str):
        try:
            return date.fromisoformat(f"{value[:7]}-01")
        except ValueError:
            pass
    raise TemplateError(f"{value!r} is not a month like '2026-10'")


@pass_context
def _money_filter(context: jinja2.runtime.Context, value: object) -> str:
    return i18n.money(_decimal(value), _locale(context))


@pass_context
def _day_filter(context: jinja2.runtime.Context, value: object) -> str:
    return i18n.day(_day_value(value), _locale(context))


@pass_context
def _time_filter(context: jinja2.runtime.Context, value: object) -> str:
    return i18n.time_of_day(_moment(value), _locale(context))


@pass_context
def _datetime_filter(context: jinja2.runtime.Context, value: object) -> str:
    return i18n.moment(_moment(value), _locale(context))


@pass_context
def _month_filter(context: jinja2.runtime.Context, value: object) -> str:
    return i18n.month_label(_month_value(value), _locale(context))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"], default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=_money_filter,
        day=_day_filter,
        time=_time_filter,
        datetime=_datetime_filter,
        month=_month_filter,
    )
    env.globals["max_alternatives"] = MAX_ALTERNATIVES
    return env


ENV = _environment()


# --- rendering -----------------------------------------------------------------------------


def _get_spec(template: str, channel: str) -> TemplateSpec:
    spec = TEMPLATES.get(template)
    if spec is None:
        raise TemplateError(f"unknown template {template!r}")
    if channel not in spec.channels:
        raise TemplateError(
            f"template {template!r} has no channel {channel!r} (offers {', '.join(spec.channels)})"
        )
    return spec


def _check_required(spec: TemplateSpec, payload: Mapping[str, object]) -> None:
    missing = [key for key in spec.required if payload.get(key) is None]
    if missing:
        raise TemplateError(
            f"template {spec.name!r}: payload is missing required key(s) "
            + ", ".join(repr(key) for key in missing)
        )


def _one_line(text: str) -> str:
    """Line breaks and runs of spaces to one space (no-break spaces stay: "89,00\u00a0€")."""
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()


def _tidy_text(text: str) -> str:
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return re.sub(r"\n{3,}", "\n\n", lines) + "\n"


# SMS are billed by GSM-7 segments; one typographic character makes the whole SMS UCS-2 (70
# instead of 160 characters a segment), so the usual suspects become their GSM-7 cousins.
_SMS_PLAIN = str.maketrans(
    {"\u00a0": " ", "\u202f": " ", "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'",
     "–": "-", "—": "-", "…": "..."}
)  # fmt: skip


def _render(
    spec: TemplateSpec, locale: str, payload: Mapping[str, object], channel: str
) -> Rendered:
    where = f"template {spec.name!r} ({locale}, {channel})"
    context = {**payload, "locale": locale, "audience": spec.audience, "channel": channel}
    try:
        if channel == "sms":
            text = ENV.get_template(f"{spec.name}/{locale}.sms.txt").render(context)
            return Rendered(subject="", html="", text=_one_line(text.translate(_SMS_PLAIN)))
        # One render gives the text body and, as the module's `subject` variable, the subject.
        body = ENV.get_template(f"{spec.name}/{locale}.txt").make_module(context)
        subject = _one_line(str(getattr(body, "subject", "")))
        if not subject:
            raise TemplateError("the text template sets no subject")
        text = _tidy_text(str(body))
        html = ENV.get_template(f"{spec.name}/{locale}.html").render(context, subject=subject)
    except TemplateError as exc:  # a filter's complaint about a value
        raise TemplateError(f"{where}: {exc}") from exc
    except jinja2.TemplateError as exc:
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from exc
    except (TypeError, ValueError, AttributeError, LookupError) as exc:
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from exc
    return Rendered(subject=subject, html=html.strip() + "\n", text=text)


def render(
    template: str, *, locale: str, payload: Mapping[str, object], channel: str = "email"
) -> Rendered:
    """Subject, HTML and text of `template` for `payload`; for "sms" only the text."""
    spec = _get_spec(template, channel)
    _check_required(spec, payload)
    return _render(spec, i18n.normalize_locale(locale), payload, channel)


def preview(template: str, *, locale: str, channel: str = "email") -> Rendered:
    """The template rendered with its realistic sample payload."""
    spec = _get_spec(template, channel)
    return render(template, locale=locale, payload=spec.sample, channel=channel)


# --- batches: one shared rendering, per-recipient substitutions ----------------------------

# A value that HTML escaping would change, or that looks like a substitution tag itself.
_UNBATCHABLE = re.compile(r"""[<>&"']|-\w+-""")


def tag(key: str) -> str:
    """The substitution tag standing for personal key `key` in a shared rendering."""
    return f"-{key}-"


class _AttributeScan(HTMLParser):
    def __init__(self, needles: list[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.needles = needles
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for _name, value in attrs:
            if value and any(needle in value for needle in self.needles):
                self.found = True


def _in_attribute(html: str, tags: list[str]) -> bool:
    scan = _AttributeScan(tags)
    scan.feed(html)
    scan.close()
    return scan.found


def substitute(shared: Rendered, substitutions: Mapping[str, str]) -> Rendered:
    """What the provider makes of a shared rendering for one recipient (for tests and checks)."""

    def fill(text: str) -> str:
        for key, value in substitutions.items():
            text = text.replace(key, value)
        return text

    return Rendered(subject=fill(shared.subject), html=fill(shared.html), text=fill(shared.text))


def render_for_batch(
    template: str, *, locale: str, payload: Mapping[str, object], channel: str = "email"
) -> tuple[Rendered, dict[str, str]] | None:
    """A rendering shared by all recipients of a mass send, plus this recipient's substitutions.

    Each personal key is rendered as its tag (`-customer_name-`); the provider puts the value
    back per recipient. The substitutions hold the tags that occur in the shared rendering
    (an SMS without a name has none). None when substituting would not give exactly
    `render(...)`: a personal value with a character HTML escapes (`<>&"'`) or a tag-like
    sequence, a personal key inside an HTML attribute, or a template that transforms the value
    (checked by rendering both ways). The caller then sends this message alone with `render`.
    """
    spec = _get_spec(template, channel)
    _check_required(spec, payload)
    locale = i18n.normalize_locale(locale)
    personal = tuple(key for key in spec.personal if key in payload)
    tagged = {**payload, **{key: tag(key) for key in personal}}
    shared = _shared_rendering(spec.name, locale, channel, personal, _freeze(tagged))
    if shared is None:
        return None
    substitutions: dict[str, str] = {}
    for key in shared.tags:
        value = "" if payload[key] is None else str(payload[key])
        if _UNBATCHABLE.search(value):
            return None
        substitutions[tag(key)] = value
    if not shared.verified_once:
        # The first recipient of each shared rendering is rendered both ways; the rest of the
        # mass send trusts that check (the templates are ours and tests check every one).
        if substitute(shared.rendered, substitutions) != _render(spec, locale, payload, channel):
            return None
        shared.verified_once = True
    return shared.rendered, substitutions


@dataclass
class _Shared:
    rendered: Rendered
    tags: tuple[str, ...]  # personal keys whose tag occurs in the rendering
    verified_once: bool = False


def _freeze(payload: Mapping[str, object]) -> str:
    return json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)


@lru_cache(maxsize=256)
def _shared_rendering(
    name: str, locale: str, channel: str, personal: tuple[str, ...], frozen: str
) -> _Shared | None:
    """Rendered once per distinct shared payload: a mass send renders its template once."""
    spec = TEMPLATES[name]
    rendered = _render(spec, locale, json.loads(frozen), channel)
    everything = rendered.subject + rendered.html + rendered.text
    tags = tuple(key for key in personal if tag(key) in everything)
    if rendered.html and _in_attribute(rendered.html, [tag(key) for key in tags]):
        return None
    return _Shared(rendered, tags)
