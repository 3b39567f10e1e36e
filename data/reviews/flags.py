"""Pure: what in an answer's text looks like personal or contact data, as hint codes.

An answer is public under the customer's review, so before it goes to moderation the partner
sees a hint where the text carries a link, an email address, a phone number or the customer's
full name. The hints do not block: staff decide, and see the same hints. Codes are translated
by the caller (locales `reviews.flag_<code>`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

FLAG_LINK, FLAG_EMAIL, FLAG_PHONE, FLAG_NAME = "link", "email", "phone", "name"
FLAGS = (FLAG_LINK, FLAG_EMAIL, FLAG_PHONE, FLAG_NAME)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_TLDS = "de|com|net|org|eu|info|at|ch|io|biz|shop|berlin|hamburg|koeln|me|co"
_LINK = re.compile(
    rf"(?:https?://|www\.)\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/\S*)?",
    re.IGNORECASE,
)
# International (+49 …, 0049 …) or national (0 40 …) numbers: digits with spaces, slashes,
# dashes or brackets, never dots, so dates (24.11.2026) and prices (1.234,56) are not numbers.
_PHONE = re.compile(r"(?<![\w.,])(?:\+|00)?\(?0?\d[\d ()/-]{5,}\d(?![\w.,]\d)")
_MIN_PHONE_DIGITS = 6


def _fold(text: str) -> str:
    """Casefolded, accents kept, runs of whitespace one space."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _has_email(text: str) -> bool:
    return bool(_EMAIL.search(text))


def _has_link(text: str) -> bool:
    without_mail = _EMAIL.sub(" ", text)
    return bool(_LINK.search(without_mail))


def _has_phone(text: str) -> bool:
    for match in _PHONE.finditer(text):
        candidate = match.group(0)
        digits = sum(ch.isdigit() for ch in candidate)
        starts_like_phone = candidate.lstrip("(").startswith(("+", "0"))
        if digits >= _MIN_PHONE_DIGITS and starts_like_phone:
            return True
    return False


def _name_forms(full_name: str) -> list[str]:
    parts = _fold(full_name).replace(",", " ").split()
    # A nickname like "Anna" or "Anna S." is not a full name: the last name needs 2 letters.
    if len(parts) < 2 or parts[-1].endswith(".") or len(parts[-1]) < 2:
        return []
    first, last = " ".join(parts[:-1]), parts[-1]
    return [f"{first} {last}", f"{last}, {first}", f"{last} {first}"]


def _has_name(text: str, names: Iterable[str]) -> bool:
    folded = _fold(text)
    for name in names:
        for form in _name_forms(name):
            if re.search(rf"(?<!\w){re.escape(form)}(?!\w)", folded):
                return True
    return False


def check_answer(text: str, *, customer_names: Iterable[str] = ()) -> tuple[str, ...]:
    """The hint codes for `text`, in FLAGS order; empty when nothing looks personal."""
    found = {
        FLAG_LINK: _has_link(text),
        FLAG_EMAIL: _has_email(text),
        FLAG_PHONE: _has_phone(text),
        FLAG_NAME: _has_name(text, [n for n in customer_names if n]),
    }
    return tuple(code for code in FLAGS if found[code])
