"""The Operations page: the board, dispatch with what it uncovers, clocks and the roles.

A small world worked out on paper (as in tests/geo/test_events.py): centres C1 at 0 km and
C2 at 3 km are reached by patrol U1 at 1 km, C3 at 30 km by patrol U2 at 31 km, and C4 at
20 km (0.5 km north) by nobody; patrols reach 10 road-km = 7.69 km in straight lines.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
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
def workspace(tmp_path) -> Path:
    centres = b.centres(
        {"pos": b.at(0)}, {"pos": b.at(3)}, {"pos": b.at(30)}, {"pos": b.at(20, 0.5)}
    )
    units = b.units({"pos": b.at(1)}, {"pos": b.at(31)})
    path = tmp_path / "ops.gpkg"
    GeoPackageStore(path).write_layers({"centres": centres, "units": units}, author="test")
    return path


@pytest.fixture
def page(workspace, monkeypatch):
    monkeypatch.setenv("PSP_WORKSPACE", str(workspace))
    monkeypatch.delenv("PSP_USERS", raising=False)

    def open_as(role: str, lang: str = "en") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["viewer"] = Viewer(f"an {role}", role)  # type: ignore[arg-type]
        if lang != "en":
            at.query_params["lang"] = lang
        at.run()
        at.switch_page(OPS).run()
        assert not at.exception, at.exception
        return at

    return open_as


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def report_here(workspace: Path, minutes_ago: float = 1.0, east_km: float = 20.0):
    """Record a report at ``east_km`` east of the origin, ``minutes_ago`` before now."""
    lon, lat = b.at(east_km)
    event = make_event(kind="incident_reported", actor="field", lat=lat, lon=lon,
                       category="intimidation", severity=4,
                       time=datetime.now(UTC) - timedelta(minutes=minutes_ago))  # fmt: skip
    record_events(workspace, [event])
    return event.incident_id


def test_an_operator_logs_an_incident_from_the_board(page, workspace):
    at = page("operator")
    assert metric(at, "Open incidents") == "0"
    lon, lat = b.at(20)
    at.number_input(key="ops_lat").set_value(lat)
    at.number_input(key="ops_lon").set_value(lon)
    at.selectbox(key="ops_category").set_value("intimidation")
    at.slider(key="ops_severity").set_value(4)
    at.button(key="FormSubmitter:ops_report-Log the incident").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    events = EventLog(workspace).read()
    assert [(e.kind, e.actor, e.payload["severity"]) for e in events] == [
        ("incident_reported", "an operator", 4)
    ]
    assert metric(at, "Open incidents") == "1"
    board = at.dataframe[0].value
    assert list(board["Incident"]) == [events[0].incident_id]
    assert list(board["Category"]) == ["Intimidation"]
    assert list(board["State"]) == ["Reported, not verified"]


def test_dispatch_lists_the_nearest_units_and_what_each_would_uncover(page, workspace):
    incident = report_here(workspace)
    at = page("operator")
    # U2 is 11 km from the incident, U1 19 km: U2 first.
    assert at.selectbox(key="ops_unit").options[0].startswith("U2 · Patrol")
    assert at.selectbox(key="ops_unit").options[1].startswith("U1 · Patrol")
    assert "uncovers 1" in at.selectbox(key="ops_unit").options[0]
    assert "uncovers 2" in at.selectbox(key="ops_unit").options[1]
    at.selectbox(key="ops_unit").set_value("U1").run()
    warning = next(w.value for w in at.warning if "lose cover" in w.value)
    assert "C1" in warning
    assert "C2" in warning
    assert "C3" not in warning
    at.button(key="ops_dispatch").click().run()
    assert not at.error, [e.value for e in at.error]
    kinds = [(e.kind, e.unit_id, e.incident_id) for e in EventLog(workspace).read()]
    assert kinds[-1] == ("unit_dispatched", "U1", incident)
    assert metric(at, "Units dispatched") == "1"
    assert metric(at, "Centres that lost cover") == "2"
    lost = next(d.value for d in at.dataframe if "Was" in d.value.columns)
    assert sorted(lost["Centre"]) == ["C1", "C2"]
    # The unit comes back: the two centres are covered again.
    at.selectbox(key="ops_back_unit").set_value("U1")
    at.button(key="ops_unit_back").click().run()
    assert metric(at, "Centres that lost cover") == "0"
    assert metric(at, "Units dispatched") == "0"


def test_the_state_buttons_follow_the_incident_and_record_who_acted(page, workspace):
    incident = report_here(workspace)
    at = page("operator")
    assert at.button(key="ops_incident_resolved").disabled  # not verified yet
    at.button(key="ops_incident_verified").click().run()
    assert not at.button(key="ops_incident_resolved").disabled
    at.text_input(key="ops_owner").input("Amal")
    at.button(key="ops_assign").click().run()
    board = at.dataframe[0].value
    assert list(board["Owner"]) == ["Amal"]
    at.button(key="ops_incident_resolved").click().run()
    at.button(key="ops_incident_closed").click().run()
    assert metric(at, "Open incidents") == "0"
    log = [(e.kind, e.actor) for e in EventLog(workspace).read() if e.incident_id == incident]
    assert [k for k, _ in log] == [
        "incident_reported", "incident_verified", "incident_assigned", "incident_resolved",
        "incident_closed",
    ]  # fmt: skip
    assert {a for k, a in log if k != "incident_reported"} == {"an operator"}


def test_an_operators_board_escalates_a_report_unverified_after_ten_minutes(page, workspace):
    late = report_here(workspace, minutes_ago=11)
    on_time = report_here(workspace, minutes_ago=5, east_km=10)
    at = page("liaison")
    # A liaison's board shows the clock but records nothing.
    assert metric(at, "Overdue") == "1"
    assert len(EventLog(workspace).read()) == 2
    at = page("operator")
    escalations = [e for e in EventLog(workspace).read() if e.kind == "incident_escalated"]
    assert [(e.incident_id, e.payload["reason"], e.actor) for e in escalations] == [
        (late, "verify", "clock")
    ]
    board = at.dataframe[0].value.set_index("Incident")
    assert board.loc[late, "State"] == "Escalated"
    assert board.loc[late, "Overdue"] == "not verified in time"
    assert board.loc[on_time, "Overdue"] == ""
    # A second board (another operator) stores nothing more.
    page("operator")
    assert len([e for e in EventLog(workspace).read() if e.kind == "incident_escalated"]) == 1


def test_a_liaison_sees_the_board_with_units_as_counts_only(page, workspace):
    incident = report_here(workspace)
    record_events(workspace, [make_event(kind="unit_dispatched", actor="op", unit_id="U1",
                                         incident_id=incident)])  # fmt: skip
    at = page("liaison")
    assert metric(at, "Units dispatched") == "1"
    # U1 alone covered C1 and C2: they lost cover, which would place U1 between them; the
    # liaison's coverage stays the plan's (README, Redaction).
    assert metric(at, "Centres that lost cover") == "0"
    board = at.dataframe[0].value
    assert list(board["Units"]) == [1]
    # No action and no unit id anywhere: tables, texts, options, the map.
    assert not at.button
    assert not at.selectbox
    texts = [str(d.value.to_dict()) for d in at.dataframe]
    texts += [m.value for m in at.markdown] + [c.value for c in at.caption]
    texts += [w.value for w in at.warning] + [i.value for i in at.info]
    (component,) = at.get("component_instance")
    script = json.loads(component.proto.json_args)["script"]
    for unit in ("U1", "U2"):
        assert not any(unit in text for text in texts), unit
        assert f'"{unit}"' not in script
    # An operator's map draws the dispatched unit's line; the liaison's has no such layer.
    assert "Dispatched units" not in script
    operator_script = json.loads(page("operator").get("component_instance")[0].proto.json_args)[
        "script"
    ]
    assert "Dispatched units" in operator_script
    assert '"U1"' in operator_script


@pytest.mark.parametrize("role", ["analyst", "briefer", "viewer"])
def test_roles_outside_the_room_are_refused(page, role):
    at = page(role)
    assert "The operations room is open to operators, liaisons" in at.info[0].value
    assert not at.metric


def test_the_board_in_arabic_has_no_english_label(page, workspace):
    report_here(workspace)
    at = page("operator", lang="ar")
    labels = [m.label for m in at.metric] + list(at.dataframe[0].value.columns)
    labels += [b.label for b in at.button] + [s.label for s in at.selectbox]
    labels += [w.label for w in (*at.number_input, *at.text_input, *at.slider, *at.text_area)]
    assert labels
    latin = [s for s in labels if any("a" <= c.lower() <= "z" for c in s)]
    assert latin == []
    states = list(at.dataframe[0].value.iloc[:, 1])
    assert states == ["مُبلَّغ عنها، غير مؤكَّدة"]
    # Sentences too (the response times' line, captions), but for UTC and ids.
    texts = [m.value for m in at.main.markdown if not m.value.lstrip().startswith("<style")]
    texts += [c.value for c in at.main.caption]
    words = {w for text in texts for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"INC-\w+", "", text))}
    assert words <= {"UTC", "DEMO", "ops", "gpkg"}, words


def test_the_handover_lists_the_shifts_changes_and_starts_a_new_shift(page, workspace):
    incident = report_here(workspace)
    at = page("operator")
    changes = next(d.value for d in at.dataframe if "About" in d.value.columns)
    assert list(changes["What"]) == ["Incident reported"]
    assert list(changes["About"]) == [incident]
    assert [b.label for b in at.get("download_button")][0] == "Download the handover brief (PDF)"
    at.button(key="ops_shift_handover").click().run()
    assert [e.kind for e in EventLog(workspace).read()][-1] == "shift_handover"
    assert not any("About" in d.value.columns for d in at.dataframe)
    assert any("Nothing was recorded." in i.value for i in at.info)
    # A liaison reads the brief but cannot start a shift.
    assert not page("liaison").button


def test_the_day_so_far_counts_incidents_and_closures(page, workspace):
    report_here(workspace, minutes_ago=3)
    moment = datetime.now(UTC) - timedelta(minutes=2)
    suspend = make_event(kind="centre_suspended", actor="op", centre_id="C3", time=moment)
    record_events(workspace, [suspend])
    at = page("liaison")
    by_category = next(d.value for d in at.dataframe if "Category" in d.value.columns
                       and len(d.value.columns) == 2)  # fmt: skip
    assert by_category.to_dict("records") == [{"Category": "Intimidation", "Incidents": 1}]
    closures = next(d.value for d in at.dataframe if "Minutes" in d.value.columns)
    assert list(closures["Centre"]) == ["C3"]
    assert list(closures["Status"]) == ["Suspended"]
    assert list(closures["To"]) == [""]  # still suspended
    assert [b.label for b in at.get("download_button")] == [
        "Download the handover brief (PDF)", "Download the incidents of the day (CSV)"
    ]  # fmt: skip


def test_a_click_on_the_map_places_the_next_report(page, workspace):
    at = page("operator")
    (component,) = at.get("component_instance")
    lon, lat = b.at(12)
    # As streamlit-folium reports a click on the map.
    at.session_state[component.key] = {"last_clicked": {"lat": lat, "lng": lon}}
    at.run()
    assert at.number_input(key="ops_lat").value == pytest.approx(lat, abs=1e-6)
    assert at.number_input(key="ops_lon").value == pytest.approx(lon, abs=1e-6)
    at.button(key="FormSubmitter:ops_report-Log the incident").click().run()
    (event,) = EventLog(workspace).read()
    assert event.lon_lat == pytest.approx((lon, lat), abs=1e-6)
