from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.accounts import permissions
from jingsai.core.registry import Card

from . import services
from .models import Attempt, AttemptItem, AttemptStatus, ExamSession, WrongAnswer


def cards(user, request):
    out = []
    now = timezone.now()
    if permissions.has_perm(user, "exams.take"):
        from jingsai.registration.models import Entry, EntryStatus

        entries = Entry.objects.filter(person_id=user.person_id, status=EntryStatus.APPROVED)
        # Their own attempt, handed in: one exclude() over the attempts relation would also
        # hide a session where someone else has handed in.
        handed_in = Attempt.objects.filter(person_id=user.person_id,
                                           status__in=[AttemptStatus.SUBMITTED, AttemptStatus.GRADED])
        upcoming = ExamSession.objects.filter(
            Q(stage__isnull=True, competition_id__in=entries.values("competition_id"))
            | Q(stage_id__in=entries.values("stage_id")),
            closes_at__gt=now,
        ).exclude(Exists(handed_in.filter(session=OuterRef("pk")))).order_by("opens_at")
        items = [{"label": f"{s.name} · {timezone.localtime(s.opens_at):%m-%d %H:%M}",
                  "url": reverse("exams:take", args=[s.pk])} for s in upcoming[:5]]
        if items:
            out.append(Card(title=_("Theory exams"), items=items, url=reverse("exams:mine"), action=_("My exams"),
                            priority=5, tone="danger"))
    if permissions.has_perm(user, "exams.practice"):
        wrong = WrongAnswer.objects.filter(person_id=user.person_id, mastered_at__isnull=True).count()
        out.append(Card(title=_("Practice"), body=_("Practise by knowledge point, with explanations.")
                        + (" " + _("%(n)s questions in your wrong-answer book.") % {"n": wrong} if wrong else ""),
                        url=reverse("exams:practice"), action=_("Start practising"), priority=30))
    graded = permissions.competition_ids(user, permissions.GRADER)
    if graded:
        waiting = services.waiting_for(user, AttemptItem.objects.filter(attempt__session__competition_id__in=graded,
                                                                         attempt__status=AttemptStatus.SUBMITTED))
        pending = waiting.count()
        if pending:
            sessions = list(waiting.order_by().values_list("attempt__session_id", flat=True).distinct()[:2])
            # One exam waiting (the usual case): straight to its grading queue.
            url = reverse("exams:grade", args=[sessions[0]]) if len(sessions) == 1 else reverse("exams:sessions")
            out.append(Card(title=_("Short answers to grade"), count=pending, url=url,
                            action=_("Grade"), priority=10, tone="warning"))
    watched = permissions.competition_ids(user, permissions.INVIGILATOR)
    if watched:
        # Open or opening within a day; or closed, with someone (given extra time) still answering.
        today = ExamSession.objects.filter(Q(closes_at__gt=now, opens_at__lt=now + timedelta(days=1))
                                           | services.being_answered(now), competition_id__in=watched)
        items = [{"label": s.name, "url": reverse("exams:monitor", args=[s.pk])} for s in today[:5]]
        if items:
            out.append(Card(title=_("Exams to invigilate"), items=items, url=reverse("exams:sessions"),
                            action=_("Theory exams"), priority=8))
    return out
