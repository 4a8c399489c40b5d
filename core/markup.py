"""A small, safe subset of Markdown for the information pages that coordinators edit in admin.

Safe by construction: every piece of the author's text is escaped, and the only markup in the
output is what this module writes. Links are kept only for http(s), mailto and tel addresses
and for paths on this site; anything else (``javascript:``, ``data:`` …) stays plain text.

What it understands (see ``SYNTAX_HELP``):

- paragraphs, separated by a blank line; within a paragraph or list item every line break is
  kept (as people who type into a text box expect)
- headings ``## Heading`` and ``### Subheading`` (``#`` is treated as ``##``: the page title is
  the only first-level heading); each gets an id for links to it (``#abschnitt-…``)
- lists: lines starting with ``- `` or ``* `` (bullets) or ``1. `` (numbered); an indented line
  continues the item
- quotes: lines starting with ``> ``; a line of ``---`` is a separator
- ``**bold**``, ``*emphasis*`` or ``_emphasis_``, ```code```, ``[text](https://…)``

Time linear in the length of the text, whatever it holds (no pattern that backtracks over the
rest of a line). Still, pages store the result when they are saved (``InfoPage.body_html``) and
do not render on each request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

SYNTAX_HELP = _(
    "Einfaches Markdown: Leerzeile = neuer Absatz, Zeilenumbruch = neue Zeile; "
    "„## Überschrift“, „### Unterüberschrift“; "
    "Listen mit „- “ oder „1. “; **fett**, *kursiv*; Links als [Text](https://…) oder "
    "[Text](/kurse/); „> “ für ein Zitat. HTML wird nicht ausgeführt, sondern angezeigt."
)

HEADING_START = re.compile(r"(#{1,4})\s+")
BULLET = re.compile(r"^[-*+]\s+(.*)$")
NUMBERED = re.compile(r"^(\d{1,4})[.)]\s+(.*)$")
QUOTE = re.compile(r"^>\s?(.*)$")
RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})\s*$")
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")
MAX_LENGTH = 100_000

# White space and word characters as regular expressions define them (``\s``, ``\w``, on all
# of Unicode), and the characters the inline scanner looks for.
SPACE = re.compile(r"\s")
WORD = re.compile(r"\w")
INLINE_START = re.compile(r"[`\[]")
CODE_END = re.compile(r"[`\n]")
LABEL_END = re.compile(r"[\]\n]")
URL_END = re.compile(r"[()\s]")
NOT_SPACE = re.compile(r"\S")
TITLE_END = re.compile(r"[\"\n]")


def safe_url(url: str) -> str | None:
    """The URL if it is safe to link to: http(s), mailto, tel, a path on this site, an anchor."""
    cleaned = "".join(char for char in url if unicodedata.category(char)[0] != "C").strip()
    lowered = cleaned.lower()
    if lowered.startswith(SAFE_SCHEMES):
        return cleaned
    if cleaned.startswith("/") and not cleaned.startswith("//") and "\\" not in cleaned:
        return cleaned
    if cleaned.startswith("#") and len(cleaned) > 1:
        return cleaned
    return None


def heading(line: str) -> tuple[int, str] | None:
    """(level, text) of a heading line (stripped): one to four ``#``, white space, the text,
    optionally closed by ``#`` again. The level is at least 2."""
    start = HEADING_START.match(line)
    if start is None:
        return None
    text = line[start.end() :].rstrip().rstrip("#").rstrip()
    return max(2, len(start.group(1))), text


# Inline markup -----------------------------------------------------------------------------------
#
# One scan from left to right over the line for code spans and links, then one each for
# **strong**, *emphasis* and _emphasis_ over the escaped text between them. Each scan moves only
# forwards: where the next closing mark or delimiter is comes from a table built once per text
# (or from a pointer into the list of closing marks), so that an opening mark without its
# closing one costs a step, not a rescan of the rest of the line. Linear in the length of the
# text, whatever it holds.


def _is_space(char: str) -> bool:
    return SPACE.match(char) is not None


def _is_word(char: str) -> bool:
    return WORD.match(char) is not None


class _NextMatch:
    """``self(i)``: the first index ≥ i whose character matches ``pattern`` (a one-character
    class), or ``len(text)``. The table is built on the first call, in one pass."""

    def __init__(self, text: str, pattern: re.Pattern):
        self.text, self.pattern, self.table = text, pattern, None

    def __call__(self, index: int) -> int:
        if self.table is None:
            length = len(self.text)
            table, start = [length] * (length + 1), 0
            for match in self.pattern.finditer(self.text):
                position = match.start()
                table[start : position + 1] = [position] * (position + 1 - start)
                start = position + 1
            self.table = table
        return self.table[min(index, len(self.text))]


def _link_or_code(text: str, start: int, find: dict) -> tuple[int, str] | None:
    """(end, HTML) of the code span or link that begins at ``start``, if one does.

    A code span is ```code``` within the line. A link is ``[label](url)`` or
    ``[label](url "title")``: the label up to the first ``]``; the URL without white space or
    parentheses, but it may end in one pair of them (``…/Wiki_(Begriff)``)."""
    length = len(text)
    if text[start] == "`":
        end = find["code"](start + 1)
        if end < length and text[end] == "`" and end > start + 1:
            return end + 1, f"<code>{escape(text[start + 1 : end])}</code>"
        return None
    label_end = find["label"](start + 1)
    if not (label_end < length and text[label_end] == "]" and label_end > start + 1):
        return None
    url_start = label_end + 2
    if text[label_end + 1 : url_start] != "(":
        return None
    url_end = find["url"](url_start)
    if url_end == url_start or url_end == length:
        return None
    if text[url_end] == "(":
        inner_end = find["url"](url_end + 1)
        if inner_end < length and text[inner_end] == ")":
            url_end = inner_end + 1
    title = None
    end = url_end
    if end < length and _is_space(text[end]):
        quote = find["not_space"](end)
        if quote == length or text[quote] != '"':
            return None
        closing = find["title"](quote + 1)
        if closing == length or text[closing] != '"':
            return None
        title, end = text[quote + 1 : closing], closing + 1
    if end == length or text[end] != ")":
        return None
    label = _emphasis(escape(text[start + 1 : label_end]))
    url = safe_url(text[url_start:url_end])
    if url is None:
        return end + 1, label
    title_attribute = f' title="{escape(title)}"' if title else ""
    return end + 1, f'<a href="{escape(url)}"{title_attribute}>{label}</a>'


def _pairs(
    text: str,
    mark: str,
    opens: Callable[[int], bool],
    closes: Callable[[int], bool],
    gap: int,
    tag: str,
) -> str:
    """``text`` with each span between an opening and a closing ``mark`` wrapped in ``tag``.

    From left to right, each opening mark (``opens(i)``) is paired with the nearest closing mark
    (``closes(i)``) at least ``gap`` characters after it, and scanning goes on after that; what
    lies inside is not paired again. An opening mark with no closing mark after it means that
    no later one has one either, so the scan stops there."""
    width, length = len(mark), len(text)
    closing = [i for i in _find_all(text, mark) if closes(i)]
    parts, position, next_closing, index = [], 0, 0, text.find(mark)
    while index != -1:
        if opens(index):
            while next_closing < len(closing) and closing[next_closing] < index + gap:
                next_closing += 1
            if next_closing == len(closing):
                break
            end = closing[next_closing]
            parts += (text[position:index], f"<{tag}>", text[index + width : end], f"</{tag}>")
            position = end + width
            index = text.find(mark, position)
        else:
            index = text.find(mark, index + 1)
    if not parts:
        return text
    parts.append(text[position:length])
    return "".join(parts)


def _find_all(text: str, mark: str) -> Iterator[int]:
    index = text.find(mark)
    while index != -1:
        yield index
        index = text.find(mark, index + 1)


def _strong(text: str) -> str:
    """``**strong**``: the marks touch the text inside."""
    length = len(text)
    return _pairs(
        text,
        "**",
        opens=lambda i: i + 2 < length and not _is_space(text[i + 2]),
        closes=lambda i: i > 0 and not _is_space(text[i - 1]),
        gap=3,
        tag="strong",
    )


def _star_emphasis(text: str) -> str:
    """``*emphasis*``: the marks touch the text inside, are not doubled and not within a word."""
    length = len(text)

    def outside(i):
        return i < 0 or i >= length or not (text[i] == "*" or _is_word(text[i]))

    def touches(i):
        return 0 <= i < length and not (text[i] == "*" or _is_space(text[i]))

    return _pairs(
        text,
        "*",
        opens=lambda i: outside(i - 1) and touches(i + 1),
        closes=lambda i: touches(i - 1) and outside(i + 1),
        gap=2,
        tag="em",
    )


def _underscore_emphasis(text: str) -> str:
    """``_emphasis_``: the marks touch the text inside and are not within a word."""
    length = len(text)

    def outside(i):
        return i < 0 or i >= length or not _is_word(text[i])

    def touches(i):
        return 0 <= i < length and not _is_space(text[i])

    return _pairs(
        text,
        "_",
        opens=lambda i: outside(i - 1) and touches(i + 1),
        closes=lambda i: touches(i - 1) and outside(i + 1),
        gap=2,
        tag="em",
    )


def _emphasis(escaped: str) -> str:
    """Strong first, then the two kinds of emphasis, each over the result of the one before and
    within one line."""
    if "*" not in escaped and "_" not in escaped:
        return escaped
    return "\n".join(
        _underscore_emphasis(_star_emphasis(_strong(line))) for line in escaped.split("\n")
    )


def render_inline(text: str) -> str:
    """Escaped text with code spans, links and emphasis."""
    find = {
        "code": _NextMatch(text, CODE_END),
        "label": _NextMatch(text, LABEL_END),
        "url": _NextMatch(text, URL_END),
        "not_space": _NextMatch(text, NOT_SPACE),
        "title": _NextMatch(text, TITLE_END),
    }
    parts, position = [], 0
    candidate = INLINE_START.search(text)
    while candidate is not None:
        start = candidate.start()
        found = _link_or_code(text, start, find)
        if found is None:
            candidate = INLINE_START.search(text, start + 1)
            continue
        end, html = found
        parts += (_emphasis(escape(text[position:start])), html)
        position = end
        candidate = INLINE_START.search(text, end)
    parts.append(_emphasis(escape(text[position:])))
    return "".join(parts)


def _lines_with_breaks(lines: list[str]) -> str:
    """The lines of one paragraph or list item, each line break kept as <br>."""
    return "<br>\n".join(render_inline(line.strip().removesuffix("\\").rstrip()) for line in lines)


def render(source: str) -> SafeString:
    """The HTML of a text in the Markdown subset."""
    lines = (source or "")[:MAX_LENGTH].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    html: list[str] = []
    used_ids: set[str] = set()
    next_number: dict[str, int] = {}  # per base: the numbers below it are taken
    index = 0

    def heading_id(text: str) -> str:
        """``abschnitt-<slug>``, then ``-2``, ``-3`` … for the same heading again."""
        base = "abschnitt-" + (slugify(text)[:60] or "teil")
        candidate, number = base, next_number.get(base, 2)
        if candidate in used_ids:
            candidate = f"{base}-{number}"
            while candidate in used_ids:
                number += 1
                candidate = f"{base}-{number}"
            next_number[base] = number + 1
        used_ids.add(candidate)
        return candidate

    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            index += 1
            continue
        if RULE.match(stripped):
            html.append("<hr>")
            index += 1
            continue
        found = heading(stripped)
        if found:
            level, text = found
            html.append(f'<h{level} id="{heading_id(text)}">{render_inline(text)}</h{level}>')
            index += 1
            continue
        if BULLET.match(stripped) or NUMBERED.match(stripped):
            numbered = bool(NUMBERED.match(stripped)) and not BULLET.match(stripped)
            pattern = NUMBERED if numbered else BULLET
            items: list[list[str]] = []
            start = None
            while index < len(lines):
                current = lines[index]
                match = pattern.match(current.strip())
                if match and not (items and current.startswith((" ", "\t"))):
                    if numbered and start is None:
                        start = int(match.group(1))
                    items.append([match.group(2) if numbered else match.group(1)])
                elif current.strip() and items and current.startswith((" ", "\t")):
                    items[-1].append(current.strip())
                else:
                    break
                index += 1
            tag = "ol" if numbered else "ul"
            start_attribute = f' start="{start}"' if numbered and start not in (None, 1) else ""
            body = "".join(f"<li>{_lines_with_breaks(item)}</li>" for item in items)
            html.append(f"<{tag}{start_attribute}>{body}</{tag}>")
            continue
        if QUOTE.match(stripped):
            quoted = []
            while index < len(lines) and QUOTE.match(lines[index].strip()):
                quoted.append(QUOTE.match(lines[index].strip()).group(1))
                index += 1
            paragraphs = "\n".join(quoted).split("\n\n")
            inner = "".join(
                f"<p>{_lines_with_breaks(part.split(chr(10)))}</p>"
                for part in paragraphs
                if part.strip()
            )
            html.append(f"<blockquote>{inner}</blockquote>")
            continue
        paragraph = []
        while index < len(lines):
            current = lines[index]
            current_stripped = current.strip()
            if (
                not current_stripped
                or heading(current_stripped)
                or RULE.match(current_stripped)
                or QUOTE.match(current_stripped)
                or (
                    paragraph
                    and (BULLET.match(current_stripped) or NUMBERED.match(current_stripped))
                )
            ):
                break
            paragraph.append(current)
            index += 1
        html.append(f"<p>{_lines_with_breaks(paragraph)}</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - built from escaped text and our own tags
