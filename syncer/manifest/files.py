"""Finding manifest files and reading their bytes as text, with a problem for each that fails.

Folders are walked in sorted order (deterministic), hidden entries are skipped, symbolic link
loops are reported instead of followed forever, and a file named twice is read once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from typing import Any

from syncer.errors import Problem, Source

SUFFIXES = (".yaml", ".yml")
#: The per-store settings file beside the manifests (``syncer.manifest.config``): not a manifest.
CONFIG_NAME = "syncer.yaml"
#: The largest manifest file read, in bytes. Reading costs about 0.6 s and 38 MB of memory per
#: MiB of levels (a 100 MiB file took 64 s and 3.8 GB), so 16 MiB (about 280,000 levels, 10 s)
#: bounds time and memory while leaving room for a 100,000-level location with comments.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def find_manifest_files(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[str], list[Problem], list[str]]:
    """The manifest files ``paths`` name, in order and each once, and the problems finding them.

    A folder stands for every ``*.yaml`` and ``*.yml`` file below it, sorted by path; hidden
    files and folders (``.git``) are skipped. The third list holds every path named by a file
    or a problem, in the order found, to sort problems by.
    """
    order: list[str] = []
    files: list[str] = []
    problems: list[Problem] = []
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        path = os.fspath(raw)
        order.append(path)
        info = _stat(path, problems)
        if info is None:
            continue
        if stat.S_ISDIR(info.st_mode):
            found: list[tuple[str, os.stat_result]] = []
            before = len(problems)
            _walk(path, {(info.st_dev, info.st_ino)}, found, problems)
            if not found and len(problems) == before:
                message = "no manifests (*.yaml, *.yml) in this folder"
                problems.append(Problem(Source(path), message))
        elif stat.S_ISREG(info.st_mode):
            found = [(path, info)]
        else:
            problems.append(Problem(Source(path), "not a file or folder"))
            continue
        for file, file_info in found:
            order.append(file)
            if file_info is None:
                continue
            # The same file named twice (a folder and a file in it) is read once, or every level
            # in it would be "declared twice".
            identity = (file_info.st_dev, file_info.st_ino)
            if identity not in seen:
                seen.add(identity)
                files.append(file)
    return files, problems, order


def _stat(path: str, problems: list[Problem]) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError as exc:
        problems.append(_stat_problem(path, exc))
        return None


def _stat_problem(path: str, exc: OSError) -> Problem:
    if exc.errno == errno.ELOOP:
        message = "symbolic link loop: the link leads back to itself"
    elif exc.errno == errno.ENOENT and os.path.islink(path):
        message = f"broken symbolic link to {os.readlink(path)}"
    elif exc.errno == errno.ENOENT:
        message = "no such file or folder"
    else:
        message = f"cannot read: {exc.strerror}"
    return Problem(Source(path), message)


def _walk(folder: str, ancestors: set[Any], found: list[Any], problems: list[Problem]) -> None:
    """Append (path, stat) for each manifest below ``folder``, and (path, None) for each problem."""

    def report(problem: Problem) -> None:
        problems.append(problem)
        found.append((problem.source.file, None))

    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        report(Problem(Source(folder), f"cannot list the folder: {exc.strerror}"))
        return
    for entry in entries:
        is_manifest = entry.name.endswith(SUFFIXES) and entry.name != CONFIG_NAME
        if entry.name.startswith(".") or not (
            is_manifest or entry.is_symlink() or entry.is_dir(follow_symlinks=False)
        ):
            continue
        path = os.path.normpath(entry.path)
        try:
            info = os.stat(path)
        except OSError as exc:
            # A dangling link named like a manifest, or any link loop, is worth a word; other
            # dangling links are not manifests.
            if is_manifest or exc.errno == errno.ELOOP:
                report(_stat_problem(path, exc))
            continue
        if stat.S_ISDIR(info.st_mode):
            identity = (info.st_dev, info.st_ino)
            if identity in ancestors:
                message = "symbolic link loop: the link leads back to a folder above it; skipped"
                report(Problem(Source(path), message))
                continue
            _walk(path, ancestors | {identity}, found, problems)
        elif is_manifest and stat.S_ISREG(info.st_mode):
            found.append((path, info))


def read_manifest(file: str) -> tuple[bytes | None, Problem | None]:
    """The bytes of a manifest file, or the problem that keeps it from being read.

    A file over ``MAX_MANIFEST_BYTES`` is refused before it is read (at most one byte more than
    the limit is ever read, so a file that grows while read is caught too).
    """
    try:
        with open(file, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = b"" if size > MAX_MANIFEST_BYTES else handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        return None, Problem(Source(file), f"cannot read the file: {exc.strerror}")
    size = max(size, len(data))
    if size > MAX_MANIFEST_BYTES:
        return None, too_large(file, size)
    return data, None


def too_large(file: str, size: int) -> Problem:
    """The problem of a manifest over ``MAX_MANIFEST_BYTES``.

    >>> str(too_large("big.yaml", 100 * 1024 * 1024))
    'big.yaml: 100.0 MiB is over the 16 MiB limit for one manifest file: split it into several files (one per location, say) in a folder'
    """  # noqa: E501
    message = (
        f"{size / 1024 / 1024:.1f} MiB is over the {MAX_MANIFEST_BYTES // 1024 // 1024} MiB limit "
        "for one manifest file: split it into several files (one per location, say) in a folder"
    )
    return Problem(Source(file), message)


def decode_manifest(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    """The text of a manifest file, or the problem that keeps it from being text.

    >>> decode_manifest(b"\\xef\\xbb\\xbfa: 1\\n", "x.yaml")
    ('a: 1\\n', None)
    >>> str(decode_manifest(b"a: \\xe9t\\xe9\\n", "x.yaml")[1])
    'x.yaml:1:4: not UTF-8 text (byte 0xe9): save the file as UTF-8'
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Problem(Source(file, 1, 1), "UTF-16 text: save the file as UTF-8")
    if b"\0" in data:
        return None, Problem(Source(file), "binary file, not a YAML manifest")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start_of_line = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[start_of_line : exc.start].decode("utf-8", "replace")) + 1
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as UTF-8"
        return None, Problem(Source(file, line, column), message)
