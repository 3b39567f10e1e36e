"""Credit notes (Gutschriften): issued, numbered without gaps, stored, never changed.

When: a payout's credit note is issued when staff approve the payout (`issue_for_payout`,
called by `data.money.payouts.approve_payouts`), in the same transaction as the approval. The credit
note is the partner's invoice and the basis of the transfer, so it must exist before the money
is sent; "paid" only records the transfer date and changes no document.

Numbers: `GS-<year>-<nnnnn>`, one gapless series per calendar year of the issue date (Berlin)
for credit notes and cancellations alike. The issuing transaction first increments the year's
row in `miomente_document_sequences` (an UPDATE: a row lock on PostgreSQL, the write lock on
SQLite, taken before any other read), then renders and inserts the document; a failure rolls
the increment back, so no number is lost, and concurrent issuers wait for each other.

Immutability: no function here changes a stored document, and the database refuses UPDATE on
`miomente_documents` (trigger, migration 0005). A correction is a cancellation document
(Storno-Gutschrift, all lines negated, `cancels_document_id`) plus a new credit note
(`reissue_document`).

The partner hears of each new credit note through the outbox (`credit_note_available`, to the
addresses of its "payout" notification preference, dedupe key per document and address).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import pandas as pd
from sqlalchemy import Connection, false, insert, select, update

from accounting import money
from accounting.credit_note import render_pdf
from accounting.datev import datev_bookings_for, extf_csv
from accounting.model import (
    KIND_CANCELLATION,
    KIND_CREDIT_NOTE,
    CreditNote,
    CreditNoteLine,
    Party,
)
from accounting.sepa import SepaPayment, iban_is_valid, sepa_xml
from accounting.workdays import next_month
from core import links, periods, sql
from core.clock import now_utc
from core.db import Databases
from core.money import to_money
from core.settings import AccountingConfig, load_accounting
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import MONEY_READ, requires
from data.access.viewer import Viewer
from data.comms import member_digest
from data.comms.notifications import Recipient, recipients
from data.comms.outbox import queue_message
from data.money._credit_notes import carried_from, current_document, model_line
from data.ops import audit
from data.portal_schema import (
    CHANNEL_EMAIL,
    DOC_CANCELLATION,
    DOC_CREDIT_NOTE,
    PAYOUT_APPROVED,
    PAYOUT_DRAFT,
    PAYOUT_PAID,
    document_sequences,
    documents,
    partners,
    payout_lines,
    payouts,
)

log = logging.getLogger("data.money.documents")

PREFIX = "GS"
STAFF_ONLY = "access.documents_staff_only"
TEMPLATE = "credit_note_available"
NOTIFY_EVENT = "payout"

# The shape any document number can have (GS-2026-00042, ST-…), generously.
_NUMBER_SHAPE = re.compile(r"[A-Za-z0-9-]{1,40}")


@lru_cache(maxsize=1)
def _config() -> AccountingConfig:
    """Miomente's issuer data and accounts from the configuration (core/settings)."""
    return load_accounting()


def _issuer() -> Party:
    c = _config()
    return Party(
        name=c.name,
        street=c.street,
        postcode=c.postcode,
        city=c.city,
        country_id="DE",
        email=c.email,
        tax_number=c.tax_number,
        vat_id=c.vat_id,
    )


LIST_COLUMNS = [
    "document_id",
    "number",
    "kind",
    "status",
    "partner_id",
    "partner",
    "payout_id",
    "period",
    "issue_date",
    "gross",
    "commission_gross",
    "amount",
    "cancels_number",
]
DOC_STATUSES = ("approved", "paid", "cancelled", "cancellation")


def format_number(year: int, sequence: int) -> str:
    return f"{PREFIX}-{year}-{sequence:05d}"


# --- numbering ------------------------------------------------------------------------------


def _ensure_year(db: Databases, year: int) -> None:
    """The year's counter row exists (own transaction: concurrent creators do not collide)."""
    with db.portal.begin() as conn:
        row = {"year": year, "last_number": 0, "updated_at": now_utc()}
        sql.insert_ignore(conn, document_sequences, [row], index_elements=["year"])


def _next_number(conn: Connection, year: int, now: datetime) -> int:
    """Take the year's next number inside the caller's transaction (locks the counter row)."""
    changed = conn.execute(
        update(document_sequences)
        .where(document_sequences.c.year == year)
        .values(last_number=document_sequences.c.last_number + 1, updated_at=now)
    ).rowcount
    if changed != 1:
        raise RuntimeError(f"no document counter for {year}")
    return int(
        conn.execute(
            select(document_sequences.c.last_number).where(document_sequences.c.year == year)
        ).scalar_one()
    )


# --- building the note ----------------------------------------------------------------------


def _party(row: Mapping) -> Party:
    return Party(
        name=row["legal_name"] or row["name"],
        street=row["street"],
        postcode=row["postcode"],
        city=row["city"],
        country_id=row["country_id"] or "DE",
        email=row["email"],
        tax_number=row["tax_number"],
        vat_id=row["vat_id"],
        iban=row["iban"],
        bic=row["bic"],
    )


def _lines(conn: Connection, payout_id: int, *, negate: bool = False) -> tuple:
    rows = conn.execute(
        select(payout_lines)
        .where(payout_lines.c.payout_id == payout_id)
        .order_by(payout_lines.c.event_at, payout_lines.c.increment_id, payout_lines.c.item_id)
    ).mappings()
    out = []
    for row in rows:
        line = model_line(row)
        if negate:
            line = CreditNoteLine(
                **{
                    **line.__dict__,
                    "gross": -line.gross,
                    "commission_net": -line.commission_net,
                }
            )
        out.append(line)
    return tuple(out)


def reference(period: date, partner_name: str) -> str:
    return f"Auszahlung {period:%Y-%m} {partner_name}"[:140]


def build_note(
    conn: Connection,
    *,
    payout_id: int,
    number: str,
    kind: str,
    issue_date: date,
    cancels: Mapping | None = None,
) -> tuple[CreditNote, Mapping]:
    """The CreditNote of a payout as it stands (the caller scoped the payout)."""
    payout = conn.execute(select(payouts).where(payouts.c.payout_id == payout_id)).mappings().one()
    partner = (
        conn.execute(select(partners).where(partners.c.partner_id == payout["partner_id"]))
        .mappings()
        .one()
    )
    lines = _lines(conn, payout_id, negate=kind == KIND_CANCELLATION)
    case = payout["vat_case"]
    period = payout["period"]
    # The offset (Verrechnung) is part of what the document settles; a cancellation reverses it
    # like the lines (the new credit note of a reissue carries it again).
    carried = to_money(payout["carried"])
    if kind == KIND_CANCELLATION:
        carried = -carried
    note = CreditNote(
        number=number,
        kind=kind,
        issue_date=issue_date,
        period_start=period,
        period_end=next_month(period) - timedelta(days=1),
        issuer=_issuer(),
        recipient=_party(partner),
        vat_case=case,
        lines=lines,
        totals=money.settle(lines, case, carried),
        payout_reference=reference(period, partner["name"]),
        expected_payout_date=payout["expected_date"],
        cancels_number=cancels["number"] if cancels else None,
        cancels_issue_date=cancels["issue_date"] if cancels else None,
        carried_from=carried_from(conn, payout_id) if carried else (),
        line_months=tuple(sorted({line.event_date.replace(day=1) for line in lines})),
    )
    return note, partner


def _store(
    conn: Connection,
    *,
    note: CreditNote,
    year: int,
    sequence: int,
    partner_id: int,
    payout_id: int,
    cancels_id: int | None,
    now: datetime,
    user_id: int,
) -> int:
    pdf = render_pdf(note)
    return conn.execute(
        insert(documents)
        .values(
            number=note.number,
            year=year,
            sequence=sequence,
            kind=DOC_CREDIT_NOTE if note.kind == KIND_CREDIT_NOTE else DOC_CANCELLATION,
            partner_id=partner_id,
            payout_id=payout_id,
            cancels_document_id=cancels_id,
            period=note.period_start,
            issue_date=note.issue_date,
            issued_at=now,
            issued_by=user_id,
            gross=note.totals.gross,
            commission_gross=note.totals.commission_gross,
            amount=note.totals.payout,
            pdf=pdf,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        .returning(documents.c.document_id)
    ).scalar_one()


def _notify(
    conn: Connection,
    *,
    note: CreditNote,
    document_id: int,
    partner: Mapping,
    found: list[Recipient],
    now: datetime,
) -> int:
    direct, digest = member_digest.split(found)
    # Members who chose the daily digest get the credit note as an item of it.
    member_digest.collect(
        conn,
        member_digest.item_rows(
            digest,
            partner_id=int(partner["partner_id"]),
            event=NOTIFY_EVENT,
            subject=note.number,
            context={
                "amount": str(note.totals.payout),
                "url": links.credit_note_url(note.number),
            },
            key=f"credit_note:{document_id}",
            now=now,
        ),
    )
    queued = 0
    for address in (r.address for r in direct):
        queued += queue_message(
            conn,
            channel=CHANNEL_EMAIL,
            template=TEMPLATE,
            recipient=address,
            recipient_name=partner["name"],
            locale="de",
            payload={
                "contact_name": partner["name"],
                "period": f"{note.period_start:%Y-%m}",
                "credit_note_number": note.number,
                "amount": str(note.totals.payout),
                "payout_date": (
                    note.expected_payout_date.isoformat() if note.expected_payout_date else None
                ),
                "document_url": links.credit_note_url(note.number),
            },
            dedupe_key=f"credit_note:{document_id}:{address.lower()}"[:200],
            partner_id=partner["partner_id"],
        )
    return queued


def _addresses(db: Databases, viewer: Viewer, partner_id: int) -> list[Recipient]:
    scoped = viewer.view_as(partner_id) if viewer.is_staff else viewer
    return [r for r in recipients(scoped, db, event=NOTIFY_EVENT) if r.channel == "email"]


def _payout_partner(db: Databases, viewer: Viewer, payout_id: int) -> int | None:
    with db.portal.connect() as conn:
        return conn.execute(
            select(payouts.c.partner_id).where(
                payouts.c.payout_id == payout_id,
                scope.partner_filter(payouts.c.partner_id, viewer),
            )
        ).scalar()


@requires(MONEY_READ)
def issue_for_payout(
    viewer: Viewer, db: Databases, *, payout_id: int, now: datetime | None = None
) -> str | None:
    """Staff: approve a draft payout and issue its credit note in one transaction.

    Returns the new number, or None when the payout is not in scope or no longer a draft.
    """
    viewer.require_staff(STAFF_ONLY)
    now = now or now_utc()
    partner_id = _payout_partner(db, viewer, payout_id)
    if partner_id is None:
        return None
    issue_date = periods.berlin_today(now.replace(tzinfo=UTC))
    addresses = _addresses(db, viewer, partner_id)
    _ensure_year(db, issue_date.year)
    with db.portal.begin() as conn:
        # First statement writes: the payout row is locked, a second approver skips it.
        approved = conn.execute(
            update(payouts)
            .where(payouts.c.payout_id == payout_id, payouts.c.status == PAYOUT_DRAFT)
            .values(status=PAYOUT_APPROVED, approved_by=viewer.user_id, approved_at=now)
        ).rowcount
        if not approved:
            return None
        sequence = _next_number(conn, issue_date.year, now)
        number = format_number(issue_date.year, sequence)
        note, partner = build_note(
            conn, payout_id=payout_id, number=number, kind=KIND_CREDIT_NOTE, issue_date=issue_date
        )
        document_id = _store(
            conn,
            note=note,
            year=issue_date.year,
            sequence=sequence,
            partner_id=partner_id,
            payout_id=payout_id,
            cancels_id=None,
            now=now,
            user_id=viewer.user_id,
        )
        _notify(conn, note=note, document_id=document_id, partner=partner, found=addresses, now=now)
        audit.record(
            conn,
            viewer,
            action="payout_approved",
            entity="payout",
            entity_id=payout_id,
            partner_id=partner_id,
            details={"document": number},
            now=now,
        )
    return number


@dataclass(frozen=True)
class Reissue:
    cancellation: str  # number of the Storno-Gutschrift
    credit_note: str  # number of the new credit note


REASON_MAX = 500


@requires(MONEY_READ)
def reissue_document(
    viewer: Viewer,
    db: Databases,
    *,
    document_id: int,
    reason: str | None = None,
    now: datetime | None = None,
) -> Reissue | None:
    """Staff: correct an issued credit note: a cancellation of it plus a new credit note
    from today's partner data and the payout's lines. The old document stays as it was.
    `reason` (optional, at most REASON_MAX characters) goes into the audit log.
    None when the document is not in the viewer's scope."""
    viewer.require_staff(STAFF_ONLY)
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput("payouts.reason_too_long", n=REASON_MAX)
    now = now or now_utc()
    with db.portal.connect() as conn:
        old = (
            conn.execute(
                select(
                    documents.c.document_id,
                    documents.c.number,
                    documents.c.issue_date,
                    documents.c.kind,
                    documents.c.partner_id,
                    documents.c.payout_id,
                ).where(
                    documents.c.document_id == document_id,
                    scope.partner_filter(documents.c.partner_id, viewer),
                )
            )
            .mappings()
            .first()
        )
    if old is None:
        return None
    if old["kind"] != DOC_CREDIT_NOTE:
        raise InvalidInput("payouts.document_not_credit_note")
    issue_date = periods.berlin_today(now.replace(tzinfo=UTC))
    addresses = _addresses(db, viewer, old["partner_id"])
    _ensure_year(db, issue_date.year)
    with db.portal.begin() as conn:
        # Lock the payout first (the same order as issuing), then check nobody cancelled it.
        conn.execute(
            update(payouts)
            .where(payouts.c.payout_id == old["payout_id"])
            .values(status=payouts.c.status)
        )
        taken = conn.execute(
            select(documents.c.document_id).where(
                documents.c.cancels_document_id == old["document_id"]
            )
        ).first()
        if taken is not None:
            raise InvalidInput("payouts.document_already_cancelled")
        numbers = []
        for kind in (KIND_CANCELLATION, KIND_CREDIT_NOTE):
            sequence = _next_number(conn, issue_date.year, now)
            number = format_number(issue_date.year, sequence)
            note, partner = build_note(
                conn,
                payout_id=old["payout_id"],
                number=number,
                kind=kind,
                issue_date=issue_date,
                cancels=old if kind == KIND_CANCELLATION else None,
            )
            new_id = _store(
                conn,
                note=note,
                year=issue_date.year,
                sequence=sequence,
                partner_id=old["partner_id"],
                payout_id=old["payout_id"],
                cancels_id=old["document_id"] if kind == KIND_CANCELLATION else None,
                now=now,
                user_id=viewer.user_id,
            )
            if kind == KIND_CREDIT_NOTE:
                _notify(
                    conn, note=note, document_id=new_id, partner=partner, found=addresses, now=now
                )
            numbers.append(number)
        audit.record(
            conn,
            viewer,
            action="credit_note_reissued",
            entity="document",
            entity_id=old["document_id"],
            partner_id=old["partner_id"],
            details={"cancellation": numbers[0], "credit_note": numbers[1]},
            note=reason,
            now=now,
        )
    return Reissue(cancellation=numbers[0], credit_note=numbers[1])


# --- reading --------------------------------------------------------------------------------


@requires(MONEY_READ)
def list_documents(
    viewer: Viewer,
    db: Databases,
    *,
    period: date | None = None,
    status: str | None = None,
    partner_id: int | None = None,
    number: str | None = None,
    limit: int = 5000,
    offset: int = 0,
) -> pd.DataFrame:
    """Credit notes and cancellations in scope, newest first; `number` picks one (a link's);
    `limit` and `offset` page through them.

    status: "approved" (valid, payout not yet paid), "paid" (valid, paid), "cancelled"
    (cancelled by a later document), "cancellation" (a Storno-Gutschrift).
    """
    cancelling = documents.alias("cancelling")
    cancelled = documents.alias("cancelled")
    query = (
        select(
            documents.c.document_id,
            documents.c.number,
            documents.c.kind,
            payouts.c.status.label("payout_status"),
            cancelling.c.document_id.label("cancelled_by"),
            documents.c.partner_id,
            partners.c.name.label("partner"),
            documents.c.payout_id,
            documents.c.period,
            documents.c.issue_date,
            documents.c.gross,
            documents.c.commission_gross,
            documents.c.amount,
            cancelled.c.number.label("cancels_number"),
        )
        .select_from(
            documents.join(payouts, payouts.c.payout_id == documents.c.payout_id)
            .join(partners, partners.c.partner_id == documents.c.partner_id)
            .outerjoin(cancelling, cancelling.c.cancels_document_id == documents.c.document_id)
            .outerjoin(cancelled, cancelled.c.document_id == documents.c.cancels_document_id)
        )
        .where(scope.partner_filter(documents.c.partner_id, viewer))
    )
    if period is not None:
        query = query.where(documents.c.period == period.replace(day=1))
    if partner_id is not None:
        query = query.where(documents.c.partner_id == partner_id)
    if number is not None:
        # A link's number is typed by anyone: what cannot be a number matches nothing, and is
        # never sent (PostgreSQL refuses a NUL in a parameter).
        number = number.strip()
        plausible = _NUMBER_SHAPE.fullmatch(number) is not None
        query = query.where(documents.c.number == number if plausible else false())
    if status:
        if status not in DOC_STATUSES:
            raise InvalidInput("payouts.unknown_status")
        if status == "cancellation":
            query = query.where(documents.c.kind == DOC_CANCELLATION)
        elif status == "cancelled":
            query = query.where(cancelling.c.document_id.is_not(None))
        else:
            query = query.where(
                documents.c.kind == DOC_CREDIT_NOTE,
                cancelling.c.document_id.is_(None),
                payouts.c.status == (PAYOUT_PAID if status == "paid" else PAYOUT_APPROVED),
            )
    query = (
        query.order_by(documents.c.issue_date.desc(), documents.c.number.desc())
        .limit(max(1, min(int(limit), 50_000)))
        .offset(max(0, int(offset)))
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).mappings().all()
    out = []
    for row in rows:
        if row["kind"] == DOC_CANCELLATION:
            state = "cancellation"
        elif row["cancelled_by"] is not None:
            state = "cancelled"
        else:
            state = "paid" if row["payout_status"] == PAYOUT_PAID else "approved"
        out.append({**{c: row.get(c) for c in LIST_COLUMNS}, "status": state})
    return pd.DataFrame(out, columns=LIST_COLUMNS)


@dataclass(frozen=True)
class DocumentFile:
    document_id: int
    number: str
    filename: str
    pdf: bytes
    sha256: str


@requires(MONEY_READ)
def document_pdf(viewer: Viewer, db: Databases, *, document_id: int) -> DocumentFile | None:
    """The stored PDF of a document in scope (None for another partner's document)."""
    query = select(
        documents.c.document_id,
        documents.c.number,
        documents.c.kind,
        documents.c.pdf,
        documents.c.sha256,
    ).where(
        documents.c.document_id == document_id,
        scope.partner_filter(documents.c.partner_id, viewer),
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    prefix = "Storno-Gutschrift" if row["kind"] == DOC_CANCELLATION else "Gutschrift"
    return DocumentFile(
        document_id=row["document_id"],
        number=row["number"],
        filename=f"{prefix}_{row['number']}.pdf",
        pdf=bytes(row["pdf"]),
        sha256=row["sha256"],
    )


@requires(MONEY_READ)
def credit_notes_for_export(
    viewer: Viewer, db: Databases, *, payout_ids: list[int]
) -> list[CreditNote]:
    """Staff: the current credit notes of approved payouts as CreditNote values (numbers and
    dates as issued), for the SEPA and DATEV exports. Payouts without one are left out."""
    viewer.require_staff(STAFF_ONLY)
    current = current_document()
    out: list[CreditNote] = []
    with db.portal.connect() as conn:
        rows = (
            conn.execute(
                select(documents.c.payout_id, documents.c.number, documents.c.issue_date)
                .select_from(
                    documents.join(current, current.c.document_id == documents.c.document_id)
                )
                .join(payouts, payouts.c.payout_id == documents.c.payout_id)
                .where(
                    documents.c.payout_id.in_([int(p) for p in payout_ids]),
                    payouts.c.status == PAYOUT_APPROVED,
                    scope.partner_filter(documents.c.partner_id, viewer),
                )
                .order_by(documents.c.number)
            )
            .mappings()
            .all()
        )
        for row in rows:
            note, _partner = build_note(
                conn,
                payout_id=row["payout_id"],
                number=row["number"],
                kind=KIND_CREDIT_NOTE,
                issue_date=row["issue_date"],
            )
            out.append(note)
    return out


# --- accountant exports ---------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    included: list[str]  # credit-note numbers in the file
    skipped: list[str]  # left out: no valid IBAN, or nothing to transfer (amount <= 0)


@requires(MONEY_READ)
def sepa_export(
    viewer: Viewer,
    db: Databases,
    *,
    payout_ids: list[int],
    execution_date: date,
    now: datetime | None = None,
) -> ExportFile | None:
    """Staff: a SEPA credit transfer (pain.001) of approved payouts; None if none qualifies."""

    now = now or now_utc()
    notes = credit_notes_for_export(viewer, db, payout_ids=payout_ids)
    payments, included, skipped = [], [], []
    for note in notes:
        party = note.recipient
        if note.totals.payout <= 0 or not party.iban or not iban_is_valid(party.iban):
            skipped.append(note.number)
            continue
        payments.append(
            SepaPayment(
                name=party.name,
                iban=party.iban,
                bic=party.bic,
                amount=note.totals.payout,
                reference=f"{note.number} {note.payout_reference}",
                end_to_end_id=note.number,
            )
        )
        included.append(note.number)
    if not payments:
        return None
    debtor = replace(_issuer(), iban=_config().iban, bic=_config().bic)
    stamp = f"{now:%Y%m%d%H%M%S}"
    data = sepa_xml(
        debtor=debtor,
        payments=payments,
        execution_date=execution_date,
        message_id=f"MIO-{stamp}",
        created_at=now,
    )
    return ExportFile(f"SEPA_Auszahlungen_{stamp}.xml", data, included, skipped)


@requires(MONEY_READ)
def datev_export(
    viewer: Viewer, db: Databases, *, payout_ids: list[int], now: datetime | None = None
) -> ExportFile | None:
    """Staff: the DATEV EXTF booking batch of the approved payouts' credit notes (one fiscal
    year per file: InvalidInput when the issue dates span two)."""

    now = now or now_utc()
    notes = credit_notes_for_export(viewer, db, payout_ids=payout_ids)
    if not notes:
        return None
    first = min(n.issue_date for n in notes)
    last = max(n.issue_date for n in notes)
    if first.year != last.year:
        raise InvalidInput("payouts.datev_one_year")
    entries = [entry for note in notes for entry in datev_bookings_for(note)]
    data = extf_csv(
        bookings=entries,
        consultant_number=_config().datev_consultant,
        client_number=_config().datev_client,
        fiscal_year_start=date(first.year, 1, 1),
        period_start=first,
        period_end=last,
        description=f"Gutschriften {first:%d.%m.%Y}–{last:%d.%m.%Y}",
        created_at=now,
    )
    stamp = f"{now:%Y%m%d%H%M%S}"
    return ExportFile(f"EXTF_Buchungsstapel_{stamp}.csv", data, [n.number for n in notes], [])
