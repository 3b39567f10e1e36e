"""`send-outbox` against real databases and real HTTP: the loopback SendGrid and Twilio fakes.

No mocks: messages are queued with `queue_message`, sent by the task function (or by real
`python -m jobs run send-outbox` processes) through the real transports and client libraries,
and checked at the fakes (what arrived, how often) and in the outbox rows (status, provider
id, last error). Every backend: SQLite and PostgreSQL (the shop on MariaDB is never touched).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import Databases
from core.settings import PROJECT_ROOT
from data.access.viewer import SYSTEM
from data.comms import outbox
from data.portal_schema import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_SENT
from data.portal_schema import outbox as outbox_table
from jobs.runner import EXIT_LOCKED, EXIT_OK
from jobs.send_outbox import SINGLES_PER_SEND, send_outbox
from messaging.render import TEMPLATES
from messaging.transports import SendGridTransport, TwilioTransport
from tests.support.fakes import SendGridFake, TwilioFake

SAMPLE = dict(TEMPLATES["waitlist_new_date"].sample)
SENDER = "+4915100000000"
COOKIE_KEY = "k" * 40
# Repetitions of the kill -9 test; MIOMENTE_CRASH_REPEATS=5 for a measurement.
CRASH_REPEATS = int(os.environ.get("MIOMENTE_CRASH_REPEATS", "1"))


@pytest.fixture
def databases(portal_databases: Databases) -> Databases:
    return portal_databases  # these tests never touch the shop


@pytest.fixture
def sendgrid() -> Iterator[SendGridFake]:
    with SendGridFake() as fake:
        yield fake
    assert fake.violations == []  # every body we sent was valid for SendGrid


@pytest.fixture
def twilio() -> Iterator[TwilioFake]:
    with TwilioFake() as fake:
        yield fake


def _sendgrid_transport(fake: SendGridFake, **options: object) -> SendGridTransport:
    return SendGridTransport(
        api_key=fake.api_key,
        host=fake.url,
        from_email="buchungen@miomente.de",
        from_name="Miomente",
        **options,  # type: ignore[arg-type]
    )


def _twilio_transport(fake: TwilioFake) -> TwilioTransport:
    return TwilioTransport(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        from_number=SENDER,
        base_url=fake.url,
        backoff_base=0.01,
    )


def _email(key: str, to: str, name: str, **changes: object) -> dict[str, object]:
    """A waitlist notice (one course date to many people): the batchable kind of mail."""
    return dict(
        channel="email",
        template=changes.pop("template", "waitlist_new_date"),
        recipient=to,
        recipient_name=name,
        locale=changes.pop("locale", "de"),
        payload={**SAMPLE, "customer_name": name, **changes},
        dedupe_key=key,
    )


def _sms(key: str, to: str, **changes: object) -> dict[str, object]:
    message = _email(key, to, "SMS-Kunde", **changes)
    return {**message, "channel": "sms", "recipient_name": None}


def _queue(db: Databases, messages: list[dict[str, object]]) -> int:
    with db.portal.begin() as conn:
        return outbox.queue_many(conn, messages)


def _many(count: int, *, prefix: str = "m", personal: bool = False) -> list[dict[str, object]]:
    # "&" in a name is escaped in HTML, so such a message cannot share content: sent alone.
    name = "Kim & Co {}" if personal else "Kundin {}"
    return [
        _email(f"{prefix}-{i}", f"{prefix}{i}@example.org", name.format(i)) for i in range(count)
    ]


def _rows(db: Databases) -> dict[str, Mapping]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(outbox_table)).mappings().all()
    return {row["dedupe_key"]: row for row in rows}


def _later(delta: timedelta):
    return lambda: datetime.now(UTC).replace(tzinfo=None) + delta


# --- sending ------------------------------------------------------------------------------------


def test_queued_messages_are_sent_once_with_provider_ids(
    databases: Databases, sendgrid: SendGridFake, twilio: TwilioFake
) -> None:
    batch = _many(40)
    personal = _many(3, prefix="p", personal=True)
    english = [
        _email(f"en-{i}", f"en{i}@example.org", f"Customer {i}", locale="en") for i in (1, 2)
    ]
    texts = [_sms("sms-1", "+4915112345678"), _sms("sms-2", "+4917612345678")]
    assert _queue(databases, [*batch, *personal, *english, *texts]) == 47

    counts = send_outbox(
        databases, email=_sendgrid_transport(sendgrid), sms=_twilio_transport(twilio)
    )
    assert (counts.processed, counts.sent, counts.retried, counts.failed) == (47, 47, 0, 0)

    rows = _rows(databases)
    assert {r["status"] for r in rows.values()} == {OUTBOX_SENT}
    assert all(r["provider_message_id"] and r["sent_at"] for r in rows.values())
    assert rows["sms-1"]["provider_message_id"].startswith("SM")
    # The 40 German notices share one request, so one X-Message-Id.
    assert len({rows[m["dedupe_key"]]["provider_message_id"] for m in batch}) == 1
    emails = [m["recipient"] for m in [*batch, *personal, *english]]
    assert sorted(sendgrid.recipients()) == sorted(emails)  # each exactly once
    assert len(sendgrid.mail_requests()) == 1 + 1 + 3  # de batch, en batch, 3 alone
    first = sendgrid.mail_requests()[0].body["personalizations"][7]
    assert first["substitutions"] == {"-customer_name-": "Kundin 7"}
    assert sorted(m["To"] for m in twilio.messages()) == ["+4915112345678", "+4917612345678"]

    # A second run finds nothing: sent is sent.
    again = send_outbox(databases, email=_sendgrid_transport(sendgrid), sms=None)
    assert again.processed == 0 and len(sendgrid.mail_requests()) == 5


def test_the_same_dedupe_key_is_one_message_and_one_email(
    databases: Databases, sendgrid: SendGridFake
) -> None:
    message = _email("booking-4711-confirmed", "anna@example.org", "Anna")
    assert _queue(databases, [message]) == 1
    assert _queue(databases, [message]) == 0
    send_outbox(databases, email=_sendgrid_transport(sendgrid), sms=None)
    assert _queue(databases, [message]) == 0  # also after sending
    send_outbox(databases, email=_sendgrid_transport(sendgrid), sms=None)
    assert sendgrid.recipients() == ["anna@example.org"]


def test_a_template_error_or_bad_address_fails_only_that_message(
    databases: Databases, sendgrid: SendGridFake, twilio: TwilioFake
) -> None:
    missing = _email("missing-key", "a@example.org", "A")
    del missing["payload"]["booking_url"]  # type: ignore[attr-defined]
    _queue(
        databases,
        [
            *_many(3),
            missing,
            _email("unknown", "b@example.org", "B", template="gibt_es_nicht"),
            _sms("no-sms-channel", "+4915112345678", template="booking_rejected"),
            _email("bad-address", "kein-at-zeichen.example.org", "C"),
            _sms("bad-number", "0151 1234567"),
            _sms("good-sms", "+4915112345678"),
        ],
    )
    counts = send_outbox(
        databases, email=_sendgrid_transport(sendgrid), sms=_twilio_transport(twilio)
    )
    assert (counts.sent, counts.failed, counts.retried) == (4, 5, 0)
    rows = _rows(databases)
    errors = {k: r["last_error"] for k, r in rows.items() if r["status"] == OUTBOX_FAILED}
    assert set(errors) == {"missing-key", "unknown", "no-sms-channel", "bad-address", "bad-number"}
    assert "booking_url" in errors["missing-key"]
    assert "unknown template 'gibt_es_nicht'" in errors["unknown"]
    assert "no channel 'sms'" in errors["no-sms-channel"]
    assert "invalid email address" in errors["bad-address"]
    assert "E.164" in errors["bad-number"]
    assert sorted(sendgrid.recipients()) == ["m0@example.org", "m1@example.org", "m2@example.org"]
    assert [m["To"] for m in twilio.messages()] == ["+4915112345678"]
    # Failed for good: a later run does not try them again.
    assert send_outbox(databases, email=_sendgrid_transport(sendgrid), sms=None).processed == 0


# --- provider trouble ---------------------------------------------------------------------------


def test_rate_limits_and_server_errors_are_retried(
    databases: Databases, sendgrid: SendGridFake
) -> None:
    _queue(databases, _many(5))
    waits: list[float] = []
    now = float(int(time.time()))  # the transport's clock, stopped: no stall shortens the wait
    sendgrid.respond(429, headers=SendGridFake.rate_limit_headers(now + 3))
    sendgrid.respond(500, times=2)
    transport = _sendgrid_transport(
        sendgrid, sleep=waits.append, backoff_base=0.01, clock=lambda: now
    )
    counts = send_outbox(databases, email=transport, sms=None)
    assert counts.sent == 5 and counts.send_calls == 1
    assert [r.status for r in sendgrid.mail_requests()] == [429, 500, 500, 202]
    assert waits[0] >= 3  # waited for the rate limit's reset, then backed off
    assert sorted(sendgrid.recipients(accepted_only=True)) == sorted(
        m["recipient"] for m in _many(5)
    )

    # An outage longer than the transport's tries: the messages wait for a later run, and
    # the rest of the batch is deferred without knocking again.
    _queue(databases, [*_many(3, prefix="later"), *_many(2, prefix="later-p", personal=True)])
    sendgrid.respond(503, times=4)
    counts = send_outbox(databases, email=transport, sms=None)
    assert (counts.sent, counts.retried, counts.failed, counts.send_calls) == (0, 5, 0, 1)
    assert len(sendgrid.mail_requests()) == 4 + 4  # the first run's four, four tries now
    later = {k: r for k, r in _rows(databases).items() if k.startswith("later")}
    assert {r["status"] for r in later.values()} == {OUTBOX_PENDING}
    assert all("503" in r["last_error"] for r in later.values())
    assert later["later-p-0"]["last_error"].startswith("not attempted")
    now = datetime.now(UTC).replace(tzinfo=None)
    assert all(r["next_attempt_at"] > now for r in later.values())
    assert send_outbox(databases, email=transport, sms=None).processed == 0  # not yet due
    counts = send_outbox(databases, email=transport, sms=None, clock=_later(timedelta(hours=2)))
    assert counts.sent == 5
    accepted = Counter(sendgrid.recipients(accepted_only=True))
    assert set(accepted.values()) == {1} and len(accepted) == 10


def test_a_permanent_refusal_fails_without_retry(
    databases: Databases, sendgrid: SendGridFake, twilio: TwilioFake
) -> None:
    _queue(databases, [*_many(2), _sms("sms-bad", "+4915112345678"), _sms("sms-ok", SENDER)])
    sendgrid.respond(
        400,
        body={
            "errors": [
                {
                    "message": "The from address does not match a verified Sender Identity.",
                    "field": "from.email",
                    "help": None,
                }
            ]
        },
    )
    twilio.respond_error(400, 21211, "The 'To' number +4915112345678 is not valid.")
    counts = send_outbox(
        databases, email=_sendgrid_transport(sendgrid), sms=_twilio_transport(twilio)
    )
    assert (counts.sent, counts.failed, counts.retried) == (1, 3, 0)
    rows = _rows(databases)
    assert "SendGrid 400: The from address" in rows["m-0"]["last_error"]
    assert "21211" in rows["sms-bad"]["last_error"] and rows["sms-ok"]["status"] == OUTBOX_SENT
    assert send_outbox(databases, email=_sendgrid_transport(sendgrid), sms=None).processed == 0
    assert len(sendgrid.mail_requests()) == 1


# --- concurrency --------------------------------------------------------------------------------


def test_workers_in_threads_never_claim_the_same_row(databases: Databases) -> None:
    _queue(databases, _many(300))
    start = threading.Barrier(4)
    got: dict[str, list[int]] = {}

    def claim(worker: str) -> None:
        start.wait()
        ids: list[int] = []
        while batch := outbox.claim_due(SYSTEM, databases, worker=worker, limit=20):
            ids += [m.message_id for m in batch]
        got[worker] = ids

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for ids in got.values() for i in ids]
    assert len(everything) == len(set(everything)) == 300


def test_two_senders_in_threads_send_each_message_once(
    databases: Databases, sendgrid: SendGridFake
) -> None:
    _queue(databases, [*_many(400), *_many(60, prefix="p", personal=True)])
    transport = _sendgrid_transport(sendgrid)
    results = []

    def sender(worker: str) -> None:
        results.append(send_outbox(databases, email=transport, sms=None, worker=worker, limit=50))

    threads = [threading.Thread(target=sender, args=(f"sender-{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 460
    received = sendgrid.recipients()
    assert len(received) == len(set(received)) == 460


def _env(db: Databases, sendgrid: SendGridFake, demo_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIOMENTE_", "SENDGRID_"))}
    env.update(
        MIOMENTE_MAGENTO_URL=db.magento.url.render_as_string(hide_password=False),
        MIOMENTE_PORTAL_URL=db.portal.url.render_as_string(hide_password=False),
        MIOMENTE_COOKIE_KEY=COOKIE_KEY,
        MIOMENTE_DEMO_DIR=str(demo_dir),
        SENDGRID_API_KEY=sendgrid.api_key,
        SENDGRID_HOST=sendgrid.url,
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


def _sender_process(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "jobs", "run", "send-outbox"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_send_each_message_exactly_once(databases: Databases, tmp_path: Path) -> None:
    messages = [*_many(1100), *_many(20, prefix="p", personal=True)]
    _queue(databases, messages)
    with SendGridFake(latency=0.05) as sendgrid:
        env = _env(databases, sendgrid, tmp_path)
        processes = [_sender_process(env) for _ in range(2)]
        outputs = [p.communicate(timeout=180) for p in processes]
        codes = sorted(p.returncode for p in processes)
        received = sendgrid.recipients(accepted_only=True)
        assert sendgrid.violations == []
    assert codes in ([EXIT_OK, EXIT_OK], [EXIT_OK, EXIT_LOCKED]), outputs
    if codes[1] == EXIT_LOCKED:
        assert any("läuft bereits" in err for _out, err in outputs)
    assert len(received) == len(set(received)) == len(messages)
    assert {r["status"] for r in _rows(databases).values()} == {OUTBOX_SENT}


# --- a crash in the middle ----------------------------------------------------------------------


def _kill_mid_run(
    databases: Databases, sendgrid: SendGridFake, env: dict[str, str], after: int
) -> None:
    process = _sender_process(env)
    try:
        deadline = time.monotonic() + 90
        while len(sendgrid.mail_requests()) < after:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the sender never got going"
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    sendgrid.wait_idle()  # a request that was in flight at the kill is recorded first


@pytest.mark.parametrize("repeat", range(CRASH_REPEATS))
def test_kill_9_mid_run_loses_nothing_and_repeats_only_the_unrecorded_call(
    databases: Databases, tmp_path: Path, repeat: int
) -> None:
    messages = _many(150, prefix=f"crash{repeat}", personal=True)  # one request each
    _queue(databases, messages)
    with SendGridFake(latency=0.03) as sendgrid:
        _kill_mid_run(databases, sendgrid, _env(databases, sendgrid, tmp_path), after=40 + repeat)
        # What the provider took before the kill, and what we had recorded as sent.
        accepted = set(sendgrid.outbox_ids(accepted_only=True))
        recorded = {
            str(r["message_id"]) for r in _rows(databases).values() if r["status"] == OUTBOX_SENT
        }
        assert recorded <= accepted
        sendgrid.latency = 0.0
        # The killed sender's leases have not run out yet; a later run (clock past the
        # lease) takes its rows over.
        assert send_outbox(databases, email=_sendgrid_transport(sendgrid), sms=None).processed == 0
        counts = send_outbox(
            databases,
            email=_sendgrid_transport(sendgrid),
            sms=None,
            clock=_later(outbox.LEASE + timedelta(seconds=1)),
        )
        delivered = Counter(sendgrid.outbox_ids(accepted_only=True))
    rows = _rows(databases)
    assert {r["status"] for r in rows.values()} == {OUTBOX_SENT}  # nothing lost
    assert set(delivered) == {str(r["message_id"]) for r in rows.values()}
    duplicates = {mid for mid, n in delivered.items() if n > 1}
    # Only messages the provider took whose "sent" was not committed: one send call's worth
    # (a message sent alone, here).
    assert duplicates <= accepted - recorded
    assert len(duplicates) <= SINGLES_PER_SEND
    print(
        f"\ncrash #{repeat}: {len(accepted)} accepted before kill -9, {len(recorded)} recorded,"
        f" {len(duplicates)} sent twice; next run took {counts.processed} over,"
        f" longest send→commit {counts.record_seconds_max * 1000:.1f} ms"
    )
