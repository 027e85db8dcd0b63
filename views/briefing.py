"""Briefing page: slides for a projector, a large map and four figures per area."""

import streamlit as st

import ui
from geo.errors import PlannerError
from geo.reports import (
    ReportOptions,
    Scope,
    area_choices,
    briefing_path,
    busiest_municipality,
    slide_for,
)
from ui import reports as cached
from ui.coverage import current_coverage

page = ui.setup_page("Briefing")
# A presentation: the sidebar stays folded away (it still holds the language switch).
st.set_page_config(initial_sidebar_state="collapsed")
t, ws, viewer = page.t, page.workspace, page.viewer
# Static CSS only (no data): figures large enough to read on a projector.
st.markdown(
    """<style>
[data-testid="stMetricValue"] { font-size: 2.6rem; line-height: 1.15; }
[data-testid="stMetricValue"] > div { white-space: normal; overflow: visible; }
[data-testid="stMetricLabel"] p { font-size: 1.15rem; white-space: normal; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.6rem; padding: 0; }
</style>""",
    unsafe_allow_html=True,
)

try:
    result = current_coverage(ws)
except PlannerError as exc:
    ui.show_error(exc)
choices = area_choices(ws, "municipality", page.lang)
if not choices:
    st.warning(t("The workspace has no municipalities; import them on the Data page."))
    st.stop()
busiest = busiest_municipality(result) or next(iter(choices))
MODES = {
    "path": "National → region → district → municipality",
    "list": "Chosen municipalities",
}
with st.expander(t("Choose the slides"), expanded=False):
    mode = st.radio(
        t("Slides"), list(MODES), format_func=lambda m: t(MODES[m]), key="briefing_mode"
    )
    if mode == "path":
        municipality = st.selectbox(
            t("Municipality"),
            list(choices),
            index=list(choices).index(busiest) if busiest in choices else 0,
            format_func=choices.__getitem__,
            key="briefing_municipality",
        )
        scopes = briefing_path(ws, municipality)
    else:
        chosen = st.multiselect(
            t("Municipalities"),
            list(choices),
            default=[busiest] if busiest in choices else [],
            format_func=choices.__getitem__,
            key="briefing_municipalities",
        )
        scopes = tuple(Scope("municipality", code) for code in chosen) or (Scope(),)

try:
    options = ReportOptions(
        viewer=viewer,
        lang=page.lang,
        digits=page.digits,
        params=result.params,
        weights=result.weights,
        as_of=f"{result.as_of:%Y-%m-%d}",
    )
    slides = cached.slides(ws, scopes, options, result)
except PlannerError as exc:
    ui.show_error(exc)

state = st.session_state
state["briefing_slide_index"] = min(state.get("briefing_slide_index", 0), len(slides) - 1)


def step(offset: int) -> None:
    """Move to the previous or next slide."""
    state["briefing_slide_index"] = max(
        0, min(len(slides) - 1, state["briefing_slide_index"] + offset)
    )


index = state["briefing_slide_index"]
current = slides[index]
slide = slide_for(current)
heading, previous, counter, following, download = st.columns(
    [5, 1.2, 1, 1.2, 2.2], vertical_alignment="center"
)
heading.header(ui.md_escape(slide.title), anchor=False)
heading.caption(f"{ui.md_escape(slide.level)} · {t('Coverage as of')} {result.as_of:%Y-%m-%d}")
previous.button(
    t("◀ Previous"), key="briefing_prev", on_click=step, args=(-1,), disabled=index == 0
)
counter.markdown(f"**{t('Slide')} {index + 1} / {len(slides)}**")
following.button(
    t("Next ▶"), key="briefing_next", on_click=step, args=(1,), disabled=index >= len(slides) - 1
)
produce, file_name = cached.slides_download(ws, slides)
download.download_button(
    t("Download these slides as PDF"),
    produce,
    file_name=file_name,
    mime="application/pdf",
    key="briefing_pdf",
    on_click="ignore",
    disabled=cached.missing_pdf_font() is not None,
)
picture, numbers = st.columns([3, 1])
picture.image(cached.map_png(ws, current, size_in=(11.0, 6.2)), width="stretch")
for figure in slide.figures:
    numbers.metric(ui.md_escape(figure.label), ui.md_escape(figure.value), border=True)
    numbers.caption(ui.md_escape(figure.note))
