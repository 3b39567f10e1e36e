"""The structure of a Magento description: blocks, sentences, paragraphs and subheadings."""

from __future__ import annotations

from marketing.structure import HEADING, ITEM, PARAGRAPH, analyse, blocks, sentences


def test_html_becomes_headings_paragraphs_and_items() -> None:
    markup = (
        "<h2>Kurs</h2><p>Erster Satz. Zweiter &amp; letzter Satz.</p>"
        "<ul><li>Dauer: 3 Stunden</li><li>Getränke</li></ul><script>alert(1)</script>Rest"
    )
    found = blocks(markup)
    assert [(b.kind, b.text) for b in found] == [
        (HEADING, "Kurs"),
        (PARAGRAPH, "Erster Satz. Zweiter & letzter Satz."),
        (ITEM, "Dauer: 3 Stunden"),
        (ITEM, "Getränke"),
        (PARAGRAPH, "Rest"),
    ]


def test_plain_text_with_blank_lines_and_markdown_headings() -> None:
    found = blocks("Ein Absatz.\n\n## Überschrift\n\nNoch ein Absatz.")
    assert [b.kind for b in found] == [PARAGRAPH, HEADING, PARAGRAPH]


def test_abbreviations_and_ordinals_end_no_sentence() -> None:
    text = "Wir kochen z. B. Pasta am 3. Mai. Es gibt ca. zehn Plätze! Kommen Sie?"
    assert sentences(text) == [
        "Wir kochen z. B. Pasta am 3. Mai.",
        "Es gibt ca. zehn Plätze!",
        "Kommen Sie?",
    ]


def test_counts_long_sentences_paragraphs_and_runs_without_headings() -> None:
    long_sentence = " ".join(["Wort"] * 21) + "."
    short = "Kurz und gut."
    paragraph = " ".join([short] * 60)  # 180 words
    markup = f"<p>{long_sentence} {short} {short} {short}</p><h2>Mehr</h2><p>{paragraph}</p>"
    s = analyse(markup)
    assert s.words == 21 + 9 + 1 + 180  # the heading counts too
    assert s.long_sentences == 1 and s.long_sentence_share == 1 / 64
    assert s.paragraph_lengths == (30, 180) and s.longest_paragraph == 180
    assert s.headings == 1 and s.longest_run == 180
    assert s.first_paragraph.startswith("Wort Wort")
