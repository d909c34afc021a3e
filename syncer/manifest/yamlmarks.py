"""YAML text to plain values plus the line and column of every key and value.

``parse_yaml`` is the entry point: it runs pyyaml's parser (libyaml's when pyyaml has it) over
the text, has ``syncer.manifest.compose`` build the document from the parser's events, and turns
pyyaml's own errors (syntax, unreadable characters, tabs) into problems with a line and column.
Text nested past ``MAX_DEPTH`` in flow brackets is read only up to that point, so the error is
syncer's whatever the PyYAML version. The result is a ``syncer.manifest.parsed.ParsedYaml``.

Scalars are read by ``syncer.manifest.scalars``: YAML 1.2 core, in the forms every YAML version
reads alike.
"""

from __future__ import annotations

import gc

import yaml
from yaml.error import Mark

from syncer.manifest.compose import MAX_DEPTH, TOO_DEEP, Composer
from syncer.manifest.nesting import deep_bracket_end
from syncer.manifest.parsed import ParsedYaml

#: libyaml's parser when pyyaml was built with it (about 10x faster), else the pure Python one.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document into plain values and marks; never raises for bad input.

    >>> parsed = parse_yaml("a: {b: 1}\\n", "x.yaml")
    >>> parsed.document, parsed.value_source("x.yaml", ("a", "b")), parsed.problems
    ({'a': {'b': 1}}, Source(file='x.yaml', line=1, column=8), [])
    """
    builder = Composer(file)
    # The parse allocates millions of small acyclic objects; the cyclic collector would walk them
    # again and again for nothing (it doubles the time of a large file).
    collecting = gc.isenabled()
    gc.disable()
    try:
        end = deep_bracket_end(text, MAX_DEPTH)
        if end is not None:
            # Read only up to the bracket past the limit: the parser never sees the deep part,
            # whose own limit (PyYAML >= 6.0.4) would otherwise answer first.
            head = _parse(builder, text[:end])
            if any(p.message == TOO_DEEP for p in head.problems):
                return head
            builder = Composer(file)
        return _parse(builder, text)
    finally:
        if collecting:
            gc.enable()


def _parse(builder: Composer, text: str) -> ParsedYaml:
    try:
        loader = LOADER(text)
    except (yaml.YAMLError, UnicodeError, ValueError) as exc:
        builder.problem(1, 1, f"cannot read the file as YAML: {exc}")
        return builder.result()
    try:
        builder.run(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        if mark is not None and _char_at(text, mark) == "\t":
            # libyaml says "found character that cannot start any token" without naming it.
            builder.problem(line, column, "a tab character: YAML indents with spaces only; "
                            "replace the tab with spaces")
        else:
            builder.problem(line, column, f"YAML syntax error: {what}{context}")
    except yaml.reader.ReaderError as exc:
        position = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        builder.problem(line, column, f"YAML syntax error: {exc.reason} (#x{exc.character:04x})")
    except (yaml.YAMLError, UnicodeError, ValueError) as exc:
        builder.problem(1, 1, f"cannot read the file as YAML: {exc}")
    finally:
        loader.dispose()
    return builder.result()


def _char_at(text: str, mark: Mark) -> str:
    """The character a parser mark points at ('' past the end)."""
    lines = text.split("\n", mark.line + 1)
    line = lines[mark.line] if mark.line < len(lines) else ""
    return line[mark.column : mark.column + 1]
