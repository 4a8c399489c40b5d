"""The label of a stored choice, looked up in its enumeration.

Django's ``get_FOO_display()`` builds a dict of every choice on each call and hashes their lazy
labels, which translates each of them: 0.45 ms a call, 27 ms for the 60 labels of the partner
directory. The enumeration's own lookup costs nothing."""

from django.db import models


def label(choices: type[models.Choices], value) -> str:
    """The choice's label, or the stored value itself when it is not (or no longer) a choice."""
    try:
        return choices(value).label
    except ValueError:
        return value
