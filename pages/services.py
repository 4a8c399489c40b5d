"""Writes for the site-wide pages."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from pages.models import AccessibilityFeedback, InfoPage

FEEDBACK_KEPT_DAYS = 365


@transaction.atomic
def info_page_save(*, page: InfoPage) -> InfoPage:
    """Validate and save an information page, with its text rendered to HTML once, here."""
    page.render_markup()
    page.full_clean()
    page.save()
    return page


@transaction.atomic
def feedback_submit(*, message: str, page: str = "", name: str = "", email: str = ""):
    """Store a reported barrier (no IP address, nothing the person did not type)."""
    feedback = AccessibilityFeedback(message=message, page=page, name=name, email=email)
    feedback.full_clean()
    feedback.save()
    return feedback


@transaction.atomic
def feedback_delete_old(*, days: int = FEEDBACK_KEPT_DAYS, now=None) -> int:
    """Delete feedback that is resolved, or older than ``days``: the privacy statement
    promises it. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = AccessibilityFeedback.objects.filter(created_at__lt=cutoff)
    resolved = AccessibilityFeedback.objects.filter(is_resolved=True)
    deleted, _per_model = (old | resolved).delete()
    return deleted
