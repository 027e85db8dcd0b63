"""Pages in Arabic in a real Chromium, offline: right to left, no English label, a screenshot.

The page's visible text (the main area and the sidebar, not the map's frame, nor tables,
which the grid draws on a canvas and the AppTest check reads) is checked
with the same rule as the AppTest check (``tests/app/test_arabic_pages.py``); the
screenshots go to ``test-artifacts/ar-<page>.png``.
"""

import pytest
from playwright.sync_api import Page, expect

from geo.i18n import translate
from tests.app.test_arabic_pages import latin_words

PAGES = [("", "Polling Security Planner"), ("Map", "Map"), ("Coverage", "Coverage"),
         ("Plan", "Plan"), ("Reports", "Reports")]  # fmt: skip
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@pytest.mark.parametrize(("path", "title"), PAGES, ids=[p or "home" for p, _ in PAGES])
def test_a_page_in_arabic_is_right_to_left_with_no_english(
    streamlit_server, demo_workspace, page: Page, blocked_requests, page_errors, artifacts_dir,
    path, title,
):  # fmt: skip
    base_url = streamlit_server(workspace=demo_workspace)
    page.set_viewport_size({"width": 1400, "height": 1100})
    page.goto(f"{base_url}/{path}?lang=ar", wait_until="domcontentloaded")
    heading = page.locator("h1").filter(has_text=translate(title, "ar"))
    expect(heading.first).to_be_visible(timeout=120_000)
    page.locator(IDLE).wait_for(timeout=120_000)
    main = page.locator('[data-testid="stMain"]')
    direction = main.evaluate("e => getComputedStyle(e.querySelector('h1')).direction")
    assert direction == "rtl"
    # What a reader sees: the icons' ligature names (Material Symbols) are glyphs, not words.
    shown = page.evaluate(
        """() => ['stMain', 'stSidebar'].map(id => {
                const copy = document.querySelector(`[data-testid="${id}"]`).cloneNode(true);
                document.body.appendChild(copy);
                // Streamlit's own file uploader text ("Drag and drop", "Upload") has no
                // translation: left out (README, Languages).
                copy.querySelectorAll('[data-testid="stFileUploaderDropzone"]')
                    .forEach(e => e.remove());
                copy.querySelectorAll('*').forEach(e => {
                    if (getComputedStyle(e).fontFamily.includes('Material Symbols')) e.remove();
                });
                const text = copy.innerText;
                copy.remove();
                return text;
            }).join('\\n')"""
    )
    leaks = sorted({w for line in shown.splitlines() for w in latin_words(line)})
    page.screenshot(path=artifacts_dir / f"ar-{path or 'home'}.png", full_page=True)
    assert leaks == [], f"/{path} in Arabic shows: {leaks}"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []
