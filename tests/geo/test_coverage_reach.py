"""Coverage on the road network (issue 18 phase 2), on small networks worked out on paper.

Roads are tertiary (60 km/h, 1 km a minute) unless said otherwise; the off-road speed is
20 km/h (3 minutes a km); a patrol drives 40 km/h in straight line with circuity 1.3, so
its straight-line radius is 10 road-km = 7.69 km; the patrol limit on roads is 15 minutes.
Points are placed with :func:`tests.geo.builders.at` (geodesic km east/north of Tripoli).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.coverage import CoverageParams, analyse_coverage
from geo.errors import InputError, LayerMissingError
from geo.network import _NETWORKS, cached_network
from tests.geo import builders as b

AS_OF = pd.Timestamp("2025-06-01")
REL = 2e-3


roads = b.roads


def analyse(centres, units, road_layer=None, **params):
    return analyse_coverage(
        centres,
        units,
        None,
        None,
        None,
        params=CoverageParams(**params),
        as_of=AS_OF,
        roads=road_layer,
    ).centres


WADI = [(0, 0), (0, 10), (3, 10), (3, 0)]


def test_a_wadi_is_a_gap_on_roads_and_reachable_in_straight_line():
    """Patrol at (0, 0), centre at (3, 0): 3 km apart, but the road goes round the wadi.

    Road: 10 + 3 + 10 = 23 km at 60 km/h = 23 min > 15: not reachable on roads. Straight:
    3 km < 7.69 km: reachable.
    """
    centres = b.centres({"pos": b.at(3, 0)})
    units = b.units({"pos": b.at(0, 0)})
    on_roads = analyse(centres, units, roads(WADI))
    assert on_roads["reachable"].tolist() == [False]
    assert on_roads["status"].tolist() == ["gap"]
    assert on_roads["nearest_patrol_min"].tolist() == pytest.approx([23.0], rel=REL)
    assert on_roads["reach_model"].tolist() == ["network"]
    straight = analyse(centres, units, roads(WADI), reach="straight")
    assert straight["reachable"].tolist() == [True]
    # 3 km × 1.3 / 40 km/h = 5.85 minutes
    assert straight["nearest_patrol_min"].tolist() == pytest.approx([5.85], rel=REL)
    assert straight["reach_model"].tolist() == ["straight"]


def test_ten_km_along_a_road_is_reachable_on_roads_and_not_in_straight_line():
    """Patrol at 5 km, centre at 15 km on a 20 km road: 10 min on roads; 10 km > 7.69 km."""
    centres = b.centres({"pos": b.at(15, 0)})
    units = b.units({"pos": b.at(5, 0)})
    on_roads = analyse(centres, units, roads([(0, 0), (20, 0)]))
    assert on_roads["reachable"].tolist() == [True]
    assert on_roads["nearest_patrol_min"].tolist() == pytest.approx([10.0], rel=REL)
    assert analyse(centres, units, roads([(0, 0), (20, 0)]), reach="straight")[
        "reachable"
    ].tolist() == [False]


def test_a_centre_1_km_off_the_road_drives_its_connector_at_off_road_speed():
    """Centre 1 km north of the road at 15 km: 10 min on the road + 1 km at 20 km/h = 13."""
    centres = b.centres({"pos": b.at(15, 1)})
    table = analyse(centres, b.units({"pos": b.at(5, 0)}), roads([(0, 0), (20, 0)]))
    assert table["nearest_patrol_min"].tolist() == pytest.approx([13.0], rel=REL)
    assert table["reachable"].tolist() == [True]
    slower = analyse(
        centres,
        b.units({"pos": b.at(5, 0)}),
        roads([(0, 0), (20, 0)]),
        patrol_minutes=12.0,
    )
    assert slower["reachable"].tolist() == [False]


def test_default_is_network_with_roads_and_straight_without():
    centres = b.centres({"pos": b.at(3, 0)})
    units = b.units({"pos": b.at(0, 0)})
    assert analyse(centres, units, roads(WADI))["reachable"].tolist() == [False]
    without = analyse(centres, units, None)
    assert without["reachable"].tolist() == [True]
    assert without["reach_model"].tolist() == ["straight"]


def test_network_without_roads_says_what_to_do():
    with pytest.raises(LayerMissingError, match="roads"):
        analyse(b.centres({"pos": b.at(0)}), b.units({"pos": b.at(0)}), None, reach="network")
    with pytest.raises(InputError, match="reach must be one of"):
        CoverageParams(reach="roads")


def test_a_units_own_radius_is_driven_at_the_speed_of_its_road():
    """Patrol at 5 km with its own 8 km radius on a 60 km/h road: limit 8 minutes.

    The centre 10 minutes away is out of reach; with a 12 km radius (12 minutes) in reach.
    """
    centres = b.centres({"pos": b.at(15, 0)})
    road = roads([(0, 0), (20, 0)])
    short = analyse(centres, b.units({"pos": b.at(5, 0), "response_radius_km": 8.0}), road)
    assert short["reachable"].tolist() == [False]
    long = analyse(centres, b.units({"pos": b.at(5, 0), "response_radius_km": 12.0}), road)
    assert long["reachable"].tolist() == [True]
    ignored = analyse(
        centres,
        b.units({"pos": b.at(5, 0), "response_radius_km": 8.0}),
        road,
        use_unit_radii=False,
    )
    assert ignored["reachable"].tolist() == [True]


def test_a_centre_far_from_every_road_falls_back_to_straight_line():
    """Centre 20 km north of the road (cut-off 10 km), patrol 5 km from it in straight line.

    Straight: 5 km × 1.3 / 40 km/h × 60 = 9.75 min; reachable; model ``straight``.
    """
    centres = b.centres({"pos": b.at(10, 20)})
    units = b.units({"pos": b.at(10, 15)})
    table = analyse(centres, units, roads([(0, 0), (20, 0)]))
    assert table["reach_model"].tolist() == ["straight"]
    assert table["nearest_patrol_min"].tolist() == pytest.approx([9.75], rel=REL)
    assert table["reachable"].tolist() == [True]


def test_rapid_response_uses_its_own_limit_on_roads():
    """Rapid unit 25 km along a road from the centre: 25 min ≤ 30; a patrol there is not."""
    centres = b.centres({"pos": b.at(30, 0)})
    road = roads([(0, 0), (40, 0)])
    rapid = analyse(centres, b.units({"pos": b.at(5, 0), "unit_type": "rapid_response"}), road)
    assert rapid["reachable"].tolist() == [True]
    assert rapid["nearest_rapid_min"].tolist() == pytest.approx([25.0], rel=REL)
    assert np.isnan(rapid["nearest_patrol_min"]).all()
    patrol = analyse(centres, b.units({"pos": b.at(5, 0)}), road)
    assert patrol["reachable"].tolist() == [False]


def test_the_graph_is_built_once_per_road_layer_version():
    road = roads([(0, 0), (20, 0)])
    _NETWORKS.clear()
    first = cached_network(road, "v1")
    assert cached_network(road, "v1") is first
    assert cached_network(road, "v2") is not first
    assert cached_network(road, None) is not first


def test_rollups_count_voters_within_15_and_30_minutes():
    """Road 0–40 km, patrol at 0: centres at 10 (10 min), 20 (20 min) and 35 km (35 min)."""
    from geo.coverage import rollup_coverage

    centres = b.centres(
        {"pos": b.at(10, 0), "registered_voters": 100},
        {"pos": b.at(20, 0), "registered_voters": 200},
        {"pos": b.at(35, 0), "registered_voters": 400},
    )
    result = analyse_coverage(
        centres,
        b.units({"pos": b.at(0, 0)}),
        None,
        None,
        None,
        as_of=AS_OF,
        roads=roads([(0, 0), (40, 0)]),
    )
    areas = rollup_coverage(result, centres, None, None, None, by="municipality").areas
    assert areas["voters_within_15_min"].tolist() == [100]
    assert areas["voters_within_30_min"].tolist() == [300]
