"""Roles, access links and two-factor log-in."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from workspace import security
from workspace.access import access_for, forget_access
from workspace.models import RoleAssignment
from workspace.scopes import (
    users_for_user,
)

User = get_user_model()


# Roles ---------------------------------------------------------------------------------------


def user_roles_changed(*, user) -> None:
    """A user holds the staff flag exactly while they are a superuser or hold a role."""
    is_staff = user.is_superuser or RoleAssignment.objects.filter(user=user).exists()
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    forget_access(user)


@transaction.atomic
def assign_role(*, user, kind, organisation=None, network=None) -> RoleAssignment:
    """Give ``user`` a role (used by the demo accounts and the README's first coordinator)."""
    role, _ = RoleAssignment.objects.get_or_create(
        user=user,
        kind=kind,
        organisation=organisation if kind == RoleAssignment.Kind.PROVIDER_STAFF else None,
        network=network if kind == RoleAssignment.Kind.COORDINATOR else None,
    )
    role.full_clean()
    user_roles_changed(user=user)
    return role


def send_access_links(*, users, request, actor) -> tuple[int, list[str]]:
    """Email each user (within the actor's reach) a link to set their password."""
    sent, missing = 0, []
    for user in users_for_user(actor, users):
        if not user.email:
            missing.append(user.get_username())
            continue
        path = reverse(
            "admin:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {"user": user, "url": request.build_absolute_uri(path), "actor": actor}
        send_mail(
            subject=render_to_string("workspace/email/access_link_subject.txt", context).strip(),
            message=render_to_string("workspace/email/access_link.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
        sent += 1
    return sent, missing


def reset_two_factor(*, users, actor) -> int:
    """Remove the users' authenticator devices and backup codes (superusers only): they set
    it up again. Returns how many authenticator devices were removed."""
    if not access_for(actor).is_superuser:
        raise PermissionDenied
    in_reach = users_for_user(actor, users)
    StaticDevice.objects.filter(user__in=in_reach).delete()
    deleted, _ = TOTPDevice.objects.filter(user__in=in_reach).delete()
    return deleted


@transaction.atomic
def two_factor_set_up(*, user, key: str, token: str) -> TOTPDevice:
    """Save the authenticator app the user set up with ``key`` (hex, the key the set-up page
    last showed this session; empty if none) once ``token`` is a current code of that key; a
    ValidationError otherwise. Nothing is stored before, so an abandoned set-up leaves no key
    behind."""
    if security.has_two_factor(user):
        raise ValidationError(
            _("Die Zwei-Faktor-Anmeldung ist bereits eingerichtet."), code="already_set_up"
        )
    wrong_code = ValidationError(
        _("Der Code passt nicht. Bitte prüfen Sie die Uhrzeit Ihres Geräts."), code="invalid"
    )
    if not key:  # this session was shown no key (or has since ended)
        raise wrong_code
    device = TOTPDevice(user=user, name=_("Authenticator-App"), key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not (token.isdigit() and totp.verify(int(token), device.tolerance)):
        raise wrong_code
    device.last_t = totp.t()  # this code does not log in a second time
    device.drift = totp.drift
    device.full_clean()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device.save()
    return device


@transaction.atomic
def backup_codes_generate(*, user, count: int = security.BACKUP_CODE_COUNT) -> list[str]:
    """New one-time backup codes for a user who has set up an authenticator app; the old ones
    stop working. The codes are returned to be shown once (they are stored as django-otp
    keeps them, each deleted when used)."""
    if not security.has_two_factor(user):
        raise ValidationError(
            _("Backup-Codes gibt es erst, wenn die Authenticator-App eingerichtet ist."),
            code="no_two_factor",
        )
    device = security.backup_devices(user).first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=_("Backup-Codes"), confirmed=True)
    device.token_set.all().delete()
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    device.throttle_reset()
    return sorted(codes)
