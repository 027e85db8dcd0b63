"""The roads layer: reading real and hand-made road files, the bundled roads, the store."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from geo.errors import InputError, SchemaError
from geo.network import build_network
from geo.roads import (
    OSM_ATTRIBUTION,
    line_lengths_km,
    read_reference_roads,
    read_roads,
    roads_from_frame,
)
from geo.schema import CRS, LAYERS, check_layer
from geo.store import GeoPackageStore

FIXTURE = "osm_roads_lby_20210806/libya_roads.gpkg"


@pytest.fixture
def fixture_roads(real_fixtures) -> gpd.GeoDataFrame:
    """The fixture read through the import path (geo.io.read_path, then the roads reader)."""
    return read_roads(real_fixtures / FIXTURE)


def test_the_osm_fixture_reads_with_its_readme_figures(fixture_roads):
    """README: 24,942 lines, 30,389.1 km, 17,370 one way, 603 bridges."""
    assert len(fixture_roads) == 24_942
    assert fixture_roads["length_km"].sum() == pytest.approx(30_389.1, rel=1e-3)
    assert int(fixture_roads["oneway"].sum()) == 17_370
    assert int(fixture_roads["bridge"].sum()) == 603
    by_class = fixture_roads.groupby("highway")["length_km"].sum()
    assert by_class["tertiary"] == pytest.approx(10_468.0, rel=1e-3)
    assert by_class["motorway_link"] == pytest.approx(25.9, rel=1e-2)


def test_the_osm_fixture_network_has_the_readme_topology(fixture_roads):
    """README, endpoints rounded to about 1 m: 36 components, the largest 29,206.6 km,
    825 dead ends. The default 2 m tolerance and 1 m give the same."""
    for tolerance in (1.0, 2.0):
        summary = build_network(fixture_roads, snap_tolerance_m=tolerance).summary
        assert summary.components == 36
        assert summary.dead_ends == 825
        assert summary.largest_component_km == pytest.approx(29_206.6, rel=1e-3)
        assert summary.lines == 24_942


def test_a_wider_tolerance_joins_the_almost_junctions(fixture_roads):
    """README: a few small components are OSM "almost junctions" 7–60 m away."""
    assert build_network(fixture_roads, snap_tolerance_m=60).summary.components < 36


def test_the_bundled_roads_keep_the_fixture_network_and_its_attribution():
    roads = read_reference_roads()
    assert len(roads) == 24_940  # two lines under the 5-decimal grid dropped
    assert roads["length_km"].sum() == pytest.approx(30_389.1, rel=2e-3)
    assert set(roads["source"]) == {f"OpenStreetMap 2021-08-06, {OSM_ATTRIBUTION}"}
    summary = build_network(roads).summary
    assert summary.components == 36
    assert summary.dead_ends == 825


def test_the_demo_holds_the_bundled_roads(demo_layers, demo_workspace):
    assert len(demo_layers["roads"]) == 24_940
    history = GeoPackageStore(demo_workspace).versions("roads")
    assert OSM_ATTRIBUTION in history["source"].iloc[-1]


def test_lengths_are_true_kilometres_anywhere_in_libya():
    """Against WGS84 geodesics: the projection stretches lengths by 2 % at 20° N, and the
    scale-factor correction must remove it."""
    geod = pyproj.Geod(ellps="WGS84")
    lines = [
        shapely.LineString([(14.0, 20.0), (14.0, 20.5), (14.2, 20.6)]),
        shapely.LineString([(20.0, 32.0), (20.3, 32.2)]),
    ]
    expected = [geod.geometry_length(line) / 1000 for line in lines]
    assert line_lengths_km(np.array(lines, dtype=object)) == pytest.approx(expected, rel=1e-5)


def test_a_store_round_trip_keeps_lines_as_multilines_with_their_network(tmp_path):
    roads = read_reference_roads().iloc[:500]
    store = GeoPackageStore(tmp_path / "w.gpkg")
    store.write_layer("roads", roads, author="test")
    back = store.read_layer("roads")
    assert set(back.geom_type) == {"MultiLineString"}
    assert back["oneway"].tolist() == roads["oneway"].tolist()
    assert build_network(back).summary == build_network(roads).summary


def test_the_roads_schema_refuses_points_naming_the_row():
    roads = read_reference_roads().iloc[:3].copy()
    roads.loc[1, "geometry"] = shapely.Point(13.0, 32.0)
    with pytest.raises(SchemaError, match="row 2, column 'geometry': geometry must be a line"):
        check_layer("roads", roads)


def test_a_geofabrik_shapefile_in_a_zip_is_read_with_its_conventions(tmp_path):
    """Geofabrik: ``fclass``, ``oneway`` F (along) / T (against) / B (both), ``bridge``
    T/F, ``maxspeed`` 0 for unknown. The T line is reversed and stored as one way."""
    frame = gpd.GeoDataFrame(
        {
            "osm_id": ["11", "12", "13"],
            "fclass": ["primary", "residential", "trunk_link"],
            "oneway": ["F", "T", "B"],
            "bridge": ["F", "T", "F"],
            "maxspeed": [50, 0, 30],
        },
        geometry=[
            shapely.LineString([(13.0, 32.0), (13.1, 32.0)]),
            shapely.LineString([(13.1, 32.0), (13.2, 32.0)]),
            shapely.LineString([(13.2, 32.0), (13.2, 32.1)]),
        ],
        crs=CRS,
    ).to_crs(32633)
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(frame, folder / "gis_osm_roads_free_1.shp")
    archive = tmp_path / "roads.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in folder.iterdir():
            out.write(part, part.name)
    roads = read_roads(archive, source="Geofabrik test")
    assert roads.crs.equals(CRS)
    assert roads["road_id"].tolist() == ["11", "12", "13"]
    assert roads["highway"].tolist() == ["primary", "residential", "trunk_link"]
    assert roads["oneway"].tolist() == [True, True, False]
    assert roads["bridge"].tolist() == [False, True, False]
    assert roads["maxspeed_kmh"].tolist()[0] == 50
    assert pd.isna(roads["maxspeed_kmh"][1])
    start = shapely.get_point(roads.geometry.iloc[1], 0)
    assert (round(start.x, 6), round(start.y, 6)) == (13.2, 32.0)  # reversed
    assert list(roads.columns) == [*LAYERS["roads"].column_names, "geometry"]


def test_osm_style_values_are_understood():
    frame = pd.DataFrame(
        {
            "highway": ["Secondary", "", "tertiary"],
            "oneway": ["yes", "-1", "no"],
            "maxspeed": ["50 mph", "signals", "70"],
            "brunnel": ["bridge", None, "ford"],
        }
    )
    geometry = gpd.GeoSeries([shapely.LineString([(13, 32), (13.01, 32)])] * 3, crs=None)
    roads = roads_from_frame(frame, geometry, source="osm")
    assert roads["highway"].tolist() == ["secondary", "road", "tertiary"]
    assert roads["oneway"].tolist() == [True, True, False]
    assert roads["maxspeed_kmh"].tolist()[0] == pytest.approx(80.47, rel=1e-3)
    assert pd.isna(roads["maxspeed_kmh"][1])
    assert roads["bridge"].tolist() == [True, False, False]
    assert roads["road_id"].tolist() == ["1", "2", "3"]


def test_a_file_without_a_class_column_says_which_columns_it_looked_for():
    frame = pd.DataFrame({"name": ["a"]})
    geometry = gpd.GeoSeries([shapely.LineString([(13, 32), (13.01, 32)])], crs=CRS)
    with pytest.raises(InputError, match="no column holds the road class .*highway, fclass"):
        roads_from_frame(frame, geometry, source="x")
