"""Webhooks end to end: endpoints saved through the SSRF check, events written with their
cause, the deliver-webhooks job posting signed requests to a loopback receiver that answers
500, 410, slowly or with a redirect; retries, backoff, disabling, re-enabling, redelivery and
the tenant boundary (two partners sharing an order)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook

from components.webhooks_view import error_text
from core import ssrf
from core.db import Databases
from core.settings import Settings
from core.validation import InvalidInput
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.bookings.decisions import decide
from data.integrations import webhooks as wh
from data.portal_schema import outbox, webhook_deliveries, webhook_endpoints, webhook_events
from jobs.deliver_webhooks import deliver_due, new_client
from jobs.registry import TASKS, Every
from jobs.runner import JobContext
from tests.support import tls
from tests.support.webhook_receiver import WebhookReceiver

NOW = datetime(2026, 11, 25, 12, 0)
A = Viewer(user_id=10, role="partner", partner_id=1)
B = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")


def _public(host: str, port: int) -> list[str]:
    return {"hooks.example.org": ["93.184.215.14"], "intern.example.org": ["10.0.0.9"]}[host]


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ssrf.ALLOW_LOOPBACK_ENV, "1")


@pytest.fixture
def receiver(loopback: None):
    with WebhookReceiver() as hook:
        yield hook


@pytest.fixture
def ctx(shop: Databases, tmp_path: Path) -> JobContext:
    settings = Settings(
        magento_url=shop.magento.url.render_as_string(hide_password=False),
        magento_read_url=None,
        portal_url=shop.portal.url.render_as_string(hide_password=False),
        demo_dir=tmp_path / "demo",
        cookie_key="k" * 40,
    )
    return JobContext(settings=settings, db=shop, now=NOW)


def _at(ctx: JobContext, moment: datetime) -> JobContext:
    return JobContext(settings=ctx.settings, db=ctx.db, now=moment)


def _deliver(ctx: JobContext, **kwargs: object):
    return deliver_due(ctx, **kwargs)  # type: ignore[arg-type]


def _endpoint(db: Databases, viewer: Viewer, url: str, **kwargs: object) -> wh.Endpoint:
    return wh.save_endpoint(viewer, db, url=url, events=wh.EVENT_TYPES, now=NOW, **kwargs)  # type: ignore[arg-type]


def _delivery(db: Databases, delivery_id: int):
    with db.portal.connect() as conn:
        return (
            conn.execute(
                select(webhook_deliveries).where(webhook_deliveries.c.delivery_id == delivery_id)
            )
            .mappings()
            .one()
        )


def _stamp(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def test_the_job_is_registered_and_runs_at_every_run_due() -> None:
    task = TASKS["deliver-webhooks"]
    assert task.entry == "jobs.deliver_webhooks:run"
    assert task.schedule == Every(1)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://intern.example.org/hook",
        "http://hooks.example.org/hook",
    ],
)
def test_internal_or_plain_http_urls_are_refused_at_save(shop: Databases, url: str) -> None:
    with pytest.raises(InvalidInput):
        wh.save_endpoint(A, shop, url=url, events=["booking.created"], resolver=_public, now=NOW)
    assert wh.list_endpoints(A, shop) == []


def test_a_test_event_is_delivered_signed(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    totals = _deliver(ctx)
    assert (totals.sent, totals.ok) == (1, 1)
    [request] = receiver.requests
    headers = request.headers
    assert headers["webhook-timestamp"] == str(int(_stamp(NOW).timestamp()))
    expected = Webhook(endpoint.secret).sign(headers["webhook-id"], _stamp(NOW), request.body)
    assert headers["webhook-signature"] == expected
    assert json.loads(request.body)["type"] == wh.TEST_EVENT
    row = _delivery(ctx.db, delivery_id)
    assert (row["status"], row["status_code"], row["attempts"]) == ("ok", 204, 1)
    log = wh.list_deliveries(A, ctx.db)
    assert list(log["status"]) == ["ok"]


def _loopback(host: str, port: int) -> list[str]:
    # "localhost" may resolve to ::1 first; the test's HTTPS receiver listens on 127.0.0.1.
    assert host == tls.HOST
    return [tls.LOOPBACK]


@pytest.fixture
def test_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tls.LocalCa:
    """A CA made here, trusted by the job's own client through httpx's SSL_CERT_FILE (the
    documented way to trust a private CA; verification stays on)."""
    ca = tls.make_ca(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.path))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return ca


def test_an_https_receiver_gets_a_signed_delivery(
    ctx: JobContext, loopback: None, test_ca: tls.LocalCa, tmp_path: Path
) -> None:
    with WebhookReceiver(tls=test_ca.issue(tmp_path).context()) as hook:
        assert hook.url.startswith("https://localhost:")
        endpoint = _endpoint(ctx.db, A, hook.url, resolver=_loopback)
        delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
        totals = _deliver(ctx, resolver=_loopback)  # the job's own client (new_client())
    assert (totals.sent, totals.ok) == (1, 1)
    [request] = hook.requests
    assert request.headers["host"] == hook.url.split("/")[2]  # the name, not the address
    expected = Webhook(endpoint.secret).sign(
        request.headers["webhook-id"], _stamp(NOW), request.body
    )
    assert request.headers["webhook-signature"] == expected
    assert json.loads(request.body)["type"] == wh.TEST_EVENT
    row = _delivery(ctx.db, delivery_id)
    assert (row["status"], row["status_code"], row["error"]) == ("ok", 204, None)


@pytest.mark.parametrize("served", ["self_signed", "ca_not_trusted"])
def test_an_untrusted_certificate_fails_the_delivery(
    ctx: JobContext, loopback: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served: str
) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    if served == "self_signed":  # the test CA trusted, the receiver's certificate not from it
        monkeypatch.setenv("SSL_CERT_FILE", str(tls.make_ca(tmp_path).path))
        certificate = tls.self_signed(tmp_path)
    else:  # a certificate of the test CA, and the client on its default roots (certifi)
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        certificate = tls.make_ca(tmp_path).issue(tmp_path)
    with WebhookReceiver(tls=certificate.context()) as hook:
        endpoint = _endpoint(ctx.db, A, hook.url, resolver=_loopback)
        delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
        first = _deliver(ctx, resolver=_loopback)
        row = _delivery(ctx.db, delivery_id)
        assert (first.ok, first.retrying) == (0, 1)
        assert (row["status"], row["status_code"], row["delivered_at"]) == ("pending", None, None)
        reason = {"self_signed": "self-signed", "ca_not_trusted": "local issuer"}[served]
        assert row["error"].startswith(wh.ERROR_TLS) and reason in row["error"], row["error"]
        # Retried like any failure, and failed for good when the retries end.
        late = _at(ctx, NOW + timedelta(days=3, hours=1))
        assert _deliver(late, resolver=_loopback).failed == 1
        assert hook.requests == []  # nothing was ever sent over the untrusted connection
    row = _delivery(ctx.db, delivery_id)
    assert (row["status"], row["attempts"], row["delivered_at"]) == ("failed", 2, None)
    assert row["error"].startswith(wh.ERROR_TLS)
    # The partner reads why, in German or English (the page: tests/pages/test_webhooks_page.py).
    german, english = error_text(row["error"], "de"), error_text(row["error"], "en")
    assert german.startswith("TLS-Zertifikat des Empfängers nicht vertrauenswürdig (")
    assert english.startswith("The receiver's TLS certificate is not trusted (")
    assert reason in german and reason in english


def test_rotation_signs_with_both_secrets(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    rotated = wh.rotate_secret(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    assert rotated.secret != endpoint.secret and rotated.previous_secret == endpoint.secret
    wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    _deliver(ctx)
    [request] = receiver.requests
    signatures = request.headers["webhook-signature"].split(" ")
    msg_id = request.headers["webhook-id"]
    assert signatures == [
        Webhook(rotated.secret).sign(msg_id, _stamp(NOW), request.body),
        Webhook(endpoint.secret).sign(msg_id, _stamp(NOW), request.body),
    ]
    # After the overlap only the new secret signs.
    later = NOW + wh.ROTATION_OVERLAP + timedelta(minutes=1)
    wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=later)
    _deliver(_at(ctx, later))
    assert len(receiver.requests[-1].headers["webhook-signature"].split(" ")) == 1


def test_500_is_retried_with_backoff(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    receiver.respond(500, body=b"kaputt")
    totals = _deliver(ctx)
    assert (totals.sent, totals.retrying) == (1, 1)
    row = _delivery(ctx.db, delivery_id)
    assert (row["status"], row["status_code"], row["response_excerpt"]) == (
        "pending",
        500,
        "kaputt",
    )
    assert NOW + timedelta(seconds=15) <= row["next_attempt_at"] < NOW + timedelta(seconds=45)
    assert wh.list_endpoints(A, ctx.db)[0].failing_since == NOW
    # Not due yet: nothing is sent; once due, it goes out and the failing stretch ends.
    assert _deliver(ctx).sent == 0
    again = _at(ctx, NOW + timedelta(minutes=1))
    assert _deliver(again).ok == 1
    assert _delivery(ctx.db, delivery_id)["attempts"] == 2
    assert wh.list_endpoints(A, ctx.db)[0].failing_since is None


def test_retries_end_after_three_days(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    receiver.respond(500, times=2)
    _deliver(ctx)
    late = _at(ctx, NOW + timedelta(days=3, hours=1))
    assert _deliver(late).failed == 1
    assert _delivery(ctx.db, delivery_id)["status"] == "failed"
    assert wh.list_endpoints(A, ctx.db)[0].enabled  # 3 days of failures: not yet disabled


def test_410_disables_at_once_and_mails_the_partner(
    ctx: JobContext, receiver: WebhookReceiver
) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    receiver.respond(410)
    totals = _deliver(ctx)
    assert (totals.failed, totals.disabled) == (1, 1)
    [off] = wh.list_endpoints(A, ctx.db)
    assert (off.enabled, off.disabled_reason) == (False, wh.REASON_GONE)
    with ctx.db.portal.connect() as conn:
        mails = conn.execute(
            select(outbox.c.recipient, outbox.c.partner_id).where(
                outbox.c.template == wh.DISABLED_TEMPLATE
            )
        ).all()
    assert [m.partner_id for m in mails] == [1]
    # Nothing goes to a disabled endpoint; switched on and sent again, it arrives.
    with pytest.raises(InvalidInput):
        wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    on = wh.set_endpoint_enabled(A, ctx.db, endpoint_id=endpoint.endpoint_id, enabled=True, now=NOW)
    assert (on.enabled, on.disabled_reason, on.failing_since) == (True, None, None)
    assert wh.redeliver(A, ctx.db, delivery_id=delivery_id, now=NOW) == 1
    assert _deliver(ctx).ok == 1
    assert len(receiver.requests) == 2


def test_five_days_of_failures_disable_the_endpoint(
    ctx: JobContext, receiver: WebhookReceiver
) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    receiver.respond(503, times=10)
    wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    _deliver(ctx)
    day4 = NOW + timedelta(days=4)
    wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=day4)
    assert _deliver(_at(ctx, day4)).disabled == 0
    day5 = NOW + timedelta(days=5, minutes=1)
    wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=day5)
    assert _deliver(_at(ctx, day5)).disabled == 1
    [off] = wh.list_endpoints(A, ctx.db)
    assert (off.enabled, off.disabled_reason) == (False, wh.REASON_FAILING)
    with ctx.db.portal.connect() as conn:
        count = conn.execute(
            select(func.count()).where(outbox.c.template == wh.DISABLED_TEMPLATE)
        ).scalar()
    assert count == 1


def test_a_redirect_counts_as_failure(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    receiver.respond(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
    assert _deliver(ctx).retrying == 1
    row = _delivery(ctx.db, delivery_id)
    assert (row["status"], row["status_code"], row["error"]) == ("pending", 302, "redirect")
    assert len(receiver.requests) == 1  # the redirect was not followed


def test_a_slow_receiver_times_out(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    receiver.respond(204, delay=1.5)
    with new_client(timeout=0.3) as client:
        assert _deliver(ctx, client=client).retrying == 1
    row = _delivery(ctx.db, delivery_id)
    assert (row["status"], row["error"]) == ("pending", "timeout")


def test_dns_rebinding_is_refused_at_send(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = wh.save_endpoint(
        A, ctx.db, url="https://hooks.example.org/hook", events=["booking.created"],
        resolver=_public, now=NOW,
    )  # fmt: skip
    delivery_id = wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    _deliver(ctx, resolver=lambda host, port: ["10.0.0.5"])
    row = _delivery(ctx.db, delivery_id)
    assert row["status"] == "pending"
    assert row["error"].startswith("ssrf: webhooks.url_not_public")
    assert receiver.requests == []


def test_connections_are_reused(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    for _ in range(5):
        wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    assert _deliver(ctx).ok == 5
    assert len(receiver.connections) == 1


def test_redeliver_all_failed_since(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    ids = [wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW) for _ in "ab"]
    with ctx.db.portal.begin() as conn:
        conn.execute(update(webhook_deliveries).values(status="failed"))
    assert wh.redeliver(B, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW) == 0
    assert wh.redeliver(A, ctx.db, endpoint_id=endpoint.endpoint_id, failed_since=NOW, now=NOW) == 2
    assert _deliver(ctx).ok == 2
    assert {_delivery(ctx.db, i)["status"] for i in ids} == {"ok"}
    with pytest.raises(InvalidInput):
        wh.redeliver(A, ctx.db, now=NOW)


def test_contact_only_when_the_endpoint_asks(ctx: JobContext, receiver: WebhookReceiver) -> None:
    plain = _endpoint(ctx.db, A, receiver.url)
    with_contact = _endpoint(ctx.db, A, receiver.url + "?contact=1", include_contact=True)
    data = {"booking": {"item_id": 1}, "customer": {"name": "Lena", "email": "l@example.org"}}
    with ctx.db.portal.begin() as conn:
        queued = wh.emit_event(conn, partner_id=1, event_type="booking.created", data=data,
                               dedupe_key="booking.created:1", now=NOW)  # fmt: skip
        again = wh.emit_event(conn, partner_id=1, event_type="booking.created", data=data,
                              dedupe_key="booking.created:1", now=NOW)  # fmt: skip
    assert (queued, again) == (2, 0)
    _deliver(ctx)
    bodies = {r.path: json.loads(r.body)["data"] for r in receiver.requests}
    assert "customer" not in bodies["/hook"]
    assert bodies["/hook?contact=1"]["customer"]["email"] == "l@example.org"
    assert plain.endpoint_id != with_contact.endpoint_id


def test_no_endpoint_no_event_rows(shop: Databases) -> None:
    with shop.portal.begin() as conn:
        assert wh.emit_event(conn, partner_id=1, event_type="date.created", data={},
                             dedupe_key="x", now=NOW) == 0  # fmt: skip
    with shop.portal.connect() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_events)).scalar() == 0


def test_a_shared_order_reaches_only_the_deciding_partner(
    ctx: JobContext, receiver: WebhookReceiver
) -> None:
    mine = _endpoint(ctx.db, A, receiver.url)
    theirs = _endpoint(ctx.db, B, receiver.url + "?b=1")
    result = decide(A, ctx.db, item_ids=[5003], decision="confirmed", now=NOW)
    assert result.decided == [5003]
    a_log, b_log = wh.list_deliveries(A, ctx.db), wh.list_deliveries(B, ctx.db)
    assert list(a_log["event_type"]) == ["booking.confirmed"]
    assert b_log.empty
    _deliver(ctx)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert request.path == "/hook"
    assert body["data"]["booking"] == {
        "item_id": 5003, "order_id": 1003, "order_number": body["data"]["booking"]["order_number"],
        "status": "confirmed",
    }  # fmt: skip
    assert "customer" not in body["data"]
    # A never sees, changes or resends B's endpoint or deliveries.
    assert [e.endpoint_id for e in wh.list_endpoints(A, ctx.db)] == [mine.endpoint_id]
    for action in (
        lambda: wh.rotate_secret(A, ctx.db, endpoint_id=theirs.endpoint_id, now=NOW),
        lambda: wh.set_endpoint_enabled(A, ctx.db, endpoint_id=theirs.endpoint_id, enabled=False),
        lambda: wh.send_test_event(A, ctx.db, endpoint_id=theirs.endpoint_id, now=NOW),
        lambda: wh.save_endpoint(A, ctx.db, url=receiver.url, events=["date.created"],
                                 endpoint_id=theirs.endpoint_id, now=NOW),
    ):  # fmt: skip
        with pytest.raises(ScopeError):
            action()
    assert {e.partner_id for e in wh.list_endpoints(STAFF, ctx.db)} == {1, 2}


def test_the_job_functions_are_system_only(shop: Databases) -> None:
    for action in (
        lambda: wh.claim_deliveries(A, shop, now=NOW),
        lambda: wh.record_attempts(A, shop, attempts=[], now=NOW),
        lambda: wh.purge_log(A, shop, now=NOW),
    ):
        with pytest.raises(ScopeError):
            action()


def test_the_log_is_kept_30_days(ctx: JobContext, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(ctx.db, A, receiver.url)
    wh.send_test_event(A, ctx.db, endpoint_id=endpoint.endpoint_id, now=NOW)
    _deliver(ctx)
    assert wh.purge_log(SYSTEM, ctx.db, now=NOW + timedelta(days=29)) == 0
    assert wh.purge_log(SYSTEM, ctx.db, now=NOW + timedelta(days=31)) == 1
    with ctx.db.portal.connect() as conn:
        assert conn.execute(select(func.count()).select_from(webhook_events)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(webhook_endpoints)).scalar() == 1


def test_httpx_client_does_not_follow_redirects() -> None:
    with new_client() as client:
        assert client.follow_redirects is False
        assert client.timeout == httpx.Timeout(10.0)


def test_events_come_from_their_causes(ctx: JobContext, receiver: WebhookReceiver) -> None:
    from datetime import date, time

    from core.recurrence import Pattern
    from data.dates import course_dates as cd
    from data.dates import series as sr
    from data.demand import date_requests as dr
    from data.demand import waitlist as wl

    _endpoint(ctx.db, A, receiver.url)
    saved = cd.create_date(
        A, ctx.db, product_id=101, starts_at=datetime(2030, 1, 8, 18),
        ends_at=datetime(2030, 1, 8, 21), seats=10, price="50", now=NOW,
    )  # fmt: skip
    cd.update_date(A, ctx.db, date_id=saved.date_id, seats=12, now=NOW)
    cd.cancel_date(A, ctx.db, date_id=saved.date_id, now=NOW + timedelta(minutes=1))
    wl.add_entry(A, ctx.db, product_id=101, customer_name="Neu Kunde",
                 email="neu.kunde@example.org", seats=2, consent=True, now=NOW)  # fmt: skip
    dr.create_request(
        A, ctx.db, product_id=101, day=date(2026, 12, 19), start=time(18, 0), name="Kundin",
        email="kundin@example.org", participants=2, now=NOW,
    )  # fmt: skip
    pattern = Pattern(kind="weekly", starts_on=date(2026, 12, 7), start_time=time(10, 0),
                      duration_minutes=120, weekdays=("MO",), count=3)  # fmt: skip
    sr.create_series(A, ctx.db, product_id=101, pattern=pattern, seats=10, price="50", now=NOW)
    sr.generate_series(SYSTEM, ctx.db, now=NOW)  # a rerun emits nothing twice
    types = sorted(wh.list_deliveries(A, ctx.db)["event_type"])
    assert types == sorted(
        ["date.created", "date.changed", "date.cancelled", "waitlist.joined",
         "date_request.created"] + ["date.created"] * 3
    )  # fmt: skip
    assert wh.list_deliveries(B, ctx.db).empty
    _deliver(ctx)
    changed = next(json.loads(r.body) for r in receiver.requests
                   if json.loads(r.body)["type"] == "date.changed")  # fmt: skip
    assert changed["data"]["date"]["seats_total"] == 12
    assert changed["data"]["date"]["date_id"] == saved.date_id


def test_a_new_booking_from_the_ledger_sync(ctx: JobContext, receiver: WebhookReceiver) -> None:
    from core.clock import now_utc
    from data.bookings.ledger import sync_ledger
    from tests.support.shop import Customer, Item, add_order

    _endpoint(ctx.db, A, receiver.url)
    _endpoint(ctx.db, B, receiver.url + "?b=1", include_contact=True)
    now = now_utc()  # the world was built on the real clock; the sync follows it
    with ctx.db.magento.begin() as conn:
        add_order(conn, order_id=1901, items=[Item(5901, 101, 11), Item(5902, 201, 21)],
                  created_at=now - timedelta(minutes=5),
                  customer=Customer(email="neu@example.org"))  # fmt: skip
    sync_ledger(SYSTEM, ctx.db, now=now)
    sync_ledger(SYSTEM, ctx.db, now=now + timedelta(seconds=5))  # once only
    a_log, b_log = wh.list_deliveries(A, ctx.db), wh.list_deliveries(B, ctx.db)
    assert list(a_log["event_type"]) == list(b_log["event_type"]) == ["booking.created"]
    _deliver(_at(ctx, now))
    bodies = {r.path: json.loads(r.body)["data"] for r in receiver.requests}
    assert bodies["/hook"]["booking"]["item_id"] == 5901 and "customer" not in bodies["/hook"]
    assert bodies["/hook?b=1"]["booking"]["item_id"] == 5902
    assert bodies["/hook?b=1"]["customer"]["email"] == "neu@example.org"
