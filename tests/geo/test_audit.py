"""Tests of geo/audit.py: append-only entries in the workspace, filters, locking."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime

import pandas as pd
import pyogrio
import pytest

from geo import audit
from geo.audit import ACTIONS, AUDIT_COLUMNS, AUDIT_TABLE, read_log, record
from geo.errors import AccessDeniedError, InputError, StoreError
from geo.permissions import Viewer
from geo.store import GeoPackageStore
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
