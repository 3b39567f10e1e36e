"""A form creates its record once: the idempotency token of a rendered form.

The page draws a random token when it renders a form that creates something (a series, a
date) and passes it with the submit. The data layer claims the token in
`miomente_submissions` (its primary key) in the transaction that creates the record, so the
same rendered form submitted twice — a double click, two reruns racing each other, a second
tab replaying it — creates one record, and the second submit is refused with
`clicks.duplicate` ("schon gespeichert"). Without a token (jobs, tests, the API) nothing is
claimed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from core.db import Databases
from core.validation import InvalidInput
from data.portal_schema import submissions

DUPLICATE = "clicks.duplicate"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A rendered form older than this is not resubmitted by a double click or a racing rerun, so
# its token need not be kept: each claim clears the older ones and the table stays small.
KEEP = timedelta(days=7)


def _check(token: str) -> str:
    if not _TOKEN.fullmatch(token):
        raise InvalidInput(DUPLICATE)  # not a token this portal drew: nothing is created
    return token


def _taken(db: Databases, token: str) -> bool:
    with db.portal.connect() as conn:
        found = conn.execute(select(submissions.c.token).where(submissions.c.token == token))
        return found.first() is not None


@contextmanager
def once(
    db: Databases, token: str | None, *, kind: str, user_id: int, now: datetime
) -> Iterator[Connection]:
    """A portal transaction that first claims `token`; a token already claimed is refused
    (InvalidInput `clicks.duplicate`) and the transaction writes nothing."""
    if token is not None:
        _check(token)
    try:
        with db.portal.begin() as pconn:
            if token is not None:
                pconn.execute(
                    insert(submissions).values(
                        token=token, kind=kind, user_id=user_id, created_at=now
                    )
                )
                pconn.execute(delete(submissions).where(submissions.c.created_at < now - KEEP))
            yield pconn
    except IntegrityError as exc:
        if token is not None and _taken(db, token):
            raise InvalidInput(DUPLICATE) from exc
        raise


def claim(db: Databases, token: str | None, *, kind: str, user_id: int, now: datetime) -> None:
    """Claim `token` in a transaction of its own (for a record written outside the portal
    database); `release` gives it back when writing the record failed."""
    with once(db, token, kind=kind, user_id=user_id, now=now):
        pass


def release(db: Databases, token: str | None) -> None:
    if token is None:
        return
    with db.portal.begin() as pconn:
        pconn.execute(delete(submissions).where(submissions.c.token == token))
