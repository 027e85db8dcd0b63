"""The road network engine on small hand-built networks whose times are worked out by hand.

Networks are drawn in kilometres on a local plane at the projection's origin (31.6° N,
17.25° E) and scaled by the projection's scale factor there, so that a line drawn 10 km
long is 10 km long in true distance (to 1e-5). Unless said otherwise roads are tertiary
(60 km/h: one minute per km), patrols drive 40 km/h on straight lines, circuity is 1.3 and
the off-road speed 20 km/h (3 minutes per km).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.distance import scale_factor
from geo.errors import InputError
from geo.network import (
    ReachParams,
    RoadSpeeds,
    build_network,
    nearest_travel_time,
    prepare_targets,
    reach_area,
    snap_points,
    travel_times_within,
    update_travel_times,
)
from geo.roads import unproject_xy
from geo.schema import CRS, check_layer

K = float(scale_factor(np.zeros((1, 2)))[0])
REL = 1e-4


def lonlat(x_km: float, y_km: float) -> tuple[float, float]:
    lon, lat = unproject_xy(np.array([[x_km * 1000 * K, y_km * 1000 * K]]))[0]
    return float(lon), float(lat)


def roads(*lines, highway="tertiary", oneway=False) -> gpd.GeoDataFrame:
    """Lines given as lists of (x_km, y_km); ``highway``/``oneway`` one value or one per line."""
    n = len(lines)
    highways = [highway] * n if isinstance(highway, str) else list(highway)
    oneways = [oneway] * n if isinstance(oneway, bool) else list(oneway)
    geometry = [shapely.LineString([lonlat(x, y) for x, y in line]) for line in lines]
    frame = gpd.GeoDataFrame(
        {
            "road_id": [f"R{i}" for i in range(n)],
            "highway": highways,
            "oneway": oneways,
            "bridge": [False] * n,
            "maxspeed_kmh": [np.nan] * n,
            "length_km": [0.0] * n,
            "source": "test",
        },
        geometry=geometry,
        crs=CRS,
    )
    return check_layer("roads", frame)


def points(network, *xy_km, params=None):
    lon, lat = zip(*(lonlat(x, y) for x, y in xy_km), strict=True)
    return snap_points(network, list(lon), list(lat), params=params or ReachParams())


def test_a_wadi_crossing_is_a_gap_on_roads_and_reachable_in_straight_line():
    """Patrol at (0, 0), centre at (3, 0): 3 km apart across a wadi.

    The road goes round it: (0,0) → (0,10) → (3,10) → (3,0), 10 + 3 + 10 = 23 km at
    60 km/h = 23 minutes, more than the patrol's 15: a gap on roads. Both stand on the
    road (connectors 0), so they may not cut across off-road. In straight line the same
    pair is 3 × 1.3 = 3.9 km at 40 km/h = 5.85 minutes: reachable. With no road layer
    (an empty network) the straight-line model applies.
    """
    net = build_network(roads([(0, 0), (0, 10), (3, 10), (3, 0)]))
    patrol, centre = points(net, (0, 0)), points(net, (3, 0))
    on_roads = nearest_travel_time(net, patrol, centre)
    assert on_roads.minutes[0] == pytest.approx(23.0, rel=REL)
    assert list(on_roads.model) == ["network"]
    gap = nearest_travel_time(net, patrol, centre, limit_min=15)
    assert gap.minutes[0] == np.inf
    assert gap.source[0] == -1
    assert list(gap.model) == ["network"]  # the network says it is out of reach

    no_roads = build_network(roads().iloc[:0])
    straight = nearest_travel_time(
        no_roads, points(no_roads, (0, 0)), points(no_roads, (3, 0)), limit_min=15
    )
    assert straight.minutes[0] == pytest.approx(5.85, rel=REL)
    assert list(straight.model) == ["straight"]


def test_a_centre_ten_km_along_the_road_is_reachable_on_roads_not_in_straight_line():
    """One 20 km road; patrol at km 5, centre at km 15, both on the same line.

    On roads: 10 km at 60 km/h = 10 minutes (along the line, not via its ends at 0 and
    20 km, which would give 5 + 15 = 20 or 15 + 5 minutes). In straight line: 10 × 1.3 =
    13 km at 40 km/h = 19.5 minutes, more than 15: a gap.
    """
    net = build_network(roads([(0, 0), (20, 0)]))
    patrol, centre = points(net, (5, 0)), points(net, (15, 0))
    assert nearest_travel_time(net, patrol, centre, limit_min=15).minutes[0] == pytest.approx(
        10.0, rel=REL
    )
    no_roads = build_network(roads().iloc[:0])
    straight = nearest_travel_time(
        no_roads, points(no_roads, (5, 0)), points(no_roads, (15, 0)), limit_min=15
    )
    assert straight.minutes[0] == np.inf
    unlimited = nearest_travel_time(no_roads, points(no_roads, (5, 0)), points(no_roads, (15, 0)))
    assert unlimited.minutes[0] == pytest.approx(19.5, rel=REL)


def test_a_centre_one_km_off_the_road_drives_its_connector_at_off_road_speed():
    """Road (0,0)–(20,0); patrol at (0, 0); centre at (10, 1), 1 km north of km 10.

    Connector 1 km at 20 km/h = 3 minutes, plus 10 km at 60 km/h = 10: 13 minutes; the
    connector is reported (1 km).
    """
    net = build_network(roads([(0, 0), (20, 0)]))
    centre = points(net, (10, 1))
    assert centre.connector_km[0] == pytest.approx(1.0, rel=REL)
    assert centre.offset_m[0] == pytest.approx(10_000, rel=REL)
    result = nearest_travel_time(net, points(net, (0, 0)), centre)
    assert result.minutes[0] == pytest.approx(13.0, rel=REL)
    assert result.connector_km[0] == pytest.approx(1.0, rel=REL)


def test_a_unit_off_the_road_drives_its_own_connector_too():
    """Road (0,0)–(20,0); patrol at (0, 2), 2 km north of km 0; centre at km 10.

    2 km at 20 km/h = 6 minutes to the road, then 10 minutes: 16 minutes.
    """
    net = build_network(roads([(0, 0), (20, 0)]))
    result = nearest_travel_time(net, points(net, (0, 2)), points(net, (10, 0)))
    assert result.minutes[0] == pytest.approx(16.0, rel=REL)


def test_the_off_road_speed_is_a_parameter():
    """Same as above at 10 km/h off road: 6 + 10 = 16 minutes."""
    net = build_network(roads([(0, 0), (20, 0)]))
    params = ReachParams(offroad_speed_kmh=10)
    result = nearest_travel_time(net, points(net, (0, 0)), points(net, (10, 1)), params=params)
    assert result.minutes[0] == pytest.approx(16.0, rel=REL)


def test_one_way_roads_are_driven_only_along_their_direction():
    """A one-way road A (0,0) → B (10,0), and a two-way way back B → (10,10) → (0,10) → A.

    A to B: 10 minutes on the one-way road. B to A: not against it, so round by the
    two-way road, 10 + 10 + 10 = 30 minutes.
    """
    net = build_network(
        roads(
            [(0, 0), (10, 0)],
            [(10, 0), (10, 10), (0, 10), (0, 0)],
            oneway=[True, False],
        )
    )
    a, b = points(net, (0, 0)), points(net, (10, 0))
    assert nearest_travel_time(net, a, b).minutes[0] == pytest.approx(10.0, rel=REL)
    assert nearest_travel_time(net, b, a).minutes[0] == pytest.approx(30.0, rel=REL)


def test_a_point_on_a_one_way_road_cannot_drive_back_along_it():
    """One-way road (0,0) → (20,0) only. A patrol at km 15 cannot reach a centre at km 5.

    The pair is connected (one component) so the network model answers: out of reach.
    The other way (patrol at km 5, centre at km 15) takes 10 minutes.
    """
    net = build_network(roads([(0, 0), (20, 0)], oneway=True))
    back = nearest_travel_time(net, points(net, (15, 0)), points(net, (5, 0)))
    assert back.minutes[0] == np.inf
    assert list(back.model) == ["network"]
    ahead = nearest_travel_time(net, points(net, (5, 0)), points(net, (15, 0)))
    assert ahead.minutes[0] == pytest.approx(10.0, rel=REL)


def test_line_ends_5_m_apart_join_within_the_tolerance_and_50_m_apart_do_not():
    """Two 10 km roads end to end with a small gap; tolerance 10 m.

    Gap 5 m: one network of 10 + 9.995 km, so (0,0) to (20,0) takes 19.995 minutes. Gap
    50 m: two components, so the pair falls back to straight line: 20 km × 1.3 at
    40 km/h = 39 minutes, and says so.
    """
    joined = build_network(roads([(0, 0), (10, 0)], [(10.005, 0), (20, 0)]), snap_tolerance_m=10)
    assert joined.summary.components == 1
    result = nearest_travel_time(joined, points(joined, (0, 0)), points(joined, (20, 0)))
    assert result.minutes[0] == pytest.approx(19.995, rel=REL)
    assert list(result.model) == ["network"]

    apart = build_network(roads([(0, 0), (10, 0)], [(10.05, 0), (20, 0)]), snap_tolerance_m=10)
    assert apart.summary.components == 2
    result = nearest_travel_time(apart, points(apart, (0, 0)), points(apart, (20, 0)))
    assert result.minutes[0] == pytest.approx(20.0 * 1.3 / 40 * 60, rel=REL)
    assert list(result.model) == ["straight"]


def test_a_point_beyond_the_cut_off_uses_the_straight_line_model():
    """Road (0,0)–(20,0); centre at (10, 12), 12 km from it; cut-off 10 km.

    Off the network: the patrol at (10, 0) is 12 km away in straight line, 12 × 1.3 =
    15.6 km at 40 km/h = 23.4 minutes. With a 15 km cut-off it is on the network:
    connector 12 km = 36 minutes.
    """
    net = build_network(roads([(0, 0), (20, 0)]))
    far = points(net, (10, 12))
    assert not far.on_network[0]
    assert far.connector_km[0] == pytest.approx(12.0, rel=REL)
    result = nearest_travel_time(net, points(net, (10, 0)), far)
    assert result.minutes[0] == pytest.approx(23.4, rel=REL)
    assert list(result.model) == ["straight"]

    wide = ReachParams(max_connector_km=15)
    near = nearest_travel_time(
        net, points(net, (10, 0), params=wide), points(net, (10, 12), params=wide), params=wide
    )
    assert near.minutes[0] == pytest.approx(36.0, rel=REL)
    assert list(near.model) == ["network"]


def test_points_closer_to_each_other_than_to_the_road_skip_the_road():
    """Road (0,0)–(20,0); a guard at (10, 3) and a centre 100 m away at (10.1, 3).

    Both are 3 km off the road; via the road: 9 + 0.1 + 9 minutes. They are 0.1 km apart,
    less than 3 + 3 km, so the guard drives straight across: 0.1 km at 20 km/h = 0.3 min.
    """
    net = build_network(roads([(0, 0), (20, 0)]))
    result = nearest_travel_time(net, points(net, (10, 3)), points(net, (10.1, 3)))
    assert result.minutes[0] == pytest.approx(0.3, rel=REL)
    assert list(result.model) == ["network"]


def test_the_direct_leg_is_found_among_many_sources_too():
    """As above, with six patrols on the road at km 19 listed first (enough sources for
    the search by balls around the points). A patrol reaches the centre's road point at
    km 10.1 in 8.9 minutes, plus the centre's 3 km connector at 20 km/h, 9 minutes:
    17.9 minutes. The guard (source 6) is still nearest, at 0.3 minutes.
    """
    net = build_network(roads([(0, 0), (20, 0)]))
    sources = points(net, *[(19, 0)] * 6, (10, 3))
    centre = points(net, (10.1, 3))
    result = nearest_travel_time(net, sources, centre)
    assert list(result.source) == [6]
    assert result.minutes[0] == pytest.approx(0.3, rel=REL)
    times = travel_times_within(net, sources, centre, limit_min=20).to_frame()
    assert times["source"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert times["minutes"].to_numpy() == pytest.approx([17.9] * 6 + [0.3], rel=REL)


def test_the_nearest_source_is_found_among_several():
    """Road (0,0)–(30,0). Patrols at km 0, km 25 and (12, 11) (off the network, cut-off
    10 km). Centres at km 10 and km 28.

    Centre km 10: km 0 → 10 min; km 25 → 15 min; the off-network patrol (distance
    sqrt(4 + 121) = 11.18 km) → 11.18 × 1.3 / 40 × 60 = 21.8 min. Nearest: patrol 0.
    Centre km 28: patrol 1 at 3 minutes.
    """
    net = build_network(roads([(0, 0), (30, 0)]))
    patrols = points(net, (0, 0), (25, 0), (12, 11))
    centres = points(net, (10, 0), (28, 0))
    result = nearest_travel_time(net, patrols, centres)
    assert list(result.source) == [0, 1]
    assert result.minutes == pytest.approx([10.0, 3.0], rel=REL)


def test_the_matrix_holds_every_pair_within_the_limit_with_its_model():
    """Road (0,0)–(30,0); sources at km 0 and (40, 0) (off the network: 10 km past the
    end, cut-off 5 km). Targets at km 5, km 14 and km 29. Limit 15 minutes.

    Source 0: 5 and 14 minutes to targets 0 and 1; target 2 at 29 is too far. Source 1
    (straight, 40 km/h): target 2 is 11 km × 1.3 = 14.3 km = 21.45 min: too far; none.
    With a 60 km/h straight-line speed for source 1: 14.3 min to target 2 (straight).
    """
    params = ReachParams(max_connector_km=5)
    net = build_network(roads([(0, 0), (30, 0)]))
    sources = points(net, (0, 0), (40, 0), params=params)
    targets = points(net, (5, 0), (14, 0), (29, 0), params=params)
    times = travel_times_within(net, sources, targets, limit_min=15, params=params)
    assert list(zip(times.source, times.target, strict=True)) == [(0, 0), (0, 1)]
    assert times.minutes == pytest.approx([5.0, 14.0], rel=REL)
    faster = travel_times_within(
        net, sources, targets, limit_min=15, straight_speed_kmh=[40, 60], params=params
    )
    frame = faster.to_frame()
    assert frame[["source", "target"]].to_numpy().tolist() == [[0, 0], [0, 1], [1, 2]]
    assert list(frame["reach_model"]) == ["network", "network", "straight"]
    assert frame["minutes"].iloc[2] == pytest.approx(14.3, rel=REL)
    coverage = faster.coverage()
    assert coverage.shape == (3, 2)
    assert coverage.toarray().tolist() == [[True, False], [True, False], [False, True]]
    assert faster.coverage(limit_min=10).toarray().tolist() == [
        [True, False],
        [False, False],
        [False, False],
    ]


def test_the_matrix_and_the_nearest_search_agree():
    """Random points on a small grid of roads: the matrix's nearest equals the search's."""
    rng = np.random.default_rng(3)
    lines = [[(x, 0), (x, 20)] for x in range(0, 21, 5)] + [
        [(0, y), (20, y)] for y in range(0, 21, 5)
    ]
    net = build_network(roads(*lines, oneway=[i % 3 == 0 for i in range(len(lines))]))
    sources = points(net, *rng.uniform(-2, 22, (15, 2)))
    targets = prepare_targets(net, points(net, *rng.uniform(-2, 22, (60, 2))))
    times = travel_times_within(net, sources, targets, limit_min=20)
    from_matrix = times.nearest()
    searched = nearest_travel_time(net, sources, targets, limit_min=20)
    np.testing.assert_allclose(from_matrix.minutes, searched.minutes, rtol=1e-9)
    assert (from_matrix.model == searched.model).all()


def test_moving_one_unit_updates_its_row_only_and_matches_a_fresh_computation():
    """Road (0,0)–(30,0); units at km 0 and km 30; centres at km 4, 16 and 26; 15 min.

    Unit 0 moves to km 20: it then reaches 16 (4 min) and 26 (6 min) but not 4 (16 min).
    """
    net = build_network(roads([(0, 0), (30, 0)]))
    units = points(net, (0, 0), (30, 0))
    centres = prepare_targets(net, points(net, (4, 0), (16, 0), (26, 0)))
    times = travel_times_within(net, units, centres, limit_min=15)
    moved = update_travel_times(times, 0, points(net, (20, 0)))
    rows = moved.to_frame()
    unit0 = rows[rows["source"] == 0]
    assert unit0["target"].tolist() == [1, 2]
    assert unit0["minutes"].to_numpy() == pytest.approx([4.0, 6.0], rel=REL)
    fresh = travel_times_within(net, points(net, (20, 0), (30, 0)), centres, limit_min=15)
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), fresh.to_frame())


def test_prepared_targets_must_come_from_the_same_network():
    net = build_network(roads([(0, 0), (10, 0)]))
    other = build_network(roads([(0, 0), (10, 0)]))
    prepared = prepare_targets(other, points(other, (5, 0)))
    with pytest.raises(InputError, match="another road network"):
        nearest_travel_time(net, points(net, (0, 0)), prepared)


def test_the_reach_area_follows_the_road_not_a_circle():
    """Road (0,0)–(30,0); a unit at km 0 has 15 minutes: it reaches km 15 (15 km of road).

    A corridor 300 m wide: km 14 on the road is inside, km 16 is not, and a point 3 km off
    the road at km 2 (within a 15 km circle) is not either.
    """
    net = build_network(roads([(0, 0), (30, 0)]))
    area = reach_area(net, *lonlat(0, 0), minutes=15)
    assert area.model == "network"
    assert area.road_km == pytest.approx(15.0, rel=REL)
    inside = [shapely.Point(lonlat(x, y)) for x, y in ((14, 0), (16, 0), (2, 3))]
    assert [area.geometry.contains(p) for p in inside] == [True, False, False]


def test_the_reach_area_of_a_unit_off_the_network_is_the_straight_line_circle():
    """A unit 12 km from the only road (cut-off 10 km): 15 min at 40 km/h / 1.3 = 7.69 km."""
    net = build_network(roads([(0, 0), (30, 0)]))
    area = reach_area(net, *lonlat(10, 12), minutes=15)
    assert area.model == "straight"
    assert shapely.Point(lonlat(10, 12 + 7.6)).within(area.geometry)
    assert not shapely.Point(lonlat(10, 12 + 7.8)).within(area.geometry)


def test_the_summary_counts_lines_length_components_and_dead_ends():
    """A T junction (three lines meeting at (10, 0)) and a separate 2 km road.

    Lines 4, length 10 + 10 + 5 + 2 = 27 km; components 2; dead ends: the three arms'
    far ends and both ends of the separate road = 5.
    """
    net = build_network(
        roads(
            [(0, 0), (10, 0)],
            [(10, 0), (20, 0)],
            [(10, 0), (10, 5)],
            [(50, 50), (52, 50)],
            highway=["primary", "primary", "tertiary", "tertiary"],
        )
    )
    summary = net.summary
    assert (summary.lines, summary.components, summary.dead_ends) == (4, 2, 5)
    assert summary.length_km == pytest.approx(27.0, rel=REL)
    assert summary.largest_component_km == pytest.approx(25.0, rel=REL)
    assert summary.classes_frame()["highway"].tolist() == ["primary", "tertiary"]
    assert "2 connected component(s)" in summary.describe()


def test_speeds_per_class_with_links_and_a_lower_maxspeed():
    speeds = RoadSpeeds()
    assert speeds.speeds_kmh(["motorway", "trunk_link", "residential", "Primary"]) == (
        pytest.approx([100.0, 54.0, 40.0, 80.0])
    )
    frame = roads([(0, 0), (10, 0)], highway="motorway")
    frame["maxspeed_kmh"] = 50.0
    net = build_network(frame)
    assert net.line_minutes[0] == pytest.approx(12.0, rel=REL)  # 10 km at 50 km/h


def test_speeds_and_parameters_that_make_no_sense_are_refused_with_their_names():
    with pytest.raises(InputError, match="trunk_kmh must be a positive number"):
        RoadSpeeds(trunk_kmh=0)
    with pytest.raises(InputError, match="link_factor must be at most 1"):
        RoadSpeeds(link_factor=1.5)
    with pytest.raises(InputError, match="circuity must be at least 1"):
        ReachParams(circuity=0.9)
    with pytest.raises(InputError, match="snapping tolerance"):
        build_network(roads([(0, 0), (1, 0)]), snap_tolerance_m=-1)
    net = build_network(roads([(0, 0), (1, 0)]))
    with pytest.raises(InputError, match=r"point\(s\) 2 have no usable longitude"):
        snap_points(net, [17.25, np.nan], [31.6, 31.6])
    with pytest.raises(InputError, match="time limit"):
        nearest_travel_time(net, points(net, (0, 0)), points(net, (1, 0)), limit_min=-5)


def test_nearest_sources_of_one_target_equal_timing_every_source():
    """The pruned search returns exactly the k smallest of all the pairs' times."""
    from geo.network import nearest_sources

    rng = np.random.default_rng(18)
    grid = [[(x, 0), (x, 20)] for x in range(0, 21, 5)] + [[(0, y), (20, y)] for y in (0, 10, 20)]
    network = build_network(roads(*grid))
    points = [lonlat(*xy) for xy in rng.uniform(-5, 25, size=(60, 2))]
    lon, lat = np.array(points).T
    sources = snap_points(network, lon[1:], lat[1:])
    target = snap_points(network, lon[:1], lat[:1])
    speeds = np.where(np.arange(59) % 2 == 0, 40.0, 60.0)
    every = travel_times_within(
        network,
        sources,
        prepare_targets(network, target),
        limit_min=1e12,
        straight_speed_kmh=speeds,
    )
    expected = np.sort(every.minutes)[:7]
    found = nearest_sources(network, sources, target, count=7, straight_speed_kmh=speeds)
    assert found["minutes"].to_numpy() == pytest.approx(expected)
    assert len(set(found["source"])) == 7
