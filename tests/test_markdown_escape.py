"""Manifest data in a pull-request comment is text: no Markdown, HTML, link or mention."""

import html
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from syncer.plan.changes import Adjust, LevelRef, Plan
from syncer.plan.render import escape_markdown, render_drift_markdown, render_markdown

markdown_it = pytest.importorskip("markdown_it")

HOSTILE = [
    "**bold**", "_em_", "`code`", "<b>x</b>", "<img src=x onerror=alert(1)>", "[a](http://e.vil)",
    "![i](http://e.vil/i.png)", "@octocat", "@org/team", "#12", "a|b|c", "~~strike~~",
    "&lt;b&gt;", "line\nbreak", "\\*", "<!-- x -->", "http://e.vil", "<http://e.vil>",
]


def to_html(markdown: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)


def plan_with(location: str, sku: str) -> Plan:
    ref = LevelRef(location, sku, "gid://shopify/Location/1", "gid://shopify/InventoryItem/1")
    return Plan((Adjust(ref, "available", 1, 2),))


def cells(page: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows]


def visible(fragment: str) -> str:
    return html.unescape(fragment).replace("\u200b", "")


@pytest.mark.parametrize("render", [render_markdown, render_drift_markdown])
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_render_as_text(render, name):
    page = to_html(render(plan_with(name, name)))
    # a plan's change rows are | ~ | location | SKU | change |, drift's | | SKU | difference |
    # under a <summary> naming the location; the plan's location table starts with the name
    detail = [row for row in cells(page) if len(row) in (3, 4) and row[0] in ("~", "")]
    assert detail, page
    fragments = [detail[-1][-2]]
    if len(detail[-1]) == 4:
        fragments.append(detail[-1][1])
        _header, location, _total = [row for row in cells(page) if len(row) == 6]
        fragments.append(location[0])
    else:
        summary = re.search(r"<summary>(.*?)</summary>", page, re.S).group(1)
        assert visible(summary).startswith(" ".join(name.splitlines()))
        fragments.append(summary.rsplit(" (", 1)[0])
    for fragment in fragments:
        assert "<" not in fragment, fragment  # no tag: no link, image, emphasis, HTML, comment
        assert not re.search(r"[@#]\w", fragment), fragment  # no mention, no issue link
        # the cell shows the name as written (on one line)
        assert visible(fragment) == " ".join(name.splitlines())


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=20))
@example("\u200b")  # found by hypothesis: a zero-width space of the text's own
def test_escaped_text_reads_back_as_itself(text):
    page = to_html(f"| a |\n|---|\n| {escape_markdown(text)} |\n")
    (row,) = [r for r in cells(page)[1:]]
    assert "<" not in row[0].replace("&lt;", "")
    # visible() drops the zero-width spaces escaping adds, so it drops any in the text too
    assert visible(row[0]) == " ".join(text.splitlines()).strip().replace("\u200b", "")
