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


# -- the risk score's remoteness on roads (issue 18: "remoteness uses travel time") --------


def risk_of(centres, units, road_layer=None, **params):
    from geo.risk import explain_risk

    table = analyse(centres, units, road_layer, **params)
    row = table.iloc[0]
    return row, explain_risk(row)


def test_remoteness_across_the_wadi_is_the_road_time_in_minute_bands():
    """Patrol 3 km away in straight line, 23 minutes by road round the wadi.

    Bands 10, 20, 40, 60 minutes: 23 min is in the third band (20–40), c = 2/4, worth
    100 × 0.15 × 0.5 = 7.5 points; 2,000 voters are 100 × 0.15 × 0.4 = 6 points; the
    score is 13.5, shown as 14 = 6 + 8. In straight line 3 km is under 5 km: 0 points.
    """
    centres = b.centres({"pos": b.at(3, 0), "registered_voters": 2000})
    units = b.units({"pos": b.at(0, 0)})
    row, text = risk_of(centres, units, roads(WADI))
    assert row["nearest_unit_min"] == pytest.approx(23.0, rel=REL)
    assert row["remoteness_model"] == "network"
    assert row["remoteness_unit"] == "min"
    assert row["risk_remoteness"] == pytest.approx(7.5)
    assert text == "14/100 (low): 2,000 voters (+6); 23 min by road from the nearest unit (+8)"
    row, text = risk_of(centres, units, roads(WADI), reach="straight")
    assert row["risk_remoteness"] == pytest.approx(0.0)
    assert row["remoteness_unit"] == "km"
    assert np.isnan(row["nearest_unit_min"])
    assert text == "6/100 (low): 2,000 voters (+6)"


def test_remoteness_ten_km_along_a_road_is_ten_minutes():
    """10 km along a 60 km/h road = 10 min: band 10–20 min, c = 1/4, 3.75 points.

    In straight line the same 10 km is in the band 10–20 km, c = 2/4, 7.5 points.
    """
    centres = b.centres({"pos": b.at(15, 0), "registered_voters": 0})
    units = b.units({"pos": b.at(5, 0)})
    road = roads([(0, 0), (20, 0)])
    row, text = risk_of(centres, units, road)
    assert row["nearest_unit_min"] == pytest.approx(10.0, rel=REL)
    assert row["risk_remoteness"] == pytest.approx(3.75)
    assert text == "4/100 (low): 10 min by road from the nearest unit (+4)"
    assert risk_of(centres, units, road, reach="straight")[0]["risk_remoteness"] == (
        pytest.approx(7.5)
    )


def test_remoteness_of_a_centre_off_the_network_is_in_straight_line_minutes():
    """Centre 12 km north of the road (beyond the 10 km connector cut-off).

    Straight line from the patrol at (5, 0) to (15, 12): √(100 + 144) = 15.62 km, × 1.3
    at 40 km/h = 30.46 min: band 20–40 min, c = 2/4, 7.5 points.
    """
    centres = b.centres({"pos": b.at(15, 12), "registered_voters": 0})
    row, text = risk_of(centres, b.units({"pos": b.at(5, 0)}), roads([(0, 0), (20, 0)]))
    assert row["nearest_unit_min"] == pytest.approx(244**0.5 * 1.3 / 40 * 60, rel=REL)
    assert row["remoteness_model"] == "straight"
    assert row["risk_remoteness"] == pytest.approx(7.5)
    assert text == (
        "8/100 (low): 30 min from the nearest unit (straight line × circuity: no road "
        "joins them) (+8)"
    )


def test_a_static_guard_counts_for_remoteness_on_roads_too():
    """A static guard 1 km along the road: 1 min, band 0–10 min, no remoteness points."""
    centres = b.centres({"pos": b.at(6, 0), "registered_voters": 0})
    units = b.units({"pos": b.at(5, 0), "unit_type": "static_guard"}, {"pos": b.at(-40, 0)})
    row, _ = risk_of(centres, units, roads([(-40, 0), (5, 0), (6, 0), (20, 0)]))
    assert row["nearest_unit_min"] == pytest.approx(1.0, rel=REL)
    assert row["risk_remoteness"] == pytest.approx(0.0)


def test_the_redacted_explanation_names_the_band_in_minutes_and_the_model():
    from geo.permissions import Viewer
    from geo.redaction import columns_for_viewer
    from geo.risk import explain_risk

    centres = b.centres({"pos": b.at(3, 0), "registered_voters": 2000})
    table = analyse(centres, b.units({"pos": b.at(0, 0)}), roads(WADI))
    briefer = Viewer("b", "briefer")
    assert not briefer.can_see_unit_positions
    row = columns_for_viewer(table, briefer).iloc[0]
    assert "nearest_unit_min" not in row.index
    assert explain_risk(row) == (
        "14/100 (low): 2,000 voters (+6); nearest unit 20–40 min away by road (+8)"
    )


# -- a centre's nearest units in travel time (issue 18) ------------------------------------


def nearest_of(road_layer, **params):
    from geo.mapview import centre_details
    from geo.permissions import Viewer

    centres = b.centres({"pos": b.at(3, 0)})
    # U1 at the wadi's other bank: 3 km straight, 10 + 3 + 10 = 23 min by road. U2 on the
    # far side of the loop: √(1.5² + 10²) = 10.11 km straight, 1.5 + 10 = 11.5 min by road.
    units = b.units({"pos": b.at(0, 0)}, {"pos": b.at(1.5, 10), "unit_type": "rapid_response"})
    details = centre_details(
        "C1",
        centres=centres,
        viewer=Viewer("p", "planner"),
        units=units,
        roads=road_layer,
        params=CoverageParams(**params),
    )
    return details.nearest_units


def test_a_centres_nearest_units_are_the_nearest_in_travel_time_on_roads():
    table = nearest_of(roads(WADI))
    assert list(table["unit_id"]) == ["U2", "U1"]
    assert table["travel_min"].tolist() == pytest.approx([11.5, 23.0], abs=0.05)
    assert list(table["reach_model"]) == ["network", "network"]
    assert table["distance_km"].tolist() == pytest.approx([10.11, 3.0], abs=0.01)


def test_without_roads_the_nearest_units_are_in_straight_line_at_their_speeds():
    """U1, a patrol: 3 × 1.3 / 40 × 60 = 5.85 min; U2 rapid: 10.11 × 1.3 / 60 × 60 = 13.1."""
    for road_layer, reach in ((None, "auto"), (roads(WADI), "straight")):
        table = nearest_of(road_layer, reach=reach)
        assert list(table["unit_id"]) == ["U1", "U2"]
        assert table["travel_min"].tolist() == pytest.approx([5.85, 13.14], abs=0.06)
        assert list(table["reach_model"]) == ["straight", "straight"]


def test_a_briefer_gets_no_nearest_units_on_roads_either():
    from geo.mapview import centre_details
    from geo.permissions import Viewer

    details = centre_details(
        "C1",
        centres=b.centres({"pos": b.at(3, 0)}),
        viewer=Viewer("b", "briefer"),
        units=b.units({"pos": b.at(0, 0)}),
        roads=roads(WADI),
    )
    assert details.nearest_units is None
    assert details.units_within.set_index("unit_type").loc["patrol", "units"] == 1
