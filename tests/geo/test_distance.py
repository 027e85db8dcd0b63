"""Distances in Libya: projection, scale correction, nearest and radius searches."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geo.distance import (
    LIBYA_LCC,
    any_within,
    distance_m,
    nearest,
    pairs_within,
    points_xy,
    project_lonlat,
    scale_factor,
    sum_within,
)
from geo.errors import InputError
from tests.geo.builders import ORIGIN, at

GEOD = pyproj.Geod(ellps="WGS84")


def xy(*points: tuple[float, float]) -> np.ndarray:
    lon, lat = zip(*points, strict=True) if points else ((), ())
    return np.column_stack(project_lonlat(list(lon), list(lat))).reshape(-1, 2)


@settings(max_examples=200, deadline=None)
@given(
    lon=st.floats(9.3, 25.2),
    lat=st.floats(19.5, 33.2),
    azimuth=st.floats(0, 360),
    metres=st.floats(1, 60_000),
)
def test_distance_within_half_percent_of_geodesic_anywhere_in_libya(lon, lat, azimuth, metres):
    lon2, lat2, _ = GEOD.fwd(lon, lat, azimuth, metres)
    got = distance_m(xy((lon, lat)), xy((lon2, lat2)))[0]
    assert got == pytest.approx(metres, rel=0.005)


def test_distance_error_on_random_pairs_is_far_below_half_percent():
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(9.3, 25.2, 5000), rng.uniform(19.5, 33.2, 5000)
    metres = rng.uniform(100, 50_000, 5000)
    lon2, lat2, _ = GEOD.fwd(lon, lat, rng.uniform(0, 360, 5000), metres)
    a = np.column_stack(project_lonlat(lon, lat))
    b = np.column_stack(project_lonlat(lon2, lat2))
    assert np.abs(distance_m(a, b) / metres - 1).max() < 1e-4


def test_uncorrected_projection_would_miss_the_target_in_the_south():
    a, b = xy(at(0, origin=(14.4, 20.0))), xy(at(30, origin=(14.4, 20.0)))
    planar = float(np.hypot(*(a - b)[0]))
    assert planar / 30_000 - 1 > 0.01
    assert distance_m(a, b)[0] == pytest.approx(30_000, rel=1e-5)


def test_scale_factor_matches_pyproj():
    lons, lats = np.linspace(9.3, 25.2, 50), np.linspace(19.5, 33.2, 50)
    expected = pyproj.Proj(LIBYA_LCC).get_factors(lons, lats).parallel_scale
    got = scale_factor(np.column_stack(project_lonlat(lons, lats)))
    np.testing.assert_allclose(got, expected, rtol=1e-8)


def test_project_rejects_unequal_lengths():
    with pytest.raises(InputError, match="one latitude per longitude"):
        project_lonlat([13.0, 14.0], [32.0])


def test_points_xy_reprojects_and_keeps_order():
    frame = gpd.GeoDataFrame(geometry=[Point(at(0)), Point(at(5))], crs="EPSG:4326")
    got = points_xy(frame.to_crs(3857))
    np.testing.assert_allclose(got, xy(at(0), at(5)), atol=1e-3)


def test_points_xy_names_rows_without_location():
    frame = gpd.GeoDataFrame(geometry=[Point(ORIGIN), None], crs="EPSG:4326")
    with pytest.raises(InputError, match="layer 'units': row\\(s\\) 2 have no point location"):
        points_xy(frame, layer="units")


def test_nearest_finds_closest_target_and_its_distance():
    dist, index = nearest(xy(at(0), at(9)), xy(at(-4), at(10), at(30)))
    np.testing.assert_array_equal(index, [0, 1])
    np.testing.assert_allclose(dist, [4000, 1000], rtol=1e-5)


def test_nearest_with_no_targets_gives_inf_and_minus_one():
    dist, index = nearest(xy(at(0), at(1)), xy())
    assert np.isinf(dist).all()
    np.testing.assert_array_equal(index, [-1, -1])


def test_pairs_within_keeps_only_pairs_inside_radius():
    i, j, dist = pairs_within(xy(at(0), at(5)), xy(at(0.15), at(0.25), at(5.1)), radius_m=200)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 0), (1, 2)]
    np.testing.assert_allclose(dist, [150, 100], rtol=1e-4)


def test_any_within_uses_each_targets_own_radius():
    centres = xy(at(0), at(20), at(40))
    targets = xy(at(5), at(29))
    np.testing.assert_array_equal(
        any_within(centres, targets, np.array([6000.0, 10_000.0])), [True, True, False]
    )


def test_any_within_with_many_distinct_radii_matches_brute_force():
    rng = np.random.default_rng(5)
    centres = xy(*[at(e, n) for e, n in rng.uniform(-30, 30, (300, 2))])
    targets = xy(*[at(e, n) for e, n in rng.uniform(-30, 30, (40, 2))])
    radius = rng.uniform(1000, 8000, 40)
    d = distance_m(np.repeat(centres, 40, axis=0), np.tile(targets, (300, 1))).reshape(300, 40)
    np.testing.assert_array_equal(any_within(centres, targets, radius), (d <= radius).any(axis=1))


def test_sum_within_tapers_linearly_to_zero_at_radius():
    tapered, flat = sum_within(
        xy(at(0)), xy(at(0), at(2.5), at(5), at(9.99), at(10.5)), np.ones(5), radius_m=10_000
    )
    assert tapered[0, 0] == pytest.approx(1 + 0.75 + 0.5 + 0.001, abs=1e-4)
    assert flat[0, 0] == 4


@pytest.mark.parametrize(
    ("dense_cell_pairs", "block_pairs"),
    [(2_000, 1_500_000), (0, 1_500_000), (0, 500), (10**12, 1_500_000), (10**12, 5_000)],
    ids=["default", "all-blocks", "small-blocks", "all-kd-pairs", "kd-pairs-in-chunks"],
)
def test_sum_within_matches_brute_force_on_random_points(
    monkeypatch, dense_cell_pairs, block_pairs
):
    monkeypatch.setattr("geo.distance._DENSE_CELL_PAIRS", dense_cell_pairs)
    monkeypatch.setattr("geo.distance._BLOCK_PAIRS", block_pairs)
    rng = np.random.default_rng(11)
    origin = (14.4, 20.5)  # far south, where the projection stretches most
    centres = xy(*[at(e, n, origin=origin) for e, n in rng.uniform(-40, 40, (400, 2))])
    targets = xy(*[at(e, n, origin=origin) for e, n in rng.uniform(-40, 40, (300, 2))])
    weights = rng.uniform(0, 1, (300, 2))
    tapered, flat = sum_within(centres, targets, weights, radius_m=10_000)
    d = distance_m(np.repeat(centres, 300, axis=0), np.tile(targets, (400, 1))).reshape(400, 300)
    np.testing.assert_allclose(tapered, np.clip(1 - d / 10_000, 0, None) @ weights, atol=1e-9)
    np.testing.assert_allclose(flat, (d <= 10_000) @ weights, atol=1e-9)


def test_sum_within_with_no_targets_is_zero():
    tapered, flat = sum_within(xy(at(0)), xy(), np.empty((0, 3)), radius_m=10_000)
    assert tapered.shape == flat.shape == (1, 3)
    assert not tapered.any()
    assert not flat.any()
