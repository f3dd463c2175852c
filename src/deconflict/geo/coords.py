"""Read positions as people type them, and write positions back for people.

Every position is WGS84 geodetic, in decimal degrees, longitude east-positive
and latitude north-positive. People type latitude first ("33.5, 38.64");
``Position`` stores longitude first because that is the x, y order shapely and
pyproj use.

Accepted forms (see ``parse_position``): decimal degrees, degrees-minutes and
degrees-minutes-seconds with or without marks, the compact form of military
messages (``333000N0383824E``), and MGRS (UTM zones and the polar UPS areas).
Values out of range are refused, never clamped.
"""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import mgrs

from deconflict.errors import InvalidCoordinate

__all__ = [
    "InvalidCoordinate",
    "Position",
    "format_dms",
    "format_mgrs",
    "parse_position",
]

_Axis = Literal["latitude", "longitude"]


@dataclass(frozen=True)
class Position:
    """A WGS84 position in decimal degrees, longitude first (x, y).

    The fields are not range-checked here: ``parse_position`` refuses
    out-of-range input, so positions it returns satisfy
    -180 <= lon_deg <= 180 and -90 <= lat_deg <= 90.
    """

    lon_deg: float
    lat_deg: float


class _Unreadable(Exception):
    """Raised deep in the reader; parse_position adds the typed text. `reason` names the
    problem in every language, `params` what its sentence needs."""

    def __init__(self, problem: str, reason: str, **params: Any) -> None:
        super().__init__(problem)
        self.reason = reason
        self.params = params


# Word processors and chat clients replace the ASCII marks people type.
_LOOKALIKES = str.maketrans(
    {
        "\u00ba": "°",  # masculine ordinal, next to ° on many keyboards
        "\u02da": "°",  # ring above
        "\u2032": "'",  # prime
        "\u2019": "'",  # right single quotation mark
        "\u2018": "'",  # left single quotation mark
        "\u00b4": "'",  # acute accent
        "`": "'",
        "\u2033": '"',  # double prime
        "\u201d": '"',  # right double quotation mark
        "\u201c": '"',  # left double quotation mark
        "\u2212": "-",  # minus sign
        "\u2013": "-",  # en dash
        "\u00a0": " ",  # no-break space
        "\u202f": " ",  # narrow no-break space
        "\u2009": " ",  # thin space
    }
)

_SEPARATOR = re.compile(r"[,;/]")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<sign>[-+])?\s*(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
        \s*(?P<mark>[°'"])?
      | (?P<hemisphere>[NSEW])
    )\s*""",
    re.VERBOSE,
)

_MGRS = re.compile(
    r"""(?:
        (?P<zone>[0-9]{1,2})\s*[C-HJ-NP-X]\s*[A-Z]\s*[A-Z]   # UTM areas
      | [ABYZ]\s*[A-Z]\s*[A-Z]                               # UPS polar areas
    )\s*(?P<digits>[0-9\s]*)""",
    re.VERBOSE,
)

_MARK_RANK = {"°": 0, "'": 1, '"': 2}
_UNITS = ("degrees", "minutes", "seconds")
_AXIS_OF_LETTER: dict[str, _Axis] = {
    "N": "latitude",
    "S": "latitude",
    "E": "longitude",
    "W": "longitude",
}
_LIMIT = {"latitude": 90, "longitude": 180}
_COMPACT_DEGREE_DIGITS = {"latitude": 2, "longitude": 3}

_GRID = mgrs.MGRS()
_WARNINGS_LOCK = threading.Lock()


def parse_position(text: str) -> Position:
    r'''Read a position typed by a person; latitude first unless letters say otherwise.

    Accepted, with either ``,``/``;``/``/`` or spaces between the two values:

    * decimal degrees: ``33.5, 38.64``, ``-33.5 -70.2``, ``33.5°N 38.64°E``,
      ``N33.5 E38.64``;
    * degrees-minutes(-seconds): ``33°30'00"N 038°38'24"E``,
      ``33 30 00 N 038 38 24 E``, ``33°30.5'N 38°38.4'E``, with ′ ″ too;
      without marks or letters the numbers are split evenly in two halves;
    * compact DMS of military messages: ``333000N0383824E``,
      ``333000.5N0383824.5E``, ``3330N03838E`` (DDMM[SS] then DDDMM[SS]);
    * MGRS, any precision from 0 to 5 digit pairs, spaces allowed:
      ``37S DT 66561 06777``, ``37SDT6656106777``, ``ZAH 00000 00000``.
      The result is what the ``mgrs`` package returns: the *centre* of the
      square the reference names (not its south-west corner, the point the
      digits spell), so the true point lies within half a square of it. The
      precision is the square size: 5 digit pairs = 1 m, 0 pairs = 100 km.

    A hemisphere letter (N, S, E, W) decides which value is which, so
    ``38.64E 33.5N`` works; S and W make the value negative. A minus sign and
    a hemisphere letter on the same value are refused as contradictory.

    Raises ``InvalidCoordinate`` (a ``ValueError``) with a ``problem`` such as
    "minutes must be below 60" or "latitude must be between -90 and 90 degrees".

    >>> parse_position("33.5, 38.64")
    Position(lon_deg=38.64, lat_deg=33.5)
    >>> parse_position("""33°30'00"N 038°38'24"E""")
    Position(lon_deg=38.64, lat_deg=33.5)
    >>> parse_position("333000N0383824E")
    Position(lon_deg=38.64, lat_deg=33.5)
    >>> parse_position("38.64E 33.5N")
    Position(lon_deg=38.64, lat_deg=33.5)

    The pole and the antimeridian are in range; -180 and 180 are kept as typed:

    >>> parse_position("""90°00'00"N 000°00'00"E""")
    Position(lon_deg=0.0, lat_deg=90.0)
    >>> parse_position("0, -179.999999")
    Position(lon_deg=-179.999999, lat_deg=0.0)
    >>> parse_position("""00°00'00"N 180°00'00"W""")
    Position(lon_deg=-180.0, lat_deg=0.0)

    MGRS gives the centre of its square (1 m here):

    >>> centre = parse_position("37S DT 66561 06777")
    >>> round(centre.lat_deg, 5), round(centre.lon_deg, 5)
    (33.5, 38.64)

    >>> try:
    ...     parse_position("""33°60'00"N 038°38'24"E""")
    ... except InvalidCoordinate as error:
    ...     print(error.problem)
    minutes must be below 60
    '''
    normalized = text.translate(_LOOKALIKES).replace("''", '"').upper().strip()
    try:
        if not normalized:
            raise _Unreadable("no position given", "empty")
        grid = _MGRS.fullmatch(normalized)
        if grid is not None:
            return _read_mgrs(grid)
        _refuse_mgrs_tail(text)
        return _read_lat_lon(normalized)
    except _Unreadable as unreadable:
        raise InvalidCoordinate(
            text, str(unreadable), unreadable.reason, **unreadable.params
        ) from None


def _refuse_mgrs_tail(text: str) -> None:
    """An MGRS grid square followed by more than digits is a mistyped MGRS reference: say so,
    rather than let the latitude-longitude reader stumble on the square's letters."""
    typed = text.translate(_LOOKALIKES).strip()
    grid = _MGRS.match(typed.upper())
    if grid is None:
        return
    tail = typed[grid.end() :]
    raise _Unreadable(
        f"an MGRS reference holds only digits after its grid square, not {tail[0]!r}",
        "mgrs_trailing",
        character=tail[0],
    )


def format_dms(position: Position) -> str:
    """Write a position as degrees, minutes and seconds to 0.1 arc-second.

    Latitude first, zero-padded to fixed width, hemisphere letters instead of
    signs; ``parse_position`` reads the result back within 0.05 arc-second
    (about 1.5 m). Ranges are not checked.

    >>> print(format_dms(Position(lon_deg=38.64, lat_deg=33.5)))
    33°30'00.0"N 038°38'24.0"E
    >>> print(format_dms(Position(lon_deg=-180.0, lat_deg=-0.00001)))
    00°00'00.0"N 180°00'00.0"W
    """
    latitude = _dms(position.lat_deg, 2, "NS")
    longitude = _dms(position.lon_deg, 3, "EW")
    return f"{latitude} {longitude}"


def format_mgrs(position: Position, precision: int = 5) -> str:
    """Write a position as MGRS, e.g. ``37SDT 66561 06777``.

    ``precision`` is the number of digits each for easting and northing,
    0 (100 km square) to 5 (1 m square); digits are truncated, as MGRS
    requires, so the reference names the square the position lies in. Polar
    positions (north of 84°N, south of 80°S) come out in UPS form, e.g.
    ``ZAH 00000 00000``. ``parse_position`` reads the result back as the
    square's centre: within 0.75 m at precision 5.

    Raises ``ValueError`` for a precision outside 0-5 or a position out of range.

    >>> format_mgrs(Position(lon_deg=38.64, lat_deg=33.5))
    '37SDT 66561 06777'
    >>> format_mgrs(Position(lon_deg=38.64, lat_deg=33.5), precision=2)
    '37SDT 66 06'
    """
    if isinstance(precision, bool) or precision not in range(6):
        raise ValueError(f"MGRS precision must be 0 to 5 digits, not {precision!r}")
    reference = _lat_lon_to_grid(position.lat_deg, position.lon_deg, precision)
    if not _readable(reference):
        # mgrs writes a few references it cannot read back itself, for points
        # within millimetres of a grid edge (just south of the equator, just
        # west of 3°E in band V). Every edge lies on a whole degree, so
        # rounding to 1e-6° (under 0.12 m) puts such a point on the edge.
        reference = _lat_lon_to_grid(
            round(position.lat_deg, 6), round(position.lon_deg, 6), precision
        )
    if precision == 0:
        return reference
    square, digits = reference[: -2 * precision], reference[-2 * precision :]
    return f"{square} {digits[:precision]} {digits[precision:]}"


def _dms(degrees: float, width: int, hemispheres: str) -> str:
    # Rounding the whole value to tenths first lets 59.96" carry into the
    # minutes instead of printing 60.0".
    tenths = round(abs(degrees) * 36000)
    whole, rest = divmod(tenths, 36000)
    minutes, seconds_tenths = divmod(rest, 600)
    seconds, tenth = divmod(seconds_tenths, 10)
    hemisphere = hemispheres[1] if degrees < 0 and tenths else hemispheres[0]
    return f"{whole:0{width}d}°{minutes:02d}'{seconds:02d}.{tenth}\"{hemisphere}"


# --- MGRS -------------------------------------------------------------------


def _lat_lon_to_grid(lat_deg: float, lon_deg: float, precision: int) -> str:
    try:
        reference: str = _GRID.toMGRS(lat_deg, lon_deg, MGRSPrecision=precision)
    except mgrs.core.MGRSError as error:
        raise ValueError(f"cannot write {lat_deg}, {lon_deg} as MGRS: {error}") from error
    return reference


def _readable(reference: str) -> bool:
    try:
        _grid_to_lat_lon(reference)
    except _Unreadable:
        return False
    return True


def _read_mgrs(grid: re.Match[str]) -> Position:
    zone = grid["zone"]
    if zone is not None and not 1 <= int(zone) <= 60:
        raise _Unreadable("MGRS zone must be 1 to 60", "mgrs_zone", zone=zone)
    square = "".join(grid.string[: grid.start("digits")].split())
    lat, lon = _grid_to_lat_lon(square + _mgrs_digits(grid["digits"].split()))
    return Position(lon_deg=lon, lat_deg=lat)


def _mgrs_digits(groups: list[str]) -> str:
    if len(groups) > 2:
        raise _Unreadable("MGRS digits must be one block, or easting then northing", "mgrs_blocks")
    if len(groups) == 2 and len(groups[0]) != len(groups[1]):
        raise _Unreadable("MGRS easting and northing need the same number of digits", "mgrs_uneven")
    digits = "".join(groups)
    if len(digits) % 2:
        raise _Unreadable("MGRS needs as many northing digits as easting digits", "mgrs_uneven")
    if len(digits) > 10:
        raise _Unreadable(
            "MGRS allows at most 5 digits each for easting and northing", "mgrs_too_precise"
        )
    return digits


def _grid_to_lat_lon(reference: str) -> tuple[float, float]:
    # mgrs reports a band letter that does not fit the square only as a
    # RuntimeWarning and still answers; a wrong band means a mistyped
    # reference, so it is refused. catch_warnings swaps process-wide state:
    # the lock stops two threads from restoring each other's filters, and
    # only mgrs's own warning counts, as another thread's may land here too.
    with _WARNINGS_LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            lat, lon = _GRID.toLatLon(reference)
        except mgrs.core.MGRSError as error:
            detail = str(error).rpartition(": ")[2].lower()
            raise _Unreadable(f"not a valid MGRS reference ({detail})", "mgrs_invalid") from None
    if any("Convert_MGRS" in str(warning.message) for warning in caught):
        raise _Unreadable("MGRS latitude band letter does not match the grid square", "mgrs_band")
    return float(lat), float(lon)


# --- latitude and longitude -------------------------------------------------


@dataclass(frozen=True)
class _Token:
    sign: str = ""
    number: str = ""
    mark: str = ""
    hemisphere: str = ""


@dataclass
class _Value:
    """One latitude or longitude as typed, before it is understood."""

    hemisphere: str = ""
    sign: str = ""
    numbers: list[str] = field(default_factory=list)
    marked: bool = False
    fraction: bool = False  # the last number typed has decimals
    done: bool = False  # a trailing hemisphere letter closed it


def _read_lat_lon(text: str) -> Position:
    latitude, longitude = _by_axis(_values(text))
    return Position(
        lon_deg=_degrees(longitude, "longitude"),
        lat_deg=_degrees(latitude, "latitude"),
    )


def _values(text: str) -> list[_Value]:
    pieces = _SEPARATOR.split(text)
    if len(pieces) > 2:
        raise _Unreadable("more than one separator; expected 'latitude, longitude'", "separators")
    if len(pieces) == 2:
        return [_single_value(piece) for piece in pieces]
    tokens = _tokens(text)
    if all(token.number and not token.mark for token in tokens):
        return _split_evenly(tokens)
    return _group(tokens)


def _single_value(piece: str) -> _Value:
    values = _group(_tokens(piece.strip()))
    if len(values) != 1:
        raise _Unreadable(
            "expected exactly one value on each side of the separator", "one_value_each_side"
        )
    return values[0]


def _tokens(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            character = text[position:].lstrip()[0]
            raise _Unreadable(
                f"unexpected character {character!r}", "unexpected_character", character=character
            )
        tokens.append(
            _Token(
                sign=match["sign"] or "",
                number=match["number"] or "",
                mark=match["mark"] or "",
                hemisphere=match["hemisphere"] or "",
            )
        )
        position = match.end()
    return tokens


def _split_evenly(tokens: list[_Token]) -> list[_Value]:
    # Bare numbers carry no clue where latitude ends, so both halves must
    # have the same shape: "33 30 38 38" is two degree-minute values.
    if len(tokens) == 1:
        return [_bare_value(tokens)]
    half, odd = divmod(len(tokens), 2)
    if odd or half > 3:
        raise _Unreadable(
            "cannot tell where latitude ends and longitude begins;"
            " separate them with a comma or add hemisphere letters",
            "ambiguous_split",
        )
    return [_bare_value(tokens[:half]), _bare_value(tokens[half:])]


def _bare_value(tokens: list[_Token]) -> _Value:
    if any(token.sign for token in tokens[1:]):
        raise _Unreadable("a sign may only stand before the degrees", "sign_placement")
    return _Value(sign=tokens[0].sign, numbers=[token.number for token in tokens])


def _group(tokens: list[_Token]) -> list[_Value]:
    values: list[_Value] = []
    for token in tokens:
        if token.hemisphere:
            _place_hemisphere(values, token.hemisphere)
        else:
            _place_number(values, token)
    for value in values:
        if not value.numbers:
            raise _Unreadable(
                f"hemisphere letter {value.hemisphere} has no number",
                "hemisphere_alone",
                letter=value.hemisphere,
            )
    return values


def _place_hemisphere(values: list[_Value], letter: str) -> None:
    last = values[-1] if values else None
    if last is not None and not last.numbers:
        raise _Unreadable("two hemisphere letters in a row", "hemisphere_twice")
    if last is not None and not last.done and not last.hemisphere:
        last.hemisphere = letter  # trailing, as in 33.5N
        last.done = True
    else:
        values.append(_Value(hemisphere=letter))  # leading, as in N33.5


def _place_number(values: list[_Value], token: _Token) -> None:
    if _starts_new_value(values, token):
        values.append(_Value())
    value = values[-1]
    position = len(value.numbers)
    rank = _MARK_RANK.get(token.mark, position)
    if rank != position:
        raise _Unreadable(
            f"{_UNITS[rank]} given without {_UNITS[position]}",
            "unit_order",
            unit=_UNITS[rank],
            missing=_UNITS[position],
        )
    value.numbers.append(token.number)
    value.sign = value.sign or token.sign
    value.marked = value.marked or bool(token.mark)
    value.fraction = "." in token.number


def _starts_new_value(values: list[_Value], token: _Token) -> bool:
    if not values or values[-1].done:
        return True
    last = values[-1]
    if not last.numbers:
        return False  # the number a leading hemisphere letter waits for
    if token.sign or len(last.numbers) == len(_UNITS):
        return True
    if not token.mark:
        # Only the last of degrees, minutes, seconds may have decimals, so an
        # unmarked number after one starts the next value: "33.5 38.64E".
        return last.fraction
    # A marked number continues the value if it is the next unit; "33.5°30'"
    # then fails with "degrees must be a whole number", which says why.
    return _MARK_RANK[token.mark] < len(last.numbers)


def _by_axis(values: list[_Value]) -> tuple[_Value, _Value]:
    """Return (latitude, longitude): letters decide, else latitude comes first."""
    if len(values) != 2:
        found = "one value" if len(values) == 1 else f"{len(values)} values"
        raise _Unreadable(
            f"expected a latitude and a longitude, found {found}", "value_count", count=len(values)
        )
    first, second = values
    first_axis = _AXIS_OF_LETTER.get(first.hemisphere)
    second_axis = _AXIS_OF_LETTER.get(second.hemisphere)
    if first_axis is not None and first_axis == second_axis:
        letters = "N/S" if first_axis == "latitude" else "E/W"
        raise _Unreadable(
            f"both values are {first_axis}s ({letters})", "same_axis", axis=first_axis
        )
    if first_axis == "longitude" or second_axis == "latitude":
        return second, first
    return first, second


def _degrees(value: _Value, axis: _Axis) -> float:
    if value.sign == "-" and value.hemisphere:
        raise _Unreadable(
            "a value has both a minus sign and a hemisphere letter", "sign_and_hemisphere"
        )
    magnitude = _magnitude(_expand_compact(value, axis))
    limit = _LIMIT[axis]
    if magnitude > limit:
        raise _Unreadable(
            f"{axis} must be between -{limit} and {limit} degrees",
            "out_of_range",
            axis=axis,
            limit=limit,
        )
    negative = value.sign == "-" or value.hemisphere in ("S", "W")
    # Adding 0.0 turns a typed "-0" or "0 S" into 0.0 instead of -0.0.
    return (-float(magnitude) if negative else float(magnitude)) + 0.0


def _expand_compact(value: _Value, axis: _Axis) -> list[str]:
    """Split DDMMSS / DDDMMSS digits (military message form) into fields."""
    whole, point, fraction = value.numbers[0].partition(".")
    if len(value.numbers) > 1 or value.marked or len(whole) < 4:
        return value.numbers
    width = _COMPACT_DEGREE_DIGITS[axis]
    if len(whole) - width not in (2, 4):
        pattern = "D" * width
        raise _Unreadable(
            f"compact {axis} must be {pattern}MM or {pattern}MMSS, not {len(whole)} digits",
            "compact_digits",
            axis=axis,
            digits=len(whole),
        )
    fields = [whole[:width], whole[width : width + 2], whole[width + 2 :]]
    fields = [digits for digits in fields if digits]
    fields[-1] += point + fraction
    return fields


def _magnitude(numbers: list[str]) -> Fraction:
    """Degrees from degree, minute, second texts, exactly (no float rounding)."""
    for unit, number, next_unit in zip(_UNITS, numbers[:-1], _UNITS[1:], strict=False):
        if "." in number:
            raise _Unreadable(
                f"{unit} must be a whole number when {next_unit} follow",
                "fraction_before",
                unit=unit,
            )
    parts = [Fraction(number) for number in numbers]
    for unit, part in zip(_UNITS[1:], parts[1:], strict=False):
        if part >= 60:
            raise _Unreadable(f"{unit} must be below 60", "sixty", unit=unit)
    return sum((part / 60**index for index, part in enumerate(parts)), start=Fraction(0))
