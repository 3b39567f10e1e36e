"""SEPA credit transfer file (pain.001.001.03) for approved payouts, built with `sepaxml`.

One file = one payment batch from Miomente's account (the debtor) to the partners. The bank
accepts only the SEPA Latin character set in names and references (a-z A-Z 0-9 / - ? : ( ) . ,
' + and space), so text is transliterated the German way first (ä→ae, ö→oe, ü→ue, ß→ss: a
bank statement saying "Muessig" is recognisable, "Mussig" from a naive ASCII fold is not), then
anything else is folded to ASCII and what is still outside the set is dropped.

The file is validated twice: by `sepaxml` while exporting, and again against the same XSD after
we set our own message id, payment-information id and creation time (sepaxml draws random ids
and the clock; ours make a re-export of the same batch identical and traceable).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources

from lxml import etree

from accounting.model import Party
from core.clock import now_utc
from core.money import ZERO, is_cents

SCHEMA = "pain.001.001.03"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"

# SEPA field limits (EPC implementation guidelines).
MAX_NAME = 70
MAX_REFERENCE = 140
MAX_ID = 35

_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "&": "+"}
)
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_ID_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9/\-?:().,'+]")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_BIC = re.compile(r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")
# IBAN lengths of the SEPA countries partners are likely in; others are checked by mod 97 only.
_IBAN_LENGTH = {
    "AT": 20, "BE": 16, "CH": 21, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27, "GB": 22,
    "IE": 22, "IT": 27, "LI": 21, "LU": 20, "NL": 18, "PL": 28, "PT": 25, "SE": 24,
}  # fmt: skip


@dataclass(frozen=True)
class SepaPayment:
    """One transfer to a partner: the payout of one credit note."""

    name: str  # account holder (the partner's legal name)
    iban: str
    bic: str | None  # optional inside SEPA (IBAN-only), kept when known
    amount: Decimal  # euros, > 0
    reference: str  # Verwendungszweck, e.g. "GS-2026-00017 Auszahlung 2026-10"
    end_to_end_id: str  # shown to the partner's bank; e.g. the credit-note number


def sepa_text(text: str, limit: int) -> str:
    """`text` in the SEPA character set, German transliteration, at most `limit` characters."""
    from text_unidecode import unidecode  # sepaxml's own dependency

    folded = unidecode(text.translate(_GERMAN))
    cleaned = re.sub(r" {2,}", " ", _NOT_SEPA.sub("", folded)).strip()
    return cleaned[:limit].rstrip()


def sepa_id(text: str) -> str:
    """An identifier (MsgId, EndToEndId): SEPA characters without spaces, at most 35."""
    from text_unidecode import unidecode

    return _ID_NOT_ALLOWED.sub("", unidecode(text.translate(_GERMAN)))[:MAX_ID]


def normalize_iban(iban: str) -> str:
    return re.sub(r"\s+", "", iban or "").upper()


def iban_is_valid(iban: str) -> bool:
    """Format, known country length and the ISO 7064 mod-97 check digits."""
    compact = normalize_iban(iban)
    if not _IBAN.match(compact):
        return False
    expected = _IBAN_LENGTH.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _bic(bic: str | None, who: str) -> str | None:
    if not bic:
        return None
    compact = re.sub(r"\s+", "", bic).upper()
    if not _BIC.match(compact):
        raise ValueError(f"Ungültige BIC für {who}: {bic}")
    return compact


def _whole_cents(amount: Decimal, who: str) -> int:
    if isinstance(amount, float):
        raise TypeError("Beträge sind Decimal, nie float")
    value = Decimal(amount)
    if not is_cents(value):
        raise ValueError(f"Betrag für {who} hat mehr als zwei Nachkommastellen: {amount}")
    if value <= 0:
        raise ValueError(f"Betrag für {who} muss größer als 0 sein (ist {amount})")
    return int(value * 100)


def sepa_xml(
    *,
    debtor: Party,
    payments: Sequence[SepaPayment],
    execution_date: date,
    message_id: str,
    created_at: datetime | None = None,
) -> bytes:
    """The pain.001.001.03 file for `payments` from `debtor`'s account; raises ValueError
    (German message) for anything a bank would reject: no payments, an invalid IBAN or BIC,
    an amount ≤ 0 or with fractions of a cent, an empty name, a duplicate end-to-end id.

    `created_at` (default: now) is the file's creation time; pass it to reproduce a file.
    """
    from sepaxml import SepaTransfer

    if not payments:
        raise ValueError("Keine Überweisungen: die SEPA-Datei wäre leer")
    if not debtor.iban or not iban_is_valid(debtor.iban):
        raise ValueError(f"Ungültige IBAN des Auftraggebers {debtor.name}: {debtor.iban or '–'}")
    msg_id = sepa_id(message_id)
    if not msg_id:
        raise ValueError("Die Nachrichten-ID (message_id) ist leer")
    config: dict[str, object] = {
        "name": sepa_text(debtor.name, MAX_NAME),
        "IBAN": normalize_iban(debtor.iban),
        "batch": True,  # one debit on Miomente's statement, one credit per partner
        "currency": "EUR",
    }
    debtor_bic = _bic(debtor.bic, debtor.name)
    if debtor_bic:
        config["BIC"] = debtor_bic
    transfer = SepaTransfer(config, schema=SCHEMA, clean=False)

    seen: set[str] = set()
    for payment in payments:
        who = payment.name or "–"
        name = sepa_text(payment.name, MAX_NAME)
        if not name:
            raise ValueError("Empfängername fehlt")
        if not iban_is_valid(payment.iban):
            raise ValueError(f"Ungültige IBAN für {who}: {payment.iban or '–'}")
        end_to_end = sepa_id(payment.end_to_end_id) or "NOTPROVIDED"
        if end_to_end != "NOTPROVIDED" and end_to_end in seen:
            raise ValueError(f"Doppelte Ende-zu-Ende-Referenz: {end_to_end}")
        seen.add(end_to_end)
        entry: dict[str, object] = {
            "name": name,
            "IBAN": normalize_iban(payment.iban),
            "amount": _whole_cents(payment.amount, who),
            "execution_date": execution_date,
            "description": sepa_text(payment.reference, MAX_REFERENCE) or end_to_end,
            "endtoend_id": end_to_end,
        }
        bic = _bic(payment.bic, who)
        if bic:
            entry["BIC"] = bic
        transfer.add_payment(entry)

    try:
        raw = transfer.export(validate=True)
    except Exception as error:  # sepaxml raises its own ValidationError
        raise ValueError(f"SEPA-Datei entspricht nicht dem Schema {SCHEMA}: {error}") from error

    root = etree.fromstring(raw)
    ns = {"p": NAMESPACE}
    moment = (created_at or now_utc()).replace(microsecond=0, tzinfo=None)
    root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId", ns).text = msg_id
    root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm", ns).text = moment.isoformat()
    for index, info_id in enumerate(root.findall("p:CstmrCdtTrfInitn/p:PmtInf/p:PmtInfId", ns)):
        info_id.text = f"{msg_id[: MAX_ID - 4]}-{index + 1:03d}"
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(out)
    return out


def schema_path() -> str:
    """The pain.001.001.03 XSD shipped with sepaxml."""
    return str(resources.files("sepaxml").joinpath("schemas", f"{SCHEMA}.xsd"))


def validate(xml: bytes) -> None:
    """Raise ValueError unless `xml` is valid against the pain.001.001.03 XSD."""
    schema = etree.XMLSchema(etree.parse(schema_path()))
    document = etree.fromstring(xml)
    if not schema.validate(document):
        raise ValueError(f"SEPA-Datei entspricht nicht dem Schema {SCHEMA}: {schema.error_log}")


def control_sum(xml: bytes) -> Decimal:
    """The file's CtrlSum (what the bank will debit in total)."""
    root = etree.fromstring(xml)
    found = root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", {"p": NAMESPACE})
    return Decimal(found.text) if found is not None and found.text else ZERO
