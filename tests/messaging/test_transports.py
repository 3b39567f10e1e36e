"""Transports against loopback SendGrid and Twilio servers, driven by the real client libraries.

Only `sleep` is injected (to record waits instead of waiting); every request is real HTTP and
every SendGrid body is checked against SendGrid's own schema by the fake.
"""

from __future__ import annotations

import email
import email.policy
import logging
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from core.settings import load_settings
from messaging.transports import (
    RATE_LIMIT_MARGIN,
    Email,
    LocalTransport,
    SendGridTransport,
    Sms,
    TwilioTransport,
    normalize_email,
    phone_problem,
    transports_from_settings,
)
from tests.support.fakes import SendGridFake, TwilioFake

SUBJECT = "Ihre Buchung für den Kochkurs „Pasta wie in Bologna“"
TEXT = (
    "Hallo -customer_name-,\n\nwir freuen uns auf Sie am -date-.\n\nViele Grüße\nIhr Miomente-Team"
)
HTML = "<p>Hallo -customer_name-,</p><p>wir freuen uns auf Sie am -date-.</p><p>Viele Grüße</p>"


class Sleeps(list[float]):
    """An injected `sleep` that records the waits."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # urllib (SendGrid) and requests (Twilio) honour proxy variables; the fakes are local.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def sendgrid() -> Iterator[SendGridFake]:
    with SendGridFake() as fake:
        yield fake
        # Every body any test sent must be one SendGrid accepts.
        assert fake.violations == []


@pytest.fixture
def twilio() -> Iterator[TwilioFake]:
    with TwilioFake() as fake:
        yield fake


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def sendgrid_transport(fake: SendGridFake, sleeps: Sleeps, **kwargs: object) -> SendGridTransport:
    options: dict = {
        "api_key": fake.api_key,
        "host": fake.url,
        "from_email": "buchungen@miomente.de",
        "from_name": "Miomente",
        "sleep": sleeps,
        "rng": random.Random(7),
    }
    options.update(kwargs)
    return SendGridTransport(**options)


def twilio_transport(fake: TwilioFake, sleeps: Sleeps, **kwargs: object) -> TwilioTransport:
    options: dict = {
        "account_sid": fake.account_sid,
        "auth_token": fake.auth_token,
        "from_number": "+4930901820",
        "base_url": fake.url,
        "sleep": sleeps,
        "rng": random.Random(7),
    }
    options.update(kwargs)
    return TwilioTransport(**options)


def booking_mail(message_id: int, to: str | None = None, name: str = "Anna") -> Email:
    return Email(
        message_id=message_id,
        to=to or f"kunde{message_id}@example.de",
        to_name=name,
        subject=SUBJECT,
        html=HTML,
        text=TEXT,
        substitutions={"-customer_name-": name, "-date-": "24.11.2026"},
    )


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("anna.mueller@example.de", "anna.mueller@example.de"),
        ("  a+tag@sub.example.co.uk ", "a+tag@sub.example.co.uk"),
        ("info@müller-kochschule.de", "info@xn--mller-kochschule-jzb.de"),
    ],
)
def test_valid_addresses_are_normalised(address: str, expected: str) -> None:
    assert normalize_email(address) == (expected, None)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "anna",
        "anna@",
        "@example.de",
        "anna@@example.de",
        "anna@example",
        "an na@example.de",
        "anna..b@example.de",
        "anna@-example.de",
        "anna@example.d",
        "änna@example.de",
        "anna@example.de\nBcc: x@example.de",
    ],
)
def test_malformed_addresses_are_refused(address: str) -> None:
    normalized, problem = normalize_email(address)
    assert normalized is None and problem


def test_phone_numbers_must_be_e164() -> None:
    assert phone_problem("+491511234567") is None
    for bad in ("01511234567", "+49 151 1234567", "+0151123456", "+49", "0049151123456"):
        assert "E.164" in (phone_problem(bad) or "")


# --------------------------------------------------------------------------- SendGrid


def test_one_email_is_sent_with_the_body_sendgrid_expects(
    sendgrid: SendGridFake, sleeps: Sleeps
) -> None:
    [outcome] = sendgrid_transport(sendgrid, sleeps).send([booking_mail(11)])

    [request] = sendgrid.requests
    assert outcome.status == "sent" and outcome.message_id == 11
    assert outcome.provider_message_id == request.response_headers["X-Message-Id"]
    assert request.headers["Authorization"] == f"Bearer {sendgrid.api_key}"
    body = request.body
    assert body["from"] == {"email": "buchungen@miomente.de", "name": "Miomente"}
    assert body["subject"] == SUBJECT
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["content"][0]["value"] == TEXT and body["content"][1]["value"] == HTML
    assert body["personalizations"] == [
        {
            "to": [{"email": "kunde11@example.de", "name": "Anna"}],
            "substitutions": {"-customer_name-": "Anna", "-date-": "24.11.2026"},
            "custom_args": {"outbox_id": "11"},
        }
    ]
    assert "mail_settings" not in body
    assert sleeps == []


def test_provider_id_is_the_x_message_id_header(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    sendgrid.respond(202, headers={"X-Message-Id": "sg-batch-42"})
    outcomes = sendgrid_transport(sendgrid, sleeps).send([booking_mail(1), booking_mail(2)])
    assert [o.provider_message_id for o in outcomes] == ["sg-batch-42", "sg-batch-42"]


def test_sandbox_mode_is_switched_on_in_the_body(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    [outcome] = sendgrid_transport(sendgrid, sleeps, sandbox=True).send([booking_mail(1)])
    assert outcome.status == "sent"
    assert sendgrid.requests[0].body["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_identical_content_is_batched_at_most_1000_per_request(
    sendgrid: SendGridFake, sleeps: Sleeps
) -> None:
    mails = [booking_mail(i, name=f"Kundin {i}") for i in range(1, 2501)]

    outcomes = sendgrid_transport(sendgrid, sleeps).send(mails)

    requests = sendgrid.mail_requests()
    assert [len(r.body["personalizations"]) for r in requests] == [1000, 1000, 500]
    assert [o.message_id for o in outcomes] == list(range(1, 2501))
    assert {o.status for o in outcomes} == {"sent"}
    ids = sendgrid.outbox_ids()
    assert sorted(ids, key=int) == [str(i) for i in range(1, 2501)]  # each exactly once
    assert sendgrid.recipients() == [m.to for m in mails]
    # One X-Message-Id per request, shared by that request's messages.
    assert len({o.provider_message_id for o in outcomes}) == 3
    # Each personalization carries its own substitutions.
    last = requests[2].body["personalizations"][-1]
    assert last["substitutions"]["-customer_name-"] == "Kundin 2500"


def test_different_contents_go_in_separate_requests(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    reminder = Email(3, "b@example.de", None, "Erinnerung", "<p>Morgen!</p>", "Morgen!")
    mails = [booking_mail(1), reminder, booking_mail(2)]

    outcomes = sendgrid_transport(sendgrid, sleeps).send(mails)

    assert [o.message_id for o in outcomes] == [1, 3, 2]
    assert [o.status for o in outcomes] == ["sent"] * 3
    subjects = [(r.body["subject"], len(r.body["personalizations"])) for r in sendgrid.requests]
    assert subjects == [(SUBJECT, 2), ("Erinnerung", 1)]
    assert "substitutions" not in sendgrid.requests[1].body["personalizations"][0]


def test_invalid_address_fails_alone_without_a_request(
    sendgrid: SendGridFake, sleeps: Sleeps
) -> None:
    transport = sendgrid_transport(sendgrid, sleeps)

    outcomes = transport.send([booking_mail(1, to="anna@example"), booking_mail(2)])

    assert outcomes[0].status == "failed" and "anna@example" in (outcomes[0].error or "")
    assert outcomes[1].status == "sent"
    assert sendgrid.recipients() == ["kunde2@example.de"]

    only_bad = transport.send([booking_mail(3, to="kein-at-zeichen.de")])
    assert only_bad[0].status == "failed"
    assert len(sendgrid.requests) == 1  # no request for it


def test_recipient_names_with_commas_are_quoted(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    mail = booking_mail(1, name="Müller, Anna;\r\nBcc")
    sendgrid_transport(sendgrid, sleeps).send([mail])
    to = sendgrid.requests[0].body["personalizations"][0]["to"][0]
    assert to["name"] == '"Müller, Anna; Bcc"'


def test_429_with_reset_header_is_waited_for_and_then_sent(
    sendgrid: SendGridFake, sleeps: Sleeps
) -> None:
    now = float(int(time.time()))  # the transport's clock, stopped: no stall can shorten waits
    sendgrid.respond(
        429,
        headers=SendGridFake.rate_limit_headers(now + 5),
        body={"errors": [{"field": None, "message": "too many requests"}]},
    )

    [outcome] = sendgrid_transport(sendgrid, sleeps, clock=lambda: now).send([booking_mail(1)])

    assert outcome.status == "sent"
    assert [r.status for r in sendgrid.requests] == [429, 202]
    assert sleeps == [5 + RATE_LIMIT_MARGIN]  # until the reset, plus a margin


def test_429_with_a_distant_reset_defers_the_whole_call(
    sendgrid: SendGridFake, sleeps: Sleeps
) -> None:
    reset = int(time.time()) + 3600
    sendgrid.respond(429, headers=SendGridFake.rate_limit_headers(reset))
    other = Email(9, "b@example.de", None, "Andere Mail", "<p>x</p>", "x")

    outcomes = sendgrid_transport(sendgrid, sleeps).send([booking_mail(1), other])

    assert [o.status for o in outcomes] == ["retry", "retry"]
    retry_at = outcomes[0].retry_at
    assert retry_at is not None
    reset_utc = datetime.fromtimestamp(reset, UTC).replace(tzinfo=None)
    assert reset_utc <= retry_at <= reset_utc + timedelta(seconds=2)
    assert outcomes[1].retry_at == retry_at
    assert "not attempted" in (outcomes[1].error or "")
    assert len(sendgrid.requests) == 1 and sleeps == []


def test_500_twice_then_202_is_sent_after_backoff(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    sendgrid.respond(500, body={"errors": [{"message": "internal error"}]}, times=2)

    [outcome] = sendgrid_transport(sendgrid, sleeps).send([booking_mail(1)])

    assert outcome.status == "sent"
    assert [r.status for r in sendgrid.requests] == [500, 500, 202]
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 1.5 and 2.0 <= sleeps[1] <= 3.0  # exponential, with jitter


def test_5xx_until_max_tries_gives_retry(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    sendgrid.respond(503, times=4)
    before = _utcnow()

    outcomes = sendgrid_transport(sendgrid, sleeps).send([booking_mail(1), booking_mail(2)])

    assert len(sendgrid.requests) == 4 and len(sleeps) == 3
    assert {o.status for o in outcomes} == {"retry"}
    assert outcomes[0].retry_at is not None and outcomes[0].retry_at > before
    assert "503" in (outcomes[0].error or "")


def test_connection_error_is_retried_then_deferred(sleeps: Sleeps) -> None:
    with SendGridFake() as gone:
        url = gone.url
    transport = SendGridTransport(
        api_key="SG.x",
        host=url,
        from_email="buchungen@miomente.de",
        from_name="Miomente",
        sleep=sleeps,
        max_tries=3,
    )
    [outcome] = transport.send([booking_mail(1)])
    assert outcome.status == "retry" and outcome.retry_at is not None
    assert "URLError" in (outcome.error or "")
    assert len(sleeps) == 2


def test_400_fails_with_sendgrid_message(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    sendgrid.respond(
        400,
        body={
            "errors": [
                {
                    "message": "The from address does not match a verified Sender Identity.",
                    "field": "from",
                    "help": None,
                }
            ]
        },
    )
    outcomes = sendgrid_transport(sendgrid, sleeps).send([booking_mail(1), booking_mail(2)])
    assert {o.status for o in outcomes} == {"failed"}
    assert "verified Sender Identity" in (outcomes[0].error or "")
    assert len(sendgrid.requests) == 1 and sleeps == []


def test_400_for_one_recipient_fails_it_and_sends_the_rest(
    sendgrid: SendGridFake, sleeps: Sleeps
) -> None:
    sendgrid.respond(
        400,
        body={
            "errors": [
                {
                    "message": "Does not contain a valid address.",
                    "field": "personalizations.1.to.0.email",
                    "help": None,
                }
            ]
        },
    )
    outcomes = sendgrid_transport(sendgrid, sleeps).send([booking_mail(i) for i in (1, 2, 3)])
    assert [o.status for o in outcomes] == ["sent", "failed", "sent"]
    assert "valid address" in (outcomes[1].error or "")
    assert sendgrid.recipients(accepted_only=True) == ["kunde1@example.de", "kunde3@example.de"]


def test_rejected_api_key_defers_instead_of_failing(sendgrid: SendGridFake, sleeps: Sleeps) -> None:
    transport = sendgrid_transport(sendgrid, sleeps, api_key="SG.revoked")
    outcomes = transport.send([booking_mail(1), Email(2, "b@example.de", None, "X", "y", "y")])
    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert "401" in (outcomes[0].error or "") and "authorization grant" in (outcomes[0].error or "")
    assert outcomes[0].retry_at is not None and outcomes[0].retry_at > _utcnow()
    assert len(sendgrid.requests) == 1  # the second batch was not attempted


def test_the_fake_refuses_bodies_that_break_sendgrids_schema() -> None:
    with SendGridFake() as fake:
        client = SendGridAPIClient(api_key=fake.api_key, host=fake.url)
        body = {
            "personalizations": [{"to": [{"email": f"k{i}@example.de"}]} for i in range(1001)],
            "from": {"email": "buchungen@miomente.de"},
            "subject": "",
            "content": [{"type": "text/plain", "value": "x"}],
        }
        with pytest.raises(HTTPError) as caught:
            client.client.mail.send.post(request_body=body)
        assert caught.value.status_code == 400
        [violation] = fake.violations
        fields = {e["field"] for e in violation["errors"]}
        assert {"personalizations", "subject"} <= fields


def test_api_key_never_reaches_the_log(
    sendgrid: SendGridFake, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sendgrid.respond(500)
    sendgrid_transport(sendgrid, sleeps).send([booking_mail(1)])
    assert "SendGrid mail send: 1 message(s) -> 202" in caplog.text
    assert sendgrid.api_key not in caplog.text
    assert "Bearer ***" in caplog.text  # python_http_client's header dump, masked


# --------------------------------------------------------------------------- Twilio


def test_sms_is_sent_with_twilio_sid(twilio: TwilioFake, sleeps: Sleeps) -> None:
    text = "Miomente: Ihr Kochkurs beginnt morgen um 18:00. Viele Grüße!"
    [outcome] = twilio_transport(twilio, sleeps).send([Sms(5, "+491511234567", text)])

    assert outcome.status == "sent"
    assert outcome.provider_message_id and outcome.provider_message_id.startswith("SM")
    [form] = twilio.messages()
    assert form == {"To": "+491511234567", "From": "+4930901820", "Body": text}
    assert twilio.requests[0].response["sid"] == outcome.provider_message_id


def test_twilio_21211_fails_with_twilios_message(twilio: TwilioFake, sleeps: Sleeps) -> None:
    twilio.respond_error(400, 21211, "The 'To' number +491500 is not a valid phone number.")
    outcomes = twilio_transport(twilio, sleeps).send(
        [Sms(1, "+491500000000", "Hallo"), Sms(2, "+491511234567", "Hallo")]
    )
    assert outcomes[0].status == "failed"
    assert outcomes[0].error == "Twilio 21211: The 'To' number +491500 is not a valid phone number."
    assert outcomes[1].status == "sent"
    assert sleeps == []


def test_twilio_500_is_retried(twilio: TwilioFake, sleeps: Sleeps) -> None:
    twilio.respond(500)
    [outcome] = twilio_transport(twilio, sleeps).send([Sms(1, "+491511234567", "Hallo")])
    assert outcome.status == "sent"
    assert [r.status for r in twilio.requests] == [500, 201]
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 1.5


def test_twilio_outage_defers_the_rest_of_the_call(twilio: TwilioFake, sleeps: Sleeps) -> None:
    twilio.respond_error(503, 20500, "Service unavailable", times=3)
    outcomes = twilio_transport(twilio, sleeps).send(
        [Sms(1, "+491511234567", "a"), Sms(2, "+491511234568", "b"), Sms(3, "nope", "c")]
    )
    assert [o.status for o in outcomes] == ["retry", "retry", "failed"]
    assert "Service unavailable" in (outcomes[0].error or "")
    assert outcomes[1].retry_at == outcomes[0].retry_at
    assert len(twilio.requests) == 3 and len(sleeps) == 2


def test_twilio_429_honours_retry_after(twilio: TwilioFake, sleeps: Sleeps) -> None:
    twilio.respond(
        429,
        headers={"Retry-After": "7"},
        body=TwilioFake.error_body(429, 20429, "Too Many Requests"),
    )
    [outcome] = twilio_transport(twilio, sleeps).send([Sms(1, "+491511234567", "Hallo")])
    assert outcome.status == "sent"
    assert sleeps == [7.0]


def test_invalid_phone_fails_without_a_request(twilio: TwilioFake, sleeps: Sleeps) -> None:
    outcomes = twilio_transport(twilio, sleeps).send(
        [Sms(1, "0151 1234567", "Hallo"), Sms(2, "+491511234567", "")]
    )
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "E.164" in (outcomes[0].error or "") and "empty" in (outcomes[1].error or "")
    assert twilio.requests == []


def test_twilio_wrong_token_defers(twilio: TwilioFake, sleeps: Sleeps) -> None:
    transport = twilio_transport(twilio, sleeps, auth_token="wrong")
    outcomes = transport.send([Sms(1, "+491511234567", "a"), Sms(2, "+491511234567", "b")])
    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert "20003" in (outcomes[0].error or "")
    assert len(twilio.requests) == 1


# --------------------------------------------------------------------------- local files


def test_local_transport_writes_readable_german_files(tmp_path: Path) -> None:
    transport = LocalTransport(tmp_path / "outbox")
    mails = [booking_mail(7, name="Jürgen Weiß"), Email(8, "x@y", None, "s", "h", "t")]

    outcomes = transport.send(mails)
    sms_outcomes = transport.send([Sms(9, "+491511234567", "Grüße aus München")])

    assert [(o.status, o.provider_message_id) for o in outcomes] == [
        ("sent", "local-7"),
        ("failed", None),
    ]
    assert sms_outcomes[0].provider_message_id == "local-9"
    raw = (tmp_path / "outbox" / "7.eml").read_bytes()
    text = raw.decode("utf-8")  # plain UTF-8 throughout, no encoded words or base64
    assert "Subject: Ihre Buchung für den Kochkurs „Pasta wie in Bologna“" in text
    assert "Hallo Jürgen Weiß," in text and "Viele Grüße" in text
    assert "-customer_name-" not in text and "24.11.2026" in text
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == SUBJECT
    # str() of the header; CPython's address parser leaves raw UTF-8 names as surrogates.
    assert str(parsed["To"]) == "Jürgen Weiß <kunde7@example.de>"
    assert parsed["X-Miomente-Outbox-Id"] == "7"
    assert parsed.get_body(("plain",)).get_content().startswith("Hallo Jürgen Weiß,")
    assert "<p>Viele Grüße</p>" in parsed.get_body(("html",)).get_content()
    assert not (tmp_path / "outbox" / "8.eml").exists()
    sms_text = (tmp_path / "outbox" / "9.sms.txt").read_text(encoding="utf-8")
    assert "An: +491511234567" in sms_text and sms_text.rstrip().endswith("Grüße aus München")
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["7.eml", "9.sms.txt"]


# --------------------------------------------------------------------------- settings


def test_without_keys_both_channels_are_local(tmp_path: Path) -> None:
    settings = load_settings(
        secrets_path=tmp_path / "none.toml", env={"MIOMENTE_DEMO_DIR": str(tmp_path)}
    )
    mail, sms = transports_from_settings(settings)
    assert isinstance(mail, LocalTransport) and isinstance(sms, LocalTransport)
    assert mail.directory == tmp_path / "outbox"
    assert mail.send([booking_mail(1)])[0].provider_message_id == "local-1"
    assert (tmp_path / "outbox" / "1.eml").is_file()


def test_with_keys_sendgrid_and_twilio_are_used(
    tmp_path: Path, sendgrid: SendGridFake, twilio: TwilioFake
) -> None:
    env = {
        "SENDGRID_API_KEY": sendgrid.api_key,
        "SENDGRID_HOST": sendgrid.url,
        "SENDGRID_SANDBOX": "true",
        "MIOMENTE_MAIL_FROM": "kurse@miomente.de",
        "MIOMENTE_MAIL_FROM_NAME": "Miomente Kurse",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": "Miomente",
        "TWILIO_BASE_URL": twilio.url,
    }
    settings = load_settings(secrets_path=tmp_path / "none.toml", env=env)
    mail, sms = transports_from_settings(settings)
    assert isinstance(mail, SendGridTransport) and isinstance(sms, TwilioTransport)
    assert sendgrid.api_key not in repr(mail) and twilio.auth_token not in repr(sms)

    assert mail.send([booking_mail(1)])[0].status == "sent"
    assert sms.send([Sms(2, "+491511234567", "Hallo")])[0].status == "sent"
    body = sendgrid.requests[0].body
    assert body["from"] == {"email": "kurse@miomente.de", "name": "Miomente Kurse"}
    assert body["mail_settings"]["sandbox_mode"]["enable"] is True
    assert twilio.messages()[0]["From"] == "Miomente"


def test_twilio_without_a_sender_stays_local(tmp_path: Path) -> None:
    env = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "t"}
    settings = load_settings(secrets_path=tmp_path / "none.toml", env=env)
    _, sms = transports_from_settings(settings)
    assert isinstance(sms, LocalTransport)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
