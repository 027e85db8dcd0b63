"""Reports page: coverage reports and exports by area, in Arabic or English, for the role."""

import streamlit as st

import ui
from geo.errors import PlannerError
from geo.filters import MapFilters
from geo.i18n import LANGUAGES, with_digits
from geo.reports import (
    GEO_LAYERS,
    LEVEL_LABELS,
    SCOPE_LEVELS,
    SHEET_TITLES,
    TABLES,
    ReportOptions,
    Scope,
    area_choices,
    format_share,
    labelled,
    report_table,
)
from geo.vocabulary import election_label
from ui import reports as cached
from ui.coverage import current_coverage

page = ui.setup_page("Reports")
t, ws, viewer = page.t, page.workspace, page.viewer

left, middle, right = st.columns([2, 3, 2])
level = left.radio(
    t("Area"), SCOPE_LEVELS, format_func=lambda v: t(LEVEL_LABELS[v]), key="reports_level"
)
choices = area_choices(ws, level, page.lang)
if level == "national":
    scope = Scope()
elif not choices:
    middle.warning(t("The workspace has no areas of this level; import them on the Data page."))
    st.stop()
else:
    code = middle.selectbox(
        t(LEVEL_LABELS[level]), list(choices), format_func=choices.__getitem__, key="reports_area"
    )
    scope = Scope(level, code)
lang = right.radio(
    t("Report language"),
    list(LANGUAGES),
    index=list(LANGUAGES).index(page.lang),
    format_func=LANGUAGES.__getitem__,
    key="reports_lang",
    horizontal=True,
)
elections = sorted(ws.layer("incidents")["election"].dropna().astype("str").unique())
chosen = middle.multiselect(
    t("Elections (incidents)"),
    elections,
    key="reports_elections",
    placeholder=t("all"),
    format_func=lambda e: election_label(e, page.lang),
)

try:
    result = current_coverage(ws)
    options = ReportOptions(
        viewer=viewer,
        scope=scope,
        filters=MapFilters(elections=tuple(chosen)),
        lang=lang,
        params=result.params,
        weights=result.weights,
        as_of=f"{result.as_of:%Y-%m-%d}",
        digits=ui.preferred_digits(),
    )
    data = cached.report_data(ws, options, result)
except PlannerError as exc:
    ui.show_error(exc)

figures = data.figures
st.subheader(f"{t(LEVEL_LABELS[scope.level])}: {ui.md_escape(data.area.name(page.lang))}")
cols = st.columns(4)
num = page.num
cols[0].metric(t("Polling centres"), num.integer(figures.centres))
cols[1].metric(
    t("Voters at centres with a protection gap"),
    with_digits(format_share(figures.share_voters_gap), page.lang, page.digits),
)
cols[2].metric(t("Officer shortfall"), num.integer(figures.shortfall))
cols[3].metric(t("Incidents"), num.integer(figures.incidents))
if data.shows_unit_positions:
    st.caption(t("Your role may see unit positions: exports include the units layer."))
else:
    st.caption(
        t("Exports show security units as counts per municipality only: no positions, no unit IDs.")
    )
st.caption(
    f"{t('Coverage as of')} {result.as_of:%Y-%m-%d} · {t('parameters of the Coverage page')}"
)

st.subheader(t("Downloads"))
pdf_problem = cached.missing_pdf_font()
a, b, c = st.columns(3)
for column, fmt, label in (
    (a, "xlsx", "Excel coverage report"),
    (b, "pdf", "PDF briefing report"),
    (c, "gpkg", "GeoPackage of every layer"),
):
    produce, file_name, mime = cached.download(ws, data, fmt)
    column.download_button(
        t(label),
        produce,
        file_name=file_name,
        mime=mime,
        key=f"reports_{fmt}",
        on_click="ignore",
        disabled=fmt == "pdf" and pdf_problem is not None,
        width="stretch",
    )
if pdf_problem:
    st.error(ui.md_escape(pdf_problem))

tables = [name for name in TABLES if name != "units" or data.shows_unit_positions]
layers = [name for name in GEO_LAYERS if name != "units" or data.shows_unit_positions]
a, b = st.columns(2)
table = a.selectbox(
    t("Table (CSV)"),
    tables,
    index=tables.index("municipalities"),
    format_func=lambda n: t(SHEET_TITLES[n]),
    key="reports_csv_table",
)
produce, file_name, mime = cached.download(ws, data, "csv", table=table)
a.download_button(
    t("Download the table as CSV"),
    produce,
    file_name=file_name,
    mime=mime,
    key="reports_csv",
    on_click="ignore",
)
layer = b.selectbox(t("Layer (GeoJSON)"), layers, format_func=t, key="reports_geojson_layer")
produce, file_name, mime = cached.download(ws, data, "geojson", table=layer)
b.download_button(
    t("Download the layer as GeoJSON"),
    produce,
    file_name=file_name,
    mime=mime,
    key="reports_geojson",
    on_click="ignore",
)

st.subheader(t(SHEET_TITLES[table]))
preview = labelled(report_table(data, table), lang)
st.dataframe(preview, hide_index=True, key="reports_preview")
for warning in data.warnings:
    st.caption(f"{t('Note')}: {ui.md_escape(warning)}")
