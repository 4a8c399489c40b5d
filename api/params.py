"""The API's query parameters: which names an endpoint takes, which take several values, and
what is wrong with a request's parameters. The pages forgive (they show results for the rest
and say what was dropped); the API refuses with a 400 that names each problem, so a client
never gets results for a search it did not ask for.

The values themselves are validated by the same filter sets as the pages (``CourseFilter``,
``ProviderFilter``); this module only adds what a page never needs to say.
"""

from __future__ import annotations

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException

from core.listing import MAX_KEY_LENGTH, MAX_PAGE, MAX_VALUE_LENGTH, MAX_VALUES


class BadParameters(APIException):
    """400 with a message per parameter: ``{"detail": …, "errors": {name: [messages]}}``."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_parameters"

    def __init__(self, errors: dict[str, list[str]]):
        self.detail = {
            "detail": _("Die Anfrage enthält ungültige Parameter."),
            "errors": {name: [str(message) for message in found] for name, found in errors.items()},
        }


def _printable(text: str, limit: int = 40) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:limit]


YES_NO = ("true", "false", "")  # empty: not given, as in the form


def check(
    params: QueryDict, *, single: set[str], multiple: set[str], yes_no: set[str] = frozenset()
) -> dict[str, list[str]]:
    """What is wrong with the parameters' names, counts and sizes, and with yes/no values
    (a page's checkbox takes any value as yes; the API only ``true`` and ``false``)."""
    errors: dict[str, list[str]] = {}
    for name, values in params.lists():
        if name in yes_no and any(value not in YES_NO for value in values):
            errors.setdefault(name, []).append(_("Erlaubt sind nur „true“ und „false“."))
        if name not in single and name not in multiple:
            shown = _printable(name, MAX_KEY_LENGTH)
            errors.setdefault(shown or "?", []).append(
                _("Unbekannter Parameter „%(name)s“.") % {"name": shown}
            )
            continue
        if name in single and len(values) > 1:
            errors.setdefault(name, []).append(_("Dieser Parameter darf nur einmal vorkommen."))
        if len(values) > MAX_VALUES:
            errors.setdefault(name, []).append(
                _("Höchstens %(count)d Werte erlaubt.") % {"count": MAX_VALUES}
            )
        if any(len(value) > MAX_VALUE_LENGTH for value in values):
            errors.setdefault(name, []).append(
                _("Ein Wert darf höchstens %(count)d Zeichen lang sein.")
                % {"count": MAX_VALUE_LENGTH}
            )
    return errors


def page_number(params: QueryDict, errors: dict[str, list[str]]) -> int:
    """The page asked for (1 without one); a message in ``errors`` when it is no number from 1
    to ``MAX_PAGE``."""
    value = params.get("page", "")
    if value == "":
        return 1
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_PAGE:
        return int(value)
    errors.setdefault("page", []).append(
        _("Die Seite muss eine ganze Zahl von 1 bis %(max)d sein.") % {"max": MAX_PAGE}
    )
    return 1


def filter_errors(form) -> dict[str, list[str]]:
    """A validated filter form's errors by parameter."""
    return {name: [str(message) for message in messages] for name, messages in form.errors.items()}
