"""Coverage of election day's live state, updated incrementally after each event.

:class:`LiveCoverage` answers what the operations room asks after an event: the coverage
now (:meth:`LiveCoverage.at`, equal to ``analyse_coverage(**live_layers(...))``), the
centres that lost their cover since the morning (:meth:`LiveCoverage.lost_cover`), the
nearest available units to an incident (:meth:`LiveCoverage.dispatch_options`) and what a
unit's leaving would uncover (:meth:`LiveCoverage.without_unit`).

Covered
-------
A centre is **covered** when its coverage status (:mod:`geo.coverage`) is not ``gap``:
it is guarded, or reachable, or both. It **loses cover** when it was covered in the
morning (the base layers, before any event) and is a ``gap`` now. A centre that is not
open now (suspended, closed) is not listed: it has no voters to protect, and the board
lists it among the centres not open. A centre going from ``full`` to ``guard_only`` keeps
its cover (its guard) and is not listed either.

What is incremental
-------------------
On the road network (a ``roads`` layer and ``reach`` ``auto`` or ``network``) the costly
part of the analysis is the travel time of every unit to every centre. It is computed
once, for every patrol and rapid-response unit at its base and every centre of the layer
(closed ones too) at its place, up to each type's largest limit, and kept as pairs. After
an event only what changed is recomputed: a dispatched unit drops its pairs (it is busy
and covers nothing), a returning one gets them back, a relocated centre gets its pairs
recomputed from the units that can reach its new place, and a centre whose nearest unit
within the limit is away gets its nearest unit searched beyond the limit. Everything
else of the table (guards, staffing, risk, access) is computed by the code of
:func:`geo.coverage.analyse_coverage` itself on the live layers, which is fast; so every
result equals the full recomputation (a property test checks it on random days).

In straight lines the whole analysis takes a few hundredths of a second nationally and
is simply rerun on the live layers.

Unit ids are returned (``why``, ``unit_id``, ``uncovered_ids`` name units or centres):
show unit ids and positions only to viewers with ``see_unit_positions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geo.coverage import (
    CoverageParams,
    CoverageResult,
    _analyse_coverage,
    _lonlat,
    guard_links,
)
from geo.distance import distance_m, pairs_within, points_xy, project_lonlat
from geo.errors import InputError
from geo.livestate import LiveState, live_layers
from geo.network import (
    ReachParams,
    RoadNetwork,
    Snapped,
    cached_network,
    nearest_travel_time,
    prepare_targets,
    snap_points,
    travel_times_within,
)
from geo.risk import RiskWeights

if TYPE_CHECKING:
    from geo.workspace import Workspace

__all__ = ["LOST_COLUMNS", "OPTION_COLUMNS", "LiveCoverage"]

#: Columns of :meth:`LiveCoverage.lost_cover` and :meth:`LiveCoverage.without_unit`.
LOST_COLUMNS = ("centre_id", "name", "municipality_pcode", "was", "now", "why")
#: Columns of :meth:`LiveCoverage.dispatch_options`.
OPTION_COLUMNS = (
    "unit_id",
    "unit_type",
    "distance_km",
    "travel_min",
    "basis",
    "uncovers",
    "uncovered_ids",
)
#: Unit types that respond to incidents (static guards and checkpoints hold their posts).
RESPONDERS = ("patrol", "rapid_response")
#: Margin on the straight-line lower bound of a travel time (projection and scale errors).
_BOUND_MARGIN = 1.1

IntArray = NDArray[np.intp]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class _KindPairs:
    """The cached travel times of one responder type (patrol or rapid response).

    ``units`` are rows of the base units layer; ``source`` indexes them; ``target`` are
    rows of the base centres layer. Pairs are sorted by target, then minutes, network
    model first, so that the first available pair of a target is its nearest unit.
    """

    name: str
    units: IntArray
    sources: Snapped
    limits: FloatArray
    limit: float
    speed: float
    source: IntArray
    target: IntArray
    minutes: FloatArray
    network: BoolArray
    within: BoolArray


@dataclass(frozen=True, eq=False)
class _RoadCache:
    network: RoadNetwork
    reach: ReachParams
    targets: Snapped
    kinds: tuple[_KindPairs, _KindPairs]
    vmax_kmh: float
    #: Per kind: base centre row → (minutes, network model, base unit row) of its nearest
    #: unit found beyond the limit with every unit at its base.
    far: tuple[dict[int, tuple[float, bool, int]], dict[int, tuple[float, bool, int]]]


@dataclass(eq=False)
class _Snapshot:
    """One analysis, its live layers, and who covers what (made when first asked)."""

    result: CoverageResult
    centres: pd.DataFrame
    units: pd.DataFrame
    reach_links: tuple[IntArray, IntArray] | None
    links: pd.DataFrame | None = None


class LiveCoverage:
    """Coverage of the live state, updated incrementally after events.

    Parameters
    ----------
    layers
        The workspace's base layers by name: ``centres``, ``units`` (required),
        ``incidents``, ``access_audits``, ``municipalities`` (optional).
    params, weights, as_of
        As for :func:`geo.coverage.analyse_coverage`.
    roads, roads_version
        The ``roads`` layer and its store version (the graph is built once per version).
    """

    def __init__(
        self,
        layers: Mapping[str, pd.DataFrame],
        *,
        params: CoverageParams = CoverageParams(),
        weights: RiskWeights = RiskWeights(),  # noqa: B008 - frozen, never mutated
        as_of: pd.Timestamp | str | None = None,
        roads: pd.DataFrame | None = None,
        roads_version: object = None,
    ) -> None:
        for name in ("centres", "units"):
            if layers.get(name) is None:
                raise InputError(
                    f"live coverage needs the '{name}' layer; import it on the Data page "
                    "or run python -m geo demo"
                )
        self.centres = layers["centres"]
        self.units = layers["units"]
        self.incidents = layers.get("incidents")
        self.audits = layers.get("access_audits")
        self.municipalities = layers.get("municipalities")
        self.params = params
        self.weights = weights
        self.as_of = as_of
        self.roads = roads
        self.roads_version = roads_version
        has_roads = roads is not None and len(roads) > 0
        self.on_roads = params.reach == "network" or (params.reach == "auto" and has_roads)
        self._centre_ids = self.centres["centre_id"].astype("str").to_numpy()
        self._centre_row = pd.Series(np.arange(len(self.centres)), index=self._centre_ids)
        self._centre_lon, self._centre_lat = _lonlat(self.centres)
        self._unit_ids = self.units["unit_id"].astype("str").to_numpy()
        self._unit_row = pd.Series(np.arange(len(self.units)), index=self._unit_ids)
        self._unit_type = self.units["unit_type"].astype("str").to_numpy()
        self._roads: _RoadCache | None = None
        self._morning: _Snapshot | None = None
        self._last: tuple[LiveState, _Snapshot] | None = None

    # -- public ----------------------------------------------------------------------

    @classmethod
    def of_workspace(
        cls,
        workspace: Workspace,
        *,
        params: CoverageParams = CoverageParams(),
        weights: RiskWeights = RiskWeights(),  # noqa: B008 - frozen, never mutated
        as_of: pd.Timestamp | str | None = None,
    ) -> LiveCoverage:
        """Return the engine of a workspace's base layers, on its roads when it has them."""
        roads, roads_version = workspace.roads()
        return cls(
            workspace.layers,
            params=params,
            weights=weights,
            as_of=as_of,
            roads=roads,
            roads_version=roads_version,
        )

    def morning(self) -> CoverageResult:
        """Return the coverage of the base layers (the plan, before any event)."""
        return self._morning_snapshot().result

    def at(self, state: LiveState) -> CoverageResult:
        """Return the coverage with the live state (:func:`geo.livestate.live_layers`)."""
        return self._snapshot(state).result

    def lost_cover(self, state: LiveState) -> pd.DataFrame:
        """Return the centres covered in the morning and not covered now (:data:`LOST_COLUMNS`).

        ``was`` and ``now`` are coverage statuses; ``why`` names the dispatched units that
        covered the centre in the morning (``unit U dispatched``) and ``centre relocated``,
        joined by ``; ``. Sorted by ``centre_id``.
        """
        morning, now = self._morning_snapshot(), self._snapshot(state)
        was = _statuses(morning.result)
        status = _statuses(now.result)
        lost = sorted(c for c, s in status.items() if s == "gap" and was.get(c, "gap") != "gap")
        units = state.units.set_index(state.units["unit_id"].astype("str"))
        away = set(units.index[~units["available"].astype(bool)])
        live = state.centres.set_index(state.centres["centre_id"].astype("str"))
        links = self._links(morning)
        links = links[links["centre_id"].isin(lost)]
        covering = {c: sorted(set(u)) for c, u in links.groupby("centre_id")["unit_id"]}
        rows = []
        for cid in lost:
            why = [f"unit {u} dispatched" for u in covering.get(cid, []) if u in away]
            if bool(live.loc[cid, "relocated"]):
                why.append("centre relocated")
            if not why:
                why = [f"unit {u} no longer covers it" for u in covering.get(cid, [])]
            rows.append((cid, was[cid], "gap", "; ".join(why)))
        return self._lost_frame(rows)

    def without_unit(self, state: LiveState, unit_id: str) -> pd.DataFrame:
        """Return the centres that would lose cover if ``unit_id`` left now (:data:`LOST_COLUMNS`).

        Those covered now by that unit alone; empty when the unit is already away.

        Raises
        ------
        InputError
            When the unit is not in the units layer.
        """
        uid = str(unit_id)
        if uid not in self._unit_row.index:
            raise InputError(f"unit {uid} is not in the units layer; check the id")
        now = self._snapshot(state)
        lost = _alone(self._links(now), uid, _statuses(now.result))
        status = _statuses(now.result)
        return self._lost_frame([(c, status[c], "gap", f"unit {uid} away") for c in lost])

    def dispatch_options(self, state: LiveState, incident_id: str, *, k: int = 5) -> pd.DataFrame:
        """Return the ``k`` nearest available responders to an incident (:data:`OPTION_COLUMNS`).

        Patrols and rapid-response units that are available now, by travel time to the
        incident's place: on the road network when the analysis runs on roads and the
        network joins the pair (``basis`` ``roads``), else the straight line × circuity
        at the unit type's speed (``straight line``), as :mod:`geo.coverage` measures
        response times. ``distance_km`` is the straight-line distance. ``uncovers`` counts
        the centres that would lose cover while the unit is away (:meth:`without_unit`),
        ``uncovered_ids`` names them. Sorted by ``travel_min``, then ``unit_id``.

        Raises
        ------
        InputError
            When the incident is not reported today or units cannot be sent to it.
        """
        incidents = state.incidents.set_index(state.incidents["incident_id"].astype("str"))
        iid = str(incident_id)
        if iid not in incidents.index:
            raise InputError(f"incident {iid} is not reported today; check the id")
        incident = incidents.loc[iid]
        if incident["state"] not in ("reported", "verified", "escalated"):
            raise InputError(
                f"incident {iid} is {incident['state']}: units are dispatched only to a "
                "reported, verified or escalated incident"
            )
        available = set(state.units.loc[state.units["available"].astype(bool), "unit_id"])
        rows = np.flatnonzero(
            np.isin(self._unit_type, RESPONDERS) & np.isin(self._unit_ids, list(available))
        )
        if k < 1:
            rows = rows[:0]
        lon, lat = float(str(incident["lon"])), float(str(incident["lat"]))
        minutes, basis, d_km = self._times_to(rows, lon, lat, max(k, 1))
        table = pd.DataFrame(
            {
                "unit_id": self._unit_ids[rows],
                "unit_type": self._unit_type[rows],
                "distance_km": d_km,
                "travel_min": minutes,
                "basis": basis,
            }
        )
        table = table.sort_values(["travel_min", "unit_id"], kind="stable").head(max(k, 0))
        now = self._snapshot(state)
        status = _statuses(now.result)
        links = self._links(now)
        lost = [_alone(links, u, status) for u in table["unit_id"]]
        table["uncovers"] = np.array([len(x) for x in lost], dtype=np.int64)
        table["uncovered_ids"] = [",".join(x) for x in lost]
        return table.reset_index(drop=True)[list(OPTION_COLUMNS)]

    # -- snapshots -------------------------------------------------------------------

    def _morning_snapshot(self) -> _Snapshot:
        if self._morning is None:
            layers = {"centres": self.centres, "units": self.units, "incidents": self.incidents}
            self._morning = self._analyse(layers)
        return self._morning

    def _snapshot(self, state: LiveState) -> _Snapshot:
        if self._last is not None and self._last[0] is state:
            return self._last[1]
        layers = live_layers(state, self.centres, self.units, self.incidents)
        snapshot = self._analyse(layers)
        self._last = (state, snapshot)
        return snapshot

    def _analyse(self, layers: Mapping[str, pd.DataFrame | None]) -> _Snapshot:
        reach_links: list[tuple[IntArray, IntArray]] = []

        def network_reach(
            centres: pd.DataFrame,
            units: pd.DataFrame,
            patrol: BoolArray,
            rapid: BoolArray,
            params: CoverageParams,
            roads: pd.DataFrame,
            roads_version: object,
        ) -> tuple[BoolArray, FloatArray, FloatArray, BoolArray]:
            out = self._network_reach(centres, units, patrol, rapid)
            reach_links.append(out[4])
            return out[0], out[1], out[2], out[3]

        result = _analyse_coverage(
            layers["centres"],
            layers["units"],
            layers["incidents"],
            self.audits,
            self.municipalities,
            params=self.params,
            weights=self.weights,
            as_of=self.as_of,
            units_required=False,  # every unit away: every centre a gap, not an error
            roads=self.roads,
            roads_version=self.roads_version,
            network_reach=network_reach,
        )
        centres, units = layers["centres"], layers["units"]
        assert centres is not None
        assert units is not None
        return _Snapshot(result, centres, units, reach_links[0] if reach_links else None)

    def _links(self, snapshot: _Snapshot) -> pd.DataFrame:
        """Return who covers what in ``snapshot``: (unit id, centre id), guard or reach."""
        if snapshot.links is not None:
            return snapshot.links
        analysed = _analysed(snapshot.centres, self.params)
        units = snapshot.units.reset_index(drop=True)
        ids = analysed["centre_id"].astype("str").to_numpy()
        centre_xy = points_xy(analysed, layer="centres")
        unit_xy = points_xy(units, layer="units")
        g_unit, g_centre = guard_links(ids, centre_xy, units, unit_xy, self.params)
        if snapshot.reach_links is not None:
            r_unit, r_centre = snapshot.reach_links
        else:
            r_unit, r_centre = self._straight_links(centre_xy, units, unit_xy)
        unit_ids = units["unit_id"].astype("str").to_numpy()
        snapshot.links = pd.DataFrame(
            {
                "unit_id": np.concatenate([unit_ids[g_unit], unit_ids[r_unit]]),
                "centre_id": np.concatenate([ids[g_centre], ids[r_centre]]),
            }
        ).drop_duplicates(ignore_index=True)
        return snapshot.links

    def _straight_links(
        self, centre_xy: FloatArray, units: pd.DataFrame, unit_xy: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """Return (unit row, centre row) of every responder reaching a centre in straight line."""
        params = self.params
        kind = units["unit_type"].astype("str").to_numpy()
        responder = np.flatnonzero(np.isin(kind, RESPONDERS))
        radius_km = np.where(
            kind[responder] == "patrol", params.patrol_radius_km, params.rapid_radius_km
        )
        if params.use_unit_radii and "response_radius_km" in units.columns:
            own = pd.to_numeric(units["response_radius_km"]).to_numpy(dtype=float, na_value=np.nan)[
                responder
            ]
            radius_km = np.where(np.isfinite(own), own, radius_km)
        radius_m = radius_km * 1000.0 / params.circuity
        if not len(responder):
            empty = np.empty(0, dtype=np.intp)
            return empty, empty
        i, j, d = pairs_within(centre_xy, unit_xy[responder], radius_m=float(radius_m.max()))
        keep = d <= radius_m[j]
        return responder[j[keep]].astype(np.intp), i[keep].astype(np.intp)

    # -- the road network ------------------------------------------------------------

    def _road_cache(self) -> _RoadCache:
        if self._roads is not None:
            return self._roads
        assert self.roads is not None
        params = self.params
        network = cached_network(self.roads, self.roads_version, speeds=params.road_speeds)
        reach = ReachParams(
            offroad_speed_kmh=params.reach_params.offroad_speed_kmh,
            max_connector_km=params.reach_params.max_connector_km,
            circuity=params.circuity,
        )
        targets = snap_points(network, self._centre_lon, self._centre_lat, params=reach)
        prepared = prepare_targets(network, targets)
        u_lon, u_lat = _lonlat(self.units)
        own = np.full(len(self.units), np.nan)
        if params.use_unit_radii and "response_radius_km" in self.units.columns:
            own = pd.to_numeric(self.units["response_radius_km"]).to_numpy(
                dtype=float, na_value=np.nan
            )
        kinds = []
        far: list[dict[int, tuple[float, bool, int]]] = []
        for name, minutes_limit, speed in (
            ("patrol", params.patrol_minutes, params.patrol_speed_kmh),
            ("rapid_response", params.rapid_minutes, params.rapid_speed_kmh),
        ):
            rows = np.flatnonzero(self._unit_type == name)
            sources = snap_points(network, u_lon[rows], u_lat[rows], params=reach)
            road_speed = np.where(
                sources.on_network, network.line_speed_kmh[np.maximum(sources.line, 0)], speed
            )
            limits = np.where(np.isfinite(own[rows]), own[rows] / road_speed * 60.0, minutes_limit)
            limit = float(limits.max()) if len(rows) else 0.0
            if len(rows):
                pairs = travel_times_within(
                    network,
                    sources,
                    prepared,
                    limit_min=limit,
                    straight_speed_kmh=speed,
                    params=reach,
                )
                s, t, w, net = pairs.source, pairs.target, pairs.minutes, pairs.network
            else:
                s = t = np.empty(0, dtype=np.intp)
                w, net = np.empty(0), np.empty(0, dtype=bool)
            order = np.lexsort((~net, w, t))
            s, t, w, net = s[order], t[order], w[order], net[order]
            kinds.append(
                _KindPairs(
                    name=name,
                    units=rows,
                    sources=sources,
                    limits=limits,
                    limit=limit,
                    speed=float(speed),
                    source=s,
                    target=t,
                    minutes=w,
                    network=net,
                    within=w <= limits[s],
                )
            )
            # Centres with no unit within the limit: their nearest, every unit at its base.
            lonely = np.setdiff1d(np.arange(len(self.centres)), t)
            found: dict[int, tuple[float, bool, int]] = {}
            if len(rows) and len(lonely):
                times = nearest_travel_time(
                    network,
                    sources,
                    targets.take(lonely),
                    straight_speed_kmh=speed,
                    params=reach,
                )
                for c, m, n, src in zip(
                    lonely, times.minutes, times.network, times.source, strict=True
                ):
                    found[int(c)] = (float(m), bool(n), int(rows[src]) if src >= 0 else -1)
            far.append(found)
        vmax = max(
            float(network.line_speed_kmh.max(initial=0.0)),
            reach.offroad_speed_kmh,
            params.patrol_speed_kmh / params.circuity,
            params.rapid_speed_kmh / params.circuity,
        )
        self._roads = _RoadCache(
            network=network,
            reach=reach,
            targets=targets,
            kinds=(kinds[0], kinds[1]),
            vmax_kmh=vmax,
            far=(far[0], far[1]),
        )
        return self._roads

    def _network_reach(
        self,
        centres: pd.DataFrame,
        units: pd.DataFrame,
        patrol: BoolArray,
        rapid: BoolArray,
    ) -> tuple[BoolArray, FloatArray, FloatArray, BoolArray, tuple[IntArray, IntArray]]:
        """:func:`geo.coverage._network_reach` from the cache; also the reach links.

        ``centres`` are the analysed centres, ``units`` the available ones (live layers).
        """
        cache = self._road_cache()
        n = len(centres)
        base = _rows(self._centre_row, centres["centre_id"], "centre")
        lon, lat = _lonlat(centres)
        moved = (lon != self._centre_lon[base]) | (lat != self._centre_lat[base])
        unit_rows = _rows(self._unit_row, units["unit_id"], "unit")
        still_here = set(unit_rows.tolist())
        position = np.full(len(self.centres), -1, dtype=np.intp)
        position[base[~moved]] = np.flatnonzero(~moved)
        moved_rows = np.flatnonzero(moved)
        moved_targets = (
            snap_points(cache.network, lon[moved_rows], lat[moved_rows], params=cache.reach)
            if len(moved_rows)
            else None
        )
        reachable = np.zeros(n, dtype=bool)
        on_network = np.zeros(n, dtype=bool)
        link_units: list[IntArray] = []
        link_centres: list[IntArray] = []
        out = []
        for k, (pairs, kind_mask) in enumerate(zip(cache.kinds, (patrol, rapid), strict=True)):
            if not kind_mask.any():
                out.append(np.full(n, np.nan))
                continue
            available = np.zeros(len(pairs.units), dtype=bool)
            available[np.searchsorted(pairs.units, unit_rows[kind_mask])] = True
            minutes = np.full(n, np.inf)
            network = np.zeros(n, dtype=bool)
            # Centres at their base place: the cached pairs of the available units.
            live = available[pairs.source] & (position[pairs.target] >= 0)
            s, t = pairs.source[live], position[pairs.target[live]]
            w, net, within = pairs.minutes[live], pairs.network[live], pairs.within[live]
            reachable[t[within]] = True
            link_units.append(pairs.units[s[within]])
            link_centres.append(t[within])
            first = np.ones(len(t), dtype=bool)
            first[1:] = t[1:] != t[:-1]
            minutes[t[first]] = w[first]
            network[t[first]] = net[first]
            # Relocated centres: pairs from the units that can reach the new place.
            if moved_targets is not None:
                m_s, m_t, m_w, m_net = self._pairs_to(
                    cache, pairs, available, moved_targets, pairs.limit
                )
                hit = m_w <= pairs.limits[m_s]
                reachable[moved_rows[m_t[hit]]] = True
                link_units.append(pairs.units[m_s[hit]])
                link_centres.append(moved_rows[m_t[hit]])
                order = np.lexsort((~m_net, m_w, m_t))
                m_t, m_w, m_net = m_t[order], m_w[order], m_net[order]
                first = np.ones(len(m_t), dtype=bool)
                first[1:] = m_t[1:] != m_t[:-1]
                minutes[moved_rows[m_t[first]]] = m_w[first]
                network[moved_rows[m_t[first]]] = m_net[first]
            # No available unit within the limit: search beyond it.
            beyond = np.flatnonzero(~np.isfinite(minutes))
            redo = []
            for row in beyond:
                known = cache.far[k].get(int(base[row])) if not moved[row] else None
                if known is not None and known[2] in still_here:
                    minutes[row], network[row] = known[0], known[1]
                else:
                    redo.append(row)
            if redo:
                redo_rows = np.asarray(redo, dtype=np.intp)
                sources = pairs.sources.take(np.flatnonzero(available))
                times = nearest_travel_time(
                    cache.network,
                    sources,
                    snap_points(cache.network, lon[redo_rows], lat[redo_rows], params=cache.reach),
                    straight_speed_kmh=pairs.speed,
                    params=cache.reach,
                )
                minutes[redo_rows] = times.minutes
                network[redo_rows] = times.network
            out.append(np.where(np.isfinite(minutes), minutes, np.nan))
            on_network |= network
        links = (
            np.concatenate(link_units).astype(np.intp) if link_units else np.empty(0, np.intp),
            np.concatenate(link_centres).astype(np.intp) if link_centres else np.empty(0, np.intp),
        )
        unit_position = np.full(len(self.units), -1, dtype=np.intp)
        unit_position[unit_rows] = np.arange(len(units))
        links = (unit_position[links[0]], links[1])
        return reachable, out[0], out[1], on_network, links

    def _pairs_to(
        self,
        cache: _RoadCache,
        pairs: _KindPairs,
        available: BoolArray,
        targets: Snapped,
        limit: float,
    ) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
        """Pairs within ``limit`` from the available units of a type to ``targets``.

        Only units whose straight-line distance allows such a time are searched from (no
        road is faster than the fastest line).
        """
        radius_m = limit / 60.0 * cache.vmax_kmh * 1000.0 * _BOUND_MARGIN
        candidates = np.flatnonzero(available)
        if len(candidates) and len(targets):
            d = _min_distance(pairs.sources.xy[candidates], targets.xy)
            candidates = candidates[d <= radius_m]
        empty = np.empty(0, dtype=np.intp)
        if not len(candidates) or not len(targets) or limit <= 0:
            return empty, empty, np.empty(0), np.empty(0, dtype=bool)
        times = travel_times_within(
            cache.network,
            pairs.sources.take(candidates),
            prepare_targets(cache.network, targets),
            limit_min=limit,
            straight_speed_kmh=pairs.speed,
            params=cache.reach,
        )
        return candidates[times.source], times.target, times.minutes, times.network

    def _times_to(
        self, rows: IntArray, lon: float, lat: float, k: int
    ) -> tuple[FloatArray, list[str], FloatArray]:
        """Travel minutes, basis and straight km from units ``rows`` to one place."""
        x, y = project_lonlat(np.array([lon]), np.array([lat]))
        place = np.column_stack([x, y])
        u_lon, u_lat = _lonlat(self.units)
        ux, uy = project_lonlat(u_lon[rows], u_lat[rows])
        d_km = distance_m(np.column_stack([ux, uy]), np.repeat(place, len(rows), axis=0)) / 1000
        speed = np.where(
            self._unit_type[rows] == "patrol",
            self.params.patrol_speed_kmh,
            self.params.rapid_speed_kmh,
        )
        straight = d_km * self.params.circuity / speed * 60.0
        basis = ["straight line"] * len(rows)
        if not self.on_roads or not len(rows):
            return straight, basis, d_km
        cache = self._road_cache()
        target = snap_points(cache.network, [lon], [lat], params=cache.reach)
        minutes = np.full(len(rows), np.inf)
        network = np.zeros(len(rows), dtype=bool)
        # Search the units nearest in straight line first, until no farther one can beat
        # the k-th best time found.
        order = np.argsort(d_km, kind="stable")
        done = 0
        step = max(4 * k, 16)
        while done < len(order):
            batch = order[done : done + step]
            done += len(batch)
            for pairs in cache.kinds:
                mine = self._unit_type[rows[batch]] == pairs.name
                if not mine.any():
                    continue
                chosen = batch[mine]
                index = np.searchsorted(pairs.units, rows[chosen])
                times = travel_times_within(
                    cache.network,
                    pairs.sources.take(index),
                    prepare_targets(cache.network, target),
                    limit_min=_NO_LIMIT_MIN,
                    straight_speed_kmh=pairs.speed,
                    params=cache.reach,
                )
                minutes[chosen[times.source]] = times.minutes
                network[chosen[times.source]] = times.network
            known = np.sort(minutes[np.isfinite(minutes)])
            if done >= len(order) or len(known) < k:
                continue
            bound = d_km[order[done]] / cache.vmax_kmh * 60.0 / _BOUND_MARGIN
            if bound > known[k - 1]:
                break
        searched = order[:done]
        result = straight.copy()
        result[searched] = np.where(np.isfinite(minutes[searched]), minutes[searched], np.inf)
        if done < len(order):
            result[order[done:]] = np.inf
        basis = ["roads" if n else "straight line" for n in network]
        return result, basis, d_km

    def _lost_frame(self, rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
        names = _names(self.centres)
        pcodes = pd.Series(
            self.centres["municipality_pcode"].astype("str").to_numpy(), index=self._centre_ids
        )
        return pd.DataFrame(
            {
                "centre_id": [r[0] for r in rows],
                "name": [names.get(r[0]) for r in rows],
                "municipality_pcode": [pcodes.get(r[0]) for r in rows],
                "was": [r[1] for r in rows],
                "now": [r[2] for r in rows],
                "why": [r[3] for r in rows],
            },
            columns=list(LOST_COLUMNS),
        )


#: A time limit beyond any drive in Libya (minutes): "no limit" for travel_times_within.
_NO_LIMIT_MIN = 7 * 24 * 60.0


def _min_distance(a_xy: FloatArray, b_xy: FloatArray) -> FloatArray:
    """Return each point of ``a_xy``'s distance to its nearest point of ``b_xy``, metres."""
    from geo.distance import nearest

    d, _ = nearest(a_xy, b_xy)
    return d


def _rows(row_of: pd.Series, ids: pd.Series, what: str) -> IntArray:
    """Rows in the base layer of ``ids``; refuse ids the base layer does not hold."""
    found = row_of.reindex(ids.astype("str").to_numpy())
    if found.isna().any():
        missing = found.index[found.isna()][0]
        raise InputError(
            f"{what} {missing} of the live state is not in the base layers this live "
            "coverage was made with; make it again from the workspace's layers"
        )
    return found.to_numpy(dtype=np.intp)


def _analysed(centres: pd.DataFrame, params: CoverageParams) -> pd.DataFrame:
    """Return the centres :func:`geo.coverage.analyse_coverage` analyses (not closed ones)."""
    if params.include_closed or "status" not in centres.columns:
        return centres.reset_index(drop=True)
    keep = (centres["status"] != "closed").to_numpy(dtype=bool, na_value=True)
    return centres[keep].reset_index(drop=True)


def _statuses(result: CoverageResult) -> dict[str, str]:
    table = result.centres
    return dict(zip(table["centre_id"].astype("str"), table["status"].astype("str"), strict=True))


def _alone(links: pd.DataFrame, unit_id: str, status: Mapping[str, str]) -> list[str]:
    """Centres covered now by ``unit_id`` and by no other unit, sorted."""
    mine = set(links.loc[links["unit_id"] == unit_id, "centre_id"])
    if not mine:
        return []
    shared = (links["unit_id"] != unit_id) & links["centre_id"].isin(mine)
    others = set(links.loc[shared, "centre_id"])
    return sorted(c for c in mine - others if status.get(c, "gap") != "gap")


def _names(centres: pd.DataFrame) -> dict[str, str | None]:
    ids = centres["centre_id"].astype("str")
    out: dict[str, str | None] = dict.fromkeys(ids, None)
    for column in ("name_ar", "name_en"):  # English wins where both are given
        if column in centres.columns:
            for cid, name in zip(ids, centres[column], strict=True):
                if isinstance(name, str) and name.strip():
                    out[cid] = name
    return out
