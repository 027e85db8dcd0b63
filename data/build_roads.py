"""Rebuild data/reference/roads.fgb.gz, the demo's road network, from the OSM fixture.

Run from anywhere: ``.venv/bin/python data/build_roads.py [--source PATH]``. The input is
the GeoPackage of Libya's major roads in ``../shared/fixtures/real/osm_roads_lby_20210806/``
(OpenStreetMap, 2021-08-06, ODbL 1.0; its README says how it was made); its sha256 is
checked. The script keeps every line (motorway to tertiary, with links), simplifies it
with Douglas-Peucker at :data:`SIMPLIFY_M` in a metric projection (which keeps both
endpoints, and with them every junction, since the fixture's lines meet only at their
endpoints), rounds coordinates to 5 decimals, drops the lines that rounding shrinks to a
point (both ends become the same junction, so connectivity is unchanged), and writes a
gzipped FlatGeobuf file with the ``roads`` layer's columns. See ``data/README.md``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.roads import (  # noqa: E402
    REFERENCE_ROADS_FILE,
    REFERENCE_ROADS_SOURCE,
    line_lengths_km,
    project_lines,
    roads_from_frame,
    unproject_xy,
)
from geo.schema import CRS, check_layer  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared/fixtures/real/osm_roads_lby_20210806/libya_roads.gpkg"
SOURCE_SHA256 = "7ec3e2ef2b386849635128accd49bc21b6be2bc155a08b760d42bc67253ba5de"
OUT = ROOT / "data" / "reference" / REFERENCE_ROADS_FILE
#: Douglas-Peucker tolerance, metres: no simplified line strays further from the original.
SIMPLIFY_M = 5.0
#: Decimals kept in coordinates (1e-5 degree: about 1 m).
DECIMALS = 5


def main() -> None:
    """Check the fixture, reduce it and write the bundled file; print what was kept."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="libya_roads.gpkg")
    args = parser.parse_args()
    data = args.source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"{args.source}: sha256 {digest} is not the pinned {SOURCE_SHA256}")
    fixture = pyogrio.read_dataframe(args.source, layer="roads")
    print(f"read {len(fixture):,} lines, {fixture['length_km'].sum():,.1f} km (fixture's own)")

    projected = project_lines(fixture.geometry)
    if not np.array_equal(projected.row, np.arange(len(fixture))):
        raise SystemExit("expected one LineString per feature")
    simple = shapely.simplify(projected.parts, SIMPLIFY_M, preserve_topology=False)
    rounded = shapely.transform(simple, lambda xy: np.round(unproject_xy(xy), DECIMALS))
    rounded = shapely.remove_repeated_points(rounded)
    keep = shapely.length(rounded) > 0
    print(f"dropped {int((~keep).sum())} line(s) shorter than the rounding grid")

    frame = pd.DataFrame(fixture.drop(columns=fixture.geometry.name))[keep]
    frame["id"] = [f"R{int(i):05d}" for i in frame["id"]]
    geometry = gpd.GeoSeries(rounded[keep], crs=CRS)
    roads = roads_from_frame(frame, geometry, source=REFERENCE_ROADS_SOURCE)
    roads["length_km"] = np.round(roads["length_km"], 4)
    roads = check_layer("roads", roads)
    write_fgb_gz(roads, OUT)
    before = line_lengths_km(fixture.geometry).sum()
    after = roads["length_km"].sum()
    vertices = int(shapely.get_num_coordinates(roads.geometry.to_numpy()).sum())
    print(
        f"wrote {OUT.relative_to(ROOT)}: {len(roads):,} lines, {vertices:,} vertices, "
        f"{after:,.1f} km ({after / before - 1:+.3%} against the unsimplified lines), "
        f"{OUT.stat().st_size / 1e6:.2f} MB"
    )
    for highway, group in roads.groupby("highway"):
        print(f"  {highway:<15} {len(group):>6,} lines {group['length_km'].sum():>10,.1f} km")


def write_fgb_gz(roads: gpd.GeoDataFrame, path: Path) -> None:
    """Write ``roads`` as a gzipped FlatGeobuf layer called ``roads`` (no spatial index).

    The bytes depend only on the rows: the layer is always written under the same name and
    the gzip header carries no time or file name.
    """
    with tempfile.TemporaryDirectory(prefix="build-roads-") as folder:
        work = Path(folder) / "roads.fgb"
        pyogrio.write_dataframe(
            roads, work, driver="FlatGeobuf", layer_options={"SPATIAL_INDEX": "NO"}
        )
        path.write_bytes(gzip.compress(work.read_bytes(), compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()
