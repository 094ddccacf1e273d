"""Question pictures: files under MEDIA_ROOT/exams/images/, named by their SHA-256, served
only through exams.views.image, which asks may_view() first.

A picture is exam content: before an exam it must stay as secret as the question, so it
is never public. Those who may see it: the bank's viewers (organizers); any worker while
the bank is open for practice; a candidate or practising worker shown a question that
uses it; the invigilators and graders of a competition whose attempts show it.

A picture of an explanation alone (in no question's text) is kept back as the explanation
is: besides the bank's viewers, only workers see it, while the bank is open for practice
and does not keep its answers back (services.practice_answers_kept: no exam drawn from it
under way). Candidates, invigilators and graders are never shown explanations."""

import hashlib
from pathlib import Path

from django.conf import settings

from jingsai.accounts import permissions

from .models import AttemptItem, PracticeItem, QuestionImage


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
    return bool(competitions) and AttemptItem.objects.filter(
        attempt__session__competition_id__in=competitions, version__in=versions
    ).exists()


def _explanation_kept(bank):
    from .services import practice_answers_kept  # services stores pictures through this module

    return bool(practice_answers_kept([bank]))
