"""Plan page helpers: cached optimiser, allocation and scenario evaluation, and their display."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import streamlit as st

import ui
from geo.coverage import CoverageResult
from geo.errors import PlannerError
from geo.export import to_csv_bytes
from geo.optimise import (
    CandidateSource,
    PlanRequest,
    UnitPlan,
    candidate_sites,
    plan_units,
    read_candidates,
)
from geo.permissions import Viewer
from geo.scenario import (
    CURRENT_DEPLOYMENT,
    Scenario,
    ScenarioComparison,
    build_comparison_map,
    build_plan_map,
    build_scenario,
    compare_scenarios,
    delete_scenario,
    duplicate_scenario,
    evaluate_scenario,
    load_scenario,
    save_scenario,
)
from geo.staffing import OfficerPool, StaffingParams, StaffingPlan, allocate_officers
from geo.store import GeoPackageStore
from geo.workspace import Workspace
from ui.coverage import current_settings

#: Session keys holding the latest results of this session.
UNIT_RESULT = "plan_unit_result"
STAFFING_RESULT = "plan_staffing_result"
COMPARISON = "plan_comparison"

Translate = Callable[[str], str]


def upload_digest(data: bytes | None) -> str:
    """Return a short content hash of an upload (a cache key), or ``-`` without one."""
    return hashlib.sha256(data).hexdigest()[:16] if data else "-"


@st.cache_data(max_entries=8, show_spinner="Reading the candidate file…")
def _read_candidates(digest: str, _data: bytes, file_name: str) -> gpd.GeoDataFrame:
    del digest
    return read_candidates(_data, file_name=file_name).sites


def candidate_file(data: bytes, file_name: str) -> gpd.GeoDataFrame:
    """Return the usable sites of an uploaded candidate CSV (cached by content)."""
    return _read_candidates(upload_digest(data), data, file_name)


@st.cache_data(max_entries=16, show_spinner="Optimising unit positions (time limit applies)…")
def _optimise(
    key: str,
    _workspace: Workspace,
    _coverage: CoverageResult,
    request: PlanRequest,
    source: CandidateSource,
    _uploaded: gpd.GeoDataFrame | None,
) -> UnitPlan:
    del key
    ws = _workspace
    candidates = candidate_sites(
        source,
        centres=ws.layer("centres"),
        units=ws.layer("units"),
        unit_type=request.unit_type,
        uploaded=_uploaded,
    )
    return plan_units(
        ws.layer("centres"),
        ws.layer("units"),
        _coverage,
        candidates,
        request=request,
        municipalities=ws.layer("municipalities"),
        districts=ws.layer("districts"),
    )


def optimise(
    workspace: Workspace,
    coverage: CoverageResult,
    request: PlanRequest,
    source: CandidateSource,
    uploaded: tuple[bytes, str] | None = None,
) -> UnitPlan:
    """Return the optimised unit plan, cached per workspace, settings, request and upload."""
    sites = candidate_file(*uploaded) if uploaded else None
    digest = upload_digest(uploaded[0] if uploaded else None)
    key = f"{workspace.stamp}|{current_settings()!r}|{request!r}|{source}|{digest}"
    return _optimise(key, workspace, coverage, request, source, sites)


@st.cache_data(max_entries=16, show_spinner="Allocating officers…")
def _allocate(
    key: str,
    _workspace: Workspace,
    _coverage: CoverageResult,
    pools: tuple[OfficerPool, ...],
    params: StaffingParams,
) -> StaffingPlan:
    del key
    return allocate_officers(
        _coverage, pools, municipalities=_workspace.layer("municipalities"), params=params
    )


def allocate(
    workspace: Workspace,
    coverage: CoverageResult,
    pools: list[OfficerPool],
    params: StaffingParams,
) -> StaffingPlan:
    """Return the officer allocation, cached per workspace, settings, pools and options."""
    key = f"{workspace.stamp}|{current_settings()!r}|{pools!r}|{params!r}"
    return _allocate(key, workspace, coverage, tuple(pools), params)


def store_of(workspace: Workspace) -> GeoPackageStore:
    """Return the store of the workspace (scenarios are read fresh, never cached)."""
    return GeoPackageStore(workspace.path)


@st.cache_data(max_entries=8, show_spinner="Analysing the plan…")
def _evaluate(key: str, _workspace: Workspace, _scenario: Scenario | None) -> CoverageResult:
    del key
    s = current_settings()
    return evaluate_scenario(
        _workspace.layers,
        _scenario,
        params=s.params,
        weights=s.weights,
        as_of=s.as_of,
        roads_version=_workspace.roads()[1],
    )


def evaluate(workspace: Workspace, name: str) -> tuple[Scenario | None, CoverageResult]:
    """Return a saved scenario (``None`` for today's deployment) and its coverage analysis."""
    scenario = None
    if name != CURRENT_DEPLOYMENT:
        scenario = load_scenario(store_of(workspace), name, viewer=ui.current_viewer())
    version = scenario.version if scenario is not None else 0
    key = f"{workspace.stamp}|{current_settings()!r}|{name}|{version}"
    return scenario, _evaluate(key, workspace, scenario)


def compare(
    workspace: Workspace, name_a: str, name_b: str
) -> tuple[ScenarioComparison, Scenario | None, Scenario | None]:
    """Compare two plans by name (or :data:`CURRENT_DEPLOYMENT`)."""
    scenario_a, result_a = evaluate(workspace, name_a)
    scenario_b, result_b = evaluate(workspace, name_b)
    comparison = compare_scenarios(
        result_a,
        result_b,
        centres=workspace.layer("centres"),
        municipalities=workspace.layer("municipalities"),
        name_a=name_a,
        name_b=name_b,
    )
    return comparison, scenario_a, scenario_b


def show_unit_plan(plan: UnitPlan, workspace: Workspace, t: Translate) -> None:
    """Show a unit plan: key figures, solver status and gap, map, sites and municipalities."""
    s = plan.solution
    cols = st.columns(4)
    cols[0].metric(
        t("Voters within reach"),
        f"{plan.voters_covered_after:,}",
        delta=f"{plan.voters_covered_after - plan.voters_covered_before:+,}",
        help=t("Change against the current units of this type, same radius"),
    )
    cols[1].metric(t("Demand covered"), f"{s.share:.1%}")
    cols[2].metric(t("Solver status"), ui.md_escape(t(s.status)))
    cols[3].metric(
        t("Optimality gap"),
        "—" if s.gap is None else f"{s.gap:.3%}",
        help=t("Proven distance to the best possible plan (HiGHS bound); — for greedy only"),
    )
    st.caption(ui.md_escape(plan.change_sentence))
    st.caption(
        f"{t('Objective')} {s.objective:,.0f} · {t('upper bound')} "
        f"{'—' if s.upper_bound is None else f'{s.upper_bound:,.0f}'} · "
        f"{len(plan.sites)} {t('sites')} · {plan.candidate_count:,} {t('candidates')} · "
        f"{s.groups:,} {t('demand groups')} · {s.build_time_s + s.solve_time_s:.2f} s"
    )
    for warning in plan.warnings:
        st.warning(ui.md_escape(warning))
    ui.show_map(
        lambda: build_plan_map(plan, workspace.layer("centres"), workspace.layer("districts")),
        key="plan_units_map",
        height=480,
    )
    sites = pd.DataFrame(plan.sites.drop(columns="geometry"))
    whole = {
        t(c): st.column_config.NumberColumn(t(c), format="%.0f")
        for c in ("demand_in_reach", "sole_demand")
        if c in sites
    }
    st.dataframe(ui.table(sites), hide_index=True, column_config=whole, key="plan_sites_table")
    ui.audited_download(
        t("Download chosen sites (CSV)"),
        lambda: to_csv_bytes(sites),
        workspace=workspace,
        viewer=ui.current_viewer(),
        file_name=f"plan_{plan.request.unit_type}_sites.csv",
        mime="text/csv",
        key="plan_sites_download",
        rows=len(sites),
        details={"unit_type": plan.request.unit_type},
    )
    with st.expander(t("By municipality")):
        st.dataframe(ui.table(plan.municipalities), hide_index=True, key="plan_units_munis")


def show_staffing(plan: StaffingPlan, t: Translate) -> None:
    """Show an officer allocation: shortfalls, pools and unmet need with its reasons."""
    cols = st.columns(4)
    cols[0].metric(t("Officers placed"), f"{int(plan.pools['officers_placed'].sum()):,}")
    cols[1].metric(t("Officer shortfall"), f"{plan.shortfall:,}")
    cols[2].metric(t("Female officer shortfall"), f"{plan.female_shortfall:,}")
    cols[3].metric(t("Solver status"), ui.md_escape(t(plan.status)))
    for warning in plan.warnings:
        st.warning(ui.md_escape(warning))
    st.dataframe(ui.table(plan.pools), hide_index=True, key="plan_pools_table")
    st.subheader(t("Unmet need by municipality"))
    st.dataframe(ui.table(plan.unmet), hide_index=True, key="plan_unmet_table")


def show_comparison(
    comparison: ScenarioComparison,
    workspace: Workspace,
    t: Translate,
    *,
    units_a: gpd.GeoDataFrame | None,
    units_b: gpd.GeoDataFrame | None,
) -> None:
    """Show a comparison: status counts, centres gaining/losing, municipalities, a map."""
    cols = st.columns(3)
    totals = comparison.municipalities
    cols[0].metric(
        t("Voters covered"),
        f"{int(totals['voters_covered_b'].sum()):,}",
        delta=f"{int(totals['voters_covered_change'].sum()):+,}",
    )
    cols[1].metric(t("Centres gaining protection"), f"{comparison.centres_gaining:,}")
    cols[2].metric(t("Centres losing protection"), f"{comparison.centres_losing:,}")
    st.dataframe(ui.table(comparison.statuses), hide_index=True, key="plan_compare_status")
    ui.show_map(
        lambda: build_comparison_map(
            comparison,
            workspace.layer("centres"),
            units_a=units_a,
            units_b=units_b,
            show_units=ui.current_viewer().can_see_unit_positions,
        ),
        key="plan_compare_map",
        height=460,
    )
    st.subheader(t("By municipality"))
    st.dataframe(ui.table(comparison.municipalities), hide_index=True, key="plan_compare_munis")
    st.subheader(t("Centres that gain or lose coverage"))
    st.dataframe(ui.table(comparison.centres), hide_index=True, key="plan_compare_centres")


def save_form(workspace: Workspace, store: GeoPackageStore, viewer: Viewer, t: Translate) -> None:
    """Name, note and a button that saves this session's latest results as a scenario."""
    with st.form("plan_save_form"):
        name = st.text_input(t("Scenario name"), key="plan_scenario_name")
        note = st.text_input(t("Note"), key="plan_scenario_note")
        saved = st.form_submit_button(t("Save as scenario"))
    if not saved:
        return
    try:
        scenario = build_scenario(
            name,
            units=workspace.layer("units"),
            unit_plan=st.session_state.get(UNIT_RESULT),
            staffing=st.session_state.get(STAFFING_RESULT),
            note=note,
        )
        stored = save_scenario(store, scenario, viewer=viewer)
        st.success(f"{t('Saved')}: {ui.md_escape(stored.name)} v{stored.version:d}")
    except PlannerError as exc:
        st.error(ui.md_escape(exc))


def manage_scenarios(
    store: GeoPackageStore, names: list[str], viewer: Viewer, t: Translate
) -> None:
    """Duplicate or delete a saved scenario (a delete is recorded, history is kept)."""
    with st.expander(t("Duplicate or delete a scenario")):
        target = st.selectbox(t("Scenario"), names, key="plan_manage_target")
        copy_name = st.text_input(t("Name of the copy"), key="plan_copy_name")
        cols = st.columns(2)
        try:
            if cols[0].button(t("Duplicate"), key="plan_duplicate", disabled=not target):
                duplicate_scenario(store, target, copy_name, viewer=viewer)
                st.rerun()
            if cols[1].button(t("Delete"), key="plan_delete", disabled=not target):
                delete_scenario(store, target, viewer=viewer)
                st.rerun()
        except PlannerError as exc:
            st.error(ui.md_escape(exc))
