"""Input checks shared by forms, jobs and the API; failures carry a locale key, not a text.

Pages show one with `components.feedback.show_refusal`, so the same refusal reads German or
English, and nothing is saved.
"""

from __future__ import annotations

import re
from decimal import Decimal

from core.errors import Refusal

# Pragmatic: one @, a dot in the domain, no spaces. Delivery is the real test.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_RECIPIENTS = 10
# A spreadsheet reads a cell beginning with one of these as a formula (exports, DATEV).
_FORMULA_START = ("=", "+", "-", "@")
# A typed amount: ASCII digits, decimals after a comma (or a point). Not what Decimal() also
# takes: "٢٠" (Arabic-Indic digits), "1e1", "NaN", "1_000". How many decimals a field allows
# is the caller's check, so that "0,004" can be told it has too many.
_AMOUNT = re.compile(r"(?P<whole>[0-9]{1,12})(?:[,.](?P<cents>[0-9]{1,12}))?")


class InvalidInput(Refusal, ValueError):
    """The input cannot be used as given; nothing was saved."""


def is_email(value: str) -> bool:
    if value.startswith(_FORMULA_START):
        return False
    return len(value) <= 254 and bool(_EMAIL.match(value))


def parse_amount(text: str, *, key: str) -> Decimal:
    """'22,5' -> Decimal('22.5'): ASCII digits with a decimal comma; anything else is
    InvalidInput(key). The caller checks the decimal places (core.money.is_cents)."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(key)
    return Decimal(f"{match['whole']}.{match['cents'] or '0'}")


def normalize_phone(value: str) -> str:
    """German habits in, E.164 out: '0151 234 567 89' -> '+4915123456789'."""
    # "+49 (0)40 …" is a common German habit: the (0) is dialled only within Germany.
    digits = re.sub(r"[\s()/.-]", "", value.replace("(0)", ""))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+49" + digits[1:]
    if not _E164.match(digits):
        raise InvalidInput("validation.phone", value=value[:40])
    return digits


def email_list(raw: str) -> list[str]:
    """'a@x.de, b@y.de' -> ['a@x.de', 'b@y.de']; a bad or surplus address refuses all."""
    addresses = [a.strip() for a in re.split(r"[,;\s]+", raw or "") if a.strip()]
    if len(addresses) > MAX_RECIPIENTS:
        raise InvalidInput("validation.too_many_emails", n=MAX_RECIPIENTS)
    for address in addresses:
        if not is_email(address):
            raise InvalidInput("validation.email", value=address[:60])
    return list(dict.fromkeys(a.lower() for a in addresses))
