"""AppTest of the Briefing page: slides stepping down to a municipality, PDF, roles."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from geo.permissions import Viewer
from geo.reports import (
    ReportOptions,
    analyse_workspace,
    briefing_path,
    busiest_municipality,
    prepare_slides,
    slide_for,
)
from geo.workspace import open_workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "views/briefing.py"
BRIEFER = Viewer("Bea", "briefer")


@pytest.fixture(scope="module")
def workspace_copy(demo_workspace, tmp_path_factory) -> Path:
    """A copy of the demo: the PDF download records itself in the audit log."""
    path = tmp_path_factory.mktemp("briefing") / "demo.gpkg"
    shutil.copy(demo_workspace, path)
    return path


@pytest.fixture(scope="module")
def expected(workspace_copy):
    """The slides the page should show by default, computed directly."""
    ws = open_workspace(workspace_copy)
    result = analyse_workspace(ws)
    scopes = briefing_path(ws, busiest_municipality(result))
    options = ReportOptions(viewer=BRIEFER, as_of=f"{result.as_of:%Y-%m-%d}")
    return [slide_for(d) for d in prepare_slides(ws, scopes, options, result=result)]


@pytest.fixture
def downloads(monkeypatch) -> dict[str, Callable[[], bytes]]:
    found: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return found


@pytest.fixture
def briefing(monkeypatch, workspace_copy) -> Callable[..., AppTest]:
    def open_page(viewer: Viewer | None = BRIEFER) -> AppTest:
        monkeypatch.setenv("PSP_WORKSPACE", str(workspace_copy))
        at = AppTest.from_file(APP, default_timeout=120)
        if viewer is not None:
            at.session_state["viewer"] = viewer
        at.run()
        return at.switch_page(PAGE).run()

    return open_page


def shown(at: AppTest) -> tuple[str, list[tuple[str, str]]]:
    """(slide title, figures as (label, value)), as read: without Markdown escapes."""

    def plain(text: str) -> str:
        return re.sub(r"\\(.)", r"\1", text)

    return plain(at.header[0].value), [(plain(m.label), plain(m.value)) for m in at.metric]


def counter(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "Slide" in m.value)


def test_the_first_slide_is_national_with_four_figures(briefing, expected):
    at = briefing()
    assert not at.exception
    title, figures = shown(at)
    assert title == "Libya"
    assert figures == [(f.label, f.value) for f in expected[0].figures]
    assert counter(at) == f"**Slide 1 / {len(expected)}**"
    assert len(at.get("image")) == 1  # the large map
    assert "DEMO — synthetic data" in at.warning[0].value


def test_next_steps_down_to_the_municipality(briefing, expected):
    at = briefing()
    titles = [shown(at)[0]]
    for _ in range(len(expected) - 1):
        at.button(key="briefing_next").click().run()
        assert not at.exception
        titles.append(shown(at)[0])
        assert shown(at)[1] == [(f.label, f.value) for f in expected[len(titles) - 1].figures]
    assert titles == [s.title for s in expected]
    assert at.button(key="briefing_next").disabled
    at.button(key="briefing_prev").click().run()
    assert shown(at)[0] == expected[-2].title


def test_chosen_municipalities_make_one_slide_each(briefing):
    at = briefing()
    at.radio(key="briefing_mode").set_value("list").run()
    at.multiselect(key="briefing_municipalities").set_value(["DM-TB-09", "DM-BA-01"]).run()
    assert not at.exception
    assert counter(at) == "**Slide 1 / 2**"
    assert shown(at)[0] == "Tripoli Center"
    at.button(key="briefing_next").click().run()
    assert shown(at)[0] == "Benghazi"


def test_the_pdf_button_produces_the_same_slides(briefing, expected, downloads, tmp_path):
    at = briefing()
    assert [b.key for b in at.download_button] == ["briefing_pdf"]
    (name,) = [n for n in downloads if n.endswith(".pdf")]
    pdf = downloads[name]()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == len(expected)
    if shutil.which("pdftotext"):
        path = tmp_path / name
        path.write_bytes(pdf)
        text = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, check=True
        ).stdout.decode()
        for slide in expected:
            assert slide.title in text
            assert slide.figures[0].value in text


def test_the_briefing_speaks_arabic(briefing):
    at = briefing()
    at.sidebar.radio(key="ui_lang").set_value("ar").run()
    assert not at.exception
    title, figures = shown(at)
    assert title == "ليبيا"
    assert figures[0][0] == "مراكز الاقتراع"
    assert at.button(key="briefing_next").label == "التالية ◀"


def test_a_viewer_role_sees_no_briefing(briefing):
    at = briefing(Viewer("Vic", "viewer"))
    assert not at.exception
    assert not at.metric
    assert "may not see the briefing" in at.info[0].value
