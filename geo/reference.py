"""Bundled reference geography of Libya and the Voronoi catchments of municipal seats."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo.errors import InputError, StoreError
from geo.schema import CRS, LAYERS, check_layer

#: Folder of the bundled reference files, resolved from this package (never the cwd).
REFERENCE_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
OUTLINE_FILE = "libya_outline.geojson"
DISTRICTS_FILE = "districts.geojson"
MUNICIPALITIES_FILE = "municipalities.geojson"
REGIONS_FILE = "regions.csv"
REBUILD_HINT = "rebuild it with `python data/build_reference.py` or restore it from the repository"


@dataclass(frozen=True)
class Reference:
    """The reference geography, every frame in EPSG:4326.

    ``regions``, ``districts`` and ``municipalities`` hold exactly the columns of their
    layer schemas in :mod:`geo.schema`; municipalities carry their approximate catchment
    polygon as geometry and the seat in ``seat_lon``/``seat_lat``. ``outline`` is the
    country outline (one row: ``name_en``, ``name_ar``, ``source``). Treat the frames as
    read-only: callers may share one instance.
    """

    regions: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    municipalities: gpd.GeoDataFrame
    outline: gpd.GeoDataFrame


def read_reference(directory: Path | None = None) -> Reference:
    """Read the bundled regions, districts, municipalities and outline of Libya.

    Regions are not stored: they are the districts dissolved by ``region_pcode``, named
    from ``regions.csv``. Every layer is validated and coerced with
    :func:`geo.schema.check_layer`.

    Parameters
    ----------
    directory
        Folder holding the reference files; ``None`` means :data:`REFERENCE_DIR`.

    Returns
    -------
    Reference
        The four frames, in EPSG:4326.

    Raises
    ------
    StoreError
        When a bundled file is missing.
    SchemaError
        When a file no longer follows its layer schema.
    """
    folder = REFERENCE_DIR if directory is None else Path(directory)
    districts = check_layer("districts", _read_layer(folder / DISTRICTS_FILE, "districts"))
    municipalities = check_layer(
        "municipalities", _read_layer(folder / MUNICIPALITIES_FILE, "municipalities")
    )
    names_path = folder / REGIONS_FILE
    if not names_path.is_file():
        raise StoreError(f"bundled reference file {names_path} is missing; {REBUILD_HINT}")
    names = pd.read_csv(names_path, dtype=str, keep_default_na=False, encoding="utf-8")
    regions = check_layer("regions", _dissolve_regions(districts, names))
    outline = _read_frame(folder / OUTLINE_FILE)[["name_en", "name_ar", "source", "geometry"]]
    return Reference(
        regions=regions,
        districts=districts,
        municipalities=municipalities,
        outline=outline.reset_index(drop=True),
    )


def read_outline(directory: Path | None = None) -> shapely.Geometry:
    """Return Libya's outline from the bundled reference (one geometry, EPSG:4326).

    Raises
    ------
    StoreError
        When the bundled file is missing.
    """
    folder = REFERENCE_DIR if directory is None else Path(directory)
    frame = _read_frame(folder / OUTLINE_FILE)
    return shapely.union_all(frame.geometry.to_numpy())


def _read_frame(path: Path) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise StoreError(f"bundled reference file {path} is missing; {REBUILD_HINT}")
    frame = gpd.read_file(path, engine="pyogrio")
    # GeoJSON is WGS84 by definition (RFC 7946); GDAL may label it OGC:CRS84.
    return frame.set_crs(CRS, allow_override=True)


def _read_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    frame = _read_frame(path)
    columns = [c for c in LAYERS[layer].column_names if c in frame.columns]
    return frame[[*columns, frame.geometry.name]]


def _dissolve_regions(districts: gpd.GeoDataFrame, names: pd.DataFrame) -> gpd.GeoDataFrame:
    merged = districts[["region_pcode", "geometry"]].dissolve(by="region_pcode", sort=True)
    merged = merged.reset_index().rename(columns={"region_pcode": "pcode"})
    regions = merged.merge(names, on="pcode", how="left", validate="one_to_one")
    regions["geometry"] = shapely.make_valid(regions.geometry.to_numpy())
    return gpd.GeoDataFrame(regions[["pcode", "name_en", "name_ar", "source", "geometry"]], crs=CRS)


def build_catchments(seats: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the Voronoi catchment of every seat, clipped to the seat's own district.

    Cells are computed district by district from that district's seats only, so each
    cell lies within its district, the cells of a district do not overlap and together
    they cover it; a district with a single seat gets the whole district. A cell of a
    concave district can be a multipolygon.

    The diagram is built in a local equirectangular plane per district
    (``x = lon * cos(lat0)``, ``y = lat``, ``lat0`` the latitude of the district's
    centroid) rather than in raw degrees: a degree of longitude is 8 to 16 % shorter than
    a degree of latitude in Libya, and the scaling makes the cell edges (nearly) the true
    perpendicular bisectors between seats, within about 3 % over the largest district.
    The map is affine, so district boundaries are kept exactly and nothing is
    reprojected.

    Parameters
    ----------
    seats
        Points in EPSG:4326 with columns ``pcode`` and ``district_pcode``.
    districts
        Polygons in EPSG:4326 with column ``pcode``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``seats``' rows, index and attribute columns, with the catchment polygon as
        geometry, in EPSG:4326.

    Raises
    ------
    InputError
        Listing every problem at once: missing columns, other CRS, non-point seats,
        unknown districts, seats outside their district, or two seats of one district at
        the same place.
    """
    _check_catchment_inputs(seats, districts)
    areas = districts.set_index("pcode").geometry
    points = seats.geometry.to_numpy()
    cells = np.empty(len(seats), dtype=object)
    groups = seats["district_pcode"].astype(str).to_numpy()
    for code in pd.unique(groups):
        rows = np.flatnonzero(groups == code)
        cells[rows] = _clipped_voronoi(points[rows], areas[code])
    return gpd.GeoDataFrame(
        seats.drop(columns=seats.geometry.name), geometry=cells, crs=seats.crs, index=seats.index
    )


def _clipped_voronoi(points: NDArray[np.object_], area: shapely.Geometry) -> NDArray[np.object_]:
    """Voronoi cells of ``points`` (in input order) clipped to ``area``, in degrees."""
    if len(points) == 1:
        return np.array([area], dtype=object)
    scale = np.array([math.cos(math.radians(area.centroid.y)), 1.0])
    plane_area = shapely.transform(area, lambda xy: xy * scale)
    plane_points = shapely.transform(points, lambda xy: xy * scale)
    diagram = shapely.voronoi_polygons(
        shapely.multipoints(plane_points), extend_to=plane_area, ordered=True
    )
    plane_cells = shapely.intersection(shapely.get_parts(diagram), plane_area)
    cells = shapely.transform(plane_cells, lambda xy: xy / scale)
    return np.array([_polygonal(cell) for cell in cells], dtype=object)


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """Drop the points and lines an overlay can leave beside the polygons."""
    if shapely.get_type_id(geometry) in (3, 6):
        return geometry
    parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts)


def _check_catchment_inputs(seats: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> None:
    problems: list[str] = []
    for name, frame, needed in (
        ("seats", seats, ("pcode", "district_pcode")),
        ("districts", districts, ("pcode",)),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            problems.append(f"{name}: column(s) {', '.join(missing)} missing; add them")
        if frame.crs is None or not frame.crs.equals(CRS):
            problems.append(
                f"{name}: coordinates must be EPSG:4326, got {frame.crs}; "
                "reproject with .to_crs('EPSG:4326')"
            )
    if problems:
        raise InputError("cannot build catchments:\n- " + "\n- ".join(problems))
    if districts["pcode"].duplicated().any():
        dup = sorted(set(districts.loc[districts["pcode"].duplicated(), "pcode"]))
        problems.append(f"districts: pcode(s) {', '.join(dup)} appear twice; keep one row each")
    geoms = seats.geometry.to_numpy()
    not_points = shapely.is_missing(geoms) | (shapely.get_type_id(geoms) != 0)
    for pcode in seats.loc[not_points, "pcode"]:
        problems.append(f"seat {pcode}: the seat must be a point; give its longitude and latitude")
    known = set(districts["pcode"])
    unknown = ~seats["district_pcode"].isin(known)
    for pcode, district in seats.loc[unknown, ["pcode", "district_pcode"]].itertuples(index=False):
        problems.append(f"seat {pcode}: district '{district}' is not among the districts given")
    usable = seats.loc[~not_points & ~unknown]
    areas = districts.set_index("pcode").geometry
    own = areas.reindex(usable["district_pcode"]).to_numpy()
    outside = ~shapely.covers(own, usable.geometry.to_numpy())
    for pcode, district in usable.loc[outside, ["pcode", "district_pcode"]].itertuples(index=False):
        problems.append(
            f"seat {pcode}: lies outside its district {district}; fix the coordinates or the "
            "district_pcode"
        )
    xy = shapely.get_coordinates(usable.geometry.to_numpy())
    keys = pd.DataFrame({"d": usable["district_pcode"].to_numpy(), "x": xy[:, 0], "y": xy[:, 1]})
    for pcode in usable.loc[keys.duplicated(keep="first").to_numpy(), "pcode"]:
        problems.append(
            f"seat {pcode}: another seat of the same district stands at the same place; "
            "move one of them"
        )
    if problems:
        raise InputError("cannot build catchments:\n- " + "\n- ".join(problems))
