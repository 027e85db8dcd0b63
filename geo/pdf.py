"""PDF reports and briefing slides in English or Arabic (shaped, right to left), with fpdf2.

:class:`PdfDocument` is the typesetting: titles, paragraphs, boxed figures, tables that
repeat their heading row, images, the demo banner and the footer on every page. Tables and
boxes run right to left in Arabic. :func:`pdf_report` and :func:`slides_pdf` compose the
report and the slides from a :class:`geo.reports.ReportData`, which is already filtered
to its scope and redacted for its viewer. Arabic is shaped by HarfBuzz
(``uharfbuzz``) through fpdf2's ``set_text_shaping``; the paragraph direction is set
explicitly (right to left for Arabic), because fpdf2 otherwise takes it from the first
strong character and a line starting with a P-code would come out in the wrong order.
Runs of digits joined by ``-``, ``/``, ``:`` or ``.`` (dates, times, ranges) are wrapped in
Unicode directional isolates in Arabic text: fpdf2's bidi algorithm would otherwise print
``2025-05-16`` as ``16-05-2025``.

Fonts are files (:func:`geo.staticmap.find_font`: Debian's ``fonts-noto-core`` and
``fonts-dejavu-core``); a missing font is a :class:`geo.staticmap.FontMissingError` naming
the package to install. Nothing here reads the environment or keeps state between
documents.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

import numpy as np
from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, XPos, YPos
from fpdf.fonts import FontFace

from geo.coverage import NEED_LIST_TITLES, NEED_LISTS, NeedList
from geo.i18n import Language, is_rtl, translate, with_digits
from geo.ops import CENTRE_STATUS_LABELS, KIND_LABELS, OVERDUE_LABELS, STATE_LABELS, Handover
from geo.permissions import Viewer
from geo.reports import (
    ACCESS_LABELS,
    CATEGORY_LABELS,
    LEVEL_LABELS,
    STATUS_LABELS,
    Figure,
    ReportData,
    ReportError,
    describe_filters,
    districts_table,
    format_share,
    incidents_by_period,
    local_name,
    municipalities_table,
    need_table,
    slide_for,
    versions_table,
)
from geo.risk import TIER_THRESHOLDS
from geo.schema import INCIDENT_CATEGORIES
from geo.staticmap import (
    ARABIC_FONT_FILES,
    LATIN_FONT_FILES,
    find_font,
    render_incident_chart,
    report_map,
)
from geo.vocabulary import election_label

_ARABIC = "naskh"
_LATIN = "dejavu"
_LRI, _PDI = "\u2066", "\u2069"
# Digits joined by separators: dates, times, ranges and decimal numbers.
_NUMERIC_RUN = re.compile(r"\d+(?:[-/:.,]\d+)+")

_DEMO_RED = (180, 20, 20)
_INK = (25, 25, 25)
_GREY = (110, 110, 110)
_RULE = (200, 200, 200)
_HEAD_FILL = (230, 236, 244)
_BOX_FILL = (244, 246, 249)

Orientation = Literal["portrait", "landscape"]
ColumnAlign = Literal["start", "end", "center"]


def isolate_numbers(text: str) -> str:
    """Wrap dates, times and other separated digit runs in left-to-right isolates."""
    return _NUMERIC_RUN.sub(lambda m: f"{_LRI}{m.group(0)}{_PDI}", text)


class _Pages(FPDF):
    """fpdf2 document that prints the demo banner and the footer on every page."""

    def __init__(self, doc: PdfDocument, orientation: Orientation) -> None:
        super().__init__(orientation="L" if orientation == "landscape" else "P", format="A4")
        self._doc = doc

    def header(self) -> None:
        doc = self._doc
        if doc.demo_text:
            self.set_fill_color(*_DEMO_RED)
            self.set_text_color(255, 255, 255)
            doc.use_font(bold=True, size=10)
            self.set_xy(0, 0)
            self.cell(self.w, 8, doc.text(doc.demo_text), fill=True, align=Align.C)
            self.set_text_color(*_INK)
        self.set_y(self.t_margin + (4 if doc.demo_text else 0))

    def footer(self) -> None:
        doc = self._doc
        self.set_y(-13)
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        doc.use_font(size=7)
        self.set_text_color(*_GREY)
        page = f"{doc.page_label} {self.page_no()}"
        if doc.demo_text:
            page = f"{doc.demo_text} · {page}"
        self.multi_cell(
            0, 3.5, doc.text(f"{doc.footer_text}\n{page}"), align=doc.align("start"), padding=0
        )
        self.set_text_color(*_INK)


class PdfDocument:
    """A PDF in one language, with a demo banner on every page when the data is synthetic.

    Parameters
    ----------
    lang
        ``"ar"`` sets right-to-left paragraphs and tables, the Arabic face first.
    demo_text
        Text of the red banner at the top of every page (and in the footer), or ``None``.
    footer_text
        Small text at the foot of every page (e.g. when and by whom it was generated).
    page_label
        The word before the page number ("Page").
    orientation
        ``"portrait"`` for reports, ``"landscape"`` for slides.
    """

    def __init__(
        self,
        *,
        lang: Language,
        demo_text: str | None,
        footer_text: str,
        page_label: str = "Page",
        orientation: Orientation = "portrait",
        title: str = "",
    ) -> None:
        self.lang: Language = lang
        self.rtl = is_rtl(lang)
        self.demo_text = demo_text
        self.footer_text = footer_text
        self.page_label = page_label
        self._pdf = _Pages(self, orientation)
        pdf = self._pdf
        pdf.set_margins(14, 14, 14)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_author("Polling Security Planner")
        pdf.set_creator("Polling Security Planner")
        if title:
            pdf.set_title(title)
        pdf.set_lang(lang)
        for family, files in ((_ARABIC, ARABIC_FONT_FILES), (_LATIN, LATIN_FONT_FILES)):
            pdf.add_font(family, "", str(find_font(files[0])))
            pdf.add_font(family, "B", str(find_font(files[1])))
        pdf.set_text_shaping(True, direction="rtl" if self.rtl else "ltr")
        pdf.set_text_color(*_INK)

    # -- text helpers -------------------------------------------------------------------
    @property
    def width(self) -> float:
        """Width between the margins, mm."""
        return float(self._pdf.epw)

    @property
    def space_left(self) -> float:
        """Height left on the current page above the bottom margin, mm."""
        return float(self._pdf.page_break_trigger - self._pdf.get_y())

    def text(self, value: object) -> str:
        """Return ``value`` as text ready to print (numbers isolated in Arabic)."""
        text = "" if value is None else str(value)
        return isolate_numbers(text) if self.rtl else text

    def align(self, where: ColumnAlign) -> Align:
        """Return the fpdf2 alignment of the paragraph's start or end for this language."""
        if where == "center":
            return Align.C
        return Align.R if (where == "start") == self.rtl else Align.L

    def use_font(self, *, bold: bool = False, size: float = 10) -> None:
        """Select the language's face (the other one as fallback) at ``size`` points."""
        first, second = (_ARABIC, _LATIN) if self.rtl else (_LATIN, _ARABIC)
        self._pdf.set_font(first, "B" if bold else "", size)
        self._pdf.set_fallback_fonts([second])

    # -- blocks -------------------------------------------------------------------------
    def add_page(self) -> None:
        """Start a new page."""
        self._pdf.add_page()

    def ensure_space(self, height_mm: float) -> None:
        """Start a new page unless ``height_mm`` fits on the current one."""
        if self.space_left < height_mm:
            self.add_page()

    def title(self, text: str, subtitle: str = "") -> None:
        """Print the document title and an optional subtitle line."""
        self.use_font(bold=True, size=20)
        self._line(text, 10)
        if subtitle:
            self.use_font(size=12)
            self._pdf.set_text_color(*_GREY)
            self._line(subtitle, 7)
            self._pdf.set_text_color(*_INK)
        self._pdf.ln(2)

    def heading(self, text: str, *, size: float = 14, keep_mm: float = 30) -> None:
        """Print a section heading, on a new page unless ``keep_mm`` of what follows fits."""
        self.ensure_space(keep_mm + size * 0.5 + 6)
        self._pdf.ln(2)
        self.use_font(bold=True, size=size)
        self._line(text, size * 0.5 + 1)
        self._pdf.set_draw_color(*_RULE)
        y = self._pdf.get_y()
        self._pdf.line(self._pdf.l_margin, y, self._pdf.w - self._pdf.r_margin, y)
        self._pdf.ln(1.5)

    def paragraph(self, text: str, *, size: float = 9.5, bold: bool = False) -> None:
        """Print a wrapped paragraph aligned to the language's start."""
        self.use_font(bold=bold, size=size)
        self._line(text, size * 0.45 + 1)
        self._pdf.ln(0.8)

    def bullets(self, items: Sequence[str], *, size: float = 9) -> None:
        """Print one short paragraph per item, each introduced by a bullet."""
        for item in items:
            self.paragraph(f"• {item}", size=size)

    def _line(self, text: str, height: float) -> None:
        self._pdf.multi_cell(
            0,
            height,
            self.text(text),
            align=self.align("start"),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def figures(self, items: Sequence[Figure], *, per_row: int = 3, value_size: float = 20) -> None:
        """Print headline figures in boxes, ``per_row`` a row, first at the reading start."""
        pdf = self._pdf
        gap = 3.0
        box_w = (self.width - gap * (per_row - 1)) / per_row
        box_h = value_size * 0.5 + 14
        for start in range(0, len(items), per_row):
            self.ensure_space(box_h + gap)
            top = pdf.get_y()
            for slot, item in enumerate(items[start : start + per_row]):
                column = per_row - 1 - slot if self.rtl else slot
                left = pdf.l_margin + column * (box_w + gap)
                pdf.set_fill_color(*_BOX_FILL)
                pdf.set_draw_color(*_RULE)
                pdf.rect(left, top, box_w, box_h, style="DF")
                pdf.set_xy(left + 2, top + 1.5)
                self.use_font(bold=True, size=value_size)
                pdf.cell(box_w - 4, value_size * 0.45, self.text(item.value), align=Align.C)
                pdf.set_xy(left + 2, top + value_size * 0.45 + 2.5)
                self.use_font(bold=True, size=8.5)
                pdf.multi_cell(box_w - 4, 4, self.text(item.label), align=Align.C)
                if item.note:
                    pdf.set_x(left + 2)
                    self.use_font(size=7.5)
                    pdf.set_text_color(*_GREY)
                    pdf.multi_cell(box_w - 4, 3.5, self.text(item.note), align=Align.C)
                    pdf.set_text_color(*_INK)
            pdf.set_xy(pdf.l_margin, top + box_h + gap)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        widths: Sequence[float],
        align: Sequence[ColumnAlign] | None = None,
        size: float = 8,
    ) -> None:
        """Print a table whose heading row repeats on every page it spans.

        Parameters
        ----------
        headers
            Column headings, in reading order (first column at the language's start).
        rows
            Cell values, converted with ``str``; ``None`` prints as empty.
        widths
            Relative column widths, in reading order.
        align
            Per column: ``"start"`` (text), ``"end"`` (numbers) or ``"center"``.
        size
            Font size, points.
        """
        order = list(range(len(headers)))
        if self.rtl:
            order.reverse()
        aligns: list[ColumnAlign] = list(align) if align is not None else ["start"] * len(headers)
        self.use_font(size=size)
        pdf = self._pdf
        pdf.set_draw_color(*_RULE)
        heading_style = FontFace(emphasis="BOLD", fill_color=_HEAD_FILL)
        with pdf.table(
            col_widths=tuple(widths[i] for i in order),
            text_align=tuple(self.align(aligns[i]) for i in order),
            headings_style=heading_style,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            line_height=size * 0.5 + 1.2,
            padding=1,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for i in order:
                head.cell(self.text(headers[i]))
            for values in rows:
                row = table.row()
                for i in order:
                    row.cell(self.text(values[i]))
        pdf.ln(2)

    def image(self, png: bytes, *, width_mm: float | None = None, height_mm: float) -> None:
        """Place a PNG image centred, ``height_mm`` high (new page if it does not fit)."""
        self.ensure_space(height_mm + 2)
        pdf = self._pdf
        width = self.width if width_mm is None else width_mm
        left = pdf.l_margin + (self.width - width) / 2
        pdf.image(
            io.BytesIO(png), x=left, y=pdf.get_y(), w=width, h=height_mm, keep_aspect_ratio=True
        )
        pdf.set_y(pdf.get_y() + height_mm + 2)

    def to_bytes(self) -> bytes:
        """Return the finished document."""
        return bytes(self._pdf.output())


# --- the report ----------------------------------------------------------------------

_START: ColumnAlign = "start"
_END: ColumnAlign = "end"
_DEMO_TEXT = "DEMO — synthetic data"


def _document(data: ReportData, *, orientation: Orientation) -> PdfDocument:
    t = data.t
    viewer = data.options.viewer
    footer = (
        f"{t('Polling Security Planner')} · {t('Generated at')} "
        f"{data.generated_at:%Y-%m-%d %H:%M} UTC · {viewer.name} ({viewer.role}) · "
        f"{t('Coverage as of')} {data.result.as_of:%Y-%m-%d}"
    )
    if data.acled is not None:
        footer += " · ACLED (www.acleddata.com)"
    return PdfDocument(
        lang=data.lang,
        demo_text=t(_DEMO_TEXT) if data.is_demo else None,
        footer_text=footer,
        page_label=t("Page"),
        orientation=orientation,
        title=t("Polling security coverage report"),
    )


def key_figures(data: ReportData) -> list[Figure]:
    """Return the nine headline figures of the PDF report."""
    t, f, n = data.t, data.figures, data.num.integer

    def share(value: float) -> str:
        return with_digits(format_share(value), data.lang, data.options.digits)

    latest = f.incidents_by_election[-1:] if f.incidents_by_election else ()
    return [
        Figure(t("Polling centres"), n(f.centres), f"{t('Stations')}: {n(f.stations)}"),
        Figure(
            t("Registered voters"),
            n(f.voters),
            f"{t('women')}: {n(f.voters_female)}" if f.voters_female else "",
        ),
        Figure(
            t("Voters at centres with a protection gap"),
            share(f.share_voters_gap),
            f"{t('Centres with neither guard nor response')}: {n(f.centres_gap)}",
        ),
        Figure(
            t("Voters at guarded and reachable centres"),
            share(f.share_voters_full),
            f"{t('Centres')}: {n(f.centres_full)}",
        ),
        Figure(
            t("Officer shortfall"),
            n(f.shortfall),
            f"{t('Officers assigned / required')}: "
            f"{n(f.officers_assigned)} / {n(f.officers_required)}",
        ),
        Figure(
            t("Female officers assigned / required"),
            f"{n(f.female_officers_assigned)} / {n(f.female_officers_required)}",
            f"{t('Shortfall')}: {n(f.female_shortfall)}",
        ),
        Figure(
            t("Centres where women vote with no female officer"),
            n(f.centres_no_female_officer),
        ),
        Figure(t("Voters at accessible centres"), share(f.share_voters_accessible)),
        Figure(
            t("Incidents"),
            n(f.incidents),
            " · ".join(f"{election_label(e, data.lang)}: {n(count)}" for e, count in latest),
        ),
    ]


def _staffing_rows(data: ReportData) -> tuple[list[str], list[list[object]]]:
    """Staffing per district (national and region scopes) or per municipality."""
    t = data.t
    by_district = data.options.scope.level in ("national", "region")
    areas = districts_table(data) if by_district else municipalities_table(data)
    areas = areas[areas["centres"] > 0]
    headers = [
        t("District") if by_district else t("Municipality"),
        t("Centres"),
        t("Officers required"),
        t("Officers assigned"),
        t("Shortfall"),
        t("Women required"),
        t("Women assigned"),
        t("Women short"),
        t("No woman officer"),
        t("Accessible"),
    ]
    columns = (
        "centres",
        "officers_required",
        "officers_assigned",
        "shortfall",
        "female_officers_required",
        "female_officers_assigned",
        "female_shortfall",
        "centres_no_female_officer",
    )
    counts = areas[list(columns)].to_numpy(dtype=np.int64).tolist()
    rows: list[list[object]] = [
        [local_name(en, ar, data.lang), *(f"{n:,}" for n in numbers), format_share(share)]
        for en, ar, numbers, share in zip(
            areas["name_en"],
            areas["name_ar"],
            counts,
            areas["share_voters_accessible"],
            strict=True,
        )
    ]
    return headers, rows


def _gap_rows(data: ReportData, which: NeedList) -> tuple[list[str], list[list[object]]]:
    t = data.t
    gaps = need_table(data, which).head(data.options.top_gaps)
    headers = [
        "#",
        t("Centre ID"),
        t("Centre"),
        t("Municipality"),
        t("Coverage status"),
        t("Voters"),
        t("Risk"),
        t("Shortfall"),
        t("Women short"),
    ]
    rows: list[list[object]] = [
        [
            r.rank,
            r.centre_id,
            local_name(r.name_en, r.name_ar, data.lang),
            local_name(r.municipality_name_en, r.municipality_name_ar, data.lang),
            t(STATUS_LABELS.get(str(r.status), str(r.status))),
            f"{int(r.registered_voters):,}",  # type: ignore[arg-type]
            f"{r.risk_score:.0f}",
            f"{int(r.shortfall):,}",  # type: ignore[arg-type]
            f"{int(r.female_shortfall):,}",  # type: ignore[arg-type]
        ]
        for r in gaps.itertuples(index=False)
    ]
    return headers, rows


def _access_rows(data: ReportData) -> tuple[list[str], list[list[object]]]:
    t = data.t
    table = data.result.centres
    voters = table["registered_voters"].astype("Float64").fillna(0).to_numpy(dtype=float)
    total = float(voters.sum())
    rows: list[list[object]] = []
    for status, label in ACCESS_LABELS.items():
        hit = (table["access_status"] == status).to_numpy(bool)
        share = float(voters[hit].sum()) / total if total else float("nan")
        rows.append(
            [t(label), f"{int(hit.sum()):,}", f"{int(voters[hit].sum()):,}", format_share(share)]
        )
    headers = [t("Accessibility"), t("Centres"), t("Registered voters"), t("Share of voters")]
    return headers, rows


def _incident_rows(data: ReportData) -> tuple[list[str], list[list[object]]]:
    t = data.t
    long = data.by_municipality.incidents
    elections = [e for e, _ in data.figures.incidents_by_election]
    wide = long.pivot_table(
        index="category", columns="election", values="incidents", aggfunc="sum", fill_value=0
    ).reindex(columns=elections, fill_value=0)
    rows: list[list[object]] = []
    for category in INCIDENT_CATEGORIES:
        if category not in wide.index:
            continue
        counts = wide.loc[category].to_numpy(dtype=np.int64).tolist()
        rows.append([t(CATEGORY_LABELS[category]), *(f"{n:,}" for n in counts), f"{sum(counts):,}"])
    return [t("Category"), *elections, t("Total")], rows


def _methods(data: ReportData) -> list[str]:
    t = data.t
    p, w = data.result.params, data.result.weights
    return [
        t(
            "Distances are straight-line distances in a projection fitted to Libya, corrected "
            "by its local scale factor; road distance = straight line × circuity {circuity:g}."
        ).format(circuity=p.circuity),
        t(
            "A centre is guarded when a static guard is assigned to it or an unassigned one "
            "stands within {guard:g} km; checkpoints never guard a centre."
        ).format(guard=p.guard_radius_km),
        t(
            "A centre is reachable when a patrol is within {patrol:g} road-km or a "
            "rapid-response unit within {rapid:g} road-km; a unit's own response radius "
            "is used when given: {own}."
        ).format(
            patrol=p.patrol_radius_km,
            rapid=p.rapid_radius_km,
            own=t("yes") if p.use_unit_radii else t("no"),
        ),
        t(
            "Coverage status: guarded and reachable (full), guard only, response only, or "
            "gap (neither)."
        ),
        t(
            "Officers required = {base} + {per} × stations; female officers required = "
            "{female} per women's or mixed station; a shortfall is never negative and a "
            "surplus at one centre does not fill another."
        ).format(base=p.officers_base, per=p.officers_per_station, female=p.female_per_station),
        t(
            "Risk (0–100) is a weighted sum of nearby incidents ({nearby:g}), incidents at the "
            "centre ({at:g}), size ({size:g}), remoteness from units ({remote:g}) and "
            "municipality context ({context:g}); incidents count within {radius:g} km and "
            "halve in weight every {half:g} days. Tiers start at {tiers}."
        ).format(
            nearby=w.nearby,
            at=w.at_centre,
            size=w.size,
            remote=w.remoteness,
            context=w.context,
            radius=w.distance_km,
            half=w.half_life_days,
            tiers=", ".join(f"{x:g}" for x in TIER_THRESHOLDS),
        ),
        t(
            "A centre is accessible when its latest audit found a step-free entrance and "
            "voting on the ground floor; shares count registered voters."
        ),
        t("Closed centres are left out; incidents after {day} are left out.").format(
            day=f"{data.result.as_of:%Y-%m-%d}"
        ),
    ]


def pdf_report(data: ReportData) -> bytes:
    """Return the briefing report of the scope as a PDF in the report's language.

    Contents: title, date and scope; key figures; a static map (municipalities coloured by
    the share of voters at a gap; centres by status for a district or a municipality);
    the top gaps and shortfalls; staffing and women officers; accessibility; incidents by
    category over time; a methods note with definitions and parameters; data provenance.
    Every page carries the demo banner when the workspace is the synthetic demo; ACLED's
    attribution and export date are printed when incidents came from ACLED. No unit
    position is drawn or listed, whatever the viewer's role.
    """
    t = data.t
    doc = _document(data, orientation="portrait")
    doc.add_page()
    viewer = data.options.viewer
    doc.title(
        t("Polling security coverage report"),
        f"{t(LEVEL_LABELS[data.options.scope.level])}: {data.area.name(data.lang)} · "
        f"{t('Coverage as of')} {data.result.as_of:%Y-%m-%d}",
    )
    doc.paragraph(
        f"{t('Generated at')} {data.generated_at:%Y-%m-%d %H:%M} UTC · {t('Generated by')} "
        f"{viewer.name} ({t('role')}: {viewer.role}) · {t('Workspace')}: "
        f"{data.workspace_name} · {t('Filters')}: "
        f"{describe_filters(data.options.effective_filters, data.lang)}",
        size=8,
    )
    doc.heading(t("Key figures"))
    doc.figures(key_figures(data), per_row=3, value_size=17)
    map_height = doc.width * 0.6
    doc.heading(t("Map"), keep_mm=map_height)
    doc.image(report_map(data, size_in=(10.0, 6.2), dpi=130), height_mm=map_height)
    doc.paragraph(
        t(
            "Municipalities are coloured by the share of their registered voters whose centre "
            "has neither a guard nor a response unit in reach. Boundaries of municipalities "
            "are approximate unless imported. Security units are not shown."
        ),
        size=8,
    )

    for which in NEED_LISTS:
        headers, rows = _gap_rows(data, which)
        total = len(need_table(data, which))
        doc.heading(f"{t(NEED_LIST_TITLES[which])} ({total:,})", keep_mm=50)
        if rows:
            if total > len(rows):
                doc.paragraph(
                    t("The first {shown:,} of {total:,}, ranked by risk × voters.").format(
                        shown=len(rows), total=total
                    ),
                    size=8,
                )
            doc.table(
                headers,
                rows,
                widths=[0.5, 1.0, 2.7, 1.9, 2.7, 1.1, 1.0, 1.3, 1.3],
                align=[_END, _START, _START, _START, _START, _END, _END, _END, _END],
            )
        else:
            doc.paragraph(t("No centre is on this list."))

    f = data.figures
    doc.heading(t("Staffing and women officers"), keep_mm=60)
    doc.paragraph(
        t(
            "{assigned:,} officers are assigned to centres that need {required:,} (shortfall "
            "{shortfall:,}); {fassigned:,} female officers of {frequired:,} needed (shortfall "
            "{fshortfall:,}). {units:,} security units with {officers:,} officers ({women:,} "
            "women) are based in the area; their positions are not shown."
        ).format(
            assigned=f.officers_assigned,
            required=f.officers_required,
            shortfall=f.shortfall,
            fassigned=f.female_officers_assigned,
            frequired=f.female_officers_required,
            fshortfall=f.female_shortfall,
            units=f.units,
            officers=f.unit_officers,
            women=f.unit_female_officers,
        )
    )
    headers, rows = _staffing_rows(data)
    doc.table(
        headers,
        rows,
        widths=[2.4, 1.1, 1.3, 1.3, 1.3, 1.3, 1.3, 1.2, 1.3, 1.5],
        align=[_START] + [_END] * (len(headers) - 1),
        size=7.5,
    )

    doc.heading(t("Accessibility"))
    headers, rows = _access_rows(data)
    doc.table(headers, rows, widths=[3, 1.5, 2, 2], align=[_START, _END, _END, _END])

    periods = incidents_by_period(data.incidents)
    chart_height = doc.width * 0.4
    doc.heading(t("Incidents by category over time"), keep_mm=chart_height if len(periods) else 30)
    if len(periods):
        chart = render_incident_chart(
            periods,
            labels={c: t(label) for c, label in CATEGORY_LABELS.items()},
            title=t("Category"),
            order=INCIDENT_CATEGORIES,
            lang=data.lang,
            size_in=(10, 4),
            dpi=130,
        )
        doc.image(chart, height_mm=chart_height)
        headers, rows = _incident_rows(data)
        doc.table(
            headers,
            rows,
            widths=[4] + [1.6] * (len(headers) - 1),
            align=[_START] + [_END] * (len(headers) - 1),
        )
    else:
        doc.paragraph(t("No incidents recorded in this area up to the analysis date."))
    if data.acled is not None:
        doc.paragraph(data.acled.text(data.lang), size=8, bold=True)

    doc.heading(t("Methods"))
    doc.bullets(_methods(data), size=8.5)

    doc.heading(t("Data provenance"))
    versions = versions_table(data)
    doc.table(
        [t("Layer"), t("Version"), t("Rows"), t("Source"), t("Written at"), t("Author")],
        [
            [
                r.layer,
                r.version,
                f"{int(r.rows):,}",  # type: ignore[arg-type]
                str(r.source)[:90],
                str(r.written_at)[:16].replace("T", " "),
                r.author,
            ]
            for r in versions.itertuples(index=False)
        ],
        widths=[1.6, 0.9, 1.0, 4.5, 2.0, 1.6],
        align=[_START, _END, _END, _START, _START, _START],
        size=7,
    )
    if data.is_demo:
        doc.paragraph(
            t(
                "This workspace is a synthetic demo: centres, units, incidents and audits are "
                "invented. Place names and seats are real; municipality boundaries are "
                "approximate."
            ),
            size=8,
            bold=True,
        )
    for note in data.warnings:
        doc.paragraph(f"{t('Note')}: {note}", size=8)
    return doc.to_bytes()


# --- the slides ----------------------------------------------------------------------


def slides_pdf(slides: Sequence[ReportData]) -> bytes:
    """Return briefing slides as a landscape PDF, one page per slide, as on the page.

    Each page: the area's name and level, the four figures of
    :func:`geo.reports.slide_for` and the map of :func:`geo.staticmap.report_map`. Never a
    unit position.

    Raises
    ------
    ReportError
        When ``slides`` is empty.
    """
    if not slides:
        raise ReportError("no slide to print; choose at least one area")
    doc = _document(slides[0], orientation="landscape")
    for data in slides:
        slide = slide_for(data)
        doc.add_page()
        doc.title(
            slide.title,
            f"{slide.level} · {data.t('Coverage as of')} {data.result.as_of:%Y-%m-%d}",
        )
        doc.figures(slide.figures, per_row=4, value_size=24)
        doc.image(report_map(data, size_in=(12.0, 5.2), dpi=110), height_mm=doc.space_left - 2)
    return doc.to_bytes()


def _whole(value: object) -> str:
    """Return a number of minutes as a whole number."""
    return f"{float(str(value)):.0f}"


def _clock_time(value: object) -> str:
    """Return a moment as HH:MM, or an empty string."""
    # NaT is a datetime too, and is not equal to itself.
    return f"{value:%H:%M}" if isinstance(value, datetime) and value == value else ""


def handover_pdf(
    brief: Handover,
    *,
    lang: Language,
    viewer: Viewer,
    is_demo: bool,
    workspace_name: str,
    centre_names: Mapping[str, str] | None = None,
) -> bytes:
    """Return the shift-handover brief as a one-language PDF (see :class:`geo.ops.Handover`).

    Contents: when and by whom; the headline counts; open incidents (overdue first) with
    their owner; open incidents per owner; centres not open; what changed since the
    previous handover. No unit position is printed; unit ids only when the brief was made
    for a viewer who may see them (:func:`geo.ops.handover_brief`).
    """

    def t(text: str) -> str:
        return translate(text, lang)

    names = centre_names or {}
    since = (
        f"{brief.since:%Y-%m-%d %H:%M} UTC"
        if brief.since is not None
        else t("the start of the day")
    )
    doc = PdfDocument(
        lang=lang,
        demo_text=t(_DEMO_TEXT) if is_demo else None,
        footer_text=f"{t('Polling Security Planner')} · {t('Shift handover')} · "
        f"{brief.now:%Y-%m-%d %H:%M} UTC · {viewer.name} ({viewer.role})",
        page_label=t("Page"),
        title=t("Shift handover"),
    )
    doc.add_page()
    doc.title(t("Shift handover"), f"{brief.now:%Y-%m-%d %H:%M} UTC · {t('Since')} {since}")
    doc.paragraph(f"{t('Workspace')}: {workspace_name} · {t('Generated by')} {viewer.name}", size=8)
    top = brief.headline
    doc.figures(
        [
            Figure(t("Open incidents"), f"{top.open_incidents:,}"),
            Figure(t("Overdue"), f"{top.overdue_incidents:,}"),
            Figure(t("Centres not open"), f"{top.centres_not_open:,}"),
            Figure(t("Centres that lost cover"), f"{top.centres_lost_cover:,}"),
            Figure(t("Units dispatched"), f"{top.units_dispatched:,}"),
            Figure(t("Women's stations, no searcher"), f"{top.women_stations_without_searcher:,}"),
        ],
        per_row=3,
        value_size=16,
    )
    doc.heading(t("Open incidents"), keep_mm=20)
    if brief.board.empty:
        doc.paragraph(t("No open incident."))
    else:
        doc.table(
            [
                t("Incident"),
                t("State"),
                t("Category"),
                t("Severity"),
                t("Owner"),
                t("Age (min)"),
                t("Overdue"),
            ],  # fmt: skip
            [
                [
                    r.incident_id,
                    t(STATE_LABELS[str(r.state)]),
                    t(CATEGORY_LABELS.get(str(r.category), str(r.category))),
                    r.severity,
                    r.owner if isinstance(r.owner, str) else "",
                    _whole(r.age_min),
                    ("، " if lang == "ar" else ", ").join(
                        t(OVERDUE_LABELS[x]) for x in str(r.overdue).split(",") if x
                    ),
                ]
                for r in brief.board.itertuples(index=False)
            ],
            widths=[20, 18, 26, 9, 14, 10, 22],
            align=["start", "start", "start", "end", "start", "end", "start"],
        )
    if len(brief.owners):
        doc.heading(t("Open incidents per owner"), keep_mm=20)
        doc.table(
            [t("Owner"), t("Incidents")],
            [[o or t("nobody yet"), f"{n:,}"] for o, n in brief.owners.itertuples(index=False)],
            widths=[40, 15],
            align=["start", "end"],
        )
    doc.heading(t("Centres not open"), keep_mm=20)
    doc.table(
        [t("Centre"), t("Name"), t("Status"), t("Since")],
        [
            [
                r.centre_id,
                names.get(str(r.centre_id), ""),
                t(CENTRE_STATUS_LABELS.get(str(r.status), str(r.status))),
                _clock_time(r.changed_at),
            ]
            for r in brief.centres_not_open.itertuples(index=False)
        ],
        widths=[16, 40, 16, 10],
        align=["start", "start", "start", "end"],
    )
    doc.heading(f"{t('What changed since')} {since}", keep_mm=20)
    if brief.changes.empty:
        doc.paragraph(t("Nothing was recorded."))
    else:
        doc.table(
            [t("Time"), t("What"), t("About"), t("By")],
            [
                [f"{r.time:%H:%M}", t(KIND_LABELS[str(r.kind)]), r.about, r.actor]
                for r in brief.changes.itertuples(index=False)
            ],
            widths=[9, 30, 34, 20],
            align=["end", "start", "start", "start"],
        )
    return doc.to_bytes()
