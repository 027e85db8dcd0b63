"""The live map of the operations room: incidents by state, centres by status and coverage.

Bottom to top: municipality outlines; polling centres coloured by their live coverage (a
centre that is not open is grey); a red ring round each centre that lost its cover since
the morning; the day's incidents coloured by state and sized by severity; and, only for
viewers who may see unit positions, each dispatched unit at its base with a line to its
incident. Every text goes to the browser escaped, as on the other maps (:mod:`geo.maps`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point

from geo.i18n import Language, translate
from geo.livestate import LiveState
from geo.maps import (
    MUNICIPALITY_STYLE,
    CircleStyle,
    LegendEntry,
    LegendSection,
    MapLegend,
    PolygonStyle,
    add_circles,
    add_layer_control,
    add_polygons,
    new_map,
)
from geo.mapview import INCIDENT_STYLES, UNIT_SHAPES
from geo.ops import CENTRE_STATUS_LABELS, STATE_LABELS
from geo.permissions import Viewer
from geo.schema import CRS

__all__ = ["CENTRE_COLOURS", "STATE_COLOURS", "build_ops_map"]

#: Live coverage of an open centre → (colour, label); ``not_open`` for the others.
CENTRE_COLOURS: Mapping[str, tuple[str, str]] = {
    "full": ("#1a9850", "Guarded and reachable"),
    "guard_only": ("#a6d96a", "Guarded only"),
    "response_only": ("#fdae61", "Reachable only"),
    "gap": ("#d73027", "Gap: neither"),
    "not_open": ("#9e9e9e", "Not open (planned, suspended or closed)"),
}
#: Incident state on the board → colour (labels: :data:`geo.ops.STATE_LABELS`).
STATE_COLOURS: Mapping[str, str] = {
    "reported": "#ff7f00",
    "verified": "#e31a1c",
    "escalated": "#6a3d9a",
    "resolved": "#1f78b4",
}
LOST_COVER_COLOUR = "#b2182b"
DISPATCH_COLOUR = "#111111"

LAYER_CENTRES = "Polling centres (live)"
LAYER_LOST = "Lost cover since the morning"
LAYER_INCIDENTS = "Incidents today"
LAYER_DISPATCHED = "Dispatched units"


def _points(frame: pd.DataFrame, columns: dict[str, object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        columns,
        geometry=[Point(x, y) for x, y in zip(frame["lon"], frame["lat"], strict=True)],
        crs=CRS,
    )


def build_ops_map(
    state: LiveState,
    *,
    centres: pd.DataFrame,
    coverage: pd.DataFrame | None,
    board: pd.DataFrame,
    lost_cover: pd.DataFrame | None,
    viewer: Viewer,
    municipalities: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    lang: Language = "en",
) -> folium.Map:
    """Return the live map of ``state``.

    Parameters
    ----------
    state
        The live state (:func:`geo.livestate.read_live_state`).
    centres
        The base ``centres`` layer (names).
    coverage
        :attr:`geo.coverage.CoverageResult.centres` of the live state, or ``None``.
    board
        :func:`geo.ops.incident_board` at ``now``: the incidents drawn.
    lost_cover
        Centres covered in the morning and not now (``centre_id`` column), or ``None``.
    viewer
        Dispatched units are drawn only when ``viewer.can_see_unit_positions``.
    municipalities
        Outlines, or ``None``.
    units
        The base ``units`` layer (types of the dispatched units).
    lang
        Language of every label.
    """
    t = partial(translate, lang=lang)
    m = new_map(keyboard=False, zoom_snap=0.5)
    sections: list[LegendSection] = []
    if municipalities is not None and len(municipalities):
        add_polygons(
            m,
            gpd.GeoDataFrame(municipalities, geometry="geometry"),
            name=t("Municipalities"),
            style=PolygonStyle(
                color=MUNICIPALITY_STYLE.color, weight=0.6, fill=False, fill_opacity=0.0
            ),
            interactive=False,
            simplify_tolerance_deg=0.01,
        )
    live = state.centres.set_index("centre_id")
    name_column = "name_ar" if lang == "ar" else "name_en"
    name_of = dict(zip(centres["centre_id"].astype("str"), centres[name_column], strict=True))
    status = (
        coverage.set_index(coverage["centre_id"].astype("str"))["status"]
        if coverage is not None and len(coverage)
        else pd.Series(dtype="str")
    )
    order = list(CENTRE_COLOURS)
    ids = live.index.astype("str")
    covered = pd.Series(ids.map(status.to_dict()), index=live.index).fillna("not_open")
    shown = np.where(
        live["status"].to_numpy() == "open", covered.to_numpy(dtype=object), "not_open"
    )
    codes = np.array([order.index(s) if s in order else order.index("not_open") for s in shown])
    frame = live.reset_index()
    centre_points = _points(
        frame,
        {
            "name": [str(name_of.get(c, c)) for c in ids],
            "id": list(ids),
            "status": [t(CENTRE_STATUS_LABELS.get(str(s), str(s))) for s in live["status"]],
            "coverage": [t(CENTRE_COLOURS[s][1]) for s in np.array(order)[codes]],
        },
    )
    add_circles(
        m,
        centre_points,
        name=t(LAYER_CENTRES),
        styles=[CircleStyle(CENTRE_COLOURS[k][0], stroke="#333333") for k in order],
        style_codes=codes,
        radii=np.full(len(frame), 4.0),
        label_columns=("name", "id", "status", "coverage"),
        bold_first_label=True,
    )
    sections.append(
        LegendSection(
            t(LAYER_CENTRES),
            t("Polling centres — live coverage"),
            tuple(
                LegendEntry(t(label), colour, swatch="circle", outline="#333333")
                for colour, label in CENTRE_COLOURS.values()
            ),
        )
    )
    if lost_cover is not None and len(lost_cover):
        lost = live.loc[live.index.isin(lost_cover["centre_id"].astype("str"))].reset_index()
        add_circles(
            m,
            _points(lost, {"centre": [str(name_of.get(c, c)) for c in lost["centre_id"]]}),
            name=t(LAYER_LOST),
            styles=[
                CircleStyle(LOST_COVER_COLOUR, stroke=LOST_COVER_COLOUR, weight=3, fill_opacity=0.0)
            ],  # fmt: skip
            style_codes=np.zeros(len(lost), dtype=int),
            radii=np.full(len(lost), 10.0),
            label_columns=("centre",),
        )
        sections.append(
            LegendSection(
                t(LAYER_LOST),
                t(LAYER_LOST),
                (
                    LegendEntry(
                        t("Covered this morning, not now"),
                        "#ffffff",
                        swatch="circle",
                        outline=LOST_COVER_COLOUR,
                        stroke_width=3,
                    ),
                ),  # fmt: skip
            )
        )
    if len(board):
        where = state.incidents.set_index("incident_id").loc[board["incident_id"]]
        states = list(STATE_COLOURS)
        category_label = {k: t(v[1]) for k, v in INCIDENT_STYLES.items()}
        severity = pd.to_numeric(board["severity"]).fillna(3).clip(1, 5).to_numpy(dtype=float)
        incident_points = gpd.GeoDataFrame(
            {
                "id": board["incident_id"].astype("str").to_numpy(),
                "category": [category_label.get(str(c), str(c)) for c in board["category"]],
                "state": [t(STATE_LABELS[s]) for s in board["state"]],
                "owner": board["owner"].fillna("").astype("str").to_numpy(),
            },
            geometry=[Point(x, y) for x, y in zip(where["lon"], where["lat"], strict=True)],
            crs=CRS,
        )
        add_circles(
            m,
            incident_points,
            name=t(LAYER_INCIDENTS),
            styles=[CircleStyle(STATE_COLOURS[s], stroke="#222222", weight=1.5) for s in states],
            style_codes=np.array([states.index(s) for s in board["state"]]),
            radii=4 + 2 * severity,
            label_columns=("id", "category", "state", "owner"),
            bold_first_label=True,
        )
        sections.append(
            LegendSection(
                t(LAYER_INCIDENTS),
                t("Incidents today — state (colour), severity (size)"),
                tuple(
                    LegendEntry(t(STATE_LABELS[s]), colour, swatch="circle", outline="#222222")
                    for s, colour in STATE_COLOURS.items()
                ),
            )
        )
    away = state.units[~state.units["available"].astype(bool)]
    if viewer.can_see_unit_positions and len(away) and units is not None:
        base = units.set_index(units["unit_id"].astype("str"))
        kinds = base["unit_type"].astype("str")
        keep = away[away["unit_id"].isin(base.index)]
        starts = [base.geometry[u] for u in keep["unit_id"]]
        lines = gpd.GeoDataFrame(
            {
                "unit": keep["unit_id"].astype("str").to_numpy(),
                "type": [t(UNIT_SHAPES.get(kinds[u], ("", kinds[u]))[1]) for u in keep["unit_id"]],
                "incident": keep["incident_id"].astype("str").to_numpy(),
            },
            geometry=[
                LineString([(s.x, s.y), (x, y)])
                for s, x, y in zip(starts, keep["lon"], keep["lat"], strict=True)
            ],
            crs=CRS,
        )
        add_polygons(
            m,
            lines,
            name=t(LAYER_DISPATCHED),
            label_columns=("unit", "type", "incident"),
            style=PolygonStyle(color=DISPATCH_COLOUR, weight=2.5, fill=False, opacity=0.9),
            dashed=np.ones(len(lines), dtype=bool),
        )
        add_circles(
            m,
            gpd.GeoDataFrame(
                {"unit": lines["unit"], "type": lines["type"]}, geometry=starts, crs=CRS
            ),
            name=t("Dispatched units' bases"),
            styles=[CircleStyle(DISPATCH_COLOUR, stroke="#ffffff", weight=1.5)],
            style_codes=np.zeros(len(lines), dtype=int),
            radii=np.full(len(lines), 5.0),
            label_columns=("unit", "type"),
        )
        sections.append(
            LegendSection(
                t(LAYER_DISPATCHED),
                t(LAYER_DISPATCHED),
                (
                    LegendEntry(
                        t("From its base to the incident"),
                        DISPATCH_COLOUR,
                        swatch="dashed",
                        stroke_width=2.5,
                    ),
                ),  # fmt: skip
            )
        )
    add_layer_control(m)
    MapLegend(sections, title=t("Legend")).add_to(m)
    return m
