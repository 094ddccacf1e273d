"""Competitions and series: read them, get and load their rules (JSON or YAML), move them
through the lifecycle. The same permissions and services as the pages."""

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from jingsai.accounts import permissions
from jingsai.core.errors import UserError
from jingsai.core.pagination import Pages

from . import lifecycle, services
from .models import Competition, CompetitionLevel
from .models import Status as CompetitionStatus
from .summary import describe

router = Router(tags=["competitions"])


class StageOut(Schema):
    key: str
    name: str
    order: int
    scope: str | None
    advance: dict | None

    @staticmethod
    def resolve_scope(obj):
        return obj.scope_type or None


class CompetitionOut(Schema):
    code: str
    name: str
    series: str | None
    host: str
    organizer: str | None
    occupation: str
    level: str
    competition_class: str
    standard_level: int | None
    mode: str
    team_size: int
    status: str
    registration_opens: dt.datetime | None
    registration_closes: dt.datetime | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_series(obj):
        return obj.series.code if obj.series_id else None

    @staticmethod
    def resolve_host(obj):
        return obj.host.code

    @staticmethod
    def resolve_organizer(obj):
        return obj.organizer.code if obj.organizer_id else None

    @staticmethod
    def resolve_competition_class(obj):
        return obj.klass


class SummaryLine(Schema):
    topic: str
    text: str


class StepOut(Schema):
    to: str
    needs_reason: bool
    blockers: list[str]


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    at: dt.datetime
    by: str
    reason: str


class CompetitionDetail(CompetitionOut):
    outcome: str | None = None
    stages: list[StageOut]
    summary: list[SummaryLine]
    next_steps: list[StepOut]
    timeline: list[StatusChangeOut]


class SeriesOut(Schema):
    code: str
    name: str
    year: int
    host: str

    @staticmethod
    def resolve_host(obj):
        return obj.host.code


class SeriesDetail(SeriesOut):
    competitions: list[CompetitionOut]

    @staticmethod
    def resolve_competitions(obj):
        return obj.competitions_list


class LoadIn(Schema):
    """A spec as YAML text or as JSON (the shape of GET /{code}/spec); `reason` is needed
    to change rules frozen by the lifecycle."""

    yaml: str | None = None
    spec: dict | None = None
    reason: str = ""


class TransitionIn(Schema):
    to: CompetitionStatus
    reason: str = ""


def _queryset():
    return Competition.objects.select_related("host", "series", "organizer")


def _get(user, code, perm="competitions.view"):
    competition = get_object_or_404(_queryset(), code=code)
    permissions.require(user, perm, competition)
    return competition


def _detail(user, competition, outcome=None):
    """The competition with what CompetitionDetail adds: its rules in words, the steps the
    user may take next (with what blocks them) and its timeline."""
    competition.outcome = outcome
    competition.summary = [{"topic": str(topic), "text": str(text)} for topic, text in describe(competition.spec)]
    competition.next_steps = [
        {"to": to.value, "needs_reason": lifecycle.needs_reason(competition.status, to),
         "blockers": [str(b) for b in blockers]}
        for to, blockers in lifecycle.steps(competition)
    ] if permissions.has_perm(user, "competitions.transition", competition) else []
    competition.timeline = [
        {"from_status": c.from_status, "to_status": c.to_status, "at": c.at, "by": c.actor_label, "reason": c.reason}
        for c in competition.status_changes.all()
    ]
    return competition


@router.get("/", response=list[CompetitionOut])
@paginate(Pages, page_size=100)
def list_competitions(request, q: str = "", series: str = "", status: CompetitionStatus | None = None,
                      level: CompetitionLevel | None = None):
    permissions.require(request.user, "competitions.view")
    competitions = services.visible_competitions(request.user, _queryset())
    if q:
        competitions = competitions.filter(name__contains=q) | competitions.filter(code__iexact=q)
    if series:
        competitions = competitions.filter(series__code=series)
    if status:
        competitions = competitions.filter(status=status)
    if level:
        competitions = competitions.filter(level=level)
    return competitions.order_by("-series__year", "series__code", "code")


@router.post("/load", response={200: CompetitionDetail, 201: CompetitionDetail})
def load(request, data: LoadIn):
    """Create or update the competition the spec's code names. A spec with problems is
    refused whole: 400 with every problem (`where` is its path in the spec)."""
    permissions.require(request.user, "competitions.manage")
    source = data.yaml if data.yaml is not None else data.spec
    if source is None:
        raise UserError(_("Send the spec as “yaml” (text) or as “spec” (JSON)."))
    saved = services.load_competition(request.user, source, reason=data.reason)
    competition = _queryset().get(pk=saved.pk)
    return Status(201 if saved.outcome == "created" else 200, _detail(request.user, competition, saved.outcome))


@router.get("/series", response=list[SeriesOut])
def list_series(request):
    permissions.require(request.user, "competitions.view")
    return services.visible_series(request.user).select_related("host").order_by("-year", "code")


@router.get("/series/{code}", response=SeriesDetail)
def get_series(request, code: str):
    permissions.require(request.user, "competitions.view")
    series = get_object_or_404(services.visible_series(request.user).select_related("host"), code=code)
    series.competitions_list = services.visible_competitions(
        request.user, _queryset().filter(series=series)).order_by("code")
    return series


@router.get("/{code}", response=CompetitionDetail)
def get_competition(request, code: str):
    return _detail(request.user, _get(request.user, code))


@router.get("/{code}/spec", response=dict)
def get_spec(request, code: str):
    """The rules as JSON: decimals as strings, dates in ISO 8601; POST /load takes it back."""
    return _get(request.user, code).spec


@router.get("/{code}/spec.yaml")
def get_spec_yaml(request, code: str):
    """The rules as the canonical YAML spec, loadable again unchanged."""
    competition = _get(request.user, code)
    return HttpResponse(services.export_yaml(competition), content_type="application/yaml; charset=utf-8")


@router.post("/{code}/transition", response=CompetitionDetail)
def transition(request, code: str, data: TransitionIn):
    """Move the competition to the status `to`. Refused with 400 and the reasons when the
    lifecycle does not allow the step yet."""
    competition = _get(request.user, code, "competitions.transition")
    services.transition(request.user, competition, data.to, reason=data.reason)
    return _detail(request.user, _queryset().get(pk=competition.pk))
