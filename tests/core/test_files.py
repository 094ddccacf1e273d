"""Files the commands write appear whole or not at all: a failure half-way (the disk
fills, the rows fail) leaves the file that was there, and no half-written one."""

import errno
import os
import stat

import pytest

from jingsai.core import files
from jingsai.core.files import replacing, write_file


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_new_file_is_written_with_the_usual_permissions(tmp_path):
    target = tmp_path / "out.xlsx"
    write_file(target, b"data")
    assert target.read_bytes() == b"data"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    write_file(tmp_path / "out.yaml", "名称: 焊工\n")
    assert (tmp_path / "out.yaml").read_text(encoding="utf-8") == "名称: 焊工\n"
    assert _leftovers(tmp_path) == []


def test_a_file_replaced_keeps_its_permissions(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_file(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failure_while_writing_leaves_the_old_file_and_no_partial_one(tmp_path):
    target = tmp_path / "results.csv"
    target.write_bytes(b"yesterday's results")
    with pytest.raises(RuntimeError), replacing(target, "w", encoding="utf-8") as handle:
        handle.write("half of today's")
        raise RuntimeError("the rows failed")
    assert target.read_bytes() == b"yesterday's results"
    assert _leftovers(tmp_path) == []


def test_a_full_disk_is_reported_for_the_file_named_and_changes_nothing(tmp_path, monkeypatch):
    target = tmp_path / "out.xlsx"

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError) as failed:
        write_file(target, b"x" * 1000)
    assert (failed.value.errno, failed.value.filename) == (errno.ENOSPC, str(target))
    assert not target.exists() and _leftovers(tmp_path) == []


def test_a_folder_that_does_not_exist_is_reported_for_the_file_named(tmp_path):
    target = tmp_path / "no-such-folder" / "out.xlsx"
    with pytest.raises(FileNotFoundError) as failed:
        write_file(target, b"x")
    assert failed.value.filename == str(target)


def test_a_symbolic_link_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "real.xlsx"
    real.write_bytes(b"old")
    link = tmp_path / "latest.xlsx"
    link.symlink_to(real)
    write_file(link, b"new")
    assert link.is_symlink() and real.read_bytes() == b"new"


def test_a_device_or_a_pipe_is_written_directly(tmp_path):
    write_file(os.devnull, b"nothing")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_file(fifo, b"through the pipe")
        assert os.read(reader, 100) == b"through the pipe"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and _leftovers(tmp_path) == []


def test_a_file_in_a_folder_closed_to_new_files_is_written_in_place(tmp_path, monkeypatch):
    """Allowed to write the file but not to create one beside it: written in place, as a
    plain open() would; a new file there is refused in the named file's name."""

    def refused(**_kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / ".x.part"))

    monkeypatch.setattr(files.tempfile, "mkstemp", refused)
    existing = tmp_path / "out.xlsx"
    existing.write_bytes(b"old")
    write_file(existing, b"new")
    assert existing.read_bytes() == b"new"
    with pytest.raises(PermissionError) as failed:
        write_file(tmp_path / "new.xlsx", b"x")
    assert failed.value.filename == str(tmp_path / "new.xlsx")
