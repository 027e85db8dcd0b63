"""Coverage reports and exports: Excel, CSV, GeoJSON, GeoPackage, PDF and briefing slides.

Every export starts from :func:`prepare_report`, which checks the viewer's permission,
analyses the whole workspace (units outside the scope still cover centres inside it),
then keeps the centres, incidents and units of the scope and of the filters
(:func:`geo.filters.apply_filters`, the same rules as the map page). The writers only see
the resulting :class:`ReportData`, in which the redaction is already done:

* without ``see_unit_positions`` (:mod:`geo.redaction`) there is no units layer at all,
  units appear only as counts per municipality, and every table and layer keeps only the
  columns of the allow-list :data:`geo.redaction.COLUMNS_WITHOUT_UNIT_POSITIONS` (never
  the distances to units, which, combined, would locate them; no new column until it is
  added to the list);
* incident rows that came from ACLED are never exported as rows (ACLED's terms allow
  aggregates only) and free-text descriptions never leave the workspace; when any incident
  came from ACLED, the attribution and the export date are printed.

Formats: :func:`excel_report` (real Excel tables, frozen headers, number formats, Arabic
and English names side by side, centre IDs as text), :func:`csv_table` (any table, via
:func:`geo.export.to_csv_bytes`), :func:`geojson_layer` and :func:`geopackage`
(:data:`GEO_LAYERS`), :func:`pdf_report` (the briefing report) and :func:`slides_pdf`
(the briefing page's slides). :func:`export_report` dispatches by format; every function
returns ``bytes``.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from geo.access import centre_access
from geo.coverage import (
    CoverageParams,
    CoverageResult,
    NeedList,
    Rollup,
    analyse_coverage,
    coverage_warnings,
    describe_models,
    need_list,
    rollup_coverage,
)
from geo.errors import InputError, PlannerError
from geo.export import neutralise_formulas, to_csv_bytes
from geo.filters import NO_ELECTION, MapFilters, apply_filters, area_pcodes
from geo.i18n import DIGITS, Digits, Language, NumberFormat, translate, with_digits
from geo.permissions import Viewer, require
from geo.redaction import (
    COUNT_COLUMNS,
    columns_for_viewer,
    coverage_for_viewer,
    require_unit_positions,
    unit_counts_by_municipality,
)
from geo.risk import RiskWeights, resolve_as_of
from geo.schema import CRS
from geo.vocabulary import ENGLISH_LABELS, election_label
from geo.workspace import Workspace, describe_layers

ScopeLevel = Literal["national", "region", "district", "municipality"]
ExportFormat = Literal["xlsx", "pdf", "csv", "geojson", "gpkg"]

SCOPE_LEVELS: tuple[ScopeLevel, ...] = get_args(ScopeLevel)
FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
MIME_TYPES: Mapping[ExportFormat, str] = MappingProxyType(
    {
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf",
        "csv": "text/csv",
        "geojson": "application/geo+json",
        "gpkg": "application/geopackage+sqlite3",
    }
)
#: Tables of the Excel report (sheets, in order) that :func:`csv_table` also writes.
TABLES: tuple[str, ...] = (
    "summary",
    "municipalities",
    "districts",
    "gaps",
    "officers_short",
    "women_short",
    "staffing",
    "accessibility",
    "incidents",
    "unit_counts",
    "units",
    "parameters",
    "versions",
)
#: The table of each list of need (:data:`geo.coverage.NEED_LISTS`).
NEED_TABLES: Mapping[NeedList, str] = MappingProxyType(
    {"gaps": "gaps", "officers": "officers_short", "women": "women_short"}
)
#: Layers of the GeoJSON and GeoPackage exports.
GEO_LAYERS: tuple[str, ...] = ("centres", "municipalities", "districts", "incidents", "units")
#: Sheet title of each table (English; translated for Arabic reports).
SHEET_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "summary": "Summary",
        "municipalities": "Municipalities",
        "districts": "Districts",
        "gaps": "Centres with no protection",
        "officers_short": "Centres short of officers",
        "women_short": "Too few female officers",
        "staffing": "Staffing",
        "accessibility": "Accessibility",
        "incidents": "Incidents",
        "unit_counts": "Units by municipality",
        "units": "Units",
        "parameters": "Parameters",
        "versions": "Data versions",
    }
)
STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "full": "Guarded and reachable",
        "guard_only": "Guard only",
        "response_only": "Response only",
        "gap": "Gap (neither)",
    }
)
LEVEL_LABELS: Mapping[ScopeLevel, str] = MappingProxyType(
    {
        "national": "National",
        "region": "Region",
        "district": "District",
        "municipality": "Municipality",
    }
)
CATEGORY_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "attack_on_centre": "Attack on a polling centre or office",
        "armed_interference": "Armed interference",
        "obstruction_of_voting": "Obstruction of voting",
        "intimidation": "Intimidation of voters, candidates or staff",
        "theft_destruction_of_materials": "Theft or destruction of materials",
        "violent_protest": "Violent protest",
        "hate_speech_misinformation": "Hate speech or misinformation",
        "registration_irregularity": "Registration irregularity",
        "monitor_neutrality_complaint": "Monitor neutrality complaint",
        "other": "Other",
    }
)
ACCESS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "accessible": "Accessible",
        "partial": "Partly accessible",
        "inaccessible": "Inaccessible",
        "unknown": "Not audited",
    }
)
TIER_LABELS: Mapping[str, str] = MappingProxyType(
    {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
)
UNIT_TYPE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "static_guard": "Static guards",
        "patrol": "Patrols",
        "rapid_response": "Rapid-response units",
        "checkpoint": "Checkpoints",
    }
)
#: Text printed with ACLED data (their attribution requirement), then the export date.
ACLED_ATTRIBUTION = (
    "Incident data from the Armed Conflict Location & Event Data Project (ACLED); "
    "www.acleddata.com. Shown as aggregates only."
)

_ACLED = re.compile("acled", re.IGNORECASE)
_ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_DEMO_TEXT = "DEMO — synthetic data"


class ReportError(PlannerError):
    """A report was asked for in a way that cannot be produced (unknown table or layer)."""


@dataclass(frozen=True)
class Figure:
    """One headline figure: a big value, its label and an optional note below."""

    label: str
    value: str
    note: str = ""


# --- scope and options -------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The area a report covers: the whole country, or one region, district or municipality.

    Written ``national`` or ``level:PCODE`` (e.g. ``district:LY-TB``), see
    :func:`parse_scope`.
    """

    level: ScopeLevel = "national"
    pcode: str | None = None

    def __post_init__(self) -> None:
        """Check that a national scope has no P-code and every other scope has one."""
        if self.level not in SCOPE_LEVELS:
            raise InputError(
                f"scope level must be one of {', '.join(SCOPE_LEVELS)}, not {self.level!r}"
            )
        if self.level == "national" and self.pcode:
            raise InputError("a national scope takes no P-code; write just 'national'")
        if self.level != "national" and not self.pcode:
            raise InputError(
                f"a {self.level} scope needs a P-code, e.g. '{self.level}:LY-TB' for a district"
            )

    def __str__(self) -> str:
        """Return the scope as written on the command line."""
        return "national" if self.level == "national" else f"{self.level}:{self.pcode}"

    def as_filters(self) -> MapFilters:
        """Return the map filters that select this area (none for the national scope)."""
        code = (str(self.pcode),)
        return MapFilters(
            regions=code if self.level == "region" else (),
            districts=code if self.level == "district" else (),
            municipalities=code if self.level == "municipality" else (),
        )


def parse_scope(text: str | None) -> Scope:
    """Return the scope written as ``national``, ``region:P``, ``district:P`` or ``municipality:P``.

    ``None`` or an empty text is the national scope.

    Raises
    ------
    InputError
        When the text is not one of these forms.
    """
    if text is None or not text.strip() or text.strip() == "national":
        return Scope()
    level, sep, pcode = text.strip().partition(":")
    if not sep or level not in SCOPE_LEVELS or level == "national" or not pcode.strip():
        raise InputError(
            f"scope {text!r} not understood; write national, region:PCODE, district:PCODE or "
            "municipality:PCODE (e.g. district:LY-TB)"
        )
    return Scope(level, pcode.strip())


@dataclass(frozen=True)
class ReportOptions:
    """What a report covers, for whom, in which language and with which parameters.

    Attributes
    ----------
    viewer
        Who asks: the role decides whether unit positions may be exported.
    scope
        Area of the report.
    filters
        Further choices (elections, categories, dates, centre types, ...). Their area
        fields are replaced by ``scope``.
    lang
        Language of labels, sheet names and PDF text.
    digits
        Digits of an Arabic report's headline figures: ``latn`` (0-9) or ``arab`` (٠-٩).
    params, weights, as_of
        Coverage parameters, risk model and analysis date (``YYYY-MM-DD``; ``None`` means
        the latest incident's day, see :func:`geo.risk.resolve_as_of`). Incidents after
        ``as_of`` are left out.
    generated_at
        Time stamp printed in the report; ``None`` means now (UTC).
    top_gaps
        Centres listed in the PDF's gap table.
    """

    viewer: Viewer
    scope: Scope = Scope()
    filters: MapFilters = MapFilters()
    lang: Language = "en"
    params: CoverageParams = CoverageParams()
    weights: RiskWeights = RiskWeights()
    as_of: str | None = None
    generated_at: pd.Timestamp | None = None
    top_gaps: int = 15
    digits: Digits = "latn"

    def __post_init__(self) -> None:
        """Reject a language or gap count that cannot be used."""
        if self.lang not in ("en", "ar"):
            raise InputError(f"report language must be en or ar, not {self.lang!r}")
        if self.digits not in DIGITS:
            raise InputError(f"report digits must be latn or arab, not {self.digits!r}")
        if self.top_gaps < 1:
            raise InputError(f"top_gaps must be at least 1, got {self.top_gaps}")

    @property
    def effective_filters(self) -> MapFilters:
        """The filters with the scope as their area."""
        area = self.scope.as_filters()
        return dataclasses.replace(
            self.filters,
            regions=area.regions,
            districts=area.districts,
            municipalities=area.municipalities,
        )


@dataclass(frozen=True)
class ScopeArea:
    """A scope resolved against the workspace: its names and municipality P-codes."""

    scope: Scope
    name_en: str
    name_ar: str
    municipalities: frozenset[str]

    def name(self, lang: Language) -> str:
        """Return the area's name in ``lang`` (the other language's when missing)."""
        first, second = (
            (self.name_ar, self.name_en) if lang == "ar" else (self.name_en, self.name_ar)
        )
        return first or second or str(self.scope)


@dataclass(frozen=True)
class AcledNote:
    """Incidents that came from ACLED: how many and when they were exported (or imported)."""

    rows: int
    date: str
    date_is_export: bool

    def text(self, lang: Language) -> str:
        """Return the attribution sentence with the date, in ``lang``."""
        when = (
            translate("ACLED export of {date}.", lang)
            if self.date_is_export
            else translate("ACLED data imported on {date} (export date not recorded).", lang)
        )
        return f"{translate(ACLED_ATTRIBUTION, lang)} {when.format(date=self.date)}"


@dataclass(frozen=True)
class ScopeFigures:
    """Headline figures of one area (all aggregates: safe for every role)."""

    centres: int
    stations: int
    stations_female: int
    stations_mixed: int
    voters: int
    voters_female: int
    centres_full: int
    centres_gap: int
    voters_full: int
    voters_gap: int
    officers_required: int
    officers_assigned: int
    shortfall: int
    female_officers_required: int
    female_officers_assigned: int
    female_shortfall: int
    centres_no_female_officer: int
    voters_accessible: int
    incidents: int
    incidents_by_election: tuple[tuple[str, int], ...]
    units: int
    unit_officers: int
    unit_female_officers: int

    @property
    def share_voters_gap(self) -> float:
        """Share of voters whose centre has neither guard nor response (0–1)."""
        return self.voters_gap / self.voters if self.voters else float("nan")

    @property
    def share_voters_full(self) -> float:
        """Share of voters whose centre is guarded and reachable (0–1)."""
        return self.voters_full / self.voters if self.voters else float("nan")

    @property
    def share_voters_accessible(self) -> float:
        """Share of voters whose centre is accessible (0–1)."""
        return self.voters_accessible / self.voters if self.voters else float("nan")


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows, filtered to its scope and redacted for its viewer.

    Attributes
    ----------
    options
        What was asked.
    area
        The scope resolved (names, municipality P-codes).
    generated_at
        Time stamp of the report (UTC).
    workspace_name, is_demo
        File name of the workspace and whether it is the synthetic demo.
    result
        The coverage analysis of the centres in scope (computed on the whole workspace;
        its per-centre table holds only the columns the viewer may get).
    centres, municipalities, districts
        Layers in scope (centres with geometry and names; polygons).
    all_regions, all_districts, all_municipalities
        Every region, district and municipality, for names and the maps' context.
    incidents
        Incidents in scope up to the analysis date (rows, for aggregates and charts).
    access
        ``centre_id``, ``access_status`` and ``audit_date`` of the centres in scope.
    by_municipality, by_district
        Roll-ups of ``result``.
    unit_counts
        Units, officers and vehicles per municipality (:data:`geo.redaction.COUNT_COLUMNS`).
    units
        The units layer in scope, **only** when the viewer may see positions, else ``None``.
    figures
        Headline figures of the scope.
    versions
        One row per layer: version, rows, source, when and by whom written.
    acled
        The ACLED attribution, when incidents came from ACLED.
    warnings
        Sentences about how the data were used.
    """

    options: ReportOptions
    area: ScopeArea
    generated_at: pd.Timestamp
    workspace_name: str
    is_demo: bool
    result: CoverageResult
    centres: gpd.GeoDataFrame
    municipalities: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    all_regions: gpd.GeoDataFrame
    all_districts: gpd.GeoDataFrame
    all_municipalities: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    access: pd.DataFrame
    by_municipality: Rollup
    by_district: Rollup
    unit_counts: pd.DataFrame
    units: gpd.GeoDataFrame | None
    figures: ScopeFigures
    versions: pd.DataFrame
    acled: AcledNote | None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lang(self) -> Language:
        """Language of the report."""
        return self.options.lang

    @property
    def shows_unit_positions(self) -> bool:
        """True when the viewer may see (and export) unit positions."""
        return self.units is not None

    def t(self, text: str) -> str:
        """Translate ``text`` into the report's language."""
        return translate(text, self.options.lang)

    @property
    def num(self) -> NumberFormat:
        """Numbers in the report's language and digits."""
        return NumberFormat(self.options.lang, self.options.digits)


# --- preparing the data ---------------------------------------------------------------


def analyse_workspace(
    workspace: Workspace,
    *,
    params: CoverageParams = CoverageParams(),
    weights: RiskWeights = RiskWeights(),  # noqa: B008 - frozen, never mutated
    as_of: str | pd.Timestamp | None = None,
) -> CoverageResult:
    """Run :func:`geo.coverage.analyse_coverage` on the workspace's layers.

    With its ``roads`` layer too (``params.reach`` decides whether it is used): the one
    analysis of a workspace for every page and report.
    """
    roads, roads_version = workspace.roads()
    return analyse_coverage(
        workspace.layer("centres"),
        workspace.layer("units"),
        workspace.layer("incidents"),
        workspace.layer("access_audits"),
        workspace.layer("municipalities"),
        params=params,
        weights=weights,
        as_of=as_of,
        roads=roads,
        roads_version=roads_version,
    )


def _names(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(English, Arabic) names indexed by P-code."""
    unique = frame.drop_duplicates("pcode")
    index = pd.Index(unique["pcode"].astype("str"))
    en = unique["name_en"] if "name_en" in unique.columns else pd.Series(None, index=unique.index)
    ar = unique["name_ar"] if "name_ar" in unique.columns else pd.Series(None, index=unique.index)
    return (
        pd.Series(en.astype("str").to_numpy(), index=index),
        pd.Series(ar.astype("str").to_numpy(), index=index),
    )


def resolve_scope(scope: Scope, workspace: Workspace) -> ScopeArea:
    """Return the names and municipalities of ``scope`` in ``workspace``.

    Raises
    ------
    InputError
        When the P-code is not in the workspace's layer of that level; the message lists
        a few valid codes.
    """
    municipalities = workspace.layer("municipalities")
    if scope.level == "national":
        codes = frozenset(municipalities["pcode"].astype("str"))
        return ScopeArea(scope, "Libya", "ليبيا", codes)
    layer = {"region": "regions", "district": "districts", "municipality": "municipalities"}[
        scope.level
    ]
    frame = workspace.layer(layer)
    known = frame["pcode"].astype("str") if "pcode" in frame.columns else pd.Series(dtype="str")
    if str(scope.pcode) not in set(known):
        examples = ", ".join(sorted(known)[:5]) or "none: import the layer first"
        raise InputError(
            f"{scope.level} {scope.pcode!r} is not in the workspace's {layer} layer; use one "
            f"of its P-codes (e.g. {examples}); 'python -m geo layers' lists the layers"
        )
    en, ar = _names(frame)
    codes = (
        area_pcodes(scope.as_filters(), municipalities, workspace.layer("districts")) or frozenset()
    )
    pcode = str(scope.pcode)
    return ScopeArea(scope, str(en[pcode]), str(ar[pcode]), codes)


def area_choices(workspace: Workspace, level: ScopeLevel, lang: Language) -> dict[str, str]:
    """Return P-code -> "name (P-code)" of every area of ``level``, sorted by name.

    The national level has no choice (an empty mapping).
    """
    if level == "national":
        return {}
    layer = {"region": "regions", "district": "districts", "municipality": "municipalities"}[level]
    frame = workspace.layer(layer)
    if not len(frame):
        return {}
    en, ar = _names(frame)
    labels = {code: f"{local_name(en[code], ar[code], lang) or code} ({code})" for code in en.index}
    return dict(sorted(labels.items(), key=lambda item: item[1]))


def _acled_note(incidents: pd.DataFrame, versions: pd.DataFrame) -> AcledNote | None:
    if not len(incidents) or "source" not in incidents.columns:
        return None
    source = incidents["source"].astype("str").fillna("")
    from_acled = source.str.contains(_ACLED).to_numpy(dtype=bool)
    if not from_acled.any():
        return None
    dates = source[from_acled].str.extract(_ISO_DATE, expand=False).dropna()
    if len(dates):
        return AcledNote(int(from_acled.sum()), str(dates.max()), True)
    row = versions[versions["layer"] == "incidents"] if "layer" in versions else versions.iloc[:0]
    written = str(row["written at"].iloc[0])[:10] if len(row) else "unknown"
    return AcledNote(int(from_acled.sum()), written, False)


def summarise_scope(
    table: pd.DataFrame,
    centres: pd.DataFrame,
    incidents: pd.DataFrame,
    unit_counts: pd.DataFrame,
) -> ScopeFigures:
    """Compute the headline figures of an area.

    Parameters
    ----------
    table
        Rows of :attr:`geo.coverage.CoverageResult.centres` of the area.
    centres
        The ``centres`` layer (stations and voters by sex are read from it, for the
        centres of ``table``).
    incidents
        Incidents of the area (``date``, ``election``).
    unit_counts
        :func:`geo.redaction.unit_counts_by_municipality` of the area's units.

    Returns
    -------
    ScopeFigures
        Sums over the area; ``incidents_by_election`` in the order of each election's
        first incident (incidents naming no election count under
        :data:`geo.filters.NO_ELECTION`).
    """
    unique = centres.drop_duplicates("centre_id")
    layer = unique.set_index(unique["centre_id"].astype("str"))
    ids = table["centre_id"].astype("str")

    def column_sum(name: str) -> int:
        if name not in layer.columns:
            return 0
        return int(pd.to_numeric(ids.map(layer[name])).fillna(0).sum())

    voters = table["registered_voters"].astype("Float64").fillna(0).to_numpy(dtype=float)
    status = table["status"].astype("str").to_numpy()
    full, gap = status == "full", status == "gap"
    no_woman = (table["female_officers_required"] > 0) & (table["female_officers_assigned"] == 0)
    accessible = (table["access_status"] == "accessible").to_numpy(dtype=bool)
    election = (
        incidents["election"].astype("str").fillna(NO_ELECTION)
        if len(incidents) and "election" in incidents.columns
        else pd.Series([], dtype="str")
    )
    by_election = election.value_counts()
    if len(election):
        # Elections in the order of their first incident, so the last is the latest.
        first = pd.to_datetime(incidents["date"]).groupby(election.to_numpy()).min()
        by_election = by_election.reindex(first.sort_values(kind="stable").index)
    return ScopeFigures(
        centres=len(table),
        stations=column_sum("stations_male")
        + column_sum("stations_female")
        + column_sum("stations_mixed"),
        stations_female=column_sum("stations_female"),
        stations_mixed=column_sum("stations_mixed"),
        voters=int(voters.sum()),
        voters_female=column_sum("voters_female"),
        centres_full=int(full.sum()),
        centres_gap=int(gap.sum()),
        voters_full=int(voters[full].sum()),
        voters_gap=int(voters[gap].sum()),
        officers_required=int(table["officers_required"].sum()),
        officers_assigned=int(table["officers_assigned"].sum()),
        shortfall=int(table["shortfall"].sum()),
        female_officers_required=int(table["female_officers_required"].sum()),
        female_officers_assigned=int(table["female_officers_assigned"].sum()),
        female_shortfall=int(table["female_shortfall"].sum()),
        centres_no_female_officer=int(no_woman.sum()),
        voters_accessible=int(voters[accessible].sum()),
        incidents=len(incidents),
        incidents_by_election=tuple((str(k), int(v)) for k, v in by_election.items()),
        units=int(unit_counts["units"].sum()) if len(unit_counts) else 0,
        unit_officers=int(unit_counts["officers"].sum()) if len(unit_counts) else 0,
        unit_female_officers=int(unit_counts["female_officers"].sum()) if len(unit_counts) else 0,
    )


def _matching_result(
    result: CoverageResult | None, workspace: Workspace, options: ReportOptions
) -> CoverageResult:
    """Return ``result`` when it was computed with the options' parameters, else analyse."""
    day = resolve_as_of(options.as_of)
    if result is None:
        return analyse_workspace(
            workspace, params=options.params, weights=options.weights, as_of=day
        )
    if (result.params, result.weights, result.as_of) != (options.params, options.weights, day):
        raise InputError(
            "the coverage result given was computed with other parameters or another date "
            "than the report options; pass the options' params, weights and as_of"
        )
    return result


def prepare_report(
    workspace: Workspace, options: ReportOptions, *, result: CoverageResult | None = None
) -> ReportData:
    """Analyse, filter to the scope and redact: the data every export writes.

    Parameters
    ----------
    workspace
        The workspace (every layer).
    options
        Scope, filters, language, viewer and parameters.
    result
        The analysis of the whole workspace with ``options.params``, ``weights`` and
        ``as_of`` when already computed (e.g. cached by a page); computed when ``None``.

    Returns
    -------
    ReportData
        Without unit positions unless ``options.viewer`` may see them.

    Raises
    ------
    AccessDeniedError
        The viewer may not export coverage (role ``viewer``).
    InputError
        An unknown scope P-code, or a result computed with other parameters.
    LayerMissingError
        The workspace has no centres or no units.
    """
    require(options.viewer, "export_coverage")
    # Fix the analysis day once, so that the data, the labels and the file name agree.
    day = resolve_as_of(options.as_of, workspace.layer("incidents"))
    options = dataclasses.replace(options, as_of=f"{day:%Y-%m-%d}")
    return _prepare(workspace, options, _matching_result(result, workspace, options))


def _prepare(workspace: Workspace, options: ReportOptions, full: CoverageResult) -> ReportData:
    """Filter ``full`` (the analysis of the whole workspace) to the scope and redact."""
    area = resolve_scope(options.scope, workspace)
    layers = apply_filters(workspace.layers, options.effective_filters)
    all_centres = workspace.layer("centres")

    kept = set(layers.centres["centre_id"].astype("str")) if len(layers.centres) else set()
    in_scope = full.centres["centre_id"].astype("str").isin(kept).to_numpy(bool)
    scoped = dataclasses.replace(full, centres=full.centres[in_scope].reset_index(drop=True))
    shown = dataclasses.replace(scoped, centres=columns_for_viewer(scoped.centres, options.viewer))

    incidents = layers.incidents
    if len(incidents):
        dated = (pd.to_datetime(incidents["date"]) <= full.as_of).to_numpy(bool)
        incidents = incidents[dated]

    municipalities = layers.municipalities
    districts = workspace.layer("districts")
    if options.scope.level != "national":
        wanted = set(municipalities["district_pcode"].astype("str"))
        districts = districts[districts["pcode"].astype("str").isin(wanted).to_numpy(bool)]
    by_municipality = rollup_coverage(
        scoped,
        layers.centres,
        incidents,
        municipalities,
        districts,
        by="municipality",
    )
    by_district = rollup_coverage(
        scoped, layers.centres, incidents, municipalities, districts, by="district"
    )
    unit_counts = unit_counts_by_municipality(layers.units, centres=all_centres)
    units: gpd.GeoDataFrame | None = None
    if options.viewer.can_see_unit_positions:
        units = gpd.GeoDataFrame(layers.units.copy())
    versions = describe_layers(workspace)
    when = options.generated_at
    generated_at = pd.Timestamp.now(tz="UTC").floor("s") if when is None else pd.Timestamp(when)
    return ReportData(
        options=options,
        area=area,
        generated_at=generated_at,
        workspace_name=Path(workspace.path).name,
        is_demo=workspace.is_demo,
        result=shown,
        centres=gpd.GeoDataFrame(layers.centres),
        municipalities=gpd.GeoDataFrame(municipalities),
        districts=gpd.GeoDataFrame(districts),
        all_regions=gpd.GeoDataFrame(workspace.layer("regions")),
        all_districts=gpd.GeoDataFrame(workspace.layer("districts")),
        all_municipalities=gpd.GeoDataFrame(workspace.layer("municipalities")),
        incidents=gpd.GeoDataFrame(incidents),
        access=centre_access(layers.centres, layers.audits if len(layers.audits) else None),
        by_municipality=by_municipality,
        by_district=by_district,
        unit_counts=unit_counts,
        units=units,
        figures=summarise_scope(shown.centres, layers.centres, incidents, unit_counts),
        versions=versions,
        acled=_acled_note(incidents, versions),
        warnings=coverage_warnings(full, options.viewer),
    )


# --- tables ------------------------------------------------------------------------


def _name_lookup(frame: pd.DataFrame, codes: pd.Series, prefix: str) -> pd.DataFrame:
    en, ar = _names(frame) if len(frame) else (pd.Series(dtype="str"), pd.Series(dtype="str"))
    text = codes.astype("str")
    return pd.DataFrame(
        {
            f"{prefix}name_en": text.map(en).to_numpy(),
            f"{prefix}name_ar": text.map(ar).to_numpy(),
        },
        index=codes.index,
    )


def _with_area_names(
    areas: pd.DataFrame, reference: pd.DataFrame, parent: tuple[str, pd.DataFrame] | None
) -> pd.DataFrame:
    """P-code, English and Arabic names (and the parent's) first, then the figures."""
    body = areas.drop(columns=[c for c in ("name_en",) if c in areas.columns])
    names = _name_lookup(reference, body["pcode"], "")
    parts = [body[["pcode"]], names]
    if parent is not None:
        column, parent_frame = parent
        unique = reference.drop_duplicates("pcode")
        lookup = unique.set_index(unique["pcode"].astype("str"))
        codes = body["pcode"].astype("str").map(lookup[column]) if column in lookup else None
        if codes is not None:
            parent_codes = pd.Series(codes.to_numpy(), index=body.index, name=column)
            prefix = column.removesuffix("pcode")
            parts += [parent_codes.to_frame(), _name_lookup(parent_frame, parent_codes, prefix)]
    parts.append(body.drop(columns=["pcode"]))
    return pd.concat(parts, axis=1)


def _centre_names(data: ReportData, table: pd.DataFrame) -> pd.DataFrame:
    """Centre names and municipality names for the ``centre_id`` column of ``table``."""
    layer = data.centres.drop_duplicates("centre_id")
    lookup = layer.set_index(layer["centre_id"].astype("str"))
    ids = table["centre_id"].astype("str")
    out = pd.DataFrame(index=table.index)
    for column in ("name_en", "name_ar"):
        out[column] = ids.map(lookup[column]).to_numpy() if column in lookup else None
    municipality = table["municipality_pcode"].astype("str")
    out["municipality_pcode"] = municipality.to_numpy()
    names = _name_lookup(data.all_municipalities, municipality, "municipality_")
    return pd.concat([out, names], axis=1)


def _centre_table(data: ReportData, table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    visible = coverage_for_viewer(table, data.options.viewer)
    names = _centre_names(data, visible)
    keep = [c for c in columns if c in visible.columns and c not in names.columns]
    lead = [c for c in ("rank", "centre_id") if c in visible.columns]
    return pd.concat([visible[lead], names, visible[keep]], axis=1).reset_index(drop=True)


_GAP_COLUMNS = (
    "status",
    "registered_voters",
    "risk_score",
    "risk_tier",
    "priority",
    "officers_required",
    "officers_assigned",
    "shortfall",
    "female_officers_required",
    "female_officers_assigned",
    "female_shortfall",
    "access_status",
    "nearest_static_km",
    "nearest_patrol_km",
    "patrol_response_min",
    "nearest_rapid_km",
    "rapid_response_min",
)
_STAFFING_COLUMNS = (
    "stations_male",
    "stations_female",
    "stations_mixed",
    "status",
    "officers_required",
    "officers_assigned",
    "shortfall",
    "female_officers_required",
    "female_officers_assigned",
    "female_shortfall",
)
_ACCESS_COLUMNS = (
    "registered_voters",
    "access_status",
    "audit_date",
    "nearest_accessible_centre_id",
    "nearest_accessible_km",
)
_UNIT_COLUMNS = (
    "unit_id",
    "agency",
    "unit_type",
    "assigned_centre_id",
    "municipality_pcode",
    "officers",
    "female_officers",
    "vehicles",
    "response_radius_km",
)


def need_table(data: ReportData, which: NeedList) -> pd.DataFrame:
    """One list of need (:func:`geo.coverage.need_list`) of the scope, most urgent first."""
    return _centre_table(data, need_list(data.result, data.centres, which), _GAP_COLUMNS)


def gaps_table(data: ReportData) -> pd.DataFrame:
    """Centres with no protection (status ``gap``), most urgent first."""
    return need_table(data, "gaps")


def staffing_table(data: ReportData) -> pd.DataFrame:
    """Every centre's officers and female officers: required, assigned and shortfall."""
    table = data.result.centres
    layer = data.centres.drop_duplicates("centre_id")
    lookup = layer.set_index(layer["centre_id"].astype("str"))
    stations = {
        c: table["centre_id"].astype("str").map(lookup[c]).to_numpy()
        for c in ("stations_male", "stations_female", "stations_mixed")
    }
    return _centre_table(data, table.assign(**stations), _STAFFING_COLUMNS)


def accessibility_table(data: ReportData) -> pd.DataFrame:
    """Every centre's access status, latest audit date and nearest accessible alternative."""
    table = data.result.centres
    dates = data.access.drop_duplicates("centre_id").set_index("centre_id")["audit_date"]
    audited = table.assign(audit_date=table["centre_id"].astype("str").map(dates).to_numpy())
    return _centre_table(data, audited, _ACCESS_COLUMNS)


def municipalities_table(data: ReportData) -> pd.DataFrame:
    """Coverage roll-up per municipality, names in both languages, unit counts at the end."""
    table = _with_area_names(
        data.by_municipality.areas,
        data.all_municipalities,
        ("district_pcode", data.all_districts),
    )
    counts = data.unit_counts.set_index("municipality_pcode")
    for column in COUNT_COLUMNS[1:]:
        table[column] = table["pcode"].astype("str").map(counts[column]).fillna(0).astype(np.int64)
    return table


def districts_table(data: ReportData) -> pd.DataFrame:
    """Coverage roll-up per district, names in both languages, unit counts at the end."""
    table = _with_area_names(
        data.by_district.areas, data.all_districts, ("region_pcode", data.all_regions)
    )
    municipalities = data.all_municipalities.drop_duplicates("pcode")
    district_of = pd.Series(
        municipalities["district_pcode"].astype("str").to_numpy(),
        index=municipalities["pcode"].astype("str").to_numpy(),
    )
    counts = data.unit_counts.assign(
        pcode=data.unit_counts["municipality_pcode"].astype("str").map(district_of)
    )
    summed = counts.groupby("pcode")[list(COUNT_COLUMNS[1:])].sum()
    for column in COUNT_COLUMNS[1:]:
        table[column] = table["pcode"].astype("str").map(summed[column]).fillna(0).astype(np.int64)
    return table


def incidents_table(data: ReportData) -> pd.DataFrame:
    """Incidents counted by municipality, election and category (never single incidents)."""
    long = data.by_municipality.incidents
    names = _name_lookup(data.all_municipalities, long["pcode"], "municipality_")
    return pd.DataFrame(
        {
            "municipality_pcode": long["pcode"].astype("str").to_numpy(),
            "municipality_name_en": names["municipality_name_en"].to_numpy(),
            "municipality_name_ar": names["municipality_name_ar"].to_numpy(),
            "election": long["election"].astype("str").to_numpy(),
            "category": long["category"].astype("str").to_numpy(),
            "incidents": long["incidents"].to_numpy(dtype=np.int64),
        }
    )


def unit_counts_table(data: ReportData) -> pd.DataFrame:
    """Units, officers and vehicles per municipality (no positions, no unit IDs)."""
    counts = data.unit_counts
    names = _name_lookup(data.all_municipalities, counts["municipality_pcode"], "municipality_")
    return pd.concat(
        [counts[["municipality_pcode"]], names, counts.drop(columns=["municipality_pcode"])],
        axis=1,
    )


def units_table(data: ReportData) -> pd.DataFrame:
    """Units with positions and assignments; only for viewers who may see unit positions.

    Raises
    ------
    AccessDeniedError
        For viewers without ``see_unit_positions``.
    """
    require_unit_positions(data.options.viewer)
    units = data.units if data.units is not None else gpd.GeoDataFrame()
    table = pd.DataFrame(units[[c for c in _UNIT_COLUMNS if c in units.columns]].copy())
    geometry = units.geometry if len(units) else gpd.GeoSeries([], crs=CRS)
    table["lon"] = geometry.x.round(6).to_numpy()
    table["lat"] = geometry.y.round(6).to_numpy()
    return table.reset_index(drop=True)


def parameters_table(data: ReportData) -> pd.DataFrame:
    """Every coverage parameter and risk weight with its value."""
    rows = [
        ("coverage", f.name, getattr(data.result.params, f.name))
        for f in fields(data.result.params)
    ]
    rows += [
        ("risk", f.name, getattr(data.result.weights, f.name)) for f in fields(data.result.weights)
    ]
    rows.append(("risk", "as_of", f"{data.result.as_of:%Y-%m-%d}"))
    rows.append(("coverage", "reach_models_used", describe_models(data.result)))
    return pd.DataFrame(
        {
            "model": [r[0] for r in rows],
            "parameter": [r[1] for r in rows],
            "value": [str(r[2]) for r in rows],
        }
    )


def versions_table(data: ReportData) -> pd.DataFrame:
    """Return the version, row count, source, time and author of every layer."""
    frame = data.versions.rename(columns={"written at": "written_at"})
    return frame.reset_index(drop=True)


def summary_table(data: ReportData) -> pd.DataFrame:
    """Return the report's facts as (item, value) rows: scope, filters, who, figures."""
    t = data.t
    opts = data.options
    f = data.figures
    rows: list[tuple[str, str]] = [
        (t("Report"), t("Polling security coverage report")),
        (t("Workspace"), data.workspace_name),
        (t("Synthetic demo data"), t("yes") if data.is_demo else t("no")),
        (t("Scope"), f"{t(LEVEL_LABELS[opts.scope.level])}: {data.area.name(data.lang)}"),
        (t("Scope code"), str(opts.scope)),
        (t("Scope (English)"), data.area.name_en),
        (t("Scope (Arabic)"), data.area.name_ar),
        (t("Filters"), describe_filters(opts.effective_filters, data.lang)),
        (t("Coverage as of"), f"{data.result.as_of:%Y-%m-%d}"),
        (t("Generated at"), f"{data.generated_at:%Y-%m-%d %H:%M} UTC"),
        (t("Generated by"), f"{opts.viewer.name} ({t('role')}: {opts.viewer.role})"),
        (t("Language"), opts.lang),
        (
            t("Security units"),
            t("positions and assignments included (role may see them)")
            if data.shows_unit_positions
            else t("counts per municipality only; positions and assignments withheld"),
        ),
        (t("Polling centres"), f"{f.centres:,}"),
        (t("Registered voters"), f"{f.voters:,}"),
        (t("Voters at centres with a protection gap"), format_share(f.share_voters_gap)),
        (t("Officer shortfall"), f"{f.shortfall:,}"),
        (t("Female officer shortfall"), f"{f.female_shortfall:,}"),
        (t("Incidents"), f"{f.incidents:,}"),
    ]
    if data.acled is not None:
        rows.append((t("ACLED"), data.acled.text(data.lang)))
    rows += [(t("Note"), w) for w in data.warnings]
    return pd.DataFrame({"item": [r[0] for r in rows], "value": [r[1] for r in rows]})


def describe_filters(filters: MapFilters, lang: Language) -> str:
    """Say in one line which filters are set ("none" when nothing is filtered)."""
    parts = []
    for f in fields(filters):
        value = getattr(filters, f.name)
        if value in ((), None):
            continue
        shown = ", ".join(value) if isinstance(value, tuple) else f"{value:%Y-%m-%d}"
        parts.append(f"{translate(f.name.replace('_', ' '), lang)}: {shown}")
    return "; ".join(parts) if parts else translate("none", lang)


def report_tables(data: ReportData) -> dict[str, pd.DataFrame]:
    """Every table of the report by name (:data:`TABLES`), machine column names.

    ``units`` is present only when the viewer may see unit positions.
    """
    return {
        name: _built(data, name) for name in TABLES if name != "units" or data.shows_unit_positions
    }


def _built(data: ReportData, name: str) -> pd.DataFrame:
    """Table ``name`` with only the columns the viewer may get (:mod:`geo.redaction`)."""
    return columns_for_viewer(_TABLE_BUILDERS[name](data), data.options.viewer)


_TABLE_BUILDERS: Mapping[str, Callable[[ReportData], pd.DataFrame]] = MappingProxyType(
    {
        "summary": summary_table,
        "municipalities": municipalities_table,
        "districts": districts_table,
        "gaps": gaps_table,
        "officers_short": lambda data: need_table(data, "officers"),
        "women_short": lambda data: need_table(data, "women"),
        "staffing": staffing_table,
        "accessibility": accessibility_table,
        "incidents": incidents_table,
        "unit_counts": unit_counts_table,
        "units": units_table,
        "parameters": parameters_table,
        "versions": versions_table,
    }
)


# --- labels ------------------------------------------------------------------------

_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "item": "Item",
        "value": "Value",
        "model": "Model",
        "parameter": "Parameter",
        "pcode": "P-code",
        "name_en": "Name (English)",
        "name_ar": "Name (Arabic)",
        "district_pcode": "District P-code",
        "district_name_en": "District (English)",
        "district_name_ar": "District (Arabic)",
        "region_pcode": "Region P-code",
        "region_name_en": "Region (English)",
        "region_name_ar": "Region (Arabic)",
        "municipality_pcode": "Municipality P-code",
        "municipality_name_en": "Municipality (English)",
        "municipality_name_ar": "Municipality (Arabic)",
        "centres": "Centres",
        "voters": "Registered voters",
        "registered_voters": "Registered voters",
        "officers_required": "Officers required",
        "officers_assigned": "Officers assigned",
        "shortfall": "Officer shortfall",
        "female_officers_required": "Female officers required",
        "female_officers_assigned": "Female officers assigned",
        "female_shortfall": "Female officer shortfall",
        "centres_no_female_officer": "Centres where women vote with no female officer",
        "risk_mean": "Mean risk score",
        "risk_max": "Highest risk score",
        "share_voters_accessible": "Share of voters at accessible centres",
        "incidents": "Incidents",
        "rank": "Rank",
        "centre_id": "Centre ID",
        "status": "Coverage status",
        "risk_score": "Risk score",
        "risk_tier": "Risk tier",
        "priority": "Priority (risk × voters)",
        "access_status": "Accessibility",
        "audit_date": "Latest audit",
        "nearest_accessible_centre_id": "Nearest accessible centre",
        "nearest_accessible_km": "Distance to it (km)",
        "stations_male": "Men's stations",
        "stations_female": "Women's stations",
        "stations_mixed": "Mixed stations",
        "election": "Election",
        "category": "Category",
        "nearest_static_km": "Nearest static guard (km)",
        "nearest_patrol_km": "Nearest patrol (km)",
        "nearest_rapid_km": "Nearest rapid-response unit (km)",
        "patrol_response_min": "Patrol response (min)",
        "rapid_response_min": "Rapid response (min)",
        "units": "Security units",
        "officers": "Officers",
        "female_officers": "Female officers",
        "vehicles": "Vehicles",
        "unit_id": "Unit ID",
        "agency": "Agency",
        "unit_type": "Unit type",
        "assigned_centre_id": "Assigned centre",
        "response_radius_km": "Response radius (km)",
        "lon": "Longitude",
        "lat": "Latitude",
        "layer": "Layer",
        "version": "Version",
        "rows": "Rows",
        "source": "Source",
        "written_at": "Written at",
        "author": "Author",
        # layers as stored, version history, audit log, scenarios, staffing pools
        "name": "Name",
        "centre_type": "Centre type",
        "voters_male": "Male voters",
        "voters_female": "Female voters",
        "latitude": "Latitude",
        "longitude": "Longitude",
        "source_file": "Source file",
        "note": "Note",
        "created_at": "Created at",
        "derived_from": "Derived from",
        "areas": "Areas",
        "pool_id": "Pool",
        "entry": "Entry",
        "at": "Time",
        "actor": "Who",
        "action": "Action",
        "target": "Target",
        "details": "Details",
        "username": "Username",
        "role": "Role",
        "disabled": "Disabled",
        "date": "Date",
        "description": "Description",
        # reach on roads (Coverage page, --compare-reach)
        "reachable": "Reachable",
        "guarded": "Guarded",
        "nearest_patrol_min": "Nearest patrol (min)",
        "nearest_rapid_min": "Nearest rapid-response unit (min)",
        "reach_model": "Reach model",
        "centres_changed": "Centres whose status changes",
        "voters_changed": "Voters whose centre's status changes",
        "centres_lost": "Centres that lose reach on roads",
        "voters_lost": "Voters whose centre loses reach on roads",
        "centres_gained": "Centres that gain reach on roads",
        "voters_gained": "Voters whose centre gains reach on roads",
        "centres_gap_straight": "Centres with a gap (straight lines)",
        "centres_gap_network": "Centres with a gap (roads)",
    }
)
#: Names of the layers (``layer`` column of the version history).
LAYER_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "regions": "Regions",
        "districts": "Districts",
        "municipalities": "Municipalities",
        "centres": "Polling centres",
        "units": "Security units",
        "incidents": "Incidents",
        "access_audits": "Accessibility audits",
        "roads": "Roads",
    }
)
#: What each audit action is called (``action`` of the audit log).
ACTION_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "login": "Signed in",
        "login_failed": "Sign-in failed",
        "login_locked": "Account locked",
        "logout": "Signed out",
        "import": "Import",
        "rollback": "Restore of a version",
        "scenario_save": "Scenario saved",
        "scenario_delete": "Scenario deleted",
        "export": "Export",
        "mapping_save": "Column mapping saved",
        "user_create_admin": "First administrator created",
        "user_add": "User added",
        "user_disable": "User disabled",
        "user_enable": "User enabled",
        "user_set_role": "Role changed",
        "user_reset_password": "Password reset",
        "user_unlock": "User unlocked",
        "user_end_sessions": "Sessions ended",
    }
)
_VALUE_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        # coverage statuses and a centre's own status share the column name
        "status": {**STATUS_LABELS, "open": "Open", "planned": "Planned", "closed": "Closed"},
        "risk_tier": TIER_LABELS,
        "access_status": ACCESS_LABELS,
        "category": CATEGORY_LABELS,
        "unit_type": UNIT_TYPE_LABELS,
        "centre_type": {code: names[0] for code, names in ENGLISH_LABELS["centre_type"].items()},
        "layer": LAYER_LABELS,
        "reach_model": {"network": "Road network", "straight": "Straight line"},
        "action": ACTION_LABELS,
        "role": {
            "admin": "Administrator",
            "planner": "Planner",
            "analyst": "Analyst",
            "briefer": "Briefer",
            "viewer": "Viewer",
            "operator": "Operator",
            "liaison": "Liaison",
        },
    }
)


def column_label(column: str, lang: Language) -> str:
    """Return the heading of ``column`` in ``lang``.

    A column without a heading here is looked up in the catalogue by its name (a page may
    have translated it so), else shown as it is.
    """
    if column in _LABELS:
        return translate(_LABELS[column], lang)
    for prefix, head, labels in (
        ("share_voters_", "Share of voters", STATUS_LABELS),
        ("voters_", "Voters", STATUS_LABELS),
        ("centres_", "Centres", STATUS_LABELS),
        ("incidents_", "Incidents", CATEGORY_LABELS),
        ("units_", "Security units", UNIT_TYPE_LABELS),
    ):
        rest = column.removeprefix(prefix)
        if rest != column and rest in labels:
            return f"{translate(head, lang)}: {translate(labels[rest], lang)}"
    return translate(column, lang)


def value_label(column: str, code: object, lang: Language) -> str:
    """Return a coded value of ``column`` (a status, a type, a layer ...) in ``lang``."""
    text = str(code)
    if column == "election":
        return election_label(text, lang)
    label = _VALUE_LABELS.get(column, {}).get(text)
    if label is None and text in ("yes", "no"):
        label = {"yes": "Yes", "no": "No"}[text]
    return text if label is None else translate(label, lang)


def labelled(table: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """Return ``table`` with headings and coded values (status, tier, ...) in ``lang``."""
    out = table.copy()
    for column, labels in _VALUE_LABELS.items():
        if column in out.columns:
            text = out[column].astype("str")
            out[column] = (
                text.map({code: translate(label, lang) for code, label in labels.items()})
                .fillna(text)
                .where(out[column].notna(), None)
            )
    if "election" in out.columns:
        out["election"] = [
            None if pd.isna(e) else election_label(str(e), lang) for e in out["election"]
        ]
    headings = [column_label(c, lang) for c in out.columns]
    seen: dict[str, int] = {}
    unique = []
    for heading in headings:
        seen[heading] = seen.get(heading, 0) + 1
        unique.append(heading if seen[heading] == 1 else f"{heading} ({seen[heading]})")
    out.columns = pd.Index(unique)
    return out


# --- CSV, Excel --------------------------------------------------------------------


def report_table(data: ReportData, name: str) -> pd.DataFrame:
    """Return table ``name`` (:data:`TABLES`) of the report, machine column names.

    Raises
    ------
    AccessDeniedError
        ``units`` asked by a viewer who may not see unit positions.
    ReportError
        An unknown table name.
    """
    if name not in _TABLE_BUILDERS:
        raise ReportError(
            f"no table called {name!r}; choose one of "
            + ", ".join(t for t in TABLES if t != "units")
            + (" or units" if data.shows_unit_positions else "")
        )
    return _built(data, name)


def csv_table(data: ReportData, name: str) -> bytes:
    """Return table ``name`` of the report as CSV (UTF-8 with BOM, formula-safe).

    Headings and coded values are in the report's language, as in the Excel sheet.
    """
    return to_csv_bytes(labelled(report_table(data, name), data.lang))


_TEXT_COLUMNS = {
    "centre_id",
    "pcode",
    "district_pcode",
    "municipality_pcode",
    "nearest_accessible_centre_id",
    "assigned_centre_id",
    "unit_id",
}


def _number_format(column: str, dtype: object) -> str | None:
    if column in _TEXT_COLUMNS:
        return "@"
    if column.startswith("share_"):
        return "0.0%"
    if column in ("lon", "lat"):
        return "0.000000"
    if column.endswith(("_km", "_min")) or column.startswith("risk_") or column == "risk_score":
        return "0.0"
    if column == "priority":
        return "#,##0"
    if pd.api.types.is_integer_dtype(dtype):  # type: ignore[arg-type]
        return "#,##0"
    if pd.api.types.is_float_dtype(dtype):  # type: ignore[arg-type]
        return "#,##0.0"
    return None


def _cell_values(table: pd.DataFrame) -> list[list[object]]:
    """Rows of plain Python values for xlsxwriter: missing values become ``None``."""
    columns = []
    for name in table.columns:
        column = table[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            values = [None if pd.isna(v) else v.to_pydatetime() for v in column]
        elif pd.api.types.is_bool_dtype(column):
            values = [None if pd.isna(v) else bool(v) for v in column.astype(object)]
        elif pd.api.types.is_numeric_dtype(column):
            array = pd.to_numeric(column).astype("Float64").to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
            values = [None if v is None or not np.isfinite(v) else v for v in array]
        else:
            values = column.astype(object).where(column.notna(), None).tolist()
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _width(heading: str, values: pd.Series) -> float:
    sample = values.dropna().astype("str").head(500)
    longest = int(sample.str.len().quantile(0.9)) if len(sample) else 0
    return float(min(max(len(heading) * 0.9, longest + 2, 8), 48))


def _write_table(
    book: xlsxwriter.Workbook,
    ws: Worksheet,
    table_name: str,
    table: pd.DataFrame,
    *,
    lang: Language,
    first_row: int = 0,
    freeze_columns: int = 1,
) -> None:
    """Write ``table`` as an Excel table at ``first_row`` of ``ws``.

    A table that starts the sheet sets the column widths and freezes its heading row and
    its first ``freeze_columns`` columns.
    """
    if lang == "ar":
        ws.right_to_left()
    shown = neutralise_formulas(labelled(table, lang))
    columns: list[dict[str, object]] = []
    for position, (name, heading) in enumerate(zip(table.columns, shown.columns, strict=True)):
        spec = _number_format(name, table[name].dtype)
        column: dict[str, object] = {"header": str(heading)}
        if spec:
            column["format"] = book.add_format({"num_format": spec})
        columns.append(column)
        if first_row == 0:
            ws.set_column(position, position, _width(str(heading), shown[heading]))
    rows = _cell_values(shown)
    ws.add_table(
        first_row,
        0,
        first_row + max(len(rows), 1),
        len(columns) - 1,
        {
            "name": table_name,
            "columns": columns,
            "data": rows or [[None] * len(columns)],
            "style": "Table Style Medium 2",
        },
    )
    if first_row == 0:
        ws.freeze_panes(1, freeze_columns)


def excel_report(data: ReportData) -> bytes:
    """Return the coverage report as an Excel workbook.

    Sheets: summary (scope, filters, dates, who, key figures, then the parameters and the
    data versions as tables), municipalities, districts, centres with gaps, staffing,
    accessibility, incidents by municipality × election × category, units by
    municipality, and the units themselves only for viewers who may see positions.
    Every table is a real Excel table with a frozen heading row; centre IDs and P-codes
    are text (leading zeros kept); text that a spreadsheet would run as a formula is
    written inert (:func:`geo.export.neutralise_formulas`) and as a string cell.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    book.set_properties(
        {
            "title": translate("Polling security coverage report", data.lang),
            "author": data.options.viewer.name,
            "comments": "DEMO — synthetic data" if data.is_demo else "",
        }
    )
    tables = report_tables(data)
    lang = data.lang
    summary = book.add_worksheet(_sheet_name("summary", lang))
    if lang == "ar":
        summary.right_to_left()
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    warning = book.add_format({"bold": True, "font_color": "#B41414"})
    summary.write_string(0, 0, translate("Polling security coverage report", lang), title)
    if data.is_demo:
        summary.write_string(1, 0, translate(_DEMO_TEXT, lang), warning)
    summary.set_column(0, 0, 34)
    summary.set_column(1, 1, 70)
    facts = neutralise_formulas(tables["summary"])
    row = 3
    for item, value in zip(facts["item"], facts["value"], strict=True):
        summary.write_string(row, 0, str(item), bold)
        summary.write_string(row, 1, str(value))
        row += 1
    row += 1
    summary.write_string(row, 0, translate("Parameters", lang), title)
    _write_table(book, summary, "Parameters", tables["parameters"], lang=lang, first_row=row + 1)
    row += len(tables["parameters"]) + 4
    summary.write_string(row, 0, translate("Data versions", lang), title)
    _write_table(book, summary, "DataVersions", tables["versions"], lang=lang, first_row=row + 1)
    for name in TABLES:
        if name in ("summary", "parameters", "versions") or name not in tables:
            continue
        freeze = 2 if name in NEED_TABLES.values() else 1
        _write_table(
            book,
            book.add_worksheet(_sheet_name(name, lang)),
            _excel_table_name(name),
            tables[name],
            lang=lang,
            freeze_columns=freeze,
        )
    if data.is_demo:
        # Printed sheets say it too, at the top of every page.
        for worksheet in book.worksheets():
            worksheet.set_header(f"&C&B{translate(_DEMO_TEXT, lang)}")
    book.close()
    return buffer.getvalue()


def _sheet_name(table: str, lang: Language) -> str:
    name = translate(SHEET_TITLES[table], lang)
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31]


def _excel_table_name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_"))


# --- GeoJSON, GeoPackage -----------------------------------------------------------


def geo_frames(data: ReportData) -> dict[str, gpd.GeoDataFrame]:
    """Return the report's layers with their results, filtered and redacted.

    Layers (:data:`GEO_LAYERS`): ``centres``, the analysed centres of the scope with their
    coverage results (no distances to units unless allowed); ``municipalities`` and
    ``districts``, polygons with their roll-ups and unit counts; ``incidents``, incident
    points in scope except rows from ACLED, without descriptions; ``units``, only for
    viewers who may see unit positions. Coordinates are WGS84 (EPSG:4326).
    """
    centres_layer = data.centres.drop_duplicates("centre_id")
    attributes = [
        c
        for c in (
            "centre_id",
            "name_ar",
            "name_en",
            "centre_type",
            "stations_male",
            "stations_female",
            "stations_mixed",
            "voters_male",
            "voters_female",
        )
        if c in centres_layer.columns
    ]
    results = coverage_for_viewer(data.result.centres, data.options.viewer)
    results = results.drop(columns=["guarded", "reachable"], errors="ignore")
    centres = gpd.GeoDataFrame(
        centres_layer[[*attributes, "geometry"]]
        .assign(centre_id=centres_layer["centre_id"].astype("str"))
        .merge(results, on="centre_id", how="inner"),
        geometry="geometry",
        crs=CRS,
    )
    frames: dict[str, gpd.GeoDataFrame] = {"centres": centres}
    for name, table, layer in (
        ("municipalities", municipalities_table(data), data.municipalities),
        ("districts", districts_table(data), data.districts),
    ):
        shapes = layer.drop_duplicates("pcode")[["pcode", "geometry"]].assign(
            pcode=lambda f: f["pcode"].astype("str")
        )
        frames[name] = gpd.GeoDataFrame(
            shapes.merge(table, on="pcode", how="left"), geometry="geometry", crs=CRS
        )
    incidents = data.incidents
    if len(incidents) and "source" in incidents.columns:
        incidents = incidents[
            ~incidents["source"].astype("str").fillna("").str.contains(_ACLED).to_numpy(bool)
        ]
    frames["incidents"] = gpd.GeoDataFrame(
        incidents.drop(columns=["description"], errors="ignore"), crs=CRS
    )
    if data.units is not None:
        frames["units"] = gpd.GeoDataFrame(
            data.units[[c for c in (*_UNIT_COLUMNS, "source") if c in data.units.columns]]
            .assign(geometry=data.units.geometry)
            .copy(),
            geometry="geometry",
            crs=CRS,
        )
    viewer = data.options.viewer
    return {name: gpd.GeoDataFrame(columns_for_viewer(f, viewer)) for name, f in frames.items()}


def _for_ogr(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Plain dtypes that every OGR driver takes; text made formula-safe."""
    out = frame.copy()
    for name in out.columns:
        if name == out.geometry.name:
            continue
        column = out[name]
        if pd.api.types.is_bool_dtype(column) and column.isna().any():
            out[name] = column.astype("Int64")
        elif pd.api.types.is_datetime64_any_dtype(column):
            out[name] = column.dt.strftime("%Y-%m-%d")
    return out


def geojson_layer(data: ReportData, name: str) -> bytes:
    """Return layer ``name`` of :func:`geo_frames` as GeoJSON (RFC 7946, UTF-8).

    Raises
    ------
    AccessDeniedError
        ``units`` asked by a viewer who may not see unit positions.
    ReportError
        An unknown layer name.
    """
    frames = _geo_frames_or_raise(data, name)
    buffer = io.BytesIO()
    pyogrio.write_dataframe(
        _for_ogr(frames[name]),
        buffer,
        driver="GeoJSON",
        layer=name,
        layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "6"},
    )
    return buffer.getvalue()


def _geo_frames_or_raise(data: ReportData, name: str) -> dict[str, gpd.GeoDataFrame]:
    if name == "units":
        require_unit_positions(data.options.viewer)
    if name not in GEO_LAYERS:
        raise ReportError(f"no layer called {name!r}; choose one of {', '.join(GEO_LAYERS)}")
    return geo_frames(data)


def geopackage(data: ReportData) -> bytes:
    """Return every layer of :func:`geo_frames` plus aggregate tables as one GeoPackage.

    Besides the layers, the file holds the tables ``summary``, ``incidents_by_municipality``
    and ``unit_counts`` (no geometry).
    """
    frames = geo_frames(data)
    with tempfile.TemporaryDirectory(prefix="psp-report-") as folder:
        path = Path(folder) / "report.gpkg"
        for name, frame in frames.items():
            pyogrio.write_dataframe(_for_ogr(frame), path, layer=name, driver="GPKG")
        for name, table in (
            ("summary", _built(data, "summary")),
            ("incidents_by_municipality", _built(data, "incidents")),
            ("unit_counts", _built(data, "unit_counts")),
        ):
            pyogrio.write_dataframe(table, path, layer=name, driver="GPKG")
        return path.read_bytes()


# --- helpers shared by the PDF, the maps and the briefing ---------------------------


def format_share(share: float) -> str:
    """Return a share (0–1) as a whole percentage: "<1%" when small but not nil, "–" if unknown."""
    if np.isnan(share):
        return "–"
    if 0 < share < 0.005:
        return "<1%"
    return f"{share:.0%}"


def local_name(en: object, ar: object, lang: Language) -> str:
    """Return the name in ``lang``, else the other language's, else an empty text."""
    first, second = (ar, en) if lang == "ar" else (en, ar)
    for value in (first, second):
        if isinstance(value, str) and value and value != "nan":
            return value
    return ""


def incidents_by_period(incidents: pd.DataFrame) -> pd.DataFrame:
    """Count incidents per month and category.

    Returns
    -------
    pandas.DataFrame
        ``period`` (``YYYY-MM``), ``category``, ``incidents``; every month between the
        first and the last incident appears (with ``other`` = 0 when it had none), so a
        chart's time axis has no holes.
    """
    if not len(incidents):
        return pd.DataFrame(
            {
                "period": pd.Series([], dtype="str"),
                "category": pd.Series([], dtype="str"),
                "incidents": pd.Series([], dtype=np.int64),
            }
        )
    month = pd.to_datetime(incidents["date"]).dt.to_period("M")
    counted = (
        pd.DataFrame({"period": month, "category": incidents["category"].astype("str")})
        .groupby(["period", "category"])
        .size()
        .rename("incidents")
        .reset_index()
    )
    months = pd.period_range(month.min(), month.max(), freq="M")
    filler = pd.DataFrame({"period": months, "category": "other", "incidents": 0})
    counted = pd.concat([counted, filler]).groupby(["period", "category"], as_index=False).sum()
    counted["period"] = counted["period"].astype("str")
    return counted.sort_values(["period", "category"]).reset_index(drop=True)


def share_voters_gap_by_municipality(result: CoverageResult) -> pd.Series:
    """Share of registered voters (0–1) whose centre is a ``gap``, per municipality P-code."""
    table = result.centres
    voters = table["registered_voters"].astype("Float64").fillna(0).astype(float)
    frame = pd.DataFrame(
        {
            "pcode": table["municipality_pcode"].astype("str"),
            "voters": voters,
            "gap": voters.where(table["status"] == "gap", 0.0),
        }
    )
    sums = frame.groupby("pcode")[["voters", "gap"]].sum()
    return (sums["gap"] / sums["voters"].where(sums["voters"] > 0)).astype(float)


# --- briefing slides ---------------------------------------------------------------


@dataclass(frozen=True)
class Slide:
    """One briefing slide: an area, its title and three or four big figures."""

    scope: Scope
    level: str
    title: str
    figures: tuple[Figure, ...]


def briefing_path(workspace: Workspace, municipality: str) -> tuple[Scope, ...]:
    """Scopes from the country down to ``municipality``: national, region, district, it.

    Levels the workspace cannot name (no region of the district) are skipped.
    """
    municipalities = workspace.layer("municipalities")
    rows = municipalities[municipalities["pcode"].astype("str") == municipality]
    if not len(rows):
        raise InputError(
            f"municipality {municipality!r} is not in the workspace; choose one of its "
            "municipalities"
        )
    district = str(rows["district_pcode"].iloc[0])
    districts = workspace.layer("districts")
    region_rows = districts[districts["pcode"].astype("str") == district]
    scopes = [Scope()]
    if (
        len(region_rows)
        and "region_pcode" in region_rows
        and pd.notna(region_rows["region_pcode"].iloc[0])
    ):
        region = str(region_rows["region_pcode"].iloc[0])
        if region in set(workspace.layer("regions")["pcode"].astype("str")):
            scopes.append(Scope("region", region))
    if len(region_rows):
        scopes.append(Scope("district", district))
    scopes.append(Scope("municipality", municipality))
    return tuple(scopes)


def busiest_municipality(result: CoverageResult) -> str | None:
    """Return the P-code of the municipality with the most analysed voters (``None``: none)."""
    table = result.centres
    if not len(table):
        return None
    voters = table["registered_voters"].astype("Float64").fillna(0).astype(float)
    sums = voters.groupby(table["municipality_pcode"].astype("str").to_numpy()).sum()
    return str(sums.sort_values(ascending=False, kind="stable").index[0])


def slide_for(data: ReportData) -> Slide:
    """Return the slide of a report's scope: its name and four figures for a projector."""
    t, f, n = data.t, data.figures, data.num.integer
    elections = " · ".join(
        f"{election_label(e, data.lang)}: {n(c)}" for e, c in f.incidents_by_election[-1:]
    )
    figures = (
        Figure(t("Polling centres"), n(f.centres), f"{t('Registered voters')}: {n(f.voters)}"),
        Figure(
            t("Voters at centres with a protection gap"),
            with_digits(format_share(f.share_voters_gap), data.lang, data.options.digits),
            f"{t('Centres with neither guard nor response')}: {n(f.centres_gap)}",
        ),
        Figure(
            t("Female officers assigned / required"),
            f"{n(f.female_officers_assigned)} / {n(f.female_officers_required)}",
            f"{t('Centres where women vote with no female officer')}: "
            f"{n(f.centres_no_female_officer)}",
        ),
        Figure(t("Incidents"), n(f.incidents), elections),
    )
    return Slide(
        scope=data.options.scope,
        level=t(LEVEL_LABELS[data.options.scope.level]),
        title=data.area.name(data.lang),
        figures=figures,
    )


def prepare_slides(
    workspace: Workspace,
    scopes: Sequence[Scope],
    options: ReportOptions,
    *,
    result: CoverageResult | None = None,
) -> tuple[ReportData, ...]:
    """Prepare one :class:`ReportData` per slide (same viewer, language and parameters).

    Raises
    ------
    AccessDeniedError
        The viewer may not see the briefing.
    """
    require(options.viewer, "see_briefing")
    full = _matching_result(result, workspace, options)
    return tuple(_prepare(workspace, dataclasses.replace(options, scope=s), full) for s in scopes)


# --- one entry for pages and the command line ----------------------------------------


def export_report(
    workspace: Workspace,
    fmt: ExportFormat,
    options: ReportOptions,
    *,
    table: str | None = None,
    result: CoverageResult | None = None,
) -> bytes:
    """Produce one export of the workspace as bytes.

    Parameters
    ----------
    workspace
        The workspace.
    fmt
        ``xlsx``, ``pdf``, ``csv`` (one table, default ``municipalities``), ``geojson``
        (one layer, default ``centres``) or ``gpkg`` (every layer).
    options
        Scope, filters, language, viewer, parameters.
    table
        Table (CSV, :data:`TABLES`) or layer (GeoJSON, :data:`GEO_LAYERS`).
    result
        A matching analysis of the whole workspace, when already computed.

    Raises
    ------
    AccessDeniedError
        The viewer may not export, or asked for units without seeing their positions.
    ReportError
        An unknown format, table or layer.
    """
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    data = prepare_report(workspace, options, result=result)
    if fmt == "xlsx":
        return excel_report(data)
    if fmt == "pdf":
        # fpdf2 and matplotlib load only for PDFs: CSV and GIS exports stay light.
        from geo.pdf import pdf_report

        return pdf_report(data)
    if fmt == "csv":
        return csv_table(data, table or "municipalities")
    if fmt == "geojson":
        return geojson_layer(data, table or "centres")
    return geopackage(data)


def report_file_name(options: ReportOptions, fmt: ExportFormat, table: str | None = None) -> str:
    """Return a file name saying what an export holds (``coverage_district-LY-TB_…``)."""
    scope = str(options.scope).replace(":", "-")
    scope = re.sub(r"[^A-Za-z0-9_.-]", "_", scope)
    part = f"_{table}" if table else ""
    day = resolve_as_of(options.as_of).strftime("%Y-%m-%d")
    return f"coverage_{scope}{part}_{day}_{options.lang}.{fmt}"
