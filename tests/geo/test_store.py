"""Tests of geo/store.py: versions, round trips, atomic writes, messages."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import shutil
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import Point, Polygon

from geo import store as store_module
from geo.errors import InputError, LayerMissingError, SchemaError, StaleVersionError, StoreError
from geo.schema import LAYER_NAMES, check_layer
from geo.store import AUDIT_TABLE, AuditEntry, GeoPackageStore, LayerVersion, Store
from geo.workspace import open_workspace


def make_centres(ids: tuple[str, ...] = ("00123", "00456")) -> gpd.GeoDataFrame:
    n = len(ids)
    return gpd.GeoDataFrame(
        {
            "centre_id": list(ids),
            "name_ar": ["مدرسة طرابلس المركزية", "مركز مصراتة", "سبها"][:n],
            "name_en": ["Tripoli Central School", None, "Sabha"][:n],
            "municipality_pcode": ["LY021104", "LY020502", "LY030101"][:n],
            "centre_type": ["general", "displaced", "other"][:n],
            "stations_male": [1, 2, 1][:n],
            "stations_female": [1, 1, 0][:n],
            "stations_mixed": [0, 0, 1][:n],
            "registered_voters": [800, 1500, 600][:n],
            "voters_male": pd.array([400, None, None][:n], dtype="Int64"),
            "voters_female": pd.array([400, None, None][:n], dtype="Int64"),
            "status": ["open", "planned", "open"][:n],
            "source": ["HNEC list 2024", "HNEC list 2024", "field survey"][:n],
        },
        geometry=[Point(13.19, 32.89), Point(15.09, 32.38), Point(14.43, 27.04)][:n],
        crs="EPSG:4326",
    )


def make_audits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "audit_id": ["A001", "A002"],
            "centre_id": ["00123", "00456"],
            "audit_date": ["2024-11-03", "2025-01-20"],
            "step_free_entrance": [True, None],
            "ramp": [False, True],
            "ground_floor_voting": [None, None],
            "accessible_toilet": ["yes", "no"],
            "parking_near": [None, False],
            "notes": ["المدخل ضيق", None],
            "source": ["audit team", "audit team"],
        }
    )


def make_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "unit_id": ["U01", "U02"],
            "agency": ["MoI", "MoI"],
            "unit_type": ["static_guard", "patrol"],
            "assigned_centre_id": ["00123", None],
            "municipality_pcode": ["LY021104", None],
            "officers": [4, 6],
            "female_officers": [2, 0],
            "vehicles": [1, 2],
            "response_radius_km": [None, 10.0],
            "source": ["plan", "plan"],
        },
        geometry=[Point(13.2, 32.9), Point(15.1, 32.4)],
        crs="EPSG:4326",
    )


@pytest.fixture
def store(tmp_path: Path) -> GeoPackageStore:
    return GeoPackageStore(tmp_path / "workspace.gpkg")


def leftover_files(store: GeoPackageStore) -> list[str]:
    """Files in the workspace folder other than the workspace and its lock."""
    names = set(os.listdir(store.path.parent))
    return sorted(names - {store.path.name, store.lock_path.name})


def test_geopackage_store_follows_the_store_interface(store: GeoPackageStore) -> None:
    assert isinstance(store, Store)


def test_new_store_is_empty(store: GeoPackageStore) -> None:
    assert not store.exists()
    assert store.current_version("centres") is None
    assert not store.has_layer("centres")
    assert store.versions().empty
    assert store.info() == {}


def test_write_then_read_returns_the_same_centres(store: GeoPackageStore) -> None:
    centres = make_centres()
    store.write_layer("centres", centres, author="amina")
    back = store.read_layer("centres")
    assert_geodataframe_equal(back, check_layer("centres", centres))
    assert back["centre_id"].tolist() == ["00123", "00456"]
    assert back["name_ar"].tolist() == ["مدرسة طرابلس المركزية", "مركز مصراتة"]
    assert back["voters_male"].tolist() == [400, pd.NA]
    assert str(back["voters_male"].dtype) == "Int64"
    assert back.crs == "EPSG:4326"


def test_audits_round_trip_as_a_table_with_dates_and_nullable_booleans(
    store: GeoPackageStore,
) -> None:
    store.write_layer("access_audits", make_audits(), author="amina")
    back = store.read_layer("access_audits")
    assert not isinstance(back, gpd.GeoDataFrame)
    pd.testing.assert_frame_equal(back, check_layer("access_audits", make_audits()))
    assert back["audit_date"].tolist() == [pd.Timestamp("2024-11-03"), pd.Timestamp("2025-01-20")]
    assert back["step_free_entrance"].tolist() == [True, pd.NA]
    assert back["accessible_toilet"].tolist() == [True, False]
    assert str(back["ramp"].dtype) == "boolean"
    assert pyogrio.read_info(store.path, layer="access_audits")["geometry_type"] is None


def test_polygons_come_back_as_multipolygons_with_the_same_shape(
    store: GeoPackageStore,
) -> None:
    square = Polygon([(13, 32), (14, 32), (14, 33), (13, 33)])
    districts = gpd.GeoDataFrame(
        {
            "pcode": ["LY0211"],
            "name_en": ["Tripoli"],
            "name_ar": ["طرابلس"],
            "region_pcode": ["LY02"],
            "source": ["OCHA"],
        },
        geometry=[square],
        crs="EPSG:4326",
    )
    store.write_layer("districts", districts, author="amina")
    back = store.read_layer("districts")
    assert back.geom_type.tolist() == ["MultiPolygon"]
    assert back.geometry.iloc[0].equals(square)


def test_each_write_creates_the_next_version(store: GeoPackageStore) -> None:
    first = store.write_layer("centres", make_centres(), author="amina", source_file="a.csv")
    second = store.write_layer("centres", make_centres(("00789",)), author="omar")
    assert (first.version, second.version) == (1, 2)
    assert store.current_version("centres") == 2
    assert store.versions("centres")["version"].tolist() == [1, 2]
    assert store.read_layer("centres")["centre_id"].tolist() == ["00789"]


def test_write_returns_what_the_history_records(store: GeoPackageStore) -> None:
    stored = store.write_layer(
        "centres", make_centres(), author="amina", source_file="hnec.csv", note="first list"
    )
    assert stored == LayerVersion(
        layer="centres",
        version=1,
        created_at=stored.created_at,
        author="amina",
        source_file="hnec.csv",
        rows=2,
        note="first list",
        source="HNEC list 2024",
    )
    assert stored.created_at.endswith("+00:00")
    row = store.versions().iloc[0]
    assert (row["layer"], row["version"], row["rows"]) == ("centres", 1, 2)
    assert (row["author"], row["source_file"], row["note"]) == ("amina", "hnec.csv", "first list")


def test_reading_an_older_version(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    store.write_layer("centres", make_centres(("00789",)), author="omar")
    old = store.read_layer("centres", version=1)
    assert_geodataframe_equal(old, check_layer("centres", make_centres()))


def test_restore_writes_the_old_content_as_a_new_version(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina", source_file="a.csv")
    store.write_layer("centres", make_centres(("00789",)), author="omar")
    restored = store.restore_version("centres", 1, author="salma")
    assert (restored.version, restored.author, restored.rows) == (3, "salma", 2)
    assert restored.note == "restored from version 1"
    assert restored.source_file == "a.csv"
    assert_geodataframe_equal(store.read_layer("centres"), store.read_layer("centres", version=1))
    assert store.read_layer("centres", version=2)["centre_id"].tolist() == ["00789"]


def test_plain_pyogrio_sees_the_current_version_under_the_layer_name(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    store.write_layer("centres", make_centres(("00789", "00790")), author="omar")
    layers = dict(pyogrio.list_layers(store.path))
    assert {"centres", "centres__v1", "centres__v2", "layer_versions"} <= set(layers)
    assert layers["centres"] == "Point"
    seen = pyogrio.read_dataframe(store.path, layer="centres")
    assert seen["centre_id"].tolist() == ["00789", "00790"]
    assert seen.crs == "EPSG:4326"


def test_schema_error_raises_with_the_report_and_writes_nothing(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    before = store.path.read_bytes()
    bad = make_centres()
    bad.loc[1, "stations_male"] = -1
    bad.loc[0, "status"] = "unknown"
    with pytest.raises(SchemaError) as caught:
        store.write_layer("centres", bad, author="omar")
    # Row 2 now has -1 + 1 + 0 = 0 stations for its 1500 voters: a third error.
    assert [(p.row, p.column) for p in caught.value.report.errors] == [
        (2, "stations_male"),
        (1, "status"),
        (2, "registered_voters"),
    ]
    assert store.versions()["version"].tolist() == [1]
    assert store.path.read_bytes() == before


def test_write_layers_reports_every_failing_layer_at_once(store: GeoPackageStore) -> None:
    centres = make_centres()
    centres.loc[0, "centre_type"] = "mosque"
    units = make_units()
    units.loc[1, "vehicles"] = -3
    with pytest.raises(SchemaError) as caught:
        store.write_layers({"centres": centres, "units": units}, author="amina")
    problems = caught.value.report.errors
    assert [(p.layer, p.row, p.column) for p in problems] == [
        ("centres", 1, "centre_type"),
        ("units", 2, "vehicles"),
    ]
    assert not store.exists()


def test_failure_after_the_first_table_keeps_the_previous_version(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    before = store.path.read_bytes()
    real_write = store_module._write_table
    calls: list[str] = []

    def write_then_fail(path: Path, table: str, *args: object) -> None:
        calls.append(table)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(path, table, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "_write_table", write_then_fail)
    with pytest.raises(StoreError, match=r"\(disk full\); the workspace is unchanged"):
        store.write_layer("centres", make_centres(("00789",)), author="omar")
    assert calls == ["centres__v2", "centres"]
    assert store.path.read_bytes() == before
    assert store.current_version("centres") == 1
    assert_geodataframe_equal(store.read_layer("centres"), check_layer("centres", make_centres()))
    assert leftover_files(store) == []


def test_write_layers_is_all_or_nothing(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_layers({"centres": make_centres(), "units": make_units()}, author="amina")
    real_write = store_module._write_table

    def fail_on_units(path: Path, table: str, *args: object) -> None:
        if table.startswith("units"):
            raise StoreError("simulated failure")
        real_write(path, table, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "_write_table", fail_on_units)
    with pytest.raises(StoreError, match="simulated failure"):
        store.write_layers(
            {"centres": make_centres(("00789",)), "units": make_units()}, author="omar"
        )
    assert store.current_version("centres") == 1
    assert store.read_layer("centres")["centre_id"].tolist() == ["00123", "00456"]
    assert "centres__v2" not in dict(pyogrio.list_layers(store.path))
    assert leftover_files(store) == []


def test_failed_first_write_creates_no_workspace(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_write_table", fail)
    with pytest.raises(StoreError, match="disk full"):
        store.write_layer("centres", make_centres(), author="amina")
    assert not store.exists()
    assert leftover_files(store) == []


def test_write_layers_stores_every_layer_with_one_timestamp(store: GeoPackageStore) -> None:
    stored = store.write_layers(
        {"units": make_units(), "centres": make_centres()},
        author="demo generator",
        note="demo",
        info={"is_demo": "true"},
    )
    assert [(s.layer, s.version, s.rows) for s in stored] == [("centres", 1, 2), ("units", 1, 2)]
    assert stored[0].created_at == stored[1].created_at
    assert store.info() == {"is_demo": "true"}


def test_summary_has_one_row_per_layer(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina", source_file="a.csv")
    store.write_layer("centres", make_centres(("00789",)), author="omar", note="fix")
    summary = store.summary()
    assert summary["layer"].tolist() == list(LAYER_NAMES)
    assert summary.columns.tolist() == [
        "layer",
        "version",
        "rows",
        "created_at",
        "author",
        "source_file",
        "note",
        "source",
    ]
    centres = summary.set_index("layer").loc["centres"]
    assert (centres["version"], centres["rows"], centres["author"]) == (2, 1, "omar")
    assert centres["note"] == "fix"
    assert pd.isna(centres["source_file"])
    assert summary.set_index("layer")["version"].isna().sum() == len(LAYER_NAMES) - 1


def test_unknown_layer_names_the_known_layers(store: GeoPackageStore) -> None:
    with pytest.raises(StoreError, match="unknown layer 'centers'; the workspace layers are"):
        store.read_layer("centers")
    with pytest.raises(StoreError, match="unknown layer 'centers'"):
        store.write_layer("centers", make_centres(), author="amina")


def test_unknown_version_names_the_stored_versions(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    store.write_layer("centres", make_centres(), author="amina")
    with pytest.raises(
        LayerMissingError, match=r"no version 5; stored versions are 1-2 \(current: 2\)"
    ):
        store.read_layer("centres", version=5)


def test_missing_layer_names_the_stored_layers(store: GeoPackageStore) -> None:
    with pytest.raises(LayerMissingError, match="does not exist yet"):
        store.read_layer("units")
    store.write_layer("centres", make_centres(), author="amina")
    with pytest.raises(LayerMissingError, match="stored layers: centres; import the layer"):
        store.read_layer("units")


def test_set_info_adds_and_updates_keys(store: GeoPackageStore) -> None:
    store.set_info({"is_demo": "true", "seed": "42"})
    store.set_info({"seed": "7", "title": "Demo (synthetic)"})
    assert store.info() == {"is_demo": "true", "seed": "7", "title": "Demo (synthetic)"}


def test_set_info_refuses_values_that_are_not_text(store: GeoPackageStore) -> None:
    with pytest.raises(InputError, match="convert seed with str"):
        store.set_info({"seed": 42})  # type: ignore[dict-item]


def test_empty_author_is_refused(store: GeoPackageStore) -> None:
    with pytest.raises(InputError, match="author is empty"):
        store.write_layer("centres", make_centres(), author=" ")


def test_a_file_that_is_not_a_workspace_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.gpkg"
    make_centres().to_file(path, layer="my_points", engine="pyogrio")
    before = path.read_bytes()
    store = GeoPackageStore(path)
    with pytest.raises(StoreError, match="is not a workspace of this application"):
        store.write_layer("centres", make_centres(), author="amina")
    assert path.read_bytes() == before
    with pytest.raises(StoreError, match="cannot be read as a workspace"):
        store.versions()


def test_work_files_left_by_a_killed_writer_are_removed(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    stale = store.path.with_name(f".{store.path.name}.abc123.tmp.gpkg")
    stale.write_bytes(b"half written")
    store.write_layer("centres", make_centres(), author="amina")
    assert leftover_files(store) == []


def test_concurrent_writers_lose_no_version(store: GeoPackageStore) -> None:
    errors: list[Exception] = []

    def write() -> None:
        try:
            for _ in range(2):
                store.write_layer("centres", make_centres(), author="thread")
        except Exception as exc:  # collected here, checked below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.versions("centres")["version"].tolist() == [1, 2, 3, 4, 5, 6]
    assert leftover_files(store) == []


# -- stale writes: the check and the write are one step under the lock --------------------


def ids_of(frame: pd.DataFrame) -> list[str]:
    return frame["centre_id"].tolist()


def test_a_write_made_on_an_old_version_is_refused_naming_who_wrote_since(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    second = store.write_layer("centres", make_centres(("00789",)), author="omar")
    before = store.path.read_bytes()
    with pytest.raises(
        StaleVersionError,
        match=re.escape(
            f"made on version 1: version 2 was written by omar at {second.created_at}. "
            "Nothing was written"
        ),
    ):
        store.write_layer("centres", make_centres(("00999",)), author="salma", base_version=1)
    assert store.path.read_bytes() == before
    assert leftover_files(store) == []


def test_a_write_made_before_the_layer_existed_is_refused_once_it_does(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    with pytest.raises(StaleVersionError, match="made when the layer had no version"):
        store.write_layer("centres", make_centres(("00999",)), author="b", base_version=None)
    assert store.current_version("centres") == 1


def test_a_write_on_the_current_version_needs_no_rebase(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina")

    def never(base: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
        raise AssertionError("not stale: the rebase must not run")

    stored = store.write_layer(
        "centres", make_centres(("00789",)), author="omar", base_version=1, rebase=never
    )
    assert (stored.version, stored.note) == (2, "")
    assert store.write_layer("units", make_units(), author="o", base_version=None).version == 1


def test_a_stale_write_is_reapplied_by_its_rebase_on_the_current_rows(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    store.write_layer("centres", make_centres(("00123", "00456", "00789")), author="omar")
    seen: list[tuple[list[str], list[str]]] = []

    def add_one(base: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
        seen.append((ids_of(base), ids_of(current)))
        return current.iloc[[0, 2]]

    stored = store.write_layer(
        "centres", make_centres(("00123",)), author="salma", base_version=1, rebase=add_one,
        note="edit",
    )  # fmt: skip
    # The rebase saw version 1 (the base) and version 2 (current) as stored.
    assert seen == [(["00123", "00456"], ["00123", "00456", "00789"])]
    assert ids_of(store.read_layer("centres")) == ["00123", "00789"]
    assert (stored.version, stored.note) == (3, "edit (made on version 1; re-applied on version 2)")


def test_a_rebase_that_refuses_gives_its_reason_and_writes_nothing(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    store.write_layer("centres", make_centres(("00789",)), author="omar")

    def refuse(base: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
        raise StaleVersionError("both changes touch centre_id 00123")

    with pytest.raises(
        StaleVersionError, match=r"written by omar at .*; both changes touch centre_id 00123\."
    ):
        store.write_layer("centres", make_centres(), author="salma", base_version=1, rebase=refuse)
    assert store.current_version("centres") == 2


def test_restoring_an_old_version_after_another_write_is_refused(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    store.write_layer("centres", make_centres(("00789",)), author="omar")
    store.write_layer("centres", make_centres(("00790",)), author="omar")
    with pytest.raises(StaleVersionError, match="version 3 was written by omar"):
        store.restore_version("centres", 1, author="salma", base_version=2)
    assert store.restore_version("centres", 1, author="salma", base_version=3).version == 4


# -- audit entries go in the same transaction as the change --------------------------------


def log_rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as con:
        return con.execute(f"SELECT actor, action, target, details FROM {AUDIT_TABLE}").fetchall()


def entry_for(stored: list[LayerVersion]) -> list[AuditEntry]:
    (version,) = stored
    return [
        AuditEntry(
            at=datetime(2025, 5, 16, 9, 30, tzinfo=UTC),
            actor=version.author,
            action="import",
            target=version.layer,
            details={"version": str(version.version)},
        )
    ]


def test_a_write_and_its_audit_entry_are_stored_together(store: GeoPackageStore) -> None:
    store.write_layer("centres", make_centres(), author="amina", audit=entry_for)
    store.write_layer("centres", make_centres(("00789",)), author="omar", audit=entry_for)
    assert log_rows(store.path) == [
        ("amina", "import", "centres", json.dumps({"version": "1"})),
        ("omar", "import", "centres", json.dumps({"version": "2"})),
    ]


def test_a_failed_write_stores_neither_the_version_nor_its_entry(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_layer("centres", make_centres(), author="amina", audit=entry_for)
    real_insert = store_module._insert_audit

    def fail_after_insert(con: sqlite3.Connection, entries: object) -> None:
        real_insert(con, entries)  # type: ignore[arg-type]
        raise sqlite3.OperationalError("simulated failure after the entry")

    monkeypatch.setattr(store_module, "_insert_audit", fail_after_insert)
    with pytest.raises(StoreError, match="simulated failure"):
        store.write_layer("centres", make_centres(("00789",)), author="omar", audit=entry_for)
    assert store.current_version("centres") == 1
    assert len(log_rows(store.path)) == 1
    assert leftover_files(store) == []


# -- no room on the disk -------------------------------------------------------------------


def test_a_full_disk_while_copying_says_so_and_changes_nothing(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    before = store.path.read_bytes()

    def full(source: object, target: Path) -> None:
        Path(target).write_bytes(b"partial copy")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.shutil, "copyfile", full)
    with pytest.raises(StoreError) as caught:
        store.write_layer("centres", make_centres(("00789",)), author="omar")
    message = str(caught.value)
    assert message.startswith(f"no room to write the workspace {store.path}: the disk is full;")
    # A copy of the workspace plus the new version: at least the file's own size.
    needed = float(message.split("needs about ")[1].split(" MB")[0])
    assert needed >= round(len(before) / 1e6, 2)
    assert "The workspace is unchanged" in message
    assert store.path.read_bytes() == before
    assert leftover_files(store) == []


def test_gdal_reporting_a_full_disk_is_told_as_a_full_disk(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_layer("centres", make_centres(), author="amina")

    def full(path: Path, table: str, *args: object) -> None:
        raise store_module._TableWriteError(
            f"cannot write table '{table}': sqlite3_exec(COMMIT) failed: database or disk is full"
        )

    monkeypatch.setattr(store_module, "_write_table", full)
    with pytest.raises(StoreError, match="^no room to write the workspace .*: the disk is full;"):
        store.write_layer("centres", make_centres(("00789",)), author="omar")
    assert leftover_files(store) == []


def test_a_write_that_cannot_fit_is_refused_before_copying(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    copies: list[object] = []
    monkeypatch.setattr(store_module, "_free_bytes", lambda folder: 1000)
    monkeypatch.setattr(store_module.shutil, "copyfile", lambda *a: copies.append(a))
    with pytest.raises(StoreError, match=r"needs about .* MB in .*, and 0\.00 MB are free"):
        store.write_layer("centres", make_centres(("00789",)), author="omar")
    assert copies == []


# -- a damaged file ------------------------------------------------------------------------


@pytest.fixture
def truncated(demo_workspace: Path, tmp_path: Path) -> Path:
    """A copy of the demo workspace cut to half its size (an interrupted copy)."""
    path = tmp_path / "cut.gpkg"
    data = demo_workspace.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


DAMAGED = r"is damaged \(database disk image is malformed\).*PRAGMA integrity_check"


def test_a_truncated_workspace_is_named_damaged_when_read(truncated: Path) -> None:
    store = GeoPackageStore(truncated)
    for read in (store.versions, lambda: store.read_layer("centres"), store.info):
        with pytest.raises(StoreError, match=DAMAGED):
            read()
    with pytest.raises(StoreError, match=DAMAGED):
        open_workspace(truncated)


def test_a_truncated_workspace_is_named_damaged_and_left_alone_when_written(
    truncated: Path,
) -> None:
    before = truncated.read_bytes()
    with pytest.raises(StoreError, match=DAMAGED + ".*restore it from a backup"):
        GeoPackageStore(truncated).write_layer("centres", make_centres(), author="amina")
    with pytest.raises(StoreError, match=DAMAGED):
        GeoPackageStore(truncated).append_audit([])
    assert truncated.read_bytes() == before


def test_a_file_that_is_not_sqlite_at_all_is_not_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "notes.gpkg"
    path.write_text("centre_id,name\n1,a\n")
    with pytest.raises(StoreError, match="cannot be read as a workspace") as caught:
        GeoPackageStore(path).versions()
    assert "damaged" not in str(caught.value)


# -- temporary copies ----------------------------------------------------------------------


def test_opening_a_workspace_removes_copies_left_by_a_killed_writer(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    stale = store.path.with_name(f".{store.path.name}.abc123.tmp.gpkg")
    shutil.copyfile(store.path, stale)
    Path(f"{stale}-journal").write_bytes(b"")
    open_workspace(store.path)
    assert leftover_files(store) == []


def test_opening_a_workspace_leaves_the_copy_of_a_live_writer_alone(
    store: GeoPackageStore,
) -> None:
    store.write_layer("centres", make_centres(), author="amina")
    live = store.path.with_name(f".{store.path.name}.live01.tmp.gpkg")
    with open(store.lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a writer holds it while its copy exists
        live.write_bytes(b"being written")
        open_workspace(store.path)
        assert store.remove_stale_work_files() == []
        assert live.exists()
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert store.remove_stale_work_files() == [live]


def test_a_workspace_read_while_a_write_lands_pairs_rows_with_their_version(
    store: GeoPackageStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lost update of two concurrent imports: the reader got version 1's rows and
    # version 2's number, so its change, "made on version 2", silently dropped version 2.
    store.write_layer("centres", make_centres(("00123",)), author="first")
    original = GeoPackageStore.read_layer
    landed: list[int] = []

    def read_while_another_writes(self, layer, **kwargs):
        rows = original(self, layer, **kwargs)
        if layer == "centres" and not landed:
            other = GeoPackageStore(self.path)
            landed.append(other.write_layer("centres", make_centres(), author="other").version)
        return rows

    monkeypatch.setattr(GeoPackageStore, "read_layer", read_while_another_writes)
    ws = open_workspace(store.path)
    assert landed == [2]
    version = ws.versions.set_index("layer").loc["centres", "version"]
    assert (int(version), len(ws.layers["centres"])) == (2, 2)
