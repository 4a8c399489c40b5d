"""Turning what a learner types into "where?" — a postal code or a place name — into a point."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Min
from django.utils.translation import gettext as _

from network.models import PostalCode

POSTAL_CODE = re.compile(r"^\d{5}$")
MAX_CANDIDATES = 8
DOMINANT_SHARE = 0.8


@dataclass
class Place:
    label: str
    latitude: float
    longitude: float


@dataclass
class PlaceLookup:
    """The outcome: a place, or a message and possibly candidates to choose from."""

    place: Place | None = None
    error: str = ""
    candidates: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    alternatives: list[tuple[str, str]] = field(default_factory=list)  # other places, same name


def resolve_place(text: str) -> PlaceLookup:
    text = " ".join(text.split())[:100]
    if not text:
        return PlaceLookup()
    if text.isdigit():
        return _by_postal_code(text)
    return _by_name(text)


def _by_postal_code(code: str) -> PlaceLookup:
    if not POSTAL_CODE.match(code):
        return PlaceLookup(
            error=_("„%(code)s“ ist keine Postleitzahl: Sie hat fünf Ziffern.") % {"code": code}
        )
    centre = PostalCode.objects.filter(code=code).aggregate(
        lat=Avg("latitude"), lon=Avg("longitude"), n=Count("id"), place=Min("place")
    )
    if not centre["n"]:
        return PlaceLookup(
            error=_(
                "Die Postleitzahl %(code)s kennen wir nicht. Bitte prüfen Sie sie "
                "oder geben Sie einen Ort ein."
            )
            % {"code": code}
        )
    return PlaceLookup(place=Place(f"{code} {centre['place']}", centre["lat"], centre["lon"]))


def _by_name(name: str) -> PlaceLookup:
    """An exact place name wins when one district holds most of its postal codes (Hamburg);
    otherwise the learner chooses. Other places starting with the name are offered too."""
    exact = _grouped(PostalCode.objects.filter(place__iexact=name))
    similar = _grouped(
        PostalCode.objects.filter(place__istartswith=name).exclude(place__iexact=name)
    )
    if exact:
        total = sum(row["rows"] for row in exact)
        main = max(exact, key=lambda row: row["rows"])
        if main["rows"] >= DOMINANT_SHARE * total:
            return PlaceLookup(
                place=Place(_label(main), main["lat"], main["lon"]),
                alternatives=_choices([row for row in exact if row is not main] + similar),
            )
        return PlaceLookup(
            error=_("Es gibt mehrere Orte mit diesem Namen. Bitte wählen Sie einen aus."),
            candidates=_choices(exact + similar),
        )
    if len(similar) == 1:
        row = similar[0]
        return PlaceLookup(place=Place(_label(row), row["lat"], row["lon"]))
    if similar:
        return PlaceLookup(
            error=_("Es gibt mehrere passende Orte. Bitte wählen Sie einen aus."),
            candidates=_choices(similar),
        )
    return PlaceLookup(
        error=_("Den Ort „%(name)s“ kennen wir nicht. Bitte geben Sie eine Postleitzahl ein.")
        % {"name": name}
    )


def _label(row) -> str:
    district = row["district__name"]
    return (
        row["place"] if not district or district == row["place"] else f"{row['place']} ({district})"
    )


def _choices(rows) -> list[tuple[str, str]]:
    return [(row["code"], f"{_label(row)}, {row['code']}") for row in rows[:MAX_CANDIDATES]]


def _grouped(rows) -> list[dict]:
    """One entry per place and district: its centre, one of its postal codes, its row count."""
    return list(
        rows.values("place", "district__name")
        .annotate(lat=Avg("latitude"), lon=Avg("longitude"), code=Min("code"), rows=Count("id"))
        .order_by("-rows", "place", "district__name")[: MAX_CANDIDATES + 1]
    )


def postal_code_centre(code: str) -> tuple[float, float] | None:
    """The mean ``(lat, lon)`` of a postal code's places, or None for an unknown code."""
    found = PostalCode.objects.locate(code)
    return None if found is None else (found.latitude, found.longitude)
