"""Tiny layers for unit tests, placed at exact geodesic distances from a reference point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
from shapely.geometry import Point  # noqa: F401 - re-exported for tests

from geo.schema import CRS, coerce_layer

#: Tripoli, Martyrs' Square (lon, lat).
ORIGIN = (13.1800, 32.8950)
GEOD = pyproj.Geod(ellps="WGS84")


def at(east_km: float = 0.0, north_km: float = 0.0, *, origin: tuple[float, float] = ORIGIN):
    """Return (lon, lat) ``east_km`` east then ``north_km`` north of ``origin`` (geodesic)."""
    lon, lat = origin
    if east_km:
        lon, lat, _ = GEOD.fwd(lon, lat, 90.0 if east_km > 0 else 270.0, abs(east_km) * 1000)
    if north_km:
        lon, lat, _ = GEOD.fwd(lon, lat, 0.0 if north_km > 0 else 180.0, abs(north_km) * 1000)
    return float(lon), float(lat)


def _layer(layer: str, defaults: dict[str, Any], rows: Sequence[dict[str, Any]], key: str):
    records = []
    for number, row in enumerate(rows, start=1):
        record = {**defaults, key: f"{key[:1].upper()}{number}", **row}
        records.append(record)
    positions = [r.pop("pos", None) for r in records]
    frame = pd.DataFrame(records, columns=None if records else [*defaults, key])
    if all(p is None for p in positions) and "pos" not in defaults:
        return coerce_layer(layer, frame)
    geometry = gpd.GeoSeries([Point(p) if p else None for p in positions], crs=CRS)
    return coerce_layer(layer, gpd.GeoDataFrame(frame, geometry=geometry.values, crs=CRS))


def centres(*rows: dict[str, Any]) -> gpd.GeoDataFrame:
    """Centres layer; each row needs ``pos`` (lon, lat), other columns have defaults."""
    defaults = {
        "name_ar": "مركز",
        "name_en": "Centre",
        "municipality_pcode": "LY010101",
        "centre_type": "general",
        "stations_male": 1,
        "stations_female": 1,
        "stations_mixed": 0,
        "registered_voters": 1000,
        "voters_male": None,
        "voters_female": None,
        "status": "open",
        "source": "test",
        "pos": ORIGIN,
    }
    return _layer("centres", defaults, rows, "centre_id")


def units(*rows: dict[str, Any]) -> gpd.GeoDataFrame:
    """Units layer; default a patrol of 4 officers with no own radius."""
    defaults = {
        "agency": "MoI",
        "unit_type": "patrol",
        "assigned_centre_id": None,
        "municipality_pcode": None,
        "officers": 4,
        "female_officers": 0,
        "vehicles": 1,
        "response_radius_km": None,
        "source": "test",
        "pos": ORIGIN,
    }
    return _layer("units", defaults, rows, "unit_id")


def incidents(*rows: dict[str, Any]) -> gpd.GeoDataFrame:
    """Incidents layer; default severity 5 on 2025-01-01 in municipality LY010101."""
    defaults = {
        "date": "2025-01-01",
        "election": "municipal 2024 phase 1",
        "category": "intimidation",
        "severity": 5,
        "fatalities": 0,
        "injuries": 0,
        "centre_id": None,
        "municipality_pcode": "LY010101",
        "verified": True,
        "description": None,
        "source": "test",
        "pos": ORIGIN,
    }
    return _layer("incidents", defaults, rows, "incident_id")


def audits(*rows: dict[str, Any]) -> pd.DataFrame:
    """Access audits layer (no geometry)."""
    defaults = {
        "centre_id": "C1",
        "audit_date": "2025-01-01",
        "step_free_entrance": None,
        "ramp": None,
        "ground_floor_voting": None,
        "accessible_toilet": None,
        "parking_near": None,
        "notes": None,
        "source": "test",
    }
    return _layer("access_audits", defaults, rows, "audit_id")


def municipalities(*rows: dict[str, Any]) -> pd.DataFrame:
    """Municipalities as a plain table (the analysis needs no municipal geometry)."""
    defaults = {
        "name_ar": "بلدية",
        "population": None,
        "boundary_kind": "approximate",
        "seat_lon": ORIGIN[0],
        "seat_lat": ORIGIN[1],
        "source": "test",
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    return frame


def districts(*rows: dict[str, Any]) -> pd.DataFrame:
    """Districts as a plain table (``pcode``, ``name_en``, ``region_pcode``)."""
    return pd.DataFrame([{"name_ar": "منطقة", "source": "test", **row} for row in rows])


def roads(*lines: Sequence[tuple[float, float]], highway: str = "tertiary") -> gpd.GeoDataFrame:
    """Two-way roads of one class, each given as a list of (east_km, north_km) from ORIGIN."""
    import numpy as np
    import shapely

    from geo.schema import check_layer

    n = len(lines)
    frame = gpd.GeoDataFrame(
        {
            "road_id": [f"R{i}" for i in range(n)],
            "highway": [highway] * n,
            "oneway": [False] * n,
            "bridge": [False] * n,
            "maxspeed_kmh": [np.nan] * n,
            "length_km": [0.0] * n,
            "source": "test",
        },
        geometry=[shapely.LineString([at(x, y) for x, y in line]) for line in lines],
        crs=CRS,
    )
    return check_layer("roads", frame)
