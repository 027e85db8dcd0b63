"""Folium maps of the planner, drawn with Leaflet files the app serves itself (no CDN).

Every map made here loads Leaflet, jQuery and the Leaflet plugins from
:data:`ASSET_URL_PREFIX` (``/app/static/vendor``, which Streamlit serves from
``static/vendor/`` beside ``app.py`` when ``server.enableStaticServing`` is on;
``scripts/fetch_assets.py`` fills it). A map in a browser without internet then works,
and one unreachable CDN cannot blank it: the ``st_folium`` iframe gives up at the first
script that fails to load.

Links are rewritten per element *instance*: folium keeps its CDN lists as class
attributes shared by every user of the server process, so they are never modified.
:func:`new_map` returns an :class:`OfflineMap`, which rewrites the links of every element
added to it each time it renders, and refuses elements whose assets are not vendored.

All text taken from data is HTML-escaped before it reaches a tooltip, because Leaflet
and folium insert tooltip content as HTML.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import branca.colormap
import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink
from folium.elements import JSCSSMixin

from geo.errors import InputError, PlannerError

#: URL under which ``static/vendor/`` is served (Streamlit's static route).
ASSET_URL_PREFIX = "/app/static/vendor"

#: folium's name of each needed link -> its file under ``static/vendor/``; the folders
#: are those ``scripts/fetch_assets.py`` extracts from ``assets.lock.json``.
LOCAL_ASSETS: Mapping[str, str] = MappingProxyType(
    {
        "leaflet": "leaflet@1.9.4/dist/leaflet.js",
        "leaflet_css": "leaflet@1.9.4/dist/leaflet.css",
        "jquery": "jquery@3.7.1/dist/jquery.min.js",
        "markerclusterjs": "leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js",
        "markerclustercss": "leaflet.markercluster@1.5.3/dist/MarkerCluster.css",
        "markerclusterdefaultcss": "leaflet.markercluster@1.5.3/dist/MarkerCluster.Default.css",
        # folium's own build of Leaflet.heat 0.2.0 (with the weights patch); the npm
        # release draws different intensities.
        "leaflet-heat.js": "folium@0.20.0/folium/templates/leaflet_heat.min.js",
    }
)

#: folium's default links that no map here uses (Bootstrap, Font Awesome and
#: awesome-markers serve ``folium.Icon``, which :func:`use_offline_assets` refuses).
#: jQuery is kept: folium popups call ``$``.
DROPPED_ASSETS: frozenset[str] = frozenset(
    {
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)

#: The map's own zoom limit; Leaflet.markercluster needs one when there is no tile layer.
MAX_ZOOM = 18
#: Decimals kept in coordinates sent to the browser (1e-5 degree is about 1.1 m).
COORDINATE_DECIMALS = 5

LAYER_OUTLINE = "Libya outline"
LAYER_DISTRICTS = "Districts"
LAYER_MUNICIPALITIES = "Municipalities"
LAYER_CENTRES = "Polling centres"

#: Tooltip text of a municipality per ``boundary_kind``.
BOUNDARY_NOTES: Mapping[str, str] = MappingProxyType(
    {
        "official": "official boundary",
        "imported": "imported boundary",
        "approximate": "approximate boundary",
    }
)

_DASHED = "_dashed"
# Rows are [lat, lon, code per label column]; LABELS holds, per label column, the
# distinct escaped values the codes point into (names repeat a lot: this keeps a
# 19,000-centre page small).
_POINT_CALLBACK = """(function () {
    var labels = LABELS;
    return function (row) {
        var marker = L.marker(new L.LatLng(row[0], row[1]));
        var lines = [];
        for (var i = 0; i < labels.length; i++) {
            var text = labels[i][row[2 + i]];
            if (text) { lines.push('<span dir="auto">' + text + '</span>'); }
        }
        if (lines.length) { marker.bindTooltip(lines.join('<br>')); }
        return marker;
    };
})()"""


class OfflineAssetError(PlannerError):
    """A map element needs a browser file that is not served by the app."""


@dataclass(frozen=True)
class PolygonStyle:
    """How polygons of one layer are drawn (Leaflet path options).

    ``dash_pattern`` is the SVG dash array given to rows drawn dashed.
    """

    color: str = "#1f4e79"
    weight: float = 1.0
    opacity: float = 0.9
    fill: bool = True
    fill_color: str = "#9ecae1"
    fill_opacity: float = 0.15
    dash_pattern: str = "6 4"

    def to_leaflet(self, *, dashed: bool = False) -> dict[str, Any]:
        """Return the Leaflet style of a feature, dashed or solid."""
        return {
            "color": self.color,
            "weight": self.weight,
            "opacity": self.opacity,
            "fill": self.fill,
            "fillColor": self.fill_color,
            "fillOpacity": self.fill_opacity,
            "dashArray": self.dash_pattern if dashed else None,
        }


OUTLINE_STYLE = PolygonStyle(color="#222222", weight=2.0, opacity=1.0, fill=False)
DISTRICT_STYLE = PolygonStyle(color="#444444", weight=2.0, fill=False)
MUNICIPALITY_STYLE = PolygonStyle(color="#1f4e79", weight=1.0, fill_opacity=0.12)


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose Leaflet files come from the app, not from CDNs.

    Each render first calls :func:`use_offline_assets` on the whole map, so plugins
    added after construction are served locally too, then checks that the page header
    holds no external script or stylesheet.

    Parameters
    ----------
    *args, **kwargs
        As for :class:`folium.Map`.
    asset_url_prefix
        URL of the vendored files, :data:`ASSET_URL_PREFIX` by default.
    """

    def __init__(self, *args: Any, asset_url_prefix: str = ASSET_URL_PREFIX, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.asset_url_prefix = asset_url_prefix
        use_offline_assets(self, prefix=asset_url_prefix)

    # branca annotates Element.render as returning str; MacroElement's returns None.
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Rewrite every asset link to the local copy, then render as folium does."""
        use_offline_assets(self, prefix=self.asset_url_prefix)
        super().render(**kwargs)
        external = external_asset_urls(self.get_root())
        if external:
            raise OfflineAssetError(
                "the map would load files from the internet: "
                + ", ".join(external)
                + "; remove the element that adds them or vendor the files "
                "(assets.lock.json and geo.maps.LOCAL_ASSETS)"
            )


def is_external_url(url: str) -> bool:
    """Return True when ``url`` names a host (``https://...``, ``//cdn...``)."""
    return bool(urlsplit(url.strip()).netloc)


def external_asset_urls(root: Element) -> list[str]:
    """Return the external script and stylesheet URLs in a rendered figure's header.

    Parameters
    ----------
    root
        A :class:`branca.element.Figure` (``m.get_root()``) after ``render()``; any
        other element gives an empty list.

    Returns
    -------
    list of str
        External URLs, in header order; empty when the page is self-contained.
    """
    if not isinstance(root, Figure):
        return []
    links = root.header._children.values()
    return [
        link.url
        for link in links
        if isinstance(link, JavascriptLink | CssLink) and is_external_url(link.url)
    ]


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


def _refuse_unservable(element: Element) -> None:
    """Raise for elements whose scripts are not vendored and cannot be rewritten."""
    if isinstance(element, branca.colormap.ColorMap):
        raise OfflineAssetError(
            "a branca colour scale (ColorMap legend) loads d3 from a CDN and cannot work "
            "offline; show the legend beside the map instead"
        )
    if isinstance(element, folium.Icon):
        raise OfflineAssetError(
            "folium.Icon needs Leaflet.awesome-markers and Font Awesome, which are not "
            "vendored; use folium.CircleMarker or folium.DivIcon"
        )
    if isinstance(element, folium.plugins.FastMarkerCluster) and "L.AwesomeMarkers" in str(
        element.callback
    ):
        raise OfflineAssetError(
            "FastMarkerCluster's default marker needs Leaflet.awesome-markers, which is not "
            "vendored; pass a callback that makes L.marker or L.circleMarker (see add_points)"
        )


def _localise(
    element: Element, links: Sequence[tuple[str, str]], prefix: str
) -> list[tuple[str, str]]:
    local = []
    for name, url in links:
        if not is_external_url(url):
            local.append((name, url))
        elif name in LOCAL_ASSETS:
            local.append((name, f"{prefix.rstrip('/')}/{LOCAL_ASSETS[name]}"))
        elif name not in DROPPED_ASSETS:
            raise OfflineAssetError(
                f"{type(element).__name__} needs '{name}' from {url}, which is not served "
                "by the app; add the package to assets.lock.json and the file to "
                "geo.maps.LOCAL_ASSETS, or do not use this element"
            )
    return local


def use_offline_assets(element: Element, *, prefix: str = ASSET_URL_PREFIX) -> None:
    """Point every script and stylesheet of ``element`` and its children at local files.

    Sets ``default_js`` and ``default_css`` on each element *instance* (Map,
    MarkerCluster, FastMarkerCluster, HeatMap...), replacing CDN URLs with
    ``prefix/<package>@<version>/...`` and dropping the links in
    :data:`DROPPED_ASSETS`; folium's class-level lists are left untouched. Links already
    rendered into the page header by an earlier render are removed, so the next render
    writes the local ones. Safe to call repeatedly. streamlit-folium reads the
    instances' ``default_js``/``default_css`` for the iframe's ``js_links`` and
    ``css_links``, so it gets the local URLs too.

    Parameters
    ----------
    element
        A map, or a feature group to be passed to ``st_folium(feature_group_to_add=...)``.
    prefix
        URL of the vendored files.

    Raises
    ------
    OfflineAssetError
        An element needs a file that is not vendored (a plugin not listed in
        :data:`LOCAL_ASSETS`, ``folium.Icon``, a branca ColorMap...).
    """
    for child in _walk(element):
        _refuse_unservable(child)
        if isinstance(child, JSCSSMixin):
            child.default_js = _localise(child, child.default_js, prefix)
            child.default_css = _localise(child, child.default_css, prefix)
    root = element.get_root()
    if isinstance(root, Figure):
        header = root.header._children
        stale = [
            key
            for key, link in header.items()
            if isinstance(link, JavascriptLink | CssLink) and is_external_url(link.url)
        ]
        for key in stale:
            del header[key]


def new_map(
    *,
    center: tuple[float, float] = (27.0, 17.5),
    zoom: int = 5,
    tiles: str | None = None,
    tile_attribution: str | None = None,
) -> folium.Map:
    """Return an empty offline map: no CDN, no web tiles, a scale bar.

    Parameters
    ----------
    center
        Initial centre as (latitude, longitude), degrees WGS84.
    zoom
        Initial zoom level.
    tiles
        Optional basemap tiles served by the app, e.g.
        ``"/app/static/tiles/{z}/{x}/{y}.png"``; ``None`` for no basemap.
    tile_attribution
        Attribution of ``tiles`` (required with them).

    Returns
    -------
    folium.Map
        An :class:`OfflineMap` with ``maxZoom`` set (Leaflet.markercluster needs it
        without a tile layer) and Leaflet's scale control.

    Raises
    ------
    InputError
        ``tiles`` points to another host, or has no attribution.
    """
    m = OfflineMap(
        location=list(center),
        zoom_start=zoom,
        tiles=None,
        control_scale=True,
        maxZoom=MAX_ZOOM,
    )
    if tiles is not None:
        if is_external_url(tiles):
            raise InputError(
                f"tiles must be served by the app (e.g. /app/static/tiles/{{z}}/{{x}}/{{y}}.png),"
                f" not fetched from another host: {tiles}"
            )
        if not tile_attribution:
            raise InputError("give tile_attribution with tiles (the data source and licence)")
        folium.TileLayer(
            tiles=tiles,
            attr=tile_attribution,
            name="Basemap",
            max_zoom=MAX_ZOOM,
            overlay=False,
        ).add_to(m)
    return m


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what}: column(s) {', '.join(missing)} missing; the map needs "
            f"{', '.join(columns)} (see geo.schema)"
        )


def _in_wgs84(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame with geometries, got a plain table")
    if frame.crs is None:
        raise InputError(f"{what}: the frame has no CRS; set it (EPSG:4326 for longitude/latitude)")
    # Leaflet takes longitude/latitude; reprojection here is for display only.
    return frame if frame.crs.equals("EPSG:4326") else frame.to_crs("EPSG:4326")


def escape_text(values: pd.Series) -> pd.Series:
    """Return ``values`` as HTML-escaped text, missing values as empty strings.

    Parameters
    ----------
    values
        Any column; numbers are written with ``str``.

    Returns
    -------
    pandas.Series
        Plain ``str`` values safe to insert as HTML (``<`` becomes ``&lt;``...).
    """
    text = values.astype("string").fillna("")
    return text.map(lambda v: html.escape(v, quote=True)).astype(str)


def simplify_polygons(
    geometries: npt.NDArray[np.object_], tolerance_deg: float
) -> npt.NDArray[np.object_]:
    """Simplify polygons for display, keeping shared edges shared when possible.

    Parameters
    ----------
    geometries
        Polygons in degrees (EPSG:4326); no missing values.
    tolerance_deg
        Simplification tolerance in degrees (0.005 is about 500 m); 0 keeps them.

    Returns
    -------
    numpy.ndarray
        Simplified geometries, snapped to :data:`COORDINATE_DECIMALS` decimals. A set
        that tiles without overlaps (a valid coverage, like districts) is simplified
        as a whole, so neighbours get no gaps or slivers; otherwise each polygon is
        simplified on its own.
    """
    out = np.asarray(geometries, dtype=object)
    if tolerance_deg > 0 and len(out):
        if shapely.coverage_is_valid(out):
            out = shapely.coverage_simplify(out, tolerance_deg)
        else:
            out = shapely.simplify(out, tolerance_deg, preserve_topology=True)
    return shapely.set_precision(out, 10.0**-COORDINATE_DECIMALS)


def add_polygons(
    m: folium.Map | folium.FeatureGroup,
    polygons: gpd.GeoDataFrame,
    *,
    name: str,
    label_columns: Sequence[str] = (),
    label_aliases: Sequence[str] | None = None,
    style: PolygonStyle | None = None,
    dashed: Sequence[bool] | npt.NDArray[np.bool_] | pd.Series | None = None,
    interactive: bool = True,
    show: bool = True,
    simplify_tolerance_deg: float = 0.0,
) -> folium.GeoJson:
    """Add one GeoJSON layer of polygons with an escaped hover tooltip.

    Rows without geometry are skipped. Only the label columns travel to the browser.

    Parameters
    ----------
    m
        Map or feature group to add the layer to.
    polygons
        Polygons with a CRS (shown in EPSG:4326).
    name
        Layer name shown in the layer control.
    label_columns
        Columns shown in the tooltip, in order; their text is HTML-escaped.
    label_aliases
        Tooltip labels of ``label_columns``; the column names by default.
    style
        Line and fill; :class:`PolygonStyle` defaults when ``None``.
    dashed
        One flag per row: True rows are outlined with ``style.dash_pattern``.
    interactive
        False draws a layer that ignores the mouse (no tooltip).
    show
        Whether the layer is on when the map opens.
    simplify_tolerance_deg
        See :func:`simplify_polygons`.

    Returns
    -------
    folium.GeoJson
        The layer; one feature (one SVG path in the browser) per drawn row.

    Raises
    ------
    InputError
        A label column is missing, the frame has no CRS, or ``dashed`` has another length.
    """
    _require_columns(polygons, label_columns, name)
    frame = _in_wgs84(polygons, name)
    flags = np.zeros(len(frame), dtype=bool) if dashed is None else np.asarray(dashed, dtype=bool)
    if flags.shape != (len(frame),):
        raise InputError(f"{name}: 'dashed' has {flags.size} values for {len(frame)} rows")
    geoms = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    props = pd.DataFrame(
        {c: escape_text(frame[c].iloc[keep]).to_numpy() for c in label_columns}
        | {_DASHED: flags[keep]}
    )
    data = gpd.GeoDataFrame(
        props,
        geometry=simplify_polygons(geoms[keep], simplify_tolerance_deg),
        crs="EPSG:4326",
    )
    drawn = style or PolygonStyle()
    tooltip = None
    if label_columns and interactive:
        aliases = list(label_aliases) if label_aliases is not None else list(label_columns)
        tooltip = folium.GeoJsonTooltip(
            fields=list(label_columns),
            aliases=[html.escape(a) for a in aliases],
            sticky=True,
        )
    layer = folium.GeoJson(
        data.to_geo_dict(show_bbox=False),
        name=name,
        style_function=lambda feature: drawn.to_leaflet(dashed=feature["properties"][_DASHED]),
        tooltip=tooltip,
        show=show,
        interactive=interactive,
    )
    layer.add_to(m)
    return layer


def encode_labels(
    points: pd.DataFrame, label_columns: Sequence[str]
) -> tuple[list[list[str]], list[list[int]]]:
    """Dictionary-encode escaped label columns for the browser.

    Parameters
    ----------
    points
        Rows to label.
    label_columns
        Columns to encode, in tooltip order.

    Returns
    -------
    tables : list of list of str
        Per column, its distinct HTML-escaped values (a missing value is ``""``).
    codes : list of list of int
        Per column, each row's position in its table.
    """
    tables: list[list[str]] = []
    codes: list[list[int]] = []
    for column in label_columns:
        row_codes, distinct = pd.factorize(escape_text(points[column]))
        tables.append([str(v) for v in distinct])
        codes.append(row_codes.tolist())
    return tables, codes


def script_json(value: object) -> str:
    r"""Return ``value`` as JSON that is safe inside an HTML ``<script>`` element.

    Non-ASCII text stays as UTF-8 (Arabic costs 2 bytes a letter, not 6), while ``<``,
    ``>``, ``&``, ``'`` and the JavaScript line separators become ``\uXXXX`` escapes,
    as in Jinja's ``tojson``.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char in "<>&'\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def add_points(
    m: folium.Map | folium.FeatureGroup,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    label_columns: Sequence[str] = (),
    show: bool = True,
) -> folium.plugins.FastMarkerCluster:
    """Add clustered point markers with escaped tooltips, fast for tens of thousands.

    Coordinates are rounded to :data:`COORDINATE_DECIMALS` decimals; rows without
    geometry are skipped. Markers are built in the browser from a compact array
    (``FastMarkerCluster``): coordinates plus one index per label column, the distinct
    label values sent once.

    Parameters
    ----------
    m
        Map or feature group to add the layer to.
    points
        Points with a CRS (shown in EPSG:4326).
    name
        Layer name shown in the layer control.
    label_columns
        Columns shown in the tooltip, one per line; their text is HTML-escaped.
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.plugins.FastMarkerCluster
        The cluster layer.

    Raises
    ------
    InputError
        A label column is missing or the frame has no CRS.
    """
    _require_columns(points, label_columns, name)
    frame = _in_wgs84(points, name)
    geoms = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    lat = np.round(shapely.get_y(geoms[keep]), COORDINATE_DECIMALS).tolist()
    lon = np.round(shapely.get_x(geoms[keep]), COORDINATE_DECIMALS).tolist()
    tables, codes = encode_labels(frame.iloc[keep], label_columns)
    rows = [[y, x, *c] for y, x, *c in zip(lat, lon, *codes, strict=True)]
    layer = folium.plugins.FastMarkerCluster(
        rows,
        callback=_POINT_CALLBACK.replace("LABELS", script_json(tables)),
        name=name,
        show=show,
        showCoverageOnHover=False,
    )
    layer.add_to(m)
    return layer


def outline_of(polygons: gpd.GeoDataFrame, *, tolerance_deg: float = 0.0) -> gpd.GeoDataFrame:
    """Return the union of ``polygons`` as one row (the country outline from its regions).

    Parameters
    ----------
    polygons
        Polygons with a CRS, e.g. regions or districts.
    tolerance_deg
        Simplification tolerance of the result in degrees; 0 keeps it exact.

    Returns
    -------
    geopandas.GeoDataFrame
        One row in EPSG:4326, or no rows when ``polygons`` has no geometry.
    """
    frame = _in_wgs84(polygons, "outline")
    geoms = frame.geometry.to_numpy()
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    union = shapely.union_all(geoms)
    if tolerance_deg > 0:
        union = shapely.simplify(union, tolerance_deg, preserve_topology=True)
    return gpd.GeoDataFrame(geometry=[union], crs="EPSG:4326")


def build_overview_map(
    regions: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    municipalities: gpd.GeoDataFrame,
    centres: gpd.GeoDataFrame,
    *,
    show_centres: bool = True,
    simplify_tolerance_deg: float = 0.005,
) -> folium.Map:
    """Return the home page's map: boundaries, polling centres, layer control, scale bar.

    Layers, bottom to top: municipalities (catchments whose ``boundary_kind`` is
    ``"approximate"`` are dashed and their tooltip says "approximate boundary"),
    districts (outlines only), the Libya outline (union of the regions, or of the
    districts when there are no regions; ignores the mouse) and the clustered polling
    centres. The view fits the outline when there is one.

    Parameters
    ----------
    regions
        Region polygons (``geo.schema`` layer ``regions``); only the outline is drawn.
    districts
        District polygons with ``pcode``, ``name_en``, ``name_ar``.
    municipalities
        Municipality polygons with ``pcode``, ``name_en``, ``name_ar``,
        ``boundary_kind``; rows without geometry are skipped.
    centres
        Polling centre points with ``centre_id``, ``name_ar``, ``name_en``.
    show_centres
        False leaves the centres out of the page entirely (a lighter map).
    simplify_tolerance_deg
        Polygon simplification for display, in degrees (0.005 is about 500 m).

    Returns
    -------
    folium.Map
        An offline map (:func:`new_map`).

    Raises
    ------
    InputError
        A frame lacks a needed column or a CRS.
    """
    _require_columns(
        municipalities, ("pcode", "name_en", "name_ar", "boundary_kind"), LAYER_MUNICIPALITIES
    )
    m = new_map()
    muni_notes = municipalities["boundary_kind"].map(dict(BOUNDARY_NOTES)).fillna("boundary")
    add_polygons(
        m,
        municipalities.assign(boundary=muni_notes),
        name=LAYER_MUNICIPALITIES,
        label_columns=("name_en", "name_ar", "pcode", "boundary"),
        label_aliases=("Municipality", "Arabic name", "P-code", "Boundary"),
        style=MUNICIPALITY_STYLE,
        dashed=municipalities["boundary_kind"].eq("approximate").fillna(False).to_numpy(bool),
        simplify_tolerance_deg=simplify_tolerance_deg,
    )
    add_polygons(
        m,
        districts,
        name=LAYER_DISTRICTS,
        label_columns=("name_en", "name_ar", "pcode"),
        label_aliases=("District", "Arabic name", "P-code"),
        style=DISTRICT_STYLE,
        simplify_tolerance_deg=simplify_tolerance_deg,
    )
    outline = outline_of(
        regions if len(regions) else districts, tolerance_deg=simplify_tolerance_deg
    )
    add_polygons(m, outline, name=LAYER_OUTLINE, style=OUTLINE_STYLE, interactive=False)
    if show_centres:
        add_points(
            m, centres, name=LAYER_CENTRES, label_columns=("name_en", "name_ar", "centre_id")
        )
    folium.LayerControl(collapsed=True).add_to(m)
    if len(outline):
        lon_min, lat_min, lon_max, lat_max = outline.total_bounds
        m.fit_bounds([[lat_min, lon_min], [lat_max, lon_max]])
    use_offline_assets(m)
    return m
