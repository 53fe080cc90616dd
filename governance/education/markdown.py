"""Policy texts are Markdown written by admins, rendered for everyone: nothing in them may
run. markdown-it-py renders with raw HTML off (tags are shown as text) and refuses
``javascript:``-style links; nh3 then keeps only an allow-list of tags, attributes and
URL schemes, as a second line of defence."""

import nh3
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _demote_heading(self, tokens, idx, options, env):
    """A document's "# title" becomes an h2: the page has its own h1."""
    token = tokens[idx]
    token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    return self.renderToken(tokens, idx, options, env)


_renderer.add_render_rule("heading_open", _demote_heading)
_renderer.add_render_rule("heading_close", _demote_heading)

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text):
    """Safe HTML of ``text`` (Markdown)."""
    html = _renderer.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised just above
