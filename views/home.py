"""Home page: what the workspace holds, its key figures and each layer's provenance."""

import streamlit as st

import ui
from geo.maps import build_overview_map
from geo.summary import summarise_workspace
from geo.vocabulary import election_label
from geo.workspace import describe_layers
from ui import navigation
from ui.navigation import PAGES

page = ui.setup_page("Polling Security Planner")
t, num = page.t, page.num
ws = page.workspace

figures = summarise_workspace(
    ws.layer("centres"), ws.layer("units"), ws.layer("incidents"), ws.layer("access_audits")
)

st.subheader(t("Where next"))
# The pages of the menu, with the same titles and icons: each role sees only its own.
links = st.columns(4)
offered = [e for e in navigation.offered(page.viewer) if e is not navigation.HOME]
for entry in PAGES:
    if entry not in offered:
        continue
    with links[offered.index(entry) % 4]:
        st.page_link(entry.script, label=t(entry.title), icon=entry.icon)
        st.caption(t(entry.summary))

st.subheader(t("Key figures"))
row1 = st.columns(4)
row1[0].metric(t("Polling centres"), num.integer(figures.centres))
row1[1].metric(
    t("Stations"),
    num.integer(figures.stations),
    help=f"{num.integer(figures.stations_male)} {t('men')} · "
    f"{num.integer(figures.stations_female)} {t('women')} · "
    f"{num.integer(figures.stations_mixed)} {t('mixed')}",
)
row1[2].metric(t("Registered voters"), num.integer(figures.voters))
row1[3].metric(t("Voters at accessible centres"), num.percent(figures.share_voters_accessible))
st.caption(
    f"{t('Stations')}: {num.integer(figures.stations_male)} {t('men')} · "
    f"{num.integer(figures.stations_female)} {t('women')} · "
    f"{num.integer(figures.stations_mixed)} {t('mixed')} — "
    f"{t('Registered voters')}: {num.integer(figures.voters_male)} {t('men')} · "
    f"{num.integer(figures.voters_female)} {t('women')}"
)
row2 = st.columns(4)
row2[0].metric(t("Security units"), num.integer(figures.units))
row2[1].metric(t("Officers"), num.integer(figures.officers))
row2[2].metric(
    t("Female officers"),
    num.integer(figures.female_officers),
    help=num.percent(figures.female_officers / max(figures.officers, 1), places=1),
)
row2[3].metric(t("Incidents"), num.integer(figures.incidents))

left, right = st.columns([3, 2])
with left:
    st.subheader(t("Overview map"))
    ui.show_map(
        lambda: build_overview_map(
            ws.layer("regions"),
            ws.layer("districts"),
            ws.layer("municipalities"),
            ws.layer("centres"),
        ),
        key="home_map",
        height=460,
    )
with right:
    st.subheader(t("Incidents per election"))
    st.dataframe(
        {
            t("election"): [election_label(e, page.lang) for e, _ in figures.incidents_by_election],
            t("incidents"): [n for _, n in figures.incidents_by_election],
        },
        hide_index=True,
        key="home_incidents",
    )
    st.subheader(t("Layers in this workspace"))
    layers = describe_layers(ws)
    st.dataframe(
        layers.rename(columns={c: t(c) for c in layers.columns}),
        hide_index=True,
        key="home_layers",
    )
