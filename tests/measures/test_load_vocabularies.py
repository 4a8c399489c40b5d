"""The vocabularies seeded by ``load_vocabularies`` (the session fixture ran it)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict

from measures import reference_data
from measures.models import CertificateKind, FundingType, Subject, TargetGroup
from network.models import Certification, Region

pytestmark = pytest.mark.django_db

VOCABULARIES = (Subject, TargetGroup, FundingType, CertificateKind, Certification)


def test_subjects_form_a_two_level_tree():
    top = Subject.objects.filter(parent=None)
    assert 10 <= top.count() <= 14
    for subject in top:
        assert 3 <= subject.children.count() <= 8, subject.name
    children = Subject.objects.exclude(parent=None).select_related("parent")
    assert all(child.parent.parent_id is None for child in children)
    languages = Subject.objects.get(slug="sprachen")
    assert {"Deutsch als Zweitsprache", "Englisch"} <= set(
        languages.children.values_list("name", flat=True)
    )
    assert Subject.objects.get(slug="gender").parent.slug == "paedagogik-und-soziales"
    assert languages.descendant_ids() == {languages.pk} | set(
        languages.children.values_list("pk", flat=True)
    )


def test_educational_leave_exists_for_every_state_with_a_law():
    leave = FundingType.objects.filter(kind=FundingType.Kind.EDUCATIONAL_LEAVE)
    states = set(Region.objects.states().filter(country="DE").values_list("key", flat=True))
    assert set(leave.values_list("state__key", flat=True)) == states - {"09", "14"}
    assert leave.count() == 14
    assert all(funding.state.kind == Region.Kind.STATE for funding in leave)
    named = dict(leave.values_list("name", "state__key"))
    assert named["Bildungsfreistellung Rheinland-Pfalz"] == "07"
    assert named["Bildungsurlaub Hamburg"] == "02"
    assert named["Bildungsfreistellung Mecklenburg-Vorpommern"] == "13"


def test_other_funding_certificates_target_groups_and_certifications():
    kinds = set(FundingType.objects.values_list("kind", flat=True))
    assert kinds == set(FundingType.Kind.values)
    assert (
        FundingType.objects.get(slug="bildungsgutschein").kind == FundingType.Kind.EDUCATION_VOUCHER
    )
    assert (
        FundingType.objects.get(slug="aufstiegs-bafoeg").kind == FundingType.Kind.AUFSTIEGS_BAFOEG
    )
    assert TargetGroup.objects.filter(name="Menschen mit Migrationsgeschichte").exists()
    assert TargetGroup.objects.count() >= 12
    assert CertificateKind.objects.filter(slug="externenpruefung").exists()
    assert {"AZAV", "ISO 9001", "LQW", "EFQM", "Hamburger Prüfsiegel für Weiterbildung"} <= set(
        Certification.objects.values_list("name", flat=True)
    )


def test_running_again_changes_nothing():
    def rows():
        return {
            model.__name__: sorted(
                (obj.pk, tuple(sorted(model_to_dict(obj).items()))) for obj in model.objects.all()
            )
            for model in VOCABULARIES
        }

    before = rows()
    call_command("load_vocabularies", verbosity=0)
    assert rows() == before


def test_a_missing_state_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(reference_data.EDUCATIONAL_LEAVE, "99", ("Bildungsurlaub X", "Gesetz"))
    with pytest.raises(CommandError, match="load_reference"):
        call_command("load_vocabularies", verbosity=0)
    assert not FundingType.objects.filter(name="Bildungsurlaub X").exists()
