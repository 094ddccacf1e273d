"""Files made for one person to download once they see a page (for example a rejected
spreadsheet with its error column): kept under MEDIA_ROOT/stash and reachable only from
the session that made them."""

import secrets
from pathlib import Path

from django.conf import settings
from django.urls import reverse

SESSION_KEY = "jingsai_stash"


def stash(request, filename, data):
    token = secrets.token_urlsafe(16)
    folder = Path(settings.MEDIA_ROOT) / "stash"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / token).write_bytes(data)
    files = request.session.get(SESSION_KEY, {})
    files[token] = filename
    request.session[SESSION_KEY] = dict(list(files.items())[-20:])
    return reverse("core:stash", args=[token])


def fetch(request, token):
    filename = request.session.get(SESSION_KEY, {}).get(token)
    path = Path(settings.MEDIA_ROOT) / "stash" / token
    if not filename or not path.exists():
        return None, None
    return path, filename
