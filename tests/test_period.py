"""Submission period windows, codes and school selection."""

from datetime import date

import pytest

from onsis_batch.contract import frame_from_rows
from onsis_batch.errors import InputError
from onsis_batch.period.periods import parse_school_year, resolve_period

SETTINGS = {
    "school_year": "2025-2026",
    "oct_count_date": date(2025, 10, 31),
    "mar_count_date": date(2026, 3, 31),
    "jun_count_date": date(2026, 6, 26),
}
SCHOOLS = [
    {"school_id": "1", "bsid": "999001"},
    {"school_id": "2", "bsid": "999001"},
    {"school_id": "3", "bsid": "999001", "is_closed": True},
    {"school_id": "4", "bsid": "999001", "is_excluded": True},
    {"school_id": "5", "bsid": "999001", "is_section23": True},
    {"school_id": "6", "bsid": "999002"},
]


def period(kind, settings=None, bsid="999001"):
    return resolve_period(
        kind=kind,
        school_year="2025-2026",
        bsid=bsid,
        board_settings=frame_from_rows("board_settings", [settings or SETTINGS]),
        schools=frame_from_rows("schools", SCHOOLS),
    )


@pytest.mark.parametrize(
    ("kind", "code", "start", "end"),
    [
        ("oct", "OCTSEC1", date(2025, 7, 1), date(2025, 10, 31)),
        ("mar", "MARSEC2", date(2025, 11, 1), date(2026, 3, 31)),
        ("jun", "JUNSEC1", date(2026, 4, 1), date(2026, 6, 26)),
    ],
)
def test_period_windows_and_codes(kind, code, start, end):
    p = period(kind)
    assert (p.code, p.start, p.count_date) == (code, start, end)


def test_october_start_comes_from_board_settings_when_set():
    assert period("oct", {**SETTINGS, "oct_period_start": date(2025, 8, 25)}).start == date(
        2025, 8, 25
    )


def test_period_code_can_be_overridden_per_school_year():
    assert period("mar", {**SETTINGS, "mar_period_code": "MARSEC3"}).code == "MARSEC3"


def test_only_open_reported_schools_of_the_bsid_are_included():
    assert period("oct").school_ids == ("1", "2")


def test_missing_count_date_is_an_error_naming_the_column():
    with pytest.raises(InputError) as raised:
        period("mar", {**SETTINGS, "mar_count_date": None})
    (problem,) = raised.value.findings
    assert (problem.code, problem.column) == ("PER001", "mar_count_date")


def test_bsid_without_reportable_school_is_an_error():
    with pytest.raises(InputError) as raised:
        period("oct", bsid="123456")
    assert [f.code for f in raised.value.findings] == ["PER002"]


def test_school_year_without_settings_is_an_error():
    with pytest.raises(InputError) as raised:
        resolve_period(
            kind="oct",
            school_year="2030-2031",
            bsid="999001",
            board_settings=frame_from_rows("board_settings", [SETTINGS]),
            schools=frame_from_rows("schools", SCHOOLS),
        )
    assert [f.code for f in raised.value.findings] == ["PER003"]


@pytest.mark.parametrize(
    ("text", "expected"), [("2025-2026", "2025-2026"), ("2025-26", "2025-2026")]
)
def test_school_year_forms(text, expected):
    assert parse_school_year(text) == expected


@pytest.mark.parametrize("text", ["2025", "2025-2027", "abcd-efgh", "2025-27"])
def test_bad_school_years_are_refused(text):
    with pytest.raises(ValueError):
        parse_school_year(text)


def test_period_dates_out_of_order_are_an_error():
    with pytest.raises(InputError) as raised:
        period("oct", {**SETTINGS, "oct_period_start": date(2025, 11, 15)})
    assert [f.code for f in raised.value.findings] == ["PER004"]
