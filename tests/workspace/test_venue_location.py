"""A venue has its place on the map: from a German postal code where none is typed, asked for
elsewhere; the dashboard lists the venues the place search cannot use."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from network.models import PostalCode, Venue
from tests.measures.test_admin import form_data
from tests.workspace.test_quality import panels

pytestmark = pytest.mark.django_db


def venue(world, **fields):
    return Venue(organisation=world.a.provider, name="Neuer Ort", **fields)


def test_a_german_postal_code_gives_the_place_and_district(world):
    new = venue(world, postal_code="55116", city="Mainz")
    new.full_clean()
    row = PostalCode.objects.filter(code="55116").first()
    assert new.latitude == pytest.approx(row.latitude, abs=0.05)
    assert new.longitude == pytest.approx(row.longitude, abs=0.05)
    assert new.region_id == row.district_id


def test_of_several_places_the_named_one_is_taken():
    codes = PostalCode.objects.values("code").order_by().distinct()
    code = next(
        row["code"]
        for row in codes.filter(code__startswith="5")
        if PostalCode.objects.filter(code=row["code"]).values("place").distinct().count() > 1
    )
    place = PostalCode.objects.filter(code=code).order_by("place").last()
    found = PostalCode.objects.locate(code, place.place.upper())
    assert (found.latitude, found.longitude) == (place.latitude, place.longitude)


def test_without_a_postal_code_a_german_place_name_serves(world):
    new = venue(world, city="Bingen am Rhein")
    new.full_clean()
    assert new.latitude == pytest.approx(49.96, abs=0.05)


@pytest.mark.parametrize(
    ("code", "city"), [("5020", "Salzburg"), ("99999", "Nirgendwo"), ("", "Wien")]
)
def test_elsewhere_the_coordinates_are_asked_for(world, code, city):
    new = venue(world, postal_code=code, city=city)
    with pytest.raises(ValidationError) as error:
        new.full_clean()
    assert "Breiten- und Längengrad" in " ".join(error.value.message_dict["latitude"])
    new.latitude, new.longitude = 47.8095, 13.055
    new.full_clean()


def test_one_coordinate_alone_is_refused(world):
    with pytest.raises(ValidationError):
        venue(world, postal_code="55116", latitude=50.0).full_clean()


def test_the_admin_form_locates_a_new_venue(client, world):
    client.force_login(world.staff)
    url = reverse("admin:network_venue_add")
    data = form_data(client.get(url), "venue_form")
    data.update(
        organisation=str(world.a.provider.pk), name=f"Ort {world.token}", postal_code="55116"
    )
    response = client.post(url, data)
    assert response.status_code == 302
    saved = Venue.objects.get(name=f"Ort {world.token}")
    assert saved.latitude is not None and saved.region is not None
    data.update(name=f"Wien {world.token}", postal_code="1010", city="Wien")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "OpenStreetMap" in response.content.decode()


def test_dashboard_flags_venues_without_a_place(client, world):
    Venue.objects.create(organisation=world.a.provider, name=f"Irgendwo {world.token}")
    Venue.objects.create(organisation=world.b.provider, name=f"Fremd {world.token}")
    client.force_login(world.staff)
    items = " ".join(panels(client)["unlocated_venues"])
    assert f"Irgendwo {world.token}" in items
    assert "Fremd" not in items
    response = client.get(reverse("admin:network_venue_changelist") + "?lage=no")
    assert f"Irgendwo {world.token}" in response.content.decode()


def test_an_older_venue_without_a_place_does_not_block_other_edits(world):
    old = Venue.objects.create(organisation=world.a.provider, name="Alt", city="Irgendwo")
    old.name = "Alt, umbenannt"
    old.full_clean()
    old.postal_code = "1010"
    with pytest.raises(ValidationError):
        old.full_clean()
