"""The gettext catalogue: every text of the code has Arabic, the .mo is the .po compiled."""

import gettext
import io
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from geo import mapview, ops, opsmap
from geo.catalogue import (
    ROOT,
    TEMPLATE,
    extract_messages,
    label_messages,
    merge,
    messages_in_source,
    mo_path,
    po_path,
    read_dict,
)


def _po(path: Path | None = None):
    with (path or po_path("ar")).open("rb") as file:
        return read_po(file)


@pytest.fixture(scope="module")
def extracted() -> dict:
    return extract_messages()


def texts(source: str) -> list[str]:
    return [text for _, _, text in messages_in_source(textwrap.dedent(source))]


# --- the extraction, on sources whose texts are read by eye -----------------------------


def test_literal_calls_are_found_also_in_f_strings_and_both_branches():
    source = """
        t("Polling centres")
        page.t("Stations")
        translate("Map", lang)
        x = f"{t('min')} and {t('km')}"
        t("Guarded" if ok else "Not guarded")
        t("two " "parts")
        gettext_not_a_keyword("Hidden")
        t(some_call())
    """
    assert sorted(texts(source)) == sorted(
        ["Polling centres", "Stations", "Map", "min", "km", "Guarded", "Not guarded", "two parts"]
    )


def test_names_are_followed_to_literals_of_the_same_file():
    source = """
        LAYER = "Incidents"
        STYLES = {"a": ("#ff0000", "Attack"), "b": ("#00ff00", "Blockade")}
        TITLES = MappingProxyType({"s": "Summary"})
        ACTIONS = (("open", "Opened"), ("close", "Close"))
        LIMITS = {"circuity": ("Circuity", 1.0)}

        def show(code, kind):
            t(LAYER)
            t(STYLES[code][1])
            t(TITLES[kind])
            labels = {k: t(v[1]) for k, v in STYLES.items()}
            for _, label in ACTIONS:
                t(label)
            for label, km, *rest in (("Patrol reach", 3, 1), ("Rapid reach", 5, 2)):
                t(label)
            for i, (name, (label, low)) in enumerate(LIMITS.items()):
                t(label)
            rows = [("Guarded", 1)]
            rows += [("Reachable", 2)]
            for name, value in rows:
                t(name)
            st.selectbox(t("Method"), ["auto", "exact"], format_func=t)
            t(TITLES.get(kind, "Unknown"))
            N_("Marked for later")
    """
    found = texts(source)
    expected = {
        "Incidents",
        "Attack",
        "Blockade",
        "Summary",
        "Opened",
        "Close",
        "Patrol reach",
        "Rapid reach",
        "Circuity",
        "Guarded",
        "Reachable",
        "Method",
        "auto",
        "exact",
        "Unknown",
        "Marked for later",
    }
    assert set(found) == expected
    # Colours and codes are not texts.
    assert "#ff0000" not in found
    assert "open" not in found


def test_labels_defined_in_the_files_the_extraction_may_not_mark_are_extracted(extracted):
    # geo/ops.py, geo/opsmap.py and views/operations.py carry no marker: the label maps are
    # imported by geo.catalogue.label_messages.
    for label in (*ops.STATE_LABELS.values(), *ops.KIND_LABELS.values()):
        assert label in extracted, label
    for _, label in opsmap.CENTRE_COLOURS.values():
        assert label in extracted, label
    for _, label in mapview.INCIDENT_STYLES.values():
        assert label in extracted, label
    # views/operations.py's buttons, found by following its loops.
    assert "views/operations.py" in extracted["Mark invalid"].files
    assert "views/operations.py" in extracted["Police absent"].files


def test_label_messages_holds_no_code_or_colour():
    for where, found in label_messages():
        for text in found:
            assert text, where
            assert not text.startswith("#"), (where, text)


# --- the catalogue against the code ------------------------------------------------------


def test_every_text_of_the_code_has_a_checked_arabic_translation(extracted):
    catalogue = _po()
    missing = []
    for text, found in extracted.items():
        message = catalogue.get(text)
        if message is None or not message.string:
            missing.append(f"{text!r} ({', '.join(found.files)}): no Arabic")
        elif message.fuzzy:
            missing.append(f"{text!r} ({', '.join(found.files)}): fuzzy, to be checked")
    assert not missing, (
        f"{len(missing)} text(s) lack Arabic in {po_path('ar').relative_to(ROOT)}; run "
        "'make po', translate them there (remove 'fuzzy' once checked) and run 'make po' "
        "again:\n" + "\n".join(missing)
    )


def test_the_catalogue_holds_no_fuzzy_or_empty_entry():
    bad = [m.id for m in _po() if m.id and (m.fuzzy or not m.string)]
    assert not bad


def test_the_committed_mo_is_the_po_compiled():
    catalogue = _po()
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    expected = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    with mo_path("ar").open("rb") as file:
        committed = gettext.GNUTranslations(file)._catalog  # type: ignore[attr-defined]
    expected.pop("", None)
    committed.pop("", None)
    stale = sorted(set(expected.items()) ^ set(committed.items()), key=str)
    assert not stale, f"{mo_path('ar')} is stale: run 'make po' ({stale[:5]})"
    assert len(committed) > 500


def test_the_template_lists_what_the_code_shows(extracted):
    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    assert {m.id for m in template if m.id} == set(extracted)


# --- porting entries of the old dictionary -----------------------------------------------


def test_merge_dict_adds_and_changes_entries(tmp_path):
    root = tmp_path
    target = root / po_path("ar").relative_to(ROOT)
    target.parent.mkdir(parents=True)
    shutil.copy(po_path("ar"), target)
    old = root / "old_i18n.py"
    old.write_text(
        'ARABIC: dict[str, str] = {\n    "Polling centres": "مراكز اقتراع",\n'
        '    "A new text from "\n    "another branch": ("نص جديد"),\n}\n',
        encoding="utf-8",
    )
    entries = read_dict(old)
    assert entries == {
        "Polling centres": "مراكز اقتراع",
        "A new text from another branch": "نص جديد",
    }
    done = merge(entries, root=root)
    # The new text is added; the catalogue's own translation of an old one is kept.
    assert sorted(done) == [
        "added: A new text from another branch",
        "kept: Polling centres (مراكز الاقتراع; the file has مراكز اقتراع)",
    ]
    merged = _po(target)
    assert merged.get("A new text from another branch").string == "نص جديد"
    assert merged.get("Polling centres").string == "مراكز الاقتراع"
    assert merge(entries, root=root, overwrite=True) == [
        "changed: Polling centres (مراكز الاقتراع → مراكز اقتراع)"
    ]
    with target.with_suffix(".mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    assert compiled.gettext("Polling centres") == "مراكز اقتراع"
    assert compiled.gettext("A new text from another branch") == "نص جديد"
    assert merge(entries, root=root) == []


def test_read_dict_names_the_file_when_there_is_no_dictionary(tmp_path):
    other = tmp_path / "other.py"
    other.write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="other.py: no dictionary literal named ARABIC"):
        read_dict(other)


# --- the glossary of the .po header ------------------------------------------------------

#: English term → the Arabic stems one of which its translation must hold (the glossary).
GLOSSARY = {
    r"polling centres?|\bcentres?\b": ("مركز", "مراكز"),
    r"\bstations?\b": ("محط",),
    r"\bstatic guards?\b|\bguard(ed|s)?\b": ("حراس", "محروس", "تحرس"),
    r"\bpatrols?\b": ("دوري",),
    r"\brapid[- ]response\b": ("تدخل سريع", "التدخل السريع"),
    r"\bgaps?\b": ("فجو",),
    r"\bshortfall\b|\bshort of\b": ("عجز",),
    r"\bfemale officers?\b|\bwomen officers?\b": ("نسائي",),
    r"\brisk\b": ("خطورة",),
}
#: Names, not the concept: the agency "Municipal Guard" is الحرس البلدي.
NOT_THE_TERM = {"Municipal Guard"}


def test_every_entry_uses_the_glossary_terms():
    catalogue = _po()
    header = catalogue.header_comment
    for stems in GLOSSARY.values():
        assert any(stem in header for stem in stems), stems
    off = [
        f"{m.id!r} => {m.string!r} (wants {' or '.join(stems)})"
        for m in catalogue
        if m.id and m.string and m.id not in NOT_THE_TERM
        for term, stems in GLOSSARY.items()
        if re.search(term, m.id, re.IGNORECASE) and not any(s in m.string for s in stems)
    ]
    assert not off, "\n".join(off)
