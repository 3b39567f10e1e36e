"""Demo payouts: the past months of the demo settled as staff would have done it.

For the last `MONTHS` months before the demo's today, month by month: compute every partner's
payouts (the `compute-payouts` job's function); the payouts of the partners with a demo login
(`kochschule`, `weinschule`) are approved a few days before the expected payout date (which
issues each credit note as a real PDF with a gapless number and queues the partner's message)
and marked paid on the expected date. The newest month, and the other partners' months, stay
drafts for staff to approve in the demo (rendering a PDF takes ~0.3 s: issuing all partners'
notes would make the demo's first start a minute and a half slower).
Partners get deterministic (valid, fictitious) bank accounts first, so the
SEPA export works in the demo. Skips issuing when the PDF renderer is not installed.

The portal "went live" with the first demo payout month: every partner's settlement start is
that month's first day, so the first payout holds only that month's course dates, not a
year of history (the demo's orders reach back further). It is stored per partner, so payouts
computed later in the demo app keep to it without a configured MIOMENTE_SETTLEMENT_START.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from core.db import Databases
from data.access.viewer import SYSTEM
from data.demo.content import DEMO_LOGINS
from data.money import payouts
from data.portal_schema import outbox, partners

MONTHS = 4
DEMO_BLZ = "37040044"  # a real bank code format; the accounts are made up


def demo_iban(partner_id: int) -> str:
    """A valid German IBAN (mod 97) for a made-up account number of the partner."""
    bban = f"{DEMO_BLZ}{7_000_000_000 + partner_id:010d}"
    numeric = int(bban + "131400")  # D=13, E=14, check digits 00
    check = 98 - numeric % 97
    return f"DE{check:02d}{bban}"


def _bank_accounts(db: Databases) -> None:
    with db.portal.begin() as conn:
        rows = conn.execute(select(partners.c.partner_id, partners.c.legal_name)).all()
        for partner_id, legal_name in rows:
            conn.execute(
                update(partners)
                .where(partners.c.partner_id == partner_id, partners.c.iban.is_(None))
                .values(iban=demo_iban(partner_id), bic="COBADEFFXXX", account_holder=legal_name)
            )


def create_demo_payouts(db: Databases, *, today: date, months: int = MONTHS) -> int:
    """Compute, approve and pay the demo's past months; returns the credit notes issued."""
    _bank_accounts(db)
    last = payouts.last_month(today)
    periods = [last]
    for _ in range(months - 1):
        periods.append((periods[-1] - timedelta(days=1)).replace(day=1))
    periods.reverse()
    with db.portal.begin() as conn:
        conn.execute(update(partners).values(settlement_start=periods[0]))
    with db.portal.connect() as conn:
        logins = [name for name, _pw, role in DEMO_LOGINS if role == "partner"]
        settled = set(
            conn.execute(select(partners.c.partner_id).where(partners.c.slug.in_(logins)))
            .scalars()
            .all()
        )
    issued = 0
    for period in periods:
        computed_at = datetime.combine(period + timedelta(days=32), time(3, 0)).replace(day=1)
        payouts.compute_payouts(SYSTEM, db, period=period, now=computed_at)
        if period == last:
            continue
        frame = payouts.list_payouts(SYSTEM, db, period=period, status="draft")
        frame = frame[frame["partner_id"].isin(settled)]
        if frame.empty:
            continue
        ids = frame["payout_id"].tolist()
        expected = frame["expected_date"].min()
        approved_at = datetime.combine(expected - timedelta(days=2), time(8, 30))
        result = payouts.approve_payouts(SYSTEM, db, payout_ids=ids, now=approved_at)
        issued += len(result.documents)
        paid = [p for p, amount in zip(ids, frame["amount"], strict=True) if amount > 0]
        for paid_on in sorted(set(frame["expected_date"])):
            on_day = [p for p, d in zip(ids, frame["expected_date"], strict=True) if d == paid_on]
            payouts.mark_paid(
                SYSTEM,
                db,
                payout_ids=[p for p in on_day if p in paid],
                paid_on=paid_on,
                now=datetime.combine(paid_on, time(10, 0)),
            )
    # History, not news: the demo's old credit-note messages count as sent.
    with db.portal.begin() as conn:
        conn.execute(
            update(outbox)
            .where(outbox.c.template == "credit_note_available", outbox.c.status == "pending")
            .values(status="sent", sent_at=outbox.c.created_at)
        )
    return issued
