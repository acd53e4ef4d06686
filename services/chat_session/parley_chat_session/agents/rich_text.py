"""The HTML subset a bot's ``rich_text`` message keeps, cleaned with nh3 (the Ammonia sanitiser).

Clients render the stored ``html`` as HTML, so whatever survives here reaches every member's
page: only formatting tags, links with a web or mail scheme (opening apart from the page, with
no referrer or opener), and no attribute but ``href``. Scripts, styles, event handlers, iframes,
``javascript:`` and ``data:`` links are removed, not escaped, with their content for scripts.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "a", "blockquote", "code", "pre", "h3", "h4"}
)
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"


def sanitised_html(html: str) -> str:
    """``html`` reduced to the subset (docs/protocol.md, ``rich_text``)."""
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return cleaned.strip()
