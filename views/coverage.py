"""Coverage page: parameters, key figures, the ranked gap list, bars and risk explained."""

import dataclasses

import streamlit as st

import ui
from geo.coverage import (
    NEED_LIST_FILES,
    NEED_LIST_TITLES,
    NEED_LISTS,
    coverage_warnings,
    describe_reach,
    need_list,
    summarise_coverage,
    with_reach,
)
from geo.errors import PlannerError
from geo.export import to_csv_bytes
from geo.redaction import coverage_for_viewer
from geo.risk import COMPONENT_LABELS, COMPONENTS, explain_risk, resolve_as_of
from ui.coverage import CoverageSettings, current_settings, rollup, save_settings
from ui.coverage import coverage as analyse

page = ui.setup_page("Coverage")
t, ws, num = page.t, page.workspace, page.num
settings = current_settings()
p, w = settings.params, settings.weights
PARAMETERS = {  # field: (label, minimum, maximum)
    "patrol_radius_km": ("Patrol reach (road km)", 0.5, 200.0),
    "rapid_radius_km": ("Rapid-response reach (road km)", 0.5, 300.0),
    "guard_radius_km": ("Guard distance (km)", 0.0, 5.0),
    "circuity": ("Circuity (road / straight)", 1.0, 3.0),
    "officers_base": ("Officers per centre", 0, 50),
    "officers_per_station": ("Officers per station", 0, 20),
    "female_per_station": ("Female officers per women's station", 0, 10),
}

RADII_KEY = "coverage_use_unit_radii"
if st.session_state.pop("coverage_sync_radii", False):  # the rule below changed the box
    st.session_state[RADII_KEY] = p.use_unit_radii
st.session_state.setdefault(RADII_KEY, p.use_unit_radii)

with st.expander(t("Parameters")), st.form("coverage_form"):
    cols = st.columns(4)
    chosen = {
        name: cols[i % 4].number_input(
            t(label), low, high, getattr(p, name), key=f"coverage_{name}"
        )
        for i, (name, (label, low, high)) in enumerate(PARAMETERS.items())
    }
    own_radii = cols[3].checkbox(t("Use each unit's own radius"), key=RADII_KEY)
    # The pages' analysis is in straight lines (km) for now, even with a roads layer.
    reaches_now = describe_reach(ws.layer("units"), p, lang=page.lang)
    st.caption(
        ui.md_escape(
            " · ".join(reaches_now)
            + " · "
            + t("A reach you change applies to every unit of its type.")
        )
    )
    st.caption(t("Risk weights"))
    cols = st.columns(len(COMPONENTS))
    weights = {
        name: cols[i].slider(
            t(COMPONENT_LABELS[column]), 0.0, 1.0, getattr(w, name), key=f"coverage_w_{name}"
        )
        for i, (column, name) in enumerate(COMPONENTS)
    }
    default_day = resolve_as_of(settings.as_of, ws.layer("incidents")).date()
    as_of = st.date_input(
        t("As of"),
        default_day,
        key="coverage_as_of",
        help=t("Default: the day of the latest incident in the workspace"),
    )
    if st.form_submit_button(t("Recompute")):
        # The command line's rule: a reach set applies to every unit of its type.
        reaches = {k: chosen.pop(k) for k in ("patrol_radius_km", "rapid_radius_km")}
        changed = {k: v for k, v in reaches.items() if v != getattr(p, k)}
        try:
            settings = CoverageSettings(
                with_reach(
                    dataclasses.replace(p, **chosen),
                    changed,
                    use_unit_radii=None if own_radii == p.use_unit_radii else own_radii,
                ),
                dataclasses.replace(w, **weights),
                as_of.isoformat(),
            )
        except PlannerError as exc:
            ui.show_error(exc)
        save_settings(settings)
        if settings.params.use_unit_radii != own_radii:
            st.session_state["coverage_sync_radii"] = True
            st.rerun()

try:
    result = analyse(ws, settings.params, settings.weights, settings.as_of)
except PlannerError as exc:
    ui.show_error(exc)
summary = summarise_coverage(result)

m = st.columns(4)
m[0].metric(
    t("Voters in centres with a gap"),
    num.integer(summary.voters_gap),
    help=num.percent(summary.share_voters_gap, places=1),
)
m[1].metric(t("Centres with a gap"), num.integer(summary.centres_gap))
m[2].metric(t("Centres short of officers"), num.integer(summary.centres_short_of_officers))
m[3].metric(
    t("Women vote, too few female officers"),
    num.integer(summary.centres_short_of_female_officers),
    help=t("Centres where women vote with no female officer")
    + f": {num.integer(summary.centres_without_female_officer)}",
)
day_note = "" if settings.as_of else " (" + t("the latest incident's day") + ")"
st.caption(
    ui.md_escape(
        f"{t('As of')} {num.date(result.as_of, style='short')}{day_note} · "
        f"{t('Officers')}: {num.integer(summary.officers_assigned)} / "
        f"{num.integer(summary.officers_required)} · "
        f"{t('Officer shortfall')}: {num.integer(summary.shortfall)} · "
        f"{t('Female officer shortfall')}: {num.integer(summary.female_shortfall)}"
    )
)
result_on_roads = bool((result.centres["reach_model"] == "network").any())
reaches_used = describe_reach(
    ws.layer("units"), result.params, on_roads=result_on_roads, lang=page.lang
)
st.caption(ui.md_escape(" · ".join(reaches_used)))
for warning in coverage_warnings(result, page.viewer):
    st.warning(ui.md_escape(warning))

gaps_tab, bars_tab, explain_tab = st.tabs(
    [t("Lists of need"), t("By municipality"), t("Explain a centre")]
)
centres_layer = ws.layer("centres")
lists = {
    k: coverage_for_viewer(need_list(result, centres_layer, k), page.viewer) for k in NEED_LISTS
}
gaps = lists["gaps"]
with gaps_tab:
    which = st.radio(
        t("List"),
        NEED_LISTS,
        format_func=lambda k: f"{t(NEED_LIST_TITLES[k])} ({len(lists[k]):,})",
        key="coverage_list",
    )
    chosen_list = lists[which]
    st.caption(
        f"{t(NEED_LIST_TITLES[which])}: {len(chosen_list):,} · {t('ranked by risk × voters')}"
    )
    shown = [
        "rank",
        "centre_id",
        "name_en",
        "name_ar",
        "municipality_pcode",
        "status",
        "registered_voters",
        "risk_score",
        "risk_tier",
        "shortfall",
        "female_shortfall",
    ]
    score = st.column_config.NumberColumn(format="%.0f")
    st.dataframe(
        chosen_list[shown],
        hide_index=True,
        key="coverage_gaps",
        column_config={"risk_score": score},
    )
    if page.viewer.can("export_coverage"):
        ui.audited_download(
            f"{t('Download')}: {t(NEED_LIST_TITLES[which])} (CSV)",
            lambda: to_csv_bytes(chosen_list),
            workspace=ws,
            viewer=page.viewer,
            file_name=NEED_LIST_FILES[which],
            mime="text/csv",
            key=f"coverage_{which}_csv",
            rows=len(chosen_list),
            details={"as_of": f"{result.as_of:%Y-%m-%d}", "list": which},
        )

with bars_tab:
    areas = rollup(ws, result, "municipality").areas.set_index("name_en")
    measures = {
        "Share of voters with a gap": "share_voters_gap",
        "Officer shortfall": "shortfall",
        "Female officer shortfall": "female_shortfall",
        "Mean risk": "risk_mean",
    }
    label = st.selectbox(t("Measure"), list(measures), format_func=t, key="coverage_measure")
    top = areas[measures[label]].sort_values(ascending=False).head(25)
    st.bar_chart(top, horizontal=True, height=560)

with explain_tab:
    names = ws.layer("centres").set_index("centre_id")["name_en"]
    ranked = list(gaps["centre_id"])
    options = ranked + sorted(set(result.centres["centre_id"]) - set(ranked))
    centre = st.selectbox(
        t("Centre"),
        options,
        key="coverage_centre",
        format_func=lambda c: f"{c} — {names.get(c, '')}",
    )
    row = coverage_for_viewer(result.centres, page.viewer).set_index("centre_id").loc[centre]
    st.markdown(f"**{ui.md_escape(explain_risk(row, weights=result.weights))}**")
    st.dataframe(
        {
            t("component"): [t(COMPONENT_LABELS[c]) for c, _ in COMPONENTS],
            t("points"): [round(float(row[c]), 1) for c, _ in COMPONENTS],
        },
        hide_index=True,
        key="coverage_components",
    )
