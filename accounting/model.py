"""What a credit note (Gutschrift) says, as plain values: the contract between the payout
engine (data/money/payouts.py, data/money/documents.py) and the renderers (PDF, Factur-X XML, SEPA,
DATEV).

All money is Decimal rounded to the cent; the engine computes, the renderers only print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.money import ZERO

# The VAT situation of the partner, which decides what the document must say.
VAT_STANDARD = "standard"  # German partner charging VAT on its courses
VAT_SMALL_BUSINESS = "small_business"  # § 19 UStG: no VAT on the partner's side
VAT_REVERSE_CHARGE = "reverse_charge"  # partner in another EU country: commission net, RC note
VAT_CASES = (VAT_STANDARD, VAT_SMALL_BUSINESS, VAT_REVERSE_CHARGE)

KIND_CREDIT_NOTE = "credit_note"  # Gutschrift
KIND_CANCELLATION = "cancellation"  # Storno-Gutschrift: cancels an issued credit note in full


@dataclass(frozen=True)
class Party:
    name: str  # legal name
    street: str
    postcode: str
    city: str
    country_id: str  # ISO 3166-1 alpha-2, e.g. "DE"
    email: str | None = None
    tax_number: str | None = None  # Steuernummer
    vat_id: str | None = None  # USt-IdNr., e.g. "DE123456789"
    iban: str | None = None
    bic: str | None = None


@dataclass(frozen=True)
class CreditNoteLine:
    """One order item (or a correction of one) the payout settles."""

    order_number: str  # Magento increment_id
    item_id: int
    event_date: date  # Berlin date of the course date
    description: str  # course name
    tickets: int
    gross: Decimal  # what the customer paid for this item, incl. the partner's VAT; < 0 corrects
    vat_rate: Decimal  # partner's VAT rate in percent on `gross` (0 for § 19 and abroad)
    commission_rate: Decimal  # percent
    commission_net: Decimal  # commission on this line, net of VAT; < 0 on a correction
    is_correction: bool = False  # refund/cancellation after an earlier payout


@dataclass(frozen=True)
class VatBreakdown:
    rate: Decimal  # percent
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class CreditNoteTotals:
    gross: Decimal  # sum of line gross
    revenue_vat: tuple[VatBreakdown, ...]  # partner's VAT on the gross, per rate (empty: § 19)
    commission_net: Decimal
    commission_vat_rate: Decimal  # 19 in Germany; 0 under reverse charge
    commission_vat: Decimal
    commission_gross: Decimal
    payout: Decimal  # gross − commission_gross + carried: the amount transferred
    # ≤ 0: earlier negative payouts set off against this one (Verrechnung), see
    # data/money/payouts.py
    carried: Decimal = ZERO


@dataclass(frozen=True)
class CreditNote:
    number: str  # gapless per year, e.g. "GS-2026-00017"
    kind: str  # KIND_CREDIT_NOTE | KIND_CANCELLATION
    issue_date: date
    period_start: date  # service period: the month of the events
    period_end: date
    issuer: Party  # Miomente, who issues the self-billing document
    recipient: Party  # the partner, who performed the service
    vat_case: str  # one of VAT_CASES
    lines: tuple[CreditNoteLine, ...]
    totals: CreditNoteTotals
    payout_reference: str  # e.g. "Auszahlung 2026-10 Kochschule Alpha", used on SEPA too
    expected_payout_date: date | None = None
    cancels_number: str | None = None  # for KIND_CANCELLATION: the number it cancels
    cancels_issue_date: date | None = None  # for KIND_CANCELLATION: the cancelled note's date
    carried_from: tuple[str, ...] = ()  # numbers of the credit notes `totals.carried` offsets
    # First days of the months the lines' course dates fall in, oldest first: a payout also
    # settles late-paid items and corrections of earlier months (data/money/payouts.py).
    line_months: tuple[date, ...] = ()
    currency: str = "EUR"
    locale: str = "de"
