"""The router: sign-in, language and the pages each role may open (``st.navigation``).

``app.py`` calls :func:`run` on every rerun, before any page runs. Every page of the app is
listed once in :data:`PAGES`, with its URL, title, icon and the permissions that open it;
the navigation menu and the home page's links show only the pages the viewer may open,
and a page opened by its URL without the permission shows a refusal instead of running.

The page scripts live in ``views/``, not ``pages/``: with a ``pages/`` folder Streamlit
runs a page's file directly (bypassing this router) until the first session has called
``st.navigation``, so a visitor of a freshly started server could open ``/Map`` unsigned.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

import ui
from geo.i18n import N_, is_rtl, translate
from geo.imports import PERMISSION_BY_LAYER
from geo.permissions import Permission, Viewer
from geo.reports import value_label
from ui.auth import require_login

VIEWS = "views"


@dataclass(frozen=True)
class PageEntry:
    """One page of the app: where it is, what it is called and who may open it."""

    script: str
    #: URL path below the app's root (``""`` for the home page): ``/Map``, ``/Admin``, …
    url_path: str
    #: English title (translated with :func:`geo.i18n.translate`).
    title: str
    #: One of Streamlit's bundled Material icons (no request leaves the machine).
    icon: str
    #: What the page is for, under its link on the home page.
    summary: str
    #: The viewer needs at least one of these; empty means everyone signed in.
    needs_any: frozenset[Permission] = frozenset()
    #: Shown instead of the page to a viewer without the permission.
    refusal: str = ""

    def allows(self, viewer: Viewer) -> bool:
        """Whether ``viewer`` may open this page."""
        return not self.needs_any or any(viewer.can(p) for p in self.needs_any)


HOME = PageEntry(
    f"{VIEWS}/home.py",
    "",
    N_("Home"),
    ":material/home:",
    N_("What the workspace holds, its key figures and each layer's source"),
)
PAGES: tuple[PageEntry, ...] = (
    HOME,
    PageEntry(
        f"{VIEWS}/map.py",
        "Map",
        N_("Map"),
        ":material/map:",
        N_("Every layer on one map, with filters and a centre's details"),
    ),
    PageEntry(
        f"{VIEWS}/coverage.py",
        "Coverage",
        N_("Coverage"),
        ":material/shield:",
        N_("Coverage, staffing and risk of every centre"),
    ),
    PageEntry(
        f"{VIEWS}/plan.py",
        "Plan",
        N_("Plan"),
        ":material/explore:",
        N_("Plan deployments and compare scenarios"),
        frozenset({"plan"}),
        N_("Planning needs the 'plan' permission (roles planner and admin); ask an administrator."),
    ),
    PageEntry(
        f"{VIEWS}/data.py",
        "Data",
        N_("Data"),
        ":material/upload_file:",
        N_("Import and correct data"),
        # Whoever may import at least one layer (geo.imports decides which layers).
        frozenset(PERMISSION_BY_LAYER.values()),
        N_("Your role may not change data. Ask an administrator for a role that may."),
    ),
    PageEntry(
        f"{VIEWS}/reports.py",
        "Reports",
        N_("Reports"),
        ":material/description:",
        N_("Reports and exports"),
        frozenset({"export_coverage"}),
        N_(
            "Your role may not export reports. "
            "Ask an administrator for the analyst or briefer role."
        ),
    ),
    PageEntry(
        f"{VIEWS}/briefing.py",
        "Briefing",
        N_("Briefing"),
        ":material/slideshow:",
        N_("Briefing for the Security Track"),
        frozenset({"see_briefing"}),
        N_("Your role may not see the briefing. Ask an administrator for the briefer role."),
    ),
    PageEntry(
        f"{VIEWS}/operations.py",
        "Operations",
        N_("Operations"),
        ":material/crisis_alert:",
        N_("Election day: live incidents, centre status and dispatch"),
        frozenset({"see_operations"}),
        N_(
            "The operations room is open to operators, liaisons, planners and administrators; "
            "ask an administrator for the operator or liaison role."
        ),
    ),
    PageEntry(
        f"{VIEWS}/admin.py",
        "Admin",
        N_("Administration"),
        ":material/admin_panel_settings:",
        N_("Users and audit log"),
        frozenset({"manage_users", "read_audit_log"}),
        N_("Only administrators may open this page: it shows the audit log and manages users."),
    ),
)

# Static CSS (no data in it) that turns the page right to left for Arabic.
_RTL_CSS = """
<style>
[data-testid="stMain"], [data-testid="stSidebarContent"] { direction: rtl; text-align: right; }
/* Charts mirror themselves (axis on the right, reversed scale): no page direction inside. */
[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"] { direction: ltr; }
</style>
"""


def offered(viewer: Viewer) -> list[PageEntry]:
    """Return the pages ``viewer`` may open, in menu order (the home page first)."""
    return [entry for entry in PAGES if entry.allows(viewer)]


def run() -> None:
    """Route this rerun: page config, language, sign-in, the menu, then the page itself.

    A page the viewer may not open is still registered, hidden from the menu, so that its
    URL shows the refusal (and nothing of the page) rather than Streamlit's "page not
    found" and the home page.
    """
    st.set_page_config(page_icon=str(ui.FAVICON), layout="wide")
    lang = ui.choose_language()
    if is_rtl(lang):
        st.markdown(_RTL_CSS, unsafe_allow_html=True)
    viewer = require_login(lang)
    ui.choose_digits(lang, viewer)
    # The local administrator has no name of its own: called by its role, in the language.
    name = translate("the local administrator", lang) if viewer is ui.LOCAL_ADMIN else viewer.name
    st.sidebar.caption(
        f"{translate('Signed in as', lang)} **{ui.md_escape(name)}** "
        f"({translate('role', lang)}: {ui.md_escape(value_label('role', viewer.role, lang))})"
    )
    if viewer is ui.LOCAL_ADMIN:
        st.sidebar.info(
            translate("Single-user mode: you are the local administrator of this machine.", lang)
        )
    pages = {
        entry.url_path: st.Page(
            entry.script,
            title=translate(entry.title, lang),
            icon=entry.icon,
            url_path=entry.url_path or None,
            default=entry is HOME,
            visibility="visible" if entry.allows(viewer) else "hidden",
        )
        for entry in PAGES
    }
    chosen = st.navigation(list(pages.values()))
    at = next(i for i, e in enumerate(PAGES) if pages[e.url_path] is chosen)
    if not PAGES[at].allows(viewer):
        st.title(translate(PAGES[at].title, lang))
        st.info(translate(PAGES[at].refusal, lang), icon=":material/lock:")
        st.stop()
    chosen.run()
