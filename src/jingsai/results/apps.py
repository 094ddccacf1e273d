from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "jingsai.results"
    label = "results"
    verbose_name = _("Results")

    def ready(self):
        from . import lifecycle  # noqa: F401 - registers the lifecycle guards
