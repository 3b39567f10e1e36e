"""marketing/keywords.py on fixed German texts: words, stop words, stems, TF-IDF, search ideas."""

from __future__ import annotations

import itertools
import math

from marketing.keywords import (
    SearchTerm,
    analyse,
    idf,
    peer_terms,
    search_ideas,
    stem,
    stems_of,
    words,
)

OWN = analyse(
    "Pasta-Kurs in Hamburg",
    "<p>Frische <b>Pasta</b> von Hand: Tagliatelle mit Salbeibutter &amp; Parmesan.</p>",
)
RAVIOLI = analyse("Ravioli und Gnocchi", "Wir füllen Ravioli, formen Gnocchi und kochen Saucen.")
WERKSTATT = analyse("Italienische Pasta-Werkstatt", "Ravioli, Tagliatelle und eine Sauce.")
TAPAS = analyse("Spanischer Tapas-Abend", "Tapas, Tortilla und eine Sauce zum Wein.")
PEERS = [RAVIOLI, WERKSTATT, TAPAS]
CORPUS = [OWN, *PEERS]


def test_words_drop_html_stop_words_numbers_and_short_words() -> None:
    text = "<p>Ein Kurs für 2 Personen: Sie kochen 3 Gänge &amp; wir essen.</p>"
    assert words(text) == ["kochen", "Gänge", "essen"]


def test_german_stems_join_inflected_forms() -> None:
    assert stem("ravioli") == stem("ravioli")
    assert stem("saucen") == stem("sauce") == "sauc"
    assert stem("pralinen") == stem("praline")
    assert stem("küche") == stem("küchen")
    assert stems_of("Frankfurt am Main") == {"frankfurt", "main"}


def test_a_document_counts_stems_and_keeps_the_spelling() -> None:
    assert OWN.counts[stem("pasta")] == 2
    assert RAVIOLI.counts["sauc"] == 1
    assert RAVIOLI.spellings["sauc"] == {"Saucen": 1}
    assert not OWN.has(stem("und")) and not OWN.has("von")


def test_idf_is_the_smoothed_inverse_document_frequency() -> None:
    weights = idf(CORPUS)
    # "Sauce" in 3 of 4 documents, "Tapas" in 1: ln(5/4)+1 and ln(5/2)+1.
    assert math.isclose(weights["sauc"], math.log(5 / 4) + 1)
    assert math.isclose(weights[stem("tapas")], math.log(5 / 2) + 1)


def test_peer_terms_rank_what_similar_courses_share_and_this_one_lacks() -> None:
    terms = peer_terms(OWN, PEERS, CORPUS, limit=5)
    found = [t.word for t in terms]
    # Ravioli: twice in one text and once in another; Sauce: in all three but common in the
    # catalogue (lower IDF); Tapas and Gnocchi: twice in one text each. "Saucen" and "Sauce"
    # are one stem, shown as most similar courses write it.
    assert found[:4] == ["Ravioli", "Sauce", "Tapas", "Gnocchi"]
    # Never a word this course already has, never a stop word.
    assert not {"Pasta", "Tagliatelle", "und", "eine"} & set(found)
    ravioli = terms[0]
    assert ravioli.courses == 2 and ravioli.stem == "ravioli"
    assert all(a.score >= b.score for a, b in itertools.pairwise(terms))


def test_with_four_similar_courses_a_word_needs_two_of_them() -> None:
    sushi = analyse("Sushi für Einsteiger", "Reis, Nori und eine Sauce.")
    terms = peer_terms(OWN, [*PEERS, sushi], [*CORPUS, sushi], limit=20)
    assert {t.word for t in terms} >= {"Ravioli", "Sauce"}
    assert "Tortilla" not in {t.word for t in terms} and "Nori" not in {t.word for t in terms}


def test_other_cities_are_never_proposed() -> None:
    munich = analyse("Pasta in München", "Ravioli und Gnocchi in München")
    terms = peer_terms(OWN, [munich], [OWN, munich], exclude=stems_of("München"))
    assert "München" not in {t.word for t in terms} and "Ravioli" in {t.word for t in terms}


def test_search_ideas_are_queries_that_find_similar_courses_but_not_this_text() -> None:
    queries = [
        SearchTerm("ravioli", 80, 4),
        SearchTerm("Pasta", 200, 9),  # this course has it: no idea
        SearchTerm("gnocchi ravioli", 60, 2),
        SearchTerm("tapas", 40, 1),
        SearchTerm("sushi", 500, 3),  # no similar course has it
        SearchTerm("und", 900, 50),  # only a stop word
        SearchTerm("pasta münchen", 90, 2),
    ]
    ideas = search_ideas(OWN, PEERS, queries)
    assert [(i.query, i.missing, i.popularity, i.courses) for i in ideas] == [
        ("ravioli", ("ravioli",), 80, 2),
        ("gnocchi ravioli", ("gnocchi", "ravioli"), 60, 1),
        ("tapas", ("tapas",), 40, 1),
    ]


def test_a_query_naming_another_city_is_no_idea() -> None:
    munich = analyse("Ravioli in München")
    queries = [SearchTerm("ravioli münchen", 90, 2), SearchTerm("ravioli", 10, 2)]
    ideas = search_ideas(OWN, [munich], queries, exclude=stems_of("München"))
    assert [i.query for i in ideas] == ["ravioli"]
