"""What an admin form changed, as readable lines for a course's change log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from measures.models.dates import WEEKDAYS


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


def field_value(obj, name: str) -> str:
    """The display value of ``obj``'s field ``name`` (many-to-many and keywords included)."""
    if name == "keywords":
        return ", ".join(sorted(obj.keywords.names())) or "–"
    field = obj._meta.get_field(name)
    if field.many_to_many:
        return display([str(item) for item in getattr(obj, name).all()])
    value = getattr(obj, name)
    if name == "weekdays":
        return display(value, WEEKDAYS)
    return display(value, field.choices)


def snapshot(obj, names) -> dict[str, str]:
    return {name: field_value(obj, name) for name in names}


def form_changes(form, before: dict[str, str]) -> list[dict]:
    """Changes of the main form: ``before`` is the snapshot taken before saving."""
    changes = []
    for name in form.changed_data:
        if name not in before:
            continue
        new = field_value(form.instance, name)
        if new != before[name]:
            label = capfirst(str(form.fields[name].label or name))
            changes.append({"field": label, "old": before[name], "new": new})
    return changes


def _form_value(form, name, value):
    field = form.fields.get(name)
    choices = getattr(field, "choices", None) if field is not None else None
    if isinstance(value, models.Model):
        return str(value)
    if choices is not None and not isinstance(value, models.Model):
        try:
            return display(value, list(choices))
        except TypeError:
            return display(value)
    return display(value)


def formset_changes(formset, label) -> list[dict]:
    """Changes of an inline formset after it was saved: new, changed and deleted rows."""
    changes = []
    deleted = {obj.pk for obj in getattr(formset, "deleted_objects", [])}
    for obj in getattr(formset, "deleted_objects", []):
        changes.append({"field": f"{label}: {obj}", "old": str(obj), "new": _("gelöscht")})
    new = {id(obj) for obj in getattr(formset, "new_objects", [])}
    for form in formset.forms:
        if not form.has_changed() or getattr(form, "cleaned_data", None) is None:
            continue
        if form.instance.pk in deleted or formset._should_delete_form(form):
            continue
        if id(form.instance) in new:
            changes.append({"field": f"{label}: {form.instance}", "old": "–", "new": _("neu")})
            continue
        for name in form.changed_data:
            if name in {"id", "DELETE"} or name not in form.fields:
                continue
            old = _form_value(form, name, form.initial.get(name))
            value = _form_value(form, name, form.cleaned_data.get(name))
            if old != value:
                field_label = capfirst(str(form.fields[name].label or name))
                changes.append(
                    {"field": f"{label} {form.instance}: {field_label}", "old": old, "new": value}
                )
    return changes
