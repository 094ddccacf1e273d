"""What each app contributes to shared pages, found by convention so that adding an app
never means editing a central list:

  <app>/nav.py        items(user, request) -> [NavItem]     the main menu
  <app>/dashboard.py  cards(user, request) -> [Card]        the "what to do next" dashboard
"""

from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    order: int = 50
    active_prefix: str = ""


@dataclass
class Card:
    title: str
    body: str = ""
    url: str = ""
    action: str = ""
    count: int | None = None
    priority: int = 50  # lower shows first
    tone: str = "primary"  # bootstrap contextual colour
    items: list = field(default_factory=list)


def _contributions(module_name, function, *args):
    out = []
    for config in apps.get_app_configs():
        if not config.name.startswith("jingsai."):
            continue
        try:
            module = import_module(f"{config.name}.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.{module_name}":
                raise
            continue
        out.extend(getattr(module, function)(*args))
    return out


def nav_items(user, request):
    return sorted(_contributions("nav", "items", user, request), key=lambda i: i.order)


def dashboard_cards(user, request):
    return sorted(_contributions("dashboard", "cards", user, request), key=lambda c: c.priority)
