"""Deterministic German demo data for the shop (Magento) and the portal database.

`generate()` fills empty schemas: partners with users and courses (portal), products with EAV
values, course dates, orders with items, payments, addresses, status history and reviews
(shop). The same seed, `today` and order count give the same rows on every backend: all
randomness comes from one `random.Random(seed)`, all times are derived from `today`.

`ensure_demo()` is demo mode's start-up: it builds two SQLite files once (under a file lock,
into temp files that are renamed into place) and reopens them afterwards.

    python -m data.demo [--magento-url URL --portal-url URL] [--orders N] [--seed N]
                        [--today YYYY-MM-DD] [--create-schema]

Without URLs the command rebuilds the demo SQLite files; with URLs it fills those databases
(creating the schemas first with --create-schema). Big runs stream: orders are made and loaded
in chunks, so memory stays bounded at a million orders.

Personal data is fictitious and harmless by construction: e-mail domains are the reserved
`example.*` ones and phone numbers come from the Bundesnetzagentur's drama-number ranges, so a
demo database wired to a real mail or SMS provider reaches nobody.
"""

from __future__ import annotations

import argparse
import bisect
import fcntl
import json
import math
import os
import queue
import random
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import bcrypt
from sqlalchemy import Engine, Index, Table, create_engine, event, func, insert, select
from sqlalchemy.pool import NullPool

from core.db import Databases, make_engine, open_databases
from core.migrate import upgrade_portal
from core.settings import Settings, load_settings
from data import magento_schema as m
from data import portal_schema as p

__all__ = [
    "DEMO_LOGINS",
    "DemoSummary",
    "NotEmptyError",
    "berlin_today",
    "ensure_demo",
    "generate",
    "main",
    "rebuild_demo",
]

# username, password, role: shown on the login screen in demo mode.
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("kochschule", "demo", "partner"),
    ("weinschule", "demo", "partner"),
    ("miomente", "demo", "staff"),
)
DEMO_PASSWORD = "demo"
DEFAULT_ORDERS = 10_000
DEFAULT_SEED = 42
# Bump when the generated content changes shape: existing demo files are then rebuilt.
DEMO_FORMAT = 1
MARKER_NAME = "demo.json"
MAGENTO_FILE, PORTAL_FILE = "magento.sqlite", "portal.sqlite"

BERLIN = ZoneInfo("Europe/Berlin")
DAY = 86_400
HOUR = 3_600
ORDER_CHUNK = 20_000


@dataclass(frozen=True)
class DemoSummary:
    partners: int
    courses: int
    dates: int
    orders: int
    items: int
    reviews: int
    seconds: float
    # (table, rows, seconds spent loading it) for benchmarks; loading overlaps generation.
    tables: tuple[tuple[str, int, float], ...] = ()

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.partners:,} partners, {self.courses:,} courses, {self.dates:,} dates, "
            f"{self.orders:,} orders, {self.items:,} items, {self.reviews:,} reviews "
            f"in {self.seconds:.1f} s ({self.orders_per_second:,.0f} orders/s)"
        )


# =============================================================================================
# Content
# =============================================================================================


@dataclass(frozen=True)
class _CourseSpec:
    code: str
    name: str
    minutes: int
    price: int  # euros, gross
    teaser: str


@dataclass(frozen=True)
class _Kind:
    name: str
    about: str
    included: str
    weekday_slots: tuple[int, ...]  # local start times in minutes after midnight
    weekend_slots: tuple[int, ...]
    day_weights: tuple[float, ...]  # Monday .. Sunday
    seats: tuple[int, int]
    brand_words: tuple[str, ...]  # for generated partners: "<word> <Nachname>"
    courses: tuple[_CourseSpec, ...]


def _h(hour: int, minute: int = 0) -> int:
    return hour * 60 + minute


# fmt: off
KINDS: dict[str, _Kind] = {
    "Kochschule": _Kind(
        name="Kochschule",
        about=(
            "In unserer offenen Küche kochen Sie in kleinen Gruppen unter Anleitung erfahrener "
            "Köchinnen und Köche. Zum Abschluss genießen wir die Gerichte gemeinsam am großen "
            "Tisch."
        ),
        included="alle Zutaten, begleitende Getränke, Rezepte zum Mitnehmen und eine Schürze",
        weekday_slots=(_h(18), _h(18, 30), _h(19)),
        weekend_slots=(_h(11), _h(12), _h(17), _h(18)),
        day_weights=(0.4, 0.7, 0.9, 1.1, 1.6, 1.8, 0.8),
        seats=(10, 16),
        brand_words=("Kochschule", "Kochschule", "Kochstudio", "Kochatelier", "Genussküche"),
        courses=(
            _CourseSpec("PASTA", "Italienische Pasta-Werkstatt", 210, 89,
                        "Frische Pasta von Hand: Tagliatelle, Ravioli und Gnocchi mit drei "
                        "klassischen Saucen."),
            _CourseSpec("ASIA", "Asiatische Streetfood-Küche", 210, 89,
                        "Dumplings, Bao Buns und Currys – die besten Rezepte aus den Garküchen "
                        "von Bangkok, Hanoi und Taipeh."),
            _CourseSpec("STEAK", "Steak & Beilagen Masterclass", 240, 119,
                        "Vom Dry-Aged-Rumpsteak bis zur Sauce béarnaise: Garstufen, Ruhezeiten "
                        "und die passenden Beilagen."),
            _CourseSpec("VEGGI", "Vegetarisch genießen", 210, 79,
                        "Bunte Gemüseküche mit Hülsenfrüchten, Kräutern und Gewürzen – satt und "
                        "glücklich ganz ohne Fleisch."),
            _CourseSpec("FISCH", "Fisch & Meeresfrüchte", 240, 109,
                        "Filetieren, braten, pochieren: Fisch sicher zubereiten, von der Scholle "
                        "bis zur Jakobsmuschel."),
            _CourseSpec("TAPAS", "Spanischer Tapas-Abend", 210, 85,
                        "Patatas bravas, Gambas al ajillo und Tortilla – spanische Tapas in "
                        "geselliger Runde."),
            _CourseSpec("BROT", "Brot backen wie früher", 240, 75,
                        "Sauerteig ansetzen, kneten, formen: Sie backen Bauernbrot, Baguette "
                        "und Focaccia."),
            _CourseSpec("MENUE", "Festliches Vier-Gänge-Menü", 240, 129,
                        "Ein Festmenü für besondere Anlässe, das sich entspannt vorbereiten "
                        "lässt."),
            _CourseSpec("TEAM", "Teamkochen: Gemeinsam am Herd", 240, 99,
                        "Das Event für Kolleginnen und Kollegen: gemeinsam ein Drei-Gänge-Menü "
                        "kochen und genießen."),
            _CourseSpec("INDIA", "Indische Currys & Chutneys", 210, 85,
                        "Garam Masala selbst rösten, Dal, Butter Chicken und frische Chutneys "
                        "zubereiten."),
        ),
    ),
    "Weinschule": _Kind(
        name="Weinschule",
        about=(
            "Unsere Sommelières und Sommeliers führen Sie mit viel Wissen und ohne "
            "Fachchinesisch durch die Verkostung. Sie schmecken Unterschiede, die Sie vorher "
            "nicht bemerkt hätten."
        ),
        included="alle Weine der Verkostung, Wasser, Brot und Käsehäppchen, Verkostungsnotizen",
        weekday_slots=(_h(18, 30), _h(19)),
        weekend_slots=(_h(14), _h(17), _h(19)),
        day_weights=(0.3, 0.5, 0.8, 1.2, 1.7, 1.9, 0.7),
        seats=(12, 20),
        brand_words=("Weinschule", "Weingut", "Weinkontor", "Vinothek"),
        courses=(
            _CourseSpec("RIES", "Weinprobe: Riesling entdecken", 150, 59,
                        "Sechs Rieslinge vom Gutswein bis zur Großen Lage – trocken, feinherb "
                        "und edelsüß."),
            _CourseSpec("ROT", "Rotwein-Seminar: Spätburgunder & Co.", 150, 65,
                        "Spätburgunder, Lemberger und Dornfelder: deutsche Rotweine im "
                        "direkten Vergleich."),
            _CourseSpec("SEKT", "Sekt & Champagner verkosten", 150, 69,
                        "Flaschengärung, Dosage, Jahrgang: was einen großen Schaumwein "
                        "ausmacht."),
            _CourseSpec("KAESE", "Wein & Käse – die perfekte Begleitung", 180, 75,
                        "Acht Käse, acht Weine und die Regeln, nach denen sie sich "
                        "verstehen."),
            _CourseSpec("BASIS", "Weinseminar für Einsteiger", 180, 55,
                        "Sehen, riechen, schmecken: die Grundlagen der Weinverkostung in "
                        "entspannter Runde."),
            _CourseSpec("BLIND", "Blindverkostung: Wein erkennen", 150, 69,
                        "Rebsorte, Herkunft, Jahrgang – trainieren Sie Ihren Gaumen an "
                        "verdeckten Flaschen."),
            _CourseSpec("WANDER", "Weinbergwanderung mit Verkostung", 180, 49,
                        "Durch die Steillagen zum Aussichtspunkt, mit drei Weinen direkt am "
                        "Rebstock."),
            _CourseSpec("SOMM", "Sommelier-Grundkurs am Wochenende", 360, 189,
                        "Ein Tag Weinwissen kompakt: Anbau, Ausbau, Service und "
                        "Speisebegleitung."),
            _CourseSpec("ITAL", "Italienische Weine: von Piemont bis Sizilien", 150, 69,
                        "Barolo, Chianti, Nero d'Avola: eine Reise durch Italiens "
                        "Weinregionen."),
            _CourseSpec("WINZER", "Winzerabend mit Flammkuchen", 180, 59,
                        "Der Winzer erzählt, der Ofen glüht: neue Weine und frischer "
                        "Flammkuchen."),
        ),
    ),
    "Cocktailschule": _Kind(
        name="Cocktailschule",
        about=(
            "An unserer Bar mixen Sie selbst: Jede Person hat eine eigene Station mit "
            "Shaker, Jigger und Barlöffel. Unsere Bartender zeigen die Handgriffe Schritt für "
            "Schritt."
        ),
        included="alle Spirituosen und Zutaten, Fingerfood, Rezeptheft",
        weekday_slots=(_h(19), _h(20)),
        weekend_slots=(_h(17), _h(19), _h(20)),
        day_weights=(0.2, 0.4, 0.7, 1.2, 1.9, 2.0, 0.5),
        seats=(10, 18),
        brand_words=("Cocktailschule", "Barschule", "Cocktailbar"),
        courses=(
            _CourseSpec("KLASS", "Cocktailkurs: Die Klassiker", 180, 69,
                        "Mojito, Caipirinha, Old Fashioned und Whiskey Sour – die Drinks, die "
                        "jede Bar kennt."),
            _CourseSpec("GIN", "Gin-Tasting mit Tonic-Pairing", 150, 59,
                        "Sechs Gins, vier Tonics und die Botanicals, die den Unterschied "
                        "machen."),
            _CourseSpec("TIKI", "Tiki-Cocktails & Rum", 180, 72,
                        "Mai Tai, Zombie und Painkiller: karibische Drinks mit Rum aus drei "
                        "Kontinenten."),
            _CourseSpec("ALKF", "Alkoholfreie Drinks & Mocktails", 150, 55,
                        "Shrubs, Sirups und Fermente: Drinks mit viel Geschmack und null "
                        "Promille."),
            _CourseSpec("WHISKY", "Whisky-Tasting: Schottland", 150, 79,
                        "Von Speyside bis Islay: sechs Single Malts und ihre Geschichten."),
            _CourseSpec("BAR", "Barkeeper-Workshop für Fortgeschrittene", 240, 119,
                        "Eigene Sirupe, Clarified Milk Punch und Twists auf Klassiker."),
            _CourseSpec("JGA", "Cocktailkurs für Junggesellenabschiede", 180, 65,
                        "Der Abend vor dem großen Tag: gemeinsam mixen, anstoßen und feiern."),
            _CourseSpec("SPRITZ", "Aperitivo & Spritz", 150, 55,
                        "Italienische Aperitivo-Kultur mit Spritz, Negroni und kleinen "
                        "Häppchen."),
            _CourseSpec("TEAM", "Cocktail-Teamevent", 180, 75,
                        "Teams treten an der Bar gegeneinander an – mit Jury und Siegerdrink."),
            _CourseSpec("LIKOER", "Liköre selbst ansetzen", 150, 59,
                        "Kräuter, Früchte, Gewürze: Sie setzen drei Liköre an und nehmen sie "
                        "mit nach Hause."),
        ),
    ),
    "Barista-Akademie": _Kind(
        name="Barista-Akademie",
        about=(
            "An professionellen Siebträgermaschinen lernen Sie, was einen guten Espresso "
            "ausmacht: Mahlgrad, Dosierung, Extraktion und Milchschaum."
        ),
        included="Kaffee und Milch nach Belieben, Gebäck, Teilnahmezertifikat",
        weekday_slots=(_h(10), _h(17)),
        weekend_slots=(_h(10), _h(14)),
        day_weights=(0.6, 0.8, 0.9, 1.0, 1.2, 1.8, 0.9),
        seats=(8, 12),
        brand_words=("Barista-Akademie", "Kaffeerösterei", "Kaffeeschule"),
        courses=(
            _CourseSpec("GRUND", "Barista-Grundkurs", 180, 89,
                        "Vom Espresso bis zum Cappuccino: die Grundlagen an der "
                        "Siebträgermaschine."),
            _CourseSpec("LATTE", "Latte Art für Einsteiger", 180, 95,
                        "Herz, Tulpe, Rosetta: Milch richtig schäumen und die ersten Motive "
                        "gießen."),
            _CourseSpec("ROEST", "Kaffeerösten erleben", 180, 79,
                        "Vom grünen Rohkaffee zur duftenden Bohne: Röstprofile selbst "
                        "ausprobieren."),
            _CourseSpec("FILTER", "Filterkaffee & Brew-Methoden", 150, 59,
                        "V60, Chemex, AeroPress und French Press im direkten Vergleich."),
            _CourseSpec("SIEB", "Espresso zu Hause: Siebträger-Workshop", 180, 85,
                        "Die eigene Maschine verstehen, einstellen und pflegen."),
            _CourseSpec("CUP", "Kaffee-Cupping: Bohnen verkosten", 120, 49,
                        "Wie Profis Kaffee bewerten: Aromen, Säure und Körper erkennen."),
            _CourseSpec("KALT", "Cold Brew & Kaffeecocktails", 150, 59,
                        "Kalt extrahierter Kaffee, Espresso Tonic und Espresso Martini."),
            _CourseSpec("PROFI", "Barista-Profikurs", 360, 249,
                        "Ein intensiver Tag für Gastronomie und ambitionierte Hobby-Baristas."),
            _CourseSpec("LATTE2", "Latte Art Aufbaukurs", 180, 99,
                        "Schwan, Wing-Tulpe und Etching: komplexe Motive sicher gießen."),
            _CourseSpec("SCHOKO", "Kaffee trifft Schokolade", 120, 55,
                        "Sechs Kaffees, sechs Schokoladen und überraschende Kombinationen."),
        ),
    ),
    "Töpferwerkstatt": _Kind(
        name="Töpferwerkstatt",
        about=(
            "In unserer Werkstatt arbeiten Sie mit Ton an der Drehscheibe und von Hand. Ihre "
            "Stücke werden nach dem Kurs glasiert, gebrannt und liegen nach etwa drei Wochen "
            "zur Abholung bereit."
        ),
        included="Ton, Glasur, Brennkosten, Werkzeug und Schürze, Tee und Kaffee",
        weekday_slots=(_h(17, 30), _h(18, 30)),
        weekend_slots=(_h(10), _h(14)),
        day_weights=(0.5, 0.8, 0.9, 1.0, 1.1, 1.9, 1.4),
        seats=(8, 10),
        brand_words=("Töpferei", "Keramikwerkstatt", "Töpferwerkstatt"),
        courses=(
            _CourseSpec("DREH", "Töpfern an der Drehscheibe", 180, 69,
                        "Zentrieren, aufbrechen, hochziehen: Ihre ersten Gefäße an der "
                        "Scheibe."),
            _CourseSpec("BECHER", "Kaffeebecher töpfern", 180, 59,
                        "Zwei eigene Becher mit Henkel – für den Kaffee am Morgen."),
            _CourseSpec("GLASUR", "Glasieren & Brennen", 150, 45,
                        "Engobe, Glasur, Pinseltechnik: Sie gestalten bereits gebrannte "
                        "Stücke."),
            _CourseSpec("PAAR", "Töpferkurs für Paare", 180, 65,
                        "Zu zweit an der Scheibe – ein Abend mit Ton, Musik und einem Glas "
                        "Wein."),
            _CourseSpec("FAMILIE", "Familien-Töpfern (Eltern & Kind)", 150, 49,
                        "Tiere, Schalen und Fantasiefiguren aus Ton, für Kinder ab sechs "
                        "Jahren."),
            _CourseSpec("SCHALE", "Schalen & Teller aufbauen", 180, 59,
                        "Plattentechnik und Wulsttechnik: Geschirr ganz ohne Drehscheibe."),
            _CourseSpec("INTENSIV", "Töpfern am Wochenende (Intensivkurs)", 360, 149,
                        "Ein ganzer Tag an der Scheibe für alle, die richtig einsteigen "
                        "wollen."),
            _CourseSpec("RAKU", "Raku-Brand im Garten", 240, 89,
                        "Glühende Keramik, Rauch und Sägespäne: die japanische Brenntechnik "
                        "live."),
            _CourseSpec("VASE", "Vasen & Windlichter", 180, 59,
                        "Hohe Formen drehen und mit Ritzmustern verzieren."),
            _CourseSpec("SUSHI", "Sushi-Geschirr töpfern", 180, 65,
                        "Teller, Schälchen und Stäbchenbänkchen im japanischen Stil."),
        ),
    ),
    "Schokoladenmanufaktur": _Kind(
        name="Schokoladenmanufaktur",
        about=(
            "In unserer gläsernen Manufaktur temperieren Sie Schokolade wie die Profis und "
            "füllen, tunken und verzieren nach Herzenslust. Alles, was Sie herstellen, nehmen "
            "Sie in einer Geschenkbox mit."
        ),
        included="alle Zutaten, Geschenkverpackung, heiße Schokolade zum Start",
        weekday_slots=(_h(17), _h(18)),
        weekend_slots=(_h(11), _h(14), _h(16)),
        day_weights=(0.4, 0.6, 0.8, 0.9, 1.2, 2.0, 1.5),
        seats=(8, 14),
        brand_words=("Confiserie", "Schokoladenmanufaktur", "Chocolaterie"),
        courses=(
            _CourseSpec("PRAL", "Pralinen selbst machen", 180, 79,
                        "Ganache, Hohlkörper, Tunkpralinen: eine Box mit 30 eigenen "
                        "Pralinen."),
            _CourseSpec("TAFEL", "Schokoladentafeln gestalten", 150, 59,
                        "Eigene Tafeln mit Nüssen, Früchten und Gewürzen, hübsch verpackt."),
            _CourseSpec("TRUFF", "Trüffel-Workshop", 180, 75,
                        "Champagner-, Whisky- und Himbeertrüffel von Hand gerollt."),
            _CourseSpec("BEAN", "Bean-to-Bar: Von der Bohne zur Tafel", 210, 95,
                        "Rösten, schälen, conchieren: wie aus Kakaobohnen Schokolade wird."),
            _CourseSpec("TAST", "Schokoladen-Tasting mit Wein", 150, 65,
                        "Acht Schokoladen aus aller Welt und die Weine, die zu ihnen passen."),
            _CourseSpec("KIND", "Schoko-Werkstatt für Kinder", 120, 39,
                        "Lollis, Figuren und Schokoküsse für Naschkatzen ab fünf Jahren."),
            _CourseSpec("OSTER", "Osterhasen & Hohlfiguren gießen", 150, 55,
                        "Große und kleine Hohlfiguren gießen und bunt verzieren."),
            _CourseSpec("WEIH", "Weihnachtliche Pralinen", 180, 79,
                        "Zimt, Spekulatius, Glühwein: Pralinen für die schönste Zeit des "
                        "Jahres."),
            _CourseSpec("TORTE", "Schokoladentorten backen", 210, 85,
                        "Sachertorte und Schwarzwälder Kirsch – Klassiker Schicht für "
                        "Schicht."),
            _CourseSpec("CHURRO", "Trinkschokolade & Churros", 120, 45,
                        "Dicke spanische Trinkschokolade und frisch frittierte Churros."),
        ),
    ),
    "Brauseminar": _Kind(
        name="Brauseminar",
        about=(
            "Im Sudhaus brauen Sie mit unserer Braumeisterin einen eigenen Sud, vom Schroten "
            "bis zum Anstellen der Hefe. Zwischendurch verkosten wir Biere aus der Region."
        ),
        included="Rohstoffe, Brotzeit, Verkostungsbiere, eine Flasche des eigenen Suds",
        weekday_slots=(_h(17), _h(18)),
        weekend_slots=(_h(10), _h(11), _h(15)),
        day_weights=(0.2, 0.3, 0.6, 0.9, 1.6, 2.2, 0.9),
        seats=(10, 16),
        brand_words=("Brauerei", "Brauseminar", "Hausbrauerei"),
        courses=(
            _CourseSpec("GRUND", "Bierbrauen für Einsteiger", 360, 129,
                        "Maischen, läutern, kochen, hopfen: Ihr erster eigener Sud."),
            _CourseSpec("TAST", "Craft-Beer-Tasting", 150, 45,
                        "Zehn Biere, zehn Stile: von Pils bis Imperial Stout."),
            _CourseSpec("RAUCH", "Rauchbier-Seminar mit Brauereiführung", 180, 59,
                        "Warum Bamberger Bier nach Räucherschinken schmeckt – und wie es "
                        "entsteht."),
            _CourseSpec("HEIM", "Hobbybrauen zu Hause", 300, 119,
                        "Ausrüstung, Hygiene und Rezepte für den Braukessel in der eigenen "
                        "Küche."),
            _CourseSpec("IPA", "IPA & Pale Ale selbst brauen", 360, 139,
                        "Hopfenbetonte Biere mit Kalthopfung, Schritt für Schritt."),
            _CourseSpec("KAESE", "Bier & Käse Pairing", 150, 55,
                        "Acht Biere und acht Käse: überraschend gute Kombinationen."),
            _CourseSpec("KELLER", "Fränkische Bierkultur: Kellerbier & Co.", 180, 49,
                        "Ungespundet, naturtrüb, süffig: Biere aus Frankens Bierkellern."),
            _CourseSpec("SOMM", "Biersommelier-Schnupperkurs", 240, 99,
                        "Sensorik, Fehlaromen und Bierstile wie bei der Ausbildung."),
            _CourseSpec("BOCK", "Bockbier-Abend", 180, 49,
                        "Starke Biere für die dunkle Jahreszeit, mit fränkischer Brotzeit."),
            _CourseSpec("MALZ", "Malz, Hopfen, Hefe: Rohstoffkunde", 150, 45,
                        "Was in einem Bier steckt – Rohstoffe zum Riechen, Kauen und "
                        "Schmecken."),
        ),
    ),
    "Sushi-Atelier": _Kind(
        name="Sushi-Atelier",
        about=(
            "Unser Sushi-Meister zeigt Ihnen, wie der Reis gelingt, wie man Fisch schneidet "
            "und Rollen formt. Was Sie zubereiten, essen wir zusammen mit Miso-Suppe und "
            "grünem Tee."
        ),
        included="alle Zutaten, Miso-Suppe, grüner Tee, Sake zur Verkostung, Rezeptheft",
        weekday_slots=(_h(18, 30), _h(19)),
        weekend_slots=(_h(12), _h(17)),
        day_weights=(0.4, 0.6, 0.9, 1.1, 1.5, 1.8, 0.9),
        seats=(8, 14),
        brand_words=("Sushi-Atelier", "Sushi-Schule", "Sushi-Werkstatt"),
        courses=(
            _CourseSpec("EINS", "Sushi für Einsteiger", 180, 79,
                        "Reis kochen, würzen und rollen: Maki, Nigiri und California Rolls."),
            _CourseSpec("MAKI", "Maki & Inside-Out-Rolls", 180, 79,
                        "Von der Gurkenrolle bis zur Dragon Roll – Rollen wie im "
                        "Restaurant."),
            _CourseSpec("NIGI", "Nigiri & Sashimi Masterclass", 210, 109,
                        "Messerkunde, Fischqualität und die perfekte Reisportion."),
            _CourseSpec("VEG", "Vegane Sushi-Werkstatt", 180, 75,
                        "Sushi mit Tofu, Avocado, Shiitake und eingelegtem Gemüse."),
            _CourseSpec("RAMEN", "Ramen von Grund auf", 210, 89,
                        "Brühe, Tare, Nudeln und Toppings: eine Schale Ramen wie in Tokio."),
            _CourseSpec("GYOZA", "Gyoza & Dim Sum", 180, 75,
                        "Teig, Füllung, Falttechnik: gedämpft, gebraten und frittiert."),
            _CourseSpec("BENTO", "Bento-Box-Workshop", 180, 69,
                        "Tamagoyaki, Onigiri und Teriyaki – hübsch angerichtet in der Box."),
            _CourseSpec("IZAKAYA", "Izakaya-Abend: Japanische Tapas", 210, 85,
                        "Yakitori, Karaage und Edamame – Kneipenküche aus Japan."),
            _CourseSpec("SAKE", "Sake-Tasting mit Sushi", 150, 75,
                        "Sechs Sake-Sorten, dazu passendes Sushi vom Meister."),
            _CourseSpec("PAAR", "Sushi-Kurs für Paare", 180, 79,
                        "Zu zweit rollen, zu zweit genießen – mit einem Glas Pflaumenwein."),
        ),
    ),
}
# fmt: on
_KIND_ORDER = tuple(KINDS)


@dataclass(frozen=True)
class _NamedPartner:
    slug: str
    name: str
    kind: str
    legal_name: str
    street: str
    postcode: str
    city: str
    email: str
    phone: str
    tax_number: str
    vat_id: str | None
    commission: str
    small_business: bool
    prefix: str  # SKU prefix
    contact: str  # the partner user's display name


# fmt: off
NAMED_PARTNERS: tuple[_NamedPartner, ...] = (
    _NamedPartner("kochschule", "Kochschule Löffelglück", "Kochschule",
                  "Löffelglück Kochschule GmbH", "Schanzenstraße 41", "20357", "Hamburg",
                  "kontakt@loeffelglueck.example", "+49 40 66969 101", "41/723/00815",
                  "DE287314955", "25.00", False, "KLG", "Lena Hoffmann"),
    _NamedPartner("weinschule", "Weinschule Rheingau", "Weinschule",
                  "Weinschule Rheingau Hofmann & Söhne OHG", "Rheinallee 12", "65343",
                  "Eltville am Rhein", "info@weinschule-rheingau.example", "+49 69 90009 212",
                  "037 842 19034", "DE311402786", "22.00", False, "WRG", "Jakob Hofmann"),
    _NamedPartner("cocktailschule", "Cocktailschule Shake & Stir", "Cocktailschule",
                  "Shake & Stir Bar Events UG (haftungsbeschränkt)", "Oranienstraße 183",
                  "10999", "Berlin", "hallo@shake-and-stir.example", "+49 30 23125 318",
                  "29/142/61018", "DE329871544", "28.00", False, "CSB", "Mehmet Yılmaz"),
    _NamedPartner("barista-akademie", "Barista-Akademie Bohnenliebe", "Barista-Akademie",
                  "Bohnenliebe Kaffeerösterei GmbH", "Westenriederstraße 15", "80331",
                  "München", "akademie@bohnenliebe.example", "+49 89 99998 420",
                  "143/218/40512", "DE298765430", "24.00", False, "BAB", "Sophie Brandl"),
    # Kleinunternehmerin nach § 19 UStG: no VAT id, no VAT on her invoices.
    _NamedPartner("toepferwerkstatt", "Töpferwerkstatt Drehscheibe", "Töpferwerkstatt",
                  "Marta Nowak", "Karl-Heine-Straße 52", "04229", "Leipzig",
                  "marta@drehscheibe-leipzig.example", "+49 30 23125 527", "232/270/09417",
                  None, "20.00", True, "TWD", "Marta Nowak"),
    _NamedPartner("schokoladenmanufaktur", "Schokoladenmanufaktur Kakaoschote",
                  "Schokoladenmanufaktur", "Kakaoschote Manufaktur GmbH & Co. KG",
                  "Ehrenstraße 27", "50672", "Köln", "service@kakaoschote.example",
                  "+49 221 4710 636", "215/5741/2093", "DE301558219", "26.00", False, "SMK",
                  "Claudia Schmitz"),
    _NamedPartner("brauseminar", "Brauseminar Bamberger Sudhaus", "Brauseminar",
                  "Bamberger Sudhaus Brauerei Wagner e.K.", "Obere Sandstraße 8", "96049",
                  "Bamberg", "sudhaus@bamberger-sudhaus.example", "+49 89 99998 745",
                  "207/114/51008", "DE276630198", "23.50", False, "BBS", "Florian Wagner"),
    _NamedPartner("sushi-atelier", "Sushi-Atelier Immermann", "Sushi-Atelier",
                  "Sushi-Atelier Immermann GbR", "Immermannstraße 31", "40210", "Düsseldorf",
                  "kurse@sushi-immermann.example", "+49 69 90009 853", "133/5093/6672",
                  "DE318804127", "27.00", False, "SAD", "Kenji Tanaka"),
)
STAFF_USER = ("miomente", "Miomente Partnerservice", "partnerservice@miomente.example")

# city, postcode prefix (two digits), weight (rough population share, for customers)
CITIES: tuple[tuple[str, str, float], ...] = (
    ("Berlin", "10", 10), ("Hamburg", "20", 6), ("München", "80", 5.5), ("Köln", "50", 4),
    ("Frankfurt am Main", "60", 3.5), ("Stuttgart", "70", 3), ("Düsseldorf", "40", 3),
    ("Leipzig", "04", 2.5), ("Dortmund", "44", 2.5), ("Essen", "45", 2.3),
    ("Bremen", "28", 2.2), ("Dresden", "01", 2.2), ("Hannover", "30", 2.2),
    ("Nürnberg", "90", 2.1), ("Duisburg", "47", 1.8), ("Bochum", "44", 1.5),
    ("Wuppertal", "42", 1.4), ("Bielefeld", "33", 1.3), ("Bonn", "53", 1.3),
    ("Münster", "48", 1.3), ("Mannheim", "68", 1.2), ("Karlsruhe", "76", 1.2),
    ("Augsburg", "86", 1.2), ("Wiesbaden", "65", 1.1), ("Freiburg im Breisgau", "79", 1),
    ("Heidelberg", "69", 0.7), ("Regensburg", "93", 0.6), ("Würzburg", "97", 0.6),
    ("Potsdam", "14", 0.7), ("Mainz", "55", 0.9), ("Lübeck", "23", 0.8), ("Kiel", "24", 0.9),
    ("Rostock", "18", 0.8), ("Erfurt", "99", 0.8), ("Aachen", "52", 1), ("Bamberg", "96", 0.3),
    ("Eltville am Rhein", "65", 0.1), ("Lüneburg", "21", 0.3), ("Konstanz", "78", 0.3),
    ("Ulm", "89", 0.5),
)
STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Dorfstraße", "Bergstraße",
    "Lindenstraße", "Kirchstraße", "Goethestraße", "Schillerstraße", "Waldstraße", "Ringstraße",
    "Mühlenweg", "Am Markt", "Friedrichstraße", "Rosenweg", "Birkenweg", "Mozartstraße",
    "Parkstraße", "Wiesenweg", "Eichendorffstraße", "Kastanienallee", "Uhlandstraße",
    "Feldstraße", "Poststraße", "Jahnstraße", "Talstraße", "Brunnenstraße", "Beethovenstraße",
    "Lessingstraße", "Am Sonnenhang", "Heinrich-Heine-Straße", "Kantstraße", "Rathausplatz",
    "Hafenstraße", "Marktplatz", "Ahornweg", "Fliederweg", "Kurze Straße", "Lange Reihe",
)
FIRST_NAMES = (
    "Anna", "Lena", "Laura", "Julia", "Sarah", "Lisa", "Katharina", "Johanna", "Marie", "Sophie",
    "Hannah", "Lea", "Clara", "Charlotte", "Emma", "Mia", "Paula", "Franziska", "Sabine",
    "Claudia", "Petra", "Stefanie", "Nicole", "Andrea", "Miriam", "Aylin", "Elif", "Zeynep",
    "Alexander", "Maximilian", "Felix", "Lukas", "Jonas", "Leon", "Paul", "Tobias", "Florian",
    "Sebastian", "Daniel", "Michael", "Thomas", "Andreas", "Stefan", "Christian", "Markus",
    "Jan", "Niklas", "Moritz", "David", "Simon", "Matthias", "Oliver", "Frank", "Jürgen",
    "Can", "Emre", "Luca", "Mehmet", "Tim", "Philipp",
)
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
    "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt",
    "Werner", "Schmitz", "Krause", "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler",
    "Herrmann", "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
    "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Schubert", "Vogel", "Friedrich", "Keller",
    "Günther", "Frank", "Berger", "Winkler", "Roth", "Beck", "Lorenz", "Baumann", "Franke",
    "Albrecht", "Schuster", "Simon", "Ludwig", "Böhm", "Winter", "Kraus", "Martin",
    "Schumacher", "Krämer", "Vogt", "Stein", "Jäger", "Otto", "Sommer", "Groß", "Seidel",
    "Heinrich", "Brandt", "Haas", "Schreiber", "Graf", "Dietrich", "Ziegler", "Kuhn", "Pohl",
    "Engel", "Horn", "Busch", "Bergmann", "Voigt", "Sauer", "Arnold", "Pfeiffer", "Yılmaz",
    "Kaya", "Nowak", "Kowalski", "Nguyen", "Popović", "Rossi", "Demir", "Öztürk", "Schütz",
)
# RFC 2606 domains: demo mail can never reach a real mailbox.
MAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "post.example")
# The Bundesnetzagentur's drama numbers, never assigned to anyone: area code, block + 000-999.
PHONE_BLOCKS = (("30", "23125"), ("40", "66969"), ("69", "90009"), ("89", "99998"),
                ("221", "4710"))
COMPANIES = ("Stadtwerke", "Ingenieurbüro", "Agentur", "Kanzlei", "Praxis", "Architekten")

# method code, label for the status history, share
PAYMENT_METHODS = (
    ("paypal_express", "PayPal", 0.42),
    ("stripe_payments", "Kreditkarte (Stripe)", 0.40),
    ("banktransfer", "Vorkasse per Überweisung", 0.18),
)
REJECT_REASONS = (
    "Der Termin ist leider bereits ausgebucht.",
    "Die Kursleitung ist erkrankt, der Termin entfällt.",
    "Die Mindestteilnehmerzahl wurde nicht erreicht.",
    "Der Kurs ist für Kinder nicht geeignet.",
)
CANCEL_REASONS = (
    "Auf Wunsch der Kundin / des Kunden storniert.",
    "Zahlung nicht eingegangen, Bestellung storniert.",
    "Doppelte Bestellung, storniert.",
)
# stars -> (titles, texts)
REVIEW_TEXTS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    5: (
        ("Rundum gelungen!", "Absolut empfehlenswert", "Ein toller Abend",
         "Super Kurs, gerne wieder", "Begeistert!", "Perfektes Geschenk"),
        ("Sehr sympathische Kursleitung, alles verständlich erklärt und am Ende richtig lecker.",
         "Wir hatten einen wunderbaren Abend – perfekt organisiert und viel gelernt.",
         "Das Geschenk war ein voller Erfolg, wir kommen bestimmt wieder.",
         "Kleine Gruppe, entspannte Atmosphäre und viele Tipps für zu Hause.",
         "Man merkt, mit wie viel Leidenschaft hier gearbeitet wird. Klare Empfehlung!"),
    ),
    4: (
        ("Sehr schöner Kurs", "Hat Spaß gemacht", "Gut, mit kleinen Abstrichen"),
        ("Inhaltlich top, nur die Gruppe war etwas groß.",
         "Schöne Atmosphäre, der Beginn hat sich leider etwas verzögert.",
         "Viel gelernt und gut gegessen – etwas mehr Zeit zum Ausprobieren wäre schön."),
    ),
    3: (
        ("Ganz okay", "Durchwachsen"),
        ("Nett, aber für den Preis hätte ich etwas mehr erwartet.",
         "Die Kursleitung war freundlich, der Ablauf aber etwas chaotisch."),
    ),
    2: (("Leider enttäuschend",), ("Es war sehr voll und man kam kaum selbst zum Zug.",)),
    1: (("Nicht zu empfehlen",), ("Der Kurs begann 40 Minuten zu spät und wirkte unvorbereitet.",)),
}
RATING_WEIGHTS = ((5, 0.60), (4, 0.27), (3, 0.08), (2, 0.03), (1, 0.02))  # mean ~4.4
# fmt: on

_TRANSLIT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ı": "i"}
)


def _ascii(text_: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text_.translate(_TRANSLIT))
    return decomposed.encode("ascii", "ignore").decode("ascii")


@cache
def _mail_name(name: str) -> str:
    return _ascii(name).lower()


def _slug(text_: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _ascii(text_).lower()).strip("-")


# =============================================================================================
# Time: Berlin calendar days <-> naive UTC epoch seconds
# =============================================================================================

_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _epoch_day(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _to_datetime(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


class _DayText(dict[int, str]):
    """Epoch day -> "YYYY-MM-DD", filled on first use."""

    def __missing__(self, epoch_day: int) -> str:
        text_ = self[epoch_day] = (_EPOCH + timedelta(days=epoch_day)).strftime("%Y-%m-%d")
        return text_


_DAY_TEXT = _DayText()
# "HH:MM:SS" for every second of a day: timestamps are the most frequent value written.
_TIME_TEXT = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]


def _ts_text(seconds: int) -> str:
    day, rest = divmod(seconds, DAY)
    return f"{_DAY_TEXT[day]} {_TIME_TEXT[rest]}"


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _noon_offset(day: date) -> int:
    offset = datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


class _Clock:
    """Local Berlin wall time -> naive UTC seconds, for every day of the demo's range."""

    def __init__(self, first: date, last: date) -> None:
        self.first = first
        self.days = (last - first).days + 1
        # The offset at local noon holds for every time of day after the 02:00/03:00 switch;
        # course and order times never fall into that hour in a way that matters here.
        self._offsets = [_noon_offset(first + timedelta(days=i)) for i in range(self.days)]
        self._first_epoch_day = _epoch_day(first)

    def day(self, index: int) -> date:
        return self.first + timedelta(days=index)

    def utc(self, index: int, minutes: int) -> int:
        """Seconds (naive UTC) of local `minutes` after midnight on day `index`."""
        return (self._first_epoch_day + index) * DAY + minutes * 60 - self._offsets[index]

    def index(self, day: date) -> int:
        return (day - self.first).days


# =============================================================================================
# The world: partners, courses and their dates
# =============================================================================================


@dataclass(slots=True)
class _Course:
    product_id: int
    partner: _Partner
    spec: _CourseSpec
    sku: str
    name: str
    price: int  # cents, gross
    seats: int
    weight: float
    enabled: bool
    created: int
    # the course's dates, sorted by start; `free` is decremented as orders book seats
    starts: list[int] = field(default_factory=list)
    free: list[int] = field(default_factory=list)
    date_ids: list[int] = field(default_factory=list)
    prices: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Partner:
    partner_id: int
    slug: str
    name: str
    kind: _Kind
    legal_name: str
    street: str
    postcode: str
    city: str
    email: str
    phone: str
    tax_number: str
    vat_id: str | None
    commission: Decimal
    small_business: bool
    prefix: str
    contact: str
    created: int
    weight: float = 0.0
    courses: list[_Course] = field(default_factory=list)
    course_cum: list[float] = field(default_factory=list)


@dataclass
class _World:
    today: date
    clock: _Clock
    now: int  # the moment the demo data describes: today 08:00 in Berlin, as UTC seconds
    window_start: int  # first order
    partners: list[_Partner]
    courses: list[_Course]
    partner_cum: list[float]
    dates: list[tuple[Any, ...]]


def _partner_count(orders: int) -> int:
    return max(len(NAMED_PARTNERS), orders // 500)


def _zipf_weight(rank: int) -> float:
    # Zipf-Mandelbrot: the offset keeps the top flat enough that the biggest partner holds
    # about 1 % of all items at a million orders (~14,000 items), and ~7 % at 10,000.
    return 1.0 / (rank + 20)


def _named_partner(rng: random.Random, index: int, named: _NamedPartner, first: int) -> _Partner:
    return _Partner(
        partner_id=index + 1,
        slug=named.slug,
        name=named.name,
        kind=KINDS[named.kind],
        legal_name=named.legal_name,
        street=named.street,
        postcode=named.postcode,
        city=named.city,
        email=named.email,
        phone=named.phone,
        tax_number=named.tax_number,
        vat_id=named.vat_id,
        commission=Decimal(named.commission),
        small_business=named.small_business,
        prefix=named.prefix,
        contact=named.contact,
        created=first - rng.randint(400, 2200) * DAY,
    )


_GENERATED_KIND_WEIGHTS = (0.40, 0.15, 0.10, 0.08, 0.07, 0.07, 0.07, 0.06)  # as in _KIND_ORDER
_LEGAL_FORMS = ("GmbH", "UG (haftungsbeschränkt)", "GbR", "e.K.")


def _generated_partner(
    rng: random.Random, partner_id: int, slugs: set[str], first: int
) -> _Partner:
    """A plausible extra partner ("Kochschule Becker" in Bonn) for large order counts."""
    kind = KINDS[rng.choices(_KIND_ORDER, _GENERATED_KIND_WEIGHTS)[0]]
    city, prefix, _weight = rng.choices(CITIES, [c[2] for c in CITIES])[0]
    last = rng.choice(LAST_NAMES)
    name = f"{rng.choice(kind.brand_words)} {last}"
    slug = base = _slug(f"{name} {city}")
    n = 2
    while slug in slugs:
        slug, n = f"{base}-{n}", n + 1
    slugs.add(slug)
    small = rng.random() < 0.12  # Kleinunternehmer (§ 19 UStG): no VAT id
    area, block = rng.choice(PHONE_BLOCKS)
    tax_number = f"{rng.randint(10, 99)}/{rng.randint(100, 999)}/{rng.randint(1, 99999):05d}"
    return _Partner(
        partner_id=partner_id,
        slug=slug,
        name=name,
        kind=kind,
        legal_name=(
            f"{rng.choice(FIRST_NAMES)} {last}" if small else f"{name} {rng.choice(_LEGAL_FORMS)}"
        ),
        street=f"{rng.choice(STREETS)} {rng.randint(1, 140)}",
        postcode=f"{prefix}{rng.randint(0, 999):03d}",
        city=city,
        email=f"kontakt@{slug}.example",
        phone=f"+49 {area} {block} {rng.randint(0, 999):03d}",
        tax_number=tax_number,
        vat_id=None if small else f"DE{rng.randint(100_000_000, 999_999_999)}",
        commission=Decimal(rng.choice(("20.00", "22.50", "25.00", "25.00", "27.50", "30.00"))),
        small_business=small,
        prefix=f"P{partner_id:04d}",
        contact=f"{rng.choice(FIRST_NAMES)} {last}",
        created=first - rng.randint(60, 1800) * DAY,
    )


def _plan_partners(rng: random.Random, count: int, world_first: int) -> list[_Partner]:
    partners = [
        _named_partner(rng, i, named, world_first) for i, named in enumerate(NAMED_PARTNERS)
    ]
    slugs = {pt.slug for pt in partners}
    for partner_id in range(len(partners) + 1, count + 1):
        partners.append(_generated_partner(rng, partner_id, slugs, world_first))
    for rank, partner in enumerate(partners, start=1):
        partner.weight = _zipf_weight(rank)
    return partners


def _plan_courses(rng: random.Random, partners: list[_Partner]) -> list[_Course]:
    courses: list[_Course] = []
    for index, partner in enumerate(partners):
        specs = partner.kind.courses
        # Named partners show eight courses each (>= 60 in total even at the smallest size).
        chosen = specs[:8] if index < len(NAMED_PARTNERS) else rng.sample(specs, rng.randint(3, 7))
        low, high = partner.kind.seats
        for n, spec in enumerate(chosen):
            disabled = n > 0 and rng.random() < 0.08  # the first course always sells
            price = (
                spec.price * 100
                + rng.choice((0, 0, 0, 500, -500, 1000))
                - (10 if rng.random() < 0.3 else 0)
            )  # some prices end in ,90
            course = _Course(
                product_id=len(courses) + 1,
                partner=partner,
                spec=spec,
                sku=f"{partner.prefix}-{spec.code}-01",
                name=spec.name,
                price=price,
                seats=rng.randint(low, high),
                weight=rng.uniform(0.5, 2.0) * (0.3 if disabled else 1),
                enabled=not disabled,
                created=partner.created + rng.randint(1, 50) * DAY,
            )
            courses.append(course)
            partner.courses.append(course)
        partner.course_cum = _cumulative([c.weight for c in partner.courses])
    return courses


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, cum: list[float]) -> int:
    return bisect.bisect_right(cum, rng.random() * cum[-1])


# Average seats one order books (items x tickets); sizes the course calendars.
_SEATS_PER_ORDER = 1.38 * 1.75
_TARGET_FILL = 0.65
# Even a quiet course runs about every three weeks.
_MIN_DATES_PER_DAY = 1 / 21


def _schedule(rng: random.Random, world: _World, orders: int) -> None:
    """Course dates from 24 months back to 6 months ahead, sized to the expected demand."""
    clock, today_index = world.clock, world.clock.index(world.today)
    first_index = clock.index(_add_months(world.today, -24))
    last_index = clock.index(_add_months(world.today, 6))
    span = last_index - first_index + 1
    total_weight = sum(pt.weight for pt in world.partners)
    day_cum = {
        kind.name: _cumulative(
            [
                kind.day_weights[clock.day(i).weekday()] * _season(clock.day(i).month)
                for i in range(first_index, last_index + 1)
            ]
        )
        for kind in KINDS.values()
    }
    raw: list[tuple[int, int, int, int, int, str, int, int]] = []  # start, product, ...
    for partner in world.partners:
        share = partner.weight / total_weight
        course_total = partner.course_cum[-1]
        for course in partner.courses:
            demand_per_day = orders * _SEATS_PER_ORDER * share * course.weight / course_total / 730
            rate = max(demand_per_day / (course.seats * _TARGET_FILL), _MIN_DATES_PER_DAY)
            end = last_index if course.enabled else today_index - rng.randint(60, 400)
            days = sorted(
                first_index + d
                for d in rng.choices(
                    range(span), cum_weights=day_cum[partner.kind.name], k=round(rate * span)
                )
                if first_index + d <= end
            )
            raw.extend(_course_dates(rng, world, course, days))
    raw.extend(_this_week_dates(rng, world, {(r[1], r[7]) for r in raw}))
    raw.sort()
    for date_id, (start, product_id, end_s, seats, price, status, created, _day) in enumerate(
        raw, start=1
    ):
        course = world.courses[product_id - 1]
        course.starts.append(start)
        # A cancelled date sells nothing; zero free seats keeps the booking loop simple.
        course.free.append(0 if status == m.DATE_CANCELLED else seats)
        course.date_ids.append(date_id)
        course.prices.append(price)
        updated = created
        if status == m.DATE_CANCELLED:
            updated = max(created, min(start - rng.randint(2, 20) * DAY, world.now - HOUR))
        world.dates.append(
            (date_id, product_id, start, end_s, seats, price, status, None, created, updated)
        )


def _season(month: int) -> float:
    return (1.1, 1.05, 1.0, 1.0, 0.95, 0.85, 0.8, 0.8, 0.95, 1.05, 1.15, 1.3)[month - 1]


def _course_dates(
    rng: random.Random, world: _World, course: _Course, days: list[int]
) -> Iterator[tuple[int, int, int, int, int, str, int, int]]:
    kind, used = course.partner.kind, set()
    for day in days:
        weekend = world.clock.day(day).weekday() >= 5
        slots = kind.weekend_slots if weekend else kind.weekday_slots
        slot = rng.choice(slots)
        if (day, slot) in used:
            free_slots = [s for s in slots if (day, s) not in used]
            if not free_slots:
                continue
            slot = rng.choice(free_slots)
        used.add((day, slot))
        yield _date_row(rng, world, course, day, slot)


def _date_row(
    rng: random.Random, world: _World, course: _Course, day: int, slot: int
) -> tuple[int, int, int, int, int, str, int, int]:
    start = world.clock.utc(day, slot)
    seats = course.seats if rng.random() < 0.85 else rng.randint(8, 20)
    price = course.price if rng.random() < 0.9 else course.price + rng.choice((-1000, 1000, 1500))
    cancelled = rng.random() < 0.015
    # Published well before anyone can book it (bookings look at most ~200 days ahead).
    created = max(course.created, start - (240 + rng.randint(0, 60)) * DAY)
    status = m.DATE_CANCELLED if cancelled else m.DATE_ACTIVE
    return (
        start,
        course.product_id,
        start + course.spec.minutes * 60,
        seats,
        price,
        status,
        created,
        day,
    )


def _this_week_dates(
    rng: random.Random, world: _World, taken: set[tuple[int, int]]
) -> Iterator[tuple[int, int, int, int, int, str, int, int]]:
    """The demo logins' dashboards show this week: each gets a date on every day around today."""
    today = world.clock.index(world.today)
    for partner in world.partners[:2]:
        enabled = [c for c in partner.courses if c.enabled]
        for offset in range(-2, 6):
            course = enabled[(offset + 2) % len(enabled)]
            day = today + offset
            if (course.product_id, day) in taken:
                continue
            weekend = world.clock.day(day).weekday() >= 5
            slot = (partner.kind.weekend_slots if weekend else partner.kind.weekday_slots)[-1]
            start, pid, end, seats, price, _status, created, d = _date_row(
                rng, world, course, day, slot
            )
            yield start, pid, end, seats, price, m.DATE_ACTIVE, created, d


def _plan_world(rng: random.Random, orders: int, today: date) -> _World:
    clock = _Clock(_add_months(today, -26), _add_months(today, 7))
    now = clock.utc(clock.index(today), _h(8))
    window_start = now - 730 * DAY
    partners = _plan_partners(rng, _partner_count(orders), window_start)
    courses = _plan_courses(rng, partners)
    world = _World(
        today=today,
        clock=clock,
        now=now,
        window_start=window_start,
        partners=partners,
        courses=courses,
        partner_cum=_cumulative([pt.weight for pt in partners]),
        dates=[],
    )
    _schedule(rng, world, orders)
    return world


# =============================================================================================
# Table layouts. One letter per column tells the loaders how to write the value:
#   i  int or plain text, never NULL        n  int or plain text, may be NULL
#   e  text that may need escaping / NULL   m  money in cents          M  money or NULL
#   t  epoch seconds (naive UTC)            b  bool                    d  Decimal
# =============================================================================================


@dataclass(frozen=True, eq=False)  # hashed by identity: a dict key in the hot loop
class _Layout:
    table: Table
    columns: tuple[str, ...]
    kinds: str

    def __post_init__(self) -> None:
        assert len(self.columns) == len(self.kinds), self.table.name
        assert all(c in self.table.c for c in self.columns), self.table.name


def _layout(table: Table, spec: str) -> _Layout:
    pairs = [item.split(":") for item in spec.split()]
    return _Layout(table, tuple(c for c, _k in pairs), "".join(k for _c, k in pairs))


# fmt: off
L_PARTNERS = _layout(p.partners, (
    "partner_id:i slug:i name:i kind:i legal_name:i street:i postcode:i city:i country_id:i "
    "email:i phone:n tax_number:n vat_id:n commission_rate:d small_business:b active:b "
    "created_at:t updated_at:t"
))
L_USERS = _layout(p.users, (
    "user_id:i username:i display_name:i email:i password_hash:i role:i partner_id:n locale:i "
    "failed_attempts:i active:b created_at:t"
))
L_COURSES = _layout(p.courses, "course_id:i partner_id:i product_id:i sku:i created_at:t")
L_PRODUCTS = _layout(m.catalog_product_entity,
                     "entity_id:i attribute_set_id:i type_id:i sku:i created_at:t updated_at:t")
_EAV = "value_id:i attribute_id:i store_id:i entity_id:i value:{}"
L_VARCHAR = _layout(m.catalog_product_entity_varchar, _EAV.format("e"))
L_TEXT = _layout(m.catalog_product_entity_text, _EAV.format("e"))
L_DECIMAL = _layout(m.catalog_product_entity_decimal, _EAV.format("m"))
L_INT = _layout(m.catalog_product_entity_int, _EAV.format("i"))
L_DATES = _layout(m.miomente_course_date, (
    "date_id:i product_id:i starts_at:t ends_at:t seats_total:i price:m status:i series_id:n "
    "created_at:t updated_at:t"
))
L_ORDERS = _layout(m.sales_order, (
    "entity_id:i increment_id:i state:i status:i store_id:i customer_id:n customer_email:i "
    "customer_firstname:i customer_lastname:i customer_is_guest:i grand_total:m subtotal:m "
    "tax_amount:m discount_amount:m total_paid:M total_refunded:M total_qty_ordered:i "
    "order_currency_code:i created_at:t updated_at:t"
))
L_ITEMS = _layout(m.sales_order_item, (
    "item_id:i order_id:i parent_item_id:n product_id:i sku:i name:i product_type:i "
    "qty_ordered:i qty_canceled:i qty_refunded:i price:m row_total:m row_total_incl_tax:m "
    "tax_amount:m tax_percent:i discount_amount:m amount_refunded:m product_options:e "
    "created_at:t updated_at:t miomente_date_id:i"
))
L_HISTORY = _layout(m.sales_order_status_history, (
    "entity_id:i parent_id:i is_customer_notified:i is_visible_on_front:i comment:e status:i "
    "created_at:t entity_name:i"
))
L_PAYMENTS = _layout(m.sales_order_payment, (
    "entity_id:i parent_id:i method:i amount_ordered:m amount_paid:M amount_refunded:M"
))
L_ADDRESSES = _layout(m.sales_order_address, (
    "entity_id:i parent_id:i address_type:i firstname:i lastname:i company:n street:i city:i "
    "postcode:i country_id:i email:i telephone:n"
))
L_REVIEWS = _layout(m.review, "review_id:i created_at:t entity_id:i entity_pk_value:i status_id:i")
L_REVIEW_DETAILS = _layout(m.review_detail, (
    "detail_id:i review_id:i store_id:i title:e detail:e nickname:i customer_id:n"
))
L_VOTES = _layout(m.rating_option_vote, (
    "vote_id:i option_id:i remote_ip:i remote_ip_long:i customer_id:n entity_pk_value:i "
    "rating_id:i review_id:i percent:i value:i"
))
# fmt: on
ORDER_LAYOUTS = (
    L_ORDERS,
    L_ITEMS,
    L_HISTORY,
    L_PAYMENTS,
    L_ADDRESSES,
    L_REVIEWS,
    L_REVIEW_DETAILS,
    L_VOTES,
)

Rows = list[tuple[Any, ...]]


# =============================================================================================
# Portal and catalog rows
# =============================================================================================


@cache
def _demo_hash(seed: int) -> str:
    """bcrypt of the demo password, computed once: bcrypt is slow on purpose.

    The salt comes from the seed so that the same seed gives the same database; the password
    is public anyway.
    """
    alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    salt_rng = random.Random(f"salt-{seed}")
    # The 22nd character carries only 2 bits; the other alphabet letters would be normalised.
    salt = "".join(salt_rng.choice(alphabet) for _ in range(21)) + salt_rng.choice(".Oeu")
    return bcrypt.hashpw(DEMO_PASSWORD.encode(), f"$2b$12${salt}".encode()).decode("ascii")


def _portal_rows(world: _World, seed: int) -> dict[_Layout, Rows]:
    password = _demo_hash(seed)
    partner_rows, user_rows, course_rows = [], [], []
    staff_created = min(pt.created for pt in world.partners)
    user_rows.append(
        (
            1,
            STAFF_USER[0],
            STAFF_USER[1],
            STAFF_USER[2],
            password,
            p.ROLE_STAFF,
            None,
            "de",
            0,
            True,
            staff_created,
        )
    )
    for pt in world.partners:
        partner_rows.append(
            (
                pt.partner_id,
                pt.slug,
                pt.name,
                pt.kind.name,
                pt.legal_name,
                pt.street,
                pt.postcode,
                pt.city,
                "DE",
                pt.email,
                pt.phone,
                pt.tax_number,
                pt.vat_id,
                pt.commission,
                pt.small_business,
                True,
                pt.created,
                pt.created + 7 * DAY,
            )
        )
        user_rows.append(
            (
                pt.partner_id + 1,
                pt.slug,
                pt.contact,
                pt.email,
                password,
                p.ROLE_PARTNER,
                pt.partner_id,
                "de",
                0,
                True,
                pt.created + DAY,
            )
        )
    for course in world.courses:
        course_rows.append(
            (
                course.product_id,
                course.partner.partner_id,
                course.product_id,
                course.sku,
                course.created,
            )
        )
    return {L_PARTNERS: partner_rows, L_USERS: user_rows, L_COURSES: course_rows}


def _catalog_rows(rng: random.Random, world: _World) -> dict[_Layout, Rows]:
    attr = {code: aid for code, (aid, _backend) in m.PRODUCT_ATTRIBUTES.items()}
    products: Rows = []
    values: dict[_Layout, Rows] = {L_VARCHAR: [], L_TEXT: [], L_DECIMAL: [], L_INT: []}

    def add(layout: _Layout, code: str, entity: int, value: object) -> None:
        rows = values[layout]
        rows.append((len(rows) + 1, attr[code], 0, entity, value))

    for course in world.courses:
        pt, spec, pid = course.partner, course.spec, course.product_id
        products.append((pid, 4, "virtual", course.sku, course.created, course.created + DAY))
        add(L_VARCHAR, "name", pid, course.name)
        add(L_VARCHAR, "url_key", pid, f"{_slug(course.name)}-{pt.slug}")
        add(L_TEXT, "description", pid, _description(course))
        # Some products lack SEO fields or a short text, as in any real catalog.
        if rng.random() < 0.9:
            add(L_TEXT, "short_description", pid, spec.teaser)
        if rng.random() < 0.85:
            add(L_VARCHAR, "meta_title", pid, f"{course.name} in {pt.city} | Miomente")
        if rng.random() < 0.75:
            meta = f"{course.name} bei {pt.name} in {pt.city}: {spec.teaser}"
            add(L_VARCHAR, "meta_description", pid, meta[:255])
        add(L_DECIMAL, "price", pid, course.price)
        add(L_INT, "status", pid, m.PRODUCT_ENABLED if course.enabled else m.PRODUCT_DISABLED)
    return {L_PRODUCTS: products, **values}


def _description(course: _Course) -> str:
    kind, spec = course.partner.kind, course.spec
    hours = f"{spec.minutes / 60:.1f}".replace(".0", "").replace(".", ",")
    return (
        f"<p>{spec.teaser}</p>\n<p>{kind.about}</p>\n<ul>\n"
        f"<li>Dauer: ca. {hours} Stunden</li>\n"
        f"<li>Gruppengröße: bis zu {course.seats} Personen</li>\n"
        f"<li>Inklusive: {kind.included}</li>\n"
        f"<li>Ort: {course.partner.street}, {course.partner.postcode} {course.partner.city}</li>\n"
        "</ul>"
    )


# =============================================================================================
# Orders
# =============================================================================================

_STATE_OF = {status: state for status, _label, state, _default in m.ORDER_STATUSES}
_PAID = {m.STATUS_PENDING_PARTNER, m.STATUS_CONFIRMED, "complete", "closed", "holded"}
# Statuses every demo must show at least once (past events show "complete" anyway). Small
# order counts can miss one by chance, so the newest orders take any that is still missing.
_MUST_SHOW = (
    "pending",
    "pending_payment",
    "payment_review",
    "holded",
    m.STATUS_PENDING_PARTNER,
    m.STATUS_CONFIRMED,
    m.STATUS_REJECTED,
    "canceled",
    "closed",
)


@dataclass(frozen=True, slots=True)
class _Fate:
    status: str
    state: str
    method: str
    history: list[tuple[int, str, str, int]]  # (time, status, comment, customer notified)
    updated: int
    paid: bool
    refunded: bool


def _net(gross: int) -> int:
    """Net cents of a gross amount at 19 % VAT, rounded half up."""
    return (gross * 200 + 119) // 238


# fmt: off
# When people buy (Berlin time): evenings, Sundays, and Christmas gifts in November/December.
_ORDER_HOUR = (0.8, 0.4, 0.2, 0.1, 0.1, 0.2, 0.5, 1.2, 2.0, 2.8, 3.2, 3.3,
               3.4, 3.3, 3.2, 3.2, 3.3, 3.6, 4.0, 4.6, 5.2, 5.0, 3.8, 2.0)
_ORDER_WEEKDAY = (1.05, 1.0, 1.0, 1.0, 0.95, 0.85, 1.15)
_ORDER_MONTH = (0.9, 0.85, 0.9, 0.95, 0.95, 0.85, 0.8, 0.8, 0.9, 1.0, 1.35, 1.75)
# fmt: on


class _OrderMaker:
    """Streams orders in creation order; tracks sold seats so that no date is overbooked."""

    def __init__(self, rng: random.Random, world: _World, orders: int) -> None:
        self.rng, self.world, self.orders = rng, world, orders
        self.now = world.now
        self._slot_start, self._slot_cum, self._slot_gift = self._order_slots()
        self.customers = max(50, int(orders * 0.55))
        self.ids = dict.fromkeys(("item", "history", "payment", "address", "review"), 0)
        self.counts: dict[str, int] = dict.fromkeys(_MUST_SHOW, 0)
        self.last_created = world.window_start
        self.items_total = 0
        self.reviews_total = 0
        self.method_cum = _cumulative([w for _m, _l, w in PAYMENT_METHODS])
        self.city_cum = _cumulative([c[2] for c in CITIES])
        self.rating_cum = _cumulative([w for _v, w in RATING_WEIGHTS])

    def _order_slots(self) -> tuple[list[int], list[float], list[bool]]:
        """Hourly slots over the 24 months before now, weighted: growth, season, time of day."""
        clock, world = self.world.clock, self.world
        starts, weights, gift = [], [], []
        first = clock.index(_to_datetime(world.window_start).date()) - 1
        for index in range(first, clock.index(world.today) + 1):
            day = clock.day(index)
            day_weight = _ORDER_WEEKDAY[day.weekday()] * _ORDER_MONTH[day.month - 1]
            for hour in range(24):
                start = clock.utc(index, hour * 60)
                if start < world.window_start or start >= world.now:
                    continue
                growth = 1.0 + 0.5 * (start - world.window_start) / (730 * DAY)
                starts.append(start)
                weights.append(day_weight * _ORDER_HOUR[hour] * growth)
                gift.append(day.month in (11, 12))
        return starts, _cumulative(weights), gift

    def _created(self, i: int) -> tuple[int, bool]:
        # Evenly spaced quantiles through the weighted slots: times rise with the order id.
        u = (i + self.rng.random()) / self.orders * self._slot_cum[-1]
        slot = min(bisect.bisect_right(self._slot_cum, u), len(self._slot_cum) - 1)
        low = self._slot_cum[slot - 1] if slot else 0.0
        share = (u - low) / (self._slot_cum[slot] - low)
        created = self._slot_start[slot] + int(share * HOUR)
        created = min(max(created, self.last_created + 1), self.now - 1)
        self.last_created = created
        return created, self._slot_gift[slot]

    # --- booking -------------------------------------------------------------------------

    def _book(self, course: _Course, created: int, lead: int, qty: int) -> int:
        """Index of a date of `course` with `qty` free seats after `created`, or -1."""
        starts, free = course.starts, course.free
        earliest = created + 2 * HOUR
        latest = created + 230 * DAY  # dates are published 240+ days ahead
        i = bisect.bisect_left(starts, max(earliest, created + lead))
        stop = min(i + 40, len(starts))
        for k in range(i, stop):
            if starts[k] > latest:
                break
            if free[k] >= qty:
                free[k] -= qty
                return k
        low = bisect.bisect_left(starts, earliest)
        for k in range(i - 1, max(low, i - 40) - 1, -1):
            if free[k] >= qty:
                free[k] -= qty
                return k
        return -1

    def _items_for(
        self, partner: _Partner, created: int, gift: bool, used: set[int]
    ) -> tuple[_Course, int, int] | None:
        rng = self.rng
        qty = 1 if (r := rng.random()) < 0.35 else 2 if r < 0.9 else 3
        mean = (45 if gift else 24) * DAY
        lead = min(int(rng.expovariate(1 / mean)), 200 * DAY)
        for _attempt in range(4):
            course = partner.courses[_pick(rng, partner.course_cum)]
            if course.product_id in used:
                continue
            index = self._book(course, created, lead, qty)
            if index < 0 and qty > 1:
                qty = 1
                index = self._book(course, created, lead, qty)
            if index >= 0:
                used.add(course.product_id)
                return course, index, qty
        return None

    def _pick_items(self, created: int, gift: bool) -> list[tuple[_Course, int, int]]:
        rng, world = self.rng, self.world
        count = 1 if (r := rng.random()) < 0.72 else 2 if r < 0.93 else 3
        first = world.partners[_pick(rng, world.partner_cum)]
        owners = [first] * count
        if rng.random() < 0.03:  # one basket, two partners
            second = first
            while second is first:
                second = world.partners[_pick(rng, world.partner_cum)]
            owners = [first, second] + ([rng.choice((first, second))] if count == 3 else [])
        items: list[tuple[_Course, int, int]] = []
        used: set[int] = set()
        for owner in owners:
            picked = self._items_for(owner, created, gift, used)
            if picked:
                items.append(picked)
        for _attempt in range(8):  # sold out: look elsewhere, as a customer would
            if items:
                break
            partner = world.partners[_pick(rng, world.partner_cum)]
            picked = self._items_for(partner, created, gift, used)
            if picked:
                items.append(picked)
        return items

    # --- status --------------------------------------------------------------------------

    def _status(self, i: int, created: int, last_start: int) -> str:
        rng, now = self.rng, self.now
        age = (now - created) / DAY
        near_end = i >= self.orders - len(_MUST_SHOW) * 2 and last_start > now
        if near_end and (missing := [s for s in _MUST_SHOW if not self.counts[s]]):
            return missing[0]
        r = rng.random()
        if last_start > now:  # something still to come
            table = (
                ("pending", 0.03 if age < 1 else 0.0),
                ("pending_payment", 0.05 if age < 4 else 0.004),
                ("payment_review", 0.02 if age < 3 else 0.003),
                ("fraud", 0.002),
                ("holded", 0.012),
                (m.STATUS_REJECTED, 0.035),
                ("canceled", 0.025),
                ("closed", 0.02),
                (m.STATUS_PENDING_PARTNER, 0.04 + 0.8 * math.exp(-age / 5)),
            )
            fallback = m.STATUS_CONFIRMED
        else:
            since = (now - last_start) / DAY
            table = (
                ("closed", 0.05),
                ("canceled", 0.035),
                (m.STATUS_REJECTED, 0.025),
                ("holded", 0.006),
                (m.STATUS_CONFIRMED, 0.008 + 0.7 * math.exp(-since / 2)),
            )
            fallback = "complete"
        for status, chance in table:
            if r < chance:
                return status
            r -= chance
        return fallback

    def _history(
        self, status: str, method_label: str, created: int, first_start: int, last_end: int
    ) -> list[tuple[int, str, str, int]]:
        """(time, status, German comment, customer notified): 1-3 rows, oldest first."""
        rng, now = self.rng, self.now
        paid_at = created + rng.randint(20, 600)
        decided = min(created + int(rng.expovariate(1 / DAY)) + 600, first_start - HOUR)
        rows = [(created, "pending", "Bestellung über den Miomente-Shop eingegangen.", 1)]
        sent = f"Zahlung per {method_label} erhalten. Buchungsanfrage an den Partner gesendet."
        if status == "pending_payment":
            rows.append(
                (paid_at, status, "Warten auf Zahlungseingang (Vorkasse per Überweisung).", 1)
            )
        elif status in ("payment_review", "fraud"):
            rows.append((paid_at, status, "Zahlung wird vom Zahlungsanbieter geprüft.", 0))
        elif status == m.STATUS_PENDING_PARTNER:
            rows.append((paid_at, status, sent, 0))
        elif status in (m.STATUS_CONFIRMED, m.STATUS_REJECTED, "holded"):
            rows.append((paid_at, m.STATUS_PENDING_PARTNER, sent, 0))
            comment = {
                m.STATUS_CONFIRMED: "Termin vom Partner bestätigt.",
                m.STATUS_REJECTED: f"Vom Partner abgelehnt: {rng.choice(REJECT_REASONS)}",
                "holded": "Bestellung angehalten: Rückfrage zur Rechnungsadresse.",
            }[status]
            rows.append((decided, status, comment, 1))
        elif status == "complete":
            rows.append((decided, m.STATUS_CONFIRMED, "Termin vom Partner bestätigt.", 1))
            rows.append(
                (
                    last_end + rng.randint(1, 72) * HOUR,
                    status,
                    "Veranstaltung hat stattgefunden, Bestellung abgeschlossen.",
                    0,
                )
            )
        elif status == "closed":
            rows.append((decided, m.STATUS_CONFIRMED, "Termin vom Partner bestätigt.", 1))
            refund = decided + rng.randint(1, 14) * DAY
            rows.append(
                (
                    min(refund, first_start - HOUR),
                    status,
                    "Gutschrift erstellt, Betrag vollständig erstattet.",
                    1,
                )
            )
        elif status == "canceled":
            rows.append((created + rng.randint(1, 5) * DAY, status, rng.choice(CANCEL_REASONS), 1))
        out, last = [], created - 1
        for at, st, comment, notified in rows:
            at = max(last + 1, min(at, now - 60))
            out.append((at, st, comment, notified))
            last = at
        return out

    # --- people --------------------------------------------------------------------------

    def _person(self, key: int) -> tuple[str, str, str, str, str, str, str | None]:
        """first, last, email, street, city, postcode, phone; fixed per registered customer."""
        h = (key * 2_654_435_761) & 0xFFFF_FFFF
        first = FIRST_NAMES[h % len(FIRST_NAMES)]
        last = LAST_NAMES[(h >> 7) % len(LAST_NAMES)]
        email = (
            f"{_mail_name(first)}.{_mail_name(last)}{key % 89}"
            f"@{MAIL_DOMAINS[(h >> 13) % len(MAIL_DOMAINS)]}"
        )
        city, prefix, _w = CITIES[
            bisect.bisect_right(self.city_cum, (h >> 3) % 997 / 997 * self.city_cum[-1])
        ]
        street = f"{STREETS[(h >> 17) % len(STREETS)]} {h % 131 + 1}"
        postcode = f"{prefix}{(h >> 11) % 1000:03d}"
        area, block = PHONE_BLOCKS[(h >> 21) % len(PHONE_BLOCKS)]
        phone = f"+49 {area} {block} {(h >> 5) % 1000:03d}" if h % 10 < 7 else None
        return first, last, email, street, city, postcode, phone

    # --- one order -----------------------------------------------------------------------

    def make(self, i: int, out: dict[_Layout, Rows]) -> None:
        rng = self.rng
        order_id = i + 1
        created, gift = self._created(i)
        items = self._pick_items(created, gift)
        if not items:
            return  # every course sold out around this time; the order never happened
        guest = rng.random() < 0.25
        customer_id = None if guest else int(self.customers * rng.random() ** 1.6) + 1
        person = self._person(customer_id if customer_id else 10_000_000 + rng.randrange(10**7))
        fate = self._fate(i, created, items)
        discount = 0
        if rng.random() < 0.04:  # a voucher code, booked on the first item
            first_gross = items[0][0].prices[items[0][1]] * items[0][2]
            discount = min(first_gross, rng.choice((500, 1000, 1500, first_gross // 10)))
        net, tax, gross, qty = self._add_items(order_id, created, items, fate, discount, out)
        grand = gross - discount
        first, last, email = person[0], person[1], person[2]
        out[L_ORDERS].append((
            order_id, f"{order_id:09d}", fate.state, fate.status, 1, customer_id, email, first,
            last, int(guest), grand, net, tax, -discount, grand if fate.paid else None,
            grand if fate.refunded else None, qty, "EUR", created, fate.updated,
        ))  # fmt: skip
        for at, status, comment, notified in fate.history:
            self.ids["history"] += 1
            row = (self.ids["history"], order_id, notified, 0, comment, status, at, "order")
            out[L_HISTORY].append(row)
        self.ids["payment"] += 1
        paid, refunded = (grand if fate.paid else None), (grand if fate.refunded else None)
        out[L_PAYMENTS].append((self.ids["payment"], order_id, fate.method, grand, paid, refunded))
        self._addresses(order_id, person, email, out)
        if fate.status == "complete" and rng.random() < 0.17:
            last_end = max(c.starts[idx] + c.spec.minutes * 60 for c, idx, _q in items)
            self._review(items[0][0], last_end, customer_id, first, last, out)

    def _fate(self, i: int, created: int, items: list[tuple[_Course, int, int]]) -> _Fate:
        """Status, payment and timeline of an order, from its age and its events' dates."""
        starts = [course.starts[idx] for course, idx, _q in items]
        last_end = max(c.starts[idx] + c.spec.minutes * 60 for c, idx, _q in items)
        status = self._status(i, created, max(starts))
        if status in self.counts:
            self.counts[status] += 1
        if status == "pending_payment":
            method, label = "banktransfer", "Vorkasse per Überweisung"
        else:
            method, label, _share = PAYMENT_METHODS[_pick(self.rng, self.method_cum)]
        history = self._history(status, label, created, min(starts), last_end)
        return _Fate(
            status=status,
            state="new" if status == "pending" else _STATE_OF[status],
            method=method,
            history=history,
            updated=history[-1][0],
            paid=status in _PAID,
            refunded=status == "closed",
        )

    def _add_items(
        self,
        order_id: int,
        created: int,
        items: list[tuple[_Course, int, int]],
        fate: _Fate,
        discount: int,
        out: dict[_Layout, Rows],
    ) -> tuple[int, int, int, int]:
        """Append the item rows; return the order's net, tax, gross and ticket count."""
        net_total = tax_total = gross_total = qty_total = 0
        canceled = fate.state == "canceled"
        for n, (course, idx, qty) in enumerate(items):
            gross = course.prices[idx] * qty
            unit_net = _net(course.prices[idx])
            net = unit_net * qty
            item_discount = discount if n == 0 else 0
            date_id = course.date_ids[idx]
            options = f'{{"info_buyRequest":{{"qty":{qty},"miomente_date_id":{date_id}}}}}'
            self.ids["item"] += 1
            out[L_ITEMS].append((
                self.ids["item"], order_id, None, course.product_id, course.sku, course.name,
                "virtual", qty, qty if canceled else 0, qty if fate.refunded else 0, unit_net,
                net, gross, gross - net, 19, item_discount,
                gross - item_discount if fate.refunded else 0, options, created, fate.updated,
                date_id,
            ))  # fmt: skip
            net_total += net
            tax_total += gross - net
            gross_total += gross
            qty_total += qty
        self.items_total += len(items)
        return net_total, tax_total, gross_total, qty_total

    def _addresses(
        self,
        order_id: int,
        person: tuple[str, str, str, str, str, str, str | None],
        email: str,
        out: dict[_Layout, Rows],
    ) -> None:
        rng = self.rng
        first, last, _email, street, city, postcode, phone = person
        company = (
            f"{rng.choice(COMPANIES)} {rng.choice(LAST_NAMES)}" if rng.random() < 0.06 else None
        )
        self.ids["address"] += 1
        out[L_ADDRESSES].append((
            self.ids["address"], order_id, "billing", first, last, company, street, city,
            postcode, "DE", email, phone,
        ))  # fmt: skip
        if rng.random() < 0.2:  # a gift: the voucher goes to someone else
            other = self._person(20_000_000 + rng.randrange(10**7))
            self.ids["address"] += 1
            out[L_ADDRESSES].append((
                self.ids["address"], order_id, "shipping", other[0], other[1], None, other[3],
                other[4], other[5], "DE", email, None,
            ))  # fmt: skip

    def _review(
        self,
        course: _Course,
        event_end: int,
        customer_id: int | None,
        first: str,
        last: str,
        out: dict[_Layout, Rows],
    ) -> None:
        rng = self.rng
        created = event_end + rng.randint(12, 14 * 24) * HOUR + rng.randrange(HOUR)
        if created >= self.now:
            return
        fresh = self.now - created < 10 * DAY
        r = rng.random()
        if fresh:
            status = m.REVIEW_PENDING if r < 0.6 else m.REVIEW_APPROVED
        else:
            status = (
                m.REVIEW_APPROVED
                if r < 0.9
                else m.REVIEW_PENDING
                if r < 0.97
                else m.REVIEW_NOT_APPROVED
            )
        value = RATING_WEIGHTS[_pick(rng, self.rating_cum)][0]
        titles, details = REVIEW_TEXTS[value]
        detail = rng.choice(details)
        if value >= 4 and rng.random() < 0.5:
            detail += f" „{course.name}“ bei {course.partner.name} können wir nur empfehlen."
        self.ids["review"] += 1
        rid, pid = self.ids["review"], course.product_id
        self.reviews_total += 1
        out[L_REVIEWS].append((rid, created, m.REVIEW_ENTITY_PRODUCT, pid, status))
        out[L_REVIEW_DETAILS].append(
            (rid, rid, 1, rng.choice(titles), detail, f"{first} {last[0]}.", customer_id)
        )
        out[L_VOTES].append((rid, value, "", 0, customer_id, pid, 1, rid, value * 20, value))

    def chunks(self, size: int) -> Iterator[dict[_Layout, Rows]]:
        for begin in range(0, self.orders, size):
            out: dict[_Layout, Rows] = {layout: [] for layout in ORDER_LAYOUTS}
            for i in range(begin, min(begin + size, self.orders)):
                self.make(i, out)
            yield out


# =============================================================================================
# Loading: value conversion, the portable Core loader, and the dialect-specific bulk loaders
# =============================================================================================


@cache  # prices repeat endlessly
def _money_text(cents: int) -> str:
    if cents < 0:
        return "-" + _money_text(-cents)
    return f"{cents // 100}.{cents % 100:02d}"


def _escape(value: str | None) -> str:
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _null_text(value: object) -> str:
    return "\\N" if value is None else str(value)


def _money_or_null(cents: int | None) -> str:
    return "\\N" if cents is None else _money_text(cents)


_TSV_PARTS = {
    "i": "{r[%d]}",
    "n": "{_n(r[%d])}",
    "e": "{_e(r[%d])}",
    "m": "{_m(r[%d])}",
    "M": "{_M(r[%d])}",
    "t": "{_t(r[%d])}",
    "b": "{_b[r[%d]]}",
    "d": "{r[%d]}",
}


@cache
def _tsv_formatter(kinds: str) -> Callable[[tuple[Any, ...]], str]:
    """One compiled f-string per layout: about three times faster than a loop per field."""
    body = "\t".join(_TSV_PARTS[k] % n for n, k in enumerate(kinds))
    source = f'lambda r: f"{body}\\n"'.replace("\t", "\\t")
    helpers = {
        "_n": _null_text,
        "_e": _escape,
        "_m": _money_text,
        "_M": _money_or_null,
        "_t": _ts_text,
        "_b": {True: "1", False: "0"},
    }
    return eval(source, helpers)  # source is built only from the constant parts above


def _tsv(layout: _Layout, rows: Rows) -> str:
    """PostgreSQL COPY text format, which is also MySQL's LOAD DATA default format."""
    return "".join(map(_tsv_formatter(layout.kinds), rows))


def _python_values(layout: _Layout, rows: Rows) -> list[dict[str, Any]]:
    def money(c: int | None) -> Decimal | None:
        return None if c is None else Decimal(c).scaleb(-2)

    def ts(s: int | None) -> datetime | None:
        return None if s is None else _to_datetime(s)

    convert = [{"m": money, "M": money, "t": ts}.get(k) for k in layout.kinds]
    cols = layout.columns
    out = []
    for row in rows:
        values = [f(v) if f else v for f, v in zip(convert, row, strict=True)]
        out.append(dict(zip(cols, values, strict=True)))
    return out


class _Stats:
    """Rows and loading seconds per table (each table is loaded by one thread only)."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def add(self, name: str, rows: int, seconds: float) -> None:
        self.rows[name] = self.rows.get(name, 0) + rows
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


class _Loader(Protocol):
    stats: _Stats

    def load(self, layout: _Layout, rows: Rows) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


class _CoreLoader:
    """Portable: Core insert executemany, everything in one transaction (used for SQLite)."""

    BATCH = 5_000

    def __init__(self, engine: Engine) -> None:
        self.stats = _Stats()
        self._conn = engine.connect()
        self._trans = self._conn.begin()

    def load(self, layout: _Layout, rows: Rows) -> None:
        started = time.perf_counter()
        for begin in range(0, len(rows), self.BATCH):
            batch = _python_values(layout, rows[begin : begin + self.BATCH])
            self._conn.execute(insert(layout.table), batch)
        self.stats.add(layout.table.name, len(rows), time.perf_counter() - started)

    def finish(self) -> None:
        self._trans.commit()
        self._conn.close()

    def abort(self) -> None:
        self._trans.rollback()
        self._conn.close()


class _Bulk(Protocol):
    """A server bulk path: `prepare` runs in the generating thread, `write` in a loader thread."""

    def prepare(self, layout: _Layout, rows: Rows) -> Any: ...
    def write(self, layout: _Layout, payload: Any) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


# ---------------------------------------------------------------------------------------------
# DIALECT-SPECIFIC BULK LOADING. The only non-portable SQL of this module: LOAD DATA for
# MySQL/MariaDB, COPY for PostgreSQL, plus PostgreSQL's sequence reset after explicit ids.
# Table and column names come from the SQLAlchemy metadata and are quoted by the dialect.
# ---------------------------------------------------------------------------------------------


class _MysqlBulk:
    """LOAD DATA LOCAL INFILE per table and chunk.

    Secondary indexes of an empty table are dropped before its first load and rebuilt once
    at the end: InnoDB then builds each index sorted instead of updating it row by row. At a
    million orders (indexes larger than the default 128 MB buffer pool) that cut the load from
    285 s to 199 s on a 2-core machine. Indexes that back a foreign key stay. `finish` and
    `abort` both restore the schema's indexes.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = create_engine(
            engine.url, poolclass=NullPool, connect_args={"local_infile": True}
        )
        self._raw = self._engine.raw_connection()
        self._dir = Path(tempfile.mkdtemp(prefix="miomente-demo-"))
        self._files = 0
        self._quote = engine.dialect.identifier_preparer.quote
        self._seen: set[str] = set()
        self._deferred: dict[str, list[Index]] = {}
        # Ids are generated unique and parents load before children.
        self._run("SET unique_checks = 0, foreign_key_checks = 0")

    def _run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._raw.cursor() as cur:
            cur.execute(statement, params)
            return list(cur.fetchall())

    def _defer_indexes(self, table: Table) -> None:
        self._seen.add(table.name)
        name = self._quote(table.name)
        if self._run(f"SELECT 1 FROM {name} LIMIT 1"):  # noqa: S608 - quoted metadata name
            return
        fk_columns = [[c.parent.name for c in fk.elements] for fk in table.foreign_key_constraints]
        deferred = [
            ix
            for ix in table.indexes
            if not ix.unique
            and not any([c.name for c in ix.columns][: len(fk)] == fk for fk in fk_columns)
        ]
        if deferred:
            drops = ", ".join(f"DROP INDEX {self._quote(str(ix.name))}" for ix in deferred)
            self._run(f"ALTER TABLE {name} {drops}")
            self._deferred[table.name] = deferred

    def _restore_indexes(self) -> None:
        while self._deferred:
            table, indexes = self._deferred.popitem()
            adds = ", ".join(
                f"ADD INDEX {self._quote(str(ix.name))} "
                f"({', '.join(self._quote(c.name) for c in ix.columns)})"
                for ix in indexes
            )
            self._run(f"ALTER TABLE {self._quote(table)} {adds}")

    def prepare(self, layout: _Layout, rows: Rows) -> Path:
        self._files += 1
        path = self._dir / f"{layout.table.name}-{self._files}.tsv"
        path.write_text(_tsv(layout, rows), encoding="utf-8")
        return path

    def write(self, layout: _Layout, payload: Path) -> None:
        if layout.table.name not in self._seen:
            self._defer_indexes(layout.table)
        columns = ", ".join(self._quote(c) for c in layout.columns)
        statement = (
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {self._quote(layout.table.name)} "
            f"CHARACTER SET utf8mb4 ({columns})"
        )
        self._run(statement, (str(payload),))
        payload.unlink()
        # LOCAL turns data errors into warnings; a demo with truncated values is a bug.
        if warnings := self._run("SHOW WARNINGS LIMIT 3"):
            raise RuntimeError(f"LOAD DATA into {layout.table.name}: {warnings}")
        self._raw.commit()

    def finish(self) -> None:
        try:
            self._restore_indexes()
        finally:
            self._raw.close()
            self._engine.dispose()
            shutil.rmtree(self._dir, ignore_errors=True)

    def abort(self) -> None:
        self._raw.rollback()
        self.finish()


class _PostgresBulk:
    """COPY ... FROM STDIN in text format; resets each table's id sequence at the end."""

    def __init__(self, engine: Engine) -> None:
        self._raw = engine.raw_connection()
        self._quote = engine.dialect.identifier_preparer.quote
        self._tables: dict[str, str] = {}  # table -> its serial primary key
        self._max_ids: dict[str, int] = {}

    def prepare(self, layout: _Layout, rows: Rows) -> str:
        pk = [c.name for c in layout.table.primary_key.columns]
        if len(pk) == 1 and pk[0] == layout.columns[0]:
            name = layout.table.name
            self._tables[name] = pk[0]
            self._max_ids[name] = max(self._max_ids.get(name, 1), max(r[0] for r in rows))
        return _tsv(layout, rows)

    def write(self, layout: _Layout, payload: str) -> None:
        table = self._quote(layout.table.name)
        columns = ", ".join(self._quote(c) for c in layout.columns)
        statement = f"COPY {table} ({columns}) FROM STDIN"
        with self._raw.driver_connection.cursor() as cur, cur.copy(statement) as copy:
            copy.write(payload)
        self._raw.commit()

    def finish(self) -> None:
        # Explicit ids leave the serial sequences at 1; the portal's own inserts need max+1.
        with self._raw.driver_connection.cursor() as cur:
            for name, pk in self._tables.items():
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                    (name, pk, self._max_ids[name]),
                )
        self._raw.commit()
        self._raw.close()

    def abort(self) -> None:
        self._raw.rollback()
        self._raw.close()


def _bulk_for(engine: Engine) -> Callable[[], _Bulk] | None:
    if engine.dialect.name == "mysql":
        return lambda: _MysqlBulk(engine)
    if engine.dialect.name == "postgresql":
        return lambda: _PostgresBulk(engine)
    return None


# --- end of the dialect-specific part ---------------------------------------------------------

# The big tables, split into two lanes of about equal loading time (measured at 1M orders).
# Each lane is a thread with its own connection, so the server loads two tables at once.
_LANE_OF = {
    m.sales_order_item.name: 1,
    m.sales_order_address.name: 1,
    m.review.name: 1,
    m.review_detail.name: 1,
    m.rating_option_vote.name: 1,
}
LANES = 2


class _Lane:
    def __init__(self, bulk: _Bulk, stats: _Stats) -> None:
        self.bulk, self.stats = bulk, stats
        self.queue: queue.Queue[tuple[_Layout, Any, int] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="demo-loader", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain, so the producer never blocks on a dead lane
            layout, payload, count = job
            started = time.perf_counter()
            try:
                self.bulk.write(layout, payload)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the producer's thread
                self.error = exc
            else:
                self.stats.add(layout.table.name, count, time.perf_counter() - started)


class _PipelinedLoader:
    """Formats in the caller's thread while loader threads feed the server."""

    def __init__(self, make_bulk: Callable[[], _Bulk], lanes: int) -> None:
        self.stats = _Stats()
        self._lanes: list[_Lane] = []
        try:
            for _n in range(lanes):
                self._lanes.append(_Lane(make_bulk(), self.stats))
        except BaseException:
            self._stop()
            for lane in self._lanes:
                lane.bulk.abort()
            raise

    def load(self, layout: _Layout, rows: Rows) -> None:
        lane = self._lanes[_LANE_OF.get(layout.table.name, 0) % len(self._lanes)]
        if lane.error is not None:
            raise lane.error
        lane.queue.put((layout, lane.bulk.prepare(layout, rows), len(rows)))

    def _stop(self) -> BaseException | None:
        for lane in self._lanes:
            lane.queue.put(None)
        for lane in self._lanes:
            lane.thread.join()
        return next((lane.error for lane in self._lanes if lane.error is not None), None)

    def finish(self) -> None:
        if (error := self._stop()) is not None:
            for lane in self._lanes:
                lane.bulk.abort()
            raise error
        # Index rebuilds run in parallel too, one lane per thread.
        errors: list[BaseException] = []

        def finish(bulk: _Bulk) -> None:
            try:
                bulk.finish()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        finishers = [threading.Thread(target=finish, args=(lane.bulk,)) for lane in self._lanes]
        for thread in finishers:
            thread.start()
        for thread in finishers:
            thread.join()
        if errors:
            raise errors[0]

    def abort(self) -> None:
        self._stop()
        for lane in self._lanes:
            lane.bulk.abort()


def _loader_for(engine: Engine, *, lanes: int) -> _Loader:
    make_bulk = _bulk_for(engine)
    if make_bulk is None:
        # SQLite allows one writer; threads would only add switching.
        return _CoreLoader(engine)
    return _PipelinedLoader(make_bulk, lanes)


class NotEmptyError(RuntimeError):
    """generate() writes into empty schemas only."""


def _check_empty(db: Databases) -> None:
    with db.portal.connect() as conn:
        if conn.execute(select(func.count()).select_from(p.partners)).scalar():
            raise NotEmptyError(
                "The portal database already has partners; demo data needs it empty."
            )
    with db.magento.connect() as conn:
        for table in (m.sales_order, m.catalog_product_entity):
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise NotEmptyError(f"The shop table {table.name} is not empty.")


def _feed(loader: _Loader, batches: Iterator[tuple[_Layout, Rows]]) -> _Loader:
    try:
        for layout, rows in batches:
            loader.load(layout, rows)
    except BaseException:
        loader.abort()
        raise
    loader.finish()
    return loader


def _shop_batches(
    rng: random.Random, world: _World, maker: _OrderMaker
) -> Iterator[tuple[_Layout, Rows]]:
    yield from _catalog_rows(rng, world).items()
    for begin in range(0, len(world.dates), 50_000):
        yield L_DATES, world.dates[begin : begin + 50_000]
    for chunk in maker.chunks(ORDER_CHUNK):
        yield from chunk.items()


def generate(
    db: Databases, *, orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED, today: date
) -> DemoSummary:
    """Fill empty shop and portal schemas with demo data; same arguments, same rows."""
    if orders < 1:
        raise ValueError("orders must be at least 1")
    started = time.perf_counter()
    _check_empty(db)
    rng = random.Random(seed)
    world = _plan_world(rng, orders, today)
    portal = _feed(_loader_for(db.portal, lanes=1), iter(_portal_rows(world, seed).items()))
    maker = _OrderMaker(rng, world, orders)
    shop = _feed(_loader_for(db.magento, lanes=LANES), _shop_batches(rng, world, maker))
    rows = {**portal.stats.rows, **shop.stats.rows}
    seconds = {**portal.stats.seconds, **shop.stats.seconds}
    return DemoSummary(
        partners=len(world.partners),
        courses=len(world.courses),
        dates=len(world.dates),
        orders=rows.get(m.sales_order.name, 0),
        items=maker.items_total,
        reviews=maker.reviews_total,
        seconds=time.perf_counter() - started,
        tables=tuple((name, count, round(seconds[name], 3)) for name, count in rows.items()),
    )


# =============================================================================================
# Demo mode: two SQLite files, built once
# =============================================================================================


def berlin_today() -> date:
    return datetime.now(BERLIN).date()


def _demo_paths(demo_dir: Path) -> tuple[Path, Path, Path]:
    return demo_dir / MAGENTO_FILE, demo_dir / PORTAL_FILE, demo_dir / MARKER_NAME


def _is_complete(demo_dir: Path) -> bool:
    magento, portal, marker = _demo_paths(demo_dir)
    if not (magento.is_file() and portal.is_file() and marker.is_file()):
        return False
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("format") == DEMO_FORMAT


@contextmanager
def _demo_lock(demo_dir: Path) -> Iterator[None]:
    """One builder at a time, across threads (Streamlit sessions) and processes."""
    demo_dir.mkdir(parents=True, exist_ok=True)
    with open(demo_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _build_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}", pool=False)

    # SQLite only, and only for the temp files of a build: a crash just means a rebuild, so
    # journaling and fsync would buy nothing. The app reopens the files in WAL mode.
    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    return engine


def _build_demo(demo_dir: Path, *, orders: int, seed: int, today: date) -> DemoSummary:
    """Build both files next to their final place, then rename them in; call under the lock."""
    magento, portal, marker = _demo_paths(demo_dir)
    marker.unlink(missing_ok=True)
    tmp_magento = demo_dir / f".{MAGENTO_FILE}.building"
    tmp_portal = demo_dir / f".{PORTAL_FILE}.building"
    for path in (tmp_magento, tmp_portal):
        _remove_sqlite(path)
    db = Databases(
        magento=(shop := _build_engine(tmp_magento)),
        magento_read=shop,
        portal=_build_engine(tmp_portal),
    )
    try:
        m.create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        summary = generate(db, orders=orders, seed=seed, today=today)
    except BaseException:
        db.dispose()
        for path in (tmp_magento, tmp_portal):
            _remove_sqlite(path)
        raise
    db.dispose()
    for tmp, final in ((tmp_magento, magento), (tmp_portal, portal)):
        _remove_sqlite(final)  # a stale -wal next to a new file would corrupt it
        os.replace(tmp, final)
    info = {
        "format": DEMO_FORMAT,
        "orders": orders,
        "seed": seed,
        "today": today.isoformat(),
        "summary": summary.line(),
    }
    tmp_marker = demo_dir / f".{MARKER_NAME}.tmp"
    tmp_marker.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp_marker, marker)  # written last: its presence means "complete"
    return summary


def _open_demo(demo_dir: Path) -> Databases:
    magento, portal, _marker = _demo_paths(demo_dir)
    return open_databases(magento_url=f"sqlite:///{magento}", portal_url=f"sqlite:///{portal}")


def ensure_demo(settings: Settings) -> Databases:
    """Open the demo databases, building them first if they are missing or incomplete."""
    demo_dir = Path(settings.demo_dir)
    with _demo_lock(demo_dir):
        if not _is_complete(demo_dir):
            _build_demo(demo_dir, orders=DEFAULT_ORDERS, seed=DEFAULT_SEED, today=berlin_today())
        else:
            # Code may have gained a migration or a shop table since the files were built.
            db = _open_demo(demo_dir)
            try:
                m.create_shop_schema(db.magento)
                upgrade_portal(db.portal)
            finally:
                db.dispose()
    return _open_demo(demo_dir)


def rebuild_demo(
    demo_dir: Path,
    *,
    orders: int = DEFAULT_ORDERS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
) -> DemoSummary:
    """Delete and rebuild the demo files (the CLI without URLs)."""
    with _demo_lock(demo_dir):
        return _build_demo(demo_dir, orders=orders, seed=seed, today=today or berlin_today())


# =============================================================================================
# CLI
# =============================================================================================


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m data.demo",
        description="Fill the shop and portal databases with deterministic German demo data.",
    )
    parser.add_argument("--magento-url", help="shop database URL (default: demo SQLite file)")
    parser.add_argument("--portal-url", help="portal database URL (default: demo SQLite file)")
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    parser.add_argument(
        "--ensure",
        action="store_true",
        help="demo mode only: build the demo files if they are missing, else keep them",
    )
    parser.add_argument(
        "--create-schema",
        action="store_true",
        help="create the shop tables and migrate the portal first (URLs only)",
    )
    args = parser.parse_args(argv)
    if (args.magento_url is None) != (args.portal_url is None):
        parser.error("give both --magento-url and --portal-url, or neither")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    today = args.today or berlin_today()
    if args.ensure:
        settings = load_settings()
        if not settings.demo_mode:
            print("Databases are configured: no demo data needed.")
            return
        ensure_demo(settings).dispose()
        print(f"Demo files ready in {settings.demo_dir}")
        return
    if args.magento_url is None:
        demo_dir = load_settings().demo_dir
        summary = rebuild_demo(demo_dir, orders=args.orders, seed=args.seed, today=today)
        print(f"Demo files in {demo_dir}: {summary.line()}")
        return
    db = Databases(
        magento=(shop := make_engine(args.magento_url, pool=False)),
        magento_read=shop,
        portal=make_engine(args.portal_url, pool=False),
    )
    try:
        if args.create_schema:
            m.create_shop_schema(db.magento)
            upgrade_portal(db.portal)
        summary = generate(db, orders=args.orders, seed=args.seed, today=today)
    finally:
        db.dispose()
    print(f"Demo data: {summary.line()}")


if __name__ == "__main__":
    main()
