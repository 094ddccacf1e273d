"""The one module that decides who may do what. Views, the API and commands all ask here.

A permission is a name ("orgs.change") granted by a tuple of grants. Each grant is a role
held in a place relative to the object's Scope (accounts.scopes):

  ADMIN                 platform administrators, everywhere
  org(ROLE)             ROLE held at an organization whose subtree holds the object's org
  host(ROLE)            ROLE held at an organization whose subtree holds the object's host
  under_host(ROLE)      ROLE held at an organization inside the subtree of the object's host
                        (a unit contact sees the competitions its unit may enter)
  competition(ROLE)     ROLE held for the object's competition
  SELF                  the worker the object is about
  AUTHENTICATED, PUBLIC anyone logged in; anyone at all

A grant may carry `check`, a further condition on (user, obj) that the owning app
provides (for example: a judge has no conflict of interest with this contestant).

Asked without an object, has_perm() answers whether the user holds the permission
anywhere (menus, list pages); the list is then narrowed with filter_queryset().
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.module_loading import import_string

from .models import Role
from .scopes import Scope


@dataclass(frozen=True)
class Grant:
    kind: str  # admin | org | host | competition | self | authenticated | public
    role: str | None = None
    check: str | None = None  # dotted path to f(user, obj) -> bool
    label: str = field(default="", compare=False)

    def where(self, check):
        return Grant(self.kind, self.role, check)


ADMIN = Grant("admin")
SELF = Grant("self")
AUTHENTICATED = Grant("authenticated")
PUBLIC = Grant("public")


def org(role):
    return Grant("org", role)


def host(role):
    return Grant("host", role)


def under_host(role):
    return Grant("under_host", role)


def competition(role):
    return Grant("competition", role)


ORGANIZER, UNIT_CONTACT = Role.ORGANIZER, Role.UNIT_CONTACT
JUDGE, CHIEF_JUDGE, ARBITRATOR = Role.JUDGE, Role.CHIEF_JUDGE, Role.ARBITRATOR
INVIGILATOR, GRADER = Role.INVIGILATOR, Role.GRADER
NO_CONFLICT = "jingsai.judging.conflicts.no_conflict"

PUBLISHED = "jingsai.competitions.checks.published"

RULES = {
    # Accounts
    "accounts.dashboard": (AUTHENTICATED,),
    "accounts.manage_roles": (ADMIN, org(ORGANIZER)),
    "accounts.manage_tokens": (AUTHENTICATED,),
    "accounts.view_audit": (ADMIN,),
    # Organizations
    "orgs.view": (ADMIN, org(ORGANIZER), org(UNIT_CONTACT)),
    "orgs.change": (ADMIN, org(ORGANIZER)),
    "orgs.import": (ADMIN, org(ORGANIZER)),
    # People. Seeing a full identity number or phone is its own permission (and audited).
    "people.view": (ADMIN, org(ORGANIZER), org(UNIT_CONTACT), SELF),
    "people.change": (ADMIN, org(ORGANIZER), org(UNIT_CONTACT)),
    "people.view_pii": (ADMIN, org(ORGANIZER), org(UNIT_CONTACT), SELF),
    # Competitions (hosted in the organizer's subtree: 层层办赛). Organizers of the host
    # and above manage them; organizers and unit contacts below the host, and the staff of
    # a competition, see it once it is past draft. Workers see them on the public pages.
    "competitions.view": (ADMIN, host(ORGANIZER), under_host(ORGANIZER).where(PUBLISHED),
                          under_host(UNIT_CONTACT).where(PUBLISHED), competition(JUDGE).where(PUBLISHED),
                          competition(CHIEF_JUDGE).where(PUBLISHED), competition(ARBITRATOR).where(PUBLISHED),
                          competition(INVIGILATOR).where(PUBLISHED), competition(GRADER).where(PUBLISHED)),
    "competitions.manage": (ADMIN, host(ORGANIZER)),
    "competitions.transition": (ADMIN, host(ORGANIZER)),
    # Registration. An entry sits at its unit (org), in its competition's host (host) and
    # with its worker (SELF). Registering someone else is asked on the entry-to-be.
    "registration.view": (ADMIN, host(ORGANIZER), org(ORGANIZER), org(UNIT_CONTACT), SELF),
    "registration.register": (ADMIN, host(ORGANIZER), org(ORGANIZER), org(UNIT_CONTACT)),
    "registration.register_self": (SELF,),
    "registration.review_unit": (ADMIN, org(UNIT_CONTACT), org(ORGANIZER)),
    "registration.review": (ADMIN, host(ORGANIZER)),
    "registration.withdraw": (ADMIN, host(ORGANIZER), org(ORGANIZER), org(UNIT_CONTACT), SELF),
    "registration.export": (ADMIN, host(ORGANIZER), org(ORGANIZER), org(UNIT_CONTACT)),
    # Full identity numbers in an export: organizers only, and only where people.view_pii holds too.
    "registration.export_pii": (ADMIN, host(ORGANIZER), org(ORGANIZER)),
    # Judging. Whoever marks, reviews or keys a contestant's marks must be free of conflicts
    # of interest with that contestant (judging.conflicts); judges see stations, not people.
    "judging.view": (ADMIN, host(ORGANIZER), competition(CHIEF_JUDGE), competition(JUDGE),
                     competition(ARBITRATOR), competition(INVIGILATOR)),
    "judging.manage": (ADMIN, host(ORGANIZER)),
    "judging.pool": (ADMIN, org(ORGANIZER)),
    "judging.checkin": (ADMIN, host(ORGANIZER), competition(INVIGILATOR)),
    "judging.draw": (ADMIN, host(ORGANIZER)),
    "judging.mark": (competition(JUDGE).where(NO_CONFLICT), competition(CHIEF_JUDGE).where(NO_CONFLICT)),
    "judging.review": (competition(CHIEF_JUDGE).where(NO_CONFLICT),),
    "judging.record_time": (ADMIN, host(ORGANIZER), competition(CHIEF_JUDGE).where(NO_CONFLICT)),
    "judging.key_paper": (ADMIN, host(ORGANIZER), competition(CHIEF_JUDGE).where(NO_CONFLICT)),
    "judging.history": (ADMIN, host(ORGANIZER), competition(CHIEF_JUDGE).where(NO_CONFLICT),
                        competition(ARBITRATOR)),
    "judging.stats": (ADMIN, host(ORGANIZER), competition(CHIEF_JUDGE)),
    "judging.confirm_unblinding": (competition(CHIEF_JUDGE),),
    "judging.unblind": (ADMIN, host(ORGANIZER)),
    "judging.appeal": (SELF, org(UNIT_CONTACT)),
    "judging.view_appeal": (ADMIN, host(ORGANIZER), competition(ARBITRATOR), SELF, org(UNIT_CONTACT)),
    "judging.decide_appeal": (competition(ARBITRATOR),),
    # Exams. A question bank sits at its owner organization: organizers there and above
    # keep it, organizers below may see it (to build papers for their own competitions).
    # Sessions and papers belong to a competition's host; invigilators and graders to the
    # competition; an attempt and a practice round to their worker (SELF). Graders see
    # answers blind, never attempts.
    "exams.view_bank": (ADMIN, org(ORGANIZER), under_host(ORGANIZER)),
    "exams.manage_bank": (ADMIN, org(ORGANIZER)),
    "exams.manage": (ADMIN, host(ORGANIZER)),
    "exams.invigilate": (ADMIN, host(ORGANIZER), competition(INVIGILATOR)),
    "exams.grade": (ADMIN, competition(GRADER)),
    "exams.take": (SELF,),
    "exams.view_attempt": (ADMIN, host(ORGANIZER), competition(INVIGILATOR), SELF),
    "exams.practice": (SELF,),
    "exams.view_practice_stats": (ADMIN, org(ORGANIZER), org(UNIT_CONTACT)),
    # Results. Organizers of the host run them; a result or certificate sits at its
    # contestant's unit (org) and with its worker (SELF). Exports and the lists for the
    # appraisal centre carry full identity numbers, so they are the host's alone.
    "results.view": (ADMIN, host(ORGANIZER)),
    "results.compute": (ADMIN, host(ORGANIZER)),
    "results.publish": (ADMIN, host(ORGANIZER)),
    "results.import_marks": (ADMIN, host(ORGANIZER)),
    "results.export": (ADMIN, host(ORGANIZER)),
    "results.certificates": (ADMIN, host(ORGANIZER)),
    "results.explain": (ADMIN, host(ORGANIZER), org(UNIT_CONTACT), SELF),
    "results.download_certificate": (ADMIN, host(ORGANIZER), org(UNIT_CONTACT), SELF),
    "results.mine": (SELF,),
}


def _roles(user):
    """(role, org_path, competition_id) held by the user, loaded once per user object."""
    cached = getattr(user, "_jingsai_roles", None)
    if cached is None:
        cached = [
            (a.role, a.organization.path if a.organization_id else None, a.competition_id)
            for a in user.roles.select_related("organization")
        ]
        user._jingsai_roles = cached
    return cached


def forget_roles(user):
    if hasattr(user, "_jingsai_roles"):
        del user._jingsai_roles


def is_admin(user):
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or any(r == Role.ADMIN for r, _, _ in _roles(user))


def _scope_of(obj):
    if obj is None or isinstance(obj, Scope):
        return obj
    return obj.permission_scope()


def _grant_allows(user, grant, scope):
    kind = grant.kind
    if kind == "public":
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if kind == "authenticated":
        return True
    if kind == "admin":
        return is_admin(user)
    if kind == "self":
        return user.person_id is not None and (scope is None or scope.person_id == user.person_id)
    roles = _roles(user)
    if kind in ("org", "host"):
        target = None if scope is None else (scope.org_path if kind == "org" else scope.host_path)
        for role, path, _ in roles:
            if role == grant.role and path and (scope is None or (target and target.startswith(path))):
                return True
        return False
    if kind == "under_host":
        target = None if scope is None else scope.host_path
        for role, path, _ in roles:
            if role == grant.role and path and (scope is None or (target and path.startswith(target))):
                return True
        return False
    if kind == "competition":
        for role, _, competition_id in roles:
            if role == grant.role and competition_id and (
                scope is None or competition_id == scope.competition_id
            ):
                return True
        return False
    raise ValueError(f"unknown grant kind {kind}")


def has_perm(user, perm, obj=None):
    grants = RULES[perm]
    scope = _scope_of(obj)
    for grant in grants:
        if _grant_allows(user, grant, scope) and (
            grant.check is None or obj is None or import_string(grant.check)(user, obj)
        ):
            return True
    return False


def require(user, perm, obj=None):
    if not has_perm(user, perm, obj):
        raise PermissionDenied(perm)


def filter_queryset(user, perm, queryset):
    """Narrow `queryset` to the objects on which `user` holds `perm`, in one query.

    The model names how its scope is reached with `permission_lookups`, e.g.
    {"org_path": "employer__path", "person_id": "pk"}. Grants with a `check` cannot be
    expressed as a query and must be applied per object by the caller."""
    lookups = queryset.model.permission_lookups
    q = Q(pk__in=[])
    for grant in RULES[perm]:
        if not _grant_allows(user, grant, None):
            continue
        if grant.kind in ("admin", "public", "authenticated"):
            return queryset
        if grant.kind == "self":
            q |= Q(**{lookups["person_id"]: user.person_id})
            continue
        for role, path, competition_id in _roles(user):
            if role != grant.role:
                continue
            if grant.kind == "org" and path and "org_path" in lookups:
                q |= Q(**{f"{lookups['org_path']}__startswith": path})
            elif grant.kind == "host" and path and "host_path" in lookups:
                q |= Q(**{f"{lookups['host_path']}__startswith": path})
            elif grant.kind == "under_host" and path and "host_path" in lookups:
                q |= Q(**{f"{lookups['host_path']}__in": ancestor_paths(path)})
            elif grant.kind == "competition" and competition_id and "competition_id" in lookups:
                q |= Q(**{lookups["competition_id"]: competition_id})
    return queryset.filter(q)


def ancestor_paths(path):
    """Every path from the root down to `path` itself: "/1/2s/" -> ["/1/", "/1/2s/"]."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def role_paths(user, *roles):
    """Organization paths at which the user holds any of `roles` (for choosing where to act)."""
    return [path for role, path, _ in _roles(user) if role in roles and path]


def competition_ids(user, *roles):
    return {cid for role, _, cid in _roles(user) if role in roles and cid}
