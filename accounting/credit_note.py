"""The credit note (Gutschrift) as a German PDF: a pure function of a `CreditNote`.

A self-billing credit note is the partner's invoice, written by Miomente (§ 14 Abs. 2 S. 2
UStG), so it must carry everything § 14 Abs. 4 UStG asks of an invoice, and the word
"Gutschrift" (§ 14 Abs. 4 Nr. 10 UStG). The same document settles Miomente's commission, so the
commission is shown with its own VAT (or the reverse-charge note). What is printed where:

- page 1: sender line, the partner's address, Miomente's address and tax ids, the title, the
  number, issue date, service period, the partner's Steuernummer/USt-IdNr.;
- the lines (order, event date, course, tickets, partner VAT rate, gross; corrections marked),
  the table header repeated on every page;
- the totals: gross, the partner's VAT per rate (or the § 19 note), commission net, VAT on
  commission (or the reverse-charge note), commission gross, an offset earlier negative payout
  ("Verrechnung mit Gutschrift GS-…", only when there is one), amount paid out;
- every page: "Gutschrift GS-… · Seite n von m" in the footer.

The output is reproducible: the PDF dates come from the issue date and no clock or random id
enters the file, so rendering the same note twice gives the same bytes (an issued document can
be rebuilt and compared). With `embed_xml` (the default) the PDF is a Factur-X PDF/A-3 with the
CII XML of `accounting.facturx` attached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from fpdf import FPDF
from fpdf.enums import OutputIntentSubType, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.output import PDFICCProfile

from accounting.model import (
    KIND_CANCELLATION,
    VAT_REVERSE_CHARGE,
    VAT_SMALL_BUSINESS,
    VAT_STANDARD,
    CreditNote,
    CreditNoteLine,
    Party,
)
from core.i18n import day, money, month_label, number
from core.money import ZERO

FONT_DIR = Path(__file__).with_name("fonts")
FONT = "DejaVuSans"
# The document is German whatever the reader's UI language: it is a tax document for the
# German tax office, and its wording is what the law asks for.
DOC_LOCALE = "de"
HOME_COUNTRY = "DE"

TEXT_SMALL_BUSINESS = "Gemäß § 19 UStG wird keine Umsatzsteuer ausgewiesen."
TEXT_REVERSE_CHARGE = (
    "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 MwStSystRL)."
)
TEXT_SELF_BILLING = "Abrechnung im Gutschriftsverfahren nach § 14 Abs. 2 Satz 2 UStG."
CORRECTION_MARK = "Korrektur"

MARGIN = 18.0  # mm
GREY = (90, 90, 90)
LIGHT = (235, 235, 235)


def render_pdf(note: CreditNote, *, embed_xml: bool = True) -> bytes:
    """The credit note as PDF bytes; with `embed_xml` a Factur-X PDF/A-3 (factur-x.xml inside)."""
    pdf = _layout(note)
    raw = bytes(pdf.output())
    if not embed_xml:
        return raw
    # Imported here so that a plain PDF does not need the Factur-X stack.
    from accounting.facturx import embed_xml as _embed

    return _embed(raw, note)


def title(note: CreditNote) -> str:
    """The document's heading: "Gutschrift" or "Storno-Gutschrift"."""
    return "Storno-Gutschrift" if note.kind == KIND_CANCELLATION else "Gutschrift"


def cancellation_text(note: CreditNote) -> str | None:
    """ "Stornierung der Gutschrift GS-… vom …" for a cancellation document, else None."""
    if note.kind != KIND_CANCELLATION:
        return None
    text = f"Stornierung der Gutschrift {note.cancels_number or '–'}"
    if note.cancels_issue_date is not None:
        text += f" vom {day(note.cancels_issue_date, DOC_LOCALE)}"
    return text


def filename(note: CreditNote) -> str:
    """A download name such as `Gutschrift_GS-2026-00017.pdf`."""
    prefix = "Storno-Gutschrift" if note.kind == KIND_CANCELLATION else "Gutschrift"
    return f"{prefix}_{note.number}.pdf"


# --- formatting -----------------------------------------------------------------------------


def eur(amount: Decimal) -> str:
    return money(amount, DOC_LOCALE)


def rate_text(rate: Decimal) -> str:
    """19 % / 5,5 % / 7 % (no trailing zeros: the engine keeps rates as 19.00)."""
    value = Decimal(rate)
    digits = 0 if value == value.to_integral_value() else 1
    if digits and value * 10 != (value * 10).to_integral_value():
        digits = 2
    return f"{number(value, DOC_LOCALE, digits=digits)}\u00a0%"


def country_name(country_id: str) -> str:
    return Locale("de").territories.get(country_id.upper(), country_id.upper())


def address_lines(party: Party) -> list[str]:
    lines = [party.name, party.street, f"{party.postcode} {party.city}".strip()]
    if party.country_id.upper() != HOME_COUNTRY:
        lines.append(country_name(party.country_id))
    return [line for line in lines if line]


def tax_id_lines(party: Party) -> list[str]:
    lines = []
    if party.vat_id:
        lines.append(f"USt-IdNr.: {party.vat_id}")
    if party.tax_number:
        lines.append(f"Steuernummer: {party.tax_number}")
    return lines


def line_description(line: CreditNoteLine) -> str:
    if line.is_correction:
        return f"{CORRECTION_MARK}: {line.description}"
    return line.description


def period_text(note: CreditNote) -> str:
    return f"{day(note.period_start, DOC_LOCALE)} – {day(note.period_end, DOC_LOCALE)}"


def line_months_text(note: CreditNote) -> str | None:
    """ "Oktober 2026, November 2026" when the lines come from other months than the period's
    own (late-paid items, corrections); None when they all lie in it."""
    own = (note.period_start.year, note.period_start.month)
    if all((m.year, m.month) == own for m in note.line_months):
        return None
    return ", ".join(month_label(m, DOC_LOCALE) for m in note.line_months)


# --- layout ---------------------------------------------------------------------------------


@cache
def _srgb_profile() -> bytes:
    """An sRGB ICC profile for the PDF/A output intent, with a fixed header date.

    lcms stamps the profile with the current time; a fixed date keeps the PDF reproducible.
    """
    from PIL import ImageCms

    data = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # ICC header bytes 24..35: dateTimeNumber (year, month, day, hour, minute, second).
    data[24:36] = b"".join(v.to_bytes(2, "big") for v in (2000, 1, 1, 0, 0, 0))
    return bytes(data)


class _Document(FPDF):
    def __init__(self, note: CreditNote) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.note = note
        self.set_margins(MARGIN, 16, MARGIN)
        self.set_auto_page_break(auto=True, margin=22)
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.alias_nb_pages()
        # Reproducible output: the creation date is the issue date, not the clock.
        self.set_creation_date(
            datetime(note.issue_date.year, note.issue_date.month, note.issue_date.day, tzinfo=UTC)
        )
        self.set_producer("Miomente Partner-Portal")
        self.set_creator("Miomente Partner-Portal")
        self.set_lang("de-DE")
        self.set_title(f"{title(note)} {note.number}")
        self.set_author(note.issuer.name)
        self.set_subject(f"{title(note)} {note.number} an {note.recipient.name}")
        self.add_output_intent(
            OutputIntentSubType.PDFA,
            output_condition_identifier="sRGB",
            output_condition="sRGB IEC61966-2.1",
            registry_name="http://www.color.org",
            dest_output_profile=PDFICCProfile(contents=_srgb_profile(), n=3, alternate="DeviceRGB"),
            info="sRGB IEC61966-2.1",
        )

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{title(self.note)} {self.note.number} · {self.note.recipient.name}")
        self.ln(8)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, "", 8)
        self.set_text_color(*GREY)
        issuer = self.note.issuer
        self.cell(
            0,
            4,
            f"{issuer.name} · {issuer.street} · {issuer.postcode} {issuer.city}",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.cell(
            0,
            4,
            f"{title(self.note)} {self.note.number} · Seite {self.page_no()} von {{nb}}",
            align="R",
        )
        self.set_text_color(0, 0, 0)


def _layout(note: CreditNote) -> FPDF:
    pdf = _Document(note)
    pdf.add_page()
    _address_blocks(pdf, note)
    _heading(pdf, note)
    _lines_table(pdf, note)
    _totals(pdf, note)
    _notes(pdf, note)
    return pdf


def _address_blocks(pdf: _Document, note: CreditNote) -> None:
    issuer, recipient = note.issuer, note.recipient
    width = pdf.epw
    top = pdf.get_y()
    # Right column: the issuer (Miomente) with its tax ids.
    right_x = MARGIN + width * 0.58
    pdf.set_xy(right_x, top)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(width * 0.42, 5, "Aussteller der Gutschrift", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    issuer_lines = address_lines(issuer) + tax_id_lines(issuer)
    if issuer.email:
        issuer_lines.append(issuer.email)
    pdf.multi_cell(width * 0.42, 4.5, "\n".join(issuer_lines), new_x=XPos.LEFT, new_y=YPos.NEXT)
    right_bottom = pdf.get_y()
    # Left column: the sender line and the partner (recipient) as on an envelope window.
    pdf.set_xy(MARGIN, top)
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(*GREY)
    pdf.cell(
        width * 0.55,
        4,
        f"{issuer.name} · {issuer.street} · {issuer.postcode} {issuer.city}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", 10)
    pdf.ln(1)
    pdf.multi_cell(width * 0.55, 5, "\n".join(address_lines(recipient)), new_x=XPos.LMARGIN)
    pdf.set_y(max(pdf.get_y(), right_bottom) + 8)


def _heading(pdf: _Document, note: CreditNote) -> None:
    pdf.set_font(FONT, "B", 20)
    pdf.cell(0, 10, title(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*GREY)
    pdf.cell(0, 5, TEXT_SELF_BILLING, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    cancels = cancellation_text(note)
    if cancels:
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 6, cancels, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    facts: list[tuple[str, str]] = [
        ("Gutschrift-Nr.", note.number),
        ("Datum", day(note.issue_date, DOC_LOCALE)),
        ("Leistungszeitraum", period_text(note)),
    ]
    months = line_months_text(note)
    if months:
        facts.append(("Kurstermine aus", months))
    recipient = note.recipient
    if recipient.vat_id:
        facts.append(("Ihre USt-IdNr.", recipient.vat_id))
    if recipient.tax_number:
        facts.append(("Ihre Steuernummer", recipient.tax_number))
    if note.expected_payout_date is not None:
        facts.append(("Auszahlung am", day(note.expected_payout_date, DOC_LOCALE)))
    facts.append(("Verwendungszweck", note.payout_reference))
    pdf.set_font(FONT, "", 9.5)
    for label, value in facts:
        pdf.set_font(FONT, "B", 9.5)
        pdf.cell(42, 5, label)
        pdf.set_font(FONT, "", 9.5)
        pdf.multi_cell(0, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, "", 9.5)
    if note.kind == KIND_CANCELLATION:
        intro = (
            "Hiermit stornieren wir die oben genannte Gutschrift vollständig. "
            "Die folgenden Positionen werden rückgängig gemacht:"
        )
    else:
        intro = (
            "Für die im Leistungszeitraum durchgeführten und über Miomente verkauften Kurse "
            "schreiben wir Ihnen gut:"
        )
    pdf.multi_cell(0, 5, intro, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _lines_table(pdf: _Document, note: CreditNote) -> None:
    with_vat = note.vat_case == VAT_STANDARD
    headings = ["Bestellung", "Termin", "Kurs", "Tickets"]
    widths: list[float] = [24, 21, 0, 16]
    align = ["LEFT", "LEFT", "LEFT", "RIGHT"]
    if with_vat:
        headings.append("USt")
        widths.append(14)
        align.append("RIGHT")
    headings.append("Brutto")
    widths.append(26)
    align.append("RIGHT")
    widths[2] = pdf.epw - sum(widths)
    pdf.set_font(FONT, "", 8.5)
    with pdf.table(
        col_widths=widths,
        text_align=align,
        headings_style=FontFace(emphasis="BOLD", fill_color=LIGHT),
        borders_layout="HORIZONTAL_LINES",
        line_height=4.6,
        padding=(1, 1.2),
        repeat_headings=1,
        cell_fill_mode=TableCellFillMode.NONE,
        first_row_as_headings=True,
    ) as table:
        table.row(headings)
        for line in note.lines:
            cells = [
                line.order_number,
                day(line.event_date, DOC_LOCALE),
                line_description(line),
                number(line.tickets, DOC_LOCALE),
            ]
            if with_vat:
                cells.append(rate_text(line.vat_rate))
            cells.append(eur(line.gross))
            table.row(cells)
    if not note.lines:
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 6, "Keine Positionen.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if any(line.is_correction for line in note.lines):
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(
            0,
            4,
            f"„{CORRECTION_MARK}“: Erstattung oder Stornierung nach einer bereits erfolgten "
            "Auszahlung; wird mit dieser Gutschrift verrechnet.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)
    pdf.ln(4)


def totals_rows(note: CreditNote) -> list[tuple[str, str, bool]]:
    """(label, amount, bold) of the totals block: what the accountant checks."""
    totals = note.totals
    rows: list[tuple[str, str, bool]] = [("Summe Kursumsatz (brutto)", eur(totals.gross), True)]
    if note.vat_case == VAT_STANDARD:
        for part in totals.revenue_vat:
            rows.append(
                (
                    f"darin Umsatzsteuer {rate_text(part.rate)} auf {eur(part.net)} netto",
                    eur(part.vat),
                    False,
                )
            )
    rows.append(("Vermittlungsprovision Miomente (netto)", eur(-totals.commission_net), False))
    if note.vat_case == VAT_REVERSE_CHARGE and not totals.commission_vat:
        rows.append(("Umsatzsteuer auf Provision (Reverse Charge)", eur(ZERO), False))
    else:
        rows.append(
            (
                f"zzgl. Umsatzsteuer {rate_text(totals.commission_vat_rate)} auf Provision",
                eur(-totals.commission_vat),
                False,
            )
        )
    rows.append(("Provision brutto", eur(-totals.commission_gross), False))
    if totals.carried:
        rows.append((carried_label(note), eur(totals.carried), False))
    rows.append(("Auszahlungsbetrag", eur(totals.payout), True))
    return rows


def carried_label(note: CreditNote) -> str:
    """ "Verrechnung mit Gutschrift GS-…": the earlier negative payout(s) offset here."""
    noun = "Gutschriften" if len(note.carried_from) > 1 else "Gutschrift"
    return f"Verrechnung mit {noun} {', '.join(note.carried_from) or '–'}"


def _totals(pdf: _Document, note: CreditNote) -> None:
    rows = totals_rows(note)
    # Keep the totals and the notes below them together on one page: otherwise the last
    # sentence of the notes can end up alone on a page of its own.
    if pdf.get_y() + 6 * len(rows) + 4 + _notes_height(pdf, note) > pdf.page_break_trigger:
        pdf.add_page()
    label_w = pdf.epw - 38
    for label, amount, bold in rows:
        if label == "Auszahlungsbetrag":
            pdf.set_draw_color(0, 0, 0)
            pdf.line(MARGIN + label_w - 40, pdf.get_y(), MARGIN + pdf.epw, pdf.get_y())
            pdf.ln(0.8)
        pdf.set_font(FONT, "B" if bold else "", 10 if bold else 9)
        pdf.cell(label_w, 6, label, align="R")
        pdf.cell(38, 6, amount, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _notes_texts(note: CreditNote) -> list[str]:
    texts: list[str] = []
    if note.vat_case == VAT_SMALL_BUSINESS:
        texts.append(TEXT_SMALL_BUSINESS)
    if note.vat_case == VAT_REVERSE_CHARGE:
        texts.append("Die Vermittlungsprovision wird netto berechnet. " + TEXT_REVERSE_CHARGE)
    texts.append(
        "Die Vermittlungsprovision ist die Leistung von Miomente an Sie; sie wird mit Ihrem "
        "Kursumsatz verrechnet. Der Auszahlungsbetrag wird auf Ihr hinterlegtes Konto überwiesen."
    )
    if note.totals.carried:
        texts.append(
            "Verrechnung: Der Betrag, der aus der genannten früheren Gutschrift zugunsten von "
            "Miomente offen war, ist mit dieser Gutschrift ausgeglichen."
        )
    if note.kind != KIND_CANCELLATION and note.totals.payout < 0:
        texts.append(
            "Der Auszahlungsbetrag ist negativ: Er wird mit Ihrer nächsten Auszahlung verrechnet."
        )
    if note.recipient.iban:
        texts.append(f"Empfängerkonto: IBAN {_iban_grouped(note.recipient.iban)}")
    texts.append("Bitte prüfen Sie diese Gutschrift und melden Sie uns Abweichungen umgehend.")
    return texts


_NOTE_LINE = 4.4
_NOTE_GAP = 1.2


def _notes_height(pdf: _Document, note: CreditNote) -> float:
    pdf.set_font(FONT, "", 8.5)
    texts = _notes_texts(note)
    lines = 0
    for text in texts:
        wrapped = pdf.multi_cell(0, _NOTE_LINE, text, dry_run=True, output="LINES")
        lines += len(wrapped) if isinstance(wrapped, list) else 1
    return lines * _NOTE_LINE + len(texts) * _NOTE_GAP


def _notes(pdf: _Document, note: CreditNote) -> None:
    pdf.set_font(FONT, "", 8.5)
    for text in _notes_texts(note):
        pdf.multi_cell(0, _NOTE_LINE, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(_NOTE_GAP)


def _iban_grouped(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


__all__ = [
    "cancellation_text",
    "carried_label",
    "filename",
    "line_months_text",
    "render_pdf",
    "title",
    "totals_rows",
]
