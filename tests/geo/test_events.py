"""The event log and the live state, on hand-written sequences worked out on paper."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from geo.coverage import analyse_coverage
from geo.errors import InputError, StoreError
from geo.events import EventLog, close_writers, events_path, make_event
from geo.livestate import (
    check_events,
    escalations_due,
    fold_events,
    live_layers,
    read_live_state,
    record_events,
)
from geo.store import GeoPackageStore
from tests.geo import builders as b

T0 = datetime(2025, 5, 16, 12, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=6)


def at_min(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def event(kind: str, minute: float, **fields):
    return make_event(kind=kind, actor="op", time=at_min(minute), now=NOW, **fields)


def world():
    # C1 at 0 km and C2 at 3 km are reached by patrol U1 at 1 km (radius 10 road-km =
    # 7.69 km straight); C3 at 30 km by patrol U2 at 31 km; C4 at 20 km by nobody.
    centres = b.centres(
        {"pos": b.at(0)}, {"pos": b.at(3)}, {"pos": b.at(30)}, {"pos": b.at(20, 0.5)}
    )
    units = b.units({"pos": b.at(1)}, {"pos": b.at(31)})
    return centres, units


def statuses(layers):
    result = analyse_coverage(
        layers["centres"], layers["units"], None, None, as_of=pd.Timestamp("2025-05-16")
    )
    return dict(zip(result.centres["centre_id"], result.centres["status"], strict=True))


def test_dispatch_uncovers_exactly_the_two_centres_its_unit_reached():
    centres, units = world()
    report = event("incident_reported", 0, lat=b.at(20)[1], lon=b.at(20)[0],
                   category="violent_protest", severity=4)  # fmt: skip
    dispatch = event("unit_dispatched", 5, unit_id="U1", incident_id=report.incident_id)
    before = fold_events([report], centres=centres, units=units)
    after = fold_events([report, dispatch], centres=centres, units=units)
    was = statuses(live_layers(before, centres, units))
    now = statuses(live_layers(after, centres, units))
    assert was == {"C1": "response_only", "C2": "response_only", "C3": "response_only",
                   "C4": "gap"}  # fmt: skip
    # The busy unit covers neither its base area nor C4 beside the incident.
    assert {c for c in was if was[c] != now[c]} == {"C1", "C2"}
    assert now["C4"] == "gap"
    unit = after.units.set_index("unit_id").loc["U1"]
    assert not unit["available"]
    assert (unit["lon"], unit["lat"]) == pytest.approx(b.at(20))
    assert after.incidents.set_index("incident_id").loc[report.incident_id, "units"] == "U1"


def test_unit_back_returns_to_its_base_and_covers_again():
    centres, units = world()
    report = event("incident_reported", 0, centre_id="C3", category="other", severity=2)
    out = event("unit_dispatched", 5, unit_id="U1", incident_id=report.incident_id)
    back = event("unit_back", 50, unit_id="U1")
    state = fold_events([report, out, back], centres=centres, units=units)
    unit = state.units.set_index("unit_id").loc["U1"]
    assert unit["available"]
    assert (unit["lon"], unit["lat"]) == pytest.approx(b.at(1))
    assert statuses(live_layers(state, centres, units))["C1"] == "response_only"


def test_centre_closed_and_reopened_has_the_status_of_each_moment():
    centres, units = world()
    events = [
        event("centre_opened", 0, centre_id="C2"),
        event("centre_closed", 60, centre_id="C2"),
        event("centre_reopened", 120, centre_id="C2"),
    ]

    def status(minute: float) -> str:
        state = fold_events(events, centres=centres, units=units, as_of=at_min(minute))
        return str(state.centres.set_index("centre_id").loc["C2", "status"])

    assert [status(-1), status(30), status(90), status(150)] == ["open", "open", "closed", "open"]
    closed = fold_events(events, centres=centres, units=units, as_of=at_min(90))
    layers = live_layers(closed, centres, units)
    assert "C2" not in statuses(layers)  # a closed centre is not analysed as open
    assert layers["centres"].set_index("centre_id").loc["C2", "live_status"] == "closed"


def test_suspended_centre_is_not_open_for_coverage():
    centres, units = world()
    state = fold_events([event("centre_suspended", 1, centre_id="C1")], centres=centres,
                        units=units)  # fmt: skip
    assert set(statuses(live_layers(state, centres, units))) == {"C2", "C3", "C4"}


def test_relocated_centre_stands_at_its_new_place():
    centres, units = world()
    lon, lat = b.at(29)
    state = fold_events([event("centre_relocated", 1, centre_id="C4", lat=lat, lon=lon)],
                        centres=centres, units=units)  # fmt: skip
    # At 29 km, 2 km from U2: reachable now.
    assert statuses(live_layers(state, centres, units))["C4"] == "response_only"


def test_as_of_rebuilds_the_incident_state_of_any_moment():
    centres, units = world()
    report = event("incident_reported", 0, centre_id="C1", category="intimidation", severity=3)
    iid = report.incident_id
    events = [
        report,
        event("incident_verified", 4, incident_id=iid),
        event("unit_dispatched", 6, unit_id="U2", incident_id=iid),
        event("incident_resolved", 40, incident_id=iid),
        event("unit_back", 55, unit_id="U2"),
        event("incident_closed", 60, incident_id=iid),
    ]
    # Given in another order than time: the fold sorts them.
    shuffled = events[::-1]

    def state_at(minute: float) -> tuple[str, bool]:
        state = fold_events(shuffled, centres=centres, units=units, as_of=at_min(minute))
        unit = state.units.set_index("unit_id").loc["U2", "available"]
        return str(state.incidents.set_index("incident_id").loc[iid, "state"]), bool(unit)

    assert state_at(1) == ("reported", True)
    assert state_at(5) == ("verified", True)
    assert state_at(30) == ("verified", False)
    assert state_at(45) == ("resolved", False)
    assert state_at(58) == ("resolved", True)
    assert state_at(61) == ("closed", True)
    assert fold_events(shuffled, centres=centres, units=units, as_of=at_min(-1)).incidents.empty


def test_escalation_falls_due_at_minute_eleven_not_ten():
    centres, units = world()
    report = event("incident_reported", 0, centre_id="C1", category="intimidation", severity=3)
    state = fold_events([report], centres=centres, units=units)
    assert escalations_due(state, at_min(10)).empty
    due = escalations_due(state, at_min(11))
    assert due["incident_id"].tolist() == [report.incident_id]
    assert due["reason"].tolist() == ["verify"]
    assert due["overdue_min"].tolist() == pytest.approx([1.0])
    escalated = event("incident_escalated", 11, incident_id=report.incident_id, reason="verify")
    later = fold_events([report, escalated], centres=centres, units=units)
    assert escalations_due(later, at_min(29)).empty
    assert escalations_due(later, at_min(31))["reason"].tolist() == ["act"]
    assert escalations_due(later, at_min(31), act_min=40).empty


@pytest.fixture
def workspace(tmp_path) -> Path:
    centres, units = world()
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_layers({"centres": centres, "units": units}, author="test")
    return path


def test_retry_with_the_same_id_is_stored_once(workspace):
    first = event("police_present", 1, centre_id="C1")
    retry = make_event(kind="police_present", actor="op", event_id=first.event_id,
                       centre_id="C1", time=at_min(2), now=NOW)  # fmt: skip
    assert len(record_events(workspace, [first]).stored) == 1
    again = record_events(workspace, [retry])
    assert again.stored == ()
    assert [e.event_id for e in again.already] == [first.event_id]
    stored = EventLog(workspace).read()
    assert [e.event_id for e in stored] == [first.event_id]
    assert stored[0].time == at_min(1)  # the first submission's time stands
    assert EventLog(workspace).version() == 1


def test_same_id_with_other_content_is_refused(workspace):
    first = event("police_present", 1, centre_id="C1")
    record_events(workspace, [first])
    other = make_event(kind="police_absent", actor="op", event_id=first.event_id,
                       centre_id="C1", now=NOW)  # fmt: skip
    with pytest.raises(InputError, match="already recorded with other content.*new id"):
        record_events(workspace, [other])
    assert len(EventLog(workspace).read()) == 1


def test_illegal_transition_is_refused_and_nothing_stored(workspace):
    report = event("incident_reported", 0, centre_id="C1", category="other", severity=1)
    record_events(workspace, [report])
    with pytest.raises(InputError, match=r"incident_closed refused: incident INC-\w+ is reported"):
        record_events(workspace, [event("incident_closed", 3, incident_id=report.incident_id)])
    record_events(workspace, [event("unit_dispatched", 4, unit_id="U1",
                                    incident_id=report.incident_id)])  # fmt: skip
    with pytest.raises(InputError, match="unit U1 is already dispatched"):
        record_events(workspace, [event("unit_dispatched", 5, unit_id="U1",
                                        incident_id=report.incident_id)])  # fmt: skip
    assert EventLog(workspace).version() == 2


def test_event_in_the_past_that_breaks_a_later_one_is_refused(workspace):
    report = event("incident_reported", 0, centre_id="C1", category="other", severity=1)
    record_events(workspace, [report, event("centre_closed", 30, centre_id="C2")])
    # Closing C2 at 20 would make the stored close at 30 illegal.
    with pytest.raises(InputError, match="would make the later event"):
        record_events(workspace, [event("centre_closed", 20, centre_id="C2")])


def test_unknown_ids_are_refused_naming_them(workspace):
    with pytest.raises(InputError, match="centre C9 is not in the centres layer"):
        record_events(workspace, [event("centre_closed", 1, centre_id="C9")])
    with pytest.raises(InputError, match="incident INC-X is not reported today"):
        record_events(workspace, [event("unit_dispatched", 1, unit_id="U1",
                                        incident_id="INC-X")])  # fmt: skip


def test_kind_specific_fields_are_checked():
    with pytest.raises(InputError, match="unit_dispatched needs unit_id.*needs incident_id"):
        make_event(kind="unit_dispatched", actor="op", now=NOW)
    with pytest.raises(InputError, match="lies outside Libya; latitude and longitude look swapped"):
        make_event(kind="centre_relocated", actor="op", centre_id="C1", lat=13.2, lon=32.9)
    with pytest.raises(InputError, match="centre_relocated needs lat"):
        make_event(kind="centre_relocated", actor="op", centre_id="C1")
    with pytest.raises(InputError, match="not a UUID"):
        make_event(kind="police_present", actor="op", centre_id="C1", event_id="abc")
    with pytest.raises(InputError, match="unknown event kind 'fire'"):
        make_event(kind="fire", actor="op")
    with pytest.raises(InputError, match="is in the future"):
        make_event(kind="police_present", actor="op", centre_id="C1",
                   time=NOW + timedelta(hours=1), now=NOW)  # fmt: skip


def test_an_incident_is_taken_on_and_handed_over_until_it_is_closed():
    centres, units = world()
    report = event("incident_reported", 0, centre_id="C1", category="other", severity=2)
    iid = report.incident_id
    amal = event("incident_assigned", 2, incident_id=iid, owner="Amal")
    omar = event("incident_assigned", 9, incident_id=iid, owner="Omar")
    state = fold_events([report], centres=centres, units=units)
    assert state.incidents.set_index("incident_id").loc[iid, "owner"] is None
    state = fold_events([report, amal, omar], centres=centres, units=units, as_of=at_min(5))
    assert state.incidents.set_index("incident_id").loc[iid, "owner"] == "Amal"
    state = fold_events([report, amal, omar], centres=centres, units=units)
    row = state.incidents.set_index("incident_id").loc[iid]
    assert (row["owner"], row["state"]) == ("Omar", "reported")  # taking it on is not acting
    assert pd.isna(row["acted_at"])
    late = [report, event("incident_invalid", 3, incident_id=iid), omar]
    with pytest.raises(InputError, match=f"incident {iid} is invalid: nobody can take it on"):
        check_events(late[:2], late[2:], centres=centres, units=units)


def test_an_assignment_naming_the_owner_seen_is_refused_when_someone_took_it_between():
    centres, units = world()
    report = event("incident_reported", 0, centre_id="C1", category="other", severity=2)
    iid = report.incident_id
    amal = event("incident_assigned", 2, incident_id=iid, owner="Amal", previous_owner="")
    # Omar's board still showed nobody when he clicked at minute 3.
    omar = event("incident_assigned", 3, incident_id=iid, owner="Omar", previous_owner="")
    with pytest.raises(InputError, match=(
        f"incident {iid} was taken by 'Amal' \\(assigned by op at 12:02 UTC\\) after your "
        "board showed nobody as its owner"
    )):  # fmt: skip
        check_events([report, amal], [omar], centres=centres, units=units)
    # Knowing Amal holds it, he may take it over; without previous_owner, whoever holds it.
    over = event("incident_assigned", 4, incident_id=iid, owner="Omar", previous_owner="Amal")
    check_events([report, amal], [over], centres=centres, units=units)
    blind = event("incident_assigned", 4, incident_id=iid, owner="Omar")
    check_events([report, amal], [blind], centres=centres, units=units)
    # Seen as Amal's, but Omar took it at minute 4: Huda's assignment is refused.
    huda = event("incident_assigned", 5, incident_id=iid, owner="Huda", previous_owner="Amal")
    with pytest.raises(InputError, match="was taken by 'Omar'.*board showed 'Amal'"):
        check_events([report, amal, over], [huda], centres=centres, units=units)
    with pytest.raises(InputError, match="a previous owner is only given with incident_assigned"):
        event("incident_verified", 1, incident_id=iid, previous_owner="")


def test_an_owner_is_required_for_an_assignment_and_refused_elsewhere():
    with pytest.raises(InputError, match="incident_assigned needs owner"):
        make_event(kind="incident_assigned", actor="op", incident_id="INC-1", now=NOW)
    with pytest.raises(InputError, match="an owner is only given with incident_assigned"):
        make_event(kind="incident_verified", actor="op", incident_id="INC-1", owner="Amal")


def test_report_without_an_id_creates_one_made_from_the_event_id():
    one = event("incident_reported", 0, centre_id="C1", category="other", severity=1)
    again = make_event(kind="incident_reported", actor="op", event_id=one.event_id,
                       centre_id="C1", category="other", severity=1, now=NOW)  # fmt: skip
    assert one.incident_id == again.incident_id
    assert one.incident_id.startswith("INC-")


def test_appending_touches_neither_the_workspace_file_nor_its_layers(workspace):
    digest = hashlib.sha256(workspace.read_bytes()).hexdigest()
    versions = GeoPackageStore(workspace).summary()
    record_events(workspace, [event("police_present", 1, centre_id="C1")])
    assert hashlib.sha256(workspace.read_bytes()).hexdigest() == digest
    pd.testing.assert_frame_equal(GeoPackageStore(workspace).summary(), versions)
    with sqlite3.connect(events_path(workspace)) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with pytest.raises(sqlite3.DatabaseError, match="never changed"):
            con.execute("UPDATE events SET actor = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            con.execute("DELETE FROM events")


def test_read_live_state_of_the_workspace(workspace):
    record_events(workspace, [event("centre_suspended", 10, centre_id="C3")])
    assert (
        read_live_state(workspace, as_of=at_min(5))
        .centres.set_index("centre_id")
        .loc["C3", "status"]
        == "open"
    )
    assert (
        read_live_state(workspace).centres.set_index("centre_id").loc["C3", "status"] == "suspended"
    )


WRITER = """
import sys, uuid
sys.path.insert(0, {root!r})
from geo.events import make_event
from geo.livestate import record_events
workspace, name, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
with open(out, "a") as acks:
    for i in range(count):
        e = make_event(kind="police_present" if i % 2 else "police_absent", actor=name,
                       centre_id="C" + str(1 + i % 4), event_id=str(uuid.uuid4()))
        record_events(workspace, [e])
        acks.write(e.event_id + "\\n")
        acks.flush()
"""


def test_many_processes_append_at_once_without_loss_or_duplicate(workspace, tmp_path):
    digest = hashlib.sha256(workspace.read_bytes()).hexdigest()
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(Path(__file__).resolve().parents[2])))
    writers, each = 8, 15
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(workspace),
                f"w{n}",
                str(each),
                str(tmp_path / f"acks{n}.txt"),
            ]
        )  # fmt: skip
        for n in range(writers)
    ]
    victim = subprocess.Popen([sys.executable, str(script), str(workspace), "victim", "100000",
                               str(tmp_path / "acks_victim.txt")])  # fmt: skip
    victim_acks = tmp_path / "acks_victim.txt"
    deadline = time.monotonic() + 120
    while (not victim_acks.exists() or len(victim_acks.read_text().split()) < 5) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.01)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    for proc in procs:
        assert proc.wait(timeout=300) == 0
    acknowledged = [
        line for f in tmp_path.glob("acks*.txt") for line in f.read_text().split() if line
    ]
    stored = [e.event_id for e in EventLog(workspace).read()]
    assert len(stored) == len(set(stored))  # none duplicated
    assert set(acknowledged) <= set(stored)  # none acknowledged is lost
    assert len(stored) - len(acknowledged) <= 1  # at most the victim's unacknowledged one
    assert len([a for a in acknowledged if a]) >= writers * each + 5
    with sqlite3.connect(events_path(workspace)) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert hashlib.sha256(workspace.read_bytes()).hexdigest() == digest


def test_event_ids_are_canonical_uuids():
    upper = str(uuid.uuid4()).upper()
    assert make_event(kind="police_present", actor="op", centre_id="C1",
                      event_id=upper).event_id == upper.lower()  # fmt: skip


def test_base_layers_are_read_once_per_version_of_the_workspace(workspace, monkeypatch):
    import geo.workspace

    reads = []
    real = geo.workspace.open_workspace

    def counting(path):
        reads.append(path)
        return real(path)

    monkeypatch.setattr(geo.workspace, "open_workspace", counting)
    record_events(workspace, [event("police_present", 1, centre_id="C1")])
    record_events(workspace, [event("police_absent", 2, centre_id="C1")])
    read_live_state(workspace)
    assert len(reads) == 1  # the layers did not change: read once
    # A new version of the units layer without U1 is seen by the next append.
    centres, units = world()
    GeoPackageStore(workspace).write_layer("units", units[units["unit_id"] != "U1"], author="t")
    report = event("incident_reported", 3, centre_id="C1", category="other", severity=1)
    with pytest.raises(InputError, match="unit U1 is not in the units layer"):
        record_events(workspace, [report, event("unit_dispatched", 4, unit_id="U1",
                                                incident_id=report.incident_id)])  # fmt: skip
    assert len(reads) == 2


def test_a_log_being_created_reads_as_empty_but_another_database_is_refused(workspace):
    # The first append creates the file, then its table: a board polling in between sees
    # an SQLite file without tables, which is an empty log, not a foreign database.
    sqlite3.connect(events_path(workspace)).close()
    assert events_path(workspace).is_file()
    assert EventLog(workspace).version() == 0
    assert EventLog(workspace).read() == []
    with sqlite3.connect(events_path(workspace)) as con:
        con.execute("CREATE TABLE other (x)")
    with pytest.raises(StoreError, match="is not an event database of this application"):
        EventLog(workspace).version()


def test_folding_the_same_layers_again_starts_from_the_layers_not_the_last_fold():
    centres, units = world()
    report = event("incident_reported", 0, centre_id="C1", category="other", severity=1)
    out = event("unit_dispatched", 1, unit_id="U1", incident_id=report.incident_id)
    moved = event("centre_relocated", 2, centre_id="C2", lat=b.at(9)[1], lon=b.at(9)[0])
    busy = fold_events([report, out, moved], centres=centres, units=units)
    assert not busy.units.set_index("unit_id").loc["U1", "available"]
    fresh = fold_events([], centres=centres, units=units)
    assert fresh.units["available"].all()
    c2 = fresh.centres.set_index("centre_id").loc["C2"]
    assert (c2["lon"], c2["lat"]) == pytest.approx(b.at(3))
    assert not c2["relocated"]


def _random_event(rng, minute: float, incidents: list[str]):
    """One event of a random kind, legal or not in the state it lands on."""
    kind = rng.choice(["incident_reported", "incident_verified", "incident_resolved",
                       "incident_closed", "incident_assigned", "unit_dispatched", "unit_back",
                       "centre_closed", "centre_reopened", "police_present"])  # fmt: skip
    incident = rng.choice([*incidents, "INC-NOPE"]) if incidents else "INC-NOPE"
    centre = rng.choice(["C1", "C2", "C3", "C4"])
    if kind == "incident_reported":
        return event(kind, minute, centre_id=centre, category="other", severity=2)
    if kind == "incident_assigned":
        owner = rng.choice(["Amal", "Omar"])
        return event(kind, minute, incident_id=incident, owner=owner,
                     previous_owner=rng.choice([None, "", "Amal"]))  # fmt: skip
    if kind in ("unit_dispatched", "unit_back"):
        unit = rng.choice(["U1", "U2"])
        extra = {"incident_id": incident} if kind == "unit_dispatched" else {}
        return event(kind, minute, unit_id=unit, **extra)
    if kind.startswith("incident_"):
        return event(kind, minute, incident_id=incident)
    return event(kind, minute, centre_id=centre)


def _insert_raw(workspace: Path, e) -> None:
    """Store an event as another process would: behind this process's back."""
    from geo.events import _row_of

    with closing(sqlite3.connect(events_path(workspace))) as con, con:
        con.execute(
            "INSERT INTO events (event_id, time, recorded_at, actor, kind, centre_id, unit_id,"
            " incident_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _row_of(e, "2025-05-16T18:00:00.000+00:00"),
        )


def test_each_append_is_decided_as_a_fold_of_the_whole_log_would(workspace):
    # record_events keeps this process's fold of the stored events and applies only what
    # is new; every decision must be the one check_events makes from the whole log:
    # events stored by another process in between, late uploads dated earlier, refusals
    # of every kind, and a log restored from an older copy.
    import random
    import shutil

    centres, units = world()
    rng = random.Random(11)
    minute, backup = 0.0, None
    decided = dict.fromkeys(["stored", "refused", "late", "other writer", "late, other writer",
                             "refused pair"], 0)  # fmt: skip
    for step in range(300):
        late = rng.random() < 0.1
        minute = minute - rng.uniform(1, 20) if late else minute + rng.uniform(0, 2)
        minute = max(minute, 0.0)
        stored = EventLog(workspace).read()
        incidents = [e.incident_id for e in stored if e.kind == "incident_reported"]
        batch = [_random_event(rng, minute, incidents)]
        if late and rng.random() < 0.5:  # a field report uploaded late: legal at any time
            batch = [event("police_absent", minute, centre_id=rng.choice(["C1", "C3"]))]
        if rng.random() < 0.3:  # two events at once: the first may change what the second may
            batch.append(_random_event(rng, minute + rng.uniform(0, 1), incidents))
            if rng.random() < 0.5:  # the second refused: the first must leave no trace
                batch.append(event("incident_verified", minute + 1, incident_id="INC-NOPE"))
        try:
            check_events(stored, batch, centres=centres, units=units)
            expected = None
        except InputError as exc:
            expected = str(exc)
        if expected is None and rng.random() < (0.8 if late else 0.15):
            for one in batch:
                _insert_raw(workspace, one)  # another writer
            decided["other writer"] += 1
            decided["late, other writer"] += late
            continue
        try:
            record_events(workspace, batch)
            got = None
        except InputError as exc:
            got = str(exc)
        assert got == expected, f"step {step}: {[e.kind for e in batch]}"
        decided["refused" if got else "stored"] += 1
        decided["late"] += late
        decided["refused pair"] += len(batch) == 2 and got is not None
        if step == 100:
            backup = events_path(workspace).with_suffix(".bak")
            with closing(sqlite3.connect(events_path(workspace))) as con:
                con.execute(f"VACUUM INTO '{backup}'")  # an online backup
        if step == 200:
            assert backup is not None
            close_writers()  # as when the app is stopped to restore the log
            for extra in ("-wal", "-shm"):
                Path(str(events_path(workspace)) + extra).unlink(missing_ok=True)
            shutil.copy(backup, events_path(workspace))  # restored from the older copy
    assert min(decided.values()) >= 2, decided  # each kind of decision was exercised


def test_a_late_event_stored_by_another_writer_is_folded_in_its_place(workspace):
    # This process has folded I-1 reported (0), verified (2), resolved (20). Another writer
    # then stores U2's dispatch to I-1 at minute 15, legal then (I-1 was verified). Folded
    # in its place, U2 is busy; folded after the resolution it would be refused and U2
    # left available, so a second dispatch of U2 would wrongly pass.
    centres, units = world()
    report = event("incident_reported", 0, centre_id="C3", category="other", severity=2)
    iid = report.incident_id
    record_events(workspace, [report, event("incident_verified", 2, incident_id=iid)])
    record_events(workspace, [event("incident_resolved", 20, incident_id=iid)])
    record_events(workspace, [event("police_present", 25, centre_id="C1")])  # folds minute 20
    late = event("unit_dispatched", 15, unit_id="U2", incident_id=iid)
    check_events(EventLog(workspace).read(), [late], centres=centres, units=units)  # legal
    _insert_raw(workspace, late)
    other = event("incident_reported", 26, centre_id="C4", category="other", severity=2)
    record_events(workspace, [other])
    again = event("unit_dispatched", 27, unit_id="U2", incident_id=other.incident_id)
    with pytest.raises(InputError, match=f"unit U2 is already dispatched to incident {iid}"):
        record_events(workspace, [again])


def test_a_log_moved_away_is_not_written_through_a_connection_left_open(workspace, tmp_path):
    # The process keeps its writing connection open; a log moved away (with the app
    # running, against the advice) must not receive the next event through it.
    first = event("police_present", 1, centre_id="C1")
    record_events(workspace, [first])
    moved = tmp_path / "moved.sqlite"
    for extra in ("", "-wal", "-shm"):
        source = Path(str(events_path(workspace)) + extra)
        if source.exists():
            source.rename(Path(str(moved) + extra))
    second = event("police_absent", 2, centre_id="C1")
    record_events(workspace, [second])
    assert [e.event_id for e in EventLog(workspace).read()] == [second.event_id]
    close_writers()
    with closing(sqlite3.connect(moved)) as con:
        assert [r[0] for r in con.execute("SELECT event_id FROM events")] == [first.event_id]


def test_a_forked_process_opens_its_own_writer(workspace):
    import multiprocessing as mp

    import geo.events

    record_events(workspace, [event("police_present", 1, centre_id="C1")])
    assert geo.events._WRITERS  # this process's writer is open

    def child(out) -> None:
        out.put(len(geo.events._WRITERS))  # none inherited
        for i in range(5):
            record_events(workspace, [event("police_absent", 2 + i, centre_id="C2")])
        out.put("done")

    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=child, args=(out,))
    proc.start()
    assert out.get(timeout=60) == 0
    assert out.get(timeout=60) == "done"
    proc.join(timeout=60)
    assert proc.exitcode == 0
    record_events(workspace, [event("police_present", 9, centre_id="C3")])
    assert len(EventLog(workspace).read()) == 7
    with closing(sqlite3.connect(events_path(workspace))) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
