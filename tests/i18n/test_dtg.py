"""Specification of date-time groups and CLI times (deconflict.i18n.dtg)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import DeconflictError, InvalidFeature
from deconflict.i18n.dtg import format_dtg, parse_dtg, parse_moment

NOON_7_SEP_2026 = datetime(2026, 9, 7, 12, 0, tzinfo=UTC)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# The military time-zone letters, written out independently of the module.
ZONE_OFFSET_H = {
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8, "I": 9,
    "K": 10, "L": 11, "M": 12,
    "N": -1, "O": -2, "P": -3, "Q": -4, "R": -5, "S": -6,
    "T": -7, "U": -8, "V": -9, "W": -10, "X": -11, "Y": -12,
    "Z": 0,
}  # fmt: skip

property_settings = settings(max_examples=300, deadline=None, database=None)

# Hypothesis bounds its datetimes by naive ones; each is made UTC right after.
minutes_2000_2099_utc = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - a naive bound, as st.datetimes needs
    max_value=datetime(2099, 12, 31, 23, 59),  # noqa: DTZ001 - a naive bound
).map(lambda naive: naive.replace(second=0, microsecond=0, tzinfo=UTC))
# Away from the century's ends, so a local reading keeps its two-digit year.
inner_minutes_utc = st.datetimes(
    min_value=datetime(2000, 1, 2),  # noqa: DTZ001 - a naive bound, as st.datetimes needs
    max_value=datetime(2099, 12, 30, 23, 59),  # noqa: DTZ001 - a naive bound
).map(lambda naive: naive.replace(second=0, microsecond=0, tzinfo=UTC))
whole_minute_offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


def problem_of(text: str, reader: Callable[[str], datetime] = parse_dtg) -> InvalidFeature:
    with pytest.raises(InvalidFeature) as caught:
        reader(text)
    return caught.value


# --- reading ---------------------------------------------------------------


def test_dtg_071200ZSEP26_is_7_september_2026_noon_utc() -> None:
    assert parse_dtg("071200ZSEP26") == NOON_7_SEP_2026


def test_parsed_dtg_is_aware_and_in_utc() -> None:
    moment = parse_dtg("071200ZSEP26")
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    ["07 1200Z SEP 26", "071200zsep26", "071200Z sep 26", "  071200ZSep26  ", "07 1200 Z SEP26"],
)
def test_dtg_reads_with_any_case_and_spaces_between_groups(text: str) -> None:
    assert parse_dtg(text) == NOON_7_SEP_2026


@pytest.mark.parametrize(("letter", "offset_h"), sorted(ZONE_OFFSET_H.items()))
def test_every_zone_letter_is_its_military_offset(letter: str, offset_h: int) -> None:
    local = datetime(2026, 9, 7, 12, 0, tzinfo=timezone(timedelta(hours=offset_h)))
    assert parse_dtg(f"071200{letter}SEP26") == local
    assert parse_dtg(f"071200{letter.lower()}SEP26") == local


def test_dtg_in_zone_B_at_1400_is_noon_utc() -> None:
    assert parse_dtg("071400BSEP26") == NOON_7_SEP_2026


def test_dtg_west_of_greenwich_can_fall_on_the_next_utc_day() -> None:
    assert parse_dtg("312000YDEC26") == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)


def test_dtg_east_of_greenwich_can_fall_in_the_previous_utc_year() -> None:
    assert parse_dtg("010030MJAN00") == datetime(1999, 12, 31, 12, 30, tzinfo=UTC)


def test_29_february_exists_in_a_leap_year_only() -> None:
    assert parse_dtg("290000ZFEB28") == datetime(2028, 2, 29, tzinfo=UTC)
    error = problem_of("290000ZFEB27")
    assert "day 29 does not exist in FEB 2027" in error.message


# --- refusing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("321200ZSEP26", "day 32 does not exist in SEP 2026"),
        ("311200ZSEP26", "day 31 does not exist in SEP 2026"),
        ("001200ZSEP26", "day 0 does not exist in SEP 2026"),
        ("072400ZSEP26", "hour 24 does not exist"),
        ("071260ZSEP26", "minute 60 does not exist"),
        ("071200ZSPE26", "'SPE' is not a month"),
        ("071200JSEP26", "zone J is the reader's local time"),
        ("071200SEP26", "the time-zone letter is missing"),
        ("0712ZSEP26", "expected DDHHMM"),
        ("071200ZSEP202", "expected DDHHMM"),
        ("", "expected DDHHMM"),
        ("tomorrow noon", "expected DDHHMM"),
    ],
)
def test_bad_dtg_is_refused_naming_the_time_field_value_and_problem(
    text: str, problem: str
) -> None:
    error = problem_of(text)
    assert isinstance(error, DeconflictError)
    assert error.field == "time"
    assert error.value == text
    assert problem in error.message
    assert repr(text) in str(error)


# --- writing ---------------------------------------------------------------


def test_noon_7_september_2026_utc_is_071200ZSEP26() -> None:
    assert format_dtg(NOON_7_SEP_2026) == "071200ZSEP26"


def test_format_converts_any_offset_to_zulu() -> None:
    moscow = timezone(timedelta(hours=3))
    assert format_dtg(datetime(2026, 9, 7, 15, 0, tzinfo=moscow)) == "071200ZSEP26"


def test_format_drops_seconds() -> None:
    assert format_dtg(datetime(2026, 9, 7, 12, 0, 59, 999_999, tzinfo=UTC)) == "071200ZSEP26"


def test_format_pads_single_digit_day_hour_minute_and_year() -> None:
    assert format_dtg(datetime(2001, 1, 2, 3, 4, tzinfo=UTC)) == "020304ZJAN01"


def test_format_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_dtg(datetime(2026, 9, 7, 12, 0))  # noqa: DTZ001 - naive on purpose


@pytest.mark.parametrize(
    ("year", "text"), [(1970, "010000ZJUN1970"), (1999, "010000ZJUN1999"), (2130, "010000ZJUN2130")]
)
def test_a_year_two_digits_cannot_hold_is_written_with_four(year: int, text: str) -> None:
    assert format_dtg(datetime(year, 6, 1, tzinfo=UTC)) == text
    assert parse_dtg(text) == datetime(year, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["311200ZDEC1969", "010000ZJAN2200", "010000ZJAN9999"])
def test_a_dtg_outside_the_lines_years_is_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidFeature, match="the line reads"):
        parse_dtg(text)


@pytest.mark.parametrize("text", ["now+999999d", "now-999999d", "2230-01-01T00:00Z"])
def test_a_typed_time_outside_the_lines_years_is_refused_not_crashed(text: str) -> None:
    with pytest.raises(InvalidFeature, match=r"the line reads|1970 to 2199"):
        parse_moment(text, datetime(2026, 9, 7, tzinfo=UTC))


@property_settings
@given(
    st.datetimes(
        min_value=datetime(1970, 1, 1),  # noqa: DTZ001 - a naive bound, as st.datetimes needs
        max_value=datetime(2199, 12, 31, 23, 59),  # noqa: DTZ001 - a naive bound
    ).map(lambda naive: naive.replace(second=0, microsecond=0, tzinfo=UTC))
)
def test_every_minute_the_line_reads_is_written_and_read_back(moment: datetime) -> None:
    assert parse_dtg(format_dtg(moment)) == moment


@property_settings
@given(minutes_2000_2099_utc, whole_minute_offsets)
def test_format_then_parse_returns_the_same_instant(moment: datetime, zone: timezone) -> None:
    assert parse_dtg(format_dtg(moment.astimezone(zone))) == moment


@property_settings
@given(minutes_2000_2099_utc)
def test_parse_then_format_returns_the_same_text(moment: datetime) -> None:
    text = format_dtg(moment)
    assert format_dtg(parse_dtg(text)) == text


@property_settings
@given(inner_minutes_utc, st.sampled_from(sorted(ZONE_OFFSET_H)))
def test_a_dtg_in_any_zone_is_the_instant_of_its_local_reading(
    moment: datetime, letter: str
) -> None:
    local = moment.astimezone(timezone(timedelta(hours=ZONE_OFFSET_H[letter])))
    text = f"{local:%d%H%M}{letter}{MONTHS[local.month - 1]}{local:%y}"
    assert parse_dtg(text) == moment


# --- CLI times -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-09-07T12:00:00+00:00",
        "2026-09-07T12:00Z",
        "2026-09-07T15:00:00+03:00",
        "2026-09-07 08:00-04:00",
        "071200ZSEP26",
        "07 1500C sep 26",
    ],
)
def test_moment_accepts_iso_with_offset_or_dtg(text: str) -> None:
    moment = parse_moment(text)
    assert moment == NOON_7_SEP_2026
    assert moment.tzinfo is UTC


def test_moment_keeps_iso_seconds() -> None:
    assert parse_moment("2026-09-07T12:00:30Z").second == 30


@pytest.mark.parametrize("text", ["2026-09-07T12:00:00", "2026-09-07", "20260907T1200"])
def test_moment_refuses_iso_without_offset(text: str) -> None:
    error = problem_of(text, parse_moment)
    assert error.field == "time"
    assert error.value == text
    assert "no UTC offset" in error.message


@pytest.mark.parametrize("text", ["noon", "2026-13-01T00:00Z", "12:00Z", ""])
def test_moment_unreadable_names_both_accepted_forms(text: str) -> None:
    error = problem_of(text, parse_moment)
    assert error.field == "time"
    assert "ISO 8601" in error.message
    assert "071200ZSEP26" in error.message


def test_moment_that_looks_like_a_dtg_gets_the_dtg_problem() -> None:
    error = problem_of("321200ZSEP26", parse_moment)
    assert "day 32 does not exist in SEP 2026" in error.message


@pytest.mark.parametrize(
    ("text", "later"),
    [
        ("now", timedelta(0)),
        ("NOW", timedelta(0)),
        ("now+2h", timedelta(hours=2)),
        ("now + 90m", timedelta(minutes=90)),
        ("now-1d", timedelta(days=-1)),
        ("now+3D", timedelta(days=3)),
    ],
)
def test_a_time_from_now_counts_from_the_current_minute(text: str, later: timedelta) -> None:
    now = NOON_7_SEP_2026 + timedelta(seconds=42, microseconds=7)
    assert parse_moment(text, now) == NOON_7_SEP_2026 + later


def test_a_time_from_now_is_refused_where_no_clock_is_given() -> None:
    error = problem_of("now+2h", parse_moment)
    assert (error.field, error.value) == ("time", "now+2h")
    assert "ISO 8601 or a DTG" in error.message


@pytest.mark.parametrize("text", ["now+2", "now+h", "now*2h", "now+2w", "tomorrow"])
def test_a_time_from_now_needs_a_sign_a_number_and_m_h_or_d(text: str) -> None:
    error = problem_of(text, lambda typed: parse_moment(typed, NOON_7_SEP_2026))
    assert "now+2h" in error.message
