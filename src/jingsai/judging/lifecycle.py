"""What judging requires of the competition lifecycle (registered from JudgingConfig.ready)."""

from django.utils.translation import gettext as _

from jingsai.competitions.lifecycle import component_user, guard
from jingsai.competitions.models import Status

from .models import Appeal, AppealStatus, Contestant, Draw, Mark, Unblinding, UnblindStep


def _judged_stages(competition):
    """Stages where judging has begun: a draw was made or a mark given."""
    drawn = set(Draw.objects.filter(stage__competition=competition).values_list("stage_id", flat=True))
    marked = set(Mark.objects.filter(contestant__stage__competition=competition)
                 .values_list("contestant__stage_id", flat=True).distinct())
    return competition.stages.filter(pk__in=drawn | marked).order_by("order")


@guard(Status.SCORING, Status.PUBLICITY)
def stages_unblinded(competition):
    """Results go public only from signed-off, unblinded marks."""
    waiting = [s.name for s in _judged_stages(competition)
               if not Unblinding.objects.filter(stage=s, step=UnblindStep.ORGANIZER).exists()]
    if waiting:
        return _("The practical marks of %(stages)s are not unblinded yet.") % {"stages": "、".join(waiting)}
    unsigned = Contestant.objects.filter(stage__competition=competition, marks__locked=False).distinct().count()
    if unsigned:
        return _("%(count)s stations were unlocked for re-marking and are not signed off again.") % {"count": unsigned}
    return None


@guard(Status.PUBLICITY, Status.FINAL)
def appeals_decided(competition):
    pending = Appeal.objects.filter(entry__competition=competition, status=AppealStatus.PENDING).count()
    if pending:
        return _("%(count)s appeals await the arbitration group's ruling.") % {"count": pending}
    return None


@component_user
def components_marked(competition, keys):
    """The component the judges' marking records into, once its scheme is frozen (marking
    has started)."""
    from .models import MarkingScheme

    return MarkingScheme.objects.filter(competition=competition, component__in=keys,
                                        frozen_at__isnull=False).values_list("component", flat=True)
