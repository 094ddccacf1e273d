"""Running a command in the test process, as `jingsai ARGS…` runs it, and the project in
a fresh interpreter."""

import os
from io import StringIO
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def process_env(**extra):
    """The environment for running the project in a fresh interpreter from the checkout:
    this one's, with the sources importable and the settings named, plus `extra`."""
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "DJANGO_SETTINGS_MODULE": "jingsai.settings", **extra}


def run_command(*args):
    """(exit status, standard output, standard error); a traceback fails the test, since a
    command says what went wrong and exits 1."""
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    else:
        code = 0
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()
