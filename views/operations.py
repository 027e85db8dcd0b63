"""Operations page: election day's board, live map and the operators' actions."""

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from geo.errors import PlannerError
from geo.export import to_csv_bytes
from geo.livestate import CENTRE_MOVES, DISPATCHABLE, INCIDENT_MOVES
from geo.mapview import INCIDENT_STYLES, UNIT_SHAPES
from geo.ops import (
    BASIS_LABELS,
    CENTRE_STATUS_LABELS,
    KIND_LABELS,
    OVERDUE_LABELS,
    STATE_LABELS,
    handover_brief,
    headline,
    incident_board,
    response_times,
    timeline,
    units_by_type,
    units_now,
)
from geo.opsmap import CENTRE_COLOURS, build_ops_map
from geo.pdf import handover_pdf
from geo.redaction import live_state_for_viewer
from geo.schema import INCIDENT_CATEGORIES
from ui import ops

#: Buttons of the centre status box: event kind and label.
CENTRE_ACTIONS = (
    ("centre_opened", "Opened"),
    ("centre_suspended", "Suspend"),
    ("centre_closed", "Close"),
    ("centre_reopened", "Reopen"),
)
PRESENCE_FLAGS = (
    ("police_present", "Police present"),
    ("police_absent", "Police absent"),
    ("female_searcher_present", "Female searcher present"),
    ("female_searcher_absent", "Female searcher absent"),
)

page = ui.setup_page("Operations")
t, ws, viewer = page.t, page.workspace, page.viewer
operate = viewer.can("operate")
positions = viewer.can_see_unit_positions
name_column = "name_ar" if page.lang == "ar" else "name_en"
list_separator = "، " if page.lang == "ar" else ", "
centre_names = dict(
    zip(
        ws.layer("centres")["centre_id"].astype("str"),
        ws.layer("centres")[name_column],
        strict=True,
    )
)

clocks = ops.room_clocks(t)
ops.watch(ws, t)
ops.last_done(t)
now = datetime.now(UTC)
try:
    state = ops.live_state(ws)
    if operate and ops.run_clocks(ws, state, now, clocks):
        state = ops.live_state(ws)
    live = ops.live_coverage(ws)
    # Without unit positions, coverage as if no unit had left (README, Redaction).
    covered = live_state_for_viewer(state, viewer)
    coverage = live.at(covered)
    lost = live.lost_cover(covered)
except PlannerError as exc:
    ui.show_error(exc)

board = incident_board(state, now, clocks)
owners_seen = ops.owners_shown(board)
top = headline(state, ws.layer("centres"), now, clocks, lost_cover=len(lost))
speed = response_times(state, now, clocks)

cols = st.columns(4)
cols[0].metric(t("Open incidents"), f"{top.open_incidents:,}")
cols[1].metric(t("Overdue"), f"{top.overdue_incidents:,}")
cols[2].metric(t("Centres not open"), f"{top.centres_not_open:,}")
cols[3].metric(t("Centres that lost cover"), f"{top.centres_lost_cover:,}")
cols = st.columns(4)
cols[0].metric(t("Units dispatched"), f"{top.units_dispatched:,}")
cols[1].metric(t("Units available"), f"{top.units_available:,}")
cols[2].metric(
    t("Women's stations, no searcher"),
    f"{top.women_stations_without_searcher:,}",
    help=t("Women's stations at open centres whose female searcher is reported absent.")
    + f" {t('Not yet reported')}: {top.women_stations_not_reported:,}",
)
share = speed.share_within_target
cols[3].metric(
    t("Resolved within target"),
    "—" if share is None else f"{share:.0%}",
    help=f"{speed.within_target:,} / {speed.decided:,} · {t('target')} "
    f"{clocks.resolve_target_min:g} {t('min')}",
)

category_label = {k: t(v[1]) for k, v in INCIDENT_STYLES.items()}


def unit_type(code: object) -> str:
    """Return the name of a unit type in the page language."""
    return t(UNIT_SHAPES.get(str(code), ("", str(code)))[1])


def coverage_status(code: object) -> str:
    """Return the name of a coverage status in the page language (as on the map)."""
    return t(CENTRE_COLOURS.get(str(code), ("", str(code)))[1])


def centre_status(code: object) -> str:
    """Return the name of a centre's live status in the page language."""
    return t(CENTRE_STATUS_LABELS.get(str(code), str(code)))


tab_incidents, tab_centres, tab_units, tab_times, tab_handover, tab_day = st.tabs(
    [
        t("Incidents"),
        t("Centres"),
        t("Units"),
        t("Response times"),
        t("Handover"),
        t("The day so far"),
    ]  # fmt: skip
)
with tab_incidents:
    if board.empty:
        st.info(t("No open incident."))
    else:
        shown = pd.DataFrame(
            {
                t("Incident"): board["incident_id"],
                t("State"): [t(STATE_LABELS[s]) for s in board["state"]],
                t("Category"): [category_label.get(str(c), str(c)) for c in board["category"]],
                t("Severity"): board["severity"],
                t("Centre"): board["centre_id"].fillna(""),
                t("Owner"): board["owner"].fillna(""),
                t("Age (min)"): [ops.minutes(v) for v in board["age_min"]],
                t("To verify (min)"): [ops.minutes(v) for v in board["to_verify_min"]],
                t("To resolve (min)"): [ops.minutes(v) for v in board["to_resolve_min"]],
                t("Overdue"): [
                    list_separator.join(t(OVERDUE_LABELS[r]) for r in o.split(",") if r)
                    for o in board["overdue"]
                ],
            }
        )
        if positions:
            shown[t("Units")] = board["units"].fillna("")
        else:
            shown[t("Units")] = [len([u for u in str(x).split(",") if u]) for x in board["units"]]
        late = (board["overdue"] != "").to_numpy()

        def red(row: pd.Series) -> list[str]:
            """Style an overdue incident's row red."""
            colour = "color: #b2182b; font-weight: 600" if late[row.name] else ""
            return [colour] * len(row)

        st.dataframe(
            shown.style.apply(red, axis=1),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            ui.md_escape(
                t("Red: not verified within {v} minutes or not acted on within {a}.")
                .replace("{v}", f"{clocks.verify_min:g}")
                .replace("{a}", f"{clocks.act_min:g}")
            )
        )
with tab_centres:
    live_c = state.centres
    closed = live_c[live_c["status"] != "open"]
    st.subheader(t("Centres not open"))
    st.dataframe(
        pd.DataFrame(
            {
                t("Centre"): closed["centre_id"],
                t("Name"): closed["centre_id"].map(centre_names),
                t("Status"): [centre_status(s) for s in closed["status"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.subheader(t("Lost cover since the morning"))
    if lost.empty:
        st.info(t("Every centre covered this morning is still covered."))
    else:
        lost_view = pd.DataFrame(
            {
                t("Centre"): lost["centre_id"],
                t("Name"): lost["name"],
                t("Was"): [coverage_status(s) for s in lost["was"]],
                t("Now"): [coverage_status(s) for s in lost["now"]],
            }
        )
        if positions:
            lost_view[t("Why")] = lost["why"]
        st.dataframe(lost_view, hide_index=True, width="stretch")
with tab_units:
    counts = units_by_type(state, ws.layer("units"))
    st.dataframe(
        pd.DataFrame(
            {
                t("Unit type"): [unit_type(k) for k in counts["unit_type"]],
                t("Dispatched"): counts["dispatched"],
                t("Available"): counts["available"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if positions:
        merged = units_now(state, ws.layer("units"))
        away = merged[~merged["available"].astype(bool)]
        if len(away):
            st.dataframe(
                pd.DataFrame(
                    {
                        t("Unit"): away["unit_id"],
                        t("Unit type"): [unit_type(k) for k in away["unit_type"]],
                        t("Incident"): away["incident_id"],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
with tab_times:
    st.write(
        f"{t('Reported')}: {speed.reported:,} · {t('verified')}: {speed.verified:,} · "
        f"{t('resolved')}: {speed.resolved:,}"
    )
    cols = st.columns(3)
    for column, label, value in (
        (cols[0], "Median time to verification", speed.median_to_verify_min),
        (cols[1], "Median time to resolution", speed.median_to_resolve_min),
    ):
        column.metric(t(label), "—" if value is None else f"{value:.0f} {t('min')}")
    cols[2].metric(
        t("Resolved within target"),
        f"{speed.within_target:,} / {speed.decided:,}",
        help=t("Of the incidents resolved, or open for longer than the target."),
    )

with tab_handover:
    events = ops.events(ws)
    brief = handover_brief(state, events, ws.layer("centres"), now, clocks,
                           lost_cover=len(lost), units_shown=positions)  # fmt: skip
    since = f"{brief.since:%H:%M} UTC" if brief.since is not None else t("the start of the day")
    st.write(f"**{t('What changed since')} {ui.md_escape(since)}**")
    if brief.changes.empty:
        st.info(t("Nothing was recorded."))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    t("Time"): [f"{x:%H:%M}" for x in brief.changes["time"]],
                    t("What"): [t(KIND_LABELS[k]) for k in brief.changes["kind"]],
                    t("About"): brief.changes["about"],
                    t("By"): brief.changes["actor"],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    if len(brief.owners):
        st.write(f"**{t('Open incidents per owner')}**")
        st.dataframe(
            pd.DataFrame(
                {
                    t("Owner"): [o or t("nobody yet") for o in brief.owners["owner"]],
                    t("Incidents"): brief.owners["incidents"],
                }
            ),
            hide_index=True,
        )
    ui.audited_download(
        t("Download the handover brief (PDF)"),
        lambda: handover_pdf(
            brief,
            lang=page.lang,
            viewer=viewer,
            is_demo=ws.is_demo,
            workspace_name=Path(ws.path).name,
            centre_names=centre_names,
        ),  # fmt: skip
        workspace=ws,
        viewer=viewer,
        file_name=f"handover_{now:%Y%m%d_%H%M}.pdf",
        mime="application/pdf",
        key="ops_handover_pdf",
        rows=len(brief.board),
        details={"format": "pdf", "kind": "handover"},
    )
    if operate and st.button(t("Hand over the shift"), key="ops_shift_handover"):
        ops.act(ws, viewer, t, "shift_handover")

with tab_day:
    day = timeline(state, ops.events(ws), ws.layer("centres"), now, clocks,
                   municipalities=ws.layer("municipalities"))  # fmt: skip
    st.write(f"**{t('Incidents by hour (UTC)')}**")
    st.bar_chart(
        day.by_hour.rename(columns={"hour": t("Hour"), "incidents": t("Incidents")}),
        x=t("Hour"),
        y=t("Incidents"),
        height=220,
    )
    municipality_names = dict(
        zip(
            ws.layer("municipalities")["pcode"].astype("str"),
            ws.layer("municipalities")[name_column],
            strict=True,
        )
    )
    left_col, right_col = st.columns(2)
    left_col.dataframe(
        pd.DataFrame(
            {
                t("Category"): [
                    category_label.get(str(c), str(c)) for c in day.by_category["category"]
                ],
                t("Incidents"): day.by_category["incidents"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    right_col.dataframe(
        pd.DataFrame(
            {
                t("Municipality"): [
                    municipality_names.get(str(c), str(c)) if c is not None else t("Unknown")
                    for c in day.by_municipality["municipality_pcode"]
                ],
                t("Incidents"): day.by_municipality["incidents"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.write(f"**{t('Centres that closed, and for how long')}**")
    if day.closures.empty:
        st.info(t("No centre closed or was suspended."))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    t("Centre"): day.closures["centre_id"],
                    t("Name"): day.closures["centre_id"].map(centre_names),
                    t("Status"): [centre_status(x) for x in day.closures["status"]],
                    t("From"): [f"{x:%H:%M}" for x in day.closures["from"]],
                    t("To"): [
                        f"{x:%H:%M}" if x == x and x is not None else "" for x in day.closures["to"]
                    ],
                    t("Minutes"): [ops.minutes(x) for x in day.closures["minutes"]],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    ui.audited_download(
        t("Download the incidents of the day (CSV)"),
        lambda: to_csv_bytes(day.incidents),
        workspace=ws,
        viewer=viewer,
        file_name=f"incidents_{now:%Y%m%d}.csv",
        mime="text/csv",
        key="ops_day_csv",
        rows=len(day.incidents),
        details={"format": "csv", "kind": "timeline"},
    )

st.subheader(t("Live map"))
if operate:
    st.caption(t("Click the map to place a new incident or a centre's new place."))
clicked = ui.show_map(
    lambda: build_ops_map(
        state,
        centres=ws.layer("centres"),
        coverage=coverage.centres,
        board=board,
        lost_cover=lost,
        viewer=viewer,
        municipalities=ws.layer("municipalities"),
        units=ws.layer("units") if positions else None,
        lang=page.lang,
    ),
    key="ops_map",
    height=560,
    returned_objects=["last_clicked"] if operate else [],
)
if not operate:
    st.stop()

# A new click on the map fills the place of the next report or relocation.
point = (clicked or {}).get("last_clicked")
if (
    isinstance(point, dict)
    and point.get("lat") is not None
    and point != st.session_state.get("ops_click")
):
    st.session_state["ops_click"] = point
    st.session_state["ops_lat"] = round(float(point["lat"]), 6)
    st.session_state["ops_lon"] = round(float(point["lng"]), 6)

st.session_state.setdefault("ops_lat", None)
st.session_state.setdefault("ops_lon", None)
left, right = st.columns(2)
with left, st.container(border=True):
    st.subheader(t("Log an incident"))
    with st.form("ops_report", clear_on_submit=False):
        lat = st.number_input(t("Latitude"), format="%.6f", key="ops_lat")
        lon = st.number_input(t("Longitude"), format="%.6f", key="ops_lon")
        centre = st.text_input(t("At centre (ID, optional)"), key="ops_report_centre")
        category = st.selectbox(
            t("Category"),
            INCIDENT_CATEGORIES,
            format_func=lambda c: category_label.get(c, c),
            key="ops_category",
        )
        severity = st.slider(t("Severity"), 1, 5, 3, key="ops_severity")
        note = st.text_area(t("Note"), key="ops_note", max_chars=1000)
        if st.form_submit_button(t("Log the incident"), type="primary"):
            ops.act(ws, viewer, t, "incident_reported", lat=lat, lon=lon,
                    centre_id=centre or None, category=category, severity=severity,
                    note=note or None)  # fmt: skip

with right, st.container(border=True):
    st.subheader(t("Act on an incident"))
    open_ids = list(board["incident_id"])
    if not open_ids:
        st.info(t("No open incident."))
    else:
        rows = board.set_index("incident_id")
        chosen = st.selectbox(
            t("Incident"),
            open_ids,
            format_func=lambda i: (
                f"{i} · {category_label.get(str(rows.loc[i, 'category']), '')}"
                f" · {t(STATE_LABELS[str(rows.loc[i, 'state'])])}"
            ),
            key="ops_incident",
        )
        current = str(rows.loc[chosen, "state"])
        row = st.container(horizontal=True)
        for kind, label in (
            ("incident_verified", "Verify"),
            ("incident_invalid", "Mark invalid"),
            ("incident_escalated", "Escalate"),
            ("incident_resolved", "Resolve"),
            ("incident_closed", "Close"),
        ):
            allowed = INCIDENT_MOVES[kind][0]
            if row.button(t(label), key=f"ops_{kind}", disabled=current not in allowed):
                ops.act(ws, viewer, t, kind, incident_id=chosen)
        owner = st.text_input(t("Owner"), value=viewer.name, key="ops_owner")
        if st.button(t("Assign"), key="ops_assign"):
            ops.act(ws, viewer, t, "incident_assigned", incident_id=chosen, owner=owner,
                    previous_owner=owners_seen.get(chosen, ""))  # fmt: skip
        if current in DISPATCHABLE:
            options = live.dispatch_options(state, chosen, k=5)
            if options.empty:
                st.info(t("No available patrol or rapid-response unit."))
            else:
                pick = st.selectbox(
                    t("Dispatch a unit (nearest first)"),
                    list(options["unit_id"]),
                    format_func=lambda u: (
                        lambda r: (
                            f"{u} · {unit_type(r['unit_type'])} · {r['travel_min']:.0f} "
                            f"{t('min')} ({t(BASIS_LABELS.get(r['basis'], r['basis']))}) · "
                            f"{t('uncovers')} {r['uncovers']}"
                        )
                    )(options.set_index("unit_id").loc[u]),
                    key="ops_unit",
                )
                gone = live.without_unit(state, pick)
                if len(gone):
                    st.warning(
                        t("While it is away these centres lose cover")
                        + ": "
                        + ui.md_escape(", ".join(f"{c} ({n})" for c, n in
                                                 zip(gone["centre_id"], gone["name"], strict=True)))
                    )  # fmt: skip
                else:
                    st.caption(t("No centre loses cover while it is away."))
                if st.button(t("Dispatch"), key="ops_dispatch", type="primary"):
                    ops.act(ws, viewer, t, "unit_dispatched", unit_id=pick, incident_id=chosen)
    away_ids = list(state.units.loc[~state.units["available"].astype(bool), "unit_id"])
    if away_ids:
        back = st.selectbox(t("Unit back at its base"), away_ids, key="ops_back_unit")
        if st.button(t("Unit back"), key="ops_unit_back"):
            ops.act(ws, viewer, t, "unit_back", unit_id=back)

with st.container(border=True):
    st.subheader(t("Centre status"))
    centres = ws.layer("centres")
    live_status = dict(zip(state.centres["centre_id"], state.centres["status"], strict=True))
    which = st.selectbox(
        t("Centre"),
        list(centre_names),
        format_func=lambda c: f"{c} · {centre_names[c]} · {centre_status(live_status.get(c))}",
        key="ops_centre",
    )
    status = live_status.get(which, "")
    opened = set(state.centres.loc[state.centres["opened_at"].notna(), "centre_id"])
    row = st.container(horizontal=True)
    for kind, label in CENTRE_ACTIONS:
        allowed = CENTRE_MOVES[kind][0]
        done = kind == "centre_opened" and which in opened  # a centre opens once
        if row.button(t(label), key=f"ops_{kind}", disabled=status not in allowed or done):
            ops.act(ws, viewer, t, kind, centre_id=which)
    row = st.container(horizontal=True)
    for kind, label in PRESENCE_FLAGS:
        if row.button(t(label), key=f"ops_{kind}"):
            ops.act(ws, viewer, t, kind, centre_id=which)
    new_lat, new_lon = st.session_state.get("ops_lat"), st.session_state.get("ops_lon")
    if st.button(t("Relocate to the clicked place"), key="ops_relocate", disabled=new_lat is None):
        ops.act(ws, viewer, t, "centre_relocated", centre_id=which, lat=new_lat, lon=new_lon)
