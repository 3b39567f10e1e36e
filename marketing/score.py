"""The Qualitäts-Score of a course: a transparent checklist worth 0–100 points, pure.

Every item has an id `<area>.<check>` (the area is a key of marketing.guides.CHECKLIST_GUIDES,
so each item links to the Ratgeber page that explains it), the points it is worth, the points
earned, and the figures that say what is missing (`params`). Texts ("what is missing", "why it
matters") are locale keys `score.<area>_<check>_{label,missing,why}`: a stored score is
language-free and shown in German or English.

An item that cannot be judged yet is `pending` and leaves the total: the review answers (until
the answers table is connected) and the keyword items of a course without a focus keyword. The
total is the earned share of the points that can be judged, so it stays 0–100.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from marketing.focus import KeywordIndex
from marketing.guides import CHECKLIST_GUIDES
from marketing.keywords import content_stems, content_stems_of_words, stems_of
from marketing.readability import words_of
from marketing.structure import Structure, analyse

TITLE_MIN, TITLE_MAX = 30, 70
COURSE_WORDS, PRODUCT_WORDS = 300, 200
LONG_SHARE = 0.25
PARAGRAPH_MAX = 150
HEADING_EVERY = 300
READABLE = 60.0
MIN_TEXT = 50  # words: below this the style checks have nothing to judge
META_TITLE_MIN, META_TITLE_MAX = 20, 70
META_DESC_MIN, META_DESC_MAX = 120, 157
URL_KEY_MAX = 80
IMAGES = 5
DATES, DATES_DAYS = 3, 90
REVIEWS, AVERAGE = 3, Decimal("4.0")
ANSWERED = 0.8  # share of reviews with a public answer
DENSITY_MIN, DENSITY_MAX = 0.5, 3.0  # percent

# (id, points): the whole checklist in display order; the points add up to 100.
POINTS: dict[str, int] = {
    "title.length": 4,
    "title.start": 3,
    "title.caps": 2,
    "title.price": 3,
    "description.words": 8,
    "description.sentences": 4,
    "description.paragraphs": 3,
    "description.headings": 3,
    "description.readability": 7,
    "meta.title": 3,
    "meta.description": 4,
    "meta.url_key": 3,
    "facts.included": 3,
    "facts.level": 3,
    "facts.duration": 3,
    "facts.meeting_point": 3,
    "facts.drinks": 3,
    "facts.group_size": 3,
    "images.gallery": 10,
    "dates.upcoming": 8,
    "reviews.count": 3,
    "reviews.average": 3,
    "reviews.answered": 3,
    "keyword.title": 2,
    "keyword.first_paragraph": 2,
    "keyword.meta": 2,
    "keyword.density": 2,
}

# What participants want to know before booking: found in the text, or in a shop attribute
# with one of these codes (a shop that keeps "level" as an attribute needs no sentence on it).
FACT_PATTERNS: dict[str, re.Pattern[str]] = {
    "included": re.compile(
        r"inklusive|inkl\.|im preis enthalten|enthalten sind|inbegriffen|leistungen",
    ),
    "level": re.compile(
        r"anfänger|einsteiger|fortgeschritten|vorkenntnisse|niveau|für alle|keine erfahrung",
    ),
    "duration": re.compile(
        r"\bdauer\b|\d+(?:[,.]\d+)?\s*(?:stunden|std\b|minuten|min\b)|\d{1,2}[:.]\d{2}\s*(?:bis|-|–)",
    ),
    "meeting_point": re.compile(
        r"treffpunkt|veranstaltungsort|adresse|anfahrt|\bort:|\b\d{5}\s+[a-zäöüß]{3}"
    ),
    "drinks": re.compile(
        r"getränk|allergi|unverträglich|vegetar|vegan|glutenfrei|laktose|wasser|wein",
    ),
    "group_size": re.compile(
        r"gruppengröße|teilnehmerzahl|bis zu \d+\s*(?:personen|gäste|teilnehm)"
        r"|max(?:imal|\.)?\s*\d+\s*(?:personen|gäste|teilnehm)|kleine gruppe",
    ),
}


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern ("a|(b|c)|d" -> "a", "(b|c)", "d")."""
    found, current, depth, i = [], "", 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            current += pattern[i : i + 2]
            i += 2
            continue
        if char == "[":  # a class, to its closing bracket ("]" right after "[" or "[^" is in it)
            end = i + 1 + (pattern[i + 1 : i + 2] == "^")
            end += pattern[end : end + 1] == "]"
            while pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            current += pattern[i : end + 1]
            i = end + 1
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            found.append(current)
            current = ""
        else:
            current += char
        i += 1
    return [*found, current]


# A pattern that needs a digit first: `\d` once or more (not `\d*`, `\d?`, `\d{0,2}`).
_DIGIT_FIRST = re.compile(r"\\d(?:[+]|\{[1-9]|(?![*?{]))")
_LITERAL = re.compile(r"(?:[^\\.^$*+?{}\[\]()|]|\\[^\w\s])+")


class _Finder:
    """`pattern.search(text) is not None`, alternative by alternative and faster (the facts are
    looked for in every description every night). The pattern matches where one of its
    alternatives does; a literal one is looked for with `in`; one that starts with `\\b` is
    first looked for without it (sre scans far faster for a literal start), and from that hit
    on with it, as dropping the `\\b` only allows more matches; one that starts with a digit
    (`\\d`) is looked for from the text's first digit on, and not at all in a text without."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.literals: list[str] = []
        # (the alternative without a leading \b, the alternative, whether it starts with \d)
        self.patterns: list[tuple[re.Pattern[str], re.Pattern[str], bool]] = []
        for alt in _alternatives(pattern.pattern) if pattern.flags == re.UNICODE else []:
            if _LITERAL.fullmatch(alt):
                self.literals.append(re.sub(r"\\(.)", r"\1", alt))
                continue
            full = re.compile(alt)
            lead = re.compile(alt[2:]) if alt.startswith("\\b") else full
            self.patterns.append((lead, full, _DIGIT_FIRST.match(lead.pattern) is not None))
        if not self.literals and not self.patterns:  # flags or an empty pattern: as it is
            self.patterns.append((pattern, pattern, False))

    def __call__(self, text: str, digit: int = 0) -> bool:
        """Whether the pattern occurs in `text`; `digit` is where its first digit (`\\d`) is, -1
        when it has none (0 when not known: search from the start)."""
        if any(literal in text for literal in self.literals):
            return True
        for lead, full, digit_first in self.patterns:
            if digit_first and digit < 0:
                continue
            hit = lead.search(text, digit if digit_first else 0)
            if hit is not None and (lead is full or full.search(text, hit.start())):
                return True
        return False


_DIGIT = re.compile(r"\d")
_FACT_FINDERS = {fact: _Finder(pattern) for fact, pattern in FACT_PATTERNS.items()}
FACT_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "included": ("leistungen", "included", "inklusive"),
    "level": ("level", "niveau", "schwierigkeit"),
    "duration": ("dauer", "duration"),
    "meeting_point": ("treffpunkt", "meeting_point", "location"),
    "drinks": ("getraenke", "allergene", "allergens", "drinks"),
    "group_size": ("gruppengroesse", "group_size", "max_participants"),
}

# The first word of a title that names the kind of course (its beginning, in lower case).
COURSE_KINDS = (
    "koch", "back", "grill", "wein", "sekt", "cocktail", "gin", "whisk", "rum", "bier", "brau",
    "sushi", "pasta", "tapas", "workshop", "kurs", "seminar", "tasting", "verkostung", "probe",
    "barista", "kaffee", "schokolad", "pralin", "käse", "brot", "dinner", "menü", "krimi",
)  # fmt: skip
_PRICE = re.compile(r"\d+(?:[,.]\d{1,2})?\s*(?:€|euro\b|eur\b)|€\s*\d", re.I)
_URL_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
_LONG_NUMBER = re.compile(r"\d{5,}")


@dataclass(frozen=True)
class CourseContent:
    """What the score reads about one course (data/marketing/scores.py gathers it)."""

    product_id: int
    name: str = ""
    description: str = ""  # shop HTML
    short_description: str = ""
    meta_title: str = ""
    meta_description: str = ""
    url_key: str = ""
    city: str = ""
    kind: str = ""  # the partner's kind of courses ("Kochschule")
    is_course: bool = True  # a product without dates is a product page (200 words suffice)
    attributes: Mapping[str, str] = field(default_factory=dict)
    images: int = 0
    upcoming_dates: int = 0  # active dates in the next 90 days
    reviews: int = 0  # approved
    average: Decimal | None = None  # of the approved reviews' votes, 1–5
    answered_share: float | None = None  # None: not known yet ("Antworten folgen")
    keyword: str | None = None  # the focus keyword (most searched query matching the course)


@dataclass(frozen=True)
class Item:
    id: str
    points: int
    earned: int
    pending: bool = False
    params: dict[str, object] = field(default_factory=dict)

    @property
    def area(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def guide(self) -> str:
        return CHECKLIST_GUIDES[self.area]

    @property
    def ok(self) -> bool:
        return not self.pending and self.earned >= self.points

    @property
    def gain(self) -> int:
        """The points this item still brings (0 when done or not judged yet)."""
        return 0 if self.pending else self.points - self.earned

    @property
    def key(self) -> str:
        """The locale key stem: score.<area>_<check>."""
        return "score." + self.id.replace(".", "_")


@dataclass(frozen=True)
class Score:
    total: int
    items: tuple[Item, ...]
    keyword: str | None = None

    @property
    def gain(self) -> int:
        return 100 - self.total

    def items_json(self) -> str:
        return json.dumps(
            [
                {"id": i.id, "points": i.points, "earned": i.earned, "pending": i.pending,
                 "params": i.params}
                for i in self.items
            ],
            ensure_ascii=False,
            sort_keys=True,
        )  # fmt: skip


def items_from_json(raw: str | None) -> tuple[Item, ...]:
    """Stored items back as Items (unknown ids of an older checklist are dropped)."""
    found = json.loads(raw or "[]")
    return tuple(
        Item(d["id"], int(d["points"]), int(d["earned"]), bool(d["pending"]), dict(d["params"]))
        for d in found
        if d.get("id") in POINTS
    )


def total(items: tuple[Item, ...]) -> int:
    possible = sum(i.points for i in items if not i.pending)
    earned = sum(i.earned for i in items if not i.pending)
    return round(earned * 100 / possible) if possible else 0


def _check(item_id: str, ok: bool, **params: object) -> Item:
    points = POINTS[item_id]
    return Item(item_id, points, points if ok else 0, params=params)


def _share(item_id: str, have: int, goal: int, **params: object) -> Item:
    """Points in proportion to how much of a countable goal is reached (3 of 5 images: 60 %)."""
    points = POINTS[item_id]
    earned = points * min(max(have, 0), goal) // goal
    return Item(item_id, points, earned, params={"have": have, "goal": goal, **params})


def _pending(item_id: str, **params: object) -> Item:
    return Item(item_id, POINTS[item_id], 0, pending=True, params=params)


# --- the checks ------------------------------------------------------------------------------


def _caps_words(title: str) -> list[str]:
    return [w for w in words_of(title) if len(w) >= 4 and w.isupper()]


def _starts_well(title: str, city: str, kind: str) -> bool:
    low = title.strip().lower()
    if city and low.startswith(city.strip().lower()):
        return True
    first = next(iter(words_of(low)), "")
    kinds = (*COURSE_KINDS, *(w[:4].lower() for w in words_of(kind) if len(w) >= 4))
    return bool(first) and first.startswith(kinds)


def title_items(c: CourseContent) -> list[Item]:
    title = " ".join(c.name.split())
    caps = _caps_words(title)
    return [
        _check("title.length", TITLE_MIN <= len(title) <= TITLE_MAX, length=len(title),
               min=TITLE_MIN, max=TITLE_MAX),
        _check("title.start", _starts_well(title, c.city, c.kind), city=c.city, kind=c.kind),
        _check("title.caps", not caps, words=", ".join(caps)),
        _check("title.price", _PRICE.search(title) is None),
    ]  # fmt: skip


def description_items(c: CourseContent, s: Structure) -> list[Item]:
    goal = COURSE_WORDS if c.is_course else PRODUCT_WORDS
    enough = s.words >= MIN_TEXT
    fre = s.readability.score
    share = round(s.long_sentence_share * 100)
    return [
        _check("description.words", s.words >= goal, words=s.words, goal=goal),
        _check("description.sentences", enough and s.long_sentence_share <= LONG_SHARE,
               share=share, long=s.long_sentences, max=round(LONG_SHARE * 100)),
        _check("description.paragraphs", enough and s.longest_paragraph <= PARAGRAPH_MAX,
               longest=s.longest_paragraph, max=PARAGRAPH_MAX),
        _check("description.headings", enough and s.longest_run <= HEADING_EVERY,
               run=s.longest_run, headings=s.headings, every=HEADING_EVERY),
        _check("description.readability", enough and fre >= READABLE, score=fre, min=READABLE),
    ]  # fmt: skip


def _readable_url_key(key: str) -> bool:
    return (
        len(key) <= URL_KEY_MAX
        and _URL_KEY.fullmatch(key) is not None
        and _LONG_NUMBER.search(key) is None
    )


def meta_items(c: CourseContent) -> list[Item]:
    mt, md = " ".join(c.meta_title.split()), " ".join(c.meta_description.split())
    return [
        _check("meta.title", META_TITLE_MIN <= len(mt) <= META_TITLE_MAX, length=len(mt),
               min=META_TITLE_MIN, max=META_TITLE_MAX),
        _check("meta.description", META_DESC_MIN <= len(md) <= META_DESC_MAX, length=len(md),
               min=META_DESC_MIN, max=META_DESC_MAX),
        _check("meta.url_key", _readable_url_key(c.url_key.strip()), url_key=c.url_key[:100]),
    ]  # fmt: skip


def facts_found(c: CourseContent, text: str) -> dict[str, bool]:
    attributes = {k.lower(): v for k, v in c.attributes.items() if v and str(v).strip()}
    low = text.lower()  # the patterns are lower case: faster than re.IGNORECASE
    first_digit = _DIGIT.search(low)
    digit = first_digit.start() if first_digit is not None else -1
    return {
        fact: _FACT_FINDERS[fact](low, digit)
        or any(code in attributes for code in FACT_ATTRIBUTES[fact])
        for fact in FACT_PATTERNS
    }


def fact_items(c: CourseContent, text: str) -> list[Item]:
    return [_check(f"facts.{fact}", ok) for fact, ok in facts_found(c, text).items()]


def review_items(c: CourseContent) -> list[Item]:
    average = c.average.quantize(Decimal("0.1")) if c.average is not None else None
    answered = (
        _pending("reviews.answered")
        if c.answered_share is None
        else _check("reviews.answered", c.answered_share >= ANSWERED,
                    share=round(c.answered_share * 100), min=round(ANSWERED * 100))
    )  # fmt: skip
    return [
        _share("reviews.count", c.reviews, REVIEWS),
        _check("reviews.average", c.reviews > 0 and average is not None and average >= AVERAGE,
               average=float(average) if average is not None else "–", min=float(AVERAGE)),
        answered,
    ]  # fmt: skip


def _stem_sequence(text: str) -> list[str]:
    return content_stems(text)


def _description_stems(s: Structure) -> list[str]:
    """`_stem_sequence(s.text)`, from the words the structure already found (the text is not
    scanned again) unless it holds entities or tags, which the keywords' plain text removes."""
    text = s.text
    if "&" in text or "<" in text:
        return content_stems(text)
    return content_stems_of_words(s.tokens)


def _occurrences(wanted: list[str], found: list[str]) -> int:
    k = len(wanted)
    if not k:
        return 0
    first = wanted[0]
    return sum(1 for i, s in enumerate(found) if s == first and found[i : i + k] == wanted)


def occurrences(keyword: str, text: str) -> int:
    """How often the keyword's words stand together in the text (stop words between ignored)."""
    return _occurrences(_stem_sequence(keyword), _stem_sequence(text))


def density(keyword: str, text: str, *, total_words: int | None = None) -> float:
    """The keyword's share of the text's words, in percent (a two-word keyword counts twice)."""
    total = len(words_of(text)) if total_words is None else total_words
    if not total:
        return 0.0
    wanted = _stem_sequence(keyword)
    return round(_occurrences(wanted, _stem_sequence(text)) * len(wanted) * 100 / total, 2)


def keyword_items(c: CourseContent, s: Structure, sequence: list[str]) -> list[Item]:
    keyword = " ".join((c.keyword or "").split())
    ids = ("keyword.title", "keyword.first_paragraph", "keyword.meta", "keyword.density")
    wanted = stems_of(keyword)
    if not wanted:
        return [_pending(i) for i in ids]

    def has(where: str) -> bool:
        return wanted <= stems_of(where)

    wanted_seq = _stem_sequence(keyword)
    found = _occurrences(wanted_seq, sequence)
    share = round(found * len(wanted_seq) * 100 / s.words, 2) if s.words else 0.0
    return [
        _check("keyword.title", has(c.name), keyword=keyword),
        _check("keyword.first_paragraph", has(s.first_paragraph), keyword=keyword),
        _check("keyword.meta", has(c.meta_description), keyword=keyword),
        _check("keyword.density", DENSITY_MIN <= share <= DENSITY_MAX, keyword=keyword,
               density=share, min=DENSITY_MIN, max=DENSITY_MAX),
    ]  # fmt: skip


def focus_stems(c: CourseContent, description_stems: Iterable[str]) -> set[str]:
    """Every stem a customer's search can meet: the course's texts, its city and its kind."""
    others = (c.name, c.short_description, c.meta_title, c.meta_description, c.city, c.kind)
    return set(description_stems) | stems_of(" ".join(others))


def focus_keyword(c: CourseContent, keywords: KeywordIndex) -> str | None:
    """The most searched query whose words all occur in the course (None: no query does)."""
    return keywords.best(focus_stems(c, _description_stems(analyse(c.description))))


def score(c: CourseContent, *, keywords: KeywordIndex | None = None) -> Score:
    """The checklist of one course and its total; with `keywords` and no keyword given, the
    focus keyword is chosen from the search log (the description is stemmed once for both)."""
    s = analyse(c.description)
    sequence = _description_stems(s)
    if c.keyword is None and keywords is not None:
        c = replace(c, keyword=keywords.best(focus_stems(c, sequence)))
    text = "\n".join([s.text, c.short_description])
    items = (
        *title_items(c),
        *description_items(c, s),
        *meta_items(c),
        *fact_items(c, text),
        _share("images.gallery", c.images, IMAGES),
        _share("dates.upcoming", c.upcoming_dates, DATES, days=DATES_DAYS),
        *review_items(c),
        *keyword_items(c, s, sequence),
    )
    keyword = " ".join(c.keyword.split()) if c.keyword else None
    return Score(total(items), items, keyword)
