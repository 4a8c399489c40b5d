"""Course facts as HTML built in Python where a page shows many: the search's result cards
(twenty a page, which took the template engine about a quarter of the search's time) and the
price line they share with the course page and the course cards. Every value is escaped."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import get_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from core.listing import escape_html
from measures.models import Course, CourseDate

# A slug no course has, to reverse the course page's URL once for a whole page of results.
_SLUG_PLACEHOLDER = "0-course-slug-0"
_CENT, _ONE = Decimal("0.01"), Decimal(1)


class PriceWords:
    """The price line's words and the language's number separators, looked up once: a page
    of cards shares them (each lookup costs about as much as the rest of a card's price)."""

    def __init__(self):
        self.free = gettext("kostenfrei")
        self.on_request = gettext("Preis auf Anfrage")
        self.reduced = gettext("ermäßigt möglich")
        self.separators = {
            ord(","): get_format("THOUSAND_SEPARATOR"),
            ord("."): get_format("DECIMAL_SEPARATOR"),
        }

    def amount(self, price) -> str:
        """Euros with cents, grouped by thousands (what ``floatformat:"2g"`` writes:
        "1.234,50"; every language served groups by three)."""
        return f"{Decimal(price).quantize(_CENT, ROUND_HALF_UP):,.2f}".translate(self.separators)

    def text(self, price_kind: str, price) -> str:
        """The price as learners read it: free, on request, or the amount (with a note when
        it can be reduced)."""
        if price_kind == Course.PriceKind.FREE:
            return self.free
        if price_kind == Course.PriceKind.ON_REQUEST or price is None:
            return self.on_request
        if price_kind == Course.PriceKind.REDUCED:
            return f"{self.amount(price)} € ({self.reduced})"
        return f"{self.amount(price)} €"


def price_text(price_kind: str, price) -> str:
    """The price line of one course (``PriceWords.text``)."""
    return PriceWords().text(price_kind, price)


def course_url_maker():
    """A function from a course's slug to its page's URL: ``reverse`` once, not per course."""
    template = reverse("measures:course_detail", kwargs={"slug": _SLUG_PLACEHOLDER})
    before, after = template.split(_SLUG_PLACEHOLDER)
    return lambda slug: f"{before}{slug}{after}"


class _Shared:
    """What every card of a page says alike, translated once a page."""

    def __init__(self, course_url):
        self.course_url = course_url or course_url_maker()
        self.rolling = escape_html(gettext("Einstieg jederzeit"))
        self.starting = gettext("ab %(start)s")
        self.distance = gettext("%(km)s km entfernt")
        self.without = escape_html(gettext("Ohne:"))
        self.modes = {value: escape_html(label) for value, label in CourseDate.Mode.choices}
        self.weekdays = [str(WEEKDAYS_ABBR[day]) for day in range(7)]
        self.prices = PriceWords()

    def start(self, day) -> str:
        """The date as ``date:"D, d.m.Y"`` writes it ("Sa, 02.01.2027")."""
        return f"{self.weekdays[day.weekday()]}, {day:%d.%m.%Y}"


def result_cards(results, *, course_url=None) -> SafeString:
    """The search results (``measures.course_search.SearchResult``) as the cards of the
    result list: title (highlighted) with the link, provider, the next date, distance, price,
    the number of dates, the words a course does not have, and the highlighted summary."""
    shared = _Shared(course_url)
    return mark_safe("".join(_card(result, shared) for result in results))  # noqa: S308 - escaped in _card


def _card(result, shared: _Shared) -> str:
    meta = [escape_html(result.provider_name)]
    if result.current_dates:
        date = result.current_dates[0]
        if date.rolling_start:
            meta.append(shared.rolling)
        else:
            meta.append(escape_html(shared.starting % {"start": shared.start(date.start_date)}))
        place = f", {escape_html(date.city)}" if date.city else ""
        meta.append(f"{shared.modes[date.mode]}{place}")
    if result.distance is not None:
        km = Decimal(repr(result.distance)).quantize(_ONE, ROUND_HALF_UP)  # floatformat:"0"
        meta.append(escape_html(shared.distance % {"km": f"{km:f}"}))
    meta.append(escape_html(shared.prices.text(result.price_kind, result.price)))
    count = len(result.current_dates)
    if count > 1:
        dates = ngettext("%(counter)s Termin", "%(counter)s Termine", count) % {"counter": count}
        meta.append(escape_html(dates))
    items = "".join(f"\n    <li>{item}</li>" for item in meta)
    # title_html and snippet_html: course text, escaped, with <mark> around the search words.
    parts = [
        f'<li class="card">\n  <h3><a href="{escape_html(shared.course_url(result.slug))}">'
        f'{conditional_escape(result.title_html)}</a></h3>\n  <ul class="meta">{items}\n  </ul>\n'
    ]
    if result.missing:
        words = ", ".join(f"„{escape_html(word)}“" for word in result.missing)
        parts.append(f'  <p class="missing">{shared.without} {words}</p>\n')
    if result.snippet_html:
        parts.append(f"  <p>{conditional_escape(result.snippet_html)}</p>\n")
    parts.append("</li>\n")
    return "".join(parts)
