from django import template

from jingsai.results.explain import level_name

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, None when absent."""
    return (mapping or {}).get(key)


@register.filter
def level(code):
    return level_name(code)
