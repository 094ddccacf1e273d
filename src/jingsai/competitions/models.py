from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jingsai.orgs.models import OrgType, validate_code
from jingsai.people.models import validate_occupation_code


class CompetitionLevel(models.TextChoices):
    """Where in the organization tree a competition is held (层层办赛)."""

    CITY = "city", _("City competition")
    DISTRICT = "district", _("District competition")
    INDUSTRY = "industry", _("Industry competition")
    STREET = "street", _("Street competition")
    ENTERPRISE = "enterprise", _("Enterprise competition")
    TEAM = "team", _("Work-team competition")


class CompetitionClass(models.TextChoices):
    CLASS1 = "class1", _("Class 1")
    CLASS2 = "class2", _("Class 2")
    OTHER = "other", _("Other")


class Mode(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    TEAM = "team", _("Team event")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REGISTRATION_OPEN = "registration_open", _("Registration open")
    REGISTRATION_CLOSED = "registration_closed", _("Registration closed")
    IN_PROGRESS = "in_progress", _("In progress")
    SCORING = "scoring", _("Scoring")
    PUBLICITY = "publicity", _("Publicity")
    FINAL = "final", _("Final")
    ARCHIVED = "archived", _("Archived")


class Series(models.Model):
    """A year's set of competitions under one host (年度系列赛)."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    host = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="series", verbose_name=_("host")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    permission_lookups = {"org_path": "host__path", "host_path": "host__path"}

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["-year", "code"]

    def __str__(self):
        return self.name

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(org_path=self.host.path, host_path=self.host.path)


class Competition(models.Model):
    """One competition: an occupation at a level, with its whole rule set in `spec`.

    `spec` holds the normalized competition spec (competitions.spec) as JSON; the columns
    beside it copy the parts that pages filter and sort by, and are written together with
    it by the service that loads a spec."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.PROTECT, related_name="competitions",
        verbose_name=_("series"),
    )
    host = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="hosted_competitions",
        verbose_name=_("host"),
    )
    organizer = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("organizer"),
    )
    occupation = models.CharField(
        _("occupation code"), max_length=10, validators=[validate_occupation_code]
    )
    level = models.CharField(_("level"), max_length=16, choices=CompetitionLevel.choices)
    klass = models.CharField(_("class"), max_length=8, choices=CompetitionClass.choices)
    standard_level = models.SmallIntegerField(_("standard level"), null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.INDIVIDUAL)
    team_size = models.PositiveSmallIntegerField(_("team size"), default=1)
    spec = models.JSONField(_("rules"), default=dict)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.DRAFT)
    registration_opens = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes = models.DateTimeField(_("registration closes"), null=True, blank=True)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {"org_path": "host__path", "host_path": "host__path", "competition_id": "pk"}

    class Meta:
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        ordering = ["-created_at", "code"]

    def __str__(self):
        return self.name

    @property
    def year(self):
        return self.series.year if self.series_id else (self.starts_at.year if self.starts_at else None)

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(org_path=self.host.path, host_path=self.host.path, competition_id=self.pk)

    def status_since(self, status=None):
        """When the competition last entered `status` (default: its present status), or
        None when that step was never recorded."""
        change = self.status_changes.filter(to_status=status or self.status).order_by("-at", "-pk").first()
        return change.at if change else None


class StatusChange(models.Model):
    """One step of a competition's lifecycle: the timeline on its page, and the dates
    later rules count from (the publicity period runs from the step into publicity)."""

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("competition")
    )
    from_status = models.CharField(_("from status"), max_length=24, choices=Status.choices)
    to_status = models.CharField(_("to status"), max_length=24, choices=Status.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("changed by"),
    )
    actor_label = models.CharField(_("changed by"), max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["competition", "at", "pk"]
        indexes = [models.Index(fields=["competition", "to_status", "at"])]

    def __str__(self):
        return f"{self.competition}: {self.from_status} → {self.to_status}"


class Stage(models.Model):
    """A round (初赛, 选拔赛, 决赛); `scope_type` splits it by organization type (赛区)."""

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="stages", verbose_name=_("competition")
    )
    key = models.SlugField(_("key"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    scope_type = models.CharField(_("split by"), max_length=16, choices=OrgType.choices, blank=True)
    advance = models.JSONField(_("advancement"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["competition", "order"]
        constraints = [models.UniqueConstraint(fields=["competition", "key"], name="unique_stage_key")]

    def __str__(self):
        return f"{self.competition} · {self.name}"

    def next_stage(self):
        return self.competition.stages.filter(order__gt=self.order).order_by("order").first()

    def permission_scope(self):
        return self.competition.permission_scope()
