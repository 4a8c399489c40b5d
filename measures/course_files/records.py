"""What a reader produces: courses as raw text values with where each came from.

A reader (CSV, XLSX; later openQ-cat XML) turns a file into ``CourseRecord``s — one per
course, its dates and modules as parts — and ``RowError``s for what it could not read. The
values stay text (as the provider wrote them): the import converts and checks them in one place,
whatever the format, and names the place of every error (``Source``: a line of a table or an
element of an XML file).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """Where a value came from: a line of a table (1 = the header) or an XML element."""

    line: int | None = None
    element: str = ""

    def __str__(self) -> str:
        if self.line is not None:
            return f"Zeile {self.line}"
        return self.element


@dataclass
class RowError:
    """A problem with one value or row, in words a provider understands."""

    source: Source
    column: str
    message: str

    @property
    def line(self) -> int | None:
        return self.source.line

    def as_dict(self) -> dict:
        return {
            "line": self.source.line,
            "element": self.source.element,
            "column": self.column,
            "message": str(self.message),
        }


@dataclass
class PartRecord:
    """A date or a curriculum module: column key → text."""

    source: Source
    values: dict[str, str]


@dataclass
class CourseRecord:
    """One course: its key, its own values (column key → text), its dates and modules."""

    external_id: str
    source: Source
    values: dict[str, str] = field(default_factory=dict)
    dates: list[PartRecord] = field(default_factory=list)
    modules: list[PartRecord] = field(default_factory=list)
    # Where each course value came from, when not from ``source`` (a later row or element).
    sources: dict[str, Source] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        return self.values.get("anbieter", "").strip()

    @property
    def delete(self) -> bool:
        return self.values.get("loeschen", "").strip().casefold() in YES

    def source_of(self, key: str) -> Source:
        return self.sources.get(key, self.source)


# A course entered without an external id is exported with this key and its id instead, so
# that the export imports back onto it.
WITHOUT_KEY = "bildungsatlas-"


def course_key(course) -> str:
    return course.external_id or f"{WITHOUT_KEY}{course.pk}"


YES = frozenset({"ja", "j", "x", "yes", "y", "1", "true", "wahr"})
NO = frozenset({"", "nein", "n", "no", "0", "false", "falsch"})


@dataclass
class ReadResult:
    """What a reader made of a file: its courses, the errors of its rows, how many it read."""

    records: list[CourseRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0  # rows (or SERVICE elements) read below the header


class FileError(Exception):
    """The file as a whole cannot be read (wrong kind, encoding, damaged, too large …)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
