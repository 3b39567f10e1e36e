"""DATEV "EXTF" Buchungsstapel (format 700, category 21, version 13) for the accountant.

The file DATEV Rechnungswesen imports: line 1 the EXTF header (who, which client, which fiscal
year and period), line 2 the 125 column headings of a booking batch, then one row per booking.
Semicolon-separated, text fields in double quotes, numbers unquoted with a decimal comma and no
thousands separator, Windows-1252 (DATEV's encoding; characters outside it are transliterated
so the import never fails on an exotic letter), CRLF line ends.

A booking row is one double entry: `Umsatz` (always positive) moves from one account to the
other; `S`/`H` says whether `Konto` is debited (S, "Soll") or credited (H, "Haben"), the
`Gegenkonto` gets the opposite side. A negative amount is written as the positive amount with
the sides swapped, as DATEV wants.

How a credit note is booked in Miomente's books (`datev_bookings_for`, SKR03 defaults in
`DatevAccounts`, to be confirmed by the tax advisor):

1. Kursumsatz: the customers' money Miomente collected for the partner is a pass-through item;
   it becomes the partner's claim: Soll 1590 Durchlaufende Posten / Haben partner creditor,
   gross.
2. Vermittlungsprovision: Miomente's revenue, settled against the partner's claim:
   Soll creditor / Haben 8400 "Erlöse 19 % USt", commission gross. 8400 is a DATEV automatic
   account (it splits off the 19 % VAT to 1776 itself), so the VAT is inside this row. With
   `DatevAccounts.separate_vat=True` (for a non-automatic revenue account) the row is net and
   the VAT is its own row: Soll creditor / Haben 1776 Umsatzsteuer 19 %.
   Reverse charge: Haben 8336 "Erlöse aus im anderen EU-Land steuerpflichtigen sonstigen
   Leistungen (§ 13b)", net, no VAT.
3. Optionally (`with_payment=True`) the transfer: Soll creditor / Haben 1200 Bank, payout — off
   by default because the bank statement import usually books it.

After 1 and 2 the creditor account shows the balance owed to the partner: this payout, less a
negative earlier payout it offsets (that one was booked as a debit when it was issued).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from accounting.model import VAT_REVERSE_CHARGE, CreditNote
from core.clock import now_utc
from core.money import is_cents, to_money

FORMAT_MARK = "EXTF"
FORMAT_VERSION = 700
CATEGORY_BOOKINGS = 21
CATEGORY_NAME = "Buchungsstapel"
CATEGORY_VERSION = 13
ENCODING = "cp1252"
NEWLINE = "\r\n"
MAX_TEXT = 60  # Buchungstext
MAX_DOCUMENT_FIELD = 36  # Belegfeld 1
MAX_DESCRIPTION = 30  # Bezeichnung of the batch
APPLICATION = "Miomente Partner-Portal"  # "Exportiert von", at most 25 characters
ORIGIN = "RE"  # Herkunft: two letters identifying the source system

# The 125 column headings of a booking batch, format version 13, in DATEV's order and spelling.
COLUMNS: tuple[str, ...] = (
    "Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs",
    "Basis-Umsatz", "WKZ Basis-Umsatz", "Konto", "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext",
    "Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt",
    "Zinssperre", "Beleglink",
    *(f"Beleginfo - {kind} {n}" for n in range(1, 9) for kind in ("Art", "Inhalt")),
    "KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)", "EU-Steuersatz (Bestimmung)", "Abw. Versteuerungsart",
    "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer", "BU 49 Funktionsergänzung",
    *(
        heading
        for n in range(1, 21)
        for heading in (f"Zusatzinformation - Art {n}", f"Zusatzinformation- Inhalt {n}")
    ),
    "Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr",
    "Zugeordnete Fälligkeit", "Skontotyp", "Auftragsnummer", "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)", "EU-Land (Anzahlungen)", "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz", "Buchungs GUID",
    "KOST-Datum", "SEPA-Mandatsreferenz", "Skontosperre", "Gesellschaftername",
    "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer", "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung", "Festschreibung",
    "Leistungsdatum", "Datum Zuord. Steuerperiode", "Fälligkeit", "Generalumkehr (GU)",
    "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position",
    "EU-Land u. UStID (Ursprung)", "EU-Steuersatz (Ursprung)", "Abw. Skontokonto",
)  # fmt: skip
_COLUMN = {name: index for index, name in enumerate(COLUMNS)}
# Columns DATEV types as text (written in quotes); every other column is a number or a date.
_TEXT_COLUMNS = frozenset(
    [
        *(2, 3, 6, 9, 11, 12, 14, 16, 20, *range(21, 39), 40, 42, *range(48, 88)),
        *(91, 95, 96, 98, 102, 103, 105, 107, 109, 110, 112, 118, 120, 121, 123),
    ]
)  # 1-based, as in DATEV's format description

_DOCUMENT_FIELD_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9$&%*+\-/._]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class DatevBooking:
    """One row of the batch: `amount` moves between `account` and `contra_account`."""

    amount: Decimal  # > 0 (a negative amount is written with S/H swapped)
    debit_credit: str  # "S": `account` is debited, "H": `account` is credited
    account: str  # Konto
    contra_account: str  # Gegenkonto (ohne BU-Schlüssel)
    document_date: date  # Belegdatum (written as DDMM)
    document_field_1: str  # Belegfeld 1: the credit-note number
    text: str  # Buchungstext, at most 60 characters
    bu_key: str = ""  # BU-Schlüssel (tax key); empty with automatic accounts
    document_field_2: str = ""
    service_date: date | None = None  # Leistungsdatum
    currency: str = "EUR"


@dataclass(frozen=True)
class DatevAccounts:
    """SKR03 accounts for credit-note bookings; override any of them per client."""

    collected_revenue: str = "1590"  # Durchlaufende Posten: customer money held for partners
    partner_creditor: str = "70000"  # Kreditor; pass the partner's own number per call
    commission_revenue: str = "8400"  # Erlöse 19 % USt (automatic account)
    commission_revenue_reverse_charge: str = "8336"  # Erlöse § 13b, other EU country
    commission_vat: str = "1776"  # Umsatzsteuer 19 %
    bank: str = "1200"  # Bank
    separate_vat: bool = False  # True: revenue row net + own VAT row (non-automatic account)
    chart: str = "03"  # Sachkontenrahmen in the header (SKR03)


def booking(
    amount: Decimal,
    *,
    debit: str,
    credit: str,
    document_date: date,
    document_field_1: str,
    text: str,
    service_date: date | None = None,
    bu_key: str = "",
) -> DatevBooking | None:
    """The row that debits `debit` and credits `credit` by `amount`; None for 0.

    A negative amount reverses the direction, so Umsatz stays positive as DATEV requires.
    """
    amount = Decimal(amount)
    if amount == 0:
        return None
    if amount < 0:
        debit, credit, amount = credit, debit, -amount
    return DatevBooking(
        amount=amount,
        debit_credit="S",
        account=debit,
        contra_account=credit,
        document_date=document_date,
        document_field_1=document_field_1,
        text=text,
        bu_key=bu_key,
        service_date=service_date,
    )


def datev_bookings_for(
    note: CreditNote,
    *,
    accounts: DatevAccounts | None = None,
    creditor_account: str | None = None,
    with_payment: bool = False,
) -> list[DatevBooking]:
    """The bookings of one credit note in Miomente's books (see the module doc)."""
    accounts = accounts or DatevAccounts()
    creditor = creditor_account or accounts.partner_creditor
    totals = note.totals
    partner = note.recipient.name
    # Every row of the note shares its document date, number and service date.
    book = partial(
        booking,
        document_date=note.issue_date,
        document_field_1=note.number,
        service_date=note.period_end,
    )
    reverse_charge = note.vat_case == VAT_REVERSE_CHARGE
    rows = [
        book(
            totals.gross,
            debit=accounts.collected_revenue,
            credit=creditor,
            text=f"Kursumsatz {note.number} {partner}",
        )
    ]
    if reverse_charge:
        rows.append(
            book(
                totals.commission_gross,
                debit=creditor,
                credit=accounts.commission_revenue_reverse_charge,
                text=f"Provision §13b {note.number} {partner}",
            )
        )
    elif accounts.separate_vat:
        rows.append(
            book(
                totals.commission_net,
                debit=creditor,
                credit=accounts.commission_revenue,
                text=f"Provision netto {note.number} {partner}",
            )
        )
        rows.append(
            book(
                totals.commission_vat,
                debit=creditor,
                credit=accounts.commission_vat,
                text=f"USt Provision {note.number} {partner}",
            )
        )
    else:
        rows.append(
            book(
                totals.commission_gross,
                debit=creditor,
                credit=accounts.commission_revenue,
                text=f"Provision {note.number} {partner}",
            )
        )
    if with_payment:
        rows.append(
            book(
                totals.payout,
                debit=creditor,
                credit=accounts.bank,
                text=f"Auszahlung {note.number} {partner}",
            )
        )
    return [row for row in rows if row is not None]


# --- the file -------------------------------------------------------------------------------


def cp1252_text(text: str) -> str:
    """`text` with every character DATEV's Windows-1252 cannot hold transliterated."""
    from text_unidecode import unidecode

    out = []
    for char in _CONTROL.sub(" ", text or ""):
        try:
            char.encode(ENCODING)
            out.append(char)
        except UnicodeEncodeError:
            out.append(unidecode(char))
    return "".join(out)


def german_decimal(amount: Decimal) -> str:
    """1234.5 -> 1234,50: decimal comma, no thousands separator (DATEV's number format)."""
    return f"{to_money(amount):.2f}".replace(".", ",")


def document_field(text: str) -> str:
    """Belegfeld 1: DATEV allows letters, digits and $ & % * + - / (we also keep . and _)."""
    return _DOCUMENT_FIELD_NOT_ALLOWED.sub("", cp1252_text(text))[:MAX_DOCUMENT_FIELD]


def _quoted(text: str) -> str:
    return '"' + cp1252_text(text).replace('"', '""') + '"'


def _header(
    *,
    created_at: datetime,
    consultant_number: int,
    client_number: int,
    fiscal_year_start: date,
    account_length: int,
    period_start: date,
    period_end: date,
    description: str,
    initials: str,
    chart: str,
    locked: bool,
) -> str:
    stamp = created_at.strftime("%Y%m%d%H%M%S") + f"{created_at.microsecond // 1000:03d}"
    fields = [
        _quoted(FORMAT_MARK),  # 1 Kennzeichen
        str(FORMAT_VERSION),  # 2 Versionsnummer
        str(CATEGORY_BOOKINGS),  # 3 Formatkategorie
        _quoted(CATEGORY_NAME),  # 4 Formatname
        str(CATEGORY_VERSION),  # 5 Formatversion
        stamp,  # 6 Erzeugt am
        "",  # 7 Importiert (DATEV fills it)
        _quoted(ORIGIN),  # 8 Herkunft
        _quoted(APPLICATION[:25]),  # 9 Exportiert von
        _quoted(""),  # 10 Importiert von
        str(consultant_number),  # 11 Beraternummer
        str(client_number),  # 12 Mandantennummer
        fiscal_year_start.strftime("%Y%m%d"),  # 13 WJ-Beginn
        str(account_length),  # 14 Sachkontenlänge
        period_start.strftime("%Y%m%d"),  # 15 Datum vom
        period_end.strftime("%Y%m%d"),  # 16 Datum bis
        _quoted(cp1252_text(description)[:MAX_DESCRIPTION]),  # 17 Bezeichnung
        _quoted(initials[:2]),  # 18 Diktatkürzel
        "1",  # 19 Buchungstyp: Finanzbuchführung
        "0",  # 20 Rechnungslegungszweck: unabhängig
        "1" if locked else "0",  # 21 Festschreibung
        _quoted("EUR"),  # 22 WKZ
        "",  # 23 reserviert
        _quoted(""),  # 24 Derivatskennzeichen
        "",  # 25 reserviert
        "",  # 26 reserviert
        _quoted(chart),  # 27 Sachkontenrahmen
        "",  # 28 ID der Branchenlösung
        "",  # 29 reserviert
        _quoted(""),  # 30 reserviert
        _quoted(""),  # 31 Anwendungsinformation
    ]
    return ";".join(fields)


def _row(entry: DatevBooking) -> str:
    values = [""] * len(COLUMNS)

    def put(column: str, value: str) -> None:
        values[_COLUMN[column]] = value

    put("Umsatz (ohne Soll/Haben-Kz)", german_decimal(entry.amount))
    put("Soll/Haben-Kennzeichen", entry.debit_credit)
    put("WKZ Umsatz", entry.currency)
    put("Konto", entry.account)
    put("Gegenkonto (ohne BU-Schlüssel)", entry.contra_account)
    put("BU-Schlüssel", entry.bu_key)
    put("Belegdatum", entry.document_date.strftime("%d%m"))
    put("Belegfeld 1", document_field(entry.document_field_1))
    put("Belegfeld 2", document_field(entry.document_field_2))
    put("Buchungstext", cp1252_text(entry.text).strip()[:MAX_TEXT])
    if entry.service_date is not None:
        put("Leistungsdatum", entry.service_date.strftime("%d%m%Y"))
    cells = []
    for index, value in enumerate(values, start=1):
        cells.append(_quoted(value) if index in _TEXT_COLUMNS else value)
    return ";".join(cells)


def _check(entry: DatevBooking, period_start: date, period_end: date) -> None:
    if entry.amount <= 0:
        raise ValueError(f"Buchung {entry.document_field_1}: Umsatz muss größer als 0 sein")
    if not is_cents(entry.amount):
        raise ValueError(
            f"Buchung {entry.document_field_1}: Umsatz hat mehr als zwei Nachkommastellen"
        )
    if entry.debit_credit not in ("S", "H"):
        raise ValueError(f"Buchung {entry.document_field_1}: Soll/Haben-Kennzeichen ist S oder H")
    if not entry.account.isdigit() or not entry.contra_account.isdigit():
        raise ValueError(f"Buchung {entry.document_field_1}: Konto und Gegenkonto sind Ziffern")
    if not period_start <= entry.document_date <= period_end:
        raise ValueError(
            f"Buchung {entry.document_field_1}: Belegdatum {entry.document_date:%d.%m.%Y} liegt "
            f"nicht im Zeitraum {period_start:%d.%m.%Y}–{period_end:%d.%m.%Y}"
        )


def extf_csv(
    *,
    bookings: Sequence[DatevBooking],
    consultant_number: int,
    client_number: int,
    fiscal_year_start: date,
    period_start: date,
    period_end: date,
    description: str,
    account_length: int = 4,
    initials: str = "MP",
    chart: str = "03",
    locked: bool = False,
    created_at: datetime | None = None,
) -> bytes:
    """The booking batch as DATEV EXTF CSV bytes (Windows-1252, CRLF).

    Raises ValueError (German message) when DATEV would refuse the batch: a period outside one
    fiscal year, a Belegdatum outside the period, an amount ≤ 0, a non-numeric account.
    `created_at` (default: now) is the header's "Erzeugt am"; pass it to reproduce a file.
    """
    if period_start > period_end:
        raise ValueError("Zeitraum: Beginn liegt nach dem Ende")
    next_year = fiscal_year_start.replace(year=fiscal_year_start.year + 1)
    if not fiscal_year_start <= period_start or not period_end < next_year:
        raise ValueError(
            f"Zeitraum {period_start:%d.%m.%Y}–{period_end:%d.%m.%Y} liegt nicht in einem "
            f"Wirtschaftsjahr ab {fiscal_year_start:%d.%m.%Y}"
        )
    if not 1001 <= consultant_number <= 9999999:
        raise ValueError("Beraternummer muss zwischen 1001 und 9999999 liegen")
    if not 1 <= client_number <= 99999:
        raise ValueError("Mandantennummer muss zwischen 1 und 99999 liegen")
    for entry in bookings:
        _check(entry, period_start, period_end)
    lines = [
        _header(
            created_at=created_at or now_utc(),
            consultant_number=consultant_number,
            client_number=client_number,
            fiscal_year_start=fiscal_year_start,
            account_length=account_length,
            period_start=period_start,
            period_end=period_end,
            description=description,
            initials=initials,
            chart=chart,
            locked=locked,
        ),
        ";".join(COLUMNS),
        *(_row(entry) for entry in bookings),
    ]
    return (NEWLINE.join(lines) + NEWLINE).encode(ENCODING)
