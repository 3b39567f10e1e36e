"""Commission rates: the partner's contractual rate, overridden per course from a date on.

`miomente_partners.commission_rate` is the contract's rate; a row of
`miomente_commission_rates` (product, rate, valid_from) overrides it for that course's events
on or after `valid_from` (the event's Berlin date; the latest such row wins). Payouts copy the
rate onto each line, so a later change never alters an approved payout.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import pandas as pd
from sqlalchemy import Connection, insert, select, update

from core import sql
from core.clock import now_utc
from core.db import Databases
from core.money import is_cents, to_rate
from core.validation import InvalidInput, parse_amount
from data.access import scope
from data.access.permissions import MONEY_READ, requires
from data.access.viewer import Viewer
from data.ops import audit
from data.portal_schema import commission_rates, courses, partners
from data.shop.catalog import product_names

COLUMNS = ["rate_id", "partner_id", "product_id", "rate", "valid_from", "created_at"]
STAFF_ONLY = "access.commission_staff_only"


def _parse_rate(raw: Decimal | int | str) -> Decimal:
    """A percentage as typed ("22,5", "22.50 %", Decimal("22.5")) -> Decimal("22.50").

    InvalidInput("payouts.invalid_rate") unless it is a number from 0 to 100 with at most two
    decimal places."""
    if isinstance(raw, bool):
        raise InvalidInput("payouts.invalid_rate")
    if isinstance(raw, str):  # typed: ASCII digits only, not "٢٠" or "1e1"
        value = parse_amount(raw.strip().removesuffix("%"), key="payouts.invalid_rate")
    else:
        try:
            value = Decimal(raw)
        except (InvalidOperation, TypeError, ValueError) as exc:
            raise InvalidInput("payouts.invalid_rate") from exc
    # The range first: quantize refuses a huge exponent ("1E+30") with an exception.
    if not value.is_finite() or not 0 <= value <= 100 or not is_cents(value):
        raise InvalidInput("payouts.invalid_rate")
    return to_rate(value)


@requires(MONEY_READ)
def list_rates(viewer: Viewer, db: Databases, *, partner_id: int | None = None) -> pd.DataFrame:
    """The per-course overrides in the viewer's scope (of one partner if given), newest
    first per course."""
    query = (
        select(*(commission_rates.c[c] for c in COLUMNS))
        .where(scope.partner_filter(commission_rates.c.partner_id, viewer))
        .order_by(commission_rates.c.product_id, commission_rates.c.valid_from.desc())
    )
    if partner_id is not None:
        query = query.where(commission_rates.c.partner_id == partner_id)
    with db.portal.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=COLUMNS)


@requires(MONEY_READ)
def contract_rate(viewer: Viewer, db: Databases, *, partner_id: int) -> Decimal | None:
    """The partner's contractual rate in percent; None when the partner is not in scope."""
    query = select(partners.c.commission_rate).where(
        partners.c.partner_id == partner_id,
        scope.partner_filter(partners.c.partner_id, viewer),
    )
    with db.portal.connect() as conn:
        value = conn.execute(query).scalar()
    return None if value is None else to_rate(value)


@requires(MONEY_READ)
def set_contract_rate(
    viewer: Viewer,
    db: Databases,
    *,
    partner_id: int,
    rate: Decimal | str,
    now: datetime | None = None,
) -> bool:
    """Staff: change the partner's contractual rate (audit-logged with the previous rate).

    It applies to every payout computed from now on; approved payouts keep the rates copied
    onto their lines. False when the partner is not in the viewer's scope (nothing written)."""
    viewer.require_staff(STAFF_ONLY)
    value = _parse_rate(rate)
    now = now or now_utc()
    with db.portal.begin() as conn:
        key = (partners.c.partner_id == partner_id) & scope.partner_filter(
            partners.c.partner_id, viewer
        )
        # The UPDATE first: it locks the row, so the "previous" in the audit is the real one.
        conn.execute(update(partners).where(key).values(commission_rate=partners.c.commission_rate))
        previous = conn.execute(select(partners.c.commission_rate).where(key)).scalar()
        if previous is None:
            return False
        previous = to_rate(previous)
        if previous == value:
            return True
        conn.execute(update(partners).where(key).values(commission_rate=value))
        audit.record(
            conn,
            viewer,
            action="commission_contract_set",
            entity="partner",
            entity_id=partner_id,
            partner_id=partner_id,
            details={"rate": str(value), "previous": str(previous)},
            now=now,
        )
    return True


@requires(MONEY_READ)
def set_course_rate(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    rate: Decimal | str,
    valid_from: date,
    partner_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Staff: the course's commission from `valid_from` on (same day again: replaced).

    `partner_id`, when given, is the partner the rate is meant for: a course of another
    partner is refused (InvalidInput). False when the course is not in the viewer's scope
    (nothing is written)."""
    viewer.require_staff(STAFF_ONLY)
    value = _parse_rate(rate)
    if not isinstance(valid_from, date):
        raise InvalidInput("partners.invalid_valid_from")
    now = now or now_utc()
    with db.portal.begin() as conn:
        owner = conn.execute(
            select(courses.c.partner_id).where(
                courses.c.product_id == product_id,
                scope.partner_filter(courses.c.partner_id, viewer),
            )
        ).scalar()
        if owner is None:
            return False
        if partner_id is not None and owner != partner_id:
            raise InvalidInput("partners.course_other_partner", course=_course_name(db, product_id))
        key = (commission_rates.c.product_id == product_id) & (
            commission_rates.c.valid_from == valid_from
        )
        if conn.execute(update(commission_rates).where(key).values(rate=value)).rowcount == 0:
            conn.execute(
                insert(commission_rates).values(
                    partner_id=owner,
                    product_id=product_id,
                    rate=value,
                    valid_from=valid_from,
                    created_by=viewer.user_id,
                    created_at=now,
                )
            )
        audit.record(
            conn,
            viewer,
            action="commission_rate_set",
            entity="course",
            entity_id=product_id,
            partner_id=owner,
            details={"rate": str(value), "valid_from": valid_from.isoformat()},
            now=now,
        )
    return True


class RateBook:
    """The rates of some partners, to look up per line (built inside the payout engine)."""

    def __init__(
        self,
        contract: Mapping[int, Decimal],
        overrides: Mapping[int, list[tuple[date, Decimal]]],
    ) -> None:
        self.contract = dict(contract)
        # product -> [(valid_from, rate)] sorted by valid_from
        self.overrides = {k: sorted(v) for k, v in overrides.items()}

    def rate(self, partner_id: int, product_id: int, event_day: date | None) -> Decimal:
        chosen = self.contract[partner_id]
        for valid_from, value in self.overrides.get(product_id, ()):
            if event_day is not None and valid_from <= event_day:
                chosen = value
        return chosen

    @classmethod
    def load(cls, conn: Connection, partner_ids: Iterable[int]) -> RateBook:
        """Contract rates and overrides of `partner_ids` (the caller scoped them)."""
        ids = sorted(set(partner_ids))
        contract: dict[int, Decimal] = {}
        overrides: dict[int, list[tuple[date, Decimal]]] = {}
        for chunk in sql.chunks(ids):
            for pid, value in conn.execute(
                select(partners.c.partner_id, partners.c.commission_rate).where(
                    partners.c.partner_id.in_(chunk)
                )
            ):
                contract[pid] = to_rate(value)
            for product_id, valid_from, value in conn.execute(
                select(
                    commission_rates.c.product_id,
                    commission_rates.c.valid_from,
                    commission_rates.c.rate,
                ).where(commission_rates.c.partner_id.in_(chunk))
            ):
                overrides.setdefault(product_id, []).append((valid_from, to_rate(value)))
        return cls(contract, overrides)


def _course_name(db: Databases, product_id: int) -> str:
    """The course's name in the shop, for a sentence (never its number)."""
    names = product_names().subquery()
    with db.magento_read.connect() as conn:
        name = conn.execute(select(names.c.name).where(names.c.entity_id == product_id)).scalar()
    return str(name or "–")
