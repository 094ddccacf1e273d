"""Question pictures: files under MEDIA_ROOT/exams/images/, named by their SHA-256, served
only through exams.views.image, which asks may_view() first.

A picture is exam content: before an exam it must stay as secret as the question, so it
is never public. Those who may see it: the bank's viewers (organizers); any worker while
the bank is open for practice; a candidate or practising worker shown a question that
uses it; the invigilators and graders of a competition whose attempts show it.

A picture of an explanation alone (in no question's text) is kept back as the explanation
is: besides the bank's viewers, workers see it while the bank is open for practice and does
not keep its answers back (services.practice_answers_kept: no exam drawn from it under way);
and the candidate and the invigilators of an attempt whose paper holds the question see it
when the attempt's review shows the explanation (services.review_shows_answers, which the
review asks too). Graders never see attempts, nor explanations."""

import hashlib
from pathlib import Path

from django.conf import settings
from django.db.models import Min, Q

from jingsai.accounts import permissions

from .models import Attempt, AttemptItem, PracticeItem, QuestionImage


def path_of(image):
    return Path(settings.MEDIA_ROOT) / "exams" / "images" / image.sha256[:2] / image.sha256


def store(bank, image_data):
    """The QuestionImage for `image_data` (content.ImageData), writing the file once."""
    digest = hashlib.sha256(image_data.data).hexdigest()
    image, _created = QuestionImage.objects.get_or_create(
        bank=bank, sha256=digest,
        defaults={"name": image_data.name[:200] or digest[:12], "content_type": image_data.kind[0],
                  "size": len(image_data.data)},
    )
    path = path_of(image)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(image_data.data)
        temporary.replace(path)
    return image


def may_view(user, image):
    bank = image.bank
    if permissions.has_perm(user, "exams.view_bank", bank):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    versions = image.versions.all()
    if bank.practice_open and user.person_id and (versions.exists() or not _explanation_kept(bank)):
        return True
    if user.person_id and (
        AttemptItem.objects.filter(attempt__person_id=user.person_id, version__in=versions).exists()
        or PracticeItem.objects.filter(practice__person_id=user.person_id, version__in=versions).exists()
    ):
        return True
    competitions = permissions.competition_ids(user, permissions.INVIGILATOR, permissions.GRADER)
    if competitions and AttemptItem.objects.filter(
        attempt__session__competition_id__in=competitions, version__in=versions
    ).exists():
        return True
    return _explained_on_review(user, image)


def _explained_on_review(user, image):
    """Whether a review `user` may see shows the explanation that `image` belongs to: one of
    their own attempts, or one attempt of each session they invigilate (the review shows an
    invigilator the same in every attempt of a session), whose paper holds the question."""
    from .services import banks_keeping_answers, review_shows_answers  # services stores pictures through this module

    explained = image.explanation_links.values("version_id")
    own = Attempt.objects.none()
    if user.person_id:
        own = Attempt.objects.filter(person_id=user.person_id, items__version__in=explained).values("pk")
    competitions = permissions.competition_ids(user, permissions.INVIGILATOR)
    invigilated = (Attempt.objects.filter(session__competition_id__in=competitions, items__version__in=explained)
                   .order_by().values("session_id").annotate(first=Min("pk")).values("first"))
    reviews = Attempt.objects.filter(Q(pk__in=own) | Q(pk__in=invigilated)).select_related(
        "session__paper", "session__competition__host", "entry__unit")
    reviews = list(reviews.order_by("pk"))
    # Whether answers are kept back, read once for the banks of all those attempts (one per
    # invigilated session), not once for each.
    kept = banks_keeping_answers({attempt.session.paper.bank_id for attempt in reviews}) if reviews else set()
    return any(review_shows_answers(user, attempt, kept=kept) for attempt in reviews)


def _explanation_kept(bank):
    from .services import practice_answers_kept  # services stores pictures through this module

    return bool(practice_answers_kept([bank]))
