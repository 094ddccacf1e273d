"""What the theory exam asks of the competition lifecycle (competitions.lifecycle)."""

from django.utils.translation import gettext as _

from jingsai.competitions.lifecycle import component_user, guard, scale_user
from jingsai.competitions.models import Status

from .models import Attempt, AttemptItem, AttemptStatus, ExamSession


def _still_sitting(competition):
    running = Attempt.objects.filter(session__competition=competition, status=AttemptStatus.IN_PROGRESS).count()
    if running:
        return _("%(count)s candidates are still sitting the theory exam.") % {"count": running}
    return None


@guard(Status.IN_PROGRESS, Status.SCORING)
def exams_finished(competition):
    from . import services

    services.sweep()
    return _still_sitting(competition)


@guard(Status.SCORING, Status.PUBLICITY)
def exams_graded(competition):
    # Starts are refused once the competition has left "in progress" (services._begin),
    # but one that began as it left may still be answering: its score is not in yet either.
    # Counted, not handed in here: a score arriving in the middle of this step would land
    # in results already checked for it (the time-out task or the sweep hands it in).
    running = _still_sitting(competition)
    if running:
        return running
    pending = AttemptItem.objects.filter(attempt__session__competition=competition, needs_grading=True,
                                         attempt__status=AttemptStatus.SUBMITTED).count()
    if pending:
        return _("%(count)s short answers of the theory exam are not graded yet.") % {"count": pending}
    return None


@component_user
def components_examined(competition, keys):
    """The components a theory exam of the competition hands its scores to."""
    return ExamSession.objects.filter(competition=competition, component__in=keys).values_list("component", flat=True)


@scale_user
def components_scaled(competition, keys):
    """The components holding a graded theory exam's score: the paper's points scaled to the
    component's maximum (services.theory_score)."""
    return (Attempt.objects.filter(session__competition=competition, session__component__in=keys,
                                   status=AttemptStatus.GRADED).values_list("session__component", flat=True))
