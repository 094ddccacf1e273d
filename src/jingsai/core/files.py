"""Files the commands write: whole or not at all.

An export is written to a temporary file beside the one named and moved over it only
once every byte is on disk, so a disk that fills, a permission refused half-way or a
failure while the rows are produced leaves the old file as it was (or no file) instead of
a truncated one that looks complete. A name that is not a regular file (/dev/stdout, a
pipe) is written directly, and so is a file we may write in a folder where we may not
create one; a symbolic link is followed and its target replaced."""

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path


def _current_umask():
    """The process's umask. Linux shows it in /proc; elsewhere it is read by setting it,
    which for a moment leaves other threads creating files with no mask."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def replacing(path, mode="wb", **open_args):
    """A file object for writing `path` ("wb", or "w" with encoding and newline); the
    file appears under its name when the block ends without an exception. OSErrors name
    the file asked for, not the temporary one."""
    named = Path(path)
    target = Path(os.path.realpath(named))
    try:
        found = target.stat()
    except FileNotFoundError:
        found = None
    temporary = None
    if found is None or stat.S_ISREG(found.st_mode):
        try:
            descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:200]}.",
                                                     suffix=".part")
        except OSError as error:
            # A file we may write in a folder where we may not create one is written in
            # place, as before; any other refusal is the named file's.
            if not (found is not None and error.errno in (errno.EACCES, errno.EPERM)
                    and os.access(target, os.W_OK)):
                raise OSError(error.errno, error.strerror, str(named)) from None
    if temporary is None:  # a device, a pipe, or no other way
        with open(named, mode, **open_args) as handle:
            yield handle
        return
    try:
        with open(descriptor, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it what the file it replaces had,
        # or what a file created by open() would have.
        os.chmod(temporary, stat.S_IMODE(found.st_mode) if found is not None else 0o666 & ~_current_umask())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError) and error.filename in (None, temporary):
            raise OSError(error.errno, error.strerror, str(named)) from None
        raise


def write_file(path, data, *, encoding="utf-8"):
    """Write bytes, or text in `encoding`, to `path` whole or not at all."""
    if isinstance(data, str):
        with replacing(path, "w", encoding=encoding, newline="") as handle:
            handle.write(data)
    else:
        with replacing(path) as handle:
            handle.write(data)
