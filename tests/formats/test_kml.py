"""KML 2.2: what Google Earth is given, and what is read back from what it saves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from deconflict.errors import InvalidFeature, InvalidPlan
from deconflict.formats import Defaults, Reading
from deconflict.formats.kml import KML_NS, read_kml, write_kml
from deconflict.geo.shapes import Area, Circle, Corridor, Orbit, Sector, Shape, Side, Track
from deconflict.rules.altitude import AltitudeBand, Datum
from deconflict.rules.feature import Feature, Kind, TimeWindow
from deconflict.rules.schedule import Every, Recurrence
from tests.oracle import anchors, areas

GOLDEN = Path(__file__).parent / "golden"
T0 = datetime(2026, 9, 7, 6, 0, tzinfo=UTC)  # a Monday
NS = {"k": KML_NS}
NAMES = {"coalition": "Coalition", "russia": "Russian Aerospace Forces", "unhcr": "UNHCR"}
DEFAULTS = Defaults("unhcr", T0, Kind.ZONE, T0 + timedelta(days=30))


def _hours(n: float) -> datetime:
    return T0 + timedelta(hours=n)


def _feature(
    feature_id: str, kind: Kind, party: str, shape: Shape, end: float | None = None, **more: Any
) -> Feature:
    window = TimeWindow(T0, None if end is None else _hours(end))
    return Feature(feature_id, kind, party, shape, window, **more)


RUKBAN = (
    ((38.5, 33.3), (38.56, 33.3), (38.56, 33.34), (38.5, 33.34), (38.5, 33.3)),
    ((38.52, 33.31), (38.53, 33.31), (38.53, 33.32), (38.52, 33.31)),
)
DATELINE = (
    (((179.95, -17.0), (180.0, -17.0), (180.0, -16.95), (179.95, -16.95), (179.95, -17.0)),),
    (((-180.0, -17.0), (-179.95, -17.0), (-179.95, -16.95), (-180.0, -16.95), (-180.0, -17.0)),),
)
PATROL = ((38.5, 33.3), (38.6, 33.35), (38.7, 33.33))

# Every shape kind, repeats, and bands in every datum (one mixed).
FEATURES = (
    _feature(
        "at-tanf",
        Kind.ZONE,
        "coalition",
        Circle((38.64, 33.5), 1500.0),
        band=AltitudeBand(None, 3048.0, Datum.MSL),
        name="At Tanf garrison",
        extra={"category": "garrison"},
    ),
    _feature(
        "well-7", Kind.ZONE, "coalition", Circle((38.7, 33.42)), name='Well 7 <north> & "east"'
    ),
    _feature("supply-route", Kind.ZONE, "coalition", Corridor(PATROL, 300.0), end=72),
    _feature(
        "patrol-line",
        Kind.ACTIVITY,
        "coalition",
        Corridor(PATROL, 0.0),
        end=6,
        activity="patrol",
        band=AltitudeBand(0.0, 150.0, Datum.AGL),
    ),
    _feature(
        "camp-rukban",
        Kind.ZONE,
        "unhcr",
        Area((RUKBAN,)),
        name="مخيم الركبان",
        extra={"category": "camp", "contact": "+963 11 000 0000"},
    ),
    _feature("dateline-zone", Kind.ZONE, "unhcr", Area(DATELINE), end=24),
    _feature(
        "strike-box",
        Kind.ACTIVITY,
        "russia",
        Sector((38.8, 33.6), 1500.0, 300.0, 30.0, 120.0),
        end=3,
        band=AltitudeBand(0.0, 5943.6, Datum.AGL, Datum.FL),
        buffer_m=500.0,
        activity="strike",
    ),
    _feature(
        "cap-orbit",
        Kind.ACTIVITY,
        "russia",
        Orbit((38.9, 33.7), (38.95, 33.72), 1000.0, Side.LEFT),
        end=2,
        band=AltitudeBand(6096.0, 7620.0, Datum.FL),
        repeat=Recurrence(Every.WEEK, 1, (0, 2, 4), None),
    ),
    _feature(
        "convoy-track",
        Kind.ACTIVITY,
        "russia",
        Track(((38.3, 33.1), (38.32, 33.12), (38.33, 33.15)), 100.0, 200.0),
        end=4,
        band=AltitudeBand(0.0, 150.0, Datum.WGS84),
        repeat=Recurrence(Every.DAY, 2, (), _hours(24 * 14)),
    ),
)


def _by_id(reading: Reading) -> dict[str, Feature]:
    return {feature.id: feature for feature in reading.features}


def _problems(reading: Reading) -> list[tuple[int, str | None, list[tuple[str | None, str]]]]:
    return [(r.line, r.item, [(p.field, p.message) for p in r.problems]) for r in reading.rejected]


# Writing and reading back ---------------------------------------------------------------------


def test_features_of_every_shape_repeat_and_datum_come_back_equal() -> None:
    reading = read_kml(write_kml(FEATURES, NAMES), DEFAULTS)

    assert reading.rejected == ()
    assert _by_id(reading) == {feature.id: feature for feature in FEATURES}
    for feature in FEATURES:
        assert _by_id(reading)[feature.id].extra == feature.extra


def test_each_feature_read_back_names_the_line_of_its_placemark() -> None:
    text = write_kml(FEATURES, NAMES)
    reading = read_kml(text, DEFAULTS)

    lines = text.splitlines()
    for feature, line in zip(reading.features, reading.lines, strict=True):
        assert lines[line - 1].strip() == f'<Placemark id="{feature.id}">'


def test_export_matches_the_golden_file_byte_for_byte() -> None:
    """After a deliberate change to the output (or to `outline`), rewrite the golden file
    from `write_kml(FEATURES, NAMES)` and check it by eye against the KML 2.2 reference."""
    assert write_kml(FEATURES, NAMES).encode("utf-8") == (GOLDEN / "kml-export.kml").read_bytes()


def _golden_tree() -> etree._Element:
    return etree.fromstring((GOLDEN / "kml-export.kml").read_bytes())


def test_export_has_a_folder_per_party_named_for_it_and_styles_for_every_placemark() -> None:
    root = _golden_tree()

    assert root.tag == f"{{{KML_NS}}}kml"
    folders = root.findall("k:Document/k:Folder", NS)
    assert [f.findtext("k:name", namespaces=NS) for f in folders] == [
        "Coalition",
        "Russian Aerospace Forces",
        "UNHCR",
    ]
    styles = {s.get("id") for s in root.iterfind("k:Document/k:Style", NS)}
    urls = [u.text for u in root.iterfind(".//k:Placemark/k:styleUrl", NS)]
    assert len(urls) == len(FEATURES)
    assert {url.removeprefix("#") for url in urls} <= styles


def test_each_party_has_its_colour_and_its_activities_stand_out_from_its_zones() -> None:
    root = _golden_tree()
    style = {s.get("id"): s for s in root.iterfind("k:Document/k:Style", NS)}
    zone, activity = style["style-1-zone"], style["style-1-activity"]

    def colour(s: etree._Element, path: str) -> str:
        return s.findtext(path, namespaces=NS) or ""

    assert colour(zone, "k:LineStyle/k:color") == colour(activity, "k:LineStyle/k:color")
    assert colour(zone, "k:PolyStyle/k:color")[2:] == colour(activity, "k:PolyStyle/k:color")[2:]
    assert int(colour(zone, "k:PolyStyle/k:color")[:2], 16) < int(
        colour(activity, "k:PolyStyle/k:color")[:2], 16
    )
    assert colour(zone, "k:LineStyle/k:width") != colour(activity, "k:LineStyle/k:width")
    party_colours = {colour(style[f"style-{i}-zone"], "k:LineStyle/k:color") for i in range(3)}
    assert len(party_colours) == 3


def _placemark(root: etree._Element, feature_id: str) -> etree._Element:
    found = root.find(f".//k:Placemark[@id='{feature_id}']", NS)
    assert found is not None
    return found


def test_coordinates_are_lon_lat_and_every_ring_is_closed() -> None:
    root = _golden_tree()

    assert _placemark(root, "well-7").findtext("k:Point/k:coordinates", namespaces=NS) == (
        "38.7,33.42"
    )
    rings = root.findall(".//k:LinearRing/k:coordinates", NS)
    assert rings
    for ring in rings:
        positions = (ring.text or "").split()
        assert len(positions) >= 4
        assert positions[0] == positions[-1]
        for position in positions:
            lon, lat = (float(v) for v in position.split(",")[:2])
            assert 33.0 < lat < 34.0 or -17.1 < lat < -16.9
            assert 38.0 < lon < 39.0 or abs(lon) > 179.9


def test_typed_area_is_drawn_exactly_with_its_hole_and_a_split_area_as_two_polygons() -> None:
    root = _golden_tree()
    camp = _placemark(root, "camp-rukban").find("k:Polygon", NS)
    assert camp is not None
    inner = camp.findtext("k:innerBoundaryIs/k:LinearRing/k:coordinates", namespaces=NS)
    assert inner == "38.52,33.31 38.53,33.31 38.53,33.32 38.52,33.31"

    dateline = _placemark(root, "dateline-zone")
    assert len(dateline.findall("k:MultiGeometry/k:Polygon", NS)) == 2


def test_time_span_covers_every_occurrence_and_the_description_gives_dtg_and_iso() -> None:
    root = _golden_tree()
    convoy = _placemark(root, "convoy-track")

    assert convoy.findtext("k:TimeSpan/k:begin", namespaces=NS) == "2026-09-07T06:00:00Z"
    # Every 2 days until 21 Sep 06:00: the last occurrence starts 19 Sep 06:00 and lasts 4 h.
    assert convoy.findtext("k:TimeSpan/k:end", namespaces=NS) == "2026-09-19T10:00:00Z"
    description = convoy.findtext("k:description", namespaces=NS) or ""
    assert "070600ZSEP26 (2026-09-07T06:00:00Z) to 071000ZSEP26 (2026-09-07T10:00:00Z)" in (
        description
    )
    assert "every 2 days, the last starting before 210600ZSEP26" in description
    orbit = _placemark(root, "cap-orbit").findtext("k:description", namespaces=NS) or ""
    assert "every week on Mon, Wed, Fri until further notice (UFN)" in orbit
    assert "FL200 to FL250" in orbit
    assert _placemark(root, "cap-orbit").find("k:TimeSpan/k:end", NS) is None


def test_description_gives_kind_levels_buffer_and_properties() -> None:
    root = _golden_tree()
    strike = _placemark(root, "strike-box").findtext("k:description", namespaces=NS) or ""
    assert "<td>activity: strike</td>" in strike
    assert "<td>Russian Aerospace Forces (russia)</td>" in strike
    assert "<td>SFC to FL195</td>" in strike
    assert "<td>500 m</td>" in strike
    camp = _placemark(root, "camp-rukban").findtext("k:description", namespaces=NS) or ""
    assert "<td>area of 1 polygon with 1 hole</td>" in camp
    assert "<th align='left'>contact</th><td>+963 11 000 0000</td>" in camp


def test_text_from_a_plan_cannot_inject_markup_into_the_balloon() -> None:
    hostile = _feature(
        "x", Kind.ZONE, "a</td>", Circle((1.0, 2.0)), extra={"notes": "<script>alert(1)</script>"}
    )
    root = etree.fromstring(write_kml([hostile], {"a</td>": "]]><b>"}).encode())
    description = root.findtext(".//k:description", namespaces=NS) or ""

    assert "<script>" not in description and "&lt;script&gt;" in description
    assert "]]&gt;&lt;b&gt; (a&lt;/td&gt;)" in description
    assert root.findtext(".//k:Folder/k:name", namespaces=NS) == "]]><b>"


def test_names_xml_cannot_hold_are_shown_replaced_but_read_back_exactly() -> None:
    odd = _feature("odd", Kind.ZONE, "a", Circle((1.0, 2.0)), name="bell\x07 \ud800 end")
    text = write_kml([odd])

    assert "bell\ufffd \ufffd end" in text
    assert read_kml(text, DEFAULTS).features == (odd,)


def test_a_band_from_the_surface_stands_to_its_top_and_any_other_lies_on_the_ground() -> None:
    root = _golden_tree()

    def placed(feature_id: str) -> tuple[str | None, str | None]:
        geometry = _placemark(root, feature_id)[-1]
        return (
            geometry.findtext("k:altitudeMode", namespaces=NS),
            geometry.findtext("k:extrude", namespaces=NS),
        )

    assert placed("at-tanf") == ("absolute", "1")  # unbounded below to 3048 m MSL
    assert placed("patrol-line") == ("relativeToGround", "1")  # SFC to 150 m AGL
    assert placed("strike-box") == ("clampToGround", None)  # up to a flight level
    assert placed("cap-orbit") == ("clampToGround", None)  # FL200-FL250 does not reach down
    assert placed("convoy-track") == ("clampToGround", None)  # above the ellipsoid
    tanf = _placemark(root, "at-tanf").findtext(".//k:coordinates", namespaces=NS) or ""
    assert all(p.endswith(",3048.0") for p in tanf.split())


def test_a_bare_point_is_a_point_and_a_path_without_width_a_line() -> None:
    root = _golden_tree()

    assert _placemark(root, "well-7").find("k:Point", NS) is not None
    line = _placemark(root, "patrol-line").findtext("k:LineString/k:coordinates", namespaces=NS)
    assert line == "38.5,33.3,150.0 38.6,33.35,150.0 38.7,33.33,150.0"


def test_a_circle_that_reaches_a_pole_cannot_be_drawn_and_says_so() -> None:
    polar = _feature("ice", Kind.ZONE, "coalition", Circle((0.0, 89.9), 50_000.0))

    with pytest.raises(InvalidFeature) as raised:
        write_kml([polar])

    assert (raised.value.feature_id, raised.value.field) == ("ice", "geometry")
    assert "reaches the pole" in raised.value.message


# Edited after export -------------------------------------------------------------------------


def test_a_polygon_moved_in_google_earth_is_read_as_drawn_keeping_the_rest() -> None:
    tree = etree.fromstring(write_kml(FEATURES, NAMES).encode())
    ring = _placemark(tree, "camp-rukban").find(".//k:outerBoundaryIs//k:coordinates", NS)
    assert ring is not None
    ring.text = "38.5,33.3 38.6,33.3 38.6,33.4 38.5,33.3"

    feature = _by_id(read_kml(etree.tostring(tree).decode(), DEFAULTS))["camp-rukban"]

    assert feature.shape == Area(
        ((((38.5, 33.3), (38.6, 33.3), (38.6, 33.4), (38.5, 33.3)), RUKBAN[1]),)
    )
    assert (feature.name, feature.party, feature.extra) == (
        "مخيم الركبان",
        "unhcr",
        {"category": "camp", "contact": "+963 11 000 0000"},
    )


def test_a_circle_reshaped_in_google_earth_becomes_the_area_drawn() -> None:
    tree = etree.fromstring(write_kml(FEATURES, NAMES).encode())
    ring = _placemark(tree, "at-tanf").find(".//k:coordinates", NS)
    assert ring is not None
    positions = (ring.text or "").split()
    positions[3] = "38.7,33.6,3048.0"
    ring.text = " ".join(positions)

    feature = _by_id(read_kml(etree.tostring(tree).decode(), DEFAULTS))["at-tanf"]

    assert isinstance(feature.shape, Area)
    assert feature.shape.polygons[0][0][3] == (38.7, 33.6)
    assert feature.band == AltitudeBand(None, 3048.0, Datum.MSL)


def test_a_renamed_or_retimed_placemark_keeps_the_edit() -> None:
    tree = etree.fromstring(write_kml(FEATURES, NAMES).encode())
    route = _placemark(tree, "supply-route")
    route.find("k:name", NS).text = "Main supply route"
    route.find("k:TimeSpan/k:end", NS).text = "2026-09-12T06:00:00Z"

    feature = _by_id(read_kml(etree.tostring(tree).decode(), DEFAULTS))["supply-route"]

    assert feature.name == "Main supply route"
    assert feature.window == TimeWindow(T0, datetime(2026, 9, 12, 6, tzinfo=UTC))
    assert feature.shape == Corridor(PATROL, 300.0)


def test_the_time_span_of_a_repeating_feature_cannot_be_edited() -> None:
    tree = etree.fromstring(write_kml(FEATURES, NAMES).encode())
    convoy = _placemark(tree, "convoy-track")
    convoy.find("k:TimeSpan/k:end", NS).text = "2026-09-30T00:00:00Z"
    text = etree.tostring(tree).decode()

    reading = read_kml(text, DEFAULTS)

    assert "convoy-track" not in _by_id(reading)
    (rejected,) = reading.rejected
    assert rejected.item == "convoy-track"
    assert text.splitlines()[rejected.line - 1].strip() == '<Placemark id="convoy-track">'
    (problem,) = rejected.problems
    assert problem.field == "TimeSpan"
    assert "repeating feature cannot be edited" in problem.message


def test_two_placemarks_storing_one_id_keep_the_first() -> None:
    text = write_kml(FEATURES[:1] + FEATURES[:1], NAMES)

    reading = read_kml(text, DEFAULTS)

    assert [f.id for f in reading.features] == ["at-tanf"]
    (rejected,) = reading.rejected
    assert [(p.field, p.message) for p in rejected.problems] == [
        ("id", f"id is already used by the Placemark at line {reading.lines[0]}")
    ]


def test_stored_properties_that_are_not_a_plan_feature_are_rejected_with_their_problems() -> None:
    text = write_kml(FEATURES[:1], NAMES).replace('"kind":"zone"', '"kind":"base"')

    reading = read_kml(text, DEFAULTS)

    (rejected,) = reading.rejected
    assert [(p.feature_id, p.field, p.value) for p in rejected.problems] == [
        ("at-tanf", "kind", "base")
    ]


# Files as Google Earth saves them ------------------------------------------------------------


def test_a_google_earth_file_is_read_into_features_of_the_importing_party() -> None:
    reading = read_kml((GOLDEN / "kml-google-earth.kml").read_text(encoding="utf-8"), DEFAULTS)
    open_ended = TimeWindow(T0, DEFAULTS.end)

    def site(feature_id: str, name: str, shape: Shape, window: TimeWindow = open_ended) -> Feature:
        return Feature(feature_id, Kind.ZONE, "unhcr", shape, window, name=name)

    assert reading.rejected == ()
    assert reading.features == (
        site(
            "camp-perimeter",
            "Camp perimeter",
            Area(
                (
                    (
                        ((38.6, 33.3), (38.7, 33.3), (38.7, 33.4), (38.6, 33.4), (38.6, 33.3)),
                        (
                            (38.64, 33.34),
                            (38.66, 33.34),
                            (38.66, 33.36),
                            (38.64, 33.36),
                            (38.64, 33.34),
                        ),
                    ),
                )
            ),
            TimeWindow(T0, datetime(2026, 9, 21, 6, tzinfo=UTC)),
        ),
        site(
            "supply-route",
            "Supply route",
            Corridor(((38.5, 33.2), (38.55, 33.25), (38.62, 33.28)), 250.0),
        ),
        site(
            "field-hospital",
            "Field hospital",
            Circle((38.661, 33.372), 300.0),
            TimeWindow(datetime(2026, 9, 8, tzinfo=UTC), DEFAULTS.end),
        ),
        site("ID_wh1", "Warehouse", Circle((38.58, 33.31))),
        site("warehouse", "Warehouse", Circle((38.59, 33.32))),
        site(
            "warehouse-2",
            "Warehouse",
            Circle((38.6, 33.33)),
            TimeWindow(datetime(2026, 9, 9, 21, tzinfo=UTC), None),
        ),
        site(
            "twin-fields",
            "Twin fields",
            Area(
                (
                    (((38.8, 33.5), (38.81, 33.5), (38.81, 33.51), (38.8, 33.5)),),
                    (((38.82, 33.5), (38.83, 33.5), (38.83, 33.51), (38.82, 33.5)),),
                )
            ),
        ),
    )
    assert reading.lines == (39, 73, 88, 106, 113, 120, 131)


def test_defaults_give_kind_and_party_to_foreign_placemarks() -> None:
    defaults = Defaults("coalition", T0, Kind.ACTIVITY)
    reading = read_kml((GOLDEN / "kml-google-earth.kml").read_text(encoding="utf-8"), defaults)

    assert {(f.party, f.kind) for f in reading.features} == {("coalition", Kind.ACTIVITY)}
    assert _by_id(reading)["supply-route"].window == TimeWindow(T0, None)


def test_every_bad_placemark_is_rejected_with_its_line_and_every_problem() -> None:
    reading = read_kml((GOLDEN / "kml-bad-placemarks.kml").read_text(encoding="utf-8"), DEFAULTS)

    assert [f.id for f in reading.features] == ["good-school"]
    assert reading.lines == (27,)
    assert _problems(reading) == [
        (
            5,
            "Semicolon well",
            [("Point.coordinates", "'38.6;33.5' is not a position lon,lat[,height]")],
        ),
        (
            11,
            "Swapped clinic",
            [
                (
                    "Point.coordinates",
                    "latitude 95.2 is outside -90..90 (KML gives longitude first: is it lat,lon?)",
                )
            ],
        ),
        (
            17,
            "Open field",
            [
                (
                    "Polygon.outerBoundaryIs.coordinates",
                    "the ring is not closed: it starts at 38.6,33.3 and ends at 38.6,33.4; "
                    "repeat the first position at the end",
                )
            ],
        ),
        (
            33,
            "Recorded drive",
            [
                (
                    "geometry",
                    "a gx:Track (positions in time) cannot be read; "
                    "draw the place as a Point, a LineString or a Polygon",
                )
            ],
        ),
        (
            40,
            "Water tower",
            [
                (
                    "geometry",
                    "a 3D Model cannot be read; "
                    "draw the place as a Point, a LineString or a Polygon",
                )
            ],
        ),
        (
            46,
            "Nowhere",
            [("geometry", "the Placemark has no Point, LineString, Polygon or MultiGeometry")],
        ),
        (
            50,
            "Pin and field",
            [
                (
                    "MultiGeometry",
                    "only polygons can be read together as one area; "
                    "put each point or line in a Placemark of its own",
                )
            ],
        ),
        (
            63,
            "Local time and a typo",
            [
                ("LineString.coordinates", "'38.7,x' is not a position lon,lat[,height]"),
                (
                    "TimeSpan.begin",
                    "cannot read time '2026-09-07T06:00:00': no UTC offset; "
                    "add Z or +HH:MM (a time is never assumed)",
                ),
            ],
        ),
        (
            72,
            "Backwards",
            [
                (
                    "TimeSpan.end",
                    "the window ends at 2026-09-07T06:00:00Z, "
                    "not after it starts (2026-09-08T06:00:00Z)",
                )
            ],
        ),
        (
            82,
            "Negative radius",
            [("ExtendedData.radius_m", "must be a number of metres, 0 or more")],
        ),
        (
            91,
            "Live positions",
            [
                (
                    "NetworkLink",
                    "a NetworkLink loads its places from elsewhere, which is never fetched; "
                    "open it in Google Earth and save the linked places as KML",
                )
            ],
        ),
    ]
    values = {r.item: [p.value for p in r.problems] for r in reading.rejected}
    assert values["Semicolon well"] == ["38.6;33.5"]
    assert values["Recorded drive"] == ["gx:Track"]
    assert values["Live positions"] == ["https://example.org/positions.kml"]


def test_a_self_crossing_polygon_is_rejected_as_invalid() -> None:
    bow_tie = _kml_with(
        "<Placemark><name>Bow tie</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        "38.6,33.3 38.7,33.4 38.7,33.3 38.6,33.4 38.6,33.3"
        "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
    )

    (rejected,) = read_kml(bow_tie, DEFAULTS).rejected

    assert [(p.field, p.message.split(":")[0]) for p in rejected.problems] == [
        ("geometry", "invalid polygon")
    ]


def _kml_with(body: str) -> str:
    return f'<kml xmlns="{KML_NS}"><Document>\n{body}\n</Document></kml>'


def test_an_encoding_declaration_does_not_matter_once_the_text_is_read() -> None:
    text = '<?xml version="1.0" encoding="ISO-8859-1"?>\n' + _kml_with(
        "<Placemark><name>Hôpital de Kobané</name><Point><coordinates>38.4,36.9</coordinates>"
        "</Point></Placemark>"
    )

    (feature,) = read_kml(text, DEFAULTS).features

    assert (feature.id, feature.name) == ("hopital-de-kobane", "Hôpital de Kobané")


# Whole files refused --------------------------------------------------------------------------


def test_malformed_xml_is_refused_naming_the_line() -> None:
    text = _kml_with("<Placemark><name>Broken</name>\n<Point></Placemark>")

    with pytest.raises(InvalidPlan) as raised:
        read_kml(text, DEFAULTS)

    (problem,) = raised.value.problems
    assert problem.value == 3
    assert problem.message.startswith("line 3: not well-formed XML: ")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(InvalidPlan) as raised:
        read_kml("", DEFAULTS)

    assert raised.value.problems[0].message.startswith("line 1: not well-formed XML")


def test_a_document_that_is_not_kml_is_refused() -> None:
    with pytest.raises(InvalidPlan) as raised:
        read_kml('<?xml version="1.0"?>\n<gpx version="1.1"></gpx>', DEFAULTS)

    assert raised.value.problems[0].message == (
        "line 2: the root element is <gpx>, not <kml>: not a KML file"
    )


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE kml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&lol9;</name>
<Point><coordinates>38.6,33.5</coordinates></Point></Placemark></kml>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&secret;</name>
<Point><coordinates>38.6,33.5</coordinates></Point></Placemark></kml>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>

<!DOCTYPE kml SYSTEM "http://127.0.0.1:9/kml.dtd">
<kml xmlns="http://www.opengis.net/kml/2.2"></kml>
"""


@pytest.mark.parametrize(
    ("text", "line"),
    [(BILLION_LAUGHS, 2), (EXTERNAL_ENTITY, 2), (EXTERNAL_DTD, 3)],
    ids=["billion-laughs", "external-entity", "external-dtd"],
)
def test_a_dtd_is_refused_and_its_entities_never_expand(text: str, line: int) -> None:
    with pytest.raises(InvalidPlan) as raised:
        read_kml(text, DEFAULTS)

    (problem,) = raised.value.problems
    assert problem.message.startswith(f"line {line}: the file declares a DTD (<!DOCTYPE>)")


# Properties -----------------------------------------------------------------------------------


@st.composite
def _circles(draw: st.DrawFn) -> Circle:
    """Circles that stop short of the poles (nearer ones cannot be drawn as polygons)."""
    lon = draw(st.floats(-180.0, 180.0))
    lat = draw(st.floats(-80.0, 80.0))
    radius = draw(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 200_000.0))
    return Circle((lon, lat), radius)


@st.composite
def _features(draw: st.DrawFn) -> list[Feature]:
    count = draw(st.integers(1, 4))
    features = []
    for index in range(count):
        shape = draw(_circles() | anchors().flatmap(lambda anchor: areas(anchor, 300.0)))
        start = T0 + timedelta(minutes=draw(st.integers(-10_000, 10_000)))
        length = draw(st.none() | st.integers(1, 10_000))
        window = TimeWindow(start, None if length is None else start + timedelta(minutes=length))
        features.append(
            Feature(
                f"f{index}",
                draw(st.sampled_from(Kind)),
                draw(st.sampled_from(["alpha", "bravo", "charlie"])),
                shape,
                window,
                buffer_m=draw(st.sampled_from([0.0, 250.0])),
                # The plan format holds no blank names.
                name=draw(st.none() | st.text(min_size=1, max_size=12).filter(str.strip)),
            )
        )
    return features


@settings(max_examples=40, deadline=None, database=None)
@given(_features())
def test_random_circles_and_areas_come_back_equal(features: list[Feature]) -> None:
    reading = read_kml(write_kml(features), DEFAULTS)

    assert reading.rejected == ()
    assert _by_id(reading) == {feature.id: feature for feature in features}
