from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """Where an object sits, as far as access is concerned. Models describe themselves with
    permission_scope(); accounts.permissions decides on these values alone.

    org_path        the organization the object belongs to (unit, employer, node itself)
    host_path       the host of the competition the object belongs to
    competition_id  the competition the object belongs to
    person_id       the person the object is about (for self-service)
    """

    org_path: str | None = None
    host_path: str | None = None
    competition_id: int | None = None
    person_id: int | None = None
