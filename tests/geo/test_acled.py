"""ACLED exports: generations, the category table, severities, election flag, Libya filter."""

from pathlib import Path

import pandas as pd
import pytest

from geo.acled import COLUMNS, classify_events, convert_acled, detect_generation
from geo.errors import InputError
from geo.io import read_path, read_upload

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"


def classify(event_type, sub_event_type="", notes="", tags="", fatalities=0):
    events = classify_events(
        pd.Series([event_type]),
        pd.Series([sub_event_type]),
        pd.Series([notes]),
        pd.Series([tags]),
        pd.Series([fatalities]),
    )
    return events.category[0], int(events.severity[0]), bool(events.election_related[0])


@pytest.mark.parametrize(("generation", "columns"), [(g, c) for g, c in COLUMNS.items()])
def test_each_generation_is_recognised_from_its_exact_columns(generation, columns):
    assert detect_generation(columns) == generation


def test_a_table_without_the_event_columns_is_not_acled():
    assert detect_generation(("centre_id", "name", "latitude", "longitude")) is None


def test_header_case_does_not_matter_for_recognition():
    lower_legacy = tuple(c.lower() for c in COLUMNS["acled-legacy"])
    assert detect_generation(lower_legacy) == "acled-legacy"


@pytest.mark.parametrize(
    ("event_type", "sub_event_type", "category", "severity"),
    [
        ("Battles", "Armed clash", "armed_interference", 3),
        ("Explosions/Remote violence", "Air/drone strike", "armed_interference", 3),
        ("Violence against civilians", "Attack", "intimidation", 3),
        ("Violence against civilians", "Abduction/forced disappearance", "intimidation", 3),
        ("Violence against civilians", "Sexual violence", "other", 3),
        ("Riots", "Violent demonstration", "violent_protest", 2),
        ("Riots", "Mob violence", "violent_protest", 2),
        ("Protests", "Peaceful protest", "other", 1),
        ("Protests", "Protest with intervention", "violent_protest", 1),
        ("Protests", "Excessive force against protesters", "violent_protest", 1),
        ("Strategic developments", "Looting/property destruction", "other", 1),
        ("Strategic developments", "Arrests", "other", 1),
        ("Strategic developments", "Agreement", "other", 1),
        ("Battle-No change of territory", "", "armed_interference", 3),
        ("Battle-Government regains territory", "", "armed_interference", 3),
        ("Remote violence", "", "armed_interference", 3),
        ("Headquarters or base established", "", "other", 1),
        ("Non-violent transfer of territory", "", "other", 1),
    ],
)
def test_the_category_table_without_elections(event_type, sub_event_type, category, severity):
    assert classify(event_type, sub_event_type, notes="An event.") == (category, severity, False)


@pytest.mark.parametrize(
    ("event_type", "sub_event_type", "notes", "category"),
    [
        ("Battles", "Armed clash", "Clashes near a polling station in Sirte.", "attack_on_centre"),
        ("Violence against civilians", "Attack", "Gunmen attacked an HNEC office.",
         "attack_on_centre"),
        ("Protests", "Peaceful protest", "Residents blocked access to the polling centre.",
         "obstruction_of_voting"),
        ("Strategic developments", "Looting/property destruction",
         "Ballot papers were burned before the election.", "theft_destruction_of_materials"),
        ("Strategic developments", "Arrests", "Police arrested a candidate.", "intimidation"),
        ("Protests", "Peaceful protest", "A rally for the election.", "other"),
    ],
)  # fmt: skip
def test_election_related_events_get_the_election_categories(
    event_type, sub_event_type, notes, category
):
    found, _, election = classify(event_type, sub_event_type, notes=notes)
    assert (found, election) == (category, True)


def test_legacy_riots_protests_are_violent_only_when_the_notes_say_so():
    assert classify("Riots/Protests", notes="Rioters burned tyres.")[0] == "violent_protest"
    assert classify("Riots/Protests", notes="A peaceful march.")[0] == "other"


def test_tags_alone_flag_an_event_as_election_related():
    assert classify("Battles", notes="Fighting.", tags="local election")[2] is True


def test_severity_rises_with_deaths_and_attacks_on_sites():
    assert classify("Protests", "Peaceful protest", fatalities=1)[1] == 4
    assert classify("Protests", "Peaceful protest", fatalities=5)[1] == 5
    assert classify("Riots", "Mob violence", notes="A mob attacked a polling station.")[1] == 4


def test_an_unknown_event_type_is_other_and_flagged():
    events = classify_events(*(pd.Series([v]) for v in ("Picnic", "", "", "", 0)))
    assert events.category[0] == "other"
    assert bool(events.unknown_type[0])


def test_the_2023_file_keeps_libya_and_says_how_many_rows_were_outside():
    conversion = convert_acled(read_path(FIXTURES / "acled_2023_africa.csv").table())
    assert conversion.keep.tolist() == [True] * 5 + [False] * 3
    assert "3 row(s) outside Libya were left out (Tunisia 2, Egypt 1)" in conversion.notes
    assert "3 of 5 Libyan event(s) are election-related (tags or notes)" in conversion.notes


def test_the_2023_file_is_converted_row_by_row():
    conversion = convert_acled(read_path(FIXTURES / "acled_2023_africa.csv").table())
    frame = conversion.frame.iloc[:5]
    assert frame["incident_id"].tolist() == [f"ACLED-LBY2000{i}" for i in range(1, 6)]
    assert frame["date"].tolist() == [
        "2025-05-16",
        "2025-05-17",
        "2025-03-03",
        "2025-05-20",
        "2024-01-12",
    ]
    assert frame["category"].tolist() == [
        "attack_on_centre",  # VAC attack on a polling station, tagged "local election"
        "obstruction_of_voting",  # protesters blocked a polling centre
        "armed_interference",  # battle, not election-related
        "theft_destruction_of_materials",  # looting at an election office
        "violent_protest",  # riot, not election-related
    ]
    assert frame["severity"].tolist() == [4, 1, 4, 1, 5]
    assert frame["election_related"].tolist() == [True, True, False, True, False]
    assert frame["geo_precision"].tolist() == [1, 1, 2, 1, 3]
    assert frame["description"].iloc[0].startswith("On 16 May 2025, gunmen attacked a polling")
    assert "\nTwo election staff" in frame["description"].iloc[0]


def test_precision_3_events_are_kept_with_a_warning():
    conversion = convert_acled(read_path(FIXTURES / "acled_2023_africa.csv").table())
    (warning,) = [p for p in conversion.problems if p.column == "geo_precision"]
    assert warning.severity == "warning"
    assert "1 event(s) have geo_precision 3" in warning.message
    assert "row 6" in warning.message or "rows 6" in warning.message
    assert "too coarse for decisions about single centres" in warning.message


def test_windows_1252_2019_file_keeps_its_punctuation():
    table = read_path(FIXTURES / "acled_2019_cp1252.csv").table()
    conversion = convert_acled(table)
    assert table.encoding.codec == "cp1252"
    assert "army’s spokesman – unnamed –" in conversion.frame["description"].iloc[0]
    assert conversion.frame["category"].tolist() == [
        "attack_on_centre",  # air strike near a registration centre
        "armed_interference",
        "intimidation",  # a candidate abducted
        "intimidation",  # arrests over candidates' posters
    ]
    assert conversion.frame["severity"].tolist() == [4, 5, 3, 1]


def test_legacy_csv_and_excel_give_the_same_events():
    from_csv = convert_acled(read_path(FIXTURES / "acled_legacy_bom.csv").table())
    from_xlsx = convert_acled(read_path(FIXTURES / "acled_legacy_serial_dates.xlsx").table())
    for conversion in (from_csv, from_xlsx):
        kept = conversion.frame[conversion.keep]
        assert kept["date"].tolist() == ["2014-06-25", "2014-07-13", "2014-06-25"]
        assert kept["category"].tolist() == [
            "attack_on_centre",
            "armed_interference",
            "obstruction_of_voting",
        ]
    assert "dates written as: DD/MM/YYYY 4" in from_csv.notes
    assert "dates written as: Excel serial 4" in from_xlsx.notes
    assert "1 row(s) outside Libya were left out (Algeria 1)" in from_xlsx.notes


def test_an_unreadable_date_names_the_row_column_and_accepted_styles():
    header = ",".join(COLUMNS["acled-2019"])
    row = dict.fromkeys(COLUMNS["acled-2019"], "")
    row |= {"event_id_cnty": "LBY1", "event_date": "soon", "event_type": "Battles",
            "country": "Libya", "latitude": "32.9", "longitude": "13.2"}  # fmt: skip
    data = f"{header}\n" + ",".join(row[c] for c in COLUMNS["acled-2019"]) + "\n"
    conversion = convert_acled(read_upload(data.encode(), "a.csv").table())
    (problem,) = [p for p in conversion.problems if p.column == "event_date"]
    assert problem.row == 2
    assert "'soon' is not a date ACLED writes (YYYY-MM-DD, DD/MM/YYYY, 16 May 2025" in (
        problem.message
    )


def test_libya_is_found_by_gwno_or_event_id_when_there_is_no_country_column():
    data = "EVENT_ID_CNTY,EVENT_DATE,EVENT_TYPE,LATITUDE,LONGITUDE,GWNO\n"
    data += "LBY1,2014-01-01,Battles,32.9,13.2,620\nTUN1,2014-01-01,Battles,36.8,10.2,616\n"
    conversion = convert_acled(read_upload(data.encode(), "a.csv").table())
    assert conversion.keep.tolist() == [True, False]
    no_gwno = data.replace(",GWNO", "").replace(",620", "").replace(",616", "")
    conversion = convert_acled(read_upload(no_gwno.encode(), "a.csv").table())
    assert conversion.keep.tolist() == [True, False]


def test_acled_files_fill_incidents_only():
    table = read_path(FIXTURES / "acled_2023_africa.csv").table()
    with pytest.raises(InputError, match="import it as the layer 'incidents'"):
        convert_acled(table, layer="centres")
