"""Administration: read, filter and export the audit log; manage the users of a team."""

import streamlit as st

import ui
from geo.audit import ACTIONS, read_log
from geo.errors import PlannerError
from geo.export import to_csv_bytes
from geo.permissions import ROLES
from geo.reports import ACTION_LABELS, value_label
from geo.users import USER_ACTIONS, change_user, list_users
from ui.auth import team_config

SHOWN_ENTRIES = 2_000

page = ui.setup_page("Administration")
t, viewer, ws = page.t, page.viewer, page.workspace

log_tab, users_tab = st.tabs([t("Audit log"), t("Users")])

with log_tab:
    cols = st.columns(5)
    filters = {
        "actor": cols[0].text_input(t("Who (username)"), key="admin_log_actor").strip(),
        "target": cols[1].text_input(t("Target"), key="admin_log_target").strip(),
        "action": cols[2].multiselect(
            t("Actions"),
            ACTIONS,
            key="admin_log_actions",
            format_func=lambda a: t(ACTION_LABELS[a]),
        ),
        "since": cols[3].date_input(t("From"), value=None, key="admin_log_since"),
        "until": cols[4].date_input(t("Until"), value=None, key="admin_log_until"),
    }
    chosen = {k: v for k, v in filters.items() if v}
    try:
        log = read_log(ws.path, viewer=viewer, **chosen)
    except PlannerError as exc:
        ui.show_error(exc)
    st.caption(
        f"{len(log):,} {t('entries')} · {t('newest first')} · "
        + t("The audit log is append-only: entries cannot be changed or deleted.")
    )
    st.dataframe(
        ui.table(log.iloc[::-1].head(SHOWN_ENTRIES)), hide_index=True, key="admin_log_table"
    )

    described = {k: ",".join(v) if k == "action" else str(v) for k, v in chosen.items()}
    # Made on click, and recorded in the log it exports before the file is handed over:
    # if the entry cannot be written there is no file (fail closed).
    ui.audited_download(
        t("Download these entries (CSV)"),
        lambda: to_csv_bytes(log),
        workspace=ws,
        viewer=viewer,
        file_name="audit_log.csv",
        mime="text/csv",
        key="admin_log_csv",
        rows=len(log),
        details={"format": "csv", **described},
    )

with users_tab:
    if not viewer.can("manage_users"):
        st.info(t("Only administrators manage users."))
        st.stop()
    config = team_config()
    if config is None:
        st.info(
            t("Single-user mode: there are no accounts to manage.")
            + " "
            + t(
                "To let a team sign in, create a users file outside the repository and start "
                "the app with PSP_USERS set to it (see README, 'Login and team deployment'):"
            )
        )
        st.code(
            "python -m geo users --file /etc/psp/users.yaml create-admin USERNAME "
            '--name "Full Name"\nPSP_USERS=/etc/psp/users.yaml make run',
            language="bash",
        )
        st.stop()
    if done := st.session_state.pop("admin_done", None):
        st.success(ui.md_escape(done))
    accounts = list_users(config.users_path, by=viewer)
    st.dataframe(ui.table(accounts), hide_index=True, key="admin_users_table")

    def take_request(form: str) -> None:
        """Keep the submitted change and blank the password fields at once (a callback)."""
        state = st.session_state
        password, again = state[f"admin_{form}_password"], state[f"admin_{form}_again"]
        state[f"admin_{form}_password"] = state[f"admin_{form}_again"] = ""
        if form == "add":
            values = {"name": state["admin_add_name"], "role": state["admin_add_role"]}
            state["admin_request"] = ("add", state["admin_add_username"], values, password, again)
        else:
            action = state["admin_change_action"]
            values = {"role": state["admin_change_role"]}
            if action != "reset_password":
                password = again = None
            state["admin_request"] = (action, state["admin_change_user"], values, password, again)

    with st.form("admin_add_form"):
        st.subheader(t("Add a user"))
        cols = st.columns(3)
        cols[0].text_input(t("Username"), key="admin_add_username")
        cols[1].text_input(t("Full name"), key="admin_add_name")
        cols[2].selectbox(
            t("Role"),
            ROLES,
            index=len(ROLES) - 1,
            format_func=lambda r: value_label("role", r, page.lang),
            key="admin_add_role",
        )
        cols[0].text_input(t("Password"), type="password", key="admin_add_password")
        cols[1].text_input(t("Password again"), type="password", key="admin_add_again")
        st.form_submit_button(
            t("Add the user"), key="admin_add_submit", on_click=take_request, args=("add",)
        )

    with st.form("admin_change_form"):
        st.subheader(t("Change a user"))
        cols = st.columns(3)
        cols[0].selectbox(t("User"), accounts["username"], key="admin_change_user")
        cols[1].selectbox(
            t("Change"),
            USER_ACTIONS[1:],
            format_func=lambda a: t(a.replace("_", " ")),
            key="admin_change_action",
        )
        cols[2].selectbox(
            t("New role (for 'set role')"),
            ROLES,
            format_func=lambda r: value_label("role", r, page.lang),
            key="admin_change_role",
        )
        cols[1].text_input(
            t("New password (for 'reset password')"), type="password", key="admin_change_password"
        )
        cols[2].text_input(t("Password again"), type="password", key="admin_change_again")
        st.form_submit_button(
            t("Apply"),
            key="admin_change_submit",
            type="primary",
            on_click=take_request,
            args=("change",),
        )

    request = st.session_state.pop("admin_request", None)
    if request is not None:
        what, who, values, password, confirmation = request
        if password != confirmation:
            st.error(t("The two passwords differ; type them again."))
        else:
            try:
                changed = change_user(
                    config.users_path,
                    what,
                    who,
                    by=viewer,
                    password=password,
                    audit_workspace=ws.path,
                    **values,
                )
            except PlannerError as exc:
                st.error(ui.md_escape(exc))
            else:
                done = f"{t('Done')}: {t(what.replace('_', ' '))} · {changed.username}"
                st.session_state["admin_done"] = done
                st.rerun()
