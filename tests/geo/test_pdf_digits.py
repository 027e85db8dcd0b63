"""The Arabic PDF's headline figures in the reader's digits."""

import shutil
import subprocess

import pandas as pd
import pytest

from geo.errors import InputError
from geo.pdf import key_figures, pdf_report
from geo.permissions import Viewer
from geo.reports import ReportOptions, parse_scope, prepare_report, slide_for
from geo.workspace import open_workspace

BRIEFER = Viewer("Briefer Bea", "briefer")
INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def indic(n: int) -> str:
    return f"{n:,}".replace(",", "\u066c").translate(INDIC)


@pytest.fixture(scope="module")
def tripoli(demo_workspace):
    return open_workspace(demo_workspace)


def figures(workspace, **kw):
    options = ReportOptions(
        viewer=BRIEFER,
        scope=parse_scope("district:LY-TB"),
        as_of="2025-09-01",
        generated_at=pd.Timestamp("2025-09-02 08:30", tz="UTC"),
        **kw,
    )
    data = prepare_report(workspace, options)
    return data, {f.label: f for f in key_figures(data)}


def test_arabic_indic_headline_figures(tripoli):
    data, shown = figures(tripoli, lang="ar", digits="arab")
    f = data.figures
    assert shown["مراكز الاقتراع"].value == indic(f.centres)
    assert shown["الناخبون المسجلون"].value == indic(f.voters)
    assert shown["الحوادث"].value == indic(f.incidents)
    share = shown["الناخبون في مراكز ميسّرة الوصول"].value
    assert share == f"{f.share_voters_accessible:.0%}".translate(INDIC).replace("%", "٪")


def test_western_digits_stay_as_before(tripoli):
    data, shown = figures(tripoli, lang="ar", digits="latn")
    assert shown["مراكز الاقتراع"].value == f"{data.figures.centres:,}"
    data, shown = figures(tripoli, lang="en", digits="arab")
    assert shown["Polling centres"].value == f"{data.figures.centres:,}"


def test_unknown_digits_are_refused():
    with pytest.raises(InputError, match="digits must be latn or arab"):
        ReportOptions(viewer=BRIEFER, digits="roman")  # type: ignore[arg-type]


def test_the_arabic_pdf_prints_the_arabic_indic_figures(tripoli, tmp_path):
    data, _ = figures(tripoli, lang="ar", digits="arab")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_report(data))
    text = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert indic(data.figures.voters) in text
    assert indic(data.figures.centres) in text


def test_briefing_slides_take_the_digits_too(tripoli):
    data, _ = figures(tripoli, lang="ar", digits="arab")
    slide = slide_for(data)
    assert slide.figures[0].value == indic(data.figures.centres)
    assert slide.figures[3].value == indic(data.figures.incidents)
    latn, _ = figures(tripoli, lang="ar", digits="latn")
    assert slide_for(latn).figures[0].value == f"{latn.figures.centres:,}"
