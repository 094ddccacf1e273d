"""Competition specs and competitions made through the competitions app's services."""

import datetime as dt

from django.utils import timezone

from jingsai.competitions import services
from tests import factories


def when(days, hour=9):
    """An ISO 8601 time `days` from now (China time), as a spec's schedule writes it."""
    moment = timezone.localtime() + dt.timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def schedule(opens=-1, closes=10, starts=20, ends=21):
    return {"registration_opens": when(opens), "registration_closes": when(closes, 17),
            "starts": when(starts, 8), "ends": when(ends, 17)}


def spec(code, host, **overrides):
    """A valid spec (raw form) hosted at `host`: the factories' spec with a schedule and
    the series of the host."""
    overrides.setdefault("series", {"code": f"S-{host.code}", "name": f"{host.name}系列赛", "year": 2026})
    overrides.setdefault("schedule", schedule())
    return factories.spec(code, host, **overrides)


def competition(code, host, *, status="draft", actor=None, **overrides):
    """A competition loaded through services.load_competition and moved through the
    lifecycle, with its steps recorded, up to `status` (registration_open at most:
    later steps need entries)."""
    actor = actor or factories.actor()
    item = services.load_competition(actor, spec(code, host, **overrides), check=False)
    if status == "registration_open":
        item = services.transition(actor, item, "registration_open")
    elif status != "draft":
        raise ValueError("competitions past registration need entries; set their status in the test")
    return item
