"""Finding the competition and stage a judging command names."""

from django.utils.translation import gettext as _

from jingsai.competitions.models import Competition


def competition_and_stage(command, code, stage_key=None, *, need_stage=True):
    competition = Competition.objects.select_related("host").filter(code=code).first()
    if competition is None:
        command.fail(_("No competition has the code “%(code)s”.") % {"code": code})
    if not need_stage:
        return competition, None
    stages = list(competition.stages.order_by("order"))
    if stage_key:
        stage = next((s for s in stages if s.key == stage_key), None)
        if stage is None:
            command.fail(_("The competition has no stage “%(key)s”; its stages are %(keys)s.")
                         % {"key": stage_key, "keys": "、".join(s.key for s in stages)})
        return competition, stage
    if len(stages) != 1:
        command.fail(_("Name the stage with --stage (one of %(keys)s).") % {"keys": "、".join(s.key for s in stages)})
    return competition, stages[0]
