"""Values as the admin shows them, for the lines of a course's change log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import formats
from django.utils.translation import gettext as _


def display(value, choices=None) -> str:
    """A value as the admin shows it (German dates, choice labels, names of related rows)."""
    if value is None or value == "" or value == []:
        return "–"
    if choices:
        labels = {str(key): str(label) for key, label in choices}
        if isinstance(value, list | tuple | set):
            return ", ".join(labels.get(str(item), str(item)) for item in value)
        if str(value) in labels:
            return labels[str(value)]
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, dt.datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2)
    if isinstance(value, models.QuerySet):
        return ", ".join(str(item) for item in value) or "–"
    if isinstance(value, list | tuple | set):
        return ", ".join(str(item) for item in value) or "–"
    return str(value)
