"""Each app's URLs by audience, found by convention:

  <app>/urls.py          pages for people at work, under /work/<app>/  (namespace <app>;
                         core's at /work/, accounts' at /accounts/)
  <app>/public_urls.py   pages for anyone, at the site root            (namespace <app>_public)
  <app>/api.py           a django-ninja `router`, under /api/<app>/     (see jingsai.api)

The public app's own urls.py is the site root.
"""

from importlib.util import find_spec

from django.urls import include, path

from jingsai import api
from jingsai.core.admin_site import admin_site

APPS = ["core", "orgs", "people", "competitions", "registration", "judging", "exams", "results"]


def _has(module):
    return find_spec(module) is not None


urlpatterns = [
    path("api/", api.urls()),  # first: the exam page's answer saves are the busiest requests
    path("", include("jingsai.public.urls")),
    path("accounts/", include("jingsai.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin_site.urls),
]
for label in APPS:
    if _has(f"jingsai.{label}.urls"):
        urlpatterns.append(path(f"work/{label}/" if label != "core" else "work/", include(f"jingsai.{label}.urls")))
    if _has(f"jingsai.{label}.public_urls"):
        urlpatterns.append(path("", include(f"jingsai.{label}.public_urls")))
