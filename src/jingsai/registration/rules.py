"""What a competition's rules say about registering: when, who, and how many.

Read from the competition (its status, its dates and the normalized spec); nothing here
writes. Eligibility checks return messages, so that a form, a file import and the API
all say the same thing about the same person.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from jingsai.competitions.models import Status
from jingsai.people.models import Level, WorkerStatus

CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
# States in which the host's organizers may still add, approve and reject entries.
REVIEW_STATUSES = (Status.REGISTRATION_OPEN, Status.REGISTRATION_CLOSED)


def _instant(value):
    """A schedule value of the spec (ISO text, date or datetime) as an aware datetime;
    a date means its midnight in China time, as the spec says."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TIME)
    return value


def schedule_value(competition, key):
    """registration_opens, registration_closes or starts: the competition's own column
    when set (the lifecycle keeps it), else the spec's schedule."""
    column = {"registration_opens": "registration_opens", "registration_closes": "registration_closes",
              "starts": "starts_at"}[key]
    value = getattr(competition, column, None)
    if value is not None:
        return value
    return _instant(((competition.spec or {}).get("schedule") or {}).get(key))


def deadline(competition):
    return schedule_value(competition, "registration_closes")


def competition_date(competition):
    """The day ages are counted on: the start of the competition, else the close of
    registration, else today."""
    for key in ("starts", "registration_closes"):
        value = schedule_value(competition, key)
        if value is not None:
            return value.astimezone(CHINA_TIME).date()
    return timezone.localdate()


def registration_open(competition, now=None):
    """None when registration is open now, else the reason it is not."""
    now = now or timezone.now()
    if competition.status != Status.REGISTRATION_OPEN:
        return _("Registration for “%(name)s” is not open (the competition is “%(status)s”).") % {
            "name": competition.name, "status": competition.get_status_display()}
    opens = schedule_value(competition, "registration_opens")
    if opens is not None and now < opens:
        return _("Registration for “%(name)s” opens on %(when)s.") % {
            "name": competition.name, "when": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M")}
    closes = deadline(competition)
    if closes is not None and now >= closes:
        return _("Registration for “%(name)s” closed on %(when)s.") % {
            "name": competition.name, "when": timezone.localtime(closes).strftime("%Y-%m-%d %H:%M")}
    return None


@dataclass(frozen=True)
class Rules:
    """The registration rules of one competition, read once for a whole import."""

    min_age: int | None
    max_age: int | None
    worker_status_required: bool
    min_level: int | None
    unit_quota: int | None
    team_mode: bool
    team_size: int
    host_only: bool
    on_date: dt.date

    @classmethod
    def of(cls, competition):
        spec = competition.spec or {}
        eligibility = spec.get("eligibility") or {}
        return cls(
            min_age=eligibility.get("min_age"),
            max_age=eligibility.get("max_age"),
            worker_status_required=bool(eligibility.get("worker_status_required")),
            min_level=eligibility.get("min_level"),
            unit_quota=spec.get("unit_quota"),
            team_mode=(spec.get("mode") or competition.mode) == "team",
            team_size=int(spec.get("team_size") or competition.team_size or 1),
            host_only=spec.get("approval") == "host_only",
            on_date=competition_date(competition),
        )

    def age_problem(self, birth_date):
        years = self.on_date.year - birth_date.year - (
            (self.on_date.month, self.on_date.day) < (birth_date.month, birth_date.day))
        if self.min_age is not None and years < self.min_age:
            return _("Aged %(age)s on %(date)s; the rules require at least %(min)s.") % {
                "age": years, "date": self.on_date.isoformat(), "min": self.min_age}
        if self.max_age is not None and years > self.max_age:
            return _("Aged %(age)s on %(date)s; the rules allow at most %(max)s.") % {
                "age": years, "date": self.on_date.isoformat(), "max": self.max_age}
        return None

    def status_problem(self, worker_status):
        if self.worker_status_required and worker_status == WorkerStatus.STUDENT:
            return _("This competition is for workers only; students cannot enter.")
        return None

    def level_problem(self, level):
        # A smaller code is a higher level (results-rules.md §1).
        if self.min_level is not None and (level is None or level > self.min_level):
            held = Level(level).label if level is not None else _("none")
            return _("The rules require skill level %(min)s or higher; the level held is %(held)s.") % {
                "min": Level(self.min_level).label, "held": held}
        return None
