"""The competition lifecycle: which status may follow which, and what must hold first.

draft → registration_open → registration_closed → in_progress → scoring → publicity →
final → archived, with a step back where organizers need one (reopening registration,
returning from publicity to scoring when an objection is upheld).

Other apps add their conditions with @guard(from_status, to_status) in their own
`lifecycle.py`, imported by their AppConfig.ready(): a guard takes the competition and
returns None when the step may happen, or a message saying what must happen first.
"""

from collections import defaultdict

from .models import Status

TRANSITIONS = {
    Status.DRAFT: (Status.REGISTRATION_OPEN,),
    Status.REGISTRATION_OPEN: (Status.REGISTRATION_CLOSED, Status.DRAFT),
    Status.REGISTRATION_CLOSED: (Status.IN_PROGRESS, Status.REGISTRATION_OPEN),
    Status.IN_PROGRESS: (Status.SCORING,),
    Status.SCORING: (Status.PUBLICITY,),
    Status.PUBLICITY: (Status.FINAL, Status.SCORING),
    Status.FINAL: (Status.ARCHIVED,),
    Status.ARCHIVED: (),
}

_guards = defaultdict(list)


def guard(from_status, to_status):
    def register(function):
        _guards[(from_status, to_status)].append(function)
        return function

    return register


def allowed_next(competition):
    return TRANSITIONS[Status(competition.status)]


def blockers(competition, to_status):
    """Messages saying what must happen before `competition` may move to `to_status`."""
    return [m for m in (g(competition) for g in _guards[(competition.status, to_status)]) if m]
