"""The Qualitäts-Score checklist: a course that does everything right scores 100, and every
item fails on its own when its one thing is missing (fixed German texts with known counts)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from marketing.guides import CHECKLIST_GUIDES, GUIDES
from marketing.score import (
    POINTS,
    CourseContent,
    density,
    items_from_json,
    occurrences,
    score,
)
from marketing.structure import analyse

# Short sentences, short words: easy to read. 10 words a sentence.
_SENT = "Im Kochkurs kochen wir frische Pasta mit viel Freude."
_PLAIN = "Wir lachen viel und jeder darf hier gern etwas fragen."
_LONG = (
    "Wir lachen viel und jeder darf hier gern etwas fragen und wir kochen dann alle mit viel "
    "Spaß und guter Laune."
)  # 21 words
_HARD = (
    "Unterhaltsamkeit garantiert abwechslungsreiche Kochveranstaltungen für wissbegierige "
    "Teilnehmende mit außergewöhnlichen Erwartungen."
)  # 10 long words


def _paragraph(sentences: int, *, lead: str = _PLAIN) -> str:
    return "<p>" + " ".join([lead] * sentences) + "</p>"


FACTS = (
    "<ul><li>Inklusive: alle Zutaten und Rezepte</li><li>Für Anfänger ohne Vorkenntnisse</li>"
    "<li>Dauer: ca. 3 Stunden</li><li>Treffpunkt: Hafenstraße 1, 20457 Hamburg</li>"
    "<li>Getränke inklusive, Allergien bitte vorher nennen</li>"
    "<li>Gruppengröße: bis zu 12 Personen</li></ul>"
)
# An intro sentence, 4 paragraphs of 4 sentences, a heading, 4 more, a heading, the facts and
# a closing paragraph: every 10 words a sentence, paragraphs of 40 words, 170 words a section.
SECTION = _paragraph(4) * 4
DESCRIPTION = (
    _paragraph(1, lead=_SENT)
    + SECTION
    + "<h2>Was Sie erwartet</h2>"
    + SECTION
    + "<h2>Gut zu wissen</h2>"
    + FACTS
    + _paragraph(2, lead=_SENT)
)
META = (
    "Kochkurs in Hamburg: frische Pasta für Anfänger, kleine Gruppe, Zutaten und Getränke "
    "inklusive. Jetzt Termin wählen und sichern."
)
GOOD = CourseContent(
    product_id=1,
    name="Kochkurs in Hamburg: frische Pasta wie in Italien",
    description=DESCRIPTION,
    meta_title="Kochkurs Pasta in Hamburg | Miomente",
    meta_description=META,
    url_key="kochkurs-pasta-hamburg",
    city="Hamburg",
    kind="Kochschule",
    images=6,
    upcoming_dates=4,
    reviews=5,
    average=Decimal("4.6"),
    answered_share=1.0,
    keyword="kochkurs",
)


def _item(content: CourseContent, item_id: str):  # type: ignore[no-untyped-def]
    return next(i for i in score(content).items if i.id == item_id)


def test_the_points_add_up_to_100_and_every_item_has_a_guide() -> None:
    assert sum(POINTS.values()) == 100
    for item_id in POINTS:
        assert CHECKLIST_GUIDES[item_id.split(".")[0]] in GUIDES


def test_the_fixed_description_has_known_counts() -> None:
    s = analyse(DESCRIPTION)
    assert s.words == 9 + 160 + 3 + 160 + 3 + 25 + 18
    assert s.headings == 2 and s.longest_run == 9 + 160 and s.longest_paragraph == 40
    assert s.long_sentences == 0


def test_a_course_that_does_everything_right_scores_100() -> None:
    found = score(GOOD)
    missing = [(i.id, i.params) for i in found.items if not i.ok]
    assert missing == []
    assert found.total == 100 and found.keyword == "kochkurs"


# item id -> a change of the good course that fails exactly that item.
FAILS: dict[str, dict[str, object]] = {
    "title.length": {"name": "Kochkurs Pasta"},
    "title.start": {"name": "Frische Pasta wie in Italien: ein Kochkurs in Hamburg"},
    "title.caps": {"name": "Kochkurs in Hamburg: frische PASTA wie in Italien"},
    "title.price": {"name": "Kochkurs in Hamburg: frische Pasta für 89 €"},
    "description.words": {"description": DESCRIPTION.replace(SECTION + "<h2>Gut", "<h2>Gut")},
    # 11 of 41 sentences over 20 words: 27 %
    "description.sentences": {"description": DESCRIPTION.replace(_PLAIN, _LONG, 11)},
    "description.paragraphs": {"description": DESCRIPTION.replace(
        _paragraph(4), _paragraph(16), 1)},
    "description.headings": {"description": DESCRIPTION.replace("<h2>Was Sie erwartet</h2>",
                                                                "")},
    "description.readability": {"description": DESCRIPTION.replace(_PLAIN, _HARD)},
    "meta.title": {"meta_title": ""},
    "meta.description": {"meta_description": "Kochkurs in Hamburg."},
    "meta.url_key": {"url_key": "produkt-1234567"},
    "facts.included": {"description": DESCRIPTION.replace(
        "<li>Inklusive: alle Zutaten und Rezepte</li>", "").replace("Getränke inklusive, ", "")},
    "facts.level": {"description": DESCRIPTION.replace(
        "<li>Für Anfänger ohne Vorkenntnisse</li>", "")},
    "facts.duration": {"description": DESCRIPTION.replace("<li>Dauer: ca. 3 Stunden</li>", "")},
    "facts.meeting_point": {"description": DESCRIPTION.replace(
        "<li>Treffpunkt: Hafenstraße 1, 20457 Hamburg</li>", "")},
    "facts.drinks": {"description": DESCRIPTION.replace(
        "<li>Getränke inklusive, Allergien bitte vorher nennen</li>", "")},
    "facts.group_size": {"description": DESCRIPTION.replace(
        "<li>Gruppengröße: bis zu 12 Personen</li>", "")},
    "images.gallery": {"images": 3},
    "dates.upcoming": {"upcoming_dates": 1},
    "reviews.count": {"reviews": 2},
    "reviews.average": {"average": Decimal("3.9")},
    "reviews.answered": {"answered_share": 0.5},
    "keyword.title": {"name": "Pasta-Werkstatt in Hamburg: frisch wie in Italien"},
    "keyword.first_paragraph": {"description": DESCRIPTION.replace(_SENT, _PLAIN, 1)},
    "keyword.meta": {"meta_description": META.replace("Kochkurs", "Pastakurs")},
    "keyword.density": {"description": DESCRIPTION.replace(  # 99 of 378 words: 26 %
        _PLAIN, "Der Kochkurs macht Spaß und der Kochkurs ist ein guter Kochkurs.")},
}  # fmt: skip


def test_every_item_has_a_failing_case() -> None:
    assert set(FAILS) == set(POINTS)


@pytest.mark.parametrize("item_id", sorted(FAILS))
def test_each_item_fails_alone(item_id: str) -> None:
    bad = dataclasses.replace(GOOD, **FAILS[item_id])  # type: ignore[arg-type]
    found = score(bad)
    failing = [i.id for i in found.items if not i.ok]
    assert failing == [item_id]
    item = _item(bad, item_id)
    assert item.gain > 0 and found.total < 100
    assert item.guide == CHECKLIST_GUIDES[item_id.split(".")[0]]


def test_partial_points_for_images_and_dates() -> None:
    images = _item(dataclasses.replace(GOOD, images=3), "images.gallery")
    assert (images.earned, images.gain, images.params["have"]) == (6, 4, 3)
    dates = _item(dataclasses.replace(GOOD, upcoming_dates=0), "dates.upcoming")
    assert (dates.earned, dates.gain) == (0, 8)


def test_product_pages_need_200_words_only() -> None:
    short = DESCRIPTION.replace(SECTION + "<h2>Gut", "<h2>Gut")
    words = analyse(short).words
    assert 200 <= words < 300
    assert not _item(dataclasses.replace(GOOD, description=short), "description.words").ok
    page = dataclasses.replace(GOOD, description=short, is_course=False)
    assert _item(page, "description.words").ok


def test_facts_from_attributes() -> None:
    bare = dataclasses.replace(GOOD, description=DESCRIPTION.replace(FACTS, ""))
    assert not _item(bare, "facts.level").ok
    assert _item(dataclasses.replace(bare, attributes={"level": "Anfänger"}), "facts.level").ok


def test_unknown_answers_and_keyword_leave_the_total() -> None:
    answers_pending = score(dataclasses.replace(GOOD, answered_share=None))
    pending = [i for i in answers_pending.items if i.pending]
    assert [i.id for i in pending] == ["reviews.answered"] and pending[0].gain == 0
    assert answers_pending.total == 100  # judged on the other 97 points
    without = score(dataclasses.replace(GOOD, keyword=None, images=0))
    assert {i.id for i in without.items if i.pending} == {
        "keyword.title", "keyword.first_paragraph", "keyword.meta", "keyword.density"
    }  # fmt: skip
    assert without.total == round(82 * 100 / 92)


def test_an_empty_course_scores_low_and_round_trips_through_json() -> None:
    empty = score(CourseContent(product_id=9))
    assert empty.total < 20
    assert items_from_json(empty.items_json()) == empty.items


def test_keyword_occurrences_and_density_use_stems() -> None:
    text = "Unsere Weinprobe in Hamburg. Weinproben in Hamburg sind beliebt. Eine Probe."
    assert occurrences("weinprobe hamburg", text) == 2
    assert density("weinprobe hamburg", text) == pytest.approx(
        2 * 2 * 100 / 11, abs=0.01
    )  # 11 words
    assert density("kochkurs", "") == 0.0
