"""Payouts on all three databases: lines per partner, reruns, corrections, status changes.

The two-partner world (tests/support/worlds.py) with every booked item's course date moved into
October 2026, so the month is fixed whatever day the tests run. Ledger changes (a refund, a
cancellation) are written into the ledger as the sync would copy them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from accounting.model import VAT_REVERSE_CHARGE, VAT_SMALL_BUSINESS
from core import i18n
from core.db import Databases
from core.settings import Settings
from core.validation import InvalidInput
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.money import commission, payouts
from data.portal_schema import audit_log, bookings, partners, payout_lines
from data.portal_schema import payouts as payouts_table
from tests.support.worlds import B

D = Decimal
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)
EVENT = datetime(2026, 10, 14, 16, 0)  # 18:00 Berlin
NOW = datetime(2026, 11, 3, 9, 0)
PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
PARTNER_B = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
A_ITEMS, B_ITEMS = {5001, 5002, 5003}, {5004, 5101, 5102}


@pytest.fixture
def october(shop: Databases) -> Databases:
    with shop.portal.begin() as conn:
        conn.execute(update(bookings).values(event_at=EVENT))
    return shop


def _set_ledger(db: Databases, item_id: int, **values: object) -> None:
    with db.portal.begin() as conn:
        conn.execute(update(bookings).where(bookings.c.item_id == item_id).values(**values))


def _payout_of(db: Databases, partner_id: int, period: date = OCTOBER) -> payouts.Payout:
    frame = payouts.list_payouts(STAFF, db, period=period, partner_id=partner_id)
    assert len(frame) == 1, frame
    found = payouts.get_payout(STAFF, db, payout_id=int(frame["payout_id"].iloc[0]))
    assert found is not None
    return found


def test_each_partner_gets_its_own_items_and_exact_totals(october: Databases) -> None:
    result = payouts.compute_payouts(SYSTEM, october, period=date(2026, 10, 20), now=NOW)
    assert (result.created, result.partners, result.corrections) == (2, 2, 0)
    a, b = _payout_of(october, 1), _payout_of(october, 2)
    a_lines = payouts.list_lines(STAFF, october, payout_id=a.payout_id)
    b_lines = payouts.list_lines(STAFF, october, payout_id=b.payout_id)
    # Order 1003 holds one item of each partner: each payout has only its own.
    assert set(a_lines["item_id"]) == A_ITEMS
    assert set(b_lines["item_id"]) == B_ITEMS
    assert "000001003" in set(a_lines["increment_id"]) & set(b_lines["increment_id"])
    # A: 178 + 99 + 89 at 25 %: commission 44.50 + 24.75 + 22.25; the cancelled order counts 0.
    assert (a.gross, a.commission_net, a.commission_vat) == (D("366"), D("91.5"), D("17.39"))
    assert (a.commission_gross, a.amount) == (D("108.89"), D("257.11"))
    assert a.expected_date == date(2026, 11, 6)
    assert a.status == "draft" and a.period == OCTOBER
    # B: 777.77 + 236 + 138 at 20 %.
    assert (b.gross, b.commission_net, b.amount) == (D("1151.77"), D("230.35"), D("877.65"))
    for payout, lines in ((a, a_lines), (b, b_lines)):
        assert sum(lines["gross"]) == payout.gross
        assert sum(lines["commission_net"]) == payout.commission_net
        assert set(lines["kind"]) == {"sale"}
        assert set(lines["vat_rate"]) == {D("19")}


def test_rerun_reproduces_and_creates_nothing(october: Databases) -> None:
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    with october.portal.connect() as conn:
        before = conn.execute(select(payout_lines).order_by(payout_lines.c.line_id)).all()
    again = payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=datetime(2026, 11, 4))
    assert (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 2, 0)
    with october.portal.connect() as conn:
        after = conn.execute(select(payout_lines).order_by(payout_lines.c.line_id)).all()
        computed_at = conn.execute(select(payouts_table.c.computed_at)).scalars().all()
    assert after == before
    assert set(computed_at) == {NOW}  # nothing was even rewritten


def test_a_draft_is_recomputed_when_the_ledger_changes(october: Databases) -> None:
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    _set_ledger(october, 5002, status="refunded", refunded=D("99"))
    _set_ledger(october, 5001, refunded=D("89"), tickets=1)  # partial refund: one ticket of two
    result = payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    a = _payout_of(october, 1)
    lines = payouts.list_lines(STAFF, october, payout_id=a.payout_id)
    assert dict(zip(lines["item_id"], lines["gross"], strict=True)) == {
        5001: D("89"),
        5003: D("89"),
    }
    assert set(lines["kind"]) == {"sale"}
    assert a.gross == D("178")


def test_nothing_left_drops_the_draft(october: Databases) -> None:
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    for item in A_ITEMS:
        _set_ledger(october, item, status="cancelled")
    result = payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    assert result.removed == 1
    assert payouts.list_payouts(STAFF, october, partner_id=1).empty


def test_refund_after_payment_is_a_correction_in_the_next_payout(october: Databases) -> None:
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    a = _payout_of(october, 1)
    payouts.approve_payouts(STAFF, october, payout_ids=[a.payout_id], now=NOW)
    payouts.mark_paid(STAFF, october, payout_ids=[a.payout_id], paid_on=date(2026, 11, 6))
    paid_lines = payouts.list_lines(STAFF, october, payout_id=a.payout_id)

    _set_ledger(october, 5002, status="refunded", refunded=D("99"))  # refunded in November
    _set_ledger(october, 5001, refunded=D("89"), tickets=1)  # one ticket of two refunded
    # October again: A's paid payout is never touched.
    again = payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    assert again.frozen == 1
    assert payouts.list_lines(STAFF, october, payout_id=a.payout_id).equals(paid_lines)
    assert _payout_of(october, 1).amount == D("257.11")

    november = payouts.compute_payouts(SYSTEM, october, period=NOVEMBER, now=NOW)
    assert (november.created, november.corrections) == (1, 2)
    nov = _payout_of(october, 1, NOVEMBER)
    lines = payouts.list_lines(STAFF, october, payout_id=nov.payout_id)
    got = {
        r.item_id: (r.kind, r.gross, r.commission_net, r.increment_id) for r in lines.itertuples()
    }
    assert got == {
        5001: ("correction", D("-89"), D("-22.25"), "000001001"),
        5002: ("correction", D("-99"), D("-24.75"), "000001002"),
    }
    assert nov.gross == D("-188") and nov.amount == D("-188") + D("47") + D("8.93")
    # B has nothing to correct and no November events: no payout.
    assert payouts.list_payouts(STAFF, october, period=NOVEMBER, partner_id=2).empty
    # A rerun of November creates nothing twice.
    rerun = payouts.compute_payouts(SYSTEM, october, period=NOVEMBER, now=NOW)
    assert (rerun.created, rerun.updated, rerun.unchanged) == (0, 0, 1)


def test_an_unpaid_order_is_paid_out_in_the_payout_after_its_payment(october: Databases) -> None:
    # Order 1001 (item 5001) was still awaiting payment when October was paid out.
    _set_ledger(october, 5001, order_state="pending_payment")
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    a = _payout_of(october, 1)
    october_lines = payouts.list_lines(STAFF, october, payout_id=a.payout_id)
    assert set(october_lines["item_id"]) == A_ITEMS - {5001}
    assert a.gross == D("188")
    payouts.approve_payouts(SYSTEM, october, payout_ids=[a.payout_id], now=NOW)
    # Paid in November: the November payout carries it, although its event was in October.
    _set_ledger(october, 5001, order_state="processing")
    payouts.compute_payouts(SYSTEM, october, period=NOVEMBER, now=datetime(2026, 12, 2, 9))
    november = _payout_of(october, 1, NOVEMBER)
    lines = payouts.list_lines(STAFF, october, payout_id=november.payout_id)
    assert list(lines["item_id"]) == [5001] and list(lines["gross"]) == [D("178")]
    assert november.gross == D("178")
    # Its period says where its lines come from: October's course dates, not November's.
    assert november.line_months == (OCTOBER,) and november.other_months
    assert _payout_of(october, 1).line_months == (OCTOBER,)
    assert not _payout_of(october, 1).other_months
    payouts.approve_payouts(SYSTEM, october, payout_ids=[november.payout_id], now=NOW)
    from data.money import documents

    [note] = documents.credit_notes_for_export(STAFF, october, payout_ids=[november.payout_id])
    assert (note.period_start, note.line_months) == (NOVEMBER, (OCTOBER,))
    # Computing again settles it nowhere else: October stays as approved, nothing twice.
    again = payouts.compute_payouts(SYSTEM, october, period=NOVEMBER, now=datetime(2026, 12, 3))
    assert (again.created, again.updated) == (0, 0)
    assert _payout_of(october, 1).gross == D("188")


def test_status_transitions_and_refusals(october: Databases) -> None:
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    a, b = _payout_of(october, 1), _payout_of(october, 2)
    for viewer in (PARTNER_A, PARTNER_B):
        with pytest.raises(ScopeError) as refused:
            payouts.approve_payouts(viewer, october, payout_ids=[a.payout_id])
        assert refused.value.key == "access.payouts_staff_only"
        with pytest.raises(ScopeError):
            payouts.mark_paid(viewer, october, payout_ids=[a.payout_id], paid_on=date(2026, 11, 6))
        with pytest.raises(ScopeError):
            payouts.compute_payouts(viewer, october, period=OCTOBER)
    # Paying a draft does nothing.
    early = payouts.mark_paid(STAFF, october, payout_ids=[a.payout_id], paid_on=date(2026, 11, 6))
    assert (early.done, early.skipped) == ([], [a.payout_id])
    first = payouts.approve_payouts(STAFF, october, payout_ids=[a.payout_id, b.payout_id], now=NOW)
    assert first.done == [a.payout_id, b.payout_id] and len(first.documents) == 2
    twice = payouts.approve_payouts(STAFF, october, payout_ids=[a.payout_id], now=NOW)
    assert (twice.done, twice.skipped) == ([], [a.payout_id])
    with pytest.raises(InvalidInput) as missing:
        payouts.mark_paid(STAFF, october, payout_ids=[a.payout_id], paid_on=None)
    assert missing.value.key == "payouts.paid_on_missing"
    with pytest.raises(InvalidInput) as future:
        payouts.mark_paid(
            STAFF, october, payout_ids=[a.payout_id], paid_on=date(2999, 1, 1), now=NOW
        )
    assert future.value.key == "payouts.paid_on_future"
    # Staff viewing as A pays only A's payouts, whatever ids it is given.
    as_a = payouts.mark_paid(
        STAFF.view_as(1), october, payout_ids=[a.payout_id, b.payout_id], paid_on=date(2026, 11, 6)
    )
    assert (as_a.done, as_a.skipped) == ([a.payout_id], [b.payout_id])
    paid = _payout_of(october, 1)
    assert paid.status == "paid" and paid.paid_on == date(2026, 11, 6)
    assert _payout_of(october, 2).status == "approved"
    history = payouts.list_payouts(PARTNER_A, october)
    assert list(history["status"]) == ["paid"]
    assert history["document_number"].iloc[0].startswith("GS-2026-")
    assert payouts.list_payouts(STAFF, october, status="approved")["partner_id"].tolist() == [2]
    with pytest.raises(InvalidInput):
        payouts.list_payouts(STAFF, october, status="bogus")


def test_a_partner_never_sees_another_partners_payout(october: Databases) -> None:
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    b = _payout_of(october, 2)
    frame = payouts.list_payouts(PARTNER_A, october)
    assert set(frame["partner_id"]) == {1}
    assert B.partner_name not in frame.to_csv()
    assert payouts.get_payout(PARTNER_A, october, payout_id=b.payout_id) is None
    assert payouts.list_lines(PARTNER_A, october, payout_id=b.payout_id).empty
    assert payouts.list_lines(PARTNER_B, october, payout_id=b.payout_id)["item_id"].size == 3
    assert payouts.payout_periods(PARTNER_A, october) == [OCTOBER]


def test_course_override_from_a_date(october: Databases) -> None:
    commission.set_course_rate(STAFF, october, product_id=101, rate="30", valid_from=OCTOBER)
    commission.set_course_rate(
        STAFF, october, product_id=102, rate="10", valid_from=date(2026, 10, 15)
    )
    with pytest.raises(ScopeError):
        commission.set_course_rate(PARTNER_A, october, product_id=101, rate="1", valid_from=OCTOBER)
    with pytest.raises(InvalidInput):
        commission.set_course_rate(STAFF, october, product_id=101, rate="130", valid_from=OCTOBER)
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    lines = payouts.list_lines(STAFF, october, payout_id=_payout_of(october, 1).payout_id)
    rates = dict(zip(lines["item_id"], lines["commission_rate"], strict=True))
    # 101 at 30 % from 1 Oct; 102's override starts after its 14 Oct event: the contract's 25.
    assert rates == {5001: D("30"), 5003: D("30"), 5002: D("25")}
    assert list(commission.list_rates(PARTNER_A, october)["product_id"]) == [101, 102]


def test_course_rate_input_and_partner_check(october: Databases) -> None:
    # German decimal comma and a percent sign are fine; the stored rate has two places.
    assert commission.set_course_rate(
        STAFF, october, product_id=101, rate="22,5 %", valid_from=OCTOBER, partner_id=1
    )
    for bad in ("100,01", "-1", "12,345", "abc", "", "NaN", "Infinity", "1E+30", True):
        with pytest.raises(InvalidInput) as refused:
            commission.set_course_rate(
                STAFF, october, product_id=101, rate=bad, valid_from=NOVEMBER, partner_id=1
            )
        assert refused.value.key == "payouts.invalid_rate", bad
    # A course of another partner is refused for the partner the form is about.
    with pytest.raises(InvalidInput) as refused:
        commission.set_course_rate(
            STAFF, october, product_id=201, rate="10", valid_from=OCTOBER, partner_id=1
        )
    assert refused.value.key == "partners.course_other_partner"
    said = i18n.render_refusal(refused.value, "de")
    assert "201" not in said and "Beta" in said, said  # the course's name, not its number
    # Staff viewing as A do not reach B's course at all.
    assert not commission.set_course_rate(
        STAFF.view_as(1), october, product_id=201, rate="10", valid_from=OCTOBER
    )
    frame = commission.list_rates(STAFF, october)
    assert list(zip(frame["product_id"], frame["rate"], strict=True)) == [(101, D("22.50"))]
    assert commission.list_rates(STAFF, october, partner_id=2).empty
    assert commission.list_rates(PARTNER_B, october, partner_id=1).empty


def test_contract_rate_change_is_audited_and_reaches_the_next_payout(
    october: Databases,
) -> None:
    assert commission.contract_rate(STAFF, october, partner_id=1) == D("25.00")
    assert commission.contract_rate(PARTNER_A, october, partner_id=1) == D("25.00")
    assert commission.contract_rate(PARTNER_B, october, partner_id=1) is None
    with pytest.raises(ScopeError):
        commission.set_contract_rate(PARTNER_A, october, partner_id=1, rate="5")
    with pytest.raises(InvalidInput):
        commission.set_contract_rate(STAFF, october, partner_id=1, rate="101")
    for typed in ("٢٠", "1e1", "2E1", "NaN", "²"):  # Decimal() reads the first four
        with pytest.raises(InvalidInput):
            commission.set_contract_rate(STAFF, october, partner_id=1, rate=typed)
    assert commission.contract_rate(STAFF, october, partner_id=1) == D("25.00")
    assert not commission.set_contract_rate(STAFF.view_as(2), october, partner_id=1, rate="5")
    assert commission.set_contract_rate(STAFF, october, partner_id=1, rate="27,5", now=NOW)
    assert commission.set_contract_rate(STAFF, october, partner_id=1, rate="27.50", now=NOW)
    assert commission.contract_rate(STAFF, october, partner_id=1) == D("27.50")
    assert commission.contract_rate(STAFF, october, partner_id=2) == D("20.00")
    with october.portal.connect() as conn:
        audit = conn.execute(
            select(audit_log.c.user_id, audit_log.c.partner_id, audit_log.c.details).where(
                audit_log.c.action == "commission_contract_set"
            )
        ).all()
    # Once: the second call changed nothing.
    assert [(a.user_id, a.partner_id, a.details) for a in audit] == [
        (30, 1, {"rate": "27.50", "previous": "25.00"})
    ]
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    lines = payouts.list_lines(STAFF, october, payout_id=_payout_of(october, 1).payout_id)
    assert set(lines["commission_rate"]) == {D("27.50")}


@pytest.mark.parametrize(
    ("values", "case", "commission_vat"),
    [
        ({"small_business": True, "vat_id": None}, VAT_SMALL_BUSINESS, D("17.39")),
        ({"country_id": "AT", "vat_id": "ATU12345678"}, VAT_REVERSE_CHARGE, D("0")),
    ],
)
def test_vat_cases_reach_the_payout(
    october: Databases, values: dict, case: str, commission_vat: Decimal
) -> None:
    with october.portal.begin() as conn:
        conn.execute(update(partners).where(partners.c.partner_id == 1).values(**values))
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    a = _payout_of(october, 1)
    assert a.vat_case == case and a.commission_vat == commission_vat
    lines = payouts.list_lines(STAFF, october, payout_id=a.payout_id)
    assert set(lines["vat_rate"]) == {D("0")}


def test_the_job_builds_last_month(october: Databases, tmp_path) -> None:
    from core import periods
    from jobs.__main__ import main

    last = payouts.last_month()
    start = periods.month_of(last).start
    with october.portal.begin() as conn:
        conn.execute(update(bookings).values(event_at=start + timedelta(days=1)))
    settings = Settings(
        magento_url=october.magento.url.render_as_string(False),
        magento_read_url=None,
        portal_url=october.portal.url.render_as_string(False),
        demo_dir=tmp_path / "demo",
        cookie_key="k" * 40,
    )
    assert main(["run", "compute-payouts"], settings=settings, db=october) == 0
    assert main(["run", "compute-payouts"], settings=settings, db=october) == 0
    frame = payouts.list_payouts(STAFF, october, period=last)
    assert sorted(frame["partner_id"]) == [1, 2]
    assert not payouts.is_settled(STAFF, october, period=last)


# --- negative payouts: offset against the next payout (Verrechnung) ---------------------------

DECEMBER, JANUARY = date(2026, 12, 1), date(2027, 1, 1)


def _add_sale(db: Databases, item_id: int, *, like: int, event_at: datetime, gross: str) -> None:
    """A new booked item in the ledger, copied from item `like` (same partner and course)."""
    with db.portal.begin() as conn:
        row = dict(
            conn.execute(select(bookings).where(bookings.c.item_id == like)).mappings().one()
        )
        row.update(
            item_id=item_id,
            order_id=item_id,
            increment_id=f"00000{item_id}",
            event_at=event_at,
            gross=D(gross),
            refunded=D("0"),
            tickets=1,
        )
        conn.execute(bookings.insert().values(**row))


def _approve(db: Databases, *payout_ids: int) -> list[str]:
    return payouts.approve_payouts(STAFF, db, payout_ids=list(payout_ids), now=NOW).documents


def _offsets(db: Databases) -> list[tuple[int, int, Decimal]]:
    from data.portal_schema import payout_offsets

    with db.portal.connect() as conn:
        return [
            (r.payout_id, r.offsets_payout_id, r.amount)
            for r in conn.execute(
                select(payout_offsets).order_by(payout_offsets.c.offsets_payout_id)
            )
        ]


def _negative_november(db: Databases) -> tuple[payouts.Payout, payouts.Payout]:
    """October approved for A and B (A paid), then one refund each: November is negative."""
    payouts.compute_payouts(SYSTEM, db, period=OCTOBER, now=NOW)
    a, b = _payout_of(db, 1), _payout_of(db, 2)
    assert _approve(db, a.payout_id, b.payout_id) == ["GS-2026-00001", "GS-2026-00002"]
    payouts.mark_paid(STAFF, db, payout_ids=[a.payout_id], paid_on=date(2026, 11, 6))
    _set_ledger(db, 5002, status="refunded", refunded=D("99"))  # A: 99 at 25 %
    _set_ledger(db, 5102, status="refunded", refunded=D("138"))  # B
    payouts.compute_payouts(SYSTEM, db, period=NOVEMBER, now=NOW)
    nov_a, nov_b = _payout_of(db, 1, NOVEMBER), _payout_of(db, 2, NOVEMBER)
    # -99 + (24.75 commission + 4.70 VAT): only a correction, so A owes Miomente 69.55.
    assert (nov_a.amount, nov_a.carried) == (D("-69.55"), D("0"))
    assert nov_b.amount < 0
    assert _approve(db, nov_a.payout_id, nov_b.payout_id) == ["GS-2026-00003", "GS-2026-00004"]
    return nov_a, nov_b


def test_a_negative_payout_is_offset_once_against_the_next_payout(october: Databases) -> None:
    from accounting.facturx import NSMAP
    from data.money import documents
    from tests.accounting.test_credit_note import amount, embedded_xml, pdf_text

    nov_a, nov_b = _negative_november(october)
    # The SEPA file leaves November out: nothing to transfer.
    assert (
        documents.sepa_export(
            STAFF, october, payout_ids=[nov_a.payout_id], execution_date=date(2026, 12, 7)
        )
        is None
    )
    _add_sale(october, 5901, like=5003, event_at=datetime(2026, 12, 10, 16), gross="200")  # A
    _add_sale(october, 5902, like=5101, event_at=datetime(2026, 12, 10, 16), gross="100")  # B
    december = payouts.compute_payouts(SYSTEM, october, period=DECEMBER, now=NOW)
    assert december.created == 2
    dec_a, dec_b = _payout_of(october, 1, DECEMBER), _payout_of(october, 2, DECEMBER)
    # A: 200 − (50 + 9.50) = 140.50 of its own, less November's 69.55.
    assert (dec_a.gross, dec_a.commission_gross) == (D("200"), D("59.5"))
    assert (dec_a.carried, dec_a.amount) == (D("-69.55"), D("70.95"))
    # Tenant safety: B's deficit lowers B's payout only.
    assert dec_b.carried == nov_b.amount
    assert dec_b.amount == D("100") - dec_b.commission_gross + nov_b.amount
    assert _offsets(october) == [
        (dec_a.payout_id, nov_a.payout_id, D("-69.55")),
        (dec_b.payout_id, nov_b.payout_id, nov_b.amount),
    ]
    # A rerun changes nothing.
    rerun = payouts.compute_payouts(SYSTEM, october, period=DECEMBER, now=datetime(2026, 12, 2))
    assert (rerun.created, rerun.updated, rerun.unchanged, rerun.removed) == (0, 0, 2, 0)
    assert _payout_of(october, 1, DECEMBER) == dec_a
    # The partner's view names the offset credit note; B's never reaches A.
    seen = payouts.get_payout(PARTNER_A, october, payout_id=dec_a.payout_id)
    assert seen is not None and seen.carried_from == ("GS-2026-00003",)
    assert payouts.get_payout(PARTNER_A, october, payout_id=dec_b.payout_id) is None

    [number] = _approve(october, dec_a.payout_id)
    assert number == "GS-2026-00005"
    doc_id = int(documents.list_documents(STAFF, october, period=DECEMBER)["document_id"].iloc[0])
    file = documents.document_pdf(PARTNER_A, october, document_id=doc_id)
    assert file is not None
    text = "\n".join(pdf_text(file.pdf))
    assert "Verrechnung mit Gutschrift GS-2026-00003" in text
    assert "-69,55 €" in text and "70,95 €" in text
    assert "GS-2026-00004" not in text  # B's November note
    root = embedded_xml(file.pdf)  # validates (XSD and EN 16931 sums)
    assert amount(root, "GrandTotalAmount") == D("200.00")
    assert amount(root, "TotalPrepaidAmount") == D("129.05")  # 59.50 commission + 69.55
    assert amount(root, "DuePayableAmount") == D("70.95")
    notes = [e.text for e in root.iterfind(".//ram:IncludedNote/ram:Content", NSMAP)]
    assert any("Verrechnung mit Gutschrift GS-2026-00003: -69.55 EUR" in n for n in notes)

    sepa = documents.sepa_export(
        STAFF,
        october,
        payout_ids=[nov_a.payout_id, dec_a.payout_id],
        execution_date=date(2027, 1, 8),
    )
    assert sepa is not None
    assert (sepa.included, sepa.skipped) == (["GS-2026-00005"], ["GS-2026-00003"])
    assert b'<InstdAmt Ccy="EUR">70.95</InstdAmt>' in sepa.data

    # A reissue (cancellation + new note) keeps the offset; both documents validate.
    reissued = documents.reissue_document(STAFF, october, document_id=doc_id, now=NOW)
    assert reissued is not None
    again = documents.sepa_export(
        STAFF, october, payout_ids=[dec_a.payout_id], execution_date=date(2027, 1, 8)
    )
    assert again is not None and again.included == [reissued.credit_note]
    assert b'<InstdAmt Ccy="EUR">70.95</InstdAmt>' in again.data

    # January: November is offset already; nothing carries again.
    _add_sale(october, 5903, like=5003, event_at=datetime(2027, 1, 12, 16), gross="100")
    payouts.compute_payouts(SYSTEM, october, period=JANUARY, now=NOW)
    jan_a = _payout_of(october, 1, JANUARY)
    assert (jan_a.carried, jan_a.amount) == (D("0"), D("100") - jan_a.commission_gross)
    assert len(_offsets(october)) == 2


def test_a_still_negative_month_carries_on_and_a_carry_alone_makes_no_payout(
    october: Databases,
) -> None:
    nov_a, _nov_b = _negative_november(october)
    # December has nothing for A: the deficit waits, no payout only for the carry.
    payouts.compute_payouts(SYSTEM, october, period=DECEMBER, now=NOW)
    assert payouts.list_payouts(STAFF, october, period=DECEMBER, partner_id=1).empty
    # A December refund: −89 + (22.25 + 4.23) = −62.52, plus November's −69.55.
    _set_ledger(october, 5003, status="refunded", refunded=D("89"))
    payouts.compute_payouts(SYSTEM, october, period=DECEMBER, now=NOW)
    dec_a = _payout_of(october, 1, DECEMBER)
    assert (dec_a.carried, dec_a.amount) == (D("-69.55"), D("-132.07"))
    # Dropping the draft (the refund is undone) frees November's deficit again.
    _set_ledger(october, 5003, status="confirmed", refunded=D("0"))
    assert payouts.compute_payouts(SYSTEM, october, period=DECEMBER, now=NOW).removed == 1
    assert all(o[1] != nov_a.payout_id for o in _offsets(october))
    _set_ledger(october, 5003, status="refunded", refunded=D("89"))
    payouts.compute_payouts(SYSTEM, october, period=DECEMBER, now=NOW)
    dec_a = _payout_of(october, 1, DECEMBER)
    assert dec_a.amount == D("-132.07")
    _approve(october, dec_a.payout_id)
    # January: only December's deficit carries (it contains November's), never November again.
    _add_sale(october, 5901, like=5001, event_at=datetime(2027, 1, 12, 16), gross="200")
    payouts.compute_payouts(SYSTEM, october, period=JANUARY, now=NOW)
    jan_a = _payout_of(october, 1, JANUARY)
    assert (jan_a.carried, jan_a.amount) == (D("-132.07"), D("140.50") - D("132.07"))
    offsets = [o for o in _offsets(october) if o[1] in (nov_a.payout_id, dec_a.payout_id)]
    assert offsets == [
        (dec_a.payout_id, nov_a.payout_id, D("-69.55")),
        (jan_a.payout_id, dec_a.payout_id, D("-132.07")),
    ]


# --- settlement start: items before it were settled outside the portal ----------------------


def _items_in(db: Databases, period: date) -> set[int]:
    frame = payouts.list_payouts(STAFF, db, period=period)
    items: set[int] = set()
    for payout_id in frame["payout_id"]:
        items |= set(payouts.list_lines(STAFF, db, payout_id=int(payout_id))["item_id"])
    return items


def test_items_before_the_global_start_never_enter_a_payout(october: Databases) -> None:
    # 5001's course was in September and nobody paid it out in the portal: without a start,
    # October would sweep it up as a late item.
    _set_ledger(october, 5001, event_at=datetime(2026, 9, 20, 16, 0))
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    assert 5001 in _items_in(october, OCTOBER)
    start = date(2026, 10, 1)
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW, settlement_start=start)
    assert _items_in(october, OCTOBER) == (A_ITEMS | B_ITEMS) - {5001}
    assert _payout_of(october, 1).gross == D("188")


def test_the_global_start_comes_from_the_configuration(october: Databases, monkeypatch) -> None:
    from core import settings

    monkeypatch.setenv("MIOMENTE_SETTLEMENT_START", "2026-10-01")
    assert settings.load_accounting().settlement_start == date(2026, 10, 1)
    _set_ledger(october, 5001, event_at=datetime(2026, 9, 20, 16, 0))
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    assert 5001 not in _items_in(october, OCTOBER)
    monkeypatch.setenv("MIOMENTE_SETTLEMENT_START", "1.10.2026")
    with pytest.raises(settings.ConfigError, match="YYYY-MM-DD"):
        settings.load_accounting()


def test_a_partners_own_later_start_keeps_its_earlier_items_out(october: Databases) -> None:
    from data.money import settlement

    _set_ledger(october, 5003, event_at=datetime(2026, 10, 20, 16, 0))  # after A's start
    # A's own start (Oct 15) is later than the global one (Oct 1): it wins, for A only.
    assert settlement.set_settlement_start(
        STAFF, october, partner_id=1, start=date(2026, 10, 15), now=NOW
    )
    with pytest.raises(ScopeError):
        settlement.set_settlement_start(PARTNER_A, october, partner_id=1, start=None)
    got = settlement.settlement_start(STAFF, october, partner_id=1)
    assert got is not None and got.own == date(2026, 10, 15)
    payouts.compute_payouts(
        SYSTEM, october, period=OCTOBER, now=NOW, settlement_start=date(2026, 10, 1)
    )
    assert _items_in(october, OCTOBER) == {5003} | B_ITEMS
    with october.portal.connect() as conn:
        audit = conn.execute(
            select(audit_log.c.action, audit_log.c.entity_id).where(
                audit_log.c.action == "settlement_start_set"
            )
        ).all()
    assert [(a, str(e)) for a, e in audit] == [("settlement_start_set", "1")]


def test_no_correction_for_an_item_before_the_start(october: Databases) -> None:
    from data.money import settlement

    _set_ledger(october, 5003, event_at=datetime(2026, 10, 20, 16, 0))
    payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    a = _payout_of(october, 1)
    payouts.approve_payouts(STAFF, october, payout_ids=[a.payout_id], now=NOW)
    # Later the partner's history up to Oct 15 is declared settled outside the portal; then
    # two of its October items are refunded.
    settlement.set_settlement_start(STAFF, october, partner_id=1, start=date(2026, 10, 15))
    _set_ledger(october, 5002, status="refunded", refunded=D("99"))  # Oct 14: before
    _set_ledger(october, 5003, status="refunded", refunded=D("89"))  # Oct 20: after
    result = payouts.compute_payouts(SYSTEM, october, period=NOVEMBER, now=NOW)
    assert result.corrections == 1
    lines = payouts.list_lines(STAFF, october, payout_id=_payout_of(october, 1, NOVEMBER).payout_id)
    assert list(zip(lines["item_id"], lines["kind"], lines["gross"], strict=True)) == [
        (5003, "correction", D("-89"))
    ]


# --- a run reads and writes a chunk of partners at a time ------------------------------------


def _all_lines(db: Databases) -> list[tuple]:
    with db.portal.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                select(
                    payouts_table.c.partner_id,
                    payout_lines.c.item_id,
                    payout_lines.c.kind,
                    payout_lines.c.gross,
                    payout_lines.c.commission_net,
                )
                .select_from(payout_lines.join(payouts_table))
                .order_by(payout_lines.c.item_id)
            )
        ]


def test_partners_in_chunks_give_the_same_payouts(october: Databases, monkeypatch) -> None:
    whole = payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    lines = _all_lines(october)
    with october.portal.begin() as conn:
        conn.execute(payout_lines.delete())
        conn.execute(payouts_table.delete())
    # Each partner has three ledger rows: a budget of two makes every partner a chunk alone.
    monkeypatch.setattr(payouts, "LEDGER_CHUNK", 2)
    read = payouts._read_inputs
    chunks: list[list[int]] = []

    def recording(conn, run, chunk):
        chunks.append(list(chunk))
        return read(conn, run, chunk)

    monkeypatch.setattr(payouts, "_read_inputs", recording)
    split = payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    assert chunks == [[1], [2]]
    assert _all_lines(october) == lines
    assert (split.created, split.partners, split.lines) == (whole.created, 2, whole.lines)
    # A rerun in chunks finds both drafts unchanged.
    again = payouts.compute_payouts(SYSTEM, october, period=OCTOBER, now=NOW)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_the_start_is_berlins_midnight(october: Databases) -> None:
    # The ledger is read from the start's Berlin midnight on (22:00 UTC the day before in
    # summer time): 00:30 on Oct 1 in Berlin is in, 23:30 on Sep 30 is out.
    _set_ledger(october, 5001, event_at=datetime(2026, 9, 30, 22, 30))
    _set_ledger(october, 5002, event_at=datetime(2026, 9, 30, 21, 30))
    payouts.compute_payouts(
        SYSTEM, october, period=OCTOBER, now=NOW, settlement_start=date(2026, 10, 1)
    )
    items = _items_in(october, OCTOBER)
    assert 5001 in items and 5002 not in items
