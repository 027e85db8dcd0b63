"""Coverage page: parameters, key figures, lists of need, reach on roads, risk explained."""

import dataclasses

import altair as alt
import streamlit as st

import ui
from geo.coverage import (
    NEED_LIST_FILES,
    NEED_LIST_TITLES,
    NEED_LISTS,
    REACH_CHOICES,
    REACH_FIELDS,
    compare_reach,
    coverage_warnings,
    describe_models,
    describe_reach,
    need_list,
    reach_table,
    summarise_coverage,
    uses_network,
    with_reach,
)
from geo.errors import PlannerError
from geo.export import to_csv_bytes
from geo.i18n import N_
from geo.redaction import coverage_for_viewer
from geo.reports import column_label
from geo.risk import COMPONENT_LABELS, COMPONENTS, explain_risk, resolve_as_of
from geo.roads import MAIN_CLASSES
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

REACH_LABELS = {
    "auto": "Roads when the workspace has them",
    "network": "Road network",
    "straight": "Straight line × circuity",
}
MINUTES = {  # field: (label, maximum)
    "patrol_minutes": ("Patrol reach on roads (minutes)", 240.0),
    "rapid_minutes": ("Rapid-response reach on roads (minutes)", 480.0),
}
ROAD_CLASSES = {  # speed field (RoadSpeeds.<name>_kmh): label
    "motorway": "motorway",
    "trunk": "trunk",
    "primary": "primary",
    "secondary": "secondary",
    "tertiary": "tertiary",
    "other": "other roads",
}
assert set(ROAD_CLASSES) == {*MAIN_CLASSES, "other"}
roads_layer = ws.roads()[0]
has_roads = roads_layer is not None and len(roads_layer) > 0

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
    st.caption(t("Reach on roads"))
    cols = st.columns(4)
    reach = cols[0].selectbox(
        t("Reach model"),
        REACH_CHOICES,
        index=REACH_CHOICES.index(p.reach),
        format_func=lambda k: t(REACH_LABELS[k]),
        key="coverage_reach",
    )
    for i, (name, (label, high)) in enumerate(MINUTES.items(), start=1):
        chosen[name] = cols[i].number_input(
            t(label), 1.0, high, getattr(p, name), key=f"coverage_{name}"
        )
    offroad = cols[3].number_input(
        t("Off-road speed (km/h)"),
        1.0,
        100.0,
        p.reach_params.offroad_speed_kmh,
        key="coverage_offroad_kmh",
    )
    st.caption(t("Speeds per road class (km/h)"))
    cols = st.columns(len(ROAD_CLASSES))
    speeds = {
        f"{name}_kmh": cols[i].number_input(
            t(label),
            1.0,
            200.0,
            getattr(p.road_speeds, f"{name}_kmh"),
            key=f"coverage_{name}_kmh",
        )
        for i, (name, label) in enumerate(ROAD_CLASSES.items())
    }
    reaches_now = describe_reach(
        ws.layer("units"), p, on_roads=uses_network(p, roads_layer), lang=page.lang
    )
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
        reaches = {k: chosen.pop(k) for k in REACH_FIELDS}
        changed = {k: v for k, v in reaches.items() if v != getattr(p, k)}
        try:
            on_roads = dataclasses.replace(
                p,
                **chosen,
                reach=reach,
                road_speeds=dataclasses.replace(p.road_speeds, **speeds),
                reach_params=dataclasses.replace(p.reach_params, offroad_speed_kmh=offroad),
            )
            settings = CoverageSettings(
                with_reach(
                    on_roads,
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
result_on_roads = uses_network(result.params, roads_layer)
reaches_used = describe_reach(
    ws.layer("units"), result.params, on_roads=result_on_roads, lang=page.lang
)
models_used = describe_models(result)
st.caption(ui.md_escape(" · ".join((describe_models(result, lang=page.lang), *reaches_used))))
for warning in coverage_warnings(result, page.viewer):
    st.warning(ui.md_escape(warning))

gaps_tab, reach_tab, compare_tab, bars_tab, explain_tab = st.tabs(
    [
        t("Lists of need"),
        t("Reach per centre"),
        t("Straight lines against roads"),
        t("By municipality"),
        t("Explain a centre"),
    ]
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
        "name_ar" if page.lang == "ar" else "name_en",
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
        ui.table(chosen_list[shown]),
        hide_index=True,
        key="coverage_gaps",
        column_config={column_label("risk_score", page.lang): score},
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
            details={"as_of": f"{result.as_of:%Y-%m-%d}", "list": which, "reach": models_used},
        )

with reach_tab:
    reach_rows = coverage_for_viewer(reach_table(result, centres_layer), page.viewer)
    st.caption(ui.md_escape(describe_models(result, lang=page.lang)))
    if not page.viewer.can_see_unit_positions:
        st.caption(t("Minutes to the nearest units are shown only to roles that see units."))
    st.dataframe(
        ui.table(reach_rows),
        hide_index=True,
        key="coverage_reach_table",
        column_config={
            column_label(c, page.lang): st.column_config.NumberColumn(format="%.1f")
            for c in ("nearest_patrol_min", "nearest_rapid_min")
        },
    )
    if page.viewer.can("export_coverage"):
        ui.audited_download(
            f"{t('Download')}: {t('Reach per centre')} (CSV)",
            lambda: to_csv_bytes(reach_rows),
            workspace=ws,
            viewer=page.viewer,
            file_name="reach_by_centre.csv",
            mime="text/csv",
            key="coverage_reach_csv",
            rows=len(reach_rows),
            details={"as_of": f"{result.as_of:%Y-%m-%d}", "reach": models_used},
        )

with compare_tab:
    if not has_roads:
        st.info(
            t("The workspace has no roads layer: import one to compare straight lines with roads.")
        )
    else:
        try:
            comparison = compare_reach(
                analyse(
                    ws,
                    dataclasses.replace(settings.params, reach="straight"),
                    settings.weights,
                    settings.as_of,
                ),
                analyse(
                    ws,
                    dataclasses.replace(settings.params, reach="network"),
                    settings.weights,
                    settings.as_of,
                ),
                centres_layer,
                ws.layer("municipalities"),
            )
        except PlannerError as exc:
            ui.show_error(exc)
        moved = comparison.centres
        voters_of = moved["registered_voters"]
        changed = moved["changed"].to_numpy(dtype=bool)
        lost = (moved["change"] == "lost").to_numpy(dtype=bool)
        gained = (moved["change"] == "gained").to_numpy(dtype=bool)
        voters_word = t("voters")
        c = st.columns(3)
        c[0].metric(
            t("Centres that change status"),
            f"{int(changed.sum()):,}",
            help=ui.md_escape(f"{voters_word}: {voters_of[changed].sum():,.0f}"),
        )
        c[1].metric(
            t("Lose reach on roads"),
            f"{int(lost.sum()):,}",
            help=ui.md_escape(f"{voters_word}: {voters_of[lost].sum():,.0f}"),
        )
        c[2].metric(
            t("Gain reach on roads"),
            f"{int(gained.sum()):,}",
            help=ui.md_escape(f"{voters_word}: {voters_of[gained].sum():,.0f}"),
        )
        st.caption(t("Same parameters, reach measured both ways; most voters changed first."))
        st.dataframe(ui.table(comparison.areas), hide_index=True, key="coverage_compare_table")
        if page.viewer.can("export_coverage"):
            ui.audited_download(
                f"{t('Download')}: {t('Straight lines against roads')} (CSV)",
                lambda: to_csv_bytes(comparison.areas),
                workspace=ws,
                viewer=page.viewer,
                file_name="reach_compared.csv",
                mime="text/csv",
                key="coverage_compare_csv",
                rows=len(comparison.areas),
                details={
                    "as_of": f"{result.as_of:%Y-%m-%d}",
                    "table": "reach compared by municipality",
                },
            )

with bars_tab:
    areas = rollup(ws, result, "municipality").areas
    munis = ws.layer("municipalities")
    names_shown = dict(
        zip(
            munis["pcode"].astype("str"),
            munis["name_ar" if page.lang == "ar" else "name_en"],
            strict=True,
        )
    )
    areas = areas.set_index(areas["pcode"].astype("str").map(names_shown).fillna(areas["pcode"]))
    measures = {
        N_("Share of voters with a gap"): "share_voters_gap",
        N_("Officer shortfall"): "shortfall",
        N_("Female officer shortfall"): "female_shortfall",
        N_("Mean risk"): "risk_mean",
    }
    label = st.selectbox(t("Measure"), list(measures), format_func=t, key="coverage_measure")
    top = areas[measures[label]].sort_values(ascending=False).head(25)
    bars = top.rename_axis("municipality").reset_index(name="value")
    # Right to left in Arabic: names on the right, bars growing leftwards from them.
    rtl = page.lang == "ar"
    st.altair_chart(
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=t(label), scale=alt.Scale(reverse=rtl)),
            y=alt.Y(
                "municipality:N",
                sort="-x",
                title=t("Municipality"),
                axis=alt.Axis(orient="right" if rtl else "left", labelLimit=220),
            ),
            tooltip=[
                alt.Tooltip("municipality:N", title=t("Municipality")),
                alt.Tooltip("value:Q", title=t(label), format=",.2f"),
            ],
        )
        .properties(height=560),
        width="stretch",
    )

with explain_tab:
    names = ws.layer("centres").set_index("centre_id")[
        "name_ar" if page.lang == "ar" else "name_en"
    ]
    ranked = list(gaps["centre_id"])
    options = ranked + sorted(set(result.centres["centre_id"]) - set(ranked))
    centre = st.selectbox(
        t("Centre"),
        options,
        key="coverage_centre",
        format_func=lambda c: f"{c} — {names.get(c, '')}",
    )
    row = coverage_for_viewer(result.centres, page.viewer).set_index("centre_id").loc[centre]
    st.markdown(f"**{ui.md_escape(explain_risk(row, weights=result.weights, lang=page.lang))}**")
    st.dataframe(
        {
            t("component"): [t(COMPONENT_LABELS[c]) for c, _ in COMPONENTS],
            t("points"): [round(float(row[c]), 1) for c, _ in COMPONENTS],
        },
        hide_index=True,
        key="coverage_components",
    )
