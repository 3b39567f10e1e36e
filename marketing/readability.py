"""German readability: the Flesch reading ease as adapted by Toni Amstad (1978), pure.

    FRE = 180 − ASL − 58,5 × ASW

ASL is the average sentence length in words, ASW the average number of syllables per word.
60 and above reads as "mittelschwer" or easier: what a course page should aim for. A German
syllable is counted as a group of vowels (a, e, i, o, u, ä, ö, ü, y): "Kochkurs" 2,
"Schläft" 1, "Weinprobe" 3 ("ei" is one sound). Diphthongs and long vowels (ei, ie, au, eu,
äu, aa, ee, oo) are one group by construction; rare hiatus words ("Museum") count one too few,
which the formula's coarse scale absorbs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_VOWEL_GROUP = re.compile(r"[aeiouyäöü]+", re.IGNORECASE)
# A word: letters of any script, joined by inner hyphens or apostrophes ("Pasta-Kurs" is one).
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def syllables(word: str) -> int:
    """Syllables of one German word (at least 1)."""
    return max(1, len(_VOWEL_GROUP.findall(word)))


def words_of(text: str) -> list[str]:
    return WORD.findall(text)


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def asl(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def asw(self) -> float:
        return self.syllables / self.words if self.words else 0.0

    @property
    def score(self) -> float:
        """Flesch–Amstad, one decimal; 0.0 for a text without words."""
        if not self.words:
            return 0.0
        return round(180 - self.asl - 58.5 * self.asw, 1)


_NO_VOWEL_WORD = re.compile(r"(?<!\S)[^\saeiouyäöüAEIOUYÄÖÜ]+(?!\S)")
# German text repeats its words: the nightly 20,000 descriptions hold far fewer distinct words
# than words, so a word's count is looked up, not matched again (bounded: ~7 MB when full).
WORDS_CACHED = 1 << 16


@lru_cache(maxsize=WORDS_CACHED)
def counted_syllables(word: str) -> int:
    """The syllables `readability` counts for one word: its vowel groups, one without any.

    The same as `syllables` but for "ı" and "İ" (Turkish i), which the case-blind vowel class
    matches and the no-vowel pattern does not name: such a word counts one more, as it always
    has in the score; kept so stored scores do not change.
    """
    return len(_VOWEL_GROUP.findall(word)) + len(_NO_VOWEL_WORD.findall(word))


def syllables_of(words: Iterable[str]) -> int:
    """The syllables of words, as `readability` counts them."""
    return sum(map(counted_syllables, words))


def readability(sentences: Sequence[str]) -> Readability:
    """The reading ease of a text already split into sentences (marketing/structure.py)."""
    # Vowel groups never span a space and a word holds none, so counting word by word gives
    # what one pass over the words joined by spaces gives (marketing/structure.py counts the
    # words of each sentence once and adds them up the same way).
    words = words_of(" ".join(sentences))
    return Readability(
        words=len(words),
        sentences=sum(1 for sentence in sentences if WORD.search(sentence)),
        syllables=syllables_of(words),
    )


def flesch_amstad(sentences: Sequence[str]) -> float:
    return readability(sentences).score
