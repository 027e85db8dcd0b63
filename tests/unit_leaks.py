"""Find security units' exact positions or IDs in what a page, a map or a download shows.

Shared by the AppTest role matrix (tests/app/test_auth.py) and the briefer browser test
(tests/e2e/test_briefer.py). A position counts as leaked when two adjacent numbers in the
text (latitude and longitude, in either order) lie within ``TOLERANCE_DEG`` of a unit.
Units within ``3 * TOLERANCE_DEG`` of a public point (a polling centre, or an incident, both
shown to every role) are left out: such a point's own position is not sensitive, and a unit
that close to it cannot be told apart from it (in the demo, two incidents lie within 10 m of
a unit by chance).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

#: About 11 m: closer than any rounding a page would apply to a real position.
TOLERANCE_DEG = 1e-4
# Two decimal numbers (3+ decimals: coordinates are never shown with fewer) separated only
# by a comma, semicolon or white space, as in "[32.1, 13.2]", "lat,lon" or "32.1 13.2".
_PAIR = re.compile(r"(?=(?<![\d.])(-?\d{1,3}\.\d{3,})[\"']?\s*[,;\s]\s*[\"']?(-?\d{1,3}\.\d{3,}))")
# Libya's bounding box, with a margin.
_LAT = (18.0, 35.0)
_LON = (8.0, 27.0)


def _points(frame: pd.DataFrame) -> np.ndarray:
    geoms = frame.geometry
    keep = ~(geoms.isna() | geoms.is_empty)
    return np.column_stack([geoms[keep].x.to_numpy(), geoms[keep].y.to_numpy()])


def distinguishable_units(units: pd.DataFrame, centres: pd.DataFrame) -> np.ndarray:
    """Return (lon, lat) of units farther than ``3 * TOLERANCE_DEG`` from every centre."""
    unit_xy = _points(units)
    centre_xy = _points(centres)
    if not len(unit_xy) or not len(centre_xy):
        return unit_xy
    distance, _ = cKDTree(centre_xy).query(unit_xy)
    return unit_xy[distance > 3 * TOLERANCE_DEG]


def public_points(layers: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the points every role sees: polling centres and incidents."""
    frames = [layers[name][["geometry"]] for name in ("centres", "incidents") if name in layers]
    return pd.concat(frames, ignore_index=True)


def coordinate_pairs(text: str) -> list[tuple[float, float]]:
    """Return plausible (lon, lat) pairs of adjacent numbers in ``text``, both orders."""
    pairs = []
    for first, second in _PAIR.findall(text):
        a, b = float(first), float(second)
        for lon, lat in ((a, b), (b, a)):
            if _LON[0] <= lon <= _LON[1] and _LAT[0] <= lat <= _LAT[1]:
                pairs.append((lon, lat))
    return pairs


def table_pairs(table: pd.DataFrame) -> list[tuple[float, float]]:
    """Return (lon, lat) of every row for every pair of numeric columns in Libya's ranges."""
    numeric = table.apply(pd.to_numeric, errors="coerce")
    lons = [c for c in numeric if numeric[c].between(*_LON).any()]
    lats = [c for c in numeric if numeric[c].between(*_LAT).any()]
    pairs = []
    for lon in lons:
        for lat in lats:
            if lon != lat:
                both = numeric[[lon, lat]].dropna()
                pairs.extend(zip(both[lon], both[lat], strict=True))
    return pairs


def leaked_positions(
    texts: Iterable[str],
    units: pd.DataFrame,
    centres: pd.DataFrame,
    *,
    tables: Iterable[pd.DataFrame] = (),
) -> list[tuple[float, float]]:
    """Return the unit positions found in ``texts`` or ``tables`` (empty when none leaks)."""
    targets = distinguishable_units(units, centres)
    pairs = [pair for text in texts for pair in coordinate_pairs(text)]
    pairs += [pair for table in tables for pair in table_pairs(table)]
    if not pairs or not len(targets):
        return []
    distance, _ = cKDTree(targets).query(np.asarray(pairs))
    return [pair for pair, d in zip(pairs, distance, strict=True) if d <= TOLERANCE_DEG]


def leaked_ids(texts: Iterable[str], units: pd.DataFrame) -> list[str]:
    """Return the unit IDs that appear as whole words in ``texts``."""
    ids = set(units["unit_id"].astype(str))
    found = set()
    for text in texts:
        found |= ids & set(re.findall(r"[A-Za-z0-9_-]+", text))
    return sorted(found)
