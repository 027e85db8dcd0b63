r"""Travel times on the road network: a directed graph of the road layer and Dijkstra on it.

Model
-----
**Graph.** Every part of every road line is an edge between the nodes at its two ends.
Line ends closer than ``snap_tolerance_m`` (2 m by default, scale-corrected metres) are one
node; closeness is transitive, so a chain of ends each within the tolerance of the next
joins too. Lines meet only at their ends: a crossing without a shared end (a bridge over
a road) is no junction. The bundled OSM roads were split at every shared OSM node, so
their junctions are exactly their line ends. An edge ``u → v`` of length :math:`L`
(true metres, :func:`geo.roads.project_lines`) and speed :math:`v_c` costs

.. math::

    t_{uv} = 60 \, \frac{L / 1000}{v_c} \quad \text{minutes},

where :math:`v_c` comes from the road's class (:class:`RoadSpeeds`: motorway 100, trunk 90,
primary 80, secondary 70, tertiary 60, any other class 40 km/h; a ``*_link`` road 60 % of
its parent's speed), lowered to the road's ``maxspeed_kmh`` where that is given and lower.
A two-way road gives the arcs ``u → v`` and ``v → u``; a one-way road only ``u → v``
(:mod:`geo.roads` stores one-way roads along their direction of travel). Parallel arcs
keep the fastest.

**Points on the network.** A point (a centre, a unit, a candidate site) is joined to the
network at its nearest point :math:`r` on any road line, at fraction :math:`f` of that
line's length from ``u``, by a straight **connector** of length :math:`c` (km) driven at
the off-road speed :math:`v_0` (:class:`ReachParams`, 20 km/h). It enters the line there,
so it leaves towards ``v`` at cost :math:`(1 - f) \, t_{uv}` and, on a two-way line,
towards ``u`` at :math:`f \, t_{uv}`. Lines are split virtually at every target point, so
two points on the same line reach each other along it without a detour through its ends.
A point farther than ``max_connector_km`` from every road is **off the network**.

**Travel time of a pair.** Source :math:`s` (a unit) and target :math:`t` (a centre) are
*connected* when both are on the network and their roads are in the same (weakly)
connected component. Then (model ``network``)

.. math::

    T_{st} = \min\Bigl( \frac{60 \, c_s}{v_0} + D(r_s, r_t) + \frac{60 \, c_t}{v_0}, \;
    \frac{60 \, d_{st}}{v_0} \text{ if } d_{st} \le c_s + c_t \Bigr),

with :math:`D` the shortest directed path on the network (minutes) and :math:`d_{st}` the
straight-line distance (km). The second term only lets two points that are closer to each
other than to the road skip the road (a guard beside a centre far from any road); it never
lets a unit cut across a wadi that its road goes round. Otherwise the pair is not
connected (one of them is off the network, or the network does not join them) and
(model ``straight``)

.. math::

    T_{st} = 60 \, \frac{d_{st} \, k}{v_s},

with circuity :math:`k` (1.3) and the source's own speed :math:`v_s` (e.g. a patrol's 40 km/h).
Every result says which model each pair or target used (``reach_model``).

Engine
------
:func:`scipy.sparse.csgraph.dijkstra` on a CSR matrix: one multi-source run with
``min_only=True`` gives every target its nearest source; runs with ``limit`` (minutes)
from blocks of sources give the sparse source × target matrix of times within a limit.
Sources are extra nodes with one or two outgoing arcs; targets are nodes spliced into their
lines. Everything here is a pure value: a :class:`RoadNetwork` is built once per version of
the road layer and never changes (caching belongs to the caller).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geo.distance import distance_m, nearest, pairs_within, project_lonlat
from geo.errors import InputError
from geo.roads import MAIN_CLASSES, ProjectedLines, project_lines, to_lonlat

ReachModel = Literal["network", "straight"]
#: The two reach models, in the order of the codes used in arrays (0 network, 1 straight).
REACH_MODELS: tuple[ReachModel, ReachModel] = ("network", "straight")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

#: Default snapping tolerance of line ends, metres (absorbs the ~0.5 m tile grid of OSM
#: data; the bundled roads then have exactly the junctions of their README).
DEFAULT_SNAP_TOLERANCE_M = 2.0
#: Smallest arc cost, minutes: csgraph treats an explicit zero as an arc, but a zero
#: would vanish in any sparse arithmetic, so costs are kept strictly positive.
_MIN_COST = 1e-9
#: Sources per block of limited Dijkstra runs (bounds the dense block of distances).
_BLOCK_SOURCES = 256
#: Up to this many sources, pair searches start from the nodes the sources enter rather
#: than from source nodes added to a copy of the graph (one moved unit).
_FEW_SOURCES = 4


def _require_positive(owner: str, values: dict[str, float]) -> None:
    problems = [
        f"{name} must be a positive number, got {value!r}"
        for name, value in values.items()
        if isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ]
    if problems:
        raise InputError(f"{owner}: " + "; ".join(problems))


@dataclass(frozen=True)
class RoadSpeeds:
    """Travel speed per road class, km/h.

    Attributes
    ----------
    motorway_kmh, trunk_kmh, primary_kmh, secondary_kmh, tertiary_kmh
        Speeds of OSM's main classes (``highway`` values of the same names).
    other_kmh
        Speed of any other class (``residential``, ``unclassified``, ``track`` ...).
    link_factor
        A link road (``motorway_link`` ...) drives at this share of its parent's speed
        (slip roads and ramps are slower than the road they join): 0.6 gives 60 km/h on a
        motorway link and 36 km/h on a tertiary link.
    """

    motorway_kmh: float = 100.0
    trunk_kmh: float = 90.0
    primary_kmh: float = 80.0
    secondary_kmh: float = 70.0
    tertiary_kmh: float = 60.0
    other_kmh: float = 40.0
    link_factor: float = 0.6

    def __post_init__(self) -> None:
        """Reject speeds that are not positive numbers, and link factors above 1."""
        _require_positive("road speeds", {f.name: getattr(self, f.name) for f in fields(self)})
        if self.link_factor > 1:
            raise InputError(
                f"road speeds: link_factor must be at most 1 (a link is not faster than its "
                f"road), got {self.link_factor:g}"
            )

    def speed_kmh(self, highway: str) -> float:
        """Return the speed of one road class (``"trunk"``, ``"trunk_link"`` ...)."""
        name = str(highway).strip().lower()
        parent = name.removesuffix("_link")
        if parent in MAIN_CLASSES:
            speed = float(getattr(self, f"{parent}_kmh"))
            return speed * self.link_factor if parent != name else speed
        return float(self.other_kmh)

    def speeds_kmh(self, highway: ArrayLike) -> FloatArray:
        """Return the speed of every road class in ``highway`` (vectorised)."""
        names = np.asarray(pd.Series(highway, dtype="str").fillna(""), dtype=object)
        unique, inverse = np.unique(names, return_inverse=True)
        table = np.array([self.speed_kmh(name) for name in unique], dtype=np.float64)
        return table[inverse] if len(names) else np.empty(0)


@dataclass(frozen=True)
class ReachParams:
    """How points join the network and what happens where it does not reach.

    Attributes
    ----------
    offroad_speed_kmh
        Speed on the connector between a point and its road, km/h.
    max_connector_km
        A point farther than this from every road is off the network (its pairs use the
        straight-line model).
    circuity
        Road distance / straight-line distance of the straight-line model (≥ 1).
    """

    offroad_speed_kmh: float = 20.0
    max_connector_km: float = 10.0
    circuity: float = 1.3

    def __post_init__(self) -> None:
        """Reject values that are not positive, and a circuity below 1."""
        _require_positive("reach parameters", {f.name: getattr(self, f.name) for f in fields(self)})
        if self.circuity < 1:
            raise InputError(
                f"reach parameters: circuity must be at least 1 (roads are never shorter than "
                f"the straight line), got {self.circuity:g}"
            )


@dataclass(frozen=True)
class NetworkSummary:
    """What a road layer holds as a network (the layer's description).

    Attributes
    ----------
    lines, parts
        Rows of the layer and the line parts they hold (a multi-line row has several).
    length_km
        Total true length.
    nodes, arcs
        Junctions and line ends after snapping; directed arcs of the graph.
    components
        Weakly connected components (a closed ring on its own counts as one).
    largest_component_km
        Length of the largest component's lines.
    strong_share
        Share of nodes in the largest strongly connected component (one-way roads can
        make a node reachable but not left, or the opposite).
    dead_ends
        Nodes where exactly one line ends.
    closed_rings
        Lines whose two ends are the same node (after snapping).
    oneway_lines, bridge_lines
        Rows that are one way, rows that are bridges.
    by_class
        ``(highway, lines, km)`` per class, longest first.
    snap_tolerance_m
        The tolerance the nodes were snapped with.
    """

    lines: int
    parts: int
    length_km: float
    nodes: int
    arcs: int
    components: int
    largest_component_km: float
    strong_share: float
    dead_ends: int
    closed_rings: int
    oneway_lines: int
    bridge_lines: int
    by_class: tuple[tuple[str, int, float], ...]
    snap_tolerance_m: float

    @property
    def largest_component_share(self) -> float:
        """Share of the length in the largest component (0–1)."""
        return self.largest_component_km / self.length_km if self.length_km > 0 else 0.0

    def describe(self) -> str:
        """Return one paragraph for the layer's description."""
        classes = ", ".join(f"{name} {km:,.0f} km" for name, _, km in self.by_class[:6])
        if len(self.by_class) > 6:
            classes += f" and {len(self.by_class) - 6} more"
        return (
            f"{self.lines:,} lines, {self.length_km:,.0f} km ({classes}); "
            f"{self.components:,} connected component(s), the largest "
            f"{self.largest_component_km:,.0f} km ({self.largest_component_share:.1%}); "
            f"{self.dead_ends:,} dead ends; {self.oneway_lines:,} one-way lines; "
            f"{self.bridge_lines:,} bridges; line ends within {self.snap_tolerance_m:g} m "
            "joined."
        )

    def classes_frame(self) -> pd.DataFrame:
        """Return ``by_class`` as a table (``highway``, ``lines``, ``km``)."""
        return pd.DataFrame(list(self.by_class), columns=["highway", "lines", "km"])


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """The directed road graph of one version of a road layer (read-only).

    Attributes
    ----------
    speeds, snap_tolerance_m
        What the graph was built with.
    summary
        Lines, length, classes, components and dead ends.
    lines
        The line parts, projected, with true lengths along them.
    line_u, line_v
        Start and end node of every part (in the direction of travel of a one-way road).
    line_minutes
        Time to drive each part end to end.
    line_oneway
        True for a one-way part.
    line_speed_kmh
        Speed used on each part.
    node_xy
        ``(n, 2)`` projected position of every node (the mean of the ends joined in it).
    node_component
        Weakly connected component of every node.
    arcs
        ``(i, j, minutes)`` of every arc, fastest of parallel arcs only.
    graph
        The arcs as an ``(n, n)`` CSR matrix of minutes.
    tree
        A :class:`shapely.STRtree` of the projected parts, for snapping.
    """

    speeds: RoadSpeeds
    snap_tolerance_m: float
    summary: NetworkSummary
    lines: ProjectedLines
    line_u: IntArray
    line_v: IntArray
    line_minutes: FloatArray
    line_oneway: BoolArray
    line_speed_kmh: FloatArray
    node_xy: FloatArray
    node_component: IntArray
    arcs: tuple[IntArray, IntArray, FloatArray]
    graph: sparse.csr_array
    tree: shapely.STRtree

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)

    @property
    def n_lines(self) -> int:
        """Number of line parts (graph edges before splitting)."""
        return len(self.line_u)


def _csr_min(
    i: IntArray, j: IntArray, w: FloatArray, n: int
) -> tuple[tuple[IntArray, IntArray, FloatArray], sparse.csr_array]:
    """Return the arcs with the fastest of parallel arcs kept, and their CSR matrix."""
    w = np.maximum(w, _MIN_COST)
    order = np.lexsort((w, j, i))
    i, j, w = i[order], j[order], w[order]
    first = np.ones(len(i), dtype=bool)
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    i, j, w = i[first], j[first], w[first]
    return (i, j, w), _csr(i, j, w, n)


def _csr(i: IntArray, j: IntArray, w: FloatArray, n: int) -> sparse.csr_array:
    """Return the CSR matrix of arcs that have no duplicates (none is summed)."""
    return sparse.csr_array((w, (i, j)), shape=(n, n))


def _snap_nodes(ends_xy: FloatArray, tolerance_m: float) -> tuple[IntArray, FloatArray]:
    """Return (node of every end, node positions): equal ends, then ends within tolerance."""
    unique, inverse = np.unique(ends_xy, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    label = np.arange(len(unique))
    if tolerance_m > 0 and len(unique) > 1:
        i, j, _ = pairs_within(unique, unique, radius_m=tolerance_m)
        near = sparse.coo_array((np.ones(len(i)), (i, j)), shape=(len(unique), len(unique))).tocsr()
        _, label = connected_components(near, directed=False)
    count = np.bincount(label)
    node_xy = np.column_stack([np.bincount(label, weights=unique[:, k]) / count for k in range(2)])
    return label[inverse].astype(np.intp), node_xy


def _line_values(roads: pd.DataFrame, column: str, rows: IntArray, default: object) -> NDArray:
    if column not in roads.columns:
        return np.full(len(rows), default)
    return roads[column].to_numpy()[rows]


def build_network(
    roads: pd.DataFrame,
    *,
    speeds: RoadSpeeds = RoadSpeeds(),
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
) -> RoadNetwork:
    """Build the directed road graph of a road layer.

    Parameters
    ----------
    roads
        A GeoDataFrame of LineStrings or MultiLineStrings in EPSG:4326 with a ``highway``
        column; ``oneway`` (missing: two way), ``bridge`` and ``maxspeed_kmh`` are used
        when present. The ``roads`` layer of :mod:`geo.schema` has all of them.
    speeds
        Speed per road class.
    snap_tolerance_m
        Line ends this close (true metres) are joined into one node; 0 joins only equal ends.

    Returns
    -------
    RoadNetwork
        The graph, its summary and what snapping needs.

    Raises
    ------
    InputError
        When ``highway`` or the geometry is missing, a row holds something other than a
        line, or the tolerance is negative.
    """
    if not math.isfinite(snap_tolerance_m) or snap_tolerance_m < 0:
        raise InputError(
            f"the snapping tolerance must be a number of metres ≥ 0, got {snap_tolerance_m!r}"
        )
    if "highway" not in roads.columns or not hasattr(roads, "geometry"):
        raise InputError(
            "the road layer needs line geometry and a 'highway' column (the road class); "
            "import it as the roads layer"
        )
    geoms = roads.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    wrong = present & ~np.isin(shapely.get_type_id(geoms), (1, 5))
    if wrong.any():
        rows = ", ".join(str(int(r) + 1) for r in np.flatnonzero(wrong)[:10])
        raise InputError(
            f"road layer rows {rows} hold no line (a point or polygon); remove them or import lines"
        )
    lines = project_lines(geoms)
    starts = lines.xy[lines.first[:-1]]
    ends = lines.xy[lines.first[1:] - 1]
    n_parts = len(lines.row)
    node_of_end, node_xy = _snap_nodes(np.vstack([starts, ends]), snap_tolerance_m)
    u, v = node_of_end[:n_parts], node_of_end[n_parts:]
    highway = _line_values(roads, "highway", lines.row, "")
    speed = speeds.speeds_kmh(highway)
    maxspeed = pd.to_numeric(
        pd.Series(_line_values(roads, "maxspeed_kmh", lines.row, np.nan)), errors="coerce"
    ).to_numpy(dtype=np.float64)
    speed = np.where(maxspeed > 0, np.fmin(speed, maxspeed), speed)
    minutes = lines.length_m / 1000.0 / speed * 60.0
    oneway = pd.Series(_line_values(roads, "oneway", lines.row, False)).fillna(False)
    oneway_arr = oneway.astype(bool).to_numpy()
    two_way = ~oneway_arr
    i = np.concatenate([u, v[two_way]])
    j = np.concatenate([v, u[two_way]])
    w = np.concatenate([minutes, minutes[two_way]])
    loop = i == j
    n = len(node_xy)
    arcs, graph = _csr_min(i[~loop], j[~loop], w[~loop], n)
    _, component = connected_components(graph, directed=True, connection="weak")
    summary = _summarise(
        roads, lines, u, v, component, graph, highway, oneway_arr, snap_tolerance_m
    )
    return RoadNetwork(
        speeds=speeds,
        snap_tolerance_m=float(snap_tolerance_m),
        summary=summary,
        lines=lines,
        line_u=u,
        line_v=v,
        line_minutes=minutes,
        line_oneway=oneway_arr,
        line_speed_kmh=speed,
        node_xy=node_xy,
        node_component=component.astype(np.intp),
        arcs=arcs,
        graph=graph,
        tree=shapely.STRtree(lines.parts),
    )


def _summarise(
    roads: pd.DataFrame,
    lines: ProjectedLines,
    u: IntArray,
    v: IntArray,
    component: IntArray,
    graph: sparse.csr_array,
    highway: NDArray,
    oneway: BoolArray,
    snap_tolerance_m: float,
) -> NetworkSummary:
    n = graph.shape[0]
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    km_by_component = np.bincount(component[u], weights=lines.length_m) / 1000.0
    n_strong, strong = connected_components(graph, directed=True, connection="strong")
    strong_share = float(np.bincount(strong).max() / n) if n else 0.0
    del n_strong
    by_class = (
        pd.DataFrame({"highway": highway, "km": lines.length_m / 1000.0, "row": lines.row})
        .groupby("highway")
        .agg(lines=("row", "nunique"), km=("km", "sum"))
        .sort_values("km", ascending=False)
    )
    row_oneway = np.zeros(len(roads), dtype=bool)
    row_oneway[lines.row[oneway]] = True
    bridge = (
        pd.Series(roads["bridge"]).fillna(False).astype(bool).to_numpy()
        if "bridge" in roads.columns
        else np.zeros(len(roads), dtype=bool)
    )
    return NetworkSummary(
        lines=len(roads),
        parts=len(u),
        length_km=float(lines.length_m.sum() / 1000.0),
        nodes=int(n),
        arcs=int(graph.nnz),
        components=int(component.max() + 1) if n else 0,
        largest_component_km=float(km_by_component.max()) if len(km_by_component) else 0.0,
        strong_share=strong_share,
        dead_ends=int((degree == 1).sum()),
        closed_rings=int((u == v).sum()),
        oneway_lines=int(row_oneway.sum()),
        bridge_lines=int(bridge.sum()),
        by_class=tuple(
            (str(name), int(row.lines), float(row.km)) for name, row in by_class.iterrows()
        ),
        snap_tolerance_m=float(snap_tolerance_m),
    )


# -- points --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Snapped:
    """Points joined to the network at their nearest point on a road.

    Attributes
    ----------
    xy
        ``(n, 2)`` projected positions of the points, metres.
    line
        The road part each point joins (``-1`` only when the network has no line).
    offset_m
        Where on that part, true metres from its start node ``u``.
    road_xy
        ``(n, 2)`` the nearest point on the road (projected).
    connector_km
        True distance from the point to its road, km (``inf`` without any road).
    on_network
        ``connector_km <= max_connector_km``.
    component
        The network component of each point on the network, ``-1`` off it.
    max_connector_km
        The cut-off used.
    """

    xy: FloatArray
    line: IntArray
    offset_m: FloatArray
    road_xy: FloatArray
    connector_km: FloatArray
    on_network: BoolArray
    component: IntArray
    max_connector_km: float

    def __len__(self) -> int:
        return len(self.xy)

    def take(self, index: ArrayLike) -> Snapped:
        """Return the points at ``index`` (positions or a boolean mask)."""
        rows = np.asarray(index)
        return Snapped(
            xy=self.xy[rows],
            line=self.line[rows],
            offset_m=self.offset_m[rows],
            road_xy=self.road_xy[rows],
            connector_km=self.connector_km[rows],
            on_network=self.on_network[rows],
            component=self.component[rows],
            max_connector_km=self.max_connector_km,
        )

    def replace(self, index: int, point: Snapped) -> Snapped:
        """Return a copy with point ``index`` replaced by the one point of ``point``."""
        if len(point) != 1:
            raise InputError(f"replace one point with one point, got {len(point)}")
        if not 0 <= index < len(self):
            raise InputError(f"point {index} does not exist; there are {len(self)} points")
        values = {}
        for name in ("xy", "line", "offset_m", "road_xy", "connector_km", "on_network"):
            array = getattr(self, name).copy()
            array[index] = getattr(point, name)[0]
            values[name] = array
        component = self.component.copy()
        component[index] = point.component[0]
        return Snapped(**values, component=component, max_connector_km=self.max_connector_km)


def snap_points(
    network: RoadNetwork,
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    params: ReachParams = ReachParams(),
) -> Snapped:
    """Join points to the network at their nearest point on a road line.

    Parameters
    ----------
    network
        The road graph.
    lon, lat
        Coordinates in degrees (EPSG:4326).
    params
        ``max_connector_km`` decides which points are on the network.

    Returns
    -------
    Snapped
        Per point: its road part, the position along it, the connector length.

    Raises
    ------
    InputError
        When a point has no finite coordinates.
    """
    lon_arr = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat_arr = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    x, y = project_lonlat(lon_arr, lat_arr)
    xy = np.column_stack([x, y])
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        rows = ", ".join(str(int(r) + 1) for r in np.flatnonzero(bad)[:10])
        raise InputError(
            f"point(s) {rows} have no usable longitude and latitude; give each point "
            "its coordinates (degrees, EPSG:4326) or leave it out"
        )
    n = len(xy)
    line = np.full(n, -1, dtype=np.intp)
    offset = np.zeros(n)
    road_xy = np.full((n, 2), np.nan)
    connector_km = np.full(n, np.inf)
    if n and network.n_lines:
        points = shapely.points(xy)
        found = network.tree.query_nearest(points, all_matches=False)
        which, part = found[0], found[1]
        line[which] = part
        parts = network.lines.parts[part]
        along = shapely.line_locate_point(parts, points[which])
        road = shapely.line_interpolate_point(parts, along)
        road_xy[which] = shapely.get_coordinates(road)
        offset[which] = _true_offset(network.lines, part, along)
        connector_km[which] = distance_m(xy[which], road_xy[which]) / 1000.0
    on = connector_km <= params.max_connector_km
    component = np.full(n, -1, dtype=np.intp)
    component[on] = network.node_component[network.line_u[line[on]]]
    return Snapped(
        xy=xy,
        line=line,
        offset_m=offset,
        road_xy=road_xy,
        connector_km=connector_km,
        on_network=on,
        component=component,
        max_connector_km=float(params.max_connector_km),
    )


def _true_offset(lines: ProjectedLines, part: IntArray, planar_along: FloatArray) -> FloatArray:
    """Convert projected distances along parts into true metres from each part's start."""
    first, last = lines.first[part], lines.first[part + 1] - 1
    total = lines.planar_m
    key = total[first] + planar_along
    segment = np.searchsorted(total, key, side="right") - 1
    segment = np.clip(segment, first, np.maximum(first, last - 1))
    following = np.minimum(segment + 1, last)
    span = total[following] - total[segment]
    share = np.where(span > 0, (key - total[segment]) / np.where(span > 0, span, 1.0), 0.0)
    share = np.clip(share, 0.0, 1.0)
    along = lines.along_m
    return np.asarray(along[segment] + share * (along[following] - along[segment]))


# -- targets spliced into the network ---------------------------------------------------


@dataclass(frozen=True, eq=False)
class TargetGraph:
    """The network with a set of target points spliced into their lines (read-only).

    Prepare it once with :func:`prepare_targets` and pass it as ``targets`` to every
    query on the same targets (for instance before moving one unit after another).

    Attributes
    ----------
    network, targets
        The road graph and the target points.
    node
        The node of every target (``-1`` off the network); nodes from
        ``network.n_nodes`` on are targets.
    arcs
        ``(i, j, minutes)`` of the base arcs plus the pieces of split lines.
    graph
        The arcs as a square CSR matrix.
    key, key_node
        Targets on the network sorted by line then offset (``key`` = line × span + offset),
        with their nodes: where a source falls between targets of its line.
    span_m
        The multiplier of the line number in ``key`` (more than any line's length).
    tree
        KD-tree of the targets' projected positions.
    """

    network: RoadNetwork
    targets: Snapped
    node: IntArray
    arcs: tuple[IntArray, IntArray, FloatArray]
    graph: sparse.csr_array
    key: FloatArray
    key_node: IntArray
    span_m: float
    tree: cKDTree

    @property
    def n_nodes(self) -> int:
        """Nodes of the split graph (network nodes and targets on the network)."""
        return int(self.graph.shape[0])


def prepare_targets(network: RoadNetwork, targets: Snapped) -> TargetGraph:
    """Splice target points into their lines, so that queries reach them exactly.

    Each line holding targets ``T1 … Tk`` (sorted along it) gets the pieces
    ``u → T1 → … → Tk → v`` (and back on a two-way line), each costing its share of the
    line's time. The line's own arc is kept: it costs the sum of its pieces.

    Parameters
    ----------
    network
        The road graph the targets were snapped to.
    targets
        Points from :func:`snap_points` on this network.
    """
    on = np.flatnonzero(targets.on_network)
    span = float(network.lines.length_m.max(initial=0.0)) * 2.0 + 1.0
    line = targets.line[on]
    offset = targets.offset_m[on]
    order = np.lexsort((offset, line))
    sorted_targets = on[order]
    line, offset = line[order], offset[order]
    n0 = network.n_nodes
    m = len(sorted_targets)
    own = n0 + np.arange(m, dtype=np.intp)
    node = np.full(len(targets), -1, dtype=np.intp)
    node[sorted_targets] = own
    length = network.lines.length_m[line]
    fresh = np.ones(m, dtype=bool)
    fresh[1:] = line[1:] != line[:-1]
    last = np.ones(m, dtype=bool)
    last[:-1] = line[1:] != line[:-1]
    previous = np.where(fresh, network.line_u[line], np.r_[-1, own[:-1]])
    previous_offset = np.where(fresh, 0.0, np.r_[0.0, offset[:-1]])
    per_m = _minutes_per_m(network, line)
    into = (offset - previous_offset) * per_m
    out_last = (length - offset) * per_m
    ends = network.line_v[line]
    i = [network.arcs[0], previous, own[last]]
    j = [network.arcs[1], own, ends[last]]
    w = [network.arcs[2], into, out_last[last]]
    two_way = ~network.line_oneway[line]
    i += [own[two_way], ends[last & two_way]]
    j += [previous[two_way], own[last & two_way]]
    w += [into[two_way], out_last[last & two_way]]
    arcs, graph = _csr_min(np.concatenate(i), np.concatenate(j), np.concatenate(w), n0 + m)
    return TargetGraph(
        network=network,
        targets=targets,
        node=node,
        arcs=arcs,
        graph=graph,
        key=line * span + offset,
        key_node=own,
        span_m=span,
        tree=cKDTree(targets.xy if len(targets) else np.empty((0, 2))),
    )


def _as_target_graph(network: RoadNetwork, targets: Snapped | TargetGraph) -> TargetGraph:
    if isinstance(targets, TargetGraph):
        if targets.network is not network:
            raise InputError(
                "the targets were prepared on another road network; prepare them again "
                "with prepare_targets(network, targets)"
            )
        return targets
    return prepare_targets(network, targets)


def _source_arcs(
    split: TargetGraph, sources: Snapped, first_node: int, params: ReachParams
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Return the arcs leaving each source on the network, and the source nodes.

    A source on line ``u → v`` between spliced targets ``a`` and ``b`` (or the line's
    ends) gets an arc to ``b`` and, on a two-way line, one to ``a``; each costs the
    connector plus its share of the line's time.
    """
    network = split.network
    on = np.flatnonzero(sources.on_network)
    node = first_node + np.arange(len(on), dtype=np.intp)
    line = sources.line[on]
    offset = sources.offset_m[on]
    base = line * split.span_m
    position = np.searchsorted(split.key, base + offset, side="left")
    has_before = position > np.searchsorted(split.key, base, side="left")
    has_after = position < np.searchsorted(split.key, base + split.span_m, side="left")
    keys = np.r_[split.key, np.inf]
    nodes = np.r_[split.key_node, -1]
    before = np.maximum(position - 1, 0)
    length = network.lines.length_m[line]
    next_node = np.where(has_after, nodes[position], network.line_v[line])
    next_offset = np.where(has_after, keys[position] - base, length)
    prev_node = np.where(has_before, nodes[before], network.line_u[line])
    prev_offset = np.where(has_before, keys[before] - base, 0.0)
    per_m = _minutes_per_m(network, line)
    connector = sources.connector_km[on] / params.offroad_speed_kmh * 60.0
    forward = connector + np.maximum(next_offset - offset, 0.0) * per_m
    backward = connector + np.maximum(offset - prev_offset, 0.0) * per_m
    two_way = ~network.line_oneway[line]
    i = np.concatenate([node, node[two_way]])
    j = np.concatenate([next_node, prev_node[two_way]])
    w = np.concatenate([forward, backward[two_way]])
    (i, j, w), _ = _csr_min(i, j, w, first_node + len(on))
    return i, j, w, node


def _minutes_per_m(network: RoadNetwork, line: IntArray) -> FloatArray:
    length = network.lines.length_m[line]
    minutes = network.line_minutes[line]
    return np.where(length > 0, minutes / np.where(length > 0, length, 1.0), 0.0)


def _with_sources(
    split: TargetGraph, sources: Snapped, params: ReachParams
) -> tuple[sparse.csr_array, IntArray]:
    """Return the split graph with a node per source on the network, and those nodes."""
    n = split.n_nodes
    i, j, w, node = _source_arcs(split, sources, n, params)
    total = n + len(node)
    graph = _csr(
        np.concatenate([split.arcs[0], i]),
        np.concatenate([split.arcs[1], j]),
        np.concatenate([split.arcs[2], w]),
        total,
    )
    return graph, node


# -- queries -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NearestTimes:
    """The nearest source of every target, in minutes, and the model that gave it.

    Attributes
    ----------
    minutes
        Travel time from the nearest source; ``inf`` when none is within the limit.
    source
        Row of that source in the sources given; ``-1`` when none.
    network
        True where the network model gave the time. For a target with no source within
        the limit: True when some source is connected to it on the network (the network
        says it is out of reach), False when only the straight-line model could apply.
    connector_km
        The target's distance to its nearest road (``inf`` without any road).
    limit_min
        The limit used (``None``: none).
    """

    minutes: FloatArray
    source: IntArray
    network: BoolArray
    connector_km: FloatArray
    limit_min: float | None

    @property
    def model(self) -> NDArray[np.object_]:
        """``"network"`` or ``"straight"`` per target (``reach_model``)."""
        return np.where(self.network, REACH_MODELS[0], REACH_MODELS[1]).astype(object)

    def to_frame(self) -> pd.DataFrame:
        """Return ``minutes``, ``source``, ``reach_model`` and ``connector_km`` per target."""
        return pd.DataFrame(
            {
                "minutes": self.minutes,
                "source": self.source,
                "reach_model": self.model,
                "connector_km": self.connector_km,
            }
        )


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Every source–target pair within a time limit, as sparse pairs sorted by source.

    Attributes
    ----------
    source, target, minutes
        The pairs (rows of the sources and targets given) and their travel times.
    network
        True where the pair's time comes from the network model.
    n_sources, n_targets, limit_min
        Shape and limit.
    sources, targets, straight_speed_kmh, params
        What the times were computed from (kept so that one source can be moved with
        :func:`update_travel_times`).
    """

    source: IntArray
    target: IntArray
    minutes: FloatArray
    network: BoolArray
    n_sources: int
    n_targets: int
    limit_min: float
    sources: Snapped
    targets: TargetGraph
    straight_speed_kmh: FloatArray
    params: ReachParams

    @property
    def model(self) -> NDArray[np.object_]:
        """``"network"`` or ``"straight"`` per pair."""
        return np.where(self.network, REACH_MODELS[0], REACH_MODELS[1]).astype(object)

    def to_csr(self) -> sparse.csr_array:
        """Return the ``(n_sources, n_targets)`` matrix of minutes.

        A pair at 0 minutes is an explicit entry: test membership with
        :meth:`coverage`, not with the values.
        """
        return sparse.csr_array(
            (self.minutes, (self.source, self.target)), shape=(self.n_sources, self.n_targets)
        )

    def coverage(self, limit_min: float | None = None) -> sparse.csr_array:
        """Return which sources reach which targets, ``(n_targets, n_sources)`` boolean.

        This is the orientation of :func:`geo.optimise.coverage_matrix` (demand × sites).

        Parameters
        ----------
        limit_min
            A tighter limit than the one computed with; ``None`` keeps it.
        """
        keep = np.ones(len(self.minutes), dtype=bool)
        if limit_min is not None:
            keep = self.minutes <= limit_min
        return sparse.csr_array(
            (np.ones(int(keep.sum()), dtype=bool), (self.target[keep], self.source[keep])),
            shape=(self.n_targets, self.n_sources),
        )

    def nearest(self) -> NearestTimes:
        """Return every target's nearest source within the limit (see :class:`NearestTimes`)."""
        minutes = np.full(self.n_targets, np.inf)
        source = np.full(self.n_targets, -1, dtype=np.intp)
        network = np.zeros(self.n_targets, dtype=bool)
        order = np.lexsort((~self.network, self.minutes, self.target))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.target[order][1:] != self.target[order][:-1]
        best = order[first]
        minutes[self.target[best]] = self.minutes[best]
        source[self.target[best]] = self.source[best]
        network[self.target[best]] = self.network[best]
        tg = self.targets.targets
        none = source < 0
        network[none] = _has_connected_source(tg, self.sources)[none]
        return NearestTimes(minutes, source, network, tg.connector_km, self.limit_min)

    def to_frame(self) -> pd.DataFrame:
        """Return the pairs: ``source``, ``target``, ``minutes``, ``reach_model``."""
        return pd.DataFrame(
            {
                "source": self.source,
                "target": self.target,
                "minutes": self.minutes,
                "reach_model": self.model,
            }
        )


def _speeds(n: int, straight_speed_kmh: float | ArrayLike) -> FloatArray:
    speeds = np.broadcast_to(np.asarray(straight_speed_kmh, dtype=np.float64), (n,)).copy()
    bad = ~np.isfinite(speeds) | (speeds <= 0)
    if bad.any():
        rows = ", ".join(str(int(r) + 1) for r in np.flatnonzero(bad)[:10])
        raise InputError(f"straight-line speeds must be positive km/h; source(s) {rows} have none")
    return speeds


def _limit(limit_min: float | None) -> float:
    if limit_min is None:
        return np.inf
    if (
        isinstance(limit_min, bool)
        or not isinstance(limit_min, int | float)
        or not (limit_min >= 0)
    ):
        raise InputError(f"the time limit must be a number of minutes ≥ 0, got {limit_min!r}")
    return float(limit_min)


def _has_connected_source(targets: Snapped, sources: Snapped) -> BoolArray:
    components = np.unique(sources.component[sources.on_network])
    return targets.on_network & np.isin(targets.component, components)


def _flatten(lists: Sequence[list[int]]) -> tuple[IntArray, IntArray]:
    lengths = np.fromiter((len(x) for x in lists), dtype=np.intp, count=len(lists))
    col = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.intp, count=int(lengths.sum()))
    return np.repeat(np.arange(len(lists), dtype=np.intp), lengths), col


def _direct_pairs(
    split: TargetGraph, sources: Snapped, params: ReachParams
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return connected pairs closer to each other than to the road (``d <= c_s + c_t``).

    ``d <= c_s + c_t`` implies ``d <= 2 c_s`` or ``d <= 2 c_t``, so the pairs are found
    with two sets of small balls, one around each point, then checked exactly; for a few
    sources every target is checked.
    """
    targets = split.targets
    s_on = np.flatnonzero(sources.on_network)
    t_on = np.flatnonzero(targets.on_network)
    empty = np.empty(0, dtype=np.intp)
    if len(s_on) == 0 or len(t_on) == 0:
        return empty, empty.copy(), np.empty(0)
    if len(s_on) <= _FEW_SOURCES:
        # One moved unit: its distance to every target is cheaper than ball queries.
        s = np.repeat(s_on, len(t_on))
        t = np.tile(t_on, len(s_on))
    else:
        s, t = _direct_candidates(split, sources, s_on, t_on)
    keep = targets.on_network[t] & (sources.component[s] == targets.component[t])
    s, t = s[keep], t[keep]
    d_km = distance_m(sources.xy[s], targets.xy[t]) / 1000.0
    close = d_km <= sources.connector_km[s] + targets.connector_km[t]
    return s[close], t[close], d_km[close] / params.offroad_speed_kmh * 60.0


def _direct_candidates(
    split: TargetGraph, sources: Snapped, s_on: IntArray, t_on: IntArray
) -> tuple[IntArray, IntArray]:
    """Return pairs within twice the source's or the target's connector (a superset)."""
    targets = split.targets
    widen = 1000.0 * 2.0 * 1.03  # km to projected metres, with the scale factor's margin
    s_rows, t_cols = _flatten(
        split.tree.query_ball_point(sources.xy[s_on], r=sources.connector_km[s_on] * widen)
    )
    s_tree = cKDTree(sources.xy[s_on])
    t_rows, s_cols = _flatten(
        s_tree.query_ball_point(targets.xy[t_on], r=targets.connector_km[t_on] * widen)
    )
    # A pair found from both sides appears twice; callers keep the fastest of duplicates.
    s = np.concatenate([s_on[s_rows], s_on[s_cols]]).astype(np.intp)
    t = np.concatenate([t_cols, t_on[t_rows]]).astype(np.intp)
    return s, t


def _network_nearest(
    split: TargetGraph, sources: Snapped, limit: float, params: ReachParams
) -> tuple[FloatArray, IntArray]:
    """Minutes and source of the nearest source on the network for every target."""
    targets = split.targets
    minutes = np.full(len(targets), np.inf)
    source = np.full(len(targets), -1, dtype=np.intp)
    s_on = np.flatnonzero(sources.on_network)
    t_on = np.flatnonzero(targets.on_network)
    if len(s_on) == 0 or len(t_on) == 0:
        return minutes, source
    graph, nodes = _with_sources(split, sources, params)
    dist, _, origin = dijkstra(
        graph,
        directed=True,
        indices=nodes,
        min_only=True,
        limit=limit,
        return_predecessors=True,
    )
    t_nodes = split.node[t_on]
    total = dist[t_nodes] + targets.connector_km[t_on] / params.offroad_speed_kmh * 60.0
    reached = np.isfinite(total)
    minutes[t_on[reached]] = total[reached]
    source[t_on[reached]] = s_on[origin[t_nodes[reached]] - split.n_nodes]
    return minutes, source


def _straight_nearest(
    targets: Snapped, sources: Snapped, speeds: FloatArray, params: ReachParams
) -> tuple[FloatArray, IntArray]:
    """Minutes and source of the nearest source *not connected* to each target, straight."""
    minutes = np.full(len(targets), np.inf)
    source = np.full(len(targets), -1, dtype=np.intp)
    t_group = np.where(targets.on_network, targets.component, -1)
    s_group = np.where(sources.on_network, sources.component, -2)

    def offer(rows: IntArray, candidates: IntArray, speed: float) -> None:
        if len(rows) == 0 or len(candidates) == 0:
            return
        d_m, index = nearest(targets.xy[rows], sources.xy[candidates])
        time = d_m / 1000.0 * params.circuity / speed * 60.0
        better = time < minutes[rows]
        minutes[rows[better]] = time[better]
        source[rows[better]] = candidates[index[better]]

    for speed in np.unique(speeds):
        same_speed = np.flatnonzero(speeds == speed)
        groups = s_group[same_speed]
        plain = ~np.isin(t_group, groups)
        offer(np.flatnonzero(plain), same_speed, float(speed))
        for group in np.unique(t_group[~plain]):
            offer(np.flatnonzero(t_group == group), same_speed[groups != group], float(speed))
    return minutes, source


def nearest_travel_time(
    network: RoadNetwork,
    sources: Snapped,
    targets: Snapped | TargetGraph,
    *,
    limit_min: float | None = None,
    straight_speed_kmh: float | ArrayLike = 40.0,
    params: ReachParams = ReachParams(),
) -> NearestTimes:
    """Find every target's nearest source in travel time (see the module docstring).

    Parameters
    ----------
    network
        The road graph.
    sources, targets
        Points from :func:`snap_points` (units; centres). ``targets`` may be prepared
        once with :func:`prepare_targets`.
    limit_min
        Ignore sources farther than this many minutes; ``None`` for no limit.
    straight_speed_kmh
        Each source's speed in the straight-line model (one number or one per source).
    params
        Off-road speed and circuity (the cut-off was applied by :func:`snap_points`).

    Returns
    -------
    NearestTimes
        Minutes, nearest source and reach model per target.
    """
    split = _as_target_graph(network, targets)
    tg = split.targets
    limit = _limit(limit_min)
    speeds = _speeds(len(sources), straight_speed_kmh)
    minutes, source = _network_nearest(split, sources, limit, params)
    network_model = source >= 0
    s, t, direct = _direct_pairs(split, sources, params)
    order = np.lexsort((direct, t))
    first = np.ones(len(order), dtype=bool)
    first[1:] = t[order][1:] != t[order][:-1]
    best = order[first]
    better = direct[best] < minutes[t[best]]
    minutes[t[best][better]] = direct[best][better]
    source[t[best][better]] = s[best][better]
    network_model[t[best][better]] = True
    straight, straight_source = _straight_nearest(tg, sources, speeds, params)
    better = straight < minutes
    minutes[better] = straight[better]
    source[better] = straight_source[better]
    network_model[better] = False
    beyond = minutes > limit
    minutes[beyond] = np.inf
    source[beyond] = -1
    network_model = np.where(source >= 0, network_model, _has_connected_source(tg, sources))
    return NearestTimes(minutes, source, network_model, tg.connector_km, limit_min)


def _pairs(
    split: TargetGraph,
    sources: Snapped,
    speeds: FloatArray,
    limit: float,
    params: ReachParams,
) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
    """Return every pair within ``limit`` minutes, sorted by source then target."""
    targets = split.targets
    parts_s: list[IntArray] = []
    parts_t: list[IntArray] = []
    parts_w: list[FloatArray] = []
    s_on = np.flatnonzero(sources.on_network)
    t_on = np.flatnonzero(targets.on_network)
    t_nodes = split.node[t_on]
    t_minutes = targets.connector_km[t_on] / params.offroad_speed_kmh * 60.0
    if 0 < len(s_on) <= _FEW_SOURCES and len(t_on):
        # A moved unit: search from the one or two nodes its arcs enter, on the prepared
        # graph as it is, instead of copying the graph to add the unit's node.
        i, j, w, _ = _source_arcs(split, sources, split.n_nodes, params)
        entries, row_of = np.unique(j, return_inverse=True)
        dist = dijkstra(split.graph, directed=True, indices=entries, limit=limit)
        for k, source in enumerate(s_on):
            mine = i == split.n_nodes + k
            total = (dist[row_of[mine]][:, t_nodes] + w[mine][:, None]).min(axis=0) + t_minutes
            (col,) = np.nonzero(total <= limit)
            parts_s.append(np.full(len(col), source, dtype=np.intp))
            parts_t.append(t_on[col])
            parts_w.append(total[col])
    elif len(s_on) and len(t_on):
        graph, nodes = _with_sources(split, sources, params)
        for start in range(0, len(nodes), _BLOCK_SOURCES):
            block = slice(start, start + _BLOCK_SOURCES)
            dist = dijkstra(graph, directed=True, indices=nodes[block], limit=limit)
            total = dist[:, t_nodes] + t_minutes
            row, col = np.nonzero(total <= limit)
            parts_s.append(s_on[block][row])
            parts_t.append(t_on[col])
            parts_w.append(total[row, col])
    s, t, direct = _direct_pairs(split, sources, params)
    keep = direct <= limit
    parts_s.append(s[keep])
    parts_t.append(t[keep])
    parts_w.append(direct[keep])
    net_s = np.concatenate(parts_s) if parts_s else np.empty(0, dtype=np.intp)
    net_t = np.concatenate(parts_t) if parts_t else np.empty(0, dtype=np.intp)
    net_w = np.concatenate(parts_w) if parts_w else np.empty(0)
    order = np.lexsort((net_w, net_t, net_s))
    net_s, net_t, net_w = net_s[order], net_t[order], net_w[order]
    first = np.ones(len(net_s), dtype=bool)
    first[1:] = (net_s[1:] != net_s[:-1]) | (net_t[1:] != net_t[:-1])
    net_s, net_t, net_w = net_s[first], net_t[first], net_w[first]
    if np.isfinite(limit) and len(sources) and len(targets):
        radius_m = limit / 60.0 * float(speeds.max()) / params.circuity * 1000.0
        # The prepared KD-tree of the targets, with the scale factor's margin; exact below.
        i, j = _flatten(split.tree.query_ball_point(sources.xy, r=radius_m * 1.03))
        d_m = distance_m(sources.xy[i], targets.xy[j])
        connected = (
            sources.on_network[i]
            & targets.on_network[j]
            & (sources.component[i] == targets.component[j])
        )
        time = d_m / 1000.0 * params.circuity / speeds[i] * 60.0
        keep = ~connected & (time <= limit)
        st_s, st_t, st_w = i[keep], j[keep], time[keep]
    else:
        st_s, st_t, st_w = np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0)
    s = np.concatenate([net_s, st_s]).astype(np.intp)
    t = np.concatenate([net_t, st_t]).astype(np.intp)
    w = np.concatenate([net_w, st_w])
    is_network = np.concatenate([np.ones(len(net_s), bool), np.zeros(len(st_s), bool)])
    order = np.lexsort((t, s))
    return s[order], t[order], w[order], is_network[order]


def travel_times_within(
    network: RoadNetwork,
    sources: Snapped,
    targets: Snapped | TargetGraph,
    *,
    limit_min: float,
    straight_speed_kmh: float | ArrayLike = 40.0,
    params: ReachParams = ReachParams(),
) -> TravelTimes:
    """Return every source–target pair within ``limit_min`` minutes (a sparse matrix).

    This is the optimiser's coverage matrix: candidate sites (sources) × demand points
    (targets). Times follow the module docstring, pair by pair.

    Parameters
    ----------
    network
        The road graph.
    sources, targets
        Points from :func:`snap_points`; ``targets`` may come from :func:`prepare_targets`.
    limit_min
        The time limit, minutes (finite).
    straight_speed_kmh
        Each source's speed in the straight-line model (one number or one per source).
    params
        Off-road speed and circuity.

    Returns
    -------
    TravelTimes
        The pairs, sorted by source then target; :meth:`TravelTimes.coverage` gives the
        boolean demand × site matrix.
    """
    limit = _limit(limit_min)
    if not math.isfinite(limit):
        raise InputError("travel_times_within needs a finite time limit in minutes")
    split = _as_target_graph(network, targets)
    speeds = _speeds(len(sources), straight_speed_kmh)
    s, t, w, is_network = _pairs(split, sources, speeds, limit, params)
    return TravelTimes(
        source=s,
        target=t,
        minutes=w,
        network=is_network,
        n_sources=len(sources),
        n_targets=len(split.targets),
        limit_min=limit,
        sources=sources,
        targets=split,
        straight_speed_kmh=speeds,
        params=params,
    )


def nearest_sources(
    network: RoadNetwork,
    sources: Snapped,
    target: Snapped,
    *,
    count: int = 5,
    straight_speed_kmh: float | ArrayLike = 40.0,
    params: ReachParams = ReachParams(),
) -> pd.DataFrame:
    """Return the ``count`` sources nearest one target in travel time, nearest first.

    Exact without timing every source: no pair is faster than its straight-line distance
    at the highest speed of the model (the fastest road, the off-road speed, a source's
    straight-line speed ÷ circuity), so sources are timed in order of straight-line
    distance until none left can beat the ``count``-th time found (a centre's details:
    its nearest units).

    Parameters
    ----------
    network
        The road graph.
    sources
        Points from :func:`snap_points` (units).
    target
        One point from :func:`snap_points` (a centre).
    count
        How many sources to return (fewer when there are fewer).
    straight_speed_kmh, params
        As for :func:`nearest_travel_time`.

    Returns
    -------
    pandas.DataFrame
        ``source`` (row of ``sources``), ``minutes`` and ``reach_model`` (``network`` |
        ``straight``), nearest first (ties by row).
    """
    if len(target) != 1:
        raise InputError(f"nearest_sources times one target, got {len(target)}")
    speeds = _speeds(len(sources), straight_speed_kmh)
    empty = pd.DataFrame(
        {
            "source": np.zeros(0, dtype=np.intp),
            "minutes": np.zeros(0),
            "reach_model": np.zeros(0, dtype=object),
        }
    )
    if not len(sources) or count <= 0:
        return empty
    km = distance_m(target.xy, sources.xy) / 1000.0
    road_max = float(network.line_speed_kmh.max()) if network.n_lines else 0.0
    fastest = max(road_max, params.offroad_speed_kmh, float((speeds / params.circuity).max()))
    bound = km / fastest * 60.0 * (1.0 - 1e-6)
    order = np.argsort(km, kind="stable")
    split = prepare_targets(network, target)
    timed = np.zeros(0, dtype=np.intp)
    minutes = np.zeros(0)
    model = np.zeros(0, dtype=bool)
    take = min(len(order), max(4 * count, 16))
    while True:
        fresh = order[len(timed) : take]
        times = travel_times_within(
            network,
            sources.take(fresh),
            split,
            limit_min=1e12,
            straight_speed_kmh=speeds[fresh],
            params=params,
        )
        each = np.full(len(fresh), np.inf)
        each_model = np.zeros(len(fresh), dtype=bool)
        each[times.source] = times.minutes
        each_model[times.source] = times.network
        timed = np.concatenate([timed, fresh])
        minutes = np.concatenate([minutes, each])
        model = np.concatenate([model, each_model])
        kth = np.sort(minutes)[min(count, len(minutes)) - 1]
        if take >= len(order) or bound[order[take]] > kth:
            break
        take = min(len(order), max(take * 2, int(np.searchsorted(bound[order], kth, "right"))))
    best = np.lexsort((timed, minutes))[:count]
    return pd.DataFrame(
        {
            "source": timed[best],
            "minutes": minutes[best],
            "reach_model": np.where(model[best], REACH_MODELS[0], REACH_MODELS[1]).astype(object),
        }
    )


def update_travel_times(
    times: TravelTimes,
    index: int,
    point: Snapped,
    *,
    straight_speed_kmh: float | None = None,
) -> TravelTimes:
    """Return ``times`` with source ``index`` moved to ``point`` (one row recomputed).

    Parameters
    ----------
    times
        From :func:`travel_times_within`.
    index
        Row of the source that moved.
    point
        Its new position, one point from :func:`snap_points` on the same network.
    straight_speed_kmh
        Its new straight-line speed; ``None`` keeps the old one.
    """
    sources = times.sources.replace(index, point)
    speeds = times.straight_speed_kmh.copy()
    if straight_speed_kmh is not None:
        speeds[index] = _speeds(1, straight_speed_kmh)[0]
    s, t, w, is_network = _pairs(
        times.targets, point, speeds[index : index + 1], times.limit_min, times.params
    )
    start = int(np.searchsorted(times.source, index, side="left"))
    stop = int(np.searchsorted(times.source, index, side="right"))

    def splice(old: NDArray, new: NDArray) -> NDArray:
        return np.concatenate([old[:start], new, old[stop:]])

    return TravelTimes(
        source=splice(times.source, np.full(len(s), index, dtype=np.intp)),
        target=splice(times.target, t),
        minutes=splice(times.minutes, w),
        network=splice(times.network, is_network),
        n_sources=times.n_sources,
        n_targets=times.n_targets,
        limit_min=times.limit_min,
        sources=sources,
        targets=times.targets,
        straight_speed_kmh=speeds,
        params=times.params,
    )


# -- reach areas -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReachArea:
    """The area one unit reaches within a time, for the map.

    Attributes
    ----------
    geometry
        Polygon or MultiPolygon in EPSG:4326: the reachable parts of the roads (and the
        connector) widened by ``buffer_m`` on the network model; a circle of radius
        ``minutes × speed / circuity`` on the straight-line model.
    model
        ``"network"`` or ``"straight"``.
    minutes
        The time allowed.
    connector_km
        The unit's distance to its road.
    road_km
        Length of road reached, km (0 on the straight-line model).
    """

    geometry: shapely.Geometry
    model: ReachModel
    minutes: float
    connector_km: float
    road_km: float


def _substrings(
    lines: ProjectedLines, part: IntArray, start_m: FloatArray, end_m: FloatArray
) -> list[shapely.Geometry]:
    """Return the pieces of parts between two true distances from their starts."""
    pieces: list[shapely.Geometry] = []
    for p, a, b in zip(part, start_m, end_m, strict=True):
        first, stop = lines.first[p], lines.first[p + 1]
        along = lines.along_m[first:stop]
        xy = lines.xy[first:stop]
        inner = (along > a) & (along < b)
        ends = np.column_stack(
            [np.interp([a, b], along, xy[:, 0]), np.interp([a, b], along, xy[:, 1])]
        )
        coords = np.vstack([ends[:1], xy[inner], ends[1:]])
        if len(coords) >= 2 and b > a:
            pieces.append(shapely.linestrings(coords))
    return pieces


def reach_area(
    network: RoadNetwork,
    lon: float,
    lat: float,
    *,
    minutes: float,
    straight_speed_kmh: float = 40.0,
    params: ReachParams = ReachParams(),
    buffer_m: float = 300.0,
) -> ReachArea:
    """Return the area a unit at (lon, lat) reaches within ``minutes``.

    On the network, every road part the unit reaches in time is kept as far as it gets
    (a line entered at ``u`` with ``r`` minutes left is covered for ``r / t_uv`` of its
    length; a two-way line likewise from ``v``), plus the unit's own line both ways from
    where it joins and its connector; the pieces are widened by ``buffer_m`` and merged.
    A unit off the network gets the straight-line model's circle.

    Parameters
    ----------
    network
        The road graph.
    lon, lat
        The unit's position, degrees.
    minutes
        The time allowed.
    straight_speed_kmh
        The unit's speed in the straight-line model.
    params
        Off-road speed, cut-off and circuity.
    buffer_m
        Half-width of the drawn corridor along reached roads, metres.
    """
    limit = _limit(minutes)
    _require_positive(
        "reach area", {"straight_speed_kmh": straight_speed_kmh, "buffer_m": buffer_m}
    )
    point = snap_points(network, [lon], [lat], params=params)
    connector_km = float(point.connector_km[0])
    if not point.on_network[0]:
        radius_m = limit / 60.0 * straight_speed_kmh / params.circuity * 1000.0
        circle = shapely.buffer(shapely.points(point.xy[0]), radius_m, quad_segs=32)
        return ReachArea(to_lonlat(circle), "straight", limit, connector_km, 0.0)
    split = prepare_targets(network, point.take(np.zeros(0, dtype=np.intp)))
    graph, nodes = _with_sources(split, point, params)
    dist = dijkstra(graph, directed=True, indices=nodes[0], limit=limit)[: network.n_nodes]
    length = network.lines.length_m
    per_m = _minutes_per_m(network, np.arange(network.n_lines))
    safe = np.where(per_m > 0, per_m, 1.0)
    left_u = limit - dist[network.line_u]
    left_v = limit - dist[network.line_v]
    from_u = np.where(left_u > 0, np.where(per_m > 0, left_u / safe, np.inf), 0.0)
    from_v = np.where(left_v > 0, np.where(per_m > 0, left_v / safe, np.inf), 0.0)
    from_u = np.minimum(from_u, length)
    from_v = np.where(network.line_oneway, 0.0, np.minimum(from_v, length))
    part = [np.flatnonzero(from_u > 0), np.flatnonzero(from_v > 0)]
    start = [np.zeros(len(part[0])), length[part[1]] - from_v[part[1]]]
    end = [from_u[part[0]], length[part[1]]]
    own = int(point.line[0])
    left = limit - connector_km / params.offroad_speed_kmh * 60.0
    if left > 0:
        along = float(point.offset_m[0])
        run_m = left / per_m[own] if per_m[own] > 0 else float(length[own])
        part.append(np.array([own]))
        start.append(np.array([along]))
        end.append(np.array([min(float(length[own]), along + run_m)]))
        if not network.line_oneway[own]:
            part.append(np.array([own]))
            start.append(np.array([max(0.0, along - run_m)]))
            end.append(np.array([along]))
    parts, starts, ends = np.concatenate(part), np.concatenate(start), np.concatenate(end)
    full = (starts <= 0) & (ends >= length[parts])
    pieces = list(network.lines.parts[np.unique(parts[full])])
    pieces += _substrings(network.lines, parts[~full], starts[~full], ends[~full])
    if connector_km > 0:
        pieces.append(shapely.linestrings(np.vstack([point.xy[0], point.road_xy[0]])))
    covered = np.minimum(from_u + from_v, length)
    own_pieces = sorted(zip(starts[parts == own], ends[parts == own], strict=True))
    covered[own] = _union_length(own_pieces)
    if not pieces:
        pieces = [shapely.points(point.xy[0])]
    # Buffering each piece and merging the polygons is ~100x faster than buffering the
    # multi-line (GEOS nodes thousands of lines first).
    simple = shapely.simplify(np.asarray(pieces, dtype=object), buffer_m / 5.0)
    area = shapely.union_all(shapely.buffer(simple, buffer_m, quad_segs=4))
    return ReachArea(to_lonlat(area), "network", limit, connector_km, float(covered.sum() / 1000))


def _union_length(intervals: list[tuple[float, float]]) -> float:
    """Total length of a union of intervals sorted by start."""
    total, reach = 0.0, -np.inf
    for start, end in intervals:
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


#: Built graphs by (road-layer version, speeds, snap tolerance); see :func:`cached_network`.
_NETWORKS: dict[tuple[object, RoadSpeeds, float], RoadNetwork] = {}
#: At most this many graphs are kept (a few versions of one workspace's road layer).
_MAX_CACHED = 4


def cached_network(
    roads: pd.DataFrame,
    version: object,
    *,
    speeds: RoadSpeeds = RoadSpeeds(),
    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
) -> RoadNetwork:
    """Return :func:`build_network` of ``roads``, built once per ``version`` in this process.

    Parameters
    ----------
    roads
        The ``roads`` layer.
    version
        What identifies this content of the layer (the store's layer version, e.g. its
        modification stamp); ``None`` builds without caching.
    speeds, snap_tolerance_m
        As for :func:`build_network` (part of the cache key).

    Returns
    -------
    RoadNetwork
        The graph; the same object for the same key (it is read-only).
    """
    if version is None:
        return build_network(roads, speeds=speeds, snap_tolerance_m=snap_tolerance_m)
    key = (version, speeds, float(snap_tolerance_m))
    network = _NETWORKS.get(key)
    if network is None:
        network = build_network(roads, speeds=speeds, snap_tolerance_m=snap_tolerance_m)
        while len(_NETWORKS) >= _MAX_CACHED:
            _NETWORKS.pop(next(iter(_NETWORKS)))
        _NETWORKS[key] = network
    return network


def read_speeds(data: bytes, *, file_name: str = "speeds.csv") -> RoadSpeeds:
    """Read road speeds from a CSV file with the columns ``highway`` and ``kmh``.

    ``highway`` is one of OSM's main classes (``motorway`` ... ``tertiary``) or ``other``
    (every other class); classes not listed keep their default speed (:class:`RoadSpeeds`).

    Parameters
    ----------
    data
        The file's bytes (UTF-8, a BOM is allowed).
    file_name
        Named in error messages.

    Returns
    -------
    RoadSpeeds
        The defaults with the file's speeds.

    Raises
    ------
    InputError
        Naming the file, row (1 = the first data row) and column of every problem.
    """
    import csv
    import io

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{file_name}: not UTF-8 text ({exc}); save it as UTF-8 CSV") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in ("highway", "kmh") if name not in header]
    if missing:
        raise InputError(
            f"{file_name}: lacks column(s) {', '.join(missing)}; the header must be highway,kmh"
        )
    known = (*MAIN_CLASSES, "other")
    values: dict[str, float] = {}
    problems: list[str] = []
    for row_number, raw in enumerate(reader, start=1):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        highway = row.get("highway", "").lower()
        if highway not in known:
            problems.append(
                f"row {row_number}, column highway: {highway!r} is not one of {', '.join(known)}"
            )
            continue
        try:
            kmh = float(row.get("kmh", ""))
        except ValueError:
            kmh = math.nan
        if not math.isfinite(kmh) or kmh <= 0:
            problems.append(
                f"row {row_number}, column kmh: {row.get('kmh', '')!r} is not a positive speed"
            )
            continue
        if highway in values:
            problems.append(f"row {row_number}, column highway: {highway} is given twice")
            continue
        values[highway] = kmh
    if problems:
        raise InputError(f"{file_name}: " + "; ".join(problems))
    return RoadSpeeds(**{f"{name}_kmh": kmh for name, kmh in values.items()})
