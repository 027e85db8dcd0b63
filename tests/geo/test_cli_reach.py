"""``python -m geo coverage`` on the road network: --reach, minutes, --speeds, --compare-reach.

Small workspaces on hand-built roads (see tests/geo/test_coverage_reach.py for the paper
working): tertiary roads at 60 km/h (1 km a minute), a patrol limit of 15 minutes on roads
and a straight-line patrol radius of 10 road-km / 1.3 = 7.69 km.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo.cli import main
from geo.schema import CRS
from geo.store import GeoPackageStore
from tests.geo import builders as b

WADI = [(0, 0), (0, 10), (3, 10), (3, 0)]
REL = 2e-3


def workspace(tmp_path, *, roads=None, **layers) -> str:
    path = tmp_path / "ws.gpkg"
    frames = dict(layers)
    if roads is not None:
        frames["roads"] = roads
    GeoPackageStore(path).write_layers(frames, author="test")
    return str(path)


def coverage(ws: str, out, *flags: str) -> int:
    return main(["coverage", "--workspace", ws, "--out", str(out), "--as-of", "2025-06-01", *flags])


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"centre_id": str, "pcode": str})


@pytest.fixture
def wadi(tmp_path) -> str:
    """Patrol at (0, 0), centre at (3, 0); the road goes 23 km round the wadi."""
    return workspace(
        tmp_path,
        centres=b.centres({"pos": b.at(3, 0)}),
        units=b.units({"pos": b.at(0, 0)}),
        roads=b.roads(WADI),
    )


@pytest.fixture
def along(tmp_path) -> str:
    """Patrol at 5 km, centre at 15 km on a 20 km road: 10 minutes, 10 km straight."""
    return workspace(
        tmp_path,
        centres=b.centres({"pos": b.at(15, 0)}),
        units=b.units({"pos": b.at(5, 0)}),
        roads=b.roads([(0, 0), (20, 0)]),
    )


def test_coverage_uses_the_roads_by_default_and_straight_lines_on_request(wadi, tmp_path, capsys):
    out = tmp_path / "c.csv"
    assert coverage(wadi, out) == 0
    table = read(out)
    assert table["status"].tolist() == ["gap"]
    assert table["reach_model"].tolist() == ["network"]
    assert table["nearest_patrol_min"].tolist() == pytest.approx([23.0], rel=REL)
    assert "reach: 1 centres on the network model, 0 centres on the straight model" in (
        capsys.readouterr().out
    )
    assert coverage(wadi, out, "--reach", "straight") == 0
    table = read(out)
    assert table["status"].tolist() == ["response_only"]
    assert table["reach_model"].tolist() == ["straight"]
    # 3 km × 1.3 at 40 km/h
    assert table["nearest_patrol_min"].tolist() == pytest.approx([5.85], rel=REL)


def test_patrol_minutes_sets_the_limit_on_roads(wadi, tmp_path):
    out = tmp_path / "c.csv"
    assert coverage(wadi, out, "--patrol-minutes", "25") == 0
    assert read(out)["status"].tolist() == ["response_only"]
    assert coverage(wadi, out, "--patrol-minutes", "22") == 0
    assert read(out)["status"].tolist() == ["gap"]


def test_rapid_minutes_sets_the_rapid_response_limit(tmp_path):
    """Rapid unit 25 km along the road: 25 minutes, within 30 but not within 20."""
    ws = workspace(
        tmp_path,
        centres=b.centres({"pos": b.at(30, 0)}),
        units=b.units({"pos": b.at(5, 0), "unit_type": "rapid_response"}),
        roads=b.roads([(0, 0), (40, 0)]),
    )
    out = tmp_path / "c.csv"
    assert coverage(ws, out) == 0
    assert read(out)["status"].tolist() == ["response_only"]
    assert coverage(ws, out, "--rapid-minutes", "20") == 0
    assert read(out)["status"].tolist() == ["gap"]


def test_speeds_file_sets_the_speed_of_a_road_class(along, tmp_path):
    """Tertiary at 30 km/h: 10 km take 20 minutes > 15; another class's speed changes nothing."""
    out, speeds = tmp_path / "c.csv", tmp_path / "speeds.csv"
    speeds.write_text("highway,kmh\nprimary,120\n", encoding="utf-8")
    assert coverage(along, out, "--speeds", str(speeds)) == 0
    assert read(out)["nearest_patrol_min"].tolist() == pytest.approx([10.0], rel=REL)
    speeds.write_text("\ufeffHighway,KMH\ntertiary,30\n", encoding="utf-8")
    assert coverage(along, out, "--speeds", str(speeds)) == 0
    table = read(out)
    assert table["nearest_patrol_min"].tolist() == pytest.approx([20.0], rel=REL)
    assert table["status"].tolist() == ["gap"]


def test_a_bad_speeds_file_names_every_row_and_column_and_writes_nothing(along, tmp_path, capsys):
    out, speeds = tmp_path / "c.csv", tmp_path / "speeds.csv"
    speeds.write_text("highway,kmh\ntertiary,fast\nlane,50\nprimary,-5\n", encoding="utf-8")
    assert coverage(along, out, "--speeds", str(speeds)) == 2
    err = capsys.readouterr().err
    assert "row 1, column kmh: 'fast' is not a positive speed" in err
    assert "row 2, column highway: 'lane' is not one of motorway" in err
    assert "row 3, column kmh: '-5'" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
    speeds.write_text("class,speed\ntertiary,30\n", encoding="utf-8")
    assert coverage(along, out, "--speeds", str(speeds)) == 2
    assert "lacks column(s) highway, kmh" in capsys.readouterr().err
    assert coverage(along, out, "--speeds", str(tmp_path / "none.csv")) == 2
    assert "none.csv: no such file" in capsys.readouterr().err
    assert not out.exists()


def test_reach_network_without_roads_exits_2_saying_how_to_import_them(tmp_path, capsys):
    ws = workspace(
        tmp_path, centres=b.centres({"pos": b.at(3, 0)}), units=b.units({"pos": b.at(0, 0)})
    )
    out = tmp_path / "c.csv"
    assert coverage(ws, out, "--reach", "network") == 2
    assert "import --layer roads" in capsys.readouterr().err
    assert coverage(ws, out, "--compare-reach") == 2
    assert "'roads' layer" in capsys.readouterr().err
    assert not out.exists()
    assert coverage(ws, out) == 0
    assert read(out)["reach_model"].tolist() == ["straight"]


def test_compare_reach_counts_centres_and_voters_that_change_by_municipality(tmp_path, capsys):
    """M1: the wadi centre (500 voters) loses reach on roads. M2: a centre 10 km along a
    road (700 voters) gains it; one 1 km from its patrol (300 voters) is reachable in both.
    """
    ws = workspace(
        tmp_path,
        centres=b.centres(
            {"pos": b.at(3, 0), "registered_voters": 500, "municipality_pcode": "LY010101"},
            {"pos": b.at(115, 0), "registered_voters": 700, "municipality_pcode": "LY010102"},
            {"pos": b.at(106, 0), "registered_voters": 300, "municipality_pcode": "LY010102"},
        ),
        units=b.units({"pos": b.at(0, 0)}, {"pos": b.at(105, 0)}),
        roads=b.roads(WADI, [(100, 0), (120, 0)]),
        municipalities=gpd.GeoDataFrame(
            b.municipalities(
                {"pcode": "LY010101", "name_en": "Wadi", "district_pcode": "LY0101"},
                {"pcode": "LY010102", "name_en": "Road", "district_pcode": "LY0101"},
            ),
            geometry=[b.Point(b.at(0, 0)).buffer(0.5), b.Point(b.at(110, 0)).buffer(0.5)],
            crs=CRS,
        ),
    )
    out = tmp_path / "compare.csv"
    assert coverage(ws, out, "--compare-reach") == 0
    areas = read(out)
    assert areas["pcode"].tolist() == ["LY010102", "LY010101"]  # most voters changed first
    assert areas["name_en"].tolist() == ["Road", "Wadi"]
    assert areas["centres"].tolist() == [2, 1]
    assert areas["voters"].tolist() == [1000, 500]
    assert areas["centres_changed"].tolist() == [1, 1]
    assert areas["voters_changed"].tolist() == [700, 500]
    assert areas["centres_lost"].tolist() == [0, 1]
    assert areas["voters_lost"].tolist() == [0, 500]
    assert areas["centres_gained"].tolist() == [1, 0]
    assert areas["voters_gained"].tolist() == [700, 0]
    assert areas["centres_gap_straight"].tolist() == [1, 0]
    assert areas["centres_gap_network"].tolist() == [0, 1]
    printed = capsys.readouterr().out
    assert (
        "2 of 3 centres (1,200 of 1,500 voters) change status; 1 lose reach on roads "
        "(500 voters), 1 gain it (700 voters)" in printed
    )
    assert "2 of 2 municipalities have a centre that changes" in printed
    assert "Road (LY010102): 1 centres, 700 voters (0 lose, 1 gain reach on roads)" in printed
    assert coverage(ws, out, "--compare-reach", "--by", "district") == 2
