"""Every change to accounts, roles and tokens, each with its audit record."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.core import audit
from jingsai.core.errors import UserError

from . import permissions
from .models import COMPETITION_ROLES, ORG_ROLES, ApiToken, Role, RoleAssignment, User

SYSTEM_USERNAME = "system"


def system_user():
    """The actor recorded for work done from the command line or by the system itself."""
    user, _created = User.objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"name": "系统", "is_active": False}
    )
    return user


@transaction.atomic
def create_user(actor, *, username, password=None, name="", person=None, email="", reason=""):
    if User.objects.filter(username__iexact=username).exists():
        raise UserError(_("The username “%(username)s” is already taken.") % {"username": username})
    user = User(username=username, name=name, person=person, email=email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(actor, "accounts.create_user", user, reason=reason, data={"person": person})
    return user


@transaction.atomic
def sign_up(*, name, id_number, employer, phone, password):
    """A worker creates their own login. The record their unit made (same identity number)
    is linked when the name matches, and the phone too where the record holds one: name and
    identity number are known to too many people to prove who is signing up. Otherwise a
    new record is made. Returns the new user."""
    from jingsai.people import services as people_services

    person, created = people_services.find_or_create_person(
        None, name=name, id_number=id_number, employer=employer, phone=phone,
    )
    if not created:
        if User.objects.filter(person=person).exists():
            raise UserError(_("This worker already has a login. Log in with the identity number or phone."))
        if person.phone_masked and person.phone != phone:
            raise UserError(
                _(
                    "Your unit registered you with another mobile number (%(masked)s). Enter that "
                    "number, or ask your unit contact to correct it."
                ) % {"masked": person.phone_masked},
                code="phone_mismatch",
            )
    return create_user(
        None, username=f"w{person.pk}", password=password, name=person.name, person=person,
        reason=_("self-registration"),
    )


@transaction.atomic
def set_password(actor, user, password, reason=""):
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor, "accounts.set_password", user, reason=reason)


def _check_grant_allowed(actor, role, organization, competition):
    if role == Role.ADMIN:
        if not permissions.is_admin(actor):
            raise UserError(_("Only a platform administrator can grant the administrator role."))
        return
    if role in ORG_ROLES:
        if organization is None:
            raise UserError(_("This role needs an organization."))
        if not permissions.has_perm(actor, "accounts.manage_roles", organization):
            raise UserError(_("You can only grant roles within your own organizations."))
        return
    if role in COMPETITION_ROLES:
        if competition is None:
            raise UserError(_("This role needs a competition."))
        if not permissions.has_perm(actor, "competitions.manage", competition):
            raise UserError(_("You can only grant roles for competitions you manage."))
        return
    raise UserError(_("Unknown role."))


@transaction.atomic
def grant_role(actor, user, role, *, organization=None, competition=None, reason="", check=True):
    """Give `user` a role. `check=False` is for trusted callers (command line, demo data)."""
    if check:
        _check_grant_allowed(actor, role, organization, competition)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, organization=organization, competition=competition,
        defaults={"granted_by": actor},
    )
    if created:
        audit.record(
            actor, "accounts.grant_role", user, reason=reason,
            data={"role": role, "organization": organization, "competition": competition},
        )
    permissions.forget_roles(user)
    return assignment


@transaction.atomic
def revoke_role(actor, assignment, reason=""):
    if assignment.role == Role.ADMIN and not permissions.is_admin(actor):
        raise UserError(_("Only a platform administrator can revoke the administrator role."))
    if (
        assignment.organization_id
        and not permissions.has_perm(actor, "accounts.manage_roles", assignment.organization)
    ):
        raise UserError(_("You can only revoke roles within your own organizations."))
    if assignment.competition_id and not permissions.has_perm(actor, "competitions.manage", assignment.competition):
        raise UserError(_("You can only revoke roles for competitions you manage."))
    audit.record(
        actor, "accounts.revoke_role", assignment.user, reason=reason,
        data={"role": assignment.role, "organization": assignment.organization_id,
              "competition": assignment.competition_id},
    )
    assignment.delete()
    permissions.forget_roles(assignment.user)


@transaction.atomic
def create_token(actor, user, name, expires_at=None):
    """Returns (token object, raw token). The raw token is shown once and never stored."""
    raw = "js_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name or _("API token"), prefix=raw[:8], digest=ApiToken.hash(raw),
        expires_at=expires_at,
    )
    audit.record(actor, "accounts.create_token", user, data={"token": token.prefix, "name": token.name})
    return token, raw


@transaction.atomic
def revoke_token(actor, token):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, "accounts.revoke_token", token.user, data={"token": token.prefix})


def user_for_token(raw):
    if not raw:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(raw)).first()
    if token is None or not token.usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
