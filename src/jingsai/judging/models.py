"""Judging the practical: marking schemes, judges and panels, the venue (check-in and blind
numbering), judges' marks with their full history, sign-off, unblinding and appeals.

Judges only ever meet a contestant as a station number (`Contestant.station_number`, the
second draw); the rows that tie that number to an entry are read by organizers alone until
the stage is unblinded."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _competition_scope(competition):
    return competition.permission_scope()


# --------------------------------------------------------------------------
# Marking schemes
# --------------------------------------------------------------------------


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    FROZEN = "frozen", _("Frozen")


class AspectType(models.TextChoices):
    MEASUREMENT = "M", _("Measurement")
    JUDGEMENT = "J", _("Judgement")
    SCORED = "S", _("Scored")


class MarkingScheme(models.Model):
    """The marking scheme of a competition's judged component (评分标准), seeded from the
    competition spec and edited here. Frozen when marking starts: from then on the aspects
    the marks refer to never change."""

    competition = models.OneToOneField(
        "competitions.Competition", on_delete=models.CASCADE, related_name="marking_scheme",
        verbose_name=_("competition"),
    )
    component = models.CharField(_("component"), max_length=32)
    status = models.CharField(_("status"), max_length=8, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    permission_lookups = {"org_path": "competition__host__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id"}

    class Meta:
        verbose_name = _("marking scheme")
        verbose_name_plural = _("marking schemes")

    def __str__(self):
        return f"{self.competition} · {self.component}"

    @property
    def frozen(self):
        return self.status == SchemeStatus.FROZEN

    def permission_scope(self):
        return _competition_scope(self.competition)


class Criterion(models.Model):
    """A criterion (模块) or, with a parent, a sub-criterion."""

    scheme = models.ForeignKey(MarkingScheme, on_delete=models.CASCADE, related_name="criteria")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children",
        verbose_name=_("criterion"),
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="unique_criterion_code")]

    def __str__(self):
        return f"{self.code} {self.name}"


class Aspect(models.Model):
    """One aspect of a criterion (评分项): measured (M), judged 0–3 (J) or scored (S)."""

    scheme = models.ForeignKey(MarkingScheme, on_delete=models.CASCADE, related_name="aspects")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="aspects",
                                  verbose_name=_("criterion"))
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=1, choices=AspectType.choices)
    max = models.DecimalField(_("maximum"), max_digits=9, decimal_places=3)
    binary = models.BooleanField(_("all or nothing"), default=False)
    description = models.TextField(_("description"), blank=True)
    descriptors = models.JSONField(_("level descriptors"), default=list, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("aspect")
        verbose_name_plural = _("aspects")
        ordering = ["order", "pk"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="unique_aspect_code")]

    def __str__(self):
        return f"{self.code} {self.name}"

    def as_rule(self):
        """The aspect as the results engine reads it."""
        return {"code": self.code, "type": self.type, "max": self.max, "binary": self.binary}


# --------------------------------------------------------------------------
# Judges and panels
# --------------------------------------------------------------------------


class Judge(models.Model):
    """A judge of the pool: a person with a unit (for conflicts of interest), qualifications
    and a login. `owner` is the organization whose organizers keep the record."""

    code = models.CharField(_("judge code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    unit = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unit"))
    owner = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("kept by"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="judge",
        verbose_name=_("login"),
    )
    person = models.OneToOneField(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="judge",
        verbose_name=_("worker record"),
    )
    qualifications = models.CharField(_("qualifications"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    permission_lookups = {"org_path": "owner__path"}

    class Meta:
        verbose_name = _("judge")
        verbose_name_plural = _("judges")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(org_path=self.owner.path)


class JudgeRole(models.TextChoices):
    JUDGE = "judge", _("Judge")
    CHIEF = "chief_judge", _("Chief judge")


class CompetitionJudge(models.Model):
    """A judge assigned to a competition, with the role granted through accounts."""

    competition = models.ForeignKey("competitions.Competition", on_delete=models.CASCADE,
                                    related_name="judge_assignments")
    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=16, choices=JudgeRole.choices, default=JudgeRole.JUDGE)
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("competition judge")
        verbose_name_plural = _("competition judges")
        ordering = ["role", "judge__code"]
        constraints = [models.UniqueConstraint(fields=["competition", "judge"], name="one_assignment_per_judge")]

    def __str__(self):
        return f"{self.judge} · {self.get_role_display()}"

    def permission_scope(self):
        return _competition_scope(self.competition)


class Relationship(models.Model):
    """A relationship a judge declared with a worker (relative, mentor, former colleague…):
    the judge never sees or marks that worker (回避)."""

    judge = models.ForeignKey(Judge, on_delete=models.CASCADE, related_name="relationships")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("worker"))
    relation = models.CharField(_("relationship"), max_length=100)
    declared_at = models.DateTimeField(default=timezone.now)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("declared relationship")
        verbose_name_plural = _("declared relationships")
        constraints = [models.UniqueConstraint(fields=["judge", "person"], name="one_relationship_per_pair")]

    def __str__(self):
        return f"{self.judge} – {self.person}: {self.relation}"


class Panel(models.Model):
    """A group of judges marking a group of aspects, at every station of the stage or at
    the stations from `station_from` to `station_to`."""

    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="judging_panels")
    name = models.CharField(_("name"), max_length=100)
    aspects = models.ManyToManyField(Aspect, related_name="panels", verbose_name=_("aspects"))
    members = models.ManyToManyField(CompetitionJudge, related_name="panels", verbose_name=_("judges"))
    station_from = models.PositiveIntegerField(_("from station"), null=True, blank=True)
    station_to = models.PositiveIntegerField(_("to station"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def covers_station(self, number):
        if self.station_from is None and self.station_to is None:
            return True
        if number is None:
            return False
        low = self.station_from if self.station_from is not None else 0
        high = self.station_to if self.station_to is not None else number
        return low <= number <= high

    def permission_scope(self):
        return self.stage.permission_scope()


# --------------------------------------------------------------------------
# The venue: check-in, draws, contestants
# --------------------------------------------------------------------------


class CheckIn(models.TextChoices):
    PENDING = "pending", _("Not checked in")
    PRESENT = "present", _("Checked in")
    ABSENT = "absent", _("Absent")


class Contestant(models.Model):
    """An entry at the venue of a stage: check-in, the two drawn numbers, practical time
    and the chief judge's sign-off of its marks."""

    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="contestants")
    entry = models.OneToOneField("registration.Entry", on_delete=models.CASCADE, related_name="contestant")
    contestant_number = models.PositiveIntegerField(_("contestant number"), null=True, blank=True)
    station_number = models.PositiveIntegerField(_("station number"), null=True, blank=True)
    checkin = models.CharField(_("check-in"), max_length=8, choices=CheckIn.choices, default=CheckIn.PENDING)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    absence_reason = models.CharField(_("reason for absence"), max_length=200, blank=True)
    time_seconds = models.PositiveIntegerField(_("practical time (seconds)"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {
        "org_path": "entry__unit__path",
        "host_path": "entry__competition__host__path",
        "competition_id": "entry__competition_id",
        "person_id": "entry__person_id",
    }

    class Meta:
        verbose_name = _("contestant")
        verbose_name_plural = _("contestants")
        ordering = ["stage", "station_number", "contestant_number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "contestant_number"], name="unique_contestant_number"),
            models.UniqueConstraint(fields=["stage", "station_number"], name="unique_station_number"),
        ]

    def __str__(self):
        if self.station_number is not None:
            return str(_("Station %(number)s") % {"number": self.station_number})
        return str(_("Contestant %(number)s") % {"number": self.contestant_number or "—"})

    @property
    def signed_off(self):
        return self.signed_off_at is not None

    def permission_scope(self):
        return self.entry.permission_scope()


class DrawKind(models.TextChoices):
    CONTESTANT = "contestant", _("First draw: contestant numbers")
    STATION = "station", _("Second draw: station numbers")


class Draw(models.Model):
    """A recorded draw: who made it, when, and the mapping it produced (entry id → number).
    No seed is kept: the numbers come from the operating system's secure random source."""

    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="draws")
    kind = models.CharField(_("draw"), max_length=16, choices=DrawKind.choices)
    drawn_at = models.DateTimeField(_("drawn"), default=timezone.now)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mapping = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        constraints = [models.UniqueConstraint(fields=["stage", "kind"], name="one_draw_of_each_kind")]

    def __str__(self):
        return f"{self.stage} · {self.get_kind_display()}"


class StageEnd(models.Model):
    """When the practical of a stage ended: the appeal window runs from here."""

    stage = models.OneToOneField("competitions.Stage", on_delete=models.CASCADE, related_name="judging_end")
    ended_at = models.DateTimeField(_("ended"), default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self):
        return f"{self.stage} · {self.ended_at:%Y-%m-%d %H:%M}"


class UnblindStep(models.TextChoices):
    CHIEF = "chief_judge", _("Chief judge confirms every mark is signed off")
    ORGANIZER = "organizer", _("Organizer unblinds")


class Unblinding(models.Model):
    """One layer of unblinding a stage, by the role that holds it."""

    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="unblindings")
    step = models.CharField(_("step"), max_length=16, choices=UnblindStep.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("unblinding step")
        verbose_name_plural = _("unblinding steps")
        constraints = [models.UniqueConstraint(fields=["stage", "step"], name="one_unblinding_step")]

    def __str__(self):
        return f"{self.stage} · {self.get_step_display()}"


# --------------------------------------------------------------------------
# Marks
# --------------------------------------------------------------------------


class MarkSource(models.TextChoices):
    TABLET = "tablet", _("Mark entry page")
    API = "api", _("API")
    PAPER = "paper", _("Paper sheet, keyed twice")
    IMPORT = "import", _("Imported file")


class Mark(models.Model):
    """One judge's mark for one aspect of one contestant's work. An M aspect has one mark
    per contestant (entered by any judge of the panel); J and S one per judge.

    `entered_at` is when the judge gave the current value (the device's clock for marks
    queued offline): a write that arrives later but was given earlier never replaces it."""

    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="marks")
    aspect = models.ForeignKey(Aspect, on_delete=models.PROTECT, related_name="marks")
    judge = models.ForeignKey(Judge, on_delete=models.PROTECT, related_name="marks")
    value = models.DecimalField(_("mark"), max_digits=9, decimal_places=3)
    entered_at = models.DateTimeField(_("entered"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=8, choices=MarkSource.choices)
    locked = models.BooleanField(_("locked"), default=False)
    rescore_requested = models.BooleanField(_("re-scoring requested"), default=False)

    permission_lookups = {key: f"contestant__{value}" for key, value in Contestant.permission_lookups.items()}

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        constraints = [
            models.UniqueConstraint(fields=["contestant", "aspect", "judge"], name="one_mark_per_judge"),
        ]

    def __str__(self):
        return f"{self.contestant} {self.aspect.code} {self.judge.code}: {self.value}"

    def permission_scope(self):
        return self.contestant.permission_scope()


class MarkAction(models.TextChoices):
    ENTERED = "entered", _("Entered")
    CHANGED = "changed", _("Changed")
    STALE = "stale", _("Late write ignored")
    LOCKED = "locked", _("Signed off and locked")
    UNLOCKED = "unlocked", _("Unlocked")
    RESCORE = "rescore", _("Re-scoring requested")
    SET_ASIDE = "voided", _("Set aside: conflict of interest")
    RESTORED = "restored", _("Counted again")


class MarkEvent(models.Model):
    """The history of a mark: every entry, change, lock and unlock, with who, when, old,
    new and why. `key` is the idempotency key the entering device gave the write."""

    mark = models.ForeignKey(Mark, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=8, choices=MarkAction.choices)
    old = models.DecimalField(_("old"), max_digits=9, decimal_places=3, null=True, blank=True)
    new = models.DecimalField(_("new"), max_digits=9, decimal_places=3, null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=MarkSource.choices, blank=True)
    key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # A re-mark asked for by an upheld appeal names it (the judge is told why); one asked
    # for by the chief judge does not.
    appeal = models.ForeignKey("Appeal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("appeal"))

    class Meta:
        verbose_name = _("mark history")
        verbose_name_plural = _("mark history")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} {self.old} → {self.new}"


class PaperStatus(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting the second keying")
    MISMATCH = "mismatch", _("The two keyings differ")
    CONFIRMED = "confirmed", _("Confirmed")


class PaperSheet(models.Model):
    """A judge's paper marking sheet keyed in twice by two different people; the marks are
    recorded only when both keyings agree."""

    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="paper_sheets")
    judge = models.ForeignKey(Judge, on_delete=models.PROTECT, related_name="+")
    first_values = models.JSONField(default=dict)
    first_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    first_at = models.DateTimeField(default=timezone.now)
    second_values = models.JSONField(null=True, blank=True)
    second_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    second_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PaperStatus.choices, default=PaperStatus.AWAITING)

    class Meta:
        verbose_name = _("paper sheet")
        verbose_name_plural = _("paper sheets")
        constraints = [models.UniqueConstraint(fields=["contestant", "judge"], name="one_paper_sheet_per_judge")]

    def __str__(self):
        return f"{self.contestant} · {self.judge.code}"

    def permission_scope(self):
        return self.contestant.permission_scope()


# --------------------------------------------------------------------------
# Appeals
# --------------------------------------------------------------------------


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the arbitration group")
    UPHELD = "upheld", _("Upheld: re-marked")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    """A contestant's written appeal (申诉) and the arbitration group's final ruling."""

    entry = models.ForeignKey("registration.Entry", on_delete=models.CASCADE, related_name="appeals",
                              verbose_name=_("entry"))
    stage = models.ForeignKey("competitions.Stage", on_delete=models.CASCADE, related_name="appeals")
    text = models.TextField(_("appeal"))
    aspects = models.ManyToManyField(Aspect, blank=True, related_name="+", verbose_name=_("aspects concerned"))
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    ruling = models.TextField(_("ruling"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {
        "org_path": "entry__unit__path",
        "host_path": "entry__competition__host__path",
        "competition_id": "entry__competition_id",
        "person_id": "entry__person_id",
    }

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at"]

    def __str__(self):
        return str(_("Appeal %(number)s") % {"number": self.pk})

    def permission_scope(self):
        return self.entry.permission_scope()
