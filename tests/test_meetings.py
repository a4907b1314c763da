"""Which days sections meet, and counting meetings in a span."""

from datetime import date, timedelta

import polars as pl
from builders import Scenario

from onsis_batch.segments.classes.meetings import count_meetings, section_meeting_days

MON = date(2025, 9, 1)


def week_scenario(meetings):
    scenario = Scenario()
    days = [MON + timedelta(days=i) for i in range(7)]
    scenario.extra = {
        "courses": [
            {"course_number": "ENG4U1", "ministry_code": "ENG4U", "course_type": "M", "credit": 1.0}
        ],
        "terms": [
            {
                "term_id": "S1",
                "school_id": "100",
                "first_day": MON,
                "last_day": MON + timedelta(days=4),
            }
        ],
        "sections": [
            {
                "section_id": "1",
                "school_id": "100",
                "course_number": "ENG4U1",
                "term_id": "S1",
                "class_code": "ENG4U-01",
            }
        ],
        "calendar_days": [
            {
                "school_id": "100",
                "date": d,
                "in_session": d.weekday() < 5,
                "is_g_day": d.weekday() == 2,
                "cycle_day": "AB"[i % 2],
            }
            for i, d in enumerate(days)
        ],
        "section_meetings": meetings,
    }
    return scenario.context()


def test_section_without_meeting_rows_meets_every_in_session_day_of_its_term():
    days = section_meeting_days(week_scenario([]))
    assert days.height == 5 and days.get_column("minutes").null_count() == 5
    assert days.get_column("is_g_day").sum() == 1


def test_cycle_day_meetings_only_on_their_days():
    days = section_meeting_days(
        week_scenario([{"section_id": "1", "cycle_day": "A", "minutes": 75}])
    )
    assert days.get_column("date").to_list() == [
        MON,
        MON + timedelta(days=2),
        MON + timedelta(days=4),
    ]
    assert set(days.get_column("minutes")) == {75}


def test_count_meetings_in_spans():
    days = section_meeting_days(
        week_scenario([{"section_id": "1", "cycle_day": None, "minutes": 60}])
    )
    spans = pl.DataFrame(
        {
            "section_id": ["1", "1", "2"],
            "a": [MON, MON + timedelta(days=3), MON],
            "b": [MON + timedelta(days=1), MON + timedelta(days=10), MON],
        }
    )
    assert count_meetings(days, spans, "a", "b").to_list() == [2, 2, 0]
