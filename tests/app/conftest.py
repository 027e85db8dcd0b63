"""Harness of the AppTest tests: what the router told the browser's navigation menu."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.proto.AppPage_pb2 import AppPage
from streamlit.proto.Navigation_pb2 import Navigation
from streamlit.testing.v1 import AppTest, local_script_runner

Menu = Callable[[AppTest], list[AppPage]]


@pytest.fixture
def menu(monkeypatch) -> Menu:
    """``menu(at)``: the pages of the navigation menu that the last run sent (or none).

    AppTest keeps no element for ``st.navigation``; this reads the ``navigation`` message
    of the run (title, icon, URL path, hidden or not), exactly what the browser receives.
    """
    sent: list[Navigation] = []
    forward_msgs = local_script_runner.LocalScriptRunner.forward_msgs

    def recording(self):  # type: ignore[no-untyped-def]
        msgs = forward_msgs(self)
        # Only the latest run counts: a run that sends no menu leaves none.
        sent[:] = [m.navigation for m in msgs if m.WhichOneof("type") == "navigation"]
        return msgs

    monkeypatch.setattr(local_script_runner.LocalScriptRunner, "forward_msgs", recording)

    def last(at: AppTest) -> list[AppPage]:
        del at  # the run that just finished
        return [page for navigation in sent[-1:] for page in navigation.app_pages]

    return last
