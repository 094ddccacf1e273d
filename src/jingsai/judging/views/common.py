"""What every judging page needs: the object from the URL, checked against the permission
module, and errors shown as messages."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404

from jingsai.accounts import permissions
from jingsai.competitions.models import Competition, Stage
from jingsai.registration.models import EntryStatus

from ..models import Contestant


def competition_or_404(request, pk, perm):
    competition = get_object_or_404(Competition.objects.select_related("host"), pk=pk)
    permissions.require(request.user, perm, competition)
    return competition


def stage_or_404(request, pk, perm):
    stage = get_object_or_404(Stage.objects.select_related("competition__host"), pk=pk)
    permissions.require(request.user, perm, stage)
    return stage


def station_or_404(request, stage, number, perm):
    """The contestant at a station, for a user holding `perm` on them: a judge in conflict
    of interest with the contestant is refused (accounts.permissions, judging.conflicts)."""
    contestant = (Contestant.objects.select_related("entry__unit", "entry__competition__host", "stage__competition")
                  .filter(stage=stage, station_number=number, entry__status=EntryStatus.APPROVED).first())
    if contestant is None:
        raise Http404
    permissions.require(request.user, perm, contestant)
    return contestant


def show_error(request, error):
    """A UserError (or Rejected) as a message, with its problems when there are a few."""
    text = str(error.message)
    details = [str(p.message) for p in getattr(error, "problems", [])[:20]]
    if details and not all(d in text for d in details):
        text = f"{text} {'；'.join(details)}"
    messages.error(request, text)


def can(user, perm, obj=None):
    return permissions.has_perm(user, perm, obj)
