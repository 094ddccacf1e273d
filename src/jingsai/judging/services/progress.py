"""Where a stage stands: counts for the pages, the dashboard and the API (read only)."""

from django.db.models import Count, Q

from ..models import AppealStatus, CheckIn, DrawKind, Mark
from . import appeals, marking, venue


def stage_summary(stage):
    """Counts for a stage's progress, in a handful of queries."""
    rows = venue.contestants(stage).aggregate(
        total=Count("pk"),
        present=Count("pk", filter=Q(checkin=CheckIn.PRESENT)),
        absent=Count("pk", filter=Q(checkin=CheckIn.ABSENT)),
        numbered=Count("pk", filter=Q(contestant_number__isnull=False)),
        stationed=Count("pk", filter=Q(station_number__isnull=False)),
        signed=Count("pk", filter=Q(signed_off_at__isnull=False)),
    )
    rows["active"] = rows["total"] - rows["absent"]
    rows["marks"] = Mark.objects.filter(contestant__stage=stage).count()
    rows["first_draw"] = venue.draw_done(stage, DrawKind.CONTESTANT)
    rows["second_draw"] = venue.draw_done(stage, DrawKind.STATION)
    rows["ended"] = venue.stage_end(stage)
    rows["steps"] = marking.unblinding_steps(stage)
    rows["unblinded"] = "organizer" in rows["steps"]
    rows["appeal_deadline"] = appeals.deadline(stage)
    rows["appeals_pending"] = stage.appeals.filter(status=AppealStatus.PENDING).count()
    return rows
