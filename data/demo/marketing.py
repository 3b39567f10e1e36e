"""Demo data for the Qualitäts-Score: product images, some polished course pages, the scores.

Each course gets 0–8 gallery images (Magento's media gallery), so the image item ranges from
missing to done. Every third course of each partner gets a thorough page: a structured
description of ~330 words with subheadings and every fact customers ask about, and a meta
description of the right length. The scores are computed twice, three weeks ago (before the
polish, with fewer images) and today, so the history shows what the changes did: the demo's
courses range from poor to excellent. Deterministic for a seed and a day.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, and_, insert, select, update

from core.db import Databases
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.demo.content import KINDS
from data.demo.search_queries import TERMS
from data.marketing.scores import score_courses
from data.shop import schema as m

IMAGE_WEIGHTS = (3, 3, 4, 4, 3, 3, 2, 2, 1)  # 0..8 images
POLISH_EVERY = 3
HISTORY_DAYS = 21

_TEXT = """<p>{teaser} Unser {keyword} in {city} ist ideal für Einsteiger. Sie brauchen keine
Vorkenntnisse. Wir zeigen jeden Schritt. Sie machen alles selbst mit. Am Ende genießen wir
gemeinsam, was Sie gemacht haben.</p>
<h2>Was Sie erwartet</h2>
<p>{about} Sie arbeiten in einer kleinen Gruppe. So bleibt Zeit für Ihre Fragen. Unsere
Profis teilen Tricks, die in keinem Buch stehen. Sie lernen, worauf es ankommt. Und Sie
lernen, wie Sie es zu Hause leicht nachmachen. Viele Gäste kommen zu zweit. Andere kommen mit
Freunden oder mit dem Team. Alle gehen mit einem Lächeln nach Hause.</p>
<p>Der Kurs dauert ca. {hours} Stunden. Wir beginnen pünktlich. Bitte kommen Sie zehn Minuten
vorher. Dann ist Zeit für ein Glas Wasser und ein erstes Hallo. Wir arbeiten Hand in Hand.
Niemand muss etwas können. Jeder darf fragen. Wir lachen viel. Und wir lernen dabei eine
Menge.</p>
<h2>Was inklusive ist</h2>
<p>Inklusive sind {included}. Alle Zutaten und das Material stellen wir. Sie bekommen die
Rezepte und Notizen per Mail. Getränke wie Wasser, Saft und ein Glas Wein sind im Preis
enthalten. Bitte sagen Sie uns Allergien bei der Buchung. Vegetarische Wünsche sind kein
Problem. Auch bei einer Unverträglichkeit finden wir fast immer eine gute Lösung.</p>
<h2>Gruppe, Treffpunkt und Anreise</h2>
<p>Die Gruppengröße ist bis zu {seats} Personen. Treffpunkt ist unser Haus in der {street},
{postcode} {city}. Sie erreichen uns gut mit Bus und Bahn. Parkplätze gibt es in der Nähe.
Die Räume sind hell und warm. Eine Garderobe ist da.</p>
<p>Der Kurs ist auch ein schönes Geschenk. Ein Gutschein passt zu jedem Anlass. Für Firmen
planen wir gern einen eigenen Termin. Fragen Sie uns einfach. Wir freuen uns auf Sie!</p>"""


def _meta(name: str, city: str, keyword: str) -> str:
    text = (
        f"{name} in {city}: {keyword} für Einsteiger, kleine Gruppe, alles inklusive. "
        "Jetzt Termin wählen und Plätze sichern."
    )
    while len(text) < 125:
        text += " Auch als Gutschein."
    return text[:157].rsplit(" ", 1)[0] if len(text) > 157 else text


def _images(db: Databases, product_ids: list[int], rng: random.Random) -> dict[int, int]:
    counts = {pid: rng.choices(range(9), IMAGE_WEIGHTS)[0] for pid in product_ids}
    gallery = m.catalog_product_entity_media_gallery
    link = m.catalog_product_entity_media_gallery_value_to_entity
    rows: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    for pid, n in counts.items():
        for k in range(n):
            value_id = len(rows) + 1
            rows.append(
                {
                    "value_id": value_id,
                    "attribute_id": m.MEDIA_GALLERY_ATTRIBUTE_ID,
                    "value": f"/k/u/kurs-{pid}-{k + 1}.jpg",
                    "media_type": "image",
                    "disabled": 0,
                }
            )
            links.append({"value_id": value_id, "entity_id": pid})
    with db.magento.begin() as conn:
        if rows:
            conn.execute(insert(gallery), rows)
            conn.execute(insert(link), links)
    return counts


def _add_images(db: Databases, product_ids: list[int]) -> None:
    """Three more photos each for the polished courses (their photo session)."""
    gallery = m.catalog_product_entity_media_gallery
    link = m.catalog_product_entity_media_gallery_value_to_entity
    with db.magento.begin() as conn:
        start = int(conn.execute(select(gallery.c.value_id).order_by(gallery.c.value_id.desc()))
                    .scalars().first() or 0)  # fmt: skip
        rows: list[dict[str, object]] = []
        links: list[dict[str, object]] = []
        for pid in product_ids:
            for k in range(3):
                start += 1
                rows.append(
                    {"value_id": start, "attribute_id": m.MEDIA_GALLERY_ATTRIBUTE_ID,
                     "value": f"/k/u/kurs-{pid}-neu-{k + 1}.jpg", "media_type": "image",
                     "disabled": 0}
                )  # fmt: skip
                links.append({"value_id": start, "entity_id": pid})
        if rows:
            conn.execute(insert(gallery), rows)
            conn.execute(insert(link), links)


def _set_text(conn: Connection, table: Table, code: str, pid: int, value: str) -> None:
    attribute = m.PRODUCT_ATTRIBUTES[code][0]
    where = and_(table.c.entity_id == pid, table.c.attribute_id == attribute, table.c.store_id == 0)
    if conn.execute(select(table.c.value_id).where(where)).first() is None:
        conn.execute(
            insert(table).values(attribute_id=attribute, store_id=0, entity_id=pid, value=value)
        )
    else:
        conn.execute(update(table).where(where).values(value=value))


def _polish(db: Databases, chosen: list[int], places: dict[int, tuple]) -> None:
    names = m.catalog_product_entity_varchar
    with db.magento.begin() as conn:
        titles = dict(
            conn.execute(
                select(names.c.entity_id, names.c.value).where(
                    names.c.attribute_id == m.PRODUCT_ATTRIBUTES["name"][0],
                    names.c.store_id == 0,
                )
            ).all()
        )
        for pid in chosen:
            kind_name, city, street, postcode = places[pid]
            kind = KINDS[kind_name]
            spec = next((c for c in kind.courses if c.name == titles.get(pid)), kind.courses[0])
            keyword = TERMS.get(kind_name, ("Kurs",))[0].title()
            text = _TEXT.format(
                teaser=spec.teaser, keyword=keyword, city=city, about=kind.about,
                hours=f"{spec.minutes / 60:.1f}".replace(".0", "").replace(".", ","),
                included=kind.included, seats=kind.seats[1], street=street, postcode=postcode,
            )  # fmt: skip
            _set_text(conn, m.catalog_product_entity_text, "description", pid, text)
            meta = _meta(str(titles.get(pid, "")), city, keyword)
            _set_text(conn, m.catalog_product_entity_varchar, "meta_description", pid, meta)


def add_demo_marketing(db: Databases, *, now: datetime, seed: int) -> int:
    """Images, polished pages and two rounds of scores; returns the number of courses scored."""
    rng = random.Random(f"marketing-{seed}")
    query = (
        select(p.courses.c.product_id, p.courses.c.partner_id, p.partners.c.kind,
               p.partners.c.city, p.partners.c.street, p.partners.c.postcode)
        .join(p.partners, p.partners.c.partner_id == p.courses.c.partner_id)
        .order_by(p.courses.c.product_id)
    )  # fmt: skip
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    places = {int(r[0]): (r[2], r[3] or "", r[4] or "", r[5] or "") for r in rows}
    by_partner: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        by_partner[int(r[1])].append(int(r[0]))
    _images(db, sorted(places), rng)
    score_courses(SYSTEM, db, now=now - timedelta(days=HISTORY_DAYS))
    chosen = [pid for pids in by_partner.values() for pid in pids[::POLISH_EVERY]]
    _polish(db, chosen, places)
    _add_images(db, chosen)
    return score_courses(SYSTEM, db, now=now)
