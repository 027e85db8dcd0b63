"""The road layer: road files read into the ``roads`` layer, line lengths, the bundled roads.

A road file (GeoPackage, GeoJSON, a zipped shapefile: anything :func:`geo.io.read_path`
reads) becomes the ``roads`` layer of :mod:`geo.schema` with :func:`roads_from_table` (or
:func:`roads_from_frame` for a GeoDataFrame already in memory):

* ``highway``: the OSM road class, from a column ``highway``, else ``fclass`` (Geofabrik
  shapefiles), ``class`` (OpenMapTiles) or ``road_class``; lower-cased; blank becomes
  ``road`` (OSM's value for a road of unknown class).
* ``oneway``: true for ``yes``/``true``/``1``/``-1``; ``-1`` (and ``T`` in a Geofabrik
  ``F``/``T``/``B`` column) means one way *against* the line's direction, so the line is
  reversed and stored as one way along it.
* ``bridge``: from a ``bridge`` column (any value but blank, ``no``, ``0``, ``false``,
  ``F``), else ``brunnel == "bridge"`` (OpenMapTiles).
* ``maxspeed_kmh``: from ``maxspeed_kmh`` or ``maxspeed`` (``"50"``, ``"50 mph"``);
  missing, ``0`` and words such as ``none`` or ``signals`` leave it empty.
* ``road_id``: from ``road_id``, ``osm_id`` or ``id``, else the feature number.
* ``length_km``: always recomputed from the geometry (:func:`line_lengths_km`), so that
  every figure uses one definition of length.

Geometry is reprojected to EPSG:4326 and made 2D. Rows are not dropped here: the layer
validator (:func:`geo.schema.validate_layer`) reports those it cannot use.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from numpy.typing import NDArray
from pyogrio.errors import DataLayerError, DataSourceError

from geo.distance import LIBYA_LCC, project_lonlat, scale_factor
from geo.errors import InputError, StoreError
from geo.io import RawTable, read_path
from geo.reference import REFERENCE_DIR
from geo.schema import CRS, LAYERS, check_layer

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: The bundled national road network (see ``data/README.md``), gzipped FlatGeobuf.
REFERENCE_ROADS_FILE = "roads.fgb.gz"
#: Attribution that OpenStreetMap's licence (ODbL 1.0) requires wherever its data is used.
OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
#: The ``source`` of every row of the bundled roads.
REFERENCE_ROADS_SOURCE = f"OpenStreetMap 2021-08-06, {OSM_ATTRIBUTION}"
#: The road classes of OSM's main network, fastest first (``*_link`` roads join them).
MAIN_CLASSES: tuple[str, ...] = ("motorway", "trunk", "primary", "secondary", "tertiary")
#: Value given to a road whose class is blank (OSM's tag for an unknown road type).
UNKNOWN_CLASS = "road"

_CLASS_COLUMNS = ("highway", "fclass", "class", "road_class")
_ID_COLUMNS = ("road_id", "osm_id", "id")
_SPEED_COLUMNS = ("maxspeed_kmh", "maxspeed")
_TRUE = frozenset({"yes", "true", "1", "t", "y"})
_FALSE = frozenset({"", "no", "false", "0", "f", "n"})
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)
_MPH_KMH = 1.609344


@dataclass(frozen=True)
class ProjectedLines:
    """Line parts in :data:`geo.distance.LIBYA_LCC` with true (scale-corrected) lengths.

    Attributes
    ----------
    parts
        One projected LineString per part, metres (a MultiLineString gives several).
    row
        For each part, the row of the input it came from.
    xy
        ``(v, 2)`` vertices of every part in order, metres (projected, not corrected).
    first
        Index in ``xy`` of each part's first vertex; ``first[p + 1] - 1`` is its last.
    along_m
        For each vertex, the true distance from its part's first vertex, metres.
    planar_m
        For each vertex, the projected distance from the very first vertex along all parts
        in order (non-decreasing; parts follow each other without a gap), metres.
    length_m
        True length of each part, metres.
    """

    parts: NDArray[np.object_]
    row: IntArray
    xy: FloatArray
    first: IntArray
    along_m: FloatArray
    planar_m: FloatArray
    length_m: FloatArray


def project_lines(geometry: gpd.GeoSeries | NDArray[np.object_]) -> ProjectedLines:
    """Split lines into parts and project them, with lengths corrected for the projection.

    Each segment's projected length is divided by the projection's scale factor at its
    midpoint (:func:`geo.distance.scale_factor`), which makes the length geodesic to within
    0.001 % whatever the latitude.

    Parameters
    ----------
    geometry
        LineStrings or MultiLineStrings in EPSG:4326 (missing or empty rows give no part).

    Returns
    -------
    ProjectedLines
        The parts, their vertices and true lengths.
    """
    values = np.asarray(geometry.to_numpy() if hasattr(geometry, "to_numpy") else geometry)
    parts, row = shapely.get_parts(values, return_index=True)
    keep = ~shapely.is_empty(parts)
    parts, row = parts[keep], row[keep]
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    x, y = project_lonlat(coords[:, 0], coords[:, 1])
    xy = np.column_stack([x, y]).reshape(-1, 2)
    n = len(parts)
    first = np.searchsorted(part_of, np.arange(n + 1)).astype(np.intp)
    planar = np.zeros(len(xy))
    true = np.zeros(len(xy))
    if len(xy) > 1:
        same = part_of[1:] == part_of[:-1]
        step = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
        planar[1:] = np.where(same, step, 0.0)
        true[1:] = np.where(same, step / scale_factor((xy[1:] + xy[:-1]) / 2.0), 0.0)
    planar = np.cumsum(planar)
    along = np.cumsum(true)
    along -= np.repeat(along[first[:-1]], np.diff(first))
    length = along[first[1:] - 1] if n else np.empty(0)
    projected = shapely.linestrings(xy, indices=part_of) if n else np.empty(0, dtype=object)
    return ProjectedLines(
        parts=np.asarray(projected, dtype=object),
        row=np.asarray(row, dtype=np.intp),
        xy=xy,
        first=first,
        along_m=along,
        planar_m=planar,
        length_m=np.asarray(length, dtype=np.float64),
    )


def line_lengths_km(geometry: gpd.GeoSeries | NDArray[np.object_]) -> FloatArray:
    """Return the true length of every line (all its parts), km; 0 for a missing row.

    Parameters
    ----------
    geometry
        LineStrings or MultiLineStrings in EPSG:4326; any other geometry (a point in a road
        file) gets 0, for the layer's validator to refuse, naming its row.
    """
    values = np.asarray(geometry.to_numpy() if hasattr(geometry, "to_numpy") else geometry)
    is_line = np.isin(shapely.get_type_id(values), (1, 5))
    lines = project_lines(values[is_line])
    rows = np.flatnonzero(is_line)[lines.row]
    return np.bincount(rows, weights=lines.length_m, minlength=len(values)) / 1000.0


@cache
def _inverse() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(LIBYA_LCC, CRS, always_xy=True)


def unproject_xy(xy: FloatArray) -> FloatArray:
    """Return longitudes and latitudes (``(n, 2)``, degrees) of projected points (metres)."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    lon, lat = _inverse().transform(xy[:, 0], xy[:, 1])
    return np.column_stack([np.asarray(lon), np.asarray(lat)])


def to_lonlat(geometry: shapely.Geometry) -> shapely.Geometry:
    """Return a projected (:data:`geo.distance.LIBYA_LCC`) geometry in EPSG:4326."""
    return shapely.transform(geometry, unproject_xy)


def _lookup(columns: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


def _text(values: pd.Series) -> pd.Series:
    text = values.astype("string").fillna("").str.strip()
    return text.astype("str")


def _oneway(values: pd.Series) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Return (one way, reversed) per row from a ``oneway`` column."""
    text = _text(values).str.lower()
    seen = set(text.unique()) - {""}
    if seen and seen <= {"f", "t", "b"} and seen & {"f", "b"}:
        # Geofabrik's shapefile convention: F forward only, T backward only, B both.
        backward = (text == "t").to_numpy()
        return ((text == "f") | (text == "t")).to_numpy(), backward
    backward = text.isin(["-1", "reverse", "backward"]).to_numpy()
    return (text.isin(_TRUE).to_numpy() | backward), backward


def _bridge(frame: pd.DataFrame, columns: Mapping[str, str]) -> NDArray[np.bool_]:
    if "bridge" in columns:
        return ~_text(frame[columns["bridge"]]).str.lower().isin(_FALSE).to_numpy()
    if "brunnel" in columns:
        return (_text(frame[columns["brunnel"]]).str.lower() == "bridge").to_numpy()
    return np.zeros(len(frame), dtype=bool)


def _maxspeed(values: pd.Series) -> FloatArray:
    found = _text(values).str.extract(_NUMBER)
    speed = pd.to_numeric(found[0], errors="coerce").to_numpy(dtype=np.float64)
    mph = found[1].fillna("").str.lower().to_numpy() == "mph"
    speed = np.where(mph, speed * _MPH_KMH, speed)
    return np.where(speed > 0, speed, np.nan)


def roads_from_frame(
    frame: pd.DataFrame,
    geometry: gpd.GeoSeries,
    *,
    source: str,
    class_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Return road lines with the columns of the ``roads`` layer (not yet validated).

    Parameters
    ----------
    frame
        The attributes, one row per line (text or typed values).
    geometry
        The lines, in any CRS (``None`` is taken as EPSG:4326, as GeoJSON is).
    source
        The ``source`` of every row (e.g. the file name and the data's licence).
    class_column
        The column holding the road class, when it is none of ``highway``, ``fclass``,
        ``class`` or ``road_class``.

    Returns
    -------
    geopandas.GeoDataFrame
        The ``roads`` columns (see the module docstring) in EPSG:4326; validate it with
        :func:`geo.schema.check_layer` or :func:`geo.schema.validate_layer`.

    Raises
    ------
    InputError
        When no column holds the road class, or the frame and geometry differ in length.
    """
    if len(frame) != len(geometry):
        raise InputError(
            f"{len(frame)} attribute rows but {len(geometry)} geometries; pass one line per row"
        )
    frame = frame.reset_index(drop=True)
    columns = {str(c).strip().lower(): str(c) for c in frame.columns}
    if class_column is not None and class_column not in frame.columns:
        raise InputError(
            f"there is no column '{class_column}' for the road class; the columns are "
            f"{', '.join(map(str, frame.columns))}"
        )
    class_name = class_column or _lookup(columns, _CLASS_COLUMNS)
    if class_name is None:
        raise InputError(
            "no column holds the road class (looked for "
            f"{', '.join(_CLASS_COLUMNS)}); the columns are "
            f"{', '.join(map(str, frame.columns)) or 'none'}: rename the class column to "
            "'highway' or name it as the class column"
        )
    geoms = gpd.GeoSeries(geometry.to_numpy(), crs=geometry.crs or CRS)
    if not geoms.crs.equals(CRS):
        geoms = geoms.to_crs(CRS)
    values = shapely.force_2d(geoms.to_numpy())
    highway = _text(frame[class_name]).str.lower().replace("", UNKNOWN_CLASS)
    oneway_column = columns.get("oneway")
    if oneway_column is None:
        oneway = np.zeros(len(frame), dtype=bool)
        backward = oneway.copy()
    else:
        oneway, backward = _oneway(frame[oneway_column])
    if backward.any():
        values = values.copy()
        values[backward] = shapely.reverse(values[backward])
    speed_column = _lookup(columns, _SPEED_COLUMNS)
    maxspeed = (
        _maxspeed(frame[speed_column]) if speed_column is not None else np.full(len(frame), np.nan)
    )
    id_column = _lookup(columns, _ID_COLUMNS)
    if id_column is None:
        road_id = pd.Series([str(i + 1) for i in range(len(frame))], dtype="str")
    else:
        road_id = _text(frame[id_column]).str.replace(r"\.0$", "", regex=True)
    roads = pd.DataFrame(
        {
            "road_id": road_id.to_numpy(),
            "highway": highway.to_numpy(),
            "oneway": oneway,
            "bridge": _bridge(frame, columns),
            "maxspeed_kmh": maxspeed,
            "length_km": line_lengths_km(values),
            "source": source,
        }
    )
    return gpd.GeoDataFrame(roads, geometry=values, crs=CRS)


def roads_from_table(
    table: RawTable, *, source: str | None = None, class_column: str | None = None
) -> gpd.GeoDataFrame:
    """Return a GIS table read by :mod:`geo.io` as ``roads`` rows (not yet validated).

    Parameters
    ----------
    table
        A table of :func:`geo.io.read_path` or :func:`geo.io.read_upload` with geometry.
    source
        The ``source`` of every row; the table's name when ``None``.
    class_column
        See :func:`roads_from_frame`.

    Raises
    ------
    InputError
        When the table has no geometry or no class column.
    """
    if table.geometry is None:
        raise InputError(
            f"{table.name} has no geometry; import roads from a GeoPackage, GeoJSON or a "
            "zipped shapefile of lines"
        )
    return roads_from_frame(
        table.frame, table.geometry, source=source or table.name, class_column=class_column
    )


def read_roads(
    path: str | Path,
    *,
    table: str | None = None,
    source: str | None = None,
    class_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a road file into a validated ``roads`` layer.

    Parameters
    ----------
    path
        A GeoPackage, GeoJSON, zipped shapefile, ``.shp`` or folder (:func:`geo.io.read_path`).
    table
        The layer of a file holding several (its :class:`geo.io.RawTable` name).
    source, class_column
        See :func:`roads_from_table`.

    Raises
    ------
    InputError
        When the file cannot be read or has no class column.
    SchemaError
        When rows break the ``roads`` schema; the report lists every one.
    """
    raw = read_path(path).table(table)
    return check_layer("roads", roads_from_table(raw, source=source, class_column=class_column))


def read_reference_roads(directory: Path | None = None) -> gpd.GeoDataFrame:
    """Read the bundled national road network (``data/reference/roads.fgb.gz``).

    Parameters
    ----------
    directory
        Folder holding the file; ``None`` means :data:`geo.reference.REFERENCE_DIR`.

    Returns
    -------
    geopandas.GeoDataFrame
        The ``roads`` layer, validated; ``source`` carries the OSM attribution.

    Raises
    ------
    StoreError
        When the file is missing or unreadable.
    """
    path = (REFERENCE_DIR if directory is None else Path(directory)) / REFERENCE_ROADS_FILE
    hint = "rebuild it with `python data/build_roads.py` or restore it from the repository"
    if not path.is_file():
        raise StoreError(f"bundled road file {path} is missing; {hint}")
    try:
        frame = pyogrio.read_dataframe(gzip.decompress(path.read_bytes()), use_arrow=True)
    except (OSError, DataSourceError, DataLayerError) as exc:
        raise StoreError(f"bundled road file {path} cannot be read ({exc}); {hint}") from exc
    frame = frame.set_crs(CRS, allow_override=True)
    return check_layer("roads", frame[[*LAYERS["roads"].column_names, frame.geometry.name]])
