from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "jingsai.exams"
    label = "exams"
    verbose_name = _("Theory exams")

    def ready(self):
        from . import lifecycle  # noqa: F401 - registers the lifecycle guards
