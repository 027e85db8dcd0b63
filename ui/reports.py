"""Cached report data, slide maps and deferred export downloads for Reports and Briefing."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from geo.audit import record
from geo.coverage import CoverageResult
from geo.pdf import pdf_report, slides_pdf
from geo.reports import (
    MIME_TYPES,
    ExportFormat,
    ReportData,
    ReportOptions,
    Scope,
    csv_table,
    describe_filters,
    excel_report,
    geojson_layer,
    geopackage,
    prepare_report,
    prepare_slides,
    report_file_name,
)
from geo.staticmap import (
    ARABIC_FONT_FILES,
    LATIN_FONT_FILES,
    FontMissingError,
    find_font,
    report_map,
)
from geo.workspace import Workspace

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain(text: str) -> str:
    """Escape ``text`` from the data so that Streamlit's Markdown shows it as it is."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def _key(workspace: Workspace, options: ReportOptions) -> str:
    # The options hold the viewer, scope, filters, language and every parameter.
    return f"{workspace.stamp}|{options!r}"


@st.cache_data(max_entries=16, show_spinner="Preparing the report…")
def _report_data(
    key: str, _workspace: Workspace, _options: ReportOptions, _result: CoverageResult
) -> ReportData:
    del key
    return prepare_report(_workspace, _options, result=_result)


def report_data(workspace: Workspace, options: ReportOptions, result: CoverageResult) -> ReportData:
    """Return the report's data for ``options`` (cached per workspace version and options)."""
    return _report_data(_key(workspace, options), workspace, options, result)


@st.cache_data(max_entries=8, show_spinner="Preparing the slides…")
def _slides(
    key: str,
    _workspace: Workspace,
    scopes: tuple[Scope, ...],
    _options: ReportOptions,
    _result: CoverageResult,
) -> tuple[ReportData, ...]:
    del key
    return prepare_slides(_workspace, scopes, _options, result=_result)


def slides(
    workspace: Workspace,
    scopes: Sequence[Scope],
    options: ReportOptions,
    result: CoverageResult,
) -> tuple[ReportData, ...]:
    """Return one report's data per slide (cached per workspace version, areas and options)."""
    chosen = tuple(scopes)
    key = f"{_key(workspace, options)}|{chosen!r}"
    return _slides(key, workspace, chosen, options, result)


@st.cache_data(max_entries=64, show_spinner="Drawing the map…")
def _map_png(key: str, _data: ReportData, width_in: float, height_in: float, dpi: int) -> bytes:
    del key
    return report_map(_data, size_in=(width_in, height_in), dpi=dpi)


def map_png(
    workspace: Workspace,
    data: ReportData,
    *,
    size_in: tuple[float, float] = (12.0, 6.0),
    dpi: int = 110,
) -> bytes:
    """Return the static map of ``data``'s scope as a PNG (cached; never shows units)."""
    key = f"{_key(workspace, data.options)}|{data.result.params!r}"
    return _map_png(key, data, size_in[0], size_in[1], dpi)


@st.cache_data(max_entries=1, show_spinner=False)
def missing_pdf_font() -> str | None:
    """Return why PDFs cannot be made (a font is missing), or ``None`` when they can."""
    try:
        for file_name in (*ARABIC_FONT_FILES, *LATIN_FONT_FILES):
            find_font(file_name)
    except FontMissingError as exc:
        return str(exc)
    return None


def _export(data: ReportData, fmt: ExportFormat, table: str | None) -> bytes:
    if fmt == "xlsx":
        return excel_report(data)
    if fmt == "csv":
        return csv_table(data, table or "municipalities")
    if fmt == "geojson":
        return geojson_layer(data, table or "centres")
    if fmt == "gpkg":
        return geopackage(data)
    return pdf_report(data)


def _log_export(workspace: Workspace, data: ReportData, fmt: str, target: str) -> None:
    """Record the export in the workspace's audit log.

    Fails closed: a :class:`~geo.errors.StoreError` propagates, so the producer that
    calls this hands out no file whose export is not recorded.
    """
    options = data.options
    record(
        workspace.path,
        actor=options.viewer.name,
        action="export",
        target=target,
        details={
            "format": fmt,
            "scope": str(options.scope),
            "language": options.lang,
            "filters": describe_filters(options.effective_filters, "en"),
            "unit_positions": "included" if data.shows_unit_positions else "withheld",
            "role": options.viewer.role,
        },
        rows=data.figures.centres,
    )


def download(
    workspace: Workspace,
    data: ReportData,
    fmt: ExportFormat,
    *,
    table: str | None = None,
) -> tuple[Callable[[], bytes], str, str]:
    """Return (deferred producer, file name, MIME type) of one export of ``data``.

    The producer runs when the user clicks the download button (on another thread):
    it stamps the current time, makes the file and records the export in the audit log.
    """
    file_name = report_file_name(data.options, fmt, table)

    def produce() -> bytes:
        now = pd.Timestamp.now(tz="UTC").floor("s")
        content = _export(dataclasses.replace(data, generated_at=now), fmt, table)
        _log_export(workspace, data, fmt, file_name)
        return content

    return produce, file_name, MIME_TYPES[fmt]


def slides_download(
    workspace: Workspace, slides_data: Sequence[ReportData]
) -> tuple[Callable[[], bytes], str]:
    """Return (deferred producer, file name) of the slides as one PDF."""
    first = slides_data[0]
    file_name = report_file_name(first.options, "pdf", "briefing")

    def produce() -> bytes:
        content = slides_pdf(slides_data)
        _log_export(workspace, first, "pdf", file_name)
        return content

    return produce, file_name
