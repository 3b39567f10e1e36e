"""German keyword ideas from course texts and the shop's search log: pure, no I/O.

A text becomes a `Document`: its words without HTML, German stop words and numbers, each
reduced to its Snowball stem ("Pralinen" and "Praline" both count as "pralin"), with the
most frequent spelling kept for display. Two kinds of ideas come out of documents:

- `search_ideas`: search queries that lead to similar courses (every stem of the query is in
  the course's document) but use words this course's text lacks, by search popularity;
- `peer_terms`: words similar courses use and this course does not, by TF-IDF: frequent in
  similar courses (TF) and rare in the catalogue (IDF), so "Kurs" or "Sie" never win.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import chain

import snowballstemmer

# Letters only (any script): "Pasta-Werkstatt" is two words, "4-Gänge" keeps "gänge".
_WORD = re.compile(r"[^\W\d_]+")
_TAG = re.compile(r"<[^>]*>")
MIN_LENGTH = 3

# German function words (articles, pronouns, prepositions, conjunctions, auxiliaries, common
# adverbs) and words every course page has; compared in lower case before stemming.
_STOP_WORDS = """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes anders auch auf aus bei beim bin bis bist da dabei damit dann das dass dein deine
    dem den denn der des dessen dich die dies diese diesem diesen dieser dieses dir doch dort
    du durch ein eine einem einen einer eines einig einige einigem einigen einiger einiges
    einmal er es etwas euch euer eure für gegen gewesen hab habe haben hat hatte hatten hier
    hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem ins ist jede
    jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen
    keiner keines können könnte machen man manche manchem manchen mancher manches mein meine
    mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen
    seiner seines selbst sich sie sind so solche solchem solchen solcher solches soll sollte
    sondern sonst über um und uns unser unsere unter viel vom von vor während war waren warst
    was weg weil weiter welche welchem welchen welcher welches wenn werde werden wie wieder
    will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen ca bzw inkl
    inklusive ab je pro mehr bzw etc uhr
    eins zwei drei vier fünf sechs sieben acht neun zehn erste ersten zweite beide beiden
    groß große großen großer kleine kleinen kleiner gut gute guten neue neuen direkt direkten
    ganz ganze immer schon heute gerne gern unsere unserer unseren unserem
    miomente kurs kurse termin termine person personen
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


@cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("german")


@cache
def stem(word: str) -> str:
    """The Snowball German stem of a lower-case word."""
    return str(_stemmer().stemWord(word))


def plain_text(markup: str | None) -> str:
    """Shop HTML as text: tags become spaces, entities characters."""
    return html.unescape(_TAG.sub(" ", markup or ""))


def words(text: str | None) -> list[str]:
    """The content words of `text` as written: no stop words, numbers or very short words."""
    return [
        w
        for w in _WORD.findall(plain_text(text))
        if len(w) >= MIN_LENGTH and w.lower() not in STOP_WORDS
    ]


@lru_cache(maxsize=1 << 16)  # German text repeats its words (bounded: ~7 MB when full)
def _content_stem(word: str) -> str | None:
    """The stem of a word as written; None for a stop word or a very short one."""
    low = word.lower()
    return stem(low) if len(word) >= MIN_LENGTH and low not in STOP_WORDS else None


def content_stems(text: str | None) -> list[str]:
    """The stems of `text`'s content words in order: `[stem(w.lower()) for w in words(text)]`,
    each word written once looked up, not lowered, filtered and stemmed again."""
    return [s for s in map(_content_stem, _WORD.findall(plain_text(text))) if s is not None]


@lru_cache(maxsize=1 << 16)  # the same for a word with its hyphens ("Pasta-Kurs")
def _word_stems(word: str) -> tuple[str, ...]:
    return tuple(content_stems(word))


def content_stems_of_words(found: Iterable[str]) -> list[str]:
    """`content_stems(" ".join(found))` for words as marketing.readability.words_of finds them
    (letters, inner "-" or "'": "Pasta-Kurs" gives pasta, kurs), each looked up once. For a
    text without "&" and "<", whose plain text is itself, the same as `content_stems(text)`
    of the text they were found in: the letter runs of its words are its letter runs."""
    return list(chain.from_iterable(map(_word_stems, found)))


@dataclass(frozen=True)
class Document:
    """A text as stems: how often each occurs and how it was written."""

    counts: Counter[str] = field(default_factory=Counter)
    spellings: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def length(self) -> int:
        return sum(self.counts.values())

    def has(self, stem_: str) -> bool:
        return stem_ in self.counts


def stems_of(text: str | None) -> frozenset[str]:
    """The stems of a short text (a city's name: "Frankfurt am Main" -> frankfurt, main)."""
    return frozenset(content_stems(text))


def analyse(*texts: str | None) -> Document:
    """One document from several texts (name, description, meta fields, …)."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        for word in words(text):
            key = stem(word.lower())
            counts[key] += 1
            spellings.setdefault(key, Counter())[word] += 1
    return Document(counts, spellings)


def combine(*documents: Document) -> Document:
    """One document holding the words of several (a course's text plus its city and kind)."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for doc in documents:
        counts.update(doc.counts)
        for key, seen in doc.spellings.items():
            spellings.setdefault(key, Counter()).update(seen)
    return Document(counts, spellings)


def _display(stem_: str, documents: Iterable[Document]) -> str:
    """The most frequent spelling of a stem across documents (ties: alphabetical)."""
    seen: Counter[str] = Counter()
    for doc in documents:
        seen.update(doc.spellings.get(stem_, {}))
    if not seen:
        return stem_
    return min(seen.items(), key=lambda item: (-item[1], item[0]))[0]


# --- words similar courses use ---------------------------------------------------------------


@dataclass(frozen=True)
class PeerTerm:
    word: str  # as similar courses write it
    stem: str
    score: float  # mean TF-IDF weight over the similar courses
    courses: int  # how many similar courses use it


def idf(corpus: Sequence[Document]) -> dict[str, float]:
    """Smoothed inverse document frequency: ln((1 + N) / (1 + df)) + 1."""
    df: Counter[str] = Counter()
    for doc in corpus:
        df.update(doc.counts.keys())
    n = len(corpus)
    return {key: math.log((1 + n) / (1 + count)) + 1 for key, count in df.items()}


def _weights(doc: Document, weights_idf: dict[str, float]) -> dict[str, float]:
    """A document's TF-IDF vector, L2-normalised so a long text does not outweigh short ones."""
    length = doc.length or 1
    raw = {k: c / length * weights_idf.get(k, 1.0) for k, c in doc.counts.items()}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {k: v / norm for k, v in raw.items()}


def peer_terms(
    own: Document,
    peers: Sequence[Document],
    corpus: Sequence[Document],
    *,
    limit: int = 15,
    min_courses: int | None = None,
    exclude: frozenset[str] = frozenset(),
) -> list[PeerTerm]:
    """Words the similar courses use and `own` lacks, best TF-IDF first.

    `corpus` is the catalogue the rarity is measured in (it should contain the peers).
    A word must be used by `min_courses` similar courses (default: 2 when there are four or
    more, else 1), so one course's odd word does not become advice. Stems in `exclude`
    (other cities' names) are never proposed.
    """
    if not peers:
        return []
    needed = min_courses if min_courses is not None else (2 if len(peers) >= 4 else 1)
    weights_idf = idf(corpus)
    total: dict[str, float] = {}
    used: Counter[str] = Counter()
    for doc in peers:
        for key, weight in _weights(doc, weights_idf).items():
            if not own.has(key) and key not in exclude:
                total[key] = total.get(key, 0.0) + weight
                used[key] += 1
    ranked = sorted(
        (key for key in total if used[key] >= needed),
        key=lambda key: (-total[key], key),
    )
    return [
        PeerTerm(_display(key, peers), key, round(total[key] / len(peers), 6), used[key])
        for key in ranked[:limit]
    ]


# --- what customers search -------------------------------------------------------------------


@dataclass(frozen=True)
class SearchTerm:
    text: str
    popularity: int
    results: int


@dataclass(frozen=True)
class SearchIdea:
    query: str  # as customers typed it
    missing: tuple[str, ...]  # its words this course's text lacks
    popularity: int
    results: int
    courses: int  # similar courses the query leads to


def search_ideas(
    own: Document,
    peers: Sequence[Document],
    queries: Iterable[SearchTerm],
    *,
    limit: int = 15,
    exclude: frozenset[str] = frozenset(),
) -> list[SearchIdea]:
    """Queries that find similar courses but miss words of this course, most searched first.

    A query with a stem in `exclude` (another city's name) is no idea for this course.
    """
    peer_stems = [set(doc.counts) for doc in peers]
    ideas: list[SearchIdea] = []
    for query in queries:
        terms = {stem(w.lower()): w.lower() for w in words(query.text)}
        if not terms or not exclude.isdisjoint(terms):
            continue
        leads_to = sum(1 for stems in peer_stems if terms.keys() <= stems)
        missing = tuple(word for key, word in terms.items() if not own.has(key))
        if leads_to and missing:
            ideas.append(
                SearchIdea(query.text.strip(), missing, query.popularity, query.results, leads_to)
            )
    ideas.sort(key=lambda i: (-i.popularity, -i.courses, i.query.lower()))
    return ideas[:limit]
