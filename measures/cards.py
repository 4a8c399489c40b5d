"""Course facts as HTML built in Python where a page shows many: the search's result cards
(twenty a page, which took the template engine about a quarter of the search's time) and the
price line they share with the course page and the course cards. Every value is escaped."""

from __future__ import annotations

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from measures.models import Course

# A slug no course has, to reverse the course page's URL once for a whole page of results.
_SLUG_PLACEHOLDER = "0-course-slug-0"


def price_text(price_kind: str, price) -> str:
    """The price as learners read it: free, on request, or the amount (with a note when it
    can be reduced)."""
    if price_kind == Course.PriceKind.FREE:
        return gettext("kostenfrei")
    if price_kind == Course.PriceKind.ON_REQUEST or price is None:
        return gettext("Preis auf Anfrage")
    text = f"{floatformat(price, '2g')} €"
    if price_kind == Course.PriceKind.REDUCED:
        text += f" ({gettext('ermäßigt möglich')})"
    return text


def course_url_maker():
    """A function from a course's slug to its page's URL: ``reverse`` once, not per course."""
    template = reverse("measures:course_detail", kwargs={"slug": _SLUG_PLACEHOLDER})
    before, after = template.split(_SLUG_PLACEHOLDER)
    return lambda slug: f"{before}{slug}{after}"


def result_cards(results, *, course_url=None) -> SafeString:
    """The search results (``measures.course_search.SearchResult``) as the cards of the
    result list: title (highlighted) with the link, provider, the next date, distance, price,
    the number of dates, the words a course does not have, and the highlighted summary."""
    course_url = course_url or course_url_maker()
    return mark_safe("".join(_card(result, course_url) for result in results))  # noqa: S308 - escaped in _card


def _card(result, course_url) -> str:
    meta = [escape(result.provider_name)]
    if result.current_dates:
        date = result.current_dates[0]
        if date.rolling_start:
            meta.append(escape(gettext("Einstieg jederzeit")))
        else:
            start = format_date(date.start_date, "D, d.m.Y")
            meta.append(escape(gettext("ab %(start)s") % {"start": start}))
        place = f", {escape(date.city)}" if date.city else ""
        meta.append(f"{escape(date.get_mode_display())}{place}")
    if result.distance is not None:
        km = floatformat(result.distance, "0")
        meta.append(escape(gettext("%(km)s km entfernt") % {"km": km}))
    meta.append(escape(price_text(result.price_kind, result.price)))
    count = len(result.current_dates)
    if count > 1:
        dates = ngettext("%(counter)s Termin", "%(counter)s Termine", count) % {"counter": count}
        meta.append(escape(dates))
    items = "".join(f"\n    <li>{item}</li>" for item in meta)
    # title_html and snippet_html: course text, escaped, with <mark> around the search words.
    parts = [
        f'<li class="card">\n  <h3><a href="{escape(course_url(result.slug))}">'
        f'{conditional_escape(result.title_html)}</a></h3>\n  <ul class="meta">{items}\n  </ul>\n'
    ]
    if result.missing:
        words = ", ".join(f"„{escape(word)}“" for word in result.missing)
        parts.append(f'  <p class="missing">{escape(gettext("Ohne:"))} {words}</p>\n')
    if result.snippet_html:
        parts.append(f"  <p>{conditional_escape(result.snippet_html)}</p>\n")
    parts.append("</li>\n")
    return "".join(parts)
