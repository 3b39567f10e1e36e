"""The focus keyword: the most searched query whose every word the course's texts hold."""

from __future__ import annotations

from marketing.focus import KeywordIndex
from marketing.keywords import SearchTerm, stems_of
from marketing.score import CourseContent, focus_keyword, score

INDEX = KeywordIndex(
    [SearchTerm("kochkurs", 50, 3), SearchTerm("kochkurs hamburg", 80, 2),
     SearchTerm("sushi", 999, 1), SearchTerm("der", 5000, 9)]
)  # fmt: skip


def test_the_most_searched_complete_match_wins() -> None:
    assert INDEX.best(stems_of("Kochkurs in Hamburg")) == "kochkurs hamburg"
    assert INDEX.best(stems_of("Kochkurs in Köln")) == "kochkurs"
    assert INDEX.best(stems_of("Weinprobe")) is None  # "der" is a stop word: never a keyword


def test_the_city_and_kind_count_as_the_courses_words() -> None:
    course = CourseContent(1, name="Pasta-Abend", description="<p>Ein Kochkurs.</p>",
                           city="Hamburg")  # fmt: skip
    assert focus_keyword(course, INDEX) == "kochkurs hamburg"
    found = score(course, keywords=INDEX)
    assert found.keyword == "kochkurs hamburg"
    given = score(CourseContent(1, description="<p>Sushi</p>", keyword="sushi"), keywords=INDEX)
    assert given.keyword == "sushi"  # a given keyword is kept
