"""The final attacker review of issue 12 on the pages: every file a page makes on click.

The role matrix of ``tests/app/test_auth.py`` reads what a page shows and the files it
hands over at once, but every audited download (the handover brief, the day's incidents,
the Reports page's files, the map file) is made only when it is clicked (Streamlit's
deferred download), so the matrix never read them. Here each one is made, as the click
would, and read for unit IDs and positions.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager

from geo.audit import read_log
from geo.permissions import Viewer
from geo.redaction import UNIT_DISTANCE_COLUMNS
from tests.app.test_auth import (  # noqa: F401 - fixtures
    USER_OF,
    clock,
    signed_in_as,
    team,
    users_file,
    workspace,
)
from tests.labels import machine_names
from tests.unit_leaks import leaked_ids, leaked_positions, public_points

pytestmark = pytest.mark.usefixtures("team")  # signed-in users over a demo copy with a dispatch


@pytest.fixture
def producers(monkeypatch) -> dict[str, tuple[str, object]]:
    """File name → (mimetype, the producer Streamlit calls when the browser asks)."""
    found: dict[str, tuple[str, object]] = {}
    original = MediaFileManager.add_deferred

    def remember(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        found[str(file_name)] = (str(mimetype), data_callable)
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    return found


def read_file(name: str, data: bytes, tmp_path) -> tuple[list[str], list[pd.DataFrame]]:
    """The texts and tables of a downloaded file, as its reader would see them."""
    if name.endswith(".pdf"):
        path = tmp_path / "file.pdf"
        path.write_bytes(data)
        done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              check=True)  # fmt: skip
        return [done.stdout.decode("utf-8")], []
    if name.endswith(".xlsx"):
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=str)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        return [s.to_csv() for s in sheets.values()] + xml, list(sheets.values())
    if name.endswith(".gpkg"):
        path = tmp_path / "file.gpkg"
        path.write_bytes(data)
        frames = [gpd.read_file(path, layer=layer) for layer in pyogrio.list_layers(path)[:, 0]]
        tables = [pd.DataFrame(f.drop(columns="geometry", errors="ignore")) for f in frames]
        tables += [
            pd.DataFrame({"lon": f.geometry.x, "lat": f.geometry.y})
            for f in frames
            if "geometry" in f and len(f) and (f.geometry.geom_type == "Point").all()
        ]
        return [t.to_csv() for t in tables], tables
    text = data.decode("utf-8-sig", errors="replace")
    tables = [pd.read_csv(io.StringIO(text), dtype=str)] if name.endswith(".csv") else []
    return [text], tables


CASES = [
    ("views/operations.py", "liaison"),
    ("views/reports.py", "briefer"),
    ("views/reports.py", "analyst"),
    ("views/map.py", "briefer"),
    ("views/coverage.py", "briefer"),
    ("views/briefing.py", "briefer"),
]


@pytest.mark.parametrize(("page_path", "role"), CASES, ids=[f"{p[6:-3]}-{r}" for p, r in CASES])
def test_every_file_a_page_makes_on_click_hides_units_from_the_role(
    demo_layers, producers, tmp_path, page_path, role
):
    username = USER_OF[role]
    assert not Viewer(username, role).can_see_unit_positions
    at = signed_in_as(username).run()
    at.switch_page(page_path).run()
    assert not at.exception, f"{page_path} as {role}: {at.exception}"
    assert producers, f"{page_path} offers a {role} no file to check"
    units, public = demo_layers["units"], public_points(demo_layers)
    for name, (_mimetype, make) in producers.items():
        data = make()
        data = data if isinstance(data, bytes) else data.encode("utf-8")
        texts_shown, tables = read_file(name, data, tmp_path)
        distances = sorted(
            machine_names(c for t in tables for c in t.columns) & set(UNIT_DISTANCE_COLUMNS)
        )
        assert distances == [], f"{name} gives a {role} distances to units: {distances}"
        assert leaked_ids(texts_shown, units) == [], f"{name} names units to a {role}"
        assert leaked_positions(texts_shown, units, public, tables=tables) == [], (
            f"{name} places units for a {role}"
        )


def test_the_check_reads_the_files_an_operator_gets(demo_layers, producers, tmp_path):
    # The same files made for an operator name the dispatched unit: the reading above
    # sees into the PDF and the CSV, it does not pass for want of reading them.
    at = signed_in_as(USER_OF["operator"]).run()
    at.switch_page("views/operations.py").run()
    assert not at.exception
    handover = next(n for n in producers if n.startswith("handover_"))
    data = producers[handover][1]()
    texts_shown, _ = read_file(handover, data, tmp_path)
    assert len(leaked_ids(texts_shown, demo_layers["units"])) == 1
    assert any(n.startswith("incidents_") and n.endswith(".csv") for n in producers)


def test_the_operations_files_are_recorded_in_the_audit_log_when_made(producers):
    # Issue 12: every export leaves an entry. The Operations page's two files came after.
    at = signed_in_as(USER_OF["liaison"]).run()
    at.switch_page("views/operations.py").run()
    assert not at.exception
    made = sorted(n for n in producers if n.startswith(("handover_", "incidents_")))
    assert len(made) == 2
    path = os.environ["PSP_WORKSPACE"]  # set by the team fixture (shared by this module)

    def entries() -> pd.DataFrame:
        log = read_log(path, viewer=Viewer("root", "admin"), action="export")
        return log[log["target"].isin(made)]

    before = entries()
    for name in made:
        assert len(producers[name][1]()) > 0
    after = entries()
    new = after.sort_values("at").tail(2)  # the two just written: the latest
    assert len(after) == len(before) + 2
    assert sorted(new["target"]) == made
    assert set(new["actor"]) == {USER_OF["liaison"]}
    assert sorted(json.loads(d)["kind"] for d in new["details"]) == ["handover", "timeline"]
