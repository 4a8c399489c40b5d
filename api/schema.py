"""The query parameters of the list endpoints in the OpenAPI description, written from the
filter sets the pages validate with (``CourseFilter``, ``ProviderFilter``), so the description
names exactly the parameters the endpoints accept, with their types, choices and bounds."""

from __future__ import annotations

from django import forms
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from core.listing import MAX_PAGE, MAX_VALUE_LENGTH, MAX_VALUES


def is_multiple(field_: forms.Field) -> bool:
    return isinstance(field_, forms.MultipleChoiceField) or getattr(field_, "multiple", False)


def parameter_names(filterset_class) -> tuple[set[str], set[str], set[str]]:
    """The filter set's parameters taking one value (and ``page``), those taking several, and
    the yes/no ones."""
    fields = filterset_class.shared_form_class().base_fields
    multiple = {name for name, field_ in fields.items() if is_multiple(field_)}
    yes_no = {name for name, field_ in fields.items() if _is_yes_no(field_)}
    return set(fields) - multiple | {"page"}, multiple, yes_no


def _is_yes_no(field_: forms.Field) -> bool:
    return isinstance(field_, forms.NullBooleanField | forms.BooleanField)


def _value_schema(field_: forms.Field) -> dict:
    if isinstance(field_, forms.DateField):
        return {"type": "string", "format": "date"}
    if _is_yes_no(field_):
        return {"type": "boolean"}
    if isinstance(field_, forms.DecimalField | forms.FloatField | forms.IntegerField):
        schema = {"type": "number"}
        if field_.min_value is not None:
            schema["minimum"] = float(field_.min_value)
        if field_.max_value is not None:
            schema["maximum"] = float(field_.max_value)
        return schema
    if isinstance(field_, forms.ChoiceField) and not isinstance(field_, forms.ModelChoiceField):
        return {"type": "string", "enum": [str(value) for value, _label in field_.choices]}
    schema = {"type": "string", "maxLength": MAX_VALUE_LENGTH}
    if getattr(field_, "max_length", None):
        schema["maxLength"] = min(field_.max_length, MAX_VALUE_LENGTH)
    return schema


VOCABULARY_NOTE = "Values: see /api/vocabularies/."


def filter_parameters(filterset_class, notes: dict[str, str] | None = None):
    """One OpenAPI query parameter per field of the filter set, and ``page``."""
    notes = notes or {}
    parameters = []
    for name, field_ in filterset_class.shared_form_class().base_fields.items():
        value = _value_schema(field_)
        multiple = is_multiple(field_)
        if multiple:
            schema = {"type": "array", "items": value, "maxItems": MAX_VALUES}
        elif value.get("type") != "string" or "enum" in value or "format" in value:
            # An empty value means "not given", as in the page's form (``date_to=``).
            schema = {"anyOf": [value, {"type": "string", "enum": [""]}]}
        else:
            schema = value
        description = str(field_.label)
        if name in notes:
            description += f". {notes[name]}"
        parameters.append(
            OpenApiParameter(
                name,
                schema,
                OpenApiParameter.QUERY,
                description=description,
                explode=True if multiple else None,
                style="form" if multiple else None,
            )
        )
    parameters.append(
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            OpenApiParameter.QUERY,
            description="Page number (20 per page).",
        )
    )
    return parameters


class ErrorSerializer(serializers.Serializer):
    """400: what is wrong, by parameter."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class NotFoundSerializer(serializers.Serializer):
    detail = serializers.CharField()


ERRORS = {400: ErrorSerializer, 404: NotFoundSerializer}
ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="The stable id."
)
