"""openQ-cat 1.1: two catalogues written by hand (fixtures/openqcat-*.xml: a new one and an
update with a deletion) go through the same import as the tables; the export parses back to
the same courses; broken or hostile XML is refused with a message and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring
from django.urls import reverse

from measures.course_files.openqcat import openqcat_bytes
from measures.course_files.writers import course_rows, export_queryset
from measures.models import Course, Subject
from workspace.models import CourseChange
from workspace.services.course_import import course_import

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def catalogue(world, name: str) -> bytes:
    today = dt.date.today()
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return text.format_map(
        {
            "supplier": world.b.provider.slug,
            "start": (today + dt.timedelta(days=30)).strftime("%d.%m.%Y"),
            "end": (today + dt.timedelta(days=50)).strftime("%d.%m.%Y"),
            "subject": Subject.objects.filter(parent__isnull=False).order_by("pk").first().name,
        }
    ).encode()


def run(world, data: bytes, *, dry_run=False):
    return course_import(
        user=world.staff_b, organisation=world.b.provider, binary=io.BytesIO(data), dry_run=dry_run
    )


def test_a_new_catalogue_creates_its_services_with_dates_modules_and_venue(world):
    report = run(world, catalogue(world, "openqcat-new.xml"))
    assert report.ok and report.written, report.as_dict()
    assert sorted(report.created) == ["OQ-1", "OQ-2"]
    first = Course.objects.get(provider=world.b.provider, external_id="OQ-1")
    assert first.title == "Buchhaltung mit DATEV" and first.price == Decimal("240.00")
    assert first.summary.startswith("Belege") and first.teaching_units == 16
    assert sorted(first.keywords.names()) == ["Buchhaltung", "DATEV"]
    assert first.subjects.count() == 1
    assert [(m.title, m.teaching_units) for m in first.modules.order_by("position")] == [
        ("Grundlagen", 10),
        ("Jahresabschluss", 6),
    ]
    dates = list(first.dates.order_by("start_date"))
    assert len(dates) == 2 and dates[0].weekdays == [1, 3] and dates[0].seats == 14
    assert dates[0].venue.city == "Mainz" and dates[0].venue.region is not None
    assert dates[1].mode == "online" and dates[1].venue is None
    second = Course.objects.get(provider=world.b.provider, external_id="OQ-2")
    assert second.price_kind == Course.PriceKind.FREE and second.dates.get().rolling_start


def test_the_update_changes_what_changed_and_archives_the_deleted_service(world):
    run(world, catalogue(world, "openqcat-new.xml"))
    report = run(world, catalogue(world, "openqcat-update.xml"))
    assert report.ok and report.written, report.as_dict()
    assert (report.updated, report.archived) == (["OQ-1"], ["OQ-2"]), report.as_dict()
    first = Course.objects.get(provider=world.b.provider, external_id="OQ-1")
    assert first.price == Decimal("199.00") and first.status == Course.Status.PUBLISHED
    second = Course.objects.get(provider=world.b.provider, external_id="OQ-2")
    assert second.status == Course.Status.ARCHIVED
    again = run(world, catalogue(world, "openqcat-update.xml"))
    assert again.updated == [] and again.created == [], again.as_dict()


def test_a_catalogue_with_a_namespace_reads_the_same(world):
    data = catalogue(world, "openqcat-new.xml").replace(
        b'<OPENQCAT version="1.1">', b'<OPENQCAT version="1.1" xmlns="http://www.openqcat.org/1.1">'
    )
    report = run(world, data)
    assert report.ok and sorted(report.created) == ["OQ-1", "OQ-2"], report.as_dict()


def test_export_parses_back_to_the_same_courses(world):
    run(world, catalogue(world, "openqcat-new.xml"))
    provider = world.b.provider
    courses = export_queryset(Course.objects.filter(provider=provider))
    exported = openqcat_bytes(
        course_rows(courses), supplier=provider.slug, supplier_name=provider.name
    )
    assert fromstring(exported).tag == "OPENQCAT"
    log = CourseChange.objects.count()
    report = run(world, exported)
    assert report.ok and report.written, report.as_dict()
    assert (report.created, report.updated) == ([], []), report.as_dict()
    assert {"OQ-1", "OQ-2"} <= set(report.unchanged)  # with the provider's other offers
    assert CourseChange.objects.count() == log


def test_the_workspace_exports_own_offers_as_openqcat(client, world):
    run(world, catalogue(world, "openqcat-new.xml"))
    client.force_login(world.staff_b)
    url = reverse(
        "admin:course_import_export", kwargs={"organisation": world.b.provider.slug, "kind": "xml"}
    )
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    services = fromstring(response.content).findall("NEW_CATALOG/SERVICE")
    assert {"OQ-1", "OQ-2"} <= {service.findtext("PRODUCT_ID") for service in services}
    other = reverse(
        "admin:course_import_export", kwargs={"organisation": world.a.provider.slug, "kind": "xml"}
    )
    assert client.get(other).status_code == 404


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<OPENQCAT version="1.1"><NEW_CATALOG><SERVICE><PRODUCT_ID>&lol3;</PRODUCT_ID></SERVICE>
</NEW_CATALOG></OPENQCAT>"""


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<?xml version='1.0'?><OPENQCAT><NEW_CATALOG><SERVICE>", "nicht wohlgeformt"),
        (BOMB, "Entitäten"),
        (b"<?xml version='1.0'?><catalog/>", "kein openQ-cat"),
        (b"<OPENQCAT version='1.1'><HEADER/></OPENQCAT>", "weder NEW_CATALOG"),
    ],
    ids=["truncated", "entity-bomb", "other-root", "no-catalog"],
)
def test_broken_or_hostile_xml_is_refused_and_writes_nothing(world, data, expected):
    before = Course.objects.count()
    report = run(world, data)
    assert expected in report.file_error, report.as_dict()
    assert not report.written and Course.objects.count() == before


def test_a_service_without_id_or_with_an_unknown_feature_is_a_row_error(world):
    data = (
        catalogue(world, "openqcat-new.xml")
        .replace(b"<PRODUCT_ID>OQ-2</PRODUCT_ID>", b"")
        .replace(b"<FNAME>plaetze</FNAME>", b"<FNAME>farbe</FNAME>")
    )
    before = Course.objects.count()
    report = run(world, data)
    assert not report.written and Course.objects.count() == before
    messages = " ".join(str(error.message) for error in report.errors)
    assert "PRODUCT_ID" in messages and "farbe" in messages
    assert any("SERVICE 2" in error.source.element for error in report.errors)


def _prefixed(data: bytes) -> bytes:
    """The same catalogue with every element in a prefixed namespace (``oq:SERVICE``)."""
    import re

    text = re.sub(rb"<(/?)([A-Z_]+)", rb"<\1oq:\2", data)
    return text.replace(
        b"<oq:OPENQCAT ", b'<oq:OPENQCAT xmlns:oq="http://www.openqcat.org/1.1" ', 1
    )


def test_a_catalogue_with_prefixed_elements_reads_the_same(world):
    data = _prefixed(catalogue(world, "openqcat-new.xml"))
    assert b"<oq:SERVICE" in data
    report = run(world, data)
    assert report.ok and sorted(report.created) == ["OQ-1", "OQ-2"], report.as_dict()


def _records(result) -> list:
    return [
        (record.external_id, record.values, [d.values for d in record.dates], record.modules)
        for record in result.records
    ]


def test_reading_in_small_pieces_gives_the_same_records(world, monkeypatch):
    """SERVICEs cut by the reader's chunks anywhere (a name, a text, between two) are read
    whole; every SERVICE of a catalogue larger than one chunk is read once."""
    from measures.course_files import openqcat
    from measures.course_files.samples import sample_rows

    data = openqcat_bytes(sample_rows(400, 3), supplier="x", supplier_name="X")
    assert len(data) > 2 * openqcat._CHUNK
    whole = openqcat.read_openqcat(io.BytesIO(data), len(data))
    assert whole.rows == 400 and len(whole.records) == 400 and not whole.errors
    assert [record.external_id for record in whole.records] == [f"B-{n}" for n in range(1, 401)]
    assert all(len(record.dates) == 3 for record in whole.records)
    cut = data.index(b"</SERVICE>", 40_000) + len(b"</SERVICE>")
    head = data[:cut] + b"</NEW_CATALOG></OPENQCAT>"
    for chunk in (1, 7, 4093):
        monkeypatch.setattr(openqcat, "_CHUNK", chunk)
        small = openqcat.read_openqcat(io.BytesIO(head), len(head))
        assert _records(small) == _records(whole)[: len(small.records)]
        assert small.records and small.records[0].values.get("anbieter") == "x"


def test_an_external_entity_is_refused(world):
    data = b"""<?xml version="1.0"?>
<!DOCTYPE OPENQCAT [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<OPENQCAT version="1.1"><NEW_CATALOG><SERVICE><PRODUCT_ID>&secret;</PRODUCT_ID></SERVICE>
</NEW_CATALOG></OPENQCAT>"""
    report = run(world, data)
    assert "Entitäten" in report.file_error and not report.written, report.as_dict()


def test_the_import_pauses_the_garbage_collector_and_restores_it(world):
    """Bulk reading and checking without automatic full collections (core.collector)."""
    import gc

    seen = []
    assert gc.isenabled()
    course_import(
        user=world.staff_b,
        organisation=world.b.provider,
        binary=io.BytesIO(catalogue(world, "openqcat-new.xml")),
        dry_run=True,
        progress=lambda phase, fraction: seen.append(gc.isenabled()),
    )
    assert seen and not any(seen)
    assert gc.isenabled()
