"""Importing files into the workspace: recognise, map, validate in one report, preview, commit.

The flow, shared by the Data page, the command line and single-record edits:

1. :func:`geo.io.read_upload` / :func:`geo.io.read_path` check limits and read the file;
2. :func:`detect_format` recognises OCHA COD-AB boundaries, HNEC SmartElect centre lists,
   ACLED exports, HXL-tagged tables, or falls back to a generic table with a column
   mapping (:func:`geo.mapping.suggest_mapping`);
3. :func:`prepare_import` converts the rows, runs every check and returns an
   :class:`ImportPreview`: the rows accepted, the rows rejected with their reasons, one
   :class:`~geo.schema.ValidationReport` with every problem (row numbers as the user sees
   them in the file), and the difference from the current version (added, changed,
   removed by key). Nothing is written;
4. :func:`commit_import` stores the result as a new version through the store (atomic: a
   failed write leaves the workspace as it was); :func:`restore_layer` brings back an old
   version the same way.

A replace that would remove more than :data:`REPLACE_CONFIRM_SHARE` (half) of the rows of
the current layer, by key, is stored only when confirmed
(:attr:`ImportOptions.confirm_replace`: ``--mode replace`` given explicitly on the command
line, a ticked box on the Data page): a boundary file holding one district would otherwise
turn 22 districts into 1 with only a warning. Re-coding a whole layer (the demo's
districts replaced by COD-AB's official P-codes) removes every current key, so it asks too.

Checks, besides the layer schema (:func:`geo.schema.validate_layer`: types, required and
allowed values, duplicate IDs, negative counts, more than 550 voters per station, dates
in the future):

- coordinates missing, unreadable, ``0, 0``, out of range, outside Libya, or **swapped**
  (the point is outside Libya as given and inside with latitude and longitude exchanged:
  the fix is offered, and applied only when asked, with a warning per row);
- points outside their declared municipality (its polygon, or 25 km from its seat when it
  has none), municipalities given by name (looked up with :mod:`geo.names`) or derived
  from the location, unknown P-codes, centres and parents that do not exist;
- GIS geometries: missing CRS (assumed WGS84 only when the numbers are degrees), other
  CRS (reprojected, saying from what), invalid polygons (repaired with ``make_valid``,
  said per row), wrong geometry types;
- encoding guesses, unreadable rows of the file, columns missing from the file (filled
  from the current version for rows that exist already, else from a stated default).

Layers and the permission each import needs: ``centres`` and ``access_audits`` need
``import_centres``; every other layer (``units`` included) needs ``import_data``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geo.acled import GENERATION_LABELS, convert_acled, detect_generation
from geo.audit import make_entry, staged_file
from geo.codab import LENGTH_BY_LAYER, choose_codab_level, codab_levels, convert_codab
from geo.crosswalk import ListColumns, crosswalk_municipalities
from geo.distance import project_lonlat
from geo.errors import InputError, StaleVersionError, StoreError
from geo.export import to_csv_bytes
from geo.hnec import convert_hnec, is_hnec
from geo.io import ImportLimits, RawTable, SourceFile, describe_rows, parse_dates, read_path
from geo.mapping import (
    FORMAT_LABELS,
    LATITUDE,
    LIST_ID,
    LONGITUDE,
    MAX_MAPPING_BYTES,
    MUNICIPALITY_NAME,
    WKT,
    ColumnMapping,
    Conversion,
    FillDefault,
    FormatName,
    SavedMapping,
    apply_mapping,
    check_mapping_name,
    describe_targets,
    dump_mapping,
    guess_layer,
    is_mapping_file,
    load_mapping,
    suggest_mapping,
    targets_of,
    template_headers,
)
from geo.maps import (
    add_layer_control,
    add_points,
    add_polygons,
    new_map,
    ring_marker,
    use_offline_assets,
)
from geo.names import place_key
from geo.network import DEFAULT_SNAP_TOLERANCE_M, NetworkSummary, build_network
from geo.permissions import Permission, Viewer, require
from geo.reference import build_catchments, read_outline
from geo.roads import roads_from_table
from geo.schema import (
    CRS,
    LAYERS,
    LIBYA_BOUNDS,
    LayerSchema,
    Problem,
    ValidationReport,
    coerce_layer,
    empty_layer,
    validate_layer,
)
from geo.store import AuditEntry, BaseVersion, GeoPackageStore, LayerVersion, Store
from geo.vocabulary import is_coded, read_coded_values
from geo.workspace import Workspace, open_workspace

ImportMode = Literal["replace", "upsert"]
UnmatchedChoice = Literal["new", "reject"]
FormatChoice = Literal["auto", "cod-ab", "hnec", "acled", "hxl", "generic"]
RecordAction = Literal["add", "update", "retire"]

#: What each layer's import needs (see geo.permissions).
PERMISSION_BY_LAYER: Mapping[str, Permission] = {
    "regions": "import_data",
    "districts": "import_data",
    "municipalities": "import_data",
    "centres": "import_centres",
    "access_audits": "import_centres",
    "units": "import_data",
    "incidents": "import_data",
}
#: Boundary layers are replaced by an import; other layers are updated (added to).
DEFAULT_MODES: Mapping[str, ImportMode] = {
    "regions": "replace",
    "districts": "replace",
    "municipalities": "replace",
    "centres": "upsert",
    "access_audits": "upsert",
    "units": "upsert",
    "incidents": "upsert",
}
#: Layers whose rows refer to another layer's key: (child layer, column, parent layer).
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("districts", "region_pcode", "regions"),
    ("municipalities", "district_pcode", "districts"),
    ("centres", "municipality_pcode", "municipalities"),
    ("units", "municipality_pcode", "municipalities"),
    ("incidents", "municipality_pcode", "municipalities"),
    ("access_audits", "centre_id", "centres"),
    ("units", "assigned_centre_id", "centres"),
    ("incidents", "centre_id", "centres"),
)
#: A replace that would remove more than this share of the current rows (by key) needs
#: confirming (:attr:`ImportOptions.confirm_replace`).
REPLACE_CONFIRM_SHARE = 0.5
#: Seats farther than this from a point declared in their municipality get a warning.
SEAT_DISTANCE_KM = 25.0
#: Points this far (degrees, about 5 km) outside every municipality still go to the nearest.
NEAREST_MUNICIPALITY_DEG = 0.05
#: The country outline is widened by this much (degrees) before testing "inside Libya".
COUNTRY_MARGIN_DEG = 0.05
#: Codes given to municipalities of a list that match none of the workspace's: not official.
UNOFFICIAL_PREFIX = "X-"
_DUPLICATE_ROW = re.compile(r"first used on row (\d+)")
# Arabic-Indic and Persian digits, Arabic decimal and thousands separators.
_ARABIC_DIGITS = str.maketrans(
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
    "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9\u066b\u066c",
    "01234567890123456789.,",
)


class NothingToImportError(InputError):
    """An import or edit whose preview has nothing to store; ``report`` says why."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report


class ReplaceNotConfirmedError(InputError):
    """A replace that would remove most of a layer, committed without confirmation."""


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FormatGuess:
    """What a file was recognised as: format, the layer it fills, and why."""

    format: FormatName
    layer: str | None
    label: str
    reason: str


@dataclass(frozen=True)
class ImportOptions:
    """Choices made in the preview.

    Parameters
    ----------
    swap_coordinates
        Exchange latitude and longitude in the rows where they look swapped.
    mode
        ``"replace"``: the file becomes the whole layer; ``"upsert"``: its rows are added
        to the layer or replace rows with the same ID, the others stay. ``None``: replace
        boundary layers, upsert the others.
    today
        Dates after this day are in the future; ``None`` means today.
    table
        Which table of a file with several (sheets, layers, archive members).
    confirm_replace
        The user confirmed a replace that removes more than :data:`REPLACE_CONFIRM_SHARE`
        of the layer's rows; without it such a preview cannot be committed.
    unmatched
        Rows of a municipality list that match no municipality of the workspace:
        ``"new"`` adds them with a code that says it is not official
        (:data:`UNOFFICIAL_PREFIX`), ``"reject"`` rejects them with the reason.
    """

    swap_coordinates: bool = False
    mode: ImportMode | None = None
    today: pd.Timestamp | None = None
    table: str | None = None
    confirm_replace: bool = False
    unmatched: UnmatchedChoice = "new"


@dataclass(frozen=True)
class LargeRemoval:
    """A replace that removes most of a layer: rows removed (by key) of the current ones.

    Attributes
    ----------
    layer
        The layer replaced.
    removed
        Current rows whose key the new version does not have.
    current
        Rows of the current version.
    remaining
        Rows of the new version.
    confirmed
        Whether the user confirmed it (:attr:`ImportOptions.confirm_replace`).
    """

    layer: str
    removed: int
    current: int
    remaining: int
    confirmed: bool = False

    def describe(self) -> str:
        """Return e.g. "replacing 'districts' would remove 22 of the 22 rows of …"."""
        share = "half" if REPLACE_CONFIRM_SHARE == 0.5 else f"{REPLACE_CONFIRM_SHARE:.0%}"
        return (
            f"replacing '{self.layer}' would remove {self.removed:,} of the {self.current:,} "
            f"rows of '{self.layer}' (more than {share}) and leave {self.remaining:,} "
            f"row(s) in the new version"
        )


@dataclass(frozen=True)
class LayerDiff:
    """The difference between the current version of a layer and a proposed one, by key."""

    key: str
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    changed_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        """True when anything is added, changed or removed."""
        return bool(self.added or self.changed or self.removed)

    def table(self, limit: int | None = None) -> pd.DataFrame:
        """Return one row per changed key: ``key``, ``change``, ``columns`` changed."""
        rows = (
            [(k, "added", "") for k in self.added]
            + [(k, "changed", ", ".join(self.changed_columns.get(k, ()))) for k in self.changed]
            + [(k, "removed", "") for k in self.removed]
        )
        if limit is not None:
            rows = rows[:limit]
        return pd.DataFrame(rows, columns=[self.key, "change", "columns"])

    def summary(self) -> str:
        """Return e.g. ``"3 added, 1 changed, 0 removed, 12 unchanged"``."""
        return (
            f"{len(self.added):,} added, {len(self.changed):,} changed, "
            f"{len(self.removed):,} removed, {self.unchanged:,} unchanged"
        )


@dataclass(frozen=True)
class ImportPreview:
    """Everything an import would do, before it is done.

    Attributes
    ----------
    layer, format, filename, sha256, table_name
        What is imported, recognised as what, from which file (and table of it).
    format_label
        A readable name of the format (with the ACLED generation).
    mapping
        Target → file column used.
    mode
        ``replace`` or ``upsert``.
    base_version
        The current version of the layer the preview was made against (None: none yet).
    rows_read
        Data rows in the file's table.
    rows_left_out
        Rows outside the import's scope (ACLED rows outside Libya), not rejected.
    accepted
        The rows of the file that pass, coerced to the schema (extra columns kept).
    accepted_rows
        Their row numbers in the file.
    rejected
        The rows that do not pass: ``row``, ``reason`` and the file's own columns.
    result
        The frame that :func:`commit_import` stores as the next version.
    report
        Every error and warning, with layer, row, column and what to do.
    diff
        Added, changed and removed keys against the current version.
    swaps
        Rows whose latitude and longitude look swapped: ``row``, the values as given, and
        whether the swap was applied.
    notes
        Facts worth telling (encoding, sheet, filtered rows, date styles …).
    row_label
        ``row``, ``feature`` (GIS files) or ``record`` (single-record edits).
    large_removal
        Set when the preview is a replace that removes more than
        :data:`REPLACE_CONFIRM_SHARE` of the current rows; it is stored only once
        confirmed.
    """

    layer: str
    format: FormatName
    format_label: str
    filename: str
    sha256: str
    table_name: str
    mapping: ColumnMapping
    mode: ImportMode
    base_version: int | None
    rows_read: int
    rows_left_out: int
    accepted: pd.DataFrame
    accepted_rows: NDArray[np.int64]
    rejected: pd.DataFrame
    result: pd.DataFrame
    report: ValidationReport
    diff: LayerDiff
    swaps: pd.DataFrame
    notes: tuple[str, ...] = ()
    row_label: str = "row"
    large_removal: LargeRemoval | None = None

    @property
    def needs_confirmation(self) -> bool:
        """True when the preview removes most of the layer and that is not confirmed."""
        return self.large_removal is not None and not self.large_removal.confirmed

    @property
    def can_commit(self) -> bool:
        """True when storing the preview would change the layer and needs no confirmation."""
        return self.diff.has_changes and not self.needs_confirmation

    def summary(self) -> str:
        """Return a few lines: file, format, rows accepted/rejected, changes, problems."""
        lines = [
            f"{self.filename} → {self.layer} ({self.format_label}; {self.mode})",
            f"{self.rows_read:,} row(s) read, {len(self.accepted):,} accepted, "
            f"{len(self.rejected):,} rejected"
            + (f", {self.rows_left_out:,} left out" if self.rows_left_out else ""),
            f"changes against the current version: {self.diff.summary()}",
            f"{len(self.report.errors):,} error(s), {len(self.report.warnings):,} warning(s)",
        ]
        return "\n".join(lines)


@dataclass
class _Finding:
    """A problem, the row positions it rejects (errors) or concerns, and the short reason."""

    problem: Problem
    positions: NDArray[np.intp] | None = None
    column: str | None = None
    reason: str = ""
    covers: tuple[str, ...] = ()


@dataclass
class _Work:
    """Mutable state of one preparation (never leaves this module)."""

    layer: str
    conversion: Conversion
    rows: NDArray[np.int64]
    findings: list[_Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        positions: NDArray[np.intp] | Sequence[int] | Sequence[np.integer] | None,
        column: str | None,
        message: str,
        severity: Literal["error", "warning"] = "error",
        *,
        per_row: bool = True,
        user_column: str | None = None,
        covers: tuple[str, ...] = (),
    ) -> None:
        """Record a problem for rows (one per row, or one for all) or for the layer.

        ``covers`` names other columns whose schema problems on these rows the problem
        explains (they are not reported again).
        """
        shown = user_column if user_column is not None else self.user_column(column)
        reason = f"{shown}: {message}" if shown else message
        if positions is None:
            problem = Problem(self.layer, None, shown, message, severity)
            self.findings.append(_Finding(problem, None, column, reason))
            return
        where = np.asarray(positions, dtype=np.intp)
        if not len(where):
            return
        if per_row:
            for p in where:
                problem = Problem(self.layer, int(self.rows[p]), shown, message, severity)
                self.findings.append(_Finding(problem, np.array([p]), column, reason, covers))
        else:
            unit = self.conversion.table.row_label
            label = unit if len(where) == 1 else f"{unit}s"
            text = f"{message} ({label} {describe_rows(self.rows[where])})"
            problem = Problem(self.layer, None, shown, text, severity)
            self.findings.append(_Finding(problem, where, column, reason, covers))

    def user_column(self, column: str | None) -> str | None:
        """Name a schema column as the user's file names it."""
        if column is None:
            return None
        mapping = self.conversion.mapping.as_dict()
        if column == "geometry":
            lon, lat = mapping.get(LONGITUDE), mapping.get(LATITUDE)
            if lon and lat:
                return f"{lat}, {lon}"
            return mapping.get(WKT, "geometry")
        return mapping.get(column, column)


# -- recognition -----------------------------------------------------------------------


def detect_format(source: SourceFile) -> FormatGuess:
    """Recognise the format of a file from its columns.

    Returns
    -------
    FormatGuess
        COD-AB when a table has ``ADM{n}_PCODE`` columns (the layer from the deepest
        level's P-code length), HNEC for the SmartElect columns, ACLED for its event
        columns, HXL when a hashtag row is present, else generic.
    """
    levels = [lv for lv in codab_levels(source) if lv.layer is not None]
    if levels:
        best = min(levels, key=lambda lv: (not lv.is_polygon, lv.pcode_length))
        found = sorted({lv.layer for lv in levels if lv.layer}, key=list(LENGTH_BY_LAYER).index)
        return FormatGuess(
            "cod-ab",
            best.layer,
            FORMAT_LABELS["cod-ab"],
            f"ADM P-code columns; levels found: {', '.join(found)}",
        )
    table = source.table()
    generation = detect_generation(table.columns)
    if generation is not None:
        return FormatGuess(
            "acled", "incidents", GENERATION_LABELS[generation], "ACLED event columns"
        )
    if is_hnec(table.columns):
        return FormatGuess(
            "hnec", "centres", FORMAT_LABELS["hnec"], "SmartElect columns center_id … center_lon"
        )
    layer = guess_layer(table)
    fits = f"; its columns fit '{layer}'" if layer else ""
    if table.hxl_tags is not None:
        return FormatGuess("hxl", layer, FORMAT_LABELS["hxl"], f"a row of HXL hashtags{fits}")
    return FormatGuess(
        "generic", layer, FORMAT_LABELS["generic"], f"no known format recognised{fits}"
    )


def _choose_table(source: SourceFile, layer: str, name: str | None) -> RawTable:
    if name is not None:
        return source.table(name)
    for table in source.tables:
        if table.name.rsplit("› ", 1)[-1].rsplit(".", 1)[0] == layer:
            return table
    return source.table()


def convert_source(
    source: SourceFile,
    layer: str,
    *,
    fmt: FormatChoice = "auto",
    mapping: ColumnMapping | None = None,
    table_name: str | None = None,
) -> Conversion:
    """Convert a file's table into ``layer``'s columns with the chosen (or detected) format.

    Raises
    ------
    InputError
        When the format does not fit the layer or the file (the message says which
        layer or format to choose instead).
    """
    if layer not in LAYERS:
        raise InputError(f"unknown layer '{layer}'; choose one of {', '.join(LAYERS)}")
    chosen: FormatName = detect_format(source).format if fmt == "auto" else fmt
    if chosen == "cod-ab":
        if table_name is not None:
            return convert_codab(source.table(table_name), layer)
        level = choose_codab_level(source, layer)
        return convert_codab(level.table, layer, adm=level.adm)
    table = _choose_table(source, layer, table_name)
    if chosen == "acled":
        return convert_acled(table, layer=layer)
    if chosen == "hnec":
        return convert_hnec(table, layer=layer)
    used = mapping if mapping is not None else suggest_mapping(table, layer)
    return apply_mapping(table, layer, used, format_name=chosen)


def mapping_with_overrides(
    source: SourceFile,
    layer: str,
    overrides: Mapping[str, str],
    *,
    fmt: FormatChoice = "auto",
    table_name: str | None = None,
    saved: SavedMapping | None = None,
    saved_name: str = "",
) -> ColumnMapping:
    """Return the suggested (or saved) mapping of ``source`` for ``layer`` with ``overrides``.

    The command line's ``--map TARGET=SOURCE``: each override fills ``TARGET`` from the
    file's column ``SOURCE``, in place of what was suggested for it; the other suggested
    targets stay. With ``--mapping FILE`` (``saved``), the saved mapping is used as it is,
    in place of the suggestion, and the overrides are laid over it.

    Parameters
    ----------
    source
        The file, as read by :mod:`geo.io`.
    layer
        The workspace layer to fill.
    overrides
        ``{target: source column}``.
    fmt
        The format chosen (``"auto"``: recognised); only generic and HXL files are mapped.
    table_name
        Which table of a file with several.
    saved, saved_name
        A mapping saved with ``--save-mapping`` and the name of its file (for messages).

    Returns
    -------
    ColumnMapping
        The mapping, in the layer's target order.

    Raises
    ------
    InputError
        When a target is not one of the layer's, the file has no such column, the saved
        mapping is for another layer, or the file's format has a fixed reading (COD-AB,
        HNEC, ACLED); the message lists the targets or the file's columns.
    """
    if layer not in LAYERS:
        raise InputError(f"unknown layer '{layer}'; choose one of {', '.join(LAYERS)}")
    chosen: FormatName = detect_format(source).format if fmt == "auto" else fmt
    if chosen not in ("generic", "hxl"):
        flag = "--map" if overrides else "--mapping"
        raise InputError(
            f"{flag} applies to generic and HXL files, but {source.filename} was read as "
            f"{FORMAT_LABELS[chosen]}, whose columns are fixed; add --format generic to map "
            "its columns yourself"
        )
    if saved is not None and saved.layer != layer:
        raise InputError(
            f"the column mapping {saved_name} was saved for layer '{saved.layer}', not "
            f"'{layer}'; import with --layer {saved.layer}, or save a mapping for '{layer}' "
            "with --save-mapping"
        )
    table = _choose_table(source, layer, table_name)
    targets = targets_of(layer)
    listed = ", ".join(targets)
    columns = ", ".join(table.columns)
    if saved is not None:
        unknown = [t for t, _ in saved.mapping.pairs if t not in targets]
        lacking = [
            (t, c)
            for t, c in saved.mapping.pairs
            if t in targets and t not in overrides and c not in table.columns
        ]
        unfit = [
            f"'{t}' is not a column of layer '{layer}' (its columns: {listed})" for t in unknown
        ]
        if lacking:
            unfit.append(
                "; ".join(
                    f"it fills '{t}' from the column '{c}', which {source.filename} does not have"
                    for t, c in lacking
                )
                + f" (its columns: {columns}); rename the column in the file, or lay "
                f"--map {lacking[0][0]}=COLUMN over the mapping"
            )
        if unfit:
            raise InputError(
                f"the column mapping {saved_name} does not fit {source.filename}: "
                + "; ".join(unfit)
                + "; or save a new mapping with --save-mapping"
            )
    problems: list[str] = []
    for target, column in overrides.items():
        if target not in targets:
            problems.append(
                f"'{target}' is not a column of layer '{layer}' (its columns: {listed})"
            )
        if column not in table.columns:
            problems.append(
                f"the file has no column '{column}' (mapped to '{target}'; its columns: {columns})"
            )
    if problems:
        raise InputError("--map TARGET=SOURCE cannot be used: " + "; ".join(problems))
    base = saved.mapping if saved is not None else suggest_mapping(table, layer)
    merged = base.as_dict() | dict(overrides)
    return ColumnMapping(tuple((t, merged[t]) for t in targets if t in merged))


def fit_saved_mapping(
    source: SourceFile, layer: str, content: bytes, *, name: str, table_name: str | None = None
) -> ColumnMapping:
    """Return the mapping saved in ``content`` (a ``--save-mapping`` file) for ``source``.

    The Data page's "use a saved column mapping": the checks and messages of
    :func:`mapping_with_overrides` with a saved mapping and no overrides.

    Raises
    ------
    InputError
        When ``content`` is no saved mapping, is for another layer, or reads a column the
        file does not have.
    """
    saved = load_mapping(content, name=name)
    return mapping_with_overrides(
        source, layer, {}, fmt="generic", table_name=table_name, saved=saved, saved_name=name
    )


# -- preparation -----------------------------------------------------------------------


def prepare_import(
    source: SourceFile,
    layer: str,
    workspace: Workspace,
    viewer: Viewer,
    *,
    fmt: FormatChoice = "auto",
    mapping: ColumnMapping | None = None,
    options: ImportOptions | None = None,
) -> ImportPreview:
    """Check a file against ``layer`` and the workspace; return what importing it would do.

    Parameters
    ----------
    source
        The file, as read by :mod:`geo.io`.
    layer
        The workspace layer to fill.
    workspace
        The current workspace (its layers are used to look up P-codes, names, centres and
        the country outline, and as the base of the difference).
    viewer
        Who imports; needs ``import_centres`` for centres and audits, else ``import_data``.
    fmt
        The format, or ``"auto"`` to recognise it.
    mapping
        The column mapping of a generic or HXL file (``None``: the suggested one).
    options
        Swap fix, replace/upsert, today's date, table choice.

    Returns
    -------
    ImportPreview
        Accepted and rejected rows, the report, the difference; nothing is written.

    Raises
    ------
    AccessDeniedError
        When ``viewer`` may not import ``layer``.
    InputError
        When the format does not fit the layer or the mapping is unusable.
    """
    require(viewer, PERMISSION_BY_LAYER[layer])
    options = options or ImportOptions()
    conversion = convert_source(source, layer, fmt=fmt, mapping=mapping, table_name=options.table)
    label = conversion.label or FORMAT_LABELS[conversion.format]
    return _prepare(
        conversion,
        workspace,
        options,
        filename=source.filename,
        sha256=source.sha256,
        format_label=label,
    )


def _prepare(
    conversion: Conversion,
    workspace: Workspace,
    options: ImportOptions,
    *,
    filename: str,
    sha256: str,
    format_label: str,
    row_label: str | None = None,
    base_mode: ImportMode | None = None,
) -> ImportPreview:
    layer = conversion.layer
    schema = LAYERS[layer]
    table = conversion.table
    keep = (
        np.ones(len(table), dtype=bool)
        if conversion.keep is None
        else np.asarray(conversion.keep, dtype=bool)
    )
    kept = np.flatnonzero(keep)
    frame = conversion.frame.iloc[kept].reset_index(drop=True)
    rows = table.row_numbers[kept]
    geometry = None
    if conversion.geometry is not None:
        geometry = conversion.geometry.iloc[kept].reset_index(drop=True)
    work = _Work(layer, conversion, rows)
    work.notes += list(conversion.notes)
    _adopt_problems(work, table, kept, conversion.problems)
    current = workspace.layers.get(layer)
    listed = is_municipality_list(layer, frame, geometry)
    if listed:
        frame = _match_municipality_list(work, frame, workspace, options)
        # A list updates the municipalities it names: the others, and what refers to
        # them, stay (replace only when asked).
        base_mode = base_mode or "upsert"
    mode = options.mode or base_mode or DEFAULT_MODES[layer]
    candidate = _candidate_frame(work, frame, geometry, current, conversion, filename)
    geoms = _geometries(work, candidate, frame, geometry, current, workspace, options)
    swaps = geoms.swaps
    if schema.geometry is not None:
        candidate = gpd.GeoDataFrame(candidate, geometry=geoms.values, crs=CRS)
    if layer == "municipalities":
        candidate = _municipality_shapes(work, candidate, workspace, mode)
    _resolve_municipalities(work, candidate, workspace)
    _check_references(work, candidate, workspace)
    verdict = _validate(work, candidate, options)
    accepted_mask = ~verdict.rejected
    accepted = coerce_layer(layer, candidate.iloc[np.flatnonzero(accepted_mask)])
    if len(accepted) or current is None:
        result = _merge(layer, current, accepted, mode)
    else:
        # Nothing passed: the layer stays as it is, whatever the mode.
        result = coerce_layer(layer, current)
    diff = diff_layers(layer, current, result)
    problems = verdict.problems
    if mode == "replace" or diff.removed:
        problems += tuple(f.problem for f in _orphan_findings(layer, result, workspace))
    report = ValidationReport(layer, problems)
    if listed:
        work.notes += _list_effects(current, result, workspace)
    rejected = _rejected_frame(table, kept, rows, verdict)
    base_version = _current_version(workspace, layer)
    large_removal = _large_removal(layer, mode, current, result, diff, options)
    return ImportPreview(
        layer=layer,
        format=conversion.format,
        format_label=format_label,
        filename=filename,
        sha256=sha256,
        table_name=table.name,
        mapping=conversion.mapping,
        mode=mode,
        base_version=base_version,
        rows_read=len(table),
        rows_left_out=int((~keep).sum()),
        accepted=accepted,
        accepted_rows=rows[accepted_mask],
        rejected=rejected,
        result=result,
        report=report,
        diff=diff,
        swaps=swaps,
        notes=tuple(work.notes),
        row_label=row_label or table.row_label,
        large_removal=large_removal,
    )


def is_municipality_list(layer: str, frame: pd.DataFrame, geometry: gpd.GeoSeries | None) -> bool:
    """Return True for a municipality list: names and seats without P-codes or polygons.

    Such a list (a ministry's: an ``id``, Arabic and English names, a type, the seat's
    latitude and longitude) is matched to the workspace's municipalities with
    :func:`geo.crosswalk.crosswalk_municipalities` rather than read by P-code.
    """
    return (
        layer == "municipalities"
        and geometry is None
        and WKT not in frame.columns
        and "pcode" not in frame.columns
        and bool({"name_en", "name_ar"} & set(frame.columns))
    )


def default_mode(
    source: SourceFile,
    layer: str,
    *,
    fmt: FormatChoice = "auto",
    mapping: ColumnMapping | None = None,
    table_name: str | None = None,
) -> ImportMode:
    """Return how a file joins ``layer`` by default: a municipality list upserts.

    Boundary layers are replaced (:data:`DEFAULT_MODES`), but a municipality list updates
    the municipalities it names and keeps the others (and what refers to them).
    """
    conversion = convert_source(source, layer, fmt=fmt, mapping=mapping, table_name=table_name)
    if is_municipality_list(layer, conversion.frame, conversion.geometry):
        return "upsert"
    return DEFAULT_MODES[layer]


def _number_column(frame: pd.DataFrame, name: str) -> NDArray[np.float64]:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    text = _clean_numbers(frame[name].reset_index(drop=True), decimal=True)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)


def _text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series([""] * len(frame), dtype="str")
    return frame[name].reset_index(drop=True).astype("string").fillna("").str.strip()


def _unofficial_codes(ids: pd.Series, names: pd.Series, taken: set[str]) -> list[str]:
    """``X-`` + the list's ID (else the English name, else the row), unique among ``taken``."""
    codes = []
    for i, (given, name) in enumerate(zip(ids, names, strict=True)):
        stem = re.sub(r"[^A-Za-z0-9]+", "-", str(given or name)).strip("-").upper()
        base = f"{UNOFFICIAL_PREFIX}{stem or i + 1}"
        code, k = base, 1
        while code in taken:
            k += 1
            code = f"{base}-{k}"
        taken.add(code)
        codes.append(code)
    return codes


def _district_of_points(
    districts: pd.DataFrame | None, lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> NDArray[np.object_]:
    """Return the district P-code holding each point (``""`` when none or no location)."""
    out = np.full(len(lon), "", dtype=object)
    located = np.isfinite(lon) & np.isfinite(lat)
    if not isinstance(districts, gpd.GeoDataFrame) or not len(districts) or not located.any():
        return out
    polygons = districts.geometry.to_numpy()
    codes = districts["pcode"].astype(str).to_numpy(dtype=object)
    positions = np.flatnonzero(located)
    points = shapely.points(lon[positions], lat[positions])
    tree = shapely.STRtree(polygons)
    point_index, poly_index = tree.query(points, predicate="within")
    first = pd.Series(poly_index).groupby(point_index).first()
    out[positions[first.index.to_numpy()]] = codes[first.to_numpy()]
    rest = np.flatnonzero(out[positions] == "")
    if len(rest):
        point_index, poly_index = tree.query_nearest(points[rest], max_distance=COUNTRY_MARGIN_DEG)
        first = pd.Series(poly_index).groupby(point_index).first()
        out[positions[rest[first.index.to_numpy()]]] = codes[first.to_numpy()]
    return out


def _match_municipality_list(
    work: _Work, frame: pd.DataFrame, workspace: Workspace, options: ImportOptions
) -> pd.DataFrame:
    """Give each row of a municipality list its P-code and district (see the README).

    Rows are matched to the workspace's municipalities by
    :func:`geo.crosswalk.crosswalk_municipalities` (code, then spelling-tolerant name,
    then location); a location alone does not match a row that names another place.
    Matched rows update their municipality; unmatched ones become new municipalities with
    an :data:`UNOFFICIAL_PREFIX` code, or are rejected (:attr:`ImportOptions.unmatched`).
    The district comes from the seat (point in district polygon) when not given.
    """
    frame = frame.reset_index(drop=True).copy()
    n = len(frame)
    all_columns = ("pcode", "district_pcode", "seat_lon", "seat_lat", "boundary_kind")
    lon = _number_column(frame, "seat_lon")
    lat = _number_column(frame, "seat_lat")
    located = np.isfinite(lon) & np.isfinite(lat)
    ids = _text_column(frame, LIST_ID)
    names_ar, names_en = _text_column(frame, "name_ar"), _text_column(frame, "name_en")
    municipalities = workspace.layers.get("municipalities")
    pcode = np.full(n, "", dtype=object)
    method = np.full(n, "none", dtype=object)
    notes = np.full(n, "", dtype=object)
    if municipalities is not None and len(municipalities):
        listing = pd.DataFrame(
            {
                "code": ids.astype(str),
                "name_ar": names_ar.astype(str),
                "name_en": names_en.astype(str),
                "lon": np.where(located, lon, np.nan),
                "lat": np.where(located, lat, np.nan),
            }
        )
        matches = crosswalk_municipalities(
            listing,
            municipalities,
            columns=ListColumns("code", "name_ar", "name_en", "lon", "lat"),
            rows=work.rows,
            locate_named=False,
        ).matches.reset_index(drop=True)
        method = matches["method"].to_numpy(dtype=object)
        notes = matches["note"].to_numpy(dtype=object)
        ok = ~np.isin(method, ["none", "skipped"])
        pcode[ok] = matches["pcode"].to_numpy(dtype=object)[ok]
    matched = pcode != ""
    skipped = method == "skipped"
    work.add(
        np.flatnonzero(skipped),
        "pcode",
        "not a municipality (a blank row, or an answer option such as 'dk' in a list of "
        "numbered codes); remove the row",
        user_column=work.user_column(LIST_ID) or LIST_ID,
        covers=all_columns,
    )
    unmatched = ~matched & ~skipped
    reason_of = {p: notes[p] or "no municipality of the workspace has a similar name" for p in
                 np.flatnonzero(unmatched)}  # fmt: skip
    if options.unmatched == "reject":
        for p in np.flatnonzero(unmatched):
            work.add(
                [p],
                "pcode",
                f"matches none of the workspace's municipalities ({reason_of[p]}); correct "
                "the name, or import with --unmatched new (Data page: 'add them as new "
                "municipalities') to add it",
                user_column="name_en, name_ar",
                covers=all_columns,
            )
        new = np.zeros(n, dtype=bool)
    else:
        lost = unmatched & ~located
        for p in np.flatnonzero(lost):
            work.add(
                [p],
                "pcode",
                f"matches none of the workspace's municipalities ({reason_of[p]}) and has no "
                "coordinates: a new municipality needs the latitude and longitude of its "
                "seat; add them, or correct the name if it is one of the workspace's",
                user_column="name_en, name_ar",
                covers=all_columns,
            )
        new = unmatched & located
        taken = set() if municipalities is None else set(municipalities["pcode"].astype(str))
        pcode[new] = _unofficial_codes(ids[new], names_en[new], taken)
    frame["pcode"] = pcode
    districts = workspace.layers.get("districts")
    given = _text_column(frame, "district_pcode").to_numpy(dtype=object)
    found = _district_of_points(districts, lon, lat)
    derive = (given == "") & located & (matched | new)
    district = given.copy()
    district[derive] = found[derive]
    nowhere = derive & (found == "")
    for p in np.flatnonzero(nowhere & new):
        where = "no district in the workspace"
        if isinstance(districts, gpd.GeoDataFrame) and len(districts):
            name, km = _nearest_district(districts, lon[p], lat[p])
            where = f"none of the workspace's districts (nearest: {name}, {km:,.1f} km away)"
        work.add(
            [p],
            "district_pcode",
            f"the seat (latitude {lat[p]:g}, longitude {lon[p]:g}) lies in {where}; check "
            "the coordinates or give district_pcode",
            user_column=f"{work.user_column('seat_lat')}, {work.user_column('seat_lon')}",
            covers=all_columns,
        )
    current_district = pd.Series(dtype=object)
    if municipalities is not None and len(municipalities):
        current_district = _by_key(municipalities, "pcode")["district_pcode"]
    keep_district = nowhere & matched
    district[keep_district] = current_district.reindex(pcode[keep_district]).to_numpy(object)
    work.add(
        np.flatnonzero(keep_district),
        "district_pcode",
        "the seat lies in none of the workspace's districts: the municipality keeps its "
        "district; check the coordinates",
        "warning",
        per_row=False,
    )
    moved = matched & derive & ~nowhere
    was = current_district.reindex(pcode[moved]).astype("string").fillna("").to_numpy(object)
    for i, p in enumerate(np.flatnonzero(moved)):
        if was[i] and was[i] != district[p]:
            work.add(
                [p],
                "district_pcode",
                f"the seat lies in district {district[p]}, the workspace has "
                f"{pcode[p]} in {was[i]}: its district changes to {district[p]}",
                "warning",
            )
    if derive.any() or "district_pcode" in frame.columns:
        frame["district_pcode"] = district
    counts = pd.Series(method[matched]).value_counts()
    by = ", ".join(f"{m} {k}" for m, k in counts.items())
    parts = [
        f"municipality list: {int(matched.sum()):,} of {n:,} row(s) matched to the "
        f"workspace's municipalities" + (f" (by {by})" if by else "")
    ]
    if new.any():
        parts.append(
            f"{int(new.sum()):,} added as new municipalities with codes that are not "
            f"official ({UNOFFICIAL_PREFIX}…)"
        )
    if unmatched.any() and not new.all():
        parts.append(f"{int((unmatched & ~new).sum()):,} unmatched and rejected")
    if derive.any():
        parts.append(f"districts of {int((derive & ~nowhere).sum()):,} found from the seats")
    work.notes.append("; ".join(parts))
    bare = matched & ~located
    if bare.any():
        work.notes.append(
            f"{int(bare.sum()):,} matched row(s) without coordinates "
            f"({work.conversion.table.row_label}s {describe_rows(work.rows[bare])}): their "
            "names and codes are updated, their seats, districts and boundaries kept"
        )
    return frame


def _list_effects(
    current: pd.DataFrame | None, result: pd.DataFrame, workspace: Workspace
) -> list[str]:
    """Say what a municipality list changes for the layers that refer to municipalities."""
    if current is None or not len(current):
        return []
    before = _by_key(current, "pcode")
    after = _by_key(result, "pcode")
    removed = set(before.index) - set(after.index)
    common = before.index.intersection(after.index)
    old = before.loc[common, "district_pcode"].astype("string")
    new = after.loc[common, "district_pcode"].astype("string")
    moved = common[(old != new).fillna(False).to_numpy(dtype=bool)]
    lost: list[str] = []
    shifted: list[str] = []
    for child, column, parent in REFERENCES:
        rows = workspace.layers.get(child)
        if parent != "municipalities" or rows is None or not len(rows) or column not in rows:
            continue
        values = rows[column].astype("string")
        gone = int(values.isin(removed).sum())
        if gone:
            lost.append(f"{gone:,} {child}")
        changed = int(values.isin(set(moved)).sum())
        if changed:
            shifted.append(f"{changed:,} {child}")
    lines = []
    if lost:
        lines.append(
            "other layers: " + ", ".join(lost) + " refer to municipalities this import "
            "removes (see the warnings)"
        )
    else:
        lines.append(
            "other layers: no centre, unit or incident loses its municipality (none is removed)"
        )
    if len(moved):
        listed = ", ".join(
            f"{after.loc[k, 'name_en']} ({k}) {old[k]} → {new[k]}" for k in list(moved)[:5]
        )
        lines.append(
            f"district changes: {listed}"
            + (f"; {', '.join(shifted)} are in these municipalities" if shifted else "")
        )
    return lines


def _large_removal(
    layer: str,
    mode: ImportMode,
    current: pd.DataFrame | None,
    result: pd.DataFrame,
    diff: LayerDiff,
    options: ImportOptions,
) -> LargeRemoval | None:
    """Return the removal to confirm when a replace drops most of the current rows."""
    current_rows = 0 if current is None else len(current)
    if mode != "replace" or len(diff.removed) <= REPLACE_CONFIRM_SHARE * current_rows:
        return None
    return LargeRemoval(
        layer, len(diff.removed), current_rows, len(result), confirmed=options.confirm_replace
    )


def require_confirmation(preview: ImportPreview) -> None:
    """Refuse a preview whose removal of most of the layer is not confirmed.

    Raises
    ------
    ReplaceNotConfirmedError
        Saying how many rows would go and how to confirm (or to upsert instead).
    """
    if preview.large_removal is None or preview.large_removal.confirmed:
        return
    raise ReplaceNotConfirmedError(
        f"{preview.filename}: {preview.large_removal.describe()}; the workspace is unchanged. "
        "Check that the file holds the whole layer and confirm the replace, or import in "
        "upsert mode to add and update rows only"
    )


def _by_key(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Return ``frame`` indexed by its key as text (first row of each key)."""
    indexed = frame.drop_duplicates(key)
    indexed.index = pd.Index(indexed[key].astype("string"), name=None)
    return indexed


def _current_version(workspace: Workspace, layer: str) -> int | None:
    versions = workspace.versions
    if versions is None or versions.empty or "layer" not in versions:
        return None
    match = versions.loc[versions["layer"] == layer, "version"]
    if match.empty or pd.isna(match.iloc[0]):
        return None
    return int(match.iloc[0])


def _adopt_problems(
    work: _Work, table: RawTable, kept: NDArray[np.intp], problems: Sequence[Problem]
) -> None:
    """Take the reader's and the adapter's problems, relabelled, as findings."""
    position_of = {int(r): i for i, r in enumerate(work.rows)}
    target_of: dict[str, str] = {}
    for target, source in work.conversion.mapping.pairs:
        target_of.setdefault(source, target)
    for problem in (*table.problems, *problems):
        relabelled = replace(problem, layer=work.layer)
        reason = f"{problem.column}: {problem.message}" if problem.column else problem.message
        if problem.row is None:
            work.findings.append(_Finding(relabelled, None, None, reason))
            continue
        position = position_of.get(int(problem.row))
        if position is None:
            continue
        schema_column = (
            None if problem.column is None else target_of.get(problem.column, problem.column)
        )
        work.findings.append(_Finding(relabelled, np.array([position]), schema_column, reason))


def _clean_numbers(values: pd.Series, *, decimal: bool) -> pd.Series:
    """Read Arabic-Indic digits and separators, thousands separators and decimal commas."""
    text = values.astype("string").str.strip().str.translate(_ARABIC_DIGITS)
    text = text.str.replace(
        r"^([+-]?\d{1,3}(?:,\d{3})+)$", lambda m: m.group(1).replace(",", ""), regex=True
    )
    if decimal:
        text = text.str.replace(r"^([+-]?\d+),(\d+)$", r"\1.\2", regex=True)
    return text


def _read_dates(work: _Work, name: str, values: pd.Series) -> pd.Series:
    """Dates as ``YYYY-MM-DD`` text (see :func:`geo.io.parse_dates`); unreadable stay as given.

    The schema then reports what is not a date. Slashed dates are read day first unless
    only month first fits, and the report says which.
    """
    text = values.astype("string").fillna("").reset_index(drop=True)
    parsed = parse_dates(text)
    iso = parsed.values.dt.strftime("%Y-%m-%d").astype("string")
    out = iso.where(~pd.Series(parsed.bad) & parsed.values.notna(), text)
    slashed = [k for k in parsed.styles if "/" in k]
    if slashed:
        work.notes.append(
            f"'{work.user_column(name)}': dates like 01/02/2025 were read "
            + ("day first (1 February)" if parsed.order == "day-first" else "month first "
               "(2 January), because some cannot be day first")
        )  # fmt: skip
    if parsed.styles.get("Excel serial"):
        work.notes.append(
            f"'{work.user_column(name)}': {parsed.styles['Excel serial']:,} Excel serial "
            "number(s) read as dates"
        )
    return out.astype(object)


def _file_locations(frame: pd.DataFrame, geometry: gpd.GeoSeries | None) -> NDArray[np.bool_]:
    """Rows for which the file gives a location (coordinates, a geometry or WKT)."""
    n = len(frame)
    if LONGITUDE in frame.columns and LATITUDE in frame.columns:
        lon = frame[LONGITUDE].astype("string").fillna("").str.strip() != ""
        lat = frame[LATITUDE].astype("string").fillna("").str.strip() != ""
        return (lon & lat).to_numpy(dtype=bool)
    if geometry is not None:
        values = geometry.to_numpy()
        return ~(shapely.is_missing(values) | shapely.is_empty(values))
    if WKT in frame.columns:
        return (frame[WKT].astype("string").fillna("").str.strip() != "").to_numpy(dtype=bool)
    return np.zeros(n, dtype=bool)


def _candidate_frame(
    work: _Work,
    frame: pd.DataFrame,
    geometry: gpd.GeoSeries | None,
    current: pd.DataFrame | None,
    conversion: Conversion,
    filename: str,
) -> pd.DataFrame:
    """Build the schema columns from the file, the current version or stated defaults.

    A column the file lacks keeps its current value in rows that exist already; new rows
    get the format's default (said in the report) or are rejected when the column is
    required. The municipality of a row the file locates is left empty, to be found from
    its (new) location.
    """
    layer = work.layer
    schema = LAYERS[layer]
    key = schema.key
    n = len(frame)
    data: dict[str, pd.Series] = {}
    for name in (c for c in schema.column_names if c in frame.columns):
        values = frame[name]
        kind = schema.column(name).kind
        if kind in ("int", "float") and not pd.api.types.is_numeric_dtype(values):
            values = _clean_numbers(values, decimal=kind == "float")
        elif kind == "date" and not pd.api.types.is_datetime64_any_dtype(values):
            values = _read_dates(work, name, values)
        elif kind == "str" and is_coded(name):
            reading = read_coded_values(name, values)
            values = reading.values
            said = reading.describe(work.user_column(name) or name)
            if said:
                work.notes.append(said)
        data[name] = values.reset_index(drop=True)
    if layer == "access_audits":
        _derive_audit_ids(work, data, n)
    keys = (
        data[key].astype("string").str.strip().replace({"": pd.NA})
        if key in data
        else pd.Series(pd.NA, index=range(n), dtype="string")
    )
    existing = np.zeros(n, dtype=bool)
    current_rows = None
    if current is not None and len(current) and key in data:
        indexed = _by_key(current, key)
        current_rows = indexed.reindex(keys)
        existing = keys.isin(set(indexed.index)).fillna(False).to_numpy(dtype=bool)
    located = _file_locations(frame, geometry)
    named = (
        (frame[MUNICIPALITY_NAME].astype("string").fillna("").str.strip() != "").to_numpy(bool)
        if MUNICIPALITY_NAME in frame.columns
        else np.zeros(n, dtype=bool)
    )
    defaults = {d.column: d for d in conversion.defaults}
    defaulted: list[FillDefault] = []
    kept_columns: list[str] = []
    for name in schema.column_names:
        if name in data:
            continue
        column = pd.Series(pd.NA, index=range(n), dtype="object")
        found_later = np.zeros(n, dtype=bool)
        if name == "municipality_pcode":
            found_later = located | named
        elif layer == "municipalities" and name in ("seat_lon", "seat_lat"):
            found_later = located
        if current_rows is not None and existing.any():
            fill = existing & ~found_later
            column[fill] = current_rows[name].to_numpy(dtype=object)[fill]
            if fill.any():
                kept_columns.append(name)
        new = ~existing & ~found_later
        if name == "source" and new.any():
            column[new] = filename
            work.notes.append(f"'source' is not in the file: new rows cite '{filename}'")
        elif name in defaults and new.any():
            column[new] = defaults[name].value
            defaulted.append(defaults[name])
        elif new.any() and schema.column(name).must_be_present:
            work.add(
                np.flatnonzero(new & ~_explained(work, name, n)),
                name,
                f"required column '{name}' is missing from the file; add it (see the layer "
                "template) or map one of your columns to it",
                per_row=False,
            )
        data[name] = column
    new_rows = np.flatnonzero(~existing)
    for reason in dict.fromkeys(d.reason for d in defaulted):
        group = [d for d in defaulted if d.reason == reason]
        given = ", ".join(f"{d.column} = {d.value}" for d in group)
        # Rows already rejected for that column (a list's unmatched rows) get nothing.
        work.add(
            new_rows[~_explained(work, group[0].column, n)[new_rows]],
            group[0].column if len(group) == 1 else None,
            f"not in the file ({reason}): new rows get {given}",
            "warning",
            per_row=False,
        )
    _fill_blanks(work, data, schema, existing, current_rows, defaults, filename, frame.columns)
    if kept_columns:
        work.add(
            np.flatnonzero(existing),
            None,
            f"column(s) {', '.join(kept_columns)} are not in the file: the rows that already "
            "exist keep their current values there",
            "warning",
            per_row=False,
        )
    for extra in (*conversion.extras, MUNICIPALITY_NAME, LIST_ID):
        if extra in frame.columns:
            data[extra] = frame[extra].reset_index(drop=True)
    candidate = pd.DataFrame(data, index=pd.RangeIndex(n))
    candidate.attrs["existing"] = existing
    candidate.attrs["derive_municipality"] = (located | named) & (
        "municipality_pcode" not in frame.columns
    )
    return candidate


def _derive_audit_ids(work: _Work, data: dict[str, pd.Series], n: int) -> None:
    """Give audits without ``audit_id`` one made of centre and date: ``A-90301-2025-03-01``.

    The same centre and date give the same ID in every import (so a file imported again
    updates its audits rather than adding them twice); a second audit of one centre on
    one day in the file gets ``-2``, a third ``-3``.
    """
    given = (
        data["audit_id"].astype("string").fillna("").str.strip()
        if "audit_id" in data
        else pd.Series("", index=range(n), dtype="string")
    )
    blank = (given == "").to_numpy(dtype=bool)
    if not blank.any() or "centre_id" not in data or "audit_date" not in data:
        return
    centre = data["centre_id"].astype("string").fillna("").str.strip()
    day = data["audit_date"].astype("string").fillna("").str.strip()
    no_centre, no_day = (centre == "").to_numpy(dtype=bool), (day == "").to_numpy(dtype=bool)
    usable = blank & ~no_centre & ~no_day
    for lacking, what, column in (
        (blank & no_centre, "centre", "centre_id"),
        (blank & ~no_centre & no_day, "audit date", "audit_date"),
    ):
        work.add(
            np.flatnonzero(lacking),
            "audit_id",
            f"no audit_id, and none can be made without the {what}: fill in {column} (an "
            "ID is then made from centre and date) or give an audit_id",
            user_column="audit_id",
        )
    if not usable.any():
        return
    made = ("A-" + centre + "-" + day).where(pd.Series(usable), "")
    taken = set(given[~blank])
    ids: list[object] = given.astype(object).tolist()
    seen: dict[str, int] = {}
    for p in np.flatnonzero(usable):
        base = str(made.iloc[p])
        seen[base] = seen.get(base, 0) + 1
        candidate = base if seen[base] == 1 else f"{base}-{seen[base]}"
        while candidate in taken:
            seen[base] += 1
            candidate = f"{base}-{seen[base]}"
        taken.add(candidate)
        ids[p] = candidate
    data["audit_id"] = pd.Series(ids, index=range(n), dtype=object)
    example = ids[int(np.flatnonzero(usable)[0])]
    work.add(
        np.flatnonzero(usable),
        "audit_id",
        f"no audit_id given: an ID was made from the centre and the audit date (e.g. "
        f"{example}); the same centre and date get the same ID when imported again",
        "warning",
        per_row=False,
        user_column="audit_id",
    )


def _explained(work: _Work, column: str, n: int) -> NDArray[np.bool_]:
    """Rows already rejected by a problem that covers ``column`` (not reported again)."""
    mask = np.zeros(n, dtype=bool)
    for finding in work.findings:
        if finding.positions is None or finding.problem.severity != "error":
            continue
        if column == finding.column or column in finding.covers:
            mask[finding.positions] = True
    return mask


def _fill_blanks(
    work: _Work,
    data: dict[str, pd.Series],
    schema: LayerSchema,
    existing: NDArray[np.bool_],
    current_rows: pd.DataFrame | None,
    defaults: Mapping[str, FillDefault],
    filename: str,
    provided: pd.Index,
) -> None:
    """Blank cells of required columns the file has: current value, or the stated default."""
    for name in schema.column_names:
        if name not in provided or schema.column(name).nullable or name == schema.key:
            continue
        blank = (data[name].astype("string").fillna("").str.strip() == "").to_numpy(bool)
        if not blank.any():
            continue
        column = data[name].astype(object).copy()
        keep = blank & existing
        if keep.any() and current_rows is not None:
            column[keep] = current_rows[name].to_numpy(dtype=object)[keep]
            work.add(
                np.flatnonzero(keep),
                name,
                f"'{name}' is blank: the rows that already exist keep their current value",
                "warning",
                per_row=False,
            )
        new = blank & ~existing
        if new.any() and name == "source":
            column[new] = filename
            work.add(
                np.flatnonzero(new),
                name,
                f"'source' is blank: these rows cite '{filename}'",
                "warning",
                per_row=False,
            )
        elif new.any() and name in defaults:
            column[new] = defaults[name].value
            work.add(
                np.flatnonzero(new),
                name,
                f"'{name}' is blank: new rows get {name} = {defaults[name].value}",
                "warning",
                per_row=False,
            )
        data[name] = column


@dataclass(frozen=True)
class _Geometries:
    values: NDArray[np.object_]
    swaps: pd.DataFrame


def _empty_swaps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": pd.Series([], dtype="int64"),
            "latitude as given": pd.Series([], dtype="float64"),
            "longitude as given": pd.Series([], dtype="float64"),
            "swap applied": pd.Series([], dtype="bool"),
        }
    )


def country_area(workspace: Workspace) -> shapely.Geometry:
    """Return Libya's outline from the workspace (districts or regions), widened a little.

    Falls back to :data:`geo.schema.LIBYA_BOUNDS` when the workspace has no boundaries.
    The outline is widened by :data:`COUNTRY_MARGIN_DEG` so that coastal points survive
    the generalised coastline.
    """
    for name in ("districts", "regions"):
        frame = workspace.layers.get(name)
        if frame is not None and len(frame) and isinstance(frame, gpd.GeoDataFrame):
            geoms = frame.geometry.to_numpy()
            geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            if len(geoms):
                area = shapely.buffer(shapely.union_all(geoms), COUNTRY_MARGIN_DEG)
                shapely.prepare(area)
                return area
    area = shapely.box(*LIBYA_BOUNDS)
    shapely.prepare(area)
    return area


def _libya_area() -> shapely.Geometry:
    """Libya's bundled outline widened by :data:`COUNTRY_MARGIN_DEG` (prepared)."""
    area = shapely.buffer(read_outline(), COUNTRY_MARGIN_DEG)
    shapely.prepare(area)
    return area


def _nearest_district(districts: gpd.GeoDataFrame, lon: float, lat: float) -> tuple[str, float]:
    """Return ("Sirt (LY-SR)", distance in km) of the district nearest to a point."""
    geoms = districts.geometry.to_numpy()
    usable = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    point = _project(shapely.Point(lon, lat))
    km = np.array([shapely.distance(_project(geoms[i]), point) / 1000 for i in usable])
    best = usable[int(np.argmin(km))]
    row = districts.iloc[best]
    return f"{row.get('name_en')} ({row.get('pcode')})", float(km.min())


def _geometries(
    work: _Work,
    candidate: pd.DataFrame,
    frame: pd.DataFrame,
    geometry: gpd.GeoSeries | None,
    current: pd.DataFrame | None,
    workspace: Workspace,
    options: ImportOptions,
) -> _Geometries:
    schema = LAYERS[work.layer]
    n = len(candidate)
    values = np.full(n, None, dtype=object)
    swaps = _empty_swaps()
    no_source = False
    if schema.geometry is None:
        return _Geometries(values, swaps)
    if schema.geometry == "point" and LONGITUDE in frame.columns and LATITUDE in frame.columns:
        values, swaps = _points_from_coordinates(work, frame, workspace, options)
    elif geometry is not None:
        values = _geometries_from_gis(work, geometry)
    elif WKT in frame.columns:
        values = _geometries_from_wkt(work, frame[WKT])
    else:
        no_source = True
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    located_by_error = _has_location_error(work, n)
    existing = candidate.attrs.get("existing", np.zeros(n, dtype=bool))
    missing = ~present & ~located_by_error
    if current is not None and isinstance(current, gpd.GeoDataFrame) and existing.any():
        fill = existing & missing
        if fill.any():
            located = _by_key(current, schema.key)
            keys = candidate[schema.key].astype("string").str.strip()
            values[fill] = located.geometry.reindex(keys[fill]).to_numpy()
            missing &= ~fill
            work.add(
                np.flatnonzero(fill),
                "geometry",
                "no location in the file: these existing rows keep their current location"
                if schema.geometry == "point"
                else f"no {schema.geometry} in the file: these existing rows keep their "
                f"current {schema.geometry}",
                "warning",
                per_row=False,
            )
    if no_source and not schema.geometry_nullable:
        what = "longitude and a latitude column" if schema.geometry == "point" else "WKT column"
        work.add(
            np.flatnonzero(missing),
            "geometry",
            f"the file has no location: map a {what} (or give a GIS file)",
            per_row=False,
            user_column="longitude, latitude" if schema.geometry == "point" else "wkt",
        )
    elif not schema.geometry_nullable and not _has_layer_error(work, "geometry"):
        work.add(
            np.flatnonzero(missing),
            "geometry",
            "no location: give latitude and longitude"
            if schema.geometry == "point"
            else "no geometry: give the polygon",
        )
    return _Geometries(values, swaps)


def _has_layer_error(work: _Work, column: str) -> bool:
    return any(
        f.positions is None and f.column == column and f.problem.severity == "error"
        for f in work.findings
    )


def _has_location_error(work: _Work, n: int) -> NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    for finding in work.findings:
        usable = finding.column == "geometry" and finding.positions is not None
        if usable and finding.problem.severity == "error":
            mask[finding.positions] = True
    return mask


def _points_from_coordinates(
    work: _Work, frame: pd.DataFrame, workspace: Workspace, options: ImportOptions
) -> tuple[NDArray[np.object_], pd.DataFrame]:
    lon_text = _clean_numbers(frame[LONGITUDE].reset_index(drop=True), decimal=True).fillna("")
    lat_text = _clean_numbers(frame[LATITUDE].reset_index(drop=True), decimal=True).fillna("")
    lon = pd.to_numeric(lon_text, errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(lat_text, errors="coerce").to_numpy(dtype=float)
    lon_blank = (lon_text == "").to_numpy(dtype=bool)
    lat_blank = (lat_text == "").to_numpy(dtype=bool)
    lon_name, lat_name = work.user_column(LONGITUDE), work.user_column(LATITUDE)
    both = f"{lat_name}, {lon_name}"
    bad = np.zeros(len(frame), dtype=bool)
    for blank, value, text, name in (
        (lon_blank, lon, lon_text, lon_name),
        (lat_blank, lat, lat_text, lat_name),
    ):
        unreadable = ~blank & np.isnan(value)
        for p in np.flatnonzero(unreadable):
            work.add(
                [p],
                "geometry",
                f"'{text.iloc[p]}' is not a number of degrees; write it like 31.7451",
                user_column=name,
            )
        bad |= unreadable
    one = (lon_blank ^ lat_blank) & ~bad
    for p in np.flatnonzero(one):
        given, empty = (lat_name, lon_name) if lon_blank[p] else (lon_name, lat_name)
        work.add(
            [p],
            "geometry",
            f"{given} is given but {empty} is empty; give both or neither",
            user_column=both,
        )
    bad |= one
    both_blank = lon_blank & lat_blank
    usable = ~bad & ~both_blank
    zero = usable & (lon == 0) & (lat == 0)
    work.add(
        np.flatnonzero(zero),
        "geometry",
        "coordinates 0, 0 are a placeholder, not a place in Libya; give the real location",
        user_column=both,
    )
    usable &= ~zero
    area = country_area(workspace)
    with np.errstate(invalid="ignore"):
        in_range = (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
    inside = np.zeros(len(frame), dtype=bool)
    inside[usable & in_range] = shapely.contains_xy(
        area, lon[usable & in_range], lat[usable & in_range]
    )
    swapped_inside = np.zeros(len(frame), dtype=bool)
    candidates = usable & ~inside & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    swapped_inside[candidates] = shapely.contains_xy(area, lat[candidates], lon[candidates])
    swapped = candidates & swapped_inside
    if swapped.any():
        positions = np.flatnonzero(swapped)
        if options.swap_coordinates:
            for p in positions:
                work.add(
                    [p],
                    "geometry",
                    f"latitude and longitude swapped as you asked: the file has latitude "
                    f"{lat_text.iloc[p]} and longitude {lon_text.iloc[p]}, read as latitude "
                    f"{lon_text.iloc[p]}, longitude {lat_text.iloc[p]}",
                    "warning",
                    user_column=both,
                )
        else:
            for p in positions:
                work.add(
                    [p],
                    "geometry",
                    f"latitude {lat_text.iloc[p]} and longitude {lon_text.iloc[p]} look swapped: "
                    "as given the point falls outside Libya, swapped it falls inside; tick "
                    "'swap latitude and longitude' (--swap-coordinates) to fix them, or fix "
                    "the file",
                    user_column=both,
                )
    swaps = pd.DataFrame(
        {
            "row": work.rows[swapped].astype("int64"),
            "latitude as given": lat[swapped],
            "longitude as given": lon[swapped],
            "swap applied": np.full(int(swapped.sum()), options.swap_coordinates),
        }
    )
    outside = usable & ~inside & ~swapped
    districts = workspace.layers.get("districts")
    partial = outside.any() and isinstance(districts, gpd.GeoDataFrame) and len(districts) > 0
    libya = _libya_area() if partial else None
    for p in np.flatnonzero(outside):
        if not in_range[p]:
            what = (
                f"latitude {lat[p]:g} is beyond ±90"
                if abs(lat[p]) > 90
                else f"longitude {lon[p]:g} is beyond ±180"
            )
            message = f"{what}; correct the coordinates"
        elif partial and shapely.contains_xy(libya, lon[p], lat[p]):
            name, km = _nearest_district(districts, lon[p], lat[p])
            message = (
                f"the point (latitude {lat[p]:g}, longitude {lon[p]:g}) lies outside the "
                f"workspace's districts (nearest: {name}, {km:,.1f} km away); import the "
                "district that holds it, or check the coordinates"
            )
        else:
            message = (
                f"the point (latitude {lat[p]:g}, longitude {lon[p]:g}) lies outside Libya; "
                "check the coordinates and their sign"
            )
        work.add([p], "geometry", message, user_column=both)
    lon_final, lat_final = lon.copy(), lat.copy()
    if options.swap_coordinates:
        lon_final[swapped], lat_final[swapped] = lat[swapped], lon[swapped]
        ok = usable & (inside | swapped)
    else:
        ok = usable & inside
    values = np.full(len(frame), None, dtype=object)
    values[ok] = shapely.points(lon_final[ok], lat_final[ok])
    return values, swaps


def _geometries_from_gis(work: _Work, geometry: gpd.GeoSeries) -> NDArray[np.object_]:
    series = geometry
    crs = series.crs
    if crs is None:
        bounds = shapely.bounds(series.to_numpy())
        finite = bounds[~np.isnan(bounds).any(axis=1)]
        degrees = finite.size == 0 or (
            (np.abs(finite[:, [0, 2]]) <= 180).all() and (np.abs(finite[:, [1, 3]]) <= 90).all()
        )
        if not degrees:
            work.add(
                None,
                "geometry",
                "the file does not say its coordinate system and its numbers are not degrees; "
                "add the .prj file (or save the layer with its CRS) and import again",
            )
            return np.full(len(series), None, dtype=object)
        work.add(
            None,
            "geometry",
            "the file does not say its coordinate system; its coordinates look like degrees "
            "and were read as WGS84 (EPSG:4326)",
            "warning",
        )
        series = series.set_crs(CRS)
    elif not pyproj.CRS.from_user_input(crs).equals(pyproj.CRS(CRS), ignore_axis_order=True):
        name = pyproj.CRS.from_user_input(crs)
        code = name.to_epsg()
        label = f"{name.name} (EPSG:{code})" if code else name.name
        work.add(
            None,
            "geometry",
            f"coordinates reprojected from {label} to WGS84 (EPSG:4326)",
            "warning",
        )
        series = series.to_crs(CRS)
    values = np.asarray(series.to_numpy(), dtype=object)
    return _repair_geometries(work, values)


def _geometries_from_wkt(work: _Work, text: pd.Series) -> NDArray[np.object_]:
    cleaned = text.astype("string").fillna("").str.strip().reset_index(drop=True)
    values = np.asarray(
        shapely.from_wkt(cleaned.replace("", None).to_numpy(dtype=object), on_invalid="ignore"),
        dtype=object,
    )
    unreadable = (cleaned != "").to_numpy(dtype=bool) & shapely.is_missing(values)
    for p in np.flatnonzero(unreadable):
        work.add(
            [p],
            "geometry",
            f"'{cleaned.iloc[p][:40]}' is not Well-Known Text (e.g. POLYGON ((13.1 32.8, …)))",
        )
    return _repair_geometries(work, values)


def _repair_geometries(work: _Work, values: NDArray[np.object_]) -> NDArray[np.object_]:
    schema = LAYERS[work.layer]
    values = values.copy()
    present = ~(shapely.is_missing(values) | shapely.is_empty(values))
    types = shapely.get_type_id(values)
    if schema.geometry == "point":
        single = present & (types == 4) & (shapely.get_num_geometries(values) == 1)
        values[single] = shapely.get_geometry(values[single], 0)
        types = shapely.get_type_id(values)
        wrong = present & (types != 0)
        work.add(
            np.flatnonzero(wrong),
            "geometry",
            f"the layer holds points; this feature is a {'polygon or line'}: give a point",
        )
        values[wrong] = None
        return values
    invalid = present & np.isin(types, (3, 6)) & ~shapely.is_valid(values)
    for p in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(values[p])
        repaired = _polygonal(shapely.make_valid(values[p]))
        if repaired is None:
            work.add(
                [p],
                "geometry",
                f"the polygon is not valid ({reason}) and could not be repaired; fix it in a GIS",
            )
            values[p] = None
        else:
            values[p] = repaired
            work.add(
                [p],
                "geometry",
                f"the polygon was not valid ({reason}); repaired with make_valid",
                "warning",
            )
    types = shapely.get_type_id(values)
    wrong = present & ~np.isin(types, (3, 6))
    work.add(
        np.flatnonzero(wrong),
        "geometry",
        "the layer holds polygons; this feature is not one: give a polygon",
    )
    values[wrong] = None
    return values


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry | None:
    if shapely.get_type_id(geometry) in (3, 6):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return None
    return shapely.union_all(parts)


def _municipality_shapes(
    work: _Work, candidate: gpd.GeoDataFrame, workspace: Workspace, mode: ImportMode
) -> gpd.GeoDataFrame:
    """Seats from polygons, or catchment polygons from seats, when the file has one only."""
    geoms = candidate.geometry.to_numpy()
    has_polygon = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    seat_lon = pd.to_numeric(candidate["seat_lon"], errors="coerce")
    seat_lat = pd.to_numeric(candidate["seat_lat"], errors="coerce")
    no_seat = (seat_lon.isna() | seat_lat.isna()).to_numpy(dtype=bool)
    derive_seat = no_seat & has_polygon
    if derive_seat.any():
        points = shapely.point_on_surface(geoms[derive_seat])
        candidate.loc[derive_seat, "seat_lon"] = shapely.get_x(points)
        candidate.loc[derive_seat, "seat_lat"] = shapely.get_y(points)
        work.add(
            np.flatnonzero(derive_seat),
            "seat_lon",
            "no seat given: placed at a point inside the polygon; correct it where you know it",
            "warning",
            per_row=False,
        )
    need_shape = ~has_polygon & ~no_seat
    districts = workspace.layers.get("districts")
    if not need_shape.any():
        return candidate
    if mode != "replace" or districts is None or not len(districts):
        work.add(
            np.flatnonzero(need_shape),
            "geometry",
            "no polygon: these municipalities stay points (catchments are derived only when "
            "the whole layer is replaced and the workspace has districts)",
            "warning",
            per_row=False,
        )
        return candidate
    seats = gpd.GeoDataFrame(
        {
            "pcode": candidate["pcode"].astype("string").to_numpy(),
            "district_pcode": candidate["district_pcode"].astype("string").to_numpy(),
        },
        geometry=shapely.points(seat_lon.to_numpy(dtype=float), seat_lat.to_numpy(dtype=float)),
        crs=CRS,
    ).iloc[np.flatnonzero(need_shape)]
    try:
        cells = build_catchments(seats, districts)
    except InputError as exc:
        work.add(
            np.flatnonzero(need_shape),
            "geometry",
            f"no polygon, and catchments could not be derived ({exc}); the municipalities "
            "stay points",
            "warning",
            per_row=False,
        )
        return candidate
    values = candidate.geometry.to_numpy().copy()
    values[need_shape] = cells.geometry.to_numpy()
    candidate = candidate.set_geometry(values, crs=CRS)
    candidate.loc[need_shape, "boundary_kind"] = "approximate"
    work.add(
        np.flatnonzero(need_shape),
        "geometry",
        "no polygon given: an approximate catchment was derived from the seats (Voronoi "
        "cells within each district); boundary_kind set to 'approximate'",
        "warning",
        per_row=False,
    )
    return candidate


def _municipality_lookup(municipalities: pd.DataFrame) -> dict[str, str]:
    lookup: dict[str, str] = {}
    ambiguous: set[str] = set()
    for column in ("name_en", "name_ar"):
        if column not in municipalities:
            continue
        for pcode, name in zip(municipalities["pcode"], municipalities[column], strict=True):
            key = place_key(name if isinstance(name, str) else None)
            if not key:
                continue
            if key in lookup and lookup[key] != pcode:
                ambiguous.add(key)
            lookup[key] = str(pcode)
    for key in ambiguous:
        del lookup[key]
    return lookup


def _resolve_municipalities(work: _Work, candidate: pd.DataFrame, workspace: Workspace) -> None:
    """Check given P-codes, read names, derive the rest from the location (said so)."""
    if "municipality_pcode" not in candidate:
        return
    municipalities = workspace.layer("municipalities")
    known = set(municipalities["pcode"].astype("string").dropna())
    codes = candidate["municipality_pcode"].astype("string").str.strip().replace({"": pd.NA})
    lookup = _municipality_lookup(municipalities)
    names = municipalities.set_index(municipalities["pcode"].astype("string"))["name_en"]
    unknown = codes.notna() & ~codes.isin(known)
    if unknown.any() and len(known):
        for value in pd.unique(codes[unknown].dropna()):
            rows = np.flatnonzero((codes == value).fillna(False).to_numpy(dtype=bool))
            pcode = lookup.get(place_key(str(value)))
            if pcode is not None:
                candidate.loc[rows, "municipality_pcode"] = pcode
                work.add(
                    rows,
                    "municipality_pcode",
                    f"'{value}' is a municipality name, read as "
                    f"{names.get(pcode, pcode)} ({pcode})",
                    "warning",
                    per_row=False,
                )
            else:
                work.add(
                    rows,
                    "municipality_pcode",
                    f"municipality '{value}' is not in the workspace (its P-codes look like "
                    f"{next(iter(sorted(known)))}); use one of them or a municipality name, or "
                    "leave it empty to place the row by its location (other code schemes: use "
                    "the crosswalk)",
                )
    codes = candidate["municipality_pcode"].astype("string").str.strip().replace({"": pd.NA})
    if MUNICIPALITY_NAME in candidate:
        given = candidate[MUNICIPALITY_NAME].astype("string").str.strip().replace({"": pd.NA})
        todo = codes.isna() & given.notna()
        for value in pd.unique(given[todo].dropna()):
            rows = np.flatnonzero((todo & (given == value)).fillna(False).to_numpy(dtype=bool))
            pcode = lookup.get(place_key(str(value)))
            if pcode is None:
                work.add(
                    rows,
                    "municipality_pcode",
                    f"municipality '{value}' is not among the workspace's municipalities; "
                    "correct the name or give the P-code",
                    user_column=work.user_column(MUNICIPALITY_NAME),
                )
            else:
                candidate.loc[rows, "municipality_pcode"] = pcode
                work.add(
                    rows,
                    "municipality_pcode",
                    f"municipality '{value}' read as {names.get(pcode, pcode)} ({pcode})",
                    "warning",
                    per_row=False,
                    user_column=work.user_column(MUNICIPALITY_NAME),
                )
        del candidate[MUNICIPALITY_NAME]
    if not isinstance(candidate, gpd.GeoDataFrame) or not len(municipalities):
        return
    codes = candidate["municipality_pcode"].astype("string").str.strip().replace({"": pd.NA})
    points = candidate.geometry.to_numpy()
    located = ~(shapely.is_missing(points) | shapely.is_empty(points))
    derive = codes.isna().to_numpy(dtype=bool) & located
    if derive.any():
        found = locate_municipalities(points[derive], municipalities)
        positions = np.flatnonzero(derive)
        hit = found != ""
        candidate.loc[positions[hit], "municipality_pcode"] = found[hit]
        work.add(
            positions[hit],
            "municipality_pcode",
            "no municipality given: found from the location",
            "warning",
            per_row=False,
        )
        if not LAYERS[work.layer].column("municipality_pcode").nullable:
            work.add(
                positions[~hit],
                "municipality_pcode",
                "no municipality given and the point lies in none of the workspace's "
                "municipalities; give municipality_pcode",
            )
    _check_declared_municipality(work, candidate, municipalities, derive)


def locate_municipalities(
    points: NDArray[np.object_], municipalities: pd.DataFrame
) -> NDArray[np.object_]:
    """Return the P-code of the municipality holding each point (``""`` when none).

    A point inside no polygon goes to the nearest one within :data:`NEAREST_MUNICIPALITY_DEG`
    (the generalised coast); municipalities without polygons are found by their seats.
    """
    out = np.full(len(points), "", dtype=object)
    if not len(points):
        return out
    codes = municipalities["pcode"].astype(str).to_numpy(dtype=object)
    polygons = (
        municipalities.geometry.to_numpy()
        if isinstance(municipalities, gpd.GeoDataFrame)
        else np.full(len(municipalities), None, dtype=object)
    )
    has_polygon = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
    if has_polygon.any():
        tree = shapely.STRtree(polygons[has_polygon])
        owners = codes[has_polygon]
        point_index, poly_index = tree.query(points, predicate="within")
        first = pd.Series(poly_index).groupby(point_index).first()
        out[first.index.to_numpy()] = owners[first.to_numpy()]
        rest = np.flatnonzero(out == "")
        if len(rest):
            point_index, poly_index = tree.query_nearest(
                points[rest], max_distance=NEAREST_MUNICIPALITY_DEG
            )
            first = pd.Series(poly_index).groupby(point_index).first()
            out[rest[first.index.to_numpy()]] = owners[first.to_numpy()]
    rest = np.flatnonzero(out == "")
    if len(rest) and {"seat_lon", "seat_lat"} <= set(municipalities.columns):
        seats = shapely.points(
            municipalities["seat_lon"].to_numpy(dtype=float),
            municipalities["seat_lat"].to_numpy(dtype=float),
        )
        tree = shapely.STRtree(seats)
        point_index, seat_index = tree.query_nearest(points[rest], max_distance=0.5)
        first = pd.Series(seat_index).groupby(point_index).first()
        out[rest[first.index.to_numpy()]] = codes[first.to_numpy()]
    return out


def _project(geometry: shapely.Geometry) -> shapely.Geometry:
    def transform(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = project_lonlat(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, transform)


def _check_declared_municipality(
    work: _Work,
    candidate: gpd.GeoDataFrame,
    municipalities: pd.DataFrame,
    derived: NDArray[np.bool_],
) -> None:
    codes = candidate["municipality_pcode"].astype("string").str.strip()
    points = candidate.geometry.to_numpy()
    located = ~(shapely.is_missing(points) | shapely.is_empty(points))
    indexed = municipalities.drop_duplicates("pcode").set_index(
        municipalities["pcode"].astype("string").drop_duplicates()
    )
    check = located & ~derived & codes.isin(set(indexed.index)).fillna(False).to_numpy(dtype=bool)
    if not check.any():
        return
    positions = np.flatnonzero(check)
    rows = indexed.reindex(codes.iloc[positions])
    polygons = (
        rows.geometry.to_numpy()
        if isinstance(rows, gpd.GeoDataFrame)
        else np.full(len(rows), None, dtype=object)
    )
    has_polygon = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
    inside = np.ones(len(positions), dtype=bool)
    inside[has_polygon] = shapely.covers(polygons[has_polygon], points[positions[has_polygon]])
    for i in np.flatnonzero(~inside):
        distance_km = shapely.distance(_project(polygons[i]), _project(points[positions[i]])) / 1000
        kind = rows["boundary_kind"].iloc[i] if "boundary_kind" in rows else None
        note = ", whose boundary is approximate" if kind == "approximate" else ""
        work.add(
            [positions[i]],
            "municipality_pcode",
            f"the point lies {distance_km:,.1f} km outside municipality "
            f"{rows['name_en'].iloc[i]} ({codes.iloc[positions[i]]}){note}; check the "
            "coordinates or the municipality",
            "warning",
        )
    no_polygon = np.flatnonzero(~has_polygon)
    if len(no_polygon) and {"seat_lon", "seat_lat"} <= set(rows.columns):
        seat_x, seat_y = project_lonlat(
            rows["seat_lon"].to_numpy(dtype=float)[no_polygon],
            rows["seat_lat"].to_numpy(dtype=float)[no_polygon],
        )
        pts = points[positions[no_polygon]]
        px, py = project_lonlat(shapely.get_x(pts), shapely.get_y(pts))
        far_km = np.hypot(px - seat_x, py - seat_y) / 1000
        for j in np.flatnonzero(far_km > SEAT_DISTANCE_KM):
            i = no_polygon[j]
            work.add(
                [positions[i]],
                "municipality_pcode",
                f"the point lies {far_km[j]:,.0f} km from the seat of municipality "
                f"{rows['name_en'].iloc[i]} ({codes.iloc[positions[i]]}); check the "
                "coordinates or the municipality",
                "warning",
            )


def _check_references(work: _Work, candidate: pd.DataFrame, workspace: Workspace) -> None:
    """Parents and centres that rows refer to must exist (boundaries: a warning)."""
    for child, column, parent in REFERENCES:
        if child != work.layer or column == "municipality_pcode" or column not in candidate:
            continue
        parents = workspace.layers.get(parent)
        if parents is None or not len(parents):
            continue
        known = set(parents[LAYERS[parent].key].astype("string").dropna())
        values = candidate[column].astype("string").str.strip().replace({"": pd.NA})
        unknown = values.notna() & ~values.isin(known)
        if not unknown.any():
            continue
        boundary = parent in ("regions", "districts")
        severity: Literal["error", "warning"] = (
            "warning" if boundary or work.layer == "incidents" else "error"
        )
        for value in pd.unique(values[unknown].dropna()):
            rows = np.flatnonzero((values == value).fillna(False).to_numpy(dtype=bool))
            if boundary:
                message = (
                    f"{column} '{value}' is not in the workspace's {parent}; import the "
                    f"{parent} with the same codes too"
                )
            elif work.layer == "incidents":
                message = (
                    f"centre '{value}' is not in the centres layer; the incident keeps the ID "
                    "but is linked to no centre until the centre is imported"
                )
            else:
                message = (
                    f"centre '{value}' is not in the centres layer; import the centre first or "
                    "correct the ID"
                )
            work.add(rows, column, message, severity, per_row=severity == "error")


@dataclass(frozen=True)
class _Verdict:
    problems: tuple[Problem, ...]
    rejected: NDArray[np.bool_]
    reasons: Mapping[int, tuple[str, ...]]


def _validate(work: _Work, candidate: pd.DataFrame, options: ImportOptions) -> _Verdict:
    """Run the schema validator and merge its problems with the import's into one list.

    A schema problem on a row and column the import already explained is dropped; the
    schema's row numbers (positions) become the file's.
    """
    n = len(candidate)
    covered: dict[str, NDArray[np.bool_]] = {}
    for finding in work.findings:
        if finding.positions is None or finding.column is None:
            continue
        if finding.problem.severity == "error":
            for covered_column in (finding.column, *finding.covers):
                mask = covered.setdefault(covered_column, np.zeros(n, dtype=bool))
                mask[finding.positions] = True
    # A municipality to be found from a location that failed is explained by that failure.
    derive = candidate.attrs.get("derive_municipality")
    if derive is not None and "geometry" in covered:
        mask = covered.setdefault("municipality_pcode", np.zeros(n, dtype=bool))
        mask |= np.asarray(derive, dtype=bool) & covered["geometry"]
    schema_report = validate_layer(work.layer, candidate, row_base=0, today=options.today)
    rejected = np.zeros(n, dtype=bool)
    reasons: dict[int, list[str]] = {}
    problems: list[Problem] = []
    for problem in schema_report.problems:
        column = problem.column
        shown = work.user_column(column)
        if problem.row is None:
            if problem.message.startswith("required column"):
                continue  # the import names missing columns itself (and fills some)
            problems.append(replace(problem, column=shown))
            if problem.severity == "error":
                rejected[:] = True
                for p in range(n):
                    reasons.setdefault(p, []).append(f"{shown}: {problem.message}")
            continue
        position = problem.row
        if column is not None and column in covered and covered[column][position]:
            continue
        message = _DUPLICATE_ROW.sub(
            lambda m: f"first used on row {int(work.rows[int(m.group(1))])}", problem.message
        )
        problems.append(
            replace(problem, row=int(work.rows[position]), column=shown, message=message)
        )
        if problem.severity == "error":
            rejected[position] = True
            reasons.setdefault(position, []).append(f"{shown}: {message}" if shown else message)
    for finding in work.findings:
        problems.append(finding.problem)
        if finding.problem.severity != "error":
            continue
        where = range(n) if finding.positions is None else finding.positions
        for p in where:
            rejected[p] = True
            reasons.setdefault(int(p), []).append(finding.reason)
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.severity != "error"))
    return _Verdict(
        tuple(problems),
        rejected,
        {p: tuple(dict.fromkeys(r)) for p, r in reasons.items()},
    )


def _merge(
    layer: str, current: pd.DataFrame | None, accepted: pd.DataFrame, mode: ImportMode
) -> pd.DataFrame:
    if mode == "replace" or current is None or not len(current):
        return accepted.reset_index(drop=True)
    key = LAYERS[layer].key
    incoming = set(accepted[key].astype(str))
    kept = current.loc[~current[key].astype(str).isin(incoming)]
    position = {k: i for i, k in enumerate(current[key].astype(str))}
    merged = pd.concat([kept, accepted], ignore_index=True)
    # Rows keep their place in the current version; new rows follow, in file order.
    order = merged[key].astype(str).map(position).astype("float64")
    order = order.fillna(pd.Series(len(position) + np.arange(len(merged)), index=order.index))
    merged = merged.iloc[np.argsort(order.to_numpy(dtype=float), kind="stable")]
    if isinstance(accepted, gpd.GeoDataFrame):
        merged = gpd.GeoDataFrame(merged, geometry=accepted.geometry.name, crs=CRS)
    return coerce_layer(layer, merged.reset_index(drop=True))


def diff_layers(layer: str, current: pd.DataFrame | None, proposed: pd.DataFrame) -> LayerDiff:
    """Compare two versions of ``layer`` by key: added, changed (and which columns), removed.

    Columns are compared as text after :func:`geo.schema.coerce_layer`; geometries with
    :func:`shapely.equals` (so a polygon and the same one-part multipolygon agree).
    """
    key = LAYERS[layer].key
    schema_columns = [c for c in LAYERS[layer].column_names if c != key]
    new = coerce_layer(layer, proposed)
    old = coerce_layer(layer, current) if current is not None else empty_layer(layer)
    new_keys = new[key].astype(str)
    old_keys = old[key].astype(str)
    old_set, new_set = set(old_keys), set(new_keys)
    added = tuple(k for k in new_keys if k not in old_set)
    removed = tuple(k for k in old_keys if k not in new_set)
    common = [k for k in new_keys if k in old_set]
    if not common:
        return LayerDiff(key, added, (), removed, 0, {})
    a = _by_key(old, key).loc[common]
    b = _by_key(new, key).loc[common]
    differs: dict[str, NDArray[np.bool_]] = {}
    for column in schema_columns:
        left = a[column].astype("string").fillna("\0")
        right = b[column].astype("string").fillna("\0")
        differs[column] = left.to_numpy() != right.to_numpy()
    if LAYERS[layer].geometry is not None:
        ga, gb = a.geometry.to_numpy(), b.geometry.to_numpy()
        missing_a, missing_b = shapely.is_missing(ga), shapely.is_missing(gb)
        same = np.zeros(len(common), dtype=bool)
        both = ~missing_a & ~missing_b
        same[both] = shapely.equals(ga[both], gb[both])
        same |= missing_a & missing_b
        differs["geometry"] = ~same
    matrix = (
        np.column_stack(list(differs.values())) if differs else np.zeros((len(common), 0), bool)
    )
    names = list(differs)
    changed_mask: NDArray[np.bool_] = np.asarray(matrix.any(axis=1), dtype=bool)
    changed = tuple(k for k, flag in zip(common, changed_mask, strict=True) if flag)
    columns = {
        k: tuple(names[j] for j in np.flatnonzero(matrix[i]))
        for i, k in enumerate(common)
        if changed_mask[i]
    }
    return LayerDiff(key, added, changed, removed, int((~changed_mask).sum()), columns)


def _orphan_findings(layer: str, result: pd.DataFrame, workspace: Workspace) -> list[_Finding]:
    findings: list[_Finding] = []
    keys = set(result[LAYERS[layer].key].astype(str))
    for child, column, parent in REFERENCES:
        if parent != layer:
            continue
        rows = workspace.layers.get(child)
        if rows is None or not len(rows) or column not in rows:
            continue
        values = rows[column].astype("string").dropna()
        values = values[values.str.strip() != ""]
        stray = values[~values.isin(keys)]
        if stray.empty:
            continue
        codes = sorted(set(stray))
        listed = ", ".join(codes[:5]) + (", …" if len(codes) > 5 else "")
        findings.append(
            _Finding(
                Problem(
                    layer,
                    None,
                    LAYERS[layer].key,
                    f"{len(stray):,} row(s) of '{child}' refer through '{column}' to {layer} that "
                    f"this version does not have ({listed}); import '{child}' again with the new "
                    "codes (the crosswalk on the Data page translates municipality lists)",
                    "warning",
                )
            )
        )
    return findings


def _rejected_frame(
    table: RawTable, kept: NDArray[np.intp], rows: NDArray[np.int64], verdict: _Verdict
) -> pd.DataFrame:
    """Return the rejected rows as the file holds them, with ``row`` and ``reason`` first."""
    positions = np.flatnonzero(verdict.rejected)
    selected = table.frame.iloc[kept[positions]].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "row": rows[positions].astype("int64"),
            "reason": ["; ".join(verdict.reasons.get(int(p), ())) for p in positions],
        }
    )
    for column in selected.columns:
        name = column if column not in ("row", "reason") else f"{column} (file)"
        out[name] = selected[column].to_numpy()
    return out


# -- committing ------------------------------------------------------------------------


def commit_import(
    store: Store,
    preview: ImportPreview,
    viewer: Viewer,
    *,
    note: str = "",
    also_record: Sequence[AuditEntry] = (),
) -> LayerVersion:
    """Store a preview's result as the next version of its layer (atomically).

    The version and its ``import`` audit entry are written in one transaction. The
    preview was made on one version of the layer (``preview.base_version``); if another
    change was stored since, an upsert or a record edit is re-applied on the newer
    version when the two changes touch different rows (:func:`rebase_change`), and
    refused with :class:`~geo.errors.StaleVersionError` otherwise. A replace is always
    refused then: it was checked against rows that are no longer current.

    Parameters
    ----------
    store
        The workspace store.
    preview
        From :func:`prepare_import` (or a record edit).
    viewer
        Who commits; recorded as the version's author.
    note
        Free text for the history; a summary of the import by default.
    also_record
        Further audit entries to write in the same transaction (the export of the
        rejected rows, say).

    Returns
    -------
    LayerVersion
        The version written.

    Raises
    ------
    AccessDeniedError
        When ``viewer`` may not import the layer.
    NothingToImportError
        When the preview changes nothing (every row rejected, or identical rows).
    ReplaceNotConfirmedError
        When the preview removes most of the layer without confirmation.
    StaleVersionError
        When the layer got a new version since the preview that the change cannot be
        re-applied on; the message names who wrote it and when.
    StoreError
        When the write failed (the workspace is unchanged).
    """
    require(viewer, PERMISSION_BY_LAYER[preview.layer])
    require_confirmation(preview)
    if not preview.can_commit:
        if not len(preview.accepted) and preview.row_label != "record":
            reason = f"no row of {preview.filename} can be imported"
        else:
            reason = "nothing would change"
        raise NothingToImportError(
            f"{reason}; the workspace is unchanged. {preview.report.summary(limit=5)}",
            preview.report,
        )
    text = note or (
        f"{preview.format_label}: {len(preview.accepted):,} row(s) accepted, "
        f"{len(preview.rejected):,} rejected; {preview.diff.summary()}"
    )

    def entries(stored: Sequence[LayerVersion]) -> list[AuditEntry]:
        (version,) = stored
        details = {
            "file": preview.filename,
            "format": preview.format_label,
            "version": str(version.version),
            "changes": preview.diff.summary(),
            "rejected": str(len(preview.rejected)),
        }
        if preview.base_version != version.version - 1:
            details["made_on_version"] = str(preview.base_version or 0)
        imported = make_entry(
            actor=viewer.name,
            action="import",
            target=preview.layer,
            details=details,
            rows=len(preview.accepted),
        )
        return [imported, *also_record]

    rebasable = preview.mode == "upsert" or preview.row_label == "record"
    return store.write_layer(
        preview.layer,
        preview.result,
        author=viewer.name,
        source_file=preview.filename,
        note=text,
        base_version=preview.base_version,
        rebase=(lambda base, current: rebase_change(preview, base, current)) if rebasable else None,
        audit=entries,
    )


def rebase_change(
    preview: ImportPreview, base: pd.DataFrame, current: pd.DataFrame
) -> pd.DataFrame:
    """Re-apply a preview's change on a newer version of its layer.

    The change is what :attr:`ImportPreview.diff` says: rows added, changed and removed,
    by key, against ``base`` (the version the preview was made on). It is replayed on
    ``current`` (rows keep their place, new rows follow) when none of those rows was
    added, changed or removed between ``base`` and ``current``.

    Raises
    ------
    StaleVersionError
        When a row the preview touches was also touched since, naming the keys.
    """
    layer = preview.layer
    key = LAYERS[layer].key
    ours = preview.diff
    theirs = diff_layers(layer, base, current)
    mine = {*ours.added, *ours.changed, *ours.removed}
    clash = sorted(mine & {*theirs.added, *theirs.changed, *theirs.removed})
    if clash:
        more = f" and {len(clash) - 5:,} more" if len(clash) > 5 else ""
        raise StaleVersionError(f"both changes touch {key} {', '.join(clash[:5])}{more}")
    result = coerce_layer(layer, preview.result)
    rows = result.loc[result[key].astype(str).isin({*ours.added, *ours.changed})]
    kept = coerce_layer(layer, current.loc[~current[key].astype(str).isin(set(ours.removed))])
    return _merge(layer, kept, rows, "upsert")


def restore_layer(
    store: Store,
    layer: str,
    version: int,
    viewer: Viewer,
    *,
    base_version: BaseVersion = "any",
) -> LayerVersion:
    """Bring back version ``version`` of ``layer`` as a new version (nothing is deleted).

    The new version and its ``rollback`` audit entry are written in one transaction.

    Parameters
    ----------
    store, layer, version
        Where, which layer, which of its versions.
    viewer
        Who restores (needs the layer's import permission).
    base_version
        The version that was current when the restore was chosen (the Versions tab
        passes the one it showed); the restore is refused if the layer moved on since.
        ``"any"``: no check.

    Raises
    ------
    AccessDeniedError
        When ``viewer`` may not import ``layer``.
    LayerMissingError
        When that version is not stored.
    StaleVersionError
        When the layer got a new version after ``base_version``.
    """
    require(viewer, PERMISSION_BY_LAYER[layer])

    def entries(stored: Sequence[LayerVersion]) -> list[AuditEntry]:
        (restored,) = stored
        details = {"restored_version": str(version), "new_version": str(restored.version)}
        return [
            make_entry(
                actor=viewer.name,
                action="rollback",
                target=layer,
                details=details,
                rows=restored.rows,
            )
        ]

    return store.restore_version(
        layer, version, author=viewer.name, base_version=base_version, audit=entries
    )


def rejected_csv(preview: ImportPreview) -> bytes:
    """Return the rejected rows as formula-safe CSV (UTF-8, BOM) with ``row`` and ``reason``."""
    return to_csv_bytes(preview.rejected)


def report_csv(preview: ImportPreview) -> bytes:
    """Return the report (every error and warning) as CSV, formula-safe."""
    return to_csv_bytes(preview.report.to_frame())


# -- files on disk (the command line) -----------------------------------------------


@dataclass(frozen=True)
class ImportRun:
    """What :func:`import_path` did: the preview, the version written (if any), files."""

    preview: ImportPreview
    version: LayerVersion | None
    dry_run: bool = False
    rejected_path: str | None = None
    mapping_path: str | None = None

    @property
    def imported(self) -> bool:
        """True when rows were (or, in a dry run, would be) imported."""
        return len(self.preview.accepted) > 0 and not self.preview.needs_confirmation

    def describe(self, *, limit: int = 100) -> str:
        """Return the report as text: summary, notes, problems (at most ``limit``), outcome."""
        preview = self.preview
        lines = [preview.summary()]
        lines += [f"note: {n}" for n in preview.notes]
        problems = preview.report.problems
        for problem in problems[:limit]:
            lines.append(f"{problem.severity}: {problem}")
        if len(problems) > limit:
            lines.append(
                f"… and {len(problems) - limit:,} more problem(s); write the rejected rows and "
                "their reasons with --rejected OUT.csv"
            )
        if self.rejected_path:
            lines.append(
                f"{len(preview.rejected):,} rejected row(s) written to {self.rejected_path}"
            )
        if self.mapping_path and is_mapping_file(self.mapping_path):
            lines.append(
                f"column mapping saved to {self.mapping_path} (reuse it with --mapping "
                f"{self.mapping_path})"
            )
        elif self.mapping_path:
            lines.append(
                f"column mapping saved in the workspace as '{self.mapping_path}' (reuse it "
                f"with --mapping '{self.mapping_path}', or choose it on the Data page)"
            )
        if self.version is not None:
            lines.append(
                f"{preview.layer}: version {self.version.version} written "
                f"({self.version.rows:,} rows)"
            )
        elif preview.large_removal is not None and preview.needs_confirmation:
            lines.append(
                f"refused: {preview.large_removal.describe()}; nothing was written. Pass "
                "--mode replace to confirm, or --mode upsert to add and update rows only"
            )
        elif self.dry_run:
            lines.append("dry run: nothing was written")
        elif not self.imported:
            lines.append("nothing could be imported: the workspace is unchanged")
        else:
            lines.append("nothing would change: no new version written")
        return "\n".join(lines)


def _workspace_or_empty(path: str | Path) -> Workspace:
    if Path(path).exists():
        return open_workspace(path)
    return Workspace(
        path=str(path),
        layers=MappingProxyType({}),
        versions=GeoPackageStore(path).summary(),
        info=MappingProxyType({}),
    )


def _json_table_name(source: SourceFile, layer: str, json_key: str | None) -> str | None:
    """Name the table of a JSON object to read: ``json_key``'s, the only one, the layer's.

    Raises
    ------
    InputError
        When ``json_key`` names no array of records of the file (or the file is no JSON
        table), or several keys hold records and none is chosen or named like the layer.
    """
    keys = {t.json_key: t.name for t in source.tables if t.json_key is not None}
    if json_key is not None:
        if json_key in keys:
            return keys[json_key]
        held = ", ".join(f"'{k}'" for k in keys)
        what = (
            f"its arrays of records are under {held}"
            if keys
            else "it is no JSON object holding arrays of records"
        )
        raise InputError(
            f"{source.filename}: --json-key '{json_key}' names no array of records; {what}"
        )
    if len(keys) <= 1:
        return None
    if layer in keys:
        return keys[layer]
    raise InputError(
        f"{source.filename}: the JSON object holds arrays of records under several keys "
        f"({', '.join(repr(k) for k in keys)}); choose one with --json-key KEY (on the "
        "Data page: the Table box)"
    )


def import_path(
    workspace_path: str | Path,
    layer: str,
    file_path: str | Path,
    viewer: Viewer,
    *,
    fmt: FormatChoice = "auto",
    options: ImportOptions | None = None,
    rejected_path: str | Path | None = None,
    dry_run: bool = False,
    limits: ImportLimits | None = None,
    overrides: Mapping[str, str] | None = None,
    mapping_path: str | Path | None = None,
    save_mapping_path: str | Path | None = None,
    json_key: str | None = None,
) -> ImportRun:
    """Import a file on disk into a workspace file (creating it if absent): the CLI's path.

    Parameters
    ----------
    workspace_path
        The GeoPackage workspace.
    layer
        The layer to fill.
    file_path
        The file (a folder of shapefiles or a ``.shp`` is read with its siblings).
    viewer
        Who imports (the author of the version).
    fmt, options
        As for :func:`prepare_import`.
    rejected_path
        Write the rejected rows there as CSV (with ``row`` and ``reason``), if any.
    dry_run
        Prepare and report only; write no version.
    limits
        File limits (:class:`geo.io.ImportLimits` defaults when ``None``).
    overrides
        ``{target: source column}`` laid over the suggested mapping
        (:func:`mapping_with_overrides`); ``None`` or empty: the suggested mapping.
    mapping_path
        A mapping saved with ``save_mapping_path`` (``--mapping FILE``), used in place of
        the suggested one (``overrides`` are laid over it).
    save_mapping_path
        Write the mapping used there (``--save-mapping FILE``, JSON of
        :func:`geo.mapping.dump_mapping`), before anything is stored; also in a dry run.
    json_key
        For a JSON object holding arrays of records under several keys, the key to read
        (``--json-key KEY``); without it, the key named like the layer, if any.

    Returns
    -------
    ImportRun
        The preview and the version written. Nothing is written when no row passes,
        nothing would change, or a replace would remove most of the layer without
        ``options.confirm_replace``; a failed write leaves the workspace as it was.

    Raises
    ------
    StoreError
        When the workspace cannot be written, or the rejected rows' export cannot be
        recorded in its audit log (then no rejected-rows file is written: exports fail
        closed; its entry goes in the same transaction as the import, if any).
    """
    source = read_path(file_path, limits=limits)
    table = options.table if options is not None else None
    json_table = _json_table_name(source, layer, json_key)
    if json_table is not None:
        table = json_table
        options = replace(options or ImportOptions(), table=json_table)
    saved = (
        None if mapping_path is None else _saved_mapping(workspace_path, layer, str(mapping_path))
    )
    mapping = (
        mapping_with_overrides(
            source,
            layer,
            overrides or {},
            fmt=fmt,
            table_name=table,
            saved=saved,
            saved_name=str(mapping_path),
        )
        if overrides or saved is not None
        else None
    )
    workspace = _workspace_or_empty(workspace_path)
    preview = prepare_import(
        source, layer, workspace, viewer, fmt=fmt, mapping=mapping, options=options
    )
    saved_to = None
    if save_mapping_path is not None:
        if preview.format not in ("generic", "hxl"):
            raise InputError(
                f"--save-mapping applies to generic and HXL files, but {source.filename} was "
                f"read as {preview.format_label}, whose columns are fixed; add --format "
                "generic to map its columns yourself, or leave out --save-mapping"
            )
        if is_mapping_file(str(save_mapping_path)):
            with staged_file(save_mapping_path, dump_mapping(layer, preview.mapping)):
                pass  # written beside, then renamed: never half-written
            saved_to = str(save_mapping_path)
        else:
            saved_to = check_mapping_name(str(save_mapping_path))
    store = GeoPackageStore(workspace_path)
    commit = not dry_run and preview.can_commit
    # A mapping kept by name goes in the workspace: now, or once the import has made it.
    save_named_after = False
    if saved_to is not None and not is_mapping_file(str(save_mapping_path)):
        if store.exists():
            save_named_mapping(store, layer, saved_to, preview.mapping, viewer)
        elif commit:
            save_named_after = True
        else:
            raise StoreError(
                f"there is no workspace at {workspace_path} to keep the mapping '{saved_to}' "
                "in; import without --dry-run first, or give a file name ending in .json"
            )
    if rejected_path is None or not len(preview.rejected):
        version = commit_import(store, preview, viewer) if commit else None
        if save_named_after and saved_to is not None:
            save_named_mapping(store, layer, saved_to, preview.mapping, viewer)
        return ImportRun(preview, version, dry_run, None, saved_to)
    export = make_entry(
        actor=viewer.name,
        action="export",
        target=Path(rejected_path).name,
        details={"format": "csv", "table": "rejected rows", "file": preview.filename,
                 "layer": layer},
        rows=len(preview.rejected),
    )  # fmt: skip
    with staged_file(rejected_path, rejected_csv(preview)):
        if commit:
            version = commit_import(store, preview, viewer, also_record=[export])
        else:
            version = None
            if not store.exists():
                raise StoreError(
                    f"the rejected rows were not written to {rejected_path}: there is no "
                    f"workspace at {workspace_path} to record the export in; import without "
                    "--dry-run first, or leave out --rejected"
                )
            store.append_audit([export])
    if save_named_after and saved_to is not None:
        save_named_mapping(store, layer, saved_to, preview.mapping, viewer)
    return ImportRun(preview, version, dry_run, str(rejected_path), saved_to)


def save_named_mapping(
    store: GeoPackageStore, layer: str, name: str, mapping: ColumnMapping, viewer: Viewer
) -> str:
    """Keep ``mapping`` in the workspace as ``name`` (per layer), audited; return the name.

    Raises
    ------
    InputError
        When the name is not printable text of 1 to 64 characters.
    StoreError
        When the workspace cannot be written.
    """
    name = check_mapping_name(name)
    entry = make_entry(
        actor=viewer.name,
        action="mapping_save",
        target=name,
        details={"layer": layer, "columns": str(len(mapping.pairs))},
    )
    content = dump_mapping(layer, mapping).decode("utf-8")
    store.write_mapping(layer, name, content, author=viewer.name, audit=[entry])
    return name


def read_named_mapping(store: GeoPackageStore, layer: str, name: str) -> SavedMapping:
    """Return the mapping ``name`` saved in the workspace for ``layer``.

    Raises
    ------
    InputError
        When there is none of that name (the message lists the layer's saved mappings).
    """
    name = check_mapping_name(name)
    content = store.read_mapping(layer, name)
    if content is None:
        names = store.mapping_names(layer)
        held = (
            f"the mappings saved for '{layer}' are {', '.join(repr(n) for n in names)}"
            if names
            else f"no mapping is saved for '{layer}'"
        )
        raise InputError(
            f"the workspace has no column mapping '{name}' for layer '{layer}'; {held}. Save "
            "one with --save-mapping NAME, or give a mapping file ending in .json"
        )
    return load_mapping(content.encode("utf-8"), name=f"'{name}' of the workspace")


def _saved_mapping(workspace_path: str | Path, layer: str, value: str) -> SavedMapping:
    """Read ``--mapping VALUE``: a file (ending in .json, or existing), else a saved name."""
    if is_mapping_file(value):
        return _read_saved_mapping(Path(value))
    return read_named_mapping(GeoPackageStore(workspace_path), layer, value)


def _read_saved_mapping(path: Path) -> SavedMapping:
    """Read ``--mapping FILE``; a file that cannot be read is an :class:`InputError`."""
    try:
        with path.open("rb") as handle:  # at most one byte past the limit (not /dev/zero)
            content = handle.read(MAX_MAPPING_BYTES + 1)
    except OSError as exc:
        raise InputError(
            f"the column mapping {path} cannot be read ({exc.strerror or exc}); give the "
            "path of a file saved with --save-mapping"
        ) from exc
    return load_mapping(content, name=str(path))


# -- the road layer ----------------------------------------------------------------------

#: The permission a road import needs (roads are reference data, like boundaries).
ROADS_PERMISSION: Permission = "import_data"


@dataclass(frozen=True)
class RoadImport:
    """What :func:`import_roads_path` did: rows kept and refused, the network, the version.

    Attributes
    ----------
    filename, table_name
        The file and the table of it that was read.
    rows_read
        Features in the table.
    roads
        The accepted rows as the ``roads`` layer (replacing the whole layer when stored).
    rejected
        The refused features: ``row`` (feature number), ``reason`` and the file's columns.
    report
        Every error and warning, naming the feature and the column.
    network
        Lines, length, classes, components and dead ends of the accepted roads as a
        network (:class:`geo.network.NetworkSummary`); ``None`` when no row was accepted.
    version
        The version written, or ``None`` (dry run, or nothing to store).
    dry_run
        True when nothing was to be written.
    rejected_path
        Where the rejected rows were written, if they were.
    """

    filename: str
    table_name: str
    rows_read: int
    roads: pd.DataFrame
    rejected: pd.DataFrame
    report: ValidationReport
    network: NetworkSummary | None
    version: LayerVersion | None
    dry_run: bool = False
    rejected_path: str | None = None

    @property
    def imported(self) -> bool:
        """True when roads were (or, in a dry run, would be) stored."""
        return len(self.roads) > 0

    def describe(self, *, limit: int = 100) -> str:
        """Return the report: rows, the network (the layer's description), problems, outcome."""
        lines = [
            f"{self.filename} → roads (lines; replace: a road file is the whole network)",
            f"{self.rows_read:,} feature(s) read, {len(self.roads):,} accepted, "
            f"{len(self.rejected):,} rejected",
        ]
        if self.network is not None:
            lines.append(f"network: {self.network.describe()}")
            lines.append(
                "classes: "
                + "; ".join(
                    f"{name} {count:,} lines {km:,.1f} km"
                    for name, count, km in self.network.by_class
                )
            )
        problems = self.report.problems
        lines += [f"{p.severity}: {p}" for p in problems[:limit]]
        if len(problems) > limit:
            lines.append(
                f"… and {len(problems) - limit:,} more problem(s); write the rejected rows and "
                "their reasons with --rejected OUT.csv"
            )
        if self.rejected_path:
            lines.append(f"{len(self.rejected):,} rejected row(s) written to {self.rejected_path}")
        if self.version is not None:
            lines.append(
                f"roads: version {self.version.version} written ({self.version.rows:,} rows)"
            )
        elif self.dry_run:
            lines.append("dry run: nothing was written")
        else:
            lines.append("nothing could be imported: the workspace is unchanged")
        return "\n".join(lines)


def prepare_roads(
    source: SourceFile,
    *,
    table_name: str | None = None,
    class_column: str | None = None,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
) -> RoadImport:
    """Read a file's lines as the ``roads`` layer and describe them as a network.

    Features that break the ``roads`` schema (no line, a negative speed ...) are refused
    one by one, naming the feature and the column; the others are kept.

    Parameters
    ----------
    source
        The file, as read by :mod:`geo.io` (GeoPackage, GeoJSON, zipped shapefile ...).
    table_name
        Its table holding the roads (default: one named ``roads``, else the first).
    class_column
        The column of the road class when it is none of ``highway``, ``fclass``,
        ``class``, ``road_class`` (:func:`geo.roads.roads_from_frame`).
    snap_tolerance_m
        Line ends this close are one junction in the network's description.

    Raises
    ------
    InputError
        When the table has no geometry or no class column.
    """
    raw = _choose_table(source, "roads", table_name)
    frame = roads_from_table(raw, source=source.filename, class_column=class_column)
    report = validate_layer("roads", frame)
    errors = report.errors
    if any(p.row is None for p in errors):
        bad = np.ones(len(frame), dtype=bool)
    else:
        bad = np.zeros(len(frame), dtype=bool)
        bad[[int(p.row) - 1 for p in errors if p.row is not None]] = True
    reasons = pd.Series("", index=pd.RangeIndex(len(frame)), dtype="str")
    for problem in errors:
        where = np.flatnonzero(bad) if problem.row is None else [int(problem.row) - 1]
        text = f"{problem.column}: {problem.message}" if problem.column else problem.message
        reasons.iloc[where] = (reasons.iloc[where] + "; " + text).str.lstrip("; ")
    positions = np.flatnonzero(bad)
    rejected = raw.frame.iloc[positions].reset_index(drop=True)
    rejected.insert(0, "reason", reasons.iloc[positions].to_numpy())
    rejected.insert(0, "row", raw.row_numbers[positions])
    roads = coerce_layer("roads", frame.iloc[np.flatnonzero(~bad)].reset_index(drop=True))
    network = (
        build_network(roads, snap_tolerance_m=snap_tolerance_m).summary if len(roads) else None
    )
    return RoadImport(
        filename=source.filename,
        table_name=raw.name,
        rows_read=len(frame),
        roads=roads,
        rejected=rejected,
        report=report,
        network=network,
        version=None,
    )


def import_roads_path(
    workspace_path: str | Path,
    file_path: str | Path,
    viewer: Viewer,
    *,
    table_name: str | None = None,
    class_column: str | None = None,
    rejected_path: str | Path | None = None,
    dry_run: bool = False,
    limits: ImportLimits | None = None,
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
) -> RoadImport:
    """Import a road file on disk as the next version of the ``roads`` layer.

    The accepted lines replace the layer (a road file is the whole network); the version's
    note is the network's description (lines, length, classes, components, dead ends).
    The version and its ``import`` audit entry (and the export of the rejected rows, if
    written) go in one transaction, on the version of the layer read at the start.

    Parameters
    ----------
    workspace_path
        The GeoPackage workspace (created if absent).
    file_path
        GeoPackage, GeoJSON, zipped shapefile, ``.shp`` or a folder of shapefiles.
    viewer
        Who imports (needs ``import_data``).
    table_name, class_column, snap_tolerance_m
        As for :func:`prepare_roads`.
    rejected_path
        Write the rejected rows there as CSV (with ``row`` and ``reason``), if any.
    dry_run
        Read and report only; write nothing.
    limits
        File limits (:class:`geo.io.ImportLimits` defaults when ``None``).

    Raises
    ------
    AccessDeniedError
        When ``viewer`` may not import data.
    InputError
        When the file cannot be read as road lines.
    StaleVersionError
        When the roads layer got another version during the import.
    StoreError
        When the workspace cannot be written, or the rejected rows' export cannot be
        recorded (then no rejected-rows file is written).
    """
    require(viewer, ROADS_PERMISSION)
    source = read_path(file_path, limits=limits)
    store = GeoPackageStore(workspace_path)
    base = store.current_version("roads") if store.exists() else None
    run = prepare_roads(
        source,
        table_name=table_name,
        class_column=class_column,
        snap_tolerance_m=snap_tolerance_m,
    )
    write_rejected = rejected_path is not None and len(run.rejected) > 0
    also: list[AuditEntry] = []
    if write_rejected:
        also.append(
            make_entry(
                actor=viewer.name,
                action="export",
                target=Path(str(rejected_path)).name,
                details={
                    "format": "csv",
                    "table": "rejected rows",
                    "file": run.filename,
                    "layer": "roads",
                },
                rows=len(run.rejected),
            )  # fmt: skip
        )
    commit = not dry_run and run.imported
    network = run.network

    def entries(stored: Sequence[LayerVersion]) -> list[AuditEntry]:
        (version,) = stored
        details = {
            "file": run.filename,
            "format": "road lines",
            "version": str(version.version),
            "rejected": str(len(run.rejected)),
            "network": network.describe() if network is not None else "",
        }
        imported = make_entry(
            actor=viewer.name, action="import", target="roads", details=details, rows=len(run.roads)
        )
        return [imported, *also]

    def write() -> LayerVersion | None:
        if commit:
            return store.write_layer(
                "roads",
                run.roads,
                author=viewer.name,
                source_file=run.filename,
                note=network.describe() if network is not None else "",
                base_version=base,
                audit=entries,
            )
        if also:
            if not store.exists():
                raise StoreError(
                    f"the rejected rows were not written to {rejected_path}: there is no "
                    f"workspace at {workspace_path} to record the export in; import without "
                    "--dry-run first, or leave out --rejected"
                )
            store.append_audit(also)
        return None

    if not write_rejected:
        return replace(run, version=write(), dry_run=dry_run)
    assert rejected_path is not None
    with staged_file(rejected_path, to_csv_bytes(run.rejected)):
        version = write()
    return replace(run, version=version, dry_run=dry_run, rejected_path=str(rejected_path))


# -- maps ------------------------------------------------------------------------------


def build_preview_map(preview: ImportPreview, *, limit: int = 50_000) -> folium.Map:
    """Return an offline map of the rows an import would store (at most ``limit`` drawn).

    Points are clustered markers labelled with the key and names; polygons are outlined
    with the same labels. The view fits the rows.
    """
    schema = LAYERS[preview.layer]
    m = new_map()
    frame = preview.accepted
    if schema.geometry is None or not len(frame) or not isinstance(frame, gpd.GeoDataFrame):
        return m
    shown = frame.iloc[:limit]
    geoms = shown.geometry.to_numpy()
    shown = shown.loc[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(shown):
        return m
    labels = [c for c in (schema.key, "name_en", "name_ar", "category", "date") if c in shown]
    text = shown[labels].astype("string").fillna("")
    labelled = gpd.GeoDataFrame(text, geometry=shown.geometry.to_numpy(), crs=CRS)
    name = f"{preview.layer}: rows to import"
    if schema.geometry == "point":
        add_points(m, labelled, name=name, label_columns=labels)
    else:
        add_polygons(m, labelled, name=name, label_columns=labels, simplify_tolerance_deg=0.002)
    lon_min, lat_min, lon_max, lat_max = labelled.total_bounds
    m.fit_bounds([[lat_min, lon_min], [lat_max, lon_max]])
    add_layer_control(m, collapsed=True)
    use_offline_assets(m)
    return m


def build_pick_map(
    districts: pd.DataFrame, *, point: tuple[float, float] | None = None
) -> folium.Map:
    """Return an offline map of the districts to click a location on.

    Parameters
    ----------
    districts
        District polygons (drawn as outlines that let clicks through).
    point
        The location chosen so far as (latitude, longitude), marked with a circle.
    """
    m = new_map()
    if isinstance(districts, gpd.GeoDataFrame) and len(districts):
        add_polygons(
            m,
            districts,
            name="Districts",
            label_columns=("name_en",),
            interactive=False,
            simplify_tolerance_deg=0.005,
        )
    if point is not None:
        ring_marker(*point, color="#c0392b", radius_px=7, weight=3, fill=True).add_to(m)
    use_offline_assets(m)
    return m


# -- templates -------------------------------------------------------------------------


def layer_template(
    layer: str, *, kind: Literal["csv", "xlsx"] = "csv", lang: Literal["en", "ar"] = "en"
) -> bytes:
    """Return an empty template of ``layer`` to fill in and import.

    The CSV template is the header row, UTF-8 with BOM (Excel shows Arabic). The Excel
    template has the header on its first sheet (right to left in Arabic), drop-down lists
    for columns with allowed values, and a second sheet describing every column.

    Parameters
    ----------
    layer
        A workspace layer.
    kind
        ``"csv"`` or ``"xlsx"``.
    lang
        Header language: ``"en"`` (the schema names) or ``"ar"``; both are recognised on
        import.
    """
    if layer not in LAYERS:
        raise InputError(f"unknown layer '{layer}'; choose one of {', '.join(LAYERS)}")
    headers = template_headers(layer, lang)
    if kind == "csv":
        buffer = io.StringIO()
        buffer.write(",".join(f'"{h}"' if "," in h else h for h in headers) + "\r\n")
        return buffer.getvalue().encode("utf-8-sig")
    import xlsxwriter  # imported here: only template downloads need it

    targets = describe_targets(layer)
    target_names = [t for t in targets["column"] if t not in (MUNICIPALITY_NAME, LIST_ID)]
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    bold = workbook.add_format({"bold": True, "bg_color": "#dde8f0"})
    sheet = workbook.add_worksheet(layer)
    if lang == "ar":
        sheet.right_to_left()
    for j, header in enumerate(headers):
        sheet.write_string(0, j, header, bold)
        sheet.set_column(j, j, max(12, len(header) + 2))
    sheet.freeze_panes(1, 0)
    allowed = targets.set_index("column")["allowed values"]
    for j, name in enumerate(target_names):
        values = allowed.get(name, "")
        if values:
            sheet.data_validation(
                1, j, 10_000, j, {"validate": "list", "source": values.split(", ")}
            )
    help_sheet = workbook.add_worksheet("help")
    for j, header in enumerate(targets.columns):
        help_sheet.write_string(0, j, str(header), bold)
    for i, described in enumerate(targets.itertuples(index=False), start=1):
        for j, value in enumerate(described):
            help_sheet.write_string(i, j, str(value))
    help_sheet.set_column(0, 4, 24)
    workbook.close()
    return output.getvalue()


# -- single records --------------------------------------------------------------------


def prepare_record(
    workspace: Workspace,
    layer: str,
    action: RecordAction,
    values: Mapping[str, object],
    viewer: Viewer,
    *,
    today: pd.Timestamp | None = None,
) -> ImportPreview:
    """Check one added, corrected or retired record like an imported row.

    Parameters
    ----------
    workspace
        The current workspace.
    layer
        ``centres``, ``units``, ``incidents`` or ``access_audits`` (any layer works).
    action
        ``"add"`` a new record, ``"update"`` an existing one (fields not given keep their
        values), or ``"retire"`` one: a centre is set to status ``closed``; other records
        are removed from the new version (older versions keep them).
    values
        Field → value; the layer's key is required; ``longitude``/``latitude`` give the
        point. Empty strings count as empty.
    viewer
        Who edits (the version's author).
    today
        For the future-date check.

    Returns
    -------
    ImportPreview
        As for an import (``row_label`` ``"record"``); commit it with
        :func:`commit_import`.

    Raises
    ------
    InputError
        When the key is missing, already used (add) or unknown (update, retire).
    """
    require(viewer, PERMISSION_BY_LAYER[layer])
    schema = LAYERS[layer]
    key_value = str(values.get(schema.key) or "").strip()
    if not key_value:
        raise InputError(f"give the record's {schema.key}")
    current = workspace.layers.get(layer)
    keys = set(current[schema.key].astype(str)) if current is not None else set()
    if action == "add" and key_value in keys:
        raise InputError(
            f"{schema.key} '{key_value}' is already used in '{layer}'; choose another ID or "
            "correct the existing record"
        )
    if action in ("update", "retire") and key_value not in keys:
        raise InputError(f"there is no record '{key_value}' in '{layer}' to {action}")
    if action == "retire" and layer != "centres":
        assert current is not None  # keys non-empty implies a current layer
        result = coerce_layer(layer, current.loc[current[schema.key].astype(str) != key_value])
        return _preview_of_removal(workspace, layer, key_value, current, result)
    if action == "retire":
        values = {schema.key: key_value, "status": "closed"}
    fields = {
        k: ("" if v is None else str(v)) for k, v in values.items() if k in _record_targets(layer)
    }
    if action == "add":
        # An empty field of a new record is "not given": defaults apply (fatalities 0 …).
        fields = {k: v for k, v in fields.items() if v.strip() or k == schema.key}
    frame = pd.DataFrame({k: pd.Series([v], dtype="str") for k, v in fields.items()})
    table = RawTable(
        name=f"{layer} record {key_value}",
        frame=frame,
        row_numbers=np.array([1], dtype=np.int64),
    )
    mapping = ColumnMapping(tuple((k, k) for k in fields))
    conversion = apply_mapping(table, layer, mapping)
    conversion = replace(conversion, notes=(), defaults=conversion.defaults)
    preview = _prepare(
        conversion,
        workspace,
        ImportOptions(mode="upsert", today=today),
        filename=f"edit of {layer} {key_value}",
        sha256="",
        format_label=f"{action} of one record",
        row_label="record",
    )
    return preview


def _record_targets(layer: str) -> set[str]:
    return set(targets_of(layer))


def _preview_of_removal(
    workspace: Workspace, layer: str, key_value: str, current: pd.DataFrame, result: pd.DataFrame
) -> ImportPreview:
    diff = diff_layers(layer, current, result)
    findings = _orphan_findings(layer, result, workspace)
    report = ValidationReport(layer, tuple(f.problem for f in findings))
    empty = current.iloc[0:0]
    return ImportPreview(
        layer=layer,
        format="generic",
        format_label="retire one record",
        filename=f"edit of {layer} {key_value}",
        sha256="",
        table_name=layer,
        mapping=ColumnMapping(),
        mode="replace",
        base_version=_current_version(workspace, layer),
        rows_read=0,
        rows_left_out=0,
        accepted=empty,
        accepted_rows=np.empty(0, dtype=np.int64),
        rejected=pd.DataFrame(
            {"row": pd.Series([], dtype="int64"), "reason": pd.Series([], dtype="str")}
        ),
        result=result,
        report=report,
        diff=diff,
        swaps=_empty_swaps(),
        notes=(f"{layer} '{key_value}' is removed from the new version; older versions keep it",),
        row_label="record",
    )


__all__ = [
    "DEFAULT_MODES",
    "PERMISSION_BY_LAYER",
    "FormatChoice",
    "FormatGuess",
    "ImportMode",
    "ImportOptions",
    "ImportPreview",
    "ImportRun",
    "LargeRemoval",
    "LayerDiff",
    "NothingToImportError",
    "REPLACE_CONFIRM_SHARE",
    "ROADS_PERMISSION",
    "RecordAction",
    "RoadImport",
    "ReplaceNotConfirmedError",
    "build_pick_map",
    "build_preview_map",
    "commit_import",
    "convert_source",
    "country_area",
    "detect_format",
    "diff_layers",
    "import_path",
    "import_roads_path",
    "layer_template",
    "locate_municipalities",
    "prepare_import",
    "prepare_record",
    "prepare_roads",
    "rejected_csv",
    "report_csv",
    "require_confirmation",
    "restore_layer",
]
