"""Live coverage after events: hand-worked days, and random days against the full analysis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.coverage import CoverageParams, analyse_coverage
from geo.errors import InputError
from geo.events import make_event
from geo.livecoverage import LOST_COLUMNS, OPTION_COLUMNS, LiveCoverage
from geo.livestate import fold_events, live_layers
from tests.geo import builders as b

T0 = datetime(2025, 5, 16, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=12)


def event(kind: str, minute: float, **fields):
    return make_event(kind=kind, actor="op", time=T0 + timedelta(minutes=minute), now=NOW, **fields)


def report_at(minute: float, east_km: float, north_km: float = 0.0):
    lon, lat = b.at(east_km, north_km)
    return event("incident_reported", minute, lat=lat, lon=lon, category="other", severity=3)


def world():
    # Patrol radius 10 road-km = 7.69 km straight; rapid 30 road-km = 23.08 km straight.
    # C1 (0 km) and C2 (3 km) are reached by patrol U1 (1 km) only; C3 (30 km) by patrol
    # U2 (31 km) and rapid U3 (27 km; C2 is 24 km from it); C4 (20 km, 0.5 north) by U3
    # only (7.02 km; U2 is 11.01 km away). C5 and C6 (60 km, 100 m apart): static guard U4
    # stands between them, assigned to C5 (so it guards C5 only); U5 is a static guard far
    # from every centre.
    centres = b.centres(
        {"pos": b.at(0)},
        {"pos": b.at(3)},
        {"pos": b.at(30)},
        {"pos": b.at(20, 0.5)},
        {"pos": b.at(60)},
        {"pos": b.at(60.1)},
    )
    units = b.units(
        {"pos": b.at(1)},
        {"pos": b.at(31)},
        {"pos": b.at(27), "unit_type": "rapid_response"},
        {"pos": b.at(60.05), "unit_type": "static_guard", "assigned_centre_id": "C5"},
        {"pos": b.at(20, 40), "unit_type": "static_guard"},
    )
    return centres, units


def live(centres, units, **kw):
    return LiveCoverage({"centres": centres, "units": units}, **kw)


def statuses(result):
    return dict(zip(result.centres["centre_id"], result.centres["status"], strict=True))


def test_dispatch_uncovers_exactly_the_two_centres_only_its_unit_reached():
    centres, units = world()
    lc = live(centres, units)
    report = report_at(0, 20)
    dispatch = event("unit_dispatched", 5, unit_id="U1", incident_id=report.incident_id)
    before = fold_events([report], centres=centres, units=units)
    after = fold_events([report, dispatch], centres=centres, units=units)
    assert statuses(lc.morning()) == {
        "C1": "response_only", "C2": "response_only", "C3": "response_only",
        "C4": "response_only", "C5": "guard_only", "C6": "gap",
    }  # fmt: skip
    lost = lc.lost_cover(after)
    assert list(lost.columns) == list(LOST_COLUMNS)
    assert lost["centre_id"].tolist() == ["C1", "C2"]
    assert lost["was"].tolist() == ["response_only", "response_only"]
    assert lost["now"].tolist() == ["gap", "gap"]
    assert lost["why"].tolist() == ["unit U1 dispatched"] * 2
    assert lost["municipality_pcode"].tolist() == ["LY010101"] * 2
    assert lost["name"].tolist() == ["Centre"] * 2
    # Before the dispatch the same two centres are what U1's leaving would uncover.
    ahead = lc.without_unit(before, "U1")
    assert ahead["centre_id"].tolist() == ["C1", "C2"]
    assert ahead["why"].tolist() == ["unit U1 away"] * 2
    # C3 is reached by U2 and U3: neither alone uncovers it; U3 alone reaches C4.
    assert lc.without_unit(before, "U2").empty
    assert lc.without_unit(before, "U3")["centre_id"].tolist() == ["C4"]
    assert lc.without_unit(before, "U4")["centre_id"].tolist() == ["C5"]
    assert lc.without_unit(after, "U1").empty  # already away: it covers nothing
    assert lc.lost_cover(before).empty


def test_centre_closed_and_reopened():
    centres, units = world()
    lc = live(centres, units)
    events = [
        event("centre_closed", 60, centre_id="C5"),
        event("centre_closed", 61, centre_id="C1"),
        event("centre_reopened", 120, centre_id="C5"),
        event("centre_reopened", 121, centre_id="C1"),
    ]

    def at(minute: float):
        state = fold_events(
            events, centres=centres, units=units, as_of=T0 + timedelta(minutes=minute)
        )
        return state, statuses(lc.at(state))

    closed_state, closed = at(90)
    # Closed centres are not analysed; the guard of closed C5 is a stray, treated as
    # unassigned, so it guards C6 standing 50 m from it.
    assert "C1" not in closed
    assert "C5" not in closed
    assert closed["C6"] == "guard_only"
    assert closed["C2"] == "response_only"
    assert lc.at(closed_state).stray_guards == ("U4",)
    assert lc.lost_cover(closed_state).empty  # a closed centre has lost nothing to list
    open_state, reopened = at(150)
    assert reopened == statuses(lc.morning())
    assert reopened["C5"] == "guard_only"
    assert reopened["C6"] == "gap"
    assert lc.lost_cover(open_state).empty  # C6 was a gap in the morning too


def test_relocated_centre_out_of_reach_lost_its_cover():
    centres, units = world()
    lon, lat = b.at(45, 30)  # 33 km from U2, 35 km from U3
    state = fold_events(
        [event("centre_relocated", 5, centre_id="C3", lat=lat, lon=lon)],
        centres=centres,
        units=units,
    )
    lost = live(centres, units).lost_cover(state)
    assert lost[["centre_id", "was", "now", "why"]].values.tolist() == [
        ["C3", "response_only", "gap", "centre relocated"]
    ]


def test_dispatch_options_by_straight_line_travel_time():
    centres, units = world()
    lc = live(centres, units)
    report = report_at(0, 20)
    other = report_at(1, 0)
    away = event("unit_dispatched", 2, unit_id="U1", incident_id=other.incident_id)
    state = fold_events([report, other], centres=centres, units=units)
    options = lc.dispatch_options(state, report.incident_id)
    assert list(options.columns) == list(OPTION_COLUMNS)
    # road km = straight km × 1.3 at 60 km/h (rapid) or 40 km/h (patrol), in minutes:
    # U3 7 km → 9.1 min; U2 11 km → 21.45 min; U1 19 km → 37.05 min. Static guards stay.
    assert options["unit_id"].tolist() == ["U3", "U2", "U1"]
    assert options["unit_type"].tolist() == ["rapid_response", "patrol", "patrol"]
    assert options["distance_km"].tolist() == pytest.approx([7, 11, 19], rel=1e-3)
    assert options["travel_min"].tolist() == pytest.approx([9.1, 21.45, 37.05], rel=1e-3)
    assert options["basis"].tolist() == ["straight line"] * 3
    assert options["uncovers"].tolist() == [1, 0, 2]
    assert options["uncovered_ids"].tolist() == ["C4", "", "C1,C2"]
    assert lc.dispatch_options(state, report.incident_id, k=2)["unit_id"].tolist() == ["U3", "U2"]
    assert lc.dispatch_options(state, report.incident_id, k=0).empty
    # A dispatched unit is not available.
    busy = fold_events([report, other, away], centres=centres, units=units)
    assert lc.dispatch_options(busy, report.incident_id)["unit_id"].tolist() == ["U3", "U2"]


def test_dispatch_options_on_roads():
    centres, units = world()
    extra = b.units({"unit_id": "U6", "pos": b.at(20, 15)})  # 15 km off the road
    units = pd.concat([units, extra], ignore_index=True)
    # One tertiary road (60 km/h) along the line of centres, 0 to 70 km east.
    roads = b.roads([(0, 0), (70, 0)])
    lc = live(centres, units, roads=roads, roads_version="one road")
    report = report_at(0, 20)
    state = fold_events([report], centres=centres, units=units)
    options = lc.dispatch_options(state, report.incident_id, k=10)
    # On the road at 60 km/h: U3 7 km → 7 min, U2 11 → 11, U1 19 → 19; U6 is off the
    # network (more than 10 km from the road): straight 15 km × 1.3 / 40 km/h = 29.25 min.
    assert options["unit_id"].tolist() == ["U3", "U2", "U1", "U6"]
    assert options["travel_min"].tolist() == pytest.approx([7, 11, 19, 29.25], rel=2e-3)
    assert options["basis"].tolist() == ["roads", "roads", "roads", "straight line"]
    assert options["distance_km"].tolist() == pytest.approx([7, 11, 19, 15], rel=1e-3)
    assert lc.dispatch_options(state, report.incident_id, k=1)["unit_id"].tolist() == ["U3"]
    assert lc.dispatch_options(state, report.incident_id, k=0).empty


def test_bad_ids_are_refused_naming_them():
    centres, units = world()
    lc = live(centres, units)
    report = report_at(0, 20)
    invalid = event("incident_invalid", 1, incident_id=report.incident_id)
    state = fold_events([report, invalid], centres=centres, units=units)
    with pytest.raises(InputError, match="incident INC-X is not reported today"):
        lc.dispatch_options(state, "INC-X")
    with pytest.raises(InputError, match="is invalid: units are dispatched only to"):
        lc.dispatch_options(state, report.incident_id)
    with pytest.raises(InputError, match="unit U9 is not in the units layer"):
        lc.without_unit(state, "U9")


# -- random days against the full analysis ------------------------------------------

ROADS = b.roads([(-5, 0), (55, 0)], [(20, 0), (20, 9)], [(35, 0), (35, -6)])


def random_world():
    centres = b.centres(
        {"pos": b.at(0)},
        {"pos": b.at(3, 1)},
        {"pos": b.at(12, -2)},
        {"pos": b.at(20, 8)},
        {"pos": b.at(30)},
        {"pos": b.at(35, -5), "status": "closed"},
        {"pos": b.at(44, 14)},  # off the network (14 km from the road)
        {"pos": b.at(50)},
        {"pos": b.at(50.1), "status": "planned"},
        # No patrol within 15 minutes (U1 is 15.2 km away: 29.7 min), so the nearest is
        # searched beyond the limit; C11 has neither a patrol nor a rapid unit within it.
        {"pos": b.at(-5, 14)},
        {"pos": b.at(60, 15)},
    )
    units = b.units(
        {"pos": b.at(1)},
        {"pos": b.at(18, 2)},
        {"pos": b.at(31), "response_radius_km": 25.0},
        {"pos": b.at(44, 12)},
        {"pos": b.at(10), "unit_type": "rapid_response"},
        {"pos": b.at(40, 1), "unit_type": "rapid_response"},
        {"pos": b.at(50.05), "unit_type": "static_guard", "assigned_centre_id": "C8"},
        {"pos": b.at(35, -5.1), "unit_type": "static_guard", "assigned_centre_id": "C6"},
        {"pos": b.at(3, 1), "unit_type": "static_guard"},
        {"pos": b.at(26), "unit_type": "checkpoint"},
    )
    incidents = b.incidents({"pos": b.at(5)}, {"pos": b.at(29, 1), "date": "2025-03-01"})
    return centres, units, incidents


WORLD = random_world()
LIVE = {
    roads: LiveCoverage(
        {"centres": WORLD[0], "units": WORLD[1], "incidents": WORLD[2]},
        params=CoverageParams(),
        roads=ROADS if roads else None,
        roads_version="random" if roads else None,
    )
    for roads in (False, True)
}

CENTRE_KINDS = ("centre_closed", "centre_reopened", "centre_suspended", "centre_opened")
INCIDENT_KINDS = ("incident_verified", "incident_resolved", "incident_closed", "incident_invalid")


def draw_events(data, centres, units, steps: int):
    """Fold random events one by one, keeping those the fold accepts."""
    events = []
    incidents: list[str] = []
    centre_ids = centres["centre_id"].tolist()
    unit_ids = units["unit_id"].tolist()
    for minute in range(steps):
        choice = data.draw(
            st.sampled_from(["report", "dispatch", "back", "centre", "move", "incident"])
        )
        if choice == "report":
            east = data.draw(st.floats(-5, 55))
            north = data.draw(st.floats(-6, 15))
            candidate = report_at(minute, east, north)
        elif choice == "dispatch" and incidents:
            candidate = event(
                "unit_dispatched",
                minute,
                unit_id=data.draw(st.sampled_from(unit_ids)),
                incident_id=data.draw(st.sampled_from(incidents)),
            )
        elif choice == "back":
            candidate = event("unit_back", minute, unit_id=data.draw(st.sampled_from(unit_ids)))
        elif choice == "centre":
            candidate = event(
                data.draw(st.sampled_from(CENTRE_KINDS)),
                minute,
                centre_id=data.draw(st.sampled_from(centre_ids)),
            )
        elif choice == "move":
            lon, lat = b.at(data.draw(st.floats(-5, 55)), data.draw(st.floats(-6, 15)))
            candidate = event(
                "centre_relocated",
                minute,
                centre_id=data.draw(st.sampled_from(centre_ids)),
                lat=lat,
                lon=lon,
            )
        elif choice == "incident" and incidents:
            candidate = event(
                data.draw(st.sampled_from(INCIDENT_KINDS)),
                minute,
                incident_id=data.draw(st.sampled_from(incidents)),
            )
        else:
            continue
        state = fold_events([*events, candidate], centres=centres, units=units)
        if not state.warnings:
            events.append(candidate)
            if candidate.kind == "incident_reported":
                incidents.append(str(candidate.incident_id))
    return events


def full(state, roads: bool, drop_unit: str | None = None):
    centres, units, incidents = WORLD
    layers = live_layers(state, centres, units, incidents)
    if drop_unit is not None:
        layers["units"] = layers["units"][layers["units"]["unit_id"] != drop_unit]
    return analyse_coverage(
        **layers,
        audits=None,
        roads=ROADS if roads else None,
        roads_version="random" if roads else None,
    )


@pytest.mark.parametrize("roads", [False, True], ids=["straight", "roads"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_incremental_equals_the_full_analysis_on_random_days(roads, data):
    centres, units, incidents = WORLD
    lc = LIVE[roads]
    steps = data.draw(st.integers(0, 14))
    events = draw_events(data, centres, units, steps)
    state = fold_events(events, centres=centres, units=units, incidents=incidents)
    mine, theirs = lc.at(state), full(state, roads)
    pd.testing.assert_frame_equal(mine.centres, theirs.centres, check_exact=False, rtol=1e-9)
    assert (mine.warnings, mine.stray_guards, mine.as_of) == (
        theirs.warnings,
        theirs.stray_guards,
        theirs.as_of,
    )
    # Lost cover: covered (not a gap) in the morning, a gap now.
    morning = statuses(full(fold_events([], centres=centres, units=units), roads))
    assert statuses(lc.morning()) == morning
    now = statuses(theirs)
    expected = sorted(c for c, s in now.items() if s == "gap" and morning.get(c, "gap") != "gap")
    assert lc.lost_cover(state)["centre_id"].tolist() == expected
    # What each available unit's leaving would uncover, against the analysis without it.
    available = state.units.loc[state.units["available"].astype(bool), "unit_id"].tolist()
    for unit in data.draw(st.lists(st.sampled_from(available), max_size=2, unique=True)):
        without = statuses(full(state, roads, drop_unit=unit))
        uncovered = sorted(c for c, s in now.items() if s != "gap" and without[c] == "gap")
        assert lc.without_unit(state, unit)["centre_id"].tolist() == uncovered


def test_the_last_available_unit_dispatched_leaves_every_centre_a_gap():
    centres = b.centres({"pos": b.at(0)}, {"pos": b.at(3)})
    units = b.units({"pos": b.at(1)})
    report = report_at(0, 2)
    send = event("unit_dispatched", 1, unit_id="U1", incident_id=report.incident_id)
    state = fold_events([report, send], centres=centres, units=units)
    engine = LiveCoverage({"centres": centres, "units": units})
    assert list(engine.at(state).centres["status"]) == ["gap", "gap"]
    assert sorted(engine.lost_cover(state)["centre_id"]) == ["C1", "C2"]
    assert engine.dispatch_options(state, report.incident_id).empty
