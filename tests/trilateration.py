"""Try to place security units from what a role without ``see_unit_positions`` gets.

Shared by the attack test (``tests/geo/test_trilateration.py``) and ``bench/attack.py``.

What the attacker holds
-----------------------
Every export the role may download for the whole country (:func:`collect_exports`): the
GeoJSON layers of centres and incidents, the GeoPackage, the CSV tables and the Excel
workbook, plus the map's details panel of every centre (the counts of units it shows). The
attacker also knows the published model (README, ``geo/risk.py``) and its parameters (they
are in every report), and the position of every centre (it is in the exports).

What the attacker tries
-----------------------
Each *hypothesis* turns one numeric column into an interval ``[lo, hi]`` of the distance
from each centre to the nearest unit of some kind: the value as km, as road km (÷
circuity), as minutes of travel at 40 or 60 km/h, as remoteness points on the old linear
model (``30 km × value / max``) and on the banded model (the band of ``value / max``); and
the risk score minus the four components that do not involve units, which the attacker
recomputes from the exported incidents and voters with the product's own code. Every
numeric column of every per-centre table is tried, whatever its name.

A hypothesis says two things about the kind of unit the column measures: no such unit lies
closer than ``lo`` to any centre (an exclusion disc), and one lies in the ring
``[lo, hi]`` around each centre. The attacker first tests it the way any distance to the
nearest of a set of points can be tested: such a distance changes by at most the distance
between two places (it is 1-Lipschitz), so for every centre and its nearest neighbours
``lo_i - hi_j <= d_ij`` must hold (within ``LIPSCHITZ_TOL_KM``). A column of counts read
as minutes breaks this between neighbouring centres; a real distance never does. A
distance to the nearest point also changes at rate 1 almost everywhere (its gradient has
length 1), so between neighbours at least one of which lies ``AT_CENTRE_KM`` or more from the units,
``|f_i - f_j| / d_ij`` has a median near 0.7 (the median of ``|cos θ|``); an exact column
whose median stays under ``GRADIENT_MIN`` (a small count read as minutes, mostly equal
between neighbours) is rejected. On a grid
of 500 m cells the attacker then removes the excluded cells from every ring; the rest is
where the unit can be. A hypothesis is kept only when it is also consistent there: at least
90 % of the rings keep a cell. Hypotheses that give the same intervals as one already
tried (the same column in another format) are tried once. A column that equals the distance from
its centre to the centre named in another column of the same row (the nearest accessible
centre) is public geometry, not a unit distance, and is skipped.

Coverage status and the details panel's counts give constraints on known unit kinds: a
centre that is not reachable has no patrol within the patrol reach and no rapid-response
unit within its reach (straight line = road km ÷ circuity); a reachable one has one or the
other; a count of 0 patrols within the panel's radius excludes patrols from that disc, a
count of 1 or more puts one in it. These are combined kind by kind.

The attack *names* a cell when either

* the feasible part of one ring (or disc) is small: at most 12 cells, none more than 2 km
  from another; or
* the narrow rings (``hi - lo`` ≤ 1 km) of at least two different centres meet in it
  (trilateration: two circles meet in at most two places, and the attacker names both).

Rings narrower than 0.5 km around their own centre are not used to name cells: they say
"a unit at this centre", which the centre's guarded status already says by design.

What counts as located
----------------------
A unit is *located* when it lies within 1 km of a named cell's centre. Static guards
standing within 1 km of a centre that the exports show as guarded (``full`` or
``guard_only``) are left out of both the count and the total: the status of a guarded centre
says that a guard post stands at it, which is what the product is for (README, redaction).
Every other unit is a target: patrols, rapid-response units, checkpoints, and static guards
that stand away from any guarded centre.
"""

from __future__ import annotations

import io
import math
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from scipy.spatial import cKDTree

from geo.distance import points_xy, scale_factor
from geo.mapview import centre_details
from geo.permissions import Viewer
from geo.reports import (
    ReportData,
    ReportOptions,
    csv_table,
    excel_report,
    geojson_layer,
    geopackage,
    parameters_table,
    prepare_report,
)
from geo.risk import COMPONENTS, RiskWeights, score_risk
from geo.schema import UNIT_TYPES
from geo.workspace import Workspace

CELL_M = 500.0
#: Half the diagonal of a cell: the tolerance of every ring and disc.
EPS_KM = CELL_M * math.sqrt(2) / 2 / 1000.0
LOCATE_KM = 1.0
MAX_REGION_CELLS = 12
MAX_REGION_KM = 2.0
MIN_RINGS = 2
NARROW_KM = 1.0
AT_CENTRE_KM = 0.5
CONSISTENT_SHARE = 0.9
#: Slack of the 1-Lipschitz test, km (exported distances are rounded).
LIPSCHITZ_TOL_KM = 0.05
#: Neighbours of each centre the 1-Lipschitz test compares it with.
LIPSCHITZ_NEIGHBOURS = 4
#: Share of neighbour pairs that may break the test (none does for a real distance).
LIPSCHITZ_SLACK = 0.002
#: Least median rate of change between neighbours of an exact distance column.
GRADIENT_MIN = 0.4
MIN_ROWS = 20
#: Share of the centres a column must give a value for: a distance to units has one for all.
MIN_SHARE = 0.5
MAX_RADIUS_KM = 40.0
#: Band edges of the banded remoteness model an attacker would read in the README.
BAND_EDGES_KM = (0.0, 5.0, 10.0, 20.0, 30.0, math.inf)
PER_CENTRE_TABLES = ("gaps", "staffing", "accessibility")


@dataclass(frozen=True)
class Exports:
    """What the attacker holds, per centre (aligned with ``centres``)."""

    centres: gpd.GeoDataFrame
    numeric: dict[str, np.ndarray]
    centre_refs: dict[str, np.ndarray]
    status: np.ndarray
    reachable: np.ndarray
    details: dict[str, np.ndarray]
    details_radius_km: float | None
    patrol_reach_km: float
    rapid_reach_km: float
    circuity: float
    remoteness_points_max: float
    residual: np.ndarray | None


@dataclass(frozen=True)
class AttackResult:
    """What the attack named and how many units it placed within 1 km."""

    hypotheses_tried: int
    hypotheses_kept: tuple[str, ...]
    cells_named: int
    cells_holding_a_target: int
    targets: int
    located: int
    located_by: dict[str, int]

    @property
    def share(self) -> float:
        """Share of the target units placed within 1 km of a named cell (0–1)."""
        return self.located / self.targets if self.targets else 0.0


# --- collecting the exports ---------------------------------------------------------------


def _read_layers(content: bytes, suffix: str) -> dict[str, pd.DataFrame]:
    with tempfile.TemporaryDirectory(prefix="psp-attack-") as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(content)
        names = [str(row[0]) for row in pyogrio.list_layers(path)]
        return {name: pyogrio.read_dataframe(path, layer=name) for name in names}


def _tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """Every per-centre table the role downloads, as the files hold them (text cells)."""
    tables: dict[str, pd.DataFrame] = {}
    for name, layer in _read_layers(geojson_layer(data, "centres"), ".geojson").items():
        tables[f"geojson:{name}"] = pd.DataFrame(layer.drop(columns="geometry"))
    for name, layer in _read_layers(geopackage(data), ".gpkg").items():
        frame = layer.drop(columns="geometry", errors="ignore")
        tables[f"gpkg:{name}"] = pd.DataFrame(frame)
    for name in PER_CENTRE_TABLES:
        tables[f"csv:{name}"] = pd.read_csv(
            io.BytesIO(csv_table(data, name)), encoding="utf-8-sig", dtype=str
        )
    sheets = pd.read_excel(io.BytesIO(excel_report(data)), sheet_name=None, dtype=str)
    for name, sheet in sheets.items():
        tables[f"xlsx:{name}"] = sheet
    return tables


def _id_column(frame: pd.DataFrame, ids: set[str]) -> str | None:
    for column in frame.columns:
        values = frame[column].dropna().astype(str)
        if len(values) and values.isin(ids).mean() > 0.9:
            return str(column)
    return None


def _columns(
    tables: dict[str, pd.DataFrame], order: pd.Index
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Numeric columns and centre-ID columns of every per-centre table, aligned to ``order``."""
    ids = set(order)
    numeric: dict[str, np.ndarray] = {}
    refs: dict[str, np.ndarray] = {}
    seen: set[bytes] = set()
    for source, frame in tables.items():
        key = _id_column(frame, ids)
        if key is None:
            continue
        unique = frame.drop_duplicates(key)
        rows = unique.set_index(unique[key].astype(str))
        for column in rows.columns:
            if column == key:
                continue
            raw = rows[column].reindex(order)
            text = raw.astype("string")
            if text.dropna().isin(ids).mean() > 0.9 and text.notna().any():
                refs[f"{source}:{column}"] = text.to_numpy(dtype=object, na_value=None)
                continue
            values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            if np.isfinite(values).sum() < MIN_ROWS:
                continue
            digest = np.round(np.nan_to_num(values, nan=-1e9), 6).tobytes()
            if digest in seen:
                continue
            seen.add(digest)
            numeric[f"{source}:{column}"] = values
    return numeric, refs


def _parameters(data: ReportData) -> dict[str, str]:
    table = parameters_table(data)
    return dict(zip(table["parameter"].astype(str), table["value"].astype(str), strict=True))


def _weights(parameters: dict[str, str]) -> RiskWeights:
    values: dict[str, float] = {}
    for f in fields(RiskWeights):
        try:
            values[f.name] = float(parameters[f.name])
        except (KeyError, ValueError):
            continue
    return RiskWeights(**values)


def _residual(
    layer: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    score: np.ndarray,
    weights: RiskWeights,
    as_of: str,
) -> np.ndarray:
    """Risk score minus the four components that do not involve units (recomputed)."""
    recomputed = score_risk(layer, None, incidents, weights=weights, as_of=as_of)
    others = [c for c, name in COMPONENTS if name != "remoteness"]
    return score - recomputed[others].sum(axis=1).to_numpy(dtype=float)


def _details(
    workspace: Workspace, data: ReportData, viewer: Viewer, order: pd.Index
) -> tuple[dict[str, np.ndarray], float | None]:
    """Counts of units the map's details panel shows for every centre, by unit type."""
    centres = workspace.layer("centres")
    units = workspace.layer("units")
    counts = {kind: np.full(len(order), np.nan) for kind in UNIT_TYPES}
    radius: float | None = None
    for i, centre_id in enumerate(order):
        shown = centre_details(
            centre_id, centres=centres, viewer=viewer, units=units, coverage=data.result.centres
        )
        radius = shown.units_radius_km
        if radius is None:
            continue
        within = shown.units_within.set_index("unit_type")["units"]
        for kind in UNIT_TYPES:
            counts[kind][i] = float(within.get(kind, 0))
    return counts, radius


def collect_exports(
    workspace: Workspace, viewer: Viewer, *, as_of: str, details: bool = True
) -> Exports:
    """Download everything ``viewer`` may have of the whole country, as the attacker would."""
    data = prepare_report(workspace, ReportOptions(viewer=viewer, as_of=as_of))
    layers = _read_layers(geojson_layer(data, "centres"), ".geojson")
    centres = gpd.GeoDataFrame(next(iter(layers.values())))
    centres["centre_id"] = centres["centre_id"].astype(str)
    centres = centres.drop_duplicates("centre_id").reset_index(drop=True)
    order = pd.Index(centres["centre_id"])
    numeric, refs = _columns(_tables(data), order)
    parameters = _parameters(data)
    weights = _weights(parameters)
    circuity = float(parameters.get("circuity", 1.3))
    residual = None
    if "risk_score" in centres.columns:
        incidents = next(iter(_read_layers(geojson_layer(data, "incidents"), ".json").values()))
        residual = _residual(
            centres,
            gpd.GeoDataFrame(incidents),
            pd.to_numeric(centres["risk_score"]).to_numpy(dtype=float),
            weights,
            parameters.get("as_of", as_of),
        )
    status = centres["status"].astype(str).to_numpy()
    counts, radius = _details(workspace, data, viewer, order) if details else ({}, None)
    return Exports(
        centres=centres,
        numeric=numeric,
        centre_refs=refs,
        status=status,
        reachable=np.isin(status, ("full", "response_only")),
        details=counts,
        details_radius_km=radius,
        patrol_reach_km=float(parameters.get("patrol_radius_km", 10.0)) / circuity,
        rapid_reach_km=float(parameters.get("rapid_radius_km", 30.0)) / circuity,
        circuity=circuity,
        remoteness_points_max=100.0 * weights.remoteness / weights.total,
        residual=residual,
    )


# --- the grid -----------------------------------------------------------------------------


class Grid:
    """500 m cells over the centres (projected metres of ``geo.distance``)."""

    def __init__(self, xy: np.ndarray, margin_m: float = (MAX_RADIUS_KM + 5) * 1000.0) -> None:
        self.x0 = float(xy[:, 0].min() - margin_m)
        self.y0 = float(xy[:, 1].min() - margin_m)
        self.nx = int((xy[:, 0].max() + margin_m - self.x0) // CELL_M) + 1
        self.ny = int((xy[:, 1].max() + margin_m - self.y0) // CELL_M) + 1

    def empty(self) -> np.ndarray:
        return np.zeros((self.nx, self.ny), dtype=bool)

    def window(self, x: float, y: float, r_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell indices (i, j) around (x, y) within ``r_m`` of it, and their distances."""
        i0 = max(int((x - r_m - self.x0) // CELL_M), 0)
        i1 = min(int((x + r_m - self.x0) // CELL_M) + 1, self.nx)
        j0 = max(int((y - r_m - self.y0) // CELL_M), 0)
        j1 = min(int((y + r_m - self.y0) // CELL_M) + 1, self.ny)
        ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1), indexing="ij")
        cx = self.x0 + (ii + 0.5) * CELL_M
        cy = self.y0 + (jj + 0.5) * CELL_M
        return ii.ravel(), jj.ravel(), np.hypot(cx - x, cy - y).ravel()

    def centres_of(self, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        return np.column_stack([self.x0 + (ii + 0.5) * CELL_M, self.y0 + (jj + 0.5) * CELL_M])


def _exclude(grid: Grid, xy: np.ndarray, k: np.ndarray, radius_km: np.ndarray) -> np.ndarray:
    """Cells closer than ``radius_km - EPS`` to a centre (where no such unit can stand)."""
    excluded = grid.empty()
    for (x, y), scale, r in zip(xy, k, radius_km, strict=True):
        if not np.isfinite(r) or r - EPS_KM <= 0:
            continue
        r_m = (r - EPS_KM) * 1000.0 * scale
        ii, jj, d = grid.window(x, y, r_m)
        hit = d < r_m
        excluded[ii[hit], jj[hit]] = True
    return excluded


def _ring(
    grid: Grid, x: float, y: float, scale: float, lo_km: float, hi_km: float
) -> tuple[np.ndarray, np.ndarray]:
    lo_m = max(lo_km - EPS_KM, 0.0) * 1000.0 * scale
    hi_m = (hi_km + EPS_KM) * 1000.0 * scale
    ii, jj, d = grid.window(x, y, hi_m)
    keep = (d >= lo_m) & (d <= hi_m)
    return ii[keep], jj[keep]


def _is_small(grid: Grid, ii: np.ndarray, jj: np.ndarray) -> bool:
    if not 0 < len(ii) <= MAX_REGION_CELLS:
        return False
    pts = grid.centres_of(ii, jj)
    spread = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)).max()
    return bool(spread <= MAX_REGION_KM * 1000.0)


# --- hypotheses -----------------------------------------------------------------------------


def _bands(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    index = np.clip(np.round(c * (len(BAND_EDGES_KM) - 2)), 0, len(BAND_EDGES_KM) - 2)
    index = np.where(np.isfinite(c), index, np.nan)
    lo = np.full(len(c), np.nan)
    hi = np.full(len(c), np.nan)
    ok = np.isfinite(index)
    lo[ok] = np.take(BAND_EDGES_KM, index[ok].astype(int))
    hi[ok] = np.take(BAND_EDGES_KM, index[ok].astype(int) + 1)
    return lo, hi


def hypotheses(exports: Exports) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every inversion of every numeric column into distance intervals ``(lo, hi)`` km."""
    columns = dict(exports.numeric)
    if exports.residual is not None:
        columns["risk score minus the recomputed components"] = exports.residual
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, values in columns.items():
        v = np.where(np.isfinite(values) & (values >= -1e-9), np.maximum(values, 0), np.nan)
        exact = {
            "km": v,
            "road km": v / exports.circuity,
            "minutes at 40 km/h": v / 60 * 40 / exports.circuity,
            "minutes at 60 km/h": v / 60 * 60 / exports.circuity,
        }
        for label, d in exact.items():
            out[f"{name} as {label}"] = (d, d)
        top = np.nanmax(v) if np.isfinite(v).any() else 0.0
        scale = max(top, exports.remoteness_points_max) if "risk" in name else top
        if scale > 0:
            c = v / scale
            saturated = c >= 0.999
            lo = np.where(saturated, 30.0, 30.0 * c)
            hi = np.where(saturated, np.inf, 30.0 * c)
            out[f"{name} as linear remoteness"] = (lo, hi)
            out[f"{name} as banded remoteness"] = _bands(c)
    return out


def _is_public_geometry(exports: Exports, xy: np.ndarray, k: np.ndarray, d: np.ndarray) -> bool:
    """True when ``d`` is the distance to the centre another column of the row names."""
    index = pd.Index(exports.centres["centre_id"])
    for refs in exports.centre_refs.values():
        where = index.get_indexer(pd.Series(refs).astype("string").fillna(""))
        ok = (where >= 0) & np.isfinite(d)
        if ok.sum() < MIN_ROWS:
            continue
        gap = np.hypot(*(xy[ok] - xy[where[ok]]).T) / k[ok] / 1000.0
        if (np.abs(gap - d[ok]) < 0.05).mean() > 0.95:
            return True
    return False


@dataclass
class _Naming:
    named: np.ndarray
    counts: np.ndarray
    by: dict[str, np.ndarray]


def _name_from(
    grid: Grid,
    naming: _Naming,
    label: str,
    regions: list[tuple[np.ndarray, np.ndarray, bool]],
) -> None:
    """Name small regions and the cells where three narrow regions meet."""
    mine = grid.empty()
    counts = np.zeros_like(naming.counts)
    for ii, jj, narrow in regions:
        if _is_small(grid, ii, jj):
            mine[ii, jj] = True
        if narrow:
            counts[ii, jj] += 1
    mine |= counts >= MIN_RINGS
    naming.named |= mine
    if mine.any():
        naming.by[label] = mine


def _neighbour_pairs(xy: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each centre and its nearest neighbours: indices ``i``, ``j`` and distance, km."""
    count = min(LIPSCHITZ_NEIGHBOURS + 1, len(xy))
    d, j = cKDTree(xy).query(xy, k=count)
    i = np.repeat(np.arange(len(xy)), count - 1)
    return i, j[:, 1:].ravel(), (d[:, 1:] / k[:, None] / 1000.0).ravel()


def is_lipschitz(
    lo: np.ndarray, hi: np.ndarray, pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> bool:
    """True when intervals ``[lo, hi]`` can be a distance to the nearest of some points."""
    i, j, d = pairs
    lo_i = np.where(np.isfinite(lo[i]), lo[i], -np.inf)
    hi_j = np.where(np.isnan(hi[j]), np.inf, hi[j])
    known = np.isfinite(lo_i) & np.isfinite(hi_j)
    if known.sum() < MIN_ROWS:
        return False
    broken = lo_i[known] - hi_j[known] > d[known] + LIPSCHITZ_TOL_KM
    if broken.mean() > LIPSCHITZ_SLACK:
        return False
    exact = (lo == hi) & np.isfinite(lo)
    away = exact[i] & exact[j] & (np.fmax(lo[i], lo[j]) >= AT_CENTRE_KM)
    if away.sum() < MIN_ROWS:
        return True
    rate = np.abs(lo[i][away] - lo[j][away]) / d[away]
    return bool(np.median(rate) >= GRADIENT_MIN)


def _column_attack(
    exports: Exports, grid: Grid, xy: np.ndarray, k: np.ndarray, naming: _Naming
) -> tuple[int, list[str]]:
    tried, kept = 0, []
    pairs = _neighbour_pairs(xy, k)
    seen: set[bytes] = set()
    for label, (lo, hi) in hypotheses(exports).items():
        informative = np.isfinite(lo) & np.isfinite(hi) & (hi <= MAX_RADIUS_KM)
        if informative.sum() < MIN_ROWS or np.isfinite(lo).mean() < MIN_SHARE:
            continue
        digest = np.round(np.nan_to_num(np.concatenate([lo, hi]), nan=-1, posinf=-2), 2)
        if digest.tobytes() in seen:
            continue
        seen.add(digest.tobytes())
        tried += 1
        if not is_lipschitz(lo, hi, pairs):
            continue
        if _is_public_geometry(exports, xy, k, np.where(lo == hi, lo, np.nan)):
            continue
        excluded = _exclude(grid, xy, k, np.where(np.isfinite(lo), lo, np.nan))
        regions = []
        empty = 0
        for i in np.flatnonzero(informative):
            ii, jj = _ring(grid, xy[i, 0], xy[i, 1], k[i], lo[i], hi[i])
            free = ~excluded[ii, jj]
            ii, jj = ii[free], jj[free]
            if not len(ii):
                empty += 1
                continue
            if hi[i] >= AT_CENTRE_KM:
                regions.append((ii, jj, hi[i] - lo[i] <= NARROW_KM))
        if empty > (1 - CONSISTENT_SHARE) * informative.sum():
            continue
        kept.append(label)
        _name_from(grid, naming, label, regions)
    return tried, kept


def _kind_attack(
    exports: Exports, grid: Grid, xy: np.ndarray, k: np.ndarray, naming: _Naming
) -> list[str]:
    """Status and the details panel's counts, combined unit kind by unit kind."""
    reach = {"patrol": exports.patrol_reach_km, "rapid_response": exports.rapid_reach_km}
    excluded: dict[str, np.ndarray] = {}
    for kind in UNIT_TYPES:
        radius = np.full(len(xy), np.nan)
        if kind in reach:
            radius = np.where(~exports.reachable, reach[kind], radius)
        counts = exports.details.get(kind)
        if counts is not None and exports.details_radius_km is not None:
            radius = np.fmax(radius, np.where(counts == 0, exports.details_radius_km, np.nan))
        excluded[kind] = _exclude(grid, xy, k, radius)
    regions = []
    for i in range(len(xy)):
        if exports.reachable[i]:
            parts = []
            for kind, r in reach.items():
                ii, jj = _ring(grid, xy[i, 0], xy[i, 1], k[i], 0.0, r)
                free = ~excluded[kind][ii, jj]
                parts.append((ii[free], jj[free]))
            ii = np.concatenate([p[0] for p in parts])
            jj = np.concatenate([p[1] for p in parts])
            regions.append((ii, jj, False))
        for kind, counts in exports.details.items():
            if exports.details_radius_km is None or not counts[i] >= 1:
                continue
            ii, jj = _ring(grid, xy[i, 0], xy[i, 1], k[i], 0.0, exports.details_radius_km)
            free = ~excluded[kind][ii, jj]
            regions.append((ii[free], jj[free], False))
    _name_from(grid, naming, "coverage status and counts near centres, by unit kind", regions)
    used = ["coverage status"]
    if exports.details_radius_km is not None and exports.details:
        used.append("counts of units near each centre")
    return used


def _targets(exports: Exports, units: gpd.GeoDataFrame) -> np.ndarray:
    """Units the attack should not place: all but static guards at a guarded centre."""
    unit_xy = points_xy(units, layer="units")
    centre_xy = points_xy(exports.centres, layer="centres")
    guarded = np.isin(exports.status, ("full", "guard_only"))
    static = (units["unit_type"].astype(str) == "static_guard").to_numpy()
    at_guarded = np.zeros(len(units), dtype=bool)
    if guarded.any():
        d, _ = cKDTree(centre_xy[guarded]).query(unit_xy)
        at_guarded = d / scale_factor(unit_xy) <= LOCATE_KM * 1000.0
    return unit_xy[~(static & at_guarded)]


def attack(exports: Exports, units: gpd.GeoDataFrame) -> AttackResult:
    """Run every hypothesis and count the target units placed within 1 km of a named cell.

    ``units`` is the truth (never used to name cells, only to score them).
    """
    xy = points_xy(exports.centres, layer="centres")
    k = scale_factor(xy)
    grid = Grid(xy)
    naming = _Naming(grid.empty(), np.zeros((grid.nx, grid.ny), dtype=np.int16), {})
    tried, kept = _column_attack(exports, grid, xy, k, naming)
    kept += _kind_attack(exports, grid, xy, k, naming)
    targets = _targets(exports, units)
    ii, jj = np.nonzero(naming.named)
    located = np.zeros(len(targets), dtype=bool)
    holding = 0
    by: dict[str, int] = {}
    if len(ii):
        cells = grid.centres_of(ii, jj)
        tree = cKDTree(cells)
        reach_m = LOCATE_KM * 1000.0 * scale_factor(targets)
        d, _ = tree.query(targets)
        located = d <= reach_m
        inside = np.floor((targets - [grid.x0, grid.y0]) / CELL_M).astype(int)
        ok = (inside[:, 0] >= 0) & (inside[:, 0] < grid.nx)
        ok &= (inside[:, 1] >= 0) & (inside[:, 1] < grid.ny)
        occupied = set(map(tuple, inside[ok]))
        holding = sum((int(a), int(b)) in occupied for a, b in zip(ii, jj, strict=True))
        for label, mine in naming.by.items():
            mi, mj = np.nonzero(mine)
            dist, _ = cKDTree(grid.centres_of(mi, mj)).query(targets)
            by[label] = int((dist <= reach_m).sum())
    return AttackResult(
        hypotheses_tried=tried,
        hypotheses_kept=tuple(kept),
        cells_named=int(len(ii)),
        cells_holding_a_target=holding,
        targets=len(targets),
        located=int(located.sum()),
        located_by=by,
    )
