"""Credit notes: issued on approval, gapless numbers (also under 20 concurrent issuers on
PostgreSQL), stored immutably, corrected by cancellation plus a new document, scoped."""

from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError

from core import links
from core.db import Databases
from core.validation import InvalidInput
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.comms.member_digest import queue_digests
from data.money import documents, payouts
from data.portal_schema import (
    audit_log,
    bookings,
    document_sequences,
    member_digest_items,
    member_prefs,
    outbox,
    users,
)
from data.portal_schema import documents as documents_table

OCTOBER = date(2026, 10, 1)
NOW = datetime(2026, 11, 3, 9, 0)
STAFF = Viewer(user_id=30, role="staff")
PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
PARTNER_B = Viewer(user_id=20, role="partner", partner_id=2)


@pytest.fixture
def approved(shop: Databases) -> Databases:
    with shop.portal.begin() as conn:
        conn.execute(update(bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
    payouts.compute_payouts(SYSTEM, shop, period=OCTOBER, now=NOW)
    ids = payouts.list_payouts(STAFF, shop).sort_values("partner_id")["payout_id"].tolist()
    result = payouts.approve_payouts(STAFF, shop, payout_ids=ids, now=NOW)
    assert result.documents == ["GS-2026-00001", "GS-2026-00002"]
    return shop


def _doc_id(db: Databases, number: str) -> int:
    with db.portal.connect() as conn:
        return conn.execute(
            select(documents_table.c.document_id).where(documents_table.c.number == number)
        ).scalar_one()


def test_approval_issues_a_stored_pdf_and_a_message(approved: Databases) -> None:
    frame = documents.list_documents(PARTNER_A, approved)
    assert list(frame["number"]) == ["GS-2026-00001"]
    row = frame.iloc[0]
    assert row["status"] == "approved" and row["kind"] == "credit_note"
    assert row["amount"] == payouts.list_payouts(PARTNER_A, approved)["amount"].iloc[0]
    file = documents.document_pdf(PARTNER_A, approved, document_id=int(row["document_id"]))
    assert file is not None and file.pdf.startswith(b"%PDF")
    assert file.filename == "Gutschrift_GS-2026-00001.pdf"
    assert hashlib.sha256(file.pdf).hexdigest() == file.sha256
    # The partner hears of it once, through the outbox, at its main address.
    with approved.portal.connect() as conn:
        messages = conn.execute(
            select(outbox.c.recipient, outbox.c.payload, outbox.c.dedupe_key, outbox.c.partner_id)
            .where(outbox.c.template == "credit_note_available")
            .order_by(outbox.c.message_id)
        ).all()
    assert [(m.recipient, m.partner_id) for m in messages] == [
        ("info@alpha.example", 1),
        ("info@beta.example", 2),
    ]
    assert messages[0].payload["credit_note_number"] == "GS-2026-00001"
    assert messages[0].payload["amount"] == "257.11"
    assert messages[0].payload["payout_date"] == "2026-11-06"
    assert messages[0].dedupe_key.startswith("credit_note:")


def test_a_partner_cannot_reach_another_partners_document(approved: Databases) -> None:
    b_doc = _doc_id(approved, "GS-2026-00002")
    assert documents.document_pdf(PARTNER_A, approved, document_id=b_doc) is None
    assert documents.document_pdf(PARTNER_B, approved, document_id=b_doc) is not None
    assert documents.document_pdf(STAFF.view_as(1), approved, document_id=b_doc) is None
    assert set(documents.list_documents(PARTNER_B, approved)["partner_id"]) == {2}
    with pytest.raises(ScopeError):
        documents.reissue_document(PARTNER_B, approved, document_id=b_doc)
    with pytest.raises(ScopeError):
        documents.credit_notes_for_export(PARTNER_B, approved, payout_ids=[1, 2])


def test_issued_documents_are_immutable(approved: Databases) -> None:
    doc = _doc_id(approved, "GS-2026-00001")
    with pytest.raises(DBAPIError, match="immutable"), approved.portal.begin() as conn:
        conn.execute(
            update(documents_table).where(documents_table.c.document_id == doc).values(amount=0)
        )
    own = [
        name
        for name, fn in vars(documents).items()
        if callable(fn) and getattr(fn, "__module__", None) == documents.__name__
    ]
    assert not [n for n in own if n.startswith(("update", "edit", "delete", "set_"))]


def test_correction_is_a_cancellation_plus_a_new_document(approved: Databases) -> None:
    old = _doc_id(approved, "GS-2026-00001")
    before = documents.document_pdf(STAFF, approved, document_id=old)
    later = datetime(2027, 1, 5, 10, 0)  # a new year: its own series starts at 1
    result = documents.reissue_document(STAFF, approved, document_id=old, now=later)
    assert (result.cancellation, result.credit_note) == ("GS-2027-00001", "GS-2027-00002")
    after = documents.document_pdf(STAFF, approved, document_id=old)
    assert after == before  # the original is untouched
    frame = documents.list_documents(PARTNER_A, approved).set_index("number")
    assert frame.loc["GS-2026-00001", "status"] == "cancelled"
    assert frame.loc["GS-2027-00001", "status"] == "cancellation"
    assert frame.loc["GS-2027-00001", "cancels_number"] == "GS-2026-00001"
    assert frame.loc["GS-2027-00001", "amount"] == -frame.loc["GS-2026-00001", "amount"]
    assert frame.loc["GS-2027-00002", "status"] == "approved"
    assert frame.loc["GS-2027-00002", "amount"] == frame.loc["GS-2026-00001", "amount"]
    storno = documents.document_pdf(
        PARTNER_A, approved, document_id=_doc_id(approved, "GS-2027-00001")
    )
    assert storno is not None and storno.filename.startswith("Storno-Gutschrift_")
    # The payout now points at the new credit note.
    assert payouts.list_payouts(PARTNER_A, approved)["document_number"].iloc[0] == "GS-2027-00002"
    # Filters.
    assert list(documents.list_documents(PARTNER_A, approved, status="cancelled")["number"]) == [
        "GS-2026-00001"
    ]
    assert documents.list_documents(PARTNER_A, approved, period=date(2026, 9, 1)).empty
    # Neither the cancelled one nor a cancellation can be corrected again.
    for number in ("GS-2026-00001", "GS-2027-00001"):
        with pytest.raises(InvalidInput):
            documents.reissue_document(STAFF, approved, document_id=_doc_id(approved, number))


def test_the_reason_of_a_correction_is_audited(approved: Databases) -> None:
    old = _doc_id(approved, "GS-2026-00002")
    with pytest.raises(InvalidInput) as refused:
        documents.reissue_document(STAFF, approved, document_id=old, reason="x" * 501)
    assert refused.value.key == "payouts.reason_too_long"
    assert len(documents.list_documents(STAFF, approved)) == 2  # nothing issued
    later = datetime(2026, 11, 20, 10, 0)
    result = documents.reissue_document(
        STAFF, approved, document_id=old, reason="  Neue Anschrift  ", now=later
    )
    assert (result.cancellation, result.credit_note) == ("GS-2026-00003", "GS-2026-00004")
    with approved.portal.connect() as conn:
        row = conn.execute(
            select(audit_log.c.note, audit_log.c.details, audit_log.c.partner_id).where(
                audit_log.c.action == "credit_note_reissued"
            )
        ).one()
    assert row.note == "Neue Anschrift" and row.partner_id == 2
    assert row.details == {"cancellation": "GS-2026-00003", "credit_note": "GS-2026-00004"}


def test_export_values_match_the_issued_documents(approved: Databases) -> None:
    ids = payouts.list_payouts(STAFF, approved).sort_values("partner_id")["payout_id"].tolist()
    notes = documents.credit_notes_for_export(STAFF, approved, payout_ids=ids)
    assert [n.number for n in notes] == ["GS-2026-00001", "GS-2026-00002"]
    assert notes[0].totals.payout == payouts.get_payout(STAFF, approved, payout_id=ids[0]).amount
    assert notes[0].recipient.name == "Alpha Kochschule GmbH"
    payouts.mark_paid(STAFF, approved, payout_ids=ids[:1], paid_on=date(2026, 11, 6))
    assert [
        n.number for n in documents.credit_notes_for_export(STAFF, approved, payout_ids=ids)
    ] == ["GS-2026-00002"]


@pytest.mark.parametrize("backend", ["server"], indirect=True)
def test_twenty_concurrent_issuers_get_gapless_numbers(databases: Databases) -> None:
    from bench.bench_payouts import seed_month

    seed_month(databases, partners_count=20, items_per_partner=3, first_partner_id=101)
    payouts.compute_payouts(SYSTEM, databases, period=OCTOBER, now=NOW)
    ids = payouts.list_payouts(STAFF, databases)["payout_id"].tolist()
    assert len(ids) == 20
    start = threading.Barrier(len(ids))
    results: dict[int, object] = {}

    def issue(payout_id: int) -> None:
        start.wait()
        try:
            results[payout_id] = payouts.approve_payouts(
                STAFF, databases, payout_ids=[payout_id], now=NOW
            ).documents
        except Exception as exc:  # noqa: BLE001 - reported below
            results[payout_id] = exc

    threads = [threading.Thread(target=issue, args=(p,)) for p in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = sorted(n for r in results.values() for n in r)  # type: ignore[union-attr]
    assert numbers == [f"GS-2026-{i:05d}" for i in range(1, 21)], results
    with databases.portal.connect() as conn:
        sequences = conn.execute(select(documents_table.c.sequence)).scalars().all()
        last = conn.execute(
            select(document_sequences.c.last_number).where(document_sequences.c.year == 2026)
        ).scalar_one()
    assert sorted(sequences) == list(range(1, 21)) and last == 20


@pytest.mark.parametrize(
    "number",
    ["x" * 10_000, "GS-2026-00001\x00", "GS-2026-00001' OR '1'='1", "٢٠٢٦"],
    ids=["10000-chars", "nul", "sql", "arabic-digits"],
)
def test_a_junk_number_from_a_link_finds_nothing(approved: Databases, number: str) -> None:
    # `?gutschrift=` is typed by anyone: junk reads as "not found", never as a driver error
    # (PostgreSQL refuses a NUL in a string parameter).
    frame = documents.list_documents(PARTNER_A, approved, number=number)
    assert frame.empty
    real = documents.list_documents(PARTNER_A, approved).iloc[0]["number"]
    assert len(documents.list_documents(PARTNER_A, approved, number=f" {real} ")) == 1


def test_a_digest_member_gets_the_credit_note_in_the_digest(shop: Databases) -> None:
    with shop.portal.begin() as conn:
        conn.execute(update(bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
        conn.execute(
            insert(users).values(
                user_id=41, username="bruno", display_name="Bruno", email="bruno@example.org",
                password_hash="x", role="partner", partner_id=1, member_role="accounting",
            )
        )  # fmt: skip
        conn.execute(
            insert(member_prefs).values(
                user_id=41, event="payout", email_enabled=True, daily_digest=True, updated_at=NOW
            )
        )
    payouts.compute_payouts(SYSTEM, shop, period=OCTOBER, now=NOW)
    ids = payouts.list_payouts(STAFF, shop).sort_values("partner_id")["payout_id"].tolist()
    payouts.approve_payouts(STAFF, shop, payout_ids=ids, now=NOW)
    with shop.portal.connect() as conn:
        mailed = conn.execute(
            select(outbox.c.recipient).where(outbox.c.template == "credit_note_available")
        ).scalars()
        assert "bruno@example.org" not in set(mailed)
        items = conn.execute(select(member_digest_items)).mappings().all()
    assert [(i["user_id"], i["partner_id"], i["subject"]) for i in items] == [
        (41, 1, "GS-2026-00001")
    ]
    assert queue_digests(SYSTEM, shop, now=datetime(2026, 11, 4, 6, 0)) == 1
    with shop.portal.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload).where(outbox.c.template == "member_digest")
        ).scalar_one()
    assert [i["url"] for i in payload["items"]] == [links.credit_note_url("GS-2026-00001")]
