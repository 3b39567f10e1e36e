"""`deliver-webhooks`: send due webhook deliveries, signed per Standard Webhooks.

The loop: claim up to 500 due deliveries (a lease), send each with one shared httpx client
(connection reuse, 10 s timeout, redirects not followed: a 3xx counts as a failure), record
the outcomes, claim again until nothing is due. Before each request the URL is checked again
(core/ssrf.py) and the request goes to the checked address itself, so DNS rebinding between
save and send cannot reach an internal host (TLS still verifies the certificate for the host
name: SNI and Host carry it). A failure is retried with exponential backoff and jitter
(core/webhook_retry.py) until 3 days after the event; 410 disables the endpoint at once, five
days of failures disable it and mail the partner (data/integrations/webhooks.py). Finished
deliveries older than 30 days are purged at the end of each run.

Certificates are always verified, against certifi's public roots. A receiver behind a private
CA is trusted through httpx's documented `SSL_CERT_FILE` (or `SSL_CERT_DIR`), read when the
run's client is made; that bundle replaces the public roots, so it must hold them too. There
is no switch that turns verification off: a certificate that does not verify fails the
attempt as "tls: <OpenSSL's reason>" (the Webhooks page says it in the partner's language)
and is retried like any other failure.
"""

from __future__ import annotations

import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

import httpx

from core import ssrf, webhook_signing
from core.errors import Refusal
from core.webhook_retry import retry_delay
from data.integrations.webhooks import (
    ERROR_REDIRECT,
    ERROR_TIMEOUT,
    ERROR_TLS,
    Attempt,
    Delivery,
    claim_deliveries,
    purge_log,
    record_attempts,
)
from jobs.runner import JobContext, TaskResult

log = logging.getLogger("jobs.deliver_webhooks")
TIMEOUT = 10.0
BATCH = 500
USER_AGENT = "Miomente-Webhooks/1.0"


@dataclass
class Totals:
    sent: int = 0
    ok: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: int = 0
    purged: int = 0


def new_client(*, timeout: float = TIMEOUT) -> httpx.Client:
    """One client per run: keeps connections to each receiver open between deliveries."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=20),
        headers={"user-agent": USER_AGENT},
    )


def _excerpt(response: httpx.Response) -> str:
    # Never more than a few hundred characters of whatever the receiver answers.
    return response.content[:500].decode("utf-8", "replace")


def send_one(
    client: httpx.Client,
    delivery: Delivery,
    *,
    now: datetime,
    resolver: ssrf.Resolver = ssrf.system_resolver,
    jitter: Callable[[], float] = random.random,
) -> Attempt:
    """One signed POST; the outcome, with the retry time after a failure."""
    body = delivery.body()
    signed = webhook_signing.headers(
        delivery.endpoint.signing_secrets(now),
        msg_id=delivery.msg_id,
        timestamp=int((now - datetime(1970, 1, 1)).total_seconds()),
        body=body,
    )

    def failed(**kwargs: object) -> Attempt:
        retry_at = now + retry_delay(max(delivery.attempts, 1), jitter=jitter())
        return Attempt(delivery_id=delivery.delivery_id, ok=False, retry_at=retry_at, **kwargs)  # type: ignore[arg-type]

    try:
        target = ssrf.resolve_target(
            delivery.endpoint.url, loopback_ok=ssrf.allow_loopback(), resolver=resolver
        )
    except Refusal as refusal:
        return failed(error=f"ssrf: {refusal}")
    started = time.perf_counter()
    try:
        response = client.post(
            target.connect_url(),
            content=body,
            headers={
                **signed.as_dict(),
                "content-type": "application/json",
                "host": target.host_header,
            },
            extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
        )
    except httpx.TimeoutException:
        return failed(error=ERROR_TIMEOUT, duration_ms=_ms(started))
    except httpx.HTTPError as exc:
        return failed(error=_no_answer(exc), duration_ms=_ms(started))
    duration = _ms(started)
    code = response.status_code
    if 200 <= code < 300:
        return Attempt(
            delivery_id=delivery.delivery_id,
            ok=True,
            status_code=code,
            duration_ms=duration,
            excerpt=_excerpt(response),
        )
    reason = ERROR_REDIRECT if 300 <= code < 400 else f"HTTP {code}"
    return failed(status_code=code, duration_ms=duration, error=reason, excerpt=_excerpt(response))


def _no_answer(exc: httpx.HTTPError) -> str:
    """Why a request got no answer: a certificate that did not verify as "tls: " and
    OpenSSL's reason (self-signed, unknown issuer, another host name, expired), else the
    error's class."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"{ERROR_TLS}{cause.verify_message or cause.reason or 'verify failed'}"[:200]
        cause = cause.__cause__ or cause.__context__
    return type(exc).__name__[:200]


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def deliver_due(
    ctx: JobContext,
    *,
    client: httpx.Client | None = None,
    resolver: ssrf.Resolver = ssrf.system_resolver,
    batch: int = BATCH,
    max_batches: int | None = None,
) -> Totals:
    """Claim, send and record until nothing is due (or `max_batches` were sent)."""
    totals = Totals()
    own = client is None
    client = client or new_client()
    try:
        done = 0
        while max_batches is None or done < max_batches:
            now = ctx.clock()
            claimed = claim_deliveries(ctx.viewer, ctx.db, limit=batch, now=now)
            if not claimed:
                break
            attempts = [send_one(client, d, now=now, resolver=resolver) for d in claimed]
            recorded = record_attempts(ctx.viewer, ctx.db, attempts=attempts, now=now)
            totals.sent += len(attempts)
            totals.ok += recorded.ok
            totals.retrying += recorded.retrying
            totals.failed += recorded.failed
            totals.disabled += recorded.disabled
            done += 1
    finally:
        if own:
            client.close()
    totals.purged = purge_log(ctx.viewer, ctx.db, now=ctx.clock())
    return totals


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run deliver-webhooks`."""
    if ctx.dry_run:
        return TaskResult(processed=0, details={"dry_run": True})
    totals = deliver_due(ctx)
    return TaskResult(processed=totals.sent, details=asdict(totals))
