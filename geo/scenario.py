"""Scenarios: named deployment plans, stored with their history, evaluated and compared.

A scenario records, relative to the current ``units`` layer,

* the mobile units of one type that are ``kept``, ``moved`` (from their old position to a
  chosen site), ``added`` (a chosen site no current unit can be moved to) and ``removed``
  (current units the plan does without); moves pair removed units with new sites so that the
  total distance moved is the least possible;
* the officer allocation (officers and female officers per pool and centre), which replaces
  the static guards of the centres it covers: one guard post per staffed centre;
* the parameters used, its author, time and a note.

Applying a scenario to the workspace gives a planned ``units`` layer; the same coverage
analysis as everywhere (:func:`geo.coverage.analyse_coverage`) then says what it achieves,
and :func:`compare_scenarios` compares any two results (a scenario or today's deployment).
Saving, duplicating and deleting need the ``plan`` permission (checked here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from geo.audit import make_entry
from geo.coverage import STATUSES, CoverageParams, CoverageResult, analyse_coverage
from geo.distance import distance_m, points_xy
from geo.errors import InputError
from geo.maps import (
    CircleStyle,
    add_circles,
    add_layer_control,
    add_polygons,
    new_map,
    use_offline_assets,
)
from geo.optimise import UnitPlan
from geo.permissions import Viewer, require
from geo.risk import RiskWeights
from geo.schema import CRS, check_layer
from geo.staffing import StaffingPlan
from geo.store import AuditEntry, BaseVersion, GeoPackageStore

Change = Literal["kept", "moved", "added", "removed"]
CHANGES: tuple[Change, ...] = ("kept", "moved", "added", "removed")
#: Columns of :attr:`Scenario.units` (before ``geometry``: the planned position, or the old
#: one for removed units).
UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id",
    "unit_type",
    "change",
    "agency",
    "officers",
    "female_officers",
    "response_radius_km",
    "site_id",
    "site_kind",
    "from_lon",
    "from_lat",
    "moved_km",
)
#: Columns of :attr:`Scenario.allocation`.
ALLOCATION_COLUMNS: tuple[str, ...] = ("pool_id", "centre_id", "officers", "female_officers")
CURRENT_DEPLOYMENT = "current deployment"
PLANNED_AGENCY = "planned"
_RANK = {"gap": 0, "guard_only": 1, "response_only": 1, "full": 2}


@dataclass(frozen=True)
class Scenario:
    """A named plan (see the module docstring).

    Attributes
    ----------
    name
        Free text, unique among live scenarios.
    units
        :data:`UNIT_COLUMNS` and point geometry (EPSG:4326); empty when the plan moves no
        unit.
    allocation
        :data:`ALLOCATION_COLUMNS`: officers per pool and centre. A row with an empty
        ``pool_id`` and no officers marks a centre the allocation covers but leaves unstaffed;
        empty when the plan does not allocate officers.
    params
        The parameters used, as text.
    note, author, created_at, version, scenario_id, derived_from
        Set by the store when saved (``created_at`` ISO 8601 UTC).
    """

    name: str
    units: gpd.GeoDataFrame
    allocation: pd.DataFrame
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    note: str = ""
    author: str = ""
    created_at: str = ""
    version: int = 0
    scenario_id: str = ""
    derived_from: str = ""

    def counts(self) -> dict[str, int]:
        """Return the number of units per change (kept, moved, added, removed)."""
        found = self.units["change"].value_counts() if len(self.units) else pd.Series()
        return {c: int(found.get(c, 0)) for c in CHANGES}

    @property
    def officers_allocated(self) -> int:
        """Officers placed by the allocation."""
        return int(pd.to_numeric(self.allocation.get("officers", pd.Series())).sum())


def empty_units() -> gpd.GeoDataFrame:
    """Return a scenario units table with no rows."""
    columns: dict[str, pd.Series] = {c: pd.Series([], dtype="str") for c in UNIT_COLUMNS}
    for name in ("officers", "female_officers"):
        columns[name] = pd.Series([], dtype="int64")
    for name in ("response_radius_km", "from_lon", "from_lat", "moved_km"):
        columns[name] = pd.Series([], dtype="float64")
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)


def _empty_allocation() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pool_id": pd.Series([], dtype="str"),
            "centre_id": pd.Series([], dtype="str"),
            "officers": pd.Series([], dtype="int64"),
            "female_officers": pd.Series([], dtype="int64"),
        }
    )


def unit_changes(plan: UnitPlan, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Describe ``plan`` as changes to the current units of its type.

    A chosen site that is a current unit's position keeps that unit. The other current
    units are paired with the other chosen sites so that the total distance moved is the
    least (:func:`scipy.optimize.linear_sum_assignment`): each pair is a move; sites left
    over get new units (``NEW-<type>-0001``...), units left over are removed.

    Parameters
    ----------
    plan
        From :func:`geo.optimise.plan_units`.
    units
        The current ``units`` layer.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`UNIT_COLUMNS`; kept, moved and added units at their planned position,
        removed ones at their current position.
    """
    unit_type = plan.request.unit_type
    current = units[(units["unit_type"] == unit_type).to_numpy(bool)].reset_index(drop=True)
    sites = plan.sites
    current_ids = current["unit_id"].astype(str).to_numpy()
    is_unit_site = (sites["kind"] == "unit").to_numpy(bool) & np.isin(sites["site_id"], current_ids)
    staying = set(sites.loc[is_unit_site, "site_id"])
    leaving = current[~np.isin(current_ids, list(staying))].reset_index(drop=True)
    new_sites = sites[~is_unit_site].reset_index(drop=True)
    pairs_from = np.empty(0, dtype=np.intp)
    pairs_to = np.empty(0, dtype=np.intp)
    if len(leaving) and len(new_sites):
        a = points_xy(leaving, layer="units")
        b = points_xy(new_sites, layer="chosen sites")
        cost = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
        pairs_from, pairs_to = linear_sum_assignment(cost)
    crew = int(round(pd.to_numeric(current["officers"]).median())) if len(current) else 4
    by_id = current.set_index(current["unit_id"].astype(str))
    kept_sites = sites[is_unit_site]
    added = np.setdiff1d(np.arange(len(new_sites)), pairs_to)
    removed = np.setdiff1d(np.arange(len(leaving)), pairs_from)
    parts = [
        _changes(by_id.loc[kept_sites["site_id"]], kept_sites, "kept", unit_type, crew),
        _changes(leaving.iloc[pairs_from], new_sites.iloc[pairs_to], "moved", unit_type, crew),
        _changes(None, new_sites.iloc[added], "added", unit_type, crew),
        _changes(leaving.iloc[removed], None, "removed", unit_type, crew),
    ]
    table = (
        pd.concat([p for p in parts if len(p)], ignore_index=True) if any(map(len, parts)) else None
    )
    if table is None:
        return empty_units()
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=CRS)
    table["response_radius_km"] = plan.radius_km
    table["moved_km"] = np.nan
    moved = (table["change"] == "moved").to_numpy(bool)
    if moved.any():
        start = gpd.GeoSeries(
            gpd.points_from_xy(table["from_lon"][moved], table["from_lat"][moved]), crs=CRS
        )
        table.loc[moved, "moved_km"] = (
            distance_m(points_xy(start), points_xy(table[moved])) / 1000.0
        )
    return table[[*UNIT_COLUMNS, "geometry"]]


def _changes(
    units: pd.DataFrame | None,
    sites: pd.DataFrame | None,
    change: Change,
    unit_type: str,
    crew: int,
) -> pd.DataFrame:
    """Rows of one kind of change: ``units`` (current, or None for new) to ``sites``."""
    size = len(units) if units is not None else len(sites) if sites is not None else 0
    old = units.geometry.to_numpy() if units is not None else None
    new = sites.geometry.to_numpy() if sites is not None else old
    return pd.DataFrame(
        {
            "unit_id": (
                units["unit_id"].astype(str).to_numpy()
                if units is not None
                else [f"NEW-{unit_type}-{k:04d}" for k in range(1, size + 1)]
            ),
            "unit_type": unit_type,
            "change": change,
            "agency": units["agency"].astype(str).to_numpy()
            if units is not None
            else PLANNED_AGENCY,
            "officers": units["officers"].to_numpy(np.int64) if units is not None else crew,
            "female_officers": (
                units["female_officers"].to_numpy(np.int64) if units is not None else 0
            ),
            "site_id": sites["site_id"].astype(str).to_numpy() if sites is not None else "",
            "site_kind": sites["kind"].astype(str).to_numpy() if sites is not None else "",
            "from_lon": shapely.get_x(old) if old is not None else np.nan,
            "from_lat": shapely.get_y(old) if old is not None else np.nan,
            "geometry": new,
        },
        index=pd.RangeIndex(size),
    )


def allocation_table(staffing: StaffingPlan) -> pd.DataFrame:
    """Return the allocation of ``staffing`` as scenario rows (covered, unstaffed centres too)."""
    placed = staffing.allocation[list(ALLOCATION_COLUMNS)]
    centres = staffing.centres
    covered = centres.loc[centres["in_pool_area"].to_numpy(bool), "centre_id"]
    unstaffed = covered[~covered.isin(set(placed["centre_id"]))].to_numpy()
    zeros = pd.DataFrame(
        {
            "pool_id": "",
            "centre_id": unstaffed,
            "officers": np.zeros(len(unstaffed), dtype=np.int64),
            "female_officers": np.zeros(len(unstaffed), dtype=np.int64),
        }
    )
    return pd.concat([placed, zeros], ignore_index=True)


def build_scenario(
    name: str,
    *,
    units: gpd.GeoDataFrame,
    unit_plan: UnitPlan | None = None,
    staffing: StaffingPlan | None = None,
    note: str = "",
    params: Mapping[str, str] | None = None,
) -> Scenario:
    """Return a (not yet saved) scenario from an optimised unit plan and/or an allocation.

    Parameters
    ----------
    name
        The scenario's name.
    units
        The current ``units`` layer.
    unit_plan, staffing
        From :func:`geo.optimise.plan_units` and :func:`geo.staffing.allocate_officers`;
        at least one.
    note
        Free text.
    params
        Extra parameters to record (the plan's request is recorded on its own).

    Raises
    ------
    InputError
        With no name, or neither a unit plan nor an allocation.
    """
    if not name.strip():
        raise InputError("give the scenario a name")
    if unit_plan is None and staffing is None:
        raise InputError("nothing to save: run the optimiser or the officer allocation first")
    recorded = dict(params or {})
    if unit_plan is not None:
        recorded["unit_plan"] = repr(unit_plan.request)
        recorded["radius_km"] = f"{unit_plan.radius_km:g}"
        recorded["objective"] = f"{unit_plan.solution.objective:.1f}"
        recorded["status"] = unit_plan.solution.status
        if unit_plan.solution.gap is not None:
            recorded["gap"] = f"{unit_plan.solution.gap:.6f}"
    if staffing is not None:
        recorded["pools"] = staffing.pools[["pool_id", "officers", "female_officers"]].to_json(
            orient="records"
        )
    return Scenario(
        name=name.strip(),
        units=unit_changes(unit_plan, units) if unit_plan is not None else empty_units(),
        allocation=allocation_table(staffing) if staffing is not None else _empty_allocation(),
        params=MappingProxyType(recorded),
        note=note,
    )


# -- the store ----------------------------------------------------------------------------


def _from_store(row: pd.Series, units: pd.DataFrame, allocation: pd.DataFrame) -> Scenario:
    frame = gpd.GeoDataFrame(units, geometry="geometry", crs=CRS) if len(units) else empty_units()
    alloc = allocation if len(allocation) else _empty_allocation()
    if len(alloc):
        alloc = alloc.astype({"officers": "int64", "female_officers": "int64"})
        alloc["pool_id"] = alloc["pool_id"].astype("str").fillna("")
    params = json.loads(row["params"]) if row["params"] else {}
    return Scenario(
        name=str(row["name"]),
        units=frame,
        allocation=alloc[list(ALLOCATION_COLUMNS)],
        params=MappingProxyType({str(k): str(v) for k, v in params.items()}),
        note=str(row["note"]),
        author=str(row["author"]),
        created_at=str(row["created_at"]),
        version=int(row["version"]),
        scenario_id=str(row["scenario_id"]),
        derived_from=str(row["derived_from"]),
    )


def save_scenario(store: GeoPackageStore, scenario: Scenario, *, viewer: Viewer) -> Scenario:
    """Store ``scenario`` as a new version (its name's next one); return it as stored.

    A scenario loaded from the store (``version`` > 0) is saved only if that version is
    still its name's latest: a save made on an older version is refused with
    :class:`~geo.errors.StaleVersionError` naming who saved in between (never silently
    put on top). A new scenario (``version`` 0) becomes the next version of its name. The
    version and its ``scenario_save`` audit entry are written in one transaction.

    Raises
    ------
    AccessDeniedError
        When ``viewer`` may not plan.
    StaleVersionError
        When the scenario was saved or deleted by someone else since it was loaded.
    """
    require(viewer, "plan")
    return _save(store, scenario, viewer, scenario.version or "any")


def _save(
    store: GeoPackageStore, scenario: Scenario, viewer: Viewer, base: BaseVersion
) -> Scenario:
    def entries(row: pd.Series) -> list[AuditEntry]:
        details = {
            "version": str(row["version"]),
            "scenario_id": str(row["scenario_id"]),
            "derived_from": str(scenario.derived_from or ""),
        }
        return [
            make_entry(
                actor=viewer.name,
                action="scenario_save",
                target=scenario.name,
                details=details,
                rows=len(scenario.units),
            )
        ]

    row = store.write_scenario(
        scenario.name,
        units=scenario.units,
        allocation=scenario.allocation,
        params=json.dumps(dict(scenario.params), ensure_ascii=False),
        author=viewer.name,
        note=scenario.note,
        derived_from=scenario.derived_from,
        base_version=base,
        audit=entries,
    )
    return replace(
        scenario,
        author=str(row["author"]),
        created_at=str(row["created_at"]),
        version=int(row["version"]),
        scenario_id=str(row["scenario_id"]),
    )


def list_scenarios(store: GeoPackageStore) -> pd.DataFrame:
    """Return the live scenarios, newest first: name, version, author, time, note, origin."""
    found = store.list_scenarios()
    return found[["name", "version", "created_at", "author", "note", "derived_from"]]


def load_scenario(
    store: GeoPackageStore, name: str, *, viewer: Viewer, version: int | None = None
) -> Scenario:
    """Return a saved scenario (latest or chosen version); it holds unit positions.

    Raises
    ------
    AccessDeniedError
        When ``viewer`` may not see unit positions.
    LayerMissingError
        When there is no such scenario or version.
    """
    require(viewer, "see_unit_positions")
    return _from_store(*store.read_scenario(name, version=version))


def duplicate_scenario(
    store: GeoPackageStore, name: str, new_name: str, *, viewer: Viewer, note: str = ""
) -> Scenario:
    """Save the latest version of ``name`` under ``new_name`` (a scenario of its own).

    Raises
    ------
    InputError
        When ``new_name`` is empty or already names a live scenario.
    """
    require(viewer, "plan")
    if not new_name.strip():
        raise InputError("give the copy a name")
    if (store.list_scenarios()["name"] == new_name.strip()).any():
        raise InputError(f"a scenario called '{new_name}' exists already; choose another name")
    source = load_scenario(store, name, viewer=viewer)
    copy = replace(
        source,
        name=new_name.strip(),
        note=note or f"copy of {source.name} v{source.version}",
        derived_from=f"{source.name} v{source.version}",
        version=0,
    )
    # None: the name must still be free under the store's lock.
    return _save(store, copy, viewer, None)


def delete_scenario(
    store: GeoPackageStore, name: str, *, viewer: Viewer, version: int | None = None
) -> None:
    """Mark scenario ``name`` deleted (by ``viewer``, now); earlier versions stay stored.

    The deletion and its ``scenario_delete`` audit entry are written in one transaction.

    Parameters
    ----------
    version
        The version the viewer decided to delete; refused if the scenario was saved
        again since. ``None``: delete whatever version is the latest.

    Raises
    ------
    StaleVersionError
        When ``version`` is given and is no longer the latest.
    """
    require(viewer, "plan")
    store.delete_scenario(
        name,
        author=viewer.name,
        base_version="any" if version is None else version,
        audit=lambda row: [make_entry(actor=viewer.name, action="scenario_delete", target=name)],
    )


# -- evaluation and comparison ------------------------------------------------------------


def apply_scenario(
    units: gpd.GeoDataFrame, centres: gpd.GeoDataFrame, scenario: Scenario
) -> gpd.GeoDataFrame:
    """Return the ``units`` layer as the scenario plans it (validated against the schema).

    Removed units go, moved units stand at their new site, added units appear; when the
    scenario allocates officers, the static guards of the centres it covers are replaced by
    one guard post per staffed centre (at the centre, assigned to it). Units of other types
    are unchanged.
    """
    planned = units.copy()
    ids = planned["unit_id"].astype(str)
    changes = scenario.units
    if len(changes):
        gone = changes.loc[changes["change"] == "removed", "unit_id"].astype(str)
        moved = changes[changes["change"] == "moved"]
        planned = planned[~ids.isin(set(gone)).to_numpy()].copy()
        ids = planned["unit_id"].astype(str)
        where = pd.Series(moved.geometry.to_numpy(), index=moved["unit_id"].astype(str))
        hit = ids.isin(where.index).to_numpy()
        geometry = planned.geometry.to_numpy().copy()
        geometry[hit] = where.loc[ids[hit]].to_numpy()
        planned = planned.set_geometry(gpd.GeoSeries(geometry, index=planned.index, crs=CRS))
        planned.loc[hit, "assigned_centre_id"] = None
        added = changes[changes["change"] == "added"]
        planned = _append_units(
            planned,
            pd.DataFrame(
                {
                    "unit_id": added["unit_id"].to_numpy(),
                    "agency": added["agency"].to_numpy(),
                    "unit_type": added["unit_type"].to_numpy(),
                    "assigned_centre_id": None,
                    "officers": added["officers"].to_numpy(),
                    "female_officers": added["female_officers"].to_numpy(),
                    "vehicles": 1,
                    "response_radius_km": added["response_radius_km"].to_numpy(),
                }
            ),
            added.geometry.to_numpy(),
        )
    allocation = scenario.allocation
    if len(allocation):
        planned = _replace_guards(planned, centres, allocation)
    return gpd.GeoDataFrame(check_layer("units", planned), geometry="geometry", crs=CRS)


def _append_units(
    planned: gpd.GeoDataFrame, rows: pd.DataFrame, geometry: NDArray[np.object_]
) -> gpd.GeoDataFrame:
    if not len(rows):
        return planned
    rows = rows.assign(source="plan", municipality_pcode=None)
    extra = gpd.GeoDataFrame(rows, geometry=list(geometry), crs=CRS)
    combined = pd.concat([planned, extra], ignore_index=True)
    return gpd.GeoDataFrame(combined, geometry="geometry", crs=CRS)


def _replace_guards(
    planned: gpd.GeoDataFrame, centres: gpd.GeoDataFrame, allocation: pd.DataFrame
) -> gpd.GeoDataFrame:
    scope = set(allocation["centre_id"].astype(str))
    by_centre = centres.set_index(centres["centre_id"].astype(str))
    scope_munis = set(by_centre.loc[list(scope & set(by_centre.index)), "municipality_pcode"])
    static = (planned["unit_type"] == "static_guard").to_numpy(bool)
    assigned = planned["assigned_centre_id"].astype("str")
    covered = assigned.isin(scope).to_numpy(bool) | (
        assigned.isna().to_numpy(bool)
        & planned["municipality_pcode"].isin(scope_munis).to_numpy(bool)
    )
    kept = planned[~(static & covered)]
    totals = (
        allocation[allocation["officers"] > 0]
        .groupby("centre_id", sort=True)[["officers", "female_officers"]]
        .sum()
        .reset_index()
    )
    totals = totals[totals["centre_id"].isin(by_centre.index)]
    posts = pd.DataFrame(
        {
            "unit_id": "POST-" + totals["centre_id"].astype(str),
            "agency": PLANNED_AGENCY,
            "unit_type": "static_guard",
            "assigned_centre_id": totals["centre_id"].astype(str).to_numpy(),
            "officers": totals["officers"].to_numpy(),
            "female_officers": totals["female_officers"].to_numpy(),
            "vehicles": 0,
            "response_radius_km": np.nan,
        }
    )
    geometry = by_centre.loc[totals["centre_id"].astype(str)].geometry.to_numpy()
    out = _append_units(kept, posts, geometry)
    municipality = by_centre["municipality_pcode"]
    post = out["unit_id"].astype(str).str.startswith("POST-").to_numpy(bool)
    out.loc[post, "municipality_pcode"] = (
        out.loc[post, "assigned_centre_id"].map(municipality).to_numpy()
    )
    return out


def evaluate_scenario(
    layers: Mapping[str, pd.DataFrame],
    scenario: Scenario | None,
    *,
    params: CoverageParams = CoverageParams(),
    weights: RiskWeights = RiskWeights(),  # noqa: B008 - frozen, never mutated
    as_of: pd.Timestamp | str | None = None,
    roads_version: object = None,
) -> CoverageResult:
    """Analyse coverage with the scenario's units (``None``: today's deployment).

    Parameters
    ----------
    layers
        The workspace layers (``centres``, ``units``, ``incidents``, ``access_audits``,
        ``municipalities``, and ``roads`` when there is one: reach is then measured as on
        the Coverage page, ``params.reach`` deciding).
    scenario
        The plan, or ``None``.
    params, weights, as_of
        As for :func:`geo.coverage.analyse_coverage`.
    roads_version
        The road layer's version (:meth:`geo.workspace.Workspace.roads`), so that its
        graph is built once.
    """
    units = layers["units"]
    if scenario is not None:
        units = apply_scenario(layers["units"], layers["centres"], scenario)
    return analyse_coverage(
        layers["centres"],
        units,
        layers.get("incidents"),
        layers.get("access_audits"),
        layers.get("municipalities"),
        params=params,
        weights=weights,
        as_of=as_of,
        roads=layers.get("roads"),
        roads_version=roads_version,
    )


@dataclass(frozen=True)
class ScenarioComparison:
    """What changes from plan A to plan B.

    Attributes
    ----------
    name_a, name_b
        The two plans (a scenario name or :data:`CURRENT_DEPLOYMENT`).
    municipalities
        Per municipality: ``pcode``, ``name_en``, ``voters``, ``voters_covered_a``,
        ``voters_covered_b``, ``voters_covered_change`` (covered: status other than ``gap``),
        ``centres_gap_a``, ``centres_gap_b``, ``shortfall_a``, ``shortfall_b``,
        ``shortfall_change``, ``female_shortfall_a``, ``female_shortfall_b``,
        ``female_shortfall_change``; ordered by the change in voters covered.
    statuses
        Per status: ``status``, ``centres_a``, ``centres_b``, ``centres_change``,
        ``voters_a``, ``voters_b``.
    centres
        Centres whose status changes: ``centre_id``, ``name_en``, ``municipality_pcode``,
        ``registered_voters``, ``status_a``, ``status_b``, ``change`` (``gains``,
        ``loses`` or ``changes`` when it gains one kind of protection and loses the other).
    """

    name_a: str
    name_b: str
    municipalities: pd.DataFrame
    statuses: pd.DataFrame
    centres: pd.DataFrame

    @property
    def centres_gaining(self) -> int:
        """Centres that gain protection."""
        return int((self.centres["change"] == "gains").sum())

    @property
    def centres_losing(self) -> int:
        """Centres that lose protection."""
        return int((self.centres["change"] == "loses").sum())


def compare_scenarios(
    a: CoverageResult,
    b: CoverageResult,
    *,
    centres: pd.DataFrame,
    municipalities: pd.DataFrame | None = None,
    name_a: str = CURRENT_DEPLOYMENT,
    name_b: str = "scenario",
) -> ScenarioComparison:
    """Compare two coverage results of the same centres (from :func:`evaluate_scenario`).

    Raises
    ------
    InputError
        When the two results do not describe the same centres.
    """
    ta, tb = a.centres, b.centres
    if not ta["centre_id"].equals(tb["centre_id"]):
        raise InputError("the two plans were analysed on different centres; analyse both again")
    voters = ta["registered_voters"].to_numpy(dtype=float)
    covered_a = (ta["status"] != "gap").to_numpy(bool)
    covered_b = (tb["status"] != "gap").to_numpy(bool)
    frame = pd.DataFrame(
        {
            "pcode": ta["municipality_pcode"].fillna("unknown").to_numpy(),
            "voters": voters,
            "voters_covered_a": np.where(covered_a, voters, 0.0),
            "voters_covered_b": np.where(covered_b, voters, 0.0),
            "centres_gap_a": (~covered_a).astype(int),
            "centres_gap_b": (~covered_b).astype(int),
            "shortfall_a": ta["shortfall"].to_numpy(),
            "shortfall_b": tb["shortfall"].to_numpy(),
            "female_shortfall_a": ta["female_shortfall"].to_numpy(),
            "female_shortfall_b": tb["female_shortfall"].to_numpy(),
        }
    )
    per = frame.groupby("pcode", sort=True).sum().round().astype(np.int64).reset_index()
    per.insert(4, "voters_covered_change", per["voters_covered_b"] - per["voters_covered_a"])
    per.insert(9, "shortfall_change", per["shortfall_b"] - per["shortfall_a"])
    per["female_shortfall_change"] = per["female_shortfall_b"] - per["female_shortfall_a"]
    names = (
        municipalities.drop_duplicates("pcode").set_index("pcode")["name_en"]
        if municipalities is not None and "name_en" in municipalities.columns
        else pd.Series(dtype=str)
    )
    per.insert(1, "name_en", per["pcode"].map(names).to_numpy())
    per = per.sort_values(["voters_covered_change", "pcode"], kind="stable").reset_index(drop=True)

    statuses = pd.DataFrame({"status": list(STATUSES)})
    status_a, status_b = ta["status"].to_numpy(), tb["status"].to_numpy()
    statuses["centres_a"] = [int((status_a == s).sum()) for s in STATUSES]
    statuses["centres_b"] = [int((status_b == s).sum()) for s in STATUSES]
    statuses["centres_change"] = statuses["centres_b"] - statuses["centres_a"]
    statuses["voters_a"] = [int(voters[status_a == s].sum()) for s in STATUSES]
    statuses["voters_b"] = [int(voters[status_b == s].sum()) for s in STATUSES]

    guard_a, guard_b = ta["guarded"].to_numpy(bool), tb["guarded"].to_numpy(bool)
    reach_a, reach_b = ta["reachable"].to_numpy(bool), tb["reachable"].to_numpy(bool)
    up = (guard_b & ~guard_a) | (reach_b & ~reach_a)
    down = (guard_a & ~guard_b) | (reach_a & ~reach_b)
    changed = up | down
    kind = np.where(up & down, "changes", np.where(up, "gains", "loses"))
    centre_names = centres.drop_duplicates("centre_id").set_index("centre_id")
    ids = ta["centre_id"].to_numpy()[changed]
    listed = pd.DataFrame(
        {
            "centre_id": ids,
            "name_en": pd.Series(ids).map(centre_names.get("name_en", pd.Series())).to_numpy(),
            "municipality_pcode": ta["municipality_pcode"].to_numpy()[changed],
            "registered_voters": voters[changed].astype(np.int64),
            "status_a": ta["status"].to_numpy()[changed],
            "status_b": tb["status"].to_numpy()[changed],
            "change": kind[changed],
        }
    )
    order = listed["change"].map({"gains": 0, "loses": 1, "changes": 2})
    listed = (
        listed.assign(_order=order)
        .sort_values(["_order", "registered_voters"], ascending=[True, False], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    return ScenarioComparison(name_a, name_b, per, statuses, listed)


# -- maps ---------------------------------------------------------------------------------

COLOURS: Mapping[str, str] = MappingProxyType(
    {
        "covered": "#1a9850",
        "not covered": "#d73027",
        "site": "#2166ac",
        "kept": "#053061",
        "gains": "#1a9850",
        "loses": "#d73027",
        "changes": "#fdae61",
        "kept unit": "#053061",
        "moved": "#f46d43",
        "added": "#2166ac",
        "removed": "#969696",
    }
)


def _add_dots(
    m: folium.Map,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    colour: pd.Series,
    labels: tuple[str, ...],
    radius_px: float = 4.0,
) -> None:
    """Add points as coloured circles with escaped tooltips (:func:`geo.maps.add_circles`).

    The tooltip's first line is the first label in bold, then ``label: value`` lines.
    ``colour`` holds palette constants (:data:`COLOURS`), one per row.
    """
    if not len(points):
        return
    colours = colour.astype("str").to_numpy()
    palette = list(dict.fromkeys(colours))
    lines = {
        column: points[column].astype("string").fillna("")
        if i == 0
        else (f"{column}: " + points[column].astype("string").fillna(""))
        for i, column in enumerate(labels)
    }
    frame = gpd.GeoDataFrame(lines, geometry=points.geometry.to_numpy(), crs=points.crs)
    add_circles(
        m,
        frame,
        name=name,
        styles=[
            CircleStyle(c, stroke=c, weight=1, opacity=1.0, fill_opacity=0.85) for c in palette
        ],
        style_codes=[palette.index(c) for c in colours],
        radii=np.full(len(frame), radius_px),
        label_columns=labels,
        bold_first_label=True,
    )


def _finish(m: folium.Map, bounds: gpd.GeoSeries) -> folium.Map:
    add_layer_control(m, collapsed=False)
    if len(bounds):
        lon_min, lat_min, lon_max, lat_max = bounds.total_bounds
        m.fit_bounds([[lat_min, lon_min], [lat_max, lon_max]])
    use_offline_assets(m)
    return m


def build_plan_map(
    plan: UnitPlan,
    centres: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame | None = None,
    *,
    show_reach: bool = True,
) -> folium.Map:
    """Map a unit plan: centres covered or not, chosen sites and their reach.

    Shows unit positions: only for viewers allowed to see them.
    """
    m = new_map()
    if districts is not None and len(districts):
        add_polygons(m, districts, name="Districts", label_columns=("name_en",), interactive=False)
    table = plan.centres.merge(
        centres[["centre_id", "name_en", "geometry"]], on="centre_id", how="left"
    )
    points = gpd.GeoDataFrame(table, geometry="geometry", crs=CRS)
    points["coverage"] = np.where(points["covered_after"], "covered", "not covered")
    points["voters"] = points["registered_voters"].map("{:,}".format)
    _add_dots(
        m,
        points,
        name="Polling centres",
        colour=points["coverage"].map(COLOURS),
        labels=("name_en", "centre_id", "voters", "coverage"),
        radius_px=3.0,
    )
    sites = plan.sites.assign(
        role=np.where(plan.sites["kept"], "kept", "site"),
        reach=plan.sites["demand_in_reach"].round().map("{:,.0f}".format),
    )
    if show_reach and len(sites) <= 400:
        add_circles(
            m,
            sites,
            name=f"Reach ({plan.radius_km:g} road-km)",
            styles=[
                CircleStyle(
                    COLOURS["site"],
                    stroke=COLOURS["site"],
                    weight=1,
                    opacity=1.0,
                    fill_opacity=0.05,
                )
            ],
            style_codes=np.zeros(len(sites), dtype=int),
            radii=np.full(len(sites), plan.radius_km * 1000.0 / plan.circuity),
            metres=True,
            interactive=False,
        )
    _add_dots(
        m,
        sites,
        name=f"Chosen sites ({plan.request.unit_type})",
        colour=sites["role"].map(COLOURS),
        labels=("site_id", "name", "role", "reach"),
        radius_px=6.0,
    )
    return _finish(m, points.geometry)


def build_comparison_map(
    comparison: ScenarioComparison,
    centres: gpd.GeoDataFrame,
    *,
    units_a: gpd.GeoDataFrame | None = None,
    units_b: gpd.GeoDataFrame | None = None,
    show_units: bool = False,
) -> folium.Map:
    """Map the difference between two plans: centres gaining or losing protection.

    With ``show_units`` (only for viewers allowed to see unit positions), the unit changes
    of the scenarios (``units_a``/``units_b``: :attr:`Scenario.units`) are drawn too.
    """
    m = new_map()
    table = comparison.centres.merge(centres[["centre_id", "geometry"]], on="centre_id")
    points = gpd.GeoDataFrame(table, geometry="geometry", crs=CRS)
    points["voters"] = points["registered_voters"].map("{:,}".format)
    for change in ("gains", "loses", "changes"):
        subset = points[points["change"] == change]
        _add_dots(
            m,
            subset,
            name=f"Centres that {change.rstrip('s')} protection ({len(subset)})"
            if change != "changes"
            else f"Centres that change protection ({len(subset)})",
            colour=subset["change"].map(COLOURS),
            labels=("name_en", "centre_id", "voters", "status_a", "status_b"),
        )
    if show_units:
        for label, units in (("A", units_a), ("B", units_b)):
            if units is None or not len(units):
                continue
            moving = units[units["change"] != "kept"]
            _add_dots(
                m,
                moving,
                name=f"Unit changes of {label}",
                colour=moving["change"].map(COLOURS),
                labels=("unit_id", "unit_type", "change", "site_id"),
                radius_px=5.0,
            )
    every = centres.geometry
    return _finish(m, every[~(every.is_empty | every.isna())])
