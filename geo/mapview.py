"""The planning map of the Map page: every layer, its legend, the figures and a centre's details.

:func:`build_planning_map` turns the filtered layers (:func:`geo.filters.apply_filters`)
and the coverage analysis into one offline folium map, bottom to top:

* an optional local tile basemap (:class:`geo.maps.TileSource`);
* **municipalities**, filled by a chosen measure (:data:`MEASURES`) in rounded quantile
  classes (:func:`geo.maps.class_breaks`); approximate catchments are dashed and their
  tooltip says so;
* **districts** (outlines) and the **Libya outline**;
* **incident heat map** (off at first) and **incidents**, coloured by category and sized
  by severity;
* **response radii** of patrols and rapid-response units (off at first) and **security
  units** by agency (colour) and type (shape), both only for viewers who may see unit
  positions; everyone else gets **unit counts** per municipality, at its seat;
* **polling centres**, clustered, coloured by a chosen attribute (:data:`COLOUR_SCHEMES`);
  inaccessible centres are squares with a dark outline, the others circles.

Every layer is in the layer control and has a legend section that follows it; Leaflet's
scale bar is on. :func:`map_figures` gives the figures shown above the map for the same
filtered layers, and :func:`centre_details` everything the details panel shows when a
centre is clicked.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.access import derive_access_status
from geo.coverage import CoverageParams, nearest_units_by_time, reach_area_of, uses_network
from geo.distance import distance_m, points_xy
from geo.errors import InputError
from geo.filters import FilteredLayers, MapFilters, filters_to_query
from geo.i18n import N_, Language, is_rtl, translate
from geo.maps import (
    BOUNDARY_NOTES,
    CATEGORY_COLOURS,
    DISTRICT_STYLE,
    NO_DATA_COLOUR,
    OUTLINE_STYLE,
    CircleStyle,
    FillFade,
    LegendEntry,
    LegendSection,
    LineStyle,
    MapLegend,
    PolygonStyle,
    Symbol,
    TileSource,
    add_badges,
    add_circles,
    add_heat,
    add_layer_control,
    add_lines,
    add_polygons,
    add_symbols,
    add_tiles,
    class_breaks,
    class_labels,
    classify,
    format_number,
    new_map,
    outline_of,
    palette,
    ring_group,
    standalone_html,
    use_offline_assets,
)
from geo.network import ReachArea
from geo.permissions import Viewer, require
from geo.redaction import (
    columns_for_viewer,
    require_unit_positions,
    unit_counts_by_municipality,
    unit_positions,
)
from geo.schema import CENTRE_TYPES, INCIDENT_CATEGORIES, UNIT_TYPES

# --- layer names (English keys of geo.i18n) -------------------------------------------------

LAYER_MUNICIPALITIES = "Municipalities"
LAYER_DISTRICTS = "Districts"
LAYER_OUTLINE = "Libya outline"
LAYER_CENTRES = "Polling centres"
LAYER_UNITS = "Security units"
LAYER_UNIT_COUNTS = "Security units (count per municipality)"
LAYER_RADII = "Response radii"
LAYER_INCIDENTS = "Incidents"
LAYER_HEAT = "Incident heat map"
LAYER_ROADS = "Roads"
LAYER_REACH = "Reach area"

#: Road classes as the map draws them (a ``*_link`` road as its parent): colour, width px.
ROAD_STYLES: dict[str, LineStyle] = {
    "motorway": LineStyle("#b2182b", 3.5),
    "trunk": LineStyle("#ef6548", 3.0),
    "primary": LineStyle("#fc8d59", 2.5),
    "secondary": LineStyle("#4393c3", 2.0),
    "tertiary": LineStyle("#737373", 1.5),
    "other": LineStyle("#969696", 1.0),
}
#: Fill of the reach areas, the shorter time darker (magenta: no shading palette has it).
REACH_STYLES: tuple[PolygonStyle, PolygonStyle] = (
    PolygonStyle(color="#7a0177", weight=1.5, fill_color="#dd3497", fill_opacity=0.35),
    PolygonStyle(color="#ae017e", weight=1.0, fill_color="#fa9fb5", fill_opacity=0.25),
)

#: CSS class of the centre cluster icons (the browser tests count them by it).
CENTRE_CLUSTER_CLASS = "psp-centre-cluster"
UNIT_CLUSTER_CLASS = "psp-unit-cluster-icon"
#: Units are drawn in their own pane, under the centres (Leaflet's markers pane is 600).
UNIT_PANE = ("pspUnits", 590)

# --- measures of the choropleth ------------------------------------------------------------

MeasureKey = Literal[
    "registered_voters",
    "centres",
    "incidents",
    "share_accessible",
    "coverage_share",
    "risk_mean",
    "shortfall",
]


@dataclass(frozen=True)
class Measure:
    """A municipal figure the choropleth can show.

    Attributes
    ----------
    key
        Column of :func:`municipality_measures`.
    label
        Name shown to the user (English; translated by :mod:`geo.i18n`).
    unit
        Unit shown in the legend title.
    palette
        Sequential palette (:data:`geo.maps.SEQUENTIAL_PALETTES`); dark means more.
    integer, percent
        How values are rounded and written.
    needs_coverage
        Computed from the coverage analysis (unavailable without it).
    """

    key: str
    label: str
    unit: str
    palette: str
    integer: bool = False
    percent: bool = False
    needs_coverage: bool = False


MEASURES: Mapping[str, Measure] = {
    m.key: m
    for m in (
        Measure("registered_voters", "Registered voters", "persons", "Blues", integer=True),
        Measure("centres", "Polling centres", "centres", "Purples", integer=True),
        Measure("incidents", "Incidents", "incidents, with the filters", "YlOrRd", integer=True),
        Measure(
            "share_accessible",
            "Voters at accessible centres",
            "% of registered voters",
            "Greens",
            percent=True,
        ),
        Measure(
            "coverage_share",
            "Voters at fully covered centres",
            "% of registered voters",
            "Greens",
            percent=True,
            needs_coverage=True,
        ),
        Measure("risk_mean", "Mean risk", "score 0–100", "YlOrRd", needs_coverage=True),
        Measure(
            "shortfall",
            "Officer shortfall",
            "officers",
            "YlOrRd",
            integer=True,
            needs_coverage=True,
        ),
    )
}

# --- colour schemes of the centres ----------------------------------------------------------

ColourKey = Literal["access_status", "centre_type", "coverage_status", "risk_tier"]
#: Category given to centres the coverage analysis left out (closed centres).
NOT_ANALYSED = "not_analysed"


@dataclass(frozen=True)
class ColourScheme:
    """Colours of centres by one attribute; later categories are drawn on top.

    ``categories`` holds ``(value, colour, label)``; values not listed fall in the last.
    """

    key: str
    label: str
    column: str
    categories: tuple[tuple[str, str, str], ...]
    needs_coverage: bool = False

    @property
    def values(self) -> tuple[str, ...]:
        """Category values in drawing order."""
        return tuple(v for v, _, _ in self.categories)


COLOUR_SCHEMES: Mapping[str, ColourScheme] = {
    s.key: s
    for s in (
        ColourScheme(
            "access_status",
            "Accessibility",
            "access_status",
            (
                ("accessible", "#1a9850", "Accessible"),
                ("partial", "#fdae61", "Partly accessible"),
                ("unknown", "#9e9e9e", "Not audited"),
                ("inaccessible", "#d73027", "Inaccessible"),
            ),
        ),
        ColourScheme(
            "centre_type",
            "Centre type",
            "centre_type",
            tuple(
                (t, CATEGORY_COLOURS[i], t.replace("_", " ").capitalize())
                for i, t in enumerate(CENTRE_TYPES)
            ),
        ),
        ColourScheme(
            "coverage_status",
            "Coverage",
            "status",
            (
                ("full", "#1a9850", "Guarded and reachable"),
                ("guard_only", "#a6d96a", "Guarded only"),
                (NOT_ANALYSED, "#9e9e9e", "Not analysed (closed)"),
                ("response_only", "#fdae61", "Reachable only"),
                ("gap", "#d73027", "Gap: neither"),
            ),
            needs_coverage=True,
        ),
        ColourScheme(
            "risk_tier",
            "Risk tier",
            "risk_tier",
            (
                ("low", "#1a9850", "Low (below 25)"),
                (NOT_ANALYSED, "#9e9e9e", "Not analysed (closed)"),
                ("medium", "#fee08b", "Medium (25–50)"),
                ("high", "#fc8d59", "High (50–75)"),
                ("critical", "#b2182b", "Critical (75 and above)"),
            ),
            needs_coverage=True,
        ),
    )
}

#: Incident category -> (colour, label).
INCIDENT_STYLES: Mapping[str, tuple[str, str]] = {
    "attack_on_centre": ("#99000d", "Attack on a centre or office"),
    "armed_interference": ("#e31a1c", "Armed interference"),
    "violent_protest": ("#fc8d59", "Violent protest"),
    "obstruction_of_voting": ("#8c510a", "Obstruction of voting"),
    "intimidation": ("#762a83", "Intimidation"),
    "theft_destruction_of_materials": ("#e08214", "Theft or destruction of materials"),
    "hate_speech_misinformation": ("#1b7837", "Hate speech or misinformation"),
    "registration_irregularity": ("#2166ac", "Registration irregularity"),
    "monitor_neutrality_complaint": ("#67a9cf", "Monitor neutrality complaint"),
    "other": ("#6d6d6d", "Other"),
}
#: Unit type -> (shape, label).
UNIT_SHAPES: Mapping[str, tuple[str, str]] = {
    "static_guard": ("square", "Static guard"),
    "patrol": ("triangle", "Patrol"),
    "rapid_response": ("diamond", "Rapid response"),
    "checkpoint": ("cross", "Checkpoint"),
}
#: Radius of an incident symbol in pixels for severity s: 3 + 1.5 s.
INCIDENT_RADIUS_PX = (3.0, 1.5)
INACCESSIBLE_OUTLINE = "#1b1b1b"


@dataclass(frozen=True)
class MapOptions:
    """What the planning map draws, beyond the filters.

    Attributes
    ----------
    measure
        Key of :data:`MEASURES` filling the municipalities; ``None`` for plain outlines.
    colour_by
        Key of :data:`COLOUR_SCHEMES` colouring the centres.
    show_centres, show_units, show_incidents
        Include these layers (units only reach viewers allowed to see them).
    show_radii
        Switch the response-radius circles on when the map opens.
    heat_map
        Show incidents as a heat map rather than points when the map opens.
    show_roads
        Include the roads layer (by class), when the workspace has one.
    """

    measure: str | None = "registered_voters"
    colour_by: str = "coverage_status"
    show_centres: bool = True
    show_units: bool = True
    show_radii: bool = False
    show_incidents: bool = True
    heat_map: bool = False
    show_roads: bool = False

    def __post_init__(self) -> None:
        """Refuse unknown measures and colour schemes, naming the valid ones."""
        if self.measure is not None and self.measure not in MEASURES:
            raise InputError(
                f"unknown map measure {self.measure!r}; use one of {', '.join(MEASURES)}"
            )
        if self.colour_by not in COLOUR_SCHEMES:
            raise InputError(
                f"unknown centre colouring {self.colour_by!r}; use one of "
                f"{', '.join(COLOUR_SCHEMES)}"
            )


#: Field of :class:`MapOptions` -> its URL query parameter.
OPTION_QUERY_KEYS: Mapping[str, str] = {
    "measure": "measure",
    "colour_by": "colour",
    "show_centres": "centres",
    "show_units": "units",
    "show_radii": "radii",
    "show_incidents": "incidents",
    "heat_map": "heat",
    "show_roads": "roads",
}


def options_to_query(options: MapOptions) -> dict[str, list[str]]:
    """Return the URL query parameters of ``options`` that differ from the defaults."""
    default = MapOptions()
    query: dict[str, list[str]] = {}
    for f in fields(options):
        value = getattr(options, f.name)
        if value == getattr(default, f.name):
            continue
        if isinstance(value, bool):
            query[OPTION_QUERY_KEYS[f.name]] = ["1" if value else "0"]
        else:
            query[OPTION_QUERY_KEYS[f.name]] = ["none" if value is None else str(value)]
    return query


def options_from_query(query: Mapping[str, Sequence[str] | str]) -> tuple[MapOptions, list[str]]:
    """Read :class:`MapOptions` from URL query parameters; unknown values are reported."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(MapOptions):
        raw = query.get(OPTION_QUERY_KEYS[f.name])
        if raw is None:
            continue
        text = raw if isinstance(raw, str) else (list(raw) or [""])[-1]
        if f.name in ("measure", "colour_by"):
            allowed = MEASURES if f.name == "measure" else COLOUR_SCHEMES
            if f.name == "measure" and text == "none":
                values[f.name] = None
            elif text in allowed:
                values[f.name] = text
            else:
                problems.append(f"the link's '{OPTION_QUERY_KEYS[f.name]}' {text!r} is unknown")
        elif text in ("1", "0"):
            values[f.name] = text == "1"
        else:
            problems.append(
                f"the link's '{OPTION_QUERY_KEYS[f.name]}' must be 1 or 0, not {text!r}"
            )
    return MapOptions(**values), problems


# --- derived tables ---------------------------------------------------------------------------


def centre_view(centres: pd.DataFrame, coverage: pd.DataFrame | None) -> pd.DataFrame:
    """Return the centres with the coverage columns the map uses.

    Parameters
    ----------
    centres
        Filtered centres (with ``access_status``, as from :func:`geo.filters.apply_filters`).
    coverage
        :attr:`geo.coverage.CoverageResult.centres`, or ``None``.

    Returns
    -------
    pandas.DataFrame
        ``centres`` plus ``status``, ``risk_score``, ``risk_tier``, ``shortfall`` and
        ``female_shortfall`` (missing, and ``status``/``risk_tier`` set to
        :data:`NOT_ANALYSED`, for centres the analysis left out or when there is none).
    """
    view = centres.copy()
    wanted = ("status", "risk_score", "risk_tier", "shortfall", "female_shortfall")
    if "status" in view.columns:
        view = view.rename(columns={"status": "centre_status"})
    if coverage is not None and len(coverage):
        table = coverage.drop_duplicates("centre_id").set_index("centre_id")
        ids = view["centre_id"].astype("str")
        for column in wanted:
            view[column] = ids.map(table[column]).to_numpy()
    else:
        for column in wanted:
            view[column] = np.nan
    for column in ("status", "risk_tier"):
        view[column] = view[column].astype("object").where(view[column].notna(), NOT_ANALYSED)
    return view


def _municipality_of(frame: pd.DataFrame, centres: pd.DataFrame) -> pd.Series:
    own = (
        frame["municipality_pcode"].astype("str")
        if "municipality_pcode" in frame.columns
        else pd.Series(pd.NA, index=frame.index, dtype="str")
    )
    if "centre_id" in frame.columns and len(centres):
        unique = centres.drop_duplicates("centre_id")
        lookup = unique.set_index(unique["centre_id"].astype("str"))["municipality_pcode"]
        own = own.fillna(frame["centre_id"].astype("str").map(lookup))
    return own


def municipality_measures(
    layers: FilteredLayers, coverage: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Compute every :data:`MEASURES` column per municipality of the filtered layers.

    Parameters
    ----------
    layers
        From :func:`geo.filters.apply_filters`: only kept centres and incidents count.
    coverage
        :attr:`geo.coverage.CoverageResult.centres`; without it the coverage measures are
        missing.

    Returns
    -------
    pandas.DataFrame
        One row per municipality of ``layers.municipalities``: ``pcode``,
        ``registered_voters``, ``centres``, ``incidents`` (counts, 0 when none),
        ``share_accessible`` and ``coverage_share`` (voter-weighted, 0–1),
        ``risk_mean`` (0–100) and ``shortfall`` (officers). Shares and means are missing
        where the municipality has no (analysed) centre.
    """
    has_coverage = coverage is not None and len(coverage) > 0
    return _measures_of(layers, centre_view(layers.centres, coverage), has_coverage)


def _measures_of(layers: FilteredLayers, centres: pd.DataFrame, has_coverage: bool) -> pd.DataFrame:
    """:func:`municipality_measures` from the centres' :func:`centre_view` (computed once)."""
    pcodes = layers.municipalities["pcode"].astype("str").reset_index(drop=True)
    out = pd.DataFrame({"pcode": pcodes})
    voters = pd.to_numeric(centres["registered_voters"]).fillna(0).astype(float)
    keyed = pd.DataFrame(
        {
            "pcode": centres["municipality_pcode"].astype("str").to_numpy(),
            "voters": voters.to_numpy(),
            "accessible": np.where(
                centres["access_status"].to_numpy() == "accessible", voters.to_numpy(), 0.0
            ),
            "analysed": np.where(
                centres["status"].to_numpy() != NOT_ANALYSED, voters.to_numpy(), 0.0
            ),
            "full": np.where(centres["status"].to_numpy() == "full", voters.to_numpy(), 0.0),
            "risk": pd.to_numeric(centres["risk_score"]).to_numpy(dtype=float),
            "shortfall": pd.to_numeric(centres["shortfall"]).to_numpy(dtype=float),
        }
    )
    grouped = keyed.groupby("pcode")
    sums = grouped[["voters", "accessible", "analysed", "full", "shortfall"]].sum(min_count=1)
    count = grouped.size()
    out["registered_voters"] = pcodes.map(sums["voters"]).fillna(0).astype(np.int64)
    out["centres"] = pcodes.map(count).fillna(0).astype(np.int64)
    incidents = layers.incidents
    if len(incidents):
        per = _municipality_of(incidents, layers.centres).value_counts()
        out["incidents"] = pcodes.map(per).fillna(0).astype(np.int64)
    else:
        out["incidents"] = np.zeros(len(pcodes), dtype=np.int64)
    voters_by = pcodes.map(sums["voters"])
    out["share_accessible"] = (
        pcodes.map(sums["accessible"]) / voters_by.where(voters_by > 0)
    ).astype(float)
    analysed = pcodes.map(sums["analysed"])
    out["coverage_share"] = (
        (pcodes.map(sums["full"]) / analysed.where(analysed > 0)).astype(float)
        if has_coverage
        else np.nan
    )
    out["risk_mean"] = pcodes.map(grouped["risk"].mean()).astype(float) if has_coverage else np.nan
    out["shortfall"] = pcodes.map(sums["shortfall"]).astype(float) if has_coverage else np.nan
    if has_coverage:
        out.loc[out["centres"] == 0, "shortfall"] = np.nan
    return out


@dataclass(frozen=True)
class MapFigures:
    """Headline figures of the filtered layers (aggregates: safe for every role).

    Coverage figures (``share_voters_full``, ``centres_gap``, ``shortfall``) are ``None``
    without a coverage analysis.
    """

    centres: int
    stations_male: int
    stations_female: int
    stations_mixed: int
    voters: int
    voters_male: int
    voters_female: int
    share_voters_accessible: float
    units: int
    officers: int
    female_officers: int
    incidents: int
    share_voters_full: float | None
    centres_gap: int | None
    shortfall: int | None

    @property
    def stations(self) -> int:
        """All stations."""
        return self.stations_male + self.stations_female + self.stations_mixed


def _sum(frame: pd.DataFrame, column: str) -> int:
    if column not in frame.columns or not len(frame):
        return 0
    return int(pd.to_numeric(frame[column]).fillna(0).sum())


def map_figures(layers: FilteredLayers, coverage: pd.DataFrame | None = None) -> MapFigures:
    """Return the figures shown above the map for the filtered layers.

    Shares are voter-weighted, 0–1 (``nan`` without voters). Coverage figures count only
    the kept centres that the analysis covers.
    """
    centres = centre_view(layers.centres, coverage)
    voters = pd.to_numeric(centres["registered_voters"]).fillna(0).to_numpy(dtype=float)
    total = float(voters.sum())
    accessible = float(voters[(centres["access_status"] == "accessible").to_numpy(bool)].sum())
    has_coverage = coverage is not None and len(coverage) > 0
    analysed = (centres["status"] != NOT_ANALYSED).to_numpy(bool)
    full = (centres["status"] == "full").to_numpy(bool)
    analysed_voters = float(voters[analysed].sum())
    return MapFigures(
        centres=len(centres),
        stations_male=_sum(centres, "stations_male"),
        stations_female=_sum(centres, "stations_female"),
        stations_mixed=_sum(centres, "stations_mixed"),
        voters=int(total),
        voters_male=_sum(centres, "voters_male"),
        voters_female=_sum(centres, "voters_female"),
        share_voters_accessible=accessible / total if total > 0 else float("nan"),
        units=len(layers.units),
        officers=_sum(layers.units, "officers"),
        female_officers=_sum(layers.units, "female_officers"),
        incidents=len(layers.incidents),
        share_voters_full=(
            (float(voters[full].sum()) / analysed_voters if analysed_voters > 0 else float("nan"))
            if has_coverage
            else None
        ),
        centres_gap=int((centres["status"] == "gap").sum()) if has_coverage else None,
        shortfall=_sum(centres, "shortfall") if has_coverage else None,
    )


# --- the map ------------------------------------------------------------------------------------


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("")


def _prefixed(label: str, values: pd.Series) -> pd.Series:
    return (label + ": " + _text(values)).where(_text(values) != "", "")


def _choropleth(
    m: folium.Map,
    layers: FilteredLayers,
    measures: pd.DataFrame,
    measure: Measure | None,
    lang: Language,
    simplify_tolerance_deg: float,
) -> LegendSection:
    t = partial(translate, lang=lang)
    munis = layers.municipalities.reset_index(drop=True)
    kind = munis["boundary_kind"].astype("str")
    notes = kind.map({k: t(v) for k, v in BOUNDARY_NOTES.items()}).fillna(t("boundary"))
    approximate = kind.eq("approximate").to_numpy(bool)
    frame = munis.assign(boundary=notes.to_numpy())
    label_columns = ["name_en", "name_ar", "pcode", "boundary"]
    aliases = [t("Municipality"), t("Arabic name"), t("P-code"), t("Boundary")]
    entries: list[LegendEntry] = []
    fills: list[str | None] = [None] * len(munis)
    title = t(LAYER_MUNICIPALITIES)
    if measure is not None:
        values = (
            munis["pcode"]
            .astype("str")
            .map(measures.set_index("pcode")[measure.key])
            .astype(float)
            .to_numpy()
        )
        breaks = class_breaks(values, classes=5, integer=measure.integer)
        classes = classify(values, breaks)
        colours = palette(measure.palette, max(1, len(breaks) - 1))
        fills = [colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes]
        labels = class_labels(breaks, integer=measure.integer, percent=measure.percent)
        if len(breaks) == 2 and breaks[0] == breaks[1]:
            labels = [format_number(breaks[0], percent=measure.percent)]
        entries = [
            LegendEntry(label, colour) for label, colour in zip(labels, colours, strict=False)
        ]
        if np.isnan(values).any():
            entries.append(LegendEntry(t("No centres"), NO_DATA_COLOUR))
        shown = [
            format_number(float(v), percent=measure.percent, decimals=0 if measure.integer else 1)
            if np.isfinite(v)
            else "–"
            for v in values
        ]
        frame = frame.assign(measure_value=shown)
        label_columns.insert(3, "measure_value")
        aliases.insert(3, t(measure.label))
        title = f"{t(measure.label)} ({t(measure.unit)})"
    style = PolygonStyle(
        color="#4a4a4a",
        weight=0.8,
        fill_color="#9ecae1",
        fill_opacity=0.62 if measure is not None else 0.12,
    )
    add_polygons(
        m,
        frame,
        name=t(LAYER_MUNICIPALITIES),
        label_columns=label_columns,
        label_aliases=aliases,
        style=style,
        dashed=approximate,
        fill_colors=fills,
        simplify_tolerance_deg=simplify_tolerance_deg,
    )
    if approximate.any():
        entries.append(LegendEntry(t("Approximate catchment (dashed)"), "#4a4a4a", swatch="dashed"))
    return LegendSection(t(LAYER_MUNICIPALITIES), title, tuple(entries))


def _centre_layer(
    m: folium.Map,
    centres: pd.DataFrame,
    scheme: ColourScheme,
    municipality_names: pd.Series,
    lang: Language,
) -> LegendSection:
    t = partial(translate, lang=lang)
    values = centres[scheme.column].astype("str").to_numpy()
    order = list(scheme.values)
    category = np.full(len(centres), len(order) - 1, dtype=np.int64)
    for i, value in enumerate(order):
        category[values == value] = i
    inaccessible = (centres["access_status"].astype("str") == "inaccessible").to_numpy(bool)
    symbols: list[Symbol] = []
    for _, colour, _ in scheme.categories:
        symbols.append(Symbol("circle", colour, stroke="#ffffff", stroke_width=1.4, size=13))
        symbols.append(
            Symbol("square", colour, stroke=INACCESSIBLE_OUTLINE, stroke_width=2.4, size=13)
        )
    codes = category * 2 + inaccessible.astype(np.int64)
    category_label = {v: t(label) for v, _, label in scheme.categories}
    frame = gpd.GeoDataFrame(
        {
            "centre_id": centres["centre_id"].astype("str").to_numpy(),
            "name_en": _text(centres["name_en"]).to_numpy(),
            "name_ar": _text(centres["name_ar"]).to_numpy(),
            "municipality": centres["municipality_pcode"]
            .astype("str")
            .map(municipality_names)
            .fillna("")
            .to_numpy(),
            "colour_label": [
                f"{t(scheme.label)}: {category_label.get(v, category_label[order[-1]])}"
                for v in values
            ],
            "access_note": np.where(
                inaccessible & (scheme.key != "access_status"), t("Inaccessible"), ""
            ),
        },
        geometry=centres.geometry.to_numpy(),
        crs=centres.crs,
    )
    add_symbols(
        m,
        frame,
        name=t(LAYER_CENTRES),
        symbols=symbols,
        symbol_codes=codes,
        groups=[colour for _, colour, _ in scheme.categories],
        symbol_groups=[i // 2 for i in range(len(symbols))],
        label_columns=(
            "centre_id",
            "name_en",
            "name_ar",
            "municipality",
            "colour_label",
            "access_note",
        ),
        cluster_class=CENTRE_CLUSTER_CLASS,
        cluster_radius_px=55,
        uncluster_zoom=15,
    )
    present = set(values)
    entries = [
        LegendEntry(t(label), colour, swatch="circle", outline="#ffffff")
        for value, colour, label in scheme.categories
        if value in present or value != NOT_ANALYSED
    ]
    entries.append(
        LegendEntry(
            t("Inaccessible centre (square, dark outline)"),
            "#ffffff",
            swatch="square",
            outline=INACCESSIBLE_OUTLINE,
            stroke_width=2.4,
        )
    )
    return LegendSection(
        t(LAYER_CENTRES),
        f"{t(LAYER_CENTRES)} — {t(scheme.label)}",
        tuple(entries),
        note=t("Clusters show the share of each colour and the number of centres."),
    )


def _unit_layers(
    m: folium.Map,
    units: pd.DataFrame,
    viewer: Viewer,
    agencies: Sequence[str],
    params: CoverageParams,
    show_radii: bool,
    lang: Language,
) -> list[LegendSection]:
    t = partial(translate, lang=lang)
    visible = unit_positions(units, viewer).reset_index(drop=True)
    agency_order = list(dict.fromkeys([*agencies, *sorted(visible["agency"].astype("str"))]))
    colours = {a: CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i, a in enumerate(agency_order)}
    unit_type = visible["unit_type"].astype("str").to_numpy()
    agency = visible["agency"].astype("str").to_numpy()
    symbols: list[Symbol] = []
    index: dict[tuple[str, str], int] = {}
    for a in agency_order:
        for kind in UNIT_TYPES:
            index[(a, kind)] = len(symbols)
            symbols.append(
                Symbol(UNIT_SHAPES[kind][0], colours[a], stroke="#ffffff", stroke_width=1.2)
            )
    codes = np.array([index[(a, k)] for a, k in zip(agency, unit_type, strict=True)], dtype=int)
    type_label = {k: t(v[1]) for k, v in UNIT_SHAPES.items()}
    officers = pd.to_numeric(visible["officers"]).fillna(0).astype(int)
    female = pd.to_numeric(visible["female_officers"]).fillna(0).astype(int)
    frame = gpd.GeoDataFrame(
        {
            "unit_id": visible["unit_id"].astype("str").to_numpy(),
            "agency": agency,
            "type": [type_label.get(k, k) for k in unit_type],
            "officers": [
                f"{t('Officers')}: {o} ({f} {t('women')})"
                for o, f in zip(officers, female, strict=True)
            ],
            "assigned": _prefixed(
                t("Assigned to centre"), visible["assigned_centre_id"]
            ).to_numpy(),
        },
        geometry=visible.geometry.to_numpy(),
        crs=visible.crs,
    )
    sections: list[LegendSection] = []
    responders = np.isin(unit_type, ("patrol", "rapid_response"))
    if responders.any():
        default_km = np.where(
            unit_type == "patrol", params.patrol_radius_km, params.rapid_radius_km
        )
        own = (
            pd.to_numeric(visible["response_radius_km"]).to_numpy(dtype=float)
            if "response_radius_km" in visible.columns and params.use_unit_radii
            else np.full(len(visible), np.nan)
        )
        road_km = np.where(np.isfinite(own), own, default_km)
        radius_m = road_km * 1000.0 / params.circuity
        add_circles(
            m,
            frame[responders],
            name=t(LAYER_RADII),
            styles=[
                CircleStyle("#1f78b4", stroke="#1f78b4", weight=1, opacity=0.5, fill_opacity=0.04),
                CircleStyle("#6a3d9a", stroke="#6a3d9a", weight=1, opacity=0.5, fill_opacity=0.03),
            ],
            style_codes=(unit_type[responders] == "rapid_response").astype(int),
            radii=radius_m[responders],
            metres=True,
            interactive=False,
            show=show_radii,
        )
        sections.append(
            LegendSection(
                t(LAYER_RADII),
                t(LAYER_RADII),
                (
                    LegendEntry(
                        f"{t('Patrol')} ({params.patrol_radius_km:g} km)", "#1f78b4", "circle"
                    ),
                    LegendEntry(
                        f"{t('Rapid response')} ({params.rapid_radius_km:g} km)",
                        "#6a3d9a",
                        "circle",
                    ),
                ),
                note=t("Road reach drawn as straight-line distance (reach ÷ circuity)."),
                shown=show_radii,
            )
        )
    add_symbols(
        m,
        frame,
        name=t(LAYER_UNITS),
        symbols=symbols,
        symbol_codes=codes,
        label_columns=("unit_id", "agency", "type", "officers", "assigned"),
        cluster_style="box",
        cluster_class=UNIT_CLUSTER_CLASS,
        cluster_radius_px=70,
        uncluster_zoom=13,
        pane=UNIT_PANE,
    )
    present_agencies = [a for a in agency_order if a in set(agency)]
    entries = [
        LegendEntry(a, colours[a], swatch="square", outline="#ffffff") for a in present_agencies
    ]
    entries += [
        LegendEntry(t(label), "#555555", swatch=shape, outline="#ffffff")  # type: ignore[arg-type]
        for kind, (shape, label) in UNIT_SHAPES.items()
    ]
    sections.append(
        LegendSection(
            t(LAYER_UNITS),
            t("Security units — agency (colour), type (shape)"),
            tuple(entries),
        )
    )
    return sections


def _unit_count_layer(
    m: folium.Map,
    units: pd.DataFrame,
    centres: pd.DataFrame,
    municipalities: pd.DataFrame,
    lang: Language,
) -> LegendSection | None:
    t = partial(translate, lang=lang)
    counts = unit_counts_by_municipality(units, centres=centres)
    unique = municipalities.drop_duplicates("pcode")
    seats = unique.set_index(unique["pcode"].astype("str"))
    counts = counts[counts["municipality_pcode"].isin(seats.index)]
    if not len(counts) or not {"seat_lon", "seat_lat"}.issubset(seats.columns):
        return None
    place = seats.loc[counts["municipality_pcode"]]
    type_labels = [t(UNIT_SHAPES[k][1]) for k in UNIT_TYPES]
    frame = gpd.GeoDataFrame(
        {
            "count": counts["units"].map(lambda n: f"{n:,}").to_numpy(),
            "name_en": _text(place["name_en"]).to_numpy(),
            "name_ar": _text(place["name_ar"]).to_numpy(),
            "summary": [
                f"{u:,} {t('units')}, {o:,} {t('officers')} ({f:,} {t('women')})"
                for u, o, f in zip(
                    counts["units"], counts["officers"], counts["female_officers"], strict=True
                )
            ],
            "types": [
                " · ".join(f"{label} {n:,}" for label, n in zip(type_labels, row, strict=True) if n)
                for row in counts[[f"units_{k}" for k in UNIT_TYPES]].to_numpy().tolist()
            ],
        },
        geometry=gpd.points_from_xy(place["seat_lon"], place["seat_lat"]),
        crs="EPSG:4326",
    )
    add_badges(
        m,
        frame,
        name=t(LAYER_UNIT_COUNTS),
        text_column="count",
        label_columns=("name_en", "name_ar", "summary", "types"),
        pane=UNIT_PANE,
    )
    return LegendSection(
        t(LAYER_UNIT_COUNTS),
        t(LAYER_UNIT_COUNTS),
        (LegendEntry(t("Units in the municipality (at its seat)"), "#263238"),),
        note=t("Your role sees counts only, not where units stand."),
    )


def _incident_layers(
    m: folium.Map, incidents: pd.DataFrame, heat_map: bool, lang: Language
) -> list[LegendSection]:
    t = partial(translate, lang=lang)
    frame = incidents.reset_index(drop=True)
    category = frame["category"].astype("str").to_numpy()
    order = list(INCIDENT_CATEGORIES)
    codes = np.array([order.index(c) if c in order else len(order) - 1 for c in category])
    severity = pd.to_numeric(frame["severity"]).fillna(3).clip(1, 5).to_numpy(dtype=float)
    base, step = INCIDENT_RADIUS_PX
    label_of = {k: t(v[1]) for k, v in INCIDENT_STYLES.items()}
    dates = pd.to_datetime(frame["date"]).dt.strftime("%Y-%m-%d").fillna("")
    casualties = [
        f"{int(k)} {t('killed')}, {int(i)} {t('injured')}" if (k or i) else ""
        for k, i in zip(
            pd.to_numeric(frame["fatalities"]).fillna(0),
            pd.to_numeric(frame["injuries"]).fillna(0),
            strict=True,
        )
    ]
    verified = frame["verified"].astype("boolean") if "verified" in frame else None
    labels = gpd.GeoDataFrame(
        {
            "category": [label_of.get(c, c) for c in category],
            "when": [
                f"{d} · {t('severity')} {int(s)}/5" for d, s in zip(dates, severity, strict=True)
            ],
            "election": _text(frame["election"]).to_numpy(),
            "casualties": casualties,
            "verified": (
                np.where(verified.fillna(False).to_numpy(bool), t("verified"), t("not verified"))
                if verified is not None
                else ""
            ),
        },
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    add_heat(m, labels, name=t(LAYER_HEAT), weights=severity / 5.0, show=heat_map)
    add_circles(
        m,
        labels,
        name=t(LAYER_INCIDENTS),
        styles=[CircleStyle(INCIDENT_STYLES[c][0], stroke="#222222") for c in order],
        style_codes=codes,
        radii=base + step * severity,
        label_columns=("category", "when", "election", "casualties", "verified"),
        bold_first_label=True,
        show=not heat_map,
    )
    present = set(category)
    entries = [
        LegendEntry(label_of[c], INCIDENT_STYLES[c][0], swatch="circle", outline="#222222")
        for c in order
        if c in present
    ]
    entries += [
        LegendEntry(
            f"{t('Severity')} {s}",
            "#bbbbbb",
            swatch="circle",
            outline="#222222",
            size=int(2 * (base + step * s)) + 2,
        )
        for s in (1, 3, 5)
    ]
    return [
        LegendSection(
            t(LAYER_HEAT),
            t(LAYER_HEAT),
            (LegendEntry(t("Fewer → more severe incidents"), swatch="gradient"),),
            note=t("Weighted by severity."),
            shown=heat_map,
        ),
        LegendSection(
            t(LAYER_INCIDENTS),
            t("Incidents — category (colour), severity (size)"),
            tuple(entries),
            shown=not heat_map,
        ),
    ]


def road_class_of(highway: pd.Series) -> npt.NDArray[np.str_]:
    """Return the drawn class of every road: its ``highway`` (a link as its parent)."""
    names = highway.astype("str").fillna("").str.strip().str.lower().str.removesuffix("_link")
    return np.where(names.isin(list(ROAD_STYLES)[:-1]), names, "other").astype(str)


def roads_for_map(roads: gpd.GeoDataFrame, *, tolerance_deg: float = 0.002) -> gpd.GeoDataFrame:
    """Return the road layer as the map draws it: one row per class (``road_class``).

    Lines of a class that meet end to end are merged and simplified to ``tolerance_deg``
    (about 200 m), so that the national network travels to the browser as a few
    multi-lines of some 40,000 points instead of 25,000 lines. Only the class and the
    geometry are kept: no text of the layer reaches the map.
    """
    if len(roads) == 0:
        return gpd.GeoDataFrame({"road_class": []}, geometry=[], crs="EPSG:4326")
    frame = roads.to_crs("EPSG:4326") if roads.crs is not None else roads
    drawn = road_class_of(frame["highway"])
    classes, geometries = [], []
    for name in ROAD_STYLES:
        parts = frame.geometry.to_numpy()[drawn == name]
        parts = parts[~(shapely.is_missing(parts) | shapely.is_empty(parts))]
        if not len(parts):
            continue
        lines = shapely.get_parts(parts)
        merged = shapely.line_merge(shapely.multilinestrings(lines))
        classes.append(name)
        geometries.append(shapely.simplify(merged, tolerance_deg))
    return gpd.GeoDataFrame({"road_class": classes}, geometry=geometries, crs="EPSG:4326")


def _roads_layer(m: folium.Map, lines: gpd.GeoDataFrame, lang: Language) -> LegendSection:
    t = partial(translate, lang=lang)
    names = list(ROAD_STYLES)
    codes = np.array([names.index(c) for c in lines["road_class"]], dtype=np.intp)
    add_lines(m, lines, name=t(LAYER_ROADS), styles=list(ROAD_STYLES.values()), style_codes=codes)
    present = set(lines["road_class"])
    labels = {"other": "other roads"}
    return LegendSection(
        t(LAYER_ROADS),
        t("Roads by class"),
        tuple(
            LegendEntry(t(labels.get(name, name)), style.color, "line", stroke_width=style.weight)
            for name, style in ROAD_STYLES.items()
            if name in present
        ),
        note=t("© OpenStreetMap contributors, ODbL 1.0"),
    )


@dataclass(frozen=True)
class SiteReach:
    """The areas a unit or a candidate site reaches, for the map.

    Attributes
    ----------
    kind, site_id
        ``unit`` or ``centre``, and its ID.
    unit_type
        The unit's type (``None`` for a centre).
    areas
        The reach areas, shortest time first (patrol minutes, then rapid-response minutes).
    """

    kind: Literal["unit", "centre"]
    site_id: str
    unit_type: str | None
    areas: tuple[ReachArea, ...]

    def label(self, lang: Language = "en") -> str:
        """Say what the site is, for the legend: ``"Unit U12 (Patrol)"``, ``"Centre 01001"``."""
        t = partial(translate, lang=lang)
        text = f"{t('Unit' if self.kind == 'unit' else 'Centre')} {self.site_id}"
        if self.unit_type is not None:
            shape = UNIT_SHAPES.get(self.unit_type)
            text += f" ({t(shape[1]) if shape else self.unit_type})"
        return text


def site_reach(
    kind: Literal["unit", "centre"],
    site_id: str,
    *,
    viewer: Viewer,
    centres: pd.DataFrame,
    units: pd.DataFrame | None,
    params: CoverageParams,
    roads: pd.DataFrame | None,
    roads_version: object = None,
) -> SiteReach:
    """Return the patrol- and rapid-response-minute reach areas of a unit or centre.

    A unit drives at its type's speed off the network, a centre (a candidate site) at a
    patrol's for the first area and a rapid-response unit's for the second. Only for
    viewers who may see unit positions (the area of a unit is drawn around it).

    Raises
    ------
    AccessDeniedError
        The viewer may not see unit positions.
    InputError
        No unit or centre has ``site_id``.
    """
    require_unit_positions(viewer)
    frame = units if kind == "unit" else centres
    column = "unit_id" if kind == "unit" else "centre_id"
    if frame is None or not len(frame):
        raise InputError(f"no {kind} has ID {site_id!r}; the layer is empty")
    match = frame[(frame[column].astype("str") == str(site_id)).to_numpy(bool)]
    if not len(match):
        raise InputError(f"no {kind} has ID {site_id!r}; choose one from the list")
    point = match.geometry.iloc[0]
    speeds = [params.patrol_speed_kmh, params.rapid_speed_kmh]
    unit_type = None
    if kind == "unit":
        unit_type = str(match["unit_type"].iloc[0])
        if unit_type == "rapid_response":
            speeds = [params.rapid_speed_kmh] * 2
        elif unit_type == "patrol":
            speeds = [params.patrol_speed_kmh] * 2
    areas = tuple(
        reach_area_of(
            float(point.x),
            float(point.y),
            minutes=minutes,
            speed_kmh=speed,
            params=params,
            roads=roads,
            roads_version=roads_version,
        )
        for minutes, speed in zip(
            (params.patrol_minutes, params.rapid_minutes), speeds, strict=True
        )
    )
    return SiteReach(kind, str(site_id), unit_type, areas)


def _reach_layer(m: folium.Map, reach: SiteReach, lang: Language) -> LegendSection:
    t = partial(translate, lang=lang)
    entries = []
    # The longer time first, so that the shorter one is drawn on top of it.
    for style, area in reversed(list(zip(REACH_STYLES, reach.areas, strict=False))):
        frame = gpd.GeoDataFrame(geometry=[area.geometry], crs="EPSG:4326")
        add_polygons(m, frame, name=t(LAYER_REACH), style=style, interactive=False)
    for style, area in zip(REACH_STYLES, reach.areas, strict=False):
        how = t("on roads") if area.model == "network" else t("straight line × circuity")
        entries.append(
            LegendEntry(f"{area.minutes:g} {t('min')} ({how})", style.fill_color, "square")
        )
    return LegendSection(t(LAYER_REACH), f"{t(LAYER_REACH)}: {reach.label(lang)}", tuple(entries))


def build_planning_map(
    layers: FilteredLayers,
    *,
    viewer: Viewer,
    options: MapOptions = MapOptions(),
    coverage: pd.DataFrame | None = None,
    params: CoverageParams = CoverageParams(),
    agencies: Sequence[str] = (),
    tiles: TileSource | None = None,
    lang: Language = "en",
    simplify_tolerance_deg: float = 0.005,
    road_lines: gpd.GeoDataFrame | None = None,
    reach: SiteReach | None = None,
) -> folium.Map:
    """Return the Map page's planning map (see the module docstring for the layers).

    Parameters
    ----------
    layers
        The filtered layers (:func:`geo.filters.apply_filters`).
    viewer
        Who is looking: unit positions and response radii only when
        ``viewer.can_see_unit_positions``; per-municipality unit counts otherwise.
    options
        Measure, centre colouring and which layers to include.
    coverage
        :attr:`geo.coverage.CoverageResult.centres` (needed by the coverage measures
        and colourings).
    params
        Coverage parameters (response radii, circuity) for the radius circles.
    agencies
        Every agency of the workspace, so that an agency keeps its colour whatever the
        filters.
    tiles
        Optional local basemap.
    lang
        Language of layer names, legends and tooltips.
    simplify_tolerance_deg
        Polygon simplification for display, degrees.
    road_lines
        :func:`roads_for_map` of the roads layer, drawn when ``options.show_roads``.
    reach
        :func:`site_reach` of a chosen unit or site, drawn only for viewers who may see
        unit positions.

    Returns
    -------
    folium.Map
        An offline map (:func:`geo.maps.new_map`), fitted to the filtered municipalities.

    Raises
    ------
    InputError
        A coverage measure or colouring is asked for without a coverage analysis, or a
        layer lacks a needed column.
    """
    t = partial(translate, lang=lang)
    measure = MEASURES[options.measure] if options.measure else None
    scheme = COLOUR_SCHEMES[options.colour_by]
    has_coverage = coverage is not None and len(coverage) > 0
    for needs, what in ((measure, "measure"), (scheme, "colouring")):
        if needs is not None and needs.needs_coverage and not has_coverage:
            raise InputError(
                f"the map {what} '{needs.label}' needs the coverage analysis, which is not "
                "available (import security units); choose another"
            )
    m = new_map(keyboard=False, zoom_snap=0.5)
    if tiles is not None:
        add_tiles(m, tiles)
    sections: list[LegendSection] = []
    # Only allow-listed columns reach the map of a viewer without unit positions.
    centres = centre_view(
        columns_for_viewer(layers.centres, viewer),
        None if coverage is None else columns_for_viewer(coverage, viewer),
    )
    measures = _measures_of(layers, centres, has_coverage)
    sections.append(_choropleth(m, layers, measures, measure, lang, simplify_tolerance_deg))
    add_polygons(
        m,
        layers.districts,
        name=t(LAYER_DISTRICTS),
        label_columns=("name_en", "name_ar", "pcode"),
        label_aliases=(t("District"), t("Arabic name"), t("P-code")),
        style=DISTRICT_STYLE,
        simplify_tolerance_deg=simplify_tolerance_deg,
    )
    sections.append(
        LegendSection(
            t(LAYER_DISTRICTS),
            t(LAYER_DISTRICTS),
            (LegendEntry(t("District boundary"), DISTRICT_STYLE.color, "line", stroke_width=2),),
        )
    )
    outline = outline_of(
        layers.regions if len(layers.regions) else layers.districts,
        tolerance_deg=simplify_tolerance_deg,
    )
    add_polygons(m, outline, name=t(LAYER_OUTLINE), style=OUTLINE_STYLE, interactive=False)
    if options.show_roads and road_lines is not None and len(road_lines):
        sections.append(_roads_layer(m, road_lines, lang))
    if reach is not None and viewer.can_see_unit_positions:
        sections.append(_reach_layer(m, reach, lang))
    if options.show_incidents and len(layers.incidents):
        sections += _incident_layers(m, layers.incidents, options.heat_map, lang)
    if options.show_units and len(layers.units):
        if viewer.can_see_unit_positions:
            sections += _unit_layers(
                m, layers.units, viewer, agencies, params, options.show_radii, lang
            )
        else:
            section = _unit_count_layer(
                m, layers.units, layers.centres, layers.municipalities, lang
            )
            if section is not None:
                sections.append(section)
    if options.show_centres and len(layers.centres):
        names = layers.municipalities.drop_duplicates("pcode")
        municipality_names = pd.Series(
            _text(names["name_en"]).to_numpy(), index=names["pcode"].astype("str").to_numpy()
        )
        sections.append(_centre_layer(m, centres, scheme, municipality_names, lang))
    if measure is not None:
        FillFade().add_to(m)
    add_layer_control(m, collapsed=True)
    # Legend in order of importance to a planner, not in drawing order.
    order = [
        t(name)
        for name in (
            LAYER_MUNICIPALITIES,
            LAYER_CENTRES,
            LAYER_UNITS,
            LAYER_UNIT_COUNTS,
            LAYER_RADII,
            LAYER_REACH,
            LAYER_INCIDENTS,
            LAYER_HEAT,
            LAYER_ROADS,
            LAYER_DISTRICTS,
        )
    ]
    sections.sort(key=lambda s: order.index(s.layer) if s.layer in order else len(order))
    MapLegend(sections, title=t("Legend")).add_to(m)
    bounds = _view_bounds(layers, outline)
    if bounds is not None:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    use_offline_assets(m)
    return m


def _view_bounds(
    layers: FilteredLayers, outline: gpd.GeoDataFrame
) -> tuple[float, float, float, float] | None:
    """(lon_min, lat_min, lon_max, lat_max) to open on: the area, else the outline."""
    frames = []
    if layers.area_pcodes is not None:
        frames = [layers.municipalities, layers.centres]
    else:
        frames = [outline]
    boxes = []
    for frame in frames:
        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            geoms = frame.geometry.to_numpy()
            geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            if len(geoms):
                boxes.append(shapely.total_bounds(geoms))
    if not boxes:
        return None
    stacked = np.vstack(boxes)
    return (
        float(stacked[:, 0].min()),
        float(stacked[:, 1].min()),
        float(stacked[:, 2].max()),
        float(stacked[:, 3].max()),
    )


def highlight_group(
    lat: float, lon: float, *, name: str = "Selected centre"
) -> folium.FeatureGroup:
    """Return a feature group with a ring around the selected centre (ignores the mouse).

    Meant for ``st_folium(feature_group_to_add=...)``: it is added to the map in the
    browser without rebuilding the map, so the view stays where it is.
    """
    return ring_group(lat, lon, name=name)


# --- the map as one file ----------------------------------------------------------------------

#: File name of the map download.
MAP_FILE_NAME = "map.html"
MAP_TITLE = "Polling Security Planner — map"


@dataclass(frozen=True)
class MapExport:
    """The planning map as one HTML file, and what the audit log records about it.

    Attributes
    ----------
    content
        The page (:func:`geo.maps.standalone_html`), UTF-8.
    rows
        Polling centres on the map.
    details
        ``format``, ``table``, ``role``, ``language``, ``filters`` and ``options`` (in
        the URL query form of the Map page), ``unit_positions`` (``included`` or
        ``withheld``) and the rows of each layer drawn (``centres``, ``units``,
        ``incidents``, ``municipalities``).
    """

    content: bytes
    rows: int
    details: Mapping[str, str]


def export_planning_map(
    layers: FilteredLayers,
    *,
    viewer: Viewer,
    filters: MapFilters,
    options: MapOptions = MapOptions(),
    coverage: pd.DataFrame | None = None,
    params: CoverageParams = CoverageParams(),
    agencies: Sequence[str] = (),
    lang: Language = "en",
    is_demo: bool = False,
    made_on: dt.date | None = None,
    vendor_dir: Path | None = None,
    road_lines: gpd.GeoDataFrame | None = None,
) -> MapExport:
    """Return the planning map as one self-contained HTML file, redacted for ``viewer``.

    The map is the Map page's (:func:`build_planning_map`, same layers, filters and
    options, without a tile basemap), so units appear only as counts per municipality
    for roles without ``see_unit_positions``. Leaflet and its plugins are inlined
    (:func:`geo.maps.standalone_html`): the file opens from disk with no request to any
    host. A box over the map names the file, the date, the role it was made for, what
    it shows of units, the filters and, for the demo workspace, that the data is
    synthetic.

    Parameters
    ----------
    layers
        The filtered layers (:func:`geo.filters.apply_filters` with ``filters``).
    viewer
        Who the file is for; needs ``export_coverage``.
    filters
        The filters applied, written into the file and the audit details.
    options, coverage, params, agencies, lang, road_lines
        As for :func:`build_planning_map`.
    is_demo
        The workspace is the synthetic demo.
    made_on
        Date written in the file (today by default).
    vendor_dir
        The vendored browser files (:data:`geo.maps.VENDOR_DIR` by default).

    Raises
    ------
    AccessDeniedError
        The viewer may not export.
    OfflineAssetError
        The vendored files are missing (run ``make assets``).
    InputError
        As for :func:`build_planning_map`.
    """
    require(viewer, "export_coverage")
    t = partial(translate, lang=lang)
    m = build_planning_map(
        layers,
        viewer=viewer,
        options=options,
        coverage=coverage,
        params=params,
        agencies=agencies,
        lang=lang,
        road_lines=road_lines,
    )
    positions = viewer.can_see_unit_positions
    query = urlencode(filters_to_query(filters), doseq=True)
    notes = [
        f"{t('Made on')} {(made_on or dt.date.today()):%Y-%m-%d} · {t('role')}: {viewer.role}",
        t(
            "Shows the exact positions of security units: share it only with people "
            "allowed to see them."
            if positions
            else "Security units appear as counts per municipality, without their positions."
        ),
        f"{t('Filters')}: {query or t('none')}",
    ]
    if is_demo:
        notes.insert(0, t("DEMO — synthetic data"))
    content = standalone_html(
        m, title=t(MAP_TITLE), notes=notes, lang=lang, rtl=is_rtl(lang), vendor_dir=vendor_dir
    )
    rows, details = map_export_details(
        layers, viewer=viewer, filters=filters, options=options, lang=lang
    )
    return MapExport(content, rows, details)


def map_export_details(
    layers: FilteredLayers,
    *,
    viewer: Viewer,
    filters: MapFilters,
    options: MapOptions = MapOptions(),
    lang: Language = "en",
) -> tuple[int, dict[str, str]]:
    """Return what the audit log records about a map export, before the file is made.

    Returns
    -------
    rows : int
        Polling centres on the map.
    details : dict
        As :attr:`MapExport.details`.
    """
    drawn = {
        "centres": len(layers.centres) if options.show_centres else 0,
        "units": len(layers.units) if options.show_units else 0,
        "incidents": len(layers.incidents) if options.show_incidents else 0,
        "municipalities": len(layers.municipalities),
    }
    details = {
        "format": "html",
        "table": "planning map",
        "role": viewer.role,
        "language": lang,
        "filters": urlencode(filters_to_query(filters), doseq=True),
        "options": urlencode(options_to_query(options), doseq=True),
        "unit_positions": "included" if viewer.can_see_unit_positions else "withheld",
        **{name: str(count) for name, count in drawn.items()},
    }
    return drawn["centres"], details


def zoom_for_bounds(
    bounds: tuple[float, float, float, float], *, width_px: int = 900, height_px: int = 600
) -> tuple[float, float, int]:
    """Return (lat, lon, zoom) that shows ``bounds`` (lon/lat degrees) in a map of that size.

    Web Mercator: a zoom ``z`` map is ``256 × 2**z`` pixels round the world.
    """
    lon_min, lat_min, lon_max, lat_max = bounds
    lon_span = max(lon_max - lon_min, 1e-6)

    def mercator_y(lat: float) -> float:
        phi = math.radians(max(min(lat, 85.0), -85.0))
        return math.log(math.tan(math.pi / 4 + phi / 2))

    y_span = max(mercator_y(lat_max) - mercator_y(lat_min), 1e-9)
    zoom_x = math.log2(width_px * 360.0 / (256.0 * lon_span))
    zoom_y = math.log2(height_px * 2 * math.pi / (256.0 * y_span))
    zoom = int(max(3, min(16, math.floor(min(zoom_x, zoom_y)))))
    return (lat_min + lat_max) / 2, (lon_min + lon_max) / 2, zoom


# --- clicks and the details panel --------------------------------------------------------------


def resolve_click(clicked: Mapping[str, Any] | None, centres: pd.DataFrame) -> str | None:
    """Return the ID of the centre a map click names, or ``None``.

    Parameters
    ----------
    clicked
        What ``st_folium`` returned: ``last_object_clicked_tooltip`` (the tooltip's text;
        a centre's first line is its ID) and ``last_object_clicked`` (``{"lat", "lng"}``,
        the marker's position).
    centres
        The centres shown (``centre_id`` and point geometry, EPSG:4326).

    Returns
    -------
    str or None
        The ID from the tooltip when it names a centre; else the centre at the clicked
        position (within about 1 m); else ``None`` (a click on an area or empty map).
    """
    if not clicked or not len(centres):
        return None
    ids = centres["centre_id"].astype("str")
    tooltip = clicked.get("last_object_clicked_tooltip")
    if isinstance(tooltip, str) and tooltip.strip():
        first = tooltip.strip().splitlines()[0].strip()
        if (ids == first).any():
            return first
    point = clicked.get("last_object_clicked")
    if isinstance(point, Mapping) and "lat" in point and "lng" in point:
        try:
            lat, lon = float(point["lat"]), float(point["lng"])
        except (TypeError, ValueError):
            return None
        geoms = centres.geometry.to_numpy()
        gap = np.hypot(shapely.get_y(geoms) - lat, shapely.get_x(geoms) - lon)
        if len(gap) and np.nanmin(gap) < 2e-5:
            return str(ids.iloc[int(np.nanargmin(gap))])
    return None


#: Accessibility audit answers, in checklist order, with their labels.
CHECKLIST: tuple[tuple[str, str], ...] = (
    ("step_free_entrance", N_("Step-free entrance")),
    ("ramp", N_("Ramp")),
    ("ground_floor_voting", N_("Voting on the ground floor")),
    ("accessible_toilet", N_("Accessible toilet")),
    ("parking_near", N_("Parking near the entrance")),
)


@dataclass(frozen=True)
class CentreDetails:
    """Everything the details panel shows about one centre.

    Attributes
    ----------
    centre_id, name_en, name_ar
        The centre.
    municipality, district
        English and Arabic names, ``"name_en / name_ar"``.
    lat, lon
        Position, degrees.
    attributes
        ``attribute``, ``value``: every attribute of the centre row (as text).
    stations
        ``kind`` (men, women, mixed, total), ``stations``, ``voters`` (voters by sex
        where known).
    coverage
        ``field``, ``value``: status, risk, staffing (``None`` without analysis); unit
        distances and response times only for viewers allowed to see unit positions.
    access_status, audit_date, audit_notes
        From the latest audit (``unknown``/``None`` without one).
    checklist
        ``item``, ``answer`` (``yes``, ``no``, ``not recorded``).
    nearest_units
        ``unit_id``, ``agency``, ``unit_type``, ``officers``, ``female_officers``,
        ``distance_km``, ``travel_min``, ``reach_model``, ``assigned_here``: the nearest
        units (in travel time on roads); ``None`` for viewers who may not see unit
        positions.
    units_within
        ``unit_type``, ``units``: how many units stand within ``units_radius_km`` (counts
        only, safe for every role).
    units_radius_km
        Radius of ``units_within``, km.
    incidents
        ``date``, ``election``, ``category``, ``severity``, ``fatalities``,
        ``injuries``, ``verified``, ``distance_km``: incidents within
        ``incidents_radius_km``, nearest first.
    incidents_radius_km
        Radius of ``incidents``, km.
    coverage_status, risk_tier, risk_score
        From the coverage analysis; ``None`` without one (or for a closed centre).
    """

    centre_id: str
    name_en: str
    name_ar: str
    municipality: str
    district: str
    lat: float
    lon: float
    attributes: pd.DataFrame
    stations: pd.DataFrame
    coverage: pd.DataFrame | None
    access_status: str
    audit_date: str | None
    audit_notes: str | None
    checklist: pd.DataFrame
    nearest_units: pd.DataFrame | None
    units_within: pd.DataFrame
    units_radius_km: float
    incidents: pd.DataFrame
    incidents_radius_km: float
    coverage_status: str | None = None
    risk_tier: str | None = None
    risk_score: float | None = None


def _as_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _area_name(frame: pd.DataFrame, pcode: Any) -> str:
    if frame is None or not len(frame) or pcode is None:
        return ""
    row = frame[frame["pcode"].astype("str") == str(pcode)]
    if not len(row):
        return str(pcode)
    first = row.iloc[0]
    return " / ".join(
        _as_text(first.get(c)) for c in ("name_en", "name_ar") if _as_text(first.get(c))
    )


def _answer(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return N_("not recorded")
    return N_("yes") if bool(value) else N_("no")


def centre_details(
    centre_id: str,
    *,
    centres: pd.DataFrame,
    viewer: Viewer,
    municipalities: pd.DataFrame | None = None,
    districts: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    audits: pd.DataFrame | None = None,
    coverage: pd.DataFrame | None = None,
    units_radius_km: float = 10.0,
    incidents_radius_km: float = 10.0,
    nearest_count: int = 5,
    roads: pd.DataFrame | None = None,
    roads_version: object = None,
    params: CoverageParams = CoverageParams(),
) -> CentreDetails:
    """Gather the details of one centre for the panel beside the map.

    Parameters
    ----------
    centre_id
        The centre.
    centres
        The ``centres`` layer (point geometry, EPSG:4326).
    viewer
        Who is looking: nearest units with distances only when
        ``viewer.can_see_unit_positions``; otherwise only counts within
        ``units_radius_km`` (no IDs, no distances, no assignment).
    municipalities, districts
        For names.
    units, incidents, audits
        The (filtered) layers; ``None`` or empty when absent.
    coverage
        :attr:`geo.coverage.CoverageResult.centres`.
    units_radius_km, incidents_radius_km
        Radii of the unit count and of the incident list, km (straight line).
    nearest_count
        How many nearest units to list.
    roads, roads_version, params
        The ``roads`` layer and the analysis parameters: when the analysis measures on
        roads (:func:`geo.coverage.uses_network`) the nearest units are those nearest in
        travel time (:func:`geo.coverage.nearest_units_by_time`), else in straight line
        (their ``travel_min`` then is road km ÷ the type's speed).

    Raises
    ------
    InputError
        No centre has ``centre_id``.
    """
    ids = centres["centre_id"].astype("str")
    match = centres[(ids == str(centre_id)).to_numpy(bool)]
    if not len(match):
        raise InputError(
            f"no polling centre has ID {centre_id!r}; search again or clear the filters"
        )
    geometry = match.geometry.iloc[0]
    lat, lon = float(geometry.y), float(geometry.x)
    here_xy = points_xy(match.iloc[[0]], layer="centres")
    # Only the columns this viewer may get (an allow-list: a new column stays hidden).
    shown = columns_for_viewer(pd.DataFrame(match), viewer)
    row = shown.iloc[0]

    attributes = pd.DataFrame(
        {
            "attribute": [c for c in shown.columns if c != match.geometry.name]
            + ["latitude", "longitude"],
            "value": [_as_text(row[c]) for c in shown.columns if c != match.geometry.name]
            + [f"{lat:.5f}", f"{lon:.5f}"],
        }
    )

    def count(column: str) -> int:
        value = row.get(column)
        return 0 if value is None or pd.isna(value) else int(value)

    voters_male, voters_female = row.get("voters_male"), row.get("voters_female")
    stations = pd.DataFrame(
        {
            "kind": [N_("men"), N_("women"), N_("mixed"), N_("total")],
            "stations": [
                count("stations_male"),
                count("stations_female"),
                count("stations_mixed"),
                count("stations_male") + count("stations_female") + count("stations_mixed"),
            ],
            "voters": pd.array(
                [
                    None if pd.isna(voters_male) else int(voters_male),
                    None if pd.isna(voters_female) else int(voters_female),
                    None,
                    count("registered_voters"),
                ],
                dtype="Int64",
            ),
        }
    )

    coverage_table = None
    coverage_status = risk_tier = None
    risk_score = None
    if coverage is not None and len(coverage):
        found = coverage[coverage["centre_id"].astype("str") == str(centre_id)]
        found = columns_for_viewer(found, viewer)
        if len(found):
            c = found.iloc[0]
            coverage_status, risk_tier = str(c["status"]), str(c["risk_tier"])
            risk_score = float(c["risk_score"])
            status_label = {
                v: label for v, _, label in COLOUR_SCHEMES["coverage_status"].categories
            }
            items = [
                (N_("Coverage status"), status_label.get(str(c["status"]), str(c["status"]))),
                (N_("Guarded"), _answer(c["guarded"])),
                (N_("Reachable by patrol or rapid response"), _answer(c["reachable"])),
                (N_("Risk score"), f"{c['risk_score']:.0f} ({c['risk_tier']})"),
                (N_("Officers required"), c["officers_required"]),
                (N_("Officers assigned"), c["officers_assigned"]),
                (N_("Officer shortfall"), c["shortfall"]),
                (N_("Female officers required"), c["female_officers_required"]),
                (N_("Female officers assigned"), c["female_officers_assigned"]),
                (N_("Female officer shortfall"), c["female_shortfall"]),
            ]
            items += [
                (label, c[column])
                for label, column in (
                    ("Nearest static guard (km)", "nearest_static_km"),
                    ("Patrol response (min)", "nearest_patrol_min"),
                    ("Rapid response (min)", "nearest_rapid_min"),
                )
                if column in found.columns
            ]
            if "reach_model" in found.columns:
                items.append(("Reach measured by", str(c["reach_model"])))
            if pd.notna(c.get("nearest_accessible_centre_id")):
                items.append(
                    (
                        "Nearest accessible centre",
                        f"{c['nearest_accessible_centre_id']} "
                        f"({c['nearest_accessible_km']:.1f} km)",
                    )
                )
            coverage_table = pd.DataFrame(
                {"field": [k for k, _ in items], "value": [_as_text(v) for _, v in items]}
            )

    access_status, audit_date, audit_notes = "unknown", None, None
    checklist_answers: list[str] = ["not recorded"] * len(CHECKLIST)
    if audits is not None and len(audits):
        mine = audits[audits["centre_id"].astype("str") == str(centre_id)]
        if len(mine):
            latest = mine.assign(_row=np.arange(len(mine))).sort_values(
                ["audit_date", "_row"], na_position="first"
            )
            audit = latest.iloc[-1]
            checklist_answers = [_answer(audit.get(col)) for col, _ in CHECKLIST]
            audit_date = _as_text(audit.get("audit_date")) or None
            audit_notes = _as_text(audit.get("notes")) or None
    if "access_status" in match.columns:
        access_status = str(row["access_status"])
    elif audits is not None and audit_date is not None:
        derived = derive_access_status(audits[audits["centre_id"].astype("str") == str(centre_id)])
        access_status = str(derived["access_status"].iloc[0]) if len(derived) else "unknown"
    checklist = pd.DataFrame(
        {"item": [label for _, label in CHECKLIST], "answer": checklist_answers}
    )

    nearest_units: pd.DataFrame | None = None
    within_counts = {k: 0 for k in UNIT_TYPES}
    if units is not None and len(units):
        unit_km = distance_m(here_xy, points_xy(units, layer="units")) / 1000.0
        unit_type = units["unit_type"].astype("str").to_numpy()
        close = unit_km <= units_radius_km
        for kind in UNIT_TYPES:
            within_counts[kind] = int((close & (unit_type == kind)).sum())
        if viewer.can_see_unit_positions:
            if uses_network(params, roads):
                assert roads is not None
                by_time = nearest_units_by_time(
                    lon, lat, units, params, roads, roads_version, count=nearest_count
                )
                order = by_time["unit_row"].to_numpy(dtype=np.intp)
                travel_min = by_time["travel_min"].to_numpy(dtype=float)
                model = by_time["reach_model"].to_numpy(dtype=object)
            else:
                order = np.argsort(unit_km, kind="stable")[:nearest_count]
                rapid = unit_type[order] == "rapid_response"
                speed = np.where(rapid, params.rapid_speed_kmh, params.patrol_speed_kmh)
                travel_min = unit_km[order] * params.circuity / speed * 60.0
                model = np.full(len(order), "straight", dtype=object)
            chosen = units.iloc[order]
            nearest_units = pd.DataFrame(
                {
                    "unit_id": chosen["unit_id"].astype("str").to_numpy(),
                    "agency": chosen["agency"].astype("str").to_numpy(),
                    "unit_type": chosen["unit_type"].astype("str").to_numpy(),
                    "officers": pd.to_numeric(chosen["officers"]).to_numpy(),
                    "female_officers": pd.to_numeric(chosen["female_officers"]).to_numpy(),
                    "distance_km": np.round(unit_km[order], 2),
                    "travel_min": np.round(travel_min, 1),
                    "reach_model": model,
                    "assigned_here": (
                        chosen["assigned_centre_id"].astype("str") == str(centre_id)
                    ).to_numpy(dtype=bool, na_value=False),
                }
            )
    elif viewer.can_see_unit_positions:
        nearest_units = pd.DataFrame(
            columns=[
                "unit_id",
                "agency",
                "unit_type",
                "officers",
                "female_officers",
                "distance_km",
                "travel_min",
                "reach_model",
                "assigned_here",
            ]
        )
    units_within = pd.DataFrame(
        {"unit_type": list(within_counts), "units": list(within_counts.values())}
    )

    incident_columns = [
        "date",
        "election",
        "category",
        "severity",
        "fatalities",
        "injuries",
        "verified",
        "distance_km",
    ]
    nearby = pd.DataFrame({c: [] for c in incident_columns})
    if incidents is not None and len(incidents):
        incident_km = distance_m(here_xy, points_xy(incidents, layer="incidents")) / 1000.0
        close = incident_km <= incidents_radius_km
        if close.any():
            picked = incidents[close]
            nearby = pd.DataFrame(
                {
                    "date": pd.to_datetime(picked["date"]).dt.strftime("%Y-%m-%d").to_numpy(),
                    "election": picked["election"].to_numpy(),
                    "category": picked["category"].astype("str").to_numpy(),
                    "severity": pd.to_numeric(picked["severity"]).to_numpy(),
                    "fatalities": pd.to_numeric(picked["fatalities"]).to_numpy(),
                    "injuries": pd.to_numeric(picked["injuries"]).to_numpy(),
                    "verified": picked["verified"].to_numpy() if "verified" in picked else None,
                    "distance_km": np.round(incident_km[close], 2),
                }
            ).sort_values(["distance_km", "date"], kind="stable", ignore_index=True)

    return CentreDetails(
        centre_id=str(centre_id),
        name_en=_as_text(row.get("name_en")),
        name_ar=_as_text(row.get("name_ar")),
        municipality=_area_name(municipalities, row.get("municipality_pcode"))
        if municipalities is not None
        else _as_text(row.get("municipality_pcode")),
        district=_district_of(row.get("municipality_pcode"), municipalities, districts),
        lat=lat,
        lon=lon,
        attributes=attributes,
        stations=stations,
        coverage=coverage_table,
        access_status=access_status,
        audit_date=audit_date,
        audit_notes=audit_notes,
        checklist=checklist,
        nearest_units=nearest_units,
        units_within=units_within,
        units_radius_km=units_radius_km,
        incidents=nearby,
        incidents_radius_km=incidents_radius_km,
        coverage_status=coverage_status,
        risk_tier=risk_tier,
        risk_score=risk_score,
    )


def _district_of(
    pcode: Any, municipalities: pd.DataFrame | None, districts: pd.DataFrame | None
) -> str:
    if municipalities is None or districts is None or not len(municipalities):
        return ""
    row = municipalities[municipalities["pcode"].astype("str") == str(pcode)]
    if not len(row):
        return ""
    return _area_name(districts, row.iloc[0].get("district_pcode"))
