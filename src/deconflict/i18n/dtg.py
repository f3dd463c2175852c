"""Military date-time groups (``071200ZSEP26``) and the times CLI options accept.

A date-time group is DDHHMM, a military time-zone letter, a three-letter month
and a two-digit year read as 20YY; a year outside 2000-2099 (the line reads
1970 to 2199, rules/moments.py) is written and read with all four digits.
Zone letters A-I are UTC+1 to +9, K-M are UTC+10 to +12, N-Y are UTC-1 to -12
and Z is UTC; J ("the reader's local time") has no fixed offset and is
refused. Every time returned here is aware and in UTC; a DTG carries no
seconds, so it is precise to the minute.

Where a person types a time and a clock is at hand (the command line, the
console), it may also be counted from now: ``now``, ``now+2h``, ``now+90m``,
``now-1d``, from the current minute.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta, timezone

from deconflict.errors import InvalidFeature
from deconflict.rules.moments import out_of_range

__all__ = ["MONTHS", "format_dtg", "parse_dtg", "parse_moment"]

# Month names as DTGs write them.
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

_ZONE_OFFSET_H: dict[str, int] = {
    **{letter: hours for hours, letter in enumerate("ABCDEFGHI", start=1)},
    **{letter: hours for hours, letter in enumerate("KLM", start=10)},
    **{letter: -hours for hours, letter in enumerate("NOPQRSTUVWXY", start=1)},
    "Z": 0,
}

# The zone letter is optional here only so that its absence gets its own message.
_DTG = re.compile(
    r"(?P<day>\d{2})\s*(?P<hour>\d{2})(?P<minute>\d{2})\s*(?P<zone>[A-Za-z]?)"
    r"\s*(?P<month>[A-Za-z]{3})\s*(?P<year>\d{4}|\d{2})"
)

_EXPECTED_DTG = (
    "expected DDHHMM, a time-zone letter, a month and a two- or four-digit year, e.g. 071200ZSEP26"
)
_EXPECTED_MOMENT = (
    "expected ISO 8601 with a UTC offset (2026-09-07T12:00Z) or a date-time group (071200ZSEP26)"
)
_EXPECTED_TYPED_MOMENT = (
    "expected ISO 8601 with a UTC offset (2026-09-07T12:00Z), a date-time group (071200ZSEP26)"
    " or a time from now (now+2h)"
)

_FROM_NOW = re.compile(
    r"now\s*(?:(?P<sign>[+-])\s*(?P<amount>\d{1,6})\s*(?P<unit>[mhd]))?", re.IGNORECASE
)
_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}


def parse_dtg(text: str) -> datetime:
    """Read a date-time group such as ``071200ZSEP26`` into an aware UTC datetime.

    Case and spaces between the groups are free (``07 1200Z sep 26``); a
    two-digit year is 2000 + YY, a four-digit one is as written. Any problem
    raises ``InvalidFeature`` on field "time", a time outside the line's span
    (1970-2199) included.

    >>> parse_dtg("071200ZSEP26").isoformat()
    '2026-09-07T12:00:00+00:00'
    >>> parse_dtg("07 1400B sep 26").isoformat()
    '2026-09-07T12:00:00+00:00'
    """
    match = _DTG.fullmatch(text.strip())
    if match is None:
        raise _unreadable(text, _EXPECTED_DTG)
    year = int(match["year"]) + (2000 if len(match["year"]) == 2 else 0)
    month_name = match["month"].upper()
    if month_name not in MONTHS:
        raise _unreadable(text, f"{match['month']!r} is not a month (JAN to DEC)")
    month = MONTHS.index(month_name) + 1
    day, hour, minute = int(match["day"]), int(match["hour"]), int(match["minute"])
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _unreadable(text, f"day {day} does not exist in {month_name} {year}")
    if hour > 23:
        raise _unreadable(text, f"hour {hour} does not exist (00 to 23)")
    if minute > 59:
        raise _unreadable(text, f"minute {minute} does not exist (00 to 59)")
    zone = timezone(timedelta(hours=_zone_offset_h(text, match["zone"].upper())))
    return _within_range(text, datetime(year, month, day, hour, minute, tzinfo=zone))


def format_dtg(moment: datetime) -> str:
    """Write an aware datetime as a UTC date-time group, e.g. ``071200ZSEP26``.

    Seconds and smaller are dropped (a DTG counts minutes). The year has two
    digits in 2000-2099 and four outside it, so that it reads back. A naive
    datetime raises ``ValueError``.

    >>> format_dtg(datetime(2026, 9, 7, 12, 0, 59, tzinfo=UTC))
    '071200ZSEP26'
    >>> format_dtg(datetime(2130, 9, 7, 12, 0, tzinfo=UTC))
    '071200ZSEP2130'
    """
    if moment.utcoffset() is None:
        raise ValueError(f"a date-time group needs an aware datetime, got naive {moment!r}")
    utc = moment.astimezone(UTC)
    year = f"{utc:%y}" if 2000 <= utc.year <= 2099 else f"{utc.year:04d}"
    return f"{utc:%d%H%M}Z{MONTHS[utc.month - 1]}{year}"


def parse_moment(text: str, now: datetime | None = None) -> datetime:
    """Read a time as typed on the command line into an aware UTC datetime.

    Accepts ISO 8601 with an offset (``2026-09-07T15:00+03:00``, ``...Z``) or a
    date-time group; given ``now`` (aware), also a time from now: ``now``,
    ``now+2h``, ``now+90m``, ``now-1d``, counted from the start of the current
    minute. An ISO time without an offset is refused, never assumed to be UTC.
    Problems raise ``InvalidFeature`` on field "time".

    >>> parse_moment("2026-09-07T15:00+03:00") == parse_moment("071200ZSEP26")
    True
    >>> parse_moment("now+2h", datetime(2026, 9, 7, 10, 0, 42, tzinfo=UTC)).isoformat()
    '2026-09-07T12:00:00+00:00'
    """
    from_now = _FROM_NOW.fullmatch(text.strip())
    if from_now is not None:
        return _from_now(text, from_now, now)
    if _DTG.fullmatch(text.strip()):
        return parse_dtg(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        expected = _EXPECTED_MOMENT if now is None else _EXPECTED_TYPED_MOMENT
        raise _unreadable(text, expected) from None
    if moment.utcoffset() is None:
        raise _unreadable(text, "no UTC offset; add Z or +HH:MM (a time is never assumed)")
    return _within_range(text, moment)


def _from_now(text: str, match: re.Match[str], now: datetime | None) -> datetime:
    if now is None:
        raise _unreadable(
            text, "a time from now is read only as typed at the line; write ISO 8601 or a DTG"
        )
    minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    if match["sign"] is None:
        return minute
    step = _UNIT[match["unit"].lower()] * int(match["amount"])
    try:
        moment = minute + step if match["sign"] == "+" else minute - step
    except OverflowError:
        raise _unreadable(text, "is outside 1970 to 2199, the years the line reads") from None
    return _within_range(text, moment)


def _within_range(text: str, moment: datetime) -> datetime:
    """`moment` in UTC, when the line reads it (rules/moments.py); else InvalidFeature."""
    problem = out_of_range(moment)
    if problem is not None:
        raise _unreadable(text, problem)
    return moment.astimezone(UTC)


def _zone_offset_h(text: str, letter: str) -> int:
    """The UTC offset in hours of a military zone letter; J and no letter are refused."""
    if not letter:
        raise _unreadable(text, "the time-zone letter is missing; write Z for UTC")
    if letter == "J":
        raise _unreadable(
            text, "zone J is the reader's local time and has no fixed offset; use Z for UTC"
        )
    return _ZONE_OFFSET_H[letter]


def _unreadable(text: str, problem: str) -> InvalidFeature:
    return InvalidFeature(
        f"cannot read time {text!r}: {problem}", code="unreadable_time", field="time", value=text
    )
