"""The credit-note PDF and its embedded Factur-X XML, as a partner and an accountant see them."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from accounting.credit_note import render_pdf
from accounting.facturx import NSMAP, FacturXError, facturx_xml, validate
from accounting.model import (
    KIND_CANCELLATION,
    KIND_CREDIT_NOTE,
    VAT_REVERSE_CHARGE,
    VAT_SMALL_BUSINESS,
    VAT_STANDARD,
    CreditNote,
    CreditNoteLine,
    Party,
)
from accounting.money import commission, line_vat_rate, settle

D = Decimal

MIOMENTE = Party(
    name="Miomente GmbH",
    street="Hanauer Landstraße 1",
    postcode="60314",
    city="Frankfurt am Main",
    country_id="DE",
    vat_id="DE811234567",
    tax_number="045 228 12345",
    iban="DE89370400440532013000",
    bic="COBADEFFXXX",
)
PARTNER_DE = Party(
    name="Kochschule Müßig & Söhne",
    street="Große Bleichen 12",
    postcode="20354",
    city="Hamburg",
    country_id="DE",
    tax_number="22/815/08151",
    iban="DE02120300000000202051",
    bic="BYLADEM1001",
)
PARTNER_AT = Party(
    name="Kochstudio Grünblatt GmbH",
    street="Mariahilfer Straße 7",
    postcode="1060",
    city="Wien",
    country_id="AT",
    vat_id="ATU12345678",
    iban="AT611904300234573201",
)


def make_line(
    index: int,
    gross: str,
    case: str,
    *,
    rate: str = "19",
    tickets: int = 1,
    correction: bool = False,
    description: str = "Pasta-Kurs für Anfänger",
) -> CreditNoteLine:
    amount = D(gross)
    return CreditNoteLine(
        order_number=f"1000{index:05d}",
        item_id=index,
        event_date=date(2026, 10, 1 + index % 28),
        description=description,
        tickets=tickets,
        gross=amount,
        vat_rate=line_vat_rate(case, D(rate)),
        commission_rate=D("20"),
        commission_net=commission(amount, D("20")),
        is_correction=correction,
    )


def make_note(
    case: str = VAT_STANDARD,
    *,
    lines: tuple[CreditNoteLine, ...] | None = None,
    kind: str = KIND_CREDIT_NOTE,
    number: str = "GS-2026-00017",
) -> CreditNote:
    if lines is None:
        lines = (
            make_line(1, "1234.56", case, tickets=4),
            make_line(2, "89.00", case, rate="7", description="Sushi & Bärlauch"),
            make_line(3, "-59.00", case, tickets=-1, correction=True, description="Grillkurs"),
        )
    return CreditNote(
        number=number,
        kind=kind,
        issue_date=date(2026, 11, 6),
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        issuer=MIOMENTE,
        recipient=PARTNER_AT if case == VAT_REVERSE_CHARGE else PARTNER_DE,
        vat_case=case,
        lines=lines,
        totals=settle(lines, case),
        payout_reference="Auszahlung 2026-10 Kochschule Müßig",
        expected_payout_date=date(2026, 11, 6),
        cancels_number="GS-2026-00011" if kind == KIND_CANCELLATION else None,
        cancels_issue_date=date(2026, 10, 7) if kind == KIND_CANCELLATION else None,
    )


def pdf_text(pdf: bytes) -> list[str]:
    """The text of each page, with non-breaking spaces as plain spaces (as a reader sees it)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text().replace("\u00a0", " ") for page in reader.pages]


def embedded_xml(pdf: bytes) -> etree._Element:
    name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert name == "factur-x.xml"
    validate(xml)
    return etree.fromstring(xml)


def amount(root: etree._Element, tag: str) -> Decimal:
    found = root.find(f".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{tag}", NSMAP)
    assert found is not None, tag
    return D(found.text)


@pytest.fixture(scope="module")
def standard_pdf() -> bytes:
    return render_pdf(make_note())


def test_standard_credit_note_shows_what_the_law_asks(standard_pdf: bytes) -> None:
    text = "\n".join(pdf_text(standard_pdf))
    for expected in (
        "Gutschrift",
        "GS-2026-00017",
        "Kochschule Müßig & Söhne",  # recipient, umlauts and ß intact
        "Große Bleichen 12",
        "20354 Hamburg",
        "Miomente GmbH",
        "Hanauer Landstraße 1",
        "60314 Frankfurt am Main",
        "USt-IdNr.: DE811234567",  # Miomente's VAT id
        "Ihre Steuernummer 22/815/08151",  # the partner's tax number
        "Datum 06.11.2026",
        "Leistungszeitraum 01.10.2026 – 31.10.2026",
        "100000001",
        "02.10.2026",  # event date of a line
        "Pasta-Kurs für Anfänger",
        "1.234,56 €",
        "Korrektur: Grillkurs",
        "-59,00 €",
        "Summe Kursumsatz (brutto) 1.264,56 €",
        "Vermittlungsprovision Miomente (netto) -252,91 €",
        "zzgl. Umsatzsteuer 19 % auf Provision -48,05 €",
        "Provision brutto -300,96 €",
        "Auszahlungsbetrag 963,60 €",
        "§ 14 Abs. 2 Satz 2 UStG",
    ):
        assert expected in text, expected
    # The partner's VAT is shown per rate, included in the gross.
    assert "darin Umsatzsteuer 7 % auf 83,18 € netto 5,82 €" in text
    assert "darin Umsatzsteuer 19 % auf 987,87 € netto 187,69 €" in text
    assert "§ 19 UStG" not in text
    assert "Reverse Charge" not in text
    assert "Seite 1 von 1" in text


def test_small_business_partner_gets_the_paragraph_19_note_and_no_partner_vat() -> None:
    text = "\n".join(pdf_text(render_pdf(make_note(VAT_SMALL_BUSINESS))))
    assert "Gemäß § 19 UStG wird keine Umsatzsteuer ausgewiesen" in text
    assert "darin Umsatzsteuer" not in text
    # Miomente's commission still carries German VAT.
    assert "zzgl. Umsatzsteuer 19 % auf Provision" in text
    assert "Reverse Charge" not in text


def test_reverse_charge_commission_is_net_with_the_note() -> None:
    note = make_note(VAT_REVERSE_CHARGE)
    text = "\n".join(pdf_text(render_pdf(note)))
    assert (
        "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 MwStSystRL)"
        in (text.replace("\n", " "))
    )
    assert "Ihre USt-IdNr. ATU12345678" in text
    assert "Österreich" in text
    assert "Provision brutto -252,91 €" in text  # net = gross: no VAT on the commission
    assert "§ 19 UStG" not in text
    assert "darin Umsatzsteuer" not in text


def test_cancellation_names_the_cancelled_note() -> None:
    original = make_note()
    negated = tuple(
        make_line(i + 1, str(-line.gross), VAT_STANDARD, rate=str(line.vat_rate))
        for i, line in enumerate(original.lines)
    )
    note = make_note(lines=negated, kind=KIND_CANCELLATION, number="GS-2026-00020")
    pdf = render_pdf(note)
    text = "\n".join(pdf_text(pdf))
    assert "Storno-Gutschrift" in text
    assert "Stornierung der Gutschrift GS-2026-00011 vom 07.10.2026" in text
    assert "GS-2026-00020" in text
    assert "Auszahlungsbetrag -963,60 €" in text
    root = embedded_xml(pdf)
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NSMAP) == "261"
    referenced = root.find(".//ram:InvoiceReferencedDocument", NSMAP)
    assert referenced.findtext("ram:IssuerAssignedID", namespaces=NSMAP) == "GS-2026-00011"
    # A credit note carries positive amounts; the type code says it reverses.
    assert amount(root, "GrandTotalAmount") == D("1264.56")
    assert amount(root, "DuePayableAmount") == D("963.60")


def test_many_lines_run_over_pages_with_the_header_repeated() -> None:
    lines = tuple(make_line(i, f"{50 + i}.00", VAT_STANDARD) for i in range(1, 121))
    pages = pdf_text(render_pdf(make_note(lines=lines)))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Seite {number} von {len(pages)}" in page
        assert "Bestellung Termin Kurs Tickets USt Brutto" in page
    every = "\n".join(pages)
    assert all(line.order_number in every for line in lines)
    assert "Auszahlungsbetrag" in pages[-1]


def test_embedded_xml_validates_and_matches_the_totals(standard_pdf: bytes) -> None:
    note = make_note()
    root = embedded_xml(standard_pdf)
    totals = note.totals
    assert root.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NSMAP) == note.number
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NSMAP) == "389"
    seller = root.find(".//ram:SellerTradeParty", NSMAP)
    buyer = root.find(".//ram:BuyerTradeParty", NSMAP)
    assert seller.findtext("ram:Name", namespaces=NSMAP) == "Kochschule Müßig & Söhne"
    assert buyer.findtext("ram:Name", namespaces=NSMAP) == "Miomente GmbH"
    assert amount(root, "GrandTotalAmount") == totals.gross
    assert amount(root, "TaxTotalAmount") == sum(part.vat for part in totals.revenue_vat)
    assert amount(root, "TaxBasisTotalAmount") == sum(part.net for part in totals.revenue_vat)
    assert amount(root, "TotalPrepaidAmount") == totals.commission_gross
    assert amount(root, "DuePayableAmount") == totals.payout
    rates = {
        D(tax.findtext("ram:RateApplicablePercent", namespaces=NSMAP)): tax
        for tax in root.findall(
            ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NSMAP
        )
    }
    assert set(rates) == {D("7.00"), D("19.00")}


@pytest.mark.parametrize(
    ("case", "category"),
    [(VAT_SMALL_BUSINESS, "E"), (VAT_REVERSE_CHARGE, "AE")],
)
def test_xml_vat_category_follows_the_partners_case(case: str, category: str) -> None:
    note = make_note(case)
    xml = facturx_xml(note)
    validate(xml)
    root = etree.fromstring(xml)
    taxes = root.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NSMAP)
    assert [tax.findtext("ram:CategoryCode", namespaces=NSMAP) for tax in taxes] == [category]
    assert taxes[0].findtext("ram:ExemptionReason", namespaces=NSMAP)
    assert amount(root, "TaxTotalAmount") == D("0.00")
    assert amount(root, "GrandTotalAmount") == note.totals.gross
    assert amount(root, "DuePayableAmount") == note.totals.payout


def test_line_nets_add_up_to_the_breakdown_despite_rounding() -> None:
    # 3 × 10,00 € at 19 %: each line 8,40 € net, but the rate's net is 25,21 €.
    lines = tuple(make_line(i, "10.00", VAT_STANDARD) for i in range(1, 4))
    xml = facturx_xml(make_note(lines=lines))
    validate(xml)
    root = etree.fromstring(xml)
    assert amount(root, "LineTotalAmount") == D("25.21")
    assert amount(root, "TaxTotalAmount") == D("4.79")


def test_inconsistent_totals_are_refused() -> None:
    note = make_note()
    broken = CreditNote(**{**note.__dict__, "totals": settle(note.lines[:1], VAT_STANDARD)})
    with pytest.raises(FacturXError):
        facturx_xml(broken)


def test_same_note_gives_the_same_bytes(standard_pdf: bytes) -> None:
    again = render_pdf(make_note())
    assert again == standard_pdf
    info = PdfReader(io.BytesIO(standard_pdf)).metadata
    assert info["/CreationDate"].startswith("D:20261106")  # the issue date, not the clock
    assert PdfReader(io.BytesIO(standard_pdf)).pdf_header == "%PDF-1.6"


def _with_carried(note: CreditNote, carried: str, numbers: tuple[str, ...]) -> CreditNote:
    totals = settle(note.lines, note.vat_case, D(carried))
    return CreditNote(**{**note.__dict__, "totals": totals, "carried_from": numbers})


@pytest.mark.parametrize("case", [VAT_STANDARD, VAT_REVERSE_CHARGE])
def test_an_offset_earlier_deficit_is_shown_and_settled_in_the_xml(case: str) -> None:
    from accounting.credit_note import totals_rows

    plain = make_note(case)
    note = _with_carried(plain, "-12.34", ("GS-2026-00012",))
    assert note.totals.payout == plain.totals.payout - D("12.34")
    rows = totals_rows(note)
    labels = [label for label, _amount, _bold in rows]
    # The Verrechnung comes right before the amount paid out.
    assert labels[-2:] == ["Verrechnung mit Gutschrift GS-2026-00012", "Auszahlungsbetrag"]
    assert rows[-2][1].replace("\u00a0", " ") == "-12,34 €"
    pdf = render_pdf(note)
    assert "Verrechnung mit Gutschrift GS-2026-00012" in "\n".join(pdf_text(pdf))
    root = embedded_xml(pdf)  # validates
    assert amount(root, "GrandTotalAmount") == note.totals.gross
    assert amount(root, "TotalPrepaidAmount") == note.totals.commission_gross + D("12.34")
    assert amount(root, "DuePayableAmount") == note.totals.payout
    notes = [e.text for e in root.iterfind(".//ram:IncludedNote/ram:Content", NSMAP)]
    assert any(n.startswith("Verrechnung mit Gutschrift GS-2026-00012: -12.34 EUR") for n in notes)
    # Two offsets: one line naming both; a note without an offset has no such line.
    both = _with_carried(plain, "-20", ("GS-2026-00012", "GS-2026-00015"))
    assert totals_rows(both)[-2][0] == "Verrechnung mit Gutschriften GS-2026-00012, GS-2026-00015"
    assert not any(label.startswith("Verrechnung") for label, _a, _b in totals_rows(plain))


def test_a_cancellation_reverses_the_offset_and_validates() -> None:
    lines = tuple(
        CreditNoteLine(
            **{**line.__dict__, "gross": -line.gross, "commission_net": -line.commission_net}
        )
        for line in make_note().lines
    )
    note = _with_carried(
        make_note(kind=KIND_CANCELLATION, lines=lines), "12.34", ("GS-2026-00012",)
    )
    xml = facturx_xml(note)
    validate(xml)
    root = etree.fromstring(xml)
    assert amount(root, "DuePayableAmount") == -note.totals.payout
    # A payout that does not add up with its offset is refused.
    from dataclasses import replace

    broken = replace(note, totals=replace(note.totals, carried=D("1")))
    with pytest.raises(FacturXError):
        facturx_xml(broken)


def test_no_page_holds_only_the_last_sentences() -> None:
    # Whatever the number of lines, the totals and every note below them share a page:
    # before, one line count in every page's worth left "Bitte prüfen …" alone on a page.
    for count in range(30, 75):
        lines = tuple(make_line(i, f"{50 + i}.00", VAT_STANDARD) for i in range(1, count + 1))
        pages = pdf_text(render_pdf(make_note(lines=lines), embed_xml=False))
        tail = pages[-1]
        assert "Auszahlungsbetrag" in tail and "Bitte prüfen" in tail, count
        assert "Empfängerkonto" in tail or "Vermittlungsprovision ist" in tail, count


def test_the_period_names_the_months_its_lines_come_from() -> None:
    october = make_note()
    assert "Kurstermine aus" not in pdf_text(render_pdf(october, embed_xml=False))[0]
    late = replace(october, line_months=(date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)))
    first = pdf_text(render_pdf(late, embed_xml=False))[0]
    assert "Leistungszeitraum 01.10.2026 – 31.10.2026" in first
    assert "Kurstermine aus August 2026, September 2026, Oktober 2026" in first
