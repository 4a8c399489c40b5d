"""The markup renderer as it was before it became linear (regular expressions that backtrack):
kept only as a test oracle, so that the linear renderer is checked to write exactly the same
HTML. Quadratic (the heading pattern cubic) in the worst case: feed it short texts only."""

import re

from django.utils.html import escape
from django.utils.text import slugify

from core.markup import safe_url

HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*#*\s*$")
BULLET = re.compile(r"^[-*+]\s+(.*)$")
NUMBERED = re.compile(r"^(\d{1,4})[.)]\s+(.*)$")
QUOTE = re.compile(r"^>\s?(.*)$")
RULE = re.compile(r"^(?:-{3,}|\*{3,}|_{3,})\s*$")

# Inline tokens: code spans and links are found in the raw text, before escaping.
INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|\[(?P<text>[^\]\n]+)\]\((?P<url>[^()\s]+(?:\([^()\s]*\))?)(?:\s+\"(?P<title>[^\"\n]*)\")?\)"
)
STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
EMPHASIS = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
UNDERSCORE = re.compile(r"(?<![\w])_(?=\S)(.+?)(?<=\S)_(?![\w])")
MAX_LENGTH = 100_000


def _emphasis(escaped: str) -> str:
    escaped = STRONG.sub(r"<strong>\1</strong>", escaped)
    escaped = EMPHASIS.sub(r"<em>\1</em>", escaped)
    return UNDERSCORE.sub(r"<em>\1</em>", escaped)


def render_inline(text: str) -> str:
    """Escaped text with code spans, links and emphasis."""
    parts, position = [], 0
    for match in INLINE.finditer(text):
        parts.append(_emphasis(escape(text[position : match.start()])))
        if match.group("code"):
            parts.append(f"<code>{escape(match.group('code')[1:-1])}</code>")
        else:
            label = _emphasis(escape(match.group("text")))
            url = safe_url(match.group("url"))
            if url is None:
                parts.append(label)
            else:
                title = match.group("title")
                title_attribute = f' title="{escape(title)}"' if title else ""
                parts.append(f'<a href="{escape(url)}"{title_attribute}>{label}</a>')
        position = match.end()
    parts.append(_emphasis(escape(text[position:])))
    return "".join(parts)


def _lines_with_breaks(lines: list[str]) -> str:
    """The lines of one paragraph or list item, each line break kept as <br>."""
    return "<br>\n".join(render_inline(line.strip().removesuffix("\\").rstrip()) for line in lines)


def render(source: str) -> str:
    """The HTML of a text in the Markdown subset."""
    lines = (source or "")[:MAX_LENGTH].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    html: list[str] = []
    used_ids: set[str] = set()
    index = 0

    def heading_id(text: str) -> str:
        base = "abschnitt-" + (slugify(text)[:60] or "teil")
        candidate, number = base, 2
        while candidate in used_ids:
            candidate, number = f"{base}-{number}", number + 1
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
        heading = HEADING.match(stripped)
        if heading:
            level = max(2, len(heading.group(1)))
            text = heading.group(2)
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
                or HEADING.match(current_stripped)
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
    return "\n".join(html)
