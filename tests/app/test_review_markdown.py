"""The final review of issue 12: the Operations page shows the day's text as plain text.

The events of election day (incident ids, owners, notes, actors) are text from people and
field systems, like the layers that ``tests/app/test_markdown.py`` fills with Markdown; the
Operations page came after that test and is not in it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.events import EventLog, make_event
from geo.livestate import record_events
from geo.workspace import open_workspace
from tests.app.test_markdown import (  # noqa: F401 - fixtures
    IMAGE,
    LINK,
    PAYLOAD,
    TAG,
    hostile,
    open_page,
    writable,
)
from tests.markdown_text import live_texts, markdown_texts, shown

#: Ids and names are at most 64 characters: the payload's parts, one per field.
INCIDENT = f"I {LINK}"
OWNER = f"O {IMAGE}"
ACTOR = f"A {TAG}"


@pytest.mark.usefixtures("writable")
def test_the_operations_page_shows_hostile_event_text_as_text():
    path = Path(os.environ["PSP_WORKSPACE"])  # the private copy the fixture set
    centres = open_workspace(path).layer("centres")
    centre = str(centres["centre_id"].iloc[1])
    report = make_event(kind="incident_reported", actor=ACTOR, incident_id=INCIDENT,
                        centre_id=centre, category="other", severity=3, note=PAYLOAD)  # fmt: skip
    assign = make_event(kind="incident_assigned", actor=ACTOR, incident_id=INCIDENT, owner=OWNER)
    record_events(path, [report, assign])
    at = open_page("views/operations.py")  # single-user mode: the administrator
    assert live_texts(at) == []
    at.selectbox(key="ops_incident").set_value(INCIDENT).run()
    assert not at.exception
    at.button(key="ops_incident_verified").click().run()
    assert not at.exception
    assert live_texts(at) == []
    assert [e.kind for e in EventLog(path).read()][-1] == "incident_verified"
    # The confirmation quotes the incident, as typed.
    assert any(INCIDENT in shown(text) for text in markdown_texts(at))
