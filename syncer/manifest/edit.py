"""Edit manifest text in place: change chosen values, keep everything else byte for byte.

``syncer drift --write-manifests`` uses it so that a bot's pull request diff is exactly the drift.
The text is read with the same YAML parser as ``syncer validate`` (so it accepts exactly what
validate accepts), into a tree that knows where each key and value starts and ends. Each change
is a splice of the text at that spot: a changed value is replaced, a removed level's lines are
deleted, an added level is a new line. Line endings, comments, ``---``, quoting, flow style and
spacing of everything else stay as they were.

A level is written where it is declared, never in an anchor another level shares: a level
written as an alias (``B: *a``) is written out as its own mapping; a value a level takes from a
``<<`` merge is overridden in the level's own mapping; and when a level that others alias or
merge changes, those others are pinned at their own values. The result is read back with the
manifest loader and must declare exactly the intended levels, or nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable

from syncer.errors import ManifestError
from syncer.manifest.load import parse_manifest
from syncer.manifest.splice import Editor, Level, LevelAdd, ValueEdit
from syncer.manifest.yamltree import cannot, parse_tree

__all__ = ["LevelAdd", "ValueEdit", "edit_manifest"]


def edit_manifest(
    text: str,
    edits: Iterable[ValueEdit] = (),
    *,
    remove: Iterable[tuple[str, str]] = (),
    add: Iterable[LevelAdd] = (),
    file: str = "<string>",
) -> str:
    """``text`` with ``edits`` applied, levels ``remove``d and levels ``add``ed.

    Raises ``ManifestError`` naming ``file`` when a level or field to edit is not in the text, or
    when the edit cannot be written without changing another level.
    """
    edits, remove, add = list(edits), list(remove), list(add)
    if not (edits or remove or add):
        return text
    before = _levels(text, file)
    editor = Editor(text, parse_tree(text, file), before, file)
    for edit in edits:
        editor.set_value(edit)
    for location, item in remove:
        editor.remove(location, item)
    editor.add(add)
    editor.finish()
    new = editor.result()
    _check(new, editor.final, file)
    return new


def _levels(text: str, file: str) -> dict[tuple[str, str], Level]:
    """Every level ``text`` declares, as the manifest loader reads it."""
    return {(level.location, level.item): (level.active, dict(level.quantities))
            for level in parse_manifest(text, file).levels}


def _check(new: str, expected: dict[tuple[str, str], Level], file: str) -> None:
    """Read the edited text back: it must declare ``expected`` and nothing else."""
    try:
        got = _levels(new, file)
    except ManifestError as exc:
        raise cannot(file, "the edited file would not be a valid manifest "
                      f"({exc.problems[0].message}); edit it by hand") from None
    for key in sorted(set(got) | set(expected)):
        if got.get(key) != expected.get(key):
            raise cannot(file, f"writing the live values would also change {key[0]} / {key[1]} "
                          "(levels that share YAML anchors); write those levels out without "
                          "aliases and run drift again")


