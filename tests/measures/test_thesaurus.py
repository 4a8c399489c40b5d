"""The shipped thesaurus: everyday words find the catalogue's terms (issue 12, a step)."""

import pytest
from django.core.management import call_command
from django.http import QueryDict
from django.urls import reverse

from measures.course_search import course_search
from measures.models import Synonym
from measures.thesaurus import THESAURUS

pytestmark = pytest.mark.django_db


def titles(text):
    result = course_search(params=QueryDict(mutable=True, query_string=f"q={text}"))
    return {course.title for course in result.page.object_list}


def test_the_thesaurus_is_loaded_with_the_reference_data():
    assert Synonym.objects.filter(shipped=True).count() == len(THESAURUS)
    assert len({term.casefold() for term, _alternatives, _two_way in THESAURUS}) == len(THESAURUS)


def test_loading_again_keeps_what_coordinators_changed():
    edited = Synonym.objects.get(term="Computer")
    edited.alternatives = "PC"
    edited.is_active = False
    edited.save()
    Synonym.objects.filter(term="Mathe").delete()
    own = Synonym.objects.create(term="Kompjuter", alternatives="Computer")
    call_command("load_vocabularies", verbosity=0)
    edited.refresh_from_db()
    assert (edited.alternatives, edited.is_active) == ("PC", False)
    assert Synonym.objects.filter(pk=own.pk).exists()
    # A deleted shipped entry comes back (the admin offers switching off instead).
    assert Synonym.objects.filter(term="Mathe", shipped=True).exists()
    count = Synonym.objects.count()
    call_command("load_vocabularies", verbosity=0)
    assert Synonym.objects.count() == count


@pytest.mark.parametrize("typed", ["Computer", "Computerkurs", "PC"])
def test_everyday_words_find_the_catalogue_terms(typed):
    edv = titles("EDV")
    assert edv, "the demo data has EDV courses"
    assert edv <= titles(typed)


def test_an_equivalence_applies_from_every_side():
    assert titles("Smartphone") == titles("Handy")


def test_a_shipped_entry_is_switched_off_not_deleted(client, django_user_model):
    admin = django_user_model.objects.create_superuser("thesaurus-admin", "t@example.org", "x")
    client.force_login(admin)
    shipped = Synonym.objects.get(term="Handy")
    assert (
        client.get(reverse("admin:measures_synonym_delete", args=[shipped.pk])).status_code == 403
    )
    own = Synonym.objects.create(term="Kompjuter", alternatives="Computer")
    assert client.get(reverse("admin:measures_synonym_delete", args=[own.pk])).status_code == 200
