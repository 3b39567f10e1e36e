"""Phone numbers: German and international input to E.164, and whether it reaches a mobile.

SMS reminders go only to mobile numbers; a landline would accept the SMS at Twilio and charge
it, and nobody would read it. The shop's addresses hold what customers typed ("0151 …",
"+49 (0)170 …", "0043 664 …"), so a number without a country code is read as German.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from core.validation import InvalidInput

DEFAULT_REGION = "DE"
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def _parsed(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    text = (raw or "").replace("(0)", "").strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def to_e164(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """`raw` as E.164 ("+4915123456789"); InvalidInput `validation.phone` if it is no valid
    number."""
    number = _parsed(raw, region)
    if number is None:
        raise InvalidInput("validation.phone", value=(raw or "")[:40])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=65_536)  # repeat customers, and one parse per number in a task's run
def mobile_e164(raw: str | None, *, region: str = DEFAULT_REGION) -> str | None:
    """The number as E.164 if it is a valid mobile number, else None (no SMS to it)."""
    number = _parsed(raw, region) if raw else None
    if number is None or phonenumbers.number_type(number) not in _MOBILE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
