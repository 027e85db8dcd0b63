"""Data page: import files with one report, preview, commit, versions, templates, edits."""

import streamlit as st

import ui
from geo.errors import PlannerError
from geo.mapping import FORMAT_LABELS, FORMAT_NAMES
from geo.reports import LAYER_LABELS
from ui import data

page = ui.setup_page("Data")
t, ws, viewer = page.t, page.workspace, page.viewer
layers = data.importable_layers(viewer)
if not layers:
    st.info(t("Your role may not change data. Ask an administrator for a role that may."))
    st.stop()
if "data_flash" in st.session_state:
    st.success(ui.md_escape(st.session_state.pop("data_flash")))

tabs = st.tabs([t("Import a file"), t("Versions"), t("Edit a record"), t("Templates"),
                t("Municipality crosswalk")])  # fmt: skip

with tabs[0]:
    uploaded = st.file_uploader(t("File to import"), type=data.UPLOAD_TYPES, key="data_upload")
    st.caption(t("CSV, Excel, GeoJSON, GeoPackage or zipped shapefiles; at most")
               + f" {data.limits().max_file_bytes // 2**20} MB.")  # fmt: skip
    if uploaded is not None:
        try:
            source = data.read(uploaded)
            guess = data.detect(source)
            st.info(
                f"{t('Recognised as')}: **{ui.md_escape(guess.label)}** "
                f"({ui.md_escape(guess.reason)})"
            )
            if st.session_state.get("data_loaded") != source.sha256:
                st.session_state["data_loaded"] = source.sha256
                st.session_state["data_layer"] = guess.layer if guess.layer in layers else layers[0]
                st.session_state["data_swap"] = False
            left, mid, right = st.columns(3)
            layer = left.selectbox(
                t("Layer"), layers, format_func=lambda x: t(LAYER_LABELS[x]), key="data_layer"
            )
            fmt = mid.selectbox(
                t("Format"),
                ["auto", *FORMAT_NAMES],
                format_func=lambda f: t("recognise it") if f == "auto" else FORMAT_LABELS[f],
                key="data_format",
            )
            names = [tb.name for tb in source.tables]
            table = right.selectbox(t("Table"), names, key="data_table") if len(names) > 1 else None
            chosen = guess.format if fmt == "auto" else fmt
            mapping = None
            if chosen in ("generic", "hxl"):
                with st.expander(t("Column mapping"), expanded=True):
                    mapping = data.show_mapping_editor(source, layer, table, t)
            modes = ["upsert", "replace"]
            suggested = data.suggested_mode(source, layer, fmt, mapping, table)
            mode = st.radio(
                t("How the rows join the layer"),
                modes,
                index=modes.index(suggested),
                format_func=lambda m: (
                    t("add and update by ID, keep the others")
                    if m == "upsert"
                    else t("replace the whole layer")
                ),
                horizontal=True,
                key="data_mode",
            )
            unmatched = "new"
            if layer == "municipalities" and suggested == "upsert":  # a municipality list
                unmatched = st.radio(
                    t("Rows of a municipality list that match none of the workspace's"),
                    ["new", "reject"],
                    format_func=lambda u: (
                        t("add them as new municipalities (code X-…, not official)")
                        if u == "new"
                        else t("reject them, with the reason")
                    ),
                    horizontal=True,
                    key="data_unmatched",
                )
            swap = st.session_state.get("data_swap", False)
            confirm = data.replace_confirmed(f"{source.sha256}|{layer}|{fmt}|{mode}|{table}")
            result = data.preview(source, layer, ws, viewer, fmt=fmt, mapping=mapping,
                                  swap=swap, mode=mode, table=table, confirm=confirm,
                                  unmatched=unmatched)  # fmt: skip
            if len(result.swaps) or swap:
                st.warning(f"{len(result.swaps):,} " + t("row(s) have latitude and longitude "
                           "swapped: the points fall in Libya only when exchanged."))  # fmt: skip
                st.checkbox(t("Swap latitude and longitude in these rows"), key="data_swap")
            data.show_preview(result, t)
            data.ask_replace_confirmation(result, t)
            if st.button(
                t("Import as a new version"),
                type="primary",
                disabled=not result.can_commit,
                key="data_commit",
            ):
                version = data.commit(result, viewer)
                st.session_state["data_flash"] = (
                    f"{layer}: {t('version')} {version.version} {t('stored')} "
                    f"({version.rows:,} {t('rows')}). {result.diff.summary()}"
                )
                st.rerun()
        except PlannerError as exc:
            st.error(ui.md_escape(exc))

with tabs[1]:
    chosen_layer = st.selectbox(
        t("Layer"), layers, key="data_versions_layer", format_func=lambda x: t(LAYER_LABELS[x])
    )
    history = data.history(chosen_layer)
    st.dataframe(ui.table(history), hide_index=True, key="data_versions_table")
    if len(history) < 2:
        st.caption(t("Only one version is stored: there is nothing to restore yet."))
    else:
        older = [int(v) for v in history["version"].iloc[1:]]
        back = st.selectbox(t("Version to restore"), older, key="data_restore_version")
        shown = data.shown_version(chosen_layer, int(history["version"].iloc[0]))
        if st.button(t("Restore this version"), key="data_restore"):
            try:
                restored = data.restore(chosen_layer, back, viewer, base_version=shown)
            except PlannerError as exc:
                st.error(ui.md_escape(exc))
            else:
                st.session_state["data_flash"] = (
                    f"{chosen_layer}: {t('version')} {back} {t('restored as version')} "
                    f"{restored.version}."
                )
                st.rerun()

with tabs[2]:
    data.show_editor(ws, [n for n in data.EDITABLE_LAYERS if n in layers], viewer, t)

with tabs[3]:
    template_layer = st.selectbox(
        t("Layer"), layers, format_func=lambda x: t(LAYER_LABELS[x]), key="data_template_layer"
    )
    cols = st.columns(4)
    for i, (kind, lang) in enumerate(
        [("csv", "en"), ("csv", "ar"), ("xlsx", "en"), ("xlsx", "ar")]
    ):
        with cols[i]:
            data.template_download(
                f"{kind.upper()} · {'English' if lang == 'en' else 'العربية'}",
                template_layer, kind, lang, workspace=ws, viewer=viewer,
                key=f"data_template_{kind}_{lang}",
            )  # fmt: skip

with tabs[4]:
    data.show_crosswalk(ws, t)
