"""AppTest of the Reports page: figures, downloads that produce bytes, and roles."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from geo.audit import read_log
from geo.permissions import Viewer
from geo.reports import ReportOptions, Scope, analyse_workspace, prepare_report
from geo.workspace import open_workspace

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "views/reports.py"
ADMIN = Viewer("local admin", "admin")


@pytest.fixture(scope="module")
def workspace_copy(demo_workspace, tmp_path_factory) -> Path:
    """A copy of the demo: downloads record themselves in the workspace's audit log."""
    path = tmp_path_factory.mktemp("reports") / "demo.gpkg"
    shutil.copy(demo_workspace, path)
    return path


@pytest.fixture
def downloads(monkeypatch) -> dict[str, Callable[[], bytes]]:
    """File name -> the deferred producer registered by each download button."""
    found: dict[str, Callable[[], bytes]] = {}
    original = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return found


def open_page(monkeypatch, workspace: Path, viewer: Viewer | None = None) -> AppTest:
    monkeypatch.setenv("PSP_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=120)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    at.run()
    return at.switch_page(PAGE).run()


def expected_figures(workspace: Path, viewer: Viewer, scope=None):
    ws = open_workspace(workspace)
    result = analyse_workspace(ws)
    kwargs = {"scope": scope} if scope else {}
    options = ReportOptions(viewer=viewer, as_of=f"{result.as_of:%Y-%m-%d}", **kwargs)
    return prepare_report(ws, options, result=result).figures


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def produce(downloads: dict[str, Callable[[], bytes]], ext: str, contains: str = "") -> bytes:
    """Run the producer of the one download whose file name ends with ``ext``."""
    matches = [n for n in downloads if n.endswith(ext) and contains in n]
    assert len(matches) == 1, (ext, contains, list(downloads))
    return downloads[matches[0]]()


def test_the_page_shows_the_national_figures_of_the_analysis(monkeypatch, workspace_copy):
    at = open_page(monkeypatch, workspace_copy)
    assert not at.exception
    figures = expected_figures(workspace_copy, ADMIN)
    assert metric(at, "Polling centres") == f"{figures.centres:,}"
    assert metric(at, "Officer shortfall") == f"{figures.shortfall:,}"
    assert metric(at, "Incidents") == f"{figures.incidents:,}"
    assert "DEMO — synthetic data" in at.warning[0].value


def test_every_download_button_produces_its_file(monkeypatch, workspace_copy, downloads):
    at = open_page(monkeypatch, workspace_copy)
    keys = {b.key for b in at.download_button}
    assert keys == {"reports_xlsx", "reports_pdf", "reports_gpkg", "reports_csv", "reports_geojson"}
    assert produce(downloads, ".xlsx").startswith(b"PK")
    assert produce(downloads, ".pdf").startswith(b"%PDF")
    assert produce(downloads, ".gpkg").startswith(b"SQLite format 3")
    assert produce(downloads, ".csv", "_municipalities_").startswith(b"\xef\xbb\xbf")
    assert b'"FeatureCollection"' in produce(downloads, ".geojson", "_centres_")
    log = read_log(workspace_copy, viewer=ADMIN)
    exports = log[log["action"] == "export"]
    assert len(exports) >= 5
    assert set(exports["actor"]) == {"local admin"}


def test_the_csv_table_can_be_chosen_and_matches_the_preview(
    monkeypatch, workspace_copy, downloads
):
    at = open_page(monkeypatch, workspace_copy)
    at.selectbox(key="reports_csv_table").select("gaps").run()
    assert not at.exception
    csv = produce(downloads, ".csv", "_gaps_")
    table = pd.read_csv(io.BytesIO(csv), encoding="utf-8-sig", dtype=str)
    preview = at.dataframe[0].value
    assert list(table["Centre ID"]) == list(preview["Centre ID"])


def test_a_district_scope_changes_the_figures(monkeypatch, workspace_copy):
    at = open_page(monkeypatch, workspace_copy)
    at.radio(key="reports_level").set_value("district").run()
    at.selectbox(key="reports_area").select("LY-TB").run()
    assert not at.exception
    figures = expected_figures(workspace_copy, ADMIN, Scope("district", "LY-TB"))
    assert metric(at, "Polling centres") == f"{figures.centres:,}"
    assert "Tripoli" in at.subheader[0].value


def test_a_briefer_gets_no_unit_layer_or_table(monkeypatch, workspace_copy, downloads):
    at = open_page(monkeypatch, workspace_copy, Viewer("Bea", "briefer"))
    assert not at.exception
    tables = at.selectbox(key="reports_csv_table").options  # shown as sheet titles
    assert "Units by municipality" in tables
    assert "Units" not in tables
    assert at.selectbox(key="reports_geojson_layer").options == [
        "centres",
        "municipalities",
        "districts",
        "incidents",
    ]
    assert any("counts per municipality only" in c.value for c in at.caption)
    book = openpyxl.load_workbook(io.BytesIO(produce(downloads, ".xlsx")))
    assert "Units" not in book.sheetnames
    log = read_log(workspace_copy, viewer=ADMIN)
    last = log[log["actor"] == "Bea"].iloc[-1]
    assert "withheld" in str(last["details"])


def test_a_planner_may_download_the_units(monkeypatch, workspace_copy):
    at = open_page(monkeypatch, workspace_copy, Viewer("Pat", "planner"))
    assert "Units" in at.selectbox(key="reports_csv_table").options
    assert "units" in at.selectbox(key="reports_geojson_layer").options


def test_a_viewer_role_may_not_export(monkeypatch, workspace_copy):
    at = open_page(monkeypatch, workspace_copy, Viewer("Vic", "viewer"))
    assert not at.exception
    assert not at.download_button
    assert "may not export reports" in at.info[0].value


def test_an_arabic_report_has_arabic_headings(monkeypatch, workspace_copy, downloads):
    at = open_page(monkeypatch, workspace_copy)
    at.radio(key="reports_lang").set_value("ar").run()
    assert not at.exception
    csv = produce(downloads, "_ar.csv", "_municipalities_").decode("utf-8-sig")
    assert "الاسم (بالعربية)" in csv.splitlines()[0]
    assert "طرابلس" in csv
