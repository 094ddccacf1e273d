"""What results require of the competition lifecycle (competitions.lifecycle guards).

Publicity and finalization carry work of their own (the published computations, the
period, benefits granted, qualifiers advanced), so the steps into and out of publicity
happen through the results services, which make that work and then move the
competition; these guards refuse the bare step and say where to take it."""

from django.utils.translation import gettext as _

from jingsai.competitions.lifecycle import component_user, guard
from jingsai.competitions.models import Status

from . import queries


def _last_stage(competition):
    stages = queries.stages_of(competition)
    return stages[-1] if stages else None


@guard(Status.SCORING, Status.PUBLICITY)
def results_published(competition):
    stage = _last_stage(competition)
    if stage is None:
        return _("The competition has no stages.")
    state = queries.stage_results(stage)
    if state.state != queries.PUBLICITY:
        return _("Compute complete results and publish them for publicity on the results page.")
    return None


@guard(Status.PUBLICITY, Status.FINAL)
def results_finalized(competition):
    stage = _last_stage(competition)
    if stage is None:
        return _("The competition has no stages.")
    state = queries.stage_results(stage)
    if state.state == queries.FINAL:
        return None
    if state.publicity is not None:
        # The period itself is the competitions app's own guard (publicity_served).
        unanswered = state.publicity.objections.filter(answered_at__isnull=True).count()
        if unanswered:
            return _("%(count)s objections are not answered yet.") % {"count": unanswered}
    return _("Finalize the results on the results page: that grants the promotions, titles and recommendations.")


@guard(Status.PUBLICITY, Status.SCORING)
def publicity_withdrawn(competition):
    stage = _last_stage(competition)
    if stage is not None and queries.stage_results(stage).state == queries.PUBLICITY:
        return _("Withdraw the publicity on the results page, giving a reason.")
    return None


@component_user
def components_with_scores(competition, keys):
    from .models import ComponentScore

    return ComponentScore.objects.filter(entry__competition=competition, component__in=keys).values_list(
        "component", flat=True).distinct()
