"""The demo's Neuigkeiten: a pinned maintenance notice, a new feature, platform news, one
for the Kochschule only, one scheduled for next week; the Kochschule has read one of them, so
both demo partners see unread items and the badge on first start."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from core.db import Databases
from core.links import SHOP_URL
from data import portal_schema as p
from data.demo.content import DEMO_LOGINS

# (days before today, category, pinned, only for the Kochschule, title, body)
_ITEMS = (
    (
        9, "platform", False, False, "Neues Design der Auszahlungen",
        "Die **Auszahlungen** zeigen jetzt jeden Monat auf einen Blick:\n\n"
        "- Umsatz, Provision und Auszahlungsbetrag\n- den voraussichtlichen Zahltag\n"
        "- die Gutschrift zum Herunterladen\n\n"
        f"Mehr dazu im [Hilfebereich]({SHOP_URL}/partner/hilfe).",
    ),
    (
        4, "feature", False, False, "Neu: Warteliste und Terminanfragen",
        "Kundinnen und Kunden können sich jetzt auf die **Warteliste** setzen, wenn ein Termin "
        "ausgebucht ist, und **Wunschtermine** anfragen. Sie sehen beides unter *Angebot*.\n\n"
        "Tipp: Legen Sie unter Terminanfragen fest, an welchen Wochentagen Sie Anfragen annehmen.",
    ),
    (
        2, "news", False, True, "Ihr Kurs im Miomente-Newsletter",
        "Ihr Kurs *Sushi selbst gemacht* erscheint im Newsletter am Freitag – "
        "rund 80.000 Leserinnen und Leser. Jetzt ist ein guter Moment, weitere Termine anzulegen.",
    ),
    (
        1, "maintenance", True, False, "Wartung am Dienstag, 22:00–23:00 Uhr",
        "Am Dienstag zwischen **22:00 und 23:00 Uhr** ist das Partner-Portal wegen Wartung "
        "kurz nicht erreichbar. Buchungen im Shop laufen normal weiter.",
    ),
    (
        -7, "feature", False, False, "Vorschau: Bewertungen beantworten",
        "Bald können Sie Bewertungen direkt im Portal beantworten.",
    ),
)  # fmt: skip


def _users(db: Databases) -> dict[str, tuple[int, int | None]]:
    names = [name for name, _pw, _role in DEMO_LOGINS]
    query = select(p.users.c.username, p.users.c.user_id, p.users.c.partner_id).where(
        p.users.c.username.in_(names)
    )
    with db.portal.connect() as conn:
        return {row.username: (row.user_id, row.partner_id) for row in conn.execute(query)}


def add_demo_news(db: Databases, *, now: datetime) -> int:
    """Write the demo's announcements and the Kochschule's one read; returns how many."""
    users = _users(db)
    staff_id, _ = users["miomente"]
    kochschule_user, kochschule = users["kochschule"]
    with db.portal.begin() as conn:
        ids = []
        for days, category, pinned, only_kochschule, title, body in _ITEMS:
            at = now - timedelta(days=days)
            row = {
                "title": title, "body": body, "category": category,
                "all_partners": not only_kochschule, "pinned": pinned, "publish_at": at,
                "created_at": min(at, now), "created_by": staff_id, "updated_at": min(at, now),
            }  # fmt: skip
            added = insert(p.announcements).values(**row)
            ids.append(
                int(conn.execute(added.returning(p.announcements.c.announcement_id)).scalar_one())
            )
            if only_kochschule:
                conn.execute(
                    insert(p.announcement_partners).values(
                        announcement_id=ids[-1], partner_id=kochschule
                    )
                )
        conn.execute(
            insert(p.announcement_reads).values(
                announcement_id=ids[0], user_id=kochschule_user, read_at=now - timedelta(days=8)
            )
        )
    return len(ids)
