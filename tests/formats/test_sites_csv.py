"""Site lists as aid agencies keep them: read row by row, every bad row named, written back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.formats import Defaults, Reading
from deconflict.formats.sites_csv import SITE_COLUMNS, read_sites_csv, write_sites_csv
from deconflict.geo.coords import parse_position
from deconflict.geo.shapes import Area, Circle, Corridor
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.schedule import Every, Recurrence
from tests.strategies import feature_ids

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 9, 7, 6, 0, tzinfo=UTC)
DEFAULTS = Defaults("unhcr", T0)


def _problems(
    reading: Reading,
) -> list[tuple[int, str | None, list[tuple[str | None, object, str]]]]:
    return [
        (r.line, r.item, [(p.field, p.value, p.message) for p in r.problems])
        for r in reading.rejected
    ]


def _site(
    feature_id: str, name: str, centre: tuple[float, float], radius_m: float, **more: Any
) -> Feature:
    window = more.pop("window", TimeWindow(T0))
    return Feature(
        feature_id, Kind.ZONE, "unhcr", Circle(centre, radius_m), window, name=name, **more
    )


def _centre(text: str) -> tuple[float, float]:
    position = parse_position(text)
    return position.lon_deg, position.lat_deg


# The agency's file ----------------------------------------------------------------------------


def test_the_agency_file_reads_into_its_good_sites() -> None:
    reading = read_sites_csv((GOLDEN / "sites-agency.csv").read_text(encoding="utf-8"), DEFAULTS)

    assert reading.features == (
        _site("SY-HOS-001", "Al-Razi Hospital", (37.1452, 36.2155), 500.0),
        _site("SY-HOS-002", "Bab al-Hawa Hospital", _centre("37SBA 93382 11144"), 1000.0),
        _site("SY-CMP-001", "Atmeh Camp", (36.0 + 41 / 60 + 10 / 3600, 36.0 + 12.5 / 60), 2000.0),
        _site("SY-SCH-014", "مدرسة الأمل", (36.6339, 35.9306), 250.0),
        _site("SY-WH-003", "Warehouse, Sarmada", (36.7245, 36.1825), 150.0),
        _site(
            "SY-CLN-007",
            "Mobile Clinic 7",
            (36.5481, 36.0125),
            926.0,
            window=TimeWindow(datetime(2026, 9, 7, tzinfo=UTC), None),
        ),
        _site(
            "SY-BAK-001",
            "Dana Bakery",
            (36.0 + 38 / 60, 36.0 + 14 / 60),
            100.0,
            window=TimeWindow(
                datetime(2026, 9, 7, 12, tzinfo=UTC), datetime(2026, 10, 7, 12, tzinfo=UTC)
            ),
        ),
    )
    assert reading.lines == (2, 3, 4, 5, 6, 13, 16)


def test_category_contact_notes_and_other_columns_are_kept_as_properties() -> None:
    reading = read_sites_csv((GOLDEN / "sites-agency.csv").read_text(encoding="utf-8"), DEFAULTS)

    assert [f.extra for f in reading.features[:2]] == [
        {"category": "hospital", "contact": "+963 21 000 0001", "Governorate": "Aleppo"},
        {
            "category": "hospital",
            "contact": "+963 23 000 0002",
            "notes": "Trauma and surgery",
            "Governorate": "Idlib",
        },
    ]
    assert reading.features[5].extra["notes"] == "Moves weekly.\nCall before visiting."


def test_every_bad_row_is_rejected_with_its_line_name_and_every_problem() -> None:
    reading = read_sites_csv((GOLDEN / "sites-agency.csv").read_text(encoding="utf-8"), DEFAULTS)

    assert _problems(reading) == [
        (8, "Idlib Central Hospital", [("Latitude", "95.2", "Latitude 95.2 is outside -90..90")]),
        (
            9,
            "Kafr Lusin Camp",
            [
                (
                    "MGRS",
                    "37SBA 00000 00000",
                    "'37SBA 00000 00000' is 89,247 m from Latitude 36.21, Longitude 36.65: "
                    "give Latitude and Longitude, or MGRS, not both",
                )
            ],
        ),
        (10, "Sarmada School", [("Radius", "-5", "Radius '-5' must not be negative")]),
        (
            11,
            "Al-Razi Annex",
            [("Site ID", "SY-HOS-001", "id 'SY-HOS-001' is already used by the row at line 2")],
        ),
        (
            12,
            "Atmeh Camp",
            [
                (
                    "Site Name",
                    "Atmeh Camp",
                    "name 'Atmeh Camp' is already used by the row at line 4; "
                    "give the sites distinct names, or ids",
                )
            ],
        ),
        (
            15,
            "Harem Clinic",
            [
                (
                    "Radius",
                    "2 mi",
                    "Radius '2 mi' is ambiguous: statute or nautical miles? "
                    "write it in m, km or NM",
                ),
                (
                    "End",
                    "next week",
                    "End: cannot read time 'next week': expected ISO 8601 with a UTC offset "
                    "(2026-09-07T12:00Z) or a date-time group (071200ZSEP26)",
                ),
            ],
        ),
        (
            17,
            "Distribution Point 2",
            [("Latitude", None, "no position: give Latitude and Longitude, MGRS or Location")],
        ),
        (
            18,
            "Maternity Hospital",
            [
                (
                    "Latitude",
                    "36.1x",
                    "cannot read Latitude '36.1x', Longitude '36.7': unexpected character 'X'",
                )
            ],
        ),
    ]
    assert {p.feature_id for r in reading.rejected for p in r.problems} >= {
        "SY-HOS-003",
        "Atmeh Camp",
    }


# Files as they come -----------------------------------------------------------------------------


def test_semicolons_decimal_commas_and_cyrillic_names_are_read() -> None:
    reading = read_sites_csv(
        "NAME;LATITUDE;LONGITUDE;RADIUS (KM)\n"
        "Больница № 1;48,0159;37,8029;1,5\n"
        "Школа 5;47,0951;37,5413;0,25\n",
        DEFAULTS,
    )

    assert reading.features == (
        _site("больница-no-1", "Больница № 1", (37.8029, 48.0159), 1500.0),
        _site("школа-5", "Школа 5", (37.5413, 47.0951), 250.0),
    )


def test_tabs_a_byte_order_mark_and_blank_lines_are_handled() -> None:
    text = "\ufeffname\tmgrs\tradius_m\n\n\nمستشفى الشفاء\t36R XV 37167 88525\t300\n\t\t\n"

    reading = read_sites_csv(text, DEFAULTS)

    (feature,) = reading.features
    assert (feature.id, feature.name, reading.lines) == ("مستشفى-الشفاء", "مستشفى الشفاء", (4,))
    assert feature.shape == Circle(_centre("36RXV3716788525"), 300.0)


def test_a_position_column_takes_any_form_people_type() -> None:
    text = (
        "name,position\n"
        "a,33.5 38.64\n"
        'b,"33°30\'00""N 038°38\'24""E"\n'
        "c,333000N0383824E\n"
        "d,37S DT 66561 06777\n"
    )

    reading = read_sites_csv(text, DEFAULTS)

    assert reading.rejected == ()
    for feature in reading.features:
        assert isinstance(feature.shape, Circle)
        lon, lat = feature.shape.centre
        assert (round(lon, 4), round(lat, 4)) == (38.64, 33.5)


def test_lat_and_lon_in_degrees_minutes_and_seconds_are_read_together() -> None:
    reading = read_sites_csv(
        'name,lat,lon\nClinic,"33 30 00 N","038 38 24 E"\nDepot,33°30\'S,70°12\'W\n',
        DEFAULTS,
    )

    assert [f.shape for f in reading.features] == [
        Circle((38.64, 33.5)),
        Circle((-70.2, -33.5)),
    ]


def test_id_kind_and_window_columns_override_the_defaults() -> None:
    text = (
        "id,name,lat,lon,kind,start,end\n"
        "c-1,Convoy halt,33.5,38.6,Activity,2026-09-08T10:00:00+03:00,081200ZSEP26\n"
        "h-1,Hospital,33.6,38.7,,,\n"
    )
    defaults = Defaults("unhcr", T0, Kind.ZONE, T0 + timedelta(days=7))

    halt, hospital = read_sites_csv(text, defaults).features

    assert (halt.id, halt.kind, halt.window) == (
        "c-1",
        Kind.ACTIVITY,
        TimeWindow(datetime(2026, 9, 8, 7, tzinfo=UTC), datetime(2026, 9, 8, 12, tzinfo=UTC)),
    )
    assert (hospital.kind, hospital.window) == (Kind.ZONE, TimeWindow(T0, T0 + timedelta(days=7)))


def test_ufn_ends_a_site_never_even_when_the_defaults_give_an_end() -> None:
    defaults = Defaults("unhcr", T0, end=T0 + timedelta(days=7))

    (feature,) = read_sites_csv("name,lat,lon,end\nCamp,33.5,38.6,ufn\n", defaults).features

    assert feature.window == TimeWindow(T0, None)


@pytest.mark.parametrize(
    ("header", "cell", "radius_m"),
    [
        ("radius", "500", 500.0),
        ("radius_m", "500 m", 500.0),
        ("Radius", "2 km", 2000.0),
        ("Radius", "1.5 NM", 2778.0),
        ("Radius", "1000 ft", 304.8),
        ("Radius (km)", "2,5", 2500.0),
        ("Radius (km)", "300 m", 300.0),
        ("Radius (NM)", "2", 3704.0),
        ("radius", "", 0.0),
        ("radius", "1.5E+03", 1500.0),
    ],
)
def test_a_radius_is_metres_unless_the_cell_or_column_says_otherwise(
    header: str, cell: str, radius_m: float
) -> None:
    (feature,) = read_sites_csv(
        f'name,lat,lon,"{header}"\nSite,33.5,38.6,"{cell}"\n', DEFAULTS
    ).features

    assert isinstance(feature.shape, Circle)
    assert feature.shape.centre == (38.6, 33.5)
    assert feature.shape.radius_m == pytest.approx(radius_m)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1,500", "radius '1,500' is ambiguous: a thousands separator or a decimal comma?"),
        ("3 miles", "radius '3 miles' is ambiguous: statute or nautical miles?"),
        ("wide", "radius 'wide' is not a length; write metres (500)"),
        ("5 furlongs", "radius '5 furlongs' is not a length"),
        ("-0.1 km", "radius '-0.1 km' must not be negative"),
    ],
)
def test_a_radius_that_is_not_plainly_a_length_is_refused(cell: str, message: str) -> None:
    reading = read_sites_csv(f'name,lat,lon,radius\nSite,33.5,38.6,"{cell}"\n', DEFAULTS)

    (rejected,) = reading.rejected
    (problem,) = rejected.problems
    assert (problem.field, problem.value) == ("radius", cell)
    assert problem.message.startswith(message)


def test_lat_and_lon_agreeing_with_mgrs_are_accepted_and_lat_lon_kept() -> None:
    text = "name,lat,lon,mgrs\nSite,33.5,38.64,37SDT 66561 06777\nNear,33.5,38.64,37SDT 66 06\n"

    reading = read_sites_csv(text, DEFAULTS)

    assert [f.shape for f in reading.features] == [Circle((38.64, 33.5))] * 2


def test_half_a_position_or_two_kinds_of_position_are_refused() -> None:
    text = "name,lat,lon,position\nA,33.5,,\nB,,38.6,\nC,33.5,38.6,33.5 38.6\n"

    assert [
        (r.line, [(p.field, p.message) for p in r.problems])
        for r in read_sites_csv(text, DEFAULTS).rejected
    ] == [
        (2, [("lon", "give both lat and lon")]),
        (3, [("lat", "give both lat and lon")]),
        (4, [("position", "give lat and lon or position, only one of them")]),
    ]


def test_a_row_without_name_or_id_and_a_row_too_long_are_refused() -> None:
    text = "name,lat,lon\n,33.5,38.6\nB,33.5,38.6,extra\nC,33.5,38.6,,\n"

    reading = read_sites_csv(text, DEFAULTS)

    assert [f.name for f in reading.features] == ["C"]
    assert _problems(reading) == [
        (2, None, [("name", None, "give the site a name or an id")]),
        (3, "B", [("row", ["extra"], "the row has 4 cells but the header names 3 columns")]),
    ]


def test_sites_of_another_party_are_not_imported_as_ours() -> None:
    text = "name,lat,lon,party\nOurs,33.5,38.6,unhcr\nTheirs,33.6,38.7,icrc\n"

    reading = read_sites_csv(text, DEFAULTS)

    assert [f.name for f in reading.features] == ["Ours"]
    assert _problems(reading) == [
        (
            3,
            "Theirs",
            [
                (
                    "party",
                    "icrc",
                    "party 'icrc' is not the importing party 'unhcr'; "
                    "remove the party column to import these sites as yours",
                )
            ],
        )
    ]


def test_names_without_ids_get_ids_from_the_name_never_taking_a_given_one() -> None:
    text = "id,name,lat,lon\n,Camp A,33.5,38.6\ncamp-a,Other,33.6,38.6\n,Camp-A!,33.7,38.6\n"

    reading = read_sites_csv(text, DEFAULTS)

    assert [f.id for f in reading.features] == ["camp-a-2", "camp-a", "camp-a-3"]


def test_a_quoted_multi_line_cell_counts_its_lines() -> None:
    text = 'name,lat,lon,notes\nA,33.5,38.6,"one\ntwo\nthree"\nB,95,38.6,\n'

    reading = read_sites_csv(text, DEFAULTS)

    assert reading.lines == (2,)
    assert reading.rejected[0].line == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: the file is empty; a site list starts with a header row"),
        ("\n\n", "line 1: the file is empty; a site list starts with a header row"),
        (
            "\nAl-Razi Hospital,36.2155,37.1452\n",
            "line 2: the header row names no column for a name (or id) and a position",
        ),
        ("name,latitude\nA,33.5\n", "line 1: column 'latitude' needs a lon column beside it"),
        ("name,lat,lon,Latitude\n", "line 1: columns 'lat' and 'Latitude' say the same thing"),
        (
            "name,lat,lon,Buffer (m)\n",
            "line 1: column 'Buffer (m)' cannot be read from a site list",
        ),
        ("name,lat,lon,altitude\n", "line 1: column 'altitude' cannot be read from a site list"),
        ('name,lat,lon\n"A,33.5,38.6\n', "line 2: not readable as CSV"),
    ],
)
def test_a_file_whose_header_cannot_be_read_is_refused_naming_the_line(
    text: str, message: str
) -> None:
    with pytest.raises(InvalidPlan) as raised:
        read_sites_csv(text, DEFAULTS)

    (problem,) = raised.value.problems
    assert problem.message.startswith(message)


def test_ten_thousand_rows_are_read() -> None:
    rows = [
        f"S-{i},Site {i},{30 + i * 1e-4:.4f},{40 - i * 1e-4:.4f},{100 + i % 50}\n"
        for i in range(10_000)
    ]
    text = "id,name,lat,lon,radius_m\n" + "".join(rows)

    reading = read_sites_csv(text, DEFAULTS)

    assert len(reading.features) == 10_000
    assert reading.lines[-1] == 10_001
    assert reading.features[-1].shape == Circle((39.0001, 30.9999), 149.0)


# Writing ----------------------------------------------------------------------------------------


def test_sites_are_written_under_the_fixed_header_with_lat_lon_and_mgrs() -> None:
    sites = [
        _site(
            "SY-HOS-001",
            "Al-Razi Hospital",
            (37.1452, 36.2155),
            500.0,
            extra={"category": "hospital", "contact": "+963 21 000 0001", "Governorate": "Aleppo"},
        ),
        _site(
            "SY-CLN-007",
            "Clinic, mobile",
            (36.5481, 36.0125),
            926.5,
            window=TimeWindow(T0, T0 + timedelta(days=3)),
            extra={"notes": "Moves weekly.\nCall first."},
        ),
    ]

    text = write_sites_csv(sites)

    assert text == (
        "id,name,lat,lon,mgrs,radius_m,category,contact,kind,party,start,end,notes\n"
        "SY-HOS-001,Al-Razi Hospital,36.2155000,37.1452000,37SCA 33278 09445,500,hospital,"
        "'+963 21 000 0001,zone,unhcr,2026-09-07T06:00:00Z,UFN,\n"
        'SY-CLN-007,"Clinic, mobile",36.0125000,36.5481000,37SBV 79029 88115,926.5,,,zone,unhcr,'
        '2026-09-07T06:00:00Z,2026-09-10T06:00:00Z,"Moves weekly.\nCall first."\n'
    )
    assert tuple(next(csv.reader(io.StringIO(text)))) == SITE_COLUMNS
    assert read_sites_csv(text, DEFAULTS).features == tuple(sites)


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_inert_and_read_back() -> None:
    site = _site("=cmd|'/c calc'!A1", "+Clinic", (38.6, 33.5), 0.0, extra={"notes": "'quoted"})

    text = write_sites_csv([site])
    (feature,) = read_sites_csv(text, DEFAULTS).features

    assert "\n'=cmd|'/c calc'!A1,'+Clinic," in text
    assert (feature.id, feature.name, feature.extra) == (site.id, site.name, site.extra)


@pytest.mark.parametrize(
    ("feature", "field", "value"),
    [
        (_site("zone-1", "Z", (38.6, 33.5), 10.0), None, None),
        (
            Feature(
                "area-1",
                Kind.ZONE,
                "unhcr",
                Area(((((0, 0), (1, 0), (1, 1), (0, 0)),),)),
                TimeWindow(T0),
            ),
            "geometry",
            "area",
        ),
        (
            Feature("road-1", Kind.ZONE, "unhcr", Corridor(((0, 0), (1, 1)), 5.0), TimeWindow(T0)),
            "geometry",
            "corridor",
        ),
        (_site("hi", "H", (38.6, 33.5), 10.0, buffer_m=50.0), "buffer_m", 50.0),
        (
            _site("fl", "F", (38.6, 33.5), 10.0, band=AltitudeBand(0.0, 3000.0, Datum.MSL)),
            "altitude",
            AltitudeBand(0.0, 3000.0, Datum.MSL),
        ),
        (
            _site(
                "daily",
                "D",
                (38.6, 33.5),
                10.0,
                window=TimeWindow(T0, T0 + timedelta(hours=2)),
                repeat=Recurrence(Every.DAY),
            ),
            "repeat",
            Recurrence(Every.DAY),
        ),
        (_site("act", "A", (38.6, 33.5), 10.0, activity="convoy"), "activity", "convoy"),
    ],
    ids=["circle", "area", "corridor", "buffer", "altitude", "repeat", "activity"],
)
def test_only_plain_circles_are_written_and_anything_else_is_named(
    feature: Feature, field: str | None, value: object
) -> None:
    if field is None:
        assert write_sites_csv([feature]).count("\n") == 2
        return
    with pytest.raises(InvalidFeature) as raised:
        write_sites_csv([feature])

    assert (raised.value.feature_id, raised.value.field, raised.value.value) == (
        feature.id,
        field,
        value,
    )
    assert raised.value.message.endswith("export it as GeoJSON or KML")


# Round trip -------------------------------------------------------------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=16
).filter(lambda s: s == s.strip())
_DEGREES_E7 = 10_000_000


@st.composite
def _sites(draw: st.DrawFn) -> list[Feature]:
    ids = draw(st.lists(feature_ids(max_size=16), min_size=1, max_size=6, unique=True))
    sites = []
    for feature_id in ids:
        lat = draw(st.integers(-90 * _DEGREES_E7, 90 * _DEGREES_E7)) / _DEGREES_E7
        lon = draw(st.integers(-180 * _DEGREES_E7, 180 * _DEGREES_E7)) / _DEGREES_E7
        radius = draw(st.sampled_from([0.0, 500.0]) | st.floats(0.0, 1e7))
        start = T0 + timedelta(seconds=draw(st.integers(-(10**7), 10**7)))
        length = draw(st.none() | st.integers(1, 10**7))
        extra = draw(st.dictionaries(st.sampled_from(["category", "contact", "notes"]), _TEXT))
        sites.append(
            Feature(
                feature_id,
                draw(st.sampled_from(Kind)),
                "unhcr",
                Circle((lon, lat), radius),
                TimeWindow(start, None if length is None else start + timedelta(seconds=length)),
                name=draw(st.none() | _TEXT),
                extra=extra,
            )
        )
    return sites


@settings(max_examples=100, deadline=None, database=None)
@given(_sites())
def test_written_sites_read_back_equal(sites: list[Feature]) -> None:
    reading = read_sites_csv(write_sites_csv(sites), DEFAULTS)

    assert reading.rejected == ()
    assert reading.features == tuple(sites)
    assert [f.extra for f in reading.features] == [s.extra for s in sites]
