"""The workspace store: versioned layers behind one interface, with a GeoPackage back end."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import secrets
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from geo.errors import InputError, LayerMissingError, SchemaError, StaleVersionError, StoreError
from geo.schema import (
    LAYER_NAMES,
    LAYERS,
    GeometryKind,
    ValidationReport,
    check_layer,
    coerce_layer,
    empty_layer,
)

logger = logging.getLogger(__name__)

#: Metadata table holding one row per stored version of every layer.
VERSIONS_TABLE = "layer_versions"
#: Metadata table holding workspace-wide facts as text (``is_demo``, ``seed``, ``title`` ...).
INFO_TABLE = "workspace_info"
#: Columns of :meth:`Store.versions`, in order.
VERSION_COLUMNS = (
    "layer",
    "version",
    "created_at",
    "author",
    "source_file",
    "source",
    "rows",
    "note",
)
#: Columns of :meth:`Store.summary`, in order.
SUMMARY_COLUMNS = (
    "layer",
    "version",
    "rows",
    "created_at",
    "author",
    "source_file",
    "note",
    "source",
)
_SOURCE_CHARS = 200
#: The table of the audit log (see :mod:`geo.audit`). The store owns its layout because
#: a change and its audit entry are written in one transaction.
AUDIT_TABLE = "audit_log"
_AUDIT_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (
        fid INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details TEXT NOT NULL,
        rows INTEGER
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_update BEFORE UPDATE ON {AUDIT_TABLE}
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_delete BEFORE DELETE ON {AUDIT_TABLE}
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted'); END""",
    # INSERT OR REPLACE / REPLACE INTO delete the old row without DELETE triggers (unless
    # recursive_triggers is on): refuse any insert that reuses an existing entry number.
    f"""CREATE TRIGGER IF NOT EXISTS {AUDIT_TABLE}_no_replace BEFORE INSERT ON {AUDIT_TABLE}
    WHEN EXISTS (SELECT 1 FROM {AUDIT_TABLE} WHERE fid = NEW.fid)
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be replaced'); END""",
    f"CREATE INDEX IF NOT EXISTS {AUDIT_TABLE}_at ON {AUDIT_TABLE} (at)",
    # Registered as a GeoPackage attributes table so that GIS tools list it.
    f"""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
    VALUES ('{AUDIT_TABLE}', 'attributes', '{AUDIT_TABLE}',
            'Append-only audit log of the Polling Security Planner')""",
)
#: Column mappings saved by name (``--save-mapping NAME``), one per layer and name: the
#: JSON of :func:`geo.mapping.dump_mapping`.
MAPPINGS_TABLE = "column_mappings"
_MAPPINGS_SCHEMA = (
    f"""CREATE TABLE IF NOT EXISTS {MAPPINGS_TABLE} (
        fid INTEGER PRIMARY KEY AUTOINCREMENT,
        layer TEXT NOT NULL,
        name TEXT NOT NULL,
        content TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        author TEXT NOT NULL,
        UNIQUE (layer, name)
    )""",
    f"""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
    VALUES ('{MAPPINGS_TABLE}', 'attributes', '{MAPPINGS_TABLE}',
            'Column mappings of imports, saved by name')""",
)
_SQLITE_HEADER = b"SQLite format 3\x00"
_INTEGRITY_CHECK = "'PRAGMA integrity_check'"


@dataclass(frozen=True)
class LayerVersion:
    """One stored version of a layer.

    ``created_at`` is an ISO 8601 timestamp in UTC (``2025-05-16T09:30:00+00:00``);
    ``source`` describes where the rows came from (the distinct values of the layer's
    ``source`` column).
    """

    layer: str
    version: int
    created_at: str
    author: str
    source_file: str | None
    rows: int
    note: str
    source: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit log (made and checked by :func:`geo.audit.make_entry`)."""

    at: datetime
    actor: str
    action: str
    target: str = ""
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    rows: int | None = None


#: The version a change was made on: a number, ``None`` (the layer had no version yet) or
#: ``"any"`` (the change does not depend on what is stored: no check).
BaseVersion = int | None | Literal["any"]
#: Re-applies a change on a newer version: called as ``rebase(base_rows, current_rows)``
#: under the writer lock, it returns the rows to store, or raises
#: :class:`~geo.errors.StaleVersionError` (with the reason) to refuse.
Rebase = Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]
#: Makes the audit entries of a write from the versions it stores (their numbers are known
#: only under the lock); the entries are written in the same transaction.
AuditFor = Callable[[Sequence[LayerVersion]], Sequence[AuditEntry]]
#: As :data:`AuditFor`, for a scenario write: gets the stored scenario row.
ScenarioAuditFor = Callable[[pd.Series], Sequence[AuditEntry]]


def audit_time(moment: datetime) -> str:
    """Return the stored text of an audit time: UTC, milliseconds, so text order is time order."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds")


@runtime_checkable
class Store(Protocol):
    """A workspace: every layer of :data:`geo.schema.LAYERS`, each with its history.

    Every write validates its frames with :func:`geo.schema.check_layer` and creates a new
    version (1, 2, ...); nothing is overwritten, and a write that fails leaves the previous
    versions intact. Reads return frames coerced to the schema's canonical dtypes.
    """

    def exists(self) -> bool:
        """Return True when the workspace has been created."""
        ...

    def has_layer(self, layer: str) -> bool:
        """Return True when at least one version of ``layer`` is stored."""
        ...

    def write_layer(
        self,
        layer: str,
        frame: pd.DataFrame,
        *,
        author: str,
        source_file: str | None = None,
        note: str = "",
        base_version: BaseVersion = "any",
        rebase: Rebase | None = None,
        audit: AuditFor | None = None,
    ) -> LayerVersion:
        """Validate ``frame`` and store it as the next version of ``layer``."""
        ...

    def write_layers(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        author: str,
        source_file: str | None = None,
        note: str = "",
        info: Mapping[str, str] | None = None,
        base_versions: Mapping[str, int | None] | None = None,
        rebase: Mapping[str, Rebase] | None = None,
        audit: AuditFor | None = None,
    ) -> list[LayerVersion]:
        """Store several layers (and optionally workspace facts) all or nothing."""
        ...

    def read_layer(self, layer: str, *, version: int | None = None) -> pd.DataFrame:
        """Return the current (or a chosen) version of ``layer``."""
        ...

    def versions(self, layer: str | None = None) -> pd.DataFrame:
        """Return the history of one layer or of all layers."""
        ...

    def current_version(self, layer: str) -> int | None:
        """Return the number of the current version of ``layer``, or None."""
        ...

    def summary(self) -> pd.DataFrame:
        """Return one row per layer describing its current version."""
        ...

    def restore_version(
        self,
        layer: str,
        version: int,
        *,
        author: str,
        note: str = "",
        base_version: BaseVersion = "any",
        audit: AuditFor | None = None,
    ) -> LayerVersion:
        """Store an old version of ``layer`` again as a new version."""
        ...

    def set_info(self, values: Mapping[str, str]) -> None:
        """Set workspace facts (keys not given keep their values)."""
        ...

    def info(self) -> dict[str, str]:
        """Return the workspace facts."""
        ...


class GeoPackageStore:
    """A workspace kept in one GeoPackage file.

    Layout of the file:

    - ``<layer>``: the current version of each layer, so QGIS users opening the file see
      today's data under the layer's own name;
    - ``<layer>__v<N>``: every version ``N`` = 1, 2, ... (never changed once written);
    - ``layer_versions`` and ``workspace_info``: GeoPackage attribute tables with the
      history and the workspace facts;
    - ``audit_log``: the append-only audit log (see :mod:`geo.audit`);
    - ``scenario_versions`` and the scenarios' tables (see the scenario methods).

    Layers with geometry are stored in EPSG:4326; point layers as ``Point``, polygon
    layers as ``MultiPolygon`` (a polygon comes back as a one-part multipolygon) and line
    layers as ``MultiLineString`` (likewise), so a layer keeps one geometry type from
    version to version. ``access_audits`` is a
    GeoPackage attributes table (no geometry).

    Writes are atomic: the file is copied to a temporary file in the same folder, every
    change is made there (the new tables, the history row and the change's audit entries),
    the copy is flushed to disk (``fsync``) and then renamed onto the workspace with
    :func:`os.replace`, which POSIX guarantees to be atomic: a change and its audit entry
    are published together or not at all. If anything fails, the temporary file is deleted
    and the workspace is untouched; a disk without room for the copy gives a
    :class:`~geo.errors.StoreError` saying how much space the write needs. Writers are
    serialised by an exclusive ``flock`` on the sibling file ``<name>.lock``, held from
    before the copy until after the rename; readers take no lock, because the workspace
    file is never modified in place (audit entries of actions that change no layer are the
    one exception: a single ``INSERT`` under the same lock). The cost is one copy of the
    file per write (milliseconds for tens of megabytes). POSIX only.

    Concurrency rule: a change computed on one version of a layer names that version
    (``base_version``); under the lock, if the layer has moved on, the change is either
    re-applied on the newer version by a ``rebase`` function (an upsert of rows nobody
    else changed) or refused with :class:`~geo.errors.StaleVersionError`, which says who
    wrote in between and when. A stale change never silently replaces a newer version.

    Parameters
    ----------
    path
        The GeoPackage file; created (with its folder) by the first write.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"GeoPackageStore({str(self.path)!r})"

    @property
    def lock_path(self) -> Path:
        """The sibling file whose ``flock`` serialises writers."""
        return self.path.with_name(self.path.name + ".lock")

    # -- reading ---------------------------------------------------------------------

    def exists(self) -> bool:
        """Return True when the workspace file exists."""
        return self.path.is_file()

    def has_layer(self, layer: str) -> bool:
        """Return True when at least one version of ``layer`` is stored.

        Raises
        ------
        StoreError
            When ``layer`` is not a workspace layer.
        """
        return self.current_version(layer) is not None

    def current_version(self, layer: str) -> int | None:
        """Return the number of the current version of ``layer``, or None if it has none.

        Raises
        ------
        StoreError
            When ``layer`` is not a workspace layer.
        """
        _require_known(layer)
        numbers = self._version_numbers(layer)
        return max(numbers) if numbers else None

    def versions(self, layer: str | None = None) -> pd.DataFrame:
        """Return the history, oldest first.

        Parameters
        ----------
        layer
            Only this layer's versions; ``None`` for every layer.

        Returns
        -------
        pandas.DataFrame
            Columns ``layer``, ``version``, ``created_at`` (ISO 8601, UTC), ``author``,
            ``source_file``, ``source``, ``rows``, ``note``; empty when nothing is stored.
        """
        if layer is not None:
            _require_known(layer)
        if not self.exists():
            return _versions_frame([])
        query = f"SELECT {', '.join(VERSION_COLUMNS)} FROM {VERSIONS_TABLE}"
        params: tuple[str, ...] = ()
        if layer is not None:
            query += " WHERE layer = ?"
            params = (layer,)
        with self.reading() as con:
            rows = con.execute(query + " ORDER BY fid", params).fetchall()
        return _versions_frame(rows)

    def summary(self) -> pd.DataFrame:
        """Return one row per workspace layer describing its current version.

        Returns
        -------
        pandas.DataFrame
            Columns ``layer``, ``version``, ``rows``, ``created_at``, ``author``,
            ``source_file``, ``note``, ``source``, one row per layer of
            :data:`geo.schema.LAYER_NAMES` in that order. A layer with no version yet has
            missing values (``version`` and ``rows`` are nullable ``Int64``).
        """
        history = self.versions()
        latest = history.drop_duplicates("layer", keep="last").set_index("layer")
        summary = latest.reindex(pd.Index(LAYER_NAMES, name="layer")).reset_index()
        summary["version"] = summary["version"].astype("Int64")
        summary["rows"] = summary["rows"].astype("Int64")
        return summary[list(SUMMARY_COLUMNS)]

    def read_layer(self, layer: str, *, version: int | None = None) -> pd.DataFrame:
        """Return a version of ``layer`` with the schema's canonical dtypes.

        Parameters
        ----------
        layer
            A name in :data:`geo.schema.LAYERS`.
        version
            The version to read; ``None`` for the current one.

        Returns
        -------
        pandas.DataFrame
            A GeoDataFrame in EPSG:4326 for layers with geometry, else a DataFrame; see
            :func:`geo.schema.coerce_layer` for the dtypes.

        Raises
        ------
        StoreError
            When ``layer`` is not a workspace layer or the file cannot be read (a damaged
            file is named as such, with how to check it).
        LayerMissingError
            When the layer, or the version asked for, is not stored; the message lists
            what is.
        """
        _require_known(layer)
        numbers = self._version_numbers(layer)
        if not numbers:
            raise LayerMissingError(self._missing_layer_message(layer))
        if version is None:
            table = layer
        elif version in numbers:
            table = _version_table(layer, version)
        else:
            raise LayerMissingError(
                f"layer '{layer}' has no version {version}; stored versions are "
                f"{_ranges(numbers)} (current: {max(numbers)})"
            )
        return _read_table(self.path, layer, table)

    def info(self) -> dict[str, str]:
        """Return the workspace facts (``is_demo``, ``seed``, ``title`` ...); empty if none."""
        if not self.exists():
            return {}
        with self.reading() as con:
            rows = con.execute(f"SELECT key, value FROM {INFO_TABLE} ORDER BY fid").fetchall()
        return {str(key): str(value) for key, value in rows}

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Yield a read-only SQLite connection to the workspace file.

        Raises
        ------
        StoreError
            When the file cannot be read as a workspace; a damaged (e.g. truncated)
            GeoPackage is named as such, with the command that checks it.
        """
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            with closing(sqlite3.connect(uri, uri=True)) as con:
                yield con
        except sqlite3.DatabaseError as exc:
            if _is_damaged(self.path, exc):
                raise _damaged(self.path, exc) from exc
            raise StoreError(
                f"{self.path} cannot be read as a workspace ({exc}); it must be a GeoPackage "
                "written by this application"
            ) from exc

    # -- writing ---------------------------------------------------------------------

    def write_layer(
        self,
        layer: str,
        frame: pd.DataFrame,
        *,
        author: str,
        source_file: str | None = None,
        note: str = "",
        base_version: BaseVersion = "any",
        rebase: Rebase | None = None,
        audit: AuditFor | None = None,
    ) -> LayerVersion:
        """Validate ``frame`` and store it as the next version of ``layer``.

        Parameters
        ----------
        layer
            A name in :data:`geo.schema.LAYERS`.
        frame
            The rows; a GeoDataFrame in EPSG:4326 for layers with geometry.
        author
            Who writes (shown in the history).
        source_file
            Name of the file the rows came from, if any.
        note
            Free text shown in the history.
        base_version
            The version ``frame`` was computed on (``None``: the layer had none); checked
            under the lock. ``"any"`` (the default) stores ``frame`` whatever is current.
        rebase
            How to re-apply the change when ``base_version`` is no longer current (see
            :data:`Rebase`); without it such a write is refused.
        audit
            Makes the audit entries to write in the same transaction (see :data:`AuditFor`).

        Returns
        -------
        LayerVersion
            The version just stored.

        Raises
        ------
        SchemaError
            When the frame breaks the schema; ``report`` lists every problem and nothing
            is written.
        InputError
            When ``author`` is empty.
        StaleVersionError
            When the layer changed since ``base_version`` and the change cannot be
            re-applied; the message names who wrote in between and when.
        StoreError
            When ``layer`` is unknown or the file cannot be written (previous versions
            stay intact).
        """
        (stored,) = self.write_layers(
            {layer: frame},
            author=author,
            source_file=source_file,
            note=note,
            base_versions=None if base_version == "any" else {layer: base_version},
            rebase=None if rebase is None else {layer: rebase},
            audit=audit,
        )
        return stored

    def write_layers(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        author: str,
        source_file: str | None = None,
        note: str = "",
        info: Mapping[str, str] | None = None,
        base_versions: Mapping[str, int | None] | None = None,
        rebase: Mapping[str, Rebase] | None = None,
        audit: AuditFor | None = None,
    ) -> list[LayerVersion]:
        """Validate and store several layers as one all-or-nothing operation.

        Every frame is validated before anything is written; then either every layer
        gets its new version or, if anything fails, none does.

        Parameters
        ----------
        frames
            Layer name to rows, as for :meth:`write_layer`.
        author, source_file, note
            As for :meth:`write_layer`; shared by every layer written.
        info
            Workspace facts to set in the same operation (see :meth:`set_info`), so that,
            e.g., a demo workspace never exists without its ``is_demo`` mark.
        base_versions
            Layer name to the version its frame was computed on (layers not named are
            not checked); see :meth:`write_layer`.
        rebase
            Layer name to its :data:`Rebase` function.
        audit
            Makes the audit entries of the write, stored in the same transaction.

        Returns
        -------
        list of LayerVersion
            The versions stored, in the order of :data:`geo.schema.LAYER_NAMES`; empty
            when ``frames`` is empty.

        Raises
        ------
        SchemaError
            When any frame breaks its schema; ``report`` gathers the problems of every
            failing layer (each problem names its layer) and nothing is written.
        StaleVersionError
            When a layer changed since its base version and the change cannot be
            re-applied.
        StoreError
            When a layer is unknown or the file cannot be written.
        """
        bases = dict(base_versions or {})
        rebases = dict(rebase or {})
        for layer in [*frames, *bases, *rebases]:
            _require_known(layer)
        if not author.strip():
            raise InputError("the author is empty; say who is writing the layers")
        _check_info(info or {})
        checked = _check_frames(frames)
        if not checked:
            if info:
                self.set_info(info)
            return []
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        new_bytes = sum(_estimate_bytes(frame) for frame in checked.values())
        with self._transaction(new_bytes=new_bytes) as work:
            with closing(_connect(work)) as con:
                current = {
                    str(name): int(number)
                    for name, number in con.execute(
                        f"SELECT layer, MAX(version) FROM {VERSIONS_TABLE} GROUP BY layer"
                    ).fetchall()
                }
            stored = []
            for layer, frame in checked.items():
                latest = current.get(layer)
                text = note
                if layer in bases and bases[layer] != latest:
                    frame = self._rebased(work, layer, bases[layer], latest, frame, rebases)
                    made_on = _made_on(bases[layer])
                    text = f"{note} ({made_on}; re-applied on version {latest})".lstrip()
                version = (latest or 0) + 1
                geometry = LAYERS[layer].geometry
                _write_table(work, _version_table(layer, version), frame, geometry)
                _write_table(work, layer, frame, geometry)
                stored.append(
                    LayerVersion(
                        layer=layer,
                        version=version,
                        created_at=created_at,
                        author=author,
                        source_file=source_file,
                        rows=len(frame),
                        note=text,
                        source=_describe_source(frame),
                    )
                )
            entries = list(audit(stored)) if audit is not None else []
            with closing(_connect(work)) as con, con:
                con.executemany(
                    f"INSERT INTO {VERSIONS_TABLE} ({', '.join(VERSION_COLUMNS)}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [tuple(getattr(s, name) for name in VERSION_COLUMNS) for s in stored],
                )
                _upsert_info(con, info or {})
                _insert_audit(con, entries)
        return stored

    def restore_version(
        self,
        layer: str,
        version: int,
        *,
        author: str,
        note: str = "",
        base_version: BaseVersion = "any",
        audit: AuditFor | None = None,
    ) -> LayerVersion:
        """Store version ``version`` of ``layer`` again, as a new current version.

        Nothing is overwritten: the history keeps every version, and the new one records
        where it came from.

        Parameters
        ----------
        layer
            A name in :data:`geo.schema.LAYERS`.
        version
            The stored version to bring back.
        author
            Who restores.
        note
            Free text; defaults to ``"restored from version N"``.
        base_version
            The version that was current when the restore was chosen; a restore is
            refused (never re-applied) when the layer has moved on since.
        audit
            Makes the audit entries written in the same transaction.

        Returns
        -------
        LayerVersion
            The new version.

        Raises
        ------
        LayerMissingError
            When the layer or version is not stored.
        StaleVersionError
            When the layer changed since ``base_version``.
        """
        frame = self.read_layer(layer, version=version)
        old = self.versions(layer).set_index("version").loc[version]
        source_file: str | None = None if pd.isna(old["source_file"]) else str(old["source_file"])
        return self.write_layer(
            layer,
            frame,
            author=author,
            source_file=source_file,
            note=note or f"restored from version {version}",
            base_version=base_version,
            audit=audit,
        )

    def set_info(self, values: Mapping[str, str]) -> None:
        """Set workspace facts; keys not given keep their values.

        Parameters
        ----------
        values
            Key to text value, e.g. ``{"is_demo": "true", "seed": "42"}``.
        """
        _check_info(values)
        if not values:
            return
        with self._transaction() as work, closing(_connect(work)) as con, con:
            _upsert_info(con, values)

    # -- the audit log -----------------------------------------------------------------

    def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries to the audit log in place (for actions that change no layer).

        One ``INSERT`` transaction under the writer lock, so that no entry is lost to a
        concurrent write (which copies the file and replaces it).

        Raises
        ------
        StoreError
            When there is no workspace, it is not one of this application, or the entries
            cannot be written (full disk, damaged file, read-only folder).
        """
        if not self.exists():
            raise StoreError(f"there is no workspace at {self.path} to keep the audit log in")
        with self._locked():
            try:
                with closing(sqlite3.connect(self.path, timeout=30)) as con, con:
                    if not _has_table(con, VERSIONS_TABLE):
                        raise StoreError(
                            f"{self.path} is not a workspace of this application; the audit "
                            "log is only kept in workspaces"
                        )
                    _insert_audit(con, entries)
            except sqlite3.DatabaseError as exc:
                raise _write_failure(self.path, exc, need=0, what="write the audit log of") from exc

    # -- column mappings saved by name -------------------------------------------------

    def write_mapping(
        self, layer: str, name: str, content: str, *, author: str, audit: Sequence[AuditEntry]
    ) -> None:
        """Store (or replace) the column mapping ``name`` of ``layer``, and its audit entries.

        One transaction in place under the writer lock, as :meth:`append_audit`.

        Raises
        ------
        StoreError
            When there is no workspace, it is not one of this application, or it cannot be
            written.
        """
        if not self.exists():
            raise StoreError(f"there is no workspace at {self.path} to keep the mapping in")
        with self._locked():
            try:
                with closing(sqlite3.connect(self.path, timeout=30)) as con, con:
                    if not _has_table(con, VERSIONS_TABLE):
                        raise StoreError(
                            f"{self.path} is not a workspace of this application; mappings "
                            "are only kept in workspaces"
                        )
                    for statement in _MAPPINGS_SCHEMA:
                        con.execute(statement)
                    con.execute(
                        f"INSERT INTO {MAPPINGS_TABLE} (layer, name, content, saved_at, author) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (layer, name) DO UPDATE SET "
                        "content = excluded.content, saved_at = excluded.saved_at, "
                        "author = excluded.author",
                        (layer, name, content, audit_time(datetime.now(UTC)), author),
                    )
                    _insert_audit(con, audit)
            except sqlite3.DatabaseError as exc:
                raise _write_failure(self.path, exc, need=0, what="save a mapping in") from exc

    def mapping_names(self, layer: str) -> list[str]:
        """Return the names of the mappings saved for ``layer``, sorted."""
        if not self.exists():
            return []
        with self.reading() as con:
            if not _has_table(con, MAPPINGS_TABLE):
                return []
            rows = con.execute(
                f"SELECT name FROM {MAPPINGS_TABLE} WHERE layer = ? ORDER BY name", (layer,)
            ).fetchall()
        return [str(r[0]) for r in rows]

    def read_mapping(self, layer: str, name: str) -> str | None:
        """Return the saved mapping ``name`` of ``layer`` (its JSON), or ``None``."""
        if not self.exists():
            return None
        with self.reading() as con:
            if not _has_table(con, MAPPINGS_TABLE):
                return None
            row = con.execute(
                f"SELECT content FROM {MAPPINGS_TABLE} WHERE layer = ? AND name = ?",
                (layer, name),
            ).fetchone()
        return None if row is None else str(row[0])

    def check_audit_writable(self) -> None:
        """Raise StoreError when an audit entry could not be written now (nothing is written).

        Tries what :meth:`append_audit` does, with a probe entry, and rolls it back.
        """
        if not self.exists():
            raise StoreError(f"there is no workspace at {self.path} to keep the audit log in")
        try:
            with open(self.lock_path, "a"):
                pass
        except OSError as exc:
            raise _lock_failure(self.lock_path, exc) from exc
        probe = AuditEntry(at=datetime.now(UTC), actor="probe", action="probe")
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as con:
                con.execute("BEGIN IMMEDIATE")
                try:
                    if not _has_table(con, VERSIONS_TABLE):
                        raise StoreError(
                            f"{self.path} is not a workspace of this application; the audit "
                            "log is only kept in workspaces"
                        )
                    _insert_audit(con, [probe])
                finally:
                    con.rollback()
        except sqlite3.DatabaseError as exc:
            raise _write_failure(self.path, exc, need=0, what="write the audit log of") from exc

    # -- internals -------------------------------------------------------------------

    def _version_numbers(self, layer: str) -> list[int]:
        if not self.exists():
            return []
        with self.reading() as con:
            rows = con.execute(
                f"SELECT version FROM {VERSIONS_TABLE} WHERE layer = ? ORDER BY version",
                (layer,),
            ).fetchall()
        return [int(v) for (v,) in rows]

    def _missing_layer_message(self, layer: str) -> str:
        if not self.exists():
            return (
                f"layer '{layer}' is not stored: the workspace {self.path} does not exist "
                "yet; import the layer or build the demo workspace"
            )
        summary = self.summary()
        present = summary.loc[summary["version"].notna(), "layer"].astype(str).tolist()
        return (
            f"layer '{layer}' is not stored in the workspace {self.path}; stored layers: "
            f"{', '.join(present) or 'none'}; import the layer first"
        )

    def _rebased(
        self,
        work: Path,
        layer: str,
        base: int | None,
        latest: int | None,
        frame: pd.DataFrame,
        rebases: Mapping[str, Rebase],
    ) -> pd.DataFrame:
        """Return ``frame`` re-applied on the latest version, or raise StaleVersionError."""
        with closing(_connect(work)) as con:
            between = con.execute(
                f"SELECT version, author, created_at FROM {VERSIONS_TABLE} "
                "WHERE layer = ? AND version > ? ORDER BY version",
                (layer, base or 0),
            ).fetchall()
        rebase = rebases.get(layer)
        if rebase is None or latest is None or not between:
            raise StaleVersionError(_stale_message(layer, base, latest, between))
        if base is None:
            base_rows = empty_layer(layer)
        else:
            base_rows = _read_table(work, layer, _version_table(layer, base))
        current_rows = _read_table(work, layer, layer)
        try:
            rebased = rebase(base_rows, current_rows)
        except StaleVersionError as exc:
            raise StaleVersionError(
                _stale_message(layer, base, latest, between, reason=str(exc))
            ) from exc
        return check_layer(layer, rebased)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the writer lock (an exclusive ``flock`` on :attr:`lock_path`)."""
        try:
            lock = open(self.lock_path, "a")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise _lock_failure(self.lock_path, exc) from exc
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @contextmanager
    def _transaction(self, *, new_bytes: int = 0) -> Iterator[Path]:
        """Yield a private copy of the workspace; publish it atomically on success.

        The lock is held from before the copy until after the rename, so concurrent
        writers apply their changes one after the other, each to the latest file.
        ``new_bytes`` estimates what the write adds (for the disk-space check and message).
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder {self.path.parent} of the workspace ({exc}); "
                "choose a folder you may write to"
            ) from exc
        with self._locked():
            self._remove_work_files()
            need = (self.path.stat().st_size if self.exists() else 0) + new_bytes
            _require_room(self.path, need)
            work = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp.gpkg")
            try:
                if self.exists():
                    shutil.copyfile(self.path, work)
                    shutil.copymode(self.path, work)
                    _require_workspace(work, self.path)
                else:
                    _create_workspace(work)
                yield work
                self._publish(work)
            except (OSError, sqlite3.DatabaseError, _TableWriteError) as exc:
                _remove_work_file(work)
                raise _write_failure(self.path, exc, need=need) from exc
            finally:
                # Nothing is left behind: after a publish the copy has become the workspace.
                _remove_work_file(work)

    def _publish(self, work: Path) -> None:
        """Flush the finished copy to disk and rename it onto the workspace (atomic)."""
        _fsync(work)
        os.replace(work, self.path)
        try:
            _fsync(self.path.parent)
        except OSError as exc:
            # The new file is in place and visible; only the rename's durability is unsure.
            logger.warning("cannot flush the folder of %s after a write: %s", self.path, exc)

    def remove_stale_work_files(self) -> list[Path]:
        """Remove temporary copies left by writers that were killed; return those removed.

        Safe while other processes write: a live writer holds the writer lock for as long
        as its copy exists, so the copies are only removed when the lock can be taken at
        once; otherwise nothing is touched. Called when a workspace is opened, so a killed
        write's copy (up to the workspace's size) does not wait for the next write.
        """
        if not self._work_files():
            return []
        try:
            lock = open(self.lock_path, "a")  # noqa: SIM115 - closed below
        except OSError:
            return []  # a read-only folder: the copies cannot be removed either
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return []  # a writer is at work; its copy is not stale
            try:
                return self._remove_work_files()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _work_files(self) -> list[Path]:
        if not self.path.parent.is_dir():
            return []
        return sorted(self.path.parent.glob(f".{self.path.name}.*.tmp.gpkg*"))

    def _remove_work_files(self) -> list[Path]:
        # Called with the lock held: only the lock holder creates work files, so any found
        # now are left over from a process that was killed mid-write.
        removed = []
        for stale in self._work_files():
            try:
                stale.unlink(missing_ok=True)
            except OSError as exc:
                logger.warning("cannot remove the stale copy %s: %s", stale, exc)
            else:
                removed.append(stale)
        return removed

    # -- scenarios -------------------------------------------------------------------
    # A scenario is a named plan (see geo.scenario). Every save is a new version; a delete
    # is a version marked deleted (who, when). Per version, its units and officer
    # allocation are two tables, ``scenario_<id>__v<N>__units`` (points) and
    # ``scenario_<id>__v<N>__allocation``, never changed once written; the attribute table
    # ``scenario_versions`` holds the history. Table names use the generated ``<id>``,
    # never the user's text.

    SCENARIOS_TABLE = "scenario_versions"
    SCENARIO_COLUMNS = (
        "scenario_id",
        "name",
        "version",
        "created_at",
        "author",
        "note",
        "params",
        "deleted",
        "derived_from",
        "units_table",
        "allocation_table",
    )

    def list_scenarios(self, *, include_deleted: bool = False) -> pd.DataFrame:
        """Return the latest version of every scenario, newest first.

        Parameters
        ----------
        include_deleted
            Also list scenarios whose latest version marks them deleted.

        Returns
        -------
        pandas.DataFrame
            Columns :attr:`SCENARIO_COLUMNS` (``deleted`` is a bool); empty when none.
        """
        history = self.scenario_history()
        latest = history.drop_duplicates("scenario_id", keep="last")
        if not include_deleted:
            latest = latest[~latest["deleted"]]
        return latest.iloc[::-1].reset_index(drop=True)

    def scenario_history(self, name: str | None = None) -> pd.DataFrame:
        """Return every stored version of one scenario (by name) or of all, oldest first."""
        columns = self.SCENARIO_COLUMNS
        rows: list[tuple[object, ...]] = []
        if self.exists():
            with self.reading() as con:
                present = con.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (self.SCENARIOS_TABLE,),
                ).fetchone()
                if present:
                    rows = con.execute(
                        f"SELECT {', '.join(columns)} FROM {self.SCENARIOS_TABLE} ORDER BY fid"
                    ).fetchall()
        history = pd.DataFrame.from_records(rows, columns=list(columns))
        history["version"] = history["version"].astype("int64")
        history["deleted"] = history["deleted"].astype(bool)
        for column in columns:
            if column not in ("version", "deleted"):
                history[column] = history[column].astype("str").where(history[column].notna(), "")
        if name is not None:
            ids = history.loc[history["name"] == name, "scenario_id"].unique()
            history = history[history["scenario_id"].isin(ids)]
        return history.reset_index(drop=True)

    def write_scenario(
        self,
        name: str,
        *,
        units: pd.DataFrame,
        allocation: pd.DataFrame,
        params: str,
        author: str,
        note: str = "",
        derived_from: str = "",
        base_version: BaseVersion = "any",
        audit: ScenarioAuditFor | None = None,
    ) -> pd.Series:
        """Store a scenario as the next version of the scenario called ``name``.

        A name whose latest version is live gets a new version; otherwise a new scenario
        starts at version 1. Nothing stored before is changed.

        Parameters
        ----------
        name
            The scenario's name (free text).
        units
            The planned units: a GeoDataFrame of points (stored in EPSG:4326).
        allocation
            The officer allocation (a plain table; may be empty).
        params
            The parameters used, as JSON text.
        author, note
            Who saves, and free text.
        derived_from
            ``"<name> v<N>"`` when duplicated from another scenario.
        base_version
            The version of the live scenario ``name`` this one was made from (``None``:
            the name must be new); checked under the lock. ``"any"``: no check.
        audit
            Makes the audit entries written in the same transaction.

        Returns
        -------
        pandas.Series
            The stored version's row (:attr:`SCENARIO_COLUMNS`).

        Raises
        ------
        InputError
            Empty name or author, or ``units`` without point geometry in EPSG:4326.
        StaleVersionError
            When the scenario was saved or deleted by someone else since ``base_version``.
        StoreError
            When the file cannot be written (earlier versions stay intact).
        """
        if not name.strip():
            raise InputError("the scenario has no name; give it one")
        if not author.strip():
            raise InputError("the author is empty; say who saves the scenario")
        if not isinstance(units, gpd.GeoDataFrame) or units.crs is None:
            raise InputError("scenario units need point geometry with a CRS (EPSG:4326)")
        units = units.to_crs("EPSG:4326")
        name = name.strip()
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        new_bytes = _estimate_bytes(units) + _estimate_bytes(pd.DataFrame(allocation))
        with self._transaction(new_bytes=new_bytes) as work:
            live, last = self._live_scenario(work, name)
            _check_scenario_base(name, base_version, live, last)
            if live is not None:
                scenario_id, version = str(live["scenario_id"]), int(str(live["version"])) + 1
            else:
                scenario_id, version = self._new_scenario_id(work), 1
            stem = f"scenario_{scenario_id}__v{version}"
            _write_table(work, f"{stem}__units", units, "point")
            _write_table(work, f"{stem}__allocation", pd.DataFrame(allocation), None)
            row = (
                scenario_id,
                name,
                version,
                created_at,
                author,
                note,
                params,
                0,
                derived_from,
                f"{stem}__units",
                f"{stem}__allocation",
            )
            entries = list(audit(self._scenario_row(row))) if audit is not None else []
            self._insert_scenario_row(work, row, entries)
        return self._scenario_row(row)

    def read_scenario(
        self, name: str, *, version: int | None = None
    ) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
        """Return (version row, units, allocation) of a scenario's latest or chosen version.

        Raises
        ------
        LayerMissingError
            When no scenario has this name, the version does not exist, or the latest
            version marks it deleted (older versions stay readable by number).
        """
        history = self.scenario_history(name)
        if history.empty:
            known = ", ".join(self.list_scenarios()["name"].head(10)) or "none"
            raise LayerMissingError(f"no scenario called '{name}'; saved scenarios: {known}")
        live = history[history["scenario_id"] == history["scenario_id"].iloc[-1]]
        if version is None:
            row = live.iloc[-1]
            if row["deleted"]:
                raise LayerMissingError(
                    f"scenario '{name}' was deleted by {row['author']} at {row['created_at']}; "
                    f"its versions 1 to {int(row['version']) - 1} can still be read by number"
                )
        else:
            chosen = live[(live["version"] == version) & ~live["deleted"]]
            if chosen.empty:
                raise LayerMissingError(
                    f"scenario '{name}' has no version {version}; stored versions: "
                    + ", ".join(str(v) for v in live.loc[~live["deleted"], "version"])
                )
            row = chosen.iloc[-1]
        try:
            units = pyogrio.read_dataframe(self.path, layer=row["units_table"], use_arrow=True)
            allocation = pyogrio.read_dataframe(
                self.path, layer=row["allocation_table"], read_geometry=False
            )
        except (DataSourceError, DataLayerError) as exc:
            if _is_damaged(self.path, exc):
                raise _damaged(self.path, exc) from exc
            raise StoreError(f"cannot read scenario '{name}' from {self.path}: {exc}") from exc
        return row, units, pd.DataFrame(allocation)

    def delete_scenario(
        self,
        name: str,
        *,
        author: str,
        note: str = "",
        base_version: BaseVersion = "any",
        audit: ScenarioAuditFor | None = None,
    ) -> pd.Series:
        """Mark scenario ``name`` deleted in a new version; its earlier versions are kept.

        ``base_version`` and ``audit`` are as for :meth:`write_scenario`.

        Raises
        ------
        LayerMissingError
            When no live scenario has this name.
        StaleVersionError
            When the scenario was saved again since ``base_version``.
        """
        if not author.strip():
            raise InputError("the author is empty; say who deletes the scenario")
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as work:
            current, last = self._live_scenario(work, name)
            if current is None:
                raise LayerMissingError(f"no saved scenario called '{name}' to delete")
            _check_scenario_base(name, base_version, current, last)
            row = (
                current["scenario_id"],
                name,
                int(str(current["version"])) + 1,
                created_at,
                author,
                note or "deleted",
                current["params"],
                1,
                current["derived_from"],
                "",
                "",
            )
            entries = list(audit(self._scenario_row(row))) if audit is not None else []
            self._insert_scenario_row(work, row, entries)
        return self._scenario_row(row)

    def _scenario_row(self, row: tuple[object, ...]) -> pd.Series:
        series = pd.Series(dict(zip(self.SCENARIO_COLUMNS, row, strict=True)))
        series["deleted"] = bool(series["deleted"])
        return series

    def _scenario_rows(self, work: Path) -> list[dict[str, object]]:
        """Every row of the scenario history in the work copy ``work``, oldest first."""
        with closing(_connect(work)) as con:
            if not _has_table(con, self.SCENARIOS_TABLE):
                return []
            rows = con.execute(
                f"SELECT {', '.join(self.SCENARIO_COLUMNS)} FROM {self.SCENARIOS_TABLE} "
                "ORDER BY fid"
            ).fetchall()
        return [dict(zip(self.SCENARIO_COLUMNS, r, strict=True)) for r in rows]

    def _live_scenario(
        self, work: Path, name: str
    ) -> tuple[dict[str, object] | None, dict[str, object] | None]:
        """Return (latest row of the live scenario ``name``, latest row of any by that name)."""
        latest: dict[str, tuple[int, dict[str, object]]] = {}
        for position, row in enumerate(self._scenario_rows(work)):
            latest[str(row["scenario_id"])] = (position, row)
        named = [row for _, row in sorted(latest.values(), key=lambda p: p[0])]
        named = [row for row in named if row["name"] == name]
        live = [row for row in named if not bool(row["deleted"])]
        return (live[-1] if live else None), (named[-1] if named else None)

    def _new_scenario_id(self, work: Path) -> str:
        ids = {str(row["scenario_id"]) for row in self._scenario_rows(work)}
        numbers = [int(s[1:]) for s in ids if s[1:].isdigit()]
        return f"s{max(numbers, default=0) + 1:04d}"

    def _insert_scenario_row(
        self, work: Path, row: tuple[object, ...], entries: Sequence[AuditEntry]
    ) -> None:
        with closing(_connect(work)) as con:
            present = _has_table(con, self.SCENARIOS_TABLE)
        if not present:
            empty = pd.DataFrame(
                {
                    c: pd.Series([], dtype="int64" if c in ("version", "deleted") else "str")
                    for c in self.SCENARIO_COLUMNS
                }
            )
            pyogrio.write_dataframe(empty, work, layer=self.SCENARIOS_TABLE, driver="GPKG")
            with closing(_connect(work)) as con, con:
                con.execute(
                    f"CREATE UNIQUE INDEX {self.SCENARIOS_TABLE}_key "
                    f"ON {self.SCENARIOS_TABLE} (scenario_id, version)"
                )
        with closing(_connect(work)) as con, con:
            con.execute(
                f"INSERT INTO {self.SCENARIOS_TABLE} ({', '.join(self.SCENARIO_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(self.SCENARIO_COLUMNS))})",
                row,
            )
            _insert_audit(con, entries)


def _require_known(layer: str) -> None:
    if layer not in LAYERS:
        raise StoreError(
            f"unknown layer '{layer}'; the workspace layers are {', '.join(LAYER_NAMES)}"
        )


def _check_frames(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Validate every frame, then raise one SchemaError listing all failing layers."""
    checked: dict[str, pd.DataFrame] = {}
    failures: list[SchemaError] = []
    for layer in LAYER_NAMES:
        if layer not in frames:
            continue
        try:
            checked[layer] = check_layer(layer, frames[layer])
        except SchemaError as exc:
            failures.append(exc)
    if len(failures) == 1:
        raise failures[0]
    if failures:
        reports = [f.report for f in failures if isinstance(f.report, ValidationReport)]
        report = ValidationReport(
            ", ".join(r.layer for r in reports),
            tuple(p for r in reports for p in r.problems),
        )
        raise SchemaError("\n".join(str(f) for f in failures), report)
    return checked


def _check_info(values: Mapping[str, str]) -> None:
    bad = [
        str(key)
        for key, value in values.items()
        if not isinstance(key, str) or not isinstance(value, str)
    ]
    if bad:
        raise InputError(
            f"workspace info keys and values must be text; convert {', '.join(bad)} with str()"
        )


def _upsert_info(con: sqlite3.Connection, values: Mapping[str, str]) -> None:
    con.executemany(
        f"INSERT INTO {INFO_TABLE} (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def _version_table(layer: str, version: int) -> str:
    return f"{layer}__v{version}"


class _TableWriteError(StoreError):
    """GDAL could not write a table of the work copy (explained by :func:`_write_failure`)."""


def _write_table(
    path: Path, table: str, frame: pd.DataFrame, geometry: GeometryKind | None
) -> None:
    """Write ``frame`` as table ``table`` of the GeoPackage ``path``, replacing it."""
    options: dict[str, object] = {}
    if geometry == "point":
        options = {"geometry_type": "Point"}
    elif geometry == "polygon":
        options = {"geometry_type": "MultiPolygon", "promote_to_multi": True}
    elif geometry == "line":
        options = {"geometry_type": "MultiLineString", "promote_to_multi": True}
    try:
        pyogrio.write_dataframe(frame, path, layer=table, driver="GPKG", use_arrow=True, **options)
    except (DataSourceError, DataLayerError) as exc:
        raise _TableWriteError(f"cannot write table '{table}': {exc}") from exc


def _read_table(path: Path, layer: str, table: str) -> pd.DataFrame:
    """Read table ``table`` of the GeoPackage ``path`` as rows of ``layer``."""
    try:
        frame = pyogrio.read_dataframe(path, layer=table, use_arrow=True)
    except (DataSourceError, DataLayerError) as exc:
        if _is_damaged(path, exc):
            raise _damaged(path, exc) from exc
        raise StoreError(f"cannot read table '{table}' of the workspace {path}: {exc}") from exc
    return coerce_layer(layer, frame)


def _has_table(con: sqlite3.Connection, name: str) -> bool:
    row = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


def _insert_audit(con: sqlite3.Connection, entries: Sequence[AuditEntry]) -> None:
    """Add ``entries`` to the audit log (creating or upgrading its table and triggers)."""
    if not entries and not _has_table(con, AUDIT_TABLE):
        return
    for statement in _AUDIT_SCHEMA:
        con.execute(statement)
    con.executemany(
        f"INSERT INTO {AUDIT_TABLE} (at, actor, action, target, details, rows) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                audit_time(e.at),
                e.actor,
                e.action,
                e.target,
                json.dumps(dict(e.details), ensure_ascii=False, sort_keys=True),
                e.rows,
            )
            for e in entries
        ],
    )


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def _create_workspace(path: Path) -> None:
    """Create an empty workspace: a GeoPackage holding the two metadata tables."""
    versions = pd.DataFrame(
        {
            "layer": pd.Series([], dtype="str"),
            "version": pd.Series([], dtype="int64"),
            "created_at": pd.Series([], dtype="str"),
            "author": pd.Series([], dtype="str"),
            "source_file": pd.Series([], dtype="str"),
            "source": pd.Series([], dtype="str"),
            "rows": pd.Series([], dtype="int64"),
            "note": pd.Series([], dtype="str"),
        }
    )
    info = pd.DataFrame({"key": pd.Series([], dtype="str"), "value": pd.Series([], dtype="str")})
    # pyogrio registers both as GeoPackage attribute tables, so QGIS lists them too.
    pyogrio.write_dataframe(versions, path, layer=VERSIONS_TABLE, driver="GPKG")
    pyogrio.write_dataframe(info, path, layer=INFO_TABLE, driver="GPKG")
    with closing(_connect(path)) as con, con:
        con.execute(
            f"CREATE UNIQUE INDEX {VERSIONS_TABLE}_key ON {VERSIONS_TABLE} (layer, version)"
        )
        con.execute(f"CREATE UNIQUE INDEX {INFO_TABLE}_key ON {INFO_TABLE} (key)")


def _require_workspace(work: Path, original: Path) -> None:
    try:
        with closing(_connect(work)) as con:
            names = {
                name
                for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
    except sqlite3.DatabaseError as exc:
        if _is_damaged(work, exc):
            raise _damaged(original, exc) from exc
        raise StoreError(f"{original} is not a GeoPackage ({exc}); choose another file") from exc
    if not {VERSIONS_TABLE, INFO_TABLE} <= names:
        raise StoreError(
            f"{original} is not a workspace of this application (it has no "
            f"'{VERSIONS_TABLE}' table); choose another file so that it is not changed"
        )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_work_file(work: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)


def _estimate_bytes(frame: pd.DataFrame) -> int:
    """Roughly what storing ``frame`` adds to the file: its version table and current table."""
    geometry = frame.geometry.array if isinstance(frame, gpd.GeoDataFrame) else None
    plain = frame.drop(columns=frame.geometry.name) if geometry is not None else frame
    size = int(plain.memory_usage(deep=True, index=False).sum())
    if geometry is not None:
        coordinates = shapely.get_num_coordinates(geometry)
        size += int(coordinates.sum()) * 16 + 40 * len(frame)
    return 2 * size


def _mb(size: int) -> str:
    return f"{size / 1e6:,.2f} MB"


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def _no_room(path: Path, reason: str, need: int, free: int | None) -> StoreError:
    have = "" if free is None else f", and {_mb(free)} are free"
    return StoreError(
        f"no room to write the workspace {path}: {reason}; this write needs about "
        f"{_mb(need)} in {path.parent}{have}. The workspace is unchanged: free some space "
        "(or move the workspace to a larger disk) and try again"
    )


def _require_room(path: Path, need: int) -> None:
    """Refuse a write up front when the folder has less free space than it needs."""
    free = _free_bytes(path.parent)
    if free is not None and free < need:
        raise _no_room(path, "the disk is full", need, free)


_DISK_FULL_TEXT = ("disk is full", "no space left", "disk quota exceeded")
_TOO_LARGE_TEXT = ("file too large",)


def _write_failure(path: Path, exc: BaseException, *, need: int, what: str = "write") -> StoreError:
    """Explain a failed write in one sentence: no room, a damaged file, or the cause."""
    text = str(exc).lower()
    code = exc.errno if isinstance(exc, OSError) else None
    free = _free_bytes(path.parent)
    if code in (errno.ENOSPC, errno.EDQUOT) or any(t in text for t in _DISK_FULL_TEXT):
        return _no_room(path, "the disk is full", need, free)
    if code == errno.EFBIG or any(t in text for t in _TOO_LARGE_TEXT):
        return _no_room(path, "the file would pass the largest size allowed", need, free)
    if _is_damaged(path, exc):
        return _damaged(path, exc)
    if need and free is not None and free < need:
        # GDAL does not always say that the disk filled up; the free space does.
        return _no_room(path, f"the disk is full ({exc})", need, free)
    return StoreError(f"cannot {what} the workspace {path} ({exc}); the workspace is unchanged")


def _lock_failure(lock_path: Path, exc: OSError) -> StoreError:
    return StoreError(
        f"cannot open the lock file {lock_path} ({exc.strerror or exc}); the workspace's "
        "folder must be writable by this program, and nothing else may use that name"
    )


_DAMAGE_TEXT = ("malformed", "not a database", "file is encrypted")


def _is_damaged(path: Path, exc: BaseException) -> bool:
    """Return True when ``exc`` says that an SQLite file (by its header) is damaged."""
    if not any(t in str(exc).lower() for t in _DAMAGE_TEXT):
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(len(_SQLITE_HEADER)) == _SQLITE_HEADER
    except OSError:
        return False


def integrity_check_command(path: Path) -> str:
    """Return the shell command that checks an SQLite file (for the user; not SQL we run)."""
    return f"sqlite3 '{path}' " + _INTEGRITY_CHECK


def _damaged(path: Path, exc: BaseException) -> StoreError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    check = integrity_check_command(path)
    return StoreError(
        f"the workspace {path} is damaged ({reason}): it was probably cut short while it "
        f"was copied or written. Check it with: {check} "
        "(a sound file prints ok), then restore it from a backup; it was left as it is"
    )


def _made_on(base: int | None) -> str:
    return "made when the layer had no version" if base is None else f"made on version {base}"


def _stale_message(
    layer: str,
    base: int | None,
    latest: int | None,
    between: Sequence[tuple[object, ...]],
    *,
    reason: str = "",
) -> str:
    """Say that ``layer`` moved on since ``base``: who wrote which version when, and why."""
    if not between:
        now = "no version" if latest is None else f"version {latest}"
        written = f"the workspace has {now} of '{layer}' now"
    else:
        shown = [f"version {v} was written by {a} at {t}" for v, a, t in between[-3:]]
        if len(between) > 3:
            shown.insert(0, f"{len(between) - 3} more version(s) before")
        written = ", ".join(shown)
    because = f"; {reason}" if reason else ""
    return (
        f"layer '{layer}' changed after this change was {_made_on(base)}: {written}"
        f"{because}. Nothing was written: look at the current version and make the "
        "change again"
    )


def _check_scenario_base(
    name: str,
    base: BaseVersion,
    live: Mapping[str, object] | None,
    last: Mapping[str, object] | None,
) -> None:
    """Refuse a scenario write made on another version than the live one (see write_scenario)."""
    if base == "any":
        return
    live_version = None if live is None else int(str(live["version"]))
    if base == live_version:
        return
    made = "as a new scenario" if base is None else f"from version {base}"
    if last is None:
        raise StaleVersionError(
            f"scenario '{name}' does not exist any more, but this one was made {made}. "
            "Nothing was saved: save it under a name of its own"
        )
    done = "deleted" if bool(last["deleted"]) else f"saved as version {last['version']}"
    raise StaleVersionError(
        f"scenario '{name}' was {done} by {last['author']} at {last['created_at']} after "
        f"this one was made {made}. Nothing was saved: load the scenario again, or save "
        "this one under another name"
    )


def _describe_source(frame: pd.DataFrame) -> str:
    values = sorted({str(v) for v in frame["source"].dropna() if str(v).strip()})
    text = "; ".join(values)
    return text if len(text) <= _SOURCE_CHARS else text[: _SOURCE_CHARS - 1] + "…"


def _versions_frame(rows: list[tuple[object, ...]]) -> pd.DataFrame:
    history = pd.DataFrame.from_records(rows, columns=list(VERSION_COLUMNS))
    history["version"] = history["version"].astype("int64")
    history["rows"] = history["rows"].astype("int64")
    for name in ("layer", "created_at", "author", "source_file", "source", "note"):
        history[name] = history[name].astype("str").where(history[name].notna(), None)
    return history


def _ranges(numbers: list[int]) -> str:
    """Write sorted version numbers compactly: ``1-3, 5``."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)
