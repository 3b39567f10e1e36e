"""German Flesch–Amstad against hand-computed values, and the syllable count."""

from __future__ import annotations

import pytest

from marketing.readability import flesch_amstad, readability, syllables


@pytest.mark.parametrize(
    ("word", "count"),
    [
        ("Hund", 1),
        ("Katze", 2),
        ("schläft", 1),
        ("Weinprobe", 3),  # ei is one sound
        ("Kochkurs", 2),
        ("Teilnehmerzahl", 4),
        ("Allergien", 3),  # al-ler-gien: "ie" one group
        ("Zubereitung", 4),
        ("Tsk", 1),  # no vowel: still one
    ],
)
def test_syllables(word: str, count: int) -> None:
    assert syllables(word) == count


def test_two_short_sentences() -> None:
    # 6 words, 2 sentences, 7 syllables: 180 − 3 − 58.5 × 7/6 = 108.75
    found = readability(["Der Hund bellt.", "Die Katze schläft."])
    assert (found.words, found.sentences, found.syllables) == (6, 2, 7)
    assert found.score == pytest.approx(108.8, abs=0.05)


def test_a_long_sentence_with_long_words() -> None:
    # Die(1) Teil-neh-mer-zahl(4) un-se-rer(3) Koch-ver-an-stal-tun-gen(6) ist(1) be-grenzt(2):
    # 6 words, 1 sentence, 17 syllables: 180 − 6 − 58.5 × 17/6 = 8.25
    sentence = "Die Teilnehmerzahl unserer Kochveranstaltungen ist begrenzt."
    found = readability([sentence])
    assert (found.words, found.syllables) == (6, 17)
    assert flesch_amstad([sentence]) == pytest.approx(8.2, abs=0.051)


def test_no_words_is_zero() -> None:
    assert flesch_amstad([]) == 0.0
    assert flesch_amstad(["…", "123"]) == 0.0
