import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. Workers' logins are tied to their Person; staff may have none."""

    name = models.CharField(_("name"), max_length=50, blank=True)
    person = models.OneToOneField(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="user",
        verbose_name=_("worker record"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.username

    def get_full_name(self):
        return self.name or self.username


class Role(models.TextChoices):
    ADMIN = "admin", _("Platform administrator")
    ORGANIZER = "organizer", _("Organizer")
    UNIT_CONTACT = "unit_contact", _("Unit contact")
    JUDGE = "judge", _("Judge")
    CHIEF_JUDGE = "chief_judge", _("Chief judge")
    ARBITRATOR = "arbitrator", _("Arbitrator")
    INVIGILATOR = "invigilator", _("Invigilator")
    GRADER = "grader", _("Grader")


# Which object a role is scoped to: an organization subtree, one competition, or nothing.
ORG_ROLES = {Role.ORGANIZER, Role.UNIT_CONTACT}
COMPETITION_ROLES = {Role.JUDGE, Role.CHIEF_JUDGE, Role.ARBITRATOR, Role.INVIGILATOR, Role.GRADER}


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("organization"),
    )
    competition = models.ForeignKey(
        "competitions.Competition", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", verbose_name=_("competition"),
    )
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organization", "competition"], name="unique_role_assignment",
                nulls_distinct=False,
            ),
        ]

    def __str__(self):
        target = self.organization or self.competition
        return f"{self.get_role_display()} @ {target}" if target else self.get_role_display()

    def clean(self):
        if self.role in ORG_ROLES and not self.organization_id:
            raise ValidationError(_("This role needs an organization."))
        if self.role in COMPETITION_ROLES and not self.competition_id:
            raise ValidationError(_("This role needs a competition."))


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(raw):
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def usable(self):
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class LoginAttempt(models.Model):
    """Every login attempt, kept for throttling password guessing and for the record."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    account = models.CharField(max_length=64, db_index=True)  # digest of the login name
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    success = models.BooleanField(default=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.success else 'failed'}"
