"""Per-object conditions of the competitions' permissions (accounts.permissions grants
name them with .where())."""

from .models import Status


def published(user, obj):
    """Past draft: a draft is seen only by those who manage it. Objects without a status
    of their own (a series) count as published."""
    return getattr(obj, "status", None) != Status.DRAFT
