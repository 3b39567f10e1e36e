"""The credit note as an e-invoice: Factur-X / ZUGFeRD CII XML (profile EN 16931), pure.

The model (what the XML says, and why)
--------------------------------------
A self-billing credit note is the *partner's* invoice, written by Miomente. So in the XML the
seller (BG-4) is the partner and the buyer (BG-7) is Miomente, and the document type is

- 389 "Self-billed invoice" for a credit note (Gutschrift), and
- 261 "Self-billed credit note" for a cancellation (Storno-Gutschrift), which refers to the
  cancelled note in BT-25/BT-26 (InvoiceReferencedDocument). As in every EN 16931 credit note
  the amounts are positive: the type code carries the sign. A cancellation whose amounts the
  engine gave as negatives is therefore written with all signs flipped.

The invoice lines are the partner's course revenue: one line per order item, net of the
partner's VAT, in the partner's VAT category:

- standard: category S at the line's rate; the breakdown per rate is `totals.revenue_vat`;
- § 19 UStG: category E with the exemption reason "Kleinunternehmer gemäß § 19 UStG";
- reverse charge: category AE, rate 0, exemption reason "Reverse Charge" (both VAT ids given).

Miomente's commission is *not* an allowance on the partner's invoice: an allowance would lower
the partner's taxable amount and VAT, which is wrong — the commission is Miomente's own supply
to the partner with its own VAT. It is settled by set-off (Verrechnung), which EN 16931 can only
express as an amount already paid: TotalPrepaidAmount (BT-113) = commission gross, with a note
that states commission net, VAT and gross. An earlier negative payout offset against this one
(`totals.carried` ≤ 0, Verrechnung) is settled money too: it is added to BT-113 with its own note
naming the offset credit notes. This keeps every EN 16931 sum exact:

    LineTotalAmount (BT-106)      = Σ line net                     = Σ breakdown basis
    TaxBasisTotalAmount (BT-109)  = BT-106 (no allowances/charges)
    TaxTotalAmount (BT-110)       = Σ breakdown VAT                = Σ totals.revenue_vat.vat
    GrandTotalAmount (BT-112)     = BT-109 + BT-110                = totals.gross
    TotalPrepaidAmount (BT-113)   = totals.commission_gross − totals.carried
    DuePayableAmount (BT-115)     = BT-112 − BT-113                = totals.payout

Line nets: each line's net is its gross divided by (1 + rate), rounded half-up; the rounding
remainder against the per-rate breakdown goes to the largest line of that rate, so the lines add
up to the breakdown to the cent. Each line has quantity ±1 (one order item; the ticket count is
in the line's text) and a non-negative net price, so a correction line is quantity −1 (EN 16931
forbids negative prices, BR-27).

`validate(xml)` checks the XML against the Factur-X XSD shipped with the `factur-x` package and
re-adds the sums above (the official Schematron needs an XSLT 2 processor, which we do not run).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import TYPE_CHECKING

from lxml import etree

from accounting.model import (
    KIND_CANCELLATION,
    VAT_REVERSE_CHARGE,
    VAT_SMALL_BUSINESS,
    CreditNote,
    CreditNoteLine,
    Party,
)
from core.money import HUNDRED, ZERO, to_money, to_rate

if TYPE_CHECKING:  # pypdf is imported where a PDF is written
    from pypdf.generic import DictionaryObject

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "qdt": QDT, "udt": UDT}

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
TYPE_SELF_BILLED_INVOICE = "389"
TYPE_SELF_BILLED_CREDIT_NOTE = "261"
PAYMENT_SEPA_CREDIT_TRANSFER = "58"
UNIT_ONE = "C62"  # UN/ECE Rec 20 "one": an order item

CATEGORY_STANDARD = "S"
CATEGORY_EXEMPT = "E"
CATEGORY_REVERSE_CHARGE = "AE"
REASON_SMALL_BUSINESS = "Kleinunternehmer gemäß § 19 UStG"
REASON_REVERSE_CHARGE = "Reverse Charge"  # the text BR-AE-10 names
REASON_EXEMPT = "Steuerfreie Leistung"


class FacturXError(ValueError):
    """The note cannot be expressed consistently, or the XML is invalid."""


# --- amounts --------------------------------------------------------------------------------


def _sign(note: CreditNote) -> int:
    """+1, or −1 for a cancellation the engine wrote with negative amounts (see module doc)."""
    if note.kind != KIND_CANCELLATION:
        return 1
    reference = note.totals.gross if note.totals.gross else note.totals.payout
    return -1 if reference < 0 else 1


def _category(note: CreditNote, rate: Decimal) -> tuple[str, str | None]:
    """(VAT category code, exemption reason) of the partner's revenue at `rate`."""
    if note.vat_case == VAT_SMALL_BUSINESS:
        return CATEGORY_EXEMPT, REASON_SMALL_BUSINESS
    if note.vat_case == VAT_REVERSE_CHARGE:
        return CATEGORY_REVERSE_CHARGE, REASON_REVERSE_CHARGE
    if rate == 0:
        return CATEGORY_EXEMPT, REASON_EXEMPT
    return CATEGORY_STANDARD, None


def _line_rate(note: CreditNote, line: CreditNoteLine) -> Decimal:
    """The partner's VAT rate of a line; only a standard partner charges VAT."""
    if note.vat_case in (VAT_SMALL_BUSINESS, VAT_REVERSE_CHARGE):
        return ZERO
    return to_rate(line.vat_rate)


class _Breakdown:
    def __init__(self, category: str, reason: str | None, rate: Decimal) -> None:
        self.category, self.reason, self.rate = category, reason, rate
        self.basis = ZERO
        self.vat = ZERO


def _groups(note: CreditNote) -> dict[tuple[str, Decimal], list[int]]:
    """Line indexes by (VAT category, rate), in the order the keys first appear."""
    groups: dict[tuple[str, Decimal], list[int]] = defaultdict(list)
    for index, line in enumerate(note.lines):
        rate = _line_rate(note, line)
        category, _ = _category(note, rate)
        groups[(category, rate)].append(index)
    return groups


def _group_target(
    note: CreditNote, category: str, rate: Decimal, gross: Decimal
) -> tuple[Decimal, Decimal]:
    """(net, VAT) a group of lines must add up to; raises if the totals have no such part."""
    if category != CATEGORY_STANDARD:
        return gross, ZERO
    given = {to_rate(part.rate): part for part in note.totals.revenue_vat}
    part = given.get(rate)
    if part is None:
        raise FacturXError(
            f"Gutschrift {note.number}: keine USt-Aufteilung für {rate} % in den Summen"
        )
    if part.net + part.vat != gross:
        raise FacturXError(
            f"Gutschrift {note.number}: netto + USt bei {rate} % ergibt nicht "
            f"die Bruttosumme der Positionen"
        )
    return part.net, part.vat


def _group_nets(
    note: CreditNote, members: list[int], category: str, rate: Decimal, target_net: Decimal
) -> dict[int, Decimal]:
    """Each member line's net; the rounding remainder goes to the largest line, so the lines
    add up to the breakdown."""
    lines = note.lines
    if category == CATEGORY_STANDARD:
        nets = {i: to_money(lines[i].gross * HUNDRED / (HUNDRED + rate)) for i in members}
    else:
        nets = {i: to_money(lines[i].gross) for i in members}
    remainder = target_net - sum(nets.values(), ZERO)
    if remainder:
        largest = max(members, key=lambda i: (abs(lines[i].gross), -i))
        nets[largest] += remainder
    return nets


def _check_sums(note: CreditNote, breakdowns: list[_Breakdown]) -> None:
    totals, sign = note.totals, _sign(note)
    basis = sum((b.basis for b in breakdowns), ZERO)
    vat = sum((b.vat for b in breakdowns), ZERO)
    if basis + vat != totals.gross * sign:
        raise FacturXError(
            f"Gutschrift {note.number}: Positionen und Summe (brutto) passen nicht zusammen"
        )
    if totals.gross - totals.commission_gross + totals.carried != totals.payout:
        raise FacturXError(
            f"Gutschrift {note.number}: Brutto − Provision brutto + Verrechnung ergibt nicht "
            f"den Auszahlungsbetrag"
        )


def _amounts(
    note: CreditNote,
) -> tuple[list[tuple[CreditNoteLine, Decimal, str]], list[_Breakdown]]:
    """The line nets (signed for the XML) and the VAT breakdowns; raises if they cannot add up."""
    sign = _sign(note)
    groups = _groups(note)
    nets = [ZERO] * len(note.lines)
    breakdowns: list[_Breakdown] = []
    for category, rate in sorted(groups):
        members = groups[(category, rate)]
        gross = sum((to_money(note.lines[i].gross) for i in members), ZERO)
        target_net, target_vat = _group_target(note, category, rate, gross)
        for i, net in _group_nets(note, members, category, rate, target_net).items():
            nets[i] = net
        _, reason = _category(note, rate)
        breakdown = _Breakdown(category, reason, rate)
        breakdown.basis = target_net * sign
        breakdown.vat = target_vat * sign
        breakdowns.append(breakdown)
    if not note.lines:
        category, reason = _category(note, ZERO)
        if category == CATEGORY_STANDARD:  # an empty standard note: nothing taxable
            category, reason = CATEGORY_EXEMPT, REASON_EXEMPT
        breakdowns.append(_Breakdown(category, reason, ZERO))
    _check_sums(note, breakdowns)
    signed_lines = []
    for index, line in enumerate(note.lines):
        category, _ = _category(note, _line_rate(note, line))
        signed_lines.append((line, nets[index] * sign, category))
    return signed_lines, breakdowns


# --- XML ------------------------------------------------------------------------------------


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attrs)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    return f"{to_money(value):.2f}"


def _percent(value: Decimal) -> str:
    return f"{to_rate(value):.2f}"


def _date(parent: etree._Element, tag: str, value: date, *, qualified: bool = False) -> None:
    holder = _el(parent, tag)
    _el(
        holder,
        "qdt:DateTimeString" if qualified else "udt:DateTimeString",
        value.strftime("%Y%m%d"),
        format="102",
    )


def _party(parent: etree._Element, tag: str, party: Party) -> None:
    node = _el(parent, tag)
    _el(node, "ram:Name", party.name)
    address = _el(node, "ram:PostalTradeAddress")
    if party.postcode:
        _el(address, "ram:PostcodeCode", party.postcode)
    if party.street:
        _el(address, "ram:LineOne", party.street)
    if party.city:
        _el(address, "ram:CityName", party.city)
    _el(address, "ram:CountryID", party.country_id.upper())
    if party.email:
        uri = _el(node, "ram:URIUniversalCommunication")
        _el(uri, "ram:URIID", party.email, schemeID="EM")
    if party.vat_id:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")
    if party.tax_number:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.tax_number, schemeID="FC")


def _line_name(line: CreditNoteLine) -> str:
    prefix = "Korrektur: " if line.is_correction else ""
    return (
        f"{prefix}{line.description} · Termin {line.event_date.strftime('%d.%m.%Y')} · "
        f"{line.tickets} {'Ticket' if abs(line.tickets) == 1 else 'Tickets'} · "
        f"Bestellung {line.order_number}"
    )


def commission_note(note: CreditNote) -> str:
    """The note that explains the set-off of Miomente's commission (BT-113)."""
    totals = note.totals
    text = (
        "Verrechnung der Vermittlungsprovision von Miomente: "
        f"netto {_amount(totals.commission_net)} "
        f"EUR, USt {_percent(totals.commission_vat_rate)} % {_amount(totals.commission_vat)} EUR, "
        f"brutto {_amount(totals.commission_gross)} EUR (als bereits gezahlter Betrag "
        f"ausgewiesen). Auszahlungsbetrag {_amount(totals.payout)} EUR."
    )
    if note.vat_case == VAT_REVERSE_CHARGE:
        text += (
            " Provision: Steuerschuldnerschaft des Leistungsempfängers "
            "(Reverse Charge, Art. 196 MwStSystRL)."
        )
    return text


def carried_note(note: CreditNote) -> str | None:
    """The note that explains an offset earlier negative payout (also in BT-113), or None."""
    if not note.totals.carried:
        return None
    numbers = ", ".join(note.carried_from) or "–"
    noun = "Gutschriften" if len(note.carried_from) > 1 else "Gutschrift"
    return (
        f"Verrechnung mit {noun} {numbers}: {_amount(note.totals.carried)} EUR (Restbetrag "
        "zugunsten von Miomente aus einer früheren Abrechnung; als bereits gezahlter Betrag "
        "ausgewiesen)."
    )


def _document_notes(note: CreditNote) -> list[tuple[str, str]]:
    """(content, subject code) of the document's notes, in the order they are printed."""
    notes: list[tuple[str, str]] = [
        (
            "Gutschrift im Sinne des § 14 Abs. 2 Satz 2 UStG (Abrechnung im Gutschriftsverfahren).",
            "REG",
        ),
    ]
    if note.kind == KIND_CANCELLATION:
        cancelled = note.cancels_number or ""
        when = (
            f" vom {note.cancels_issue_date.strftime('%d.%m.%Y')}"
            if note.cancels_issue_date
            else ""
        )
        notes.append((f"Stornierung der Gutschrift {cancelled}{when}.", "AAI"))
    if note.vat_case == VAT_SMALL_BUSINESS:
        notes.append(("Gemäß § 19 UStG wird keine Umsatzsteuer ausgewiesen.", "TXD"))
    notes.append((commission_note(note), "AAI"))
    carried = carried_note(note)
    if carried:
        notes.append((carried, "AAI"))
    return notes


def _document(root: etree._Element, note: CreditNote) -> None:
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_EN16931)
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", note.number)
    cancellation = note.kind == KIND_CANCELLATION
    _el(
        document,
        "ram:TypeCode",
        TYPE_SELF_BILLED_CREDIT_NOTE if cancellation else TYPE_SELF_BILLED_INVOICE,
    )
    _date(document, "ram:IssueDateTime", note.issue_date)
    for content, subject in _document_notes(note):
        included = _el(document, "ram:IncludedNote")
        _el(included, "ram:Content", content)
        _el(included, "ram:SubjectCode", subject)


def _line_item(
    transaction: etree._Element, number: int, line: CreditNoteLine, net: Decimal, category: str
) -> None:
    item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
    _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", str(number))
    product = _el(item, "ram:SpecifiedTradeProduct")
    _el(product, "ram:SellerAssignedID", f"{line.order_number}-{line.item_id}")
    _el(product, "ram:Name", _line_name(line))
    agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
    _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _amount(abs(net)))
    quantity = "-1" if net < 0 else "1"
    _el(
        _el(item, "ram:SpecifiedLineTradeDelivery"),
        "ram:BilledQuantity",
        quantity,
        unitCode=UNIT_ONE,
    )
    settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:TypeCode", "VAT")
    _el(tax, "ram:CategoryCode", category)
    line_rate = line.vat_rate if category == CATEGORY_STANDARD else ZERO
    _el(tax, "ram:RateApplicablePercent", _percent(line_rate))
    period = _el(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", line.event_date)
    _date(period, "ram:EndDateTime", line.event_date)
    _el(
        _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
        "ram:LineTotalAmount",
        _amount(net),
    )


def _header_agreement(transaction: etree._Element, note: CreditNote) -> None:
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", note.payout_reference)
    _party(agreement, "ram:SellerTradeParty", note.recipient)  # the partner supplies
    _party(agreement, "ram:BuyerTradeParty", note.issuer)  # Miomente receives and pays
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")


def _payment_means(settlement: etree._Element, note: CreditNote) -> None:
    if note.kind == KIND_CANCELLATION or not note.recipient.iban:
        return
    means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
    _el(means, "ram:TypeCode", PAYMENT_SEPA_CREDIT_TRANSFER)
    _el(
        _el(means, "ram:PayeePartyCreditorFinancialAccount"),
        "ram:IBANID",
        note.recipient.iban.replace(" ", "").upper(),
    )


def _tax_breakdowns(settlement: etree._Element, breakdowns: list[_Breakdown]) -> None:
    for breakdown in breakdowns:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(breakdown.vat))
        _el(tax, "ram:TypeCode", "VAT")
        if breakdown.reason:
            _el(tax, "ram:ExemptionReason", breakdown.reason)
        _el(tax, "ram:BasisAmount", _amount(breakdown.basis))
        _el(tax, "ram:CategoryCode", breakdown.category)
        if breakdown.category == CATEGORY_REVERSE_CHARGE:
            _el(tax, "ram:ExemptionReasonCode", "VATEX-EU-AE")
        _el(tax, "ram:RateApplicablePercent", _percent(breakdown.rate))


def _period_and_terms(settlement: etree._Element, note: CreditNote) -> None:
    period = _el(settlement, "ram:BillingSpecifiedPeriod")
    _date(period, "ram:StartDateTime", note.period_start)
    _date(period, "ram:EndDateTime", note.period_end)
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    if note.kind == KIND_CANCELLATION:
        _el(terms, "ram:Description", "Ausgleich durch Verrechnung mit künftigen Auszahlungen.")
        return
    _el(terms, "ram:Description", "Auszahlung per SEPA-Überweisung durch Miomente.")
    if note.expected_payout_date is not None:
        _date(terms, "ram:DueDateDateTime", note.expected_payout_date)


def _summation(
    settlement: etree._Element, note: CreditNote, line_total: Decimal, tax_total: Decimal
) -> None:
    totals, sign = note.totals, _sign(note)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(line_total))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(line_total))
    _el(summation, "ram:TaxTotalAmount", _amount(tax_total), currencyID=note.currency)
    _el(summation, "ram:GrandTotalAmount", _amount(line_total + tax_total))
    # The commission and an offset earlier deficit are both settled already (by set-off), so
    # BT-113 holds both and BT-115 = BT-112 − BT-113 is the amount transferred.
    prepaid = totals.commission_gross - totals.carried
    _el(summation, "ram:TotalPrepaidAmount", _amount(prepaid * sign))
    _el(summation, "ram:DuePayableAmount", _amount(totals.payout * sign))


def _cancelled_reference(settlement: etree._Element, note: CreditNote) -> None:
    if note.kind != KIND_CANCELLATION or not note.cancels_number:
        return
    referenced = _el(settlement, "ram:InvoiceReferencedDocument")
    _el(referenced, "ram:IssuerAssignedID", note.cancels_number)
    if note.cancels_issue_date is not None:
        _date(referenced, "ram:FormattedIssueDateTime", note.cancels_issue_date, qualified=True)


def facturx_xml(note: CreditNote) -> bytes:
    """The CII XML (Factur-X EN 16931) of the credit note, UTF-8, deterministic."""
    lines, breakdowns = _amounts(note)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    _document(root, note)
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for number, (line, net, category) in enumerate(lines, start=1):
        _line_item(transaction, number, line, net, category)
    _header_agreement(transaction, note)
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:PaymentReference", note.payout_reference)
    _el(settlement, "ram:InvoiceCurrencyCode", note.currency)
    _payment_means(settlement, note)
    _tax_breakdowns(settlement, breakdowns)
    _period_and_terms(settlement, note)
    line_total = sum((net for _, net, _ in lines), ZERO)
    tax_total = sum((b.vat for b in breakdowns), ZERO)
    _summation(settlement, note, line_total, tax_total)
    _cancelled_reference(settlement, note)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- validation -----------------------------------------------------------------------------


def _decimal(root: etree._Element, path: str) -> Decimal:
    found = root.find(path, NSMAP)
    if found is None or found.text is None:
        raise FacturXError(f"E-Rechnung: {path} fehlt")
    return Decimal(found.text)


def validate(xml: bytes) -> None:
    """Raise FacturXError unless `xml` is valid Factur-X (XSD) and its EN 16931 sums add up."""
    from facturx import xml_check_xsd

    try:
        xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as error:  # the package raises a bare Exception with the XSD message
        raise FacturXError(f"E-Rechnung entspricht nicht dem Schema: {error}") from error
    root = etree.fromstring(xml)
    sums = (
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
        "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    )
    line_total = _decimal(root, sums + "ram:LineTotalAmount")
    basis_total = _decimal(root, sums + "ram:TaxBasisTotalAmount")
    tax_total = _decimal(root, sums + "ram:TaxTotalAmount")
    grand_total = _decimal(root, sums + "ram:GrandTotalAmount")
    prepaid = _decimal(root, sums + "ram:TotalPrepaidAmount")
    due = _decimal(root, sums + "ram:DuePayableAmount")
    lines = root.findall(
        ".//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/"
        "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount",
        NSMAP,
    )
    taxes = root.findall(
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
        "ram:ApplicableTradeTax",
        NSMAP,
    )
    checks = [
        ("BR-CO-10 Summe der Positionen", sum((Decimal(e.text) for e in lines), ZERO), line_total),
        ("BR-CO-13 Steuerbasis", line_total, basis_total),
        (
            "BR-CO-14 Steuerbetrag",
            sum((_decimal(t, "ram:CalculatedAmount") for t in taxes), ZERO),
            tax_total,
        ),
        (
            "Steuerbasis je Kategorie",
            sum((_decimal(t, "ram:BasisAmount") for t in taxes), ZERO),
            basis_total,
        ),
        ("BR-CO-15 Gesamtbetrag", basis_total + tax_total, grand_total),
        ("BR-CO-16 Zahlbetrag", grand_total - prepaid, due),
    ]
    for name, computed, stated in checks:
        if computed != stated:
            raise FacturXError(f"E-Rechnung: {name} stimmt nicht ({computed} ≠ {stated})")


# --- PDF/A-3 embedding ----------------------------------------------------------------------

# factur-x stamps the PDF and its XMP with the current time; we restamp them with the issue
# date so the same note always gives the same bytes.
_XMP_STAMP = re.compile(
    rb"(<xmp:(?:CreateDate|ModifyDate)>)[^<]*(</xmp:(?:CreateDate|ModifyDate)>)"
)
_XMP_PRODUCER = re.compile(rb"(<pdf:Producer>)[^<]*(</pdf:Producer>)")
PRODUCER = "Miomente Partner-Portal"


def _pdf_dict(obj: object) -> DictionaryObject:
    """A PDF dictionary (through an indirect reference); anything else is a broken file."""
    from pypdf.generic import DictionaryObject, PdfObject

    resolved = obj.get_object() if isinstance(obj, PdfObject) else obj
    if not isinstance(resolved, DictionaryObject):
        raise FacturXError(f"Factur-X-PDF: Wörterbuch erwartet, {type(resolved).__name__} gefunden")
    return resolved


def embed_xml(pdf: bytes, note: CreditNote) -> bytes:
    """`pdf` as a Factur-X PDF/A-3 with the note's XML attached as factur-x.xml."""
    from facturx import generate_from_binary
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, NameObject, StreamObject, TextStringObject

    xml = facturx_xml(note)
    validate(xml)
    kind = "Storno-Gutschrift" if note.kind == KIND_CANCELLATION else "Gutschrift"
    combined = generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # validated above, with a German message
        pdf_metadata={
            "author": note.issuer.name,
            "keywords": "Factur-X, Gutschrift",
            "title": f"{kind} {note.number}",
            "subject": f"{kind} {note.number} an {note.recipient.name}",
        },
        lang="de-DE",
        xmp_compression=False,
    )
    stamp_day = note.issue_date.strftime("%Y%m%d")
    pdf_stamp = f"D:{stamp_day}000000+00'00'"
    xmp_stamp = note.issue_date.strftime("%Y-%m-%dT00:00:00+00:00").encode()

    writer = PdfWriter(clone_from=BytesIO(combined))
    writer.pdf_header = "%PDF-1.6"
    writer.add_metadata({"/CreationDate": pdf_stamp, "/ModDate": pdf_stamp, "/Producer": PRODUCER})
    metadata = writer.root_object["/Metadata"].get_object()
    embedded = _pdf_dict(_pdf_dict(writer.root_object["/Names"])["/EmbeddedFiles"])["/Names"]
    if not isinstance(metadata, StreamObject) or not isinstance(embedded, ArrayObject):
        raise FacturXError(f"Gutschrift {note.number}: Factur-X-PDF ohne XMP oder Anhang")
    data = _XMP_STAMP.sub(rb"\g<1>" + xmp_stamp + rb"\g<2>", metadata.get_data())
    data = _XMP_PRODUCER.sub(rb"\g<1>" + PRODUCER.encode() + rb"\g<2>", data)
    metadata.set_data(data)
    for filespec in embedded[1::2]:
        stream = filespec.get_object()["/EF"]["/F"].get_object()
        stream["/Params"][NameObject("/ModDate")] = TextStringObject(pdf_stamp)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
