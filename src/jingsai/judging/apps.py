from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JudgingConfig(AppConfig):
    name = "jingsai.judging"
    label = "judging"
    verbose_name = _("Judging")

    def ready(self):
        from . import lifecycle  # noqa: F401 - registers the lifecycle guards
