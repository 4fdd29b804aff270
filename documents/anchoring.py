"""Finding an annotation's text in a version of a paper, and the rectangles it covers.

Page text and character boxes come from pdfium (pypdfium2), the same engine that extracted the
page texts at upload. A quote is matched with its whitespace collapsed (a reader's selection
and pdfium's text break lines differently), then mapped back to character positions, whose
boxes make the highlight's rectangles (one per line).

Re-anchoring on a new version follows the W3C selectors in order of trust: the text position
(same page, same offsets, same words), then the exact quote on the nearest page where it
occurs (prefix and suffix break ties), then the closest fuzzy match. Ink and notes without
text follow their page: to the page of the new version with the same (or most similar) text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pypdfium2 as pdfium

FUZZY_MIN_RATIO = 0.75
PAGE_MIN_RATIO = 0.8
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> tuple[str, list[int]]:
    """``text`` with each run of whitespace made one space, and for each character of the result
    the index of the character it came from."""
    out: list[str] = []
    where: list[int] = []
    in_space = True  # leading whitespace is dropped
    for index, char in enumerate(text):
        if char.isspace() or char in "\x00\ufffe\u00ad":
            if not in_space:
                out.append(" ")
                where.append(index)
            in_space = True
            continue
        out.append(char)
        where.append(index)
        in_space = False
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


def squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass
class Page:
    number: int  # 1-based
    text: str  # as pdfium gives it, one entry per character index
    boxes: list[tuple[float, float, float, float]]  # (left, bottom, right, top) per character

    @cached_property
    def normalised(self) -> tuple[str, list[int]]:
        return normalise(self.text)

    def rects(self, start: int, end: int) -> list[list[float]]:
        """[x, y, w, h] rectangles covering characters start..end, merged line by line."""
        lines: list[list[float]] = []
        for index in range(max(0, start), min(end, len(self.boxes))):
            if self.text[index].isspace():
                continue
            left, bottom, right, top = self.boxes[index]
            if right <= left or top <= bottom:
                continue
            if lines:
                x0, y0, x1, y1 = lines[-1]
                same_line = min(y1, top) - max(y0, bottom) > 0.5 * min(y1 - y0, top - bottom)
                if same_line and left >= x0 - 2:
                    lines[-1] = [min(x0, left), min(y0, bottom), max(x1, right), max(y1, top)]
                    continue
            lines.append([left, bottom, right, top])
        return [[round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)] for x0, y0, x1, y1 in lines]


class Document:
    """The pages of one PDF file, read on demand."""

    def __init__(self, path: Path | str) -> None:
        self._pdf = pdfium.PdfDocument(str(path))
        self._pages: dict[int, Page] = {}

    def __len__(self) -> int:
        return len(self._pdf)

    def close(self) -> None:
        self._pdf.close()

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def page(self, number: int) -> Page:
        if number not in self._pages:
            page = self._pdf[number - 1]
            textpage = page.get_textpage()
            count = textpage.count_chars()
            text = textpage.get_text_range(0, count) if count else ""
            if len(text) != count:  # characters outside the BMP: read them one by one
                text = "".join((textpage.get_text_range(index, 1) or " ")[:1] for index in range(count))
            boxes = [textpage.get_charbox(index) for index in range(count)]
            textpage.close()
            page.close()
            self._pages[number] = Page(number, text, boxes)
        return self._pages[number]

    def pages_near(self, number: int) -> Iterator[Page]:
        """Every page, nearest to ``number`` first (the page itself, then ±1, ±2…)."""
        total = len(self)
        yield self.page(min(max(number, 1), total))
        for distance in range(1, total):
            for candidate in (number - distance, number + distance):
                if 1 <= candidate <= total and candidate != min(max(number, 1), total):
                    yield self.page(candidate)


@dataclass
class Anchor:
    page: int
    start: int  # character positions in pdfium's page text (TextPositionSelector)
    end: int
    rects: list[list[float]]
    how: str  # "position", "quote", "fuzzy" or "page"


def _occurrences(haystack: str, needle: str) -> Iterator[int]:
    start = haystack.find(needle)
    while start != -1:
        yield start
        start = haystack.find(needle, start + 1)


def _context_score(norm: str, at: int, length: int, prefix: str, suffix: str) -> float:
    before = norm[max(0, at - len(prefix)) : at]
    after = norm[at + length : at + length + len(suffix)]
    score = 0.0
    if prefix:
        score += difflib.SequenceMatcher(None, before[-len(prefix) :], prefix).ratio()
    if suffix:
        score += difflib.SequenceMatcher(None, after[: len(suffix)], suffix).ratio()
    return score


def _span(page: Page, norm_start: int, norm_end: int) -> tuple[int, int]:
    _norm, where = page.normalised
    return where[norm_start], where[norm_end - 1] + 1


def find_quote(
    page: Page, exact: str, prefix: str = "", suffix: str = "", near: int | None = None
) -> tuple[int, int] | None:
    """Character span of the quote on ``page``: the occurrence whose context fits best (then the
    one nearest ``near``)."""
    quote = squash(exact)
    if not quote:
        return None
    norm, _where = page.normalised
    found = list(_occurrences(norm, quote))
    if not found:
        return None
    prefix, suffix = squash(prefix), squash(suffix)

    def rank(at: int) -> tuple[float, int]:
        start, _end = _span(page, at, at + len(quote))
        distance = abs(start - near) if near is not None else 0
        return (-_context_score(norm, at, len(quote), prefix, suffix), distance)

    best = min(found, key=rank)
    return _span(page, best, best + len(quote))


def _fuzzy(page: Page, exact: str) -> tuple[float, int, int] | None:
    quote = squash(exact)
    norm, _where = page.normalised
    if not quote or not norm:
        return None
    matcher = difflib.SequenceMatcher(None, norm, quote, autojunk=False)
    block = matcher.find_longest_match(0, len(norm), 0, len(quote))
    if block.size == 0:
        return None
    start = max(0, block.a - block.b)
    window = norm[start : start + len(quote)]
    ratio = difflib.SequenceMatcher(None, window, quote, autojunk=False).ratio()
    if not window:
        return None
    begin, end = _span(page, start, start + len(window))
    return ratio, begin, end


def anchor_quote(
    doc: Document,
    *,
    page: int,
    exact: str,
    prefix: str = "",
    suffix: str = "",
    start: int | None = None,
    end: int | None = None,
) -> Anchor | None:
    """Where a text annotation belongs in ``doc``: by position, by quote near ``page``, or fuzzily."""
    if not squash(exact) or len(doc) == 0:
        return None
    if start is not None and end is not None and 1 <= page <= len(doc):
        here = doc.page(page)
        if 0 <= start < end <= len(here.text) and squash(here.text[start:end]) == squash(exact):
            return Anchor(page, start, end, here.rects(start, end), "position")
    for candidate in doc.pages_near(page):
        span = find_quote(candidate, exact, prefix, suffix, near=start if candidate.number == page else None)
        if span is not None:
            return Anchor(candidate.number, span[0], span[1], candidate.rects(*span), "quote")
    best: tuple[float, int, int, Page] | None = None
    for candidate in doc.pages_near(page):
        found = _fuzzy(candidate, exact)
        if found is not None and (best is None or found[0] > best[0]):
            best = (*found, candidate)
    if best is not None and best[0] >= FUZZY_MIN_RATIO:
        ratio, begin, finish, where = best
        return Anchor(where.number, begin, finish, where.rects(begin, finish), "fuzzy")
    return None


def follow_page(old: Document, new: Document, page: int) -> int | None:
    """The page of ``new`` that is ``page`` of ``old``: same text nearest first, else the most
    similar page if similar enough."""
    if not 1 <= page <= len(old) or len(new) == 0:
        return None
    text = squash(old.page(page).text)
    best: tuple[float, int] | None = None
    for candidate in new.pages_near(page):
        other = squash(candidate.text)
        if other == text:
            return candidate.number
        ratio = difflib.SequenceMatcher(None, text, other, autojunk=False).quick_ratio()
        if best is None or ratio > best[0]:
            best = (ratio, candidate.number)
    if best is not None and text:
        number = best[1]
        exact_ratio = difflib.SequenceMatcher(None, text, squash(new.page(number).text), autojunk=False).ratio()
        if exact_ratio >= PAGE_MIN_RATIO:
            return number
    return None
