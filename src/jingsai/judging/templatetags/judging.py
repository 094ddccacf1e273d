from django import template

from jingsai.judging.services.marking import shown
from jingsai.judging.services.venue import format_duration

register = template.Library()


@register.filter
def num(value):
    """A mark or maximum as people write it: 10, 7.5 (never 10.000 or 1E+1)."""
    return "" if value is None or value == "" else shown(value)


@register.filter
def duration(seconds):
    return format_duration(seconds)
