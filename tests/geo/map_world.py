"""A tiny workspace for the map tests: 2 regions, 3 districts, 4 municipalities, 4 centres.

Centre ``10002`` is named like an HTML injection; municipality ``M4`` has no polygon;
unit ``U3`` and incident ``I3`` have no municipality of their own (placed by their centre).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from tests.geo import builders as b

EVIL = "<img src=x onerror=alert(1)>"


def world() -> dict[str, pd.DataFrame]:
    """Two regions, three districts, four municipalities, four centres, units, incidents."""
    regions = gpd.GeoDataFrame(
        {"pcode": ["R-W", "R-E"], "name_en": ["West", "East"], "name_ar": ["الغرب", "الشرق"]},
        geometry=[box(11, 30, 16, 33), box(16, 30, 21, 33)],
        crs="EPSG:4326",
    )
    districts = gpd.GeoDataFrame(
        {
            "pcode": ["D1", "D2", "D3"],
            "name_en": ["Tripoli", "Misrata", "Benghazi"],
            "name_ar": ["طرابلس", "مصراتة", "بنغازي"],
            "region_pcode": ["R-W", "R-W", "R-E"],
        },
        geometry=[box(11, 30, 14, 33), box(14, 30, 16, 33), box(16, 30, 21, 33)],
        crs="EPSG:4326",
    )
    municipalities = gpd.GeoDataFrame(
        {
            "pcode": ["M1", "M2", "M3", "M4"],
            "name_en": ["Tripoli Center", "Janzour", "Misrata", "Benghazi"],
            "name_ar": ["طرابلس المركز", "جنزور", "مصراتة", "بنغازي"],
            "district_pcode": ["D1", "D1", "D2", "D3"],
            "boundary_kind": ["approximate"] * 4,
            "seat_lon": [13.18, 13.0, 15.09, 20.07],
            "seat_lat": [32.89, 32.8, 32.37, 32.11],
        },
        geometry=[box(12.5, 32, 14, 33), box(11, 32, 12.5, 33), box(14, 30, 16, 33), None],
        crs="EPSG:4326",
    )
    centres = b.centres(
        {"centre_id": "10001", "name_en": "Al-Amal School", "name_ar": "مدرسة الأمل",
         "municipality_pcode": "M1", "pos": (13.18, 32.89)},
        {"centre_id": "10002", "name_en": EVIL, "name_ar": "مدرسة النصر",
         "municipality_pcode": "M1", "centre_type": "displaced", "pos": (13.20, 32.87)},
        {"centre_id": "20001", "name_en": "Misrata Hall", "name_ar": "قاعة مصراتة",
         "municipality_pcode": "M3", "pos": (15.09, 32.37)},
        {"centre_id": "30001", "name_en": "People's Hall", "name_ar": "قاعة الشعب",
         "municipality_pcode": "M4", "pos": (20.07, 32.11)},
    )  # fmt: skip
    units = b.units(
        {"unit_id": "U1", "agency": "ESD", "unit_type": "static_guard",
         "assigned_centre_id": "10001", "municipality_pcode": "M1", "pos": (13.1805, 32.8904)},
        {"unit_id": "U2", "agency": "Police", "unit_type": "patrol",
         "municipality_pcode": "M3", "pos": (15.1, 32.4)},
        {"unit_id": "U3", "agency": "ESD", "unit_type": "static_guard",
         "assigned_centre_id": "30001", "pos": (20.0702, 32.1103)},
    )  # fmt: skip
    incidents = b.incidents(
        {"incident_id": "I1", "date": "2024-11-01", "category": "attack_on_centre",
         "municipality_pcode": "M1", "pos": (13.18, 32.88)},
        {"incident_id": "I2", "date": "2025-08-01", "election": "municipal 2025 phase 2",
         "municipality_pcode": "M3", "pos": (15.0, 32.3)},
        {"incident_id": "I3", "date": "2025-08-10", "election": "municipal 2025 phase 2",
         "municipality_pcode": None, "centre_id": "30001", "pos": (20.0, 32.1)},
        {"incident_id": "I4", "date": "2025-01-05", "election": None,
         "municipality_pcode": "M2", "pos": (13.0, 32.8)},
    )  # fmt: skip
    audits = b.audits(
        {"centre_id": "10001", "step_free_entrance": True, "ground_floor_voting": True},
        {"centre_id": "10002", "step_free_entrance": False, "ground_floor_voting": False},
        {"centre_id": "20001", "step_free_entrance": True},
    )
    return {
        "regions": regions,
        "districts": districts,
        "municipalities": municipalities,
        "centres": centres,
        "access_audits": audits,
        "units": units,
        "incidents": incidents,
    }
