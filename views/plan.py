"""Plan page: optimise unit positions and officer allocation, save scenarios, compare them."""

import streamlit as st

import ui
from geo.errors import PlannerError
from geo.optimise import CANDIDATE_SOURCES, PlanRequest, parse_district_counts, parse_site_ids
from geo.reports import column_label, value_label
from geo.scenario import CURRENT_DEPLOYMENT, list_scenarios
from geo.staffing import (
    OfficerPool,
    StaffingParams,
    pools_frame,
    pools_from_frame,
    pools_from_units,
)
from ui import plan as ui_plan
from ui.coverage import current_coverage

page = ui.setup_page("Plan")
t, ws, viewer = page.t, page.workspace, page.viewer
state = st.session_state
try:
    coverage = current_coverage(ws)
except PlannerError as exc:
    ui.show_error(exc)
units_tab, staff_tab, scenario_tab = st.tabs(
    [t("Mobile units"), t("Officers at centres"), t("Scenarios and comparison")]
)

with units_tab, st.form("plan_units_form"):
    c = st.columns(4)
    unit_type = c[0].selectbox(
        t("Unit type"),
        ["patrol", "rapid_response"],
        key="plan_unit_type",
        format_func=lambda u: value_label("unit_type", u, page.lang),
    )
    count = c[1].number_input(t("Units to place"), 0, 5000, 40, key="plan_count")
    radius = c[2].number_input(
        t("Radius, road km (0: default)"), 0.0, 300.0, 0.0, key="plan_radius_km"
    )
    limit = c[3].slider(t("Time limit (s)"), 1, 120, 20, key="plan_time_limit")
    c = st.columns(4)
    source = c[0].radio(
        t("Candidate sites"), CANDIDATE_SOURCES, format_func=t, key="plan_candidates"
    )
    upload = c[0].file_uploader(
        t("Candidate CSV (site_id, lat, lon)"), ["csv"], key="plan_candidates_file"
    )
    keep = c[1].checkbox(t("Keep existing units where they stand"), key="plan_keep_existing")
    by_voters = c[1].checkbox(t("Weight by registered voters"), True, key="plan_by_voters")
    by_risk = c[1].checkbox(t("Weight by risk"), True, key="plan_by_risk")
    exclude = c[2].text_area(t("Exclude sites (IDs)"), key="plan_exclude")
    quotas = c[3].text_area(t("Units per district (LY-TB=5, …)"), key="plan_district_counts")
    method = c[2].selectbox(
        t("Method"), ["auto", "exact", "greedy"], format_func=t, key="plan_method"
    )
    run_units = st.form_submit_button(t("Optimise"), type="primary")
if run_units:
    try:
        request = PlanRequest(
            unit_type=unit_type,
            count=int(count),
            radius_km=radius or None,
            keep_existing=keep,
            exclude_site_ids=parse_site_ids(exclude),
            district_counts=parse_district_counts(quotas),
            weight_by_voters=by_voters,
            weight_by_risk=by_risk,
            method=method,
            time_limit_s=float(limit),
        )
        uploaded = (upload.getvalue(), upload.name) if upload is not None else None
        state[ui_plan.UNIT_RESULT] = ui_plan.optimise(ws, coverage, request, source, uploaded)
    except PlannerError as exc:
        units_tab.error(ui.md_escape(exc))
if ui_plan.UNIT_RESULT in state:
    with units_tab:
        ui_plan.show_unit_plan(state[ui_plan.UNIT_RESULT], ws, t)

with staff_tab:
    c = st.columns(3)
    kind = c[0].radio(
        t("Officer pools"), ["district", "agency", "national"], format_func=t, key="plan_pool_kind"
    )
    national = c[1].number_input(t("National pool: officers"), 0, 200000, 3000, key="plan_officers")
    women = c[2].number_input(t("National pool: female officers"), 0, 200000, 150, key="plan_women")
    st.caption(t("District and agency pools hold today's static guards; edit them to try others."))
    defaults = (
        [OfficerPool("national", int(national), int(women))]
        if kind == "national"
        else pools_from_units(
            ws.layer("units"), ws.layer("municipalities"), by=kind, centres=ws.layer("centres")
        )
    )
with staff_tab, st.form("plan_staff_form"):
    base_first = st.checkbox(
        t("Every centre gets its base officers first"), True, key="plan_base_first"
    )
    pools_shown = pools_frame(defaults)
    # A pool's id is only its name: the default ones (unit types) in the page's language.
    pools_shown["pool_id"] = [
        value_label("unit_type", p, page.lang) for p in pools_shown["pool_id"]
    ]
    headings = {column_label(c, page.lang): c for c in pools_shown.columns}
    edited = st.data_editor(
        pools_shown.rename(columns={c: h for h, c in headings.items()}),
        num_rows="dynamic",
        hide_index=True,
        key=f"plan_pools_{kind}",
    ).rename(columns=headings)
    run_staff = st.form_submit_button(t("Allocate officers"), type="primary")
if run_staff:
    try:
        pools = pools_from_frame(edited)
        params = StaffingParams(base_first=base_first)
        state[ui_plan.STAFFING_RESULT] = ui_plan.allocate(ws, coverage, pools, params)
    except PlannerError as exc:
        staff_tab.error(ui.md_escape(exc))
if ui_plan.STAFFING_RESULT in state:
    with staff_tab:
        ui_plan.show_staffing(state[ui_plan.STAFFING_RESULT], t)

store = ui_plan.store_of(ws)
with scenario_tab:
    ui_plan.save_form(ws, store, viewer, t)
    scenarios = list_scenarios(store)
    st.dataframe(ui.table(scenarios), hide_index=True, key="plan_scenarios_table")
    names = [CURRENT_DEPLOYMENT, *scenarios["name"]]
    c = st.columns(3)
    name_a = c[0].selectbox(t("Plan A"), names, format_func=t, key="plan_compare_a")
    name_b = c[1].selectbox(
        t("Plan B"), names, index=min(1, len(names) - 1), format_func=t, key="plan_compare_b"
    )
    if c[2].button(t("Compare"), key="plan_compare_button", type="primary"):
        try:
            state[ui_plan.COMPARISON] = ui_plan.compare(ws, name_a, name_b)
        except PlannerError as exc:
            st.error(ui.md_escape(exc))
    if ui_plan.COMPARISON in state:
        comparison, scenario_a, scenario_b = state[ui_plan.COMPARISON]
        st.caption(
            f"A: {ui.md_escape(t(comparison.name_a))} · B: {ui.md_escape(t(comparison.name_b))}"
        )
        ui_plan.show_comparison(
            comparison,
            ws,
            t,
            units_a=scenario_a.units if scenario_a else None,
            units_b=scenario_b.units if scenario_b else None,
        )
    ui_plan.manage_scenarios(store, list(scenarios["name"]), viewer, t)
