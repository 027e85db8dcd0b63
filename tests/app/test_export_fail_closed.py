"""Downloads made on click fail closed: no file unless its export entry is recorded."""

import shutil

import pytest

from geo.audit import read_log
from geo.errors import StoreError
from geo.permissions import Viewer
from geo.reports import ReportOptions, prepare_report
from geo.store import GeoPackageStore
from geo.workspace import open_workspace
from ui import reports

ADMIN = Viewer("root", "admin")
BRIEFER = Viewer("b", "briefer")


@pytest.fixture
def report(small_demo_workspace, tmp_path):
    path = tmp_path / "ws.gpkg"
    shutil.copyfile(small_demo_workspace, path)
    ws = open_workspace(path)
    return ws, prepare_report(ws, ReportOptions(viewer=BRIEFER))


def block_the_log(workspace_path) -> None:
    lock = GeoPackageStore(workspace_path).lock_path
    lock.unlink(missing_ok=True)
    lock.mkdir()  # the log cannot be written: the lock file's name is taken by a folder


@pytest.mark.parametrize("fmt", ["csv", "geojson", "pdf"])
def test_a_report_download_is_recorded_when_made(report, fmt):
    ws, data = report
    produce, file_name, _ = reports.download(ws, data, fmt)
    assert len(produce()) > 0
    log = read_log(ws.path, viewer=ADMIN, action="export")
    assert (list(log["target"]), list(log["actor"])) == ([file_name], ["b"])


@pytest.mark.parametrize("fmt", ["csv", "geojson", "pdf"])
def test_a_report_download_whose_entry_cannot_be_written_gives_no_file(report, fmt):
    ws, data = report
    produce, _, _ = reports.download(ws, data, fmt)
    block_the_log(ws.path)
    with pytest.raises(StoreError, match="cannot open the lock file"):
        produce()


def test_the_slides_download_fails_closed(report):
    ws, data = report
    produce, _ = reports.slides_download(ws, [data])
    block_the_log(ws.path)
    with pytest.raises(StoreError, match="cannot open the lock file"):
        produce()
