"""Streamlit side of the Map page: cached wrappers, sidebar filters, figures and the map fragment.

The page reads the sidebar (:func:`sidebar`), shows the figures of the filtered layers
(:func:`show_figures`) and then the map fragment (:func:`map_panel`): search, the map and
the details panel of the selected centre. The fragment reruns alone when the map is
clicked or moved or the search is used; the map itself is rebuilt in the browser only
when what it draws changes (its script changes), so clicks keep the zoom and position.

Session keys (all prefixed ``map_``) hold the widgets, the selected centre
(:data:`SELECTED`), a pending "go to" (:data:`GOTO`) and the last view the map reported
(:data:`VIEW`). The view is mirrored into the URL query (:func:`sync_url`), and read from
it on the first run of a session (:func:`read_url_once`), so a link reproduces it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import ui
from geo.coverage import CoverageParams
from geo.errors import PlannerError
from geo.filters import (
    CENTRE,
    QUERY_KEYS,
    FilteredLayers,
    FilterOptions,
    MapFilters,
    apply_filters,
    filter_options,
    filters_from_query,
    filters_to_query,
    search_places,
)
from geo.i18n import Language, translate
from geo.maps import TileSource
from geo.mapview import (
    COLOUR_SCHEMES,
    INCIDENT_STYLES,
    MAP_FILE_NAME,
    MEASURES,
    OPTION_QUERY_KEYS,
    UNIT_SHAPES,
    CentreDetails,
    MapFigures,
    MapOptions,
    SiteReach,
    build_planning_map,
    centre_details,
    export_planning_map,
    highlight_group,
    map_export_details,
    options_from_query,
    options_to_query,
    resolve_click,
    roads_for_map,
    site_reach,
    zoom_for_bounds,
)
from geo.permissions import Viewer
from geo.vocabulary import election_label
from geo.workspace import Workspace
from ui import PageContext, md_escape
from ui.coverage import current_coverage, current_settings

# Widget keys, one per filter field of MapFilters.
FILTER_KEYS: Mapping[str, str] = {
    "regions": "map_regions",
    "districts": "map_districts",
    "municipalities": "map_municipalities",
    "elections": "map_elections",
    "incident_categories": "map_categories",
    "unit_agencies": "map_agencies",
    "unit_types": "map_unit_types",
    "centre_types": "map_centre_types",
    "access_statuses": "map_access",
}
DATES_KEY = "map_dates"
OPTION_KEYS: Mapping[str, str] = {
    "measure": "map_measure",
    "colour_by": "map_colour_by",
    "show_centres": "map_show_centres",
    "show_units": "map_show_units",
    "show_radii": "map_show_radii",
    "show_incidents": "map_show_incidents",
    "heat_map": "map_heat_map",
    "show_roads": "map_show_roads",
}
#: Session key of the unit or centre whose reach areas the map draws (``kind:id``).
REACH_SITE_KEY = "map_reach_site"
_REACH_SHOWN = "map_reach_site_shown"
SEARCH_KEY = "map_search"
SEARCH_PICK_KEY = "map_search_pick"
#: ``st_folium`` key of the map.
MAP_KEY = "map_view"
SELECTED = "map_selected"
GOTO = "map_goto"
VIEW = "map_view_state"
_URL_READ = "map_url_read"
_URL_PROBLEMS = "map_url_problems"
_CLICK_SEEN = "map_click_seen"
_STATE = "map_state"

#: URL parameters of the map view (besides the filters and options).
URL_CENTRE, URL_LAT, URL_LON, URL_ZOOM = "centre", "lat", "lon", "zoom"
#: Every URL parameter this page writes (others, like ``lang``, are left alone).
_URL_KEYS = frozenset(
    {*QUERY_KEYS.values(), *OPTION_QUERY_KEYS.values(), URL_CENTRE, URL_LAT, URL_LON, URL_ZOOM}
)
#: Environment variables naming a local tile basemap.
TILES_ENV, TILES_ATTRIBUTION_ENV = "PSP_TILES_URL", "PSP_TILES_ATTRIBUTION"
MAP_HEIGHT = 640
SELECTED_ZOOM = 15
RETURNED = [
    "last_object_clicked",
    "last_object_clicked_tooltip",
    "last_object_clicked_count",
    "center",
    "zoom",
]


# --- cached wrappers -------------------------------------------------------------------


@st.cache_data(max_entries=4, show_spinner=False)
def _options(stamp: str, _workspace: Workspace) -> FilterOptions:
    del stamp
    return filter_options(_workspace.layers)


def options_of(workspace: Workspace) -> FilterOptions:
    """Return the choices of every filter in ``workspace`` (cached per workspace version)."""
    return _options(workspace.stamp, workspace)


@st.cache_data(max_entries=16, show_spinner="Filtering the layers…")
def _filtered(key: str, _workspace: Workspace, _filters: MapFilters) -> FilteredLayers:
    del key
    return apply_filters(_workspace.layers, _filters)


def filtered(workspace: Workspace, filters: MapFilters) -> FilteredLayers:
    """Return the workspace layers restricted to ``filters`` (cached)."""
    return _filtered(f"{workspace.stamp}|{filters!r}", workspace, filters)


@dataclass(frozen=True)
class CoverageView:
    """The coverage analysis as the map uses it, or why it is missing."""

    table: pd.DataFrame | None
    params: CoverageParams
    problem: str | None


def coverage_view(workspace: Workspace) -> CoverageView:
    """Return this session's coverage analysis, or the reason it cannot be computed."""
    params = current_settings().params
    try:
        result = current_coverage(workspace)
    except PlannerError as exc:
        return CoverageView(None, params, str(exc))
    return CoverageView(result.centres, result.params, None)


def tile_source() -> TileSource | None:
    """Return the local basemap named by ``$PSP_TILES_URL`` (and its attribution), if any."""
    url = os.environ.get(TILES_ENV, "").strip()
    if not url:
        return None
    attribution = os.environ.get(TILES_ATTRIBUTION_ENV, "").strip() or "local tiles"
    try:
        return TileSource(url, attribution)
    except PlannerError as exc:
        st.warning(f"{TILES_ENV}: {md_escape(exc)}")
        return None


# --- URL --------------------------------------------------------------------------------


def _query() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def read_url_once(options: FilterOptions) -> None:
    """On a session's first run of the page, set the widgets from the URL query."""
    state = st.session_state
    if state.get(_URL_READ):
        return
    state[_URL_READ] = True
    query = _query()
    filters, problems = filters_from_query(query, options=options)
    view, more = options_from_query(query)
    problems += more
    for name, key in FILTER_KEYS.items():
        if getattr(filters, name):
            state[key] = list(getattr(filters, name))
    first, last = options.first_date, options.last_date
    if (filters.date_from or filters.date_to) and first and last:
        # The date widget refuses values outside the incidents' dates: clamp the link's.
        start = min(max(filters.date_from or first, first), last)
        state[DATES_KEY] = (start, max(min(filters.date_to or last, last), start))
    for name, key in OPTION_KEYS.items():
        if OPTION_QUERY_KEYS[name] in query:
            value = getattr(view, name)
            state[key] = "none" if name == "measure" and value is None else value
    centre = (query.get(URL_CENTRE) or [None])[-1]
    if centre:
        state[SELECTED] = centre
    with contextlib.suppress(KeyError, IndexError, ValueError):
        lat, lon, zoom = (float(query[k][-1]) for k in (URL_LAT, URL_LON, URL_ZOOM))
        state[GOTO] = (lat, lon, int(zoom))
    state[_URL_PROBLEMS] = problems


def sync_url() -> None:
    """Mirror the current filters, options, selection and view into the URL query."""
    state = st.session_state
    saved = state.get(_STATE)
    if not isinstance(saved, tuple):
        return
    filters, options = saved
    wanted: dict[str, list[str]] = {**filters_to_query(filters), **options_to_query(options)}
    if state.get(SELECTED):
        wanted[URL_CENTRE] = [str(state[SELECTED])]
    view = state.get(VIEW)
    if view:
        lat, lon, zoom = view
        wanted[URL_LAT] = [f"{lat:.4f}"]
        wanted[URL_LON] = [f"{lon:.4f}"]
        wanted[URL_ZOOM] = [str(int(zoom))]
    current = _query()
    for key in list(current):
        if key in _URL_KEYS and key not in wanted:
            del st.query_params[key]
    for key, values in wanted.items():
        if current.get(key) != values:
            st.query_params[key] = values if len(values) > 1 else values[0]


# --- sidebar ----------------------------------------------------------------------------


def _place_label(name_en: object, name_ar: object, lang: str) -> str:
    """Name a place in the page's language, the other name beside it (both can be typed).

    In Arabic the English name is given in brackets: «أبو سليم (Abu Salim)».
    """
    en = str(name_en) if isinstance(name_en, str) and name_en else ""
    ar = str(name_ar) if isinstance(name_ar, str) and name_ar else ""
    if lang == "ar":
        return f"{ar} ({en})" if ar and en else ar or en
    return f"{en} · {ar}" if ar and en else en or ar


def _labelled(table: pd.DataFrame) -> dict[str, str]:
    lang = ui.current_language()
    return {
        str(p): _place_label(e, a, lang)
        for p, e, a in zip(table["pcode"], table["name_en"], table["name_ar"], strict=True)
    }


def _multiselect_widget(
    label: str,
    key: str,
    options: Sequence[str],
    labels: Mapping[str, str] | None = None,
    help_text: str | None = None,
    placeholder: str = "All",
) -> tuple[str, ...]:
    state = st.session_state
    choices = [str(v) for v in options]
    if key in state and any(v not in choices for v in state[key]):
        state[key] = [v for v in state[key] if v in choices]
    chosen = st.multiselect(
        label,
        choices,
        key=key,
        format_func=(lambda v: labels.get(v, v)) if labels else str,
        placeholder=placeholder,
        help=help_text,
        persist_state="session",
    )
    return tuple(chosen)


def _reset() -> None:
    for key in (*FILTER_KEYS.values(), DATES_KEY, SELECTED, GOTO, SEARCH_KEY, SEARCH_PICK_KEY):
        st.session_state.pop(key, None)


def sidebar(
    page: PageContext, options: FilterOptions, *, coverage_available: bool
) -> tuple[MapFilters, MapOptions]:
    """Draw the sidebar filters and map settings; return what they select."""
    t = page.t
    state = st.session_state
    _multiselect = partial(_multiselect_widget, placeholder=t("All"))
    with st.sidebar:
        st.header(t("Filters"))
        regions = _multiselect(
            t("Region"),
            FILTER_KEYS["regions"],
            options.regions["pcode"],
            _labelled(options.regions),
        )
        districts_table = options.districts
        if regions:
            districts_table = districts_table[districts_table["region_pcode"].isin(regions)]
        districts = _multiselect(
            t("District"),
            FILTER_KEYS["districts"],
            districts_table["pcode"],
            _labelled(options.districts),
        )
        munis = options.municipalities
        in_districts = districts_table["pcode"] if not districts else pd.Series(districts)
        if regions or districts:
            munis = munis[munis["district_pcode"].isin(in_districts)]
        municipalities = _multiselect(
            t("Municipality"),
            FILTER_KEYS["municipalities"],
            munis["pcode"],
            _labelled(options.municipalities),
            help_text=t("Type an English or Arabic name."),
        )
        with st.expander(t("Incidents"), expanded=False):
            lang = ui.current_language()
            elections = _multiselect(
                t("Election"),
                FILTER_KEYS["elections"],
                options.elections,
                {e: election_label(e, lang) for e in options.elections},
            )
            categories = _multiselect(
                t("Category"),
                FILTER_KEYS["incident_categories"],
                options.incident_categories,
                {k: t(v[1]) for k, v in INCIDENT_STYLES.items()},
            )
            date_from = date_to = None
            if options.first_date and options.last_date:
                state.setdefault(DATES_KEY, (options.first_date, options.last_date))
                picked = st.date_input(
                    t("Dates"),
                    min_value=options.first_date,
                    max_value=options.last_date,
                    key=DATES_KEY,
                    persist_state="session",
                )
                dates = list(picked) if isinstance(picked, tuple | list) else [picked]
                if dates and dates[0] > options.first_date:
                    date_from = dates[0]
                if len(dates) > 1 and dates[1] < options.last_date:
                    date_to = dates[1]
        with st.expander(t("Security units"), expanded=False):
            agencies = _multiselect(
                t("Agency"),
                FILTER_KEYS["unit_agencies"],
                options.unit_agencies,
                {a: t(a) for a in options.unit_agencies},  # known agencies are translated
            )
            unit_types = _multiselect(
                t("Unit type"),
                FILTER_KEYS["unit_types"],
                options.unit_types,
                {k: t(v[1]) for k, v in UNIT_SHAPES.items()},
            )
        with st.expander(t("Polling centres"), expanded=False):
            centre_types = _multiselect(
                t("Centre type"),
                FILTER_KEYS["centre_types"],
                options.centre_types,
                {v: t(label) for v, _, label in COLOUR_SCHEMES["centre_type"].categories},
            )
            access = _multiselect(
                t("Accessibility"),
                FILTER_KEYS["access_statuses"],
                options.access_statuses,
                {v: t(label) for v, _, label in COLOUR_SCHEMES["access_status"].categories},
            )
        st.button(t("Clear the filters"), key="map_clear", on_click=_reset)
        view = _map_settings(page, coverage_available=coverage_available)
    filters = MapFilters(
        regions=regions,
        districts=districts,
        municipalities=municipalities,
        elections=elections,
        incident_categories=categories,
        date_from=date_from,
        date_to=date_to,
        unit_agencies=agencies,
        unit_types=unit_types,
        centre_types=centre_types,
        access_statuses=access,
    )
    state[_STATE] = (filters, view)
    return filters, view


def _map_settings(page: PageContext, *, coverage_available: bool) -> MapOptions:
    t = page.t
    state = st.session_state
    st.header(t("Map"))
    measures = [m for m in MEASURES.values() if coverage_available or not m.needs_coverage]
    measure_keys: list[str] = ["none", *(m.key for m in measures)]
    if state.get(OPTION_KEYS["measure"]) is None:
        state[OPTION_KEYS["measure"]] = "registered_voters"
    if state[OPTION_KEYS["measure"]] not in measure_keys:
        state[OPTION_KEYS["measure"]] = "registered_voters"
    measure = st.selectbox(
        t("Shade municipalities by"),
        measure_keys,
        format_func=lambda k: t("Nothing (outlines only)") if k == "none" else t(MEASURES[k].label),
        key=OPTION_KEYS["measure"],
        persist_state="session",
    )
    schemes = [s for s in COLOUR_SCHEMES.values() if coverage_available or not s.needs_coverage]
    scheme_keys = [s.key for s in schemes]
    default_scheme = "coverage_status" if coverage_available else "access_status"
    if state.get(OPTION_KEYS["colour_by"]) not in scheme_keys:
        state[OPTION_KEYS["colour_by"]] = default_scheme
    colour_by = st.selectbox(
        t("Colour centres by"),
        scheme_keys,
        format_func=lambda k: t(COLOUR_SCHEMES[k].label),
        key=OPTION_KEYS["colour_by"],
        persist_state="session",
    )
    flags: dict[str, bool] = {}
    defaults = MapOptions()
    labels = {
        "show_centres": "Polling centres",
        "show_units": "Security units"
        if page.viewer.can_see_unit_positions
        else "Security units (counts)",
        "show_radii": "Response radii",
        "show_incidents": "Incidents",
        "heat_map": "Incidents as a heat map",
        "show_roads": "Roads",
    }
    roads = page.workspace.layer("roads")
    for name, label in labels.items():
        if name == "show_radii" and not page.viewer.can_see_unit_positions:
            flags[name] = False
            continue
        if name == "show_roads" and (roads is None or not len(roads)):
            flags[name] = False
            continue
        key = OPTION_KEYS[name]
        state.setdefault(key, getattr(defaults, name))
        flags[name] = st.checkbox(md_escape(t(label)), key=key, persist_state="session")
    if page.viewer.can_see_unit_positions:
        _reach_site_choice(page)
    return MapOptions(measure=None if measure == "none" else measure, colour_by=colour_by, **flags)


def _reach_site_choice(page: PageContext) -> None:
    """Choose a unit or a centre (a candidate site) whose reach areas the map draws."""
    t = page.t
    units = page.workspace.layer("units")
    centres = page.workspace.layer("centres")
    labels: dict[str, str] = {}
    if units is not None:
        for unit_id, kind in zip(units["unit_id"], units["unit_type"], strict=True):
            shape = UNIT_SHAPES.get(str(kind))
            labels[f"unit:{unit_id}"] = f"{t('Unit')} {unit_id} ({t(shape[1]) if shape else kind})"
    if centres is not None:
        names = centres["name_ar" if page.lang == "ar" else "name_en"]
        for centre_id, name in zip(centres["centre_id"], names, strict=True):
            labels[f"centre:{centre_id}"] = f"{t('Centre')} {centre_id} — {name}"
    if st.session_state.get(REACH_SITE_KEY) not in labels:
        st.session_state.pop(REACH_SITE_KEY, None)
    params = current_settings().params
    st.selectbox(
        md_escape(
            t("Reach area of a unit or site")
            + f" ({params.patrol_minutes:g}/{params.rapid_minutes:g} {t('min')})"
        ),
        list(labels),
        index=None,
        format_func=labels.__getitem__,
        key=REACH_SITE_KEY,
        placeholder=t("None"),
    )


# --- figures ------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:.0%}"


def show_figures(page: PageContext, figures: MapFigures, *, filtered_view: bool) -> None:
    """Show the key figures of the filtered layers above the map."""
    t = page.t
    row = st.columns(4)
    row[0].metric(t("Polling centres"), f"{figures.centres:,}")
    row[1].metric(
        t("Registered voters"),
        f"{figures.voters:,}",
        help=f"{figures.voters_male:,} {t('men')} · {figures.voters_female:,} {t('women')}",
    )
    row[2].metric(t("Voters at accessible centres"), _share(figures.share_voters_accessible))
    row[3].metric(
        t("Voters at fully covered centres"),
        _share(figures.share_voters_full),
        help=t("Guarded by a static unit and within reach of a patrol or rapid response."),
    )
    row = st.columns(4)
    row[0].metric(
        t("Centres with a gap"), "–" if figures.centres_gap is None else f"{figures.centres_gap:,}"
    )
    row[1].metric(
        t("Officer shortfall"), "–" if figures.shortfall is None else f"{figures.shortfall:,}"
    )
    row[2].metric(
        t("Security units"),
        f"{figures.units:,}",
        help=f"{figures.officers:,} {t('officers')} · {figures.female_officers:,} {t('women')}",
    )
    row[3].metric(t("Incidents"), f"{figures.incidents:,}")
    st.caption(
        f"{t('Stations')}: {figures.stations_male:,} {t('men')} · "
        f"{figures.stations_female:,} {t('women')} · {figures.stations_mixed:,} {t('mixed')}"
        + (" — " + t("figures follow the filters in the sidebar") if filtered_view else "")
    )


# --- the map fragment -----------------------------------------------------------------------


@dataclass(frozen=True)
class MapPanel:
    """What the map fragment needs from the page run.

    ``signature`` names what the map draws (workspace version, filters, options,
    language, role): when it changes the browser rebuilds the map. ``area`` names the
    area filter: when only other filters change, the map keeps the user's view.
    """

    layers: FilteredLayers
    options: MapOptions
    coverage: CoverageView
    viewer: Viewer
    lang: Language
    agencies: tuple[str, ...]
    tiles: TileSource | None
    signature: str
    area: str
    roads: pd.DataFrame | None = None
    roads_version: object = None
    params: CoverageParams = CoverageParams()
    road_lines: gpd.GeoDataFrame | None = None
    reach: SiteReach | None = None


@st.cache_data(max_entries=4, show_spinner=False)
def _road_lines(key: str, _roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    del key
    return roads_for_map(_roads)


@st.cache_data(max_entries=16, show_spinner=False)
def _site_reach(
    key: str,
    site: str,
    _viewer: Viewer,
    _workspace: Workspace,
    _params: CoverageParams,
) -> SiteReach:
    del key
    kind, _, site_id = site.partition(":")
    roads, roads_version = _workspace.roads()
    return site_reach(
        "unit" if kind == "unit" else "centre",
        site_id,
        viewer=_viewer,
        centres=_workspace.layer("centres"),
        units=_workspace.layer("units"),
        params=_params,
        roads=roads,
        roads_version=roads_version,
    )


def map_panel_of(
    page: PageContext,
    layers: FilteredLayers,
    filters: MapFilters,
    options: MapOptions,
    coverage: CoverageView,
    agencies: Sequence[str],
) -> MapPanel:
    """Return the input of :func:`map_panel` for this page run."""
    area = repr((filters.regions, filters.districts, filters.municipalities))
    tiles = tile_source()
    params = current_settings().params
    site = st.session_state.get(REACH_SITE_KEY) if page.viewer.can_see_unit_positions else None
    signature = "|".join(
        (
            page.workspace.stamp,
            repr(filters),
            repr(options),
            page.lang,
            page.viewer.role,
            repr(tiles),
            repr(site),
            repr(params) if site else "",
        )
    )
    roads, roads_version = page.workspace.roads()
    road_lines = None
    if options.show_roads and roads is not None and len(roads):
        road_lines = _road_lines(page.workspace.stamp, roads)
    reach = None
    if site:
        try:
            reach = _site_reach(
                f"{page.workspace.stamp}|{params!r}|{page.viewer!r}",
                str(site),
                page.viewer,
                page.workspace,
                params,
            )
        except PlannerError as exc:
            st.warning(md_escape(exc))
    if reach is not None and st.session_state.get(_REACH_SHOWN) != site:
        # A site just chosen: frame its larger area (the view kept on the map's rebuild).
        frame = zoom_for_bounds(tuple(reach.areas[-1].geometry.bounds))
        st.session_state[GOTO] = st.session_state[VIEW] = frame
    st.session_state[_REACH_SHOWN] = site
    return MapPanel(
        layers,
        options,
        coverage,
        page.viewer,
        page.lang,
        tuple(agencies),
        tiles,
        signature,
        area,
        roads=roads,
        roads_version=roads_version,
        params=params,
        road_lines=road_lines,
        reach=reach,
    )


def _follow_signature(panel: MapPanel) -> None:
    """When the map will be rebuilt, keep the view unless the area changed."""
    state = st.session_state
    previous = state.get("map_signature")
    state["map_signature"] = (panel.signature, panel.area)
    if previous is None or previous[0] == panel.signature:
        return
    # A new map starts without clicks; the last one belongs to the old map.
    state.pop(MAP_KEY, None)
    state.pop(_CLICK_SEEN, None)
    if previous[1] != panel.area:
        state.pop(GOTO, None)
        state.pop(VIEW, None)
    elif state.get(VIEW):
        state[GOTO] = state[VIEW]


def _pick_search_hit() -> None:
    """Search result chosen: select a centre (or frame a municipality) and go there."""
    state = st.session_state
    hit = state.get(SEARCH_PICK_KEY)
    hits = state.get("map_search_hits")
    if hit is None or not isinstance(hits, pd.DataFrame):
        return
    row = hits[hits["id"] == hit[1]] if isinstance(hit, tuple) else hits[hits["id"] == hit]
    if not len(row):
        return
    found = row.iloc[0]
    if found["kind"] == CENTRE:
        state[SELECTED] = str(found["id"])
        state[GOTO] = (float(found["lat"]), float(found["lon"]), SELECTED_ZOOM)
    elif found["bounds"] is not None:
        state[GOTO] = zoom_for_bounds(found["bounds"])
    else:
        state[GOTO] = (float(found["lat"]), float(found["lon"]), 11)


def _on_search(centres: pd.DataFrame) -> None:
    """Select and show a centre at once when its exact ID is typed."""
    query = str(st.session_state.get(SEARCH_KEY) or "").strip()
    match = centres[centres["centre_id"].astype("str") == query]
    if query and len(match):
        point = match.geometry.iloc[0]
        st.session_state[SELECTED] = query
        st.session_state[GOTO] = (float(point.y), float(point.x), SELECTED_ZOOM)


def _search(panel: MapPanel) -> None:
    t = partial(translate, lang=panel.lang)
    state = st.session_state
    box, matches = st.columns([2, 3], vertical_alignment="bottom")
    query = box.text_input(
        t("Find a centre or municipality"),
        key=SEARCH_KEY,
        placeholder=t("Centre ID, or a name in Arabic or English"),
        on_change=_on_search,
        args=(panel.layers.centres,),
    )
    hits = search_places(query, panel.layers.centres, panel.layers.municipalities, limit=25)
    state["map_search_hits"] = hits
    if not query.strip():
        return
    if not len(hits):
        matches.caption(t("No centre or municipality matches; check the filters."))
        return
    labels = {
        row.id: (
            f"{t('Centre') if row.kind == CENTRE else t('Municipality')} {row.id} — "
            f"{_place_label(row.name_en, row.name_ar, ui.current_language())}"
        )
        for row in hits.itertuples()
    }
    ids = list(labels)
    if state.get(SEARCH_PICK_KEY) not in ids:
        state.pop(SEARCH_PICK_KEY, None)
    matches.selectbox(
        t("Matches"),
        ids,
        index=None,
        format_func=labels.__getitem__,
        key=SEARCH_PICK_KEY,
        on_change=_pick_search_hit,
        placeholder=t("{n} match(es): choose one to zoom to it").replace("{n}", str(len(ids))),
    )


def _take_click(returned: Mapping[str, Any] | None, centres: pd.DataFrame) -> None:
    """Select the centre of a click in ``returned``, unless that click was handled before.

    A click reaches the page twice: through the map's ``on_change`` (copied into
    ``st.session_state[MAP_KEY]`` before the fragment reruns, so the map can already
    ring the clicked centre) and as ``st_folium``'s return value.
    """
    if not isinstance(returned, Mapping) or not returned.get("last_object_clicked"):
        return
    stamp = (
        returned.get("last_object_clicked_count"),
        str(returned.get("last_object_clicked")),
        returned.get("last_object_clicked_tooltip"),
    )
    if st.session_state.get(_CLICK_SEEN) == stamp:
        return
    st.session_state[_CLICK_SEEN] = stamp
    clicked = resolve_click(returned, centres)
    if clicked is not None:
        st.session_state[SELECTED] = clicked


def _remember_view(returned: Mapping[str, Any] | None) -> None:
    if not returned:
        return
    center, zoom = returned.get("center"), returned.get("zoom")
    if isinstance(center, Mapping) and zoom is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            st.session_state[VIEW] = (float(center["lat"]), float(center["lng"]), int(zoom))


@st.fragment
def map_panel(panel: MapPanel) -> None:
    """Search, the map and the details panel; reruns alone on map clicks and moves."""
    t = partial(translate, lang=panel.lang)
    state = st.session_state
    centres = panel.layers.centres
    _follow_signature(panel)
    _take_click(state.get(MAP_KEY), centres)
    _search(panel)
    left, right = st.columns([5, 3], gap="medium")
    selected = state.get(SELECTED)
    if selected is not None and not (centres["centre_id"].astype("str") == selected).any():
        selected = None
    with left:
        try:
            m = build_planning_map(
                panel.layers,
                viewer=panel.viewer,
                options=panel.options,
                coverage=panel.coverage.table,
                params=panel.coverage.params,
                agencies=panel.agencies,
                tiles=panel.tiles,
                lang=panel.lang,
                road_lines=panel.road_lines,
                reach=panel.reach,
            )
        except PlannerError as exc:
            st.error(md_escape(exc))
            return
        highlight = None
        if selected is not None:
            point = centres[centres["centre_id"].astype("str") == selected].geometry.iloc[0]
            highlight = highlight_group(point.y, point.x, name=t("Selected centre"))
        goto = state.get(GOTO)
        returned = st_folium(
            m,
            key=MAP_KEY,
            height=MAP_HEIGHT,
            use_container_width=True,
            returned_objects=RETURNED,
            center=(goto[0], goto[1]) if goto else None,
            zoom=goto[2] if goto else None,
            feature_group_to_add=highlight,
        )
        _remember_view(returned)
        _take_click(returned, centres)
    sync_url()
    selected = state.get(SELECTED)
    if selected is not None and not (centres["centre_id"].astype("str") == selected).any():
        selected = None
    with right:
        if selected is None:
            _details_hint(panel)
        else:
            show_details(panel, selected)


def _details_hint(panel: MapPanel) -> None:
    t = partial(translate, lang=panel.lang)
    st.subheader(t("Centre details"))
    st.info(
        t(
            "Click a polling centre on the map, or find one above, to see its stations, "
            "voters, security, nearby incidents and accessibility."
        )
    )
    layers = panel.layers
    if not len(layers.centres):
        st.warning(t("No polling centre matches the filters."))


def show_details(panel: MapPanel, centre_id: str) -> None:
    """Show the details panel of one centre (no unit position for viewers not allowed)."""
    t = partial(translate, lang=panel.lang)
    layers = panel.layers
    try:
        details = centre_details(
            centre_id,
            centres=layers.centres,
            viewer=panel.viewer,
            municipalities=layers.municipalities,
            districts=layers.districts,
            units=layers.units,
            incidents=layers.incidents,
            audits=layers.audits,
            coverage=panel.coverage.table,
            roads=panel.roads,
            roads_version=panel.roads_version,
            params=panel.params,
        )
    except PlannerError as exc:
        st.warning(md_escape(exc))
        return
    _details_body(details, panel, t)


_BADGE_COLOURS = {
    "accessible": "green",
    "partial": "orange",
    "inaccessible": "red",
    "full": "green",
    "guard_only": "blue",
    "response_only": "orange",
    "gap": "red",
    "low": "green",
    "medium": "yellow",
    "high": "orange",
    "critical": "red",
}


def _label_of(scheme: str, value: str) -> str:
    return {v: label for v, _, label in COLOUR_SCHEMES[scheme].categories}.get(value, value)


def _details_body(details: CentreDetails, panel: MapPanel, t: Any) -> None:
    head, close = st.columns([5, 1], vertical_alignment="center")
    arabic = panel.lang == "ar"
    name, other = (
        (details.name_ar, details.name_en) if arabic else (details.name_en, details.name_ar)
    )
    head.subheader(f"{md_escape(details.centre_id)} · {md_escape(name or other)}")
    close.button(
        "✕",
        key="map_close_details",
        help=t("Close"),
        on_click=lambda: st.session_state.pop(SELECTED, None),
    )
    st.caption(
        " · ".join(
            md_escape(part)
            for part in (other if name else "", details.municipality, details.district)
            if part
        )
    )
    with st.container(horizontal=True):
        st.badge(
            md_escape(t(_label_of("access_status", details.access_status))),
            color=_BADGE_COLOURS.get(details.access_status, "gray"),  # type: ignore[arg-type]
        )
        if details.coverage_status:
            st.badge(
                md_escape(t(_label_of("coverage_status", details.coverage_status))),
                color=_BADGE_COLOURS.get(details.coverage_status, "gray"),  # type: ignore[arg-type]
            )
        if details.risk_tier and details.risk_score is not None:
            st.badge(
                f"{t('Risk')} {details.risk_score:.0f} · {md_escape(t(details.risk_tier))}",
                color=_BADGE_COLOURS.get(details.risk_tier, "gray"),  # type: ignore[arg-type]
            )
    stations = details.stations.set_index("kind")
    cols = st.columns(2)
    cols[0].metric(t("Registered voters"), f"{int(stations.loc['total', 'voters']):,}")
    cols[1].metric(t("Stations"), f"{int(stations.loc['total', 'stations']):,}")
    tabs = st.tabs([t("Stations"), t("Security"), t("Incidents"), t("Access"), t("All attributes")])
    with tabs[0]:
        table = details.stations[["kind", "stations"]]
        st.dataframe(
            table.assign(kind=table["kind"].map(t)).rename(
                columns={"kind": t("stations for"), "stations": t("stations")}
            ),
            hide_index=True,
            key="map_details_stations",
        )
        men, women = stations.loc["men", "voters"], stations.loc["women", "voters"]
        if pd.notna(men) and pd.notna(women):
            st.caption(
                f"{t('Registered voters')}: {int(men):,} {t('men')} · {int(women):,} {t('women')}"
            )
    with tabs[1]:
        if details.coverage is not None:
            st.dataframe(
                details.coverage.assign(
                    field=details.coverage["field"].map(t), value=details.coverage["value"].map(t)
                ),
                hide_index=True,
                key="map_details_coverage",
                column_config={"field": t("Coverage"), "value": ""},
            )
        counts = details.units_within.set_index("unit_type")["units"]
        summary = ", ".join(f"{n} {t(UNIT_SHAPES[k][1]).lower()}" for k, n in counts.items() if n)
        st.markdown(
            f"**{int(counts.sum())}** {t('units within')} {details.units_radius_km:g} km"
            + (f" ({md_escape(summary)})" if summary else "")
        )
        if details.nearest_units is not None:
            st.dataframe(details.nearest_units, hide_index=True, key="map_details_units")
        else:
            st.caption(t("Your role sees counts only, not where units stand."))
    with tabs[2]:
        st.markdown(
            f"**{len(details.incidents)}** {t('incidents within')} "
            f"{details.incidents_radius_km:g} km " + t("(with the incident filters)")
        )
        if len(details.incidents):
            shown = details.incidents.assign(
                category=details.incidents["category"].map(
                    lambda c: t(INCIDENT_STYLES.get(c, ("", c))[1])
                )
            )
            order = ["distance_km", "date", "category", "severity", "fatalities", "injuries"]
            order += [c for c in shown.columns if c not in order]
            st.dataframe(shown[order], hide_index=True, key="map_details_incidents")
    with tabs[3]:
        when = details.audit_date or t("never audited")
        status = t(_label_of("access_status", details.access_status))
        st.markdown(f"**{md_escape(status)}** · {t('latest audit')}: {md_escape(when)}")
        marks = {"yes": "✓ ", "no": "✗ ", "not recorded": "– "}
        st.dataframe(
            details.checklist.assign(
                item=details.checklist["item"].map(t),
                answer=details.checklist["answer"].map(lambda a: marks.get(a, "") + t(a)),
            ),
            hide_index=True,
            key="map_details_checklist",
        )
        if details.audit_notes:
            st.caption(f"{t('Notes')}: {md_escape(details.audit_notes)}")
    with tabs[4]:
        st.dataframe(details.attributes, hide_index=True, key="map_details_attributes")


def map_download(page: PageContext, panel: MapPanel, filters: MapFilters) -> None:
    """Offer the map as one HTML file (same layers, filters, role), made and audited on click.

    Only for roles that may export; the file holds units as counts per municipality
    unless the viewer may see their positions (:func:`geo.mapview.export_planning_map`).
    """
    if not page.viewer.can("export_coverage"):
        return
    rows, details = map_export_details(
        panel.layers, viewer=panel.viewer, filters=filters, options=panel.options, lang=panel.lang
    )

    def make() -> bytes:
        return export_planning_map(
            panel.layers,
            viewer=panel.viewer,
            filters=filters,
            options=panel.options,
            coverage=panel.coverage.table,
            params=panel.coverage.params,
            agencies=panel.agencies,
            lang=panel.lang,
            is_demo=page.workspace.is_demo,
            road_lines=panel.road_lines,
        ).content

    ui.audited_download(
        page.t("Download this map (HTML)"),
        make,
        workspace=page.workspace,
        viewer=page.viewer,
        file_name=MAP_FILE_NAME,
        mime="text/html",
        key="map_download_html",
        rows=rows,
        details=details,
    )
    st.caption(
        page.t(
            "One file that opens in a browser without the app or the internet; the download "
            "is recorded in the audit log."
        )
    )


def url_problems() -> list[str]:
    """Problems found in the URL query on the first run (values left out)."""
    problems = st.session_state.get(_URL_PROBLEMS) or []
    return list(problems)
