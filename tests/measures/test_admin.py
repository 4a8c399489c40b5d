"""The measures app's admin, used as a superuser.

Every registered model: changelist, search, add and change views render; every autocomplete
field answers with results; the changelist runs the same number of queries however many rows
it shows. The course form saves a course with its dates and modules in one go, turns a broken
date into an error message instead of a server error, and shows which courses are out of date.

The tests make their own objects, named with a unique token, so they do not depend on the
reference and demo data the session may load.
"""

import datetime as dt
import uuid

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from measures.models import (
    CertificateKind,
    Course,
    CourseDate,
    FundingType,
    Module,
    Subject,
    Synonym,
    TargetGroup,
)
from network.models import Contact, Organisation, Region, Venue
from workspace.admin import courses as course_admin

pytestmark = pytest.mark.django_db

MAX_CHANGELIST_QUERIES = 20
END_AFTER_START = "Das Ende darf nicht vor dem Beginn liegen."


@pytest.fixture(autouse=True)
def german():
    with translation.override("de"):
        yield


# Objects -----------------------------------------------------------------------------------


class World:
    """A provider with a contact and a venue, the vocabularies, and a current course."""

    def __init__(self):
        self.token = "Quokka" + uuid.uuid4().hex[:8]
        self.slug = self.token.lower()
        self.today = timezone.localdate()
        t = self.token
        self.state = Region.objects.create(
            key="998" + str(uuid.uuid4().int)[:5], name=f"{t}land", kind=Region.Kind.STATE
        )
        self.provider = Organisation.objects.create(
            name=f"{t} Akademie", slug=f"{self.slug}-akademie", is_provider=True
        )
        self.contact = Contact.objects.create(organisation=self.provider, name=f"Erika {t}")
        self.venue = Venue.objects.create(
            organisation=self.provider, name=f"{t}-Haus", city="Wismar"
        )
        self.subject = Subject.objects.create(name=f"{t}-Sprachen", slug=f"{self.slug}-sprachen")
        self.child_subject = Subject.objects.create(
            name=f"{t}-Deutsch", slug=f"{self.slug}-deutsch", parent=self.subject
        )
        self.target_group = TargetGroup.objects.create(
            name=f"{t}-Zugewanderte", slug=f"{self.slug}-zugewanderte"
        )
        self.funding = FundingType.objects.create(
            name=f"{t}-Bildungsurlaub",
            slug=f"{self.slug}-bildungsurlaub",
            kind=FundingType.Kind.EDUCATIONAL_LEAVE,
            state=self.state,
        )
        self.certificate_kind = CertificateKind.objects.create(
            name=f"{t}-Zertifikat", slug=f"{self.slug}-zertifikat"
        )
        self.course = self.make_course("kurs", start=self.today + dt.timedelta(days=14))
        self.date = self.course.dates.get()
        self.module = Module.objects.create(
            course=self.course, title=f"{t}-Grundlagen", teaching_units=16
        )
        self.synonym = Synonym.objects.create(term=f"{t}-EDV", alternatives="Computer")
        self.objects = {
            Synonym: self.synonym,
            Subject: self.child_subject,
            TargetGroup: self.target_group,
            FundingType: self.funding,
            CertificateKind: self.certificate_kind,
            Course: self.course,
            CourseDate: self.date,
            Module: self.module,
        }

    def make_course(self, name, start=None, end=None, rolling=False, cancelled=False):
        course = Course.objects.create(
            provider=self.provider,
            title=f"{self.token}-{name}",
            slug=f"{self.slug}-{name}",
            contact=self.contact,
            certificate_kind=self.certificate_kind,
            status=Course.Status.PUBLISHED,
        )
        course.subjects.add(self.child_subject)
        course.target_groups.add(self.target_group)
        course.funding.add(self.funding)
        CourseDate.objects.create(
            course=course,
            start_date=start,
            end_date=end,
            rolling_start=rolling,
            venue=self.venue,
            weekdays=[0, 2],
            booking_status=(
                CourseDate.BookingStatus.CANCELLED if cancelled else CourseDate.BookingStatus.OPEN
            ),
        )
        return course

    def add_rows(self, model, count=5):
        """More rows of ``model``, each with the relations its list shows."""
        t, s = self.token, self.slug
        for i in range(count):
            if model is Subject:
                Subject.objects.create(
                    name=f"{t} Gebiet {i}", slug=f"{s}-g-{i}", parent=self.subject
                )
            elif model is TargetGroup:
                TargetGroup.objects.create(name=f"{t} Gruppe {i}", slug=f"{s}-zg-{i}")
            elif model is CertificateKind:
                CertificateKind.objects.create(name=f"{t} Abschluss {i}", slug=f"{s}-a-{i}")
            elif model is FundingType:
                FundingType.objects.create(
                    name=f"{t} Förderung {i}",
                    slug=f"{s}-f-{i}",
                    kind=FundingType.Kind.EDUCATIONAL_LEAVE,
                    state=self.state,
                )
            elif model is Course:
                course = self.make_course(f"weitere-{i}", start=self.today - dt.timedelta(days=i))
                Module.objects.create(course=course, title="Modul", teaching_units=8)
            elif model is CourseDate:
                CourseDate.objects.create(
                    course=self.course,
                    start_date=self.today + dt.timedelta(days=30 + i),
                    venue=self.venue,
                    weekdays=[i % 7],
                )
            elif model is Module:
                Module.objects.create(course=self.course, title=f"{t} Modul {i}", position=i)
            elif model is Synonym:
                Synonym.objects.create(term=f"{t} Begriff {i}", alternatives="Wort")
            else:  # pragma: no cover - a new model needs its rows here
                raise AssertionError(f"no rows for {model.__name__}")


@pytest.fixture
def world():
    return World()


MEASURES_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "measures"),
    key=lambda model: model._meta.model_name,
)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def result_rows(response):
    table = soup_of(response).find("table", id="result_list")
    return table.find("tbody").find_all("tr") if table else []


def listed_pks(response):
    return {
        int(row.find("input", {"name": "_selected_action"})["value"])
        for row in result_rows(response)
    }


def autocomplete_fields(app_label):
    """(source model, field name, target model) for every autocomplete field, inlines too."""
    found = []
    for model, model_admin in admin.site._registry.items():
        admins = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            for name in each.autocomplete_fields:
                field = each.model._meta.get_field(name)
                if each.model._meta.app_label == app_label:
                    found.append((each.model, name, field.remote_field.model))
    return sorted(set(found), key=lambda item: (item[0]._meta.model_name, item[1]))


def form_data(response, form_id):
    """The values a browser would send for the form as rendered (no empty inline templates)."""
    form = soup_of(response).find("form", id=form_id)
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or "__prefix__" in name or field.has_attr("disabled"):
            continue
        if field.name == "input":
            kind = field.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                continue
            if kind in {"checkbox", "radio"}:
                if field.has_attr("checked"):
                    data.setdefault(name, []).append(field.get("value", "on"))
                continue
            data[name] = field.get("value", "")
        elif field.name == "select":
            options = field.find_all("option")
            selected = [
                option.get("value", "") for option in options if option.has_attr("selected")
            ]
            if field.has_attr("multiple"):
                data[name] = selected
            else:
                first = options[0].get("value", "") if options else ""
                data[name] = selected[0] if selected else first
        else:
            data[name] = field.get_text()
    return data


# Every model -------------------------------------------------------------------------------


def test_every_measures_model_is_registered():
    expected = {Subject, TargetGroup, FundingType, CertificateKind, Course, CourseDate, Module}
    assert expected <= set(MEASURES_MODELS)


@pytest.mark.parametrize("model", MEASURES_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_lists_the_object(admin_client, world, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert soup_of(response).find("table", id="result_list") is not None


@pytest.mark.parametrize("model", MEASURES_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_search_finds_the_object(admin_client, world, model):
    response = admin_client.get(admin_url(model, "changelist"), {"q": world.token})
    assert response.status_code == 200
    assert world.objects[model].pk in listed_pks(response)


@pytest.mark.parametrize("model", MEASURES_MODELS, ids=lambda m: m._meta.model_name)
def test_add_view_renders(admin_client, model):
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == 200
    assert soup_of(response).find("form", id=f"{model._meta.model_name}_form") is not None


@pytest.mark.parametrize("model", MEASURES_MODELS, ids=lambda m: m._meta.model_name)
def test_change_view_renders(admin_client, world, model):
    obj = world.objects[model]
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    form = soup_of(response).find("form", id=f"{model._meta.model_name}_form")
    assert form is not None
    assert not form.find_all(class_="errorlist")


@pytest.mark.parametrize(
    ("source", "field_name", "target"),
    autocomplete_fields("measures"),
    ids=lambda value: getattr(value, "__name__", value),
)
def test_autocomplete_answers_with_results(admin_client, world, source, field_name, target):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": source._meta.app_label,
            "model_name": source._meta.model_name,
            "field_name": field_name,
            "term": world.token,
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results, f"{source.__name__}.{field_name} → {target.__name__}: no results"
    assert all(world.token in result["text"] for result in results)


def test_funding_state_autocomplete_offers_states_only(admin_client, world):
    Region.objects.create(
        key=world.state.key + "01", name=f"{world.token}-Kreis", kind=Region.Kind.DISTRICT
    )
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "measures",
            "model_name": "fundingtype",
            "field_name": "state",
            "term": world.token,
        },
    )
    assert [result["id"] for result in response.json()["results"]] == [str(world.state.pk)]


def changelist_query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", MEASURES_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_query_count_does_not_grow_with_rows(
    admin_client, world, model, django_assert_max_num_queries
):
    url = admin_url(model, "changelist") + f"?q={world.token}"
    admin_client.get(url)  # warm caches (content types, sessions)
    few = changelist_query_count(admin_client, url)
    world.add_rows(model)
    admin_client.get(url)  # again: new vocabulary rows start a new search generation
    with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES):
        many = changelist_query_count(admin_client, url)
    assert len(result_rows(admin_client.get(url))) >= 6
    assert many == few


# Course list: freshness ---------------------------------------------------------------------


@pytest.fixture
def courses(world):
    day = world.today
    return {
        "upcoming": world.course,
        "rolling": world.make_course("jederzeit", rolling=True),
        "running": world.make_course(
            "laufend", start=day - dt.timedelta(days=3), end=day + dt.timedelta(days=10)
        ),
        "started": world.make_course("begonnen", start=day - dt.timedelta(days=3)),
        "past": world.make_course("vorbei", start=day - dt.timedelta(days=30)),
        "cancelled": world.make_course(
            "abgesagt", start=day + dt.timedelta(days=5), cancelled=True
        ),
    }


def test_course_list_filters_current_and_out_of_date(admin_client, world, courses):
    # A date that began three days ago without an end date counts as past (CourseDate.current).
    url = admin_url(Course, "changelist")
    current = listed_pks(admin_client.get(url, {"q": world.token, "aktuell": "yes"}))
    out_of_date = listed_pks(admin_client.get(url, {"q": world.token, "aktuell": "no"}))
    assert current == {courses[name].pk for name in ("upcoming", "rolling", "running")}
    assert out_of_date == {courses[name].pk for name in ("started", "past", "cancelled")}
    assert current == set(
        Course.objects.filter(pk__in=current | out_of_date).current().values_list("pk", flat=True)
    )


def test_course_list_shows_next_date_and_current_flag(admin_client, world, courses):
    response = admin_client.get(admin_url(Course, "changelist"), {"q": world.token})
    rows = {
        int(row.find("input", {"name": "_selected_action"})["value"]): row
        for row in result_rows(response)
    }
    upcoming = rows[courses["upcoming"].pk]
    start = world.today + dt.timedelta(days=14)
    assert upcoming.find(class_="field-next_date").get_text(strip=True) == date_format(
        start, "SHORT_DATE_FORMAT"
    )
    assert upcoming.find(class_="field-is_current").find("img")["alt"] == "True"
    running = rows[courses["running"].pk]
    assert running.find(class_="field-next_date").get_text(strip=True) == "läuft"
    assert running.find(class_="field-is_current").find("img")["alt"] == "True"
    rolling = rows[courses["rolling"].pk]
    assert rolling.find(class_="field-next_date").get_text(strip=True) == "Einstieg jederzeit"
    past = rows[courses["past"].pk]
    assert past.find(class_="field-next_date").get_text(strip=True) == "–"
    assert past.find(class_="field-is_current").find("img")["alt"] == "False"


def test_course_list_filters_by_provider_and_mode(admin_client, world, courses):
    other = Organisation.objects.create(
        name=f"{world.token} Andere", slug=f"{world.slug}-andere", is_provider=True
    )
    elsewhere = Course.objects.create(
        provider=other, title=f"{world.token}-online", slug=f"{world.slug}-online"
    )
    CourseDate.objects.create(course=elsewhere, start_date=world.today, mode=CourseDate.Mode.ONLINE)
    url = admin_url(Course, "changelist")
    by_provider = listed_pks(admin_client.get(url, {"q": world.token, "anbieter": other.pk}))
    assert by_provider == {elsewhere.pk}
    online = listed_pks(admin_client.get(url, {"q": world.token, "form": "online"}))
    assert online == {elsewhere.pk}


# Course form ----------------------------------------------------------------------------------


def course_add_data(admin_client, world, **dates):
    response = admin_client.get(admin_url(Course, "add"))
    assert response.status_code == 200
    data = form_data(response, "course_form")
    data.update(
        {
            "provider": str(world.provider.pk),
            "title": f"{world.token} Deutsch B1",
            "slug": f"{world.slug}-deutsch-b1",
            "kind": Course.Kind.COURSE,
            "summary": "Deutsch für den Beruf.",
            "subjects": [str(world.child_subject.pk)],
            "target_groups": [str(world.target_group.pk)],
            "keywords": "Deutsch, Beruf",
            "language": Course.Language.GERMAN,
            "certificate_kind": str(world.certificate_kind.pk),
            "teaching_units": "40",
            "price_kind": Course.PriceKind.FIXED,
            "price": "120.00",
            "funding": [str(world.funding.pk)],
            "contact": str(world.contact.pk),
            "registration_url": "https://example.org/anmeldung",
            "status": Course.Status.DRAFT,
            "modules-0-position": "1",
            "modules-0-title": "Grammatik",
            "modules-0-teaching_units": "24",
            "dates-0-start_date": "2031-09-01",
            "dates-0-end_date": "2031-10-31",
            "dates-0-weekdays": ["0", "2"],
            "dates-0-start_time": "18:00",
            "dates-0-end_time": "19:30",
            "dates-0-mode": CourseDate.Mode.BLENDED,
            "dates-0-venue": str(world.venue.pk),
            "dates-0-booking_status": CourseDate.BookingStatus.FEW,
            "dates-0-seats": "12",
        }
    )
    data.update({f"dates-0-{name}": value for name, value in dates.items()})
    return data


def test_course_is_saved_with_its_date_and_module(admin_client, world):
    data = course_add_data(admin_client, world)
    assert data["dates-TOTAL_FORMS"] == "1"
    assert data["modules-TOTAL_FORMS"] == "1"
    response = admin_client.post(admin_url(Course, "add"), data)
    assert response.status_code == 302, soup_of(response).select(".errorlist")

    course = Course.objects.get(slug=f"{world.slug}-deutsch-b1")
    assert course.provider == world.provider
    assert set(course.subjects.all()) == {world.child_subject}
    assert set(course.funding.all()) == {world.funding}
    assert sorted(course.keywords.names()) == ["Beruf", "Deutsch"]
    date = course.dates.get()
    assert date.start_date == dt.date(2031, 9, 1)
    assert date.weekdays == [0, 2]
    assert date.venue == world.venue
    assert date.mode == CourseDate.Mode.BLENDED
    module = course.modules.get()
    assert (module.title, module.teaching_units) == ("Grammatik", 24)


def test_date_ending_before_it_starts_is_an_error_not_a_crash(admin_client, world):
    data = course_add_data(admin_client, world, start_date="2031-09-01", end_date="2031-08-01")
    response = admin_client.post(admin_url(Course, "add"), data)
    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.find(class_="errornote") is not None
    errors = " ".join(error.get_text() for error in soup.select("#dates-group .errorlist"))
    assert END_AFTER_START in errors
    assert not Course.objects.filter(slug=f"{world.slug}-deutsch-b1").exists()


def test_date_without_start_or_rolling_start_is_an_error(admin_client, world):
    data = course_add_data(admin_client, world, start_date="", end_date="")
    response = admin_client.post(admin_url(Course, "add"), data)
    assert response.status_code == 200
    errors = " ".join(e.get_text() for e in soup_of(response).select("#dates-group .errorlist"))
    assert "Einstieg jederzeit" in errors
    assert not Course.objects.filter(slug=f"{world.slug}-deutsch-b1").exists()


def test_course_form_follows_the_public_page(admin_client, world):
    soup = soup_of(admin_client.get(admin_url(Course, "change", world.course.pk)))
    order = [
        element.get("id") if element.name == "div" else element.get_text(strip=True)
        for element in soup.select("fieldset > h2.fieldset-heading, div.inline-group")
    ]
    assert order == [
        "Was",
        "modules-group",
        "Wann & Wo",
        "dates-group",
        "Preis & Förderung",
        "Kontakt",
        "Verwaltung",
    ]
    # Timestamps are shown, not edited; weekdays are checkboxes.
    assert soup.find(attrs={"name": "updated_at"}) is None
    assert soup.find(class_="field-updated_at") is not None
    weekdays = soup.find_all("input", {"name": "dates-0-weekdays", "type": "checkbox"})
    assert [box["value"] for box in weekdays if box.has_attr("checked")] == ["0", "2"]
    assert (
        soup.find(class_="field-module_units").find(class_="readonly").get_text(strip=True) == "16"
    )


@pytest.mark.parametrize("spread", [0, 10_000], ids=["matched-directly", "ids-first"])
def test_course_search_by_provider_name_finds_the_same_either_way(
    admin_client, world, monkeypatch, spread
):
    """A word in many providers' names is matched in the list directly, one in few by the
    matching ids first (workspace.admin.courses.SPREAD_PROVIDERS): the same courses."""
    monkeypatch.setattr(course_admin, "SPREAD_PROVIDERS", spread)
    course = world.objects[Course]
    word = course.provider.name.split()[-1]
    response = admin_client.get(admin_url(Course, "changelist"), {"q": word})
    expected = set(
        Course.objects.filter(provider__name__icontains=word).values_list("pk", flat=True)
    ) | set(Course.objects.filter(title__icontains=word).values_list("pk", flat=True))
    listed = listed_pks(response)
    assert course.pk in listed
    assert listed <= expected
