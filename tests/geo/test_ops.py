"""The operations board's figures, on hand-written days worked out on paper."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon

from geo.errors import InputError
from geo.events import EventLog, make_event
from geo.livestate import fold_events, read_live_state, record_events
from geo.ops import (
    BOARD_COLUMNS,
    CLOCK_ACTOR,
    Clocks,
    changes_since,
    clock_escalations,
    handover_brief,
    headline,
    incident_board,
    response_times,
    timeline,
    units_by_type,
)
from geo.pdf import handover_pdf
from geo.permissions import Viewer
from geo.schema import CRS
from geo.store import GeoPackageStore
from tests.geo import builders as b
from tests.geo.test_reports import pdf_text

T0 = datetime(2025, 5, 16, 8, 0, tzinfo=UTC)
#: A clock namespace (each event database has its own, EventLog.clock_namespace).
NS = uuid.UUID(int=7)


def at_min(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(kind: str, minute: float, **fields):
    return make_event(kind=kind, actor="op", time=at_min(minute), now=at_min(600), **fields)


def world():
    centres = b.centres(
        {"pos": b.at(0), "stations_female": 2},
        {"pos": b.at(3), "stations_female": 0, "stations_male": 2},
        {"pos": b.at(30), "stations_female": 1},
        {"pos": b.at(20, 0.5), "stations_female": 3, "status": "planned"},
    )
    units = b.units({"pos": b.at(1)}, {"pos": b.at(31)})
    return centres, units


def report(minute: float, centre: str = "C1", severity: int = 3):
    return event("incident_reported", minute, centre_id=centre, category="other",
                 severity=severity)  # fmt: skip


def day():
    """Four incidents (A to D), worked out at minute 60 with the default clocks (10, 30, 100).

    A, minute 0, severity 2: verified at 4, unit U1 dispatched at 6, resolved at 40.
    B, minute 5, severity 4: verified at 20 (late), nothing more: 'act' overdue at 60.
    C, minute 45, severity 5: nothing yet (15 min old): 'verify' overdue.
    D, minute 50, severity 1: marked invalid at 52.
    """
    a, bb, c, d = report(0, severity=2), report(5, "C2", 4), report(45, "C3", 5), report(50)
    events = [
        a, bb, c, d,
        event("incident_verified", 4, incident_id=a.incident_id),
        event("unit_dispatched", 6, unit_id="U1", incident_id=a.incident_id),
        event("incident_assigned", 7, incident_id=a.incident_id, owner="Amal"),
        event("incident_verified", 20, incident_id=bb.incident_id),
        event("incident_resolved", 40, incident_id=a.incident_id),
        event("incident_invalid", 52, incident_id=d.incident_id),
    ]  # fmt: skip
    return events, {"A": a.incident_id, "B": bb.incident_id, "C": c.incident_id,
                    "D": d.incident_id}  # fmt: skip


def test_the_board_lists_open_incidents_overdue_first_with_their_clocks():
    centres, units = world()
    events, ids = day()
    state = fold_events(events, centres=centres, units=units)
    board = incident_board(state, at_min(60))
    assert list(board.columns) == list(BOARD_COLUMNS)
    # D is invalid: off the board. Overdue first (C severity 5 before B severity 4), then A.
    assert list(board["incident_id"]) == [ids["C"], ids["B"], ids["A"]]
    rows = board.set_index("incident_id")
    assert rows.loc[ids["C"], "overdue"] == "verify"
    assert rows.loc[ids["B"], "overdue"] == "act"
    assert rows.loc[ids["A"], "overdue"] == ""
    assert list(board["age_min"]) == [15.0, 55.0, 60.0]
    assert rows.loc[ids["A"], "to_verify_min"] == 4.0
    assert rows.loc[ids["B"], "to_verify_min"] == 15.0
    assert rows.loc[ids["A"], "to_resolve_min"] == 40.0
    assert rows.loc[ids["A"], "state"] == "resolved"
    assert rows.loc[ids["A"], "owner"] == "Amal"
    assert rows.loc[ids["A"], "units"] == "U1"
    # At minute 30 the same day has B on time ('act' falls due after minute 35).
    early = incident_board(fold_events(events, centres=centres, units=units, as_of=at_min(30)),
                           at_min(30)).set_index("incident_id")  # fmt: skip
    assert early.loc[ids["B"], "overdue"] == ""
    assert ids["C"] not in early.index


def test_response_times_and_the_share_within_target():
    centres, units = world()
    events, ids = day()
    state = fold_events(events, centres=centres, units=units)
    at_60 = response_times(state, at_min(60))
    assert (at_60.reported, at_60.verified) == (4, 2)
    assert at_60.median_to_verify_min == (4 + 15) / 2
    assert (at_60.resolved, at_60.median_to_resolve_min) == (1, 40.0)
    # Decided at 60: only A (resolved). B and C are open for less than 100 minutes.
    assert (at_60.within_target, at_60.decided, at_60.share_within_target) == (1, 1, 1.0)
    # At 110, B (105 min old) is past the target unresolved; C (65) is not yet decided.
    at_110 = response_times(state, at_min(110))
    assert (at_110.within_target, at_110.decided, at_110.share_within_target) == (1, 2, 0.5)
    empty = response_times(fold_events([], centres=centres, units=units), at_min(60))
    assert (empty.reported, empty.share_within_target, empty.median_to_verify_min) == (
        0,
        None,
        None,
    )


def test_the_clocks_escalate_once_per_incident_and_reason_whoever_asks():
    centres, units = world()
    events, ids = day()
    state = fold_events(events, centres=centres, units=units)
    due = clock_escalations(state, at_min(60), namespace=NS)
    assert sorted((e.incident_id, e.payload["reason"]) for e in due) == sorted(
        [(ids["B"], "act"), (ids["C"], "verify")]
    )
    assert all(e.actor == CLOCK_ACTOR and e.time == at_min(60) for e in due)
    # A second board a few seconds later makes the same events (same ids, same content).
    again = clock_escalations(state, at_min(60.1), namespace=NS)
    assert [e.event_id for e in again] == [e.event_id for e in due]
    assert all(x.same_content(y) for x, y in zip(due, again, strict=True))
    # Shorter clocks: C also falls overdue for 'act' at 12 minutes.
    quick = clock_escalations(state, at_min(60), Clocks(verify_min=5, act_min=12), namespace=NS)
    assert (ids["C"], "act") in {(e.incident_id, e.payload["reason"]) for e in quick}


@pytest.fixture
def workspace(tmp_path) -> Path:
    centres, units = world()
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_layers({"centres": centres, "units": units}, author="test")
    return path


def test_two_boards_escalating_at_once_store_each_escalation_once(workspace):
    ns = EventLog(workspace).clock_namespace()  # the log's, as the boards use
    events, ids = day()
    record_events(workspace, events)
    state = read_live_state(workspace)
    first = record_events(workspace, clock_escalations(state, at_min(60), namespace=ns))
    second = record_events(workspace, clock_escalations(state, at_min(60.2), namespace=ns))
    assert (len(first.stored), len(first.already)) == (2, 0)
    assert (len(second.stored), len(second.already)) == (0, 2)
    after = read_live_state(workspace).incidents.set_index("incident_id")
    assert after.loc[ids["C"], "state"] == "escalated"
    assert after.loc[ids["C"], "escalations"] == "verify"
    # Escalated, nothing more is due for C until 'act' at 30 minutes (minute 75).
    later = read_live_state(workspace)
    assert {e.incident_id for e in clock_escalations(later, at_min(70), namespace=ns)} == set()
    assert {
        (e.incident_id, e.payload["reason"])
        for e in clock_escalations(later, at_min(76), namespace=ns)
    } == {(ids["C"], "act")}
    assert len(EventLog(workspace).read()) == len(events) + 2


def test_boards_whose_clocks_read_other_minutes_still_store_each_escalation_once(workspace):
    ns = EventLog(workspace).clock_namespace()  # the log's, as the boards use
    events, ids = day()
    record_events(workspace, events)
    state = read_live_state(workspace)
    # Board 1 at minute 61 escalates B ('act') and C ('verify').
    first = record_events(workspace, clock_escalations(state, at_min(61), namespace=ns))
    # Board 2, which has not seen them yet, reads 63.4 and has shorter clocks: it makes the
    # same two (stored once) and C's 'act' (18 minutes after the report, over 12).
    again = clock_escalations(state, at_min(63.4), Clocks(verify_min=5, act_min=12), namespace=ns)
    result = record_events(workspace, again)
    assert {(e.incident_id, e.payload["reason"]) for e in result.already} == {
        (e.incident_id, e.payload["reason"]) for e in first.stored
    }
    assert [(e.incident_id, e.payload["reason"]) for e in result.stored] == [(ids["C"], "act")]


def test_headline_counts_worked_out_on_paper():
    centres, units = world()
    events, ids = day()
    events += [
        event("centre_suspended", 30, centre_id="C2"),
        event("female_searcher_absent", 31, centre_id="C1"),
        event("female_searcher_present", 32, centre_id="C3"),
    ]
    state = fold_events(events, centres=centres, units=units)
    top = headline(state, centres, at_min(60), lost_cover=2)
    # Open: B, C (A is resolved, D invalid); overdue: B, C.
    assert (top.open_incidents, top.overdue_incidents) == (2, 2)
    # Not open: C2 suspended, C4 planned (never opened).
    assert top.centres_not_open == 2
    assert (top.units_dispatched, top.units_available) == (1, 1)
    assert top.centres_lost_cover == 2
    # C1's 2 women's stations have no searcher; C3 (1) has one; C4 (3) is not open.
    assert (top.women_stations_without_searcher, top.women_stations_not_reported) == (2, 0)
    morning = headline(fold_events([], centres=centres, units=units), centres, at_min(0))
    assert (morning.women_stations_without_searcher, morning.women_stations_not_reported) == (0, 3)


def test_changes_since_the_last_handover():
    events, _ = day()
    assert [e.time for e in changes_since(events, at_min(20))] == [
        at_min(40), at_min(45), at_min(50), at_min(52)
    ]  # fmt: skip
    assert len(changes_since(events, None)) == len(events)


def test_clock_minutes_must_be_positive():
    with pytest.raises(ValueError, match="verify_min must be more than 0 minutes"):
        Clocks(verify_min=0)


def handover_day():
    events, ids = day()
    events += [
        event("shift_handover", 30),
        event("incident_assigned", 41, incident_id=ids["B"], owner="Omar"),
        event("unit_dispatched", 42, unit_id="U2", incident_id=ids["B"]),
        event("centre_suspended", 43, centre_id="C2"),
    ]
    return events, ids


def test_the_handover_brief_lists_what_changed_since_the_last_handover():
    centres, units = world()
    events, ids = handover_day()
    state = fold_events(events, centres=centres, units=units)
    brief = handover_brief(state, events, centres, at_min(60), units_shown=True)
    assert brief.since == at_min(30)
    # After minute 30: A resolved (40), C reported (45), B assigned (41) and dispatched (42),
    # C2 suspended (43), D reported (50) and marked invalid (52); in time order.
    assert list(brief.changes["time"]) == [at_min(m) for m in (40, 41, 42, 43, 45, 50, 52)]
    assert list(brief.changes["kind"])[:4] == [
        "incident_resolved", "incident_assigned", "unit_dispatched", "centre_suspended"
    ]  # fmt: skip
    assert brief.changes["about"].iloc[2] == f"{ids['B']} · U2"
    # Open: B (Omar) and C (nobody yet); A is resolved, D invalid.
    assert brief.owners.to_dict("records") == [
        {"owner": "", "incidents": 1}, {"owner": "Omar", "incidents": 1}
    ]  # fmt: skip
    # Not open: C2 suspended at 43, C4 planned (never opened).
    assert brief.centres_not_open[["centre_id", "status"]].to_dict("records") == [
        {"centre_id": "C2", "status": "suspended"}, {"centre_id": "C4", "status": "planned"}
    ]  # fmt: skip
    assert brief.headline.units_dispatched == 2
    # Without unit positions the dispatch names its incident only.
    hidden = handover_brief(state, events, centres, at_min(60))
    assert hidden.changes["about"].iloc[2] == ids["B"]
    assert not hidden.changes["about"].str.contains("U1|U2").any()
    # Before any handover, the brief covers the whole log up to now.
    first = handover_brief(state, events, centres, at_min(20))
    assert first.since is None
    assert len(first.changes) == len([e for e in events if e.time <= at_min(20)])


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_handover_pdf_in_each_language(lang, tmp_path):
    centres, units = world()
    events, ids = handover_day()
    state = fold_events(events, centres=centres, units=units)
    brief = handover_brief(state, events, centres, at_min(60))
    pdf = handover_pdf(brief, lang=lang, viewer=Viewer("Amal", "liaison"), is_demo=True,
                       workspace_name="ops.gpkg")  # fmt: skip
    text = pdf_text(pdf, tmp_path)
    assert ids["B"] in text
    assert ids["C"] in text
    assert "U2" not in text
    assert "U1" not in text
    if lang == "en":
        for words in ("Shift handover", "Open incidents", "Omar", "Centre suspended",
                      "not verified in time", "DEMO"):  # fmt: skip
            assert words in text, words
    else:
        for words in ("تسليم المناوبة", "الحوادث المفتوحة لكل مسؤول", "لا أحد بعد"):
            assert words in text, words
        latin = re.findall(r"[A-Za-z]{3,}", re.sub(r"INC-[0-9A-F]{10}", "", text))
        # Only ids, names and the file name stay in Latin letters.
        assert set(latin) <= {"Omar", "Amal", "ops", "gpkg", "UTC", "liaison"}, set(latin)


def test_the_timeline_of_the_day_worked_out_on_paper():
    centres, units = world()
    events, ids = day()
    late = event("incident_reported", 70, lat=b.at(10)[1], lon=b.at(10)[0],
                 category="intimidation", severity=2)  # fmt: skip
    events += [
        late,
        event("centre_suspended", 30, centre_id="C2"),
        event("centre_closed", 35, centre_id="C2"),
        event("centre_reopened", 50, centre_id="C2"),
        event("centre_closed", 55, centre_id="C3"),
    ]
    state = fold_events(events, centres=centres, units=units)
    day_ = timeline(state, events, centres, at_min(80))
    # T0 is 08:00 UTC: A, B, C and D in hour 8, the late report at 09:10.
    hours = dict(zip(day_.by_hour["hour"], day_.by_hour["incidents"], strict=True))
    assert len(hours) == 24
    assert (hours[8], hours[9], sum(hours.values())) == (4, 1, 5)
    assert day_.by_category.to_dict("records") == [
        {"category": "other", "incidents": 4}, {"category": "intimidation", "incidents": 1}
    ]  # fmt: skip
    # Four at centres of LY010101; the late one has only a place and no municipality layer.
    assert day_.by_municipality.to_dict("records") == [
        {"municipality_pcode": "LY010101", "incidents": 4},
        {"municipality_pcode": None, "incidents": 1},
    ]
    rows = day_.incidents.set_index("incident_id")
    assert rows.loc[ids["A"], "units"] == 1
    assert rows.loc[ids["A"], "to_resolve_min"] == 40.0
    assert rows.loc[ids["B"], "to_verify_min"] == 15.0
    assert rows.loc[late.incident_id, "municipality_pcode"] is None
    # C2: one spell from 30 (suspended, then closed) to 50; C3 closed at 55, still at 80.
    spells = day_.closures.to_dict("records")
    assert [(r["centre_id"], r["status"], r["from"], r["minutes"]) for r in spells] == [
        ("C2", "closed", at_min(30), 20.0), ("C3", "closed", at_min(55), 25.0)
    ]  # fmt: skip
    assert spells[0]["to"] == at_min(50)
    assert pd.isna(spells[1]["to"])  # still closed
    assert (day_.response.reported, day_.response.resolved) == (5, 1)


def test_the_timeline_finds_the_municipality_of_a_place_without_a_centre():
    centres, units = world()
    corners = [b.at(5, -5), b.at(15, -5), b.at(15, 5), b.at(5, 5)]
    square = gpd.GeoDataFrame({"pcode": ["LY099999"]}, geometry=[Polygon(corners)], crs=CRS)
    late = event("incident_reported", 70, lat=b.at(10)[1], lon=b.at(10)[0],
                 category="intimidation", severity=2)  # fmt: skip
    state = fold_events([late], centres=centres, units=units)
    day_ = timeline(state, [late], centres, at_min(80), municipalities=square)
    assert list(day_.incidents["municipality_pcode"]) == ["LY099999"]


def test_the_timeline_of_a_day_without_events():
    centres, units = world()
    day_ = timeline(fold_events([], centres=centres, units=units), [], centres, at_min(5))
    assert day_.by_hour["incidents"].sum() == 0
    assert day_.incidents.empty
    assert day_.closures.empty
    assert day_.by_municipality.empty


def test_units_by_type_counts_those_away_and_those_available():
    centres, units = world()
    events, _ = day()  # U1 (a patrol) dispatched at minute 6; U2 (a patrol) at its base
    state = fold_events(events, centres=centres, units=units)
    assert units_by_type(state, units).to_dict("records") == [
        {"unit_type": "patrol", "dispatched": 1, "available": 1}
    ]


def test_the_rooms_clocks_come_from_the_environment():
    assert Clocks.from_env({}) == Clocks(verify_min=10, act_min=30, resolve_target_min=100)
    env = {"PSP_CLOCK_VERIFY_MIN": "5", "PSP_CLOCK_RESOLVE_MIN": " 90.5 ", "OTHER": "x"}
    assert Clocks.from_env(env) == Clocks(verify_min=5, act_min=30, resolve_target_min=90.5)
    for bad in ("0", "-3", "nan", "inf", "ten"):
        with pytest.raises(InputError, match=f"PSP_CLOCK_ACT_MIN='{bad}' is not a number of"):
            Clocks.from_env({"PSP_CLOCK_ACT_MIN": bad})
