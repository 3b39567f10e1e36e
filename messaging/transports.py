"""Transports: hand rendered emails and SMS to SendGrid / Twilio, or to local files.

The sender job renders each outbox row (messaging.render) into an `Email` or `Sms`, gives a
list of them to a transport's `send()`, and gets back one `Outcome` per message, in the same
order. A transport never raises because of a message or a provider error: a malformed
address, a refused request, a rate limit or an outage all come back as outcomes.

Outcome statuses:

- ``sent``: the provider accepted it. ``provider_message_id`` is SendGrid's ``X-Message-Id``
  (one id per request, so all messages of a batch share it; ``custom_args.outbox_id`` tells
  them apart in SendGrid's activity and event data), Twilio's message sid (``SM…``) or
  ``local-<outbox id>``.
- ``retry``: try again at ``retry_at`` (naive UTC). 429 and 5xx responses and connection
  errors are first retried here with exponential backoff and jitter, up to ``max_tries``
  attempts per request; a 429 whose reset is at most ``max_wait_seconds`` away is waited
  for. Rejected credentials (401/403) also give ``retry`` (in 15 minutes): it is a
  configuration fault, and a message must not be lost for good because a key was rotated.
  Once a request ends in ``retry``, the rest of the same ``send()`` call is not attempted
  and gets the same ``retry_at``: the provider is down, throttling us or refusing our key.
- ``failed``: permanent; the address is malformed (checked here, without a request) or the
  provider refused the message (other 4xx), with the provider's own error text.

SendGrid: emails with identical subject, HTML and text go in one request with up to 1,000
personalizations (each its own ``to``, ``substitutions`` and ``custom_args.outbox_id``);
when SendGrid refuses such a request for some personalizations only (errors whose
``field`` is ``personalizations.<n>…``), those fail and the rest are sent again without them.

`LocalTransport` (demo and development) implements both protocols with one `send()` that
takes emails or SMS: each message becomes a readable UTF-8 file in a directory.

Retries of a request whose answer was lost (read timeout, connection reset) can deliver a
message twice: neither SendGrid nor Twilio's message API has an idempotency key. The timeout
is therefore generous; refused connections and 429/5xx answers are safe to repeat.
"""

from __future__ import annotations

import email.policy
import http.client
import json
import logging
import os
import random
import re
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from core.clock import now_utc

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

# SendGrid's limit per request (`personalizations` maxItems in its schema).
SENDGRID_BATCH_SIZE = 1000
# SendGrid: "the total collective size of your substitutions may not exceed 10,000 bytes per
# personalization object".
SUBSTITUTIONS_MAX_BYTES = 10_000
# Twilio refuses bodies above 1,600 characters (error 21617).
SMS_MAX_CHARS = 1600
# How long to wait after the provider rejected our credentials before trying again.
CONFIG_RETRY = timedelta(minutes=15)
# Added to a rate-limit reset time before the request is repeated.
RATE_LIMIT_MARGIN = 1.0


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class Email:
    message_id: int  # outbox id, echoed back
    to: str
    to_name: str | None
    subject: str
    html: str
    text: str
    # tag -> value, e.g. {"-customer_name-": "Anna"}; subject and content hold the tags.
    substitutions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sms:
    message_id: int
    to: str  # E.164, e.g. +491511234567
    text: str


@dataclass(frozen=True)
class Outcome:
    message_id: int
    status: Literal["sent", "retry", "failed"]
    provider_message_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None  # naive UTC, for status "retry"


class EmailTransport(Protocol):
    # Positional-only so that LocalTransport's one `send` satisfies both protocols.
    def send(self, emails: Sequence[Email], /) -> list[Outcome]:
        """One Outcome per input, same order."""
        ...


class SmsTransport(Protocol):
    def send(self, messages: Sequence[Sms], /) -> list[Outcome]:
        """One Outcome per input, same order."""
        ...


# --------------------------------------------------------------------------- validation

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN_RE = re.compile(rf"(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]{{1,59}})")
_E164_RE = re.compile(r"\+[1-9][0-9]{6,14}")


def normalize_email(address: str) -> tuple[str | None, str | None]:
    """(address to send to, None) or (None, reason). Syntax only, no DNS.

    A domain with umlauts (``anna@müller.de``) is sent in its ASCII form
    (``anna@xn--mller-kva.de``); a local part must be ASCII.
    """
    value = (address or "").strip()
    shown = repr(value[:80])
    if not value:
        return None, "no email address"
    if len(value) > 254:
        return None, f"invalid email address {shown}: longer than 254 characters"
    if value.count("@") != 1:
        return None, f"invalid email address {shown}: needs exactly one '@'"
    local, domain = value.split("@")
    if not local or len(local) > 64 or not _LOCAL_RE.fullmatch(local):
        return None, f"invalid email address {shown}: the part before '@' is not valid"
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None, f"invalid email address {shown}: the domain is not valid"
    if len(domain) > 253 or not _DOMAIN_RE.fullmatch(domain):
        return None, f"invalid email address {shown}: the domain is not valid"
    return f"{local}@{domain}", None


def phone_problem(number: str) -> str | None:
    """None for an E.164 number (``+491511234567``), else the reason."""
    if not number:
        return "no phone number"
    if not _E164_RE.fullmatch(number):
        return f"invalid phone number {number[:40]!r}: not in E.164 format (e.g. +491511234567)"
    return None


def _sms_problem(sms: Sms) -> str | None:
    problem = phone_problem(sms.to)
    if problem:
        return problem
    if not sms.text.strip():
        return "empty SMS text"
    if len(sms.text) > SMS_MAX_CHARS:
        return f"SMS text has {len(sms.text)} characters; at most {SMS_MAX_CHARS}"
    return None


def _substitutions(email: Email) -> dict[str, str]:
    return {str(k): str(v) for k, v in email.substitutions.items()}


def _content_problem(email: Email) -> str | None:
    if not email.subject.strip():
        return "empty subject"
    if not email.text and not email.html:
        return "no content (neither text nor HTML)"
    subs = _substitutions(email)
    if any(not key for key in subs):
        return "empty substitution tag"
    size = sum(len(k.encode()) + len(v.encode()) for k, v in subs.items())
    if size > SUBSTITUTIONS_MAX_BYTES:
        return f"substitutions have {size} bytes; SendGrid allows {SUBSTITUTIONS_MAX_BYTES}"
    return None


def _display_name(name: str | None) -> str | None:
    """A recipient name SendGrid will not misread.

    SendGrid splits `to.name` on commas and semicolons and then drops the message as sent to
    an invalid address (documented limitation; sendgrid-python #291). Quoting the name, as
    its Node library does, keeps it one display name.
    """
    if not name:
        return None
    clean = " ".join(name.split())  # no CR/LF or tabs in a header
    if not clean:
        return None
    if "," in clean or ";" in clean:
        clean = '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return clean


def _apply_substitutions(value: str, subs: Mapping[str, str]) -> str:
    """Replace every tag in one pass (longest tag first), as SendGrid does for the local copy."""
    if not subs:
        return value
    pattern = re.compile("|".join(re.escape(k) for k in sorted(subs, key=len, reverse=True)))
    return pattern.sub(lambda m: subs[m.group(0)], value)


# --------------------------------------------------------------------------- retry helpers


def _from_epoch(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


class _Backoff:
    """Exponential backoff with jitter: attempt n waits base·2^(n-1)·U(1, 1.5), capped."""

    def __init__(self, base: float, cap: float, rng: random.Random | None) -> None:
        self.base, self.cap = base, cap
        self.rng = rng or random.Random()

    def delay(self, failures: int) -> float:
        step = min(self.cap, self.base * 2 ** max(0, failures - 1))
        return step * self.rng.uniform(1.0, 1.5)


@dataclass
class _Stop:
    """Set once a request ends in `retry`: the rest of the call is deferred likewise."""

    retry_at: datetime
    reason: str


def _deferred(message_id: int, stop: _Stop) -> Outcome:
    return Outcome(
        message_id, "retry", error=f"not attempted: {stop.reason}", retry_at=stop.retry_at
    )


# --------------------------------------------------------------------------- SendGrid


class _RedactAuthorization(logging.Filter):
    """python_http_client logs every request's headers at DEBUG, `Authorization: Bearer <key>`
    included; this filter masks the key before any handler sees it."""

    _BEARER = re.compile(r"(Bearer\s+)[^\s'\",}]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bearer" in message:
            record.msg, record.args = self._BEARER.sub(r"\1***", message), None
        return True


_HTTP_CLIENT_LOGGER = logging.getLogger("python_http_client.client")
if not any(isinstance(f, _RedactAuthorization) for f in _HTTP_CLIENT_LOGGER.filters):
    _HTTP_CLIENT_LOGGER.addFilter(_RedactAuthorization())


@dataclass
class _Reply:
    kind: Literal["sent", "retry", "failed"]
    status: int | None
    provider_id: str | None = None
    error: str | None = None
    retry_at: datetime | None = None
    field_errors: dict[int, list[str]] = field(default_factory=dict)  # personalization -> msgs
    has_global_errors: bool = False


def _header(headers: Any, name: str) -> str | None:
    if headers is None:
        return None
    value = headers.get(name)
    return None if value is None else str(value)


def _sendgrid_errors(raw: bytes | str | None) -> tuple[list[tuple[str | None, str]], str]:
    """[(field, message)] from SendGrid's error body, and a one-line summary."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
    try:
        payload = json.loads(text)
    except ValueError:
        return [], text.strip()[:500] or "no error details"
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list) or not errors:
        return [], text.strip()[:500] or "no error details"
    pairs = []
    for item in errors:
        if isinstance(item, dict):
            fld = item.get("field")
            fld = None if fld in (None, "", "null") else str(fld)
            pairs.append((fld, str(item.get("message") or "error")))
    summary = "; ".join(f"{m} (field {f})" if f else m for f, m in pairs)
    return pairs, summary or "no error details"


_PERSONALIZATION_FIELD = re.compile(r"personalizations\.(\d+)(?:\.|$)")


class SendGridTransport:
    """Email through SendGrid's v3 Mail Send API with the official `sendgrid` library."""

    def __init__(
        self,
        *,
        api_key: str,
        host: str,
        from_email: str,
        from_name: str | None,
        sandbox: bool = False,
        max_wait_seconds: float = 30.0,
        max_tries: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from sendgrid import SendGridAPIClient

        if not api_key:
            raise ValueError("SendGrid needs an API key")
        if urlsplit(host).scheme not in ("http", "https"):
            raise ValueError(f"SendGrid host must be an http(s) URL, not {host!r}")
        sender, problem = normalize_email(from_email)
        if sender is None:
            raise ValueError(f"sender address: {problem}")
        self._client = SendGridAPIClient(api_key=api_key, host=host.rstrip("/"))
        self.host = host.rstrip("/")
        self.from_email, self.from_name = sender, from_name
        self.sandbox = sandbox
        self.max_wait_seconds = max_wait_seconds
        self.max_tries = max(1, max_tries)
        self.timeout = timeout
        self._sleep, self._clock = sleep, clock
        self._backoff = _Backoff(backoff_base, backoff_cap, rng)

    def __repr__(self) -> str:  # never shows the key
        return f"SendGridTransport(host={self.host!r}, sandbox={self.sandbox})"

    # -- public

    def send(self, emails: Sequence[Email], /) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(emails)
        groups: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
        for index, mail in enumerate(emails):
            address, problem = normalize_email(mail.to)
            problem = problem or _content_problem(mail)
            if problem or address is None:
                outcomes[index] = Outcome(mail.message_id, "failed", error=problem)
                continue
            groups.setdefault((mail.subject, mail.html, mail.text), []).append((index, address))

        stop: _Stop | None = None
        for members in groups.values():
            for start in range(0, len(members), SENDGRID_BATCH_SIZE):
                chunk = members[start : start + SENDGRID_BATCH_SIZE]
                if stop is not None:
                    for index, _ in chunk:
                        outcomes[index] = _deferred(emails[index].message_id, stop)
                    continue
                stop = self._send_batch(emails, chunk, outcomes)
        done = [o for o in outcomes if o is not None]
        assert len(done) == len(outcomes)
        return done

    # -- one batch (same content), split on per-recipient refusals

    def _send_batch(
        self,
        emails: Sequence[Email],
        chunk: list[tuple[int, str]],
        outcomes: list[Outcome | None],
    ) -> _Stop | None:
        pending = list(chunk)
        while pending:
            reply = self._post(self._body(emails, pending), len(pending))
            ids = [emails[i].message_id for i, _ in pending]
            if reply.kind == "sent":
                for (index, _), mid in zip(pending, ids, strict=True):
                    outcomes[index] = Outcome(mid, "sent", provider_message_id=reply.provider_id)
                return None
            if reply.kind == "retry":
                assert reply.retry_at is not None and reply.error is not None
                for (index, _), mid in zip(pending, ids, strict=True):
                    outcomes[index] = Outcome(
                        mid, "retry", error=reply.error, retry_at=reply.retry_at
                    )
                return _Stop(reply.retry_at, reply.error)
            bad = {n for n in reply.field_errors if 0 <= n < len(pending)}
            if reply.has_global_errors or not bad or len(bad) == len(pending):
                for (index, _), mid in zip(pending, ids, strict=True):
                    outcomes[index] = Outcome(mid, "failed", error=reply.error)
                return None
            # SendGrid refused some recipients only: fail those, send the others again.
            keep = []
            for n, (index, address) in enumerate(pending):
                if n in bad:
                    detail = "; ".join(reply.field_errors[n])
                    outcomes[index] = Outcome(
                        ids[n], "failed", error=f"SendGrid {reply.status}: {detail}"
                    )
                else:
                    keep.append((index, address))
            log.info("SendGrid refused %d recipient(s); resending %d", len(bad), len(keep))
            pending = keep
        return None

    def _body(self, emails: Sequence[Email], members: list[tuple[int, str]]) -> dict[str, Any]:
        first = emails[members[0][0]]
        personalizations = []
        for index, address in members:
            mail = emails[index]
            to: dict[str, str] = {"email": address}
            name = _display_name(mail.to_name)
            if name:
                to["name"] = name
            item: dict[str, Any] = {
                "to": [to],
                "custom_args": {"outbox_id": str(mail.message_id)},
            }
            subs = _substitutions(mail)
            if subs:
                item["substitutions"] = subs
            personalizations.append(item)
        sender: dict[str, str] = {"email": self.from_email}
        if self.from_name:
            sender["name"] = self.from_name
        content = []
        if first.text:
            content.append({"type": "text/plain", "value": first.text})
        if first.html:
            content.append({"type": "text/html", "value": first.html})
        body: dict[str, Any] = {
            "personalizations": personalizations,
            "from": sender,
            "subject": first.subject,
            "content": content,
        }
        if self.sandbox:
            body["mail_settings"] = {"sandbox_mode": {"enable": True}}
        return body

    # -- one request with its retries

    def _post(self, body: dict[str, Any], count: int) -> _Reply:
        failures = rate_waits = 0
        while True:
            outcome = self._send_once(body, count)
            if isinstance(outcome, _Reply):
                return outcome
            status, headers, raw = outcome
            log.warning("SendGrid mail send: %d message(s) -> %s", count, status or raw)
            if status == 429:
                wait = self._rate_limit_wait(headers, rate_waits)
                if isinstance(wait, _Reply):
                    return wait
                if wait is not None:
                    rate_waits += 1
                    self._sleep(wait)
                    continue
            if status is None or status == 429 or status >= 500:
                failures += 1
                delay = self._backoff.delay(failures)
                if failures < self.max_tries:
                    self._sleep(delay)
                    continue
                what = raw if status is None else f"{status} {_sendgrid_errors(raw)[1]}"
                return _Reply(
                    "retry",
                    status,
                    error=f"SendGrid {what} (after {failures} tries)"[:2000],
                    retry_at=now_utc() + timedelta(seconds=delay),
                )
            return _refusal_reply(status, raw)

    def _send_once(self, body: dict[str, Any], count: int) -> _Reply | tuple[Any, Any, Any]:
        """The sent reply, or (status, headers, raw body) of a failed request (status None:
        no answer at all)."""
        from python_http_client.exceptions import HTTPError as SendGridHTTPError

        try:
            response = self._client.client.mail.send.post(request_body=body, timeout=self.timeout)
        except SendGridHTTPError as exc:
            return int(exc.status_code), exc.headers, exc.body
        except (OSError, http.client.HTTPException) as exc:
            return None, None, f"{type(exc).__name__}: {exc}"
        provider_id = _header(response.headers, "X-Message-Id")
        log.info(
            "SendGrid mail send: %d message(s) -> %s (X-Message-Id %s)",
            count,
            response.status_code,
            provider_id,
        )
        return _Reply("sent", response.status_code, provider_id=provider_id)

    def _rate_limit_wait(self, headers: Any, rate_waits: int) -> float | _Reply | None:
        """After a 429: seconds to wait before trying again, a retry-later reply when the
        reset is too far off, or None when SendGrid named no reset (then: back off)."""
        reset = _header(headers, "X-RateLimit-Reset")
        try:
            reset_epoch = float(reset) if reset is not None else None
        except ValueError:
            reset_epoch = None
        if reset_epoch is None:
            return None
        wait = reset_epoch - self._clock()
        if wait <= self.max_wait_seconds and rate_waits < self.max_tries:
            return max(0.0, wait) + RATE_LIMIT_MARGIN
        retry_at = max(
            _from_epoch(reset_epoch + RATE_LIMIT_MARGIN),
            now_utc() + timedelta(seconds=self._backoff.delay(1)),
        )
        return _Reply(
            "retry",
            429,
            error=f"SendGrid 429: rate limit until {retry_at:%Y-%m-%d %H:%M:%S} UTC",
            retry_at=retry_at,
        )


def _refusal_reply(status: int, raw: Any) -> _Reply:
    """A 4xx other than 429: wrong credentials are retried later, anything else fails with
    SendGrid's reasons, per personalization where it names one."""
    pairs, summary = _sendgrid_errors(raw)
    if status in (401, 403):
        return _Reply(
            "retry",
            status,
            error=f"SendGrid {status} (check API key and sender): {summary}"[:2000],
            retry_at=now_utc() + CONFIG_RETRY,
        )
    reply = _Reply("failed", status, error=f"SendGrid {status}: {summary}"[:2000])
    for fld, message in pairs:
        match = _PERSONALIZATION_FIELD.match(fld or "")
        if match:
            reply.field_errors.setdefault(int(match.group(1)), []).append(message)
        else:
            reply.has_global_errors = True
    return reply


# --------------------------------------------------------------------------- Twilio


# The twilio library logs eight INFO lines per request (headers without credentials); our
# own log line per message says what matters. Set this logger to INFO to see the library's.
_TWILIO_HTTP_LOG = logging.getLogger(f"{__name__}.twilio_http")
_TWILIO_HTTP_LOG.setLevel(logging.WARNING)


def _twilio_http_client(base_url: str | None, timeout: float) -> Any:
    """A TwilioHttpClient that sends to `base_url` instead of https://api.twilio.com.

    twilio 9.x takes a custom `http_client` (a documented constructor argument); rewriting the
    URL there also overrides the edge/region host rewriting in ClientBase. It keeps the last
    response's headers for Retry-After.
    """
    from twilio.http.http_client import TwilioHttpClient

    target = urlsplit(base_url) if base_url else None
    if target is not None and target.scheme not in ("http", "https"):
        raise ValueError(f"Twilio base URL must be an http(s) URL, not {base_url!r}")

    class RoutedHttpClient(TwilioHttpClient):
        last_headers: Mapping[str, str] | None = None

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            if target is not None:
                parts = urlsplit(url)
                path = target.path.rstrip("/") + parts.path
                url = urlunsplit((target.scheme, target.netloc, path, parts.query, ""))
            self.last_headers = None
            response = super().request(method, url, *args, **kwargs)
            self.last_headers = response.headers
            return response

    return RoutedHttpClient(timeout=timeout, logger=_TWILIO_HTTP_LOG)


class TwilioTransport:
    """SMS through Twilio's Messages API with the official `twilio` library.

    Holds a pooled HTTP session; it is closed at the end of every `send()` (and by
    `close()`), so no socket outlives a call.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        max_tries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_seconds: float = 30.0,
        timeout: float = 30.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        from twilio.rest import Client

        if not (account_sid and auth_token and from_number):
            raise ValueError("Twilio needs account sid, auth token and sender")
        self._http = _twilio_http_client(base_url, timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        self.account_sid, self.base_url = account_sid, base_url
        # A Messaging Service sid (MG…) is sent as MessagingServiceSid, anything else as From
        # (a number or an alphanumeric sender id).
        if from_number.startswith("MG"):
            self._sender: dict[str, str] = {"messaging_service_sid": from_number}
        else:
            self._sender = {"from_": from_number}
        self.max_tries = max(1, max_tries)
        self.max_wait_seconds = max_wait_seconds
        self._sleep = sleep
        self._backoff = _Backoff(backoff_base, backoff_cap, rng)

    def __repr__(self) -> str:  # never shows the token
        return f"TwilioTransport(account_sid={self.account_sid!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        if self._http.session is not None:
            self._http.session.close()

    def __enter__(self) -> TwilioTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, messages: Sequence[Sms], /) -> list[Outcome]:
        outcomes: list[Outcome] = []
        stop: _Stop | None = None
        try:
            for sms in messages:
                problem = _sms_problem(sms)
                if problem:
                    outcomes.append(Outcome(sms.message_id, "failed", error=problem))
                elif stop is not None:
                    outcomes.append(_deferred(sms.message_id, stop))
                else:
                    outcome = self._create(sms)
                    if outcome.status == "retry":
                        assert outcome.retry_at is not None and outcome.error is not None
                        stop = _Stop(outcome.retry_at, outcome.error)
                    outcomes.append(outcome)
        finally:
            self.close()
        return outcomes

    def _retry_after(self) -> float | None:
        value = _header(self._http.last_headers, "Retry-After")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    def _create(self, sms: Sms) -> Outcome:
        from twilio.base.exceptions import TwilioRestException, TwilioServiceException

        failures = 0
        while True:
            try:
                message = self._client.messages.create(to=sms.to, body=sms.text, **self._sender)
            except TwilioRestException as exc:
                status, code = exc.status, exc.code
                text = str(exc.msg).removeprefix("Unable to create record: ")
            except TwilioServiceException as exc:
                status, code = exc.status, exc.code
                text = exc.detail or exc.title
            except OSError as exc:  # requests' ConnectionError/Timeout are OSErrors
                status, code, text = None, None, f"{type(exc).__name__}: {exc}"
            else:
                log.info("Twilio message %s: 1 message -> 201 (%s)", sms.message_id, message.sid)
                return Outcome(sms.message_id, "sent", provider_message_id=message.sid)

            log.warning("Twilio message %s: 1 message -> %s %s", sms.message_id, status, code)
            described = f"Twilio {code or status}: {text}" if status else f"Twilio {text}"
            if status is None or status == 429 or status >= 500:
                failures += 1
                delay = self._backoff.delay(failures)
                retry_after = self._retry_after() if status == 429 else None
                if retry_after is not None:
                    delay = max(delay, retry_after)
                if failures < self.max_tries and delay <= self.max_wait_seconds:
                    self._sleep(delay)
                    continue
                return Outcome(
                    sms.message_id,
                    "retry",
                    error=f"{described} (after {failures} tries)"[:2000],
                    retry_at=now_utc() + timedelta(seconds=delay),
                )
            if status in (401, 403):
                return Outcome(
                    sms.message_id,
                    "retry",
                    error=f"{described} (check account sid and auth token)"[:2000],
                    retry_at=now_utc() + CONFIG_RETRY,
                )
            return Outcome(sms.message_id, "failed", error=described[:2000])


# --------------------------------------------------------------------------- local files

_LOCAL_POLICY = email.policy.default.clone(utf8=True)  # headers stay readable UTF-8


class LocalTransport:
    """Demo/development: every message becomes a readable UTF-8 file in `directory`.

    One class for both channels: `send()` takes emails (written as ``<id>.eml``, a MIME
    message with text and HTML parts, substitutions applied, headers in UTF-8 per RFC 6532)
    or SMS (``<id>.sms.txt``). Addresses are checked as the real transports check them.
    Provider id: ``local-<id>``. Sending the same id again overwrites its file. Read a file
    back with ``email.message_from_bytes(data, policy=email.policy.default)``; take the
    recipient as ``str(msg["To"])`` (CPython's address parser leaves UTF-8 display names
    as surrogates in ``.addresses``).
    """

    def __init__(
        self,
        directory: Path,
        *,
        from_email: str = "buchungen@miomente.de",
        from_name: str | None = "Miomente",
    ) -> None:
        self.directory = Path(directory)
        self.from_email, self.from_name = from_email, from_name

    def __repr__(self) -> str:
        return f"LocalTransport({str(self.directory)!r})"

    def send(self, messages: Sequence[Email] | Sequence[Sms], /) -> list[Outcome]:
        outcomes = []
        for message in messages:
            if isinstance(message, Email):
                outcomes.append(self._email(message))
            elif isinstance(message, Sms):
                outcomes.append(self._sms(message))
            else:
                raise TypeError(f"not an Email or Sms: {type(message).__name__}")
        if outcomes:
            log.info("Local transport: %d message(s) -> %s", len(outcomes), self.directory)
        return outcomes

    def _write(self, name: str, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self.directory / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _email(self, mail: Email) -> Outcome:
        address, problem = normalize_email(mail.to)
        problem = problem or _content_problem(mail)
        if problem or address is None:
            return Outcome(mail.message_id, "failed", error=problem)
        subs = _substitutions(mail)
        msg = EmailMessage(policy=_LOCAL_POLICY)
        msg["From"] = Address(self.from_name or "", addr_spec=self.from_email)
        msg["To"] = Address(" ".join((mail.to_name or "").split()), addr_spec=address)
        msg["Subject"] = _apply_substitutions(mail.subject, subs)
        msg["Date"] = format_datetime(now_utc().replace(tzinfo=UTC))
        msg["Message-ID"] = make_msgid(f"outbox-{mail.message_id}", "miomente.local")
        msg["X-Miomente-Outbox-Id"] = str(mail.message_id)
        parts = [
            (_apply_substitutions(v, subs), sub)
            for v, sub in ((mail.text, "plain"), (mail.html, "html"))
            if v
        ]
        for n, (value, subtype) in enumerate(parts):
            text = value if value.endswith("\n") else value + "\n"
            # 8bit keeps umlauts readable; lines over SMTP's 998 bytes need quoted-printable.
            long_line = any(len(line.encode()) > 998 for line in text.splitlines())
            cte = "quoted-printable" if long_line else "8bit"
            if n == 0:
                msg.set_content(text, subtype=subtype, charset="utf-8", cte=cte)
            else:
                msg.add_alternative(text, subtype=subtype, charset="utf-8", cte=cte)
        self._write(f"{mail.message_id}.eml", msg.as_bytes())
        return Outcome(mail.message_id, "sent", provider_message_id=f"local-{mail.message_id}")

    def _sms(self, sms: Sms) -> Outcome:
        problem = _sms_problem(sms)
        if problem:
            return Outcome(sms.message_id, "failed", error=problem)
        stamp = now_utc().strftime("%Y-%m-%d %H:%M:%S UTC")
        body = f"An: {sms.to}\nDatum: {stamp}\nOutbox-Id: {sms.message_id}\n\n{sms.text}\n"
        self._write(f"{sms.message_id}.sms.txt", body.encode("utf-8"))
        return Outcome(sms.message_id, "sent", provider_message_id=f"local-{sms.message_id}")


# --------------------------------------------------------------------------- wiring


def transports_from_settings(settings: Settings) -> tuple[EmailTransport, SmsTransport]:
    """SendGrid with SENDGRID_API_KEY, Twilio with sid + token + sender; else local files.

    Without keys both channels share one LocalTransport on ``<demo dir>/outbox``.
    """
    local: LocalTransport | None = None

    def local_transport() -> LocalTransport:
        nonlocal local
        if local is None:
            local = LocalTransport(
                settings.demo_dir / "outbox",
                from_email=settings.mail_from,
                from_name=settings.mail_from_name,
            )
        return local

    email_transport: EmailTransport
    if settings.sendgrid_api_key:
        email_transport = SendGridTransport(
            api_key=settings.sendgrid_api_key,
            host=settings.sendgrid_host,
            from_email=settings.mail_from,
            from_name=settings.mail_from_name,
            sandbox=settings.sendgrid_sandbox,
        )
    else:
        email_transport = local_transport()
    sms_transport: SmsTransport
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number:
        sms_transport = TwilioTransport(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_number=settings.twilio_from_number,
            base_url=settings.twilio_base_url,
        )
    else:
        sms_transport = local_transport()
    return email_transport, sms_transport
