"""The Map page's roads layer and reach areas (issue 18), on roads worked out on paper.

Roads are tertiary (60 km/h, 1 km a minute); a patrol's straight-line speed is 40 km/h
with circuity 1.3. Points are placed with :func:`tests.geo.builders.at` (km east/north of
Tripoli).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.coverage import CoverageParams
from geo.errors import AccessDeniedError, InputError
from geo.filters import MapFilters, apply_filters
from geo.maps import MapLegend
from geo.mapview import (
    LAYER_REACH,
    LAYER_ROADS,
    MapOptions,
    build_planning_map,
    options_from_query,
    options_to_query,
    roads_for_map,
    site_reach,
)
from geo.permissions import Viewer
from geo.schema import CRS, check_layer
from tests.geo import builders as b
from tests.geo.map_world import EVIL, world

PLANNER = Viewer("p", "planner")
BRIEFER = Viewer("b", "briefer")
#: No coverage analysis in these maps: shade by voters, colour centres by accessibility.
PLAIN = {"colour_by": "access_status"}


def mixed_roads() -> gpd.GeoDataFrame:
    """Five lines: trunk, trunk_link, residential, an unknown class named like HTML, primary."""
    lines = [[(0, 0), (5, 0)], [(5, 0), (6, 1)], [(0, 0), (0, 3)], [(0, 3), (1, 4)]]
    lines.append([(5, 0), (9, 0)])
    frame = gpd.GeoDataFrame(
        {
            "road_id": [f"R{i}" for i in range(5)],
            "highway": ["trunk", "trunk_link", "residential", EVIL, "primary"],
            "oneway": [False] * 5,
            "bridge": [False] * 5,
            "maxspeed_kmh": [float("nan")] * 5,
            "length_km": [0.0] * 5,
            "source": "test",
        },
        geometry=[shapely.LineString([b.at(x, y) for x, y in line]) for line in lines],
        crs=CRS,
    )
    return check_layer("roads", frame)


def layer_names(m) -> list[str]:
    return [c.layer_name for c in m._children.values() if hasattr(c, "layer_name")]


def legend_of(m) -> MapLegend:
    return next(c for c in m._children.values() if isinstance(c, MapLegend))


def test_roads_are_drawn_one_feature_per_class_links_with_their_road():
    lines = roads_for_map(mixed_roads())
    assert list(lines["road_class"]) == ["trunk", "primary", "other"]
    # trunk (5 km) and its link (√2 km) merge into one class; residential and the unknown
    # class are "other"; only class and geometry travel.
    assert list(lines.columns) == ["road_class", "geometry"]
    trunk = lines.geometry.iloc[0]
    assert shapely.get_num_geometries(trunk) == 1  # the link continues the trunk: one line


def test_the_roads_layer_is_a_toggle_styled_by_class_with_a_legend():
    lines = roads_for_map(mixed_roads())
    without = build_planning_map(
        apply_filters(world(), MapFilters()), viewer=BRIEFER, options=MapOptions(**PLAIN)
    )
    assert LAYER_ROADS not in layer_names(without)
    m = build_planning_map(
        apply_filters(world(), MapFilters()),
        viewer=BRIEFER,
        options=MapOptions(**PLAIN, show_roads=True),
        road_lines=lines,
    )
    assert LAYER_ROADS in layer_names(m)
    roads_layer = next(
        c for c in m._children.values() if getattr(c, "layer_name", "") == LAYER_ROADS
    )
    styles = [roads_layer.style_function(f) for f in roads_layer.data["features"]]
    assert [s["color"] for s in styles] == ["#ef6548", "#fc8d59", "#969696"]
    assert [s["weight"] for s in styles] == [3.0, 2.5, 1.0]
    assert not any(s["fill"] for s in styles)
    section = next(s for s in legend_of(m).sections if s.layer == LAYER_ROADS)
    assert [e.label for e in section.entries] == ["trunk", "primary", "other roads"]
    assert "ODbL" in section.note
    # Only a style code travels with each line: no class name (one is named like HTML).
    assert all(set(f["properties"]) == {"_style"} for f in roads_layer.data["features"])
    assert "L.control.layers(" in m.get_root().render()


def test_the_roads_option_goes_through_the_url():
    options = MapOptions(show_roads=True)
    assert options_to_query(options) == {"roads": ["1"]}
    assert options_from_query({"roads": "1"}) == (options, [])


ROAD = [(-30, 0), (30, 0)]


def reach_of(viewer=PLANNER, road_layer=None, **params):
    units = b.units({"unit_id": "P1", "pos": b.at(0, 0)})
    return site_reach(
        "unit",
        "P1",
        viewer=viewer,
        centres=b.centres({"pos": b.at(20, 0)}),
        units=units,
        params=CoverageParams(**params),
        roads=b.roads(ROAD) if road_layer is None else road_layer,
    )


def test_a_patrols_15_and_30_minute_areas_follow_the_road_not_a_circle():
    """Patrol in the middle of a 60 km road at 60 km/h: 15 km each way in 15 min, 30 in 30.

    A circle of the straight model (15 min × 40 km/h ÷ 1.3 = 7.7 km) would hold a point
    5 km north of the patrol; the area on roads (300 m either side) does not, but it
    holds the road 14 km east, which the circle does not.
    """
    reach = reach_of()
    assert reach.label() == "Unit P1 (Patrol)"
    short, long = reach.areas
    assert (short.model, short.minutes, long.minutes) == ("network", 15.0, 30.0)
    assert short.road_km == pytest.approx(30.0, rel=2e-3)
    assert long.road_km == pytest.approx(60.0, rel=2e-3)
    inside = shapely.points([b.at(14, 0), b.at(29, 0)])
    assert shapely.contains(short.geometry, inside).tolist() == [True, False]
    assert shapely.contains(long.geometry, inside).tolist() == [True, True]
    assert not shapely.contains(short.geometry, shapely.Point(b.at(16, 0)))
    assert not shapely.contains(long.geometry, shapely.Point(b.at(0, 5)))


def test_without_roads_the_area_is_the_straight_line_circle():
    """15 min at 40 km/h ÷ 1.3 = 7.69 km: (0, 7.5) inside, (0, 7.9) outside."""
    reach = reach_of(road_layer=b.roads(ROAD), reach="straight")
    short = reach.areas[0]
    assert short.model == "straight"
    assert shapely.contains(short.geometry, shapely.Point(b.at(0, 7.5)))
    assert not shapely.contains(short.geometry, shapely.Point(b.at(0, 7.9)))


def test_a_candidate_centre_gets_its_areas_too():
    reach = site_reach(
        "centre",
        "C1",
        viewer=PLANNER,
        centres=b.centres({"pos": b.at(20, 0)}),
        units=None,
        params=CoverageParams(),
        roads=b.roads(ROAD),
    )
    assert reach.label() == "Centre C1"
    assert reach.areas[0].road_km == pytest.approx(10.0 + 15.0, rel=2e-3)  # 30 km end


def test_reach_areas_are_refused_to_roles_without_unit_positions():
    with pytest.raises(AccessDeniedError):
        reach_of(viewer=BRIEFER)
    with pytest.raises(InputError, match="no unit has ID 'P9'"):
        site_reach(
            "unit",
            "P9",
            viewer=PLANNER,
            centres=b.centres({"pos": b.at(0)}),
            units=b.units({"unit_id": "P1", "pos": b.at(0)}),
            params=CoverageParams(),
            roads=None,
        )


def test_the_map_draws_the_reach_areas_only_for_roles_with_unit_positions():
    reach = reach_of()
    options = MapOptions(**PLAIN)
    drawn = build_planning_map(
        apply_filters(world(), MapFilters()), viewer=PLANNER, options=options, reach=reach
    )
    assert layer_names(drawn).count(LAYER_REACH) == 2
    section = next(s for s in legend_of(drawn).sections if s.layer == LAYER_REACH)
    assert section.title == "Reach area: Unit P1 (Patrol)"
    assert [e.label for e in section.entries] == ["15 min (on roads)", "30 min (on roads)"]
    hidden = build_planning_map(
        apply_filters(world(), MapFilters()), viewer=BRIEFER, options=options, reach=reach
    )
    assert LAYER_REACH not in layer_names(hidden)


def test_the_roads_and_reach_legends_speak_arabic():
    options = MapOptions(**PLAIN, show_roads=True)
    m = build_planning_map(
        apply_filters(world(), MapFilters()),
        viewer=PLANNER,
        options=options,
        road_lines=roads_for_map(mixed_roads()),
        reach=reach_of(),
        lang="ar",
    )
    assert {"الطرق", "منطقة المدى"} <= set(layer_names(m))
    sections = {s.layer: s for s in legend_of(m).sections}
    assert sections["الطرق"].title == "الطرق حسب الفئة"
    assert [e.label for e in sections["الطرق"].entries] == ["طريق رئيسي", "طريق أولي", "طرق أخرى"]
    assert sections["منطقة المدى"].title == "منطقة المدى: الوحدة P1 (دورية)"
    assert [e.label for e in sections["منطقة المدى"].entries] == [
        "15 د (على الطرق)",
        "30 د (على الطرق)",
    ]
