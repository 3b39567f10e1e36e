"""The shop's search log (`search_query`) for the demo, so the keyword ideas show something.

German search terms for each kind of course, alone and with a city ("pasta kurs hamburg"),
plus gift and team-event searches; popularity falls off with the term's rank and the city's
size, a few searches found nothing. Deterministic for a seed and a day, like the rest.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert

from core.db import Databases
from data.demo.content import CITIES
from data.shop import schema as m

STORE_ID = 1
CITY_COUNT = 16  # the biggest cities get city searches
# Per kind: what people type, most searched first (words of the demo's course texts, and a
# few the texts lack, which become ideas).
TERMS: dict[str, tuple[str, ...]] = {
    "Kochschule": (
        "kochkurs",
        "kochen lernen",
        "pasta kurs",
        "pasta selber machen",
        "kochschule",
        "italienisch kochen",
        "vegetarisch kochen",
        "ravioli",
        "gnocchi",
        "tapas",
        "brot backen",
        "sauerteig",
        "steak",
        "curry",
        "dumplings",
        "teamevent kochen",
        "streetfood",
        "fisch zubereiten",
        "menü kochen",
        "indisch kochen",
    ),
    "Weinschule": (
        "weinprobe",
        "weinseminar",
        "weinverkostung",
        "riesling",
        "sommelier",
        "wein und käse",
        "rotwein",
        "sekt",
        "champagner",
        "blindverkostung",
        "weinwanderung",
    ),
    "Cocktailschule": (
        "cocktailkurs",
        "gin tasting",
        "whisky tasting",
        "mocktails",
        "barkeeper",
        "junggesellenabschied",
        "rum",
        "spritz",
        "cocktails mixen",
    ),
    "Barista-Akademie": (
        "barista kurs",
        "latte art",
        "kaffee rösten",
        "espresso",
        "siebträger",
        "cold brew",
        "kaffee verkostung",
    ),
    "Töpferwerkstatt": (
        "töpferkurs",
        "töpfern",
        "drehscheibe",
        "keramik",
        "töpfern paare",
        "glasieren",
        "raku",
    ),
    "Schokoladenmanufaktur": (
        "pralinen selber machen",
        "pralinen",
        "schokolade",
        "trüffel",
        "schokoladenkurs",
        "churros",
        "schokoladen tasting",
    ),
    "Brauseminar": (
        "bier brauen",
        "bierseminar",
        "craft beer",
        "bierprobe",
        "hobbybrauen",
        "biersommelier",
    ),
    "Sushi-Atelier": (
        "sushi kurs",
        "sushi selber machen",
        "ramen",
        "gyoza",
        "sake",
        "sushi für paare",
        "vegane sushi",
    ),
}
GENERIC = (
    "geschenk",
    "gutschein",
    "teamevent",
    "firmenevent",
    "kurs für paare",
    "geschenkidee",
    "junggesellinnenabschied",
    "erlebnis geschenk",
)


def _rows(rng: random.Random, now: datetime) -> list[dict]:
    cities = [name.lower() for name, _prefix, _weight in CITIES[:CITY_COUNT]]
    seen: set[str] = set()
    rows: list[dict] = []

    def add(text: str, popularity: int) -> None:
        if text in seen:
            return
        seen.add(text)
        found = 0 if rng.random() < 0.04 else rng.randint(1, 60)
        rows.append(
            {
                "query_text": text,
                "num_results": found,
                "popularity": max(1, popularity),
                "store_id": STORE_ID,
                "updated_at": now - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 900)),
            }
        )

    for terms in (*TERMS.values(), GENERIC):
        for rank, term in enumerate(terms):
            base = int(2400 / (rank + 2) * rng.uniform(0.7, 1.3))
            add(term, base)
            for size, city in enumerate(cities):
                if rng.random() < 0.6:
                    add(f"{term} {city}", int(base / (size + 3) * rng.uniform(0.5, 1.5)))
    return rows


def add_demo_search_queries(db: Databases, *, now: datetime, seed: int) -> int:
    """Write the demo's search log; returns the number of rows."""
    rows = _rows(random.Random(f"search-{seed}"), now)
    with db.magento.begin() as conn:
        conn.execute(insert(m.search_query), rows)
    return len(rows)
