"""Commission and VAT maths of a payout: pure functions on Decimal, no I/O.

Rules (DESIGN.md, Money):

- Every amount is rounded half-up to the cent by `core.money.to_money`, the German commercial
  rounding; negative amounts round symmetrically (-0.005 -> -0.01), so a correction is exactly
  the negative of what it corrects.
- Commission is computed per line on the line's gross (what the customer paid for the item,
  incl. the partner's VAT) at the line's rate, and rounded per line. The totals are the sums of
  the rounded lines, so lines always add up to the totals; only the VAT on the commission is a
  document-level figure (one rate for the whole document), as on any invoice.
- The partner's VAT case decides what the credit note says:
  * standard: a German partner charging VAT on its courses; the partner's VAT is shown per
    rate (net + VAT = gross per rate) and Miomente's commission carries 19 % German VAT.
  * small business (§ 19 UStG): the partner charges no VAT, the document says so; the
    commission still carries German VAT (Miomente is not a small business).
  * reverse charge: a partner in another EU country with a VAT id; the commission is net,
    the partner owes the VAT (Art. 196 MwStSystRL / § 13b UStG), the partner's revenue
    carries no German VAT on the document.
  A partner abroad without a VAT id (or outside the EU) is treated like the standard case for
  the commission (German VAT), which is what the law asks for a non-business recipient.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from accounting.model import (
    VAT_REVERSE_CHARGE,
    VAT_SMALL_BUSINESS,
    VAT_STANDARD,
    CreditNoteLine,
    CreditNoteTotals,
    VatBreakdown,
)
from core.money import HUNDRED, ZERO, to_money, to_rate

# German VAT on Miomente's commission.
COMMISSION_VAT_RATE = Decimal("19")
# A shop item without a tax rate is sold at the German standard rate.
DEFAULT_VAT_RATE = Decimal("19")
HOME_COUNTRY = "DE"
# EU member states (ISO 3166-1 alpha-2) other than Germany: reverse charge with a VAT id.
EU_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    }
)


def commission(gross: Decimal, commission_rate: Decimal) -> Decimal:
    """Net commission of one line: the rate in percent of the line's gross, half-up."""
    return to_money(Decimal(gross) * Decimal(commission_rate) / HUNDRED)


def vat_case(country_id: str | None, vat_id: str | None, small_business: bool) -> str:
    """The partner's VAT case from its master data (see the module doc)."""
    country = (country_id or HOME_COUNTRY).strip().upper()
    if country != HOME_COUNTRY and country in EU_COUNTRIES and (vat_id or "").strip():
        return VAT_REVERSE_CHARGE
    if small_business:
        return VAT_SMALL_BUSINESS
    return VAT_STANDARD


def line_vat_rate(case: str, shop_rate: Decimal | int | str | None) -> Decimal:
    """The partner's VAT rate shown on a line: the shop item's rate, 0 unless standard."""
    if case != VAT_STANDARD:
        return ZERO
    return to_rate(shop_rate, DEFAULT_VAT_RATE)


def commission_vat_rate(case: str) -> Decimal:
    return ZERO if case == VAT_REVERSE_CHARGE else to_rate(COMMISSION_VAT_RATE)


def split_gross(gross: Decimal, vat_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, vat) of a gross amount at `vat_rate` percent; net + vat == gross exactly."""
    gross = to_money(gross)
    net = to_money(gross * HUNDRED / (HUNDRED + Decimal(vat_rate)))
    return net, gross - net


def settle(lines: Iterable[CreditNoteLine], case: str, carried: Decimal = ZERO) -> CreditNoteTotals:
    """The document totals of already rounded lines: sums first, document VAT last.

    `carried` (≤ 0) is an earlier negative payout set off against this one: it lowers only the
    amount transferred, not the revenue, the VAT or the commission of this document."""
    lines = list(lines)
    gross = sum((to_money(line.gross) for line in lines), ZERO)
    commission_net = sum((to_money(line.commission_net) for line in lines), ZERO)
    by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        by_rate[to_rate(line.vat_rate)] += to_money(line.gross)
    revenue_vat: tuple[VatBreakdown, ...] = ()
    if case == VAT_STANDARD:
        revenue_vat = tuple(
            VatBreakdown(rate=r, net=(split := split_gross(amount, r))[0], vat=split[1])
            for r, amount in sorted(by_rate.items())
        )
    vat_rate = commission_vat_rate(case)
    commission_vat = to_money(commission_net * vat_rate / HUNDRED)
    commission_gross = commission_net + commission_vat
    return CreditNoteTotals(
        gross=gross,
        revenue_vat=revenue_vat,
        commission_net=commission_net,
        commission_vat_rate=vat_rate,
        commission_vat=commission_vat,
        commission_gross=commission_gross,
        payout=gross - commission_gross + to_money(carried),
        carried=to_money(carried),
    )
