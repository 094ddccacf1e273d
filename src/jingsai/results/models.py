import json
import zlib

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


# --------------------------------------------------------------------------
# Computed results
# --------------------------------------------------------------------------


class ResultStatus(models.TextChoices):
    RANKED = "ranked", _("Ranked")
    ABSENT = "absent", _("Absent")
    DISQUALIFIED = "disqualified", _("Disqualified")


# A flag of the project's own beside the rules' ones: absent only because a component
# score was never recorded (no 缺考 mark), so the data is incomplete rather than the
# contestant missing. Publicity is refused while any result carries it.
FLAG_MISSING_SCORES = "missing_scores"


class Computation(models.Model):
    """One computation of the results of one scope of one stage: a new version every time,
    never overwriting an earlier one, so that what changed can always be shown.

    `digest` fingerprints the inputs (rules, entries, scores, absences) apart from the
    promotions other competitions granted this year (`earlier_promoted`), so finalizing can
    tell whether the scores changed after publicity."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="computations",
        verbose_name=_("competition"),
    )
    stage = models.ForeignKey(
        "competitions.Stage", on_delete=models.CASCADE, related_name="computations", verbose_name=_("stage")
    )
    scope = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("scope"),
    )
    # scope_id or 0, so that "no scope" takes part in the unique constraint on every database.
    scope_key = models.BigIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("computed"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("computed by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    spec = models.JSONField(_("rules"), default=dict)
    digest = models.CharField(max_length=64)
    earlier_promoted = models.JSONField(default=list)
    places = models.PositiveSmallIntegerField(default=2)
    n_entries = models.PositiveIntegerField(_("entries"), default=0)
    n_ranked = models.PositiveIntegerField(_("ranked"), default=0)
    n_absent = models.PositiveIntegerField(_("absent"), default=0)
    n_disqualified = models.PositiveIntegerField(_("disqualified"), default=0)
    n_missing = models.PositiveIntegerField(_("missing scores"), default=0)
    n_changed = models.PositiveIntegerField(_("changed"), null=True, blank=True)

    permission_lookups = {"org_path": "competition__host__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id"}

    class Meta:
        verbose_name = _("computation")
        verbose_name_plural = _("computations")
        ordering = ["stage", "scope_key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "scope_key", "version"], name="one_computation_version"),
        ]

    def __str__(self):
        return f"{self.stage} v{self.version}"

    @property
    def complete(self):
        return self.n_missing == 0

    def permission_scope(self):
        return self.competition.permission_scope()


class ResultManager(models.Manager):
    def get_queryset(self):
        # Tables and exports never read the explanation; the page explaining one result
        # loads it when it asks.
        return super().get_queryset().defer("explanation")


class Result(models.Model):
    """One row of a computation: an entry's (or a team's) result, as the engine gave it,
    with the engine's explanation codes. Never changed once written."""

    computation = models.ForeignKey(Computation, on_delete=models.CASCADE, related_name="results")
    entry = models.ForeignKey(
        "registration.Entry", null=True, blank=True, on_delete=models.CASCADE, related_name="results",
        verbose_name=_("entry"),
    )
    team = models.ForeignKey(
        "registration.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="results",
        verbose_name=_("team"),
    )
    unit = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unit"))
    number = models.PositiveIntegerField(_("entry number"))
    position = models.PositiveIntegerField()
    status = models.CharField(_("status"), max_length=16, choices=ResultStatus.choices)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=6, null=True, blank=True)
    passed_all = models.BooleanField(_("passed every component"), null=True, blank=True)
    award = models.CharField(_("award"), max_length=100, blank=True)
    scale_score = models.IntegerField(_("scale score"), null=True, blank=True)
    components = models.JSONField(_("component scores"), default=dict)
    times = models.JSONField(_("times"), default=dict)
    promotion_from = models.SmallIntegerField(_("level before"), null=True, blank=True)
    promotion_to = models.SmallIntegerField(_("level after"), null=True, blank=True)
    titles = models.JSONField(_("titles"), default=list)
    recommendations = models.JSONField(_("recommendations"), default=list)
    advanced = models.BooleanField(_("advances"), default=False)
    flags = models.JSONField(_("flags"), default=list)
    members = models.JSONField(null=True, blank=True)
    # The engine's explanation codes, as zlib-compressed JSON: read one result at a time,
    # never queried, and a tenth of the size (writing them as JSON text cost more than
    # computing them). Read through `explain`.
    explanation = models.BinaryField(null=True, blank=True)
    # A digest of what `queries.signature` compares, so a new version counts what changed
    # since the previous one without reading it whole.
    fingerprint = models.CharField(max_length=16, blank=True)

    objects = ResultManager()

    permission_lookups = {
        "org_path": "unit__path",
        "host_path": "computation__competition__host__path",
        "competition_id": "computation__competition_id",
        "person_id": "entry__person_id",
    }

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["computation", "position"]
        indexes = [models.Index(fields=["computation", "position"])]

    def __str__(self):
        return f"{self.number} {self.get_status_display()}"

    @property
    def explain(self):
        if self.explanation is None:
            return None
        return json.loads(zlib.decompress(self.explanation))

    @property
    def promotion(self):
        if self.promotion_to is None:
            return None
        return {"from": self.promotion_from, "to": self.promotion_to}

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        competition = self.computation.competition
        return Scope(
            org_path=self.unit.path, host_path=competition.host.path, competition_id=competition.pk,
            person_id=self.entry.person_id if self.entry_id else None,
        )


# --------------------------------------------------------------------------
# Publicity, objections, finalization
# --------------------------------------------------------------------------


class Publicity(models.Model):
    """Results of a stage shown to the public (公示) for a period before they become final.

    For the competition's last stage, publicity is the competition's `publicity` status;
    an earlier stage (a qualifier) has its own publicity while the competition goes on."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="publicities",
        verbose_name=_("competition"),
    )
    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="publicities",
                              verbose_name=_("stage"))
    computations = models.ManyToManyField(Computation, related_name="publicities")
    started_at = models.DateTimeField(_("publicity starts"), default=timezone.now)
    ends_at = models.DateTimeField(_("publicity ends"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)

    permission_lookups = {"org_path": "competition__host__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id"}

    class Meta:
        verbose_name = _("publicity")
        verbose_name_plural = _("publicities")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.stage} {self.started_at:%Y-%m-%d}"

    def permission_scope(self):
        return self.competition.permission_scope()

    @property
    def period_over(self):
        return timezone.now() >= self.ends_at


class Objection(models.Model):
    """An objection to published results (异议), from anyone, answered by the organizer.

    The contact details are for the organizer's reply only and never shown in public."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Not upheld")

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="objections",
        verbose_name=_("competition"),
    )
    publicity = models.ForeignKey(Publicity, on_delete=models.CASCADE, related_name="objections")
    entry_number = models.PositiveIntegerField(_("entry number"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=50)
    contact = models.CharField(_("contact"), max_length=100)
    text = models.TextField(_("objection"))
    created_at = models.DateTimeField(_("submitted"), default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {"org_path": "competition__host__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id"}

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.competition} #{self.pk}"

    @property
    def answered(self):
        return self.answered_at is not None

    def permission_scope(self):
        return self.competition.permission_scope()


class Finalization(models.Model):
    """A stage's results made final: benefits granted, qualifiers advanced, no recomputation."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="finalizations",
        verbose_name=_("competition"),
    )
    stage = models.OneToOneField("competitions.Stage", on_delete=models.CASCADE, related_name="finalization",
                                 verbose_name=_("stage"))
    publicity = models.ForeignKey(Publicity, on_delete=models.RESTRICT, related_name="+")
    computations = models.ManyToManyField(Computation, related_name="finalizations")
    finalized_at = models.DateTimeField(_("finalized"), default=timezone.now)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("finalization")
        verbose_name_plural = _("finalizations")

    def __str__(self):
        return f"{self.stage} {self.finalized_at:%Y-%m-%d}"


# --------------------------------------------------------------------------
# What final results grant
# --------------------------------------------------------------------------


class Promotion(models.Model):
    """A skill level granted by a final result (晋升职业技能等级): at most one per person per
    year across the platform (results-rules.md §7), which the database enforces."""

    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="promotions",
                               verbose_name=_("worker"))
    competition = models.ForeignKey("competitions.Competition", on_delete=models.PROTECT,
                                    related_name="promotions", verbose_name=_("competition"))
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="promotions")
    year = models.PositiveSmallIntegerField(_("year"))
    from_level = models.SmallIntegerField(_("level before"), null=True, blank=True)
    to_level = models.SmallIntegerField(_("level after"))
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {"org_path": "person__employer__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id", "person_id": "person_id"}

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["competition", "result__position"]
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="one_promotion_per_person_per_year")]

    def __str__(self):
        return f"{self.person} {self.from_level}→{self.to_level}"


class Honour(models.Model):
    """A title (技术能手) or a recommendation (五一劳动奖章) a final result grants."""

    class Kind(models.TextChoices):
        TITLE = "title", _("Title")
        RECOMMENDATION = "recommendation", _("Recommendation")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="honours",
                               verbose_name=_("worker"))
    competition = models.ForeignKey("competitions.Competition", on_delete=models.PROTECT,
                                    related_name="honours", verbose_name=_("competition"))
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="honours")
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("title or recommendation")
        verbose_name_plural = _("titles and recommendations")
        ordering = ["competition", "kind", "result__position"]
        constraints = [
            models.UniqueConstraint(fields=["result", "person", "kind", "name"], name="one_honour_per_result"),
        ]

    def __str__(self):
        return f"{self.person} {self.name}"


class Certificate(models.Model):
    """A certificate (获奖证书 or 成绩证明) with a code the public can verify by QR."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award certificate")
        SCORE = "score", _("Certificate of results")

    code = models.CharField(_("verification code"), max_length=16, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    competition = models.ForeignKey("competitions.Competition", on_delete=models.PROTECT,
                                    related_name="certificates", verbose_name=_("competition"))
    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="certificates")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="certificates",
                               verbose_name=_("holder"))
    holder_name = models.CharField(_("holder"), max_length=50)
    unit_name = models.CharField(_("unit"), max_length=100)
    award = models.CharField(_("award"), max_length=100, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    total = models.CharField(_("total"), max_length=24, blank=True)
    layout = models.CharField(_("layout"), max_length=16)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.TextField(_("reason for revocation"), blank=True)

    permission_lookups = {"org_path": "result__unit__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id", "person_id": "person_id"}

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["competition", "kind", "result__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["result", "person", "kind"], name="one_certificate_per_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code}"

    @property
    def revoked(self):
        return self.revoked_at is not None

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(
            org_path=self.result.unit.path, host_path=self.competition.host.path,
            competition_id=self.competition_id, person_id=self.person_id,
        )
