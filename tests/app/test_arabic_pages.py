"""Every page in Arabic, for every role: no English word a reader would have to translate.

Everything a page shows under AppTest (titles, headers, text, captions, alerts, metric
labels and values, widget labels and options, tab and expander labels, table headers and
text cells) is read, and each Latin-script word is checked against what may stay in Latin
on an Arabic page (:func:`allowed`): ids and codes (anything with a digit), acronyms in
capitals, file names, names of formats and products, and Latin text in brackets (a name
given as it is written). The map's HTML is checked by the browser tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.permissions import ROLE_PERMISSIONS, Viewer
from tests import markdown_text
from ui.navigation import PAGES

APP = str(Path(__file__).resolve().parents[2] / "app.py")

#: Latin words an Arabic page may show: names of formats, products and sources.
NAMES = frozenset(
    [
        "Excel",
        "GeoPackage",
        "GeoJSON",
        "OpenStreetMap",
        "Leaflet",
        "OCHA",
        "HNEC",
        "REACH",
        "ACLED",
        "HXL",
        "COD",
        "Streamlit",
        "SQLite",
        "WGS",
        "UTC",
        "Noto",
        "JSON",
        "Markdown",
        "English",  # the language switch names the language in its own script
    ]
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|«[^«»]*»")
_FILE = re.compile(r"\S+\.(?:csv|pdf|xlsx|gpkg|geojson|json|jsonl|html|zip|png|yaml|sqlite)\b")
_URL = re.compile(r"\w+://\S+|\?\w+=\S*")


def latin_words(text: str) -> list[str]:
    """Return the Latin-script words of ``text`` that an Arabic page may not show."""
    text = _URL.sub(" ", _FILE.sub(" ", text))
    while True:  # innermost brackets first: «أبو سليم (East (Cyrenaica))»
        bare = _BRACKETED.sub(lambda m: " " if _WORD.search(m.group(0)) else "\x00", text)
        if bare == text:
            break
        text = bare
    out = []
    for token in re.split(r"[\s,;:/·|–—]+", text):
        if any(ch.isdigit() for ch in token):
            continue  # an id or a code: C1, U-00001, LY010101, INC-3F2A, 2025
        for word in _WORD.findall(token):
            if word.isupper() or word in NAMES:
                continue
            out.append(word)
    return out


def test_the_checker_worked_out_on_examples():
    assert latin_words("مراكز الاقتراع 1,234") == []
    assert latin_words("المركز C1 · U-00001 · LY010101 · INC-3F2A9B") == []
    assert latin_words("تنزيل (CSV) ملف coverage_2025.csv من HNEC") == []
    assert latin_words("الاسم (Tripoli Centre)") == []
    assert latin_words("المنطقة الشرقية (East (Cyrenaica))") == []
    assert latin_words("Gap list: 10 km") == ["Gap", "list", "km"]
    assert latin_words("حالة static_guard") == ["static", "guard"]


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


#: Elements whose ``value`` is what the widget holds (a code), not what it shows.
_WIDGETS = frozenset(
    ("Radio", "Selectbox", "Multiselect", "TextInput", "TextArea", "NumberInput", "Slider",
     "SelectSlider", "Checkbox", "Toggle", "DateInput", "TimeInput", "ColorPicker",
     "ButtonGroup", "ChatInput")
)  # fmt: skip
_HTML = re.compile(r"<style.*?</style>|<[^>]+>", re.S)


def page_texts(at: AppTest) -> list[str]:
    """Every text the page shows (see the module docstring)."""
    out: list[str] = []
    for element in at._tree:
        for node in _walk(element):
            kind = type(node).__name__
            if kind in ("Json", "Code", "UnknownElement"):  # data a user asked to see
                continue
            names = ("label", "placeholder") if kind in _WIDGETS else ("label", "value")
            for name in names:
                value = getattr(node, name, None)
                if isinstance(value, pd.DataFrame):
                    out.extend(str(c) for c in value.columns)
                    for column in value.columns:
                        if value[column].dtype == object:
                            out.extend(str(v) for v in value[column].dropna().unique()[:200])
                elif isinstance(value, str):
                    out.append(markdown_text.shown(_HTML.sub(" ", value)))
            options = getattr(node, "options", None)
            if isinstance(options, list):
                out.extend(str(o) for o in options)
    return out


@pytest.fixture(scope="module")
def arabic_app(demo_workspace):
    import os

    saved = {k: os.environ.get(k) for k in ("PSP_WORKSPACE", "PSP_USERS")}
    os.environ["PSP_WORKSPACE"] = str(demo_workspace)
    os.environ.pop("PSP_USERS", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


#: Pages still showing English in Arabic, and what; strict: each fails once fixed.
KNOWN_GAPS: dict[str, str] = {}


def cases() -> list:
    return [
        pytest.param(
            page,
            role,
            id=f"{page}-{role}",
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[page])]
            if page in KNOWN_GAPS
            else [],
        )
        for page in [p.script for p in PAGES]
        for role in sorted(ROLE_PERMISSIONS)
    ]


@pytest.mark.parametrize(("page", "role"), cases())
def test_every_page_shows_no_english_in_arabic(arabic_app, page, role):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["viewer"] = Viewer("u1", role)
    at.query_params["lang"] = "ar"
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    leaks = sorted({w for text in page_texts(at) for w in latin_words(text)})
    assert leaks == [], f"{page} as {role} in Arabic shows: {leaks}"
