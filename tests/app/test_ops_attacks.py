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


def test_a_second_operator_cannot_silently_take_an_incident_the_first_just_took(workspace):
    # Both boards show the incident unowned; each operator assigns it to themselves. The
    # second assignment carries the owner its board showed (nobody), so it is refused.
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
    refusal = [e.value for e in omar.error if "was taken by" in e.value]
    assert len(refusal) == 1, [e.value for e in omar.error]
    assert "Amal" in refusal[0]
    # Now Omar's board shows Amal: taking it over on purpose is an assignment like any other.
    omar.button(key="ops_assign").click().run()
    owners = [e.payload["owner"] for e in EventLog(workspace).read()
              if e.kind == "incident_assigned"]  # fmt: skip
    assert owners == ["Amal", "Omar"]


def test_one_operators_sidebar_does_not_escalate_for_the_whole_room(workspace, monkeypatch):
    # The clocks' minutes were a per-session sidebar setting, yet their escalations go into
    # the shared log as actor 'clock': one operator who set "Verify within" to 1 minute
    # escalated every fresh report of the room in the clock's name.
    from datetime import UTC, datetime, timedelta

    lon, lat = b.at(2)
    fresh = make_event(kind="incident_reported", actor="field", lat=lat, lon=lon,
                       category="intimidation", severity=3,
                       time=datetime.now(UTC) - timedelta(minutes=3))  # fmt: skip
    record_events(workspace, [fresh])
    at = operator("omar")
    assert at.sidebar.number_input.len == 0  # no minutes of the session's own
    assert any("verify within 10 min" in c.value for c in at.sidebar.caption)
    assert not [e for e in EventLog(workspace).read() if e.kind == "incident_escalated"]
    # The room's setting (the server's environment) is every board's.
    monkeypatch.setenv("PSP_CLOCK_VERIFY_MIN", "2")
    operator("amal")
    escalated = [e for e in EventLog(workspace).read() if e.kind == "incident_escalated"]
    assert [(e.actor, e.incident_id, e.payload["reason"]) for e in escalated] == [
        ("clock", fresh.incident_id, "verify")
    ]


def test_a_clock_setting_that_is_not_minutes_is_named(workspace, monkeypatch):
    monkeypatch.setenv("PSP_CLOCK_ACT_MIN", "half an hour")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["viewer"] = Viewer("omar", "operator")
    at.run()
    at.switch_page(OPS).run()
    shown = [e.value.replace("\\", "") for e in at.error]  # Markdown-escaped
    assert any("PSP_CLOCK_ACT_MIN='half an hour' is not a number of minutes" in e
               for e in shown), shown  # fmt: skip
    assert not at.dataframe


def log_twice(at: AppTest) -> None:
    lon, lat = b.at(2)
    at.number_input(key="ops_lat").set_value(lat)
    at.number_input(key="ops_lon").set_value(lon)
    at.selectbox(key="ops_category").set_value("intimidation")
    submit = "FormSubmitter:ops_report-Log the incident"
    at.button(key=submit).click().run()
    at.button(key=submit).click().run()  # the second click of a double click


def test_a_double_click_on_log_the_incident_stores_it_once(workspace):
    # The pending event id was dropped once the first submission was stored, so the
    # second click of a double click got a new UUID and logged a second incident.
    at = operator("amal")
    log_twice(at)
    reports = [e for e in EventLog(workspace).read() if e.kind == "incident_reported"]
    assert len(reports) == 1
    assert any("Already recorded" in i.value for i in at.info), [i.value for i in at.info]


def test_the_same_report_after_the_repeat_window_is_a_new_incident(workspace, monkeypatch):
    # Two reports with the same values minutes apart are two incidents.
    import ui.ops

    monkeypatch.setattr(ui.ops, "RESUBMIT_S", 0.0)
    log_twice(operator("amal"))
    reports = [e for e in EventLog(workspace).read() if e.kind == "incident_reported"]
    assert len(reports) == 2
    assert len({e.incident_id for e in reports}) == 2


def test_a_liaison_sees_no_coverage_move_when_a_unit_is_dispatched(workspace):
    # U1 alone covers C1 and C2: dispatched, both lose cover on the operator's board. A
    # liaison (no unit positions) seeing which centres lose cover at that moment could
    # place U1 between them; the liaison's board keeps the plan's coverage.
    lon, lat = b.at(2)
    report = make_event(kind="incident_reported", actor="field", lat=lat, lon=lon,
                        category="intimidation", severity=3)  # fmt: skip
    record_events(workspace, [report])
    record_events(workspace, [make_event(kind="unit_dispatched", actor="op", unit_id="U1",
                                         incident_id=report.incident_id)])  # fmt: skip

    def lost(at: AppTest) -> str:
        return next(m.value for m in at.metric if m.label == "Centres that lost cover")

    assert lost(operator("omar")) == "2"
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["viewer"] = Viewer("lina", "liaison")
    at.run()
    at.switch_page(OPS).run()
    assert not at.exception, at.exception
    assert lost(at) == "0"
    assert any("still covered" in i.value for i in at.info), [i.value for i in at.info]
    assert next(m.value for m in at.metric if m.label == "Units dispatched") == "1"
