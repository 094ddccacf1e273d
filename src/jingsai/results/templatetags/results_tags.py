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


@register.filter
def duration(seconds):
    """3120 -> 52:00, 4000 -> 1:06:40: times used, as a stopwatch shows them."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.inclusion_tag("results/public/_competition_link.html")
def results_link(competition):
    """A link from the public competition page to its publicity or final results, once any
    stage's results are published."""
    from jingsai.results.models import Publicity

    published = Publicity.objects.filter(competition=competition, withdrawn_at__isnull=True).exists()
    return {"competition": competition, "published": published,
            "final": competition.finalizations.exists() if published else False}
