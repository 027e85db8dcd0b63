"""The only shared Streamlit code: page setup, viewer, language, cached loaders, map display.

Modules of this package hold the cached wrappers of one area each (``ui.coverage``, …);
this module holds what every page uses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.audit import record
from geo.errors import PlannerError
from geo.i18n import DIGITS, LANGUAGES, Digits, Language, NumberFormat, translate
from geo.permissions import Viewer
from geo.workspace import Workspace, open_workspace, workspace_stamp

APP_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKSPACE = APP_ROOT / "workspace" / "demo.gpkg"
WORKSPACE_ENV = "PSP_WORKSPACE"
LOCAL_ADMIN = Viewer(name="local admin", role="admin")
# The tab icon is a file of ours: a Material name would make the browser fetch it from Google.
FAVICON = Path(__file__).resolve().parent / "favicon.png"
# Every ASCII punctuation character: CommonMark lets a backslash escape each of them, and
# every Markdown construct (links, images, HTML, emphasis, GFM autolinks, Streamlit's
# :directives[] and $math$) needs at least one of them.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GFM autolink literals (``http://…``, ``www.…``, ``name@host.org``) are found in the text
# after the escapes are resolved, so a backslash cannot stop them: an invisible WORD JOINER
# (U+2060) before ``://``, after ``www`` and before ``@`` breaks them (applied after escaping).
_AUTOLINK_BREAKS = re.compile(r"(?=\\:\\/\\/|\\@)|(?i:(?<=www))(?=\\\.)")
_WORD_JOINER = "\u2060"


@dataclass(frozen=True)
class PageContext:
    """What every page gets from :func:`setup_page`."""

    lang: Language
    viewer: Viewer
    workspace: Workspace
    digits: Digits = "latn"

    def t(self, text: str) -> str:
        """Translate ``text`` into the page language."""
        return translate(text, self.lang)

    @property
    def num(self) -> NumberFormat:
        """Numbers and dates in the page language, with the viewer's digits."""
        return NumberFormat(self.lang, self.digits)


def md_escape(text: object) -> str:
    """Return ``text`` with a backslash before every ASCII punctuation character.

    Streamlit renders alerts, captions, headings, labels, metric values and tooltips as
    Markdown; text from the data or the URL goes through this function before it reaches
    one of them, so that ``[x](http://host/)`` shows as typed instead of a live link (and
    ``![x](…)`` as text instead of an image the browser fetches). A URL or an e-mail
    address in the text would still become a link (GFM autolinks ignore escapes), so an
    invisible word joiner goes inside ``://``, ``www.`` and ``@``. Elements that show text
    as typed (``st.text``, ``st.code``, tables, selectbox options) need no escaping.
    """
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", str(text))
    return _AUTOLINK_BREAKS.sub(_WORD_JOINER, escaped)


def workspace_path() -> Path:
    """Path of the workspace the app shows: ``$PSP_WORKSPACE`` or the built-in demo."""
    return Path(os.environ.get(WORKSPACE_ENV) or DEFAULT_WORKSPACE)


@st.cache_resource(max_entries=4, show_spinner="Loading the workspace…")
def _load_workspace(path: str, stamp: str) -> Workspace:
    # ``stamp`` is only part of the cache key: a new version of any layer reloads.
    del stamp
    return open_workspace(path)


def load_workspace() -> Workspace:
    """Return the current workspace, cached until any of its layers gets a new version.

    The frames are shared between sessions: copy before changing them.
    """
    path = workspace_path()
    return _load_workspace(str(path), workspace_stamp(path))


def current_viewer() -> Viewer:
    """Return who is looking: the signed-in user, or the local admin in single-user mode.

    Fails closed: in team mode, or when the request does not come from this machine
    directly (:func:`ui.auth.single_user_refusal`), nobody is the local admin.
    """
    viewer = st.session_state.get("viewer")
    if isinstance(viewer, Viewer):
        return viewer
    from ui.auth import SIGNED_OUT, USERS_ENV, single_user_refusal_here

    if os.environ.get(USERS_ENV, "").strip() or single_user_refusal_here() is not None:
        return SIGNED_OUT
    return LOCAL_ADMIN


def choose_language() -> Language:
    """Show the language choice in the sidebar; return the language (``?lang=`` at first)."""
    state = st.session_state
    if "lang" not in state:
        wanted = st.query_params.get("lang", "en")
        state["lang"] = wanted if wanted in LANGUAGES else "en"
    state["ui_lang"] = state["lang"]

    def remember() -> None:
        state["lang"] = state["ui_lang"]
        st.query_params["lang"] = state["ui_lang"]

    st.sidebar.radio(
        translate("Language", state["lang"]),
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key="ui_lang",
        horizontal=True,
        on_change=remember,
    )
    lang: Language = state["lang"]
    return lang


def choose_digits(lang: Language, viewer: Viewer) -> Digits:
    """Show the choice of digits for Arabic pages in the sidebar; return the choice.

    Remembered per user: in the users file for a signed-in user of a team deployment
    (:func:`geo.users.set_digits`), else in this session and the URL (``?digits=arab``).
    """
    from geo import users
    from ui.auth import team_config

    state = st.session_state
    users_path = None
    if viewer.name and viewer is not LOCAL_ADMIN:
        try:
            config = team_config()
        except PlannerError:
            config = None
        users_path = config.users_path if config is not None else None
    if "digits" not in state or state.get("digits_of") != viewer.name:
        record = users.get_user(users_path, viewer.name) if users_path else None
        wanted = record.digits if record else st.query_params.get("digits", "latn")
        state["digits"] = wanted if wanted in DIGITS else "latn"
        state["digits_of"] = viewer.name
    if lang != "ar":
        return "latn"
    state["ui_digits"] = state["digits"]

    def remember() -> None:
        state["digits"] = state["ui_digits"]
        st.query_params["digits"] = state["ui_digits"]
        if users_path:
            try:
                users.set_digits(users_path, viewer.name, state["ui_digits"], by=viewer)
            except (PlannerError, OSError) as exc:
                # The choice still holds for this session; say why it is not remembered.
                st.sidebar.warning(
                    f"{translate('The choice of digits is kept for this session only', lang)}: "
                    f"{md_escape(exc)}"
                )

    st.sidebar.radio(
        translate("Digits", lang),
        options=list(DIGITS),
        format_func=DIGITS.__getitem__,
        key="ui_digits",
        horizontal=True,
        on_change=remember,
    )
    digits: Digits = state["digits"]
    return digits


def preferred_digits() -> Digits:
    """Return the digits the viewer chose for Arabic, even while the page is in English.

    For Arabic reports asked for from an English page.
    """
    digits = st.session_state.get("digits")
    return digits if digits in DIGITS else "latn"


def current_digits() -> Digits:
    """Return the digits chosen in this session (by :func:`choose_digits`); 0-9 in English."""
    digits = st.session_state.get("digits")
    return digits if current_language() == "ar" and digits in DIGITS else "latn"


def current_language() -> Language:
    """Return the language chosen in this session (by :func:`choose_language`)."""
    lang = st.session_state.get("lang")
    return lang if lang in LANGUAGES else "en"


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` as a table is shown: headings and coded values in the page's language.

    :func:`geo.reports.labelled`, the one vocabulary of the reports, for every table a page
    shows (a column or code it does not know is shown as it is).
    """
    from geo.reports import labelled

    return labelled(frame, current_language())


def show_demo_banner(lang: Language) -> None:
    """Say clearly that the data is synthetic (shown on every page while the demo is loaded)."""
    st.warning(
        f"**{translate('DEMO — synthetic data', lang)}** · "
        + translate(
            "This workspace is a synthetic demo: centres, units, incidents and audits are "
            "invented. Place names and seats are real; municipality boundaries are approximate.",
            lang,
        ),
        icon=":material/warning:",
    )


def setup_page(title: str) -> PageContext:
    """Set up a page: its title, the workspace and the demo banner.

    The router (:mod:`ui.navigation`) has already chosen the language and checked who is
    signed in and that the viewer may open this page. Stops the page with a clear message
    when the workspace cannot be read.
    """
    lang = current_language()
    st.set_page_config(page_title=translate(title, lang))
    viewer = current_viewer()
    try:
        workspace = load_workspace()
    except PlannerError as exc:
        st.title(translate(title, lang))
        st.error(f"{translate('No workspace found', lang)}: {md_escape(exc)}")
        st.stop()
    if workspace.is_demo:
        show_demo_banner(lang)
    st.title(translate(title, lang))
    st.sidebar.caption(f"{translate('Workspace', lang)}: {md_escape(Path(workspace.path).name)}")
    return PageContext(lang=lang, viewer=viewer, workspace=workspace, digits=current_digits())


def show_map(
    build: Callable[[], folium.Map],
    *,
    key: str,
    height: int = 520,
    returned_objects: list[str] | None = None,
) -> dict[str, object] | None:
    """Show a folium map built by ``build`` with a stable key; return what the map reports."""
    result: dict[str, object] | None = st_folium(
        build(),
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=returned_objects or [],
    )
    return result


def audited_download(
    label: str,
    make: Callable[[], bytes],
    *,
    workspace: Workspace,
    viewer: Viewer,
    file_name: str,
    mime: str,
    key: str,
    rows: int,
    details: Mapping[str, str] | None = None,
) -> None:
    """Show a download button whose file is made, and the export recorded, on click.

    The click does not rerun the page (``on_click="ignore"``): Streamlit sends the rerun
    before it asks for the file, and a rerun that reaches the button first replaces the
    file's one-time ID, so the download would silently fail on a busy server.
    """

    def produce() -> bytes:
        content = make()
        record(
            workspace.path,
            actor=viewer.name,
            action="export",
            target=file_name,
            details=details,
            rows=rows,
        )
        return content

    st.download_button(label, produce, file_name=file_name, mime=mime, key=key, on_click="ignore")


def show_error(exc: PlannerError) -> None:
    """Show one of the app's own errors (as plain text: it may quote data) and stop the page."""
    st.error(md_escape(exc))
    st.stop()
