"""Output files (``plan -o``, ``apply --report``, manifests written back): never over an input,
and written through to what the path names.

``check_output`` refuses, before any work, an output path that is one of the command's inputs
(the store file and its lock, the plan, its journal, a manifest), a folder, or in a folder that
does not exist. ``write_output`` writes ``-`` to standard output; a regular file atomically (a
temporary file in the same folder, fsync, rename), through a symlink onto its target so that the
link stays; anything else (a device, a FIFO) in place, since renaming over it would replace the
node. ``write_all_or_none`` writes several files so that all change or none does.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from syncer.errors import SyncerError, UsageError

#: The output path that means standard output.
STDOUT = "-"

#: An input a command reads, as ``(what it is, its path)``: ``("the store file", "store.json")``.
Input = tuple[str, str | os.PathLike[str] | None]


def check_output(flag: str, out: str | os.PathLike[str], inputs: Iterable[Input], *,
                 example: str) -> None:
    """Refuse (``UsageError``) ``flag out`` when ``out`` is a folder, is in a folder that does
    not exist (it is not created silently), or names one of ``inputs`` (``refuse_inputs``).
    ``example`` is a file name to suggest instead."""
    if str(out) == STDOUT:
        return
    target = Path(out).expanduser()
    if target.is_dir():
        raise UsageError(f"{flag} {out}: is a folder; give a file name such as {out}/{example}")
    if not target.parent.is_dir():
        raise UsageError(f"{flag} {out}: the folder {target.parent} does not exist; create it "
                         "first (syncer does not create folders for the files it writes)")
    refuse_inputs(flag, out, inputs, f"give another file name, such as {example}")


def refuse_inputs(flag: str, out: str | os.PathLike[str], inputs: Iterable[Input],
                  instead: str) -> None:
    """Refuse (``UsageError``, saying ``instead``) ``flag out`` when ``out`` names one of
    ``inputs``: the same path once symlinks are resolved, or the same file (a hard link)."""
    for what, path in inputs:
        if path and _same_file(Path(out).expanduser(), Path(path).expanduser()):
            raise UsageError(f"{flag} {out}: is {what}; writing there would replace it; "
                             f"{instead}")


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same path once symlinks are resolved (also
    when it does not exist yet), or the same inode (a hard link)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_output(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path``: ``-`` is standard output; a regular file (or a new one) is
    replaced atomically, a symlink's target rather than the link; a device or a FIFO is written
    in place. ``SyncerError`` names the file when it cannot be written (a file replaced
    atomically is then unchanged)."""
    if str(path) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = _resolved(path)
    data = text.encode("utf-8")
    try:
        if target.exists() and not target.is_file():
            fd = os.open(target, os.O_WRONLY)
            try:
                _write_fd(fd, data)
            finally:
                os.close(fd)
            return
        temp = _staged(target, data)
        try:
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)
    except OSError as exc:
        raise SyncerError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_all_or_none(files: Sequence[tuple[str | os.PathLike[str], str]]) -> list[str]:
    """Write each ``(path, text)`` atomically, and all of them or none: every one goes to a
    temporary file beside its target first (written and fsynced), and only when all are there
    are they renamed over their targets (a symlink's target, keeping the link). On a failure
    before the renames the temporary files are removed and no file has changed. Returns the
    paths written, in order."""
    staged: list[tuple[str, Path, Path]] = []
    try:
        for path, text in files:
            target = _resolved(path)
            if target.exists() and not target.is_file():
                raise SyncerError(f"cannot write {path}: it is not a regular file; no file was "
                                  "changed")
            try:
                staged.append((str(path), target, _staged(target, text.encode("utf-8"))))
            except OSError as exc:
                raise SyncerError(
                    f"cannot write {path}: {exc.strerror or exc}; no file was changed"
                ) from None
    except BaseException:
        for _path, _target, temp in staged:
            temp.unlink(missing_ok=True)
        raise
    written: list[str] = []
    for index, (path, target, temp) in enumerate(staged):
        try:
            os.replace(temp, target)
        except OSError as exc:
            for _path, _target, rest in staged[index:]:
                rest.unlink(missing_ok=True)
            left = ", ".join(p for p, _target, _temp in staged[index:])
            raise SyncerError(f"cannot write {path}: {exc.strerror or exc}; written before it: "
                              f"{', '.join(written)}; not written: {left}") from None
        written.append(path)
    for folder in {target.parent for _path, target, _temp in staged}:
        _fsync_folder(folder)
    return written


def _resolved(path: str | os.PathLike[str]) -> Path:
    """The file ``path`` names: a symlink's final target (which may not exist yet)."""
    return Path(os.path.realpath(Path(path).expanduser()))


def _staged(target: Path, data: bytes) -> Path:
    """A new temporary file beside ``target`` holding ``data``, fsynced; its mode is
    ``target``'s when that exists (else the umask's), since renaming it replaces ``target``."""
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
    while True:
        temp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        _write_fd(fd, data)
        os.fsync(fd)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)
    return temp


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
