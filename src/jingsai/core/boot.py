"""Work every server process would otherwise do on its first request, done at start-up.

Importing the URL configuration (and with it every API router and its schemas) and
loading the translation catalogues cost a new process about 0.7 s of CPU, on whichever
request came first. Under gunicorn with preload_app the master does it once, before it
forks the workers, and each worker starts ready. In bench/exam_load.py, 16 workers each
paying it on their first request were about half the server's CPU for the first 300
candidates' starts. Without preloading, each worker does it as it boots, before it takes
connections, instead of inside a candidate's request."""

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation


def warm_up():
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports the URL configuration
    resolver.reverse_dict  # noqa: B018 - builds what reverse() looks names up in
    for code, _name in settings.LANGUAGES:
        with translation.override(code):  # activating a language loads its catalogues
            pass
