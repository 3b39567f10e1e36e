"""What an SMS costs: GSM-7 or UCS-2, and how many segments the provider bills.

A text of GSM-7 characters fits 160 in one SMS and 153 per segment when it is split (the rest
carries the joining header); the extension characters (€, [, ], {, }, ^, ~, |, backslash) take
two. One character outside GSM-7 (an emoji, a typographic quote) makes the whole SMS UCS-2:
70 characters, or 67 per segment.
"""

from __future__ import annotations

from dataclasses import dataclass

_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsSize:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int  # as billed: an extension character counts twice in GSM-7
    segments: int


def sms_size(text: str) -> SmsSize:
    """Encoding, billed length and segment count of `text`."""
    if all(ch in _BASIC or ch in _EXTENDED for ch in text):
        units = sum(2 if ch in _EXTENDED else 1 for ch in text)
        return SmsSize("GSM-7", units, _segments(units, single=160, part=153))
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)  # UTF-16 code units
    return SmsSize("UCS-2", units, _segments(units, single=70, part=67))


def _segments(units: int, *, single: int, part: int) -> int:
    if units <= single:
        return 1 if units else 0
    return -(-units // part)
