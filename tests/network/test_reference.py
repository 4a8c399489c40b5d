"""The reference data (regions with boundaries, postal codes) and the geographic helpers.

The session fixture in tests/conftest.py has already run ``load_reference`` on the test database.
"""

import csv
import math

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from core.geo import (
    centre,
    centroid,
    distance_km,
    point_in_polygon,
    polygons,
    ring_area,
    simplify,
)
from network.models import PostalCode, Region
from network.places import postal_code_centre

GEO_DIR = settings.FIXTURES_DIR / "geo"
SOURCE_POSTAL_CODE_ROWS = 23_297  # postleitzahlen.csv from GeoNames; none dropped
STATE_KINDS = {"Land", "Freistaat", "Freie und Hansestadt", "Freie Hansestadt"}
DISTRICT_KINDS = {"Kreisfreie Stadt", "Landkreis", "Kreis", "Stadtkreis"}
GOVERNMENT_REGIONS = {
    "051", "053", "055", "057", "059",  # Nordrhein-Westfalen
    "064", "065", "066",  # Hessen
    "081", "082", "083", "084",  # Baden-Württemberg
    "091", "092", "093", "094", "095", "096", "097",  # Bayern
}  # fmt: skip


def fixture_rows() -> list[dict]:
    with (GEO_DIR / "postal_codes.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


# --- regions --------------------------------------------------------------------------------


def test_germany_is_the_root(db):
    germany = Region.objects.get(key="DE")
    assert germany.kind == Region.Kind.COUNTRY
    assert germany.name == "Deutschland"
    assert germany.parent is None
    # The German reference data has one root; other countries (demo data) have their own.
    assert Region.objects.filter(country="DE", parent__isnull=True).count() == 1


def test_sixteen_states_below_germany(db):
    states = Region.objects.states()
    assert states.count() == 16
    assert sorted(states.values_list("key", flat=True)) == [f"{n:02d}" for n in range(1, 17)]
    assert set(states.values_list("parent__key", flat=True)) == {"DE"}
    assert set(states.values_list("official_kind", flat=True)) == STATE_KINDS
    assert states.get(key="09").official_kind == "Freistaat"
    assert states.get(key="02").official_kind == "Freie und Hansestadt"


def test_government_regions_only_where_they_exist(db):
    regions = Region.objects.filter(kind=Region.Kind.GOVERNMENT_REGION)
    assert set(regions.values_list("key", flat=True)) == GOVERNMENT_REGIONS
    stuttgart = regions.get(key="081")
    assert (stuttgart.name, stuttgart.official_kind) == ("Stuttgart", "Regierungsbezirk")
    assert stuttgart.parent.key == "08"
    assert regions.get(key="091").name == "Oberbayern"
    # Former ones (Niedersachsen, Rheinland-Pfalz, Sachsen) are not created.
    assert not regions.filter(key__regex=r"^(03|07|14)").exists()


def test_401_districts_with_official_kinds(db):
    districts = Region.objects.districts()
    assert districts.count() == 401
    assert set(districts.values_list("official_kind", flat=True)) == DISTRICT_KINDS
    assert all(len(key) == 5 for key in districts.values_list("key", flat=True))


def test_each_district_hangs_below_its_state(db):
    for district in Region.objects.districts().select_related("parent"):
        expected = district.key[:3] if district.key[:3] in GOVERNMENT_REGIONS else district.key[:2]
        assert district.parent.key == expected, district.key


def test_each_state_has_its_districts(db):
    counts = {
        state.key: Region.objects.within(state).districts().count()
        for state in Region.objects.states()
    }
    assert all(count > 0 for count in counts.values())
    assert sum(counts.values()) == 401
    assert counts["02"] == counts["11"] == 1  # Hamburg, Berlin
    assert counts["07"] == 36  # Rheinland-Pfalz: 12 kreisfreie Städte, 24 Landkreise


@pytest.mark.parametrize(
    ("key", "name", "official_kind", "state"),
    [
        ("07315", "Mainz", "Kreisfreie Stadt", "07"),
        ("07339", "Mainz-Bingen", "Landkreis", "07"),
        ("02000", "Hamburg", "Kreisfreie Stadt", "02"),
        ("13004", "Schwerin", "Kreisfreie Stadt", "13"),
        ("08111", "Stuttgart", "Stadtkreis", "08"),
    ],
)
def test_known_districts(db, key, name, official_kind, state):
    district = Region.objects.get(key=key)
    assert (district.kind, district.name, district.official_kind) == (
        Region.Kind.DISTRICT,
        name,
        official_kind,
    )
    assert [region.key for region in district.ancestors()][:2] == ["DE", state]


def test_state_names(db):
    assert Region.objects.get(key="07").name == "Rheinland-Pfalz"
    assert Region.objects.get(key="08").name == "Baden-Württemberg"  # not "… (Bodensee)"


def test_within_follows_the_key_prefix(db):
    rhineland_palatinate = Region.objects.get(key="07")
    within = Region.objects.within(rhineland_palatinate)
    assert within.filter(key="07315").exists()
    assert within.filter(key="07").exists()
    assert not within.filter(key="08111").exists()
    assert Region.objects.within(Region.objects.get(key="081")).districts().count() == 13
    germany = Region.objects.within(Region.objects.get(key="DE"))
    assert germany.count() == Region.objects.filter(country="DE").count()


# --- boundaries and centres -------------------------------------------------------------------


def assert_valid_geometry(geometry: dict, label: str) -> int:
    """Check a GeoJSON (Multi)Polygon as RFC 7946 wants it; return its number of points."""
    assert geometry["type"] in {"Polygon", "MultiPolygon"}, label
    depth = 3 if geometry["type"] == "Polygon" else 4
    value = geometry["coordinates"]
    for _ in range(depth):
        assert isinstance(value, list) and value, label
        value = value[0]
    points = 0
    for polygon in polygons(geometry):
        for index, ring in enumerate(polygon):
            assert len(ring) >= 4 and ring[0] == ring[-1], label
            assert all(len(point) == 2 for point in ring), label
            assert all(5.5 < lon < 15.5 and 47 < lat < 55.2 for lon, lat in ring), label
            assert all(a != b for a, b in zip(ring, ring[1:], strict=False)), label
            # Right-hand rule: exterior counter-clockwise, holes clockwise.
            assert (ring_area(ring) > 0) == (index == 0), label
            points += len(ring)
    return points


def test_every_region_has_a_valid_small_boundary(db):
    total = 0
    for region in Region.objects.filter(country="DE"):
        points = assert_valid_geometry(region.boundary, region.key)
        if region.kind == Region.Kind.DISTRICT:
            assert points <= 300, region.key
            total += points
    assert total < 25_000


def test_boundaries_keep_islands_and_enclaves(db):
    def count_polygons(key):
        return len(polygons(Region.objects.get(key=key).boundary))

    assert count_polygons("01") > 5  # Schleswig-Holstein's islands
    brandenburg = polygons(Region.objects.get(key="12").boundary)
    assert len(brandenburg) == 1 and len(brandenburg[0]) == 2  # with Berlin as a hole


def test_centres_lie_inside_the_boundary(db):
    for region in Region.objects.filter(country="DE"):
        assert region.latitude is not None and region.longitude is not None, region.key
        assert any(
            point_in_polygon(region.longitude, region.latitude, polygon)
            for polygon in polygons(region.boundary)
        ), region.key


def test_centre_of_a_district_around_a_city_is_outside_the_city(db):
    trier_saarburg = Region.objects.get(key="07235")
    trier = Region.objects.get(key="07211")
    assert not any(
        point_in_polygon(trier_saarburg.longitude, trier_saarburg.latitude, polygon)
        for polygon in polygons(trier.boundary)
    )


# --- postal codes ---------------------------------------------------------------------------


def test_postal_code_rows_as_in_the_fixture(db):
    rows = fixture_rows()
    assert len(rows) == SOURCE_POSTAL_CODE_ROWS
    assert PostalCode.objects.count() == len(rows)
    without_district = sum(1 for row in rows if not row["district"])
    assert PostalCode.objects.filter(district__isnull=True).count() == without_district == 1


@pytest.mark.parametrize(
    ("code", "place", "district"),
    [
        ("19053", "Schwerin", "13004"),
        ("55116", "Mainz", "07315"),
        ("55411", "Bingen am Rhein", "07339"),
    ],
)
def test_known_postal_codes(db, code, place, district):
    postal_code = PostalCode.objects.select_related("district").get(code=code)
    assert postal_code.place == place
    assert postal_code.district.key == district


def test_a_postal_code_can_have_several_places(db):
    places = set(PostalCode.objects.filter(code="20095").values_list("place", flat=True))
    assert {"Hamburg", "Hamburg Altstadt"} <= places


def test_postal_code_across_the_border_has_no_district(db):
    jungholz = PostalCode.objects.get(code="87491")  # Jungholz, Tyrol: German postal code
    assert jungholz.district is None


# --- the command ----------------------------------------------------------------------------


def snapshot() -> tuple[dict, dict]:
    regions = {
        key: (pk, name, parent_id, latitude)
        for key, pk, name, parent_id, latitude in Region.objects.values_list(
            "key", "pk", "name", "parent_id", "latitude"
        )
    }
    postal_codes = dict(PostalCode.objects.values_list("pk", "district_id"))
    return regions, postal_codes


def test_loading_again_changes_nothing(db):
    before = snapshot()
    call_command("load_reference", verbosity=0)
    assert snapshot() == before


def test_loading_again_repairs_changed_rows(db):
    before = snapshot()
    mainz = Region.objects.get(key="07315")
    Region.objects.filter(pk=mainz.pk).update(name="Mayence", boundary=None, parent=None)
    PostalCode.objects.filter(code="19053").update(district=None)
    PostalCode.objects.filter(code="55411").delete()
    PostalCode.objects.create(code="99999", place="Nirgendwo", latitude=50, longitude=10)

    call_command("load_reference", verbosity=0)

    regions, postal_codes = snapshot()
    assert regions == before[0]  # same keys, same primary keys, same values
    assert Region.objects.get(key="07315").boundary is not None
    assert PostalCode.objects.get(code="19053").district.key == "13004"
    assert PostalCode.objects.filter(code="55411").count() == 1
    assert not PostalCode.objects.filter(code="99999").exists()
    assert len(postal_codes) == SOURCE_POSTAL_CODE_ROWS


def test_missing_fixtures_are_a_clear_error(db, settings, tmp_path):
    settings.FIXTURES_DIR = tmp_path
    with pytest.raises(CommandError, match="country.geojson"):
        call_command("load_reference", verbosity=0)


def test_command_prints_a_summary(db, capsys):
    call_command("load_reference", verbosity=1)
    output = capsys.readouterr().out
    assert "Regionen 437 (0 neu, 0 geändert)" in output
    assert "Postleitzahlen 23297 (0 neu, 0 geändert), davon 1 ohne Kreis" in output


# --- geo helpers ----------------------------------------------------------------------------


def test_distance_mainz_bingen_from_postal_code_centres(db):
    mainz, bingen = postal_code_centre("55116"), postal_code_centre("55411")
    assert 25 <= distance_km(*mainz, *bingen) <= 30


def test_postal_code_centre_averages_the_places(db):
    rows = [row for row in fixture_rows() if row["code"] == "20095"]
    lat, lon = postal_code_centre("20095")
    assert lat == pytest.approx(sum(float(row["latitude"]) for row in rows) / len(rows))
    assert lon == pytest.approx(sum(float(row["longitude"]) for row in rows) / len(rows))


def test_postal_code_centre_of_an_unknown_code(db):
    assert postal_code_centre("00000") is None


def test_distance_km():
    assert distance_km(50.0, 8.0, 50.0, 8.0) == 0
    # Hamburg town hall to Munich Marienplatz: about 612 km.
    assert distance_km(53.5503, 9.9925, 48.1374, 11.5755) == pytest.approx(612, abs=3)
    # One degree of latitude, both ways.
    assert distance_km(50, 8, 51, 8) == pytest.approx(111.2, abs=0.1)
    assert distance_km(51, 8, 50, 8) == distance_km(50, 8, 51, 8)


def test_simplify_drops_what_is_within_the_tolerance():
    # Along 50° N, 0.001° of latitude is about 0.11 km.
    line = [[8.0, 50.0], [8.1, 50.0005], [8.2, 50.0], [8.3, 50.05], [8.4, 50.0]]
    assert simplify(line, 0.5) == [[8.0, 50.0], [8.2, 50.0], [8.3, 50.05], [8.4, 50.0]]
    assert simplify(line, 10) == [[8.0, 50.0], [8.4, 50.0]]
    assert simplify(line, 0.01) == line
    assert simplify(line[:2], 10) == line[:2]


def test_simplify_uses_kilometres_not_degrees():
    # A bump of 0.01° longitude is about 0.71 km at 50° N, but 1.11 km at the equator.
    north = [[8.0, 50.0], [8.01, 50.1], [8.0, 50.2]]
    equator = [[8.0, 0.0], [8.01, 0.1], [8.0, 0.2]]
    assert len(simplify(north, 0.9)) == 2
    assert len(simplify(equator, 0.9)) == 3


def test_centroid_of_a_square_with_a_hole():
    square = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    assert centroid([square]) == pytest.approx((2, 2))
    hole = [[0.5, 0.5], [0.5, 1.5], [1.5, 1.5], [1.5, 0.5], [0.5, 0.5]]
    x, y = centroid([square, hole])
    assert x > 2 and y > 2 and math.isclose(x, y)


def test_centre_is_inside_a_crescent():
    # A "C" open to the east: its centroid falls in the opening.
    crescent = [[0, 0], [3, 0], [3, 1], [1, 1], [1, 2], [3, 2], [3, 3], [0, 3], [0, 0]]
    lon, lat = centroid([crescent])
    assert not point_in_polygon(lon, lat, [crescent])
    lat, lon = centre({"type": "Polygon", "coordinates": [crescent]})
    assert point_in_polygon(lon, lat, [crescent])


def test_centre_uses_the_largest_polygon():
    small = [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]]
    large = [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]]
    assert centre({"type": "MultiPolygon", "coordinates": [small, large]}) == pytest.approx((2, 2))
