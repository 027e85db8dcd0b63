"""Map page: every layer on one offline map, filtered, with a centre's details on click."""

import streamlit as st

import ui
from geo.mapview import map_figures
from ui import map as map_ui

page = ui.setup_page("Map")
t, ws = page.t, page.workspace

options = map_ui.options_of(ws)
map_ui.read_url_once(options)
for problem in map_ui.url_problems():
    st.warning(ui.md_escape(problem))

coverage = map_ui.coverage_view(ws)
filters, view = map_ui.sidebar(page, options, coverage_available=coverage.table is not None)
layers = map_ui.filtered(ws, filters)

map_ui.show_figures(page, map_figures(layers, coverage.table), filtered_view=not filters.is_empty)
if coverage.problem:
    st.caption(
        f"{t('Coverage, risk and shortfall are not shown')}: {ui.md_escape(coverage.problem)}"
    )
else:
    st.caption(t("Coverage, risk and shortfall use every unit, whatever the unit filters."))

panel = map_ui.map_panel_of(page, layers, filters, view, coverage, options.unit_agencies)
map_ui.map_panel(panel)
map_ui.map_download(page, panel, filters)
