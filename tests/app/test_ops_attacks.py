"""Attacks on the Operations page: two operators acting on the same incident at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo.events import EventLog, make_event
from geo.livestate import record_events
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.geo import builders as b

APP = str(Path(__file__).resolve().parents[2] / "app.py")
OPS = "views/operations.py"


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(3)})
    units = b.units({"pos": b.at(1)})
    path = tmp_path / "ops.gpkg"
    GeoPackageStore(path).write_layers({"centres": centres, "units": units}, author="test")
    monkeypatch.setenv("PSP_WORKSPACE", str(path))
    monkeypatch.delenv("PSP_USERS", raising=False)
    return path


def operator(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["viewer"] = Viewer(name, "operator")
    at.run()
    at.switch_page(OPS).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.xfail(
    strict=True,
    reason="lost update: an incident_assigned carries no owner it replaces, so a second "
    "operator whose board still shows the incident unowned silently takes it from the "
    "first (both see 'Recorded'); the assignment should carry the owner the board showed "
    "and be refused, naming who assigned it in between, when that owner has changed",
)
def test_a_second_operator_cannot_silently_take_an_incident_the_first_just_took(workspace):
    lon, lat = b.at(2)
    report = make_event(kind="incident_reported", actor="field", lat=lat, lon=lon,
                        category="intimidation", severity=3)  # fmt: skip
    record_events(workspace, [report])
    amal, omar = operator("amal"), operator("omar")  # both boards: the incident has no owner
    amal.text_input(key="ops_owner").input("Amal")
    amal.button(key="ops_assign").click().run()
    omar.text_input(key="ops_owner").input("Omar")
    omar.button(key="ops_assign").click().run()
    owners = [e.payload["owner"] for e in EventLog(workspace).read()
              if e.kind == "incident_assigned"]  # fmt: skip
    assert owners == ["Amal"]
    assert any("Amal" in e.value for e in omar.error), [e.value for e in omar.error]
