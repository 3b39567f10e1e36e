"""The structure of a Magento course description: words, sentences, paragraphs, subheadings.

A description is shop HTML (Page Builder or the WYSIWYG editor) or plain text. It becomes
blocks: headings (h1–h6), paragraphs (p, div, blank-line separated text) and list items.
Sentences end at . ! ? and at the end of every block (a list item without a full stop is a
sentence of its own). Common German abbreviations ("z. B.", "ca.", "inkl.") end none.
Pure; the HTML is parsed with the standard library and never rendered.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from marketing.readability import Readability, syllables_of, words_of

HEADING, PARAGRAPH, ITEM = "heading", "paragraph", "item"
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "section", "article", "blockquote", "td", "th", "dd", "dt", "tr"}
_BREAKS = {"br", "hr"}
_SKIP = {"script", "style", "template"}

# Abbreviations whose full stop ends no sentence ("z. B." is "z." and "B."), in lower case.
ABBREVIATIONS = frozenset((
    "z", "b", "u", "a", "d", "h", "ca", "bzw", "inkl", "zzgl", "evtl", "ggf", "usw", "etc", "nr",
    "std", "min", "max", "tel", "str", "vgl", "bspw", "sog", "geb", "dr", "prof", "st",
))  # fmt: skip
_SHORT_WORD_DOT = re.compile(r"(?<![^\W\d_])([^\W\d_]{1,4})\.")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'“”»«)]*\s+")
_NUMBER_DOT = re.compile(r"(\d)\.(?=\s)")  # "am 3. Mai" is no sentence end
_BLANK_LINES = re.compile(r"\n\s*\n")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")

LONG_SENTENCE = 20  # words


@dataclass(frozen=True)
class Block:
    kind: str  # HEADING, PARAGRAPH or ITEM
    text: str
    words: int = -1  # counted once, when the block is made

    def __post_init__(self) -> None:
        if self.words < 0:
            object.__setattr__(self, "words", len(words_of(self.text)))


_TAG = re.compile(r"<!--.*?-->|<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>", re.S)
_CONTAINERS = _HEADINGS | _BLOCKS | {"li", "ul", "ol"}


def _pieces(kind: str, raw: str) -> list[tuple[str, str]]:
    """The text between two block tags: blank lines split it, a "## " line is a heading."""
    found = []
    for i, part in enumerate(_BLANK_LINES.split(raw)):
        piece = " ".join(part.split())
        if not piece:
            continue
        if _MARKDOWN_HEADING.match(piece):  # a plain-text "## Heading"
            found.append((HEADING, _MARKDOWN_HEADING.sub("", piece)))
        else:
            found.append((kind if i == 0 else PARAGRAPH, piece))
    return found


def blocks(markup: str | None) -> list[Block]:
    """The description's headings, paragraphs and list items in reading order."""
    return [Block(kind, text) for kind, text in _block_texts(markup)]


def _block_texts(markup: str | None) -> list[tuple[str, str]]:
    """(kind, text) of each block in reading order: `blocks` before its words are counted."""
    # A tokenizer, not html.parser: several times faster on the nightly 20,000 descriptions,
    # and the text is only counted, never rendered, so a tag the regex misreads costs a count.
    found: list[tuple[str, str]] = []
    parts: list[str] = []
    kind, skip, pos = PARAGRAPH, 0, 0
    text = markup or ""

    def flush() -> None:
        nonlocal kind
        if parts:
            found.extend(_pieces(kind, html.unescape("".join(parts))))
            parts.clear()
        kind = PARAGRAPH

    for match in _TAG.finditer(text):
        if not skip:
            parts.append(text[pos : match.start()])
        pos = match.end()
        closing, tag = match.group(1), (match.group(2) or "").lower()
        if not tag:
            continue  # a comment
        if tag in _SKIP:
            skip = max(0, skip - 1) if closing else skip + 1
        elif skip:
            continue
        elif tag in _CONTAINERS:
            flush()
            if not closing:
                kind = HEADING if tag in _HEADINGS else ITEM if tag == "li" else PARAGRAPH
        elif tag in _BREAKS:
            parts.append("\n")
    if not skip:
        parts.append(text[pos:])
    flush()
    return found


def _guard(match: re.Match[str]) -> str:
    word = match[1]
    return f"{word}·" if word.lower() in ABBREVIATIONS else match[0]


def _guarded(text: str) -> str:
    r"""The text with the full stops that end no sentence made "·": what
    `_NUMBER_DOT.sub(r"\1·", _SHORT_WORD_DOT.sub(_guard, text))` gives, found from the full
    stops (a handful per block) rather than by a lookbehind tried at every character."""
    dot = text.find(".")
    if dot < 0:
        return text
    out: list[str] = []
    last = 0
    while dot >= 0:
        start = dot
        while start > 0 and dot - start < 5:
            char = text[start - 1]
            if not char.isalnum() or char.isdecimal():  # no letter: `[^\W\d_]`
                break
            start -= 1
        if 1 <= dot - start <= 4:  # a word of 1-4 letters, not the end of a longer one
            guard = text[start:dot].lower() in ABBREVIATIONS
        else:  # "3. Mai": a digit before, a space after
            after = text[dot + 1 : dot + 2]
            guard = dot > 0 and text[dot - 1].isdecimal() and after.isspace()
        if guard:
            out += (text[last:dot], "·")
            last = dot + 1
        dot = text.find(".", dot + 1)
    out.append(text[last:])
    return "".join(out)


def _parts(text: str) -> list[str]:
    """A block split at its sentence ends, parts without words included."""
    return [p.strip().replace("·", ".") for p in _SENTENCE_END.split(_guarded(text))]


def sentences(text: str) -> list[str]:
    """A block's sentences (at least the block itself when it has words)."""
    return [p for p in _parts(text) if words_of(p)]


@dataclass(frozen=True)
class Structure:
    blocks: tuple[Block, ...]
    sentence_lengths: tuple[int, ...]  # words per sentence, headings excluded
    sentence_texts: tuple[str, ...]
    syllables: int  # of the sentences' words, as marketing/readability.py counts them
    tokens: tuple[str, ...]  # every block's words in reading order: words_of(self.text)

    @property
    def readability(self) -> Readability:
        """The reading ease of the sentences: `readability(self.sentence_texts)`."""
        return Readability(sum(self.sentence_lengths), len(self.sentence_lengths), self.syllables)

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
    """Blocks, sentences, syllables and words, each word found once (the nightly job's hot
    path: a block's text is scanned for words once, marketing/score.py stems these words)."""
    found: list[Block] = []
    lengths: list[int] = []
    texts: list[str] = []
    tokens: list[str] = []
    syllables = 0
    for kind, text in _block_texts(markup):
        if kind == HEADING:
            heading = words_of(text)
            tokens += heading
            found.append(Block(kind, text, len(heading)))
            continue
        # A block's words are its sentences' words: a split removes only closing quotes and
        # spaces after a sentence's last mark, and the guard's "·" is no letter, as "." is not.
        words = 0
        for part in _parts(text):
            part_words = words_of(part)
            if part_words:
                tokens += part_words
                texts.append(part)
                lengths.append(len(part_words))
                words += len(part_words)
                syllables += syllables_of(part_words)
        found.append(Block(kind, text, words))
    return Structure(tuple(found), tuple(lengths), tuple(texts), syllables, tuple(tokens))
