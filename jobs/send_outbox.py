"""`send-outbox`: send due outbox messages through SendGrid (email) and Twilio (SMS).

The loop: claim up to 1,000 due messages (a lease, so two senders never take the same row),
render them, send them, record each outcome, and claim again until nothing is due.

- One template to many recipients becomes few requests: `render_for_batch` gives content that
  is the same for all (with substitution tags) plus each recipient's values, and messages with
  the same content go out together, up to 1,000 per SendGrid request.
- A message that cannot be rendered, or whose address is plainly wrong, fails alone and
  visibly (status failed, the reason in last_error); the rest go out.
- Outcomes: sent → provider id stored; retry (429, 5xx, timeouts) → back to pending with a
  backoff; failed (a permanent 4xx) → failed. After `MAX_ATTEMPTS` a retry fails for good.
- Outcomes are written right after each send call, so a crash between the provider's
  acceptance and our commit can repeat at most one call's messages (one request: up to 1,000
  of identical content, or one message sent alone), never the whole run.
- When a provider answers "retry" (outage, rate limit, refused key), the rest of that
  channel's messages in the batch are deferred without a request and the run ends after the
  batch; unclaimed messages wait untouched for the next run.
- `--dry-run` claims nothing and sends nothing: it counts the due messages and renders them.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from core.clock import naive_utc, now_utc
from core.db import Databases
from data.access.viewer import SYSTEM, Viewer
from data.comms.outbox import (
    LEASE,
    Message,
    claim_due,
    count_due,
    due_messages,
    mark_failed,
    mark_sent,
    release,
)
from data.portal_schema import CHANNEL_EMAIL, OUTBOX_PENDING
from jobs.runner import JobContext, Progress, TaskResult
from messaging.render import render, render_for_batch
from messaging.transports import (
    Email,
    EmailTransport,
    Outcome,
    Sms,
    SmsTransport,
    normalize_email,
    phone_problem,
    transports_from_settings,
)

log = logging.getLogger("jobs.send_outbox")

CLAIM_LIMIT = 1000
# SendGrid takes at most 1,000 personalizations per request.
PER_REQUEST = 1000
# Messages that cannot share content are one request each; each is recorded right after its
# request, so a crash repeats at most one of them. (The commit costs a few milliseconds, a
# provider request tens of them.)
SINGLES_PER_SEND = 1
# Units are sent only within this part of the claim's lease (data.comms.outbox.LEASE).
LEASE_USE = LEASE * 0.8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)

Clock = Callable[[], datetime]
Outgoing = Email | Sms


@dataclass
class SendCounts:
    processed: int = 0  # messages claimed (dry run: due)
    sent: int = 0
    retried: int = 0
    failed: int = 0
    send_calls: int = 0
    lease_lost: int = 0  # sent, but another sender had taken the row over meanwhile
    # A crash between the provider's acceptance and our commit sends again; that window is
    # at most one send call plus the commit of its outcomes. The longest of each, in seconds:
    send_seconds_max: float = 0.0
    record_seconds_max: float = 0.0


def worker_id() -> str:
    """Unique per process and run: host-pid-random (fits the 64 characters of claimed_by)."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


# --- preparing messages ---------------------------------------------------------------------


def address_problem(message: Message) -> str | None:
    """Why the recipient cannot be right (the transports' own syntax rules), or None."""
    if message.channel == CHANNEL_EMAIL:
        return normalize_email(message.recipient)[1]
    return phone_problem(message.recipient)


def prepare(message: Message) -> Outgoing:
    """Render one message for its transport; raises on a template or address problem."""
    problem = address_problem(message)
    if problem:
        raise ValueError(problem)
    if message.channel != CHANNEL_EMAIL:
        rendered = render(
            message.template, locale=message.locale, payload=message.payload, channel="sms"
        )
        return Sms(message_id=message.message_id, to=message.recipient, text=rendered.text)
    batch = render_for_batch(
        message.template, locale=message.locale, payload=message.payload, channel="email"
    )
    substitutions: dict[str, str]
    if batch is None:
        rendered, substitutions = (
            render(message.template, locale=message.locale, payload=message.payload),
            {},
        )
    else:
        rendered, substitutions = batch
    return Email(
        message_id=message.message_id,
        to=message.recipient,
        to_name=message.recipient_name,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        substitutions=substitutions,
    )


def prepare_all(messages: Iterable[Message]) -> tuple[list[Outgoing], list[tuple[int, str]]]:
    """Render each message; one that fails is set aside with its reason, the rest go on."""
    ready: list[Outgoing] = []
    broken: list[tuple[int, str]] = []
    for message in messages:
        try:
            ready.append(prepare(message))
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the queue
            broken.append((message.message_id, f"{type(exc).__name__}: {exc}"))
    return ready, broken


def send_units(ready: Sequence[Outgoing]) -> list[list[Outgoing]]:
    """Split into send calls: identical content together (≤1,000), personal ones by 25."""
    shared: dict[tuple[str, str, str], list[Outgoing]] = {}
    for item in ready:
        if isinstance(item, Email):
            shared.setdefault((item.subject, item.html, item.text), []).append(item)
    units: list[list[Outgoing]] = []
    lone_emails: list[Outgoing] = []
    for group in shared.values():
        if len(group) == 1:
            lone_emails.extend(group)
            continue
        units.extend(group[i : i + PER_REQUEST] for i in range(0, len(group), PER_REQUEST))
    # One channel per unit: each unit goes to one transport.
    texts: list[Outgoing] = [item for item in ready if isinstance(item, Sms)]
    for singles in (lone_emails, texts):
        units.extend(
            singles[i : i + SINGLES_PER_SEND] for i in range(0, len(singles), SINGLES_PER_SEND)
        )
    return units


# --- recording outcomes ---------------------------------------------------------------------


def retry_time(outcome: Outcome, attempts: int, now: datetime) -> datetime:
    """The provider's reset time if it gave one, but never sooner than our own backoff."""
    backoff = min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)
    own = now + backoff
    if outcome.retry_at is None:
        return own
    return max(naive_utc(outcome.retry_at), own)


@dataclass
class _Sender:
    viewer: Viewer
    db: Databases
    email: EmailTransport | None
    sms: SmsTransport | None
    worker: str
    clock: Clock
    counts: SendCounts = field(default_factory=SendCounts)
    # Channel -> (retry at, reason) once its provider asked us to back off in this run.
    stopped: dict[str, tuple[datetime, str]] = field(default_factory=dict)

    def fail(self, message_id: int, error: str, retry_at: datetime | None = None) -> None:
        status = mark_failed(
            self.viewer,
            self.db,
            message_id=message_id,
            error=error,
            retry_at=retry_at,
            worker=self.worker,
            now=self.clock(),
        )
        if status == OUTBOX_PENDING:
            self.counts.retried += 1
        else:
            self.counts.failed += 1

    def give_back(self, unit: list[Outgoing], retry_at: datetime, reason: str) -> None:
        """Return untried messages without using up an attempt."""
        release(
            self.viewer,
            self.db,
            message_ids=[item.message_id for item in unit],
            retry_at=retry_at,
            reason=f"not attempted: {reason}"[:2000],
            worker=self.worker,
            now=self.clock(),
        )
        self.counts.retried += len(unit)

    def _transport_send(self, channel: str, unit: list[Outgoing]) -> list[Outcome]:
        """The unit through its channel's transport (a unit holds one channel only)."""
        if channel == "email" and self.email is not None:
            return self.email.send([item for item in unit if isinstance(item, Email)])
        if channel == "sms" and self.sms is not None:
            return self.sms.send([item for item in unit if isinstance(item, Sms)])
        raise RuntimeError(f"no transport for {channel}")

    def send(self, unit: list[Outgoing], attempts: dict[int, int]) -> None:
        channel = "email" if isinstance(unit[0], Email) else "sms"
        if channel in self.stopped:
            # The provider is down, throttling or refusing our key: do not knock again now.
            retry_at, reason = self.stopped[channel]
            self.give_back(unit, retry_at, reason)
            return
        started = time.monotonic()
        outcomes = self._transport_send(channel, unit)
        returned = time.monotonic()
        self.counts.send_calls += 1
        self.counts.send_seconds_max = max(self.counts.send_seconds_max, returned - started)
        self.record(channel, outcomes, attempts)
        self.counts.record_seconds_max = max(
            self.counts.record_seconds_max, time.monotonic() - returned
        )
        missing = {item.message_id for item in unit} - {o.message_id for o in outcomes}
        if missing:
            # Sent or not, we cannot tell: the lease lapses and a later run decides.
            log.warning("transport gave no outcome for %d message(s)", len(missing))

    def record(self, channel: str, outcomes: Sequence[Outcome], attempts: dict[int, int]) -> None:
        sent = [(o.message_id, o.provider_message_id) for o in outcomes if o.status == "sent"]
        if sent:
            marked = mark_sent(
                self.viewer, self.db, results=sent, worker=self.worker, now=self.clock()
            )
            self.counts.sent += marked
            self.counts.lease_lost += len(sent) - marked
        for outcome in outcomes:
            if outcome.status == "retry":
                when = retry_time(outcome, attempts.get(outcome.message_id, 1), self.clock())
                self.stopped.setdefault(channel, (when, outcome.error or "retry"))
                self.fail(outcome.message_id, outcome.error or "retry", when)
            elif outcome.status != "sent":
                self.fail(outcome.message_id, outcome.error or "failed")


def send_outbox(
    db: Databases,
    *,
    email: EmailTransport | None,
    sms: SmsTransport | None,
    dry_run: bool = False,
    viewer: Viewer = SYSTEM,
    worker: str | None = None,
    limit: int = CLAIM_LIMIT,
    clock: Clock = now_utc,
    progress: Progress | None = None,
) -> SendCounts:
    """Send everything due (see the module doc); returns the counts of this run."""
    if dry_run:
        return dry_run_counts(db, viewer=viewer, limit=limit, clock=clock, progress=progress)
    sender = _Sender(viewer, db, email, sms, worker or worker_id(), clock)
    while batch := claim_due(viewer, db, worker=sender.worker, limit=limit, now=clock()):
        sender.counts.processed += len(batch)
        attempts = {m.message_id: m.attempts for m in batch}
        ready, broken = prepare_all(batch)
        for message_id, error in broken:
            sender.fail(message_id, error)
        if progress:
            progress.advance(len(broken))
        claimed_at = time.monotonic()
        for unit in send_units(ready):
            if time.monotonic() - claimed_at > LEASE_USE.total_seconds():
                # Past most of our lease another sender may claim these rows: hand them back
                # (due at once) rather than risk sending them twice.
                sender.give_back(unit, clock(), "lease nearly over")
            else:
                sender.send(unit, attempts)
            if progress:
                progress.advance(len(unit))
        if sender.stopped:
            # A provider asked for a pause: leave the rest queued (no attempt used up) for
            # the next run instead of claiming batch after batch only to defer it.
            log.warning("Versand pausiert (provider backing off): %s", sender.stopped)
            break
    return sender.counts


def dry_run_counts(
    db: Databases,
    *,
    viewer: Viewer = SYSTEM,
    limit: int = CLAIM_LIMIT,
    clock: Clock = now_utc,
    progress: Progress | None = None,
) -> SendCounts:
    """What a run would do now: due messages rendered, nothing claimed, sent or changed."""
    counts, now, after = SendCounts(), clock(), 0
    while page := due_messages(viewer, db, after_id=after, limit=limit, now=now):
        after = page[-1].message_id
        ready, broken = prepare_all(page)
        counts.processed += len(page)
        counts.failed += len(broken)
        counts.send_calls += len(send_units(ready))
        for message_id, error in broken:
            log.warning("Nachricht %d würde fehlschlagen: %s", message_id, error)
        if progress:
            progress.advance(len(page))
    return counts


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run send-outbox`."""
    now = now_utc()
    total = count_due(ctx.viewer, ctx.db, now=now)
    progress = ctx.progress("send-outbox", total)
    email, sms = (None, None) if ctx.dry_run else transports_from_settings(ctx.settings)
    counts = send_outbox(
        ctx.db, email=email, sms=sms, dry_run=ctx.dry_run, viewer=ctx.viewer, progress=progress
    )
    return TaskResult(processed=counts.processed, failed=counts.failed, details=asdict(counts))
