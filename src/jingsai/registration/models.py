from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingsai.people.models import Level, WorkerStatus


class EntryStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNIT_APPROVED = "unit_approved", _("Approved by unit")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Entries that take part (or may still): counted for quotas, duplicates and team sizes.
ACTIVE_STATUSES = (EntryStatus.SUBMITTED, EntryStatus.UNIT_APPROVED, EntryStatus.APPROVED)


class EntrySource(models.TextChoices):
    SELF = "self", _("Registered by the worker")
    FORM = "form", _("Registered by the unit or organizer")
    IMPORT = "import", _("Imported from a file")
    ADVANCE = "advance", _("Advanced from the previous stage")


class ImportBatch(models.Model):
    """One registration file imported: who imported which file and what it did.

    The entries it made point here, and the batch has one audit record: one record per
    import says as much as one per row would (who, when, which file, what was created),
    without doubling the writes of a 100,000-row file."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="registration_imports",
        verbose_name=_("competition"),
    )
    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="+", verbose_name=_("stage"))
    filename = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    people_created = models.PositiveIntegerField(_("workers added"), default=0)
    entries_created = models.PositiveIntegerField(_("entries made"), default=0)
    entries_reactivated = models.PositiveIntegerField(_("entries submitted again"), default=0)
    teams_created = models.PositiveIntegerField(_("teams made"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("imported by"),
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("registration import")
        verbose_name_plural = _("registration imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename


class Team(models.Model):
    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="teams"
    )
    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("team"), max_length=100)
    unit = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["stage", "name"], name="unique_team_name")]

    def __str__(self):
        return self.name


class Entry(models.Model):
    """One registration of one person in one stage of a competition.

    `level` and `worker_status` are copied from the person when the entry is made: benefits
    are decided on what held at registration (results-rules.md §7). Advancing to the next
    stage makes a new entry there, linked by `previous`, so each stage keeps its history."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="entries",
        verbose_name=_("competition"),
    )
    stage = models.ForeignKey(
        "competitions.Stage", on_delete=models.CASCADE, related_name="entries", verbose_name=_("stage")
    )
    number = models.PositiveIntegerField(_("entry number"))
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="entries", verbose_name=_("worker")
    )
    unit = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="entries", verbose_name=_("unit")
    )
    scope = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("scope"),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members",
        verbose_name=_("team"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=EntryStatus.choices, default=EntryStatus.SUBMITTED
    )
    level = models.SmallIntegerField(_("skill level"), choices=Level.choices, null=True, blank=True)
    worker_status = models.CharField(
        _("status"), max_length=8, choices=WorkerStatus.choices, default=WorkerStatus.WORKER
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_entries",
        verbose_name=_("advanced from"),
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    source = models.CharField(_("registered through"), max_length=8, choices=EntrySource.choices,
                              default=EntrySource.FORM)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries",
        verbose_name=_("import"),
    )
    unit_reviewed_at = models.DateTimeField(_("reviewed by the unit"), null=True, blank=True)
    unit_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed by the host"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {
        "org_path": "unit__path",
        "host_path": "competition__host__path",
        "competition_id": "competition_id",
        "person_id": "person_id",
    }

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["stage", "number"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "person"], name="one_entry_per_person_per_stage"),
            models.UniqueConstraint(fields=["stage", "number"], name="unique_entry_number"),
        ]
        indexes = [models.Index(fields=["competition", "status"]), models.Index(fields=["stage", "status"])]

    def __str__(self):
        return f"{self.number} {self.person}"

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(
            org_path=self.unit.path,
            host_path=self.competition.host.path,
            competition_id=self.competition_id,
            person_id=self.person_id,
        )
