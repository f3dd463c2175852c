"""Specification of how typed positions are read and written (deconflict.geo.coords)."""

from __future__ import annotations

import doctest
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer

from deconflict.geo import coords
from deconflict.geo.coords import (
    InvalidCoordinate,
    Position,
    format_dms,
    format_mgrs,
    parse_position,
)

GEOD = Geod(ellps="WGS84")
UTM_37N_TO_LON_LAT = Transformer.from_crs("EPSG:32637", "EPSG:4326", always_xy=True)
LON_LAT_TO_UTM_37N = Transformer.from_crs("EPSG:4326", "EPSG:32637", always_xy=True)

AT_TANF = Position(lon_deg=38.64, lat_deg=33.5)
ARC_SECOND = 1 / 3600
# Exactly half the 0.1" step of format_dms, plus room for float rounding.
DMS_TOLERANCE_DEG = 0.05 * ARC_SECOND + 1e-9

positions = st.builds(
    Position,
    lon_deg=st.floats(min_value=-180, max_value=180),
    lat_deg=st.floats(min_value=-90, max_value=90),
)
property_settings = settings(max_examples=300, deadline=None, database=None)


def distance_m(a: Position, b: Position) -> float:
    return float(GEOD.inv(a.lon_deg, a.lat_deg, b.lon_deg, b.lat_deg)[2])


def problem_of(text: str) -> str:
    with pytest.raises(InvalidCoordinate) as caught:
        parse_position(text)
    return caught.value.problem


def assert_at(
    position: Position, lat_deg: float, lon_deg: float, within_deg: float = 1e-12
) -> None:
    assert position.lat_deg == pytest.approx(lat_deg, abs=within_deg)
    assert position.lon_deg == pytest.approx(lon_deg, abs=within_deg)


# mgrs and PROJ project independently; 1e-9 degree is about 0.1 mm.
GRID_AGREEMENT_DEG = 1e-9


# --- decimal degrees ---------------------------------------------------------


@pytest.mark.parametrize("text", ["33.5, 38.64", "33.5 38.64", "33.5;38.64", "33.5/38.64"])
def test_decimal_degrees_are_read_latitude_first(text: str) -> None:
    assert parse_position(text) == AT_TANF


@pytest.mark.parametrize(
    "text",
    [
        "33.5N 38.64E",
        "33.5N38.64E",
        "33.5°N, 38.64°E",
        "33.5 ° N 38.64 ° E",
        "N33.5 E38.64",
        "N 33.5, E 38.64",
        "33.5n 38.64e",
        "+33.5N +38.64E",
    ],
)
def test_decimal_degrees_accept_hemisphere_letters_before_or_after(text: str) -> None:
    assert parse_position(text) == AT_TANF


@pytest.mark.parametrize("text", ["-33.5, -70.25", "-33.5 -70.25", "\u221233.5 \u221270.25"])
def test_minus_sign_means_south_or_west(text: str) -> None:
    assert parse_position(text) == Position(lon_deg=-70.25, lat_deg=-33.5)


@pytest.mark.parametrize("text", ["33.5S 70.25W", "S33.5 W70.25", "70.25W 33.5S"])
def test_south_and_west_letters_make_values_negative(text: str) -> None:
    assert parse_position(text) == Position(lon_deg=-70.25, lat_deg=-33.5)


@pytest.mark.parametrize("text", ["38.64E 33.5N", "E38.64 N33.5", "38.64E, 33.5N"])
def test_hemisphere_letters_decide_which_value_is_latitude(text: str) -> None:
    assert parse_position(text) == AT_TANF


@pytest.mark.parametrize("text", ["33.5N 38.64", "38.64E 33.5", "38.64 33.5N", "33.5 38.64E"])
def test_one_letter_is_enough_to_place_both_values(text: str) -> None:
    assert parse_position(text) == AT_TANF


def test_zero_in_southern_or_western_hemisphere_is_plain_zero() -> None:
    position = parse_position("0 S, 0 W")
    assert (position.lat_deg, position.lon_deg) == (0.0, 0.0)
    assert str(position.lat_deg) == "0.0" and str(position.lon_deg) == "0.0"


@given(
    lat=st.floats(min_value=-90, max_value=90),
    lon=st.floats(min_value=-180, max_value=180),
)
@property_settings
def test_decimal_degrees_are_read_exactly_as_typed(lat: float, lon: float) -> None:
    lat_text, lon_text = f"{lat:.9f}", f"{lon:.9f}"
    position = parse_position(f"{lat_text}, {lon_text}")
    assert (position.lat_deg, position.lon_deg) == (float(lat_text), float(lon_text))


# --- degrees, minutes, seconds -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "33°30'00\"N 38°38'24\"E",
        "33°30'00\"N 038°38'24\"E",
        "33°30'00\"N, 038°38'24\"E",
        "33° 30' 00\" N 038° 38' 24\" E",
        "N33°30'00\" E038°38'24\"",
        "33°30'00\" 38°38'24\"",
        "33°30'00''N 038°38'24''E",
        "33\u00b030\u203200\u2033N 038\u00b038\u203224\u2033E",  # prime, double prime
        "33\u00ba30\u201900\u201dN 038\u00ba38\u201924\u201dE",  # word-processor quotes
    ],
)
def test_dms_with_marks_is_read(text: str) -> None:
    assert parse_position(text) == AT_TANF


@pytest.mark.parametrize(
    "text", ["33 30 00 N 038 38 24 E", "33 30 00N 38 38 24E", "N 33 30 00 E 38 38 24"]
)
def test_dms_with_spaces_and_letters_is_read(text: str) -> None:
    assert parse_position(text) == AT_TANF


def test_dms_seconds_may_have_decimals() -> None:
    position = parse_position("33°30'00.5\"S 038°38'24.25\"W")
    assert_at(position, -(33.5 + 0.5 / 3600), -(38.64 + 0.25 / 3600))


@pytest.mark.parametrize("text", ["33°30.5'N 38°38.4'E", "33 30.5 N 38 38.4 E"])
def test_degrees_and_decimal_minutes_are_read(text: str) -> None:
    assert_at(parse_position(text), 33 + 30.5 / 60, 38.64)


@pytest.mark.parametrize(
    ("text", "lat_deg", "lon_deg"),
    [
        ("33 30 00 38 38 24", 33.5, 38.64),
        ("33 30 38 38", 33.5, 38 + 38 / 60),
        ("-33 30 -38 38", -33.5, -(38 + 38 / 60)),
    ],
)
def test_bare_numbers_split_evenly_into_latitude_and_longitude(
    text: str, lat_deg: float, lon_deg: float
) -> None:
    assert_at(parse_position(text), lat_deg, lon_deg)


# --- compact DMS (military messages) -----------------------------------------


def test_compact_dms_reads_military_message_form() -> None:
    assert parse_position("333000N0383824E") == AT_TANF


def test_compact_dms_may_have_decimal_seconds() -> None:
    position = parse_position("333000.5N0383824.25E")
    assert_at(position, 33.5 + 0.5 / 3600, 38.64 + 0.25 / 3600)


def test_compact_degrees_minutes_reads_military_message_form() -> None:
    assert_at(parse_position("3330N03838E"), 33.5, 38 + 38 / 60)


@pytest.mark.parametrize("text", ["333000S0383824W", "0383824W 333000S", "333000S 0383824W"])
def test_compact_dms_takes_sign_and_order_from_letters(text: str) -> None:
    assert parse_position(text) == Position(lon_deg=-38.64, lat_deg=-33.5)


def test_compact_dms_mixes_with_decimal_degrees() -> None:
    assert parse_position("333000N 38.64E") == AT_TANF


# --- MGRS --------------------------------------------------------------------


def test_mgrs_known_point_is_centre_of_its_square_in_utm() -> None:
    # At Tanf, 33.5N 38.64E, is 466561.2 E 3706777.2 N in UTM zone 37N
    # (computed by PROJ), so its 1 m square is 37S DT 66561 06777.
    easting, northing = LON_LAT_TO_UTM_37N.transform(38.64, 33.5)
    assert (int(easting), int(northing)) == (466561, 3706777)
    lon, lat = UTM_37N_TO_LON_LAT.transform(466561.5, 3706777.5)
    assert_at(parse_position("37S DT 66561 06777"), lat, lon, GRID_AGREEMENT_DEG)
    assert distance_m(parse_position("37SDT6656106777"), AT_TANF) < 1


def test_mgrs_with_separate_easting_and_northing_is_read() -> None:
    lon, lat = UTM_37N_TO_LON_LAT.transform(212345.5, 3767890.5)
    assert_at(parse_position("37SBT 12345 67890"), lat, lon, GRID_AGREEMENT_DEG)
    assert_at(parse_position("37SBT1234567890"), lat, lon, GRID_AGREEMENT_DEG)


@pytest.mark.parametrize(
    ("text", "easting", "northing"),
    [
        ("37SDT", 450_000, 3_750_000),  # 100 km square
        ("37SDT 6 0", 465_000, 3_705_000),  # 10 km
        ("37SDT6606", 466_500, 3_706_500),  # 1 km
        ("37SDT 665 067", 466_550, 3_706_750),  # 100 m
        ("37SDT 6656 0677", 466_565, 3_706_775),  # 10 m
        ("37SDT 66561 06777", 466_561.5, 3_706_777.5),  # 1 m
    ],
)
def test_mgrs_precision_is_square_size_and_result_is_its_centre(
    text: str, easting: float, northing: float
) -> None:
    lon, lat = UTM_37N_TO_LON_LAT.transform(easting, northing)
    assert_at(parse_position(text), lat, lon, GRID_AGREEMENT_DEG)


@pytest.mark.parametrize(
    "text", ["37sdt 66561 06777", " 37S DT 66561 06777 ", "37 S DT 66561 06777"]
)
def test_mgrs_accepts_lowercase_and_spaces(text: str) -> None:
    assert parse_position(text) == parse_position("37SDT6656106777")


def test_mgrs_accepts_one_digit_zone() -> None:
    assert parse_position("4QFJ12345678") == parse_position("04QFJ 1234 5678")


def test_mgrs_polar_ups_reference_is_read() -> None:
    north_pole = Position(lon_deg=0.0, lat_deg=90.0)
    assert distance_m(parse_position("ZAH 00000 00000"), north_pole) < 1


# --- errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no position given"),
        ("   ", "no position given"),
        ("hello", "unexpected character 'H'"),
        ("33.5x, 38", "unexpected character 'X'"),
        ("33°°N 38E", "unexpected character '°'"),
        ("33.5", "expected a latitude and a longitude, found one value"),
        ("33 30 00 12 N 38E", "expected a latitude and a longitude, found 3 values"),
        ("1 2 3", "cannot tell where latitude ends and longitude begins"),
        ("1 2 3 4 5 6 7 8", "cannot tell where latitude ends and longitude begins"),
        ("1, 2, 3", "more than one separator"),
        ("33.5,", "expected exactly one value on each side of the separator"),
        (", 38", "expected exactly one value on each side of the separator"),
        ("91, 0", "latitude must be between -90 and 90 degrees"),
        ("-90.000001, 0", "latitude must be between -90 and 90 degrees"),
        ("90°00'01\"N 0E", "latitude must be between -90 and 90 degrees"),
        ("0, 181", "longitude must be between -180 and 180 degrees"),
        ("0, -180.000001", "longitude must be between -180 and 180 degrees"),
        ("180°00'00.1\"W 0N", "longitude must be between -180 and 180 degrees"),
        ("33°60'00\"N 38E", "minutes must be below 60"),
        ("33°60'N 38E", "minutes must be below 60"),
        ("33°30'60\"N 38E", "seconds must be below 60"),
        ("33°30'60.5\"N 38E", "seconds must be below 60"),
        ("336000N0383824E", "minutes must be below 60"),
        ("333060N0383824E", "seconds must be below 60"),
        ("33.5°30'N 38E", "degrees must be a whole number when minutes follow"),
        ("33°30.5'00\"N 38E", "minutes must be a whole number when seconds follow"),
        ('33°00"N 38E', "seconds given without minutes"),
        ("30'N 38E", "minutes given without degrees"),
        ("33.5N 38.64N", "both values are latitudes (N/S)"),
        ("38E 39W", "both values are longitudes (E/W)"),
        ("-33.5S 38E", "a value has both a minus sign and a hemisphere letter"),
        ("N -33 E 38", "a value has both a minus sign and a hemisphere letter"),
        ("33 -30 38 38", "a sign may only stand before the degrees"),
        ("N S 33 38", "two hemisphere letters in a row"),
        ("33.5 38.64 E N", "hemisphere letter N has no number"),
        ("33300N 38E", "compact latitude must be DDMM or DDMMSS, not 5 digits"),
        ("3330N 0383E", "compact longitude must be DDDMM or DDDMMSS, not 4 digits"),
        ("37SDT123", "MGRS needs as many northing digits as easting digits"),
        ("37SDT 123 4567", "MGRS easting and northing need the same number of digits"),
        ("37SDT 1 2 3", "MGRS digits must be one block, or easting then northing"),
        ("37SDT 123456 123456", "MGRS allows at most 5 digits each"),
        ("61SDT 66561 06777", "MGRS zone must be 1 to 60"),
        ("0SDT 66561 06777", "MGRS zone must be 1 to 60"),
        ("37TDT 66561 06777", "MGRS latitude band letter does not match the grid square"),
        ("37XDT 12345 67890", "not a valid MGRS reference (northing error)"),
        ("37SIT 12345 67890", "not a valid MGRS reference (string error)"),
    ],
)
def test_unreadable_text_is_refused_with_its_problem(text: str, problem: str) -> None:
    assert problem in problem_of(text)


def test_error_names_the_text_and_the_problem() -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        parse_position("33°60'00\"N 038°38'24\"E")
    error = caught.value
    assert error.text == "33°60'00\"N 038°38'24\"E"
    assert error.problem == "minutes must be below 60"
    assert f"cannot read position {error.text!r}: minutes must be below 60" in str(error)


def test_error_is_a_value_error_and_survives_pickling() -> None:
    refused = InvalidCoordinate("91, 0", "latitude too big", "out_of_range", axis="latitude")
    error = pickle.loads(pickle.dumps(refused))
    assert isinstance(error, InvalidCoordinate)
    assert isinstance(error, ValueError)
    assert (error.text, error.problem) == ("91, 0", "latitude too big")
    assert (error.code, error.params) == (
        "unreadable_position",
        {"reason": "out_of_range", "axis": "latitude"},
    )


@pytest.mark.parametrize("typed", ["37S DT 66561 06777x", "37SDT6656106777 x", "37S DT 665 067;"])
def test_an_mgrs_reference_with_a_stray_character_says_so_and_names_it(typed: str) -> None:
    with pytest.raises(InvalidCoordinate) as caught:
        parse_position(typed)
    stray = typed[-1]
    assert caught.value.problem == (
        f"an MGRS reference holds only digits after its grid square, not {stray!r}"
    )
    assert caught.value.params == {"reason": "mgrs_trailing", "character": stray}


def test_every_refusal_names_its_reason() -> None:
    reasons = set()
    for typed in ["", "33.5, 38.64, 1", "33 x 38", "91, 0", "33°60'N 38E", "N E 33 38"]:
        with pytest.raises(InvalidCoordinate) as caught:
            parse_position(typed)
        reasons.add(caught.value.params["reason"])
    assert reasons == {
        "empty",
        "separators",
        "unexpected_character",
        "out_of_range",
        "sixty",
        "hemisphere_twice",
    }


def assert_in_range_or_refused(text: str) -> None:
    try:
        position = parse_position(text)
    except InvalidCoordinate:
        return
    assert -90 <= position.lat_deg <= 90
    assert -180 <= position.lon_deg <= 180


@given(st.text(max_size=40))
@property_settings
def test_any_text_gives_a_position_in_range_or_invalid_coordinate(text: str) -> None:
    assert_in_range_or_refused(text)


@given(st.text(alphabet="0123456789NSEWDTZAH .,;-+°'\"", max_size=30))
@property_settings
def test_coordinate_like_text_gives_a_position_in_range_or_invalid_coordinate(
    text: str,
) -> None:
    assert_in_range_or_refused(text)


# --- writing -----------------------------------------------------------------


def test_format_dms_writes_fixed_width_with_hemisphere_letters() -> None:
    assert format_dms(AT_TANF) == "33°30'00.0\"N 038°38'24.0\"E"
    assert format_dms(Position(lon_deg=-70.25, lat_deg=-5.0)) == ("05°00'00.0\"S 070°15'00.0\"W")


def test_format_dms_carries_rounded_seconds_into_minutes_and_degrees() -> None:
    almost = 10 + 59 / 60 + 59.96 / 3600
    assert format_dms(Position(lon_deg=almost, lat_deg=almost)) == ("11°00'00.0\"N 011°00'00.0\"E")


def test_format_dms_writes_a_value_rounding_to_zero_as_north_or_east() -> None:
    assert format_dms(Position(lon_deg=-1e-9, lat_deg=-1e-9)) == ("00°00'00.0\"N 000°00'00.0\"E")


def test_format_dms_writes_pole_and_antimeridian() -> None:
    assert format_dms(Position(lon_deg=-180.0, lat_deg=90.0)) == ("90°00'00.0\"N 180°00'00.0\"W")


def test_format_mgrs_writes_square_then_easting_and_northing() -> None:
    assert format_mgrs(AT_TANF) == "37SDT 66561 06777"
    assert format_mgrs(AT_TANF, precision=3) == "37SDT 665 067"
    assert format_mgrs(AT_TANF, precision=0) == "37SDT"


def test_format_mgrs_uses_ups_at_the_poles() -> None:
    assert format_mgrs(Position(lon_deg=0.0, lat_deg=90.0)) == "ZAH 00000 00000"
    assert format_mgrs(Position(lon_deg=0.0, lat_deg=-90.0)).startswith("B")


@pytest.mark.parametrize(
    ("position", "reference"),
    [
        # mgrs itself writes 31MAA 66021 00000 (band M, northing 0), which it
        # then refuses to read.
        (Position(lon_deg=0.0, lat_deg=-1e-8), "31NAA 66021 00000"),
        # mgrs itself writes 31VEC 00000 06079, outside the narrowed zone 31V.
        (Position(lon_deg=2.999999999, lat_deg=56.0), "32VJH 26049 22336"),
    ],
)
def test_format_mgrs_writes_a_point_millimetres_from_a_grid_edge_readably(
    position: Position, reference: str
) -> None:
    assert format_mgrs(position) == reference
    assert distance_m(parse_position(reference), position) < 1


@pytest.mark.parametrize("precision", [-1, 6, True])
def test_format_mgrs_refuses_precision_outside_0_to_5(precision: int) -> None:
    with pytest.raises(ValueError, match="precision"):
        format_mgrs(AT_TANF, precision=precision)


def test_format_mgrs_refuses_position_out_of_range() -> None:
    with pytest.raises(ValueError, match="MGRS"):
        format_mgrs(Position(lon_deg=0.0, lat_deg=91.0))


@given(positions)
@property_settings
def test_format_dms_round_trips_within_half_a_tenth_of_an_arc_second(
    position: Position,
) -> None:
    back = parse_position(format_dms(position))
    assert abs(back.lat_deg - position.lat_deg) <= DMS_TOLERANCE_DEG
    assert abs(back.lon_deg - position.lon_deg) <= DMS_TOLERANCE_DEG


@given(positions)
@property_settings
def test_format_mgrs_round_trips_within_one_and_a_half_metres(position: Position) -> None:
    # Polar positions included: mgrs writes and reads UPS there.
    back = parse_position(format_mgrs(position))
    assert distance_m(back, position) < 1.5


@given(positions, st.integers(min_value=0, max_value=5))
@property_settings
def test_format_mgrs_square_contains_the_position(position: Position, precision: int) -> None:
    # The centre read back is at most half a square diagonal away, stretched
    # by the grid scale (0.9996 on a UTM central meridian, 0.994 at the poles).
    square_m = 10.0 ** (5 - precision)
    back = parse_position(format_mgrs(position, precision=precision))
    assert distance_m(back, position) <= square_m * 0.7072 / 0.994 + 0.01


def test_docstring_examples_hold() -> None:
    failures, tried = doctest.testmod(coords, raise_on_error=False, verbose=False)
    assert tried > 0
    assert failures == 0
