"""Template-injection payloads and how to check that a rendered map carries them literally.

branca renders a folium map, then (in its standard path: ``get_root().render()``,
``save()``, ``_repr_html_()``) parses the rendered text of every element again as a
Jinja template. A name from data must come out of every path as the same text, never as
template source: not evaluated (``{{ 7*7 }}`` stays, no ``49``), no code run, no syntax
error, no ``<script>`` of its own.

:func:`carried_texts` decodes what a page shows: every JSON string literal inside its
scripts (decoded with :func:`json.loads`) and every text node, each then HTML-unescaped
once, as the browser does when it inserts them. :func:`check_literal` asserts a payload
is among them and that nothing else happened.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import pytest

#: One payload per way a text can become template source (the issue's list, plus the
#: lone delimiters that make Jinja fail to parse).
PAYLOADS: tuple[str, ...] = (
    "Centre {{ 7*7 }} X",
    "{% if 1 %}x{% endif %}",
    "{{ config }}",
    "{#",
    "{%",
    "{{",
    "${7*7}",
    "<script>",
    "</script><script>alert('psp')</script>",
    "`${alert(1)}`",
    "%}\n# line statement\n## line comment",
)
#: What ``Centre {{ 7*7 }} X`` becomes when it is evaluated.
EVALUATED = "Centre 49 X"
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


#: Environment variable holding the folder :func:`code_payload` would create.
MARKER_ENV = "PSP_TEST_CODE_MARKER"


def code_payload(marker: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A name that, evaluated as a template, creates the folder ``marker``.

    It holds no quote (quotes are HTML-escaped on the way, which would only make the
    template fail to parse): the path comes from an environment variable set here.
    """
    monkeypatch.setenv(MARKER_ENV, str(marker))
    return (
        "{{ cycler.__init__.__globals__.os.mkdir("
        f"cycler.__init__.__globals__.os.environ.{MARKER_ENV}) }}}}"
    )


class _Parts(HTMLParser):
    """Split a page into script texts and text nodes (a node's pieces joined)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self.texts: list[str] = []
        self._in: str | None = None
        self._text = ""

    def _flush(self) -> None:
        if self._text:
            self.texts.append(self._text)
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        self._in = tag
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in != "style":
            self._text += data

    def handle_entityref(self, name: str) -> None:
        self.handle_data(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.handle_data(f"&#{name};")

    def close(self) -> None:
        super().close()
        self._flush()


def script_strings(page: str) -> list[str]:
    """Every JSON string literal inside the page's scripts, decoded (not HTML-unescaped)."""
    parts = _Parts()
    parts.feed(page)
    parts.close()
    found = []
    for script in parts.scripts:
        for token in _STRING.findall(script):
            try:
                found.append(json.loads(token))
            except json.JSONDecodeError:
                continue
    return found


def carried_texts(page: str) -> list[str]:
    """The texts a browser would show: script strings and text nodes, HTML-unescaped."""
    parts = _Parts()
    parts.feed(page)
    parts.close()
    return [html.unescape(s) for s in script_strings(page)] + [
        html.unescape(t) for t in parts.texts
    ]


def script_tags(page: str) -> int:
    """Number of ``<script`` tags in the page."""
    return len(re.findall(r"<script\b", page, flags=re.IGNORECASE))


def renders(m: folium.Map, folder: Path) -> dict[str, str]:
    """The page of ``m`` from each of branca's standard paths."""
    pages = {"get_root().render()": m.get_root().render()}
    out = folder / "saved.html"
    m.save(str(out))
    pages["save()"] = out.read_text(encoding="utf-8")
    frame = re.search(r'srcdoc="([^"]*)"', m._repr_html_())
    assert frame is not None
    pages["_repr_html_()"] = html.unescape(frame.group(1))
    return pages


def check_literal(
    page: str, texts: list[str] | tuple[str, ...], *, plain_page: str, where: str = ""
) -> None:
    """Assert ``page`` carries each of ``texts`` literally and nothing from them ran.

    ``plain_page`` is the same map with harmless names: the payload page must have as
    many ``<script`` tags (no script of its own), and no evaluated form may appear.
    ``where`` names the render path in failure messages.
    """
    shown = carried_texts(page)
    for text in texts:
        assert any(text in s for s in shown), f"{where}: {text!r} is not carried literally"
    raw = script_strings(page)
    for text in texts:
        if "<" in text:
            # HTML-escaped before it reached the browser's HTML parser.
            assert not any(text in s for s in raw), f"{where}: {text!r} reaches the page as HTML"
    assert EVALUATED not in page, where
    assert not any(EVALUATED in s for s in shown), where
    assert script_tags(page) == script_tags(plain_page), f"{where}: a script tag from data"
