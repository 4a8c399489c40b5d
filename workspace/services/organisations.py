"""Organisations, venues, subjects, memberships and the reminders to providers."""

from __future__ import annotations

import smtplib
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import BadHeaderError, EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from measures.models import Course, FundingType, Subject, TargetGroup
from measures.search import refresh_courses_of
from network.models import Membership
from workspace.access import access_for
from workspace.models import Reminder
from workspace.scopes import (
    networks_for_user,
    organisations_for_user,
)

# Organisations, venues and vocabularies ------------------------------------------------------


@contextmanager
def organisation_edit(*, organisation, user, created=False, join_network=None):
    """Every write of an organisation with its contacts, venues and certificates happens inside
    this: afterwards, in the same transaction, a new organisation joins the network it was
    created for, and its courses' indexed text (provider name, places) is refreshed."""
    with transaction.atomic():
        yield
        if created and join_network is not None:
            organisation_join_network(organisation=organisation, network=join_network, user=user)
        if not created:
            refresh_courses_of(providers=[organisation])


@contextmanager
def venue_edit(*, venue, created=False):
    """A venue's name and place are part of its courses' indexed text (a new one has none)."""
    with transaction.atomic():
        yield
        if not created:
            refresh_courses_of(venues=[venue])


@contextmanager
def vocabulary_edit(*, entry, created=False):
    """The names of a course's subjects (and their parents), target groups and funding are
    part of its indexed text: every write of a vocabulary entry happens inside this."""
    with transaction.atomic():
        yield
        if not created:
            name = {
                Subject: "subjects",
                TargetGroup: "target_groups",
                FundingType: "funding",
            }.get(type(entry))
            if name:
                refresh_courses_of(**{name: [entry]})


# Organisations and reminders -----------------------------------------------------------------


@transaction.atomic
def organisation_join_network(*, organisation, network, user) -> Membership:
    """Make a new organisation a (cooperation) partner of one of the user's networks."""
    if not networks_for_user(user).filter(pk=network.pk).exists():
        raise PermissionDenied
    membership, _created = Membership.objects.get_or_create(
        organisation=organisation,
        network=network,
        defaults={"role": Membership.Role.COOPERATION},
    )
    return membership


def membership_lead_step_down(*, membership, role=None) -> None:
    """The lead partner of a network steps down (to ``role``, or to cooperation partner when
    the membership is about to be deleted) before another becomes lead: the database allows
    one lead per network at any moment, so a hand-over saves the former lead first."""
    Membership.objects.filter(pk=membership.pk, role=Membership.Role.LEAD).update(
        role=role or Membership.Role.COOPERATION
    )


def reminder_recipient(organisation) -> str:
    """The organisation's email, else its first contact's."""
    if organisation.email:
        return organisation.email
    contact = organisation.contacts.exclude(email="").order_by("name").first()
    return contact.email if contact else ""


def reminder_subject(organisation) -> str:
    """The reminder's subject: plain text on one line (a mail header is neither HTML-escaped
    nor may it contain a line break, whatever the organisation's name holds)."""
    subject = _("Bildungsatlas: veraltete Angebote von %(name)s") % {"name": organisation.name}
    return " ".join(subject.split())


@dataclass(frozen=True)
class RemindersSent:
    """What ``send_outdated_reminders`` did, by organisation name."""

    sent: int
    skipped: list[str]  # nothing out of date, or no address
    failed: list[str]  # an invalid address, or the mail server refused it


def _reminder_message(organisation, recipient, context) -> EmailMessage | None:
    """The reminder, checked before anything is sent: None for an address or header that no
    mail server would take."""
    message = EmailMessage(
        subject=reminder_subject(organisation),
        body=render_to_string("workspace/email/reminder.txt", context),
        to=[recipient],
    )
    try:
        validate_email(recipient)
        message.message()  # builds the headers (raises on a line break in one)
    except (ValidationError, BadHeaderError, ValueError):
        return None
    return message


def send_outdated_reminders(*, user, organisation_ids, request) -> RemindersSent:
    """Email each provider (within the coordinator's reach) the list of its out-of-date
    published offers.

    Every message is built and checked before the first is sent; a message that cannot be
    built or that the mail server refuses is reported (``failed``) and does not stop the
    others."""
    access = access_for(user)
    if not (access.is_superuser or access.is_coordinator):
        raise PermissionDenied
    skipped, failed, ready = [], [], []
    url = request.build_absolute_uri(
        reverse("admin:measures_course_changelist") + "?aktuell=no&status__exact=published"
    )
    for organisation in organisations_for_user(user).filter(pk__in=list(organisation_ids)):
        courses = list(
            Course.objects.filter(provider=organisation)
            .published()
            .out_of_date()
            .order_by("title")
            .only("pk", "title")
        )
        recipient = reminder_recipient(organisation)
        if not courses or not recipient:
            skipped.append(organisation.name)
            continue
        context = {"organisation": organisation, "courses": courses, "url": url, "sender": user}
        message = _reminder_message(organisation, recipient, context)
        if message is None:
            failed.append(organisation.name)
            continue
        ready.append((organisation, message, len(courses)))
    sent = 0
    connection = get_connection()
    try:
        for organisation, message, course_count in ready:
            message.connection = connection
            try:
                message.send()
            except (smtplib.SMTPException, OSError):
                failed.append(organisation.name)
                continue
            Reminder.objects.create(
                organisation=organisation,
                sent_by=user,
                recipient=message.to[0],
                course_count=course_count,
            )
            sent += 1
    finally:
        connection.close()
    return RemindersSent(sent=sent, skipped=skipped, failed=failed)
