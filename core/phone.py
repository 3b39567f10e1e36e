"""Phone numbers: German and international input to E.164, and whether it reaches a mobile.

SMS reminders go only to mobile numbers; a landline would accept the SMS at Twilio and charge
it, and nobody would read it. The shop's addresses hold what customers typed ("0151 …",
"+49 (0)170 …", "0043 664 …"), so a number without a country code is read as German.
"""

from __future__ import annotations

import phonenumbers

from core.validation import InvalidInput

DEFAULT_REGION = "DE"
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def to_e164(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """`raw` as E.164 ("+4915123456789"); InvalidInput `validation.phone` if it is no valid
    number."""
    text = (raw or "").replace("(0)", "").strip()
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("validation.phone", value=(raw or "")[:40]) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("validation.phone", value=(raw or "")[:40])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mobile_e164(raw: str | None, *, region: str = DEFAULT_REGION) -> str | None:
    """The number as E.164 if it is a valid mobile number, else None (no SMS to it)."""
    if not raw:
        return None
    try:
        e164 = to_e164(raw, region=region)
    except InvalidInput:
        return None
    return e164 if phonenumbers.number_type(phonenumbers.parse(e164)) in _MOBILE else None
