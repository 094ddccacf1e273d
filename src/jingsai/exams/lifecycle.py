"""What the theory exam asks of the competition lifecycle (competitions.lifecycle)."""

from django.utils.translation import gettext as _

from jingsai.competitions.lifecycle import guard
from jingsai.competitions.models import Status

from .models import Attempt, AttemptItem, AttemptStatus


@guard(Status.IN_PROGRESS, Status.SCORING)
def exams_finished(competition):
    from . import services

    services.sweep()
    running = Attempt.objects.filter(session__competition=competition, status=AttemptStatus.IN_PROGRESS).count()
    if running:
        return _("%(count)s candidates are still sitting the theory exam.") % {"count": running}
    return None


@guard(Status.SCORING, Status.PUBLICITY)
def exams_graded(competition):
    # Starts are refused once the competition has left "in progress" (services._begin),
    # but one that began as it left may still be answering: its score is not in yet either.
    # Counted, not handed in here: a score arriving in the middle of this step would land
    # in results already checked for it (the time-out task or the sweep hands it in).
    running = Attempt.objects.filter(session__competition=competition, status=AttemptStatus.IN_PROGRESS).count()
    if running:
        return _("%(count)s candidates are still sitting the theory exam.") % {"count": running}
    pending = AttemptItem.objects.filter(attempt__session__competition=competition, needs_grading=True).count()
    if pending:
        return _("%(count)s short answers of the theory exam are not graded yet.") % {"count": pending}
    return None
