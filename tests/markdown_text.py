"""What a reader sees of Streamlit's Markdown, to check that text from data stays plain.

Streamlit renders the body of ``st.markdown``, ``st.caption``, alerts, headings, toasts,
metric labels and values, tab and expander labels, widget labels and ``help`` tooltips as
GitHub-flavoured Markdown. :func:`markdown_texts` collects every such text of an AppTest
run; :func:`live_markup` names the link, image, HTML or URL syntax that a text would
render live; :func:`shown` is the text a reader sees once the backslash escapes (a
backslash before an ASCII punctuation character, CommonMark) are resolved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from streamlit.testing.v1 import AppTest

#: A CommonMark backslash escape: a backslash before an ASCII punctuation character.
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
#: Syntax that renders live unless escaped: a link or an image, raw HTML.
LIVE_SYNTAX = ("](", "![", "<img", "<a")
#: GFM autolink literals. Streamlit's renderer (mdast-util-gfm-autolink-literal) finds them
#: in the text *after* backslash escapes are resolved, so escaping cannot stop them: the
#: regular expressions of its bundle (StreamlitMarkdown.*.js), case-insensitive.
AUTOLINKS = (
    re.compile(r"(https?://|www(?=\.))([-.\w]+)([^ \t\r\n]*)", re.IGNORECASE),
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
)
#: What ui.md_escape puts inside such a literal to break it: WORD JOINER (invisible).
WORD_JOINER = "\u2060"
#: Where ui.md_escape puts it (so that :func:`shown` takes out only those).
_INSERTED = re.compile(r"\u2060(?=\\:\\/\\/|\\@)|(?i:(?<=www))\u2060(?=\\\.)")
#: AppTest element types whose text is not Markdown (shown as typed) or is raw HTML that
#: the source check limits to literals.
PLAIN_TYPES = frozenset({"text", "code", "json", "exception", "arrow_data_frame", "dataframe"})
#: Fields of an element's protobuf that Streamlit renders as Markdown.
MARKDOWN_FIELDS = ("body", "label", "help")


def shown(body: str) -> str:
    """Return what a reader sees of ``body``: its escapes resolved, the joiners taken out."""
    return ESCAPE.sub(r"\1", _INSERTED.sub("", body))


def live_markup(body: str) -> list[str]:
    """Return the pieces of ``body`` that would render live: links, images, HTML, URLs.

    Link, image and HTML syntax counts once escaped characters are set aside; autolink
    literals (``http://…``, ``www.…``, ``name@host.org``) count in the text as the renderer
    sees it, escapes resolved.
    """
    bare = ESCAPE.sub(" ", body)
    text = ESCAPE.sub(r"\1", body)
    found = [syntax for syntax in LIVE_SYNTAX if syntax in bare]
    return found + [m.group(0) for pattern in AUTOLINKS for m in pattern.finditer(text)]


def _walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def markdown_texts(at: AppTest) -> list[str]:
    """Every text of the last run that Streamlit renders as Markdown."""
    texts: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None or kind in PLAIN_TYPES or not hasattr(proto, "ListFields"):
            continue
        if kind == "markdown" and getattr(proto, "allow_html", False):
            continue  # literal CSS only (tests/geo/test_hardening.py checks the source)
        fields = dict((f.name, v) for f, v in proto.ListFields())
        texts += [fields[name] for name in MARKDOWN_FIELDS if isinstance(fields.get(name), str)]
        if kind == "radio":
            texts += list(fields.get("options", ()))
    return texts


def live_texts(at: AppTest) -> list[str]:
    """The Markdown texts of the last run that hold live link, image, HTML or URL syntax."""
    return [text for text in markdown_texts(at) if live_markup(text)]
