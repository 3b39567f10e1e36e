"""What payouts and their credit notes share: a payout line as a credit-note line, the
payout's current credit note, and the credit notes a payout offsets.

Private to `data.money`: payouts.py and documents.py both import it, so neither needs the
other's internals (they used to import each other's private names inside functions).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import Connection, Subquery, func, select

from accounting.model import CreditNoteLine
from core import i18n
from core.money import to_money, to_rate
from data.portal_schema import LINE_CORRECTION, documents, payout_offsets


def berlin_day(moment: datetime | None) -> date | None:
    return None if moment is None else i18n.to_berlin(moment).date()


def model_line(line: Mapping) -> CreditNoteLine:
    return CreditNoteLine(
        order_number=str(line["increment_id"]),
        item_id=int(line["item_id"]),
        event_date=berlin_day(line["event_at"]) or date.min,
        description=str(line["course"] or ""),
        tickets=int(line["tickets"] or 0),
        gross=to_money(line["gross"]),
        vat_rate=to_rate(line["vat_rate"]),
        commission_rate=to_rate(line["commission_rate"]),
        commission_net=to_money(line["commission_net"]),
        is_correction=line["kind"] == LINE_CORRECTION,
    )


def current_document() -> Subquery:
    """The payout's valid credit note: a credit note no later document cancels."""
    cancelled = select(documents.c.cancels_document_id).where(
        documents.c.cancels_document_id.is_not(None)
    )
    return (
        select(
            documents.c.payout_id,
            func.max(documents.c.document_id).label("document_id"),
        )
        .where(documents.c.kind == "credit_note", documents.c.document_id.not_in(cancelled))
        .group_by(documents.c.payout_id)
        .subquery()
    )


def carried_from(conn: Connection, payout_id: int) -> tuple[str, ...]:
    """Numbers of the current credit notes of the negative payouts this payout offsets."""
    current = current_document()
    rows = conn.execute(
        select(documents.c.number)
        .select_from(
            payout_offsets.join(
                current, current.c.payout_id == payout_offsets.c.offsets_payout_id
            ).join(documents, documents.c.document_id == current.c.document_id)
        )
        .where(payout_offsets.c.payout_id == payout_id)
        .order_by(documents.c.number)
    )
    return tuple(rows.scalars())
