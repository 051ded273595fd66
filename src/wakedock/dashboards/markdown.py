"""Markdown for text widgets, rendered on the server and sanitised with an allow-list.

markdown-it-py (CommonMark, raw HTML disabled) renders; nh3 (the Rust ``ammonia`` sanitiser)
then keeps only harmless tags and attributes, so a text widget can never run script in a
viewer's browser, including on a shared dashboard.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # "js-default": CommonMark without raw HTML, plus tables and strikethrough.
    return MarkdownIt("js-default", {"linkify": False, "typographer": False})


def render(markdown: str) -> str:
    """Markdown → sanitised HTML (links get rel="noopener noreferrer", only http(s)/mailto)."""
    html = _renderer().render(markdown)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
