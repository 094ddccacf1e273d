"""The audit log: every service function that changes state calls record() inside its
transaction, so the change and its record commit or roll back together."""

from decimal import Decimal

from .context import current
from .models import AuditRecord


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def object_type(obj):
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _actor_fields(actor):
    channel = current()
    label = channel.label
    if actor is not None:
        label = f"{actor.get_username()} ({label})" if label else actor.get_username()
    return {"actor": actor, "actor_label": label[:150], "via": channel.via, "ip": channel.ip}


def record(actor, action, obj=None, *, reason="", changes=None, data=None, repr_text=None):
    """Write one audit record. `changes` maps a field to [old, new] (already masked where
    the values are personal data); `data` holds anything else worth keeping."""
    return AuditRecord.objects.create(
        **_actor_fields(actor),
        action=action,
        object_type=object_type(obj) if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(repr_text if repr_text is not None else str(obj) if obj is not None else "")[:200],
        reason=reason or "",
        changes=_jsonable(changes or {}),
        data=_jsonable(data or {}),
    )


def record_many(actor, action, objects, *, reason="", data_for=None):
    """One record per object in a single INSERT, for bulk operations."""
    fields = _actor_fields(actor)
    AuditRecord.objects.bulk_create(
        [
            AuditRecord(
                **fields,
                action=action,
                object_type=object_type(obj),
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                reason=reason or "",
                data=_jsonable(data_for(obj)) if data_for else {},
            )
            for obj in objects
        ],
        batch_size=2000,
    )


def changes_between(before, after, fields):
    """{field: [old, new]} for the fields whose values differ between two dicts/objects."""

    def get(source, name):
        return source.get(name) if isinstance(source, dict) else getattr(source, name, None)

    out = {}
    for name in fields:
        old, new = get(before, name), get(after, name)
        if old != new:
            out[name] = [_jsonable(old), _jsonable(new)]
    return out


def history(obj):
    return AuditRecord.objects.filter(object_type=object_type(obj), object_id=str(obj.pk))
