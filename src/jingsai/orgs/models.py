import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
REGION_RE = re.compile(r"^[0-9]{6}$")
# Larger than any employer; beyond it a number is a typing error.
MAX_EMPLOYEES = 100_000_000


def validate_code(value):
    if not CODE_RE.match(value or ""):
        raise ValidationError(
            _("A code is 1 to 32 letters, digits, “-” or “_”; “%(value)s” is not."),
            params={"value": value}, code="code",
        )


def validate_region_code(value):
    if value and not REGION_RE.match(value):
        raise ValidationError(
            _("A region code (GB/T 2260) is 6 digits; “%(value)s” is not."),
            params={"value": value}, code="region_code",
        )


class OrgType(models.TextChoices):
    UNION = "union", _("Trade union")
    BUREAU = "bureau", _("Human resources bureau")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    INDUSTRY = "industry", _("Industry")
    STREET = "street", _("Street")
    ENTERPRISE = "enterprise", _("Enterprise")
    COLLEGE = "college", _("College")
    TEAM = "team", _("Team")


# The Chinese names a spreadsheet may use for each type (headless-interface.md).
ORG_TYPE_ALIASES = {
    "工会": OrgType.UNION, "人社": OrgType.BUREAU, "市": OrgType.CITY, "区": OrgType.DISTRICT,
    "产业": OrgType.INDUSTRY, "街道": OrgType.STREET, "企业": OrgType.ENTERPRISE,
    "院校": OrgType.COLLEGE, "班组": OrgType.TEAM,
}

# Types that employ or send contestants.
UNIT_TYPES = (OrgType.ENTERPRISE, OrgType.COLLEGE, OrgType.TEAM)


class Ownership(models.TextChoices):
    STATE = "state", _("State-owned")
    COLLECTIVE = "collective", _("Collective")
    PRIVATE = "private", _("Non-public")
    FOREIGN = "foreign", _("Foreign-invested")
    OTHER = "other", _("Other")


OWNERSHIP_ALIASES = {
    "国有": Ownership.STATE, "集体": Ownership.COLLECTIVE, "非公": Ownership.PRIVATE,
    "外资": Ownership.FOREIGN, "其他": Ownership.OTHER,
}


def subtree_q(field, orgs):
    """Q matching rows whose organization `field` ("" for Organization itself) lies in the
    subtree of any of `orgs` (Organization objects or paths): one condition per root."""
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    q = Q(pk__in=[])
    for org in orgs:
        q |= Q(**{lookup: org if isinstance(org, str) else org.path})
    return q


class OrganizationQuerySet(models.QuerySet):
    def subtree(self, org, include_self=True):
        qs = self.filter(path__startswith=org.path)
        return qs if include_self else qs.exclude(pk=org.pk)

    def of_type(self, *types):
        return self.filter(type__in=types)


class Organization(models.Model):
    """A node of the organization tree.

    `path` is the materialized path of primary keys in base 36 ("/1/2s/9k/"): the subtree
    of a node is `path LIKE '<its path>%'`, one indexed query at any depth, and the
    ancestors are named by the path itself."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[validate_code])
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=16, choices=OrgType.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        verbose_name=_("parent organization"),
    )
    path = models.CharField(max_length=400, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    region_code = models.CharField(
        _("region code"), max_length=6, blank=True, validators=[validate_region_code]
    )
    ownership = models.CharField(_("ownership"), max_length=16, choices=Ownership.choices, blank=True)
    employee_count = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationQuerySet.as_manager()
    permission_lookups = {"org_path": "path"}

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["path"]

    def __str__(self):
        return self.name

    @property
    def ancestor_ids(self):
        """Primary keys from the root down to the parent."""
        return [int(part, 36) for part in self.path.strip("/").split("/")[:-1]]

    def ancestors(self):
        ids = self.ancestor_ids
        return sorted(Organization.objects.filter(pk__in=ids), key=lambda o: o.depth)

    def is_within(self, other):
        return self.path.startswith(other.path)

    def nearest_of_type(self, org_type):
        """This organization or its nearest ancestor of the given type, or None."""
        if self.type == org_type:
            return self
        found = Organization.objects.filter(pk__in=self.ancestor_ids, type=org_type).order_by("-depth")
        return found.first()

    def permission_scope(self):
        from jingsai.accounts.scopes import Scope

        return Scope(org_path=self.path)


def encode_pk(pk):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        pk, rem = divmod(pk, 36)
        out = digits[rem] + out
        if pk == 0:
            return out
