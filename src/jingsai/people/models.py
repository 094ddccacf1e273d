import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jingsai.core import crypto
from jingsai.core.masking import mask_id_number, mask_phone

OCCUPATION_RE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$", re.ASCII)
PHONE_RE = re.compile(r"^1[3-9]\d{9}$", re.ASCII)


def validate_occupation_code(value):
    if value and not OCCUPATION_RE.match(value):
        raise ValidationError(
            _("An occupation code has the form D-DD-DD-DD (e.g. 6-18-02-04); “%(value)s” does not."),
            params={"value": value}, code="occupation",
        )


class Level(models.IntegerChoices):
    """职业技能等级 (results-rules.md §1); a smaller code is a higher level. 特级技师 and
    首席技师 are held and shown but never granted by a competition result."""

    LEVEL_5 = 5, _("Level 5 / Junior worker")
    LEVEL_4 = 4, _("Level 4 / Intermediate worker")
    LEVEL_3 = 3, _("Level 3 / Senior worker")
    LEVEL_2 = 2, _("Level 2 / Technician")
    LEVEL_1 = 1, _("Level 1 / Senior technician")
    SPECIAL = 0, _("Special-grade technician")
    CHIEF = -1, _("Chief technician")


# Names a spreadsheet may use for a level (results-rules.md §1), and 无 for none held.
LEVEL_ALIASES = {
    "五级": 5, "初级工": 5, "五级/初级工": 5, "初级": 5,
    "四级": 4, "中级工": 4, "四级/中级工": 4, "中级": 4,
    "三级": 3, "高级工": 3, "三级/高级工": 3, "高级": 3,
    "二级": 2, "技师": 2, "二级/技师": 2,
    "一级": 1, "高级技师": 1, "一级/高级技师": 1,
    "特级技师": 0, "首席技师": -1,
}


class WorkerStatus(models.TextChoices):
    WORKER = "worker", _("Worker")
    STUDENT = "student", _("Student")


class Occupation(models.Model):
    """An occupation of the national classification (职业分类大典)."""

    code = models.CharField(_("code"), max_length=10, unique=True, validators=[validate_occupation_code])
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name}（{self.code}）"


class GroupTag(models.Model):
    """A target group organizers must reach (农民工, 灵活就业, 新就业形态, 青年职工…)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["id"]

    def __str__(self):
        return self.name


class Person(models.Model):
    """A worker or student: one record per identity number across the platform.

    The identity number and phone are stored encrypted, with keyed digests for lookups
    and masked copies for display (see core.crypto); `birth_date` and `sex` are derived
    from the identity number when it is set."""

    name = models.CharField(_("name"), max_length=50)
    id_number_encrypted = models.TextField(editable=False)
    id_number_digest = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("identity number"), max_length=18, editable=False)
    birth_date = models.DateField(_("date of birth"), editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("Male")), ("F", _("Female"))], editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_digest = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=11, blank=True, editable=False)
    employer = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="people", verbose_name=_("employer")
    )
    occupation = models.CharField(
        _("occupation code"), max_length=10, blank=True, validators=[validate_occupation_code]
    )
    level = models.SmallIntegerField(_("skill level"), choices=Level.choices, null=True, blank=True)
    worker_status = models.CharField(
        _("status"), max_length=8, choices=WorkerStatus.choices, default=WorkerStatus.WORKER
    )
    groups = models.ManyToManyField(GroupTag, blank=True, related_name="people", verbose_name=_("groups"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    permission_lookups = {"org_path": "employer__path", "person_id": "pk"}

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def id_number(self):
        """The full number; only code serving a role allowed to see it may read this."""
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def phone(self):
        return crypto.decrypt(self.phone_encrypted)

    def set_id_number(self, parsed):
        """Store a validated core.idnumber.IdNumber."""
        self.id_number_encrypted = crypto.encrypt(parsed.value)
        self.id_number_digest = id_digest(parsed.value)
        self.id_number_masked = mask_id_number(parsed.value)
        self.birth_date = parsed.birth_date
        self.sex = parsed.sex

    def set_phone(self, phone):
        self.phone_encrypted = crypto.encrypt(phone) if phone else ""
        self.phone_digest = phone_digest(phone)
        self.phone_masked = mask_phone(phone)

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(org_path=self.employer.path, person_id=self.pk)


def id_digest(value):
    return crypto.digest(value, "id_number")


def phone_digest(value):
    return crypto.digest(value, "phone") if value else None
