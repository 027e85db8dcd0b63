"""Time the import of 100,000 ACLED-shaped rows: read, check, preview and commit.

Run ``python bench/import.py`` (``--rows N`` to change the size). The rows follow ACLED's
2023+ columns exactly (31 columns, ``16 May 2025`` dates, notes with quotes and line breaks
in one row of ten, tags on one row of twenty), placed around Libya's towns; the target
workspace is a fresh demo workspace in a temporary folder. Figures are printed, never
asserted. Target: the whole import under 10 s.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.acled import COLUMNS  # noqa: E402
from geo.demo import write_demo  # noqa: E402
from geo.imports import ImportOptions, commit_import, prepare_import  # noqa: E402
from geo.io import read_upload  # noqa: E402
from geo.permissions import Viewer  # noqa: E402
from geo.store import GeoPackageStore  # noqa: E402
from geo.workspace import open_workspace  # noqa: E402

TOWNS = (
    ("Tripoli", 13.19, 32.85),
    ("Benghazi", 20.10, 32.09),
    ("Misrata", 15.09, 32.34),
    ("Zawiya", 12.73, 32.74),
    ("Sirte", 16.59, 31.18),
    ("Sabha", 14.43, 27.04),
    ("Bani Walid", 14.00, 31.76),
    ("Kufra", 23.31, 24.18),
    ("Gharyan", 13.02, 32.17),
    ("Derna", 22.64, 32.74),
)
TYPES = (
    ("Battles", "Armed clash"),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("Violence against civilians", "Attack"),
    ("Protests", "Peaceful protest"),
    ("Riots", "Violent demonstration"),
    ("Strategic developments", "Arrests"),
)
MONTHS = ("January", "February", "March", "April", "May", "June")


def acled_csv(rows: int, seed: int = 1) -> bytes:
    """Return ``rows`` synthetic Libyan events as an ACLED 2023+ CSV file (UTF-8)."""
    rng = np.random.default_rng(seed)
    town = rng.integers(0, len(TOWNS), rows)
    kind = rng.integers(0, len(TYPES), rows)
    day = rng.integers(1, 29, rows)
    month = rng.integers(0, len(MONTHS), rows)
    jitter = rng.normal(0, 0.015, (rows, 2))
    deaths = rng.poisson(0.4, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS["acled-2023"])
    for i in range(rows):
        name, lon, lat = TOWNS[town[i]]
        event_type, sub_type = TYPES[kind[i]]
        notes = f"Event {i} near {name}."
        if i % 10 == 0:
            notes = f'On polling day, a "crowd" gathered near {name};\nvoting was delayed.'
        record = {
            "event_id_cnty": f"LBY{100000 + i}",
            "event_date": f"{day[i]} {MONTHS[month[i]]} 2025",
            "year": 2025,
            "time_precision": 1,
            "disorder_type": "Political violence",
            "event_type": event_type,
            "sub_event_type": sub_type,
            "actor1": "Unidentified Armed Group (Libya)",
            "inter1": 3,
            "interaction": 30,
            "iso": 434,
            "region": "Northern Africa",
            "country": "Libya",
            "admin1": name,
            "location": name,
            "latitude": round(lat + jitter[i, 1], 4),
            "longitude": round(lon + jitter[i, 0], 4),
            "geo_precision": 1 + i % 3,
            "source": "Synthetic",
            "source_scale": "National",
            "notes": notes,
            "fatalities": int(deaths[i]),
            "tags": "local election" if i % 20 == 0 else "",
            "timestamp": 1747400000,
        }
        writer.writerow([record.get(c, "") for c in COLUMNS["acled-2023"]])
    return buffer.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    data = acled_csv(args.rows)
    print(f"{args.rows:,} ACLED-shaped rows, {len(data) / 1e6:.1f} MB of CSV")
    viewer = Viewer("bench", "admin")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.gpkg"
        write_demo(path, seed=7)
        workspace = open_workspace(path)
        t0 = time.perf_counter()
        source = read_upload(data, "acled_bench.csv")
        t1 = time.perf_counter()
        preview = prepare_import(
            source, "incidents", workspace, viewer, options=ImportOptions(mode="upsert")
        )
        t2 = time.perf_counter()
        version = commit_import(GeoPackageStore(path), preview, viewer)
        t3 = time.perf_counter()
    print(f"read and parse     {t1 - t0:6.2f} s")
    print(
        f"check and preview  {t2 - t1:6.2f} s  ({len(preview.accepted):,} accepted, "
        f"{len(preview.rejected):,} rejected, {len(preview.report.problems):,} problems)"
    )
    print(f"commit (version {version.version})  {t3 - t2:6.2f} s  ({version.rows:,} rows stored)")
    total = t3 - t0
    verdict = "met" if total < 10 else "MISSED"
    print(
        f"total              {total:6.2f} s  (target under 10 s: {verdict}; "
        f"{args.rows / total:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
