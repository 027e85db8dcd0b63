r"""Distances in metres between points in Libya: one projection, KD-trees and cell lists.

Points at rest are WGS84 longitude/latitude (EPSG:4326). They are projected once, with a
:class:`pyproj.Transformer` on arrays, to a Lambert conformal conic fitted to the populated
coast (:data:`LIBYA_LCC`: standard parallels 30.5° N and 32.7° N, origin 31.6° N 17.25° E,
WGS84 ellipsoid). On its own that projection stretches distances by up to 2.1 % in the far
south (scale factor 1.0215 at 19.5° N), so every distance this module returns is corrected by
the projection's local scale factor ``k``:

.. math::

    d_{ij} = \frac{\lVert p_i - p_j \rVert}{\sqrt{k_i \, k_j}}

where ``p`` are projected coordinates and ``k`` the point scale factor (it depends on
latitude only, because the projection is conformal). Against :class:`pyproj.Geod` geodesic
distances the corrected figure is within 0.001 % for pairs up to 60 km apart anywhere in
Libya (lon 9.3–25.2, lat 19.5–33.2); the uncorrected one is off by up to 2.2 %.

Searches run on the projected coordinates with the search radius widened by the largest
scale factor involved, then keep the pairs whose corrected distance is within the radius,
so no pair is missed. Nearest-neighbour searches rank by projected distance; the ranking can
differ from the corrected one only between targets whose distances agree to within 0.1 %
(in the far south, where the scale factor changes fastest; far less on the coast).
"""

from __future__ import annotations

from functools import cache

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geo.errors import InputError

#: Lambert conformal conic fitted to Libya's populated coast (metres, WGS84 ellipsoid).
LIBYA_LCC = pyproj.CRS.from_proj4(
    "+proj=lcc +lat_1=30.5 +lat_2=32.7 +lat_0=31.6 +lon_0=17.25 +x_0=0 +y_0=0 "
    "+ellps=WGS84 +units=m +no_defs"
)
_LCC_LON_0 = 17.25

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Largest number of distance pairs held in memory at once by :func:`sum_within`.
_BLOCK_PAIRS = 1_500_000
#: A cell of :func:`sum_within` with at least this many candidate pairs is done as a block.
_DENSE_CELL_PAIRS = 2_000


@cache
def _transformer() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", LIBYA_LCC, always_xy=True)


@cache
def _scale_polynomial() -> tuple[FloatArray, float, float, float]:
    """Return (coefficients, rho_min, rho_max, rho_mid) of the scale factor as a polynomial.

    In a conic projection the scale factor depends on latitude only, and latitude on the
    distance ``rho`` from the cone's apex, so ``k`` is a smooth function of ``rho``. A degree-8
    polynomial in ``rho - rho_mid``, fitted to pyproj's own scale factors between 12° N and
    40° N, matches them to 1e-9.
    """
    lats = np.linspace(12.0, 40.0, 2001)
    lons = np.full_like(lats, _LCC_LON_0)
    _, y = _transformer().transform(lons, lats)
    rho = _apex_y() - np.asarray(y)
    k = np.asarray(pyproj.Proj(LIBYA_LCC).get_factors(lons, lats).parallel_scale, dtype=float)
    mid = float(rho.mean())
    coefficients = np.polynomial.polynomial.polyfit(rho - mid, k, 8)
    coefficients.flags.writeable = False
    return coefficients, float(rho.min()), float(rho.max()), mid


@cache
def _apex_y() -> float:
    _, apex_y = _transformer().transform(_LCC_LON_0, 90.0)
    return float(apex_y)


def project_lonlat(
    lon: NDArray[np.floating] | list[float], lat: NDArray[np.floating] | list[float]
) -> tuple[FloatArray, FloatArray]:
    """Project longitudes and latitudes (degrees, EPSG:4326) to :data:`LIBYA_LCC`.

    Parameters
    ----------
    lon, lat
        Coordinates in degrees, same length.

    Returns
    -------
    x_m, y_m
        Projected coordinates in metres (not scale-corrected; see :func:`scale_factor`).
    """
    lon_arr = np.asarray(lon, dtype=np.float64)
    lat_arr = np.asarray(lat, dtype=np.float64)
    if lon_arr.shape != lat_arr.shape:
        raise InputError(
            f"longitudes ({lon_arr.shape}) and latitudes ({lat_arr.shape}) differ in length; "
            "pass one latitude per longitude"
        )
    x, y = _transformer().transform(lon_arr, lat_arr)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def points_xy(points: gpd.GeoDataFrame | gpd.GeoSeries, *, layer: str = "points") -> FloatArray:
    """Return the projected coordinates of point geometries as an ``(n, 2)`` array in metres.

    Parameters
    ----------
    points
        Point geometries; EPSG:4326 (other CRSs are reprojected to it first).
    layer
        Layer name used in error messages.

    Raises
    ------
    InputError
        When a geometry is missing, empty or not a point.
    """
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    if geoms.crs is not None and not geoms.crs.equals("EPSG:4326"):
        geoms = geoms.to_crs("EPSG:4326")
    values = geoms.to_numpy()
    bad = shapely.is_missing(values) | shapely.is_empty(values)
    bad |= ~bad & (shapely.get_type_id(values) != 0)
    if bad.any():
        rows = ", ".join(str(int(i) + 1) for i in np.flatnonzero(bad)[:10])
        raise InputError(
            f"layer '{layer}': row(s) {rows} have no point location; give longitude and "
            "latitude on the Data page or remove those rows"
        )
    if len(values) == 0:
        return np.empty((0, 2), dtype=np.float64)
    x, y = project_lonlat(shapely.get_x(values), shapely.get_y(values))
    return np.column_stack([x, y])


def scale_factor(xy: FloatArray) -> FloatArray:
    """Return the point scale factor of :data:`LIBYA_LCC` at projected points.

    Parameters
    ----------
    xy
        ``(n, 2)`` projected coordinates in metres.

    Returns
    -------
    numpy.ndarray
        ``k`` per point: projected length / true length, 0.9998 on the coast, 1.0215 at 19.5° N.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    coefficients, rho_min, rho_max, rho_mid = _scale_polynomial()
    rho = np.hypot(xy[:, 0], _apex_y() - xy[:, 1])
    np.clip(rho, rho_min, rho_max, out=rho)
    rho -= rho_mid
    return np.asarray(np.polynomial.polynomial.polyval(rho, coefficients), dtype=np.float64)


def distance_m(a_xy: FloatArray, b_xy: FloatArray) -> FloatArray:
    """Return the scale-corrected distance in metres between rows of ``a_xy`` and ``b_xy``."""
    a_xy = np.asarray(a_xy, dtype=np.float64).reshape(-1, 2)
    b_xy = np.asarray(b_xy, dtype=np.float64).reshape(-1, 2)
    planar = np.hypot(a_xy[:, 0] - b_xy[:, 0], a_xy[:, 1] - b_xy[:, 1])
    return planar / np.sqrt(scale_factor(a_xy) * scale_factor(b_xy))


def nearest(
    from_xy: FloatArray, to_xy: FloatArray, *, workers: int = 1
) -> tuple[FloatArray, IntArray]:
    """Find, for every point of ``from_xy``, the nearest point of ``to_xy``.

    Parameters
    ----------
    from_xy, to_xy
        ``(n, 2)`` and ``(m, 2)`` projected coordinates in metres.
    workers
        Threads used by the KD-tree query (``-1`` for all cores).

    Returns
    -------
    distance_m
        Scale-corrected distance in metres; ``inf`` when ``to_xy`` is empty.
    index
        Row of the nearest point in ``to_xy``; ``-1`` when ``to_xy`` is empty.
    """
    from_xy = np.asarray(from_xy, dtype=np.float64).reshape(-1, 2)
    to_xy = np.asarray(to_xy, dtype=np.float64).reshape(-1, 2)
    n = len(from_xy)
    if len(to_xy) == 0 or n == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.intp)
    planar, index = cKDTree(to_xy).query(from_xy, k=1, workers=workers)
    index = np.asarray(index, dtype=np.intp)
    k = np.sqrt(scale_factor(from_xy) * scale_factor(to_xy[index]))
    return np.asarray(planar, dtype=np.float64) / k, index


def pairs_within(
    from_xy: FloatArray, to_xy: FloatArray, *, radius_m: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return every pair of points closer than ``radius_m`` (scale-corrected).

    Meant for short radii (a guard standing at a centre); for weighted sums over many pairs
    use :func:`sum_within`.

    Returns
    -------
    i, j, distance_m
        Rows in ``from_xy`` and ``to_xy`` and their distance in metres, sorted by ``i``.
    """
    from_xy = np.asarray(from_xy, dtype=np.float64).reshape(-1, 2)
    to_xy = np.asarray(to_xy, dtype=np.float64).reshape(-1, 2)
    if len(from_xy) == 0 or len(to_xy) == 0 or radius_m < 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty.copy(), np.empty(0, dtype=np.float64)
    k_from, k_to = scale_factor(from_xy), scale_factor(to_xy)
    reach = radius_m * max(float(k_from.max()), float(k_to.max()))
    found = cKDTree(from_xy).sparse_distance_matrix(
        cKDTree(to_xy), max_distance=reach, output_type="ndarray"
    )
    i = found["i"].astype(np.intp)
    j = found["j"].astype(np.intp)
    dist = found["v"] / np.sqrt(k_from[i] * k_to[j])
    keep = dist <= radius_m
    order = np.argsort(i[keep], kind="stable")
    return i[keep][order], j[keep][order], dist[keep][order]


def any_within(
    from_xy: FloatArray, to_xy: FloatArray, radius_m: FloatArray, *, workers: int = 1
) -> NDArray[np.bool_]:
    """Tell, for every point of ``from_xy``, whether some target ``j`` lies within ``radius_m[j]``.

    Parameters
    ----------
    from_xy, to_xy
        ``(n, 2)`` and ``(m, 2)`` projected coordinates in metres.
    radius_m
        One radius per target, metres (each target has its own reach).
    workers
        Threads used by the KD-tree queries.

    Notes
    -----
    Targets sharing a radius are searched together with one nearest-neighbour query, which
    is exact and fast when radii take few distinct values (defaults per unit type); with many
    distinct radii the pairs within the largest radius are enumerated instead.
    """
    from_xy = np.asarray(from_xy, dtype=np.float64).reshape(-1, 2)
    to_xy = np.asarray(to_xy, dtype=np.float64).reshape(-1, 2)
    radius = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), (len(to_xy),))
    hit = np.zeros(len(from_xy), dtype=bool)
    if len(from_xy) == 0 or len(to_xy) == 0:
        return hit
    values = np.unique(radius[radius >= 0])
    if len(values) <= 16:
        for value in values:
            dist, _ = nearest(from_xy, to_xy[radius == value], workers=workers)
            hit |= dist <= value
        return hit
    i, j, dist = pairs_within(from_xy, to_xy, radius_m=float(values[-1]))
    hit[i[dist <= radius[j]]] = True
    return hit


def sum_within(
    from_xy: FloatArray, to_xy: FloatArray, weights: FloatArray, *, radius_m: float
) -> tuple[FloatArray, FloatArray]:
    r"""Sum target weights within a radius of every point, flat and with a linear taper.

    For point ``i`` and weight column ``c``:

    .. math::

        T_{ic} = \sum_j w_{jc} \max(0, 1 - d_{ij} / r), \qquad
        F_{ic} = \sum_{j : d_{ij} \le r} w_{jc}

    Parameters
    ----------
    from_xy, to_xy
        ``(n, 2)`` and ``(m, 2)`` projected coordinates in metres.
    weights
        ``(m, q)`` weights of the targets (``(m,)`` is taken as one column).
    radius_m
        Radius ``r`` in metres (scale-corrected distance).

    Returns
    -------
    tapered, flat
        ``(n, q)`` arrays ``T`` and ``F``.

    Notes
    -----
    Exact, with a cell list: points are bucketed into square cells half the (widened) radius
    wide, so the 5 × 5 cells around a point's cell hold every target within the radius. A
    cell with many candidate pairs is compared with those targets as dense blocks of at most
    about 1.5 million distances (numpy, a few ns per pair); the points of sparse cells are
    paired with targets by KD-trees (``sparse_distance_matrix``), in chunks of the same size,
    which avoids a Python step per cell where cells hold few points.
    """
    from_xy = np.asarray(from_xy, dtype=np.float64).reshape(-1, 2)
    to_xy = np.asarray(to_xy, dtype=np.float64).reshape(-1, 2)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = w[:, None]
    n, q = len(from_xy), w.shape[1]
    tapered = np.zeros((n, q))
    flat = np.zeros((n, q))
    if n == 0 or len(to_xy) == 0 or radius_m <= 0:
        return tapered, flat
    k_from, k_to = scale_factor(from_xy), scale_factor(to_xy)
    inv_from = 1.0 / (np.sqrt(k_from) * radius_m)
    inv_to = 1.0 / np.sqrt(k_to)
    reach = radius_m * float(np.sqrt(k_from.max() * k_to.max()))
    cell = reach / 2.0
    origin = np.minimum(from_xy.min(axis=0), to_xy.min(axis=0))
    from_cell = np.floor((from_xy - origin) / cell).astype(np.int64)
    to_cell = np.floor((to_xy - origin) / cell).astype(np.int64)
    ny = int(max(from_cell[:, 1].max(), to_cell[:, 1].max())) + 5
    to_key = to_cell[:, 0] * ny + to_cell[:, 1] + 2
    to_order = np.argsort(to_key, kind="stable")
    to_key = to_key[to_order]
    from_key = from_cell[:, 0] * ny + from_cell[:, 1] + 2
    from_order = np.argsort(from_key, kind="stable")
    cells, starts = np.unique(from_key[from_order], return_index=True)
    ends = np.append(starts[1:], n)
    # Targets of one column of cells (fixed x, y from cy-2 to cy+2) are contiguous in key order.
    offsets = np.arange(-2, 3) * ny
    lo = np.searchsorted(to_key, cells[:, None] + offsets - 2, side="left")
    hi = np.searchsorted(to_key, cells[:, None] + offsets + 2, side="right")
    candidates = (hi - lo).sum(axis=1)
    dense = ((ends - starts) * candidates >= _DENSE_CELL_PAIRS) & (candidates > 0)

    to_sorted, inv_to_sorted, w_sorted = to_xy[to_order], inv_to[to_order], w[to_order]
    for c in np.flatnonzero(dense):
        cand = np.concatenate([np.arange(a, b) for a, b in zip(lo[c], hi[c], strict=True)])
        rows = from_order[starts[c] : ends[c]]
        step = max(1, _BLOCK_PAIRS // len(cand))
        t_xy, t_inv, t_w = to_sorted[cand], inv_to_sorted[cand], w_sorted[cand]
        for s in range(0, len(rows), step):
            block = rows[s : s + step]
            _accumulate(from_xy[block], inv_from[block], t_xy, t_inv, t_w, tapered, flat, block)

    sparse_rows = ~np.repeat(dense, ends - starts)
    rows = from_order[sparse_rows]
    if len(rows):
        work = np.cumsum(np.repeat(candidates, ends - starts)[sparse_rows])
        cuts = np.searchsorted(work, np.arange(_BLOCK_PAIRS, work[-1], _BLOCK_PAIRS))
        to_tree = cKDTree(to_xy)
        for chunk in np.split(rows, cuts):
            if len(chunk):
                found = cKDTree(from_xy[chunk]).sparse_distance_matrix(
                    to_tree, max_distance=reach, output_type="ndarray"
                )
                _accumulate_pairs(found, chunk, inv_from, inv_to, w, tapered, flat)
    return tapered, flat


def _accumulate_pairs(
    found: np.ndarray,
    rows: IntArray,
    inv_from: FloatArray,
    inv_to: FloatArray,
    w: FloatArray,
    tapered: FloatArray,
    flat: FloatArray,
) -> None:
    """Add the contributions of KD-tree pairs ``(i, j, distance)`` of ``rows`` × targets."""
    i = found["i"].astype(np.intp)
    j = found["j"].astype(np.intp)
    ratio = found["v"] * inv_from[rows[i]] * inv_to[j]
    inside = ratio <= 1.0
    i, j, taper = i[inside], j[inside], 1.0 - ratio[inside]
    for col in range(w.shape[1]):
        weight = w[j, col]
        tapered[rows, col] += np.bincount(i, weights=taper * weight, minlength=len(rows))
        flat[rows, col] += np.bincount(i, weights=weight, minlength=len(rows))


def _accumulate(
    f_xy: FloatArray,
    f_inv: FloatArray,
    t_xy: FloatArray,
    t_inv: FloatArray,
    t_w: FloatArray,
    tapered: FloatArray,
    flat: FloatArray,
    rows: IntArray,
) -> None:
    """Add one dense block of ``from`` × ``target`` contributions to ``tapered`` and ``flat``."""
    dx = np.subtract.outer(f_xy[:, 0], t_xy[:, 0])
    dy = np.subtract.outer(f_xy[:, 1], t_xy[:, 1])
    np.multiply(dx, dx, out=dx)
    np.multiply(dy, dy, out=dy)
    np.add(dx, dy, out=dx)
    np.sqrt(dx, out=dx)
    dx *= f_inv[:, None]
    dx *= t_inv[None, :]
    # dx now holds d / r; within the radius where it is at most 1.
    inside = dx <= 1.0
    np.subtract(1.0, dx, out=dx)
    np.maximum(dx, 0.0, out=dx)
    tapered[rows] += dx @ t_w
    flat[rows] += inside.astype(np.float64) @ t_w
