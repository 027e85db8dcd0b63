"""A bad CSV uploaded through the real file input gets the friendly error (real browser)."""

import shutil

from playwright.sync_api import Page, expect

BAD_CENTRES = (
    "centre_id,name_ar,name_en,municipality_pcode,centre_type,stations_male,stations_female,"
    "stations_mixed,registered_voters,status,longitude,latitude\n"
    "90701,مدرسة النصر,Al-Nasr School,DM-TB-09,general,2,1,0,1400,open,13.18733,32.88743\n"
    "90702,مدرسة الفجر,Al-Fajr School,DM-TB-09,general,1,1,0,-5,open,13.18733,32.88743\n"
)


def test_a_bad_csv_upload_shows_file_row_and_column(
    streamlit_server, demo_workspace, tmp_path, page: Page, blocked_requests, page_errors,
    artifacts_dir,
):  # fmt: skip
    workspace = tmp_path / "workspace.gpkg"
    shutil.copyfile(demo_workspace, workspace)
    bad = tmp_path / "centres_bad.csv"
    bad.write_text(BAD_CENTRES, encoding="utf-8")
    before = workspace.read_bytes()

    base_url = streamlit_server(workspace=workspace)
    page.goto(f"{base_url}/Data", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=60_000)
    page.locator('input[type="file"]').first.set_input_files(bad)

    alert = page.get_by_text("centres_bad.csv: 1 row(s) cannot be imported.")
    expect(alert).to_be_visible(timeout=60_000)
    expect(alert).to_contain_text(
        "row 3, column 'registered_voters': -5 is below the minimum 0; counts cannot be negative"
    )
    expect(page.get_by_text("Rejected", exact=True)).to_be_visible()
    alert.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts_dir / "data_bad_upload.png")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page_errors == []
    assert blocked_requests == []
    assert workspace.read_bytes() == before  # nothing is written before the user commits
