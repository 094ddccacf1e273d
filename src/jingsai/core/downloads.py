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


def stash_error_file(request, upload_name, table, problems, *, with_column=False):
    """The rejected upload written back with its error column, stashed for this session;
    returns the download link the page shows next to the problems."""
    from . import spreadsheets

    return stash(request, spreadsheets.error_filename(upload_name),
                 spreadsheets.problems_xlsx(table, spreadsheets.problems_by_row(problems, with_column=with_column)))


def fetch(request, token):
    filename = request.session.get(SESSION_KEY, {}).get(token)
    path = Path(settings.MEDIA_ROOT) / "stash" / token
    if not filename or not path.exists():
        return None, None
    return path, filename
