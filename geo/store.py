"""The workspace store: versioned layers behind one interface, with a GeoPackage back end."""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from geo.errors import InputError, LayerMissingError, SchemaError, StoreError
from geo.schema import (
    LAYER_NAMES,
    LAYERS,
    GeometryKind,
    ValidationReport,
    check_layer,
    coerce_layer,
)

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
        self, layer: str, version: int, *, author: str, note: str = ""
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
      history and the workspace facts.

    Layers with geometry are stored in EPSG:4326; point layers as ``Point``, polygon
    layers as ``MultiPolygon`` (a polygon comes back as a one-part multipolygon) and line
    layers as ``MultiLineString`` (likewise), so a layer keeps one geometry type from
    version to version. ``access_audits`` is a
    GeoPackage attributes table (no geometry).

    Writes are atomic: the file is copied to a temporary file in the same folder, every
    change is made there, the copy is flushed to disk (``fsync``) and then renamed onto
    the workspace with :func:`os.replace`, which POSIX guarantees to be atomic. If
    anything fails, the temporary file is deleted and the workspace is untouched. Writers
    are serialised by an exclusive ``flock`` on the sibling file ``<name>.lock``; readers
    take no lock, because the workspace file is never modified in place: a reader sees
    either the old file or the new one, never a mixture. The cost is one copy of the
    file per write (milliseconds for tens of megabytes). POSIX only.

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
        with self._reading() as con:
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
            When ``layer`` is not a workspace layer or the file cannot be read.
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
        try:
            frame = pyogrio.read_dataframe(self.path, layer=table, use_arrow=True)
        except (DataSourceError, DataLayerError) as exc:
            raise StoreError(
                f"cannot read table '{table}' of the workspace {self.path}: {exc}"
            ) from exc
        return coerce_layer(layer, frame)

    def info(self) -> dict[str, str]:
        """Return the workspace facts (``is_demo``, ``seed``, ``title`` ...); empty if none."""
        if not self.exists():
            return {}
        with self._reading() as con:
            rows = con.execute(f"SELECT key, value FROM {INFO_TABLE} ORDER BY fid").fetchall()
        return {str(key): str(value) for key, value in rows}

    # -- writing ---------------------------------------------------------------------

    def write_layer(
        self,
        layer: str,
        frame: pd.DataFrame,
        *,
        author: str,
        source_file: str | None = None,
        note: str = "",
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
        StoreError
            When ``layer`` is unknown or the file cannot be written (previous versions
            stay intact).
        """
        (stored,) = self.write_layers(
            {layer: frame}, author=author, source_file=source_file, note=note
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
        StoreError
            When a layer is unknown or the file cannot be written.
        """
        for layer in frames:
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
        with self._transaction() as work:
            with closing(_connect(work)) as con:
                current = dict(
                    con.execute(
                        f"SELECT layer, MAX(version) FROM {VERSIONS_TABLE} GROUP BY layer"
                    ).fetchall()
                )
            stored = []
            for layer, frame in checked.items():
                version = int(current.get(layer) or 0) + 1
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
                        note=note,
                        source=_describe_source(frame),
                    )
                )
            with closing(_connect(work)) as con, con:
                con.executemany(
                    f"INSERT INTO {VERSIONS_TABLE} ({', '.join(VERSION_COLUMNS)}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [tuple(getattr(s, name) for name in VERSION_COLUMNS) for s in stored],
                )
                _upsert_info(con, info or {})
        return stored

    def restore_version(
        self, layer: str, version: int, *, author: str, note: str = ""
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

        Returns
        -------
        LayerVersion
            The new version.

        Raises
        ------
        LayerMissingError
            When the layer or version is not stored.
        """
        frame = self.read_layer(layer, version=version)
        old = self.versions(layer).set_index("version").loc[version]
        source_file = None if pd.isna(old["source_file"]) else str(old["source_file"])
        return self.write_layer(
            layer,
            frame,
            author=author,
            source_file=source_file,
            note=note or f"restored from version {version}",
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

    # -- internals -------------------------------------------------------------------

    def _version_numbers(self, layer: str) -> list[int]:
        if not self.exists():
            return []
        with self._reading() as con:
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
        present = [row.layer for row in self.summary().itertuples() if pd.notna(row.version)]
        return (
            f"layer '{layer}' is not stored in the workspace {self.path}; stored layers: "
            f"{', '.join(present) or 'none'}; import the layer first"
        )

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """Yield a read-only connection to the workspace's metadata tables."""
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            with closing(sqlite3.connect(uri, uri=True)) as con:
                yield con
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} cannot be read as a workspace ({exc}); it must be a GeoPackage "
                "written by this application"
            ) from exc

    @contextmanager
    def _transaction(self) -> Iterator[Path]:
        """Yield a private copy of the workspace; publish it atomically on success.

        The lock is held from before the copy until after the rename, so concurrent
        writers apply their changes one after the other, each to the latest file.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._remove_stale_work_files()
                work = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp.gpkg")
                published = False
                try:
                    if self.exists():
                        shutil.copyfile(self.path, work)
                        shutil.copymode(self.path, work)
                        _require_workspace(work, self.path)
                    else:
                        _create_workspace(work)
                    yield work
                    _fsync(work)
                    os.replace(work, self.path)
                    published = True
                    _fsync(self.path.parent)
                finally:
                    if not published:
                        _remove_work_file(work)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _remove_stale_work_files(self) -> None:
        # Only the lock holder creates work files, so any found now are left over from a
        # process that was killed mid-write.
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp.gpkg*"):
            stale.unlink(missing_ok=True)

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
            with self._reading() as con:
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

        Returns
        -------
        pandas.Series
            The stored version's row (:attr:`SCENARIO_COLUMNS`).

        Raises
        ------
        InputError
            Empty name or author, or ``units`` without point geometry in EPSG:4326.
        StoreError
            When the file cannot be written (earlier versions stay intact).
        """
        if not name.strip():
            raise InputError("the scenario has no name; give it one")
        if not author.strip():
            raise InputError("the author is empty; say who saves the scenario")
        if getattr(units, "crs", None) is None:
            raise InputError("scenario units need point geometry with a CRS (EPSG:4326)")
        units = units.to_crs("EPSG:4326")
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as work:
            scenario_id, version = self._next_scenario_version(work, name.strip())
            stem = f"scenario_{scenario_id}__v{version}"
            _write_table(work, f"{stem}__units", units, "point")
            _write_table(work, f"{stem}__allocation", pd.DataFrame(allocation), None)
            row = (
                scenario_id,
                name.strip(),
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
            self._insert_scenario_row(work, row)
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
            raise StoreError(f"cannot read scenario '{name}' from {self.path}: {exc}") from exc
        return row, units, pd.DataFrame(allocation)

    def delete_scenario(self, name: str, *, author: str, note: str = "") -> pd.Series:
        """Mark scenario ``name`` deleted in a new version; its earlier versions are kept.

        Raises
        ------
        LayerMissingError
            When no live scenario has this name.
        """
        if not author.strip():
            raise InputError("the author is empty; say who deletes the scenario")
        live = self.list_scenarios()
        match = live[live["name"] == name]
        if match.empty:
            raise LayerMissingError(f"no saved scenario called '{name}' to delete")
        current = match.iloc[0]
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        row = (
            current["scenario_id"],
            name,
            int(current["version"]) + 1,
            created_at,
            author,
            note or "deleted",
            current["params"],
            1,
            current["derived_from"],
            "",
            "",
        )
        with self._transaction() as work:
            self._insert_scenario_row(work, row)
        return self._scenario_row(row)

    def _scenario_row(self, row: tuple[object, ...]) -> pd.Series:
        series = pd.Series(dict(zip(self.SCENARIO_COLUMNS, row, strict=True)))
        series["deleted"] = bool(series["deleted"])
        return series

    def _next_scenario_version(self, work: Path, name: str) -> tuple[str, int]:
        """Return (scenario id, next version) for ``name`` in the work copy ``work``."""
        with closing(_connect(work)) as con:
            present = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (self.SCENARIOS_TABLE,),
            ).fetchone()
            if not present:
                return "s0001", 1
            rows = con.execute(
                f"SELECT scenario_id, name, version, deleted FROM {self.SCENARIOS_TABLE} "
                "ORDER BY fid"
            ).fetchall()
        latest: dict[str, tuple[str, int, int]] = {}
        for scenario_id, stored_name, version, deleted in rows:
            latest[scenario_id] = (stored_name, int(version), int(deleted))
        for scenario_id, (stored_name, version, deleted) in latest.items():
            if stored_name == name and not deleted:
                return scenario_id, version + 1
        numbers = [int(s[1:]) for s in latest if s[1:].isdigit()]
        return f"s{max(numbers, default=0) + 1:04d}", 1

    def _insert_scenario_row(self, work: Path, row: tuple[object, ...]) -> None:
        with closing(_connect(work)) as con:
            present = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (self.SCENARIOS_TABLE,),
            ).fetchone()
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
        raise StoreError(f"cannot write table '{table}': {exc}") from exc


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
