"""Every change to series and competitions, each with its audit record."""

from django.db import transaction
from django.utils.translation import gettext as _

from jingsai.core import audit
from jingsai.core.errors import UserError

from . import lifecycle
from .models import Competition, Status


@transaction.atomic
def transition(actor, competition, to_status, *, reason=""):
    """Move a competition to `to_status` if the lifecycle allows it and every guard agrees."""
    competition = Competition.objects.select_for_update().get(pk=competition.pk)
    to_status = Status(to_status)
    if to_status not in lifecycle.allowed_next(competition):
        raise UserError(
            _("A competition cannot go from “%(old)s” to “%(new)s”.")
            % {"old": competition.get_status_display(), "new": to_status.label},
            code="transition",
        )
    problems = lifecycle.blockers(competition, to_status)
    if problems:
        raise UserError("；".join(str(p) for p in problems), code="guard")
    old = competition.status
    competition.status = to_status
    competition.save(update_fields=["status", "updated_at"])
    audit.record(actor, "competitions.transition", competition, reason=reason,
                 changes={"status": [old, to_status.value]})
    return competition
