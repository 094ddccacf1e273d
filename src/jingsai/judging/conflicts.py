"""Conflicts of interest (回避): who may never see or mark whom.

A judge is in conflict with a contestant when

* their units are in the same enterprise subtree, or
* the judge declared a relationship with the contestant (`Relationship`).

"Same enterprise subtree" means: the two units share an enterprise or college among their
ancestors, themselves included. Equivalently, the outermost enterprise or college on each
unit's path — its *affiliation* — is the same one. A group company, its subsidiaries and
their work teams are therefore all one affiliation. A unit with no enterprise or college on
its path (a union, a bureau, a street office) is its own affiliation and conflicts only with
itself: a district union's staff may judge the district's enterprises.

The permission module asks `no_conflict(user, obj)` (accounts.permissions RULES, "# Judging")
for every single object; lists use `conflicted_entry_ids` to do it in one query.
"""

from django.db.models import Q

from jingsai.orgs.models import Organization, OrgType

AFFILIATION_TYPES = (OrgType.ENTERPRISE, OrgType.COLLEGE)


def affiliation(org):
    """The outermost enterprise or college on `org`'s path (itself included), else `org`."""
    found = (
        Organization.objects.filter(pk__in=[*org.ancestor_ids, org.pk], type__in=AFFILIATION_TYPES)
        .order_by("depth").first()
    )
    return found or org


def same_affiliation(unit, unit_field):
    """Q matching rows whose unit (at `unit_field`) has the same affiliation as `unit`."""
    root = affiliation(unit)
    if root.type in AFFILIATION_TYPES:
        return Q(**{f"{unit_field}__path__startswith": root.path})
    return Q(**{f"{unit_field}_id": root.pk})


def judge_filter(judge, unit_field, person_field):
    """Q matching rows whose unit or person the judge must keep away from."""
    q = same_affiliation(judge.unit, unit_field)
    declared = list(judge.relationships.values_list("person_id", flat=True))
    if declared:
        q |= Q(**{f"{person_field}__in": declared})
    return q


def conflicted_entry_ids(judge, entries):
    """The ids of the entries in the queryset `entries` the judge is in conflict with."""
    return set(entries.filter(judge_filter(judge, "unit", "person_id")).values_list("pk", flat=True))


def conflicted_contestant_ids(judge, contestants):
    return set(contestants.filter(judge_filter(judge, "entry__unit", "entry__person_id"))
               .values_list("pk", flat=True))


def in_conflict(judge, entry):
    """Whether the judge must keep away from the entry's contestant. Remembered on the judge
    object, so that the permission check and the service asking again cost one lookup."""
    known = judge.__dict__.setdefault("_jingsai_conflicts", {})
    if entry.pk not in known:
        known[entry.pk] = (judge.relationships.filter(person_id=entry.person_id).exists()
                           or affiliation(judge.unit).pk == affiliation(entry.unit).pk)
    return known[entry.pk]


def forget(judge):
    """Drop what in_conflict remembered (the judge's unit or relationships changed)."""
    judge.__dict__.pop("_jingsai_conflicts", None)


def judge_for(user):
    """The active pool record of a logged-in user, or None (remembered on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_jingsai_judge"):
        from .models import Judge

        user._jingsai_judge = Judge.objects.select_related("unit").filter(user=user, is_active=True).first()
    return user._jingsai_judge


def entry_of(obj):
    """The entry an object is about (an Entry, or anything with `.entry` or `.contestant`),
    or None for objects about no single contestant (a competition, a stage)."""
    from jingsai.registration.models import Entry

    if isinstance(obj, Entry):
        return obj
    if hasattr(obj, "entry_id"):
        return obj.entry
    if hasattr(obj, "contestant_id"):
        return obj.contestant.entry
    return None


def no_conflict(user, obj):
    """Permission check: the user is a judge of the pool and not in conflict with the
    contestant `obj` is about. A judging role without a pool record is refused, since its
    conflicts cannot be known. Asked about a competition or a stage, only the pool record
    is required: the pages list contestants through `conflicted_contestant_ids`."""
    judge = judge_for(user)
    if judge is None:
        return False
    entry = entry_of(obj)
    return entry is None or not in_conflict(judge, entry)
