"""Static maps and charts for PDF reports and briefing slides, drawn with matplotlib (no tiles).

Maps are drawn from the workspace's own polygons and points, projected to the Lambert
conformal conic of :mod:`geo.distance` (metres), so they need no network and no tile
server. Only figure objects are used (never ``pyplot``), which keeps drawing safe in a
server that renders for several users at once. Matplotlib ≥ 3.11 shapes Arabic itself:
labels are passed as they are, never pre-reshaped.

Security units are never drawn here: maps show municipalities coloured by the share of
voters whose centre has a protection gap and, for a district or a municipality, the polling
centres coloured by coverage status. Names from the data are drawn as plain text (no TeX).

Fonts are files found by name (:func:`find_font`, also used by :mod:`geo.pdf`): Noto Naskh
Arabic and DejaVu Sans from Debian's ``fonts-noto-core`` and ``fonts-dejavu-core``; a
missing one raises :class:`FontMissingError`, which names the package to install.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager
from matplotlib import patheffects as pe
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from geo.distance import LIBYA_LCC
from geo.errors import PlannerError
from geo.i18n import Language, translate
from geo.reports import (
    STATUS_LABELS,
    ReportData,
    ScopeLevel,
    local_name,
    share_voters_gap_by_municipality,
)
from geo.schema import CRS

#: Folders searched for font files, in order.
FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/local/share/fonts"),
)
#: (regular, bold) font files of the Arabic face and of the Latin face.
ARABIC_FONT_FILES = ("NotoNaskhArabic-Regular.ttf", "NotoNaskhArabic-Bold.ttf")
LATIN_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
#: Debian package that ships each font family (for the error message).
FONT_PACKAGES: Mapping[str, str] = {
    "NotoNaskhArabic": "fonts-noto-core",
    "DejaVuSans": "fonts-dejavu-core",
}

#: Upper bounds (exclusive of the lower class) of the gap-share classes, and their colours.
GAP_CLASSES: tuple[tuple[float, str, str], ...] = (
    (0.0, "#fff5eb", "no voters at a gap"),
    (0.10, "#fdd0a2", "up to 10 %"),
    (0.25, "#fd8d3c", "10–25 %"),
    (0.50, "#d94801", "25–50 %"),
    (1.0, "#7f2704", "over 50 %"),
)
NO_CENTRES_COLOUR = "#d9d9d9"
#: Colour of each coverage status.
STATUS_COLOURS: Mapping[str, str] = {
    "full": "#1a9850",
    "guard_only": "#4575b4",
    "response_only": "#fdae61",
    "gap": "#d73027",
}
_EDGE = "#ffffff"
_CONTEXT_FILL = "#eeeeee"
_OUTLINE = "#222222"
_HALO = [pe.withStroke(linewidth=2.5, foreground="white")]


class FontMissingError(PlannerError):
    """A font file needed to draw Arabic or Latin text is not installed."""


@cache
def find_font(file_name: str, dirs: tuple[Path, ...] = FONT_DIRS) -> Path:
    """Return the path of font file ``file_name`` in the first folder of ``dirs`` holding it.

    Raises
    ------
    FontMissingError
        When no folder holds it; the message names the Debian package to install.
    """
    for folder in dirs:
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    family = file_name.split("-")[0].removesuffix(".ttf")
    package = FONT_PACKAGES.get(family, "a package providing it")
    raise FontMissingError(
        f"font file {file_name} not found in {', '.join(str(d) for d in dirs)}; install it "
        f"(apt-get install {package}) so that reports can print "
        f"{'Arabic' if family.startswith('Noto') else 'Latin'} text"
    )


@cache
def font_families() -> tuple[str, ...]:
    """Register the report fonts with matplotlib once; return the family fallback list."""
    names = []
    for file_name in (LATIN_FONT_FILES[0], ARABIC_FONT_FILES[0]):
        path = find_font(file_name)
        font_manager.fontManager.addfont(str(path))
        names.append(font_manager.FontProperties(fname=str(path)).get_name())
    return tuple(names)


def _figure(size_in: tuple[float, float]) -> Figure:
    font_families()
    return Figure(figsize=size_in, layout="constrained")


def _png(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def gap_class_colours(share: pd.Series) -> pd.Series:
    """Return the fill colour of each municipality from its share of voters at a gap (0–1).

    Missing shares (no centre analysed) get :data:`NO_CENTRES_COLOUR`.
    """
    values = pd.to_numeric(share).to_numpy(dtype=float, na_value=np.nan)
    bounds = np.array([upper for upper, _, _ in GAP_CLASSES])
    colours = np.array([colour for _, colour, _ in GAP_CLASSES], dtype=object)
    index = np.clip(np.searchsorted(bounds, values, side="left"), 0, len(bounds) - 1)
    out = np.where(np.isnan(values), NO_CENTRES_COLOUR, colours[index])
    return pd.Series(out, index=share.index, dtype=object)


def _project(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(LIBYA_LCC)


def _extent(
    geoms: np.ndarray, aspect: float, pad: float = 0.08, min_size_m: float = 20_000.0
) -> tuple[float, float, float, float]:
    """Bounds around ``geoms`` padded and widened to the axes' width/height ratio."""
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    width = max(x1 - x0, min_size_m) * (1 + 2 * pad)
    height = max(y1 - y0, min_size_m) * (1 + 2 * pad)
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def _scale_bar(ax: Axes, extent: tuple[float, float, float, float], lang: Language) -> None:
    x0, x1, y0, y1 = extent
    target = (x1 - x0) / 5
    nice = np.array([1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500]) * 1000.0
    length = float(nice[nice <= target].max()) if (nice <= target).any() else target
    left, bottom = x0 + (x1 - x0) * 0.03, y0 + (y1 - y0) * 0.04
    ax.plot([left, left + length], [bottom, bottom], color=_OUTLINE, linewidth=3)
    ax.text(
        left + length / 2,
        bottom + (y1 - y0) * 0.015,
        f"{length / 1000:g} {translate('km', lang)}",
        ha="center",
        va="bottom",
        fontsize=8,
        path_effects=_HALO,
    )


def render_coverage_map(
    municipalities: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    share_gap: pd.Series,
    *,
    focus: Collection[str],
    centres: gpd.GeoDataFrame | None = None,
    labels: Mapping[str, str] | None = None,
    label_points: gpd.GeoSeries | None = None,
    lang: Language = "en",
    demo: bool = False,
    size_in: tuple[float, float] = (10.0, 6.2),
    dpi: int = 150,
) -> bytes:
    """Draw the municipalities coloured by the share of voters at a gap, as a PNG.

    Parameters
    ----------
    municipalities
        ``pcode`` and polygons (EPSG:4326); rows without a polygon are drawn as a dot at
        ``seat_lon``/``seat_lat`` when those columns exist.
    districts
        District polygons (EPSG:4326), drawn as context and outlines.
    share_gap
        Share of registered voters (0–1) whose centre is a ``gap``, indexed by municipality
        P-code; missing means no centre was analysed there.
    focus
        P-codes of the municipalities in the scope: the map is fitted to them, they are
        coloured, the others are greyed and the scope is outlined.
    centres
        Polling centres to draw as dots coloured by ``status`` (none when ``None``).
    labels
        Text per label point (e.g. district or municipality names), keyed like
        ``label_points``.
    label_points
        Where to write ``labels`` (EPSG:4326 points indexed by the same keys).
    lang
        Language of the legend.
    demo
        Print "DEMO — synthetic data" in a corner.
    size_in, dpi
        Image size in inches and resolution.

    Returns
    -------
    bytes
        The PNG image.
    """
    focus_codes = set(focus)
    munis = _project(municipalities[["pcode", "geometry"]].copy())
    has_polygon = ~(munis.geometry.isna() | munis.geometry.is_empty)
    in_focus = munis["pcode"].isin(focus_codes).to_numpy(bool)
    fills = gap_class_colours(munis["pcode"].map(share_gap))
    fig = _figure(size_in)
    ax = fig.add_subplot()
    ax.set_axis_off()
    districts_xy = _project(districts[["geometry"]].copy())
    districts_xy.plot(ax=ax, color=_CONTEXT_FILL, edgecolor=_EDGE, linewidth=0.6)

    polygons = munis[has_polygon.to_numpy(bool) & in_focus]
    if len(polygons):
        polygons.plot(ax=ax, color=list(fills[polygons.index]), edgecolor=_EDGE, linewidth=0.4)
    districts_xy.boundary.plot(ax=ax, color="#777777", linewidth=0.7)
    seats = _seat_points(municipalities[~has_polygon.to_numpy(bool) & in_focus])
    if len(seats):
        ax.scatter(
            seats.geometry.x,
            seats.geometry.y,
            s=40,
            c=list(fills[seats.index]),
            edgecolors=_OUTLINE,
            linewidths=0.5,
            zorder=3,
        )
    focus_geoms = munis.geometry[in_focus & has_polygon.to_numpy(bool)].to_numpy()
    if not len(focus_geoms):
        focus_geoms = districts_xy.geometry.to_numpy()
    outline = shapely.union_all(focus_geoms)
    gpd.GeoSeries([outline], crs=LIBYA_LCC).boundary.plot(ax=ax, color=_OUTLINE, linewidth=1.6)

    if centres is not None and len(centres):
        points = _project(centres[["status", "geometry"]].copy())
        colours = points["status"].map(dict(STATUS_COLOURS)).fillna("#777777")
        ax.scatter(
            points.geometry.x,
            points.geometry.y,
            s=14,
            c=list(colours),
            edgecolors="white",
            linewidths=0.4,
            zorder=4,
        )

    width_in, height_in = size_in
    # The legend takes about 2.3 inches beside the map.
    extent = _extent(focus_geoms, aspect=(width_in - 2.3) / (height_in * 0.95))
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    if labels and label_points is not None and len(label_points):
        where = label_points.to_crs(LIBYA_LCC)
        for key, point in where.items():
            text = labels.get(str(key))
            if not text or point is None or point.is_empty:
                continue
            if not (extent[0] < point.x < extent[1] and extent[2] < point.y < extent[3]):
                continue
            ax.text(
                point.x,
                point.y,
                text,
                ha="center",
                va="center",
                fontsize=8,
                path_effects=_HALO,
                zorder=5,
                parse_math=False,  # names are data: a "$" is a dollar sign, not TeX
            )
    _scale_bar(ax, extent, lang)
    _legend(fig, lang, with_centres=centres is not None and len(centres) > 0)
    if demo:
        ax.text(
            0.99,
            0.99,
            translate("DEMO — synthetic data", lang),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=9,
            color="#b41414",
            fontweight="bold",
            path_effects=_HALO,
        )
    return _png(fig, dpi)


def _seat_points(municipalities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Seats of municipalities without a polygon, projected (none without seat columns)."""
    if not {"seat_lon", "seat_lat"} <= set(municipalities.columns) or not len(municipalities):
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=LIBYA_LCC))
    points = gpd.GeoSeries.from_xy(
        municipalities["seat_lon"], municipalities["seat_lat"], crs="EPSG:4326"
    )
    return gpd.GeoDataFrame(geometry=points, index=municipalities.index).to_crs(LIBYA_LCC)


def _legend(fig: Figure, lang: Language, *, with_centres: bool) -> None:
    handles = [
        Patch(facecolor=colour, edgecolor="#999999", label=translate(label, lang))
        for _, colour, label in GAP_CLASSES
    ]
    handles.append(
        Patch(facecolor=NO_CENTRES_COLOUR, edgecolor="#999999", label=translate("no centres", lang))
    )
    if with_centres:
        handles += [
            Patch(facecolor=colour, edgecolor="white", label=translate(STATUS_LABELS[s], lang))
            for s, colour in STATUS_COLOURS.items()
        ]
    fig.legend(
        handles=handles,
        title=translate("Voters at centres with a protection gap", lang),
        loc="outside right lower" if lang == "en" else "outside left lower",
        fontsize=7,
        title_fontsize=8,
        frameon=False,
    )


def render_incident_chart(
    counts: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    title: str,
    order: Sequence[str] = (),
    lang: Language = "en",
    size_in: tuple[float, float] = (10.0, 4.0),
    dpi: int = 150,
) -> bytes:
    """Draw incidents per period, stacked by category, as a PNG bar chart.

    Parameters
    ----------
    counts
        ``period`` (text, in time order), ``category`` and ``incidents``.
    labels
        Display label of each category (already in the report language).
    title
        Legend title.
    order
        Categories in stacking and legend order (others follow, sorted).
    lang
        ``"ar"`` reverses the time axis (read right to left).
    size_in, dpi
        Image size in inches and resolution.

    Returns
    -------
    bytes
        The PNG image.
    """
    fig = _figure(size_in)
    ax = fig.add_subplot()
    table = counts.pivot_table(
        index="period", columns="category", values="incidents", aggfunc="sum", fill_value=0
    )
    periods: list[str] = list(dict.fromkeys(counts["period"]))
    table = table.reindex(periods)
    ordered = [c for c in order if c in table.columns]
    table = table[ordered + sorted(c for c in table.columns if c not in ordered)]
    positions = np.arange(len(periods))
    if lang == "ar":
        positions = positions[::-1]
    bottom = np.zeros(len(periods))
    palette = _category_palette(len(table.columns))
    for colour, category in zip(palette, table.columns, strict=True):
        values = table[category].to_numpy(dtype=float)
        ax.bar(
            positions,
            values,
            bottom=bottom,
            color=colour,
            label=labels.get(str(category), str(category)).replace("$", r"\$"),
            width=0.8,
        )
        bottom += values
    ax.set_xticks(
        positions, periods, rotation=45 if len(periods) > 8 else 0, fontsize=8, parse_math=False
    )
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylabel(translate("incidents", lang), fontsize=9)
    if len(table.columns):
        ax.legend(
            title=title,
            fontsize=7,
            title_fontsize=8,
            loc="upper left" if lang == "en" else "upper right",
            bbox_to_anchor=(1.01, 1.0) if lang == "en" else (-0.08, 1.0),
            frameon=False,
        )
    if lang == "ar":
        ax.yaxis.tick_right()
        ax.yaxis.set_label_position("right")
        ax.spines[["left"]].set_visible(False)
        ax.spines[["right"]].set_visible(True)
    return _png(fig, dpi)


def _category_palette(n: int) -> list[str]:
    base = [
        "#b2182b",
        "#d6604d",
        "#f4a582",
        "#fddbc7",
        "#4393c3",
        "#2166ac",
        "#92c5de",
        "#5aae61",
        "#a6dba0",
        "#999999",
        "#762a83",
        "#c2a5cf",
    ]
    return [base[i % len(base)] for i in range(n)]


# --- maps of a report ----------------------------------------------------------------


def _map_labels(data: ReportData, *, level: ScopeLevel) -> tuple[dict[str, str], gpd.GeoSeries]:
    """Names and label points: districts on national and region maps, else municipalities."""
    by_district = level in ("national", "region")
    source = data.all_districts if by_district else data.all_municipalities
    frame = source.drop_duplicates("pcode")
    if not by_district:
        frame = frame[frame["pcode"].astype("str").isin(data.area.municipalities).to_numpy(bool)]
    texts = {
        str(code): local_name(en, ar, data.lang)
        for code, en, ar in zip(frame["pcode"], frame["name_en"], frame["name_ar"], strict=True)
    }
    points = gpd.GeoSeries(frame.geometry.to_numpy(), crs=CRS).representative_point()
    points.index = pd.Index(frame["pcode"].astype("str").to_numpy())
    return texts, points


def _centres_with_status(data: ReportData) -> gpd.GeoDataFrame:
    table = data.result.centres
    status = pd.Series(table["status"].to_numpy(), index=table["centre_id"].astype("str"))
    layer = data.centres
    kept = layer[layer["centre_id"].astype("str").isin(status.index).to_numpy(bool)]
    return gpd.GeoDataFrame(
        {"status": kept["centre_id"].astype("str").map(status).to_numpy()},
        geometry=kept.geometry.to_numpy(),
        crs=CRS,
    )


def report_map(
    data: ReportData, *, size_in: tuple[float, float] = (10.0, 6.2), dpi: int = 150
) -> bytes:
    """Draw the static map of a report's scope as a PNG (no unit is ever drawn).

    Municipalities are coloured by the share of voters at a gap; national and region maps
    name the districts, district and municipality maps name the municipalities and show
    the polling centres coloured by coverage status.
    """
    level = data.options.scope.level
    labels, points = _map_labels(data, level=level)
    centres = _centres_with_status(data) if level in ("district", "municipality") else None
    return render_coverage_map(
        data.all_municipalities,
        data.all_districts,
        share_voters_gap_by_municipality(data.result),
        focus=data.area.municipalities,
        centres=centres,
        labels=labels,
        label_points=points,
        lang=data.lang,
        demo=data.is_demo,
        size_in=size_in,
        dpi=dpi,
    )
