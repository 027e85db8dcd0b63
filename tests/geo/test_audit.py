"""Tests of geo/audit.py: append-only entries in the workspace, filters, locking."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geo import audit
from geo.audit import (
    ACTIONS,
    AUDIT_COLUMNS,
    AUDIT_TABLE,
    check_recordable,
    export_file,
    read_log,
    record,
)
from geo.errors import AccessDeniedError, InputError, StoreError
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from geo.workspace import open_workspace
from tests.geo.builders import centres

ADMIN = Viewer("root", "admin")
T0 = datetime(2025, 5, 16, 9, 30, tzinfo=UTC)


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "ws.gpkg"
    GeoPackageStore(path).write_layer("centres", centres({"centre_id": "00001"}), author="test")
    return path


def test_record_then_read_returns_the_entry_with_every_field(workspace):
    record(
        workspace,
        actor="amal",
        action="export",
        target="gap_list.csv",
        details={"format": "csv", "filters": "district=LY-TB"},
        rows=12,
        now=T0,
    )
    log = read_log(workspace, viewer=ADMIN)
    assert list(log.columns) == list(AUDIT_COLUMNS)
    row = log.iloc[0]
    assert row["at"] == pd.Timestamp(T0)
    assert (row["actor"], row["action"], row["target"], row["rows"]) == (
        "amal",
        "export",
        "gap_list.csv",
        12,
    )
    assert row["details"] == '{"filters": "district=LY-TB", "format": "csv"}'


def test_entries_come_back_oldest_first_with_increasing_numbers(workspace):
    for minute, action in enumerate(("login", "import", "logout")):
        record(workspace, actor="a", action=action, now=T0.replace(minute=minute))
    log = read_log(workspace, viewer=ADMIN)
    assert list(log["action"]) == ["login", "import", "logout"]
    assert log["entry"].is_monotonic_increasing


def test_rows_are_missing_when_not_given(workspace):
    record(workspace, actor="a", action="login", now=T0)
    assert read_log(workspace, viewer=ADMIN)["rows"].isna().all()


def test_a_workspace_without_a_log_reads_as_empty(workspace):
    log = read_log(workspace, viewer=ADMIN)
    assert log.empty
    assert list(log.columns) == list(AUDIT_COLUMNS)


def test_filters_by_actor_action_and_time(workspace):
    record(workspace, actor="amal", action="login", now=datetime(2025, 5, 1, tzinfo=UTC))
    record(workspace, actor="omar", action="export", now=datetime(2025, 5, 2, 8, tzinfo=UTC))
    record(workspace, actor="amal", action="export", now=datetime(2025, 5, 3, tzinfo=UTC))
    assert list(read_log(workspace, viewer=ADMIN, actor="amal")["action"]) == ["login", "export"]
    assert list(read_log(workspace, viewer=ADMIN, action="export")["actor"]) == ["omar", "amal"]
    assert len(read_log(workspace, viewer=ADMIN, action=["login", "export"])) == 3
    assert read_log(workspace, viewer=ADMIN, action=[]).empty
    assert read_log(workspace, viewer=ADMIN, target="none").empty
    # A date as ``until`` includes that whole day; as ``since`` it starts at midnight.
    window = read_log(workspace, viewer=ADMIN, since=date(2025, 5, 2), until=date(2025, 5, 2))
    assert list(window["actor"]) == ["omar"]
    assert len(read_log(workspace, viewer=ADMIN, since=datetime(2025, 5, 2, 9))) == 1


def test_limit_keeps_the_newest_entries(workspace):
    for minute in range(5):
        record(workspace, actor=f"u{minute}", action="login", now=T0.replace(minute=minute))
    assert list(read_log(workspace, viewer=ADMIN, limit=2)["actor"]) == ["u3", "u4"]


def test_only_roles_with_read_audit_log_may_read(workspace):
    record(workspace, actor="a", action="login", now=T0)
    for role in ("planner", "analyst", "briefer", "viewer"):
        with pytest.raises(AccessDeniedError, match="may not read audit log"):
            read_log(workspace, viewer=Viewer("x", role))


def test_entries_cannot_be_updated_or_deleted(workspace):
    record(workspace, actor="amal", action="login", now=T0)
    with sqlite3.connect(workspace) as con:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(f"UPDATE {AUDIT_TABLE} SET actor = 'someone else'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(f"DELETE FROM {AUDIT_TABLE}")
    assert list(read_log(workspace, viewer=ADMIN)["actor"]) == ["amal"]


def test_the_log_survives_later_layer_writes(workspace):
    record(workspace, actor="amal", action="login", now=T0)
    GeoPackageStore(workspace).write_layer("centres", centres({"centre_id": "00002"}), author="b")
    record(workspace, actor="amal", action="import", target="centres", rows=1, now=T0)
    assert len(read_log(workspace, viewer=ADMIN)) == 2
    assert GeoPackageStore(workspace).current_version("centres") == 2


def test_the_log_is_a_geopackage_attributes_table_gis_tools_list(workspace):
    record(workspace, actor="amal", action="login", now=T0)
    assert AUDIT_TABLE in pyogrio.list_layers(workspace)[:, 0]
    table = pyogrio.read_dataframe(workspace, layer=AUDIT_TABLE)
    assert list(table["actor"]) == ["amal"]


def test_concurrent_records_and_layer_writes_lose_no_entry(workspace):
    store = GeoPackageStore(workspace)
    errors: list[BaseException] = []

    def log_many(who: str) -> None:
        try:
            for _ in range(15):
                record(workspace, actor=who, action="export")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def write_layers() -> None:
        try:
            for number in range(3, 7):
                store.write_layer("centres", centres({"centre_id": f"0000{number}"}), author="w")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=log_many, args=(f"u{i}",)) for i in range(3)]
    threads.append(threading.Thread(target=write_layers))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(read_log(workspace, viewer=ADMIN)) == 45
    assert store.current_version("centres") == 5


def test_unknown_action_lists_the_valid_ones(workspace):
    with pytest.raises(InputError, match="unknown audit action 'exprot'; use one of login"):
        record(workspace, actor="a", action="exprot")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"actor": "  "}, "has no actor"),
        ({"actor": "a", "rows": -1}, "rows must be a whole number"),
        ({"actor": "a", "details": {"rows": 3}}, "audit details must be text"),
    ],
)
def test_bad_entries_are_refused_with_a_reason(workspace, kwargs, message):
    with pytest.raises(InputError, match=message):
        record(workspace, action="export", **kwargs)


def test_a_missing_workspace_is_not_created_by_the_log(tmp_path):
    path = tmp_path / "nothing.gpkg"
    with pytest.raises(StoreError, match="there is no workspace at"):
        record(path, actor="a", action="login")
    assert not path.exists()


def test_a_foreign_sqlite_file_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.gpkg"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (a)")
    with pytest.raises(StoreError, match="not a workspace of this application"):
        record(path, actor="a", action="login")
    with sqlite3.connect(path) as con:
        tables = {n for (n,) in con.execute("SELECT name FROM sqlite_master")}
    assert tables == {"t"}


def test_every_action_the_brief_lists_exists():
    wanted = {
        "login",
        "login_failed",
        "logout",
        "import",
        "rollback",
        "scenario_save",
        "scenario_delete",
        "export",
        "user_add",
        "user_disable",
        "user_reset_password",
    }
    assert wanted <= set(ACTIONS)


def test_details_text_is_one_sorted_line():
    assert audit.details_text({"b": "2", "a": "1"}) == "a=1; b=2"


# -- entries cannot be replaced ------------------------------------------------------------

REPLACES = [
    "INSERT OR REPLACE INTO audit_log (fid, at, actor, action, target, details) "
    "VALUES (1, '2020-01-01T00:00:00.000+00:00', 'forger', 'login', '', '{}')",
    "REPLACE INTO audit_log (fid, at, actor, action, target, details) "
    "VALUES (1, '2020-01-01T00:00:00.000+00:00', 'forger', 'login', '', '{}')",
    "INSERT INTO audit_log (fid, at, actor, action, target, details) "
    "VALUES (1, '2020-01-01T00:00:00.000+00:00', 'forger', 'login', '', '{}') "
    "ON CONFLICT (fid) DO UPDATE SET actor = 'forger'",
]


@pytest.mark.parametrize("statement", REPLACES)
@pytest.mark.parametrize("recursive_triggers", ["OFF", "ON"])
def test_entries_cannot_be_rewritten_by_replacing_them(workspace, statement, recursive_triggers):
    record(workspace, actor="amal", action="login", now=T0)
    with sqlite3.connect(workspace) as con:
        con.execute(f"PRAGMA recursive_triggers = {recursive_triggers}")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(statement)
    log = read_log(workspace, viewer=ADMIN)
    assert (list(log["actor"]), list(log["at"])) == (["amal"], [pd.Timestamp(T0)])


def test_new_entries_still_append_after_the_guard(workspace):
    record(workspace, actor="amal", action="login", now=T0)
    with sqlite3.connect(workspace) as con:
        con.execute(
            "INSERT INTO audit_log (at, actor, action, target, details) "
            "VALUES ('2025-05-16T09:31:00.000+00:00', 'omar', 'logout', '', '{}')"
        )
    assert list(read_log(workspace, viewer=ADMIN)["actor"]) == ["amal", "omar"]


def test_an_older_workspace_gets_the_replace_guard_with_its_next_entry(workspace):
    record(workspace, actor="amal", action="login", now=T0)
    with sqlite3.connect(workspace) as con:
        # A workspace made before the guard existed has only the update and delete triggers.
        con.execute("DROP TRIGGER audit_log_no_replace")
        con.execute(REPLACES[0])
    assert list(read_log(workspace, viewer=ADMIN)["actor"]) == ["forger"]
    record(workspace, actor="omar", action="login", now=T0)
    with sqlite3.connect(workspace) as con, pytest.raises(sqlite3.DatabaseError, match="append"):
        con.execute(REPLACES[1].replace("VALUES (1,", "VALUES (2,"))
    assert list(read_log(workspace, viewer=ADMIN)["actor"]) == ["forger", "omar"]


# -- a change and its entry: both or neither, even when the writer is killed --------------

WORKERS = Path(__file__).resolve().parent / "workers.py"
NEW_CENTRE = (
    "centre_id,name_ar,name_en,municipality_pcode,centre_type,stations_male,stations_female,"
    "stations_mixed,registered_voters,status,longitude,latitude\n"
    "93001,مدرسة,School,DM-TB-09,general,2,1,0,1400,open,13.18733,32.88743\n"
)


def start_paused_writer(where: str, workspace: Path, folder: Path) -> subprocess.Popen:
    """Start a process that imports one centre and stops at ``where``; wait until it does."""
    csv = folder / "new.csv"
    csv.write_text(NEW_CENTRE, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(WORKERS), "pause", where, str(workspace), str(csv), str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not (folder / "paused").exists():
        if process.poll() is not None:
            pytest.fail(f"the writer stopped before pausing: {process.communicate()}")
    return process


def imports_logged(workspace: Path) -> list[int]:
    log = read_log(workspace, viewer=ADMIN, action="import", target="centres")
    return sorted(int(json.loads(d)["version"]) for d in log["details"])


def work_copies(workspace: Path) -> list[str]:
    return sorted(p.name for p in workspace.parent.glob(f".{workspace.name}.*.tmp.gpkg*"))


@pytest.mark.parametrize(
    ("where", "versions"), [("before_publish", [1]), ("after_publish", [1, 2])]
)
def test_a_writer_killed_around_the_rename_leaves_no_version_without_its_entry(
    small_demo_workspace, tmp_path, where, versions
):
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(small_demo_workspace, workspace)
    writer = start_paused_writer(where, workspace, tmp_path)
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate()
    store = GeoPackageStore(workspace)
    assert store.versions("centres")["version"].tolist() == versions
    # Every version after the demo's own has its entry, and no entry lacks its version.
    assert imports_logged(workspace) == versions[1:]
    assert ("93001" in set(store.read_layer("centres")["centre_id"])) == (len(versions) == 2)


def test_the_copy_of_a_killed_writer_is_removed_when_the_workspace_is_next_opened(
    small_demo_workspace, tmp_path
):
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(small_demo_workspace, workspace)
    writer = start_paused_writer("before_publish", workspace, tmp_path)
    assert len(work_copies(workspace)) == 1
    # While the writer lives, its copy is not stale: opening the workspace keeps it.
    open_workspace(workspace)
    assert len(work_copies(workspace)) == 1
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate()
    assert len(work_copies(workspace)) == 1
    open_workspace(workspace)
    assert work_copies(workspace) == []


def test_a_writer_stopped_with_sigterm_removes_its_copy(small_demo_workspace, tmp_path):
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(small_demo_workspace, workspace)
    before = workspace.read_bytes()
    writer = start_paused_writer("before_publish", workspace, tmp_path)
    writer.send_signal(signal.SIGTERM)
    writer.communicate()
    assert writer.returncode == 128 + signal.SIGTERM
    assert work_copies(workspace) == []
    assert workspace.read_bytes() == before


def test_a_paused_writer_resumes_and_publishes_with_its_entry(small_demo_workspace, tmp_path):
    workspace = tmp_path / "ws.gpkg"
    shutil.copyfile(small_demo_workspace, workspace)
    writer = start_paused_writer("before_publish", workspace, tmp_path)
    (tmp_path / "resume").write_text("")
    out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert GeoPackageStore(workspace).versions("centres")["version"].tolist() == [1, 2]
    assert imports_logged(workspace) == [2]
    assert work_copies(workspace) == []


# -- exports fail closed -------------------------------------------------------------------


@pytest.fixture
def unrecordable(workspace):
    """A workspace whose log cannot be written: its lock file's name is taken by a folder."""
    lock = GeoPackageStore(workspace).lock_path
    lock.unlink()
    lock.mkdir()
    return workspace


def test_an_unwritable_log_is_reported_before_anything_is_exported(unrecordable):
    with pytest.raises(StoreError, match=r"cannot open the lock file .*ws\.gpkg\.lock"):
        check_recordable(unrecordable)
    with pytest.raises(StoreError, match="cannot open the lock file"):
        record(unrecordable, actor="amal", action="login")


def test_the_check_writes_nothing(workspace):
    before = workspace.read_bytes()
    check_recordable(workspace)
    assert workspace.read_bytes() == before


def test_a_damaged_log_is_reported_by_the_check(workspace):
    with sqlite3.connect(workspace) as con:
        # A log that refuses every entry, as a broken disk or file would.
        con.execute(
            "CREATE TABLE audit_log (fid INTEGER PRIMARY KEY, at, actor, action, target, "
            "details, rows, CHECK (0))"
        )
    with pytest.raises(StoreError, match="cannot write the audit log of .*CHECK constraint"):
        check_recordable(workspace)


def test_an_export_whose_entry_cannot_be_written_writes_no_file(unrecordable, tmp_path):
    out = tmp_path / "gaps.csv"
    out.write_bytes(b"an older export")
    with pytest.raises(StoreError, match="cannot open the lock file"):
        export_file(unrecordable, out, b"new rows", actor="amal", details={"format": "csv"})
    assert out.read_bytes() == b"an older export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".gaps")) == []


def test_an_export_is_recorded_then_written(workspace, tmp_path):
    out = tmp_path / "gaps.csv"
    entry = export_file(workspace, out, b"rows", actor="amal", details={"format": "csv"}, rows=2)
    assert out.read_bytes() == b"rows"
    last = read_log(workspace, viewer=ADMIN).iloc[-1]
    assert (last["action"], last["target"], last["rows"]) == ("export", "gaps.csv", 2)
    assert entry.target == "gaps.csv"


def test_an_export_that_cannot_be_written_is_not_recorded(workspace, tmp_path):
    with pytest.raises(InputError, match="cannot write .*missing/gaps.csv"):
        export_file(workspace, tmp_path / "missing" / "gaps.csv", b"rows", actor="amal")
    assert read_log(workspace, viewer=ADMIN).empty
