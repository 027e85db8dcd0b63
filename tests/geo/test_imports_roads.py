"""``python -m geo import --layer roads``: the real OSM fixture, hand-made files, the store."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.audit import read_log
from geo.cli import main
from geo.errors import AccessDeniedError
from geo.imports import import_roads_path
from geo.permissions import Viewer
from geo.store import GeoPackageStore
from tests.geo import builders as b

FIXTURE = "osm_roads_lby_20210806/libya_roads.gpkg"


def import_roads(ws, path, *flags: str) -> int:
    return main(["import", "--workspace", str(ws), "--layer", "roads", str(path), *flags])


def lines_file(tmp_path, name="roads.geojson", **columns) -> str:
    """Three features: a 10 km primary east, a point, a 5 km tertiary north from its end."""
    frame = gpd.GeoDataFrame(
        {"highway": ["primary", "trunk", "tertiary"], "oneway": ["no", "no", "yes"], **columns},
        geometry=[
            shapely.LineString([b.at(0, 0), b.at(10, 0)]),
            shapely.Point(b.at(1, 1)),
            shapely.LineString([b.at(10, 0), b.at(10, 5)]),
        ],
        crs=4326,
    )
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON")
    return str(path)


def test_the_osm_fixture_imports_with_its_readme_network(real_fixtures, tmp_path, capsys):
    """README: 24,942 lines, 30,389.1 km, 36 components, the largest 29,206.6 km, 825 dead
    ends, 17,370 one way, 603 bridges; tertiary 6,490 lines, 10,468.0 km."""
    ws = tmp_path / "ws.gpkg"
    assert import_roads(ws, real_fixtures / FIXTURE) == 0
    printed = capsys.readouterr().out
    assert "24,942 feature(s) read, 24,942 accepted, 0 rejected" in printed
    assert "network: 24,942 lines, 30,389 km" in printed
    assert "36 connected component(s), the largest 29,207 km (96.1%)" in printed
    assert "825 dead ends; 17,370 one-way lines; 603 bridges" in printed
    assert "tertiary 6,490 lines 10,468.0 km" in printed
    assert "motorway_link 118 lines 25.9 km" in printed
    assert "roads: version 1 written (24,942 rows)" in printed
    store = GeoPackageStore(ws)
    roads = store.read_layer("roads")
    assert len(roads) == 24_942
    assert roads["length_km"].sum() == pytest.approx(30_389.1, rel=1e-3)
    history = store.versions("roads")
    assert "36 connected component(s)" in history["note"].iloc[-1]
    entry = read_log(ws, viewer=Viewer("root", "admin")).iloc[-1]
    assert (entry["action"], entry["target"], entry["rows"]) == ("import", "roads", 24_942)


def test_a_geojson_keeps_its_lines_and_refuses_a_point_naming_its_row(tmp_path, capsys):
    """Lines 10 + 5 km joined at one end: 1 component, 2 dead ends, 1 one-way line."""
    ws, rejected = tmp_path / "ws.gpkg", tmp_path / "rejected.csv"
    assert import_roads(ws, lines_file(tmp_path), "--rejected", str(rejected)) == 0
    printed = capsys.readouterr().out
    assert "3 feature(s) read, 2 accepted, 1 rejected" in printed
    assert "network: 2 lines, 15 km (primary 10 km, tertiary 5 km); 1 connected" in printed
    assert "2 dead ends; 1 one-way lines; 0 bridges" in printed
    assert "roads, row 2, column 'geometry': geometry must be a line" in printed
    table = pd.read_csv(rejected, encoding="utf-8-sig")
    assert table["row"].tolist() == [2]
    assert table["highway"].tolist() == ["trunk"]
    roads = GeoPackageStore(ws).read_layer("roads")
    assert roads["highway"].tolist() == ["primary", "tertiary"]
    assert roads["length_km"].tolist() == pytest.approx([10.0, 5.0], rel=1e-4)
    log = read_log(ws, viewer=Viewer("root", "admin"))
    assert log["action"].tolist()[-2:] == ["import", "export"]


def test_a_zipped_geofabrik_shapefile_imports_its_fclass(tmp_path, capsys):
    folder = tmp_path / "shp"
    folder.mkdir()
    frame = gpd.GeoDataFrame(
        {"osm_id": ["7", "8"], "fclass": ["trunk", "residential"], "oneway": ["F", "B"]},
        geometry=[
            shapely.LineString([b.at(0, 0), b.at(4, 0)]),
            shapely.LineString([b.at(4, 0), b.at(4, 2)]),
        ],
        crs=4326,
    )
    pyogrio.write_dataframe(frame, folder / "gis_osm_roads_free_1.shp")
    archive = tmp_path / "roads.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    ws = tmp_path / "ws.gpkg"
    assert import_roads(ws, archive) == 0
    assert "classes: trunk 1 lines 4.0 km; residential 1 lines 2.0 km" in capsys.readouterr().out
    roads = GeoPackageStore(ws).read_layer("roads")
    assert roads["road_id"].tolist() == ["7", "8"]
    assert roads["oneway"].tolist() == [True, False]


def test_a_dry_run_reports_and_writes_nothing(tmp_path, capsys):
    ws = tmp_path / "ws.gpkg"
    assert import_roads(ws, lines_file(tmp_path), "--dry-run") == 0
    assert "dry run: nothing was written" in capsys.readouterr().out
    assert not ws.exists()


def test_a_new_road_file_replaces_the_network_and_coverage_uses_it(tmp_path, capsys):
    """Wadi road (23 min round): the centre 3 km away is a gap. A new file with a bridge
    straight across (3 km, 3 min) replaces it: the same process now finds it reachable."""
    ws = tmp_path / "ws.gpkg"
    GeoPackageStore(ws).write_layers(
        {"centres": b.centres({"pos": b.at(3, 0)}), "units": b.units({"pos": b.at(0, 0)})},
        author="test",
    )
    for name, line, status in (
        ("wadi.geojson", [b.at(0, 0), b.at(0, 10), b.at(3, 10), b.at(3, 0)], "gap"),
        ("bridge.geojson", [b.at(0, 0), b.at(3, 0)], "response_only"),
    ):
        path = tmp_path / name
        gpd.GeoDataFrame(
            {"highway": ["tertiary"]}, geometry=[shapely.LineString(line)], crs=4326
        ).to_file(path, driver="GeoJSON")
        assert import_roads(ws, path) == 0
        out = tmp_path / "c.csv"
        assert main(["coverage", "--workspace", str(ws), "--out", str(out)]) == 0
        table = pd.read_csv(out, encoding="utf-8-sig")
        assert table["status"].tolist() == [status]
        assert table["reach_model"].tolist() == ["network"]
    assert len(GeoPackageStore(ws).read_layer("roads")) == 1
    capsys.readouterr()


def test_flags_of_tabular_imports_are_refused_for_roads(tmp_path, capsys):
    ws = tmp_path / "ws.gpkg"
    assert import_roads(ws, lines_file(tmp_path), "--mode", "upsert") == 2
    assert "--mode upsert do(es) not apply to roads" in capsys.readouterr().err
    assert import_roads(ws, lines_file(tmp_path), "--format", "hnec") == 2
    assert not ws.exists()


def test_a_file_without_a_class_column_names_the_columns_and_the_flag(tmp_path, capsys):
    path = tmp_path / "roads.geojson"
    gpd.GeoDataFrame(
        {"kind": ["trunk"]}, geometry=[shapely.LineString([b.at(0), b.at(1)])], crs=4326
    ).to_file(path, driver="GeoJSON")
    ws = tmp_path / "ws.gpkg"
    assert import_roads(ws, path) == 2
    assert "no column holds the road class" in capsys.readouterr().err
    assert import_roads(ws, path, "--class-column", "kind") == 0
    assert GeoPackageStore(ws).read_layer("roads")["highway"].tolist() == ["trunk"]


def test_a_role_without_import_rights_may_not_import_roads(tmp_path):
    with pytest.raises(AccessDeniedError, match="may not import data"):
        import_roads_path(
            tmp_path / "ws.gpkg", lines_file(tmp_path), Viewer(name="v", role="viewer")
        )
    assert not (tmp_path / "ws.gpkg").exists()
