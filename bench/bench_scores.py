"""The Qualitäts-Score at a marketplace's size: the nightly job and the page's read.

Usage (from the project root):

    .venv/bin/python -m bench.bench_scores [--products 20000] [--per-partner 100] [--reads 50]

Seeds SQLite shop and portal files in a temp dir with `--products` courses (`--per-partner`
per partner), each with a German description of about 2 KB (headings, paragraphs, a facts
list), name, url key, meta fields, 0–8 gallery images, a few dates and reviews, and the
demo's search log; then runs `score_courses` over all of them as the nightly job does and
prints the time, the rate and the process's peak memory (max RSS, so it includes Python and
the seeding); then times `course_scores` for the biggest partner, the Marketing page's read,
`--reads` times and prints p50/p95.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.rows import partner_rows
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data.access.viewer import SYSTEM, Viewer
from data.demo.search_queries import add_demo_search_queries
from data.marketing.scores import course_scores, score_courses
from data.portal_schema import courses, partners
from data.shop import schema as m

NOW = datetime(2026, 11, 25, 12, 0)
_SENTENCES = (
    "Wir kochen gemeinsam ein Menü mit frischen Zutaten aus der Region.",
    "Sie lernen, wie man Pasta von Hand formt und die passende Sauce dazu kocht.",
    "Unsere Köchin zeigt jeden Schritt und beantwortet alle Fragen gern.",
    "Zum Essen gibt es ausgewählte Weine und alkoholfreie Getränke.",
    "Der Abend eignet sich für Paare, Freunde und Teams gleichermaßen.",
    "Am Ende genießen wir die Gerichte zusammen an einer langen Tafel.",
    "Bitte teilen Sie uns Allergien und Unverträglichkeiten vorher mit.",
    "Die Rezepte bekommen Sie nach dem Kurs per E-Mail zugeschickt.",
    "Messer, Schürzen und alle Geräte stellen wir selbstverständlich bereit.",
    "Vorkenntnisse brauchen Sie keine, nur Freude am Kochen und Neugier.",
    "Durch die kleine Gruppe bleibt viel Zeit für persönliche Tipps und Tricks der Profis.",
    "Wer möchte, nimmt Reste in einer mitgebrachten Dose mit nach Hause.",
)
_HEADINGS = ("Was Sie erwartet", "Das Menü", "Gut zu wissen", "Für wen", "Anreise")


def _description(rng: random.Random) -> str:
    parts: list[str] = []
    while sum(len(p) for p in parts) < 1900:
        if rng.random() < 0.2:
            parts.append(f"<h2>{rng.choice(_HEADINGS)}</h2>")
        sentences = " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(2, 6)))
        parts.append(f"<p>{sentences}</p>")
    if rng.random() < 0.5:
        parts.append("<ul><li>Dauer: ca. 3 Stunden</li><li>Bis zu 12 Personen</li></ul>")
    return "\n".join(parts)


def _seed(db: Databases, products: int, per_partner: int) -> None:
    rng = random.Random(14)
    count = (products + per_partner - 1) // per_partner
    attr = {code: aid for code, (aid, _b) in m.PRODUCT_ATTRIBUTES.items()}
    with db.portal.begin() as conn:
        conn.execute(insert(partners), partner_rows(count))
        conn.execute(
            insert(courses),
            [{"course_id": i, "partner_id": (i - 1) // per_partner + 1, "product_id": i,
              "sku": f"B-{i}"} for i in range(1, products + 1)],
        )  # fmt: skip
    with db.magento.begin() as conn:
        for begin in range(1, products + 1, 5000):
            ids = range(begin, min(begin + 5000, products + 1))
            products_rows = [{"entity_id": i, "sku": f"B-{i}", "type_id": "virtual"} for i in ids]
            conn.execute(insert(m.catalog_product_entity), products_rows)
            varchar = []
            for i in ids:
                name = f"Kochkurs in Berlin: Pasta und Saucen Nummer {i}"
                varchar += [
                    {"attribute_id": attr["name"], "store_id": 0, "entity_id": i, "value": name},
                    {"attribute_id": attr["url_key"], "store_id": 0, "entity_id": i,
                     "value": f"kochkurs-berlin-pasta-{i}"},
                    {"attribute_id": attr["meta_title"], "store_id": 0, "entity_id": i,
                     "value": name[:60]},
                ]  # fmt: skip
            conn.execute(insert(m.catalog_product_entity_varchar), varchar)
            conn.execute(
                insert(m.catalog_product_entity_text),
                [{"attribute_id": attr["description"], "store_id": 0, "entity_id": i,
                  "value": _description(rng)} for i in ids],
            )  # fmt: skip
            gallery, links, dates = [], [], []
            for i in ids:
                for k in range(rng.randint(0, 8)):
                    value_id = i * 10 + k
                    gallery.append({"value_id": value_id, "attribute_id": 90,
                                    "value": f"/b/{i}-{k}.jpg"})  # fmt: skip
                    links.append({"value_id": value_id, "entity_id": i})
                for d in range(rng.randint(0, 5)):
                    start = NOW + timedelta(days=rng.randint(-60, 120), hours=d)
                    dates.append({"product_id": i, "starts_at": start,
                                  "ends_at": start + timedelta(hours=3), "seats_total": 12,
                                  "price": 89})  # fmt: skip
            if gallery:
                conn.execute(insert(m.catalog_product_entity_media_gallery), gallery)
                conn.execute(insert(m.catalog_product_entity_media_gallery_value_to_entity), links)
            conn.execute(insert(m.miomente_course_date), dates)
            reviews = [
                {"entity_pk_value": i, "status_id": 1}
                for i in ids
                for _ in range(rng.randint(0, 4))
            ]
            if reviews:
                conn.execute(insert(m.review), reviews)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--per-partner", type=int, default=100)
    parser.add_argument("--reads", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shop = make_engine(f"sqlite:///{Path(tmp) / 'magento.sqlite'}")
        db = Databases(
            magento=shop,
            magento_read=shop,
            portal=make_engine(f"sqlite:///{Path(tmp) / 'portal.sqlite'}"),
        )
        m.create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        started = time.perf_counter()
        _seed(db, args.products, args.per_partner)
        add_demo_search_queries(db, now=NOW, seed=1)
        print(f"seeded {args.products:,} products in {time.perf_counter() - started:.1f} s, "
              f"peak RSS {_peak_mb():.0f} MB")  # fmt: skip
        started, cpu = time.perf_counter(), time.process_time()
        done = score_courses(SYSTEM, db, now=NOW)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        # CPU time too: on a shared machine the wall clock mostly measures the neighbours.
        print(f"score_courses: {done:,} products in {seconds:.1f} s wall, {cpu:.1f} s CPU "
              f"({done / cpu:,.0f}/s of CPU), peak RSS {_peak_mb():.0f} MB")  # fmt: skip
        viewer = Viewer(user_id=1, role="partner", partner_id=1)
        times, cpus = [], []
        for _ in range(args.reads):
            started, cpu = time.perf_counter(), time.process_time()
            rows = course_scores(viewer, db)
            times.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"course_scores (partner with {len(rows)} courses): "
              f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms wall; "
              f"p50 {statistics.median(cpus):.1f} ms CPU")  # fmt: skip
        db.dispose()


if __name__ == "__main__":
    main()
