"""Text folding: the same on both sides of every search.

``atlas_fold`` in the database (migration ``measures.0003``) and :func:`fold` here both lower
the case, write umlauts as ``ae/oe/ue`` and ``ß`` as ``ss`` and drop accents, so "Fuehrerschein"
finds "Führerschein" and a name sorts the same whatever its spelling.
"""

from __future__ import annotations

import unicodedata

from django.db.models import F, Func, TextField

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """Python twin of the database function ``atlas_fold``."""
    text = text.lower().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def folded(expression) -> Func:
    """``atlas_fold(expression)`` in SQL (a field name or an expression)."""
    if isinstance(expression, str):
        expression = F(expression)
    return Func(expression, function="atlas_fold", output_field=TextField())
