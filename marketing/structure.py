"""The structure of a Magento course description: words, sentences, paragraphs, subheadings.

A description is shop HTML (Page Builder or the WYSIWYG editor) or plain text. It becomes
blocks: headings (h1–h6), paragraphs (p, div, blank-line separated text) and list items.
Sentences end at . ! ? and at the end of every block (a list item without a full stop is a
sentence of its own). Common German abbreviations ("z. B.", "ca.", "inkl.") end none.
Pure; the HTML is parsed with the standard library and never rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from marketing.readability import words_of

HEADING, PARAGRAPH, ITEM = "heading", "paragraph", "item"
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "section", "article", "blockquote", "td", "th", "dd", "dt", "tr"}
_BREAKS = {"br", "hr"}
_SKIP = {"script", "style", "template"}

# Abbreviations whose full stop ends no sentence (compared case-insensitively).
_ABBREVIATIONS = re.compile(
    r"\b(?:z\.\s?B|u\.\s?a|d\.\s?h|u\.\s?U|ca|bzw|inkl|zzgl|evtl|ggf|usw|etc|Nr|Std|Min|max|min"
    r"|Tel|Str|vgl|bspw|sog|geb|Dr|Prof|St)\.",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'“”»«)]*\s+")
_NUMBER_DOT = re.compile(r"(\d)\.(?=\s)")  # "am 3. Mai" is no sentence end
_BLANK_LINES = re.compile(r"\n\s*\n")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")

LONG_SENTENCE = 20  # words


@dataclass(frozen=True)
class Block:
    kind: str  # HEADING, PARAGRAPH or ITEM
    text: str

    @property
    def words(self) -> int:
        return len(words_of(self.text))


class _Blocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._parts: list[str] = []
        self._kind = PARAGRAPH
        self._skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._parts).split())
        if text:
            for i, part in enumerate(_BLANK_LINES.split("".join(self._parts))):
                piece = " ".join(part.split())
                if not piece:
                    continue
                if _MARKDOWN_HEADING.match(part.strip()):  # a plain-text "## Heading"
                    self.blocks.append(Block(HEADING, _MARKDOWN_HEADING.sub("", part.strip())))
                else:
                    self.blocks.append(Block(self._kind if i == 0 else PARAGRAPH, piece))
        self._parts = []
        self._kind = PARAGRAPH

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _HEADINGS or tag in _BLOCKS or tag == "li" or tag in {"ul", "ol"}:
            self._flush()
            self._kind = HEADING if tag in _HEADINGS else ITEM if tag == "li" else PARAGRAPH
        elif tag in _BREAKS:
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADINGS or tag in _BLOCKS or tag in {"li", "ul", "ol"}:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def blocks(markup: str | None) -> list[Block]:
    """The description's headings, paragraphs and list items in reading order."""
    parser = _Blocks()
    parser.feed(markup or "")
    parser.close()
    return parser.blocks


def sentences(text: str) -> list[str]:
    """A block's sentences (at least the block itself when it has words)."""
    guarded = _NUMBER_DOT.sub(r"\1·", _ABBREVIATIONS.sub(lambda m: m[0].replace(".", "·"), text))
    parts = [p.strip().replace("·", ".") for p in _SENTENCE_END.split(guarded)]
    return [p for p in parts if words_of(p)]


@dataclass(frozen=True)
class Structure:
    blocks: tuple[Block, ...]
    sentence_lengths: tuple[int, ...]  # words per sentence, headings excluded
    sentence_texts: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(b.words for b in self.blocks)

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)

    @property
    def long_sentences(self) -> int:
        return sum(1 for n in self.sentence_lengths if n > LONG_SENTENCE)

    @property
    def long_sentence_share(self) -> float:
        """Share (0–1) of sentences over 20 words."""
        return self.long_sentences / len(self.sentence_lengths) if self.sentence_lengths else 0.0

    @property
    def paragraph_lengths(self) -> tuple[int, ...]:
        return tuple(b.words for b in self.blocks if b.kind == PARAGRAPH)

    @property
    def longest_paragraph(self) -> int:
        return max(self.paragraph_lengths, default=0)

    @property
    def headings(self) -> int:
        return sum(1 for b in self.blocks if b.kind == HEADING)

    @property
    def longest_run(self) -> int:
        """The most words in a row without a subheading between them."""
        longest = run = 0
        for block in self.blocks:
            run = 0 if block.kind == HEADING else run + block.words
            longest = max(longest, run)
        return longest

    @property
    def first_paragraph(self) -> str:
        return next((b.text for b in self.blocks if b.kind != HEADING), "")


def analyse(markup: str | None) -> Structure:
    found = tuple(blocks(markup))
    texts = [s for b in found if b.kind != HEADING for s in sentences(b.text)]
    return Structure(found, tuple(len(words_of(s)) for s in texts), tuple(texts))
