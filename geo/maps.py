r"""Folium maps of the planner, drawn with Leaflet files the app serves itself (no CDN).

Every map made here loads Leaflet, jQuery and the Leaflet plugins from
:data:`ASSET_URL_PREFIX` (``/app/static/vendor``, which Streamlit serves from
``static/vendor/`` beside ``app.py`` when ``server.enableStaticServing`` is on;
``scripts/fetch_assets.py`` fills it). A map in a browser without internet then works,
and one unreachable CDN cannot blank it: the ``st_folium`` iframe gives up at the first
script that fails to load. :func:`standalone_html` writes a map as one file with those
assets inlined, for people without the app.

Links are rewritten per element *instance*: folium keeps its CDN lists as class
attributes shared by every user of the server process, so they are never modified.
:func:`new_map` returns an :class:`OfflineMap`, which rewrites the links of every element
added to it each time it renders, and refuses elements whose assets are not vendored.

Text from data is never template source
---------------------------------------
branca renders a map in two passes: each element's Jinja macros are rendered with the
element's values, and the *result* is wrapped in a new ``branca.element.Element``, whose
constructor compiles it as a Jinja template that the page render then runs. A centre
named ``{{ 7*7 }}`` came out as ``49``, ``{{ cycler.__init__.__globals__.os... }}`` ran
code in the server and ``{%`` broke the render, on every standard path
(``get_root().render()``, ``save()``, ``_repr_html_()``, and the full render that
``st_folium`` does before building its own script). Two independent guarantees close this:

1. **No second pass** (structural). Every element of a map made here renders its
   macros *once* into :class:`RawText` children, which are never compiled:
   :class:`TemplateFreeElement` replaces ``MacroElement.render`` for the toolkit's own
   elements (:class:`CompactLayer`, :class:`MapLegend`, :class:`FillFade`) and, through
   a subclass each, for the folium elements the toolkit uses (:class:`OfflineMap`,
   :class:`SafeGeoJson`, :class:`SafeLayerControl`, ...). It renders its children
   itself and *refuses* any child that is not template-free (a plain ``folium.Marker``,
   ``folium.Tooltip`` — whose text lands raw in a JavaScript template literal — or a
   future plugin): :class:`UnsafeElementError` is raised before anything is parsed.
   The only foreign child allowed is folium's ``ElementAddToElement``, which folium adds
   at render time and which holds two JavaScript variable names, and it is rendered
   template-free too. So data reaches Jinja only as a *value* of the first pass, which
   Jinja never interprets.
2. **No delimiter survives** (encoding, defence in depth). Every text from data enters a
   map through the toolkit's encoders, which leave none of ``{ } % #`` literally, so no
   ``{{``, ``{%``, ``{#`` or line statement can form even if some renderer parsed the
   page again: :func:`html_text` (and :func:`escape_text` for columns) writes the HTML
   specials and those four as character references (``&#123;``...), which the browser
   shows as the original text; :func:`script_json` writes them as ``\u007b``... inside
   JSON strings (and ``< > & '`` everywhere), which JavaScript reads as the original
   text. Layer names pass through :func:`layer_label` in the layer control and the
   legend alike. Builders outside this module use only its functions (``add_*``,
   :func:`add_layer_control`, :func:`ring_group`...), never folium constructors (a
   test reads their source), and the render refuses anything else (1).

Escaping ``< > &`` alone is not enough: it keeps text out of the HTML parser, not out of
Jinja. :func:`standalone_html` adds a third wall for files sent outside: a
Content-Security-Policy that lets only the file's own scripts (by hash) run and no
request leave.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import urlsplit

import branca.colormap
import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.template import Template

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
_FILL = "_fill"
_STYLE = "_style"
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

    def to_leaflet(self, *, dashed: bool = False, fill_color: str | None = None) -> dict[str, Any]:
        """Return the Leaflet style of a feature, dashed or solid, with its own fill."""
        return {
            "color": self.color,
            "weight": self.weight,
            "opacity": self.opacity,
            "fill": self.fill,
            "fillColor": fill_color or self.fill_color,
            "fillOpacity": self.fill_opacity,
            "dashArray": self.dash_pattern if dashed else None,
        }


OUTLINE_STYLE = PolygonStyle(color="#222222", weight=2.0, opacity=1.0, fill=False)
DISTRICT_STYLE = PolygonStyle(color="#444444", weight=2.0, fill=False)
MUNICIPALITY_STYLE = PolygonStyle(color="#1f4e79", weight=1.0, fill_opacity=0.12)


# --- text from data: encoders ---------------------------------------------------------------

#: Text -> HTML in one pass: the HTML specials (as :func:`html.escape` writes them) and
#: the characters of Jinja's delimiters, as character references.
_HTML_TEXT = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#x27;",
        "{": "&#123;",
        "}": "&#125;",
        "%": "&#37;",
        "#": "&#35;",
    }
)
#: Characters written as ``\uXXXX`` inside JSON strings by :func:`script_json`: what could
#: end the ``<script>`` element or start an HTML comment, JavaScript's line separators,
#: and the characters of Jinja's delimiters.
_SCRIPT_TEXT = str.maketrans({c: f"\\u{ord(c):04x}" for c in "<>&'\u2028\u2029{}%#"})
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def html_text(text: object) -> str:
    """Return ``text`` as HTML that shows it literally and holds no template delimiter.

    ``& < > " '`` are escaped as :func:`html.escape` does, and ``{ } % #`` become the
    character references ``&#123; &#125; &#37; &#35;``: the browser shows the same
    text, and no ``{{``, ``{%``, ``{#`` or line statement survives for a template engine.

    Examples
    --------
    >>> html_text("Centre {{ 7*7 }} <b>")
    'Centre &#123;&#123; 7*7 &#125;&#125; &lt;b&gt;'
    """
    return str(text).translate(_HTML_TEXT)


def layer_label(name: str) -> str:
    """Return a layer's name as the layer control and the legend both show it (HTML)."""
    return html_text(name)


# --- rendering without a second template pass -----------------------------------------------


class UnsafeElementError(PlannerError):
    """A map element would have its rendered text parsed again as a Jinja template."""


class RawText(Element):
    """Rendered text kept as it is: unlike ``Element(text)``, never compiled as a template.

    Parameters
    ----------
    text
        The final HTML, CSS or JavaScript.
    """

    def __init__(self, text: str):
        super().__init__()
        self._name = "RawText"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """Return the text unchanged."""
        return self.text


def _render_macros(element: MacroElement, kwargs: dict[str, Any]) -> None:
    """Render ``element``'s header/html/script macros once, into :class:`RawText` parts."""
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise UnsafeElementError(
            f"{type(element).__name__} is rendered outside a map page; add it to a map first"
        )
    module = element._template.module
    for part, target in (
        ("header", figure.header),
        ("html", figure.html),
        ("script", figure.script),
    ):
        macro = getattr(module, part, None)
        if macro is not None:
            target.add_child(RawText(str(macro(element, kwargs))), name=element.get_name())


class TemplateFreeElement(MacroElement):
    """A map element whose rendered text is never parsed as a template again.

    Stands in for ``MacroElement.render`` (put it *after* the folium class in the bases:
    ``class SafeX(folium.X, TemplateFreeElement)``, so folium's own ``render`` runs
    first and its ``super().render()`` lands here). Children must be template-free too;
    folium's ``ElementAddToElement`` (two variable names, added by ``Layer.render``) is
    rendered the same way, anything else is refused.

    Raises
    ------
    UnsafeElementError
        A child is a plain folium/branca element.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Render the macros into raw parts, then the children, refusing foreign ones."""
        _render_macros(self, kwargs)
        for child in self._children.values():
            if isinstance(child, TemplateFreeElement):
                child.render(**kwargs)
            elif type(child) is ElementAddToElement:
                _render_macros(child, kwargs)
            else:
                raise UnsafeElementError(
                    f"{type(child).__module__}.{type(child).__name__} in "
                    f"{type(self).__name__} is not a template-free element: branca would "
                    "parse its rendered text (names from data included) again as a Jinja "
                    "template, where it could run code; add it with the geo.maps functions "
                    "(add_polygons, add_symbols, add_circles, add_layer_control, ...)"
                )


class OfflineMap(folium.Map, TemplateFreeElement):
    """A :class:`folium.Map` whose Leaflet files come from the app, not from CDNs.

    Each render first calls :func:`use_offline_assets` on the whole map, so plugins
    added after construction are served locally too, then checks that the page header
    holds no external script or stylesheet. It renders template-free
    (:class:`TemplateFreeElement`).

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
        """Rewrite every asset link to the local copy, then render without a second pass."""
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

    def fit_bounds(
        self,
        bounds: Any,
        padding_top_left: Any = None,
        padding_bottom_right: Any = None,
        padding: Any = None,
        max_zoom: int | None = None,
    ) -> None:
        """Open the map on ``bounds`` (``[[lat_min, lon_min], [lat_max, lon_max]]``)."""
        self.add_child(
            SafeFitBounds(
                bounds,
                padding_top_left=padding_top_left,
                padding_bottom_right=padding_bottom_right,
                padding=padding,
                max_zoom=max_zoom,
            )
        )


class SafeFitBounds(folium.map.FitBounds, TemplateFreeElement):
    """:class:`folium.map.FitBounds`, template-free."""


class SafeGeoJson(folium.GeoJson, TemplateFreeElement):
    """:class:`folium.GeoJson`, template-free.

    Style values must be plain values: folium's element-valued styles (fill patterns)
    rely on the second template pass this class removes.
    """


class SafeGeoJsonTooltip(folium.GeoJsonTooltip, TemplateFreeElement):
    """:class:`folium.GeoJsonTooltip`, template-free (give it escaped aliases).

    folium's own ``render`` compiles its table stylesheet as a template; this one writes
    the same stylesheet as :class:`RawText`.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Check the fields against the layer's properties, add the style, render."""
        parent = self._parent
        if not isinstance(parent, folium.GeoJson):
            raise UnsafeElementError("a GeoJSON tooltip must be added to a GeoJSON layer")
        features = parent.data["features"]
        keys = set(features[0]["properties"]) if features else set(self.fields)
        missing = [f for f in self.fields if f not in keys]
        if missing:
            raise InputError(f"tooltip field(s) {', '.join(missing)} are not in the layer")
        name = self.class_name
        css = (
            f"<style>.{name} {{ {getattr(self, 'style', '')} }} .{name} table {{ margin: auto; }}"
            f" .{name} tr {{ text-align: left; }} .{name} th {{ padding: 2px; "
            "padding-right: 8px; }</style>"
        )
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise UnsafeElementError("the tooltip's layer is not on a map page")
        figure.header.add_child(RawText(css), name=self.get_name() + "tablestyle")
        TemplateFreeElement.render(self, **kwargs)


class SafeFeatureGroup(folium.FeatureGroup, TemplateFreeElement):
    """:class:`folium.FeatureGroup`, template-free."""


class SafeTileLayer(folium.TileLayer, TemplateFreeElement):
    """:class:`folium.TileLayer`, template-free."""


# folium's Marker.render takes no keywords; both end in TemplateFreeElement.render.
class SafeCircleMarker(folium.CircleMarker, TemplateFreeElement):  # type: ignore[misc]
    """:class:`folium.CircleMarker`, template-free (no tooltip or popup: give none)."""


class SafeFastMarkerCluster(folium.plugins.FastMarkerCluster, TemplateFreeElement):
    """:class:`folium.plugins.FastMarkerCluster`, template-free."""


class SafeHeatMap(folium.plugins.HeatMap, TemplateFreeElement):
    """:class:`folium.plugins.HeatMap`, template-free."""


class SafeLayerControl(folium.LayerControl, TemplateFreeElement):
    """:class:`folium.LayerControl`, template-free, showing names through :func:`layer_label`.

    Leaflet inserts layer names as HTML; the legend (:class:`MapLegend`) follows layers
    by the same labels.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Collect the map's layers under their labels, then render template-free."""
        self.reset()
        for item in self._parent._children.values() if self._parent is not None else ():
            if isinstance(item, folium.map.Layer) and item.control:
                group = self.overlays if item.overlay else self.base_layers
                group[layer_label(item.layer_name)] = item.get_name()
        TemplateFreeElement.render(self, **kwargs)


def add_layer_control(m: folium.Map, *, collapsed: bool = True) -> SafeLayerControl:
    """Add the layer control (add it after every layer: it lists those present)."""
    control = SafeLayerControl(collapsed=collapsed)
    control.add_to(m)
    return control


def ring_marker(
    lat: float,
    lon: float,
    *,
    color: str = "#00bcd4",
    radius_px: float = 13,
    weight: float = 4,
    fill: bool = False,
    interactive: bool = False,
) -> SafeCircleMarker:
    """Return a circle of ``radius_px`` pixels at (lat, lon) that carries no text.

    ``color`` is written into the page as it is: pass a palette constant.
    """
    ring = SafeCircleMarker([lat, lon], radius=radius_px, color=color, weight=weight, fill=fill)
    # folium drops Leaflet's ``interactive`` from path keywords; a ring that took clicks
    # would hide what is under it.
    ring.options["interactive"] = interactive
    return ring


def ring_group(
    lat: float, lon: float, *, name: str, color: str = "#00bcd4", radius_px: float = 13
) -> SafeFeatureGroup:
    """Return a feature group (not in the layer control) holding a :func:`ring_marker`.

    Meant for ``st_folium(feature_group_to_add=...)``, which adds it in the browser
    without rebuilding the map.
    """
    group = SafeFeatureGroup(name=name, control=False)
    ring_marker(lat, lon, color=color, radius_px=radius_px).add_to(group)
    return group


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
            "vendored; draw points with geo.maps.add_symbols or add_circles"
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


# --- one self-contained file -----------------------------------------------------------------

#: ``static/vendor/`` of this installation: the files served under :data:`ASSET_URL_PREFIX`.
VENDOR_DIR = Path(__file__).resolve().parents[1] / "static" / "vendor"
#: Image types a vendored stylesheet may point to (inlined as ``data:`` URLs).
_IMAGE_TYPES: Mapping[str, str] = MappingProxyType(
    {".png": "image/png", ".gif": "image/gif", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}
)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^)'"]+)\1\s*\)""")
_END_SCRIPT = re.compile(r"</(script)", re.IGNORECASE)
_NOTE_CSS = """<style>
.psp-export-note { position: absolute; z-index: 1000; top: 10px; left: 50%;
  transform: translateX(-50%); max-width: 60%; background: rgba(255,255,255,.94);
  padding: 6px 10px; border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.35);
  font: 12px/1.4 system-ui, "Noto Sans", "DejaVu Sans", sans-serif; color: #222; }
.psp-export-note .psp-export-title { font-weight: 600; font-size: 13px; }
</style>"""


def _vendored_file(url: str, prefix: str, vendor_dir: Path) -> Path:
    """Return the file behind an asset URL of the app, or say how to get it."""
    head = prefix.rstrip("/") + "/"
    if not url.startswith(head):
        raise OfflineAssetError(
            f"{url} is not one of the app's files under {prefix}; a standalone map can only "
            "inline vendored files (assets.lock.json and geo.maps.LOCAL_ASSETS)"
        )
    root = vendor_dir.resolve()
    path = (root / url[len(head) :]).resolve()
    if not path.is_relative_to(root):
        raise OfflineAssetError(f"{url} points outside {vendor_dir}")
    if not path.is_file():
        raise OfflineAssetError(
            f"{path} is missing: the Leaflet files are not installed in {vendor_dir}; run "
            "`make assets` (scripts/fetch_assets.py) and try again"
        )
    return path


def _inline_script(path: Path) -> str:
    code = path.read_text(encoding="utf-8")
    if "<!--" in code:
        raise OfflineAssetError(f"{path} holds '<!--', which cannot be inlined in a <script>")
    # "</script" can only stand in a string, a regular expression or a comment, where
    # "<\/script" means the same.
    code = _END_SCRIPT.sub(r"<\\/\1", code)
    return f"<script>\n{code}\n</script>"


def _inline_style(path: Path, vendor_dir: Path) -> str:
    root = vendor_dir.resolve()

    def data_url(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        if target.startswith(("#", "data:")):
            return match.group(0)
        image = (path.parent / target).resolve()
        kind = _IMAGE_TYPES.get(image.suffix.lower())
        if kind is None or not image.is_relative_to(root) or not image.is_file():
            raise OfflineAssetError(
                f"{path.name} refers to {target}, which is not a vendored image; run "
                "`make assets` or vendor it"
            )
        encoded = base64.b64encode(image.read_bytes()).decode("ascii")
        return f'url("data:{kind};base64,{encoded}")'

    css = _CSS_URL.sub(data_url, path.read_text(encoding="utf-8"))
    if "</style" in css.lower():
        raise OfflineAssetError(f"{path} holds '</style', which cannot be inlined")
    return f"<style>\n{css}\n</style>"


class _ScriptTexts(HTMLParser):
    """Collect the text of every ``<script>`` element, as the browser hashes it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            if any(name == "src" for name, _ in attrs):
                raise OfflineAssetError("a standalone map cannot load a script file")
            self.scripts.append("")
            self._open = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.scripts[-1] += data


def content_security_policy(document: str) -> str:
    """Return a policy for ``document`` that runs only its own scripts and loads nothing.

    Scripts are allowed by the SHA-256 of their text (an injected script has another
    hash, and inline event handlers are not allowed at all); images and fonts only from
    ``data:`` URLs inside the file; every other fetch is refused (``default-src
    'none'``).
    """
    parser = _ScriptTexts()
    parser.feed(document)
    parser.close()
    hashes = " ".join(
        "'sha256-"
        + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
        + "'"
        for text in dict.fromkeys(parser.scripts)
    )
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data:; font-src data:; base-uri 'none'; form-action 'none'"
    )


def standalone_html(
    m: folium.Map,
    *,
    title: str,
    notes: Sequence[str] = (),
    lang: str = "en",
    rtl: bool = False,
    vendor_dir: Path | None = None,
) -> bytes:
    """Return ``m`` as one HTML file that opens from disk with no request to any host.

    Leaflet, jQuery, Leaflet.markercluster and every plugin script and stylesheet the
    map uses are read from ``vendor_dir`` and inlined (the stylesheets' images as
    ``data:`` URLs); a Content-Security-Policy (:func:`content_security_policy`) lets
    only these scripts run and nothing be fetched. The map renders template-free like
    every map of this module; a tile basemap, which would be fetched, is refused.

    Parameters
    ----------
    m
        A map made by this module (:func:`new_map`).
    title
        Title of the page (plain text).
    notes
        Lines shown in a box over the top of the map (plain text: what the file is, for
        whom, which filters).
    lang, rtl
        Language of the page, and whether the notes read right to left.
    vendor_dir
        Folder of the vendored files; :data:`VENDOR_DIR` (``static/vendor/``) by default.

    Returns
    -------
    bytes
        The page, UTF-8.

    Raises
    ------
    OfflineAssetError
        A vendored file is missing (run ``make assets``), or the map holds tiles.
    UnsafeElementError
        The map holds an element that is not template-free.
    """
    tiles = [c for c in _walk(m) if isinstance(c, folium.TileLayer)]
    if tiles:
        raise OfflineAssetError(
            "a standalone map cannot show tiles (they would be fetched from a server); "
            "build it without a basemap"
        )
    vendor_dir = VENDOR_DIR if vendor_dir is None else vendor_dir
    root = m.get_root()
    if not isinstance(root, Figure):
        raise UnsafeElementError("the map is not in a page (folium.Figure)")
    root.render()
    prefix = getattr(m, "asset_url_prefix", ASSET_URL_PREFIX)
    head = []
    for child in root.header._children.values():
        if isinstance(child, JavascriptLink):
            head.append(_inline_script(_vendored_file(child.url, prefix, vendor_dir)))
        elif isinstance(child, CssLink):
            head.append(_inline_style(_vendored_file(child.url, prefix, vendor_dir), vendor_dir))
        else:
            head.append(child.render())
    lines = "".join(f"<div>{html_text(line)}</div>" for line in notes)
    note = (
        f'<div class="psp-export-note" dir="{"rtl" if rtl else "auto"}">'
        f'<div class="psp-export-title">{html_text(title)}</div>{lines}</div>'
    )
    document = "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{html_text(lang)}">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{html_text(title)}</title>",
            *head,
            _NOTE_CSS,
            "</head>",
            "<body>",
            note,
            root.html.render(),
            f"<script>\n{root.script.render()}\n</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
    # The browser's parser turns CR LF into LF before it hashes a script: do it first.
    document = document.replace("\r\n", "\n").replace("\r", "\n")
    policy = content_security_policy(document)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    charset = '<meta charset="utf-8">\n'
    return document.replace(charset, f"{charset}{meta}\n", 1).encode("utf-8")


def new_map(
    *,
    center: tuple[float, float] = (27.0, 17.5),
    zoom: int = 5,
    tiles: str | None = None,
    tile_attribution: str | None = None,
    keyboard: bool = True,
    zoom_snap: float = 1.0,
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
    keyboard
        Leaflet's keyboard navigation. It focuses the map on every mouse press, and the
        browser then scrolls a map iframe that is partly off screen into view, between
        the press and the release, so the click lands on another spot; pass False for
        maps whose clicks matter.
    zoom_snap
        Leaflet's ``zoomSnap``: 0.5 lets the map open at zoom 5.5, so Libya fills more
        of a mid-sized map.

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
        keyboard=keyboard,
        zoomSnap=zoom_snap,
    )
    if tiles is not None:
        add_tiles(m, TileSource(tiles, tile_attribution or ""))
    return m


#: Hosts a tile URL may name: the planner's own machine.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
#: A transparent 1×1 GIF shown where a tile cannot load (no broken-image icons).
BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@dataclass(frozen=True)
class TileSource:
    """A basemap of local tiles: a URL template served by the app or this machine.

    Attributes
    ----------
    url
        ``{z}/{x}/{y}`` template, e.g. ``/app/static/tiles/{z}/{x}/{y}.png`` (a folder
        served by the app) or ``http://localhost:8080/{z}/{x}/{y}.png`` (a tile server
        on this machine). Other hosts are refused: the product runs offline.
    attribution
        Data source and licence of the tiles (shown on the map).
    name
        Name in the layer control.
    """

    url: str
    attribution: str
    name: str = "Basemap (local tiles)"

    def __post_init__(self) -> None:
        """Refuse tiles from another host and tiles without attribution."""
        host = urlsplit(self.url.strip()).hostname
        if is_external_url(self.url) and (host or "") not in LOOPBACK_HOSTS:
            raise InputError(
                f"tiles must be served by the app (e.g. /app/static/tiles/{{z}}/{{x}}/{{y}}.png)"
                f" or by a tile server on this machine, not fetched from another host: {self.url}"
            )
        if not all(part in self.url for part in ("{z}", "{x}", "{y}")):
            raise InputError(
                f"the tile URL {self.url} lacks {{z}}, {{x}} or {{y}}; write it like "
                "/app/static/tiles/{z}/{x}/{y}.png"
            )
        if not self.attribution.strip():
            raise InputError("give tile_attribution with tiles (the data source and licence)")


def add_tiles(m: folium.Map, source: TileSource, *, show: bool = True) -> SafeTileLayer:
    """Add a local tile basemap as a layer that can be switched off.

    Tiles that cannot load are drawn transparent, so the vector layers stay readable
    on the plain background when the tile folder or server is missing.
    """
    layer = SafeTileLayer(
        tiles=source.url,
        attr=html_text(source.attribution),
        name=source.name,
        max_zoom=MAX_ZOOM,
        overlay=True,
        show=show,
        errorTileUrl=BLANK_TILE,
    )
    layer.add_to(m)
    return layer


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
    """Return ``values`` through :func:`html_text`, missing values as empty strings.

    Parameters
    ----------
    values
        Any column; numbers are written with ``str``.

    Returns
    -------
    pandas.Series
        Plain ``str`` values safe to insert as HTML (``<`` becomes ``&lt;``...) that
        hold no template delimiter (``{`` becomes ``&#123;``...).
    """
    text = values.astype("string").fillna("")
    return text.map(html_text).astype(str)


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
    fill_colors: Sequence[str | None] | None = None,
    interactive: bool = True,
    show: bool = True,
    simplify_tolerance_deg: float = 0.0,
) -> SafeGeoJson:
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
    fill_colors
        One fill colour per row (a choropleth); ``None`` entries use ``style.fill_color``.
        Colours are written into the page as they are: pass palette constants, not text
        from data.
    interactive
        False draws a layer that ignores the mouse (no tooltip).
    show
        Whether the layer is on when the map opens.
    simplify_tolerance_deg
        See :func:`simplify_polygons`.

    Returns
    -------
    SafeGeoJson
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
    drawn = style or PolygonStyle()
    fills = (
        np.full(len(frame), drawn.fill_color, dtype=object)
        if fill_colors is None
        else np.array([c or drawn.fill_color for c in fill_colors], dtype=object)
    )
    if fills.shape != (len(frame),):
        raise InputError(f"{name}: 'fill_colors' has {fills.size} values for {len(frame)} rows")
    geoms = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    props = pd.DataFrame(
        {c: escape_text(frame[c].iloc[keep]).to_numpy() for c in label_columns}
        | {_DASHED: flags[keep], _FILL: [html.escape(str(c)) for c in fills[keep]]}
    )
    data = gpd.GeoDataFrame(
        props,
        geometry=simplify_polygons(geoms[keep], simplify_tolerance_deg),
        crs="EPSG:4326",
    )
    tooltip = None
    if label_columns and interactive:
        aliases = list(label_aliases) if label_aliases is not None else list(label_columns)
        tooltip = SafeGeoJsonTooltip(
            fields=list(label_columns),
            aliases=[html_text(a) for a in aliases],
            sticky=True,
        )
    layer = SafeGeoJson(
        data.to_geo_dict(show_bbox=False),
        name=name,
        style_function=lambda feature: drawn.to_leaflet(
            dashed=feature["properties"][_DASHED], fill_color=feature["properties"][_FILL]
        ),
        tooltip=tooltip,
        show=show,
        interactive=interactive,
    )
    layer.add_to(m)
    return layer


@dataclass(frozen=True)
class LineStyle:
    """How the lines of one class are drawn (Leaflet path options; palette constants)."""

    color: str
    weight: float
    opacity: float = 0.9

    def to_leaflet(self) -> dict[str, Any]:
        """Return the Leaflet style of a line (never filled)."""
        return {"color": self.color, "weight": self.weight, "opacity": self.opacity, "fill": False}


def add_lines(
    m: folium.Map | folium.FeatureGroup,
    lines: gpd.GeoDataFrame,
    *,
    name: str,
    styles: Sequence[LineStyle],
    style_codes: Sequence[int] | npt.NDArray[np.intp],
    show: bool = True,
) -> SafeGeoJson:
    """Add one GeoJSON layer of lines, each row drawn in ``styles[style_codes[row]]``.

    The layer ignores the mouse and carries no text: only the style code of each row
    travels to the browser (with its geometry), never a value from the data.

    Raises
    ------
    InputError
        The frame has no CRS, or ``style_codes`` has another length or names no style.
    """
    frame = _in_wgs84(lines, name)
    codes = np.asarray(style_codes, dtype=np.intp)
    if codes.shape != (len(frame),) or (
        len(codes) and not 0 <= codes.min() <= codes.max() < len(styles)
    ):
        raise InputError(f"{name}: one style code (0–{len(styles) - 1}) per row is needed")
    geoms = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    data = gpd.GeoDataFrame({_STYLE: codes[keep]}, geometry=geoms[keep], crs="EPSG:4326")
    drawn = [style.to_leaflet() for style in styles]
    layer = SafeGeoJson(
        data.to_geo_dict(show_bbox=False),
        name=name,
        style_function=lambda feature: drawn[int(feature["properties"][_STYLE])],
        show=show,
        interactive=False,
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
        # Escaping is one-to-one, so escaping the distinct values alone gives the same
        # tables at a fraction of the cost (names repeat a lot).
        row_codes, distinct = pd.factorize(points[column].astype("string").fillna(""))
        tables.append(escape_text(pd.Series(distinct, dtype="string")).tolist())
        codes.append(row_codes.tolist())
    return tables, codes


def script_json(value: object) -> str:
    r"""Return ``value`` as JSON that is safe inside an HTML ``<script>`` element.

    Non-ASCII text stays as UTF-8 (Arabic costs 2 bytes a letter, not 6), while inside
    strings ``<``, ``>``, ``&``, ``'``, the JavaScript line separators and the
    characters of template delimiters ``{ } % #`` become ``\uXXXX`` escapes (as in
    Jinja's ``tojson``, plus the last four): JavaScript reads the same text, and no
    ``</script>``, ``{{``, ``{%`` or ``{#`` from data appears in the page.

    Examples
    --------
    >>> script_json({"name": "{{ 7*7 }}"})
    '{"name":"\\u007b\\u007b 7*7 \\u007d\\u007d"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _JSON_STRING.sub(lambda string: string.group().translate(_SCRIPT_TEXT), text)


def add_points(
    m: folium.Map | folium.FeatureGroup,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    label_columns: Sequence[str] = (),
    show: bool = True,
) -> SafeFastMarkerCluster:
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
    SafeFastMarkerCluster
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
    layer = SafeFastMarkerCluster(
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
    add_layer_control(m, collapsed=True)
    if len(outline):
        lon_min, lat_min, lon_max, lat_max = outline.total_bounds
        m.fit_bounds([[lat_min, lon_min], [lat_max, lon_max]])
    use_offline_assets(m)
    return m


# --- class breaks and palettes ------------------------------------------------------------

#: ColorBrewer sequential palettes (9 classes, light to dark), by Cynthia Brewer
#: (Apache-2.0 licence); :func:`palette` picks evenly from them.
SEQUENTIAL_PALETTES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "YlOrRd": (
            "#ffffcc",
            "#ffeda0",
            "#fed976",
            "#feb24c",
            "#fd8d3c",
            "#fc4e2a",
            "#e31a1c",
            "#bd0026",
            "#800026",
        ),
        "Blues": (
            "#f7fbff",
            "#deebf7",
            "#c6dbef",
            "#9ecae1",
            "#6baed6",
            "#4292c6",
            "#2171b5",
            "#08519c",
            "#08306b",
        ),
        "Greens": (
            "#f7fcf5",
            "#e5f5e0",
            "#c7e9c0",
            "#a1d99b",
            "#74c476",
            "#41ab5d",
            "#238b45",
            "#006d2c",
            "#00441b",
        ),
        "Purples": (
            "#fcfbfd",
            "#efedf5",
            "#dadaeb",
            "#bcbddc",
            "#9e9ac8",
            "#807dba",
            "#6a51a3",
            "#54278f",
            "#3f007d",
        ),
    }
)
#: Qualitative colours (ColorBrewer Set1/Dark2-like) for categories without an own colour.
CATEGORY_COLOURS: tuple[str, ...] = (
    "#1f78b4",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#d6616b",
    "#8c6d31",
    "#17becf",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#393b79",
    "#843c39",
)
#: Fill of areas without a value.
NO_DATA_COLOUR = "#eeeeee"


def palette(name: str, classes: int) -> tuple[str, ...]:
    """Return ``classes`` colours of a sequential palette, light to dark.

    The palest colour of the 9 is skipped (it vanishes on a white background).

    Raises
    ------
    InputError
        Unknown palette, or fewer than 1 or more than 8 classes.
    """
    if name not in SEQUENTIAL_PALETTES:
        raise InputError(f"unknown palette {name!r}; use one of {', '.join(SEQUENTIAL_PALETTES)}")
    if not 1 <= classes <= 8:
        raise InputError(f"a palette has 1 to 8 classes, not {classes}")
    colours = SEQUENTIAL_PALETTES[name]
    if classes == 1:
        return (colours[5],)
    picks = np.round(np.linspace(1, 8, classes)).astype(int)
    return tuple(colours[i] for i in picks)


def round_significant(value: float, digits: int = 2) -> float:
    """Round ``value`` to ``digits`` significant figures (1,234 -> 1,200; 0.4567 -> 0.46)."""
    if value == 0 or not np.isfinite(value):
        return float(value)
    magnitude = int(np.floor(np.log10(abs(value))))
    return float(round(value, digits - 1 - magnitude))


def class_breaks(
    values: npt.ArrayLike,
    *,
    classes: int = 5,
    integer: bool = False,
    digits: int = 2,
) -> tuple[float, ...]:
    """Return readable class boundaries for a choropleth: rounded quantiles.

    The inner boundaries are the ``1/classes, 2/classes, …`` quantiles of the values
    (linear interpolation), each rounded to ``digits`` significant figures (to a whole
    number when ``integer``); boundaries that coincide after rounding are merged, so
    fewer classes may come back. The outer boundaries are the minimum and maximum.
    A value ``v`` falls in class ``i`` when ``b[i] <= v < b[i+1]``; the maximum falls
    in the last class (see :func:`classify`).

    Parameters
    ----------
    values
        The values to classify; missing (NaN) values are ignored.
    classes
        Wanted number of classes.
    integer
        The values are counts: round the boundaries to whole numbers.
    digits
        Significant figures of the inner boundaries.

    Returns
    -------
    tuple of float
        Increasing boundaries ``(b0, …, bk)``; ``()`` when no value is finite and
        ``(v, v)`` when all values equal ``v``.

    Examples
    --------
    >>> class_breaks(range(101), classes=4, integer=True)
    (0.0, 25.0, 50.0, 75.0, 100.0)
    >>> class_breaks([120, 340, 560, 1234, 5678, 9100], classes=3, integer=True)
    (120.0, 490.0, 2700.0, 9100.0)
    """
    if classes < 1:
        raise InputError(f"a choropleth needs at least one class, not {classes}")
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if not len(data):
        return ()
    low, high = float(data.min()), float(data.max())
    if low == high:
        return (low, high)
    quantiles = np.quantile(data, np.arange(1, classes) / classes)
    inner: list[float] = []
    for q in quantiles:
        rounded = round_significant(float(q), digits)
        if integer:
            rounded = float(round(rounded))
        if low < rounded < high and (not inner or rounded > inner[-1]):
            inner.append(rounded)
    return (low, *inner, high)


def classify(values: npt.ArrayLike, breaks: Sequence[float]) -> npt.NDArray[np.intp]:
    """Return the class of each value for :func:`class_breaks` boundaries; -1 if missing.

    Class ``i`` holds ``breaks[i] <= v < breaks[i+1]``; the last class also holds its
    upper boundary. Values outside the boundaries go to the nearest end class.
    """
    data = np.asarray(values, dtype=float)
    out = np.full(data.shape, -1, dtype=np.intp)
    if len(breaks) < 2:
        out[np.isfinite(data)] = 0
        return out
    finite = np.isfinite(data)
    out[finite] = np.searchsorted(np.asarray(breaks[1:-1], dtype=float), data[finite], "right")
    return out


def format_number(value: float, *, percent: bool = False, decimals: int = 0) -> str:
    """Format a figure for a legend or tooltip: ``12,345``, ``12.5``, ``45%``."""
    if not np.isfinite(value):
        return "–"
    if percent:
        return f"{value * 100:.{decimals}f}%"
    return f"{value:,.{decimals}f}"


def _decimals_needed(values: Sequence[float], most: int) -> int:
    """Fewest decimals (up to ``most``) that write every value exactly."""
    for decimals in range(most + 1):
        if all(abs(round(v, decimals) - v) < 1e-9 for v in values):
            return decimals
    return most


def class_labels(
    breaks: Sequence[float], *, integer: bool = False, percent: bool = False
) -> list[str]:
    """Return one readable label per class of :func:`class_breaks` boundaries.

    Counts read ``0 – 24``, ``25 – 49``, …, ``75 – 100`` (whole numbers, so each
    class ends one below the next one's start); other values read ``0.2 – 0.4`` or,
    with ``percent``, ``20% – 40%`` (the lower boundary belongs to the class), with
    as many decimals as the inner boundaries need (at most 2, or 1 for percentages).
    """
    if len(breaks) < 2:
        return []
    labels = []
    last = len(breaks) - 2
    inner = [b * 100 if percent else b for b in breaks[1:-1]]
    decimals = 0 if integer else _decimals_needed(inner, 1 if percent else 2)
    for i in range(len(breaks) - 1):
        low, high = breaks[i], breaks[i + 1]
        if integer:
            top = high if i == last else max(low, high - 1)
            if top == low:
                labels.append(format_number(low))
            else:
                labels.append(f"{format_number(low)} – {format_number(top)}")
        else:
            labels.append(
                f"{format_number(low, percent=percent, decimals=decimals)} – "
                f"{format_number(high, percent=percent, decimals=decimals)}"
            )
    return labels


# --- legend ---------------------------------------------------------------------------------

LegendSwatch = Literal[
    "fill", "line", "dashed", "circle", "square", "diamond", "triangle", "cross", "gradient"
]

#: SVG shapes in a 16 × 16 box, for point symbols and their legend.
SHAPES: Mapping[str, str] = MappingProxyType(
    {
        "circle": '<circle cx="8" cy="8" r="5.5"/>',
        "square": '<rect x="2.5" y="2.5" width="11" height="11"/>',
        "diamond": '<path d="M8 1.5 14.5 8 8 14.5 1.5 8Z"/>',
        "triangle": '<path d="M8 2 14.5 14H1.5Z"/>',
        "cross": '<path d="M6 1.5h4v4.5h4.5v4H10v4.5H6V10H1.5V6H6Z"/>',
    }
)


@dataclass(frozen=True)
class Symbol:
    """How one kind of point is drawn: a shape, its fill and its outline."""

    shape: str = "circle"
    color: str = "#1f78b4"
    stroke: str = "#ffffff"
    stroke_width: float = 1.5
    size: int = 14

    def __post_init__(self) -> None:
        """Refuse shapes that are not in :data:`SHAPES`."""
        if self.shape not in SHAPES:
            raise InputError(f"unknown shape {self.shape!r}; use one of {', '.join(SHAPES)}")

    def svg(self) -> str:
        """Return the symbol as inline SVG (fixed markup: no text from data)."""
        return (
            f'<svg width="{self.size}" height="{self.size}" viewBox="0 0 16 16" '
            f'style="display:block;overflow:visible"><g fill="{html.escape(self.color)}" '
            f'stroke="{html.escape(self.stroke)}" stroke-width="{self.stroke_width:g}">'
            f"{SHAPES[self.shape]}</g></svg>"
        )


@dataclass(frozen=True)
class LegendEntry:
    """One line of a legend: a swatch and its label (plain text, escaped when drawn)."""

    label: str
    color: str = "#999999"
    swatch: LegendSwatch = "fill"
    outline: str = "#555555"
    size: int = 12
    stroke_width: float = 1.0


@dataclass(frozen=True)
class LegendSection:
    """The legend of one map layer, shown while that layer is on.

    Attributes
    ----------
    layer
        The layer's name in the layer control; the section follows its visibility.
    title
        Heading, e.g. "Registered voters (persons)".
    entries
        Lines of the section.
    note
        A line of small text under the entries.
    shown
        Whether the layer is on when the map opens.
    """

    layer: str
    title: str
    entries: tuple[LegendEntry, ...] = ()
    note: str = ""
    shown: bool = True


def _swatch_html(entry: LegendEntry) -> str:
    color = html.escape(entry.color)
    outline = html.escape(entry.outline)
    if entry.swatch in SHAPES:
        symbol = Symbol(
            shape=entry.swatch,
            color=entry.color,
            stroke=entry.outline,
            stroke_width=entry.stroke_width,
            size=entry.size,
        )
        return symbol.svg()
    if entry.swatch in ("line", "dashed"):
        dash = ' stroke-dasharray="4 3"' if entry.swatch == "dashed" else ""
        return (
            f'<svg width="22" height="12"><line x1="1" y1="6" x2="21" y2="6" stroke="{color}" '
            f'stroke-width="{entry.stroke_width:g}"{dash}/></svg>'
        )
    if entry.swatch == "gradient":
        return (
            '<span class="psp-swatch" style="width:60px;background:linear-gradient(to right,'
            'rgba(0,0,255,.6),cyan,lime,yellow,red)"></span>'
        )
    return f'<span class="psp-swatch" style="background:{color};border-color:{outline}"></span>'


def legend_html(section: LegendSection) -> str:
    """Return the HTML of a legend section; every text goes through :func:`html_text`."""
    rows = "".join(
        f'<div class="psp-row">{_swatch_html(e)}<span dir="auto">{html_text(e.label)}</span></div>'
        for e in section.entries
    )
    note = (
        f'<div class="psp-note" dir="auto">{html_text(section.note)}</div>' if section.note else ""
    )
    return f'<div class="psp-title" dir="auto">{html_text(section.title)}</div>{rows}{note}'


_LEGEND_CSS = """
<style>
.psp-legend { background: rgba(255,255,255,.94); padding: 6px 9px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); font: 12px/1.35 system-ui, "Noto Sans", "DejaVu Sans",
  sans-serif; color: #222; max-height: 46vh; overflow-y: auto; max-width: 240px; }
.psp-legend summary { cursor: pointer; font-weight: 600; }
.psp-legend .psp-section { margin-top: 5px; }
.psp-legend .psp-title { font-weight: 600; margin-bottom: 2px; }
.psp-legend .psp-row { display: flex; align-items: center; gap: 6px; min-height: 16px; }
.psp-legend .psp-row svg { flex: none; }
.psp-legend .psp-swatch { display: inline-block; flex: none; width: 16px; height: 12px;
  border: 1px solid #555; }
.psp-legend .psp-note { color: #555; font-size: 11px; margin-top: 2px; }
.psp-pt { background: none; border: none; }
.psp-badge { background: rgba(38,50,56,.85); color: #fff; border: 1.5px solid #fff;
  border-radius: 9px; font: 600 10px/14px system-ui, sans-serif; padding: 0 5px;
  white-space: nowrap; box-shadow: 0 1px 3px rgba(0,0,0,.4); display: inline-block;
  transform: translate(-50%, -50%); }
.psp-cluster { border-radius: 50%; display: flex; align-items: center; justify-content: center;
  box-shadow: 0 1px 4px rgba(0,0,0,.45); }
.psp-cluster span { background: #fff; border-radius: 50%; display: flex; align-items: center;
  justify-content: center; font: 600 11px system-ui, sans-serif; color: #222; }
.psp-unit-cluster { background: rgba(55,71,79,.82); color: #fff; border: 1.5px solid #fff;
  border-radius: 5px; display: flex; align-items: center; justify-content: center;
  font: 600 10px system-ui, sans-serif; box-shadow: 0 1px 3px rgba(0,0,0,.35); }
</style>
"""


class MapLegend(TemplateFreeElement):
    """A legend control with one section per layer, each shown while its layer is on.

    The HTML is built here from escaped text (:func:`legend_html`) and handed to the
    browser as JSON; sections follow the layer control through Leaflet's
    ``overlayadd``/``overlayremove`` events, by layer label (:func:`layer_label`, as
    :class:`SafeLayerControl` names the layers).

    Parameters
    ----------
    sections
        The sections, top to bottom.
    title
        Summary line of the collapsible legend.
    position
        Corner of the map.
    open_min_width_px
        The legend opens unfolded on maps at least this wide, folded on narrower ones.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}{{ this.css }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var sections = {{ this.sections_json }};
            var legend = L.control({position: {{ this.position_json }}});
            var nodes = {};
            legend.onAdd = function () {
                var div = L.DomUtil.create('div', 'psp-legend');
                var box = L.DomUtil.create('details', '', div);
                var summary = L.DomUtil.create('summary', '', box);
                summary.innerHTML = {{ this.title_json }};
                // Open on maps wide enough to keep most of the map free, until the user
                // folds or unfolds it (the map may be resized while the page settles).
                var touched = false;
                summary.addEventListener('click', function () { touched = true; });
                function fit() {
                    if (!touched) { box.open = map.getSize().x >= {{ this.open_min_width_px }}; }
                }
                fit();
                map.on('resize', fit);
                sections.forEach(function (s) {
                    var el = L.DomUtil.create('div', 'psp-section', box);
                    el.innerHTML = s.html;
                    el.style.display = s.shown ? '' : 'none';
                    (nodes[s.layer] = nodes[s.layer] || []).push(el);
                });
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            function show(name, on) {
                (nodes[name] || []).forEach(function (el) { el.style.display = on ? '' : 'none'; });
            }
            map.on('overlayadd', function (e) { show(e.name, true); });
            map.on('overlayremove', function (e) { show(e.name, false); });
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        sections: Sequence[LegendSection],
        *,
        title: str = "Legend",
        position: str = "bottomright",
        open_min_width_px: int = 640,
    ):
        super().__init__()
        self._name = "MapLegend"
        self.open_min_width_px = int(open_min_width_px)
        self.sections = tuple(sections)
        self.css = _LEGEND_CSS
        self.sections_json = script_json(
            [
                {"layer": layer_label(s.layer), "html": legend_html(s), "shown": s.shown}
                for s in self.sections
            ]
        )
        self.title_json = script_json(html_text(title))
        self.position_json = script_json(position)


# --- compact point layers -------------------------------------------------------------------

# Shared by the compact layers: build a tooltip from dictionary-encoded, escaped labels the
# first time a point is hovered or clicked (binding 19,000 tooltips up front costs time and
# memory for nothing). The click handler runs before streamlit-folium's, which reads the
# tooltip of the clicked point.
_LAZY_TOOLTIP_JS = """
    function pspPane(map, cfg) {
        if (!cfg.pane || !map || !map.createPane) { return undefined; }
        if (!map.getPane(cfg.pane)) { map.createPane(cfg.pane).style.zIndex = cfg.paneZ; }
        return cfg.pane;
    }
    function pspTooltip(group, labels, offset, boldFirst) {
        function text(row) {
            var lines = [];
            for (var i = 0; i < labels.length; i++) {
                var t = labels[i][row[offset + i]];
                if (t) {
                    lines.push((i === 0 && boldFirst ? '<b dir="auto">' : '<span dir="auto">')
                        + t + (i === 0 && boldFirst ? '</b>' : '</span>'));
                }
            }
            return lines.join('<br>\\n');
        }
        function bind(e) {
            var layer = e.layer || e.sourceTarget;
            if (layer && layer.pspRow && !layer.getTooltip()) {
                var t = text(layer.pspRow);
                if (t) {
                    layer.bindTooltip(t, {direction: 'top', offset: [0, -6]});
                    if (e.type === 'mouseover') { layer.openTooltip(); }
                }
            }
        }
        group.on('mouseover', bind);
        group.on('click', bind);
    }
"""

_SYMBOL_LAYER_JS = (
    """function (cfg, map) {
    """
    + _LAZY_TOOLTIP_JS
    + """
    var icons = cfg.symbols.map(function (s) {
        return L.divIcon({className: 'psp-pt', html: s.html, iconSize: [s.size, s.size],
                          iconAnchor: [s.size / 2, s.size / 2]});
    });
    function donut(cluster) {
        var markers = cluster.getAllChildMarkers(), n = markers.length, counts = {};
        for (var i = 0; i < n; i++) {
            var g = cfg.symbols[markers[i].pspRow[2]].group;
            counts[g] = (counts[g] || 0) + 1;
        }
        var stops = [], angle = 0;
        for (var k = 0; k < cfg.groups.length; k++) {
            if (counts[k]) {
                var start = angle;
                angle += counts[k] / n * 360;
                stops.push(cfg.groups[k] + ' ' + start.toFixed(1) + 'deg '
                           + angle.toFixed(1) + 'deg');
            }
        }
        var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 42 : 48;
        var inner = size - 12;
        return L.divIcon({
            className: 'marker-cluster ' + cfg.clusterClass,
            iconSize: L.point(size, size),
            html: '<div class="psp-cluster" style="width:' + size + 'px;height:' + size
                + 'px;margin:0;background:conic-gradient(' + stops.join(',')
                + ')"><span style="width:'
                + inner + 'px;height:' + inner + 'px;line-height:' + inner + 'px">' + n
                + '</span></div>'
        });
    }
    function box(cluster) {
        var n = cluster.getChildCount(), size = n < 10 ? 20 : n < 100 ? 24 : 28;
        return L.divIcon({
            className: 'marker-cluster ' + cfg.clusterClass, iconSize: L.point(size, size),
            html: '<div class="psp-unit-cluster" style="width:' + size + 'px;height:' + size
                + 'px;margin:0">' + n + '</div>'
        });
    }
    var pane = pspPane(map, cfg);
    var group;
    if (cfg.cluster) {
        var options = cfg.clusterOptions;
        if (pane) { options.clusterPane = pane; }
        options.iconCreateFunction = cfg.clusterStyle === 'donut' ? donut : box;
        group = L.markerClusterGroup(options);
    } else {
        group = L.featureGroup();
    }
    pspTooltip(group, cfg.labels, 3, cfg.boldFirst);
    var rows = cfg.rows, markers = new Array(rows.length);
    for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var marker = L.marker([row[0], row[1]], {icon: icons[row[2]], keyboard: false,
                                                 zIndexOffset: cfg.symbols[row[2]].z || 0,
                                                 pane: pane || 'markerPane'});
        marker.pspRow = row;
        markers[i] = marker;
    }
    if (cfg.cluster) {
        group.addLayers(markers);
    } else {
        markers.forEach(function (marker) { group.addLayer(marker); });
    }
    return group;
}"""
)

_CIRCLE_LAYER_JS = (
    """function (cfg, map) {
    """
    + _LAZY_TOOLTIP_JS
    + """
    var renderer = L.canvas({padding: 0.4});
    var group = L.featureGroup();
    pspTooltip(group, cfg.labels, 4, cfg.boldFirst);
    var rows = cfg.rows;
    for (var i = 0; i < rows.length; i++) {
        var row = rows[i], style = cfg.styles[row[2]];
        var options = {renderer: renderer, color: style.stroke, weight: style.weight,
                       opacity: style.opacity, fillColor: style.fill,
                       fillOpacity: style.fillOpacity, interactive: cfg.interactive};
        var shape;
        if (cfg.metres) {
            options.radius = row[3];
            shape = L.circle([row[0], row[1]], options);
        } else {
            options.radius = row[3];
            shape = L.circleMarker([row[0], row[1]], options);
        }
        shape.pspRow = row;
        group.addLayer(shape);
    }
    return group;
}"""
)

_BADGE_LAYER_JS = (
    """function (cfg, map) {
    """
    + _LAZY_TOOLTIP_JS
    + """
    var pane = pspPane(map, cfg) || 'markerPane';
    var group = L.featureGroup();
    pspTooltip(group, cfg.labels, 3, cfg.boldFirst);
    var rows = cfg.rows;
    for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var icon = L.divIcon({className: 'psp-pt', iconSize: null,
                              html: '<span class="psp-badge">' + cfg.texts[row[2]] + '</span>'});
        var marker = L.marker([row[0], row[1]], {icon: icon, keyboard: false, pane: pane});
        marker.pspRow = row;
        group.addLayer(marker);
    }
    return group;
}"""
)


class CompactLayer(JSCSSMixin, folium.map.Layer, TemplateFreeElement):
    """A map layer drawn in the browser from compact JSON rows by a fixed JS factory.

    Subclasses set the factory (``js_factory``); the configuration (coordinates,
    dictionary-encoded escaped labels, styles) travels as one JSON object made with
    :func:`script_json`, so no text from data is ever interpreted as HTML or script.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = ({{ this.js_factory }})(
            {{ this.config_json }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )
    js_factory = "function (cfg, map) { return L.featureGroup(); }"

    def __init__(self, config: Mapping[str, Any], *, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = type(self).__name__
        self.config = dict(config)
        self.config_json = script_json(self.config)

    @property
    def rows(self) -> list[list[Any]]:
        """The rows sent to the browser."""
        return list(self.config.get("rows", []))


class SymbolLayer(CompactLayer):
    """Points drawn as SVG symbols, optionally clustered (Leaflet.markercluster).

    Clusters are drawn as donuts whose segments show the share of each symbol group
    (``clusterStyle="donut"``), or as plain dark boxes (``"box"``).
    """

    js_factory = _SYMBOL_LAYER_JS

    def __init__(self, config: Mapping[str, Any], *, name: str, show: bool = True):
        super().__init__(config, name=name, show=show)
        if self.config.get("cluster"):
            self.default_js = list(folium.plugins.MarkerCluster.default_js)
            self.default_css = list(folium.plugins.MarkerCluster.default_css)
        else:
            self.default_js = []
            self.default_css = []


class CircleLayer(CompactLayer):
    """Circles on a canvas: fixed pixel radius (``metres=False``) or ground radius."""

    js_factory = _CIRCLE_LAYER_JS


class BadgeLayer(CompactLayer):
    """Small dark labels with a short text (e.g. a count) at given points."""

    js_factory = _BADGE_LAYER_JS


def _point_columns(
    points: gpd.GeoDataFrame, name: str
) -> tuple[npt.NDArray[np.bool_], list[float], list[float]]:
    frame = _in_wgs84(points, name)
    geoms = frame.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    lat = np.round(shapely.get_y(geoms[keep]), COORDINATE_DECIMALS).tolist()
    lon = np.round(shapely.get_x(geoms[keep]), COORDINATE_DECIMALS).tolist()
    return keep, lat, lon


def _codes(values: npt.ArrayLike, count: int, what: str) -> list[int]:
    codes = np.asarray(values, dtype=np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= count):
        raise InputError(f"{what}: codes must lie in 0..{count - 1}")
    return codes.tolist()


def add_symbols(
    m: folium.Map | folium.FeatureGroup,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    symbols: Sequence[Symbol],
    symbol_codes: npt.ArrayLike,
    groups: Sequence[str] = (),
    symbol_groups: Sequence[int] | None = None,
    label_columns: Sequence[str] = (),
    cluster: bool = True,
    cluster_style: Literal["donut", "box"] = "donut",
    cluster_class: str = "psp-cluster-icon",
    cluster_radius_px: int = 60,
    uncluster_zoom: int | None = None,
    bold_first_label: bool = True,
    pane: tuple[str, int] | None = None,
    show: bool = True,
) -> SymbolLayer:
    """Add points drawn as symbols, clustered, with escaped lazy tooltips.

    Fast for tens of thousands of points: one compact row per point
    (``[lat, lon, symbol, label codes…]``), symbols and distinct labels sent once,
    markers added to the cluster in bulk.

    Parameters
    ----------
    m
        Map or feature group.
    points
        Points with a CRS; rows without geometry are skipped.
    name
        Layer name in the layer control.
    symbols
        The symbols used; ``symbol_codes`` index into them.
    symbol_codes
        One symbol index per row of ``points``.
    groups
        Colours of the donut segments of clusters, one per group.
    symbol_groups
        Group (donut segment) of each symbol; symbol ``i`` is group ``i`` by default.
    label_columns
        Tooltip lines, in order (escaped); the first is bold when ``bold_first_label``.
    cluster
        Cluster the points (Leaflet.markercluster) or draw every one.
    cluster_style
        ``"donut"`` (segments by group) or ``"box"`` (a dark box with the count).
    cluster_class
        CSS class of the cluster icons (tests count them by it).
    cluster_radius_px
        Leaflet.markercluster's ``maxClusterRadius``.
    uncluster_zoom
        Zoom from which every point is drawn on its own (``disableClusteringAtZoom``).
    pane
        ``(name, z-index)`` of a Leaflet pane for the points and clusters, e.g.
        ``("units", 590)`` to draw them under the markers pane (600); ``None`` for the
        markers pane.
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    SymbolLayer
        The layer.
    """
    _require_columns(points, label_columns, name)
    keep, lat, lon = _point_columns(points, name)
    codes = np.asarray(symbol_codes)
    if codes.shape != (len(points),):
        raise InputError(f"{name}: {codes.size} symbol codes for {len(points)} rows")
    symbol_list = list(symbols)
    code_list = _codes(codes[keep], len(symbol_list), name)
    tables, label_codes = encode_labels(points.iloc[keep], label_columns)
    sym_groups = list(symbol_groups) if symbol_groups is not None else list(range(len(symbols)))
    rows = [
        [y, x, c, *rest] for y, x, c, *rest in zip(lat, lon, code_list, *label_codes, strict=True)
    ]
    options: dict[str, Any] = {
        "showCoverageOnHover": False,
        "maxClusterRadius": cluster_radius_px,
        "chunkedLoading": True,
        "spiderfyOnMaxZoom": True,
    }
    if uncluster_zoom is not None:
        options["disableClusteringAtZoom"] = uncluster_zoom
    config = {
        "symbols": [
            {"html": s.svg(), "size": s.size, "group": g, "z": 100 * g}
            for s, g in zip(symbol_list, sym_groups, strict=True)
        ],
        "groups": list(groups) or [s.color for s in symbol_list],
        "labels": tables,
        "rows": rows,
        "cluster": cluster,
        "clusterOptions": options,
        "clusterStyle": cluster_style,
        "clusterClass": cluster_class,
        "boldFirst": bold_first_label,
        "pane": pane[0] if pane else None,
        "paneZ": pane[1] if pane else None,
    }
    layer = SymbolLayer(config, name=name, show=show)
    layer.add_to(m)
    return layer


@dataclass(frozen=True)
class CircleStyle:
    """Leaflet path style of a circle."""

    fill: str
    stroke: str = "#333333"
    weight: float = 0.8
    opacity: float = 0.9
    fill_opacity: float = 0.8

    def to_leaflet(self) -> dict[str, Any]:
        """Return the style as the browser code reads it."""
        return {
            "fill": self.fill,
            "stroke": self.stroke,
            "weight": self.weight,
            "opacity": self.opacity,
            "fillOpacity": self.fill_opacity,
        }


def add_circles(
    m: folium.Map | folium.FeatureGroup,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    styles: Sequence[CircleStyle],
    style_codes: npt.ArrayLike,
    radii: npt.ArrayLike,
    metres: bool = False,
    label_columns: Sequence[str] = (),
    interactive: bool = True,
    bold_first_label: bool = False,
    show: bool = True,
) -> CircleLayer:
    """Add circles drawn on a canvas: sized in pixels (symbols) or in metres (ranges).

    Parameters
    ----------
    m
        Map or feature group.
    points
        Centres of the circles, with a CRS; rows without geometry are skipped.
    name
        Layer name in the layer control.
    styles, style_codes
        The styles, and one style index per row.
    radii
        One radius per row: pixels, or metres on the ground with ``metres``.
    metres
        Radii are ground distances in metres (``L.circle``), not pixels.
    label_columns
        Tooltip lines (escaped); ignored when not ``interactive``.
    interactive
        Whether the circles react to the mouse.
    show
        Whether the layer is on when the map opens.
    """
    _require_columns(points, label_columns, name)
    keep, lat, lon = _point_columns(points, name)
    codes = np.asarray(style_codes)
    sizes = np.asarray(radii, dtype=float)
    if codes.shape != (len(points),) or sizes.shape != (len(points),):
        raise InputError(f"{name}: give one style code and one radius per row")
    code_list = _codes(codes[keep], len(styles), name)
    size_list = np.round(sizes[keep], 1).tolist()
    columns = label_columns if interactive else ()
    tables, label_codes = encode_labels(points.iloc[keep], columns)
    rows = [
        [y, x, c, r, *rest]
        for y, x, c, r, *rest in zip(lat, lon, code_list, size_list, *label_codes, strict=True)
    ]
    config = {
        "styles": [s.to_leaflet() for s in styles],
        "labels": tables,
        "rows": rows,
        "metres": metres,
        "interactive": interactive,
        "boldFirst": bold_first_label,
    }
    layer = CircleLayer(config, name=name, show=show)
    layer.add_to(m)
    return layer


def add_badges(
    m: folium.Map | folium.FeatureGroup,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    text_column: str,
    label_columns: Sequence[str] = (),
    pane: tuple[str, int] | None = None,
    show: bool = True,
) -> BadgeLayer:
    """Add small dark labels showing ``text_column`` (escaped) at each point.

    ``pane`` is as for :func:`add_symbols`.
    """
    _require_columns(points, (text_column, *label_columns), name)
    keep, lat, lon = _point_columns(points, name)
    texts, (text_codes,) = encode_labels(points.iloc[keep], [text_column])
    tables, label_codes = encode_labels(points.iloc[keep], label_columns)
    rows = [
        [y, x, t, *rest] for y, x, t, *rest in zip(lat, lon, text_codes, *label_codes, strict=True)
    ]
    config = {
        "texts": texts[0],
        "labels": tables,
        "rows": rows,
        "boldFirst": True,
        "pane": pane[0] if pane else None,
        "paneZ": pane[1] if pane else None,
    }
    layer = BadgeLayer(config, name=name, show=show)
    layer.add_to(m)
    return layer


def add_heat(
    m: folium.Map | folium.FeatureGroup,
    points: gpd.GeoDataFrame,
    *,
    name: str,
    weights: npt.ArrayLike,
    show: bool = False,
    radius_px: int = 18,
) -> SafeHeatMap:
    """Add a heat map of weighted points (folium's vendored Leaflet.heat)."""
    keep, lat, lon = _point_columns(points, name)
    values = np.asarray(weights, dtype=float)
    if values.shape != (len(points),):
        raise InputError(f"{name}: {values.size} weights for {len(points)} rows")
    data = [[y, x, w] for y, x, w in zip(lat, lon, np.round(values[keep], 3).tolist(), strict=True)]
    layer = SafeHeatMap(
        data, name=name, show=show, radius=radius_px, blur=15, min_opacity=0.35, max_zoom=12
    )
    layer.add_to(m)
    return layer


class FillFade(TemplateFreeElement):
    """Fade polygon fills as the map zooms in, so points and streets stay readable.

    Applies to features drawn by :func:`add_polygons` with a fill: at zoom ``z`` their
    fill opacity becomes the original one times the factor of the highest step
    ``(zoom, factor)`` with ``zoom <= z`` (1 below the first step).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var steps = {{ this.steps_json }};
            function factor(z) {
                var f = 1;
                steps.forEach(function (s) { if (z >= s[0]) { f = s[1]; } });
                return f;
            }
            function fade() {
                var f = factor(map.getZoom());
                map.eachLayer(function (layer) {
                    var props = layer.feature && layer.feature.properties;
                    if (!props || props._fill === undefined || !layer.options.fill) { return; }
                    if (layer.pspFill === undefined) { layer.pspFill = layer.options.fillOpacity; }
                    layer.setStyle({fillOpacity: layer.pspFill * f});
                });
            }
            map.on('zoomend', fade);
            map.on('overlayadd', fade);
            map.whenReady(fade);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, steps: Sequence[tuple[int, float]] = ((9, 0.7), (11, 0.45), (13, 0.25))):
        super().__init__()
        self._name = "FillFade"
        self.steps = tuple(steps)
        self.steps_json = script_json([list(s) for s in self.steps])
