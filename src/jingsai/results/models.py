from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ScoreSource(models.TextChoices):
    IMPORT = "import", _("Imported")
    EXAM = "exam", _("Theory exam")
    JUDGING = "judging", _("Judges' marks")
    MANUAL = "manual", _("Entered by hand")


class ComponentScore(models.Model):
    """One component score of one entry (理论知识, 操作技能, ...), as recorded: imported,
    graded from an exam, or computed from judges' marks. Changes are audited with the old
    and the new value; the results engine rounds when it computes."""

    entry = models.ForeignKey(
        "registration.Entry", on_delete=models.CASCADE, related_name="component_scores", verbose_name=_("entry")
    )
    component = models.CharField(_("component"), max_length=32)
    value = models.DecimalField(_("score"), max_digits=14, decimal_places=6, null=True, blank=True)
    time_seconds = models.PositiveIntegerField(_("time used (seconds)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ScoreSource.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("component score")
        verbose_name_plural = _("component scores")
        constraints = [models.UniqueConstraint(fields=["entry", "component"], name="one_score_per_component")]

    def __str__(self):
        return f"{self.entry} {self.component} {self.value}"

    def permission_scope(self):
        return self.entry.permission_scope()


class ScoreStatus(models.Model):
    """An entry that did not sit the competition (缺考) or was disqualified (取消资格)."""

    class Status(models.TextChoices):
        ABSENT = "absent", _("Absent")
        DISQUALIFIED = "disqualified", _("Disqualified")

    entry = models.OneToOneField(
        "registration.Entry", on_delete=models.CASCADE, related_name="score_status", verbose_name=_("entry")
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("absence or disqualification")
        verbose_name_plural = _("absences and disqualifications")

    def __str__(self):
        return f"{self.entry} {self.get_status_display()}"
