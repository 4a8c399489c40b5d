"""What a user may touch: one ``…_for_user(user, queryset=None)`` selector per model.

Every admin list, detail, change, delete, history, export, bulk action, autocomplete and
foreign-key choice starts from these (through ``workspace.admin.base``), and the services filter
posted ids through them again. A model without an entry in ``SCOPES`` is visible to superusers
only.

* Superusers see everything.
* Provider staff see their organisations and what belongs to them (contacts, venues,
  certificates, courses with their dates and modules).
* Coordinators see their networks and what belongs to them (phases, memberships, working
  groups, projects, events, quality criteria), the member organisations (and the lead partner)
  with everything that belongs to those, and the users whose roles all lie within that reach.
* Reference data and vocabularies (regions, postal codes, certifications, subjects …) are public
  facts: every active staff member may look them up.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from taggit.models import Tag

from core.sql import AnyOf
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
from network.models import (
    Certification,
    Contact,
    Event,
    Membership,
    Network,
    NetworkPhase,
    Organisation,
    OrganisationCertification,
    PostalCode,
    Project,
    Region,
    Venue,
    WorkingGroup,
)
from pages.models import InfoPage
from workspace.access import access_for
from workspace.models import CourseChange, QualityCriterion, Reminder, Review, RoleAssignment


def _base(model, queryset):
    return queryset if queryset is not None else model._default_manager.all()


# Networks and what belongs to them -----------------------------------------------------------


def networks_for_user(user, queryset=None) -> QuerySet:
    qs = _base(Network, queryset)
    access = access_for(user)
    if access.is_superuser:
        return qs
    return qs.filter(pk__in=access.network_ids)


def _network_part(model, user, queryset, path="network"):
    qs = _base(model, queryset)
    access = access_for(user)
    if access.is_superuser:
        return qs
    return qs.filter(**{f"{path}__in": access.network_ids})


def network_phases_for_user(user, queryset=None) -> QuerySet:
    return _network_part(NetworkPhase, user, queryset)


def memberships_for_user(user, queryset=None) -> QuerySet:
    return _network_part(Membership, user, queryset)


def working_groups_for_user(user, queryset=None) -> QuerySet:
    return _network_part(WorkingGroup, user, queryset)


def projects_for_user(user, queryset=None) -> QuerySet:
    return _network_part(Project, user, queryset)


def events_for_user(user, queryset=None) -> QuerySet:
    return _network_part(Event, user, queryset)


def quality_criteria_for_user(user, queryset=None) -> QuerySet:
    return _network_part(QualityCriterion, user, queryset)


# Organisations and what belongs to them ------------------------------------------------------


def organisation_ids_condition(access) -> Q:
    """The organisations within reach of ``access`` (not for superusers), as a condition on
    Organisation's primary key."""
    condition = Q(pk__in=access.organisation_ids)
    if access.network_ids:
        condition |= Q(
            Exists(
                Membership.objects.filter(
                    organisation=OuterRef("pk"), network__in=access.network_ids
                )
            )
        ) | Q(
            Exists(Network.objects.filter(lead_partner=OuterRef("pk"), pk__in=access.network_ids))
        )
    return condition


def organisations_for_user(user, queryset=None) -> QuerySet:
    qs = _base(Organisation, queryset)
    access = access_for(user)
    if access.is_superuser:
        return qs
    if not access.roles:
        return qs.none()
    return qs.filter(pk__in=_reachable_organisations(access))


def _reachable_organisations(access) -> list[int]:
    """The ids of the organisations in reach, read now: a list the planner can count (as a
    subquery it estimated three quarters of all courses in a coordinator's reach, and sorted
    every course of a 100,000-course catalogue for a list of 36)."""
    if "organisations" not in access.memo:  # each form field and list asks: read it once
        access.memo["organisations"] = list(
            Organisation.objects.filter(organisation_ids_condition(access)).values_list(
                "pk", flat=True
            )
        )
    return access.memo["organisations"]


def reachable_organisation_ids(user) -> list[int] | None:
    """The ids of the organisations whose data ``user`` may see (None: all, a superuser), for
    statements the querysets below cannot express."""
    access = access_for(user)
    if access.is_superuser:
        return None
    return _reachable_organisations(access) if access.roles else []


def _organisation_part(model, user, queryset, path="organisation"):
    qs = _base(model, queryset)
    access = access_for(user)
    if access.is_superuser:
        return qs
    if not access.roles:
        return qs.none()
    return qs.filter(AnyOf(path, _reachable_organisations(access)))


def contacts_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(Contact, user, queryset)


def venues_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(Venue, user, queryset)


def organisation_certificates_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(OrganisationCertification, user, queryset)


def reminders_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(Reminder, user, queryset)


def courses_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(Course, user, queryset, path="provider")


def course_dates_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(CourseDate, user, queryset, path="course__provider")


def modules_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(Module, user, queryset, path="course__provider")


def reviews_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(Review, user, queryset, path="course__provider")


def course_changes_for_user(user, queryset=None) -> QuerySet:
    return _organisation_part(CourseChange, user, queryset, path="course__provider")


# Users and roles -----------------------------------------------------------------------------


def _assignments_in_reach(access) -> Q:
    """Role assignments a coordinator may see and change."""
    return Q(network__in=access.network_ids) | Q(
        organisation__in=Organisation.objects.filter(organisation_ids_condition(access)).values(
            "pk"
        )
    )


def role_assignments_for_user(user, queryset=None) -> QuerySet:
    qs = _base(RoleAssignment, queryset)
    access = access_for(user)
    if access.is_superuser:
        return qs
    if not access.is_coordinator:
        return qs.none()
    return qs.filter(_assignments_in_reach(access))


def users_for_user(user, queryset=None) -> QuerySet:
    """Superusers: every user. Coordinators: users who are not superusers, hold at least one
    role within the coordinator's reach and none outside it (so a coordinator never changes
    the account of someone who can reach another network)."""
    User = get_user_model()
    qs = _base(User, queryset)
    access = access_for(user)
    if access.is_superuser:
        return qs
    if not access.is_coordinator:
        return qs.none()
    in_reach = RoleAssignment.objects.filter(user=OuterRef("pk")).filter(
        _assignments_in_reach(access)
    )
    outside = RoleAssignment.objects.filter(user=OuterRef("pk")).exclude(
        _assignments_in_reach(access)
    )
    return qs.filter(is_superuser=False).filter(Exists(in_reach)).exclude(Exists(outside))


# Public reference data and shared vocabularies -----------------------------------------------


def public_for_staff(model) -> Callable:
    """Reference data and vocabularies: every active staff member may look them up."""

    def scope(user, queryset=None) -> QuerySet:
        qs = _base(model, queryset)
        return qs if access_for(user).roles or _is_staff(user) else qs.none()

    scope.__name__ = f"{model._meta.model_name}_for_user"
    return scope


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


def shared_for_coordinators(model) -> Callable:
    """Shared by every network of the installation (synonyms, information pages):
    coordinators and superusers see every row, nobody else any."""

    def scope(user, queryset=None) -> QuerySet:
        qs = _base(model, queryset)
        access = access_for(user)
        return qs if access.is_superuser or access.is_coordinator else qs.none()

    scope.__name__ = f"{model._meta.model_name}s_for_user"
    return scope


synonyms_for_user = shared_for_coordinators(Synonym)
info_pages_for_user = shared_for_coordinators(InfoPage)


def superuser_only(user, queryset) -> QuerySet:
    return queryset if access_for(user).is_superuser else queryset.none()


SCOPES: dict[type, Callable] = {
    Network: networks_for_user,
    NetworkPhase: network_phases_for_user,
    Membership: memberships_for_user,
    WorkingGroup: working_groups_for_user,
    Project: projects_for_user,
    Event: events_for_user,
    QualityCriterion: quality_criteria_for_user,
    Organisation: organisations_for_user,
    Contact: contacts_for_user,
    Venue: venues_for_user,
    OrganisationCertification: organisation_certificates_for_user,
    Reminder: reminders_for_user,
    Course: courses_for_user,
    CourseDate: course_dates_for_user,
    Module: modules_for_user,
    Review: reviews_for_user,
    CourseChange: course_changes_for_user,
    RoleAssignment: role_assignments_for_user,
    Synonym: synonyms_for_user,
    InfoPage: info_pages_for_user,
    Region: public_for_staff(Region),
    PostalCode: public_for_staff(PostalCode),
    Certification: public_for_staff(Certification),
    Subject: public_for_staff(Subject),
    TargetGroup: public_for_staff(TargetGroup),
    FundingType: public_for_staff(FundingType),
    CertificateKind: public_for_staff(CertificateKind),
    Tag: public_for_staff(Tag),
}


def scope_queryset(model, user, queryset: QuerySet) -> QuerySet:
    """``queryset`` narrowed to what ``user`` may touch (superusers only for unknown models)."""
    if model is get_user_model():
        return users_for_user(user, queryset)
    scope = SCOPES.get(model)
    if scope is None:
        return superuser_only(user, queryset)
    return scope(user, queryset)
