"""Who is acting and through which door, for the audit log: set once per request,
command or task, read by audit.record()."""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    via: str = "system"  # web | api | cli | task | system
    ip: str | None = None
    label: str = ""


_current = contextvars.ContextVar("jingsai_channel", default=Channel())  # noqa: B039 - frozen


def current():
    return _current.get()


@contextmanager
def channel(via, ip=None, label=""):
    token = _current.set(Channel(via=via, ip=ip, label=label))
    try:
        yield
    finally:
        _current.reset(token)
