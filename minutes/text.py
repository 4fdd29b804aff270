"""Minute text: the safe HTML subset the editor may keep, and plain text for search and hashing."""

from __future__ import annotations

import html
import re

import nh3

# The toolbar makes these; anything else pasted in (scripts, styles, images, links, attributes)
# is dropped with its markup, keeping the words.
ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote", "div"})
MAX_BODY_CHARS = 200_000

_BLOCK_END = re.compile(r"</(p|li|h3|h4|blockquote|div)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def clean_html(value: str) -> str:
    """The minute as it may be stored and shown: the allowed tags, no attributes, no comments."""
    cleaned = nh3.clean(
        value or "",
        tags=set(ALLOWED_TAGS),
        attributes={},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )
    cleaned = cleaned.strip()
    return "" if not html_to_text(cleaned) else cleaned


def html_to_text(value: str) -> str:
    """Plain text of a stored minute: block ends become line breaks, entities are decoded."""
    spaced = _BLOCK_END.sub(lambda m: m.group(0) + "\n", value or "")
    text = html.unescape(nh3.clean(spaced, tags=set()))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def split_decisions(value: str) -> list[str]:
    """One decision per line of the decisions box; empty lines dropped."""
    return [line.strip()[:4000] for line in (value or "").splitlines() if line.strip()]
