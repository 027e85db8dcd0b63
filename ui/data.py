"""Cached wrappers and blocks of the Data page: upload, preview, report, versions, edits.

Parsing and previews are cached by the upload's identity and the choices made, so a rerun
(a click elsewhere on the page) never parses a file twice. Writes are never cached.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

import ui
from geo.crosswalk import CrosswalkResult, crosswalk_table
from geo.errors import PlannerError
from geo.export import to_csv_bytes
from geo.imports import (
    PERMISSION_BY_LAYER,
    FormatChoice,
    FormatGuess,
    ImportMode,
    ImportOptions,
    ImportPreview,
    RecordAction,
    UnmatchedChoice,
    build_pick_map,
    build_preview_map,
    commit_import,
    default_mode,
    detect_format,
    fit_saved_mapping,
    layer_template,
    prepare_import,
    prepare_record,
    rejected_csv,
    report_csv,
    restore_layer,
    save_named_mapping,
)
from geo.io import KNOWN_SUFFIXES, ImportLimits, SourceFile, read_upload
from geo.mapping import (
    LATITUDE,
    LONGITUDE,
    ColumnMapping,
    dump_mapping,
    suggest_mapping,
    targets_of,
)
from geo.permissions import Viewer
from geo.reports import LAYER_LABELS, column_label, value_label
from geo.schema import LAYER_NAMES, LAYERS
from geo.store import BaseVersion, GeoPackageStore, LayerVersion
from geo.workspace import Workspace

Translate = Callable[[str], str]

#: Upload limit in MB (``$PSP_MAX_UPLOAD_MB``, default 100; the server's own limit is in
#: .streamlit/config.toml).
MAX_UPLOAD_ENV = "PSP_MAX_UPLOAD_MB"
UPLOAD_TYPES = sorted(s.lstrip(".") for s in KNOWN_SUFFIXES if s != ".shp")
EDITABLE_LAYERS = ("centres", "units", "incidents", "access_audits")
PICK_KEY = "data_edit_pick"
CONFIRM_KEY = "data_confirm_replace"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def limits() -> ImportLimits:
    """Return the import limits of this deployment."""
    megabytes = int(os.environ.get(MAX_UPLOAD_ENV, "100"))
    return ImportLimits(max_file_bytes=megabytes * 1024 * 1024)


def importable_layers(viewer: Viewer) -> list[str]:
    """Return the layers ``viewer`` may import or edit, in workspace order."""
    return [
        name
        for name in LAYER_NAMES
        if name in PERMISSION_BY_LAYER and viewer.can(PERMISSION_BY_LAYER[name])
    ]


@st.cache_data(max_entries=4, show_spinner="Reading the file…")
def _read(key: str, _data: bytes, name: str, max_bytes: int) -> SourceFile:
    del key  # the upload's identity is the cache key
    return read_upload(_data, name, limits=ImportLimits(max_file_bytes=max_bytes))


def read(uploaded: UploadedFile) -> SourceFile:
    """Return the uploaded file read (checked against the limits first), cached per upload."""
    key = f"{uploaded.file_id}|{uploaded.name}|{uploaded.size}"
    return _read(key, uploaded.getvalue(), uploaded.name, limits().max_file_bytes)


@st.cache_data(max_entries=8, show_spinner=False)
def _detect(key: str, _source: SourceFile) -> FormatGuess:
    del key
    return detect_format(_source)


def detect(source: SourceFile) -> FormatGuess:
    """Return what the file was recognised as (cached)."""
    return _detect(source.sha256, source)


def suggested_mapping(source: SourceFile, layer: str, table: str | None) -> ColumnMapping:
    """Return the proposed column mapping of a generic or HXL file."""
    return suggest_mapping(source.table(table), layer)


@st.cache_data(max_entries=8, show_spinner="Checking every row…")
def _preview(
    key: str,
    _source: SourceFile,
    layer: str,
    fmt: FormatChoice,
    pairs: tuple[tuple[str, str], ...] | None,
    swap: bool,
    mode: ImportMode | None,
    table: str | None,
    confirm: bool,
    unmatched: UnmatchedChoice,
    _workspace: Workspace,
    _viewer: Viewer,
) -> ImportPreview:
    del key
    mapping = None if pairs is None else ColumnMapping(pairs)
    options = ImportOptions(swap_coordinates=swap, mode=mode, table=table, confirm_replace=confirm,
                            unmatched=unmatched)  # fmt: skip
    return prepare_import(
        _source, layer, _workspace, _viewer, fmt=fmt, mapping=mapping, options=options
    )


def preview(
    source: SourceFile,
    layer: str,
    workspace: Workspace,
    viewer: Viewer,
    *,
    fmt: FormatChoice,
    mapping: ColumnMapping | None,
    swap: bool,
    mode: ImportMode | None,
    table: str | None,
    confirm: bool = False,
    unmatched: UnmatchedChoice = "new",
) -> ImportPreview:
    """Return the preview of importing ``source`` (cached per file, choices and version).

    ``confirm`` says the user confirmed a replace that removes most of the layer;
    ``unmatched`` what becomes of a municipality list's rows that match nothing.
    """
    pairs = None if mapping is None else mapping.pairs
    key = "|".join(
        [source.sha256, layer, fmt, repr(pairs), str(swap), str(mode), str(table),
         str(confirm), unmatched, workspace.stamp, viewer.name, viewer.role]
    )  # fmt: skip
    return _preview(key, source, layer, fmt, pairs, swap, mode, table, confirm, unmatched,
                    workspace, viewer)  # fmt: skip


@st.cache_data(max_entries=8, show_spinner=False)
def _suggested_mode(
    key: str,
    _source: SourceFile,
    layer: str,
    fmt: FormatChoice,
    pairs: tuple[tuple[str, str], ...] | None,
    table: str | None,
) -> ImportMode:
    del key
    mapping = None if pairs is None else ColumnMapping(pairs)
    return default_mode(_source, layer, fmt=fmt, mapping=mapping, table_name=table)


def suggested_mode(
    source: SourceFile,
    layer: str,
    fmt: FormatChoice,
    mapping: ColumnMapping | None,
    table: str | None,
) -> ImportMode:
    """Return the default way the file joins the layer (cached; a municipality list upserts).

    Boundary layers are replaced by default; ``upsert`` for ``municipalities`` means the
    file is a municipality list (names and seats, matched to the workspace's).
    """
    pairs = None if mapping is None else mapping.pairs
    key = "|".join([source.sha256, layer, fmt, repr(pairs), str(table)])
    return _suggested_mode(key, source, layer, fmt, pairs, table)


def replace_confirmed(scope: str) -> bool:
    """Return whether the box confirming a large removal is ticked for this ``scope``.

    ``scope`` names what was confirmed (file, layer, format, mode, table): any change of
    it unticks the box, so a confirmation never carries over to another import.
    """
    if st.session_state.get(f"{CONFIRM_KEY}_scope") != scope:
        st.session_state[f"{CONFIRM_KEY}_scope"] = scope
        st.session_state[CONFIRM_KEY] = False
    return bool(st.session_state.get(CONFIRM_KEY, False))


def ask_replace_confirmation(preview_: ImportPreview, t: Translate) -> None:
    """Say how many rows a replace would remove and show the box that confirms it.

    Shown only when the replace removes more than half of the layer; the import button
    stays disabled until the box is ticked (``preview_.can_commit``).
    """
    removal = preview_.large_removal
    if removal is None:
        return
    sentence = removal.describe()
    advice = t("Check that the file holds the whole layer, or choose to add and update by ID.")
    st.warning(ui.md_escape(f"{sentence[:1].upper()}{sentence[1:]}. {advice}"))
    st.checkbox(t("Replace the layer and remove these rows"), key=CONFIRM_KEY)


def commit(preview_: ImportPreview, viewer: Viewer) -> LayerVersion:
    """Store the preview as the next version of its layer (never cached)."""
    return commit_import(GeoPackageStore(ui.workspace_path()), preview_, viewer)


def restore(
    layer: str, version: int, viewer: Viewer, *, base_version: int | None = None
) -> LayerVersion:
    """Store an old version of ``layer`` again as its newest version.

    ``base_version``: the version the page showed as current; the restore is refused
    (naming who wrote in between) if the layer moved on since.
    """
    base: BaseVersion = "any" if base_version is None else base_version
    store = GeoPackageStore(ui.workspace_path())
    return restore_layer(store, layer, version, viewer, base_version=base)


def shown_version(layer: str, newest: int) -> int:
    """Return the current version of ``layer`` the user saw before this run; remember ``newest``.

    A click reruns the page, which reads the history again: what the user decided on is
    what the previous run showed.
    """
    key = "data_restore_shown"
    before = st.session_state.get(key)
    st.session_state[key] = (layer, newest)
    if isinstance(before, tuple) and before[0] == layer:
        return int(before[1])
    return newest


def history(layer: str) -> pd.DataFrame:
    """Return the versions of ``layer``, newest first."""
    versions = GeoPackageStore(ui.workspace_path()).versions(layer)
    return versions.iloc[::-1].reset_index(drop=True)


@st.cache_data(max_entries=32, show_spinner=False)
def template(layer: str, kind: str, lang: str) -> bytes:
    """Return a layer's template as CSV or XLSX with English or Arabic headers (cached)."""
    return layer_template(layer, kind=kind, lang=lang)  # type: ignore[arg-type]


def template_download(
    label: str, layer: str, kind: str, lang: str, *, workspace: Workspace, viewer: Viewer, key: str
) -> None:
    """Show the download button of a template; the download is recorded in the audit log."""
    ui.audited_download(
        label,
        lambda: template(layer, kind, lang),
        workspace=workspace,
        viewer=viewer,
        file_name=f"{layer}_template_{lang}.{kind}",
        mime="text/csv" if kind == "csv" else XLSX_MIME,
        key=key,
        rows=0,
        details={"format": kind, "table": "template", "layer": layer, "lang": lang},
    )


def _recorded_download(
    label: str,
    make: Callable[[], bytes],
    *,
    file_name: str,
    mime: str,
    key: str,
    rows: int,
    details: dict[str, str],
) -> None:
    """Show a download of the page's workspace, recorded for the signed-in viewer on click."""
    ui.audited_download(
        label,
        make,
        workspace=ui.load_workspace(),
        viewer=ui.current_viewer(),
        file_name=file_name,
        mime=mime,
        key=key,
        rows=rows,
        details=details,
    )


@st.cache_data(max_entries=4, show_spinner="Matching the list…")
def _crosswalk(key: str, _source: SourceFile, _workspace: Workspace) -> CrosswalkResult:
    del key
    return crosswalk_table(_source.table(), _workspace.layer("municipalities"))


def crosswalk(source: SourceFile, workspace: Workspace) -> CrosswalkResult:
    """Return the crosswalk of an uploaded municipality list (cached)."""
    return _crosswalk(f"{source.sha256}|{workspace.stamp}", source, workspace)


def show_mapping_editor(
    source: SourceFile, layer: str, table: str | None, t: Translate
) -> ColumnMapping:
    """Let the user map the file's columns onto the layer's columns; return the mapping.

    A mapping saved with ``--save-mapping`` (or the download below the step) may be
    uploaded: it sets every choice once, and they can be changed after.
    """
    proposal = suggested_mapping(source, layer, table).as_dict()
    columns = ["", *source.table(table).columns]
    chosen: dict[str, str] = {}
    targets = targets_of(layer)
    keys = {target: f"data_map_{source.sha256[:10]}_{layer}_{target}" for target in targets}
    saved = st.file_uploader(
        t("Use a saved column mapping (JSON)"), type=["json"], key="data_mapping_file"
    )
    if saved is not None:
        content = saved.getvalue()
        loaded = f"{hashlib.sha256(content).hexdigest()}|{source.sha256}|{layer}|{table}"
        if st.session_state.get("data_mapping_loaded") != loaded:
            fitted = fit_saved_mapping(source, layer, content, name=saved.name, table_name=table)
            for target, key in keys.items():
                st.session_state[key] = fitted.source_of(target) or ""
            st.session_state["data_mapping_loaded"] = loaded
    store = GeoPackageStore(ui.workspace_path())
    names = store.mapping_names(layer)
    if names:
        named = st.selectbox(
            t("Use a column mapping saved in the workspace"),
            ["", *names],
            format_func=lambda n: n or t("none"),
            key=f"data_mapping_named_{layer}",
        )
        loaded = f"name:{named}|{source.sha256}|{layer}|{table}"
        if named and st.session_state.get("data_mapping_loaded") != loaded:
            content = (store.read_mapping(layer, named) or "").encode("utf-8")
            fitted = fit_saved_mapping(source, layer, content, name=named, table_name=table)
            for target, key in keys.items():
                st.session_state[key] = fitted.source_of(target) or ""
            st.session_state["data_mapping_loaded"] = loaded
    grid = st.columns(4)
    for i, target in enumerate(targets):
        default = proposal.get(target, "")
        set_by_state = keys[target] in st.session_state  # e.g. by a saved mapping
        chosen[target] = grid[i % 4].selectbox(
            ui.md_escape(target),
            columns,
            index=columns.index(default) if default in columns and not set_by_state else 0,
            key=keys[target],
        )
    mapping = ColumnMapping.from_dict(chosen)
    st.download_button(
        t("Save this column mapping (JSON)"),
        dump_mapping(layer, mapping),
        file_name=f"mapping_{layer}.json",
        mime="application/json",
        key="data_mapping_download",
    )
    name_box, button = st.columns([3, 1], vertical_alignment="bottom")
    name = name_box.text_input(
        t("Name to save this column mapping under in the workspace"),
        max_chars=64,
        key="data_mapping_name",
    )
    if button.button(t("Save in the workspace"), key="data_mapping_save"):
        try:
            saved_as = save_named_mapping(store, layer, name, mapping, ui.current_viewer())
        except PlannerError as exc:
            st.error(ui.md_escape(str(exc)))
        else:
            st.success(f"{t('Column mapping saved')}: {ui.md_escape(saved_as)}")
    return mapping


def show_report(preview_: ImportPreview, t: Translate) -> None:
    """Show the report: a friendly error box, filters by severity and column, the table."""
    report = preview_.report
    errors, warnings = report.errors, report.warnings
    if errors and preview_.row_label == "record":
        st.error(
            t("The record cannot be saved")
            + ": "
            + ui.md_escape(
                "; ".join(f"{p.column}: {p.message}" if p.column else p.message for p in errors)
            )
        )
    elif errors:
        first = "; ".join(
            p.message
            if p.row is None
            else f"{preview_.row_label} {p.row}, column '{p.column}': {p.message}"
            for p in errors[:3]
        )
        st.error(
            f"{ui.md_escape(preview_.filename)}: {len(preview_.rejected):,} "
            f"{t('row(s) cannot be imported')}. {ui.md_escape(first)}"
        )
    frame = report.to_frame()
    if frame.empty:
        st.success(t("No problem found."))
        return
    left, right = st.columns(2)
    severities = left.multiselect(
        t("Show"), ["error", "warning"], default=["error", "warning"], key="data_report_severity"
    )
    columns = sorted(c for c in frame["column"].dropna().unique())
    only = right.multiselect(t("Columns"), columns, key="data_report_columns")
    shown = frame[frame["severity"].isin(severities)]
    if only:
        shown = shown[shown["column"].isin(only)]
    st.caption(f"{len(errors):,} {t('error(s)')}, {len(warnings):,} {t('warning(s)')}")
    st.dataframe(
        shown.drop(columns="layer"),
        hide_index=True,
        column_config={"message": st.column_config.TextColumn(width="large")},
        key="data_report_table",
    )
    _recorded_download(
        t("Download the report (CSV)"),
        lambda: report_csv(preview_),
        file_name=f"report_{preview_.layer}.csv",
        mime="text/csv",
        key="data_report_download",
        rows=len(preview_.report.problems),
        details={"format": "csv", "table": "import report", "file": preview_.filename,
                 "layer": preview_.layer},
    )  # fmt: skip


def show_preview(preview_: ImportPreview, t: Translate) -> None:
    """Show the figures, the difference, the rejected rows and the map of a preview."""
    cols = st.columns(5)
    cols[0].metric(t("Rows read"), f"{preview_.rows_read:,}")
    cols[1].metric(t("Accepted"), f"{len(preview_.accepted):,}")
    cols[2].metric(t("Rejected"), f"{len(preview_.rejected):,}")
    cols[3].metric(
        t("Added / changed"), f"{len(preview_.diff.added):,} / {len(preview_.diff.changed):,}"
    )
    cols[4].metric(t("Removed"), f"{len(preview_.diff.removed):,}")
    for note in preview_.notes:
        st.caption(f":material/info: {ui.md_escape(note)}")
    show_report(preview_, t)
    if len(preview_.rejected):
        _recorded_download(
            t("Download the rejected rows (CSV with a reason column)"),
            lambda: rejected_csv(preview_),
            file_name=f"rejected_{preview_.filename.rsplit('.', 1)[0]}.csv",
            mime="text/csv",
            key="data_rejected_download",
            rows=len(preview_.rejected),
            details={"format": "csv", "table": "rejected rows", "file": preview_.filename,
                     "layer": preview_.layer},
        )  # fmt: skip
    with st.expander(
        t("Difference from the current version") + f": {ui.md_escape(preview_.diff.summary())}"
    ):
        st.dataframe(preview_.diff.table(limit=1_000), hide_index=True, key="data_diff")
    if LAYERS[preview_.layer].geometry is not None and len(preview_.accepted):
        with st.expander(t("Preview on a map"), expanded=False):
            ui.show_map(lambda: build_preview_map(preview_), key="data_preview_map", height=420)


def record_fields(workspace: Workspace, layer: str, key_value: str | None) -> None:
    """Fill the edit form's session state from the record ``key_value`` (or empty it)."""
    current = workspace.layer(layer)
    schema = LAYERS[layer]
    row = None
    if key_value is not None and len(current):
        match = current[current[schema.key].astype(str) == key_value]
        row = match.iloc[0] if len(match) else None
    for name in (*schema.column_names, LONGITUDE, LATITUDE):
        value = ""
        if row is not None and name in row.index and pd.notna(row[name]):
            cell = row[name]
            if hasattr(cell, "strftime"):
                value = cell.strftime("%Y-%m-%d")
            elif isinstance(cell, bool | np.bool_):
                value = "yes" if cell else "no"
            else:
                value = str(cell)
        if row is not None and name in (LONGITUDE, LATITUDE) and schema.geometry == "point":
            point = row.geometry
            if point is not None and not point.is_empty:
                value = f"{point.x:.6f}" if name == LONGITUDE else f"{point.y:.6f}"
        st.session_state[f"data_edit_{layer}_{name}"] = value


def show_record_form(
    workspace: Workspace, layer: str, action: RecordAction, t: Translate
) -> dict[str, str]:
    """Show the fields of one record; return what was typed (field → text)."""
    schema = LAYERS[layer]
    lang = ui.current_language()
    names = [n for n in schema.column_names if n != "source"]
    if schema.geometry == "point":
        names += [LATITUDE, LONGITUDE]
    values: dict[str, str] = {}
    grid = st.columns(3)
    for i, name in enumerate(names):
        key = f"data_edit_{layer}_{name}"
        st.session_state.setdefault(key, "")
        column = schema.column(name) if name in schema.column_names else None
        disabled = action == "retire" or (action == "update" and name == schema.key)
        choices = column.allowed if column is not None else None
        if column is not None and column.kind == "bool":
            choices = ("yes", "no")
        if choices:
            options = ["", *choices]
            if st.session_state[key] not in options:
                st.session_state[key] = ""
            values[name] = grid[i % 3].selectbox(
                ui.md_escape(column_label(name, lang)),
                options,
                key=key,
                disabled=disabled,
                format_func=lambda v, c=name: value_label(c, v, lang) if v else "",
            )
        else:
            values[name] = grid[i % 3].text_input(
                ui.md_escape(column_label(name, lang)), key=key, disabled=disabled
            )
    return values


def pick_location(workspace: Workspace, layer: str) -> None:
    """Show a map whose last click sets the form's latitude and longitude.

    Call it before :func:`show_record_form`: the fields take the clicked point in the same
    run. A click is applied once, so typing coordinates afterwards is not overridden.
    """
    lat_key, lon_key = f"data_edit_{layer}_{LATITUDE}", f"data_edit_{layer}_{LONGITUDE}"
    try:
        chosen = (
            float(st.session_state.get(lat_key, "")),
            float(st.session_state.get(lon_key, "")),
        )
    except ValueError:
        chosen = None
    result = ui.show_map(
        lambda: build_pick_map(workspace.layer("districts"), point=chosen),
        key=PICK_KEY,
        height=380,
        returned_objects=["last_clicked"],
    )
    clicked = (result or {}).get("last_clicked")
    if not isinstance(clicked, dict) or clicked.get("lat") is None:
        return
    point = (round(float(clicked["lat"]), 6), round(float(clicked["lng"]), 6))
    if st.session_state.get(f"{PICK_KEY}_applied") != point:
        st.session_state[f"{PICK_KEY}_applied"] = point
        st.session_state[lat_key], st.session_state[lon_key] = f"{point[0]}", f"{point[1]}"
        st.rerun()  # draw the marker where the user clicked


def record_preview(
    workspace: Workspace, layer: str, action: RecordAction, values: dict[str, str], viewer: Viewer
) -> ImportPreview:
    """Check one record like an imported row (not cached: it is small)."""
    return prepare_record(workspace, layer, action, values, viewer)


def crosswalk_csv(result: CrosswalkResult) -> bytes:
    """Return the crosswalk as formula-safe CSV (UTF-8 with BOM)."""
    return to_csv_bytes(result.matches)


def show_editor(workspace: Workspace, layers: list[str], viewer: Viewer, t: Translate) -> None:
    """Add, correct or retire one record: form, map click, live report, save as a version."""
    left, right = st.columns(2)
    layer = left.selectbox(
        t("Layer"), layers, key="data_edit_layer", format_func=lambda x: t(LAYER_LABELS[x])
    )
    action = right.radio(
        t("Action"), ["add", "update", "retire"], horizontal=True, format_func=t,
        key="data_edit_action",
    )  # fmt: skip
    key_name = LAYERS[layer].key
    if action != "add":
        ids = workspace.layer(layer)[key_name].astype(str).tolist()
        picked = st.selectbox(
            ui.md_escape(column_label(key_name, ui.current_language())),
            ids,
            index=None,
            key="data_edit_id",
        )
        if (layer, picked) != st.session_state.get("data_edit_loaded"):
            st.session_state["data_edit_loaded"] = (layer, picked)
            record_fields(workspace, layer, picked)
    if LAYERS[layer].geometry == "point" and action != "retire":
        st.caption(t("Click the map to place the record, or type its coordinates."))
        pick_location(workspace, layer)
    values = show_record_form(workspace, layer, action, t)
    if action != "add":
        values[key_name] = st.session_state.get("data_edit_id") or ""
    if not values.get(key_name):
        st.caption(t("Give the record's ID to check it."))
        return
    try:
        checked = record_preview(workspace, layer, action, values, viewer)
        show_report(checked, t)
        if st.button(
            t("Save as a new version"), disabled=not checked.can_commit, type="primary",
            key="data_edit_save",
        ):  # fmt: skip
            saved = commit(checked, viewer)
            st.session_state["data_flash"] = (
                f"{layer} {values[key_name]}: {t(action)} — {t('version')} {saved.version}."
            )
            st.rerun()
    except PlannerError as exc:
        st.error(ui.md_escape(exc))


def show_crosswalk(workspace: Workspace, t: Translate) -> None:
    """Match an uploaded municipality list to the workspace; show and offer the result."""
    st.caption(
        t(
            "Match a municipality list with other codes (REACH, ISO, names only) to the "
            "workspace's municipalities: by code, then name, then location."
        )
    )
    listing = st.file_uploader(t("Municipality list"), type=["csv", "xlsx"], key="data_crosswalk")
    if listing is None:
        return
    try:
        found = crosswalk(read(listing), workspace)
    except PlannerError as exc:
        st.error(ui.md_escape(exc))
        return
    st.info(ui.md_escape(found.summary()))
    st.dataframe(found.matches, hide_index=True, key="data_crosswalk_table")
    with st.expander(t("Unmatched rows") + f" ({len(found.unmatched)})"):
        st.dataframe(found.unmatched, hide_index=True, key="data_crosswalk_unmatched")
    _recorded_download(
        t("Download the crosswalk (CSV)"),
        lambda: crosswalk_csv(found),
        file_name="crosswalk.csv",
        mime="text/csv",
        key="data_crosswalk_download",
        rows=len(found.matches),
        details={"format": "csv", "table": "municipality crosswalk"},
    )
