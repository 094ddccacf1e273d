"""Question banks, papers, exam sessions, attempts, grading and practice (岗位练兵).

A Question is the lasting identity of a question in a bank; its content lives in
QuestionVersion rows. Editing a question that an attempt or a practice set has shown
makes a new version, and every attempt keeps pointing at the version it saw.

The answer a candidate gives is one Answer row per (attempt, position), written by a
single conditional UPSERT guarded by the client's sequence number (services.save_answers):
that write is the hot path of an exam and touches nothing else."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jingsai.people.models import Level, validate_occupation_code


class QuestionType(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    JUDGE = "judge", _("True or false")
    FILL = "fill", _("Fill in the blank")
    SHORT = "short", _("Short answer")


OBJECTIVE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.JUDGE, QuestionType.FILL)
CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE)


class Difficulty(models.IntegerChoices):
    EASY = 1, _("Easy")
    FAIRLY_EASY = 2, _("Fairly easy")
    MEDIUM = 3, _("Medium")
    FAIRLY_HARD = 4, _("Fairly hard")
    HARD = 5, _("Hard")


class Bank(models.Model):
    """The question bank of one occupation at one skill level (题库)."""

    occupation = models.CharField(_("occupation code"), max_length=10, validators=[validate_occupation_code])
    level = models.SmallIntegerField(_("skill level"), choices=Level.choices)
    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"),
    )
    practice_open = models.BooleanField(
        _("open for practice"), default=True,
        help_text=_("Workers may practise with this bank's questions (岗位练兵)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {"org_path": "owner__path", "host_path": "owner__path"}

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")
        ordering = ["occupation", "-level"]
        constraints = [models.UniqueConstraint(fields=["occupation", "level"], name="one_bank_per_occupation_level")]

    def __str__(self):
        return self.name

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(org_path=self.owner.path, host_path=self.owner.path)


class KnowledgePoint(models.Model):
    """A topic of the bank (知识点); nested topics are written as a path, 焊接工艺/焊条电弧焊."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="knowledge_points")
    name = models.CharField(_("knowledge point"), max_length=200)

    class Meta:
        verbose_name = _("knowledge point")
        verbose_name_plural = _("knowledge points")
        ordering = ["bank", "name"]
        constraints = [models.UniqueConstraint(fields=["bank", "name"], name="unique_knowledge_point")]

    def __str__(self):
        return self.name


class QuestionImage(models.Model):
    """A picture used by questions, stored once per bank under its SHA-256 (see images.py)."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="images")
    sha256 = models.CharField(max_length=64)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("question image")
        verbose_name_plural = _("question images")
        # A bank's pictures as they were stored. A question's own pictures are listed in the
        # author's order, by QuestionVersionImage.position, never by this.
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["bank", "sha256"], name="unique_image_per_bank")]

    def __str__(self):
        return self.name


class Question(models.Model):
    """A question's lasting identity. Type, knowledge point and difficulty are copied from
    the current version so that drawing a paper reads this table alone."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveIntegerField(_("number"))
    current = models.ForeignKey(
        "QuestionVersion", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("current version")
    )
    type = models.CharField(_("type"), max_length=8, choices=QuestionType.choices)
    knowledge_point = models.ForeignKey(
        KnowledgePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="questions",
        verbose_name=_("knowledge point"),
    )
    difficulty = models.SmallIntegerField(_("difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM)
    is_active = models.BooleanField(_("in use"), default=True)
    times_drawn = models.PositiveIntegerField(_("times drawn"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["bank", "number"]
        constraints = [models.UniqueConstraint(fields=["bank", "number"], name="unique_question_number")]
        indexes = [models.Index(fields=["bank", "is_active", "type"])]

    def __str__(self):
        return f"{self.bank_id}#{self.number}"

    def permission_scope(self):
        return self.bank.permission_scope()


class QuestionVersion(models.Model):
    """The content of a question as it was at one time. Never changed once shown.

    options   [{"key": "A", "text": "...", "feedback": "..."}] for choice types, else []
    answer    single: {"A": "1", "C": "0.5"} (fractions of the points by option);
              multiple: ["A", "C"]; judge: true/false;
              fill: [[{"text": "...", "fraction": "1"}, ...], ...] one list per blank;
              short: the reference answer shown to graders
    images    pictures shown with the question; pictures() lists them in the author's order
    explanation_images  pictures shown after the explanation, in their order (ExplanationImage)"""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    type = models.CharField(_("type"), max_length=8, choices=QuestionType.choices)
    knowledge_point = models.ForeignKey(
        KnowledgePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("knowledge point"),
    )
    difficulty = models.SmallIntegerField(_("difficulty"), choices=Difficulty.choices, default=Difficulty.MEDIUM)
    title = models.CharField(_("title"), max_length=255, blank=True)
    stem = models.TextField(_("question"))
    options = models.JSONField(_("options"), default=list, blank=True)
    answer = models.JSONField(_("answer"), null=True, blank=True)
    explanation = models.TextField(_("explanation"), blank=True)
    images = models.ManyToManyField(QuestionImage, blank=True, related_name="versions", through="QuestionVersionImage")
    explanation_images = models.ManyToManyField(QuestionImage, blank=True, through="ExplanationImage",
                                                related_name="explained_versions")
    fingerprint = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        ordering = ["question", "number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="unique_question_version")]

    def __str__(self):
        return f"{self.question} v{self.number}"

    def pictures(self):
        """The version's pictures in the author's order (images.all() has no order of its own):
        from the links prefetched with picture_links(), or in one query."""
        links = self.image_links.all()
        if "image_links" not in getattr(self, "_prefetched_objects_cache", {}):
            links = links.select_related("image")
        return [link.image for link in links]

    def explanation_pictures(self):
        """The explanation's pictures in their order: from links prefetched with
        picture_links(kind="explanation"), or in one query."""
        links = self.explanation_image_links.all()
        if "explanation_image_links" not in getattr(self, "_prefetched_objects_cache", {}):
            links = links.select_related("image")
        return [link.image for link in links]


class QuestionVersionImage(models.Model):
    """A picture of a question version, at its place among the version's pictures (0 first)."""

    version = models.ForeignKey(QuestionVersion, on_delete=models.CASCADE, related_name="image_links")
    image = models.ForeignKey(QuestionImage, on_delete=models.CASCADE, related_name="version_links")
    position = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("picture of a question version")
        verbose_name_plural = _("pictures of question versions")
        ordering = ["version_id", "position"]  # the column: "version" would join in the version's own ordering
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="unique_picture_position"),
            models.UniqueConstraint(fields=["version", "image"], name="unique_picture_per_version"),
        ]

    def __str__(self):
        return f"{self.version} #{self.position + 1}"


def picture_links(prefix="", kind="question"):
    """For prefetch_related(): the pictures of versions (reached by `prefix`, e.g. "current__")
    in their order, for QuestionVersion.pictures(); with kind="explanation", the
    explanation's, for explanation_pictures()."""
    if kind == "explanation":
        return models.Prefetch(f"{prefix}explanation_image_links",
                               queryset=ExplanationImage.objects.select_related("image"))
    return models.Prefetch(f"{prefix}image_links", queryset=QuestionVersionImage.objects.select_related("image"))


class ExplanationImage(models.Model):
    """A picture of a version's explanation (Moodle's general feedback), at its place
    among them. The explanation is what an exam keeps back: its pictures are shown only
    where the explanation is (see images.may_view)."""

    version = models.ForeignKey(QuestionVersion, on_delete=models.CASCADE, related_name="explanation_image_links")
    image = models.ForeignKey(QuestionImage, on_delete=models.CASCADE, related_name="explanation_links")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["version_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="unique_explanation_image_position"),
            models.UniqueConstraint(fields=["version", "image"], name="unique_explanation_image"),
        ]

    def __str__(self):
        return f"{self.version_id}:{self.position}"


class Paper(models.Model):
    """A paper (试卷) for a competition's theory exam: fixed questions, or a blueprint
    drawn anew for every candidate."""

    class Kind(models.TextChoices):
        FIXED = "fixed", _("Fixed questions")
        BLUEPRINT = "blueprint", _("Drawn per candidate")

    class MultipleScoring(models.TextChoices):
        ALL_OR_NOTHING = "all", _("All or nothing")
        PARTIAL = "partial", _("Partial credit (no wrong option chosen)")

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="exam_papers",
        verbose_name=_("competition"),
    )
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="papers", verbose_name=_("question bank"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BLUEPRINT)
    shuffle_questions = models.BooleanField(_("shuffle questions within sections"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    multiple_scoring = models.CharField(
        _("multiple-choice scoring"), max_length=8, choices=MultipleScoring.choices,
        default=MultipleScoring.ALL_OR_NOTHING,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {"org_path": "competition__host__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id"}

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    def permission_scope(self):
        return self.competition.permission_scope()


class PaperSection(models.Model):
    """A part of a paper: `count` questions of one type, each worth `points`. A blueprint
    section may narrow the draw to a knowledge point and a difficulty; a fixed section
    lists its questions (Question primary keys, in order)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sections")
    order = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=100, blank=True)
    type = models.CharField(_("type"), max_length=8, choices=QuestionType.choices)
    knowledge_point = models.ForeignKey(
        KnowledgePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("knowledge point"),
    )
    difficulty = models.SmallIntegerField(_("difficulty"), choices=Difficulty.choices, null=True, blank=True)
    count = models.PositiveSmallIntegerField(_("number of questions"))
    points = models.DecimalField(_("points per question"), max_digits=6, decimal_places=2)
    questions = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("paper section")
        verbose_name_plural = _("paper sections")
        ordering = ["paper", "order"]

    def __str__(self):
        return self.title or self.get_type_display()


class ExamSession(models.Model):
    """One sitting of a competition's theory exam: who (the competition's approved
    entries, of a stage if named), when (a window and a duration), where (optional IP
    ranges, an access code) and how it is graded."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="exam_sessions",
        verbose_name=_("competition"),
    )
    stage = models.ForeignKey(
        "competitions.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("stage"),
    )
    paper = models.ForeignKey(Paper, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("paper"))
    name = models.CharField(_("name"), max_length=100)
    component = models.CharField(_("score component"), max_length=32, default="theory")
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    grace_seconds = models.PositiveSmallIntegerField(_("grace period (seconds)"), default=30)
    ip_ranges = models.TextField(_("allowed IP ranges"), blank=True)
    access_code = models.CharField(_("access code"), max_length=32, blank=True)
    graders_per_answer = models.PositiveSmallIntegerField(_("graders per short answer"), default=2)
    disagreement_percent = models.PositiveSmallIntegerField(
        _("disagreement threshold (percentage of the question's points)"), default=20,
    )
    show_score = models.BooleanField(_("candidates see their score once graded"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    permission_lookups = {"org_path": "competition__host__path", "host_path": "competition__host__path",
                          "competition_id": "competition_id"}

    class Meta:
        verbose_name = _("exam session")
        verbose_name_plural = _("exam sessions")
        ordering = ["-opens_at"]

    def __str__(self):
        return self.name

    def permission_scope(self):
        return self.competition.permission_scope()

    def is_open(self, now=None):
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    class Window(models.TextChoices):
        NOT_OPEN = "not_open", _("Not open yet")
        OPEN = "open", _("Open now")
        CLOSED = "closed", _("Closed")

    def window(self, now=None):
        """Where the sitting's window stands now: not open yet, open or closed (is_open)."""
        now = now or timezone.now()
        if now < self.opens_at:
            return self.Window.NOT_OPEN
        return self.Window.OPEN if now < self.closes_at else self.Window.CLOSED


class Allowance(models.Model):
    """Extra time granted to one candidate before or during the exam (e.g. a disability)."""

    session = models.ForeignKey(ExamSession, on_delete=models.CASCADE, related_name="allowances")
    entry = models.ForeignKey("registration.Entry", on_delete=models.CASCADE, related_name="+")
    extra_minutes = models.PositiveSmallIntegerField(_("extra minutes"))
    reason = models.TextField(_("reason"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("extra time")
        verbose_name_plural = _("extra time")
        constraints = [models.UniqueConstraint(fields=["session", "entry"], name="one_allowance_per_candidate")]

    def __str__(self):
        return f"{self.entry} +{self.extra_minutes}"


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("Answering")
    SUBMITTED = "submitted", _("Awaiting grading")
    GRADED = "graded", _("Graded")
    VOIDED = "voided", _("Voided")


class EndedBy(models.TextChoices):
    CANDIDATE = "candidate", _("Submitted by the candidate")
    TIMEOUT = "timeout", _("Submitted at time-out")
    INVIGILATOR = "invigilator", _("Ended by the invigilator")


class Attempt(models.Model):
    """One candidate's sitting of a session; at most one per candidate and session.

    `deadline` is the true end, computed on the server at the start and moved only by
    extensions; answers are accepted until `accept_until`, the deadline plus the
    session's grace period for answers in flight.
    `device` is the secret of the device that holds the attempt: answers from another
    device are refused until that device takes the attempt over (recorded)."""

    session = models.ForeignKey(ExamSession, on_delete=models.PROTECT, related_name="attempts")
    entry = models.ForeignKey("registration.Entry", on_delete=models.PROTECT, related_name="exam_attempts")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="exam_attempts")
    status = models.CharField(
        _("status"), max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    deadline = models.DateTimeField(_("time is up at"))
    accept_until = models.DateTimeField()  # deadline + the session's grace period
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    ended_by = models.CharField(_("ended"), max_length=16, choices=EndedBy.choices, blank=True)
    device = models.CharField(max_length=32)
    device_switches = models.PositiveSmallIntegerField(_("device changes"), default=0)
    ip = models.GenericIPAddressField(null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    item_count = models.PositiveSmallIntegerField(default=0)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    objective_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, null=True, blank=True)
    blind_code = models.CharField(max_length=12, unique=True)

    permission_lookups = {
        "org_path": "entry__unit__path",
        "host_path": "session__competition__host__path",
        "competition_id": "session__competition_id",
        "person_id": "person_id",
    }

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["session", "entry"]
        # One attempt per candidate and session, besides those voided for a new one
        # (services.void_attempt), which stay for the record.
        constraints = [models.UniqueConstraint(fields=["session", "entry"], condition=~models.Q(status="voided"),
                                               name="one_attempt_per_candidate")]
        indexes = [models.Index(fields=["status", "accept_until"])]

    def __str__(self):
        return f"{self.session} · {self.entry}"

    def score_shown_to_candidate(self):
        """Whether the candidate is told their score: once graded, where the exam shows
        scores (the take page, their list of exams and the API say the same)."""
        return self.status == AttemptStatus.GRADED and self.session.show_score

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        competition = self.session.competition
        return Scope(org_path=self.entry.unit.path, host_path=competition.host.path,
                     competition_id=competition.pk, person_id=self.person_id)


class AttemptItem(models.Model):
    """One question of one attempt as drawn: the version shown, the order its options
    were shown in, its points and, once graded, its score. Stored at the start, so an
    attempt can be replayed and audited."""

    # No index of its own: the unique (attempt, position) index serves every lookup by
    # attempt. A start stores a whole paper of items at once, and each index is work then.
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items", db_index=False)
    position = models.PositiveSmallIntegerField()
    section = models.ForeignKey(PaperSection, null=True, on_delete=models.SET_NULL, related_name="+")
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="attempt_items")
    points = models.DecimalField(max_digits=6, decimal_places=2)
    option_order = models.JSONField(default=list, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    needs_grading = models.BooleanField(default=False)
    gradings_needed = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["attempt_id", "position"]  # the column: "attempt" would bring in the attempt's own ordering
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="unique_attempt_position")]
        # Only the few items awaiting a grader are in it: storing a drawn paper, whose
        # items all start without it, adds nothing to this index.
        indexes = [models.Index(fields=["attempt"], condition=models.Q(needs_grading=True),
                                name="attemptitem_awaiting_grading")]

    def __str__(self):
        return f"{self.attempt_id}:{self.position}"


class Answer(models.Model):
    """The latest answer to one question of one attempt. `seq` is the client's counter
    for that question: a save carrying a lower or equal one changes nothing."""

    # No index of its own: the unique (attempt, position) index serves every lookup, and
    # one index less is less work for each save.
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers", db_index=False)
    position = models.PositiveSmallIntegerField()
    response = models.JSONField(null=True)
    seq = models.PositiveIntegerField()
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "position"], name="one_answer_per_position")]

    def __str__(self):
        return f"{self.attempt_id}:{self.position}#{self.seq}"


class AttemptEvent(models.Model):
    """What happened to an attempt, for the invigilator and the record: starts, resumes,
    device changes, extensions, ends, submission."""

    class Kind(models.TextChoices):
        START = "start", _("Started")
        RESUME = "resume", _("Resumed")
        DEVICE = "device", _("Opened on another device")
        EXTEND = "extend", _("Time extended")
        END = "end", _("Ended by the invigilator")
        SUBMIT = "submit", _("Handed in")
        TIMEOUT = "timeout", _("Submitted at time-out")
        REFUSED = "refused", _("Save refused")
        VOID = "void", _("Voided for a new attempt")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["attempt_id", "at", "pk"]

    def __str__(self):
        return f"{self.attempt_id} {self.kind}"


class Grading(models.Model):
    """One grader's mark for one short answer. Graders never see who wrote it."""

    item = models.ForeignKey(AttemptItem, on_delete=models.CASCADE, related_name="gradings")
    grader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item_id", "created_at"]
        constraints = [models.UniqueConstraint(fields=["item", "grader"], name="one_grading_per_grader")]

    def __str__(self):
        return f"{self.item_id} {self.score}"


class PracticeSet(models.Model):
    """A round of practice (练兵): questions drawn for one worker from a bank."""

    class Mode(models.TextChoices):
        PRACTICE = "practice", _("Practice")
        WRONG_BOOK = "wrong", _("Wrong-answer review")

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="practice_sets")
    # The worker's employer when the round began: the unit it counts for, and whose contacts
    # see it, after the worker moves to another.
    unit = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="practice_sets")
    knowledge_point = models.ForeignKey(KnowledgePoint, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.PRACTICE)
    # The worker's groups (农民工, 青年职工…) when the round began, as `unit` is their employer:
    # practice counts for the groups they were in, after they leave one or join another.
    groups = models.ManyToManyField("people.GroupTag", blank=True, related_name="+", verbose_name=_("groups"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    total = models.PositiveSmallIntegerField(default=0)
    answered = models.PositiveSmallIntegerField(default=0)
    correct = models.PositiveSmallIntegerField(default=0)

    permission_lookups = {"org_path": "unit__path", "person_id": "person_id"}

    class Meta:
        verbose_name = _("practice round")
        verbose_name_plural = _("practice rounds")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.person_id} {self.bank_id} {self.created_at:%Y-%m-%d}"

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(org_path=self.unit.path, person_id=self.person_id)


class PracticeItem(models.Model):
    practice = models.ForeignKey(PracticeSet, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    version = models.ForeignKey(QuestionVersion, on_delete=models.PROTECT, related_name="practice_items")
    option_order = models.JSONField(default=list, blank=True)
    response = models.JSONField(null=True, blank=True)
    correct = models.BooleanField(null=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["practice_id", "position"]
        constraints = [models.UniqueConstraint(fields=["practice", "position"], name="unique_practice_position")]

    def __str__(self):
        return f"{self.practice_id}:{self.position}"


class WrongAnswer(models.Model):
    """A question a worker got wrong in practice (错题本), until answered right in review."""

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="wrong_answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    times_wrong = models.PositiveIntegerField(default=1)
    last_wrong_at = models.DateTimeField(default=timezone.now)
    mastered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("wrong answer")
        verbose_name_plural = _("wrong-answer book")
        ordering = ["-last_wrong_at"]
        constraints = [models.UniqueConstraint(fields=["person", "question"], name="one_wrong_answer_per_question")]

    def __str__(self):
        return f"{self.person_id}:{self.question_id}"
