from django.db.models.base import Model
from django.utils import translation

from core import choices
from network.models import Membership, Organisation


def test_the_label_is_the_one_django_shows_for_every_choice():
    with translation.override("de"):
        for value, _label in Membership.Role.choices:
            membership = Membership(role=value)
            django = Model._get_FIELD_display(membership, Membership._meta.get_field("role"))
            assert membership.get_role_display() == django
        for value, _label in Organisation.Kind.choices:
            organisation = Organisation(kind=value)
            field = Organisation._meta.get_field("kind")
            assert organisation.get_kind_display() == Model._get_FIELD_display(organisation, field)


def test_a_value_that_is_no_choice_shows_itself():
    assert choices.label(Membership.Role, "gibt-es-nicht") == "gibt-es-nicht"
    assert Organisation(kind="alt").get_kind_display() == "alt"
