"""Course facts in templates."""

from django import template

from measures.cards import price_text

register = template.Library()


@register.filter
def price(course) -> str:
    """The course's price as learners read it (``measures.cards.price_text``)."""
    return price_text(course.price_kind, course.price)
