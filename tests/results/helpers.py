"""Helpers for results tests."""

from datetime import timedelta

from django.utils import timezone

from jingsai.results.models import Publicity


def end_publicity(stage):
    """Move the stage's publicity (and the competition's recorded step into it) into the
    past, as if the period had run its course."""
    past = timezone.now() - timedelta(days=30)
    Publicity.objects.filter(stage=stage).update(started_at=past, ends_at=past + timedelta(days=5))
    stage.competition.status_changes.filter(to_status="publicity").update(at=past)
