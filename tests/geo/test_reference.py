"""Tests of the bundled reference geography and of Voronoi catchment building."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from geo.errors import InputError, StoreError
from geo.reference import (
    DISTRICTS_FILE,
    MUNICIPALITIES_FILE,
    OUTLINE_FILE,
    REFERENCE_DIR,
    REGIONS_FILE,
    Reference,
    build_catchments,
    read_reference,
)
from geo.roads import REFERENCE_ROADS_FILE
from geo.schema import CRS, LAYERS

ISO_DISTRICTS = {
    *("BA", "BU", "DR", "GT", "JA", "JG", "JI", "JU", "KF", "MB", "MI"),
    *("MJ", "MQ", "NL", "NQ", "SB", "SR", "TB", "WA", "WD", "WS", "ZA"),
}
ARABIC = re.compile("[\u0600-\u06ff]")
#: Area (deg²) below which an overlap or a gap is rounding noise (about 10 m²).
TINY_DEG2 = 1e-9


@pytest.fixture(scope="module")
def reference() -> Reference:
    return read_reference()


def _frames(
    seats: list[tuple[str, str, float, float]], districts: dict[str, shapely.Geometry]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    seat_frame = gpd.GeoDataFrame(
        {"pcode": [s[0] for s in seats], "district_pcode": [s[1] for s in seats]},
        geometry=[Point(s[2], s[3]) for s in seats],
        crs=CRS,
    )
    district_frame = gpd.GeoDataFrame(
        {"pcode": list(districts)}, geometry=list(districts.values()), crs=CRS
    )
    return seat_frame, district_frame


def test_reference_files_exist() -> None:
    for name in (OUTLINE_FILE, DISTRICTS_FILE, MUNICIPALITIES_FILE, REGIONS_FILE):
        assert (REFERENCE_DIR / name).is_file(), name


def test_reference_files_are_small() -> None:
    """The geography stays under 1 MB; the road network has its own 2 MB budget."""
    roads = REFERENCE_DIR / REFERENCE_ROADS_FILE
    total = sum(p.stat().st_size for p in REFERENCE_DIR.iterdir() if p != roads)
    assert total < 1_000_000
    assert roads.stat().st_size < 2_000_000


def test_layers_have_exactly_the_schema_columns(reference: Reference) -> None:
    for layer in ("regions", "districts", "municipalities"):
        frame = getattr(reference, layer)
        assert list(frame.columns) == [*LAYERS[layer].column_names, "geometry"]
        assert frame.crs.equals(CRS)


def test_districts_are_the_22_iso_codes_with_arabic_names(reference: Reference) -> None:
    districts = reference.districts
    assert len(districts) == 22
    assert districts["pcode"].is_unique
    assert {code.removeprefix("LY-") for code in districts["pcode"]} == ISO_DISTRICTS
    assert districts["name_ar"].map(lambda name: bool(ARABIC.search(name))).all()


def test_three_regions_hold_every_district(reference: Reference) -> None:
    assert list(reference.regions["pcode"]) == ["RG-E", "RG-S", "RG-W"]
    assert reference.regions["name_ar"].notna().all()
    counts = reference.districts["region_pcode"].value_counts().to_dict()
    assert counts == {"RG-W": 9, "RG-E": 7, "RG-S": 6}


def test_regions_dissolve_the_districts(reference: Reference) -> None:
    union = shapely.union_all(reference.districts.geometry.to_numpy())
    regions = shapely.union_all(reference.regions.geometry.to_numpy())
    assert shapely.area(shapely.symmetric_difference(union, regions)) < TINY_DEG2


def test_districts_tile_the_outline(reference: Reference) -> None:
    outline = reference.outline.geometry.iloc[0]
    districts = reference.districts.geometry.to_numpy()
    assert shapely.coverage_is_valid(districts)
    union = shapely.union_all(districts)
    assert shapely.area(shapely.symmetric_difference(union, outline)) < TINY_DEG2


def test_municipality_count_and_codes(reference: Reference) -> None:
    municipalities = reference.municipalities
    assert 90 <= len(municipalities) <= 110
    assert municipalities["pcode"].is_unique
    suffix = municipalities["district_pcode"].str.removeprefix("LY-")
    pattern = "DM-" + suffix + "-" + r"\d{2}"
    assert all(re.fullmatch(p, c) for p, c in zip(pattern, municipalities["pcode"], strict=True))
    assert set(municipalities["district_pcode"]) <= set(reference.districts["pcode"])
    assert (municipalities["boundary_kind"] == "approximate").all()
    assert municipalities["name_ar"].map(lambda name: bool(ARABIC.search(name))).all()


def test_municipality_codes_follow_population_order(reference: Reference) -> None:
    for _, group in reference.municipalities.groupby("district_pcode"):
        ordered = group.sort_values("pcode")["population"].astype("float64")
        known = ordered.dropna().to_numpy()
        assert (np.diff(known) <= 0).all()
        assert not ordered.isna().to_numpy()[: len(known)].any()


def test_every_seat_lies_in_its_own_catchment(reference: Reference) -> None:
    municipalities = reference.municipalities
    seats = gpd.points_from_xy(municipalities["seat_lon"], municipalities["seat_lat"])
    assert shapely.contains(municipalities.geometry.to_numpy(), np.asarray(seats)).all()


def test_catchments_lie_within_their_district(reference: Reference) -> None:
    areas = reference.districts.set_index("pcode").geometry
    municipalities = reference.municipalities
    own = areas.reindex(municipalities["district_pcode"]).to_numpy()
    outside = shapely.area(shapely.difference(municipalities.geometry.to_numpy(), own))
    assert (outside < TINY_DEG2).all()


def test_catchments_do_not_overlap(reference: Reference) -> None:
    cells = reference.municipalities.geometry.to_numpy()
    tree = shapely.STRtree(cells)
    left, right = tree.query(cells, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(cells[left[pairs]], cells[right[pairs]]))
    assert (overlap < TINY_DEG2).all()


def test_catchments_cover_each_district(reference: Reference) -> None:
    areas = reference.districts.set_index("pcode").geometry
    for code, group in reference.municipalities.groupby("district_pcode"):
        union = shapely.union_all(group.geometry.to_numpy())
        assert shapely.area(shapely.symmetric_difference(union, areas[code])) < TINY_DEG2


def test_read_reference_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="districts.geojson is missing"):
        read_reference(tmp_path)


def test_two_seats_split_a_rectangle_at_the_midline() -> None:
    seats, districts = _frames(
        [("M1", "D1", 0.5, 0.5), ("M2", "D1", 1.5, 0.5)], {"D1": box(0, 0, 2, 1)}
    )
    cells = build_catchments(seats, districts)
    assert list(cells["pcode"]) == ["M1", "M2"]
    assert cells.geometry.iloc[0].equals(box(0, 0, 1, 1))
    assert cells.geometry.iloc[1].equals(box(1, 0, 2, 1))


def test_single_seat_gets_the_whole_district() -> None:
    district = box(10, 20, 12, 21)
    seats, districts = _frames([("M1", "D1", 11.0, 20.5)], {"D1": district})
    cells = build_catchments(seats, districts)
    assert cells.geometry.iloc[0].equals(district)


def test_cells_are_computed_per_district() -> None:
    # Without the per-district split, M2's cell would reach into D1 (x < 1).
    seats, districts = _frames(
        [("M1", "D1", 0.1, 0.5), ("M2", "D2", 1.1, 0.5), ("M3", "D2", 1.9, 0.5)],
        {"D1": box(0, 0, 1, 1), "D2": box(1, 0, 2, 1)},
    )
    cells = build_catchments(seats, districts).set_index("pcode").geometry
    assert cells["M1"].equals(box(0, 0, 1, 1))
    assert shapely.area(shapely.symmetric_difference(cells["M2"], box(1, 0, 1.5, 1))) < 1e-12
    assert shapely.area(shapely.symmetric_difference(cells["M3"], box(1.5, 0, 2, 1))) < 1e-12


def test_cell_edges_account_for_shorter_longitude_degrees() -> None:
    # Near 60°N a degree of longitude spans half the ground of a degree of latitude, so
    # (1, 60) is nearer M1 at (0, 60) (about 0.5 "latitude degrees") than M2 at
    # (1, 60.6) (0.6), although raw degrees would say the opposite (1.0 against 0.6).
    seats, districts = _frames(
        [("M1", "D1", 0.0, 60.0), ("M2", "D1", 1.0, 60.6)], {"D1": box(-1, 59.5, 2, 61)}
    )
    cells = build_catchments(seats, districts).set_index("pcode").geometry
    assert cells["M1"].contains(Point(1, 60))


def test_catchments_keep_seat_attributes_and_index() -> None:
    seats, districts = _frames(
        [("M1", "D1", 0.5, 0.5), ("M2", "D1", 1.5, 0.5)], {"D1": box(0, 0, 2, 1)}
    )
    seats["name_en"] = ["One", "Two"]
    seats.index = [7, 9]
    cells = build_catchments(seats, districts)
    assert list(cells.index) == [7, 9]
    assert list(cells["name_en"]) == ["One", "Two"]
    assert cells.crs.equals(CRS)


def test_seat_outside_its_district_is_rejected() -> None:
    seats, districts = _frames(
        [("M1", "D1", 0.5, 0.5), ("M2", "D1", 5.0, 5.0)], {"D1": box(0, 0, 2, 1)}
    )
    with pytest.raises(InputError, match="seat M2: lies outside its district D1"):
        build_catchments(seats, districts)


def test_unknown_district_is_rejected() -> None:
    seats, districts = _frames([("M1", "D9", 0.5, 0.5)], {"D1": box(0, 0, 2, 1)})
    with pytest.raises(InputError, match="district 'D9' is not among the districts"):
        build_catchments(seats, districts)


def test_two_seats_at_one_place_are_rejected() -> None:
    seats, districts = _frames(
        [("M1", "D1", 0.5, 0.5), ("M2", "D1", 0.5, 0.5)], {"D1": box(0, 0, 2, 1)}
    )
    with pytest.raises(InputError, match="seat M2: another seat of the same district"):
        build_catchments(seats, districts)


def test_projected_input_is_rejected() -> None:
    seats, districts = _frames([("M1", "D1", 0.5, 0.5)], {"D1": box(0, 0, 2, 1)})
    with pytest.raises(InputError, match="must be EPSG:4326"):
        build_catchments(seats.set_crs("EPSG:3857", allow_override=True), districts)
