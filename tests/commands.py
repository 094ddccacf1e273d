"""Running a command in the test process, as `jingsai ARGS…` runs it."""

from io import StringIO

from django.core.management import call_command


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
